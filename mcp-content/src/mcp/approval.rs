//! The `approval` toolset: approve or reject assets (needs `content:approve`).

use promptsales_server::ToolError;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{APPROVE_SCOPE, ContentServer, Ctx};
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
        description = "Approve the asset's current version (needs the content:approve scope); records who, when and the note.",
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
        description = "Reject the asset's current version with a note saying why (needs the content:approve scope); records who and when.",
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
    /// Both decisions need the approval scope, checked here in the server.
    async fn decide(
        &self,
        ctx: &Ctx,
        p: DecisionParams,
        action: Action,
    ) -> Result<Json<Asset>, ToolError> {
        let who = self.who(ctx);
        who.require_scope(APPROVE_SCOPE)?;
        Ok(Json(
            self.svc
                .decide(&who.tenant, &who.subject, &p.asset_id, action, p.note)
                .await?,
        ))
    }
}
