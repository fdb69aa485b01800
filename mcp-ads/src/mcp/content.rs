//! The `content` toolset: attach approved content to campaigns.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::domain::Channel;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsServer, Ctx};
use crate::service::CampaignView;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttachParams {
    pub campaign_id: String,
    /// Asset id in mcp-content.
    pub asset_id: String,
    /// Channels of the campaign to use it on.
    pub channels: Vec<Channel>,
}

#[tool_router(router = content_tools, vis = "pub(super)")]
impl AdsServer {
    #[tool(
        meta = needs(Scope::AdsWrite),
        description = "Attach a content asset to campaign channels: only approved assets whose usage rights cover each channel and the campaign's dates (checked with mcp-content); all channels or none.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn attach_content(
        &self,
        Parameters(p): Parameters<AttachParams>,
        ctx: Ctx,
    ) -> Result<Json<CampaignView>, ToolError> {
        let view = self
            .svc
            .attach_content(&self.who(&ctx), &p.campaign_id, &p.asset_id, &p.channels)
            .await?;
        Ok(Json(view))
    }
}
