//! The bulk writer of the crm tables: what the importers and the seeder
//! write through (the crm server's own writes are in its store), with the
//! references and counts they check against.

use std::collections::HashMap;

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, Db, dedupe_last};
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::{format_ts, now_ts};
use sqlx::Row;

use crate::domain::{Interaction, Lead, Sale, Seller};

/// The lead upsert, keyed by id. Score and seller are bound on insert but
/// never updated (scoring and assignment own them); personal data, intent
/// and consent columns are not touched. `created_at` of a lead is the lead's own creation time, so it is bound
/// from the lead and updated like any other field.
pub const LEADS: BulkUpsert = BulkUpsert {
    table: "leads",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "campaign_id",
        "channel",
        "country",
        "city",
        "stage",
        "score",
        "seller_id",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &[
        "client_id",
        "campaign_id",
        "channel",
        "country",
        "city",
        "stage",
        "created_at",
    ],
};

/// The interaction upsert, keyed by id.
pub const INTERACTIONS: BulkUpsert = BulkUpsert {
    table: "interactions",
    columns: &[
        "tenant_id",
        "id",
        "lead_id",
        "at",
        "channel",
        "direction",
        "text",
        "sentiment",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &["lead_id", "at", "channel", "direction", "text", "sentiment"],
};

/// The sale upsert, keyed by id.
pub const SALES: BulkUpsert = BulkUpsert {
    table: "sales",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "lead_id",
        "campaign_id",
        "product_id",
        "channel",
        "country",
        "city",
        "amount_cents",
        "currency",
        "closed_at",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &[
        "client_id",
        "lead_id",
        "campaign_id",
        "product_id",
        "channel",
        "country",
        "city",
        "amount_cents",
        "currency",
        "closed_at",
    ],
};

/// The seller upsert, keyed by id (the countries a seller covers are the
/// server's and left alone).
pub const SELLERS: BulkUpsert = BulkUpsert {
    table: "sellers",
    columns: &[
        "tenant_id",
        "id",
        "name",
        "active",
        "capacity",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &["name", "active", "capacity"],
};

/// Bulk writes into the crm tables of one database.
#[derive(Clone, Debug)]
pub struct CrmImport {
    db: Db,
}

impl CrmImport {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Inserts or updates leads by id; returns how many rows changed.
    /// Score and seller are set on insert only (scoring and assignment own
    /// them afterwards); encrypted personal data, intent and consent are
    /// left untouched.
    pub async fn upsert_leads(&self, tenant: &TenantId, leads: &[Lead]) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(leads, |l| l.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(LEADS.max_rows()) {
            let mut q = sqlx::query(LEADS.sql(chunk.len(), self.db.backend()));
            for l in chunk {
                l.validate()?;
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(l.id.as_str().to_owned())
                    .bind(l.client_id.as_str().to_owned())
                    .bind(l.campaign_id.clone())
                    .bind(l.channel.as_str())
                    .bind(l.country.as_str().to_owned())
                    .bind(l.city.clone())
                    .bind(l.stage.as_str())
                    .bind(l.score)
                    .bind(l.seller_id.as_ref().map(|s| s.as_str().to_owned()))
                    .bind(format_ts(l.created_at))
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Inserts or updates interactions by id; returns how many rows changed.
    /// Their leads must exist.
    pub async fn upsert_interactions(
        &self,
        tenant: &TenantId,
        interactions: &[Interaction],
    ) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(interactions, |i| i.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(INTERACTIONS.max_rows()) {
            let mut q = sqlx::query(INTERACTIONS.sql(chunk.len(), self.db.backend()));
            for i in chunk {
                i.validate()?;
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(i.id.as_str().to_owned())
                    .bind(i.lead_id.as_str().to_owned())
                    .bind(format_ts(i.at))
                    .bind(i.channel.as_str())
                    .bind(i.direction.as_str())
                    .bind(i.text.clone())
                    .bind(i.sentiment)
                    .bind(now.clone())
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Inserts or updates sales by id; returns how many rows changed. A
    /// sale's lead, when given, must exist (see [`CrmImport::lead_refs`]).
    pub async fn upsert_sales(&self, tenant: &TenantId, sales: &[Sale]) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(sales, |s| s.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(SALES.max_rows()) {
            let mut q = sqlx::query(SALES.sql(chunk.len(), self.db.backend()));
            for s in chunk {
                s.validate()?;
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(s.id.as_str().to_owned())
                    .bind(s.client_id.as_str().to_owned())
                    .bind(s.lead_id.as_ref().map(|l| l.as_str().to_owned()))
                    .bind(s.campaign_id.clone())
                    .bind(s.product_id.as_ref().map(|p| p.as_str().to_owned()))
                    .bind(s.channel.as_str())
                    .bind(s.country.as_str().to_owned())
                    .bind(s.city.clone())
                    .bind(s.amount_cents)
                    .bind(s.currency.as_str().to_owned())
                    .bind(format_ts(s.closed_at))
                    .bind(now.clone())
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Inserts or updates sellers by id; returns how many rows changed.
    pub async fn upsert_sellers(
        &self,
        tenant: &TenantId,
        sellers: &[Seller],
    ) -> Result<u64, AppError> {
        let now = now_ts();
        let rows = dedupe_last(sellers, |s| s.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(SELLERS.max_rows()) {
            let mut q = sqlx::query(SELLERS.sql(chunk.len(), self.db.backend()));
            for s in chunk {
                s.validate()?;
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(s.id.as_str().to_owned())
                    .bind(s.name.clone())
                    .bind(i32::from(s.active))
                    .bind(s.capacity)
                    .bind(now.clone())
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The client of every lead of the tenant, by lead id.
    pub async fn lead_refs(
        &self,
        tenant: &TenantId,
    ) -> Result<HashMap<String, ClientId>, AppError> {
        let rows = sqlx::query("SELECT id, client_id FROM leads WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id")?,
                    ClientId::from_trusted(r.try_get("client_id")?),
                ))
            })
            .collect()
    }

    /// Row counts per table.
    pub async fn counts(&self, tenant: &TenantId) -> Result<Vec<(&'static str, i64)>, AppError> {
        Ok(self
            .db
            .tenant_counts(
                tenant.as_str(),
                &[
                    ("leads", "SELECT COUNT(*) FROM leads WHERE tenant_id = $1"),
                    (
                        "interactions",
                        "SELECT COUNT(*) FROM interactions WHERE tenant_id = $1",
                    ),
                    ("sales", "SELECT COUNT(*) FROM sales WHERE tenant_id = $1"),
                    (
                        "sellers",
                        "SELECT COUNT(*) FROM sellers WHERE tenant_id = $1",
                    ),
                ],
            )
            .await?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use promptsales_shared::domain::{Channel, Country, Currency, ProductId};
    use promptsales_shared::time::parse_ts;

    use super::*;
    use crate::domain::{Direction, InteractionId, LeadId, LeadStage, SaleId, SellerId};
    use crate::rows::{lead_from_row, seller_from_row};

    pub(crate) fn lead(id: &str, stage: LeadStage, score: i32) -> Lead {
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

    pub(crate) fn leads() -> Vec<Lead> {
        vec![
            lead("lead_a", LeadStage::Iql, 10),
            lead("lead_b", LeadStage::Mql, 55),
            lead("lead_c", LeadStage::Sql, 90),
        ]
    }

    pub(crate) fn sale(id: &str, lead_id: Option<&str>) -> Sale {
        Sale {
            id: SaleId::parse(id).unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            lead_id: lead_id.map(|l| LeadId::parse(l).unwrap()),
            campaign_id: None,
            product_id: Some(ProductId::parse("prd_1").unwrap()),
            channel: Channel::Web,
            country: Country::parse("CO").unwrap(),
            city: None,
            amount_cents: 99_900,
            currency: Currency::parse("COP").unwrap(),
            closed_at: parse_ts("closed_at", "2026-03-05T10:00:00Z").unwrap(),
        }
    }

    /// One lead read back the way the server reads it.
    async fn get(db: &Db, tenant: &TenantId, id: &LeadId) -> Option<Lead> {
        sqlx::query(
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at FROM leads WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(db.pool())
        .await
        .unwrap()
        .map(|r| lead_from_row(&r).unwrap())
    }

    async fn sellers_of(db: &Db, tenant: &TenantId) -> Vec<Seller> {
        sqlx::query(
            "SELECT id, name, active, capacity FROM sellers WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| seller_from_row(r).unwrap())
        .collect()
    }

    async fn exercise(db: Db) {
        let store = CrmImport::new(db.clone());
        let t = TenantId::parse("t1").unwrap();
        let other = TenantId::parse("t2").unwrap();

        // Idempotent upserts.
        assert_eq!(store.upsert_leads(&t, &leads()).await.unwrap(), 3);
        assert_eq!(store.upsert_leads(&t, &leads()).await.unwrap(), 0);
        let mut changed = leads();
        changed[1].stage = LeadStage::Customer;
        assert_eq!(store.upsert_leads(&t, &changed).await.unwrap(), 1);
        assert_eq!(store.upsert_leads(&t, &changed).await.unwrap(), 0);

        // Score and seller belong to the CRM's own rules: an upsert
        // (import, seed) sets them on insert and never overwrites them.
        let mut rescored = changed.clone();
        rescored[0].score = 99;
        rescored[0].seller_id = Some(SellerId::parse("sel_9").unwrap());
        assert_eq!(store.upsert_leads(&t, &rescored).await.unwrap(), 0);
        assert_eq!(
            get(&db, &t, &changed[0].id).await.as_ref(),
            Some(&changed[0])
        );

        // Duplicates in one batch: the last one wins.
        let mut dup = changed.clone();
        let mut last = changed[0].clone();
        last.city = Some("Cali".into());
        dup.push(last.clone());
        assert_eq!(store.upsert_leads(&t, &dup).await.unwrap(), 1);
        assert_eq!(get(&db, &t, &last.id).await, Some(last));

        // Invalid rows are rejected before anything is written.
        let mut bad = leads();
        bad[2].score = 101;
        let e = store.upsert_leads(&t, &bad).await.unwrap_err();
        assert!(e.to_string().contains("`score`"), "{e}");

        // Round trip, including optional fields and microseconds.
        assert_eq!(
            get(&db, &t, &changed[1].id).await.as_ref(),
            Some(&changed[1])
        );
        let mut bare = lead("lead_d", LeadStage::Lost, 0);
        bare.campaign_id = None;
        bare.city = None;
        bare.seller_id = Some(SellerId::parse("sel_1").unwrap());
        assert_eq!(
            store
                .upsert_leads(&t, std::slice::from_ref(&bare))
                .await
                .unwrap(),
            1
        );
        assert_eq!(get(&db, &t, &bare.id).await.as_ref(), Some(&bare));

        // Tenants do not see each other.
        assert_eq!(get(&db, &other, &bare.id).await, None);

        // Lead references for the importer.
        let refs = store.lead_refs(&t).await.unwrap();
        assert_eq!(refs.len(), 4);
        assert_eq!(refs["lead_a"].as_str(), "cli_1");
        assert!(store.lead_refs(&other).await.unwrap().is_empty());

        // Sellers.
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
        assert_eq!(store.upsert_sellers(&t, &sellers).await.unwrap(), 2);
        assert_eq!(store.upsert_sellers(&t, &sellers).await.unwrap(), 0);
        assert_eq!(
            sellers_of(&db, &t).await,
            [sellers[1].clone(), sellers[0].clone()]
        );

        // Interactions: idempotent, their lead must exist.
        let mut inter = Interaction {
            id: InteractionId::parse("int_1").unwrap(),
            lead_id: LeadId::parse("lead_a").unwrap(),
            at: parse_ts("at", "2026-03-02T09:00:00Z").unwrap(),
            channel: Channel::Whatsapp,
            direction: Direction::In,
            text: "Hola, ¿precio?".into(),
            sentiment: Some(0.25),
        };
        let one = std::slice::from_ref(&inter);
        assert_eq!(store.upsert_interactions(&t, one).await.unwrap(), 1);
        assert_eq!(store.upsert_interactions(&t, one).await.unwrap(), 0);
        inter.sentiment = None;
        let one = std::slice::from_ref(&inter);
        assert_eq!(store.upsert_interactions(&t, one).await.unwrap(), 1);
        inter.lead_id = LeadId::parse("lead_missing").unwrap();
        let one = std::slice::from_ref(&inter);
        assert!(store.upsert_interactions(&t, one).await.is_err());

        // Sales: the lead is optional, but when given it must exist.
        let s = [sale("sale_1", Some("lead_b")), sale("sale_2", None)];
        assert_eq!(store.upsert_sales(&t, &s).await.unwrap(), 2);
        assert_eq!(store.upsert_sales(&t, &s).await.unwrap(), 0);
        assert!(
            store
                .upsert_sales(&t, &[sale("sale_3", Some("lead_zz"))])
                .await
                .is_err()
        );
        let mut zero = sale("sale_4", None);
        zero.amount_cents = 0;
        let e = store.upsert_sales(&t, &[zero]).await.unwrap_err();
        assert!(e.to_string().contains("`amount`"), "{e}");

        assert_eq!(
            store.counts(&t).await.unwrap(),
            [
                ("leads", 4),
                ("interactions", 1),
                ("sales", 2),
                ("sellers", 2)
            ]
        );
        assert_eq!(
            store.counts(&other).await.unwrap(),
            [
                ("leads", 0),
                ("interactions", 0),
                ("sales", 0),
                ("sellers", 0)
            ]
        );
    }

    #[tokio::test]
    async fn imports_round_trip_and_are_idempotent_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
