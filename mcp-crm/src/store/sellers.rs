//! The sales team: seller loads and coverage, assignment, activity
//! figures and the contact times behind the follow-up alerts.

use std::collections::HashMap;

use crm_read::rows::seller_from_row;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Country, TenantId};
use promptsales_shared::time::{now_ts, parse_ts};
use sqlx::Row;

use super::{CrmStore, opt_ts};
use crate::domain::{LeadId, LeadStage, Seller, SellerId};

/// A seller with what assignment needs to know.
#[derive(Debug, Clone)]
pub struct SellerLoad {
    pub seller: Seller,
    pub countries: Vec<String>,
    pub open_leads: i64,
    pub last_assigned_at: Option<String>,
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

/// A lead whose follow-up is due, with its last contact times.
#[derive(Debug, Clone)]
pub struct ContactTimes {
    pub id: LeadId,
    pub stage: LeadStage,
    pub score: i32,
    pub seller_id: Option<SellerId>,
    pub last_in: Option<String>,
    pub last_out: Option<String>,
}

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
            "SELECT s.id, s.name, s.active, s.capacity, s.countries, s.last_assigned_at, \
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

    /// Creates or updates a seller with the countries they cover.
    pub async fn save_seller(
        &self,
        tenant: &TenantId,
        seller: &Seller,
        countries: &[Country],
    ) -> Result<(), AppError> {
        self.import
            .upsert_sellers(tenant, std::slice::from_ref(seller))
            .await?;
        sqlx::query("UPDATE sellers SET countries = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str().to_owned())
            .bind(seller.id.as_str().to_owned())
            .bind(promptsales_shared::db::json_list(countries))
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    /// Assigns a lead to a seller and stamps the seller's last assignment.
    pub async fn assign(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
        seller: &SellerId,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
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

    /// Activity of every seller: leads, outcomes, first-response delays
    /// and revenue per currency.
    pub async fn seller_activity(
        &self,
        tenant: &TenantId,
    ) -> Result<HashMap<String, SellerActivity>, AppError> {
        let mut out: HashMap<String, SellerActivity> = Default::default();
        let rows = sqlx::query(
            "SELECT seller_id, stage, CAST(COUNT(*) AS BIGINT) AS n FROM leads \
             WHERE tenant_id = $1 AND seller_id IS NOT NULL GROUP BY seller_id, stage",
        )
        .bind(tenant.as_str())
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
             FROM leads l WHERE l.tenant_id = $1 AND l.seller_id IS NOT NULL",
        )
        .bind(tenant.as_str())
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
             WHERE s.tenant_id = $1 AND l.seller_id IS NOT NULL GROUP BY l.seller_id, s.currency",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let a = out.entry(r.try_get("seller_id")?).or_default();
            a.revenue
                .push((r.try_get("currency")?, r.try_get("amount")?));
        }
        Ok(out)
    }

    /// Open leads with their last inbound and outbound contact times, for
    /// the follow-up alerts: those with an inbound message newer than any
    /// reply, or scoring at least `hot_score`.
    pub async fn contact_times(
        &self,
        tenant: &TenantId,
        hot_score: i32,
        limit: i64,
    ) -> Result<Vec<ContactTimes>, AppError> {
        let rows = sqlx::query(
            "SELECT id, stage, score, seller_id, last_in, last_out FROM ( \
               SELECT l.id, l.stage, l.score, l.seller_id, \
               (SELECT MAX(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS last_in, \
               (SELECT MAX(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS last_out \
               FROM leads l WHERE l.tenant_id = $1 AND l.stage IN ('iql', 'mql', 'sql') AND l.erased_at IS NULL) t \
             WHERE (last_in IS NOT NULL AND (last_out IS NULL OR last_out < last_in)) OR score >= $2 \
             ORDER BY score DESC, id LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(hot_score)
        .bind(limit)
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ContactTimes {
                    id: LeadId::from_trusted(r.try_get("id")?),
                    stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
                    score: r.try_get("score")?,
                    seller_id: r
                        .try_get::<Option<String>, _>("seller_id")?
                        .map(SellerId::from_trusted),
                    last_in: r.try_get("last_in")?,
                    last_out: r.try_get("last_out")?,
                })
            })
            .collect()
    }
}
