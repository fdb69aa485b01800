//! mcp-crm driven through its real binary by an rmcp client, on SQLite and
//! on PostgreSQL + Redis, over stdio and streamable HTTP: registration and
//! dedupe, scoring and stages, the ledger gating sends, sellers, sales,
//! GDPR, resources and prompts, tenant isolation, the WhatsApp connector
//! against a local fake, the webhook routes and key handling at start. The
//! local actor holds the privileged crm scopes through `PROMPTSALES_SCOPES`
//! (scope refusals themselves are `crm_trust.rs`'s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use promptsales_tests::{Backend, Client, Era, HttpServer, command, stdio_client_env};
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
use serde_json::{Value, json};

const KEY: (&str, &str) = (
    "PROMPTSALES_ENCRYPTION_KEY",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
);

/// Every crm scope: sending, the ledger and GDPR need theirs.
const SCOPES: (&str, &str) = (
    "PROMPTSALES_SCOPES",
    "crm:read,crm:write,crm:send,crm:consent,crm:gdpr",
);

use promptsales_tests::{tool_err as err, tool_ok as ok};

async fn resource(client: &Client, uri: &str) -> Value {
    let r = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|e| panic!("{uri}: {e}"));
    let v = serde_json::to_value(&r).unwrap();
    serde_json::from_str(v["contents"][0]["text"].as_str().unwrap()).unwrap()
}

fn lead(email: &str, phone: &str) -> Value {
    json!({
        "client_id": "cli_001", "channel": "meta", "country": "CO", "campaign_id": "cmp_001",
        "name": "Ana Gómez", "email": email, "phone": phone,
        "company": "Acme", "product_interest": "Plan Pro"
    })
}

/// The sales day, end to end, on one client.
async fn sales_day(c: &Client, label: &str) {
    ok(
        c,
        "upsert_seller",
        json!({"seller_id": "sel_ana", "name": "Ana", "capacity": 10, "countries": ["CO"]}),
    )
    .await;
    ok(
        c,
        "upsert_seller",
        json!({"seller_id": "sel_beto", "name": "Beto", "capacity": 10, "countries": ["MX"]}),
    )
    .await;

    // Registration and dedupe.
    let first = ok(
        c,
        "register_lead",
        lead(" Ana.Gomez@Example.com ", "300 123 4567"),
    )
    .await;
    assert_eq!(first["created"], true, "{label}");
    let id = first["lead"]["id"].as_str().unwrap().to_owned();
    assert_eq!(first["lead"]["email"], "ana.gomez@example.com");
    assert_eq!(first["lead"]["phone"], "+573001234567");
    let mut again = lead("ana.gomez@example.com", "+57 300 123 4567");
    again["channel"] = json!("web");
    let dup = ok(c, "register_lead", again).await;
    assert_eq!(dup["created"], false);
    assert_eq!(dup["duplicate_of"], id.as_str(), "{label}");
    assert_eq!(dup["matched_on"], "email");

    // Bad input: each a clear error naming the field, nothing written.
    for (tool, args, field) in [
        ("register_lead", lead("not-an-email", ""), "`email`"),
        ("register_lead", lead("", "call me maybe"), "`phone`"),
        (
            "advance_stage",
            json!({"lead_id": id, "stage": "won"}),
            "`stage`",
        ),
        (
            "get_lead",
            json!({"lead_id": "lead_nope"}),
            "lead `lead_nope` not found",
        ),
        (
            "record_sale",
            json!({"lead_id": id, "amount": "-10", "currency": "COP"}),
            "`amount`",
        ),
        (
            "log_interaction",
            json!({"lead_id": id, "channel": "email", "direction": "in", "text": "x".repeat(10_001)}),
            "`text`",
        ),
        (
            "mark_lost",
            json!({"lead_id": id, "reason": " "}),
            "`reason`",
        ),
        ("search_leads", json!({"stage": "hot"}), "`stage`"),
        // Closed vocabularies are enums: refused before the tool runs.
        (
            "log_interaction",
            json!({"lead_id": id, "channel": "myspace", "direction": "in", "text": "hola"}),
            "`channel`",
        ),
        (
            "assign_lead",
            json!({"lead_id": id, "strategy": "random"}),
            "`strategy`",
        ),
    ] {
        let e = err(c, tool, args).await;
        assert!(e.contains(field), "{label} {tool}: {e}");
    }
    let all = ok(c, "search_leads", json!({})).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "{label}: {all}");

    // Conversation: scoring, promotion, reply draft.
    ok(c, "upsert_kb_entry", json!({
        "entry_id": "kb_precio_es", "client_id": "cli_001", "language": "es", "topic": "Precios",
        "keywords": ["precio", "cuesta"], "answer": "El Plan Pro cuesta 99 USD al mes, con 14 días de prueba."
    })).await;
    let logged = ok(
        c,
        "log_interaction",
        json!({
            "lead_id": id, "channel": "whatsapp", "direction": "in",
            "text": "Hola, ¿cuánto cuesta el Plan Pro? Quiero una demo para contratar, gracias"
        }),
    )
    .await;
    assert!(logged["interaction"]["sentiment"].as_f64().unwrap() > 0.0);
    assert_eq!(logged["score"]["stage"], "sql", "{label}: {logged}");
    let reply = ok(c, "suggest_reply", json!({"lead_id": id})).await;
    assert_eq!(reply["language"], "es");
    assert_eq!(reply["sent"], false);
    assert!(
        reply["draft"].as_str().unwrap().contains("99 USD"),
        "{reply}"
    );
    assert!(reply["draft"].as_str().unwrap().starts_with("Hola Ana"));
    let score = ok(c, "score_lead", json!({"lead_id": id})).await;
    assert!(score["score"].as_i64().unwrap() >= 70, "{score}");

    // Consent ledger gates sends.
    let e = err(
        c,
        "send_message",
        json!({"lead_id": id, "channel": "email", "text": "Hola"}),
    )
    .await;
    assert!(e.contains("refused") && e.contains("consent"), "{e}");
    // A logged WhatsApp message opens no service window (only messages the
    // signed webhook verified do): consent is needed.
    let e = err(
        c,
        "send_message",
        json!({"lead_id": id, "channel": "whatsapp", "text": reply["draft"]}),
    )
    .await;
    assert!(e.contains("refused") && e.contains("service window"), "{e}");
    ok(
        c,
        "record_consent",
        json!({"lead_id": id, "channel": "whatsapp", "granted": true, "source": "asked on WhatsApp"}),
    )
    .await;
    // Consent is not the window: outside WhatsApp's 24 hours free text is
    // refused, and an approved template goes instead.
    let e = err(
        c,
        "send_message",
        json!({"lead_id": id, "channel": "whatsapp", "text": reply["draft"]}),
    )
    .await;
    assert!(e.contains("template"), "{e}");
    let wa = ok(
        c,
        "send_message",
        json!({"lead_id": id, "channel": "whatsapp",
               "template": {"name": "seguimiento", "language": "es", "parameters": ["Ana"]}}),
    )
    .await;
    assert_eq!(wa["sandbox"], true);
    assert_eq!(wa["allowed_by"], "consent");
    ok(
        c,
        "record_consent",
        json!({"lead_id": id, "channel": "email", "granted": true, "source": "landing form"}),
    )
    .await;
    let sent = ok(
        c,
        "send_message",
        json!({"lead_id": id, "channel": "email", "text": "Hola Ana"}),
    )
    .await;
    assert_eq!(sent["allowed_by"], "consent");
    let st = ok(
        c,
        "suppress",
        json!({"lead_id": id, "source": "asked by phone"}),
    )
    .await;
    assert_eq!(st["history"].as_array().unwrap().len(), 4, "{st}");
    assert!(
        st["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "local"),
        "every change names who made it: {st}"
    );
    let e = err(
        c,
        "send_message",
        json!({"lead_id": id, "channel": "email", "text": "Hola"}),
    )
    .await;
    assert!(
        e.contains("suppressed") && e.contains("asked by phone"),
        "{e}"
    );

    // Sellers, follow-ups, sale.
    let a = ok(
        c,
        "assign_lead",
        json!({"lead_id": id, "strategy": "by_country"}),
    )
    .await;
    assert_eq!(a["seller_id"], "sel_ana");
    let f = ok(
        c,
        "follow_ups_due",
        json!({"hot_score": 60, "quiet_days": 0}),
    )
    .await;
    let due = f["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["items"].as_array().unwrap())
        .find(|d| d["lead_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{f}"));
    assert_eq!(due["name"], "Ana Gómez", "{f}");
    assert_eq!(f["groups"][0]["seller_id"], "sel_ana", "{f}");
    let sale = ok(
        c,
        "record_sale",
        json!({"lead_id": id, "amount": "1250.50", "currency": "COP", "product_id": "prd_001"}),
    )
    .await;
    assert_eq!(sale["sale"]["amount_cents"], 125_050);
    assert_eq!(sale["lead_stage"], "customer");
    let m = ok(c, "seller_metrics", json!({})).await;
    assert_eq!(m["leaderboard"][0]["seller_id"], "sel_ana");
    assert_eq!(m["leaderboard"][0]["customers"], 1);

    // 360° view.
    let v = ok(c, "get_lead", json!({"lead_id": id})).await;
    let stages: Vec<&str> = v["stage_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["iql", "mql", "sql", "customer"], "{label}");
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);
    assert_eq!(v["sales"].as_array().unwrap().len(), 1);
    assert_eq!(v["interactions"].as_array().unwrap().len(), 3);

    // Intent needs history; the refusal says so.
    let e = err(c, "predict_purchase_intent", json!({"lead_id": id})).await;
    assert!(e.contains("not enough history"), "{e}");

    // Resources and prompts.
    let pipe = resource(c, "crm://pipeline").await;
    assert_eq!(pipe["stages"][3]["stage"], "customer");
    assert_eq!(pipe["stages"][3]["leads"], 1);
    let kb = resource(c, "crm://knowledge-base/cli_001").await;
    assert_eq!(kb[0]["id"], "kb_precio_es");
    assert_eq!(kb[0]["client_id"], "cli_001");
    let shared = resource(c, "crm://knowledge-base").await;
    assert_eq!(shared, json!([]), "only tenant-wide answers there");
    let usage = resource(c, "crm://usage/cli_001").await;
    assert_eq!(usage["lines"][0]["kind"], "leads_stored");
    assert_eq!(usage["lines"][0]["used"], 1, "{usage}");
    let sellers = resource(c, "crm://sellers").await;
    assert_eq!(sellers["leaderboard"].as_array().unwrap().len(), 2);
    let one = resource(c, &format!("crm://leads/{id}")).await;
    assert_eq!(one["profile"]["id"], id.as_str());
    let templates = c.list_all_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "crm://leads/{id}");
    for (name, args) in [
        ("follow_up", json!({"lead_id": id})),
        ("qualify_lead", json!({"lead_id": id})),
        (
            "handle_objection",
            json!({"lead_id": id, "objection": "es muy caro"}),
        ),
    ] {
        let p = c
            .get_prompt(
                GetPromptRequestParams::new(name).with_arguments(args.as_object().unwrap().clone()),
            )
            .await
            .unwrap();
        let text = serde_json::to_value(&p).unwrap()["messages"][0]["content"]["text"].clone();
        assert!(text.as_str().unwrap().contains(&id), "{name}: {text}");
    }

    // GDPR: export everything, erase, then nothing personal is left.
    let x = ok(c, "gdpr_export_lead", json!({"lead_id": id})).await;
    assert_eq!(x["profile"]["email"], "ana.gomez@example.com");
    assert_eq!(x["messages"].as_array().unwrap().len(), 2);
    let gone = ok(c, "gdpr_erase_lead", json!({"lead_id": id})).await;
    assert_eq!(gone["erased"], true);
    let after = ok(c, "gdpr_export_lead", json!({"lead_id": id})).await;
    assert!(after["profile"]["email"].is_null() && after["profile"]["name"].is_null());
    assert_eq!(after["profile"]["erased"], true);
    assert_eq!(after["sales"][0]["amount_cents"], 125_050, "sales kept");
    assert!(
        after["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["text"] == "[erased]")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_over_stdio_on_both_backends() {
    for backend in Backend::all() {
        let c = stdio_client_env("mcp-crm", &backend, &[], &[KEY, SCOPES], Era::Initialize).await;
        sales_day(&c, backend.label).await;
        c.cancel().await.unwrap();

        // Tenant B cannot read, update or erase tenant A's lead by id.
        let a = stdio_client_env(
            "mcp-crm",
            &backend,
            &[],
            &[KEY, SCOPES, ("PROMPTSALES_TENANT", "tenant_a")],
            Era::Stateless,
        )
        .await;
        let b = stdio_client_env(
            "mcp-crm",
            &backend,
            &[],
            &[KEY, SCOPES, ("PROMPTSALES_TENANT", "tenant_b")],
            Era::Stateless,
        )
        .await;
        let id = ok(&a, "register_lead", lead("iso@example.com", "")).await["lead"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (tool, args) in [
            ("get_lead", json!({"lead_id": id})),
            ("update_lead", json!({"lead_id": id, "company": "Evil"})),
            ("gdpr_erase_lead", json!({"lead_id": id})),
            (
                "log_interaction",
                json!({"lead_id": id, "channel": "web", "direction": "in", "text": "x"}),
            ),
        ] {
            let e = err(&b, tool, args).await;
            assert!(e.contains("not found"), "{} {tool}: {e}", backend.label);
        }
        assert_eq!(
            ok(&a, "get_lead", json!({"lead_id": id})).await["profile"]["company"],
            "Acme"
        );
        a.cancel().await.unwrap();
        b.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dedupe_holds_across_processes() {
    for backend in Backend::all() {
        let env = [KEY, ("PROMPTSALES_TENANT", "race")];
        let a = stdio_client_env("mcp-crm", &backend, &[], &env, Era::Stateless).await;
        let b = stdio_client_env("mcp-crm", &backend, &[], &env, Era::Stateless).await;
        // 50 registrations of one person from two server processes at once.
        let (ra, rb) = tokio::join!(burst(&a), burst(&b));
        let created = ra
            .iter()
            .chain(&rb)
            .filter(|r| r["created"] == true)
            .count();
        assert_eq!(created, 1, "{}", backend.label);
        let ids: std::collections::BTreeSet<&str> = ra
            .iter()
            .chain(&rb)
            .map(|r| r["lead"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1, "{}", backend.label);
        let all = ok(&a, "search_leads", json!({})).await;
        assert_eq!(
            all["items"].as_array().unwrap().len(),
            1,
            "{}",
            backend.label
        );
        a.cancel().await.unwrap();
        b.cancel().await.unwrap();
    }
}

/// 25 concurrent registrations of one person, written two ways.
async fn burst(c: &Client) -> Vec<Value> {
    let calls: Vec<_> = (0..25)
        .map(|i| {
            let args = lead(
                if i % 2 == 0 {
                    "Race@Example.com"
                } else {
                    "race@example.com"
                },
                "300 999 0000",
            );
            async move { ok(c, "register_lead", args).await }
        })
        .collect();
    futures_join(calls).await
}

/// Runs the futures concurrently and collects their outputs in order (a
/// small `join_all`: the test crate has no `futures`).
async fn futures_join<F: std::future::Future<Output = Value>>(fs: Vec<F>) -> Vec<Value> {
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

type Sent = Arc<Mutex<Vec<Value>>>;

/// A local stand-in for the WhatsApp Cloud API.
async fn fake_whatsapp() -> (String, Sent) {
    use axum::extract::State;
    use axum::routing::post;
    let sent: Sent = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v25.0/1055/messages",
            post(
                |State(s): State<Sent>, headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                    assert_eq!(headers["authorization"], "Bearer wa-token");
                    s.lock().unwrap().push(body);
                    axum::Json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.FAKE1"}]}))
                },
            ),
        )
        .with_state(sent.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_over_http_with_whatsapp_connector_and_webhook_routes() {
    let (base, sent) = fake_whatsapp().await;
    for backend in Backend::all() {
        let server = HttpServer::start_env(
            "mcp-crm",
            &backend,
            &[],
            &[
                KEY,
                SCOPES,
                ("PROMPTSALES_WHATSAPP_TOKEN", "wa-token"),
                ("PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID", "1055"),
                ("PROMPTSALES_WHATSAPP_API_BASE", &base),
                ("PROMPTSALES_WHATSAPP_VERIFY_TOKEN", "verify-me"),
                ("PROMPTSALES_WHATSAPP_APP_SECRET", "app-secret"),
            ],
        )
        .await;
        for era in Era::ALL {
            let c = server.client(era).await;
            let r = ok(
                &c,
                "register_lead",
                lead(
                    &format!("{era:?}@example.com"),
                    &format!("300555{:04}", era as u8 + 10),
                ),
            )
            .await;
            let id = r["lead"]["id"].as_str().unwrap().to_owned();
            ok(
                &c,
                "record_consent",
                json!({"lead_id": id, "channel": "whatsapp", "granted": true, "source": "form"}),
            )
            .await;
            let s = ok(
                &c,
                "send_message",
                json!({"lead_id": id, "channel": "whatsapp",
                       "template": {"name": "hola", "language": "es", "parameters": ["PromptSales"]}}),
            )
            .await;
            assert_eq!(s["sandbox"], false, "{}: {s}", backend.label);
            assert_eq!(s["provider_message_id"], "wamid.FAKE1");
            assert_eq!(s["sent_via"], "default", "the environment's number");
            assert_eq!(s["from"], "1055");
            c.cancel().await.unwrap();
        }
        let last = sent.lock().unwrap().last().cloned().unwrap();
        assert_eq!(last["messaging_product"], "whatsapp");
        assert_eq!(last["type"], "template", "{last}");
        assert_eq!(last["template"]["name"], "hola");
        assert_eq!(
            last["template"]["components"][0]["parameters"][0]["text"], "PromptSales",
            "{last}"
        );
        assert!(last["to"].as_str().unwrap().starts_with("57300555"));
        assert_eq!(
            last["to"].as_str().unwrap().len(),
            12,
            "a valid E.164: {last}"
        );

        // The webhook routes sit beside /mcp: handshake, and unsigned posts refused.
        let http = reqwest::Client::new();
        let hook = format!("{}/webhooks/whatsapp", server.base);
        let r = http
            .get(format!(
                "{hook}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=777"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "777");
        let r = http.post(&hook).body("{}").send().await.unwrap();
        assert_eq!(r.status(), 401);
        let r = http
            .post(&hook)
            .header("X-Hub-Signature-256", "sha256=deadbeef")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        // A signed delivery, sent twice, is one lead with one interaction.
        let body = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "contacts": [{"profile": {"name": "Lucía Pérez"}, "wa_id": "5215512345678"}],
                "messages": [{"from": "5215512345678", "id": "wamid.E2E1", "timestamp": "1767225600",
                              "type": "text", "text": {"body": "Hola, quiero una demo"}}]
            }}]}]
        }))
        .unwrap();
        let sig = promptsales_tests::meta_signature("app-secret", &body);
        for _ in 0..2 {
            let r = http
                .post(&hook)
                .header("X-Hub-Signature-256", &sig)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", backend.label);
        }
        let c = server.client(Era::Stateless).await;
        let found = ok(
            &c,
            "search_leads",
            json!({"channel": "whatsapp", "country": "MX"}),
        )
        .await;
        let items = found["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}: {found}", backend.label);
        let v = ok(&c, "get_lead", json!({"lead_id": items[0]["id"]})).await;
        assert_eq!(v["profile"]["name"], "Lucía Pérez");
        // The Mexican mobile `1` WhatsApp still sends is dropped: E.164.
        assert_eq!(v["profile"]["phone"], "+525512345678");
        assert_eq!(
            v["interactions"].as_array().unwrap().len(),
            1,
            "{}",
            backend.label
        );
        c.cancel().await.unwrap();
        assert!(server.terminate().await.success());
    }
}

#[tokio::test]
async fn start_refuses_a_malformed_key_and_postgres_without_one() {
    let sqlite = Backend::sqlite();
    let out = command("mcp-crm", &sqlite)
        .env("PROMPTSALES_ENCRYPTION_KEY", "too-short")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("PROMPTSALES_ENCRYPTION_KEY"), "{e}");
    if let Some(pg) = Backend::postgres() {
        let out = command("mcp-crm", &pg)
            .env_remove("PROMPTSALES_ENCRYPTION_KEY")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success());
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains("PROMPTSALES_ENCRYPTION_KEY") && e.contains("PostgreSQL"),
            "{e}"
        );
    }
}
