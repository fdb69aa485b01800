//! The `questions` toolset: ask in English or Spanish, typed queries, the
//! semantic model, the lead funnel and the period report.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::RequestMetaObject;
use rmcp::{Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AnalyticsServer, as_of, forward_progress};
use crate::domain::period::{RelativePeriod, TimeRange};
use crate::domain::semantic::{Dimension, SemanticModel};
use crate::domain::spec::{Filter, QuerySpec};
use crate::service::{AskResult, FunnelResult, QueryResult, ReportResult};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AskParams {
    /// The question, in English or Spanish, e.g. "¿qué canal nos dio el
    /// mejor ROAS en México el trimestre pasado?"
    pub question: String,
    /// Answer as of this date (YYYY-MM-DD); default today.
    pub as_of: Option<String>,
    /// Restrict the answer to one client, e.g. `cli_001`; the question
    /// then counts against that client's analytics plan (without it the
    /// question is agency-wide and counts against no client).
    pub client_id: Option<String>,
    /// The previous answer's `query`, to ask a follow-up ("¿y en México?",
    /// "and by channel?", "same for last year"): what the follow-up names
    /// replaces the same part of it, the rest is kept. Without it the
    /// question is read on its own.
    pub context: Option<QuerySpec>,
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
    /// Split the funnel by these dimensions: any a lead has (not product).
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
    /// The report's language: `en` (default) or `es`.
    pub language: Option<crate::domain::nl::Language>,
    /// The period; default last month.
    pub time_range: Option<TimeRange>,
    /// Only this client.
    pub client_id: Option<String>,
    /// Money converted into this ISO 4217 currency at each day's rate;
    /// default the tenant's reporting currency, else per currency.
    pub currency: Option<promptsales_shared::domain::Currency>,
    /// YYYY-MM-DD; default today.
    pub as_of: Option<String>,
}

#[tool_router(router = questions_tools, vis = "pub(super)")]
impl AnalyticsServer {
    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "Answer a question about performance, sales, reach, channels or geography in English or Spanish. Returns the answer sentence, the typed query it ran, columns and rows, the SQL, data freshness and whether it was cached. Questions it cannot map are refused with what it understood and suggested rephrasings.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn ask(
        &self,
        Parameters(p): Parameters<AskParams>,
    ) -> Result<Json<AskResult>, ToolError> {
        let r = self
            .svc
            .ask_in_context(
                &self.tenant,
                &p.question,
                as_of(p.as_of.as_deref())?,
                p.client_id.as_deref(),
                p.context.as_ref(),
            )
            .await?;
        Ok(Json(r))
    }

    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "Run a typed query: metrics, dimensions (incl. day/week/month/quarter/year), filters (eq, in, not_in on dimensions; gt, gte, lt, lte on metric values), time_range, compare_to (previous_period | same_period_last_year), order_by, limit (max 1000).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn query_metrics(
        &self,
        Parameters(p): Parameters<QueryMetricsParams>,
    ) -> Result<Json<QueryResult>, ToolError> {
        let r = self
            .svc
            .query_metrics(&self.tenant, p.spec, as_of(p.as_of.as_deref())?)
            .await?;
        Ok(Json(r))
    }

    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "The semantic model: every metric (definition, unit, synonyms in English and Spanish) and dimension, and the time and currency rules.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn describe_metrics(&self) -> Result<Json<SemanticModel>, ToolError> {
        Ok(Json(self.svc.semantic_model()))
    }

    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "Lead funnel: leads → MQL → SQL → customer counts and stage-to-stage rates, by any dimension leads have.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn funnel(
        &self,
        Parameters(p): Parameters<FunnelParams>,
    ) -> Result<Json<FunnelResult>, ToolError> {
        let r = self
            .svc
            .funnel(
                &self.tenant,
                p.dimensions,
                p.time_range,
                p.filters,
                as_of(p.as_of.as_deref())?,
            )
            .await?;
        Ok(Json(r))
    }

    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "Period performance report in Markdown, in English or Spanish (`language`: titles, headers and number format): totals and change vs the previous period, top and bottom 5 campaigns, channel and country mix, for the agency or one client (named). Money per currency, or converted into `currency` (default the tenant's reporting currency) at each day's rate, with the rates' dates. Sends progress notifications when given a progress token.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn report(
        &self,
        Parameters(p): Parameters<ReportParams>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ReportResult>, ToolError> {
        let range = p.time_range.unwrap_or(TimeRange::Relative {
            period: RelativePeriod::LastMonth,
        });
        let as_of = as_of(p.as_of.as_deref())?;
        let (send, forward) = forward_progress(peer, meta);
        let progress = move |step: u32, total: u32, msg: &str| send(step, total, msg.to_owned());
        let opts = crate::report::ReportOptions {
            client_id: p.client_id.as_deref(),
            language: p.language.unwrap_or_default(),
            currency: p.currency,
        };
        let r = crate::report::build(
            &self.svc,
            &self.tenant,
            range,
            as_of.unwrap_or_else(|| chrono::Utc::now().date_naive()),
            Some(&progress),
            opts,
        )
        .await;
        drop(progress);
        let _ = forward.await;
        Ok(Json(r?))
    }
}
