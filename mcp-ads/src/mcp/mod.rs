//! The MCP surface of the ads context: thin tools over [`AdsService`], one
//! file per toolset, plus the resources and prompts.

mod approval;
mod audiences;
mod campaigns;
mod content;
mod delivery;
mod performance;
mod prompts;
mod resources;

use std::sync::Arc;

use promptsales_server::auth::Principal;
use promptsales_server::error::rpc_error;
use promptsales_server::server::{Auditor, ServeError, Toolset, call_tool_audited, select_tools};
use promptsales_shared::AppError;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, prompt_handler, tool_handler};

pub use approval::{NoteParams, RejectParams};
pub use campaigns::{GetCampaignParams, ListCampaignsParams, UpdateCampaignParams};
pub use content::AttachParams;
pub use delivery::{ActionParams, LaunchConfirmation, LaunchParams};
pub use performance::{ChangeSetParams, PerformanceParams, SyncParams};
pub use prompts::{BriefArgs, ReviewArgs};

use crate::service::AdsService;

type Ctx = RequestContext<RoleServer>;

/// The ads MCP server.
#[derive(Clone)]
pub struct AdsServer {
    svc: AdsService,
    local: Principal,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
}

impl AdsServer {
    /// The tool groups of `--toolsets`: the one place they are listed.
    pub fn toolsets() -> Vec<Toolset<Self>> {
        vec![
            Toolset::new(
                "campaigns",
                "Find, draft, generate and plan campaigns",
                Self::campaigns_tools(),
            ),
            Toolset::new(
                "approval",
                "Submit campaigns and approve or reject them (ads:approve)",
                Self::approval_tools(),
            ),
            Toolset::new(
                "delivery",
                "Launch (ads:launch), pause, resume and complete campaigns on the platforms",
                Self::delivery_tools(),
            ),
            Toolset::new(
                "performance",
                "Delivery, pacing, metric sync and optimisation change sets",
                Self::performance_tools(),
            ),
            Toolset::new(
                "audiences",
                "Audience segments sized by CRM",
                Self::audiences_tools(),
            ),
            Toolset::new(
                "content",
                "Attach approved content to campaigns",
                Self::content_tools(),
            ),
        ]
    }

    /// A server exposing the tools `toolsets`/`read_only` allow; callers
    /// without a verified token act as `local`.
    pub fn new(
        svc: AdsService,
        local: Principal,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = select_tools(Self::toolsets(), toolsets, read_only)?;
        Ok(Self {
            svc,
            local,
            tools: Arc::new(tools),
            prompts: Arc::new(Self::prompt_router()),
            auditor,
        })
    }

    fn who(&self, ctx: &Ctx) -> Principal {
        Principal::of(ctx, &self.local)
    }
}

#[tool_handler(router = self.tools)]
#[prompt_handler(router = self.prompts)]
impl ServerHandler for AdsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("mcp-ads", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "PromptAds: campaigns from goal to launch. Amounts are in hundredths (budget_cents) of the \
             campaign's ISO-4217 currency. Lifecycle: draft → pending_approval → approved → active ⇄ paused → \
             completed (rejected → draft). Approval needs ads:approve (not by the creator), launch needs \
             ads:launch; try launch_campaign with dry_run first. Results say sandbox: true where a platform \
             has no credentials.",
        )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        call_tool_audited(self, &self.tools, &self.auditor, request, context).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::resources()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.who(&context);
        let body = self
            .read(request.uri.as_str(), &who)
            .await
            .map_err(rpc_error)?;
        let text = serde_json::to_string_pretty(&body)
            .map_err(|e| rpc_error(AppError::Internal(format!("encode resource: {e}"))))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tool belongs to exactly one toolset, and the names are the
    /// ones hosts have been configured with.
    #[test]
    fn toolsets_partition_the_tools() {
        let sets = AdsServer::toolsets();
        let names: Vec<(&str, Vec<String>)> =
            sets.iter().map(|s| (s.name, s.tool_names())).collect();
        assert_eq!(
            names,
            [
                (
                    "campaigns",
                    vec![
                        "create_campaign".to_owned(),
                        "generate_campaign".into(),
                        "get_campaign".into(),
                        "list_campaigns".into(),
                        "plan_budget".into(),
                        "update_campaign".into(),
                    ]
                ),
                (
                    "approval",
                    vec![
                        "approve_campaign".to_owned(),
                        "reject_campaign".into(),
                        "submit_for_approval".into(),
                    ]
                ),
                (
                    "delivery",
                    vec![
                        "complete_campaign".to_owned(),
                        "launch_campaign".into(),
                        "pause_campaign".into(),
                        "resume_campaign".into(),
                    ]
                ),
                (
                    "performance",
                    vec![
                        "apply_change_set".to_owned(),
                        "get_campaign_performance".into(),
                        "optimize_campaign".into(),
                        "rollback_change_set".into(),
                        "sync_metrics".into(),
                    ]
                ),
                ("audiences", vec!["segment_audience".to_owned()]),
                ("content", vec!["attach_content".to_owned()]),
            ]
        );
        let ro = select_tools(AdsServer::toolsets(), &[], true).unwrap();
        let mut ro: Vec<String> = ro
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        ro.sort();
        assert_eq!(
            ro,
            ["get_campaign", "get_campaign_performance", "list_campaigns"]
        );
    }

    /// Closed vocabularies are published as enums where the argument is.
    #[test]
    fn vocabularies_are_enums_in_the_input_schemas() {
        let all = select_tools(AdsServer::toolsets(), &[], false).unwrap();
        let schema = |tool: &str| {
            let t = all.get(tool).unwrap();
            serde_json::to_string(&*t.input_schema).unwrap()
        };
        for (tool, value) in [
            ("list_campaigns", "pending_approval"),
            ("list_campaigns", "awareness"),
            ("create_campaign", "google_ads"),
            ("create_campaign", "traffic"),
            ("generate_campaign", "sales"),
            ("plan_budget", "tiktok"),
            ("segment_audience", "customer"),
            ("segment_audience", "whatsapp"),
            ("attach_content", "linkedin"),
        ] {
            let s = schema(tool);
            assert!(s.contains(&format!("\"{value}\"")), "{tool}: {s}");
        }
    }
}
