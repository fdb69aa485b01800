//! The `intent` toolset: purchase intent from the tenant's own history.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};

use super::{CrmServer, Ctx, LeadIdParams, NoParams};
use crate::service::{IntentPrediction, ModelInfo};

#[tool_router(router = intent_tools, vis = "pub(super)")]
impl CrmServer {
    #[tool(
        meta = needs(Scope::CrmRead),
        description = "Probability that a lead becomes a customer, from a logistic regression trained on this tenant's own leads (retrained automatically when missing or stale), with the top factors and the model's AUC on a held-out quarter of the leads.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn predict_purchase_intent(
        &self,
        Parameters(p): Parameters<LeadIdParams>,
        ctx: Ctx,
    ) -> Result<Json<IntentPrediction>, ToolError> {
        let who = self.who(&ctx);
        let out = self
            .svc
            .predict_purchase_intent(&who.tenant, &p.lead_id)
            .await?;
        Ok(Json(out))
    }

    #[tool(
        meta = needs(Scope::CrmWrite),
        description = "Train the purchase-intent model on this tenant's history (customers vs other leads; features: score, inbound and outbound messages, average sentiment, pricing/demo/buying words, paid channel, company, product interest, seller assigned) and report its AUC on a held-out quarter.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn train_intent_model(
        &self,
        Parameters(_): Parameters<NoParams>,
        ctx: Ctx,
    ) -> Result<Json<ModelInfo>, ToolError> {
        let who = self.who(&ctx);
        let out = self.svc.train_intent_model(&who.tenant).await?;
        Ok(Json(out))
    }
}
