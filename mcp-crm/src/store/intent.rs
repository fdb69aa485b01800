//! The purchase-intent model's data: feature rows per lead, the stored
//! model per tenant and the predictions written back to leads.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, TenantId};
use promptsales_shared::time::{now_ts, parse_ts};
use sqlx::Row;

use super::CrmStore;
use crate::domain::{LeadId, LeadStage};

/// Features of a lead for the intent model, read in one pass.
#[derive(Debug, Clone)]
pub struct IntentRow {
    pub id: String,
    pub stage: LeadStage,
    pub score: i32,
    pub channel: Channel,
    pub has_company: bool,
    pub has_product: bool,
    pub has_seller: bool,
    pub inbound: i64,
    pub outbound: i64,
    pub avg_sentiment: f64,
    pub texts: String,
}

impl CrmStore {
    pub async fn set_intent(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        probability: f64,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE leads SET intent_probability = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .bind(probability)
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    /// Training rows for the intent model: the tenant's most recent leads
    /// (at most `limit`) with their interaction aggregates.
    pub async fn intent_rows(
        &self,
        tenant: &TenantId,
        only: Option<&LeadId>,
        limit: i64,
    ) -> Result<Vec<IntentRow>, AppError> {
        let mut q = promptsales_shared::sql::Sql::new(
            "SELECT l.id, l.stage, l.score, l.channel, l.company, l.product_interest, l.seller_id, \
             (SELECT COUNT(*) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS inbound, \
             (SELECT COUNT(*) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS outbound, \
             (SELECT AVG(i.sentiment) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS sentiment \
             FROM leads l WHERE l.tenant_id = ",
        );
        q.text_arg(tenant.as_str());
        if let Some(l) = only {
            q.push(" AND l.id = ").text_arg(l.as_str());
        }
        q.push(" ORDER BY l.created_at DESC, l.id LIMIT ")
            .int_arg(limit);
        let rows = q.query().fetch_all(self.db().pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            out.push(IntentRow {
                stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
                score: r.try_get("score")?,
                channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
                has_company: r.try_get::<Option<String>, _>("company")?.is_some(),
                has_product: r
                    .try_get::<Option<String>, _>("product_interest")?
                    .is_some(),
                has_seller: r.try_get::<Option<String>, _>("seller_id")?.is_some(),
                inbound: r.try_get("inbound")?,
                outbound: r.try_get("outbound")?,
                avg_sentiment: r.try_get::<Option<f64>, _>("sentiment")?.unwrap_or(0.0),
                texts: String::new(),
                id,
            });
        }
        // Inbound texts (for keyword features) in one query per batch of
        // leads would need an IN list; a single ordered scan is cheaper.
        // One lead: an index seek; training: one scan of inbound texts.
        let texts = match only {
            Some(l) => {
                sqlx::query(
                    "SELECT lead_id, text FROM interactions WHERE tenant_id = $1 AND lead_id = $2 \
                     AND direction = 'in'",
                )
                .bind(tenant.as_str())
                .bind(l.as_str().to_owned())
                .fetch_all(self.db().pool())
                .await?
            }
            None => sqlx::query(
                "SELECT lead_id, text FROM interactions WHERE tenant_id = $1 AND direction = 'in'",
            )
            .bind(tenant.as_str())
            .fetch_all(self.db().pool())
            .await?,
        };
        let mut by_id: std::collections::HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        for r in &texts {
            let lead: String = r.try_get("lead_id")?;
            if let Some(i) = by_id.get_mut(&lead) {
                let t: String = r.try_get("text")?;
                out[*i].texts.push_str(&t);
                out[*i].texts.push('\n');
            }
        }
        Ok(out)
    }

    pub async fn lead_count(&self, tenant: &TenantId) -> Result<i64, AppError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_one(self.db().pool())
                .await?,
        )
    }

    pub async fn save_model(&self, tenant: &TenantId, model_json: &str) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO intent_models (tenant_id, trained_at, model) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET trained_at = excluded.trained_at, model = excluded.model",
        )
        .bind(tenant.as_str().to_owned())
        .bind(now_ts())
        .bind(model_json.to_owned())
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    pub async fn load_model(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<(DateTime<Utc>, String)>, AppError> {
        let row = sqlx::query("SELECT trained_at, model FROM intent_models WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(self.db().pool())
            .await?;
        row.map(|r| {
            Ok((
                parse_ts("trained_at", &r.try_get::<String, _>("trained_at")?)?,
                r.try_get("model")?,
            ))
        })
        .transpose()
    }
}
