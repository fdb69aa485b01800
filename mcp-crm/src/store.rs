//! Repository of the CRM context (tables `leads`, `interactions`, `sales`,
//! `sellers`).

use std::collections::HashMap;

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, Db, dedupe_last};
use promptsales_shared::delta::{Changed, Watermark, fetch_changed};
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, Page, ProductId, TenantId};
use promptsales_shared::time::{format_ts, now_ts, parse_ts};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::{Interaction, Lead, LeadId, LeadStage, Sale, SaleId, Seller, SellerId};
use crate::sql::Sql;

mod workflow;
pub use workflow::*;

/// `created_at` of a lead is the lead's own creation time, so it is bound
/// from the lead and updated like any other field.
const LEADS: BulkUpsert = BulkUpsert {
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

const INTERACTIONS: BulkUpsert = BulkUpsert {
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

const SALES: BulkUpsert = BulkUpsert {
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

const SELLERS: BulkUpsert = BulkUpsert {
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

/// Filters of `search_leads`; every one that is set must match.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub stage: Option<LeadStage>,
    pub country: Option<Country>,
    pub channel: Option<Channel>,
    pub campaign_id: Option<String>,
    pub client_id: Option<ClientId>,
    pub seller_id: Option<SellerId>,
    /// Only leads scoring at least this much.
    pub min_score: Option<i32>,
    /// Only leads scoring at most this much.
    pub max_score: Option<i32>,
    /// Only leads created at or after this instant (RFC 3339 text).
    pub created_from: Option<String>,
    /// Only leads created before this instant (RFC 3339 text).
    pub created_to: Option<String>,
}

pub(crate) fn lead_from_row(r: &AnyRow) -> Result<Lead, AppError> {
    Ok(Lead {
        id: LeadId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        campaign_id: r.try_get("campaign_id")?,
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        city: r.try_get("city")?,
        stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
        score: r.try_get("score")?,
        seller_id: r
            .try_get::<Option<String>, _>("seller_id")?
            .map(SellerId::from_trusted),
        created_at: parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
    })
}

pub(crate) fn sale_from_row(r: &AnyRow) -> Result<Sale, AppError> {
    Ok(Sale {
        id: SaleId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        lead_id: r
            .try_get::<Option<String>, _>("lead_id")?
            .map(LeadId::from_trusted),
        campaign_id: r.try_get("campaign_id")?,
        product_id: r
            .try_get::<Option<String>, _>("product_id")?
            .map(ProductId::from_trusted),
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        city: r.try_get("city")?,
        amount_cents: r.try_get("amount_cents")?,
        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
        closed_at: parse_ts("closed_at", &r.try_get::<String, _>("closed_at")?)?,
    })
}

fn seller_from_row(r: &AnyRow) -> Result<Seller, AppError> {
    Ok(Seller {
        id: SellerId::from_trusted(r.try_get("id")?),
        name: r.try_get("name")?,
        active: r.try_get::<i64, _>("active")? != 0,
        capacity: r.try_get("capacity")?,
    })
}

/// Access to the CRM tables of one database.
#[derive(Clone, Debug)]
pub struct CrmStore {
    db: Db,
}

impl CrmStore {
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
    /// sale's lead, when given, must exist (see [`CrmStore::lead_refs`]).
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

    pub async fn get_lead(&self, tenant: &TenantId, id: &LeadId) -> Result<Lead, AppError> {
        let row = sqlx::query(
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at \
             FROM leads WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("lead", id.as_str()))?;
        lead_from_row(&row)
    }

    /// Leads by id, keyset-paginated. The statement holds only the filters
    /// that are set, so each search walks the index that fits it.
    pub async fn search_leads(
        &self,
        tenant: &TenantId,
        filter: &LeadFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<Lead>, AppError> {
        let mut q = Sql::new(
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at FROM leads WHERE tenant_id = ",
        );
        q.text_arg(tenant.as_str());
        if let Some(v) = filter.stage {
            q.push(" AND stage = ").text_arg(v.as_str());
        }
        if let Some(v) = filter.country {
            q.push(" AND country = ").text_arg(v.as_str());
        }
        if let Some(v) = filter.channel {
            q.push(" AND channel = ").text_arg(v.as_str());
        }
        if let Some(v) = &filter.campaign_id {
            q.push(" AND campaign_id = ").text_arg(v.clone());
        }
        if let Some(v) = &filter.client_id {
            q.push(" AND client_id = ").text_arg(v.as_str());
        }
        if let Some(v) = &filter.seller_id {
            q.push(" AND seller_id = ").text_arg(v.as_str());
        }
        if let Some(v) = filter.min_score {
            q.push(" AND score >= ").int_arg(i64::from(v));
        }
        if let Some(v) = filter.max_score {
            q.push(" AND score <= ").int_arg(i64::from(v));
        }
        if let Some(v) = &filter.created_from {
            q.push(" AND created_at >= ").text_arg(v.clone());
        }
        if let Some(v) = &filter.created_to {
            q.push(" AND created_at < ").text_arg(v.clone());
        }
        if let Some(c) = cursor {
            q.push(" AND id > ").text_arg(c);
        }
        q.push(" ORDER BY id LIMIT ").int_arg(limit + 1);
        let rows = q.query().fetch_all(self.db.pool()).await?;
        let mut items = rows
            .iter()
            .map(lead_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|l| l.id.as_str().to_owned())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
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

    /// Documented read path for the analytics sync: leads changed after
    /// `after` in `(updated_at, id)` order, at most `limit`. Personal data
    /// is not read.
    pub async fn leads_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Lead>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at, updated_at \
             FROM leads WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at, updated_at \
             FROM leads WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, lead_from_row))
            .collect()
    }

    /// Documented read path for the analytics sync: sales changed after
    /// `after` in `(updated_at, id)` order, at most `limit`.
    pub async fn sales_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Sale>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, client_id, lead_id, campaign_id, product_id, channel, country, city, \
             amount_cents, currency, closed_at, updated_at \
             FROM sales WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, client_id, lead_id, campaign_id, product_id, channel, country, city, \
             amount_cents, currency, closed_at, updated_at \
             FROM sales WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, sale_from_row))
            .collect()
    }

    /// Every seller of the tenant, by id.
    pub async fn list_sellers(&self, tenant: &TenantId) -> Result<Vec<Seller>, AppError> {
        let rows = sqlx::query(
            "SELECT id, name, active, capacity FROM sellers WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(seller_from_row).collect()
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
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::{Direction, InteractionId};

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

    fn leads() -> Vec<Lead> {
        vec![
            lead("lead_a", LeadStage::Iql, 10),
            lead("lead_b", LeadStage::Mql, 55),
            lead("lead_c", LeadStage::Sql, 90),
        ]
    }

    fn sale(id: &str, lead_id: Option<&str>) -> Sale {
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

    async fn exercise(db: Db) {
        let store = CrmStore::new(db);
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
            store.get_lead(&t, &changed[0].id).await.unwrap(),
            changed[0]
        );

        // Duplicates in one batch: the last one wins.
        let mut dup = changed.clone();
        let mut last = changed[0].clone();
        last.city = Some("Cali".into());
        dup.push(last.clone());
        assert_eq!(store.upsert_leads(&t, &dup).await.unwrap(), 1);
        assert_eq!(store.get_lead(&t, &last.id).await.unwrap(), last);

        // Invalid rows are rejected before anything is written.
        let mut bad = leads();
        bad[2].score = 101;
        let e = store.upsert_leads(&t, &bad).await.unwrap_err();
        assert!(e.to_string().contains("`score`"), "{e}");

        // Round trip, including optional fields and microseconds.
        let b = store.get_lead(&t, &changed[1].id).await.unwrap();
        assert_eq!(b, changed[1]);
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

        // Lead references for the importer.
        let refs = store.lead_refs(&t).await.unwrap();
        assert_eq!(refs.len(), 4);
        assert_eq!(refs["lead_a"].as_str(), "cli_1");

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
        let listed = store.list_sellers(&t).await.unwrap();
        assert_eq!(listed, [sellers[1].clone(), sellers[0].clone()]);

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

    async fn delta_readers(store: &CrmStore) {
        let t = TenantId::parse("t3").unwrap();
        let other = TenantId::parse("t4").unwrap();
        store.upsert_leads(&t, &leads()).await.unwrap();
        let mut with_campaign = sale("sale_b", Some("lead_a"));
        with_campaign.campaign_id = Some("cmp_1".into());
        with_campaign.city = Some("Medellín".into());
        let sales = [sale("sale_a", None), with_campaign];
        store.upsert_sales(&t, &sales).await.unwrap();

        // Leads: keyset pages, the whole lead read back.
        let p1 = store.leads_changed_since(&t, None, 2).await.unwrap();
        let ids: Vec<&str> = p1.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["lead_a", "lead_b"]);
        assert_eq!(p1[0].row, leads()[0]);
        let p2 = store
            .leads_changed_since(&t, Some(&p1[1].watermark()), 2)
            .await
            .unwrap();
        assert_eq!(p2.len(), 1);
        assert_eq!(p2[0].row, leads()[2]);
        let lead_end = p2[0].watermark();

        // Sales, optional references included.
        let s = store.sales_changed_since(&t, None, 10).await.unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].row, sales[0]);
        assert_eq!(s[1].row, sales[1]);
        let sale_end = s[1].watermark();
        assert!(
            store
                .sales_changed_since(&t, Some(&sale_end), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Unchanged re-sends are invisible; a changed amount is one row.
        store.upsert_sales(&t, &sales).await.unwrap();
        store.upsert_leads(&t, &leads()).await.unwrap();
        assert!(
            store
                .leads_changed_since(&t, Some(&lead_end), 10)
                .await
                .unwrap()
                .is_empty()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
        let mut dearer = sales[0].clone();
        dearer.amount_cents += 1;
        store
            .upsert_sales(&t, std::slice::from_ref(&dearer))
            .await
            .unwrap();
        let late = store
            .sales_changed_since(&t, Some(&sale_end), 10)
            .await
            .unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].row, dearer);
        assert!(
            store
                .sales_changed_since(&other, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn store_round_trips_and_is_idempotent_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(t.db.clone()).await;
            delta_readers(&CrmStore::new(t.db.clone())).await;
            t.cleanup().await;
        }
    }
}
