//! Repository of the CRM context, one file per aggregate: leads (records,
//! registration per client, the same person across clients, stages), the
//! consent ledger, conversations (interactions, knowledge base, sent
//! messages), verified inbound messages, sellers and assignments, the
//! connections registry, plan usage, the intent model, GDPR erasure and key
//! rotation. The bulk imports and the
//! row mappers other contexts share are `crm-read`'s; this store reuses
//! them.

use chrono::{DateTime, Utc};
use crm_read::CrmImport;
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::time::parse_ts;

mod connections;
mod delivery;
mod inbound;
mod intent;
mod leads;
mod ledger;
mod messages;
mod privacy;
mod rotation;
mod sellers;
mod usage;

pub use connections::{ConnectionRow, ResealedConnection};
pub use delivery::{DeliveryStatus, StatusApplied, rank as delivery_rank};
pub use inbound::VerifiedInbound;
pub use intent::IntentRow;
pub use leads::{
    LeadFilter, LeadRecord, LeadSource, NewLeadRow, PersonLead, StageChange, record_from_row,
};
pub use ledger::{LedgerChange, LedgerEvent, Permission};
pub use messages::{KbEntry, OutboundMessage};
pub use rotation::{ResealedLead, Rewritten, SealedLead};
pub use sellers::{AssignmentRecord, ContactTimes, DIGEST_SCAN, SellerActivity, SellerLoad};

/// Access to the CRM tables of one database.
#[derive(Clone, Debug)]
pub struct CrmStore {
    db: Db,
    import: CrmImport,
}

impl CrmStore {
    pub fn new(db: Db) -> Self {
        Self {
            import: CrmImport::new(db.clone()),
            db,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The bulk writer (sales, sellers, imports): `crm-read`'s, so rows are
    /// written one way whoever writes them.
    pub fn import(&self) -> &CrmImport {
        &self.import
    }
}

fn new_suffix() -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 8];
    // Without randomness, fall back to the clock: ids stay unique enough
    // for a retry and never panic.
    if SystemRandom::new().fill(&mut b).is_err() {
        let n = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        b = n.to_be_bytes();
    }
    hex::encode(b)
}

/// A fresh id with `prefix`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", new_suffix())
}

pub(crate) fn opt_ts(field: &str, v: Option<String>) -> Result<Option<DateTime<Utc>>, AppError> {
    v.map(|s| parse_ts(field, &s)).transpose()
}

#[cfg(test)]
mod tests {
    use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};

    use super::*;
    use crate::domain::{Lead, LeadId, LeadStage, Seller, SellerId};

    fn lead(id: &str, stage: LeadStage, score: i32) -> Lead {
        Lead {
            id: LeadId::parse(id).unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            campaign_id: Some("cmp_1".into()),
            channel: Channel::Meta,
            country: Country::parse("CO").unwrap(),
            city: Some("Bogotá".into()),
            stage,
            score,
            seller_id: None,
            created_at: parse_ts("created_at", "2026-03-01T14:30:00.123456Z").unwrap(),
        }
    }

    async fn exercise(db: Db) {
        let store = CrmStore::new(db);
        let t = TenantId::parse("t1").unwrap();
        let other = TenantId::parse("t2").unwrap();
        let mut leads = vec![
            lead("lead_a", LeadStage::Iql, 10),
            lead("lead_b", LeadStage::Customer, 55),
            lead("lead_c", LeadStage::Sql, 90),
        ];
        let mut bare = lead("lead_d", LeadStage::Lost, 0);
        bare.campaign_id = None;
        bare.city = None;
        bare.seller_id = Some(SellerId::parse("sel_1").unwrap());
        leads.push(bare.clone());
        assert_eq!(store.import().upsert_leads(&t, &leads).await.unwrap(), 4);

        // Round trip, including optional fields and microseconds.
        assert_eq!(store.get_lead(&t, &leads[1].id).await.unwrap(), leads[1]);
        assert_eq!(store.get_lead(&t, &bare.id).await.unwrap(), bare);

        // Tenants do not see each other.
        let e = store.get_lead(&other, &bare.id).await.unwrap_err();
        assert!(matches!(e, AppError::NotFound { .. }), "{e}");

        // Keyset pagination.
        let all = LeadFilter::default();
        let p1 = store.search_leads(&t, &all, None, 2).await.unwrap();
        let ids: Vec<&str> = p1.items.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["lead_a", "lead_b"]);
        assert_eq!(p1.next_cursor.as_deref(), Some("lead_b"));
        let p2 = store
            .search_leads(&t, &all, p1.next_cursor.as_deref(), 2)
            .await
            .unwrap();
        let ids: Vec<&str> = p2.items.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["lead_c", "lead_d"]);
        assert_eq!(p2.next_cursor, None);

        // Filters.
        let f = LeadFilter {
            min_score: Some(50),
            ..Default::default()
        };
        let ids: Vec<String> = store
            .search_leads(&t, &f, None, 50)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|l| l.id.into_string())
            .collect();
        assert_eq!(ids, ["lead_b", "lead_c"]);
        let f = LeadFilter {
            stage: Some(LeadStage::Customer),
            country: Some(Country::parse("CO").unwrap()),
            channel: Some(Channel::Meta),
            campaign_id: Some("cmp_1".into()),
            client_id: Some(ClientId::parse("cli_1").unwrap()),
            ..Default::default()
        };
        let page = store.search_leads(&t, &f, None, 50).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].id.as_str(), "lead_b");
        let f = LeadFilter {
            seller_id: Some(SellerId::parse("sel_1").unwrap()),
            ..Default::default()
        };
        let page = store.search_leads(&t, &f, None, 50).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(
            store
                .search_leads(&other, &all, None, 50)
                .await
                .unwrap()
                .items
                .is_empty()
        );

        // Sellers, by id.
        let sellers = vec![
            Seller {
                id: SellerId::parse("sel_2").unwrap(),
                name: "Luis".into(),
                active: false,
                capacity: 0,
            },
            Seller {
                id: SellerId::parse("sel_1").unwrap(),
                name: "Ana".into(),
                active: true,
                capacity: 30,
            },
        ];
        assert_eq!(
            store.import().upsert_sellers(&t, &sellers).await.unwrap(),
            2
        );
        let listed = store.list_sellers(&t).await.unwrap();
        assert_eq!(listed, [sellers[1].clone(), sellers[0].clone()]);
        assert!(store.list_sellers(&other).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn store_reads_and_pages_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crm_read::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
