//! mcp-crm's least privilege and consent you can trust, driven through the
//! real binary on SQLite and on PostgreSQL + Redis: over streamable HTTP
//! with real signed tokens and over stdio with `PROMPTSALES_SCOPES`, every
//! crm tool without its scope is refused (403 `insufficient_scope` before
//! dispatch for a 2026-07-28 request, an `isError` result otherwise) and
//! changes nothing in the database, and with only its scope it works; a
//! logged `at` in the future is refused; a logged message never opens the
//! WhatsApp window, a verified one does; a replayed signed STOP after a
//! lift does not re-suppress, even in a process whose cache never saw it;
//! `--read-only` lists no `crm:gdpr`/`crm:send`/`crm:consent` tool; and
//! `mcp-crm rotate-key` moves the personal data to a new key, once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use chrono::Utc;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, ClientId, Country, TenantId};
use promptsales_tests::{Backend, Client, Era, HttpServer, stdio_client_env, tokens};
use rmcp::model::ReadResourceRequestParams;
use serde_json::{Value, json};

const KEY: (&str, &str) = (
    "PROMPTSALES_ENCRYPTION_KEY",
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
);
const TENANT: &str = "acme";
/// Where `test_connection` looks for the WhatsApp API: a closed local
/// port, so the check fails at once (and is recorded) without a network.
const NO_API: (&str, &str) = ("PROMPTSALES_WHATSAPP_API_BASE", "http://127.0.0.1:9");

/// Every scope a crm tool needs.
const SCOPES: &[&str] = &[
    "crm:read",
    "crm:write",
    "crm:send",
    "crm:consent",
    "crm:gdpr",
    "admin",
];

fn all_but(scope: &str) -> Vec<&'static str> {
    SCOPES.iter().copied().filter(|s| *s != scope).collect()
}

async fn call(c: &Client, tool: &str, args: &Value) -> Result<Value, String> {
    promptsales_tests::call_tool(c, tool, args.clone()).await
}

async fn ok(c: &Client, tool: &str, args: Value) -> Value {
    call(c, tool, &args)
        .await
        .unwrap_or_else(|e| panic!("{tool}({args}): {e}"))
}

/// The crm database of a backend, for SQL-level checks.
async fn crm_db(backend: &Backend) -> Db {
    let cfg = backend.common_args().resolve().unwrap();
    Db::open_unmigrated(&cfg.db, "crm").await.unwrap()
}

/// Everything a tool call could change, as text: any difference after a
/// refused call is a bug. (The audit log is left out: refusals are
/// audited.)
async fn snapshot(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT id || '|' || stage || '|' || CAST(score AS TEXT) || '|' || COALESCE(seller_id, '') \
         || '|' || COALESCE(company, '') || '|' || COALESCE(name_enc, '') || '|' \
         || COALESCE(email_enc, '') || '|' || COALESCE(phone_enc, '') || '|' \
         || COALESCE(erased_at, '') || '|' || COALESCE(CAST(intent_probability AS TEXT), '') \
         || '|' || COALESCE(score_reasons, '') || '|' || updated_at FROM leads",
        "SELECT id || '|' || text || '|' || updated_at FROM interactions",
        "SELECT id || '|' || to_stage || '|' || reason FROM lead_stage_history",
        "SELECT id FROM lead_sources",
        "SELECT id || '|' || kind || '|' || actor FROM consent_events",
        "SELECT contact_hash || '|' || channel || '|' || COALESCE(consent, '') || '|' \
         || CAST(suppressed AS TEXT) || '|' || source || '|' || actor FROM contact_permissions",
        "SELECT id || '|' || answer || '|' || updated_at FROM kb_entries",
        "SELECT id || '|' || text FROM outbound_messages",
        "SELECT id || '|' || name || '|' || CAST(capacity AS TEXT) || '|' || updated_at || '|' \
         || COALESCE(last_assigned_at, '') FROM sellers",
        "SELECT id || '|' || CAST(amount_cents AS TEXT) FROM sales",
        "SELECT tenant_id || '|' || trained_at FROM intent_models",
        "SELECT lead_id FROM gdpr_erasures",
        "SELECT message_key FROM webhook_messages",
        "SELECT id || '|' || seller_id || '|' || COALESCE(override_reason, '') FROM lead_assignments",
        "SELECT client_id || '|' || account_id || '|' || COALESCE(token_enc, '') || '|' || status \
         || '|' || COALESCE(tested_at, '') || '|' || updated_at FROM connections",
    ] {
        let mut rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.sort();
        out.push(format!("{} rows: {}", rows.len(), rows.join(" ; ")));
    }
    out
}

/// 30 leads of history (15 customers), imported as `promptsales import`
/// would, so the intent model can train.
async fn history(db: &Db) {
    let t = TenantId::parse(TENANT).unwrap();
    let leads: Vec<crm_read::domain::Lead> = (0..30)
        .map(|i| crm_read::domain::Lead {
            id: crm_read::domain::LeadId::parse(&format!("lead_hist{i:02}")).unwrap(),
            client_id: ClientId::parse("cli_001").unwrap(),
            campaign_id: None,
            channel: if i % 3 == 0 {
                Channel::Meta
            } else {
                Channel::Web
            },
            country: Country::parse("CO").unwrap(),
            city: None,
            stage: if i % 2 == 0 {
                crm_read::domain::LeadStage::Customer
            } else {
                crm_read::domain::LeadStage::Iql
            },
            score: if i % 2 == 0 { 60 + i } else { 10 + i },
            seller_id: None,
            created_at: Utc::now(),
        })
        .collect();
    crm_read::CrmImport::new(db.clone())
        .upsert_leads(&t, &leads)
        .await
        .unwrap();
}

/// One call of the matrix: a tool, the scope it needs and its arguments.
struct Step {
    tool: &'static str,
    scope: &'static str,
    args: Value,
}

/// Every crm tool, in an order where each one's preconditions hold: `l`
/// is a lead with email and phone, `m` one with an email only.
fn steps(l: &str, m: &str) -> Vec<Step> {
    let s = |tool, scope, args| Step { tool, scope, args };
    vec![
        s(
            "register_lead",
            "crm:write",
            json!({"client_id": "cli_001", "channel": "web", "country": "CO", "email": "new@example.com"}),
        ),
        s("get_lead", "crm:read", json!({"lead_id": l})),
        s("search_leads", "crm:read", json!({"stage": "iql"})),
        s(
            "update_lead",
            "crm:write",
            json!({"lead_id": l, "company": "Beta SA"}),
        ),
        s(
            "log_interaction",
            "crm:write",
            json!({"lead_id": l, "channel": "whatsapp", "direction": "in",
                   "text": "Hola, ¿cuánto cuesta? Quiero una demo para contratar"}),
        ),
        s("score_lead", "crm:write", json!({"lead_id": l})),
        s(
            "advance_stage",
            "crm:write",
            json!({"lead_id": l, "stage": "sql", "reason": "budget confirmed"}),
        ),
        s(
            "mark_lost",
            "crm:write",
            json!({"lead_id": m, "reason": "chose a competitor"}),
        ),
        s(
            "upsert_kb_entry",
            "crm:write",
            json!({"entry_id": "kb_precio_es", "client_id": "cli_001", "language": "es", "topic": "Precios",
                   "keywords": ["precio", "cuesta"], "answer": "El Plan Pro cuesta 99 USD al mes."}),
        ),
        s("suggest_reply", "crm:read", json!({"lead_id": l})),
        s(
            "record_consent",
            "crm:consent",
            json!({"lead_id": l, "channel": "email", "granted": true, "source": "landing form"}),
        ),
        s(
            "send_message",
            "crm:send",
            json!({"lead_id": l, "channel": "email", "text": "Hola Ana"}),
        ),
        s(
            "suppress",
            "crm:consent",
            json!({"lead_id": l, "channel": "sms", "source": "asked by phone"}),
        ),
        s(
            "upsert_seller",
            "crm:write",
            json!({"seller_id": "sel_ana", "name": "Ana", "capacity": 10, "countries": ["CO"]}),
        ),
        s("list_sellers", "crm:read", json!({})),
        s(
            "assign_lead",
            "crm:write",
            json!({"lead_id": l, "seller_id": "sel_ana"}),
        ),
        s("seller_metrics", "crm:read", json!({})),
        s("follow_ups_due", "crm:read", json!({"quiet_days": 0})),
        s(
            "record_sale",
            "crm:write",
            json!({"lead_id": l, "amount": "1250.50", "currency": "COP"}),
        ),
        s("train_intent_model", "crm:write", json!({})),
        s("predict_purchase_intent", "crm:read", json!({"lead_id": l})),
        s("gdpr_export_lead", "crm:gdpr", json!({"lead_id": l})),
        s("gdpr_erase_lead", "crm:gdpr", json!({"lead_id": m})),
        s("usage", "crm:read", json!({"client_id": "cli_001"})),
        s(
            "set_connection",
            "admin",
            json!({"client_id": "cli_001", "channel": "whatsapp", "phone_number_id": "2077",
                   "access_token": "EAAG-token", "app_secret": "app-secret-1"}),
        ),
        s("list_connections", "admin", json!({})),
        s(
            "test_connection",
            "admin",
            json!({"client_id": "cli_001", "channel": "whatsapp"}),
        ),
        s("audit_query", "admin", json!({"tool": "gdpr_erase_lead"})),
    ]
}

fn person(email: &str, phone: &str) -> Value {
    json!({"client_id": "cli_001", "channel": "meta", "country": "CO", "name": "Ana Gómez",
           "email": email, "phone": phone})
}

/// The two leads of the matrix, registered by a caller holding every scope.
async fn fixture(full: &Client, db: &Db) -> (String, String) {
    history(db).await;
    let l = ok(
        full,
        "register_lead",
        person("l@example.com", "300 111 2222"),
    )
    .await["lead"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = ok(full, "register_lead", person("m@example.com", "")).await["lead"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (l, m)
}

/// Tools that change nothing when they work: every other one must change
/// the snapshot, which proves the snapshot would see a refused one do so.
const PURE_READS: &[&str] = &[
    "get_lead",
    "search_leads",
    "suggest_reply",
    "list_sellers",
    "seller_metrics",
    "follow_ups_due",
    "gdpr_export_lead",
    "usage",
    "list_connections",
    "audit_query",
];

/// Whether a successful step changed the database as it should.
fn assert_effect(step: &Step, before: &[String], after: &[String], label: &str) {
    let changed = before != after;
    assert_eq!(
        changed,
        !PURE_READS.contains(&step.tool),
        "{label} {}: changed the database: {changed}",
        step.tool
    );
}

/// What a refusal says: the missing scope, named.
fn assert_denied(e: &str, step: &Step, label: &str) {
    assert!(
        e.contains("permission denied") && e.contains(&format!("`{}`", step.scope)),
        "{label} {}: {e}",
        step.tool
    );
}

/// After the matrix: the one successful erasure left its intent row,
/// completed, naming its target.
fn assert_erasure_audited(rows: &Value, m: &str, label: &str) {
    let rows = rows["rows"].as_array().unwrap();
    let done: Vec<&Value> = rows.iter().filter(|r| r["outcome"] == "ok").collect();
    assert_eq!(done.len(), 1, "{label}: {rows:?}");
    assert_eq!(done[0]["state"], "done");
    assert_eq!(done[0]["targets"], format!("lead_id={m}"));
    assert!(
        rows.iter().any(|r| r["outcome"] == "tool_error"),
        "{label}: the refusals are audited too: {rows:?}"
    );
}

/// A 2026-07-28 `tools/call`, with the standard headers that name the tool.
async fn call_2026(
    server: &HttpServer,
    token: &str,
    tool: &str,
    args: &Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"))
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": tool, "arguments": args}}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crm_tool_over_http_needs_its_scope_and_changes_nothing_without_it() {
    for backend in Backend::all() {
        let label = backend.label;
        let mut env = tokens::env();
        env.extend([KEY, ("PROMPTSALES_TENANT", TENANT), NO_API]);
        let srv = HttpServer::start_env("mcp-crm", &backend, &[], &env).await;
        let db = crm_db(&backend).await;
        let full = srv
            .client_with_token(Era::Stateless, &tokens::mint("root", TENANT, SCOPES))
            .await;
        let (l, m) = fixture(&full, &db).await;
        let mut without: HashMap<&str, (String, Client)> = HashMap::new();
        let mut only: HashMap<&str, Client> = HashMap::new();
        for &scope in SCOPES {
            let token = tokens::mint("eve", TENANT, &all_but(scope));
            let init = srv.client_with_token(Era::Initialize, &token).await;
            without.insert(scope, (token, init));
            let mine = tokens::mint("ana", TENANT, &[scope]);
            only.insert(scope, srv.client_with_token(Era::Stateless, &mine).await);
        }
        let mut last = Value::Null;
        for step in steps(&l, &m) {
            let before = snapshot(&db).await;
            let (token, init) = &without[step.scope];
            // 2026-07-28: refused by the gate before dispatch.
            let r = call_2026(&srv, token, step.tool, &step.args).await;
            assert_eq!(r.status(), 403, "{label} {}", step.tool);
            let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
            assert!(
                challenge.contains("insufficient_scope")
                    && challenge.contains(&format!("scope=\"{}\"", step.scope)),
                "{label} {}: {challenge}",
                step.tool
            );
            // Earlier protocol: an isError result naming the scope.
            let e = call(init, step.tool, &step.args).await.unwrap_err();
            assert_denied(&e, &step, label);
            assert_eq!(
                snapshot(&db).await,
                before,
                "{label}: a refused {} changed the database",
                step.tool
            );
            // With its scope, and only it, it works.
            last = call(&only[step.scope], step.tool, &step.args)
                .await
                .unwrap_or_else(|e| panic!("{label} {} with {}: {e}", step.tool, step.scope));
            assert_effect(&step, &before, &snapshot(&db).await, label);
        }
        assert_erasure_audited(&last, &m, label);

        // Resources need `crm:read` too, over HTTP as over stdio.
        let uri = format!("crm://leads/{l}");
        let e = without["crm:read"]
            .1
            .read_resource(ReadResourceRequestParams::new(uri.clone()))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("`crm:read`"), "{label}: {e}");
        assert!(
            only["crm:read"]
                .read_resource(ReadResourceRequestParams::new(uri))
                .await
                .is_ok()
        );
        for (_, (_, c)) in without {
            c.cancel().await.unwrap();
        }
        for (_, c) in only {
            c.cancel().await.unwrap();
        }
        full.cancel().await.unwrap();
        assert!(srv.terminate().await.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crm_tool_over_stdio_needs_its_scope_and_changes_nothing_without_it() {
    for backend in Backend::all() {
        let label = backend.label;
        let start = async |scopes: &[&str]| {
            let joined = scopes.join(",");
            stdio_client_env(
                "mcp-crm",
                &backend,
                &[],
                &[
                    KEY,
                    ("PROMPTSALES_TENANT", TENANT),
                    ("PROMPTSALES_SCOPES", joined.as_str()),
                    NO_API,
                ],
                Era::Stateless,
            )
            .await
        };
        let db = crm_db(&backend).await;
        let full = start(SCOPES).await;
        let (l, m) = fixture(&full, &db).await;
        let mut without = HashMap::new();
        let mut only = HashMap::new();
        for &scope in SCOPES {
            without.insert(scope, start(&all_but(scope)).await);
            only.insert(scope, start(&[scope]).await);
        }
        let mut last = Value::Null;
        for step in steps(&l, &m) {
            let before = snapshot(&db).await;
            let e = call(&without[step.scope], step.tool, &step.args)
                .await
                .unwrap_err();
            assert_denied(&e, &step, label);
            assert_eq!(
                snapshot(&db).await,
                before,
                "{label}: a refused {} changed the database",
                step.tool
            );
            last = call(&only[step.scope], step.tool, &step.args)
                .await
                .unwrap_or_else(|e| panic!("{label} {} with {}: {e}", step.tool, step.scope));
            assert_effect(&step, &before, &snapshot(&db).await, label);
        }
        assert_erasure_audited(&last, &m, label);
        for (_, c) in without.into_iter().chain(only) {
            c.cancel().await.unwrap();
        }
        full.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_at_is_refused_and_a_logged_message_opens_no_whatsapp_window() {
    for backend in Backend::all() {
        let label = backend.label;
        let c = stdio_client_env(
            "mcp-crm",
            &backend,
            &[],
            &[KEY, ("PROMPTSALES_SCOPES", "crm:read,crm:write,crm:send")],
            Era::Stateless,
        )
        .await;
        let db = crm_db(&backend).await;
        let id =
            ok(&c, "register_lead", person("f@example.com", "300 222 3333")).await["lead"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
        let before = snapshot(&db).await;
        let soon = (Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
        for at in ["2099-01-01T00:00:00Z", soon.as_str()] {
            let e = call(
                &c,
                "log_interaction",
                &json!({"lead_id": id, "channel": "whatsapp", "direction": "in", "text": "hola", "at": at}),
            )
            .await
            .unwrap_err();
            assert!(e.contains("`at`") && e.contains("future"), "{label}: {e}");
        }
        assert_eq!(
            snapshot(&db).await,
            before,
            "{label}: a refused `at` wrote something"
        );
        // Logged now, it is stored — but it opens no service window.
        ok(
            &c,
            "log_interaction",
            json!({"lead_id": id, "channel": "whatsapp", "direction": "in", "text": "hola"}),
        )
        .await;
        let e = call(
            &c,
            "send_message",
            &json!({"lead_id": id, "channel": "whatsapp", "text": "Hola"}),
        )
        .await
        .unwrap_err();
        assert!(
            e.contains("refused") && e.contains("service window"),
            "{label}: {e}"
        );
        let outbound: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbound_messages")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(outbound, 0);
        c.cancel().await.unwrap();
    }
}

/// A Cloud API delivery of one text message, signed like Meta signs it.
fn delivery(id: &str, text: &str) -> (Vec<u8>, String) {
    let body = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "contacts": [{"profile": {"name": "Lucía Pérez"}, "wa_id": "573001112233"}],
            "messages": [{"from": "573001112233", "id": id,
                          "timestamp": Utc::now().timestamp().to_string(),
                          "type": "text", "text": {"body": text}}]
        }}]}]
    }))
    .unwrap();
    let sig = promptsales_tests::meta_signature("app-secret", &body);
    (body, sig)
}

async fn deliver(server: &HttpServer, d: &(Vec<u8>, String)) {
    let r = reqwest::Client::new()
        .post(format!("{}/webhooks/whatsapp", server.base))
        .header("X-Hub-Signature-256", &d.1)
        .body(d.0.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_signed_stop_after_a_lift_does_not_re_suppress() {
    for backend in Backend::all() {
        let label = backend.label;
        // Each process its own cache namespace: the second never saw the
        // deliveries (on Redis too), only the database remembers them.
        let prefix = backend.schema_prefix.clone().unwrap_or_default();
        let (p1, p2) = (format!("{prefix}first_"), format!("{prefix}second_"));
        let env = |cache: &str| {
            let mut env: Vec<(&str, String)> = tokens::env()
                .into_iter()
                .map(|(k, v)| (k, v.to_owned()))
                .collect();
            env.extend(
                [
                    KEY,
                    ("PROMPTSALES_TENANT", TENANT),
                    ("PROMPTSALES_WHATSAPP_VERIFY_TOKEN", "verify-me"),
                    ("PROMPTSALES_WHATSAPP_APP_SECRET", "app-secret"),
                    ("PROMPTSALES_CACHE_PREFIX", cache),
                ]
                .map(|(k, v)| (k, v.to_owned())),
            );
            env
        };
        let start = async |cache: &str| {
            let env = env(cache);
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            HttpServer::start_env("mcp-crm", &backend, &[], &env).await
        };
        let first = start(&p1).await;
        let db = crm_db(&backend).await;
        let staff = tokens::mint("ana", TENANT, &["crm:read", "crm:send", "crm:consent"]);
        let c = first.client_with_token(Era::Stateless, &staff).await;

        // A verified message opens the service window.
        let hello = delivery("wamid.HELLO", "Hola, quiero información");
        deliver(&first, &hello).await;
        let found = ok(&c, "search_leads", json!({"channel": "whatsapp"})).await;
        let id = found["items"][0]["id"].as_str().unwrap().to_owned();
        let send = json!({"lead_id": id, "channel": "whatsapp", "text": "¡Hola Lucía!"});
        let s = ok(&c, "send_message", send.clone()).await;
        assert_eq!(s["allowed_by"], "whatsapp_service_window", "{label}");

        // STOP, then a person lifts it.
        let stop = delivery("wamid.STOP", "STOP");
        deliver(&first, &stop).await;
        let e = call(&c, "send_message", &send).await.unwrap_err();
        assert!(e.contains("suppressed"), "{label}: {e}");
        ok(
            &c,
            "suppress",
            json!({"lead_id": id, "channel": "whatsapp", "lift": true, "source": "asked to resume by phone"}),
        )
        .await;
        c.cancel().await.unwrap();
        assert!(first.terminate().await.success());
        let before = snapshot(&db).await;

        // The signed STOP (and the hello) replayed to a process whose cache
        // never saw them: nothing changes.
        let second = start(&p2).await;
        deliver(&second, &stop).await;
        deliver(&second, &hello).await;
        assert_eq!(
            snapshot(&db).await,
            before,
            "{label}: a replay changed the database"
        );
        let c = second.client_with_token(Era::Stateless, &staff).await;
        assert_eq!(
            ok(&c, "send_message", send).await["allowed_by"],
            "whatsapp_service_window",
            "{label}"
        );
        // Who and why, for each ledger change.
        let ledger: Vec<(String, String, String)> =
            sqlx::query_as("SELECT kind, actor, source FROM consent_events ORDER BY at, id")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(
            ledger,
            [
                (
                    "suppressed".into(),
                    "webhook".into(),
                    "opt-out keyword in a verified inbound WhatsApp message".into()
                ),
                (
                    "unsuppressed".into(),
                    "ana".into(),
                    "asked to resume by phone".into()
                ),
            ],
            "{label}"
        );
        c.cancel().await.unwrap();
        assert!(second.terminate().await.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_lists_no_privileged_crm_tool_and_resources_follow_their_toolsets() {
    for backend in Backend::all() {
        let label = backend.label;
        let every = SCOPES.join(",");
        let env = [KEY, ("PROMPTSALES_SCOPES", every.as_str())];
        let ro =
            stdio_client_env("mcp-crm", &backend, &["--read-only"], &env, Era::Stateless).await;
        let tools = ro.list_all_tools().await.unwrap();
        assert!(!tools.is_empty());
        for t in &tools {
            let scope = t
                .meta
                .as_ref()
                .and_then(|m| m.0.get("promptsales/scope"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{}: no declared scope", t.name));
            assert_eq!(scope, "crm:read", "{label}: {} under --read-only", t.name);
        }
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        for hidden in [
            "gdpr_export_lead",
            "gdpr_erase_lead",
            "send_message",
            "record_consent",
            "suppress",
            "list_connections",
            "set_connection",
            "test_connection",
        ] {
            assert!(
                !names.contains(&hidden),
                "{label}: {hidden} under --read-only"
            );
        }
        for r in ro.list_all_resources().await.unwrap() {
            let meta = serde_json::to_value(&r.meta).unwrap();
            assert_eq!(meta["promptsales/scope"], "crm:read", "{}", r.uri);
        }
        ro.cancel().await.unwrap();

        // Only the sellers toolset: only its resource, and no lead template.
        let sellers = stdio_client_env(
            "mcp-crm",
            &backend,
            &["--toolsets", "sellers"],
            &env,
            Era::Stateless,
        )
        .await;
        let uris: Vec<String> = sellers
            .list_all_resources()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.uri.clone())
            .collect();
        assert_eq!(uris, ["crm://sellers"], "{label}");
        let templates: Vec<String> = sellers
            .list_all_resource_templates()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.uri_template.clone())
            .collect();
        assert_eq!(templates, ["crm://sellers/{client_id}"], "{label}");
        let e = sellers
            .read_resource(ReadResourceRequestParams::new("crm://leads/lead_x"))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("not selected"), "{label}: {e}");
        sellers.cancel().await.unwrap();

        // Over stdio the local actor's scopes decide resource reads too.
        let writer = stdio_client_env(
            "mcp-crm",
            &backend,
            &[],
            &[KEY, ("PROMPTSALES_SCOPES", "crm:write")],
            Era::Stateless,
        )
        .await;
        let e = writer
            .read_resource(ReadResourceRequestParams::new("crm://pipeline"))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("`crm:read`"), "{label}: {e}");
        writer.cancel().await.unwrap();
    }
}

/// `mcp-crm rotate-key` with the given keys and scopes: (success, stdout, stderr).
async fn rotate_key(
    backend: &Backend,
    new: &str,
    old: &str,
    scopes: &str,
) -> (bool, Value, String) {
    let out = promptsales_tests::command("mcp-crm", backend)
        .arg("rotate-key")
        .env("PROMPTSALES_ENCRYPTION_KEY", new)
        .env("PROMPTSALES_ENCRYPTION_KEY_OLD", old)
        .env("PROMPTSALES_SCOPES", scopes)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_key_moves_personal_data_to_a_new_key_once() {
    const NEW: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";
    for backend in Backend::all() {
        let label = backend.label;
        let with_key = async |key: &str| {
            stdio_client_env(
                "mcp-crm",
                &backend,
                &[],
                &[
                    ("PROMPTSALES_ENCRYPTION_KEY", key),
                    (
                        "PROMPTSALES_SCOPES",
                        "crm:read,crm:write,crm:consent,crm:send",
                    ),
                ],
                Era::Stateless,
            )
            .await
        };
        let db = crm_db(&backend).await;
        let c = with_key(KEY.1).await;
        let id = ok(
            &c,
            "register_lead",
            person("rot@example.com", "300 444 5555"),
        )
        .await["lead"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ok(
            &c,
            "suppress",
            json!({"lead_id": id, "channel": "email", "source": "asked by phone"}),
        )
        .await;
        c.cancel().await.unwrap();

        // Only an administrator rotates keys.
        let (done, _, e) = rotate_key(&backend, NEW, KEY.1, "crm:read,crm:write").await;
        assert!(!done && e.contains("`admin`"), "{label}: {e}");

        let (done, report, e) = rotate_key(&backend, NEW, KEY.1, "admin").await;
        assert!(done, "{label}: {e}");
        assert_eq!(report["leads_rotated"], 1, "{label}: {report}");
        assert_eq!(report["failed"], 0);
        assert_eq!(report["indexes_rebuilt"], 2);
        let kid = report["key_id"].as_str().unwrap().to_owned();
        let stored: Vec<Option<String>> = sqlx::query_scalar("SELECT email_enc FROM leads")
            .fetch_all(db.pool())
            .await
            .unwrap();
        for v in stored.into_iter().flatten() {
            assert!(v.starts_with(&format!("v2:{kid}:")), "{label}: {v}");
        }
        // Resumable and idempotent: a second run has nothing left to do.
        let (done, again, _) = rotate_key(&backend, NEW, KEY.1, "admin").await;
        assert!(done);
        assert_eq!(
            (
                again["leads_rotated"].as_u64(),
                again["already_current"].as_u64()
            ),
            (Some(0), Some(1)),
            "{label}: {again}"
        );
        let audited: Vec<(String, String)> = sqlx::query_as(
            "SELECT outcome, state FROM audit_log WHERE tool = 'cli:rotate-key' ORDER BY id",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        assert_eq!(
            audited,
            [("ok".into(), "done".into()), ("ok".into(), "done".into())]
        );

        // The new key alone reads and finds the person; their opt-out followed them.
        let c = with_key(NEW).await;
        let v = ok(&c, "get_lead", json!({"lead_id": id})).await;
        assert_eq!(v["profile"]["email"], "rot@example.com", "{label}");
        let dup = ok(&c, "register_lead", person("ROT@example.com", "")).await;
        assert_eq!(dup["duplicate_of"], id.as_str(), "{label}: {dup}");
        let e = call(
            &c,
            "send_message",
            &json!({"lead_id": id, "channel": "email", "text": "Hola"}),
        )
        .await
        .unwrap_err();
        assert!(
            e.contains("suppressed") && e.contains("asked by phone"),
            "{label}: {e}"
        );
        c.cancel().await.unwrap();
        // The old key alone no longer reads it (and says nothing it should not).
        let c = with_key(KEY.1).await;
        let e = call(&c, "get_lead", &json!({"lead_id": id}))
            .await
            .unwrap_err();
        assert!(e.contains("internal error (ref"), "{label}: {e}");
        c.cancel().await.unwrap();
    }
}
