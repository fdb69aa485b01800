//! The sales team: seller loads, coverage and the client a seller works
//! for, assignment with its record, activity figures and the contact times
//! behind the morning digest.

use std::collections::HashMap;

use crm_read::rows::seller_from_row;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use promptsales_shared::time::parse_ts;
use sqlx::Row;

use super::{CrmStore, new_id, opt_ts};
use crate::domain::{LeadId, LeadStage, Seller, SellerId};

/// A seller with what assignment needs to know.
#[derive(Debug, Clone)]
pub struct SellerLoad {
    pub seller: Seller,
    /// The client the seller works for (only its leads); `None`: every client.
    pub client_id: Option<ClientId>,
    pub countries: Vec<String>,
    pub open_leads: i64,
    pub last_assigned_at: Option<String>,
}

/// One assignment as recorded: the load found, and the override if a
/// full seller was chosen on purpose.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct AssignmentRecord {
    pub seller_id: SellerId,
    /// `explicit` or the strategy that chose the seller.
    pub strategy: String,
    /// The seller's open leads before this one.
    pub open_leads: i64,
    pub capacity: i32,
    /// Why the seller's capacity was exceeded, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    pub actor: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Per-seller activity figures.
#[derive(Debug, Clone, Default)]
pub struct SellerActivity {
    pub leads_held: i64,
    pub open_leads: i64,
    pub customers: i64,
    pub lost: i64,
    /// Sum and count of first-response delays, in minutes.
    pub response_minutes_sum: f64,
    pub responses: i64,
    /// Revenue per currency, in hundredths.
    pub revenue: Vec<(String, i64)>,
}

/// A lead whose follow-up may be due, with its last contact times.
#[derive(Debug, Clone)]
pub struct ContactTimes {
    pub id: LeadId,
    pub client_id: ClientId,
    pub stage: LeadStage,
    pub score: i32,
    pub seller_id: Option<SellerId>,
    /// The lead's name, sealed.
    pub name_enc: Option<String>,
    pub created_at: String,
    pub last_in: Option<String>,
    pub last_out: Option<String>,
}

/// Most open leads the digest looks at in one call (its candidates are
/// the open leads with an unanswered message or a hot score).
pub const DIGEST_SCAN: i64 = 20_000;

impl CrmStore {
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

    /// Sellers with their countries, open-lead load and last assignment.
    pub async fn seller_loads(&self, tenant: &TenantId) -> Result<Vec<SellerLoad>, AppError> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.active, s.capacity, s.countries, s.last_assigned_at, s.client_id, \
             (SELECT COUNT(*) FROM leads l WHERE l.tenant_id = s.tenant_id AND l.seller_id = s.id \
              AND l.stage IN ('iql', 'mql', 'sql')) AS open_leads \
             FROM sellers s WHERE s.tenant_id = $1 ORDER BY s.id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SellerLoad {
                    seller: seller_from_row(r)?,
                    client_id: r
                        .try_get::<Option<String>, _>("client_id")?
                        .map(ClientId::from_trusted),
                    countries: r
                        .try_get::<Option<String>, _>("countries")?
                        .and_then(|c| serde_json::from_str(&c).ok())
                        .unwrap_or_default(),
                    open_leads: r.try_get("open_leads")?,
                    last_assigned_at: r.try_get("last_assigned_at")?,
                })
            })
            .collect()
    }

    /// Creates or updates a seller with the countries they cover and the
    /// client they work for (`None`: every client).
    pub async fn save_seller(
        &self,
        tenant: &TenantId,
        seller: &Seller,
        countries: &[Country],
        client: Option<&ClientId>,
    ) -> Result<(), AppError> {
        self.import
            .upsert_sellers(tenant, std::slice::from_ref(seller))
            .await?;
        sqlx::query(
            "UPDATE sellers SET countries = $3, client_id = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str().to_owned())
        .bind(seller.id.as_str().to_owned())
        .bind(promptsales_shared::db::json_list(countries))
        .bind(client.map(|c| c.as_str().to_owned()))
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    /// Assigns a lead to a seller, stamps the seller's last assignment and
    /// records the assignment (with its override, if any), together.
    pub async fn assign(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
        record: &AssignmentRecord,
    ) -> Result<(), AppError> {
        let seller = &record.seller_id;
        let now = promptsales_shared::time::format_ts(record.at);
        let mut tx = self.db().pool().begin().await?;
        sqlx::query(
            "INSERT INTO lead_assignments (tenant_id, id, lead_id, seller_id, strategy, open_leads, \
             capacity, override_reason, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant.as_str().to_owned())
        .bind(new_id("asg_"))
        .bind(lead.as_str().to_owned())
        .bind(seller.as_str().to_owned())
        .bind(record.strategy.clone())
        .bind(record.open_leads)
        .bind(record.capacity)
        .bind(record.override_reason.clone())
        .bind(record.actor.clone())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE leads SET seller_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str().to_owned())
        .bind(lead.as_str().to_owned())
        .bind(seller.as_str().to_owned())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE sellers SET last_assigned_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str().to_owned())
            .bind(seller.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A lead's assignments, oldest first.
    pub async fn assignments_of(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
    ) -> Result<Vec<AssignmentRecord>, AppError> {
        let rows = sqlx::query(
            "SELECT seller_id, strategy, open_leads, capacity, override_reason, actor, at \
             FROM lead_assignments WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id",
        )
        .bind(tenant.as_str())
        .bind(lead.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AssignmentRecord {
                    seller_id: SellerId::from_trusted(r.try_get("seller_id")?),
                    strategy: r.try_get("strategy")?,
                    open_leads: r.try_get("open_leads")?,
                    capacity: r.try_get("capacity")?,
                    override_reason: r.try_get("override_reason")?,
                    actor: r.try_get("actor")?,
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    /// Activity of every seller: leads, outcomes, first-response delays
    /// and revenue per currency, on the leads and sales of `client` (every
    /// client when `None`).
    pub async fn seller_activity(
        &self,
        tenant: &TenantId,
        client: Option<&ClientId>,
    ) -> Result<HashMap<String, SellerActivity>, AppError> {
        let client = client.map(|c| c.as_str().to_owned());
        let mut out: HashMap<String, SellerActivity> = Default::default();
        let rows = sqlx::query(
            "SELECT seller_id, stage, CAST(COUNT(*) AS BIGINT) AS n FROM leads \
             WHERE tenant_id = $1 AND seller_id IS NOT NULL AND ($2 IS NULL OR client_id = $2) \
             GROUP BY seller_id, stage",
        )
        .bind(tenant.as_str())
        .bind(client.clone())
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let a = out.entry(r.try_get("seller_id")?).or_default();
            let n: i64 = r.try_get("n")?;
            a.leads_held += n;
            match LeadStage::parse(&r.try_get::<String, _>("stage")?)? {
                LeadStage::Customer => a.customers += n,
                LeadStage::Lost => a.lost += n,
                _ => a.open_leads += n,
            }
        }
        let rows = sqlx::query(
            "SELECT l.seller_id, l.created_at, \
             (SELECT MIN(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS first_in, \
             (SELECT MIN(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS first_out \
             FROM leads l WHERE l.tenant_id = $1 AND l.seller_id IS NOT NULL AND ($2 IS NULL OR l.client_id = $2)",
        )
        .bind(tenant.as_str())
        .bind(client.clone())
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let Some(out_at) = opt_ts("first_out", r.try_get("first_out")?)? else {
                continue;
            };
            let start = match opt_ts("first_in", r.try_get("first_in")?)? {
                Some(i) if i <= out_at => i,
                _ => parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
            };
            let a = out.entry(r.try_get("seller_id")?).or_default();
            a.response_minutes_sum += (out_at - start).num_seconds().max(0) as f64 / 60.0;
            a.responses += 1;
        }
        let rows = sqlx::query(
            "SELECT l.seller_id, s.currency, CAST(SUM(s.amount_cents) AS BIGINT) AS amount FROM sales s \
             JOIN leads l ON l.tenant_id = s.tenant_id AND l.id = s.lead_id \
             WHERE s.tenant_id = $1 AND l.seller_id IS NOT NULL AND ($2 IS NULL OR s.client_id = $2) \
             GROUP BY l.seller_id, s.currency",
        )
        .bind(tenant.as_str())
        .bind(client)
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let a = out.entry(r.try_get("seller_id")?).or_default();
            a.revenue
                .push((r.try_get("currency")?, r.try_get("amount")?));
        }
        Ok(out)
    }

    /// Open leads (of one client and seller, when given) with their last
    /// inbound and outbound contact times and sealed name, for the morning
    /// digest: those with an inbound message newer than any reply, or
    /// scoring at least `hot_score`; at most [`DIGEST_SCAN`], by id.
    pub async fn contact_times(
        &self,
        tenant: &TenantId,
        hot_score: i32,
        client: Option<&ClientId>,
        seller: Option<&SellerId>,
    ) -> Result<Vec<ContactTimes>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, stage, score, seller_id, name_enc, created_at, last_in, last_out FROM ( \
               SELECT l.id, l.client_id, l.stage, l.score, l.seller_id, l.name_enc, l.created_at, \
               (SELECT MAX(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS last_in, \
               (SELECT MAX(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS last_out \
               FROM leads l WHERE l.tenant_id = $1 AND l.stage IN ('iql', 'mql', 'sql') AND l.erased_at IS NULL \
               AND ($3 IS NULL OR l.client_id = $3) AND ($4 IS NULL OR l.seller_id = $4)) t \
             WHERE (last_in IS NOT NULL AND (last_out IS NULL OR last_out < last_in)) OR score >= $2 \
             ORDER BY id LIMIT $5",
        )
        .bind(tenant.as_str())
        .bind(hot_score)
        .bind(client.map(|c| c.as_str().to_owned()))
        .bind(seller.map(|s| s.as_str().to_owned()))
        .bind(DIGEST_SCAN)
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ContactTimes {
                    id: LeadId::from_trusted(r.try_get("id")?),
                    client_id: ClientId::from_trusted(r.try_get("client_id")?),
                    stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
                    score: r.try_get("score")?,
                    seller_id: r
                        .try_get::<Option<String>, _>("seller_id")?
                        .map(SellerId::from_trusted),
                    name_enc: r.try_get("name_enc")?,
                    created_at: r.try_get("created_at")?,
                    last_in: r.try_get("last_in")?,
                    last_out: r.try_get("last_out")?,
                })
            })
            .collect()
    }
}
