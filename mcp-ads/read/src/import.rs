//! The bulk writer of campaigns and daily delivery: what the importers and
//! the seeder write through (the ads server's own writes are in its store).

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, Db, dedupe_last, json_list};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_date, now_ts};

use crate::domain::{AdDaily, Campaign};

/// The campaign upsert: rows keyed by id; lifecycle columns (plan,
/// audience, approvals) belong to the server and are left alone.
pub const CAMPAIGNS: BulkUpsert = BulkUpsert {
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

/// The daily delivery upsert, keyed by [`AdDaily::key`].
pub const AD_DAILY: BulkUpsert = BulkUpsert {
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

/// Bulk writes into the ads tables of one database.
#[derive(Clone, Debug)]
pub struct AdsImport {
    db: Db,
}

impl AdsImport {
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
    use promptsales_shared::domain::{Channel, ClientId, Country, Currency};

    use super::*;
    use crate::domain::{CampaignId, CampaignStatus, Objective};
    use crate::{AdsReader, CampaignRef};

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
        let store = AdsImport::new(db.clone());
        let reader = AdsReader::new(db);
        let t = TenantId::parse("t1").unwrap();
        let other = TenantId::parse("t2").unwrap();
        let cmps = [campaign("cmp_1", 100), campaign("cmp_2", 200)];
        store.upsert_campaigns(&t, &cmps).await.unwrap();
        let rows: Vec<AdDaily> = (1..=5).map(|d| ad("cmp_1", d, 10)).collect();
        store.upsert_ad_daily(&t, &rows).await.unwrap();

        // Campaigns round-trip whole.
        let c = reader.campaigns_changed_since(&t, None, 10).await.unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].row, cmps[0]);
        assert_eq!(c[1].row, cmps[1]);
        assert!(
            reader
                .campaigns_changed_since(&t, Some(&c[1].watermark()), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Ad rows: one batch shares one updated_at, so the id breaks ties;
        // the id is the natural key.
        let p1 = reader.ad_daily_changed_since(&t, None, 3).await.unwrap();
        assert_eq!(p1.len(), 3);
        assert_eq!(p1[0].id, "cmp_1:2026-03-01:meta:MX");
        assert_eq!(p1[0].row, rows[0]);
        let p2 = reader
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
            reader
                .ad_daily_changed_since(&t, Some(&end), 3)
                .await
                .unwrap()
                .is_empty()
        );

        // Re-sending the same rows changes nothing; a late update of an old
        // row moves it past the watermark.
        store.upsert_ad_daily(&t, &rows).await.unwrap();
        assert!(
            reader
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
        let late = reader
            .ad_daily_changed_since(&t, Some(&end), 3)
            .await
            .unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].row.clicks, 11);
        assert!(
            reader
                .ad_daily_changed_since(&other, None, 3)
                .await
                .unwrap()
                .is_empty()
        );
    }

    async fn refs_and_counts(db: Db) {
        let store = AdsImport::new(db.clone());
        let reader = AdsReader::new(db);
        let t = TenantId::parse("t1").unwrap();
        let cmps = [campaign("cmp_1", 100), campaign("cmp_2", 200)];
        assert_eq!(store.upsert_campaigns(&t, &cmps).await.unwrap(), 2);
        // Unchanged rows are left alone.
        assert_eq!(store.upsert_campaigns(&t, &cmps).await.unwrap(), 0);
        store
            .upsert_ad_daily(&t, &[ad("cmp_1", 1, 5), ad("cmp_1", 1, 6)])
            .await
            .unwrap();
        assert_eq!(reader.get_campaign(&t, &cmps[1].id).await.unwrap(), cmps[1]);
        let missing = CampaignId::parse("cmp_9").unwrap();
        let e = reader.get_campaign(&t, &missing).await.unwrap_err();
        assert!(e.to_string().contains("not found"), "{e}");
        let refs = reader.campaign_refs(&t).await.unwrap();
        assert_eq!(
            refs.get("cmp_2"),
            Some(&CampaignRef {
                client_id: ClientId::parse("cli_1").unwrap(),
                currency: Currency::parse("MXN").unwrap(),
            })
        );
        assert_eq!(
            store.counts(&t).await.unwrap(),
            [("campaigns", 2), ("ad_daily", 1)]
        );
        let mut bad = campaign("cmp_3", 100);
        bad.budget_cents = -1;
        assert!(store.upsert_campaigns(&t, &[bad]).await.is_err());
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

    #[tokio::test]
    async fn imports_count_and_resolve_references_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            refs_and_counts(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
