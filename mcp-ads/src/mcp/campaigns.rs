//! The `campaigns` toolset: find, draft, generate and plan campaigns.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::domain::{Channel, Page};
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsServer, Ctx};
use crate::domain::{Campaign, CampaignStatus, Objective};
use crate::service::{BudgetPlan, CampaignInput, CampaignView, GenerateRequest, PlanBudgetRequest};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetCampaignParams {
    /// Campaign id, e.g. `cmp_00042`.
    pub campaign_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListCampaignsParams {
    /// Only this client's campaigns.
    pub client_id: Option<String>,
    /// Only campaigns in this status.
    pub status: Option<CampaignStatus>,
    /// Only this objective.
    pub objective: Option<Objective>,
    /// Only campaigns running on this channel.
    pub channel: Option<Channel>,
    /// Only campaigns targeting this country (ISO-3166 alpha-2).
    pub country: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateCampaignParams {
    pub campaign_id: String,
    /// Fields to change; absent fields keep their value.
    #[serde(flatten)]
    pub changes: CampaignInput,
}

#[tool_router(router = campaigns_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsRead),
        description = "Get one campaign: client, objective, status, budget, dates, channels, countries, plan (budget per channel, KPI targets, schedule), audience, approval, platform publications, attached content, history and the statuses it may move to.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn get_campaign(
        &self,
        Parameters(p): Parameters<GetCampaignParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(self.svc.view(&who.tenant, &p.campaign_id).await?))
    }

    #[tool(
        meta = needs(Scope::AdsRead),
        description = "List campaigns by id, filtered by client, status, objective, channel or country, 50 per page by default; pass next_cursor to continue.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_campaigns(
        &self,
        Parameters(p): Parameters<ListCampaignsParams>,
        ctx: Ctx,
    ) -> Result<Json<Page<Campaign>>, ToolError> {
        let who = self.who(&ctx);
        let page = self
            .svc
            .list_filtered(
                &who.tenant,
                p.client_id.as_deref(),
                p.status,
                p.objective,
                p.channel,
                p.country.as_deref(),
                p.cursor.as_deref(),
                p.limit,
            )
            .await?;
        Ok(Json(page))
    }

    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Create a draft campaign: client_id, name, objective, budget_cents (hundredths of currency), currency, start_date, end_date, channels, countries; optional allocations per channel (must sum to the budget; default: planned from expected return), audience_hints, segment_id, product_id, subject/message (email, SMS), sms_recipients. The caller is recorded as creator.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn create_campaign(
        &self,
        Parameters(p): Parameters<CampaignInput>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        Ok(Json(self.svc.create_campaign(&self.who(&ctx), p).await?))
    }

    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Change a draft or rejected campaign (any create_campaign field); a rejected campaign returns to draft. Changing budget, currency or channels re-plans the channel budgets unless allocations are given.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn update_campaign(
        &self,
        Parameters(p): Parameters<UpdateCampaignParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        let view = self
            .svc
            .update_campaign(&self.who(&ctx), &p.campaign_id, p.changes)
            .await?;
        Ok(Json(view))
    }

    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Draft a complete campaign from a goal: channel mix (goal fit, audience hints), budget plan to the cent with a reason per channel, KPI targets, schedule and audience, and `plan.forecast`: per channel the client's own history (this client only) blended with the documented benchmark by how much data there is (sources and weights stated), 90% low/expected/high ranges, and the goal read from the brief (\"500 subscribers\", \"USD 40,000 in sales\", \"ROAS 3\") with the forecast against it (share, shortfall, budget needed). It stays a draft.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn generate_campaign(
        &self,
        Parameters(p): Parameters<GenerateRequest>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        Ok(Json(self.svc.generate(&self.who(&ctx), p).await?))
    }

    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Split a budget across channels in proportion to expected return (the client's own history blended with benchmarks by how much of it there is; no client, benchmarks only), within floor/cap shares and with an exploration share; parts sum to the budget to the cent and each comes with its reason. With campaign_id (draft or rejected) the plan is saved on the campaign.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn plan_budget(
        &self,
        Parameters(p): Parameters<PlanBudgetRequest>,
        ctx: Ctx,
    ) -> Result<Json<BudgetPlan>, ToolError> {
        Ok(Json(self.svc.plan_budget(&self.who(&ctx), p).await?))
    }
}
