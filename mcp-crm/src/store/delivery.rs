//! Delivery statuses of sent messages (WhatsApp's webhook `statuses[]`):
//! each (message, status) recorded once, the message's state moved only
//! forward, and a failure put on the lead's timeline.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_ts, now_ts};
use sqlx::Row;

use super::CrmStore;
use super::messages::insert_interaction;
use crate::domain::{Interaction, LeadId};

/// One status the platform reported for a message we sent.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryStatus {
    /// The provider's message id (`wamid.…`).
    pub provider_message_id: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: String,
    pub at: DateTime<Utc>,
    /// The first error's code, when failed (e.g. `131047`).
    pub error_code: Option<String>,
    /// The first error's title and details, when failed.
    pub error_title: Option<String>,
}

/// What a status did.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusApplied {
    /// Our message id (`msg_…`).
    pub message_id: String,
    pub lead_id: LeadId,
    /// False when this (message, status) was already recorded.
    pub new: bool,
}

/// How far along a delivery is: a status never moves a message back
/// (webhooks arrive out of order), and `failed` is final, so a failure is
/// never overwritten by a late `sent`.
pub fn rank(status: &str) -> u8 {
    match status {
        "sandbox" => 0,
        "accepted" => 1,
        "sent" => 2,
        "delivered" => 3,
        "read" => 4,
        "failed" => 5,
        _ => 0,
    }
}

impl CrmStore {
    /// Records `s` for the message with its provider id: `None` when we
    /// sent no such message in this tenant. A new failure also adds the
    /// interaction `failure` builds (lead, message id) to the timeline,
    /// in the same transaction.
    pub async fn record_delivery_status(
        &self,
        tenant: &TenantId,
        s: &DeliveryStatus,
        failure: impl FnOnce(&LeadId, &str) -> Interaction,
    ) -> Result<Option<StatusApplied>, AppError> {
        let mut tx = self.db().pool().begin().await?;
        let Some(row) = sqlx::query(
            "SELECT id, lead_id, delivery_status FROM outbound_messages \
             WHERE tenant_id = $1 AND provider_message_id = $2",
        )
        .bind(tenant.as_str().to_owned())
        .bind(s.provider_message_id.clone())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let message_id: String = row.try_get("id")?;
        let lead_id = LeadId::from_trusted(row.try_get("lead_id")?);
        let current: Option<String> = row.try_get("delivery_status")?;
        let now = now_ts();
        let inserted = sqlx::query(
            "INSERT INTO message_statuses (tenant_id, provider_message_id, status, at, error_code, \
             error_title, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, provider_message_id, status) DO NOTHING",
        )
        .bind(tenant.as_str().to_owned())
        .bind(s.provider_message_id.clone())
        .bind(s.status.clone())
        .bind(format_ts(s.at))
        .bind(s.error_code.clone())
        .bind(s.error_title.clone())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if inserted {
            if rank(&s.status) > current.as_deref().map_or(0, rank) {
                sqlx::query(
                    "UPDATE outbound_messages SET delivery_status = $3, status_at = $4, \
                     failure_code = $5, failure_reason = $6 WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.as_str().to_owned())
                .bind(message_id.clone())
                .bind(s.status.clone())
                .bind(format_ts(s.at))
                .bind(s.error_code.clone())
                .bind(s.error_title.clone())
                .execute(&mut *tx)
                .await?;
            }
            if s.status == "failed" {
                let i = failure(&lead_id, &message_id);
                i.validate()?;
                insert_interaction(&mut tx, tenant, &i, &now).await?;
            }
        }
        tx.commit().await?;
        Ok(Some(StatusApplied {
            message_id,
            lead_id,
            new: inserted,
        }))
    }
}
