//! Delivery reads and writes beyond the bulk import: connector metrics with
//! conversion values, one campaign's daily rows, and a client's daily
//! history by channel for forecasts.

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, dedupe_last};
use promptsales_shared::domain::{Channel, Country, Currency, TenantId};
use promptsales_shared::time::{format_date, now_ts, parse_date};
use sqlx::Row;

use super::AdsStore;
use crate::domain::economics::Day;
use crate::domain::{AdDaily, CampaignId};

/// A daily row as a connector reports it, with the conversion value.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub row: AdDaily,
    pub value_cents: i64,
}

/// One client's delivery on one channel, day and country, in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub channel: Channel,
    pub country: Country,
    pub currency: Currency,
    /// The day's figures (its date always set).
    pub day: Day,
}

const DELIVERY: BulkUpsert = BulkUpsert {
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
        "conversion_value_cents",
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
        "conversion_value_cents",
    ],
};

impl AdsStore {
    /// Upserts connector rows (values included) in one transaction; rows
    /// already holding the same figures are left untouched.
    pub async fn upsert_delivery(
        &self,
        tenant: &TenantId,
        rows: &[DeliveryRow],
    ) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(rows, |r| r.row.key());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(DELIVERY.max_rows()) {
            let mut q = sqlx::query(DELIVERY.sql(chunk.len(), self.db.backend()));
            for d in chunk {
                let r = &d.row;
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
                    .bind(d.value_cents)
                    .bind(now.clone())
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// One campaign's delivery by date and channel (countries summed),
    /// within `from..=to`.
    pub async fn campaign_delivery(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<(chrono::NaiveDate, Channel, [i64; 6])>, AppError> {
        let rows = sqlx::query(
            "SELECT date, channel, CAST(SUM(impressions) AS BIGINT) AS i, CAST(SUM(reach) AS BIGINT) AS r, \
             CAST(SUM(clicks) AS BIGINT) AS c, CAST(SUM(spend_cents) AS BIGINT) AS s, \
             CAST(SUM(conversions) AS BIGINT) AS v, CAST(SUM(conversion_value_cents) AS BIGINT) AS w \
             FROM ad_daily WHERE tenant_id = $1 AND campaign_id = $2 AND date >= $3 AND date <= $4 \
             GROUP BY date, channel ORDER BY date, channel",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(format_date(from))
        .bind(format_date(to))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_date("date", &r.try_get::<String, _>("date")?)?,
                    Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    [
                        r.try_get("i")?,
                        r.try_get("r")?,
                        r.try_get("c")?,
                        r.try_get("s")?,
                        r.try_get("v")?,
                        r.try_get("w")?,
                    ],
                ))
            })
            .collect()
    }

    /// One client's daily delivery from `since` on, by channel and
    /// country, its campaigns summed: what a forecast for that client reads.
    /// Never another client's, whatever the tenant holds.
    pub async fn client_history(
        &self,
        tenant: &TenantId,
        client_id: &str,
        since: chrono::NaiveDate,
    ) -> Result<Vec<HistoryRow>, AppError> {
        let rows = sqlx::query(
            "SELECT a.date, a.channel, a.country, c.currency, CAST(SUM(a.impressions) AS BIGINT) AS i, \
             CAST(SUM(a.reach) AS BIGINT) AS r, CAST(SUM(a.clicks) AS BIGINT) AS k, \
             CAST(SUM(a.spend_cents) AS BIGINT) AS s, CAST(SUM(a.conversions) AS BIGINT) AS v, \
             CAST(SUM(a.conversion_value_cents) AS BIGINT) AS w \
             FROM ad_daily a JOIN campaigns c ON c.tenant_id = a.tenant_id AND c.id = a.campaign_id \
             WHERE a.tenant_id = $1 AND c.client_id = $2 AND a.date >= $3 \
             GROUP BY a.date, a.channel, a.country, c.currency ORDER BY a.date",
        )
        .bind(tenant.as_str())
        .bind(client_id)
        .bind(format_date(since))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryRow {
                    channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    country: Country::parse(&r.try_get::<String, _>("country")?)?,
                    currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
                    day: Day {
                        date: Some(parse_date("date", &r.try_get::<String, _>("date")?)?),
                        impressions: r.try_get("i")?,
                        reach: r.try_get("r")?,
                        clicks: r.try_get("k")?,
                        spend_cents: r.try_get("s")?,
                        conversions: r.try_get("v")?,
                        value_cents: r.try_get("w")?,
                    },
                })
            })
            .collect()
    }
}
