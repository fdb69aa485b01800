//! Subscription tiers of the content and analytics sub-companies through
//! the real binaries, on SQLite and on PostgreSQL + Redis: plans assigned
//! through the catalog writer (as `promptsales seed` and an operator do);
//! a generation or a question beyond the month's limit refused with its
//! numbers (used, requested, limit, the reset in the client's zone) and
//! nothing written; a client without a plan unlimited; `usage` (tool and
//! resource) showing used against limit; counts that survive a restart and
//! hold across two replicas; seats per person (HTTP tokens); the LLM
//! engine's tokens counted and, once spent, no longer asked for; and no
//! client's usage ever in another's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use promptsales_catalog::plan::month_window;
use promptsales_catalog::{
    CatalogWriter, Client as CatalogClient, Limit, LimitKind, Plan, SubCompany,
};
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Country, TenantId, TimeZone};
use promptsales_tests::{Backend, Client, Era, HttpServer, call_tool, stdio_client_env, tokens};
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-15";

fn plan(id: &str, name: &str, context: SubCompany, limits: &[(LimitKind, i64)]) -> Plan {
    Plan {
        id: id.into(),
        context,
        name: name.into(),
        limits: limits
            .iter()
            .map(|&(kind, value)| Limit {
                kind,
                value,
                currency: None,
            })
            .collect(),
    }
}

/// Puts the clients in the catalog and assigns their plans:
/// - `cli_001` (Colombia): content Starter (6 generations, 1,000 LLM
///   tokens), analytics Basic (3 questions);
/// - `cli_002` (Mexico): no plan anywhere;
/// - `cli_003` (Spain): content Solo (1 seat, 5 generations), analytics
///   Pro (100 questions, 1,000 LLM tokens).
async fn catalog(backend: &Backend) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &promptsales_catalog::SCHEMA)
        .await
        .unwrap();
    let w = CatalogWriter::new(db.clone());
    let t = TenantId::parse("default").unwrap();
    for (id, name, country) in [
        ("cli_001", "Café Andino", "CO"),
        ("cli_002", "Clínica Sonrisa", "MX"),
        ("cli_003", "Bodega Sol", "ES"),
    ] {
        let c = CatalogClient::new(
            ClientId::parse(id).unwrap(),
            name,
            "retail",
            Country::parse(country).unwrap(),
        );
        w.upsert_client(&t, &c).await.unwrap();
    }
    for p in [
        plan(
            "content_starter",
            "Starter",
            SubCompany::Content,
            &[
                (LimitKind::GenerationsPerMonth, 6),
                (LimitKind::LlmTokensPerMonth, 1000),
            ],
        ),
        plan(
            "content_solo",
            "Solo",
            SubCompany::Content,
            &[(LimitKind::Seats, 1), (LimitKind::GenerationsPerMonth, 5)],
        ),
        plan(
            "analytics_basic",
            "Basic",
            SubCompany::Analytics,
            &[(LimitKind::QuestionsPerMonth, 3)],
        ),
        plan(
            "analytics_pro",
            "Pro",
            SubCompany::Analytics,
            &[
                (LimitKind::QuestionsPerMonth, 100),
                (LimitKind::LlmTokensPerMonth, 1000),
            ],
        ),
    ] {
        w.upsert_plan(&t, &p).await.unwrap();
    }
    for (client, plan) in [
        ("cli_001", "content_starter"),
        ("cli_001", "analytics_basic"),
        ("cli_003", "content_solo"),
        ("cli_003", "analytics_pro"),
    ] {
        w.assign_plan(&t, &ClientId::parse(client).unwrap(), plan)
            .await
            .unwrap();
    }
    db.close().await;
}

/// When the client's month ends, as refusals say it (`2026-12-01 00:00
/// America/Bogota`) and as `usage` gives it (RFC 3339, UTC).
fn resets(zone: &str) -> (String, String) {
    let tz = TimeZone::parse(zone).unwrap();
    let (_, next) = month_window(tz, Utc::now());
    (
        format!(
            "{} {zone}",
            next.with_timezone(&tz.tz()).format("%Y-%m-%d %H:%M")
        ),
        next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

fn brief(client: &str, channels: &[&str], variants: u32) -> Value {
    json!({
        "client_id": client,
        "product": "Andes Cold Brew",
        "benefit": "start the day with a smoother cup",
        "channels": channels,
        "language": "en",
        "variants": variants,
        "engine": "offline",
    })
}

/// `(used, limit)` of one line of a `usage` answer.
fn line(usage: &Value, kind: &str) -> (i64, Option<i64>) {
    let l = usage["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {usage}"));
    (l["used"].as_i64().unwrap(), l["limit"].as_i64())
}

async fn resource(client: &Client, uri: &str) -> Value {
    let r = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap();
    match &r.contents[0] {
        ResourceContents::TextResourceContents { text, .. } => serde_json::from_str(text).unwrap(),
        other => panic!("{uri}: {other:?}"),
    }
}

async fn content_db(backend: &Backend) -> Db {
    let cfg = backend.common_args().resolve().unwrap();
    Db::open_unmigrated(&cfg.db, "content").await.unwrap()
}

async fn assets_of(db: &Db, client: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM content_assets WHERE client_id = $1")
        .bind(client)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn content(backend: &Backend, actor: &str) -> Client {
    stdio_client_env(
        "mcp-content",
        backend,
        &[],
        &[
            ("PROMPTSALES_SCOPES", "content:read,content:write"),
            ("PROMPTSALES_ACTOR", actor),
        ],
        Era::Initialize,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_generations_are_limited_by_the_clients_plan() {
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend).await;
        let db = content_db(&backend).await;
        let (bogota, bogota_utc) = resets("America/Bogota");
        let ana = content(&backend, "ana").await;

        // 2 channels × 2 variants: 4 generations of the plan's 6.
        let g = call_tool(&ana, "generate_content", brief("cli_001", &["x", "sms"], 2))
            .await
            .unwrap();
        assert_eq!(g["variants"].as_array().unwrap().len(), 4);
        let u = call_tool(&ana, "usage", json!({"client_id": "cli_001"}))
            .await
            .unwrap();
        assert_eq!(u["plan"], "content_starter", "{label}: {u}");
        assert_eq!(u["context"], "content");
        assert_eq!(u["time_zone"], "America/Bogota");
        assert_eq!(line(&u, "generations_per_month"), (4, Some(6)), "{label}");
        assert_eq!(line(&u, "llm_tokens_per_month"), (0, Some(1000)), "{label}");
        assert_eq!(line(&u, "seats"), (1, None), "{label}");
        assert_eq!(u["lines"][0]["resets_at"], bogota_utc.as_str(), "{label}");
        assert_eq!(
            resource(&ana, "content://usage/cli_001").await,
            u,
            "{label}"
        );

        // 3 more would pass 6: refused with the numbers, nothing saved.
        let e = call_tool(&ana, "generate_content", brief("cli_001", &["x"], 3))
            .await
            .unwrap_err();
        assert!(
            e.contains(&format!(
                "quota exceeded: content generations this month for client cli_001 (plan \
                 Starter): 4 used + 3 requested > limit 6; resets {bogota}"
            )),
            "{label}: {e}"
        );
        assert_eq!(assets_of(&db, "cli_001").await, 4, "{label}: nothing saved");
        // A visual brief counts one generation per channel.
        let e = call_tool(
            &ana,
            "generate_visual_brief",
            json!({"client_id": "cli_001", "product": "Andes Cold Brew",
                   "channels": ["instagram", "meta", "tiktok"], "language": "en"}),
        )
        .await
        .unwrap_err();
        assert!(e.contains("4 used + 3 requested > limit 6"), "{label}: {e}");
        call_tool(
            &ana,
            "generate_visual_brief",
            json!({"client_id": "cli_001", "product": "Andes Cold Brew",
                   "channels": ["instagram"], "language": "en"}),
        )
        .await
        .unwrap();

        // No plan: unlimited, and counted apart.
        let g = call_tool(
            &ana,
            "generate_content",
            brief("cli_002", &["x", "sms", "email"], 5),
        )
        .await
        .unwrap();
        assert_eq!(g["variants"].as_array().unwrap().len(), 15);
        let u2 = call_tool(&ana, "usage", json!({"client_id": "cli_002"}))
            .await
            .unwrap();
        assert_eq!(u2["plan"], Value::Null, "{label}");
        assert_eq!(u2["time_zone"], "America/Mexico_City");
        assert_eq!(line(&u2, "generations_per_month"), (15, None), "{label}");
        ana.cancel().await.unwrap();

        // A restart (or another replica) sees the same count.
        let again = content(&backend, "ana").await;
        let u = call_tool(&again, "usage", json!({"client_id": "cli_001"}))
            .await
            .unwrap();
        assert_eq!(line(&u, "generations_per_month"), (5, Some(6)), "{label}");
        call_tool(&again, "generate_content", brief("cli_001", &["x"], 1))
            .await
            .unwrap();
        let e = call_tool(&again, "generate_content", brief("cli_001", &["x"], 1))
            .await
            .unwrap_err();
        assert!(e.contains("6 used + 1 requested > limit 6"), "{label}: {e}");
        assert_eq!(assets_of(&db, "cli_001").await, 5, "{label}");
        let u2 = call_tool(&again, "usage", json!({"client_id": "cli_002"}))
            .await
            .unwrap();
        assert_eq!(line(&u2, "generations_per_month"), (15, None), "{label}");
        again.cancel().await.unwrap();
        db.close().await;
    }
}

/// Two replicas generating at once for a client with 5 generations left:
/// exactly 5 pass, whichever process they ran in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_cannot_pass_the_limit_together() {
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend).await;
        let db = content_db(&backend).await;
        let a = Arc::new(content(&backend, "ana").await);
        let b = Arc::new(content(&backend, "ana").await);
        let mut calls = Vec::new();
        for i in 0..8 {
            let c = if i % 2 == 0 { a.clone() } else { b.clone() };
            calls.push(tokio::spawn(async move {
                call_tool(&c, "generate_content", brief("cli_003", &["x"], 1)).await
            }));
        }
        let mut done = 0;
        for c in calls {
            match c.await.unwrap() {
                Ok(_) => done += 1,
                Err(e) => assert!(e.contains("quota exceeded"), "{label}: {e}"),
            }
        }
        assert_eq!(done, 5, "{label}");
        assert_eq!(assets_of(&db, "cli_003").await, 5, "{label}");
        let u = call_tool(&a, "usage", json!({"client_id": "cli_003"}))
            .await
            .unwrap();
        assert_eq!(line(&u, "generations_per_month"), (5, Some(5)), "{label}");
        for c in [a, b] {
            Arc::into_inner(c).unwrap().cancel().await.unwrap();
        }
        db.close().await;
    }
}

/// Seats are the people generating this month (the token's subject over
/// HTTP): the first person takes the one seat, a second is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_is_a_person_generating_this_month() {
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend).await;
        let (madrid, _) = resets("Europe/Madrid");
        let srv = HttpServer::start_env("mcp-content", &backend, &[], &tokens::env()).await;
        let scopes = ["content:read", "content:write"];
        let ana = srv
            .client_with_token(Era::Initialize, &tokens::mint("ana", "default", &scopes))
            .await;
        let bob = srv
            .client_with_token(Era::Stateless, &tokens::mint("bob", "default", &scopes))
            .await;
        call_tool(&ana, "generate_content", brief("cli_003", &["x"], 1))
            .await
            .unwrap();
        let e = call_tool(&bob, "generate_content", brief("cli_003", &["x"], 1))
            .await
            .unwrap_err();
        assert!(
            e.contains("seats") && e.contains("1 used + 1 requested > limit 1"),
            "{label}: {e}"
        );
        assert!(e.contains(&madrid), "{label}: {e}");
        // Ana keeps her seat; Bob may still read usage.
        call_tool(&ana, "generate_content", brief("cli_003", &["x"], 1))
            .await
            .unwrap();
        let u = call_tool(&bob, "usage", json!({"client_id": "cli_003"}))
            .await
            .unwrap();
        assert_eq!(line(&u, "seats"), (1, Some(1)), "{label}");
        assert_eq!(line(&u, "generations_per_month"), (2, Some(5)), "{label}");
        ana.cancel().await.unwrap();
        bob.cancel().await.unwrap();
        assert!(srv.terminate().await.success());
    }
}

#[derive(Clone, Default)]
struct Fake {
    calls: Arc<AtomicUsize>,
}

/// An OpenAI-compatible model that writes one valid X post naming the
/// brief's product (a post that never names it is a defect, sent back)
/// for 790 tokens.
async fn completions(
    State(f): State<Fake>,
    axum::Json(req): axum::Json<Value>,
) -> axum::Json<Value> {
    f.calls.fetch_add(1, Ordering::SeqCst);
    let product = req["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .and_then(|b| b["product"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "Andes Cold Brew".to_owned());
    let arguments = json!({"variants": [
        {"channel": "x", "variant": 0, "fields": [{"name": "post",
         "text": format!("Cold brew, smoother mornings. {product}: shop now.")}]}
    ]});
    axum::Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "fake-model",
        "choices": [{
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "write_copy", "arguments": arguments.to_string()}}]
            }
        }],
        "usage": {"prompt_tokens": 700, "completion_tokens": 90, "total_tokens": 790}
    }))
}

/// The LLM engine's tokens count against the plan; once the month's are
/// spent the LLM is not asked (`auto` writes offline, `llm` is refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_tokens_are_counted_and_stop_the_llm_at_the_limit() {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://127.0.0.1:{port}/v1");
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend).await;
        let before = fake.calls.load(Ordering::SeqCst);
        let c = stdio_client_env(
            "mcp-content",
            &backend,
            &[],
            &[
                ("PROMPTSALES_LLM_BASE_URL", base.as_str()),
                ("PROMPTSALES_LLM_API_KEY", "test-key"),
                ("PROMPTSALES_LLM_MODEL", "fake-model"),
            ],
            Era::Initialize,
        )
        .await;
        let llm = |product: &str| {
            let mut b = brief("cli_001", &["x"], 1);
            b["product"] = json!(product);
            b["engine"] = json!("llm");
            b
        };
        // 0 and then 790 of 1,000 used: the model is asked both times.
        for product in ["Andes Cold Brew", "Andes Decaf"] {
            let g = call_tool(&c, "generate_content", llm(product))
                .await
                .unwrap();
            assert_eq!(g["engine"], "llm", "{label}: {g}");
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst) - before, 2, "{label}");
        let u = call_tool(&c, "usage", json!({"client_id": "cli_001"}))
            .await
            .unwrap();
        assert_eq!(
            line(&u, "llm_tokens_per_month"),
            (1580, Some(1000)),
            "{label}"
        );
        // Spent: `llm` is refused with the numbers, `auto` writes offline.
        let e = call_tool(&c, "generate_content", llm("Andes Espresso"))
            .await
            .unwrap_err();
        assert!(
            e.contains("LLM tokens this month for client cli_001 (plan Starter): 1580 used"),
            "{label}: {e}"
        );
        let mut auto = llm("Andes Espresso");
        auto["engine"] = json!("auto");
        let g = call_tool(&c, "generate_content", auto).await.unwrap();
        assert_eq!(g["engine"], "offline", "{label}: {g}");
        assert!(
            g["notes"].to_string().contains("no LLM tokens left"),
            "{label}: {g}"
        );
        assert_eq!(fake.calls.load(Ordering::SeqCst) - before, 2, "{label}");
        // Another client's tokens are its own.
        let mut other = llm("Andes Espresso");
        other["client_id"] = json!("cli_002");
        call_tool(&c, "generate_content", other).await.unwrap();
        let u2 = call_tool(&c, "usage", json!({"client_id": "cli_002"}))
            .await
            .unwrap();
        assert_eq!(line(&u2, "llm_tokens_per_month"), (790, None), "{label}");
        let u = call_tool(&c, "usage", json!({"client_id": "cli_001"}))
            .await
            .unwrap();
        assert_eq!(line(&u, "llm_tokens_per_month").0, 1580, "{label}");
        c.cancel().await.unwrap();
    }
}

async fn analytics(backend: &Backend) -> Client {
    stdio_client_env("mcp-analytics", backend, &[], &[], Era::Initialize).await
}

fn ask(client: Option<&str>) -> Value {
    let mut q = json!({"question": "leads by channel last month", "as_of": AS_OF});
    if let Some(c) = client {
        q["client_id"] = json!(c);
    }
    q
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_questions_are_counted_per_client_and_refused_beyond_the_plan() {
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend).await;
        let (bogota, bogota_utc) = resets("America/Bogota");
        let c = analytics(&backend).await;

        // Three questions — the second and third answered from the cache,
        // and still questions asked.
        for i in 0..3 {
            let r = call_tool(&c, "ask", ask(Some("cli_001"))).await.unwrap();
            assert_eq!(r["cached"], i > 0, "{label}: {r}");
        }
        let e = call_tool(&c, "ask", ask(Some("cli_001")))
            .await
            .unwrap_err();
        assert!(
            e.contains(&format!(
                "quota exceeded: analytics questions this month for client cli_001 (plan \
                 Basic): 3 used + 1 requested > limit 3; resets {bogota}"
            )),
            "{label}: {e}"
        );
        // Agency-wide questions (no client) count against no client.
        call_tool(&c, "ask", ask(None)).await.unwrap();
        // No plan: unlimited, counted apart.
        for _ in 0..5 {
            call_tool(&c, "ask", ask(Some("cli_002"))).await.unwrap();
        }
        let u = call_tool(&c, "usage", json!({"client_id": "cli_001"}))
            .await
            .unwrap();
        assert_eq!(u["plan"], "analytics_basic", "{label}: {u}");
        assert_eq!(u["context"], "analytics");
        assert_eq!(u["time_zone"], "America/Bogota");
        assert_eq!(line(&u, "questions_per_month"), (3, Some(3)), "{label}");
        assert_eq!(line(&u, "llm_tokens_per_month"), (0, None), "{label}");
        assert_eq!(u["lines"][0]["resets_at"], bogota_utc.as_str());
        assert_eq!(
            resource(&c, "analytics://usage/cli_001").await,
            u,
            "{label}"
        );
        let u2 = call_tool(&c, "usage", json!({"client_id": "cli_002"}))
            .await
            .unwrap();
        assert_eq!(u2["plan"], Value::Null);
        assert_eq!(line(&u2, "questions_per_month"), (5, None), "{label}");
        let u3 = call_tool(&c, "usage", json!({"client_id": "cli_003"}))
            .await
            .unwrap();
        assert_eq!(line(&u3, "questions_per_month"), (0, Some(100)), "{label}");
        c.cancel().await.unwrap();

        // After a restart the month's count stands.
        let c = analytics(&backend).await;
        let e = call_tool(&c, "ask", ask(Some("cli_001")))
            .await
            .unwrap_err();
        assert!(e.contains("3 used + 1 requested > limit 3"), "{label}: {e}");
        c.cancel().await.unwrap();
    }
}

/// An OpenAI-compatible model that fills a QuerySpec for 940 tokens.
async fn translations(State(f): State<Fake>) -> axum::Json<Value> {
    f.calls.fetch_add(1, Ordering::SeqCst);
    let arguments = json!({"metrics": ["leads"], "dimensions": ["channel"],
        "time_range": {"type": "relative", "period": "last_month"}});
    axum::Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "fake-model",
        "choices": [{
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "query_metrics", "arguments": arguments.to_string()}}]
            }
        }],
        "usage": {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940}
    }))
}

/// `ask`'s LLM engine spends the client's tokens; once the month's are
/// spent the deterministic parser answers and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_llm_tokens_are_counted_and_stop_the_llm_at_the_limit() {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(translations))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://127.0.0.1:{port}/v1");
    for backend in Backend::all() {
        let label = backend.label;
        catalog(&backend).await;
        let before = fake.calls.load(Ordering::SeqCst);
        let c = stdio_client_env(
            "mcp-analytics",
            &backend,
            &[],
            &[
                ("PROMPTSALES_LLM_BASE_URL", base.as_str()),
                ("PROMPTSALES_LLM_API_KEY", "test-key"),
                ("PROMPTSALES_LLM_MODEL", "fake-model"),
            ],
            Era::Initialize,
        )
        .await;
        // Each backend has its own cache prefix (Redis) or process (moka),
        // so both questions reach the model: 940, then 1,880 of 1,000.
        for q in [
            "leads by channel last month",
            "how many leads per channel last month",
        ] {
            let r = call_tool(
                &c,
                "ask",
                json!({"question": q, "as_of": AS_OF, "client_id": "cli_003"}),
            )
            .await
            .unwrap();
            assert_eq!(r["engine"], "llm", "{label}: {r}");
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst) - before, 2, "{label}");
        let u = call_tool(&c, "usage", json!({"client_id": "cli_003"}))
            .await
            .unwrap();
        assert_eq!(
            line(&u, "llm_tokens_per_month"),
            (1880, Some(1000)),
            "{label}"
        );
        assert_eq!(line(&u, "questions_per_month"), (2, Some(100)), "{label}");
        let r = call_tool(
            &c,
            "ask",
            json!({"question": "leads by country last month", "as_of": AS_OF,
                   "client_id": "cli_003"}),
        )
        .await
        .unwrap();
        assert_eq!(r["engine"], "deterministic", "{label}: {r}");
        assert!(
            r["understood"].to_string().contains("no LLM tokens left"),
            "{label}: {r}"
        );
        assert_eq!(fake.calls.load(Ordering::SeqCst) - before, 2, "{label}");
        // Another client (no plan) still gets the LLM, on its own count.
        let r = call_tool(
            &c,
            "ask",
            json!({"question": "leads by country last month", "as_of": AS_OF,
                   "client_id": "cli_002"}),
        )
        .await
        .unwrap();
        assert_eq!(r["engine"], "llm", "{label}: {r}");
        let u2 = call_tool(&c, "usage", json!({"client_id": "cli_002"}))
            .await
            .unwrap();
        assert_eq!(line(&u2, "llm_tokens_per_month"), (940, None), "{label}");
        c.cancel().await.unwrap();
    }
}
