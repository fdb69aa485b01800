//! Repository of the ads context: campaigns and daily delivery here,
//! lifecycle, launches, publications, segments and change sets in
//! [`lifecycle`], delivery aggregates in [`delivery`].

mod delivery;
mod lifecycle;

pub use delivery::{DeliveryRow, HistoryRow};
pub use lifecycle::{CampaignRecord, ChangeSetRow, LaunchClaim, Move, Settle, new_id};

use std::collections::HashMap;

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, Db, dedupe_last, json_list};
use promptsales_shared::delta::{Changed, Watermark, fetch_changed};
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
    pub objective: Option<Objective>,
    pub channel: Option<Channel>,
    pub country: Option<Country>,
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

fn ad_daily_from_row(r: &AnyRow) -> Result<AdDaily, AppError> {
    Ok(AdDaily {
        date: parse_date("date", &r.try_get::<String, _>("date")?)?,
        campaign_id: CampaignId::from_trusted(r.try_get("campaign_id")?),
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        impressions: r.try_get("impressions")?,
        reach: r.try_get("reach")?,
        clicks: r.try_get("clicks")?,
        spend_cents: r.try_get("spend_cents")?,
        conversions: r.try_get("conversions")?,
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
        // The first page starts after '' (every id sorts after it). The
        // common shapes get their own statement so the planner can walk an
        // index in id order; `$n IS NULL OR …` would hide it.
        let after = cursor.unwrap_or("").to_owned();
        let f = filter;
        let only = |status: bool, client: bool| {
            f.status.is_some() == status
                && f.client_id.is_some() == client
                && f.objective.is_none()
                && f.channel.is_none()
                && f.country.is_none()
        };
        let q = if only(false, false) {
            sqlx::query(
                "SELECT id, client_id, name, objective, status, budget_cents, currency, \
                 start_date, end_date, channels, countries FROM campaigns \
                 WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(tenant.as_str())
            .bind(after)
        } else if only(true, false) {
            sqlx::query(
                "SELECT id, client_id, name, objective, status, budget_cents, currency, \
                 start_date, end_date, channels, countries FROM campaigns \
                 WHERE tenant_id = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4",
            )
            .bind(tenant.as_str())
            .bind(f.status.map(|s| s.as_str()))
            .bind(after)
        } else if only(false, true) {
            sqlx::query(
                "SELECT id, client_id, name, objective, status, budget_cents, currency, \
                 start_date, end_date, channels, countries FROM campaigns \
                 WHERE tenant_id = $1 AND client_id = $2 AND id > $3 ORDER BY id LIMIT $4",
            )
            .bind(tenant.as_str())
            .bind(f.client_id.as_ref().map(|c| c.as_str().to_owned()))
            .bind(after)
        } else {
            sqlx::query(
                "SELECT id, client_id, name, objective, status, budget_cents, currency, \
                 start_date, end_date, channels, countries \
                 FROM campaigns WHERE tenant_id = $1 \
                   AND ($2 IS NULL OR client_id = $2) \
                   AND ($3 IS NULL OR status = $3) \
                   AND ($4 IS NULL OR objective = $4) \
                   AND ($5 IS NULL OR channels LIKE $5) \
                   AND ($6 IS NULL OR countries LIKE $6) \
                   AND id > $7 \
                 ORDER BY id LIMIT $8",
            )
            .bind(tenant.as_str())
            .bind(f.client_id.as_ref().map(|c| c.as_str().to_owned()))
            .bind(f.status.map(|s| s.as_str()))
            .bind(f.objective.map(|s| s.as_str()))
            // Lists are stored as JSON arrays of quoted names: match one member.
            .bind(f.channel.map(|c| format!("%\"{c}\"%")))
            .bind(f.country.map(|c| format!("%\"{c}\"%")))
            .bind(after)
        };
        let rows = q.bind(limit + 1).fetch_all(self.db.pool()).await?;
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

    /// Row counts per table.
    pub async fn counts(&self, tenant: &TenantId) -> Result<Vec<(&'static str, i64)>, AppError> {
        Ok(self
            .db
            .tenant_counts(
                tenant.as_str(),
                &[
                    (
                        "campaigns",
                        "SELECT COUNT(*) FROM campaigns WHERE tenant_id = $1",
                    ),
                    (
                        "ad_daily",
                        "SELECT COUNT(*) FROM ad_daily WHERE tenant_id = $1",
                    ),
                ],
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::NaiveDate;

    use super::*;

    fn campaign(id: &str, budget: i64) -> Campaign {
        Campaign {
            id: CampaignId::parse(id).unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            name: format!("Campaign {id}"),
            objective: Objective::Leads,
            status: CampaignStatus::Active,
            budget_cents: budget,
            currency: Currency::parse("MXN").unwrap(),
            start_date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            channels: vec![Channel::Meta],
            countries: vec![Country::parse("MX").unwrap()],
        }
    }

    fn ad(campaign: &str, day: u32, clicks: i64) -> AdDaily {
        AdDaily {
            date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            campaign_id: CampaignId::parse(campaign).unwrap(),
            channel: Channel::Meta,
            country: Country::parse("MX").unwrap(),
            impressions: 1000,
            reach: 800,
            clicks,
            spend_cents: 5_000,
            conversions: 1,
        }
    }

    async fn delta_readers(db: Db) {
        let store = AdsStore::new(db);
        let t = TenantId::parse("t1").unwrap();
        let other = TenantId::parse("t2").unwrap();
        let cmps = [campaign("cmp_1", 100), campaign("cmp_2", 200)];
        store.upsert_campaigns(&t, &cmps).await.unwrap();
        let rows: Vec<AdDaily> = (1..=5).map(|d| ad("cmp_1", d, 10)).collect();
        store.upsert_ad_daily(&t, &rows).await.unwrap();

        // Campaigns round-trip whole.
        let c = store.campaigns_changed_since(&t, None, 10).await.unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].row, cmps[0]);
        assert_eq!(c[1].row, cmps[1]);
        assert!(
            store
                .campaigns_changed_since(&t, Some(&c[1].watermark()), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Ad rows: one batch shares one updated_at, so the id breaks ties;
        // the id is the natural key.
        let p1 = store.ad_daily_changed_since(&t, None, 3).await.unwrap();
        assert_eq!(p1.len(), 3);
        assert_eq!(p1[0].id, "cmp_1:2026-03-01:meta:MX");
        assert_eq!(p1[0].row, rows[0]);
        let p2 = store
            .ad_daily_changed_since(&t, Some(&p1[2].watermark()), 3)
            .await
            .unwrap();
        let ids: Vec<&str> = p2.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["cmp_1:2026-03-04:meta:MX", "cmp_1:2026-03-05:meta:MX"]
        );
        let end = p2[1].watermark();
        assert!(
            store
                .ad_daily_changed_since(&t, Some(&end), 3)
                .await
                .unwrap()
                .is_empty()
        );

        // Re-sending the same rows changes nothing; a late update of an old
        // row moves it past the watermark.
        store.upsert_ad_daily(&t, &rows).await.unwrap();
        assert!(
            store
                .ad_daily_changed_since(&t, Some(&end), 3)
                .await
                .unwrap()
                .is_empty()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
        store
            .upsert_ad_daily(&t, &[ad("cmp_1", 1, 11)])
            .await
            .unwrap();
        let late = store
            .ad_daily_changed_since(&t, Some(&end), 3)
            .await
            .unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].row.clicks, 11);
        assert!(
            store
                .ad_daily_changed_since(&other, None, 3)
                .await
                .unwrap()
                .is_empty()
        );
    }

    async fn lists(db: Db) {
        let store = AdsStore::new(db);
        let t = TenantId::parse("t1").unwrap();
        let mut cmps: Vec<Campaign> = (1..=5)
            .map(|i| campaign(&format!("cmp_{i}"), 100))
            .collect();
        cmps[1].status = CampaignStatus::Paused;
        cmps[3].status = CampaignStatus::Paused;
        cmps[2].client_id = ClientId::parse("cli_2").unwrap();
        cmps[4].channels = vec![Channel::Tiktok];
        store.upsert_campaigns(&t, &cmps).await.unwrap();
        let ids = |p: &Page<Campaign>| {
            p.items
                .iter()
                .map(|c| c.id.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        let all = store
            .list_campaigns(&t, &CampaignFilter::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(all.items.len(), 5);
        let paused = CampaignFilter {
            status: Some(CampaignStatus::Paused),
            ..CampaignFilter::default()
        };
        let p1 = store.list_campaigns(&t, &paused, None, 1).await.unwrap();
        assert_eq!(ids(&p1), ["cmp_2"]);
        let p2 = store
            .list_campaigns(&t, &paused, p1.next_cursor.as_deref(), 1)
            .await
            .unwrap();
        assert_eq!((ids(&p2), p2.next_cursor), (vec!["cmp_4".to_owned()], None));
        let client = CampaignFilter {
            client_id: Some(ClientId::parse("cli_2").unwrap()),
            ..CampaignFilter::default()
        };
        assert_eq!(
            ids(&store.list_campaigns(&t, &client, None, 10).await.unwrap()),
            ["cmp_3"]
        );
        let mixed = CampaignFilter {
            status: Some(CampaignStatus::Active),
            channel: Some(Channel::Tiktok),
            ..CampaignFilter::default()
        };
        assert_eq!(
            ids(&store.list_campaigns(&t, &mixed, None, 10).await.unwrap()),
            ["cmp_5"]
        );
        let other = TenantId::parse("t2").unwrap();
        assert!(
            store
                .list_campaigns(&other, &paused, None, 10)
                .await
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[tokio::test]
    async fn list_filters_page_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            lists(t.db.clone()).await;
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn delta_readers_walk_the_keyset_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            delta_readers(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
