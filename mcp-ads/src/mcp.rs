//! The MCP surface of the ads context: thin tools over [`AdsService`].

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
use serde::Deserialize;

use crate::domain::Campaign;
use crate::service::AdsService;

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[Toolset {
    name: "campaigns",
    description: "Find and inspect campaigns",
    tools: &["list_campaigns", "get_campaign"],
}];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetCampaignParams {
    /// Campaign id, e.g. `cmp_00042`.
    pub campaign_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListCampaignsParams {
    /// Only this client's campaigns.
    pub client_id: Option<String>,
    /// Only campaigns in this status: draft, pending_approval, approved,
    /// active, paused, completed or rejected.
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

/// The ads MCP server.
#[derive(Clone)]
pub struct AdsServer {
    svc: AdsService,
    tenant: TenantId,
    tools: Arc<ToolRouter<Self>>,
    auditor: Auditor,
}

#[tool_router]
impl AdsServer {
    /// A server exposing the tools `toolsets`/`read_only` allow.
    pub fn new(
        svc: AdsService,
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
        description = "Get one campaign: client, objective, status, budget, dates, channels and countries.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_campaign(
        &self,
        Parameters(p): Parameters<GetCampaignParams>,
    ) -> Result<Json<Campaign>, AppError> {
        self.svc
            .get_campaign(&self.tenant, &p.campaign_id)
            .await
            .map(Json)
    }

    #[tool(
        description = "List campaigns, optionally by client and status, 50 per page by default; pass next_cursor to continue.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_campaigns(
        &self,
        Parameters(p): Parameters<ListCampaignsParams>,
    ) -> Result<Json<Page<Campaign>>, AppError> {
        self.svc
            .list_campaigns(
                &self.tenant,
                p.client_id.as_deref(),
                p.status.as_deref(),
                p.cursor.as_deref(),
                p.limit,
            )
            .await
            .map(Json)
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for AdsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("mcp-ads", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "PromptAds: campaigns from goal to launch. Amounts are in hundredths \
                 (budget_cents) of the campaign's ISO-4217 currency.",
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
