//! The `approval` toolset: approve or reject assets (needs `content:approve`,
//! checked by the service, and a person other than the asset's creator and
//! its last editor).

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ContentServer, Ctx};
use crate::domain::{Action, Asset};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DecisionParams {
    /// Asset id.
    pub asset_id: String,
    /// Why (required to reject).
    pub note: Option<String>,
}

#[tool_router(router = approval_tools, vis = "pub(super)")]
impl ContentServer {
    #[tool(
        meta = needs(Scope::ContentApprove),
        description = "Approve the asset's current version (needs the content:approve scope; four eyes: refused to the asset's creator and to the author of its current version); records who, when and the note.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn approve_asset(
        &self,
        Parameters(p): Parameters<DecisionParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, ToolError> {
        self.decide(&ctx, p, Action::Approve).await
    }

    #[tool(
        meta = needs(Scope::ContentApprove),
        description = "Reject the asset's current version with a note saying why (needs the content:approve scope; four eyes: refused to the asset's creator and to the author of its current version); records who and when.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn reject_asset(
        &self,
        Parameters(p): Parameters<DecisionParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, ToolError> {
        self.decide(&ctx, p, Action::Reject).await
    }
}

impl ContentServer {
    /// Both decisions: the service checks the scope and the four eyes.
    async fn decide(
        &self,
        ctx: &Ctx,
        p: DecisionParams,
        action: Action,
    ) -> Result<Json<Asset>, ToolError> {
        let who = self.who(ctx);
        Ok(Json(
            self.svc.decide(&who, &p.asset_id, action, p.note).await?,
        ))
    }
}
