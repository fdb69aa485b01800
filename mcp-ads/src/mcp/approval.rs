//! The `approval` toolset: submit campaigns and approve or reject them.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsServer, Ctx};
use crate::service::{CampaignView, CreativeWaiver};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoteParams {
    pub campaign_id: String,
    /// Why (kept in the campaign's history).
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApproveParams {
    pub campaign_id: String,
    /// Why (kept in the campaign's history).
    pub note: Option<String>,
    /// Channels approved without an approved creative, each with the
    /// reason (recorded in the history and shown in the views). Only for
    /// channels that have no usable creative.
    #[serde(default)]
    pub waivers: Vec<CreativeWaiver>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RejectParams {
    pub campaign_id: String,
    /// Why it is rejected: what to change before resubmitting.
    pub note: String,
}

#[tool_router(router = approval_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Submit a draft for approval (draft → pending_approval) after checking its flight has not ended and its channel budgets sum to its budget.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn submit_for_approval(
        &self,
        Parameters(p): Parameters<NoteParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        let view = self
            .svc
            .submit(&self.who(&ctx), &p.campaign_id, p.note)
            .await?;
        Ok(Json(view))
    }

    #[tool(
        meta = needs(Scope::AdsApprove),
        description = "Approve a campaign pending approval (needs the ads:approve scope; four eyes: neither its creator nor its last editor can approve it). Every channel that needs a creative (all paid media, email, SMS, WhatsApp) must have an attached asset that is approved and whose rights cover the channel and the flight, or be waived in `waivers` with a note; a refusal names each channel and why. Records who, when, the note and the waivers.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn approve_campaign(
        &self,
        Parameters(p): Parameters<ApproveParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        let view = self
            .svc
            .approve_with(&self.who(&ctx), &p.campaign_id, p.note, &p.waivers)
            .await?;
        Ok(Json(view))
    }

    #[tool(
        meta = needs(Scope::AdsApprove),
        description = "Reject a campaign pending approval with a note saying what to change (needs ads:approve). It can be edited (back to draft) and resubmitted.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn reject_campaign(
        &self,
        Parameters(p): Parameters<RejectParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        let view = self
            .svc
            .reject(&self.who(&ctx), &p.campaign_id, p.note)
            .await?;
        Ok(Json(view))
    }
}
