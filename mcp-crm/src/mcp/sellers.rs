//! The `sellers` toolset: the sales team, assignment, metrics and
//! follow-up alerts.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use serde::Serialize;

use super::{CrmServer, Ctx, NoParams};
use crate::domain::{AssignStrategy, Seller};
use crate::service::{Assignment, FollowUps, SellerMetrics};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListSellersParams {
    /// Only sellers currently taking new leads (default false: all sellers).
    pub active_only: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpsertSellerParams {
    /// Seller id to update, e.g. `sel_003`; omit to create one.
    pub seller_id: Option<String>,
    pub name: String,
    /// Open leads the seller can hold.
    pub capacity: i32,
    /// Whether the seller takes new leads (default true).
    pub active: Option<bool>,
    /// Countries the seller covers (ISO alpha-2), for `by_country`.
    pub countries: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AssignLeadParams {
    pub lead_id: String,
    /// How to pick the seller (default `least_loaded`).
    pub strategy: Option<AssignStrategy>,
    /// Assign to this seller instead of using a strategy.
    pub seller_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FollowUpsParams {
    /// An inbound message unanswered for this many hours is due (default 24).
    pub unanswered_hours: Option<u32>,
    /// Leads scoring at least this are hot (default 70).
    pub hot_score: Option<i32>,
    /// Hot leads without contact for this many days are due (default 3).
    pub quiet_days: Option<u32>,
    /// At most this many alerts, 1-500 (default 50).
    pub limit: Option<u32>,
}

/// The sellers of the agency account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SellerList {
    pub sellers: Vec<Seller>,
}

#[tool_router(router = sellers_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmRead),
        description = "List the sellers leads can be assigned to, with whether each is active and how many open leads they can handle (capacity).",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_sellers(
        &self,
        Parameters(p): Parameters<ListSellersParams>,
        ctx: Ctx,
    ) -> Result<Json<SellerList>, ToolError> {
        let who = self.who(&ctx);
        let sellers = self
            .svc
            .list_sellers(&who.tenant, p.active_only.unwrap_or(false))
            .await?;
        Ok(Json(SellerList { sellers }))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Create or update a seller: name, capacity (open leads they can hold), active, and the countries they cover for by_country assignment.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn upsert_seller(
        &self,
        Parameters(p): Parameters<UpsertSellerParams>,
        ctx: Ctx,
    ) -> Result<Json<Seller>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .upsert_seller(
                &who.tenant,
                p.seller_id.as_deref(),
                &p.name,
                p.capacity,
                p.active.unwrap_or(true),
                &p.countries.unwrap_or_default(),
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Assign a lead to a seller: round_robin (the active seller with room who waited longest), least_loaded (fewest open leads, respecting capacity) or by_country (sellers covering the lead's country), or a given seller_id.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn assign_lead(
        &self,
        Parameters(p): Parameters<AssignLeadParams>,
        ctx: Ctx,
    ) -> Result<Json<Assignment>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .assign_lead(
                &who.tenant,
                &p.lead_id,
                p.strategy.unwrap_or(AssignStrategy::LeastLoaded),
                p.seller_id.as_deref(),
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "Seller leaderboard: leads held, open, won and lost, conversion rate, average first-response time in minutes and revenue per currency, best first.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn seller_metrics(
        &self,
        Parameters(_): Parameters<NoParams>,
        ctx: Ctx,
    ) -> Result<Json<SellerMetrics>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.seller_metrics(&who.tenant).await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "The morning alerts: open leads whose last inbound message has waited longer than unanswered_hours (default 24) for a reply, and hot leads (score ≥ hot_score, default 70) without contact for quiet_days (default 3). Longest waits first.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn follow_ups_due(
        &self,
        Parameters(p): Parameters<FollowUpsParams>,
        ctx: Ctx,
    ) -> Result<Json<FollowUps>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .follow_ups_due(
                &who.tenant,
                p.unanswered_hours,
                p.hot_score,
                p.quiet_days,
                p.limit,
            )
            .await?;
        Ok(Json(out))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_strategy_is_read_typed() {
        let p: AssignLeadParams =
            serde_json::from_value(json!({"lead_id": "lead_1", "strategy": "by_country"})).unwrap();
        assert_eq!(p.strategy, Some(AssignStrategy::ByCountry));
        let e = serde_json::from_value::<AssignLeadParams>(
            json!({"lead_id": "lead_1", "strategy": "random"}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`strategy`") && e.contains("least_loaded"),
            "{e}"
        );
    }
}
