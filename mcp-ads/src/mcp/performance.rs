//! The `performance` toolset: delivery and pacing, the metric sync, and
//! optimisation change sets applied and rolled back.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsServer, Ctx};
use crate::service::{
    ChangeSetDecision, ChangeSetView, OptimizeRequest, PerformanceReport, SyncReport,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PerformanceParams {
    pub campaign_id: String,
    /// First day (default: the campaign start), YYYY-MM-DD.
    pub from: Option<String>,
    /// Last day (default: today or the campaign end), YYYY-MM-DD.
    pub to: Option<String>,
    /// Pull fresh metrics from the platforms first (default true).
    pub refresh: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SyncParams {
    /// How many recent days to read again (default 7, at most 90).
    pub days: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChangeSetParams {
    /// Change set id from optimize_campaign, e.g. `chg_…`.
    pub change_set_id: String,
    /// Say what would change on each platform without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

#[tool_router(router = performance_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsRead),
        description = "Daily and total impressions, reach, clicks, spend, conversions, CTR, CPC, CPA and ROAS per channel, pacing against budget and dates, KPI targets; first pulls fresh platform metrics into ad_daily (refresh: false to skip).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_campaign_performance(
        &self,
        Parameters(p): Parameters<PerformanceParams>,
        ctx: Ctx,
    ) -> Result<Json<PerformanceReport>, ToolError> {
        let who = self.who(&ctx);
        let report = self
            .svc
            .performance(
                &who.tenant,
                &p.campaign_id,
                p.from.as_deref(),
                p.to.as_deref(),
                p.refresh.unwrap_or(true),
            )
            .await?;
        Ok(Json(report))
    }

    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Pull the last days' metrics of every active campaign from its platforms into ad_daily (the job the scheduler runs).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn sync_metrics(
        &self,
        Parameters(p): Parameters<SyncParams>,
        ctx: Ctx,
    ) -> Result<Json<SyncReport>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(self.svc.sync_metrics(&who.tenant, p.days).await?))
    }

    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Propose one change set across the campaign's platforms: budget moved from channels below target ROAS to those above (before/after per channel, reasons, forecast effect), flags for CTR below a threshold and for over/under-pacing. A channel is judged only after its learning period (days and impressions per channel, see ads://channels) and after delivery dated later than the last change set that set its budget; no channel moves more than max_move_share (default 20%) of its unspent budget; every channel left alone is in `holds` with a reason, and a change set that moves nothing says why in `no_move`. Nothing changes until apply_change_set.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn optimize_campaign(
        &self,
        Parameters(p): Parameters<OptimizeRequest>,
        ctx: Ctx,
    ) -> Result<Json<ChangeSetView>, ToolError> {
        Ok(Json(self.svc.optimize(&self.who(&ctx), p).await?))
    }

    #[tool(
        meta = needs(Scope::AdsLaunch),
        description = "Apply a proposed change set on every platform and in the plan in one step (needs ads:launch; never by its proposer; within the campaign and daily spend caps); recorded so rollback_change_set can undo it. dry_run: the budget each platform would get, nothing changed.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn apply_change_set(
        &self,
        Parameters(p): Parameters<ChangeSetParams>,
        ctx: Ctx,
    ) -> Result<Json<ChangeSetView>, ToolError> {
        self.settle(p, ctx, ChangeSetDecision::Apply).await
    }

    #[tool(
        meta = needs(Scope::AdsLaunch),
        description = "Undo the campaign's latest applied change set: restores the previous budgets on every platform and in the plan (needs ads:launch; never by its proposer; within the spend caps).",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn rollback_change_set(
        &self,
        Parameters(p): Parameters<ChangeSetParams>,
        ctx: Ctx,
    ) -> Result<Json<ChangeSetView>, ToolError> {
        self.settle(p, ctx, ChangeSetDecision::Rollback).await
    }
}

impl AdsServer {
    async fn settle(
        &self,
        p: ChangeSetParams,
        ctx: Ctx,
        decision: ChangeSetDecision,
    ) -> Result<Json<ChangeSetView>, ToolError> {
        let view = self
            .svc
            .settle(&self.who(&ctx), &p.change_set_id, decision, p.dry_run)
            .await?;
        Ok(Json(view))
    }
}
