//! The agency's clients as a boundary, on both backends: one lead per
//! person and client (under a race too), knowledge that never crosses
//! clients, GDPR requests that find the person's leads of every client,
//! an opt-out that covers every client, plans that refuse with their
//! numbers, each client's own WhatsApp number, assignment within capacity
//! and the morning digest.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use promptsales_catalog::{
    CatalogReader, CatalogWriter, Client, Limit, LimitKind, Plan, SubCompany,
};
use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};
use promptsales_shared::testing::{TestDb, backends};

use crate::connector::{Connector, WhatsappApi};
use crate::crypto::Crypto;
use crate::domain::{ContactChannel, Direction, Language, LeadId};
use crate::service::{
    AssignRequest, ConnectionChannel, CrmService, FollowUpQuery, NewConnection, NewLead,
    SellerInput,
};
use crate::store::{CrmStore, KbEntry};

fn svc(t: &TestDb) -> CrmService {
    CrmService::new(
        CrmStore::new(t.db.clone()),
        Crypto::new(&[5u8; 32]).unwrap(),
    )
}

fn tenant() -> TenantId {
    TenantId::parse("agency").unwrap()
}

fn who(subject: &str, scopes: &[&str]) -> Principal {
    Principal::new(subject, tenant(), scopes.iter().copied())
}

fn staff() -> Principal {
    who(
        "staff",
        &[
            "crm:read",
            "crm:write",
            "crm:send",
            "crm:consent",
            "crm:gdpr",
        ],
    )
}

fn person(client: &str, name: &str, email: Option<&str>, phone: Option<&str>) -> NewLead {
    NewLead {
        client_id: client.into(),
        channel: Channel::Meta,
        country: "CO".into(),
        city: None,
        campaign_id: None,
        name: Some(name.into()),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        company: None,
        product_interest: None,
        language: Some(Language::Es),
    }
}

async fn register(s: &CrmService, p: NewLead) -> LeadId {
    s.register_lead(&tenant(), "test", p)
        .await
        .unwrap()
        .lead
        .lead
        .id
}

async fn each(f: impl AsyncFn(&TestDb, CrmService)) {
    for t in backends(&crm_read::MIGRATIONS).await.unwrap() {
        f(&t, svc(&t)).await;
        t.cleanup().await;
    }
}

/// A catalog with two clients in Colombia and Mexico, cli_1 on a small crm
/// plan.
async fn catalog(t: &TestDb, leads: i64, seats: i64, messages: i64) -> CatalogReader {
    let db = t.open(&promptsales_catalog::MIGRATIONS).await.unwrap();
    let w = CatalogWriter::new(db.clone());
    for (id, country) in [("cli_1", "CO"), ("cli_2", "MX")] {
        let c = Client::new(
            ClientId::parse(id).unwrap(),
            format!("Client {id}"),
            "retail",
            Country::parse(country).unwrap(),
        );
        w.upsert_client(&tenant(), &c).await.unwrap();
    }
    let limit = |kind, value| Limit {
        kind,
        value,
        currency: None,
    };
    w.upsert_plan(
        &tenant(),
        &Plan {
            id: "crm_starter".into(),
            context: SubCompany::Crm,
            name: "Starter".into(),
            limits: vec![
                limit(LimitKind::LeadsStored, leads),
                limit(LimitKind::Seats, seats),
                limit(LimitKind::MessagesPerMonth, messages),
            ],
        },
    )
    .await
    .unwrap();
    w.assign_plan(&tenant(), &ClientId::parse("cli_1").unwrap(), "crm_starter")
        .await
        .unwrap();
    CatalogReader::new(db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_person_is_one_lead_per_client_even_under_a_race() {
    each(async |t, s| {
        let s = Arc::new(s);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let client = if i % 2 == 0 { "cli_a" } else { "cli_b" };
                let email = if i % 3 == 0 {
                    " Race@Example.com "
                } else {
                    "race@example.com"
                };
                let phone = if i % 4 == 0 {
                    "+57 300 999 0000"
                } else {
                    "300 999 0000"
                };
                let r = s
                    .register_lead(
                        &tenant(),
                        "t",
                        person(client, "Rita", Some(email), Some(phone)),
                    )
                    .await
                    .unwrap();
                (client, r.created, r.lead.lead.id)
            }));
        }
        let mut created = Vec::new();
        let mut ids = BTreeSet::new();
        for task in tasks {
            let (client, new, id) = task.await.unwrap();
            if new {
                created.push(client);
            }
            ids.insert((client, id));
        }
        created.sort_unstable();
        assert_eq!(created, ["cli_a", "cli_b"], "{}", t.label());
        assert_eq!(ids.len(), 2, "one lead per client: {ids:?}");
        // A client-B registration with an email held by a client-A lead
        // is a new lead; a repeat for client A merges.
        let b = s
            .register_lead(
                &tenant(),
                "t",
                person("cli_c", "Rita", Some("race@example.com"), None),
            )
            .await
            .unwrap();
        assert!(b.created && b.duplicate_of.is_none());
        let a = s
            .register_lead(
                &tenant(),
                "t",
                person("cli_a", "Rita", None, Some("3009990000")),
            )
            .await
            .unwrap();
        assert!(!a.created);
        assert_eq!(a.matched_on.as_deref(), Some("phone"));
        // Updating a lead to a contact another client's lead holds is fine;
        // to one of the same client's, a conflict.
        let other = register(&s, person("cli_a", "Otto", Some("otto@example.com"), None)).await;
        let e = s
            .update_lead(
                &tenant(),
                "t",
                other.as_str(),
                crate::service::LeadUpdate {
                    phone: Some("300 999 0000".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("already belongs"), "{e}");
        let in_c = register(
            &s,
            person("cli_c", "Otto C", Some("otto.c@example.com"), None),
        )
        .await;
        s.update_lead(
            &tenant(),
            "t",
            in_c.as_str(),
            crate::service::LeadUpdate {
                phone: Some("300 999 0000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let q = |c: &str| crate::service::LeadQuery {
            client_id: Some(c.into()),
            ..Default::default()
        };
        assert_eq!(
            s.search_leads(&tenant(), &q("cli_a"))
                .await
                .unwrap()
                .items
                .len(),
            2
        );
        assert_eq!(
            s.search_leads(&tenant(), &q("cli_c"))
                .await
                .unwrap()
                .items
                .len(),
            2
        );
    })
    .await;
}

fn kb(
    id: &str,
    client: Option<&str>,
    language: Language,
    keywords: &[&str],
    answer: &str,
) -> KbEntry {
    KbEntry {
        id: id.into(),
        client_id: client.map(|c| ClientId::parse(c).unwrap()),
        language,
        topic: "Precios".into(),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        answer: answer.into(),
    }
}

#[tokio::test]
async fn knowledge_answers_never_cross_clients() {
    each(async |t, s| {
        let ten = tenant();
        s.upsert_kb_entry(
            &ten,
            kb(
                "kb_cafe_precio",
                Some("cli_cafe"),
                Language::Es,
                &["precio"],
                "La suscripción de café cuesta 20 USD al mes.",
            ),
            false,
        )
        .await
        .unwrap();
        s.upsert_kb_entry(
            &ten,
            kb(
                "kb_dental_precio",
                Some("cli_dental"),
                Language::Es,
                &["precio"],
                "La limpieza dental cuesta 45 USD.",
            ),
            false,
        )
        .await
        .unwrap();
        s.upsert_kb_entry(
            &ten,
            kb(
                "kb_horario",
                None,
                Language::Es,
                &["horario"],
                "Atendemos de lunes a viernes de 8 a 18 h.",
            ),
            true,
        )
        .await
        .unwrap();
        s.upsert_kb_entry(
            &ten,
            kb(
                "kb_dental_price_en",
                Some("cli_dental"),
                Language::En,
                &["price"],
                "A dental cleaning is 45 USD.",
            ),
            false,
        )
        .await
        .unwrap();
        // Ownership is explicit and never changes hands.
        let e = s
            .upsert_kb_entry(&ten, kb("kb_x", None, Language::Es, &["x"], "x"), false)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("`client_id`") && e.to_string().contains("tenant_wide"),
            "{e}"
        );
        let e = s
            .upsert_kb_entry(
                &ten,
                kb("kb_x", Some("cli_cafe"), Language::Es, &["x"], "x"),
                true,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`tenant_wide`"), "{e}");
        let e = s
            .upsert_kb_entry(
                &ten,
                kb(
                    "kb_cafe_precio",
                    Some("cli_dental"),
                    Language::Es,
                    &["precio"],
                    "robado",
                ),
                false,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("belongs to client `cli_cafe`"),
            "{e}"
        );
        let e = s
            .upsert_kb_entry(
                &ten,
                kb("kb_horario", Some("cli_cafe"), Language::Es, &["x"], "x"),
                false,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("whole tenant"), "{e}");

        let ask = async |client: &str, text: &str| {
            let email = format!("paula.{}@example.com", client.replace('_', ""));
            let id = register(&s, person(client, "Paula Díaz", Some(&email), None)).await;
            s.log_interaction(
                &ten,
                "t",
                id.as_str(),
                Channel::Whatsapp,
                Direction::In,
                text,
                None,
            )
            .await
            .unwrap();
            s.suggest_reply(&ten, id.as_str()).await.unwrap()
        };
        let dental = ask(
            "cli_dental",
            "Hola, ¿qué precio tiene y cuál es el horario?",
        )
        .await;
        assert!(
            dental.draft.contains("45 USD") && dental.draft.contains("lunes"),
            "{}",
            dental.draft
        );
        assert!(
            !dental.draft.contains("café"),
            "{}: {}",
            t.label(),
            dental.draft
        );
        assert_eq!(dental.kb_entries, ["kb_dental_precio", "kb_horario"]);
        let cafe = ask("cli_cafe", "¿Cuál es el precio?").await;
        assert!(
            cafe.draft.contains("20 USD") && !cafe.draft.contains("45"),
            "{}",
            cafe.draft
        );
        // A client without answers gets the generic reply, nobody else's.
        let other = ask("cli_other", "¿Qué precio tiene?").await;
        assert!(other.kb_entries.is_empty(), "{:?}", other.kb_entries);
        // The language is the lead's: English only from English answers.
        let id = register(
            &s,
            NewLead {
                language: Some(Language::En),
                ..person("cli_dental", "Pat Doe", Some("pat@dental.co"), None)
            },
        )
        .await;
        s.log_interaction(
            &ten,
            "t",
            id.as_str(),
            Channel::Email,
            Direction::In,
            "What is the price?",
            None,
        )
        .await
        .unwrap();
        let en = s.suggest_reply(&ten, id.as_str()).await.unwrap();
        assert_eq!(en.kb_entries, ["kb_dental_price_en"]);
        // Listings per client: its own and the tenant-wide ones.
        let ids = |v: Vec<KbEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.knowledge_base(&ten, Some("cli_cafe")).await.unwrap()),
            ["kb_cafe_precio", "kb_horario"]
        );
        assert_eq!(
            ids(s.knowledge_base(&ten, None).await.unwrap()),
            ["kb_horario"]
        );
    })
    .await;
}

#[tokio::test]
async fn gdpr_finds_the_person_across_clients_and_an_opt_out_covers_every_client() {
    each(async |t, s| {
        let ten = tenant();
        let a = register(
            &s,
            person(
                "cli_a",
                "Sofía Ruiz",
                Some("sofia@example.com"),
                Some("3001112233"),
            ),
        )
        .await;
        let b = register(
            &s,
            person("cli_b", "Sofía R.", Some("SOFIA@example.com"), None),
        )
        .await;
        // b shares a's email, c a's phone: all three are one person.
        let c = register(
            &s,
            person("cli_c", "S. Ruiz", None, Some("+57 300 111 2233")),
        )
        .await;
        let unrelated = register(&s, person("cli_b", "Otro", Some("otro@example.com"), None)).await;

        let x = s.gdpr_export_lead(&staff(), a.as_str()).await.unwrap();
        let linked: Vec<(&str, Vec<String>)> = x
            .same_person
            .iter()
            .map(|l| (l.data.profile.lead.id.as_str(), l.matched_on.clone()))
            .collect();
        let mut want = vec![
            (b.as_str(), vec!["email".to_owned()]),
            (c.as_str(), vec!["phone".to_owned()]),
        ];
        want.sort();
        assert_eq!(linked, want, "{}", t.label());
        assert!(
            x.notice.contains("2 other lead(s) of 2 client(s)"),
            "{}",
            x.notice
        );
        assert_eq!(
            x.same_person[0]
                .data
                .profile
                .name
                .as_deref()
                .map(|n| n.starts_with('S')),
            Some(true)
        );
        // From b, the person's phone (a's) leads to c as well.
        let xb = s.gdpr_export_lead(&staff(), b.as_str()).await.unwrap();
        assert_eq!(xb.same_person.len(), 2, "{}", xb.notice);
        let lonely = s
            .gdpr_export_lead(&staff(), unrelated.as_str())
            .await
            .unwrap();
        assert!(lonely.same_person.is_empty() && lonely.notice.contains("no other lead"));

        // Consent is per client's lead, but an opt-out is the person's.
        s.record_consent(&staff(), b.as_str(), ContactChannel::Email, true, "form B")
            .await
            .unwrap();
        s.send_message(&staff(), b.as_str(), ContactChannel::Email, "Hola")
            .await
            .unwrap();
        s.suppress(
            &staff(),
            a.as_str(),
            None,
            "asked client A to stop everything",
            false,
        )
        .await
        .unwrap();
        let e = s
            .send_message(&staff(), b.as_str(), ContactChannel::Email, "Hola")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("suppressed") && e.contains("client A"), "{e}");

        // Erasure reaches every lead of the person, in one go.
        let r = s
            .gdpr_erase_lead(&staff(), b.as_str(), false)
            .await
            .unwrap();
        assert!(r.erased);
        assert_eq!(r.same_person.len(), 2);
        assert!(
            r.same_person.iter().all(|l| l.erased),
            "{:?}",
            r.same_person
        );
        assert!(r.notice.contains("erased with it"), "{}", r.notice);
        for id in [&a, &b, &c] {
            let v = s.get_lead(&ten, id.as_str()).await.unwrap();
            assert!(v.profile.erased && v.profile.email.is_none() && v.profile.phone.is_none());
        }
        assert!(
            !s.get_lead(&ten, unrelated.as_str())
                .await
                .unwrap()
                .profile
                .erased
        );
        // only_this_lead leaves the person's other leads alone.
        let d = register(&s, person("cli_a", "Dora", Some("dora@example.com"), None)).await;
        let e2 = register(&s, person("cli_b", "Dora", Some("dora@example.com"), None)).await;
        let r = s.gdpr_erase_lead(&staff(), d.as_str(), true).await.unwrap();
        assert_eq!(r.same_person.len(), 1);
        assert!(!r.same_person[0].erased);
        assert!(!s.get_lead(&ten, e2.as_str()).await.unwrap().profile.erased);
    })
    .await;
}

#[tokio::test]
async fn plans_limit_leads_seats_and_messages_with_their_numbers() {
    each(async |t, s| {
        let ten = tenant();
        let s = s.with_catalog(catalog(t, 2, 1, 1).await);
        let first = register(&s, person("cli_1", "Uno", Some("uno@example.com"), None)).await;
        register(&s, person("cli_1", "Dos", Some("dos@example.com"), None)).await;
        let e = s
            .register_lead(&ten, "t", person("cli_1", "Tres", Some("tres@example.com"), None))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "quota_exceeded");
        let msg = e.to_string();
        assert!(
            msg.contains("leads stored for client cli_1 (plan Starter): 2 used + 1 requested > limit 2"),
            "{}: {msg}",
            t.label()
        );
        // A repeat merges for free; another client is not limited.
        let again = s
            .register_lead(&ten, "t", person("cli_1", "Uno", Some("UNO@example.com"), None))
            .await
            .unwrap();
        assert_eq!(again.duplicate_of.as_ref(), Some(&first));
        register(&s, person("cli_2", "Tres", Some("tres@example.com"), None)).await;
        // Erasing a lead frees its place.
        s.gdpr_erase_lead(&staff(), first.as_str(), true).await.unwrap();
        register(&s, person("cli_1", "Tres", Some("tres@example.com"), None)).await;

        // Seats: active sellers working for the client.
        let seller = |id: &str, active| SellerInput {
            seller_id: Some(id.into()),
            name: id.into(),
            capacity: 10,
            active,
            countries: vec![],
            client_id: Some("cli_1".into()),
        };
        s.upsert_seller(&ten, seller("sel_a", true)).await.unwrap();
        s.upsert_seller(&ten, seller("sel_a", true)).await.unwrap();
        s.upsert_seller(&ten, seller("sel_b", false)).await.unwrap();
        let e = s.upsert_seller(&ten, seller("sel_b", true)).await.unwrap_err();
        assert!(e.to_string().contains("seats for client cli_1 (plan Starter): 1 used + 1 requested > limit 1"), "{e}");
        assert!(e.to_string().contains("does not reset"), "{e}");

        // Messages this month, in the client's zone.
        let lead = register(&s, person("cli_2", "Cuatro", Some("cuatro@example.com"), None)).await;
        let mine = s
            .search_leads(&ten, &crate::service::LeadQuery { client_id: Some("cli_1".into()), ..Default::default() })
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|l| l.id != first)
            .unwrap()
            .id;
        for id in [&mine, &lead] {
            s.record_consent(&staff(), id.as_str(), ContactChannel::Email, true, "form").await.unwrap();
        }
        s.send_message(&staff(), mine.as_str(), ContactChannel::Email, "Hola").await.unwrap();
        let e = s
            .send_message(&staff(), mine.as_str(), ContactChannel::Email, "Hola otra vez")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("messages sent this month for client cli_1 (plan Starter): 1 used + 1 requested > limit 1")
                && e.contains("America/Bogota"),
            "{e}"
        );
        s.send_message(&staff(), lead.as_str(), ContactChannel::Email, "Hola").await.unwrap();

        let u = s.usage(&ten, "cli_1").await.unwrap();
        assert_eq!(u.plan.as_deref(), Some("crm_starter"));
        assert_eq!(u.time_zone.as_str(), "America/Bogota");
        let line = |k: LimitKind| u.lines.iter().find(|l| l.kind == k).unwrap();
        assert_eq!((line(LimitKind::LeadsStored).used, line(LimitKind::LeadsStored).limit), (2, Some(2)));
        assert_eq!((line(LimitKind::Seats).used, line(LimitKind::Seats).limit), (1, Some(1)));
        assert_eq!(line(LimitKind::MessagesPerMonth).used, 1);
        assert!(line(LimitKind::MessagesPerMonth).resets_at.is_some());
        let free = s.usage(&ten, "cli_2").await.unwrap();
        assert!(free.plan.is_none() && free.lines.iter().all(|l| l.limit.is_none()));
        assert_eq!(free.time_zone.as_str(), "America/Mexico_City");
    })
    .await;
}

type Seen = Arc<Mutex<Vec<String>>>;

/// A local stand-in for the Cloud API: sends record the sender's number;
/// `GET /{number}` answers for token `good`.
async fn fake_api() -> (String, Seen) {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use serde_json::json;
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v25.0/{phone}/messages",
            post(
                |State(s): State<Seen>, Path(phone): Path<String>| async move {
                    s.lock().unwrap().push(phone);
                    axum::Json(json!({"messages": [{"id": "wamid.OK"}]}))
                },
            ),
        )
        .route(
            "/v25.0/{phone}",
            get(|headers: HeaderMap| async move {
                if headers["authorization"] == "Bearer good" {
                    (
                        StatusCode::OK,
                        axum::Json(
                            json!({"display_phone_number": "+57 601 000", "verified_name": "Café"}),
                        ),
                    )
                } else {
                    (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"error": {"code": 190}})),
                    )
                }
            }),
        )
        .with_state(seen.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn each_client_sends_from_its_own_number_and_no_tool_returns_a_secret() {
    let (base, seen) = fake_api().await;
    each(async |t, s| {
        let ten = tenant();
        let api = WhatsappApi::new(&base, crate::connector::DEFAULT_VERSION).unwrap();
        let s = s.with_connector(Connector::new(api, None).unwrap());
        let admin = who("root", &["admin"]);
        let conn = |client: &str, number: &str, token: Option<&str>| NewConnection {
            client_id: client.into(),
            channel: ConnectionChannel::Whatsapp,
            phone_number_id: number.into(),
            access_token: token.map(Into::into),
            app_secret: Some(format!("secret-of-{client}")),
            verify_token: Some("verify-me".into()),
            waba_id: None,
            enabled: true,
        };
        // Admin only, re-checked here.
        let e = s
            .set_connection(&staff(), conn("cli_1", "2077", Some("good")))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`admin`"), "{e}");
        let v = s
            .set_connection(&admin, conn("cli_1", "2077", Some("good")))
            .await
            .unwrap();
        assert_eq!(
            (v.status.as_str(), v.credentials.access_token),
            ("untested", true)
        );
        // One number routes to one client; a new one needs its token.
        let e = s
            .set_connection(&admin, conn("cli_2", "2077", Some("x")))
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("already connected for client `cli_1`"),
            "{e}"
        );
        let e = s
            .set_connection(&admin, conn("cli_2", "3088", None))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`access_token`"), "{e}");
        s.set_connection(&admin, conn("cli_2", "3088", Some("bad")))
            .await
            .unwrap();

        let listed = s.list_connections(&admin, None).await.unwrap();
        let text = serde_json::to_string(&listed).unwrap();
        for secret in ["good", "bad", "secret-of", "verify-me"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(listed.connections.len(), 2);
        assert_eq!(listed.default.whatsapp_sending, "sandbox");
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT token_enc FROM connections ORDER BY client_id")
                .fetch_all(t.db.pool())
                .await
                .unwrap();
        assert!(
            stored
                .iter()
                .all(|v| v.starts_with("v2:") && !v.contains("good"))
        );
        assert!(s.list_connections(&staff(), None).await.is_err());

        // Tests record their outcome.
        let ok = s
            .test_connection(&admin, "cli_1", ConnectionChannel::Whatsapp)
            .await
            .unwrap();
        assert!(ok.ok && ok.detail.contains("Café"), "{ok:?}");
        let bad = s
            .test_connection(&admin, "cli_2", ConnectionChannel::Whatsapp)
            .await
            .unwrap();
        assert!(!bad.ok && bad.detail.contains("401"), "{bad:?}");
        let e = s
            .test_connection(&admin, "cli_3", ConnectionChannel::Whatsapp)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not found"), "{e}");
        let listed = s.list_connections(&admin, Some("cli_2")).await.unwrap();
        assert_eq!(listed.connections[0].status, "failed");

        // Sends go out from the lead's client's number; others stay sandboxed.
        let send = async |client: &str| {
            let id = register(&s, person(client, "Wendy", None, Some("300 444 0001"))).await;
            s.record_consent(
                &staff(),
                id.as_str(),
                ContactChannel::Whatsapp,
                true,
                "form",
            )
            .await
            .unwrap();
            // Outside the 24-hour window: an approved template, which
            // this connection (no WABA id) cannot list, so WhatsApp checks it.
            let welcome = crate::templates::TemplateChoice {
                name: "welcome".into(),
                language: "en_US".into(),
                parameters: vec![],
            };
            s.send_message_with(
                &staff(),
                id.as_str(),
                ContactChannel::Whatsapp,
                None,
                Some(welcome),
            )
            .await
            .unwrap()
        };
        let r = send("cli_1").await;
        assert_eq!(
            (r.sent_via.as_str(), r.from.as_deref()),
            ("connection", Some("2077"))
        );
        let r = send("cli_9").await;
        assert_eq!((r.sent_via.as_str(), r.sandbox), ("sandbox", true));
        assert_eq!(
            seen.lock().unwrap().last().map(String::as_str),
            Some("2077")
        );

        // The webhook's routing: by number, to the client, with its secret.
        let route = s.whatsapp_route(&ten, "3088").await.unwrap().unwrap();
        assert_eq!(
            (route.client_id.as_str(), route.app_secret.as_str()),
            ("cli_2", "secret-of-cli_2")
        );
        assert!(s.whatsapp_route(&ten, "9999").await.unwrap().is_none());
        assert_eq!(s.whatsapp_verify_tokens(&ten).await.unwrap().len(), 2);
        // A disabled connection is skipped; credentials left out are kept.
        let v = s
            .set_connection(
                &admin,
                NewConnection {
                    access_token: None,
                    app_secret: None,
                    verify_token: None,
                    waba_id: None,
                    enabled: false,
                    ..conn("cli_2", "3088", None)
                },
            )
            .await
            .unwrap();
        assert!(!v.enabled && v.credentials.app_secret);
        assert!(s.whatsapp_route(&ten, "3088").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn assignment_never_exceeds_capacity_without_a_recorded_override() {
    each(async |_t, s| {
        let ten = tenant();
        let seller = |id: &str, name: &str, client: Option<&str>| SellerInput {
            seller_id: Some(id.into()),
            name: name.into(),
            capacity: 1,
            active: true,
            countries: vec!["CO".into()],
            client_id: client.map(Into::into),
        };
        s.upsert_seller(&ten, seller("sel_a", "Ana", None))
            .await
            .unwrap();
        s.upsert_seller(&ten, seller("sel_b", "Beto", Some("cli_2")))
            .await
            .unwrap();
        let l1 = register(&s, person("cli_1", "Uno", Some("u1@example.com"), None)).await;
        let l2 = register(&s, person("cli_1", "Dos", Some("u2@example.com"), None)).await;
        let by = |strategy| AssignRequest {
            strategy: Some(strategy),
            ..Default::default()
        };
        let a = s
            .assign_lead(
                &ten,
                "t",
                l1.as_str(),
                by(crate::domain::AssignStrategy::ByCountry),
            )
            .await
            .unwrap();
        assert_eq!(a.seller_id.as_str(), "sel_a");
        assert!(a.warnings.is_empty());
        // Beto takes only cli_2's leads; Ana is full: strategies say so.
        for strategy in [
            crate::domain::AssignStrategy::LeastLoaded,
            crate::domain::AssignStrategy::RoundRobin,
            crate::domain::AssignStrategy::ByCountry,
        ] {
            let e = s
                .assign_lead(&ten, "t", l2.as_str(), by(strategy))
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("Ana (sel_a) 1/1") && !e.contains("Beto"), "{e}");
        }
        let explicit = |seller: &str, over: bool, reason: Option<&str>| AssignRequest {
            seller_id: Some(seller.into()),
            override_capacity: over,
            reason: reason.map(Into::into),
            ..Default::default()
        };
        let e = s
            .assign_lead(&ten, "t", l2.as_str(), explicit("sel_a", false, None))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("at capacity (1 open leads of 1)"),
            "{e}"
        );
        let e = s
            .assign_lead(&ten, "t", l2.as_str(), explicit("sel_a", true, None))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`reason`"), "{e}");
        let e = s
            .assign_lead(&ten, "t", l2.as_str(), explicit("sel_b", false, None))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("works for client `cli_2` only"),
            "{e}"
        );
        let over = s
            .assign_lead(
                &ten,
                "boss",
                l2.as_str(),
                explicit("sel_a", true, Some("VIP client asked for Ana")),
            )
            .await
            .unwrap();
        assert_eq!((over.open_leads, over.capacity), (2, 1));
        assert_eq!(
            over.override_reason.as_deref(),
            Some("VIP client asked for Ana")
        );
        assert!(
            over.warnings[0].contains("over capacity: 2 open leads of 1")
                && over.warnings[0].contains("boss"),
            "{:?}",
            over.warnings
        );
        let v = s.get_lead(&ten, l2.as_str()).await.unwrap();
        let last = v.assignments.last().unwrap();
        assert_eq!((last.actor.as_str(), last.open_leads), ("boss", 1));
        assert_eq!(
            last.override_reason.as_deref(),
            Some("VIP client asked for Ana")
        );
        // Re-assigning a lead to the seller who holds it adds nothing.
        let again = s
            .assign_lead(&ten, "t", l1.as_str(), explicit("sel_a", false, None))
            .await
            .unwrap();
        assert_eq!(again.open_leads, 2);
        let sellers = s.list_sellers(&ten, false, Some("cli_1")).await.unwrap();
        assert_eq!(sellers.len(), 1, "Beto does not take cli_1's leads");
        assert_eq!(sellers[0].open_leads, 2);
    })
    .await;
}

#[tokio::test]
async fn the_digest_groups_per_seller_and_client_with_names_ages_and_pages() {
    each(async |t, s| {
        let ten = tenant();
        let s = s.with_catalog(catalog(t, 100, 10, 100).await);
        for (id, name) in [("sel_a", "Ana"), ("sel_b", "Beto")] {
            s.upsert_seller(
                &ten,
                SellerInput {
                    seller_id: Some(id.into()),
                    name: name.into(),
                    capacity: 50,
                    active: true,
                    countries: vec![],
                    client_id: None,
                },
            )
            .await
            .unwrap();
        }
        let ago = |h: i64| (Utc::now() - Duration::hours(h)).to_rfc3339();
        // (client, name, seller, hours since their unanswered message)
        let cases = [
            ("cli_1", "Lucía Uno", Some("sel_a"), 30),
            ("cli_1", "Mateo Dos", Some("sel_a"), 72),
            ("cli_2", "Nora Tres", Some("sel_a"), 26),
            ("cli_1", "Óscar Cuatro", None, 50),
            ("cli_1", "Pía Cinco", Some("sel_b"), 2),
        ];
        let mut ids = Vec::new();
        for (i, (client, name, seller, hours)) in cases.iter().enumerate() {
            let id = register(
                &s,
                person(client, name, Some(&format!("d{i}@example.com")), None),
            )
            .await;
            s.log_interaction(
                &ten,
                "t",
                id.as_str(),
                Channel::Whatsapp,
                Direction::In,
                "Hola",
                Some(&ago(*hours)),
            )
            .await
            .unwrap();
            if let Some(seller) = seller {
                s.assign_lead(
                    &ten,
                    "t",
                    id.as_str(),
                    AssignRequest {
                        seller_id: Some((*seller).into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            }
            ids.push(id);
        }
        let page = |cursor: Option<String>| FollowUpQuery {
            limit: Some(2),
            cursor,
            ..Default::default()
        };
        let p1 = s.follow_ups_due(&ten, &page(None)).await.unwrap();
        assert_eq!(
            (p1.total_due, p1.returned, p1.limit),
            (4, 2, 2),
            "{}",
            t.label()
        );
        assert_eq!(p1.groups.len(), 1);
        let g = &p1.groups[0];
        assert_eq!(
            (g.seller_name.as_deref(), g.client_id.as_str()),
            (Some("Ana"), "cli_1")
        );
        assert_eq!(
            (g.time_zone.as_str(), g.client_name.as_deref()),
            ("America/Bogota", Some("Client cli_1"))
        );
        let names: Vec<_> = g.items.iter().map(|i| i.name.clone().unwrap()).collect();
        assert_eq!(names, ["Mateo Dos", "Lucía Uno"], "high priority first");
        assert_eq!(g.items[0].priority.as_str(), "high");
        assert_eq!(
            (g.items[1].priority.as_str(), g.items[1].age_hours),
            ("medium", 30)
        );
        assert_eq!(g.items[0].age, "3 days");
        let p2 = s
            .follow_ups_due(&ten, &page(p1.next_cursor.clone()))
            .await
            .unwrap();
        assert!(p2.next_cursor.is_none());
        let groups: Vec<_> = p2
            .groups
            .iter()
            .map(|g| {
                (
                    g.seller_id.as_ref().map(|s| s.as_str().to_owned()),
                    g.client_id.as_str(),
                    g.items[0].name.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                (Some("sel_a".to_owned()), "cli_2", "Nora Tres".to_owned()),
                (None, "cli_1", "Óscar Cuatro".to_owned()),
            ]
        );
        assert_eq!(p2.groups[0].time_zone.as_str(), "America/Mexico_City");
        // Filters by client and seller; a bad cursor names itself.
        let only = s
            .follow_ups_due(
                &ten,
                &FollowUpQuery {
                    client_id: Some("cli_2".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(only.total_due, 1);
        let beto = s
            .follow_ups_due(
                &ten,
                &FollowUpQuery {
                    seller_id: Some("sel_b".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(beto.total_due, 0, "a 2-hour-old message is not due yet");
        let e = s
            .follow_ups_due(
                &ten,
                &FollowUpQuery {
                    cursor: Some("zzz".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`cursor`"), "{e}");
    })
    .await;
}
