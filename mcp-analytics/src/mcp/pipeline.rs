//! The `pipeline` toolset: sync the warehouse from the sub-companies and
//! inspect its state.

use chrono::NaiveDate;
use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AnalyticsServer, forward_progress};
use crate::fx_provider::FxRefresh;
use crate::sync::{SyncProgress, SyncReport, SyncStatus};

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct RefreshFxParams {
    /// First day to fetch (YYYY-MM-DD); default the day after the last day
    /// the provider gave, or a week back the first time.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day to fetch (YYYY-MM-DD, before today); default yesterday.
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

#[tool_router(router = pipeline_tools, vis = "pub(super)")]
impl AnalyticsServer {
    #[tool(
        meta = needs(Scope::AnalyticsWrite),
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
        context: RequestContext<RoleServer>,
    ) -> Result<Json<SyncReport>, ToolError> {
        let who = self.caller(&context);
        let (send, forward) = forward_progress(context.peer.clone(), context.meta.clone());
        // One notification per committed batch; progress counts tables.
        let progress = move |p: SyncProgress| {
            send(
                p.table_index as u32,
                p.table_count as u32,
                format!(
                    "{}: {} rows read, {} written",
                    p.table, p.rows_read, p.rows_written
                ),
            );
        };
        let r = self.svc.sync(&who, Some(&progress)).await;
        drop(progress);
        let _ = forward.await;
        Ok(Json(r?))
    }

    #[tool(
        meta = needs(Scope::AnalyticsWrite),
        description = "Fetch daily exchange rates from the configured provider (an Open Exchange Rates-style API) for every currency of the tenant's sales and ad spend and the reporting currency, one request per day, and store them for conversions; the scheduler runs it daily. Without `from`/`to` it continues from the provider's last stored day up to yesterday. Status `not_configured` when no provider is set (rates can be imported instead).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn refresh_fx_rates(
        &self,
        Parameters(p): Parameters<RefreshFxParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<FxRefresh>, ToolError> {
        let who = self.caller(&context);
        Ok(Json(self.svc.refresh_fx_rates(&who, p.from, p.to).await?))
    }

    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "Watermark, last run and row counts of every source table, and the warehouse's data version and last sync time.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn sync_status(&self) -> Result<Json<SyncStatus>, ToolError> {
        Ok(Json(self.svc.sync_status(&self.tenant).await?))
    }
}
