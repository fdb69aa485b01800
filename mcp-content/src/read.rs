//! The read path other contexts use to ask whether an asset may run on a channel.
//!
//! `mcp-ads` calls [`AssetReader::usability`] before attaching an asset to a
//! campaign: the answer says, one reason per problem, why it may not.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, TenantId};
use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::{AssetId, AssetStatus, fit_reasons};
use crate::store::ContentStore;

/// Whether one asset may be used on one channel over a flight.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AssetUsability {
    pub asset_id: String,
    /// The asset's current version.
    pub version: i64,
    /// Its approval status: draft, approved, rejected or archived.
    pub status: String,
    pub channel: Channel,
    /// True when `reasons` is empty.
    pub usable: bool,
    /// Why it may not be used, one sentence per problem.
    pub reasons: Vec<String>,
}

/// Reads assets of the content database for other contexts.
#[derive(Clone, Debug)]
pub struct AssetReader {
    store: ContentStore,
}

impl AssetReader {
    pub fn new(db: Db) -> Self {
        Self {
            store: ContentStore::new(db),
        }
    }

    /// NotFound for an unknown asset; usable only if approved, rights (when
    /// present) allow `channel` and do not expire before the end of `to`,
    /// and the asset fits `channel` (reasons say why not, one per problem).
    pub async fn usability(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        channel: Channel,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AssetUsability, AppError> {
        if to < from {
            return Err(AppError::invalid(
                "to",
                format!("a date on or after from ({from})"),
                to.to_string(),
            ));
        }
        let id = AssetId::parse(asset_id)?;
        let asset = self.store.get_asset(tenant, &id).await?;
        let mut reasons = Vec::new();
        if asset.status != AssetStatus::Approved {
            reasons.push(format!(
                "asset {} is {}, not approved",
                asset.id.as_str(),
                asset.status.as_str()
            ));
        }
        // The rights must hold through the last moment of the flight's last day.
        let last_moment =
            to.and_time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or_default());
        if let Err(why) = asset.usable_on(channel, Utc.from_utc_datetime(&last_moment)) {
            reasons.push(why);
        }
        reasons.extend(fit_reasons(&asset, channel));
        Ok(AssetUsability {
            asset_id: asset.id.as_str().to_owned(),
            version: i64::from(asset.version),
            status: asset.status.as_str().to_owned(),
            channel,
            usable: reasons.is_empty(),
            reasons,
        })
    }
}
