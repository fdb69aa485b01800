//! Consent you can trust, on both backends: the privileged use cases check
//! their scope themselves and change nothing without it; logged times may
//! not lie in the future; only verified inbound WhatsApp messages open the
//! service window; every ledger change records who and why; a replayed
//! delivery (a STOP after a lift included) changes nothing.

use chrono::{Duration, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};
use promptsales_shared::testing::{TestDb, backends};

use crate::crypto::Crypto;
use crate::domain::{ContactChannel, Direction, LeadId};
use crate::service::{CrmService, NewLead, WEBHOOK_ACTOR, WhatsappInbound};
use crate::store::CrmStore;

fn svc(t: &TestDb) -> CrmService {
    CrmService::new(
        CrmStore::new(t.db.clone()),
        Crypto::new(&[4u8; 32]).unwrap(),
    )
}

fn as_who(subject: &str, tenant: &TenantId, scopes: &[&str]) -> Principal {
    Principal::new(subject, tenant.clone(), scopes.iter().copied())
}

async fn each(f: impl AsyncFn(&TestDb, CrmService)) {
    for t in backends(&crm_read::MIGRATIONS).await.unwrap() {
        f(&t, svc(&t)).await;
        t.cleanup().await;
    }
}

async fn register(s: &CrmService, t: &TenantId, email: &str, phone: &str) -> LeadId {
    s.register_lead(
        t,
        "test",
        NewLead {
            client_id: "cli_1".into(),
            channel: Channel::Web,
            country: "CO".into(),
            city: None,
            campaign_id: None,
            name: Some("Ana Gómez".into()),
            email: Some(email.into()),
            phone: Some(phone.into()),
            company: None,
            product_interest: None,
            language: None,
        },
    )
    .await
    .unwrap()
    .lead
    .lead
    .id
}

fn whatsapp(
    id: &str,
    phone: &str,
    text: &str,
    at: Option<chrono::DateTime<Utc>>,
) -> WhatsappInbound {
    WhatsappInbound {
        message_id: id.into(),
        phone: phone.into(),
        name: Some("Ana Gómez".into()),
        text: text.into(),
        at,
        client_id: ClientId::parse("cli_1").unwrap(),
        country: Country::parse("CO").unwrap(),
    }
}

/// Row counts of the tables a privileged call could change.
async fn footprint(t: &TestDb, tenant: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM consent_events WHERE tenant_id = $1",
        "SELECT COUNT(*) FROM contact_permissions WHERE tenant_id = $1",
        "SELECT COUNT(*) FROM outbound_messages WHERE tenant_id = $1",
        "SELECT COUNT(*) FROM interactions WHERE tenant_id = $1",
        "SELECT COUNT(*) FROM gdpr_erasures WHERE tenant_id = $1",
        "SELECT COUNT(*) FROM leads WHERE tenant_id = $1 AND erased_at IS NULL",
    ] {
        out.push(
            sqlx::query_scalar(sql)
                .bind(tenant.to_owned())
                .fetch_one(t.db.pool())
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn privileged_use_cases_check_their_scope_and_change_nothing_without_it() {
    each(async |t, s| {
        let ten = TenantId::parse("scoped").unwrap();
        let id = register(&s, &ten, "ana@example.com", "3001110000").await;
        let id = id.as_str();
        // Everything but the privileged scopes: what the local actor holds by default.
        let clerk = as_who("clerk", &ten, &["crm:read", "crm:write"]);
        let before = footprint(t, "scoped").await;
        let denied = |e: promptsales_shared::AppError, scope: &str| {
            assert_eq!(e.kind(), "permission_denied", "{e}");
            let m = e.to_string();
            assert!(
                m.contains(&format!("`{scope}`")) && m.contains("clerk"),
                "{m}"
            );
        };
        denied(
            s.send_message(&clerk, id, ContactChannel::Email, "Hola")
                .await
                .unwrap_err(),
            "crm:send",
        );
        denied(
            s.record_consent(&clerk, id, ContactChannel::Email, true, "form")
                .await
                .unwrap_err(),
            "crm:consent",
        );
        denied(
            s.suppress(&clerk, id, None, "asked", false)
                .await
                .unwrap_err(),
            "crm:consent",
        );
        denied(
            s.suppress(&clerk, id, None, "lift", true)
                .await
                .unwrap_err(),
            "crm:consent",
        );
        denied(
            s.gdpr_export_lead(&clerk, id).await.unwrap_err(),
            "crm:gdpr",
        );
        denied(
            s.gdpr_erase_lead(&clerk, id, false).await.unwrap_err(),
            "crm:gdpr",
        );
        // The scope is checked before the lead is even looked up: an
        // unknown id is refused the same way, revealing nothing.
        denied(
            s.gdpr_export_lead(&clerk, "lead_nope").await.unwrap_err(),
            "crm:gdpr",
        );
        assert_eq!(footprint(t, "scoped").await, before, "{}", t.label());

        // Each scope opens exactly its use cases.
        let consent = as_who("dpo", &ten, &["crm:consent"]);
        let st = s
            .record_consent(&consent, id, ContactChannel::Email, true, "form")
            .await
            .unwrap();
        assert_eq!(st.history[0].actor, "dpo");
        assert!(s.gdpr_export_lead(&consent, id).await.is_err());
        let sender = as_who("sales", &ten, &["crm:send"]);
        assert_eq!(
            s.send_message(&sender, id, ContactChannel::Email, "Hola")
                .await
                .unwrap()
                .allowed_by,
            "consent"
        );
        let gdpr = as_who("dpo", &ten, &["crm:gdpr"]);
        assert!(s.gdpr_export_lead(&gdpr, id).await.is_ok());
        assert!(s.gdpr_erase_lead(&gdpr, id, false).await.unwrap().erased);
    })
    .await;
}

#[tokio::test]
async fn a_future_at_is_refused_and_nothing_is_written() {
    each(async |t, s| {
        let ten = TenantId::parse("future").unwrap();
        let id = register(&s, &ten, "f@example.com", "3002220000").await;
        let before = footprint(t, "future").await;
        let ahead = (Utc::now() + Duration::minutes(10)).to_rfc3339();
        for at in ["2099-01-01T00:00:00Z", ahead.as_str()] {
            let e = s
                .log_interaction(
                    &ten,
                    "t",
                    id.as_str(),
                    Channel::Whatsapp,
                    Direction::In,
                    "hola",
                    Some(at),
                )
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("`at`") && e.contains("future"), "{e}");
        }
        assert_eq!(footprint(t, "future").await, before, "{}", t.label());
        // A little skew is fine, and the past always is.
        let skew = (Utc::now() + Duration::minutes(2)).to_rfc3339();
        for at in [skew.as_str(), "2026-01-01T09:00:00Z"] {
            s.log_interaction(
                &ten,
                "t",
                id.as_str(),
                Channel::Web,
                Direction::In,
                "hola",
                Some(at),
            )
            .await
            .unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn only_verified_inbound_messages_open_the_whatsapp_window() {
    each(async |t, s| {
        let ten = TenantId::parse("window").unwrap();
        let id = register(&s, &ten, "w@example.com", "3003330000").await;
        let staff = as_who("staff", &ten, &["crm:send"]);
        let send = async || {
            s.send_message(&staff, id.as_str(), ContactChannel::Whatsapp, "Hola")
                .await
        };
        // A logged inbound WhatsApp message, however recent, opens nothing.
        s.log_interaction(
            &ten,
            "t",
            id.as_str(),
            Channel::Whatsapp,
            Direction::In,
            "hola",
            None,
        )
        .await
        .unwrap();
        let e = send().await.unwrap_err().to_string();
        assert!(
            e.contains("never given") && e.contains("service window"),
            "{e}"
        );
        // A verified message older than 24 h does not either.
        let old = Utc::now() - Duration::hours(25);
        let r = s
            .receive_whatsapp(
                &ten,
                whatsapp("wamid.OLD", "+573003330000", "hola", Some(old)),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.interaction.lead_id, id, "found by phone");
        assert!(send().await.is_err());
        // A verified message dated in the future is clamped to now: the
        // window it opens closes 24 h after it was received.
        let far = Utc::now() + Duration::days(365);
        let r = s
            .receive_whatsapp(
                &ten,
                whatsapp("wamid.NEW", "+573003330000", "¿precio?", Some(far)),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(r.interaction.at <= Utc::now());
        let sent = send().await.unwrap();
        assert_eq!(sent.allowed_by, "whatsapp_service_window", "{}", t.label());
        // The window belongs to the phone that wrote: after the number
        // changes, it is closed.
        s.update_lead(
            &ten,
            "t",
            id.as_str(),
            crate::service::LeadUpdate {
                phone: Some("3009990000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(send().await.is_err());
    })
    .await;
}

#[tokio::test]
async fn every_ledger_change_records_who_and_why_and_a_replayed_stop_changes_nothing() {
    each(async |t, s| {
        let ten = TenantId::parse("ledger").unwrap();
        let id = register(&s, &ten, "l@example.com", "3004440000").await;
        let ana = as_who("ana", &ten, &["crm:consent", "crm:send"]);
        let bob = as_who("bob", &ten, &["crm:consent"]);
        s.record_consent(&ana, id.as_str(), ContactChannel::Whatsapp, true, "landing form")
            .await
            .unwrap();
        // The person writes STOP on WhatsApp: a signed delivery.
        let stop = whatsapp("wamid.STOP1", "+573004440000", "STOP", None);
        let r = s.receive_whatsapp(&ten, stop.clone()).await.unwrap().unwrap();
        assert_eq!(r.opted_out, Some(ContactChannel::Whatsapp));
        assert!(
            s.send_message(&ana, id.as_str(), ContactChannel::Whatsapp, "x")
                .await
                .is_err()
        );
        // They ask by phone to hear from us again: a person lifts it.
        s.suppress(&bob, id.as_str(), Some(ContactChannel::Whatsapp), "asked by phone to resume", true)
            .await
            .unwrap();
        let counts = async || -> (i64, i64) {
            let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM consent_events WHERE tenant_id = $1")
                .bind("ledger").fetch_one(t.db.pool()).await.unwrap();
            let sources: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lead_sources WHERE tenant_id = $1")
                .bind("ledger").fetch_one(t.db.pool()).await.unwrap();
            (events, sources)
        };
        let before = counts().await;
        // Meta (or an attacker holding an old signed body) replays the
        // STOP, long after any cache forgot it: nothing changes.
        assert!(s.receive_whatsapp(&ten, stop.clone()).await.unwrap().is_none());
        assert!(s.receive_whatsapp(&ten, stop).await.unwrap().is_none());
        assert_eq!(counts().await, before, "{}", t.label());
        assert_eq!(
            s.send_message(&ana, id.as_str(), ContactChannel::Whatsapp, "Hola de nuevo")
                .await
                .unwrap()
                .allowed_by,
            "consent"
        );
        // Who and why, for every change, in the tool's answer and in SQL.
        let x = s
            .gdpr_export_lead(&as_who("dpo", &ten, &["crm:gdpr"]), id.as_str())
            .await
            .unwrap();
        let who_why: Vec<(String, String)> = x
            .lead
            .consent
            .history
            .iter()
            .map(|e| (e.actor.clone(), e.source.clone()))
            .collect();
        assert_eq!(
            who_why,
            [
                ("ana".to_owned(), "landing form".to_owned()),
                (
                    WEBHOOK_ACTOR.to_owned(),
                    "opt-out keyword in a verified inbound WhatsApp message".to_owned()
                ),
                ("bob".to_owned(), "asked by phone to resume".to_owned()),
            ],
            "{}",
            t.label()
        );
        let unrecorded: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM consent_events WHERE tenant_id = $1 AND (actor = 'unrecorded' OR source = '')",
        )
        .bind("ledger")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
        assert_eq!(unrecorded, 0);
        let perm = x
            .lead
            .consent
            .permissions
            .iter()
            .find(|p| p.channel == ContactChannel::Whatsapp)
            .unwrap();
        assert_eq!((perm.actor.as_str(), perm.suppressed), ("bob", false));

        // A STOP logged by hand is recorded as its logger's.
        s.log_interaction(&ten, "carla", id.as_str(), Channel::Sms, Direction::In, "BAJA", None)
            .await
            .unwrap();
        let x = s
            .gdpr_export_lead(&as_who("dpo", &ten, &["crm:gdpr"]), id.as_str())
            .await
            .unwrap();
        let last = x.lead.consent.history.last().unwrap();
        assert_eq!(last.actor, "carla");
        assert!(last.source.contains("logged by hand"), "{}", last.source);

        // Erasure drops the sender index of the verified messages but keeps
        // their ids, so a replay still changes nothing.
        s.gdpr_erase_lead(&as_who("dpo", &ten, &["crm:gdpr"]), id.as_str(), false)
            .await
            .unwrap();
        let indexed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_messages WHERE tenant_id = $1 AND contact_hash IS NOT NULL",
        )
        .bind("ledger")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
        assert_eq!(indexed, 0);
        let leads = s.store().lead_count(&ten).await.unwrap();
        assert!(
            s.receive_whatsapp(&ten, whatsapp("wamid.STOP1", "+573004440000", "STOP", None))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(s.store().lead_count(&ten).await.unwrap(), leads, "no new lead from a replay");
    })
    .await;
}
