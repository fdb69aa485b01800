//! The `sales` toolset: record closed sales.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{CrmServer, Ctx};
use crate::service::SaleRecorded;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecordSaleParams {
    pub lead_id: String,
    /// Amount in major units as a decimal string, e.g. "1250.50".
    pub amount: String,
    /// ISO-4217 currency, e.g. COP, MXN, USD.
    pub currency: String,
    pub product_id: Option<String>,
    /// The campaign credited (default: the lead's campaign).
    pub campaign_id: Option<String>,
    /// When the sale closed (RFC 3339); default now.
    pub closed_at: Option<String>,
}

#[tool_router(router = sales_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Record a closed sale for a lead (amount as a decimal string, ISO currency, product, campaign): the lead becomes a customer (stage history) and the sale is what analytics syncs.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn record_sale(
        &self,
        Parameters(p): Parameters<RecordSaleParams>,
        ctx: Ctx,
    ) -> Result<Json<SaleRecorded>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .record_sale(
                &who.tenant,
                &who.subject,
                &p.lead_id,
                &p.amount,
                &p.currency,
                p.product_id.as_deref(),
                p.campaign_id.as_deref(),
                p.closed_at.as_deref(),
            )
            .await?;
        Ok(Json(out))
    }
}
