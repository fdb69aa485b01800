//! The MCP surface of the analytics context: thin tools, resources and
//! prompts over [`AnalyticsService`].

use std::sync::Arc;

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::server::{Auditor, ServeError, Toolset, call_tool_audited, filter_router};
use promptsales_shared::time::parse_date;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourcesResult,
    PaginatedRequestParams, ProgressNotificationParam, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, RequestMetaObject, Resource, ResourceContents, Role,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    ErrorData, Peer, RoleServer, ServerHandler, prompt, prompt_handler, prompt_router, tool,
    tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::period::{RelativePeriod, TimeRange};
use crate::domain::semantic::{Dimension, SemanticModel};
use crate::domain::spec::{Filter, QuerySpec};
use crate::service::{
    AnalyticsService, AskResult, ClientList, FunnelResult, ProductList, QueryResult, ReportResult,
};
use crate::sync::{SyncReport, SyncStatus};

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "questions",
        description: "Ask about performance, sales, reach, channels and geography",
        tools: &[
            "ask",
            "query_metrics",
            "describe_metrics",
            "funnel",
            "report",
        ],
    },
    Toolset {
        name: "pipeline",
        description: "Sync the warehouse from the sub-companies and inspect it",
        tools: &["sync", "sync_status"],
    },
    Toolset {
        name: "catalog",
        description: "The agency's clients and their products",
        tools: &["list_clients", "list_products"],
    },
];

const SEMANTIC_URI: &str = "analytics://semantic-model";
const FRESHNESS_URI: &str = "analytics://freshness";

fn as_of(raw: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    raw.map(|d| parse_date("as_of", d)).transpose()
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AskParams {
    /// The question, in English or Spanish, e.g. "¿qué canal nos dio el
    /// mejor ROAS en México el trimestre pasado?"
    pub question: String,
    /// Answer as of this date (YYYY-MM-DD); default today.
    pub as_of: Option<String>,
    /// Restrict the answer to one client, e.g. `cli_001`.
    pub client_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct QueryMetricsParams {
    /// The typed query; see `describe_metrics` for the names.
    pub spec: QuerySpec,
    /// Resolve relative time ranges against this date (YYYY-MM-DD); default today.
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FunnelParams {
    /// Split the funnel by these dimensions (campaign, client, channel,
    /// country, city, objective or a time grain).
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// Leads created in this range; none means all time.
    pub time_range: Option<TimeRange>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// YYYY-MM-DD; default today.
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReportParams {
    /// The period; default last month.
    pub time_range: Option<TimeRange>,
    /// Only this client.
    pub client_id: Option<String>,
    /// YYYY-MM-DD; default today.
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListProductsParams {
    /// Only this client's products, e.g. `cli_001`.
    pub client_id: Option<String>,
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
    auditor: Auditor,
}

async fn notify(
    peer: &Peer<RoleServer>,
    meta: &RequestMetaObject,
    step: u32,
    total: u32,
    message: &str,
) {
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

#[tool_router]
impl AnalyticsServer {
    /// A server exposing the tools `toolsets`/`read_only` allow.
    pub fn new(
        svc: AnalyticsService,
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
            prompts: Arc::new(Self::prompt_router()),
            auditor,
        })
    }

    #[tool(
        description = "Answer a question about performance, sales, reach, channels or geography in English or Spanish. Returns the answer sentence, the typed query it ran, columns and rows, the SQL, data freshness and whether it was cached. Questions it cannot map are refused with what it understood and suggested rephrasings.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn ask(&self, Parameters(p): Parameters<AskParams>) -> Result<Json<AskResult>, AppError> {
        self.svc
            .ask(
                &self.tenant,
                &p.question,
                as_of(p.as_of.as_deref())?,
                p.client_id.as_deref(),
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Run a typed query: metrics, dimensions (incl. day/week/month/quarter/year), filters (eq, in, not_in on dimensions; gt, gte, lt, lte on metric values), time_range, compare_to (previous_period | same_period_last_year), order_by, limit (max 1000).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn query_metrics(
        &self,
        Parameters(p): Parameters<QueryMetricsParams>,
    ) -> Result<Json<QueryResult>, AppError> {
        self.svc
            .query_metrics(&self.tenant, p.spec, as_of(p.as_of.as_deref())?)
            .await
            .map(Json)
    }

    #[tool(
        description = "The semantic model: every metric (definition, unit, synonyms in English and Spanish) and dimension, and the time and currency rules.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn describe_metrics(&self) -> Result<Json<SemanticModel>, AppError> {
        Ok(Json(self.svc.semantic_model()))
    }

    #[tool(
        description = "Lead funnel: leads → MQL → SQL → customer counts and stage-to-stage rates, by any dimension leads have.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn funnel(
        &self,
        Parameters(p): Parameters<FunnelParams>,
    ) -> Result<Json<FunnelResult>, AppError> {
        self.svc
            .funnel(
                &self.tenant,
                p.dimensions,
                p.time_range,
                p.filters,
                as_of(p.as_of.as_deref())?,
            )
            .await
            .map(Json)
    }

    #[tool(
        description = "Period performance report in Markdown: totals and change vs the previous period, top and bottom 5 campaigns, channel and country mix. Sends progress notifications when given a progress token.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn report(
        &self,
        Parameters(p): Parameters<ReportParams>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ReportResult>, AppError> {
        let range = p.time_range.unwrap_or(TimeRange::Relative {
            period: RelativePeriod::LastMonth,
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32, String)>();
        let forward = {
            let peer = peer.clone();
            let meta = meta.clone();
            tokio::spawn(async move {
                while let Some((step, total, msg)) = rx.recv().await {
                    notify(&peer, &meta, step, total, &msg).await;
                }
            })
        };
        let progress = move |step: u32, total: u32, msg: &str| {
            let _ = tx.send((step, total, msg.to_owned()));
        };
        let r = self
            .svc
            .report(
                &self.tenant,
                range,
                p.client_id.as_deref(),
                as_of(p.as_of.as_deref())?,
                Some(&progress),
            )
            .await;
        drop(progress);
        let _ = forward.await;
        r.map(Json)
    }

    #[tool(
        description = "Sync the warehouse from the ads, CRM and catalogue tables (delta by watermark; a re-run with no source change writes nothing). Sends progress notifications when given a progress token.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn sync(
        &self,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<SyncReport>, AppError> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32, String)>();
        let forward = {
            let peer = peer.clone();
            let meta = meta.clone();
            tokio::spawn(async move {
                while let Some((step, total, msg)) = rx.recv().await {
                    notify(&peer, &meta, step, total, &msg).await;
                }
            })
        };
        // One notification per committed batch; progress counts tables.
        let progress = move |p: crate::sync::SyncProgress| {
            let _ = tx.send((
                p.table_index as u32,
                p.table_count as u32,
                format!(
                    "{}: {} rows read, {} written",
                    p.table, p.rows_read, p.rows_written
                ),
            ));
        };
        let r = self.svc.sync(&self.tenant, Some(&progress)).await;
        drop(progress);
        let _ = forward.await;
        r.map(Json)
    }

    #[tool(
        description = "Watermark, last run and row counts of every source table, and the warehouse's data version and last sync time.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn sync_status(&self) -> Result<Json<SyncStatus>, AppError> {
        self.svc.sync_status(&self.tenant).await.map(Json)
    }

    #[tool(
        description = "List the agency's clients: id, name, industry and country (ISO code), by id.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_clients(&self) -> Result<Json<ClientList>, AppError> {
        self.svc.list_clients(&self.tenant).await.map(Json)
    }

    #[tool(
        description = "List products (id, client, name, category, unit price in hundredths of its ISO-4217 currency), optionally of one client, by id.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_products(
        &self,
        Parameters(p): Parameters<ListProductsParams>,
    ) -> Result<Json<ProductList>, AppError> {
        self.svc
            .list_products(&self.tenant, p.client_id.as_deref())
            .await
            .map(Json)
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
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(SEMANTIC_URI, "semantic-model")
                .with_title("Semantic model")
                .with_description("Metrics and dimensions with definitions, SQL and synonyms")
                .with_mime_type("application/json"),
            Resource::new(FRESHNESS_URI, "freshness")
                .with_title("Data freshness")
                .with_description(
                    "Warehouse data version, last sync and watermarks per source table",
                )
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let body = match request.uri.as_str() {
            SEMANTIC_URI => serde_json::to_string_pretty(&self.svc.semantic_model()),
            FRESHNESS_URI => {
                let status = self.svc.sync_status(&self.tenant).await.map_err(ErrorData::from)?;
                serde_json::to_string_pretty(&status)
            }
            other => {
                return Err(ErrorData::resource_not_found(
                    format!("unknown resource {other}: this server has {SEMANTIC_URI} and {FRESHNESS_URI}"),
                    None,
                ));
            }
        }
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(body, request.uri.clone()).with_mime_type("application/json"),
        ])
        .into())
    }
}
