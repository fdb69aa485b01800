//! Messages that arrive or say why not, on both backends, against the
//! strict fake Cloud API: outside the 24-hour window only an approved
//! template goes out (free text is refused before any call, naming the
//! approved templates); delivery statuses from the signed webhook mark a
//! message delivered, read or failed with the platform's reason, once,
//! and a failure shows on the lead's timeline.

use std::time::Duration as StdDuration;

use aws_lc_rs::hmac;
use chrono::{Duration, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::cache::Cache;
use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};
use promptsales_shared::testing::backends;
use serde_json::json;

use crate::connector::{Connector, WhatsappConfig};
use crate::crypto::Crypto;
use crate::domain::{ContactChannel, LeadId};
use crate::fake_graph::{self, TOKEN};
use crate::service::{CrmService, NewLead, WhatsappInbound};
use crate::store::{CrmStore, DeliveryStatus};
use crate::templates::TemplateChoice;
use crate::webhook::{self, WebhookConfig};

const SECRET: &str = "app-secret";

fn staff(t: &TenantId) -> Principal {
    Principal::new("staff", t.clone(), ["crm:send", "crm:consent", "crm:read"])
}

async fn lead(s: &CrmService, t: &TenantId) -> LeadId {
    let id = s
        .register_lead(
            t,
            "test",
            NewLead {
                client_id: "cli_wa".into(),
                channel: Channel::Web,
                country: "CO".into(),
                city: None,
                campaign_id: None,
                name: Some("Ana Gómez".into()),
                email: None,
                phone: Some("3001234567".into()),
                company: None,
                product_interest: None,
                language: None,
            },
        )
        .await
        .unwrap()
        .lead
        .lead
        .id;
    s.record_consent(
        &staff(t),
        id.as_str(),
        ContactChannel::Whatsapp,
        true,
        "form",
    )
    .await
    .unwrap();
    id
}

fn follow_up(params: &[&str]) -> TemplateChoice {
    TemplateChoice {
        name: "follow_up".into(),
        language: "es".into(),
        parameters: params.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn posts(seen: &fake_graph::Seen) -> Vec<serde_json::Value> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.ends_with("/messages"))
        .map(|(_, _, b)| b.clone())
        .collect()
}

fn status_payload(wamid: &str, status: &str, error: Option<serde_json::Value>) -> Vec<u8> {
    let mut st = json!({"id": wamid, "status": status, "timestamp": "1767225600",
                        "recipient_id": "573001234567"});
    if let Some(e) = error {
        st["errors"] = json!([e]);
    }
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": "1055"},
            "statuses": [st]
        }}]}]
    }))
    .unwrap()
}

fn sign(body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    format!("sha256={}", hex::encode(hmac::sign(&key, body).as_ref()))
}

#[tokio::test]
async fn outside_the_window_a_template_goes_and_a_failed_status_marks_the_message_failed() {
    let (base, seen) = fake_graph::start().await;
    for t in backends(&crm_read::MIGRATIONS).await.unwrap() {
        seen.lock().unwrap().clear();
        let connector = Connector::with_whatsapp(Some(WhatsappConfig {
            base_url: base.clone(),
            version: crate::connector::DEFAULT_VERSION.into(),
            phone_number_id: "1055".into(),
            token: TOKEN.into(),
            waba_id: Some("WABA1".into()),
        }))
        .unwrap();
        let s = CrmService::new(
            CrmStore::new(t.db.clone()),
            Crypto::new(&[5u8; 32]).unwrap(),
        )
        .with_connector(connector);
        let ten = TenantId::parse("deliver").unwrap();
        let who = staff(&ten);
        let id = lead(&s, &ten).await;

        // Free text outside the window: refused, nothing sent, the
        // approved templates named.
        let e = s
            .send_message(&who, id.as_str(), ContactChannel::Whatsapp, "Hola")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("24 h")
                && e.contains("follow_up (es, 1 parameter)")
                && !e.contains("not_yet"),
            "{e}"
        );
        // A template with the wrong parameters is refused before any call.
        let e = s
            .send_message_with(
                &who,
                id.as_str(),
                ContactChannel::Whatsapp,
                None,
                Some(follow_up(&[])),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("template.parameters"), "{e}");
        assert!(
            posts(&seen).is_empty(),
            "{}: free text never left",
            t.label()
        );

        // The approved template goes out, and the timeline shows its body.
        let r = s
            .send_message_with(
                &who,
                id.as_str(),
                ContactChannel::Whatsapp,
                Some("ignored outside the window"),
                Some(follow_up(&["Ana"])),
            )
            .await
            .unwrap();
        assert_eq!(
            (r.sent_as.as_str(), r.delivery_status.as_str()),
            ("template", "accepted")
        );
        let sent = posts(&seen);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["type"], "template");
        assert_eq!(
            sent[0]["template"]["components"][0]["parameters"][0]["text"],
            "Ana"
        );
        let wamid = r.provider_message_id.clone().unwrap();
        let timeline = s.store.interactions_of(&ten, &id).await.unwrap();
        assert!(
            timeline
                .iter()
                .any(|i| i.text == "Hola Ana, ¿seguimos con tu cotización?")
        );

        // Statuses arrive through the signed webhook.
        let app = webhook::router(
            s.clone(),
            Cache::in_memory("t", StdDuration::from_secs(60)),
            ten.clone(),
            Some(WebhookConfig {
                verify_token: "v".into(),
                app_secret: SECRET.into(),
                client_id: ClientId::parse("cli_wa").unwrap(),
                default_country: Country::parse("CO").unwrap(),
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{}", l.local_addr().unwrap(), webhook::PATH);
        let server = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let http = reqwest::Client::new();
        let post = async |body: Vec<u8>, sig: String| {
            http.post(&url)
                .header("x-hub-signature-256", sig)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        let failed = status_payload(
            &wamid,
            "failed",
            Some(json!({"code": 131047, "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}})),
        );
        // A forged status changes nothing.
        assert_eq!(post(failed.clone(), "sha256=00".into()).await, 401);
        let msg = &s.store.outbound_of(&ten, &id).await.unwrap()[0];
        assert_eq!(msg.delivery_status.as_deref(), Some("accepted"));

        assert_eq!(
            post(
                status_payload(&wamid, "sent", None),
                sign(&status_payload(&wamid, "sent", None))
            )
            .await,
            200
        );
        for _ in 0..2 {
            // Meta redelivers: the second time changes nothing.
            assert_eq!(post(failed.clone(), sign(&failed)).await, 200);
        }
        // A late `delivered` does not hide the failure.
        let late = status_payload(&wamid, "delivered", None);
        assert_eq!(post(late.clone(), sign(&late)).await, 200);
        server.abort();

        let msg = &s.store.outbound_of(&ten, &id).await.unwrap()[0];
        assert_eq!(
            msg.delivery_status.as_deref(),
            Some("failed"),
            "{}",
            t.label()
        );
        assert_eq!(msg.failure_code.as_deref(), Some("131047"));
        assert!(
            msg.failure_reason
                .as_deref()
                .unwrap()
                .contains("Re-engagement")
        );
        let notes: Vec<_> = s
            .store
            .interactions_of(&ten, &id)
            .await
            .unwrap()
            .into_iter()
            .filter(|i| i.text.contains("was not delivered"))
            .collect();
        assert_eq!(notes.len(), 1, "one timeline entry per failure");
        assert!(notes[0].text.contains("131047"), "{}", notes[0].text);
        // A status for a message we never sent is ignored.
        let other = s
            .whatsapp_status(
                &ten,
                DeliveryStatus {
                    provider_message_id: "wamid.OTHER".into(),
                    status: "read".into(),
                    at: Utc::now(),
                    error_code: None,
                    error_title: None,
                },
            )
            .await
            .unwrap();
        assert!(other.is_none());

        // Inside the window (a verified message from the lead), free text goes.
        s.receive_whatsapp(
            &ten,
            WhatsappInbound {
                message_id: "wamid.IN1".into(),
                phone: "+573001234567".into(),
                name: None,
                text: "hola, ¿sigue disponible?".into(),
                at: Some(Utc::now() - Duration::minutes(5)),
                client_id: ClientId::parse("cli_wa").unwrap(),
                country: Country::parse("CO").unwrap(),
            },
        )
        .await
        .unwrap();
        let r = s
            .send_message(&who, id.as_str(), ContactChannel::Whatsapp, "Sí, claro")
            .await
            .unwrap();
        assert_eq!(r.sent_as, "text");
        assert_eq!(posts(&seen).last().unwrap()["text"]["body"], "Sí, claro");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_clients_connection_lists_the_templates_of_its_own_business_account() {
    let (base, seen) = fake_graph::start().await;
    for t in backends(&crm_read::MIGRATIONS).await.unwrap() {
        seen.lock().unwrap().clear();
        let api =
            crate::connector::WhatsappApi::new(&base, crate::connector::DEFAULT_VERSION).unwrap();
        let s = CrmService::new(
            CrmStore::new(t.db.clone()),
            Crypto::new(&[6u8; 32]).unwrap(),
        )
        .with_connector(Connector::new(api, None).unwrap());
        let ten = TenantId::parse("conn").unwrap();
        let admin = Principal::new("root", ten.clone(), ["admin"]);
        let view = s
            .set_connection(
                &admin,
                crate::service::NewConnection {
                    client_id: "cli_wa".into(),
                    channel: crate::service::ConnectionChannel::Whatsapp,
                    phone_number_id: "2077".into(),
                    access_token: Some(TOKEN.into()),
                    app_secret: Some("s".into()),
                    verify_token: Some("v".into()),
                    waba_id: Some("WABA9".into()),
                    enabled: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(view.whatsapp_business_account_id.as_deref(), Some("WABA9"));
        let id = lead(&s, &ten).await;
        let e = s
            .send_message(&staff(&ten), id.as_str(), ContactChannel::Whatsapp, "Hola")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("welcome (en_US, 0 parameters)"), "{e}");
        let r = s
            .send_message_with(
                &staff(&ten),
                id.as_str(),
                ContactChannel::Whatsapp,
                None,
                Some(follow_up(&["Ana"])),
            )
            .await
            .unwrap();
        assert_eq!(r.from.as_deref(), Some("2077"));
        let paths: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, p, _)| p.clone())
            .collect();
        let v = crate::connector::DEFAULT_VERSION;
        assert_eq!(
            paths,
            [
                format!("{v}/WABA9/message_templates"),
                format!("{v}/2077/messages")
            ],
            "listed once (cached) from the connection's own account, sent from its number"
        );
        t.cleanup().await;
    }
}
