//! Use cases of the content context.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Page, TenantId, page_limit, validate_id};
use promptsales_shared::time::format_ts;
use serde::Serialize;

use crate::domain::{Asset, AssetId, AssetStatus, AssetVersion, Language, NewAsset};
use crate::store::{AssetFilter, ContentStore};

/// An asset with where its usage rights let it be used at the time asked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AssetView {
    pub asset: Asset,
    /// Channels the asset's usage rights allow at `checked_at` (every
    /// channel when it has no recorded rights). Approval is a separate
    /// matter: see `asset.status`.
    pub usable_on: Vec<Channel>,
    /// When `usable_on` was computed (RFC 3339, UTC).
    pub checked_at: String,
}

/// Filters of `list_assets` as they arrive from a caller, unparsed.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery<'a> {
    pub client_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub status: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// The content use cases, over one store.
#[derive(Clone, Debug)]
pub struct ContentService {
    store: ContentStore,
}

impl ContentService {
    pub fn new(store: ContentStore) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &ContentStore {
        &self.store
    }

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
            channel: query.channel.map(Channel::parse).transpose()?,
            status: query.status.map(AssetStatus::parse).transpose()?,
            language: query.language.map(Language::parse).transpose()?,
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
