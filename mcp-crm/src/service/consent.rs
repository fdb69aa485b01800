//! The consent and suppression ledger of a lead's contacts. Changing it
//! needs the `crm:consent` scope, checked here so every entry point is
//! covered; each change records who made it and why.

use chrono::Utc;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::scope::Scope;
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, contacts, hashes_for, short_text};
use crate::domain::{ConsentKind, ContactChannel, LeadId};
use crate::store::{LeadRecord, LedgerChange, LedgerEvent, Permission};

/// The ledger state of a lead's contacts after a change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LedgerState {
    pub lead_id: LeadId,
    pub permissions: Vec<Permission>,
    pub history: Vec<LedgerEvent>,
}

impl CrmService {
    /// Records consent given or withdrawn for a channel of the lead's
    /// contact (email for `email`, phone for `sms`/`whatsapp`).
    pub async fn record_consent(
        &self,
        who: &Principal,
        id: &str,
        channel: ContactChannel,
        granted: bool,
        source: &str,
    ) -> Result<LedgerState, AppError> {
        who.require(Scope::CrmConsent)?;
        let tenant = &who.tenant;
        let rec = self.record(tenant, id).await?;
        if channel == ContactChannel::All {
            return Err(AppError::invalid(
                "channel",
                "email, sms or whatsapp (consent is given per channel)",
                "all",
            ));
        }
        let source = short_text("source", Some(source.to_owned()))?.ok_or_else(|| {
            AppError::invalid("source", "where the consent came from (required)", "")
        })?;
        let hashes = hashes_for(&rec, channel);
        if hashes.is_empty() {
            return Err(AppError::Conflict(format!(
                "lead `{}` has no {} on record for {channel}",
                rec.lead.id,
                if channel == ContactChannel::Email {
                    "email"
                } else {
                    "phone"
                }
            )));
        }
        let kind = if granted {
            ConsentKind::ConsentGranted
        } else {
            ConsentKind::ConsentWithdrawn
        };
        self.change_ledger(who, &rec, &hashes, channel, kind, &source)
            .await
    }

    /// Suppresses (opt-out) a channel or `all` for the lead's contacts, or
    /// lifts a suppression with `lift`.
    pub async fn suppress(
        &self,
        who: &Principal,
        id: &str,
        channel: Option<ContactChannel>,
        source: &str,
        lift: bool,
    ) -> Result<LedgerState, AppError> {
        who.require(Scope::CrmConsent)?;
        let tenant = &who.tenant;
        let rec = self.record(tenant, id).await?;
        let channel = channel.unwrap_or(ContactChannel::All);
        let source = short_text("source", Some(source.to_owned()))?.ok_or_else(|| {
            AppError::invalid(
                "source",
                if lift {
                    "why the suppression is lifted (required)"
                } else {
                    "why or where the opt-out came from (required)"
                },
                "",
            )
        })?;
        let hashes = hashes_for(&rec, channel);
        if hashes.is_empty() {
            return Err(AppError::Conflict(format!(
                "lead `{}` has no contact details on record for {channel}",
                rec.lead.id
            )));
        }
        let kind = if lift {
            ConsentKind::Unsuppressed
        } else {
            ConsentKind::Suppressed
        };
        self.change_ledger(who, &rec, &hashes, channel, kind, &source)
            .await
    }

    /// One ledger change on every contact it applies to, in one
    /// transaction, recorded as made by `who` for `source`.
    async fn change_ledger(
        &self,
        who: &Principal,
        rec: &LeadRecord,
        hashes: &[(&'static str, String)],
        channel: ContactChannel,
        kind: ConsentKind,
        source: &str,
    ) -> Result<LedgerState, AppError> {
        let now = Utc::now();
        let changes: Vec<LedgerChange<'_>> = hashes
            .iter()
            .map(|(_, h)| LedgerChange {
                contact_hash: h,
                channel,
                kind,
                source,
                actor: &who.subject,
                lead_id: Some(&rec.lead.id),
                at: now,
            })
            .collect();
        self.store.record_ledger(&who.tenant, &changes).await?;
        self.ledger_state(&who.tenant, rec).await
    }

    pub(super) async fn ledger_state(
        &self,
        tenant: &TenantId,
        rec: &LeadRecord,
    ) -> Result<LedgerState, AppError> {
        let c = contacts(rec);
        Ok(LedgerState {
            lead_id: rec.lead.id.clone(),
            permissions: self.store.permissions(tenant, &c).await?,
            history: self.store.ledger_events(tenant, &c).await?,
        })
    }
}
