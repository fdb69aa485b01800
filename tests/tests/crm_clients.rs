//! The agency's clients as a boundary in mcp-crm, driven through the real
//! binary on SQLite and on PostgreSQL + Redis: the same person for two
//! clients is two leads and for one client one, also under a 50-way race
//! across two processes; knowledge-base answers never cross clients; GDPR
//! export and erasure find the person's leads of every client and an
//! opt-out covers every client; a full plan refuses with its numbers; the
//! morning digest lists real names per seller and client and respects its
//! limit; WhatsApp deliveries are routed by the number they were sent to,
//! verified with that client's app secret, and sends go out from the
//! client's own number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use promptsales_catalog::{
    CatalogWriter, Client as CatalogClient, Limit, LimitKind, Plan, SubCompany,
};
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use promptsales_tests::{Backend, Client, Era, HttpServer, stdio_client_env};
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
use serde_json::{Value, json};

const KEY: (&str, &str) = (
    "PROMPTSALES_ENCRYPTION_KEY",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
);
/// Every crm scope, and `admin` for the connections.
const SCOPES: (&str, &str) = (
    "PROMPTSALES_SCOPES",
    "crm:read,crm:write,crm:send,crm:consent,crm:gdpr,admin",
);
/// The tenant of a server started without `PROMPTSALES_TENANT`.
const TENANT: &str = "default";

use promptsales_tests::{tool_err as err, tool_ok as ok};

async fn resource(c: &Client, uri: &str) -> Value {
    let r = c
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|e| panic!("{uri}: {e}"));
    let v = serde_json::to_value(&r).unwrap();
    serde_json::from_str(v["contents"][0]["text"].as_str().unwrap()).unwrap()
}

async fn stdio(backend: &Backend) -> Client {
    stdio_client_env("mcp-crm", backend, &[], &[KEY, SCOPES], Era::Stateless).await
}

fn person(client: &str, name: &str, email: &str, phone: &str) -> Value {
    json!({
        "client_id": client, "channel": "meta", "country": "CO", "name": name,
        "email": email, "phone": phone, "language": "es"
    })
}

fn id_of(registration: &Value) -> String {
    registration["lead"]["id"].as_str().unwrap().to_owned()
}

/// The catalog as `promptsales seed` leaves it: a coffee brand in
/// Colombia on a small crm plan, a dental clinic in Mexico on none.
async fn catalog(backend: &Backend, leads: i64, seats: i64, messages: i64) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &promptsales_catalog::SCHEMA)
        .await
        .unwrap();
    let w = CatalogWriter::new(db);
    let t = TenantId::parse(TENANT).unwrap();
    for (id, name, country) in [
        ("cli_cafe", "Café Andino", "CO"),
        ("cli_dental", "Clínica Sonrisa", "MX"),
    ] {
        let c = CatalogClient::new(
            ClientId::parse(id).unwrap(),
            name,
            "retail",
            Country::parse(country).unwrap(),
        );
        w.upsert_client(&t, &c).await.unwrap();
    }
    let limit = |kind, value| Limit {
        kind,
        value,
        currency: None,
    };
    w.upsert_plan(
        &t,
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
    w.assign_plan(&t, &ClientId::parse("cli_cafe").unwrap(), "crm_starter")
        .await
        .unwrap();
}

/// Runs the futures concurrently and collects their outputs in order (a
/// small `join_all`: the test crate has no `futures`).
async fn join_all<F: std::future::Future<Output = Value>>(fs: Vec<F>) -> Vec<Value> {
    let mut pending: Vec<_> = fs.into_iter().map(Box::pin).enumerate().collect();
    let mut results = vec![Value::Null; pending.len()];
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                results[*i] = v;
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results
}

/// 25 concurrent registrations of one person, for two clients in turn,
/// written several ways.
async fn burst(c: &Client, offset: usize) -> Vec<Value> {
    let calls: Vec<_> = (0..25)
        .map(|i| {
            let client = if (i + offset).is_multiple_of(2) {
                "cli_cafe"
            } else {
                "cli_dental"
            };
            let email = if i.is_multiple_of(3) {
                " Maria.Lopez@Example.com "
            } else {
                "maria.lopez@example.com"
            };
            let phone = if i.is_multiple_of(2) {
                "+57 300 765 4321"
            } else {
                "300 765 4321"
            };
            let args = person(client, "María López", email, phone);
            async move {
                let mut r = ok(c, "register_lead", args).await;
                r["client"] = json!(client);
                r
            }
        })
        .collect();
    join_all(calls).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_person_is_one_lead_per_client_even_racing_across_two_processes() {
    for backend in Backend::all() {
        let label = backend.label;
        let (a, b) = (stdio(&backend).await, stdio(&backend).await);
        let (ra, rb) = tokio::join!(burst(&a, 0), burst(&b, 1));
        let all: Vec<&Value> = ra.iter().chain(&rb).collect();
        let mut created: Vec<&str> = all
            .iter()
            .filter(|r| r["created"] == true)
            .map(|r| r["client"].as_str().unwrap())
            .collect();
        created.sort_unstable();
        assert_eq!(created, ["cli_cafe", "cli_dental"], "{label}");
        let ids: BTreeSet<(&str, &str)> = all
            .iter()
            .map(|r| {
                assert_eq!(r["lead"]["client_id"], r["client"], "{label}: {r}");
                (
                    r["client"].as_str().unwrap(),
                    r["lead"]["id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(ids.len(), 2, "{label}: one lead per client: {ids:?}");
        for client in ["cli_cafe", "cli_dental"] {
            let found = ok(&a, "search_leads", json!({"client_id": client})).await;
            assert_eq!(found["items"].as_array().unwrap().len(), 1, "{label}");
        }
        // Later: the phone alone finds the client's lead; a third client
        // gets its own.
        let again = ok(
            &b,
            "register_lead",
            json!({"client_id": "cli_cafe", "channel": "web", "country": "CO", "phone": "3007654321"}),
        )
        .await;
        assert_eq!(again["created"], false);
        assert_eq!(again["matched_on"], "phone");
        let third = ok(
            &b,
            "register_lead",
            person("cli_gym", "María López", "maria.lopez@example.com", ""),
        )
        .await;
        assert_eq!(third["created"], true, "{label}");
        a.cancel().await.unwrap();
        b.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_and_gdpr_requests_keep_clients_apart() {
    for backend in Backend::all() {
        let label = backend.label;
        let c = stdio(&backend).await;
        for (entry, client, keywords, answer) in [
            (
                "kb_cafe_precio",
                Some("cli_cafe"),
                ["precio", "cuesta"],
                "La suscripción de café cuesta 20 USD al mes.",
            ),
            (
                "kb_dental_precio",
                Some("cli_dental"),
                ["precio", "cuesta"],
                "La limpieza dental cuesta 45 USD.",
            ),
            (
                "kb_horario",
                None,
                ["horario", "abren"],
                "Atendemos de lunes a viernes de 8 a 18 h.",
            ),
        ] {
            let mut args = json!({"entry_id": entry, "language": "es", "topic": "Precios",
                                  "keywords": keywords, "answer": answer});
            match client {
                Some(c) => args["client_id"] = json!(c),
                None => args["tenant_wide"] = json!(true),
            }
            ok(&c, "upsert_kb_entry", args).await;
        }
        let e = err(
            &c,
            "upsert_kb_entry",
            json!({"entry_id": "kb_cafe_precio", "client_id": "cli_dental", "language": "es",
                   "topic": "x", "keywords": ["x"], "answer": "robado"}),
        )
        .await;
        assert!(e.contains("belongs to client `cli_cafe`"), "{label}: {e}");
        let e = err(
            &c,
            "upsert_kb_entry",
            json!({"entry_id": "kb_x", "language": "es", "topic": "x", "keywords": ["x"], "answer": "x"}),
        )
        .await;
        assert!(e.contains("`client_id`"), "{label}: {e}");

        // The same person writes to both clients.
        let cafe = id_of(
            &ok(
                &c,
                "register_lead",
                person(
                    "cli_cafe",
                    "Sofía Ruiz",
                    "sofia@example.com",
                    "300 111 2233",
                ),
            )
            .await,
        );
        let dental_reg = ok(
            &c,
            "register_lead",
            person("cli_dental", "Sofía Ruiz", "SOFIA@example.com", ""),
        )
        .await;
        assert_eq!(
            dental_reg["created"], true,
            "{label}: another client's lead"
        );
        let dental = id_of(&dental_reg);
        for id in [&cafe, &dental] {
            ok(
                &c,
                "log_interaction",
                json!({"lead_id": id, "channel": "whatsapp", "direction": "in",
                       "text": "Hola, ¿cuánto cuesta y a qué hora abren?"}),
            )
            .await;
        }
        let reply = ok(&c, "suggest_reply", json!({"lead_id": dental})).await;
        let draft = reply["draft"].as_str().unwrap();
        assert!(
            draft.contains("45 USD") && draft.contains("lunes"),
            "{label}: {draft}"
        );
        assert!(
            !draft.contains("café"),
            "{label}: another client's answer: {draft}"
        );
        assert_eq!(
            reply["kb_entries"],
            json!(["kb_dental_precio", "kb_horario"])
        );
        let reply = ok(&c, "suggest_reply", json!({"lead_id": cafe})).await;
        let draft = reply["draft"].as_str().unwrap();
        assert!(
            draft.contains("20 USD") && !draft.contains("45"),
            "{label}: {draft}"
        );
        // Listings and prompts per client.
        let kb = resource(&c, "crm://knowledge-base/cli_dental").await;
        let ids: Vec<&str> = kb
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["kb_dental_precio", "kb_horario"], "{label}");
        let p = c
            .get_prompt(
                GetPromptRequestParams::new("handle_objection").with_arguments(
                    json!({"lead_id": dental, "objection": "es muy caro"})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
            )
            .await
            .unwrap();
        let text = serde_json::to_value(&p).unwrap()["messages"][0]["content"]["text"].clone();
        assert!(
            text.as_str()
                .unwrap()
                .contains("crm://knowledge-base/cli_dental"),
            "{label}: {text}"
        );
        let pipe = resource(&c, "crm://pipeline/cli_dental").await;
        let leads: i64 = pipe["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["leads"].as_i64().unwrap())
            .sum();
        assert_eq!(leads, 1, "{label}: {pipe}");

        // GDPR: the export of one lead finds the other client's.
        let x = ok(&c, "gdpr_export_lead", json!({"lead_id": dental})).await;
        assert_eq!(x["profile"]["email"], "sofia@example.com");
        assert_eq!(
            x["same_person"].as_array().unwrap().len(),
            1,
            "{label}: {x}"
        );
        assert_eq!(x["same_person"][0]["profile"]["id"], cafe.as_str());
        assert_eq!(x["same_person"][0]["profile"]["client_id"], "cli_cafe");
        assert_eq!(x["same_person"][0]["matched_on"], json!(["email"]));
        assert!(
            x["notice"]
                .as_str()
                .unwrap()
                .contains("1 other lead(s) of 1 client(s)"),
            "{x}"
        );
        // An opt-out given to one client covers the person for every client.
        ok(
            &c,
            "record_consent",
            json!({"lead_id": dental, "channel": "email", "granted": true, "source": "form"}),
        )
        .await;
        ok(
            &c,
            "suppress",
            json!({"lead_id": cafe, "source": "asked the coffee brand to stop"}),
        )
        .await;
        let e = err(
            &c,
            "send_message",
            json!({"lead_id": dental, "channel": "email", "text": "Hola"}),
        )
        .await;
        assert!(
            e.contains("suppressed") && e.contains("coffee brand"),
            "{label}: {e}"
        );
        // Erasure reaches both leads and says so.
        let r = ok(&c, "gdpr_erase_lead", json!({"lead_id": dental})).await;
        assert_eq!(r["erased"], true);
        assert_eq!(r["same_person"][0]["lead_id"], cafe.as_str());
        assert_eq!(r["same_person"][0]["erased"], true, "{label}: {r}");
        let v = ok(&c, "get_lead", json!({"lead_id": cafe})).await;
        assert_eq!(v["profile"]["erased"], true, "{label}");
        assert!(v["profile"]["email"].is_null() && v["profile"]["phone"].is_null());
        c.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_plan_refuses_with_its_numbers() {
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend, 2, 1, 1).await;
        let c = stdio(&backend).await;
        let first = id_of(
            &ok(
                &c,
                "register_lead",
                person("cli_cafe", "Uno", "uno@example.com", ""),
            )
            .await,
        );
        ok(
            &c,
            "register_lead",
            person("cli_cafe", "Dos", "dos@example.com", ""),
        )
        .await;
        let e = err(
            &c,
            "register_lead",
            person("cli_cafe", "Tres", "tres@example.com", ""),
        )
        .await;
        assert!(
            e.contains(
                "quota exceeded: leads stored for client cli_cafe (plan Starter): 2 used + 1 requested > limit 2"
            ),
            "{label}: {e}"
        );
        // A repeat merges for free; a client without a plan is not limited.
        let dup = ok(
            &c,
            "register_lead",
            person("cli_cafe", "Uno", "UNO@example.com", ""),
        )
        .await;
        assert_eq!(dup["duplicate_of"], first.as_str());
        ok(
            &c,
            "register_lead",
            person("cli_dental", "Tres", "tres@example.com", ""),
        )
        .await;
        // Messages this month, reset in the client's zone.
        ok(
            &c,
            "record_consent",
            json!({"lead_id": first, "channel": "email", "granted": true, "source": "form"}),
        )
        .await;
        ok(
            &c,
            "send_message",
            json!({"lead_id": first, "channel": "email", "text": "Hola"}),
        )
        .await;
        let e = err(
            &c,
            "send_message",
            json!({"lead_id": first, "channel": "email", "text": "Hola otra vez"}),
        )
        .await;
        assert!(
            e.contains("messages sent this month for client cli_cafe (plan Starter): 1 used + 1 requested > limit 1; resets ")
                && e.contains("00:00 America/Bogota"),
            "{label}: {e}"
        );
        // Seats: active sellers working for the client.
        ok(
            &c,
            "upsert_seller",
            json!({"seller_id": "sel_ana", "name": "Ana", "capacity": 40, "client_id": "cli_cafe"}),
        )
        .await;
        let e = err(
            &c,
            "upsert_seller",
            json!({"seller_id": "sel_beto", "name": "Beto", "capacity": 40, "client_id": "cli_cafe"}),
        )
        .await;
        assert!(
            e.contains("seats for client cli_cafe (plan Starter): 1 used + 1 requested > limit 1"),
            "{label}: {e}"
        );
        let usage = ok(&c, "usage", json!({"client_id": "cli_cafe"})).await;
        assert_eq!(usage["plan"], "crm_starter");
        assert_eq!(usage["time_zone"], "America/Bogota");
        let lines: BTreeMap<&str, (i64, i64)> = usage["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["kind"].as_str().unwrap(),
                    (l["used"].as_i64().unwrap(), l["limit"].as_i64().unwrap()),
                )
            })
            .collect();
        assert_eq!(
            lines,
            BTreeMap::from([
                ("leads_stored", (2, 2)),
                ("messages_per_month", (1, 1)),
                ("seats", (1, 1)),
            ]),
            "{label}: {usage}"
        );
        assert_eq!(resource(&c, "crm://usage/cli_cafe").await, usage);
        c.cancel().await.unwrap();
    }
}

/// Names a seller would recognise.
const NAMES: &[&str] = &[
    "Lucía Pérez",
    "Mateo Gómez",
    "Valentina Rojas",
    "Santiago Díaz",
    "Camila Torres",
    "Sebastián Vargas",
    "Isabella Castro",
    "Nicolás Moreno",
    "Mariana Herrera",
    "Samuel Jiménez",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_morning_digest_lists_real_names_and_respects_its_limit() {
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend, 1_000, 10, 1_000).await;
        let c = stdio(&backend).await;
        for (id, name) in [
            ("sel_ana", "Ana"),
            ("sel_beto", "Beto"),
            ("sel_caro", "Caro"),
        ] {
            ok(
                &c,
                "upsert_seller",
                json!({"seller_id": id, "name": name, "capacity": 25, "countries": ["CO", "MX"]}),
            )
            .await;
        }
        // 70 leads of two clients, each with a message unanswered for 1 to
        // 5 days, spread over the sellers by least_loaded.
        let mut registered = BTreeMap::new();
        for i in 0..70_usize {
            let client = if i.is_multiple_of(3) {
                "cli_dental"
            } else {
                "cli_cafe"
            };
            let name = format!("{} {i}", NAMES[i % NAMES.len()]);
            let id = id_of(
                &ok(
                    &c,
                    "register_lead",
                    person(client, &name, &format!("p{i}@example.com"), ""),
                )
                .await,
            );
            let at = (Utc::now() - Duration::hours(26 + (i as i64 % 5) * 24)).to_rfc3339();
            ok(
                &c,
                "log_interaction",
                json!({"lead_id": id, "channel": "whatsapp", "direction": "in",
                       "text": "Hola, ¿me pueden ayudar?", "at": at}),
            )
            .await;
            ok(
                &c,
                "assign_lead",
                json!({"lead_id": id, "strategy": "least_loaded"}),
            )
            .await;
            registered.insert(id, name);
        }
        // Every seller is now at 23-24 of 25: the next three fit, then none.
        let page = ok(&c, "follow_ups_due", json!({})).await;
        assert_eq!(page["limit"], 50, "{label}: the default limit");
        assert_eq!(page["returned"], 50);
        assert_eq!(page["total_due"], 70);
        let mut seen = BTreeSet::new();
        let mut check = |page: &Value| {
            let groups = page["groups"].as_array().unwrap();
            let mut keys = BTreeSet::new();
            for g in groups {
                let key = (
                    g["seller_id"].clone().to_string(),
                    g["client_id"].to_string(),
                );
                assert!(keys.insert(key), "{label}: one group per seller and client");
                assert!(g["seller_name"].is_string(), "{g}");
                let zone = g["time_zone"].as_str().unwrap();
                match g["client_id"].as_str().unwrap() {
                    "cli_cafe" => assert_eq!(zone, "America/Bogota"),
                    _ => assert_eq!(zone, "America/Mexico_City"),
                }
                for item in g["items"].as_array().unwrap() {
                    let id = item["lead_id"].as_str().unwrap();
                    assert_eq!(
                        item["name"].as_str(),
                        registered.get(id).map(String::as_str)
                    );
                    assert_eq!(item["reason"], "unanswered_inbound");
                    assert!(item["age_hours"].as_i64().unwrap() >= 26, "{item}");
                    assert!(["high", "medium"].contains(&item["priority"].as_str().unwrap()));
                    assert!(seen.insert(id.to_owned()), "{label}: {id} twice");
                }
            }
        };
        check(&page);
        let cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let rest = ok(&c, "follow_ups_due", json!({"cursor": cursor})).await;
        assert_eq!(rest["returned"], 20, "{label}");
        assert!(rest["next_cursor"].is_null());
        check(&rest);
        assert_eq!(seen.len(), 70);
        let small = ok(
            &c,
            "follow_ups_due",
            json!({"limit": 10, "client_id": "cli_dental"}),
        )
        .await;
        assert_eq!(
            (small["returned"].as_i64(), small["total_due"].as_i64()),
            (Some(10), Some(24))
        );
        let e = err(&c, "follow_ups_due", json!({"limit": 501})).await;
        assert!(e.contains("`limit`"), "{e}");
        // Capacity: 75 places for 70 leads, then strategies say who is full.
        for i in 0..5 {
            let id = id_of(
                &ok(
                    &c,
                    "register_lead",
                    person("cli_cafe", "Extra", &format!("x{i}@example.com"), ""),
                )
                .await,
            );
            ok(&c, "assign_lead", json!({"lead_id": id})).await;
        }
        let id = id_of(
            &ok(
                &c,
                "register_lead",
                person("cli_cafe", "Una más", "mas@example.com", ""),
            )
            .await,
        );
        let e = err(&c, "assign_lead", json!({"lead_id": id})).await;
        assert!(
            e.contains("no active seller has room") && e.contains("Ana (sel_ana) 25/25"),
            "{label}: {e}"
        );
        let over = ok(
            &c,
            "assign_lead",
            json!({"lead_id": id, "seller_id": "sel_ana", "override": true, "reason": "cubre vacaciones"}),
        )
        .await;
        assert!(
            over["warnings"][0]
                .as_str()
                .unwrap()
                .contains("26 open leads of 25"),
            "{over}"
        );
        c.cancel().await.unwrap();
    }
}

type Sent = Arc<Mutex<Vec<String>>>;

/// A local stand-in for the Cloud API: records the number each message
/// goes out from.
async fn fake_whatsapp() -> (String, Sent) {
    use axum::extract::{Path, State};
    use axum::routing::post;
    let sent: Sent = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v25.0/{number}/messages",
            post(
                |State(s): State<Sent>, Path(number): Path<String>| async move {
                    s.lock().unwrap().push(number);
                    axum::Json(
                        json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT"}]}),
                    )
                },
            ),
        )
        .with_state(sent.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), sent)
}

/// A delivery of one message from `from` to the number `to`.
fn delivery(to: &str, id: &str, from: &str, name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": to},
            "contacts": [{"profile": {"name": name}, "wa_id": from}],
            "messages": [{"from": from, "id": id, "timestamp": Utc::now().timestamp().to_string(),
                          "type": "text", "text": {"body": "Hola, quiero información"}}]
        }}]}]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_deliveries_route_by_number_and_sends_leave_from_the_clients_number() {
    let (api, sent) = fake_whatsapp().await;
    for backend in Backend::all() {
        let label = backend.label;
        let server = HttpServer::start_env(
            "mcp-crm",
            &backend,
            &[],
            &[KEY, SCOPES, ("PROMPTSALES_WHATSAPP_API_BASE", &api)],
        )
        .await;
        let c = server.client(Era::Stateless).await;
        for (client, number, secret) in [
            ("cli_cafe", "2077", "secret-cafe"),
            ("cli_dental", "3088", "secret-dental"),
        ] {
            let v = ok(
                &c,
                "set_connection",
                json!({"client_id": client, "channel": "whatsapp", "phone_number_id": number,
                       "access_token": format!("EAAG-{client}"), "app_secret": secret,
                       "verify_token": format!("verify-{client}")}),
            )
            .await;
            assert_eq!(v["credentials"]["app_secret"], true);
        }
        let listed = ok(&c, "list_connections", json!({})).await;
        let text = listed.to_string();
        for secret in ["EAAG-", "secret-cafe", "secret-dental", "verify-cli"] {
            assert!(!text.contains(secret), "{label}: {secret} in {text}");
        }
        assert_eq!(listed["default"]["whatsapp_sending"], "sandbox");
        assert_eq!(listed["connections"].as_array().unwrap().len(), 2);

        let http = reqwest::Client::new();
        let hook = format!("{}/webhooks/whatsapp", server.base);
        let post = async |body: Vec<u8>, secret: &str| {
            http.post(&hook)
                .header(
                    "X-Hub-Signature-256",
                    promptsales_tests::meta_signature(secret, &body),
                )
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        };
        // Another client's secret, or a number nobody connected: refused.
        let to_cafe = delivery("2077", "wamid.C1", "573001112233", "Lucía Pérez");
        assert_eq!(post(to_cafe.clone(), "secret-dental").await, 401, "{label}");
        assert_eq!(
            post(
                delivery("9999", "wamid.X", "573001112233", "X"),
                "secret-cafe"
            )
            .await,
            401
        );
        assert_eq!(
            ok(&c, "search_leads", json!({"channel": "whatsapp"})).await["items"],
            json!([]),
            "{label}: nothing stored"
        );
        assert_eq!(post(to_cafe, "secret-cafe").await, 200, "{label}");
        let to_dental = delivery("3088", "wamid.D1", "573001112233", "Lucía Pérez");
        assert_eq!(post(to_dental, "secret-dental").await, 200, "{label}");
        let mut ids = Vec::new();
        for client in ["cli_cafe", "cli_dental"] {
            let found = ok(
                &c,
                "search_leads",
                json!({"channel": "whatsapp", "client_id": client}),
            )
            .await;
            let items = found["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{label} {client}: {found}");
            ids.push(items[0]["id"].as_str().unwrap().to_owned());
        }
        // The handshake takes each connection's verify token.
        let r = http
            .get(format!(
                "{hook}?hub.mode=subscribe&hub.verify_token=verify-cli_dental&hub.challenge=31"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.text().await.unwrap(), "31");
        // Replies go out from each client's own number (the service window
        // the verified message opened allows them).
        for (id, number) in ids.iter().zip(["2077", "3088"]) {
            let s = ok(
                &c,
                "send_message",
                json!({"lead_id": id, "channel": "whatsapp", "text": "¡Hola Lucía!"}),
            )
            .await;
            assert_eq!(s["allowed_by"], "whatsapp_service_window", "{label}: {s}");
            assert_eq!(
                (s["sent_via"].as_str(), s["from"].as_str()),
                (Some("connection"), Some(number))
            );
            assert_eq!(
                sent.lock().unwrap().last().map(String::as_str),
                Some(number)
            );
        }
        c.cancel().await.unwrap();
        assert!(server.terminate().await.success());
    }
}
