//! The `library` toolset: find and inspect assets of the content library.

use chrono::{NaiveDate, SubsecRound, Utc};
use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Page};
use promptsales_shared::scope::Scope;
use promptsales_shared::time::parse_date;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ContentServer, Ctx};
use crate::domain::{Asset, AssetStatus, AssetVersion, Language, Placement};
use crate::service::{AssetQuery, AssetView};
use content_read::AssetUsability;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetAssetParams {
    /// Asset id, e.g. `ast_3f9a0c1b2d4e`.
    pub asset_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListAssetsParams {
    /// Only this client's assets.
    pub client_id: Option<String>,
    /// Only assets made for this campaign.
    pub campaign_id: Option<String>,
    /// Only assets for this channel.
    pub channel: Option<Channel>,
    /// Only assets in this approval status.
    pub status: Option<AssetStatus>,
    /// Only assets in this language.
    pub language: Option<Language>,
    /// Only generated copy written for this placement.
    pub placement: Option<Placement>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UsabilityParams {
    /// Asset id.
    pub asset_id: String,
    /// Channel it would run on.
    pub channel: Channel,
    /// First day of the flight, YYYY-MM-DD (default today).
    pub from: Option<String>,
    /// Last day of the flight, YYYY-MM-DD (default `from`).
    pub to: Option<String>,
}

/// Versions of an asset, oldest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionList {
    pub asset_id: String,
    pub versions: Vec<AssetVersion>,
}

fn parse_day(field: &str, v: Option<&str>, default: NaiveDate) -> Result<NaiveDate, AppError> {
    v.map(|d| parse_date(field, d))
        .transpose()
        .map(|d| d.unwrap_or(default))
}

#[tool_router(router = library_tools, vis = "pub(super)")]
impl ContentServer {
    #[tool(
        meta = needs(Scope::ContentRead),
        description = "Get one asset of the content library: client, campaign, channel, format, language, title, body, structured fields, version, approval status and decision, usage rights, plus usable_on: the channels its usage rights allow right now.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_asset(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
        ctx: Ctx,
    ) -> Result<Json<AssetView>, ToolError> {
        let who = self.who(&ctx);
        let now = Utc::now().trunc_subsecs(6);
        Ok(Json(
            self.svc
                .get_asset_view(&who.tenant, &p.asset_id, now)
                .await?,
        ))
    }

    #[tool(
        meta = needs(Scope::ContentRead),
        description = "List assets of the content library, optionally by client, campaign, channel, status, language and placement, 50 per page by default; pass next_cursor to continue.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_assets(
        &self,
        Parameters(p): Parameters<ListAssetsParams>,
        ctx: Ctx,
    ) -> Result<Json<Page<Asset>>, ToolError> {
        let who = self.who(&ctx);
        let query = AssetQuery {
            client_id: p.client_id.as_deref(),
            campaign_id: p.campaign_id.as_deref(),
            channel: p.channel,
            status: p.status,
            language: p.language,
            placement: p.placement,
        };
        Ok(Json(
            self.svc
                .list_assets(&who.tenant, &query, p.cursor.as_deref(), p.limit)
                .await?,
        ))
    }

    #[tool(
        meta = needs(Scope::ContentRead),
        description = "Every version of an asset, oldest first: text, fields, author, revision note and approval decision.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_asset_versions(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
        ctx: Ctx,
    ) -> Result<Json<VersionList>, ToolError> {
        let who = self.who(&ctx);
        let versions = self.svc.asset_versions(&who.tenant, &p.asset_id).await?;
        Ok(Json(VersionList {
            asset_id: p.asset_id,
            versions,
        }))
    }

    #[tool(
        meta = needs(Scope::ContentRead),
        description = "Whether an asset may run on a channel over a flight (from-to): approved, usage rights allow the channel and last through `to`, and the asset fits the channel. Reasons say why not, one per problem. mcp-ads runs the same check before attaching an asset.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn check_asset_usability(
        &self,
        Parameters(p): Parameters<UsabilityParams>,
        ctx: Ctx,
    ) -> Result<Json<AssetUsability>, ToolError> {
        let who = self.who(&ctx);
        let today = Utc::now().date_naive();
        let from = parse_day("from", p.from.as_deref(), today)?;
        let to = parse_day("to", p.to.as_deref(), from)?;
        Ok(Json(
            self.reader
                .usability(&who.tenant, &p.asset_id, p.channel, from, to)
                .await?,
        ))
    }
}
