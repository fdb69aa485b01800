//! Verified inbound messages: the WhatsApp messages the signature-checked
//! webhook processed, kept durably so a redelivery or a replay changes
//! nothing, and so only they open WhatsApp's 24-hour service window.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_ts, now_ts, parse_ts};

use super::CrmStore;
use super::ledger::{LedgerChange, write_ledger};
use super::messages::insert_interaction;
use crate::domain::{Interaction, LeadId};

/// A verified inbound message as the webhook records it.
#[derive(Debug, Clone)]
pub struct VerifiedInbound<'a> {
    /// SHA-256 (hex) of the provider's message id.
    pub message_key: &'a str,
    pub lead_id: &'a LeadId,
    /// Blind index of the sender's phone.
    pub contact_hash: Option<&'a str>,
    /// When the person wrote (never later than now).
    pub at: DateTime<Utc>,
}

impl CrmStore {
    /// Whether the webhook already processed this message.
    pub async fn inbound_seen(
        &self,
        tenant: &TenantId,
        message_key: &str,
    ) -> Result<bool, AppError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_messages WHERE tenant_id = $1 AND message_key = $2",
        )
        .bind(tenant.as_str())
        .bind(message_key.to_owned())
        .fetch_one(self.db().pool())
        .await?;
        Ok(n > 0)
    }

    /// Records a verified inbound message with its interaction and the
    /// ledger changes it causes (an opt-out keyword), in one transaction
    /// that first claims the message id: `false`, and nothing written,
    /// when the message was already processed (a duplicate delivery).
    pub async fn record_verified_inbound(
        &self,
        tenant: &TenantId,
        m: &VerifiedInbound<'_>,
        interaction: &Interaction,
        ledger: &[LedgerChange<'_>],
    ) -> Result<bool, AppError> {
        interaction.validate()?;
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let claimed = sqlx::query(
            "INSERT INTO webhook_messages (tenant_id, message_key, lead_id, contact_hash, at, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, message_key) DO NOTHING",
        )
        .bind(tenant.as_str().to_owned())
        .bind(m.message_key.to_owned())
        .bind(m.lead_id.as_str().to_owned())
        .bind(m.contact_hash.map(str::to_owned))
        .bind(format_ts(m.at))
        .bind(now.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        // An interaction already stored under this message's id (a delivery
        // processed before message ids were kept) had its effects then.
        if insert_interaction(&mut tx, tenant, interaction, &now).await? > 0 {
            for c in ledger {
                write_ledger(&mut tx, tenant, c).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The last time the person behind `contact_hash` wrote to us in a
    /// verified WhatsApp message, if at or after `since`.
    pub async fn last_verified_inbound(
        &self,
        tenant: &TenantId,
        contact_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        // Timestamps are fixed-width UTC text: they compare as they sort.
        let last: Option<String> = sqlx::query_scalar(
            "SELECT MAX(at) FROM webhook_messages WHERE tenant_id = $1 AND contact_hash = $2 AND at >= $3",
        )
        .bind(tenant.as_str())
        .bind(contact_hash.to_owned())
        .bind(format_ts(since))
        .fetch_one(self.db().pool())
        .await?;
        last.map(|t| parse_ts("at", &t)).transpose()
    }
}
