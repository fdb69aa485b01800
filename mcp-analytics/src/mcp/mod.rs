//! The MCP surface of the analytics context: thin tools over
//! [`AnalyticsService`], one file per toolset (`questions`, `pipeline`,
//! `catalog`, `usage`, and the kit's `audit`), plus the resources and
//! prompts.

mod catalog;
mod pipeline;
mod questions;
mod resources;
mod usage;

use std::sync::Arc;

use chrono::NaiveDate;
use promptsales_server::audit_tool::{Audited, audit_toolset};
use promptsales_server::auth::Principal;
use promptsales_server::call::ToolServer;
use promptsales_server::server::{Auditor, ServeError, Toolset, call_tool_audited, select_tools};
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::parse_date;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ProgressNotificationParam, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, RequestMetaObject,
    ResourceContents, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    ErrorData, Peer, RoleServer, ServerHandler, prompt, prompt_handler, prompt_router, tool_handler,
};
use schemars::JsonSchema;
use serde::Deserialize;

pub use catalog::ListProductsParams;
pub use questions::{AskParams, FunnelParams, QueryMetricsParams, ReportParams};
pub use usage::UsageParams;

use crate::service::AnalyticsService;

fn as_of(raw: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    raw.map(|d| parse_date("as_of", d)).transpose()
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WeeklyReportArgs {
    /// Client id, e.g. `cli_001`; all clients when absent.
    pub client_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PostmortemArgs {
    /// The campaign to review, e.g. `cmp_00042`.
    pub campaign_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExploreArgs {
    /// What to look into, e.g. "why did leads drop in Mexico".
    pub focus: Option<String>,
}

/// The analytics MCP server.
#[derive(Clone)]
pub struct AnalyticsServer {
    svc: AnalyticsService,
    tenant: TenantId,
    tools: Arc<ToolRouter<Self>>,
    prompts: Arc<PromptRouter<Self>>,
    /// The resources of the selected toolsets.
    resources: Arc<Vec<&'static resources::ResourceDef>>,
    auditor: Auditor,
}

impl ToolServer for AnalyticsServer {
    fn tools(&self) -> &ToolRouter<Self> {
        &self.tools
    }
}

impl Audited for AnalyticsServer {
    fn auditor(&self) -> &Auditor {
        &self.auditor
    }
}

/// A sender of `(step, total, message)` progress and the task forwarding
/// it to the client as notifications (when the request carries a progress
/// token). The task ends once the sender is dropped.
fn forward_progress(
    peer: Peer<RoleServer>,
    meta: RequestMetaObject,
) -> (
    impl Fn(u32, u32, String) + Send + Sync + 'static,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32, String)>();
    let forward = tokio::spawn(async move {
        while let Some((step, total, message)) = rx.recv().await {
            if let Some(token) = meta.get_progress_token() {
                let _ = peer
                    .notify_progress(
                        ProgressNotificationParam::new(token, f64::from(step))
                            .with_total(f64::from(total))
                            .with_message(message),
                    )
                    .await;
            }
        }
    });
    let send = move |step: u32, total: u32, message: String| {
        let _ = tx.send((step, total, message));
    };
    (send, forward)
}

impl AnalyticsServer {
    /// The tool groups of `--toolsets`: the one place they are listed.
    pub fn toolsets() -> Vec<Toolset<Self>> {
        vec![
            Toolset::new(
                "questions",
                "Ask about performance, sales, reach, channels and geography",
                Self::questions_tools(),
            ),
            Toolset::new(
                "pipeline",
                "Sync the warehouse from the sub-companies and inspect it",
                Self::pipeline_tools(),
            ),
            Toolset::new(
                "catalog",
                "The agency's clients and their products",
                Self::catalog_tools(),
            ),
            Toolset::new(
                "usage",
                "What a client used of its analytics plan this month, against its limits",
                Self::usage_tools(),
            ),
            audit_toolset(),
        ]
    }

    /// A server exposing the tools `toolsets`/`read_only` allow.
    pub fn new(
        svc: AnalyticsService,
        tenant: TenantId,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = select_tools(Self::toolsets(), toolsets, read_only)?;
        Ok(Self {
            svc,
            tenant,
            tools: Arc::new(tools),
            prompts: Arc::new(Self::prompt_router()),
            resources: Arc::new(resources::selected(toolsets)),
            auditor,
        })
    }

    /// The caller of a request (token principal over HTTP, the local actor
    /// over stdio).
    fn caller(&self, context: &RequestContext<RoleServer>) -> Principal {
        Principal::of(context, self.auditor.local())
    }
}

#[prompt_router]
impl AnalyticsServer {
    #[prompt(
        description = "Write the weekly performance report for a client (or all clients): wins, risks and next actions."
    )]
    async fn weekly_report(
        &self,
        Parameters(a): Parameters<WeeklyReportArgs>,
    ) -> Vec<PromptMessage> {
        let scope = a
            .client_id
            .map(|c| format!(" for client `{c}` (pass client_id)"))
            .unwrap_or_default();
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Call the `report` tool{scope} with time_range {{\"type\": \"last_n_days\", \"days\": 7}}. \
                 From its Markdown, write a one-page weekly report: three wins, three risks (falling ROAS, \
                 rising cost per lead, channels with spend but no sales) and three concrete next actions. \
                 Quote figures exactly as reported, keep each currency separate, and state the data freshness."
            ),
        )]
    }

    #[prompt(
        description = "Review one campaign after it ran: delivery, cost, leads and sales, what worked and what to change."
    )]
    async fn campaign_postmortem(
        &self,
        Parameters(a): Parameters<PostmortemArgs>,
    ) -> Vec<PromptMessage> {
        let c = a.campaign_id;
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Review campaign `{c}`. Use `query_metrics` with a filter {{\"field\": \"campaign\", \"op\": \"eq\", \"value\": \"{c}\"}}: \
                 first metrics spend, impressions, clicks, ctr, conversions, leads, cpl, revenue, roas with no dimension; \
                 then the same by channel and by week; then `funnel` with the same filter. \
                 Explain what worked, what did not, and what to change next time, citing the numbers."
            ),
        )]
    }

    #[prompt(
        description = "Explore performance with the analytics tools, starting from a question or a hunch."
    )]
    async fn explore_performance(
        &self,
        Parameters(a): Parameters<ExploreArgs>,
    ) -> Vec<PromptMessage> {
        let focus = a
            .focus
            .unwrap_or_else(|| "where the last month's money was best and worst spent".into());
        vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Explore: {focus}. Start with `describe_metrics` to see what can be asked, then use `ask` \
                 (English or Spanish) or `query_metrics` for precise cuts — by channel, country, campaign, \
                 month — and `compare_to` previous_period to see changes. Check `analytics://freshness` first \
                 and say how current the data is."
            ),
        )]
    }
}

#[tool_handler(router = self.tools)]
#[prompt_handler(router = self.prompts)]
impl ServerHandler for AnalyticsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new(
            "mcp-analytics",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "PromptSales analytics: ask questions in English or Spanish with `ask`, or run typed \
             queries with `query_metrics`. Every answer carries its query, SQL and data freshness. \
             Money is reported per currency.",
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
        Ok(ListResourcesResult::with_all_items(
            self.resources
                .iter()
                .filter(|r| !r.template)
                .map(|r| r.listing())
                .collect(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.resources
                .iter()
                .filter(|r| r.template)
                .map(|r| r.template_listing())
                .collect(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let who = self.caller(&context);
        let body = self.read_resource_as(&who, request.uri.as_str()).await?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }
}

#[cfg(test)]
mod tests {
    use promptsales_server::args::check_vocabulary;
    use serde_json::{Value, json};

    use super::*;

    fn router() -> ToolRouter<AnalyticsServer> {
        select_tools(AnalyticsServer::toolsets(), &[], false).unwrap()
    }

    fn check(tool: &str, args: Value) -> Result<(), String> {
        let router = router();
        let t = router.get(tool).unwrap();
        check_vocabulary(&t.input_schema, args.as_object().unwrap())
    }

    /// Every tool belongs to exactly one toolset, with the names hosts
    /// have been configured with.
    #[test]
    fn toolsets_partition_the_tools() {
        let names: Vec<(&str, Vec<String>)> = AnalyticsServer::toolsets()
            .iter()
            .map(|s| (s.name, s.tool_names()))
            .collect();
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            names,
            [
                (
                    "questions",
                    owned(&[
                        "ask",
                        "describe_metrics",
                        "funnel",
                        "query_metrics",
                        "report"
                    ])
                ),
                (
                    "pipeline",
                    owned(&["refresh_fx_rates", "sync", "sync_status"])
                ),
                ("catalog", owned(&["list_clients", "list_products"])),
                ("usage", owned(&["usage"])),
                ("audit", owned(&["audit_query"])),
            ]
        );
        let ro = select_tools(AnalyticsServer::toolsets(), &[], true).unwrap();
        assert!(ro.get("sync").is_none() && ro.get("ask").is_some());
        assert!(ro.get("sync_status").is_some());
    }

    /// Every tool declares the scope the README's table gives it.
    #[test]
    fn every_tool_declares_its_scope() {
        use promptsales_server::call::declared_scope;
        use promptsales_shared::scope::Scope;
        let router = router();
        let mut scopes: Vec<(String, Scope)> = router
            .list_all()
            .iter()
            .map(|t| (t.name.to_string(), declared_scope(t).unwrap()))
            .collect();
        scopes.sort_by(|a, b| a.0.cmp(&b.0));
        let want = [
            ("ask", Scope::AnalyticsRead),
            ("audit_query", Scope::Admin),
            ("describe_metrics", Scope::AnalyticsRead),
            ("funnel", Scope::AnalyticsRead),
            ("list_clients", Scope::AnalyticsRead),
            ("list_products", Scope::AnalyticsRead),
            ("query_metrics", Scope::AnalyticsRead),
            ("refresh_fx_rates", Scope::AnalyticsWrite),
            ("report", Scope::AnalyticsRead),
            ("sync", Scope::AnalyticsWrite),
            ("sync_status", Scope::AnalyticsRead),
            ("usage", Scope::AnalyticsRead),
        ];
        let want: Vec<(String, Scope)> = want.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect();
        assert_eq!(scopes, want);
    }

    /// Closed vocabularies are inline enums where the argument is, so
    /// hosts see the values and the server can name them on a bad call.
    #[test]
    fn vocabularies_are_inline_enums_in_the_published_schemas() {
        let router = router();
        let spec = Value::Object(
            router
                .get("query_metrics")
                .unwrap()
                .input_schema
                .as_ref()
                .clone(),
        );
        let text = spec.to_string();
        for name in ["Metric", "Dimension", "FilterOp", "Direction", "Compare"] {
            assert!(
                !text.contains(&format!("#/$defs/{name}\"")),
                "{name} is a $ref: {text}"
            );
        }
        for word in [
            "\"roas\"",
            "\"quarter\"",
            "\"not_in\"",
            "\"desc\"",
            "\"same_period_last_year\"",
            "\"last_quarter\"",
            "\"last_n_days\"",
        ] {
            assert!(text.contains(word), "{word} missing from {text}");
        }
    }

    #[test]
    fn valid_calls_pass_the_vocabulary_check() {
        let spec = json!({
            "metrics": ["revenue", "ROAS"],
            "dimensions": ["channel", "month"],
            "filters": [
                {"field": "country", "op": "in", "value": ["MX", "CO"]},
                {"field": "roas", "op": "gt", "value": 1.5}
            ],
            "compare_to": "previous_period",
            "order_by": [{"field": "roas", "direction": "desc"}],
            "limit": 10
        });
        assert_eq!(check("query_metrics", json!({ "spec": spec })), Ok(()));
        for range in [
            json!({"type": "absolute", "from": "2026-01-01", "to": "2026-01-31"}),
            json!({"type": "relative", "period": "last_quarter"}),
            json!({"type": "last_n_days", "days": 30}),
            json!({"type": "month", "month": 3}),
            json!({"type": "quarter", "quarter": 3, "year": 2026}),
            json!({"type": "year", "year": 2026}),
        ] {
            let spec = json!({"metrics": ["leads"], "time_range": range});
            assert_eq!(
                check("query_metrics", json!({ "spec": spec })),
                Ok(()),
                "{range}"
            );
            assert_eq!(
                check("report", json!({ "time_range": range })),
                Ok(()),
                "{range}"
            );
        }
        assert_eq!(
            check(
                "funnel",
                json!({"dimensions": ["channel"], "filters": [{"field": "country", "op": "eq", "value": "MX"}]})
            ),
            Ok(())
        );
    }

    #[test]
    fn a_value_outside_a_vocabulary_names_the_path_and_the_choices() {
        let e = check("query_metrics", json!({"spec": {"metrics": ["profit"]}})).unwrap_err();
        assert!(
            e.contains("`spec.metrics`") && e.contains("revenue") && e.contains("profit"),
            "{e}"
        );
        let e = check(
            "query_metrics",
            json!({"spec": {"metrics": ["leads"], "dimensions": ["colour"]}}),
        )
        .unwrap_err();
        assert!(
            e.contains("`spec.dimensions`") && e.contains("quarter"),
            "{e}"
        );
        let e = check(
            "query_metrics",
            json!({"spec": {"metrics": ["leads"], "compare_to": "last_week"}}),
        )
        .unwrap_err();
        assert!(
            e.contains("`spec.compare_to`") && e.contains("previous_period"),
            "{e}"
        );
        let e = check(
            "query_metrics",
            json!({"spec": {"metrics": ["leads"], "filters": [{"field": "country", "op": "like", "value": "M"}]}}),
        )
        .unwrap_err();
        assert!(
            e.contains("`spec.filters.op`") && e.contains("not_in"),
            "{e}"
        );
        let e = check(
            "query_metrics",
            json!({"spec": {"metrics": ["leads"], "filters": [{"field": "colour", "op": "eq", "value": "red"}]}}),
        )
        .unwrap_err();
        assert!(
            e.contains("`spec.filters.field`") && e.contains("country"),
            "{e}"
        );
        let e = check(
            "query_metrics",
            json!({"spec": {"metrics": ["leads"], "dimensions": ["channel"], "order_by": [{"field": "leads", "direction": "up"}]}}),
        )
        .unwrap_err();
        assert!(
            e.contains("`spec.order_by.direction`") && e.contains("asc"),
            "{e}"
        );
        let e = check(
            "report",
            json!({"time_range": {"type": "relative", "period": "last_decade"}}),
        )
        .unwrap_err();
        assert!(e.contains("last_quarter"), "{e}");
        let e = check("funnel", json!({"dimensions": ["height"]})).unwrap_err();
        assert!(e.contains("`dimensions`") && e.contains("channel"), "{e}");
    }
}
