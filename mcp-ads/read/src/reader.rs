//! The documented read paths into the ads database: delta reads for the
//! analytics sync, one campaign by id, and the campaign references the
//! importers validate against.

use std::collections::HashMap;

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::delta::{Changed, Watermark, fetch_changed};
use promptsales_shared::domain::{ClientId, Currency, TenantId};
use sqlx::Row;

use crate::domain::{AdDaily, Campaign, CampaignId};
use crate::rows::{ad_daily_from_row, campaign_from_row};

/// Campaign facts other contexts need when validating references.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRef {
    pub client_id: ClientId,
    pub currency: Currency,
}

/// Reads of the ads tables of one database (opened with
/// [`crate::SCHEMA`], never migrated by the reader).
#[derive(Clone, Debug)]
pub struct AdsReader {
    db: Db,
}

impl AdsReader {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn get_campaign(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
    ) -> Result<Campaign, AppError> {
        let row = sqlx::query(
            "SELECT id, client_id, name, objective, status, budget_cents, currency, \
             start_date, end_date, channels, countries \
             FROM campaigns WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("campaign", id.as_str()))?;
        campaign_from_row(&row)
    }

    /// Client and currency of every campaign of the tenant, by id.
    pub async fn campaign_refs(
        &self,
        tenant: &TenantId,
    ) -> Result<HashMap<String, CampaignRef>, AppError> {
        let rows =
            sqlx::query("SELECT id, client_id, currency FROM campaigns WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_all(self.db.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id")?,
                    CampaignRef {
                        client_id: ClientId::from_trusted(r.try_get("client_id")?),
                        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
                    },
                ))
            })
            .collect()
    }

    /// Documented read path for the analytics sync: campaigns (client,
    /// name, objective, status, currency and the rest) changed after `after`
    /// in `(updated_at, id)` order, at most `limit`.
    pub async fn campaigns_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Campaign>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, client_id, name, objective, status, budget_cents, currency, \
             start_date, end_date, channels, countries, updated_at \
             FROM campaigns WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, client_id, name, objective, status, budget_cents, currency, \
             start_date, end_date, channels, countries, updated_at \
             FROM campaigns WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, campaign_from_row))
            .collect()
    }

    /// Documented read path for the analytics sync: daily rows changed
    /// after `after` in `(updated_at, id)` order, at most `limit`. Their
    /// `id` is the natural key `campaign:date:channel:country`
    /// ([`AdDaily::key`]).
    pub async fn ad_daily_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<AdDaily>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, date, campaign_id, channel, country, impressions, reach, clicks, \
             spend_cents, conversions, updated_at \
             FROM ad_daily WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, date, campaign_id, channel, country, impressions, reach, clicks, \
             spend_cents, conversions, updated_at \
             FROM ad_daily WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, ad_daily_from_row))
            .collect()
    }
}
