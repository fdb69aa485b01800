//! The `editing` toolset: revise, archive and set usage rights of assets.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::library::GetAssetParams;
use super::{ContentServer, Ctx};
use crate::domain::{Asset, FieldValue, UsageRights};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviseParams {
    /// Asset id.
    pub asset_id: String,
    /// The version you read and are revising (conflict if it moved on).
    pub expected_version: Option<i32>,
    /// New fields of generated copy (all of them), e.g. `[{"name": "subject", "text": "…"}]`.
    pub fields: Option<Vec<FieldValue>>,
    /// New text (for library assets, or single-text copy: SMS, X, TikTok).
    pub body: Option<String>,
    /// New title (library assets; blank clears it).
    pub title: Option<String>,
    /// Why this version was written.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RightsParams {
    /// Asset id.
    pub asset_id: String,
    /// The new rights; absent clears them (the agency's own work).
    pub rights: Option<UsageRights>,
}

#[tool_router(router = editing_tools, vis = "pub(super)")]
impl ContentServer {
    #[tool(
        meta = needs(Scope::ContentWrite),
        description = "Write a new version of an asset (history is kept; the new version is a draft needing approval again). Generated copy is revised through its fields and must fit its channel's limits; pass expected_version to avoid overwriting someone else's revision.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn revise_asset(
        &self,
        Parameters(p): Parameters<ReviseParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(
            self.svc
                .revise_asset(
                    &who.tenant,
                    &who.subject,
                    &p.asset_id,
                    p.expected_version,
                    p.title,
                    p.body,
                    p.fields,
                    p.note,
                )
                .await?,
        ))
    }

    #[tool(
        meta = needs(Scope::ContentWrite),
        description = "Archive an asset: it stays in the library with its history but can no longer be revised, approved or used.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn archive_asset(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(self.svc.archive(&who.tenant, &p.asset_id).await?))
    }

    #[tool(
        meta = needs(Scope::ContentWrite),
        description = "Set an asset's usage rights: licence, owner, expiry (RFC 3339) and allowed channels (empty = all); absent rights clears them. Expired or channel-restricted assets are reported unusable for that channel.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_usage_rights(
        &self,
        Parameters(p): Parameters<RightsParams>,
        ctx: Ctx,
    ) -> Result<Json<Asset>, ToolError> {
        let who = self.who(&ctx);
        Ok(Json(
            self.svc
                .set_rights(&who.tenant, &p.asset_id, p.rights)
                .await?,
        ))
    }
}
