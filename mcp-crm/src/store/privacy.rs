//! GDPR: a lead's sales for the export, and erasure of personal data
//! that keeps the anonymised facts.

use crm_read::rows::sale_from_row;
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;

use super::CrmStore;
use crate::domain::{LeadId, Sale};

impl CrmStore {
    /// Removes a lead's personal data, keeping anonymised facts (stage,
    /// score, country, channel, sales) so totals do not change: encrypted
    /// contact details and their blind indexes, city, company, free texts
    /// of interactions and messages, the sender index of their verified
    /// WhatsApp messages. The ledger keeps its suppressions (keyed by blind
    /// index) so an opted-out person stays opted out. All the leads (the
    /// same person's, of several clients) in one transaction; whether each
    /// was erased now (false: it already was).
    pub async fn erase_leads(
        &self,
        tenant: &TenantId,
        ids: &[LeadId],
        actor: &str,
    ) -> Result<Vec<bool>, AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(erase_one(&mut tx, tenant, id, actor, &now).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// A lead's sales, oldest first.
    pub async fn sales_of_lead(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
    ) -> Result<Vec<Sale>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, lead_id, campaign_id, product_id, channel, country, city, \
             amount_cents, currency, closed_at FROM sales WHERE tenant_id = $1 AND lead_id = $2 \
             ORDER BY closed_at, id",
        )
        .bind(tenant.as_str())
        .bind(lead.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter().map(sale_from_row).collect()
    }
}

/// Erases one lead inside the caller's transaction; `false` when it
/// already was.
async fn erase_one(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    id: &LeadId,
    actor: &str,
    now: &str,
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "UPDATE leads SET name_enc = NULL, email_enc = NULL, phone_enc = NULL, email_hash = NULL, \
             phone_hash = NULL, city = NULL, company = NULL, product_interest = NULL, \
             lost_reason = NULL, score_reasons = NULL, erased_at = $3, updated_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL",
    )
    .bind(tenant.as_str().to_owned())
    .bind(id.as_str().to_owned())
    .bind(now.to_owned())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    for sql in [
        "UPDATE interactions SET text = '[erased]', updated_at = $3 WHERE tenant_id = $1 AND lead_id = $2",
        "UPDATE outbound_messages SET text = '[erased]' WHERE tenant_id = $1 AND lead_id = $2 AND $3 IS NOT NULL",
        "UPDATE sales SET city = NULL, updated_at = $3 WHERE tenant_id = $1 AND lead_id = $2 AND city IS NOT NULL",
        "UPDATE lead_stage_history SET reason = '[erased]' WHERE tenant_id = $1 AND lead_id = $2 AND $3 IS NOT NULL",
        // The message ids stay (a replayed delivery must still change
        // nothing); the sender's index goes with the lead's.
        "UPDATE webhook_messages SET contact_hash = NULL WHERE tenant_id = $1 AND lead_id = $2 AND $3 IS NOT NULL",
    ] {
        sqlx::query(sql)
            .bind(tenant.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .bind(now.to_owned())
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO gdpr_erasures (tenant_id, lead_id, actor, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(tenant.as_str().to_owned())
    .bind(id.as_str().to_owned())
    .bind(actor.to_owned())
    .bind(now.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(true)
}
