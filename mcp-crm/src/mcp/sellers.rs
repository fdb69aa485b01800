//! The `sellers` toolset: the sales team (per client where a seller works
//! for one), assignment within capacity, metrics and the morning digest.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use serde::Serialize;

use super::{CrmServer, Ctx};
use crate::domain::AssignStrategy;
use crate::service::{
    AssignRequest, Assignment, FollowUpQuery, FollowUps, SellerInput, SellerMetrics, SellerView,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListSellersParams {
    /// Only sellers currently taking new leads (default false: all sellers).
    pub active_only: Option<bool>,
    /// Only sellers who take this client's leads (its own and those
    /// serving every client).
    pub client_id: Option<String>,
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
    /// The client the seller works for: they take only its leads and an
    /// active one holds a seat of its plan. Omit for a seller of every
    /// client.
    pub client_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AssignLeadParams {
    pub lead_id: String,
    /// How to pick the seller (default `least_loaded`); strategies skip
    /// sellers at capacity.
    pub strategy: Option<AssignStrategy>,
    /// Assign to this seller instead of using a strategy.
    pub seller_id: Option<String>,
    /// Assign to `seller_id` even when they are at capacity (default
    /// false); needs a `reason`, recorded with the assignment.
    #[serde(rename = "override")]
    pub override_capacity: Option<bool>,
    /// Why the capacity is exceeded (required with `override`).
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SellerMetricsParams {
    /// Figures on this client's leads and sales only (default: every client).
    pub client_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FollowUpsParams {
    /// An inbound message unanswered for this many hours is due (default 24).
    pub unanswered_hours: Option<u32>,
    /// Leads scoring at least this are hot (default 70).
    pub hot_score: Option<i32>,
    /// Hot leads without contact for this many days (in the client's time
    /// zone) are due (default 3).
    pub quiet_days: Option<u32>,
    /// Only this client's leads.
    pub client_id: Option<String>,
    /// Only this seller's leads.
    pub seller_id: Option<String>,
    /// At most this many items per page, 1-500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The sellers of the agency account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SellerList {
    pub sellers: Vec<SellerView>,
}

#[tool_router(router = sellers_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmRead),
        description = "List the sellers leads can be assigned to: whether each is active, how many open leads they can handle (capacity) and hold now, the countries they cover and the client they work for (absent: every client). client_id lists those who take that client's leads.",
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
            .list_sellers(
                &who.tenant,
                p.active_only.unwrap_or(false),
                p.client_id.as_deref(),
            )
            .await?;
        Ok(Json(SellerList { sellers }))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Create or update a seller: name, capacity (open leads they can hold), active, the countries they cover for by_country assignment, and optionally the one client they work for (they then take only its leads, and activating them takes a seat of that client's plan: refused with the numbers when the seats are used up).",
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
    ) -> Result<Json<SellerView>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .upsert_seller(
                &who.tenant,
                SellerInput {
                    seller_id: p.seller_id,
                    name: p.name,
                    capacity: p.capacity,
                    active: p.active.unwrap_or(true),
                    countries: p.countries.unwrap_or_default(),
                    client_id: p.client_id,
                },
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Assign a lead to a seller who takes its client's leads: round_robin (the active seller with room who waited longest), least_loaded (fewest open leads) or by_country (sellers covering the lead's country, least loaded first) — strategies skip sellers at capacity and, when none has room, say who is full — or a given seller_id. A seller at capacity is refused unless override: true with a reason, which is recorded with the assignment (get_lead shows it) and returned as a warning.",
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
                &who.subject,
                &p.lead_id,
                AssignRequest {
                    strategy: p.strategy,
                    seller_id: p.seller_id,
                    override_capacity: p.override_capacity.unwrap_or(false),
                    reason: p.reason,
                },
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "Seller leaderboard: leads held, open, won and lost, conversion rate, average first-response time in minutes and revenue per currency, best first — on one client's leads and sales with client_id, else on all.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn seller_metrics(
        &self,
        Parameters(p): Parameters<SellerMetricsParams>,
        ctx: Ctx,
    ) -> Result<Json<SellerMetrics>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .seller_metrics(&who.tenant, p.client_id.as_deref())
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmRead),
        description = "The morning digest: open leads to follow up, grouped per seller (unassigned last) and client, each with the lead's name, the reason (unanswered_inbound: their message waited longer than unanswered_hours, default 24; hot_without_contact: score ≥ hot_score, default 70, and no contact for quiet_days, default 3, counted in the client's time zone), the age, a priority (high, medium, low) and a one-line detail; high priority and the oldest first. 50 items per page by default; pass next_cursor to continue. Filter by client_id or seller_id.",
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
                &FollowUpQuery {
                    unanswered_hours: p.unanswered_hours,
                    hot_score: p.hot_score,
                    quiet_days: p.quiet_days,
                    client_id: p.client_id,
                    seller_id: p.seller_id,
                    limit: p.limit,
                    cursor: p.cursor,
                },
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
        let p: AssignLeadParams = serde_json::from_value(
            json!({"lead_id": "lead_1", "seller_id": "sel_1", "override": true, "reason": "VIP"}),
        )
        .unwrap();
        assert_eq!(p.override_capacity, Some(true));
    }
}
