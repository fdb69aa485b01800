//! The consent and suppression ledger: append-only events and the
//! current permission of each contact (by blind index) per channel, each
//! change with who made it and why.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_ts, parse_ts};
use sqlx::Row;

use super::{CrmStore, new_id};
use crate::domain::{ConsentKind, ConsentState, ContactChannel, LeadId};

/// The current ledger state of one contact on one channel.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Permission {
    /// `email` or `phone`: which contact detail this is about.
    pub contact: String,
    pub channel: ContactChannel,
    /// Absent when never asked.
    pub consent: Option<ConsentState>,
    pub suppressed: bool,
    /// Why the last change was made (the source or reason given).
    pub source: String,
    /// Who made the last change: a principal's subject, or `webhook` for a
    /// signed WhatsApp delivery.
    pub actor: String,
    pub updated_at: DateTime<Utc>,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LedgerEvent {
    pub contact: String,
    pub channel: ContactChannel,
    pub kind: ConsentKind,
    /// Why: the source or reason given.
    pub source: String,
    /// Who: a principal's subject, or `webhook`.
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// One change to the ledger: what, on which contact, by whom and why.
#[derive(Debug, Clone)]
pub struct LedgerChange<'a> {
    /// The contact's blind index.
    pub contact_hash: &'a str,
    pub channel: ContactChannel,
    pub kind: ConsentKind,
    /// Why: the source or reason (required by every entry point).
    pub source: &'a str,
    /// Who: a principal's subject, or `webhook`.
    pub actor: &'a str,
    pub lead_id: Option<&'a LeadId>,
    pub at: DateTime<Utc>,
}

/// Appends one ledger entry and updates the contact's current state,
/// inside the caller's transaction.
pub(super) async fn write_ledger(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    c: &LedgerChange<'_>,
) -> Result<(), AppError> {
    let at = format_ts(c.at);
    sqlx::query(
        "INSERT INTO consent_events (tenant_id, id, contact_hash, channel, kind, source, lead_id, at, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant.as_str().to_owned())
    .bind(new_id("cev_"))
    .bind(c.contact_hash.to_owned())
    .bind(c.channel.as_str())
    .bind(c.kind.as_str())
    .bind(c.source.to_owned())
    .bind(c.lead_id.map(|l| l.as_str().to_owned()))
    .bind(at.clone())
    .bind(c.actor.to_owned())
    .execute(&mut **tx)
    .await?;
    let (consent, suppressed): (Option<&str>, Option<i32>) = match c.kind {
        ConsentKind::ConsentGranted => (Some(ConsentState::Granted.as_str()), None),
        ConsentKind::ConsentWithdrawn => (Some(ConsentState::Withdrawn.as_str()), None),
        ConsentKind::Suppressed => (None, Some(1)),
        ConsentKind::Unsuppressed => (None, Some(0)),
    };
    sqlx::query(
        "INSERT INTO contact_permissions (tenant_id, contact_hash, channel, consent, suppressed, source, updated_at, actor) \
         VALUES ($1, $2, $3, $4, COALESCE($5, 0), $6, $7, $8) \
         ON CONFLICT (tenant_id, contact_hash, channel) DO UPDATE SET \
         consent = COALESCE(excluded.consent, contact_permissions.consent), \
         suppressed = COALESCE($5, contact_permissions.suppressed), \
         source = excluded.source, updated_at = excluded.updated_at, actor = excluded.actor",
    )
    .bind(tenant.as_str().to_owned())
    .bind(c.contact_hash.to_owned())
    .bind(c.channel.as_str())
    .bind(consent)
    .bind(suppressed)
    .bind(c.source.to_owned())
    .bind(at)
    .bind(c.actor.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl CrmStore {
    /// Appends ledger entries and updates the contacts' current state, all
    /// in one transaction (a lead's email and phone change together).
    pub async fn record_ledger(
        &self,
        tenant: &TenantId,
        changes: &[LedgerChange<'_>],
    ) -> Result<(), AppError> {
        let mut tx = self.db().pool().begin().await?;
        for c in changes {
            write_ledger(&mut tx, tenant, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Current ledger state of the given contacts (`(label, hash)` pairs).
    pub async fn permissions(
        &self,
        tenant: &TenantId,
        contacts: &[(&str, &str)],
    ) -> Result<Vec<Permission>, AppError> {
        let mut out = Vec::new();
        for (label, hash) in contacts {
            let rows = sqlx::query(
                "SELECT channel, consent, suppressed, source, actor, updated_at FROM contact_permissions \
                 WHERE tenant_id = $1 AND contact_hash = $2 ORDER BY channel",
            )
            .bind(tenant.as_str())
            .bind((*hash).to_owned())
            .fetch_all(self.db().pool())
            .await?;
            for r in &rows {
                out.push(Permission {
                    contact: (*label).to_owned(),
                    channel: ContactChannel::parse(&r.try_get::<String, _>("channel")?)?,
                    consent: r
                        .try_get::<Option<String>, _>("consent")?
                        .map(|c| ConsentState::parse(&c))
                        .transpose()?,
                    suppressed: r.try_get::<i64, _>("suppressed")? != 0,
                    source: r.try_get("source")?,
                    actor: r.try_get("actor")?,
                    updated_at: parse_ts("updated_at", &r.try_get::<String, _>("updated_at")?)?,
                });
            }
        }
        Ok(out)
    }

    /// Ledger history of the given contacts, oldest first.
    pub async fn ledger_events(
        &self,
        tenant: &TenantId,
        contacts: &[(&str, &str)],
    ) -> Result<Vec<LedgerEvent>, AppError> {
        let mut out = Vec::new();
        for (label, hash) in contacts {
            let rows = sqlx::query(
                "SELECT channel, kind, source, actor, at FROM consent_events \
                 WHERE tenant_id = $1 AND contact_hash = $2 ORDER BY at, id",
            )
            .bind(tenant.as_str())
            .bind((*hash).to_owned())
            .fetch_all(self.db().pool())
            .await?;
            for r in &rows {
                out.push(LedgerEvent {
                    contact: (*label).to_owned(),
                    channel: ContactChannel::parse(&r.try_get::<String, _>("channel")?)?,
                    kind: ConsentKind::parse(&r.try_get::<String, _>("kind")?)?,
                    source: r.try_get("source")?,
                    actor: r.try_get("actor")?,
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                });
            }
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }
}
