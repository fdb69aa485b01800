//! The MCP surface of the CRM context: thin tools over [`CrmService`].

use std::sync::Arc;

use promptsales_shared::AppError;
use promptsales_shared::domain::{Page, TenantId};
use promptsales_shared::server::{Auditor, ServeError, Toolset, call_tool_audited, filter_router};
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{Lead, Seller};
use crate::service::{CrmService, LeadQuery};

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "leads",
        description: "Find and inspect leads",
        tools: &["get_lead", "search_leads"],
    },
    Toolset {
        name: "sellers",
        description: "See the sales team leads are assigned to",
        tools: &["list_sellers"],
    },
];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetLeadParams {
    /// Lead id, e.g. `lead_00042`.
    pub lead_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchLeadsParams {
    /// Only leads in this funnel stage: iql, mql, sql, customer or lost.
    pub stage: Option<String>,
    /// Only leads from this country, as an ISO-3166 alpha-2 code (CO, MX, US…).
    pub country: Option<String>,
    /// Only leads from this channel: google_ads, meta, instagram, tiktok,
    /// linkedin, email, sms, whatsapp, influencer, web or organic.
    pub channel: Option<String>,
    /// Only leads from this campaign, e.g. `cmp_00042`.
    pub campaign_id: Option<String>,
    /// Only this client's leads.
    pub client_id: Option<String>,
    /// Only leads assigned to this seller, e.g. `sel_003`.
    pub seller_id: Option<String>,
    /// Only leads scoring at least this much (0-100).
    pub min_score: Option<i32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListSellersParams {
    /// Only sellers currently taking new leads (default false: all sellers).
    pub active_only: Option<bool>,
}

/// The sellers of the agency account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SellerList {
    pub sellers: Vec<Seller>,
}

/// The CRM MCP server.
#[derive(Clone)]
pub struct CrmServer {
    svc: CrmService,
    tenant: TenantId,
    tools: Arc<ToolRouter<Self>>,
    auditor: Auditor,
}

#[tool_router]
impl CrmServer {
    /// A server exposing the tools `toolsets`/`read_only` allow.
    pub fn new(
        svc: CrmService,
        tenant: TenantId,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = filter_router(Self::tool_router(), TOOLSETS, toolsets, read_only)?;
        Ok(Self {
            svc,
            tenant,
            tools: Arc::new(tools),
            auditor,
        })
    }

    #[tool(
        description = "Get one lead: client, source campaign and channel, country and city, funnel stage, score (0-100), assigned seller and when it was created. Personal data (name, email, phone) is not returned.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_lead(
        &self,
        Parameters(p): Parameters<GetLeadParams>,
    ) -> Result<Json<Lead>, AppError> {
        self.svc.get_lead(&self.tenant, &p.lead_id).await.map(Json)
    }

    #[tool(
        description = "Search leads by stage, country, channel, campaign, client, seller and minimum score; every filter given must match. Ordered by id, 50 per page by default; pass next_cursor to continue.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn search_leads(
        &self,
        Parameters(p): Parameters<SearchLeadsParams>,
    ) -> Result<Json<Page<Lead>>, AppError> {
        let query = LeadQuery {
            stage: p.stage,
            country: p.country,
            channel: p.channel,
            campaign_id: p.campaign_id,
            client_id: p.client_id,
            seller_id: p.seller_id,
            min_score: p.min_score,
            cursor: p.cursor,
            limit: p.limit,
        };
        self.svc.search_leads(&self.tenant, &query).await.map(Json)
    }

    #[tool(
        description = "List the sellers leads can be assigned to, with whether each is active and how many open leads they can handle (capacity).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_sellers(
        &self,
        Parameters(p): Parameters<ListSellersParams>,
    ) -> Result<Json<SellerList>, AppError> {
        let sellers = self
            .svc
            .list_sellers(&self.tenant, p.active_only.unwrap_or(false))
            .await?;
        Ok(Json(SellerList { sellers }))
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for CrmServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("mcp-crm", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "PromptCRM: leads from first contact to customer (stages iql → mql → sql → \
                 customer, or lost), scored 0-100 and assigned to sellers. Personal data \
                 is never returned by these tools.",
            )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        call_tool_audited(self, &self.tools, &self.auditor, request, context).await
    }
}
