//! The MCP surface of the CRM context: thin tools over [`CrmService`], one
//! file per toolset (each a `#[tool_router]` block with its parameter
//! types), plus the resources and prompts.

mod consent;
mod conversations;
mod intent;
mod leads;
mod privacy;
mod prompts;
mod resources;
mod sales;
mod sellers;

use std::sync::Arc;

use promptsales_server::auth::Principal;
use promptsales_server::error::rpc_error;
use promptsales_server::server::{Auditor, ServeError, Toolset, call_tool_audited, select_tools};
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, prompt_handler, tool_handler};
use schemars::JsonSchema;
use serde::Deserialize;

pub use consent::{RecordConsentParams, SuppressParams};
pub use conversations::{KbEntryParams, LogInteractionParams, SendMessageParams};
pub use leads::{
    AdvanceStageParams, MarkLostParams, RegisterLeadParams, SearchLeadsParams, UpdateLeadParams,
};
pub use prompts::{LeadPromptArgs, ObjectionArgs};
pub use sales::RecordSaleParams;
pub use sellers::{
    AssignLeadParams, FollowUpsParams, ListSellersParams, SellerList, UpsertSellerParams,
};

use crate::service::CrmService;

type Ctx = RequestContext<RoleServer>;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LeadIdParams {
    /// Lead id, e.g. `lead_00042`.
    pub lead_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

/// The CRM MCP server.
#[derive(Clone)]
pub struct CrmServer {
    svc: CrmService,
    local: Principal,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
}

impl CrmServer {
    /// The tool groups of `--toolsets`: the one place they are listed.
    pub fn toolsets() -> Vec<Toolset<Self>> {
        vec![
            Toolset::new(
                "leads",
                "Register, find, score and move leads through the funnel",
                Self::leads_tools(),
            ),
            Toolset::new(
                "intent",
                "Predict purchase intent from the tenant's own history",
                Self::intent_tools(),
            ),
            Toolset::new(
                "conversations",
                "Log interactions, draft replies from the knowledge base and send messages",
                Self::conversations_tools(),
            ),
            Toolset::new(
                "consent",
                "The consent and suppression ledger across email, SMS and WhatsApp",
                Self::consent_tools(),
            ),
            Toolset::new(
                "sellers",
                "The sales team: assignment, metrics and follow-up alerts",
                Self::sellers_tools(),
            ),
            Toolset::new("sales", "Record closed sales", Self::sales_tools()),
            Toolset::new(
                "privacy",
                "GDPR export and erasure of a person's data",
                Self::privacy_tools(),
            ),
        ]
    }

    /// A server exposing the tools `toolsets`/`read_only` allow; `local` is
    /// the caller over stdio (HTTP tokens carry their own).
    pub fn new(
        svc: CrmService,
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
impl ServerHandler for CrmServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("mcp-crm", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "PromptCRM: leads from every source to a closed sale. register_lead deduplicates by \
             email/phone; leads are scored 0-100 with reasons and move iql → mql (40) → sql (70) → \
             customer, or lost. Messages go out only through send_message, which checks the consent \
             and suppression ledger. Personal data is encrypted at rest; gdpr_export_lead and \
             gdpr_erase_lead serve data-subject requests.",
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
            .map_err(|e| match e {
                resources::ReadError::Unknown(m) => ErrorData::resource_not_found(m, None),
                resources::ReadError::App(e) => rpc_error(e),
            })?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, request.uri.clone()).with_mime_type("application/json"),
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
        let sets = CrmServer::toolsets();
        let names: Vec<(&str, Vec<String>)> =
            sets.iter().map(|s| (s.name, s.tool_names())).collect();
        let expected: &[(&str, &[&str])] = &[
            (
                "leads",
                &[
                    "advance_stage",
                    "get_lead",
                    "mark_lost",
                    "register_lead",
                    "score_lead",
                    "search_leads",
                    "update_lead",
                ],
            ),
            ("intent", &["predict_purchase_intent", "train_intent_model"]),
            (
                "conversations",
                &[
                    "log_interaction",
                    "send_message",
                    "suggest_reply",
                    "upsert_kb_entry",
                ],
            ),
            ("consent", &["record_consent", "suppress"]),
            (
                "sellers",
                &[
                    "assign_lead",
                    "follow_ups_due",
                    "list_sellers",
                    "seller_metrics",
                    "upsert_seller",
                ],
            ),
            ("sales", &["record_sale"]),
            ("privacy", &["gdpr_erase_lead", "gdpr_export_lead"]),
        ];
        assert_eq!(names.len(), expected.len());
        for ((name, tools), (want, want_tools)) in names.iter().zip(expected) {
            assert_eq!(name, want);
            assert_eq!(tools, want_tools, "{name}");
        }
    }

    /// Closed vocabularies are published as inline enums where the argument
    /// is, so hosts and the argument check see the allowed values.
    #[test]
    fn closed_vocabularies_are_enums_in_the_schemas() {
        let router = select_tools(CrmServer::toolsets(), &[], false).unwrap();
        let tools = router.list_all();
        let prop = |tool: &str, arg: &str| {
            let t = tools.iter().find(|t| t.name == tool).unwrap();
            serde_json::to_string(&t.input_schema["properties"][arg]).unwrap()
        };
        for (tool, arg, value) in [
            ("register_lead", "channel", "google_ads"),
            ("register_lead", "language", "es"),
            ("update_lead", "language", "en"),
            ("search_leads", "stage", "customer"),
            ("search_leads", "channel", "whatsapp"),
            ("advance_stage", "stage", "sql"),
            ("log_interaction", "channel", "web"),
            ("log_interaction", "direction", "out"),
            ("send_message", "channel", "sms"),
            ("upsert_kb_entry", "language", "es"),
            ("record_consent", "channel", "email"),
            ("suppress", "channel", "all"),
            ("assign_lead", "strategy", "round_robin"),
        ] {
            let p = prop(tool, arg);
            assert!(
                p.contains("\"enum\"") && p.contains(&format!("\"{value}\"")),
                "{tool}.{arg}: {p}"
            );
        }
        // The published enum is what the call-time argument check uses.
        let check = |tool: &str, args: serde_json::Value| {
            let t = tools.iter().find(|t| t.name == tool).unwrap();
            let args = args.as_object().unwrap().clone();
            promptsales_server::args::check_vocabulary(&t.input_schema, &args)
        };
        let e = check(
            "assign_lead",
            serde_json::json!({"lead_id": "lead_1", "strategy": "random"}),
        )
        .unwrap_err();
        assert!(e.contains("`strategy`") && e.contains("by_country"), "{e}");
        let e = check(
            "search_leads",
            serde_json::json!({"stage": "hot", "channel": "meta"}),
        )
        .unwrap_err();
        assert!(e.contains("`stage`"), "{e}");
        assert!(
            check(
                "suppress",
                serde_json::json!({"lead_id": "lead_1", "source": "x"})
            )
            .is_ok()
        );
    }
}
