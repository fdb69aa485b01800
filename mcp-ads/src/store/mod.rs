//! Repository of the ads context: campaign lists here (single reads and
//! bulk writes are `ads-read`'s, reused through [`AdsStore::reader`] and
//! [`AdsStore::import`]); the campaign record, its editors and status moves
//! in [`lifecycle`], launch claims and publications in [`launches`],
//! change sets in [`change_sets`], segments and assets in [`links`],
//! delivery aggregates in [`delivery`], each client's platform accounts in
//! [`connections`], what a client's plan counts in [`tiers`].

mod change_sets;
mod connections;
mod delivery;
mod launches;
mod lifecycle;
mod links;
mod tiers;

pub use change_sets::{ChangeSetRow, Settle};
pub use connections::ConnectionRow;
pub use delivery::{DeliveryRow, HistoryRow};
pub use launches::{CampaignClaim, LaunchClaim, daily_commitment};
pub use lifecycle::{CampaignRecord, LaunchHold, Move, new_id};

use ads_read::rows::campaign_from_row;
use ads_read::{AdsImport, AdsReader};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, ClientId, Country, Page, TenantId};

use crate::domain::{Campaign, CampaignId, CampaignStatus, Objective};

/// Filters of `list_campaigns`.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub client_id: Option<ClientId>,
    pub status: Option<CampaignStatus>,
    pub objective: Option<Objective>,
    pub channel: Option<Channel>,
    pub country: Option<Country>,
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

    /// The read API other contexts use, over this store's database.
    pub fn reader(&self) -> AdsReader {
        AdsReader::new(self.db.clone())
    }

    /// The bulk writer of campaigns and daily rows (seeds, imports, tests).
    pub fn import(&self) -> AdsImport {
        AdsImport::new(self.db.clone())
    }

    pub async fn get_campaign(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
    ) -> Result<Campaign, AppError> {
        self.reader().get_campaign(tenant, id).await
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
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use promptsales_shared::domain::Currency;

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
        store.import().upsert_campaigns(&t, &cmps).await.unwrap();
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
        for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
            .await
            .unwrap()
        {
            lists(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
