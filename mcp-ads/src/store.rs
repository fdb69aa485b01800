//! Repository of the ads context (tables `campaigns`, `ad_daily`).

use std::collections::HashMap;

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, Db, dedupe_last, json_list};
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, Page, TenantId};
use promptsales_shared::time::{format_date, now_ts, parse_date};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};

const CAMPAIGNS: BulkUpsert = BulkUpsert {
    table: "campaigns",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "name",
        "objective",
        "status",
        "budget_cents",
        "currency",
        "start_date",
        "end_date",
        "channels",
        "countries",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &[
        "client_id",
        "name",
        "objective",
        "status",
        "budget_cents",
        "currency",
        "start_date",
        "end_date",
        "channels",
        "countries",
    ],
};

const AD_DAILY: BulkUpsert = BulkUpsert {
    table: "ad_daily",
    columns: &[
        "tenant_id",
        "id",
        "date",
        "campaign_id",
        "channel",
        "country",
        "impressions",
        "reach",
        "clicks",
        "spend_cents",
        "conversions",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &[
        "impressions",
        "reach",
        "clicks",
        "spend_cents",
        "conversions",
    ],
};

/// Filters of `list_campaigns`.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub client_id: Option<ClientId>,
    pub status: Option<CampaignStatus>,
}

/// Campaign facts other contexts need when validating references.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRef {
    pub client_id: ClientId,
    pub currency: Currency,
}

fn campaign_from_row(r: &AnyRow) -> Result<Campaign, AppError> {
    let channels: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("channels")?)
        .map_err(|e| AppError::Internal(format!("campaign channels: {e}")))?;
    let countries: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("countries")?)
        .map_err(|e| AppError::Internal(format!("campaign countries: {e}")))?;
    Ok(Campaign {
        id: CampaignId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        name: r.try_get("name")?,
        objective: Objective::parse(&r.try_get::<String, _>("objective")?)?,
        status: CampaignStatus::parse(&r.try_get::<String, _>("status")?)?,
        budget_cents: r.try_get("budget_cents")?,
        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
        start_date: parse_date("start_date", &r.try_get::<String, _>("start_date")?)?,
        end_date: parse_date("end_date", &r.try_get::<String, _>("end_date")?)?,
        channels: channels
            .iter()
            .map(|c| Channel::parse(c))
            .collect::<Result<_, _>>()?,
        countries: countries
            .iter()
            .map(|c| Country::parse(c))
            .collect::<Result<_, _>>()?,
    })
}

/// Access to the ads tables of one database.
#[derive(Clone, Debug)]
pub struct AdsStore {
    db: Db,
}

impl AdsStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Inserts or updates campaigns by id; returns how many rows changed.
    pub async fn upsert_campaigns(
        &self,
        tenant: &TenantId,
        campaigns: &[Campaign],
    ) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(campaigns, |c| c.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(CAMPAIGNS.max_rows()) {
            let mut q = sqlx::query(CAMPAIGNS.sql(chunk.len(), self.db.backend()));
            for c in chunk {
                c.validate()?;
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(c.id.as_str().to_owned())
                    .bind(c.client_id.as_str().to_owned())
                    .bind(c.name.clone())
                    .bind(c.objective.as_str())
                    .bind(c.status.as_str())
                    .bind(c.budget_cents)
                    .bind(c.currency.as_str().to_owned())
                    .bind(format_date(c.start_date))
                    .bind(format_date(c.end_date))
                    .bind(json_list(&c.channels))
                    .bind(json_list(&c.countries))
                    .bind(now.clone())
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Inserts or updates daily rows by (campaign, date, channel, country);
    /// returns how many rows changed.
    pub async fn upsert_ad_daily(
        &self,
        tenant: &TenantId,
        rows: &[AdDaily],
    ) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(rows, AdDaily::key);
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(AD_DAILY.max_rows()) {
            let mut q = sqlx::query(AD_DAILY.sql(chunk.len(), self.db.backend()));
            for r in chunk {
                r.validate()?;
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(r.key())
                    .bind(format_date(r.date))
                    .bind(r.campaign_id.as_str().to_owned())
                    .bind(r.channel.as_str())
                    .bind(r.country.as_str().to_owned())
                    .bind(r.impressions)
                    .bind(r.reach)
                    .bind(r.clicks)
                    .bind(r.spend_cents)
                    .bind(r.conversions)
                    .bind(now.clone())
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
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

    /// Campaigns by id, keyset-paginated.
    pub async fn list_campaigns(
        &self,
        tenant: &TenantId,
        filter: &CampaignFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<Campaign>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, name, objective, status, budget_cents, currency, \
             start_date, end_date, channels, countries \
             FROM campaigns WHERE tenant_id = $1 \
               AND ($2 IS NULL OR client_id = $2) \
               AND ($3 IS NULL OR status = $3) \
               AND ($4 IS NULL OR id > $4) \
             ORDER BY id LIMIT $5",
        )
        .bind(tenant.as_str())
        .bind(filter.client_id.as_ref().map(|c| c.as_str().to_owned()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(cursor.map(str::to_owned))
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(campaign_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|c| c.id.as_str().to_owned())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
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

    /// Row counts per table.
    pub async fn counts(&self, tenant: &TenantId) -> Result<Vec<(&'static str, i64)>, AppError> {
        let mut out = Vec::new();
        for (name, sql) in [
            (
                "campaigns",
                "SELECT COUNT(*) FROM campaigns WHERE tenant_id = $1",
            ),
            (
                "ad_daily",
                "SELECT COUNT(*) FROM ad_daily WHERE tenant_id = $1",
            ),
        ] {
            let n: i64 = sqlx::query_scalar(sql)
                .bind(tenant.as_str())
                .fetch_one(self.db.pool())
                .await?;
            out.push((name, n));
        }
        Ok(out)
    }
}
