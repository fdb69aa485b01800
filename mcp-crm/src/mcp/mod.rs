//! The MCP surface of the CRM context: thin tools over [`CrmService`], one
//! file per toolset (each a `#[tool_router]` block with its parameter
//! types, every tool declaring the scope it needs), plus the audit toolset,
//! the resources (scoped, audited, served with their toolset) and prompts.

mod connections;
mod consent;
mod conversations;
mod intent;
mod leads;
mod privacy;
mod prompts;
mod resources;
mod sales;
mod sellers;
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
    ReadResourceResult, ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, prompt_handler, tool_handler};
use schemars::JsonSchema;
use serde::Deserialize;

pub use connections::{ListConnectionsParams, SetConnectionParams, TestConnectionParams};
pub use consent::{RecordConsentParams, SuppressParams};
pub use conversations::{KbEntryParams, LogInteractionParams, SendMessageParams};
pub use leads::{
    AdvanceStageParams, MarkLostParams, RegisterLeadParams, SearchLeadsParams, UpdateLeadParams,
};
pub use privacy::EraseLeadParams;
pub use prompts::{LeadPromptArgs, ObjectionArgs};
pub use sales::RecordSaleParams;
pub use sellers::{
    AssignLeadParams, FollowUpsParams, ListSellersParams, SellerList, SellerMetricsParams,
    UpsertSellerParams,
};
pub use usage::UsageParams;

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
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    auditor: Auditor,
    /// The toolsets `--toolsets` selected (empty: all); resources are
    /// served only with theirs.
    toolsets: Arc<Vec<String>>,
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
                "The sales team: assignment within capacity, metrics and the morning digest",
                Self::sellers_tools(),
            ),
            Toolset::new("sales", "Record closed sales", Self::sales_tools()),
            Toolset::new(
                "privacy",
                "GDPR export and erasure of a person's data, across clients",
                Self::privacy_tools(),
            ),
            Toolset::new(
                "connections",
                "Each client's own WhatsApp number: list, set and test (admin)",
                Self::connections_tools(),
            ),
            Toolset::new(
                "usage",
                "What a client uses of its crm plan",
                Self::usage_tools(),
            ),
            audit_toolset(),
        ]
    }

    /// A server exposing the tools `toolsets`/`read_only` allow. Over stdio
    /// the caller is the auditor's local principal (HTTP tokens carry
    /// their own).
    pub fn new(
        svc: CrmService,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = select_tools(Self::toolsets(), toolsets, read_only)?;
        Ok(Self {
            svc,
            tools: Arc::new(tools),
            prompts: Arc::new(Self::prompt_router()),
            auditor,
            toolsets: Arc::new(toolsets.to_vec()),
        })
    }

    fn who(&self, ctx: &Ctx) -> Principal {
        Principal::of(ctx, self.auditor.local())
    }

    /// Whether the toolset named `name` is served.
    fn serves(&self, name: &str) -> bool {
        self.toolsets.is_empty() || self.toolsets.iter().any(|t| t == name)
    }
}

impl ToolServer for CrmServer {
    fn tools(&self) -> &ToolRouter<Self> {
        &self.tools
    }
}

impl Audited for CrmServer {
    fn auditor(&self) -> &Auditor {
        &self.auditor
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
            "PromptCRM: leads from every source to a closed sale, each lead a client's. \
             register_lead deduplicates by email/phone within the client (the same person for \
             another client is another lead); leads are scored 0-100 with reasons and move iql → \
             mql (40) → sql (70) → customer, or lost. Knowledge-base answers belong to a client \
             (or are explicitly tenant-wide) and suggest_reply uses only the lead's client's. \
             Messages go out only through send_message (crm:send), which checks the consent and \
             suppression ledger (changed with crm:consent; an opt-out covers the person for every \
             client), from the client's own WhatsApp number when connected (connections, admin). \
             Clients' plans limit leads stored, seats and messages per month (usage). \
             follow_ups_due is the morning digest per seller and client. Personal data is \
             encrypted at rest; gdpr_export_lead and gdpr_erase_lead (crm:gdpr) serve \
             data-subject requests for every lead of the person. Every tool and resource declares \
             its scope under _meta.promptsales/scope.",
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
            |t| self.serves(t),
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(|t| self.serves(t)),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.who(&context);
        let body = self.read_audited(request.uri.as_str(), &who).await?;
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
            (
                "connections",
                &["list_connections", "set_connection", "test_connection"],
            ),
            ("usage", &["usage"]),
            ("audit", &["audit_query"]),
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
            ("set_connection", "channel", "whatsapp"),
            ("test_connection", "channel", "whatsapp"),
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

    /// Every tool declares the scope the issue assigns it; privileged
    /// ones are left out of `--read-only`, reads stay.
    #[test]
    fn every_tool_declares_its_scope_and_read_only_lists_no_privileged_one() {
        use promptsales_server::call::declared_scope;
        use promptsales_shared::scope::Scope;
        let expected: &[(&str, Scope)] = &[
            ("get_lead", Scope::CrmRead),
            ("search_leads", Scope::CrmRead),
            ("predict_purchase_intent", Scope::CrmRead),
            ("suggest_reply", Scope::CrmRead),
            ("list_sellers", Scope::CrmRead),
            ("seller_metrics", Scope::CrmRead),
            ("follow_ups_due", Scope::CrmRead),
            ("usage", Scope::CrmRead),
            ("register_lead", Scope::CrmWrite),
            ("update_lead", Scope::CrmWrite),
            ("advance_stage", Scope::CrmWrite),
            ("mark_lost", Scope::CrmWrite),
            ("score_lead", Scope::CrmWrite),
            ("log_interaction", Scope::CrmWrite),
            ("upsert_kb_entry", Scope::CrmWrite),
            ("upsert_seller", Scope::CrmWrite),
            ("assign_lead", Scope::CrmWrite),
            ("record_sale", Scope::CrmWrite),
            ("train_intent_model", Scope::CrmWrite),
            ("send_message", Scope::CrmSend),
            ("record_consent", Scope::CrmConsent),
            ("suppress", Scope::CrmConsent),
            ("gdpr_export_lead", Scope::CrmGdpr),
            ("gdpr_erase_lead", Scope::CrmGdpr),
            ("list_connections", Scope::Admin),
            ("set_connection", Scope::Admin),
            ("test_connection", Scope::Admin),
            ("audit_query", Scope::Admin),
        ];
        let all = select_tools(CrmServer::toolsets(), &[], false)
            .unwrap()
            .list_all();
        assert_eq!(all.len(), expected.len());
        for (name, scope) in expected {
            let t = all.iter().find(|t| t.name == *name).unwrap();
            assert_eq!(declared_scope(t), Some(*scope), "{name}");
        }
        let erase = all.iter().find(|t| t.name == "gdpr_erase_lead").unwrap();
        assert_eq!(
            erase.annotations.as_ref().and_then(|a| a.destructive_hint),
            Some(true)
        );
        let ro: Vec<String> = select_tools(CrmServer::toolsets(), &[], true)
            .unwrap()
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        for hidden in [
            "gdpr_export_lead",
            "gdpr_erase_lead",
            "send_message",
            "record_consent",
            "suppress",
            "register_lead",
            "list_connections",
            "set_connection",
            "test_connection",
        ] {
            assert!(
                !ro.iter().any(|n| n == hidden),
                "{hidden} under --read-only"
            );
        }
        for shown in [
            "get_lead",
            "search_leads",
            "suggest_reply",
            "follow_ups_due",
            "usage",
        ] {
            assert!(
                ro.iter().any(|n| n == shown),
                "{shown} missing under --read-only"
            );
        }
    }

    /// Resources check `crm:read`, are audited as `resource:<uri>`, and
    /// exist only with their toolset.
    #[tokio::test]
    async fn resources_are_scoped_audited_and_follow_the_toolsets() {
        use promptsales_server::auth::Principal;
        use promptsales_shared::audit::AuditLog;
        use promptsales_shared::domain::TenantId;

        use crate::crypto::Crypto;
        use crate::store::CrmStore;

        for t in promptsales_shared::testing::backends(&crm_read::MIGRATIONS)
            .await
            .unwrap()
        {
            let tenant = TenantId::parse("res").unwrap();
            let reader = Principal::new("rita", tenant.clone(), ["crm:read"]);
            let writer = Principal::new("walt", tenant.clone(), ["crm:write"]);
            let auditor =
                Auditor::spawn(AuditLog::new(t.db.clone()), "mcp-crm", reader.clone(), 90);
            let svc = CrmService::new(
                CrmStore::new(t.db.clone()),
                Crypto::new(&[6u8; 32]).unwrap(),
            );
            let server = |sets: &[&str]| {
                let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
                CrmServer::new(svc.clone(), auditor.clone(), &sets, false).unwrap()
            };
            let all = server(&[]);
            let body = all.read_audited("crm://pipeline", &reader).await.unwrap();
            assert!(body.contains("thresholds"));
            let e = all
                .read_audited("crm://pipeline", &writer)
                .await
                .unwrap_err();
            assert!(
                e.message.contains("`crm:read`") && e.message.contains("walt"),
                "{e:?}"
            );
            let e = all
                .read_audited("crm://leads/lead_none", &writer)
                .await
                .unwrap_err();
            assert!(e.message.contains("`crm:read`"), "scope first: {e:?}");
            let sellers_only = server(&["sellers"]);
            assert!(
                sellers_only
                    .read_audited("crm://sellers", &reader)
                    .await
                    .is_ok()
            );
            let e = sellers_only
                .read_audited("crm://leads/lead_1", &reader)
                .await
                .unwrap_err();
            assert!(e.message.contains("not selected"), "{e:?}");
            let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT actor, tool, outcome, error_kind FROM audit_log WHERE tool LIKE 'resource:%' ORDER BY id",
            )
            .fetch_all(t.db.pool())
            .await
            .unwrap();
            let pipeline = "resource:crm://pipeline".to_owned();
            assert_eq!(
                rows[..2],
                [
                    ("rita".into(), pipeline.clone(), "ok".into(), None),
                    (
                        "walt".into(),
                        pipeline,
                        "protocol_error".into(),
                        Some("permission_denied".into())
                    ),
                ],
                "{}",
                t.label()
            );
            assert_eq!(rows.len(), 5);
            t.cleanup().await;
        }
    }
}
