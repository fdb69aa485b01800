//! `mcp-crm rotate-key`: moves every lead's personal data to the current
//! key — decrypts each value (under the previous key, or any older format),
//! encrypts it again bound to its row and column, rebuilds the email and
//! phone blind indexes and moves the ledger rows keyed by the old indexes —
//! in keyset batches, each batch one transaction; then the sealed
//! credentials of the clients' connections, one connection at a time. Idempotent and
//! resumable: a lead already under the current key is skipped, so an
//! interrupted run is simply run again.

use promptsales_shared::AppError;
use serde::Serialize;

use crate::crypto::{Crypto, Field};
use crate::store::{
    ConnectionRow, CrmStore, ResealedConnection, ResealedLead, Rewritten, SealedLead,
};

/// Default number of leads per batch.
pub const DEFAULT_BATCH: i64 = 500;

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    /// The key every value is now under.
    pub key_id: String,
    /// Leads holding personal data that were looked at.
    pub leads_scanned: u64,
    /// Leads rewritten under the current key.
    pub leads_rotated: u64,
    /// Values (name, email, phone) encrypted again.
    pub values_reencrypted: u64,
    /// Email and phone blind indexes that changed.
    pub indexes_rebuilt: u64,
    /// Leads already entirely under the current key (an earlier run's).
    pub already_current: u64,
    /// Leads changed while the run read them: run again to finish them.
    pub changed_during_run: u64,
    /// Leads whose data could not be decrypted with the keys given (their
    /// ids are in the log): fix the keys and run again.
    pub failed: u64,
    pub ledger_events_reindexed: u64,
    pub permissions_reindexed: u64,
    pub permissions_merged: u64,
    pub inbound_messages_reindexed: u64,
    /// Connections whose sealed credentials were looked at.
    pub connections_scanned: u64,
    /// Connections whose credentials were encrypted again.
    pub connections_rotated: u64,
    /// Ledger contacts no lead holds (erased people): their entries keep
    /// the index they were written under, which the new key cannot match.
    pub ledger_contacts_without_lead: i64,
}

impl RotationReport {
    /// Whether every lead is now under the current key.
    pub fn complete(&self) -> bool {
        self.failed == 0 && self.changed_during_run == 0
    }

    fn add(&mut self, w: &Rewritten) {
        self.leads_rotated += w.leads;
        self.changed_during_run += w.changed;
        self.ledger_events_reindexed += w.ledger_events;
        self.permissions_reindexed += w.permissions;
        self.permissions_merged += w.permissions_merged;
        self.inbound_messages_reindexed += w.inbound;
    }
}

/// Whether every value of the lead is already under the current key.
fn is_current(crypto: &Crypto, l: &SealedLead) -> bool {
    [&l.name_enc, &l.email_enc, &l.phone_enc]
        .into_iter()
        .flatten()
        .all(|v| crypto.is_current(v))
}

/// The lead sealed under the current key, with its indexes recomputed,
/// and how many values were encrypted again.
fn reseal(crypto: &Crypto, l: &SealedLead) -> Result<(ResealedLead, u64), AppError> {
    let (t, id) = (l.tenant.as_str(), l.id.as_str());
    let mut values = 0;
    let mut again =
        |column: &str, v: &Option<String>| -> Result<(Option<String>, Option<String>), AppError> {
            let Some(stored) = v else {
                return Ok((None, None));
            };
            let at = Field::lead(t, id, column);
            let plain = crypto.decrypt(at, stored)?;
            values += 1;
            Ok((Some(crypto.encrypt(at, &plain)?), Some(plain)))
        };
    let (name_enc, _) = again("name_enc", &l.name_enc)?;
    let (email_enc, email) = again("email_enc", &l.email_enc)?;
    let (phone_enc, phone) = again("phone_enc", &l.phone_enc)?;
    // An index is rebuilt where one existed: a lead never gains one here
    // (it could belong to another lead, which registration decides).
    let index = |kind: &str, had: &Option<String>, plain: Option<String>| {
        had.as_ref()
            .and(plain)
            .map(|p| crypto.blind_index(t, kind, &p))
    };
    Ok((
        ResealedLead {
            email_hash: index("email", &l.email_hash, email),
            phone_hash: index("phone", &l.phone_hash, phone),
            name_enc,
            email_enc,
            phone_enc,
            before: l.clone(),
        },
        values,
    ))
}

/// Rotates every lead of every tenant to `crypto`'s current key (which
/// must also hold the previous key, see [`Crypto::with_previous`]).
pub async fn rotate(
    store: &CrmStore,
    crypto: &Crypto,
    batch: i64,
) -> Result<RotationReport, AppError> {
    let batch = batch.clamp(1, 10_000);
    let mut report = RotationReport {
        key_id: crypto.key_id().to_owned(),
        ..Default::default()
    };
    let mut after: Option<(String, String)> = None;
    loop {
        let leads = store
            .sealed_leads_after(after.as_ref().map(|(t, i)| (t.as_str(), i.as_str())), batch)
            .await?;
        let Some(last) = leads.last() else { break };
        after = Some((last.tenant.clone(), last.id.clone()));
        report.leads_scanned += leads.len() as u64;
        let mut todo = Vec::new();
        for l in &leads {
            if is_current(crypto, l) {
                report.already_current += 1;
                continue;
            }
            match reseal(crypto, l) {
                Ok((r, values)) => {
                    report.values_reencrypted += values;
                    report.indexes_rebuilt += u64::from(r.email_hash != l.email_hash)
                        + u64::from(r.phone_hash != l.phone_hash);
                    todo.push(r);
                }
                Err(e) => {
                    tracing::error!(tenant = %l.tenant, lead = %l.id, error = %e, "lead not rotated");
                    report.failed += 1;
                }
            }
        }
        if todo.is_empty() {
            continue;
        }
        match store.rewrite_sealed(&todo).await {
            Ok(w) => report.add(&w),
            // One bad row must not hold the others back: retry the batch
            // lead by lead and name the ones that fail.
            Err(batch_error) => {
                tracing::warn!(error = %batch_error, "batch failed; retrying lead by lead");
                for r in &todo {
                    match store.rewrite_sealed(std::slice::from_ref(r)).await {
                        Ok(w) => report.add(&w),
                        Err(e) => {
                            tracing::error!(tenant = %r.before.tenant, lead = %r.before.id, error = %e, "lead not rotated");
                            report.failed += 1;
                        }
                    }
                }
            }
        }
        tracing::info!(
            scanned = report.leads_scanned,
            rotated = report.leads_rotated,
            "rotation progress"
        );
    }
    rotate_connections(store, crypto, &mut report).await?;
    report.ledger_contacts_without_lead = store.ledger_contacts_without_lead().await?;
    Ok(report)
}

/// A connection's credentials sealed again under the current key; `None`
/// when they already are.
fn reseal_connection(
    crypto: &Crypto,
    tenant: &str,
    c: &ConnectionRow,
) -> Result<Option<ResealedConnection>, AppError> {
    let sealed = [&c.token_enc, &c.app_secret_enc, &c.verify_token_enc];
    if sealed
        .iter()
        .copied()
        .flatten()
        .all(|v| crypto.is_current(v))
    {
        return Ok(None);
    }
    let row = format!("{}:{}", c.client_id, c.channel);
    let again = |column: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
        let Some(stored) = v else { return Ok(None) };
        let at = Field {
            tenant,
            table: "connections",
            row: &row,
            column,
        };
        let plain = crypto.decrypt(at, stored)?;
        Ok(Some(crypto.encrypt(at, &plain)?))
    };
    Ok(Some(ResealedConnection {
        tenant: tenant.to_owned(),
        client_id: c.client_id.as_str().to_owned(),
        channel: c.channel.clone(),
        updated_at: c.updated_at.clone(),
        token_enc: again("token_enc", &c.token_enc)?,
        app_secret_enc: again("app_secret_enc", &c.app_secret_enc)?,
        verify_token_enc: again("verify_token_enc", &c.verify_token_enc)?,
    }))
}

/// Moves every connection's credentials to the current key.
async fn rotate_connections(
    store: &CrmStore,
    crypto: &Crypto,
    report: &mut RotationReport,
) -> Result<(), AppError> {
    for (tenant, c) in store.sealed_connections().await? {
        report.connections_scanned += 1;
        match reseal_connection(crypto, &tenant, &c) {
            Ok(None) => {}
            Ok(Some(r)) => {
                if store.reseal_connection(&r).await? {
                    report.connections_rotated += 1;
                } else {
                    report.changed_during_run += 1;
                }
            }
            Err(e) => {
                tracing::error!(%tenant, client = %c.client_id, channel = %c.channel, error = %e, "connection not rotated");
                report.failed += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use promptsales_server::auth::Principal;
    use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};
    use promptsales_shared::testing::backends;
    use sqlx::Row;

    use super::*;
    use crate::domain::{ContactChannel, LeadId};
    use crate::service::{CrmService, NewLead, WhatsappInbound};

    fn person(email: Option<&str>, phone: Option<&str>) -> NewLead {
        NewLead {
            client_id: "cli_1".into(),
            channel: Channel::Web,
            country: "CO".into(),
            city: None,
            campaign_id: None,
            name: Some("Ana Gómez".into()),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            company: None,
            product_interest: None,
            language: None,
        }
    }

    fn staff(t: &TenantId) -> Principal {
        Principal::new(
            "staff",
            t.clone(),
            [
                "crm:read",
                "crm:write",
                "crm:send",
                "crm:consent",
                "crm:gdpr",
            ],
        )
    }

    async fn register(s: &CrmService, t: &TenantId, p: NewLead) -> LeadId {
        s.register_lead(t, "test", p).await.unwrap().lead.lead.id
    }

    #[tokio::test]
    async fn rotation_moves_every_value_index_and_ledger_row_to_the_new_key_once() {
        for db in backends(&crm_read::MIGRATIONS).await.unwrap() {
            let store = CrmStore::new(db.db.clone());
            let old = Crypto::new(&[1u8; 32]).unwrap();
            let new_only = Crypto::new(&[2u8; 32]).unwrap();
            let both = new_only.clone().with_previous(&[1u8; 32]).unwrap();
            let before = CrmService::new(store.clone(), old.clone());
            let (t1, t2) = (
                TenantId::parse("r1").unwrap(),
                TenantId::parse("r2").unwrap(),
            );

            // Leads under the old key: with a ledger, with a verified
            // WhatsApp message, in another tenant, in the first format,
            // and an erased one whose suppression outlives it.
            let l1 = register(
                &before,
                &t1,
                person(Some("ana@example.com"), Some("3001110000")),
            )
            .await;
            before
                .record_consent(
                    &staff(&t1),
                    l1.as_str(),
                    ContactChannel::Email,
                    true,
                    "form",
                )
                .await
                .unwrap();
            before
                .suppress(
                    &staff(&t1),
                    l1.as_str(),
                    Some(ContactChannel::Whatsapp),
                    "asked",
                    false,
                )
                .await
                .unwrap();
            let l3 = register(
                &before,
                &t1,
                person(Some("wa@example.com"), Some("3003330000")),
            )
            .await;
            before
                .receive_whatsapp(
                    &t1,
                    WhatsappInbound {
                        message_id: "wamid.R1".into(),
                        phone: "+573003330000".into(),
                        name: None,
                        text: "hola".into(),
                        at: None,
                        client_id: ClientId::parse("cli_1").unwrap(),
                        country: Country::parse("CO").unwrap(),
                    },
                )
                .await
                .unwrap();
            let l2 = register(&before, &t2, person(Some("bea@example.com"), None)).await;
            let l5 = register(
                &before,
                &t1,
                person(Some("v1@example.com"), Some("3005550000")),
            )
            .await;
            sqlx::query(
                "UPDATE leads SET name_enc = $3, email_enc = $4, phone_enc = $5 WHERE tenant_id = $1 AND id = $2",
            )
            .bind("r1")
            .bind(l5.as_str().to_owned())
            .bind(old.encrypt_v1("Vera Uno"))
            .bind(old.encrypt_v1("v1@example.com"))
            .bind(old.encrypt_v1("+573005550000"))
            .execute(db.db.pool())
            .await
            .unwrap();
            let l4 = register(&before, &t1, person(Some("gone@example.com"), None)).await;
            before
                .suppress(&staff(&t1), l4.as_str(), None, "complaint", false)
                .await
                .unwrap();
            before
                .gdpr_erase_lead(&staff(&t1), l4.as_str(), false)
                .await
                .unwrap();

            // A client's connection, its credentials under the old key.
            let admin = Principal::new("root", t1.clone(), ["admin"]);
            before
                .set_connection(
                    &admin,
                    crate::service::NewConnection {
                        client_id: "cli_1".into(),
                        channel: crate::service::ConnectionChannel::Whatsapp,
                        phone_number_id: "2077".into(),
                        access_token: Some("tok".into()),
                        app_secret: Some("app-secret".into()),
                        verify_token: None,
                        waba_id: None,
                        enabled: true,
                    },
                )
                .await
                .unwrap();

            // Mid-rotation, a server holding both keys still finds people
            // by their old index (no twin).
            let during = CrmService::new(store.clone(), both.clone());
            let again = during
                .register_lead(&t2, "test", person(Some("bea@example.com"), None))
                .await
                .unwrap();
            assert_eq!(again.duplicate_of.as_ref(), Some(&l2), "{}", db.label());

            let r = rotate(&store, &both, 2).await.unwrap();
            assert!(r.complete(), "{r:?}");
            assert_eq!(r.key_id, new_only.key_id());
            assert_eq!(
                (
                    r.leads_scanned,
                    r.leads_rotated,
                    r.already_current,
                    r.failed
                ),
                (4, 4, 0, 0),
                "{} {r:?}",
                db.label()
            );
            assert_eq!(r.values_reencrypted, 3 + 3 + 2 + 3, "{r:?}");
            assert_eq!(r.indexes_rebuilt, 2 + 2 + 1 + 2, "{r:?}");
            assert!(r.ledger_events_reindexed >= 2, "{r:?}");
            assert!(r.permissions_reindexed >= 2, "{r:?}");
            assert_eq!(r.inbound_messages_reindexed, 1, "{r:?}");
            assert_eq!(
                (r.connections_scanned, r.connections_rotated),
                (1, 1),
                "{r:?}"
            );
            assert_eq!(
                r.ledger_contacts_without_lead, 1,
                "the erased person's opt-out"
            );

            // At rest, everything is under the new key, in the new format.
            let rows = sqlx::query("SELECT name_enc, email_enc, phone_enc FROM leads")
                .fetch_all(db.db.pool())
                .await
                .unwrap();
            let prefix = format!("v2:{}:", new_only.key_id());
            for row in &rows {
                for col in ["name_enc", "email_enc", "phone_enc"] {
                    if let Some(v) = row.try_get::<Option<String>, _>(col).unwrap() {
                        assert!(v.starts_with(&prefix), "{col}: {v}");
                    }
                }
            }

            // The new key alone now reads, finds and honours everything.
            let after = CrmService::new(store.clone(), new_only.clone());
            let v5 = after.get_lead(&t1, l5.as_str()).await.unwrap();
            assert_eq!(v5.profile.email.as_deref(), Some("v1@example.com"));
            assert_eq!(v5.profile.name.as_deref(), Some("Vera Uno"));
            let dup = after
                .register_lead(&t1, "test", person(Some("ANA@example.com"), None))
                .await
                .unwrap();
            assert_eq!(dup.duplicate_of.as_ref(), Some(&l1));
            let dup = after
                .register_lead(&t1, "test", person(None, Some("300 555 0000")))
                .await
                .unwrap();
            assert_eq!(dup.duplicate_of.as_ref(), Some(&l5));
            let e = after
                .send_message(&staff(&t1), l1.as_str(), ContactChannel::Whatsapp, "x")
                .await
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("suppressed"),
                "the ledger followed the contact: {e}"
            );
            let ok = after
                .send_message(&staff(&t1), l1.as_str(), ContactChannel::Email, "Hola")
                .await
                .unwrap();
            assert_eq!(ok.allowed_by, "consent");
            let ok = after
                .send_message(&staff(&t1), l3.as_str(), ContactChannel::Whatsapp, "Hola")
                .await
                .unwrap();
            assert_eq!(ok.allowed_by, "whatsapp_service_window");
            assert!(
                before.get_lead(&t1, l1.as_str()).await.is_err(),
                "the old key alone no longer reads"
            );
            let route = after.whatsapp_route(&t1, "2077").await.unwrap().unwrap();
            assert_eq!(
                route.app_secret, "app-secret",
                "the new key opens the connection"
            );
            assert!(before.whatsapp_route(&t1, "2077").await.is_err());

            // Idempotent: a second run finds nothing to do.
            let again = rotate(&store, &both, 500).await.unwrap();
            assert_eq!(
                (
                    again.leads_scanned,
                    again.leads_rotated,
                    again.already_current
                ),
                (4, 0, 4),
                "{again:?}"
            );
            assert_eq!(again.connections_rotated, 0, "{again:?}");
            db.cleanup().await;
        }
    }

    #[tokio::test]
    async fn an_undecryptable_lead_is_reported_and_the_others_rotate() {
        for db in backends(&crm_read::MIGRATIONS).await.unwrap() {
            let store = CrmStore::new(db.db.clone());
            let old = Crypto::new(&[1u8; 32]).unwrap();
            let s = CrmService::new(store.clone(), old);
            let t = TenantId::parse("bad").unwrap();
            register(&s, &t, person(Some("ok@example.com"), None)).await;
            // Written under a key nobody gives the rotation.
            let lost = CrmService::new(store.clone(), Crypto::new(&[3u8; 32]).unwrap());
            register(&lost, &t, person(Some("lost@example.com"), None)).await;
            let both = Crypto::new(&[2u8; 32])
                .unwrap()
                .with_previous(&[1u8; 32])
                .unwrap();
            let r = rotate(&store, &both, 10).await.unwrap();
            assert_eq!((r.leads_rotated, r.failed), (1, 1), "{} {r:?}", db.label());
            assert!(!r.complete());
            db.cleanup().await;
        }
    }
}
