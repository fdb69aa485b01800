//! The `library` toolset's use cases: find and read assets and their versions.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Page, TenantId, page_limit, validate_id};
use promptsales_shared::time::format_ts;

use super::{AssetQuery, AssetView, ContentService};
use crate::domain::{Asset, AssetId, AssetVersion, NewAsset};
use crate::store::AssetFilter;

impl ContentService {
    pub async fn create_asset(&self, tenant: &TenantId, new: &NewAsset) -> Result<Asset, AppError> {
        self.store.create_asset(tenant, new).await
    }

    pub async fn get_asset(&self, tenant: &TenantId, id: &str) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        self.store.get_asset(tenant, &id).await
    }

    /// The asset and the channels its rights allow at `now`.
    pub async fn get_asset_view(
        &self,
        tenant: &TenantId,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<AssetView, AppError> {
        let asset = self.get_asset(tenant, id).await?;
        Ok(AssetView {
            usable_on: asset.usable_channels(now),
            checked_at: format_ts(now),
            asset,
        })
    }

    pub async fn asset_versions(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Vec<AssetVersion>, AppError> {
        let id = AssetId::parse(id)?;
        self.store.asset_versions(tenant, &id).await
    }

    pub async fn list_assets(
        &self,
        tenant: &TenantId,
        query: &AssetQuery<'_>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Asset>, AppError> {
        let filter = AssetFilter {
            client_id: query.client_id.map(ClientId::parse).transpose()?,
            campaign_id: query
                .campaign_id
                .map(|c| validate_id("campaign_id", c))
                .transpose()?,
            channel: query.channel,
            status: query.status,
            language: query.language,
            placement: query.placement,
        };
        let cursor = cursor
            .map(|c| {
                AssetId::parse(c).map_err(|_| {
                    AppError::invalid("cursor", "a cursor returned by a previous page", c)
                })
            })
            .transpose()?;
        self.store
            .list_assets(
                tenant,
                &filter,
                cursor.as_ref().map(|c| c.as_str()),
                page_limit(limit)?,
            )
            .await
    }
}
