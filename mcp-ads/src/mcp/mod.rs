//! The MCP surface of the ads context: thin tools over [`AdsService`], one
//! file per toolset (each tool declares its scope), plus the resources
//! (scoped, audited, served with their toolset) and prompts.

mod approval;
mod audiences;
mod campaigns;
mod connections;
mod content;
mod delivery;
mod performance;
mod prompts;
mod resources;
mod usage;

use std::sync::Arc;

use promptsales_server::audit_tool::{Audited, audit_toolset};
use promptsales_server::auth::Principal;
use promptsales_server::server::{
    Auditor, ServeError, ToolServer, Toolset, call_tool_audited, select_tools,
};
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, prompt_handler, tool_handler};

pub use approval::{ApproveParams, NoteParams, RejectParams};
pub use campaigns::{GetCampaignParams, ListCampaignsParams, UpdateCampaignParams};
pub use connections::{ListConnectionsParams, TestConnectionParams};
pub use content::AttachParams;
pub use delivery::{ActionParams, LaunchConfirmation, LaunchParams};
pub use performance::{ChangeSetParams, PerformanceParams, SyncParams};
pub use prompts::{BriefArgs, ReviewArgs};
pub use usage::UsageParams;

use crate::service::AdsService;

type Ctx = RequestContext<RoleServer>;

/// The ads MCP server.
#[derive(Clone)]
pub struct AdsServer {
    svc: AdsService,
    tools: Arc<ToolRouter<Self>>,
    /// The toolsets served (empty: all): resources follow them.
    toolsets: Arc<Vec<String>>,
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
                "Submit campaigns (ads:write) and approve or reject them (ads:approve, four eyes)",
                Self::approval_tools(),
            ),
            Toolset::new(
                "delivery",
                "Launch, pause, resume and complete campaigns on the platforms (ads:launch)",
                Self::delivery_tools(),
            ),
            Toolset::new(
                "performance",
                "Delivery, pacing, metric sync and optimisation change sets (applied with ads:launch)",
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
            Toolset::new(
                "connections",
                "Each client's own platform accounts: list, set and test them (admin)",
                Self::connections_tools(),
            ),
            Toolset::new(
                "usage",
                "A client's ads plan and what it uses of it",
                Self::usage_tools(),
            ),
            audit_toolset(),
        ]
    }

    /// A server exposing the tools `toolsets`/`read_only` allow; callers
    /// without a verified token act as the auditor's local principal.
    pub fn new(
        svc: AdsService,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = select_tools(Self::toolsets(), toolsets, read_only)?;
        Ok(Self {
            svc,
            tools: Arc::new(tools),
            toolsets: Arc::new(toolsets.to_vec()),
            prompts: Arc::new(Self::prompt_router()),
            auditor,
        })
    }

    fn who(&self, ctx: &Ctx) -> Principal {
        Principal::of(ctx, self.auditor.local())
    }

    /// Whether `toolset` is served.
    fn serves(&self, toolset: &str) -> bool {
        self.toolsets.is_empty() || self.toolsets.iter().any(|t| t == toolset)
    }
}

impl ToolServer for AdsServer {
    fn tools(&self) -> &ToolRouter<Self> {
        &self.tools
    }
}

impl Audited for AdsServer {
    fn auditor(&self) -> &Auditor {
        &self.auditor
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
             completed (rejected → draft). Every tool names its scope (ads:read, ads:write, ads:approve, \
             ads:launch). Approval needs ads:approve and a person who neither created nor last edited the \
             campaign; launching, pausing, resuming, completing and applying change sets need ads:launch \
             (a change set never by its proposer) and stay within the spend caps and the client's plan (usage); \
             try launch_campaign with dry_run first. Every channel needs an attached approved creative, or the \
             approver's waiver, before approval and launch. Each client launches through its own platform \
             accounts (list_connections, set_connection, test_connection: admin), else the environment's; \
             results say sandbox: true where a platform has no credentials.",
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
        Ok(ListResourcesResult::with_all_items(resources::resources(
            &|t| self.serves(t),
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(&|t| self.serves(t)),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.read_audited(request, &context).await
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
                (
                    "connections",
                    vec![
                        "list_connections".to_owned(),
                        "set_connection".into(),
                        "test_connection".into(),
                    ]
                ),
                ("usage", vec!["usage".to_owned()]),
                ("audit", vec!["audit_query".to_owned()]),
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
            [
                "get_campaign",
                "get_campaign_performance",
                "list_campaigns",
                "usage"
            ]
        );
    }

    /// Every tool declares exactly the scope of the table (the
    /// README's tool table says the same), and consequential ones are
    /// annotated so the audit writes their intent first.
    #[test]
    fn every_tool_declares_its_scope() {
        use promptsales_server::call::declared_scope;
        use promptsales_shared::scope::Scope;
        let table: &[(Scope, &[&str])] = &[
            (
                Scope::AdsRead,
                &[
                    "get_campaign",
                    "get_campaign_performance",
                    "list_campaigns",
                    "usage",
                ],
            ),
            (
                Scope::AdsWrite,
                &[
                    "attach_content",
                    "create_campaign",
                    "generate_campaign",
                    "optimize_campaign",
                    "plan_budget",
                    "segment_audience",
                    "submit_for_approval",
                    "sync_metrics",
                    "update_campaign",
                ],
            ),
            (Scope::AdsApprove, &["approve_campaign", "reject_campaign"]),
            (
                Scope::AdsLaunch,
                &[
                    "apply_change_set",
                    "complete_campaign",
                    "launch_campaign",
                    "pause_campaign",
                    "resume_campaign",
                    "rollback_change_set",
                ],
            ),
            (
                Scope::Admin,
                &[
                    "audit_query",
                    "list_connections",
                    "set_connection",
                    "test_connection",
                ],
            ),
        ];
        let all = select_tools(AdsServer::toolsets(), &[], false).unwrap();
        let tools = all.list_all();
        assert_eq!(
            tools.len(),
            table.iter().map(|(_, t)| t.len()).sum::<usize>()
        );
        for t in &tools {
            let want = table
                .iter()
                .find(|(_, names)| names.contains(&t.name.as_ref()))
                .map(|(s, _)| *s);
            assert_eq!(declared_scope(t), want, "{}", t.name);
        }
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
            ("approve_campaign", "whatsapp"),
            ("set_connection", "google_ads"),
            ("test_connection", "sms"),
        ] {
            let s = schema(tool);
            assert!(s.contains(&format!("\"{value}\"")), "{tool}: {s}");
        }
    }
}
