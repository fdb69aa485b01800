//! mcp-ads under least privilege and safe money movement, through the real
//! binary: the scope matrix over HTTP with real signed tokens and over
//! stdio (every tool without its scope refused with nothing changed at the
//! SQL level, with it working), one launch per campaign against fake
//! platforms (two concurrent launches publish once per channel; a server
//! killed after publishing paused is finished by a retry without a second
//! publication), four eyes (edit-then-approve, self-apply), resume over the
//! daily cap refused with the numbers, tokens kept out of results and logs
//! under 5xx and timeouts, and the production profile — on SQLite and on
//! PostgreSQL + Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use promptsales_catalog::{CatalogWriter, Client as CatalogClient};
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use promptsales_tests::{Backend, Client, Era, HttpServer, command, stdio_client_env, tokens};
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams};
use rmcp::{Peer, RoleClient};
use serde_json::{Value, json};

const ALL_ADS: &[&str] = &["ads:read", "ads:write", "ads:approve", "ads:launch"];

async fn call(client: &Peer<RoleClient>, tool: &str, args: Value) -> Result<Value, String> {
    promptsales_tests::call_tool(client, tool, args).await
}

use promptsales_tests::{tool_err as err, tool_ok as ok};

/// As `promptsales migrate` leaves it for mcp-ads: the CRM and content
/// databases it reads migrated, client `cli_ads` in the catalog.
async fn prepare(backend: &Backend) {
    let cfg = backend.common_args().resolve().unwrap();
    for migrations in [&crm_read::MIGRATIONS, &content_read::MIGRATIONS] {
        Db::migrate(&cfg.db, migrations)
            .await
            .unwrap()
            .close()
            .await;
    }
    let db = Db::open_reader(&cfg.db, &promptsales_catalog::SCHEMA)
        .await
        .unwrap();
    CatalogWriter::new(db.clone())
        .upsert_client(
            &TenantId::parse("default").unwrap(),
            &CatalogClient {
                id: ClientId::parse("cli_ads").unwrap(),
                name: "Andes Outdoor".into(),
                industry: "retail".into(),
                country: Country::parse("CO").unwrap(),
                time_zone: promptsales_shared::domain::TimeZone::of_country(
                    Country::parse("CO").unwrap(),
                ),
            },
        )
        .await
        .unwrap();
    db.close().await;
}

/// The ads database, for SQL-level checks (mcp-ads migrated it).
async fn ads_db(backend: &Backend) -> Db {
    let cfg = backend.common_args().resolve().unwrap();
    Db::open_reader(&cfg.db, &ads_read::SCHEMA).await.unwrap()
}

/// Every row a tool could write, as text: equal before and after means
/// nothing changed.
async fn snapshot(db: &Db) -> String {
    const QUERIES: &[&str] = &[
        "SELECT id || '|' || status || '|' || name || '|' || CAST(budget_cents AS TEXT) || '|' || plan \
         || '|' || audience || '|' || COALESCE(last_edited_by, '') || '|' || COALESCE(approved_by, '') \
         || '|' || COALESCE(launch_claim_key, '') || '|' || updated_at AS r FROM campaigns ORDER BY id",
        "SELECT id AS r FROM campaign_events ORDER BY id",
        "SELECT campaign_id || '|' || channel || '|' || state || '|' || external_ids || '|' \
         || CAST(budget_cents AS TEXT) || '|' || updated_at AS r FROM publications ORDER BY campaign_id, channel",
        "SELECT idempotency_key || '|' || status || '|' || updated_at AS r FROM launches ORDER BY idempotency_key",
        "SELECT id || '|' || status || '|' || updated_at AS r FROM change_sets ORDER BY id",
        "SELECT id AS r FROM segments ORDER BY id",
        "SELECT campaign_id || '|' || asset_id || '|' || channel || '|' || updated_at AS r \
         FROM campaign_assets ORDER BY campaign_id, asset_id, channel",
        "SELECT id || '|' || updated_at AS r FROM ad_daily ORDER BY id",
        "SELECT id || '|' || updated_at || '|' || COALESCE(tested_at, '') AS r FROM connections ORDER BY id",
    ];
    let mut out = String::new();
    for q in QUERIES {
        let rows: Vec<String> = sqlx::query_scalar(*q)
            .fetch_all(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        out.push_str(&rows.join("\n"));
        out.push_str("\n--\n");
    }
    out
}

/// An approved asset usable on Meta, put straight into the content
/// database (as mcp-content would after its approval).
async fn approved_asset(backend: &Backend, id: &str) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &content_read::SCHEMA)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, language, \
         title, body, version, status, created_by, created_at, updated_at, decided_by, decided_at) \
         VALUES ('default', $1, 'cli_ads', NULL, 'meta', 'social_post', 'es', 'Hola', 'Chaquetas para la lluvia', \
         1, 'approved', 'maria', '2026-01-01T10:00:00.000000Z', '2026-01-01T10:00:00.000000Z', 'lucia', \
         '2026-01-01T11:00:00.000000Z')",
    )
    .bind(id)
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
}

/// The approved creatives of the launches against the fake platforms, put
/// straight into the content database (once per backend): copy for Meta,
/// copy for TikTok and an image for both (TikTok ads need media).
async fn launch_creatives(backend: &Backend) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &content_read::SCHEMA)
        .await
        .unwrap();
    for (id, channel, format, body) in [
        (
            "ast_rain_fb",
            "meta",
            "social_post",
            "Chaquetas para la lluvia",
        ),
        (
            "ast_rain_tt",
            "tiktok",
            "social_post",
            "Chaquetas para la lluvia",
        ),
        (
            "ast_rain_img",
            "meta",
            "image",
            "https://andes.example/lluvia.jpg",
        ),
    ] {
        sqlx::query(
            "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, language, \
             title, body, version, status, created_by, created_at, updated_at, decided_by, decided_at) \
             VALUES ('default', $1, 'cli_ads', NULL, $2, $3, 'es', 'Hola', $4, 1, 'approved', 'maria', \
             '2026-01-01T10:00:00.000000Z', '2026-01-01T10:00:00.000000Z', 'lucia', \
             '2026-01-01T11:00:00.000000Z') ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(id)
        .bind(channel)
        .bind(format)
        .bind(body)
        .execute(db.pool())
        .await
        .unwrap();
    }
    db.close().await;
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

fn campaign(name: &str, budget: i64, channels: &[&str]) -> Value {
    json!({
        "client_id": "cli_ads", "name": name, "objective": "leads", "budget_cents": budget,
        "currency": "USD", "start_date": day(0), "end_date": day(29),
        "channels": channels, "countries": ["CO", "MX"],
        "landing_url": "https://andes.example/lluvia"
    })
}

/// `approve_campaign`'s arguments waiving the creatives of `channels`
/// (these tests are about scopes and money; `ads_clients.rs` covers the
/// creatives rule).
fn approval(id: &str, channels: &[&str]) -> Value {
    let waivers: Vec<Value> = channels
        .iter()
        .map(|c| json!({"channel": c, "note": "copy approved offline"}))
        .collect();
    json!({"campaign_id": id, "waivers": waivers})
}

fn token(who: &str, scopes: &[&str]) -> String {
    tokens::mint(who, "default", scopes)
}

/// Every ads scope but `scope` (`admin` is never held).
fn all_but(scope: &str) -> Vec<&'static str> {
    ALL_ADS.iter().copied().filter(|s| *s != scope).collect()
}

/// A 2026-07-28 `tools/call` with the standard headers naming the tool.
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

/// One session per token (an `initialize` session: a missing scope is a
/// tool result naming it).
async fn as_(server: &HttpServer, who: &str, scopes: &[&str]) -> Client {
    server
        .client_with_token(Era::Initialize, &token(who, scopes))
        .await
}

/// The scope matrix over HTTP: for each tool, in an order where each
/// call's preconditions hold, a token with every other ads scope is refused
/// (as a tool result and, for a 2026-07-28 request, 403 before dispatch)
/// and the ads tables are untouched; then a token with only its scope
/// works.
async fn matrix_over_http(backend: &Backend) {
    let server = HttpServer::start_env("mcp-ads", backend, &[], &tokens::env()).await;
    let db = ads_db(backend).await;
    approved_asset(backend, "ast_rain").await;
    let maker = as_(&server, "maker", &["ads:read", "ads:write"]).await;
    let checker = as_(&server, "checker", &["ads:approve"]).await;
    let launcher = as_(&server, "launcher", &["ads:launch"]).await;

    // Fixtures: a draft D, a pending P, an approved A, a launched L with a
    // change set CS proposed by the maker.
    let id_of = |v: Value| v["id"].as_str().unwrap().to_owned();
    let d = id_of(ok(&maker, "create_campaign", campaign("D", 900_000, &["meta"])).await);
    let p = id_of(ok(&maker, "create_campaign", campaign("P", 900_000, &["meta"])).await);
    ok(&maker, "submit_for_approval", json!({"campaign_id": p})).await;
    let a = id_of(ok(&maker, "create_campaign", campaign("A", 900_000, &["meta"])).await);
    ok(&maker, "submit_for_approval", json!({"campaign_id": a})).await;
    ok(&checker, "approve_campaign", approval(&a, &["meta"])).await;
    let l = id_of(
        ok(
            &maker,
            "create_campaign",
            campaign("L", 9_000_000, &["google_ads", "meta", "tiktok"]),
        )
        .await,
    );
    ok(&maker, "submit_for_approval", json!({"campaign_id": l})).await;
    ok(
        &checker,
        "approve_campaign",
        approval(&l, &["google_ads", "meta", "tiktok"]),
    )
    .await;
    ok(
        &launcher,
        "launch_campaign",
        json!({"campaign_id": l, "idempotency_key": "fixture-l"}),
    )
    .await;
    // The simulated ROAS always moves TikTok's budget at a 2.12 target
    // once the learning period is shortened to the one simulated day.
    let cs = ok(
        &maker,
        "optimize_campaign",
        json!({"campaign_id": l, "target_roas": 2.12, "min_days": 1}),
    )
    .await;
    assert!(!cs["changes"].as_array().unwrap().is_empty(), "{cs}");
    let cs = id_of(cs);

    let matrix: Vec<(&str, &str, Value)> = vec![
        ("get_campaign", "ads:read", json!({"campaign_id": d})),
        ("list_campaigns", "ads:read", json!({})),
        (
            "get_campaign_performance",
            "ads:read",
            json!({"campaign_id": l}),
        ),
        (
            "create_campaign",
            "ads:write",
            campaign("New", 500_000, &["meta"]),
        ),
        (
            "update_campaign",
            "ads:write",
            json!({"campaign_id": d, "name": "D v2"}),
        ),
        (
            "generate_campaign",
            "ads:write",
            json!({"goal": "más inscripciones", "client_id": "cli_ads", "budget_cents": 1_000_000,
                   "currency": "USD", "start_date": day(1), "end_date": day(20), "countries": ["CO"]}),
        ),
        ("plan_budget", "ads:write", json!({"campaign_id": d})),
        (
            "submit_for_approval",
            "ads:write",
            json!({"campaign_id": d}),
        ),
        (
            "segment_audience",
            "ads:write",
            json!({"name": "CO warm", "countries": ["CO"], "min_score": 50}),
        ),
        (
            "attach_content",
            "ads:write",
            json!({"campaign_id": a, "asset_id": "ast_rain", "channels": ["meta"]}),
        ),
        ("sync_metrics", "ads:write", json!({"days": 2})),
        ("optimize_campaign", "ads:write", json!({"campaign_id": l})),
        (
            "approve_campaign",
            "ads:approve",
            json!({"campaign_id": p, "note": "ok", "waivers": [{"channel": "meta", "note": "stock copy"}]}),
        ),
        (
            "reject_campaign",
            "ads:approve",
            json!({"campaign_id": d, "note": "needs a landing URL"}),
        ),
        (
            "launch_campaign",
            "ads:launch",
            json!({"campaign_id": a, "idempotency_key": "matrix-a"}),
        ),
        (
            "apply_change_set",
            "ads:launch",
            json!({"change_set_id": cs}),
        ),
        (
            "rollback_change_set",
            "ads:launch",
            json!({"change_set_id": cs}),
        ),
        ("pause_campaign", "ads:launch", json!({"campaign_id": l})),
        ("resume_campaign", "ads:launch", json!({"campaign_id": l})),
        ("complete_campaign", "ads:launch", json!({"campaign_id": l})),
        ("usage", "ads:read", json!({"client_id": "cli_ads"})),
        ("list_connections", "admin", json!({"client_id": "cli_ads"})),
        (
            "set_connection",
            "admin",
            json!({"client_id": "cli_ads", "channel": "sms", "account_sid": format!("AC{}", "0".repeat(32)),
                   "sender": "+15005550006", "auth_token": "twilio-matrix-secret"}),
        ),
        (
            "test_connection",
            "admin",
            json!({"client_id": "cli_ads", "channel": "tiktok"}),
        ),
        ("audit_query", "admin", json!({"limit": 5})),
    ];
    // The matrix covers every tool the server publishes.
    let mut published: Vec<String> = maker
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    published.sort();
    let mut covered: Vec<String> = matrix.iter().map(|(t, _, _)| (*t).to_owned()).collect();
    covered.sort();
    assert_eq!(published, covered, "{}", backend.label);

    for (tool, scope, args) in &matrix {
        let label = format!("{}: {tool}", backend.label);
        let lacking = all_but(scope);
        let before = snapshot(&db).await;
        let refused = as_(&server, "eve", &lacking).await;
        let e = err(&refused, tool, args.clone()).await;
        assert!(
            e.contains("permission denied") && e.contains(&format!("`{scope}`")),
            "{label}: {e}"
        );
        refused.cancel().await.unwrap();
        let r = call_2026(&server, &token("eve", &lacking), tool, args).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{label}");
        let h = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(
            h.contains("insufficient_scope") && h.contains(&format!("scope=\"{scope}\"")),
            "{label}: {h}"
        );
        assert_eq!(before, snapshot(&db).await, "{label}: nothing changed");

        // With only its scope, the tool works (the callers are neither the
        // creators nor the editors of what they approve or apply).
        let allowed = as_(&server, "olga", &[scope]).await;
        let v = ok(&allowed, tool, args.clone()).await;
        allowed.cancel().await.unwrap();
        match *tool {
            "approve_campaign" => assert_eq!(v["status"], "approved", "{label}"),
            "reject_campaign" => assert_eq!(v["status"], "rejected", "{label}"),
            "launch_campaign" => assert_eq!(v["status"], "active", "{label}"),
            "apply_change_set" => assert_eq!(v["status"], "applied", "{label}"),
            "rollback_change_set" => assert_eq!(v["status"], "rolled_back", "{label}"),
            "complete_campaign" => assert_eq!(v["status"], "completed", "{label}"),
            "attach_content" => assert_eq!(v["assets"][0]["asset_id"], "ast_rain", "{label}"),
            "usage" => assert_eq!(v["lines"][0]["kind"], "active_campaigns", "{label}"),
            "set_connection" => {
                assert_eq!(v["credentials"], json!(["auth_token"]), "{label}");
                assert!(
                    !v.to_string().contains("twilio-matrix-secret"),
                    "{label}: {v}"
                );
            }
            "test_connection" => assert_eq!(v["source"], "sandbox", "{label}"),
            "audit_query" => {
                let rows = v["rows"].as_array().unwrap();
                assert!(!rows.is_empty(), "{label}: {v}");
            }
            _ => {}
        }
    }

    // Resources: `ads:read`, checked when read and audited.
    let blind = as_(&server, "eve", &["ads:write"]).await;
    let e = blind
        .read_resource(ReadResourceRequestParams::new(format!(
            "ads://campaigns/{a}"
        )))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("ads:read"), "{e}");
    blind.cancel().await.unwrap();
    let reader = as_(&server, "olga", &["ads:read"]).await;
    let r = reader
        .read_resource(ReadResourceRequestParams::new(format!(
            "ads://campaigns/{a}"
        )))
        .await
        .unwrap();
    assert!(format!("{r:?}").contains(&a));
    reader.cancel().await.unwrap();
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT actor || ' ' || outcome FROM audit_log WHERE tool = $1 ORDER BY id",
    )
    .bind(format!("resource:ads://campaigns/{a}"))
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(audited, ["eve tool_error", "olga ok"], "{}", backend.label);

    for c in [maker, checker, launcher] {
        c.cancel().await.unwrap();
    }
    db.close().await;
    server.terminate().await;
}

/// Over stdio: a local actor holding no scope is refused every tool and
/// changes nothing; one with the default scopes (every read and write) is
/// refused every approve, launch and admin tool.
async fn matrix_over_stdio(backend: &Backend) {
    let db = ads_db(backend).await;
    let maker = stdio_client_env(
        "mcp-ads",
        backend,
        &[],
        &[("PROMPTSALES_ACTOR", "maker")],
        Era::Initialize,
    )
    .await;
    let d = ok(&maker, "create_campaign", campaign("S", 900_000, &["meta"])).await;
    let d = d["id"].as_str().unwrap().to_owned();
    let nobody = stdio_client_env(
        "mcp-ads",
        backend,
        &[],
        &[("PROMPTSALES_ACTOR", "nobody"), ("PROMPTSALES_SCOPES", "")],
        Era::Stateless,
    )
    .await;
    let tools = nobody.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 25, "{}", backend.label);
    let before = snapshot(&db).await;
    for t in &tools {
        let name = t.name.to_string();
        let scope = t.meta.as_ref().unwrap().0["promptsales/scope"]
            .as_str()
            .unwrap()
            .to_owned();
        let args = match name.as_str() {
            "create_campaign" => campaign("X", 900_000, &["meta"]),
            "list_campaigns" | "sync_metrics" | "audit_query" => json!({}),
            "apply_change_set" | "rollback_change_set" => json!({"change_set_id": "chg_x"}),
            "segment_audience" => json!({"name": "x"}),
            "generate_campaign" => json!({"goal": "x", "client_id": "cli_ads", "budget_cents": 100,
                                          "currency": "USD", "start_date": day(0), "end_date": day(3)}),
            "plan_budget" => json!({"campaign_id": d}),
            "attach_content" => {
                json!({"campaign_id": d, "asset_id": "ast_x", "channels": ["meta"]})
            }
            "launch_campaign" => json!({"campaign_id": d, "idempotency_key": "x"}),
            "reject_campaign" => json!({"campaign_id": d, "note": "x"}),
            "list_connections" => json!({}),
            "usage" => json!({"client_id": "cli_ads"}),
            "set_connection" => {
                json!({"client_id": "cli_ads", "channel": "meta", "access_token": "nobody-secret"})
            }
            "test_connection" => json!({"client_id": "cli_ads", "channel": "meta"}),
            _ => json!({"campaign_id": d}),
        };
        let e = err(&nobody, &name, args.clone()).await;
        assert!(
            e.contains("permission denied")
                && e.contains(&format!("`{scope}`"))
                && e.contains("nobody"),
            "{}: {name}: {e}",
            backend.label
        );
        if ["ads:approve", "ads:launch", "admin"].contains(&scope.as_str()) {
            let e = err(&maker, &name, args).await;
            assert!(
                e.contains(&format!("`{scope}`")),
                "{}: {name} over the default local scopes: {e}",
                backend.label
            );
        }
    }
    assert_eq!(
        before,
        snapshot(&db).await,
        "{}: nothing changed",
        backend.label
    );
    maker.cancel().await.unwrap();
    nobody.cancel().await.unwrap();

    // Resources follow their toolsets: a delivery-only server lists and
    // serves none (the campaign resources belong to `campaigns`).
    let delivery = stdio_client_env(
        "mcp-ads",
        backend,
        &["--toolsets", "delivery"],
        &[("PROMPTSALES_ACTOR", "maker")],
        Era::Initialize,
    )
    .await;
    assert!(delivery.list_all_resources().await.unwrap().is_empty());
    assert!(
        delivery
            .list_all_resource_templates()
            .await
            .unwrap()
            .is_empty()
    );
    let e = delivery
        .read_resource(ReadResourceRequestParams::new(format!(
            "ads://campaigns/{d}"
        )))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("serves: none"), "{}: {e}", backend.label);
    delivery.cancel().await.unwrap();
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_needs_its_scope_over_http_and_stdio_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        matrix_over_http(&backend).await;
        matrix_over_stdio(&backend).await;
    }
}

/// A fake Meta + TikTok that counts what it receives, can slow Meta's
/// campaign creation (to make launches overlap), echo the token in 5xx
/// answers, hang, or kill the ads server at Meta's first enable.
#[derive(Clone, Default)]
struct Platforms {
    hits: Arc<Mutex<Vec<(String, String, String)>>>,
    slow_create: Arc<AtomicBool>,
    echo_500: Arc<AtomicBool>,
    hang: Arc<AtomicBool>,
    /// PID of the server to SIGKILL at Meta's first `status=ACTIVE`.
    kill_at_enable: Arc<AtomicU32>,
}

impl Platforms {
    fn count(&self, method: &str, fragment: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p, _)| m == method && p.ends_with(fragment))
            .count()
    }
    fn enables(&self) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p, b)| {
                p.starts_with("/v25.0/") && !p.contains("act_") && b.contains("status=ACTIVE")
            })
            .count()
    }
}

async fn platform(
    State(p): State<Platforms>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let path = uri.path().to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    p.hits
        .lock()
        .unwrap()
        .push((method.to_string(), path.clone(), body.clone()));
    if let Some(svc) = path.strip_prefix("/open_api/v1.3/") {
        let data = match svc {
            "advertiser/info/" => json!({"list": [{"name": "Andes", "currency": "USD"}]}),
            "file/image/ad/upload/" => json!({"image_id": "img-1"}),
            "campaign/create/" => json!({"campaign_id": "1800"}),
            "adgroup/create/" => json!({"adgroup_id": "1801"}),
            "ad/create/" => json!({"ad_ids": ["1802"]}),
            s if s.ends_with("status/update/") => json!({}),
            _ => {
                return axum::Json(json!({"code": 40002, "message": "unknown call", "data": {}}))
                    .into_response();
            }
        };
        return axum::Json(json!({"code": 0, "message": "OK", "data": data})).into_response();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if bearer != "Bearer meta-token" || body.contains("meta-token") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"message": "no token", "code": 190}})),
        )
            .into_response();
    }
    // The ad account answers (currency, active) so the launch gets past
    // its preflight; what fails is the creation that follows.
    if method == Method::GET && path == "/v25.0/act_77" {
        return axum::Json(json!({"id": "act_77", "currency": "USD", "account_status": 1}))
            .into_response();
    }
    if !path.starts_with("/v25.0/") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": "version expired", "code": 2635}})),
        )
            .into_response();
    }
    if p.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    if p.echo_500.load(Ordering::SeqCst) {
        return (
            StatusCode::BAD_GATEWAY,
            format!("<html>upstream refused {} for {}</html>", bearer, uri),
        )
            .into_response();
    }
    if path.ends_with("/campaigns") && p.slow_create.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    if body.contains("status=ACTIVE") {
        let pid = p.kill_at_enable.swap(0, Ordering::SeqCst);
        if pid != 0 {
            std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let reply = if path.ends_with("/campaigns") {
        json!({"id": "120001"})
    } else if path.ends_with("/adsets") {
        json!({"id": "230002"})
    } else if path.ends_with("/adcreatives") {
        json!({"id": "250003"})
    } else if path.ends_with("/ads") {
        json!({"id": "240004"})
    } else {
        json!({"success": true})
    };
    axum::Json(reply).into_response()
}

async fn start_platforms() -> (Platforms, String) {
    let p = Platforms::default();
    let app = axum::Router::new().fallback(platform).with_state(p.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (p, base)
}

fn platform_env(base: &str) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = tokens::env()
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    env.extend([
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token".to_owned()),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "77".to_owned()),
        ("PROMPTSALES_META_BASE_URL", base.to_owned()),
        ("PROMPTSALES_META_PAGE_ID", "78".to_owned()),
        ("PROMPTSALES_META_LEAD_FORM_ID", "79".to_owned()),
        ("PROMPTSALES_TIKTOK_ACCESS_TOKEN", "tt-token".to_owned()),
        ("PROMPTSALES_TIKTOK_ADVERTISER_ID", "700".to_owned()),
        ("PROMPTSALES_TIKTOK_IDENTITY_ID", "701".to_owned()),
        (
            "PROMPTSALES_TIKTOK_IDENTITY_TYPE",
            "CUSTOMIZED_USER".to_owned(),
        ),
        ("PROMPTSALES_TIKTOK_PIXEL_ID", "702".to_owned()),
        ("PROMPTSALES_TIKTOK_BASE_URL", base.to_owned()),
        ("PROMPTSALES_CONNECTOR_BACKOFF_MS", "5".to_owned()),
        ("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS", "2".to_owned()),
        ("PROMPTSALES_ADS_LAUNCH_CLAIM_TTL_SECS", "2".to_owned()),
    ]);
    env
}

async fn start(backend: &Backend, env: &[(&'static str, String)]) -> HttpServer {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    HttpServer::start_env("mcp-ads", backend, &[], &env).await
}

/// An approved Meta + TikTok campaign, drafted by `maker`, with approved
/// copy for each channel and an image for both attached.
async fn approved_campaign(backend: &Backend, server: &HttpServer, name: &str) -> String {
    launch_creatives(backend).await;
    let maker = as_(server, "maker", &["ads:read", "ads:write"]).await;
    let checker = as_(server, "checker", &["ads:approve"]).await;
    let c = ok(
        &maker,
        "create_campaign",
        campaign(name, 600_000, &["meta", "tiktok"]),
    )
    .await;
    let id = c["id"].as_str().unwrap().to_owned();
    for (asset, channels) in [
        ("ast_rain_fb", json!(["meta"])),
        ("ast_rain_tt", json!(["tiktok"])),
        ("ast_rain_img", json!(["meta", "tiktok"])),
    ] {
        ok(
            &maker,
            "attach_content",
            json!({"campaign_id": id, "asset_id": asset, "channels": channels}),
        )
        .await;
    }
    ok(&maker, "submit_for_approval", json!({"campaign_id": id})).await;
    let v = ok(
        &checker,
        "approve_campaign",
        json!({"campaign_id": id, "note": "ok"}),
    )
    .await;
    assert!(
        v["waivers"].is_null()
            && v["creatives"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["ready"] == true),
        "{v}"
    );
    maker.cancel().await.unwrap();
    checker.cancel().await.unwrap();
    id
}

/// Two launches of one campaign with different keys at once publish each
/// channel once; the loser is refused and sends nothing.
async fn concurrent_launches(backend: &Backend) {
    let (platforms, base) = start_platforms().await;
    let server = start(backend, &platform_env(&base)).await;
    let id = approved_campaign(backend, &server, "Race").await;
    platforms.slow_create.store(true, Ordering::SeqCst);
    let a = as_(&server, "launcher-a", &["ads:read", "ads:launch"]).await;
    let b = as_(&server, "launcher-b", &["ads:read", "ads:launch"]).await;
    let (ra, rb) = tokio::join!(
        call(
            &a,
            "launch_campaign",
            json!({"campaign_id": id, "idempotency_key": "race-a"})
        ),
        call(
            &b,
            "launch_campaign",
            json!({"campaign_id": id, "idempotency_key": "race-b"})
        ),
    );
    let label = backend.label;
    assert_eq!(
        [&ra, &rb].iter().filter(|r| r.is_ok()).count(),
        1,
        "{label}: {ra:?} {rb:?}"
    );
    let refusal = [ra, rb].into_iter().find_map(Result::err).unwrap();
    assert!(
        refusal.contains("is being launched by launcher-") && refusal.contains("nothing was sent"),
        "{label}: {refusal}"
    );
    assert_eq!(
        platforms.count("POST", "/act_77/campaigns"),
        1,
        "{label}: one Meta campaign"
    );
    assert_eq!(
        platforms.count("POST", "/act_77/adsets"),
        1,
        "{label}: one Meta ad set"
    );
    assert_eq!(
        (
            platforms.count("POST", "/act_77/adcreatives"),
            platforms.count("POST", "/act_77/ads")
        ),
        (1, 1),
        "{label}: one Meta creative and ad"
    );
    assert_eq!(
        platforms.count("POST", "campaign/create/"),
        1,
        "{label}: one TikTok campaign"
    );
    // A third key after the fact launches nothing either.
    let e = err(
        &a,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "race-c"}),
    )
    .await;
    assert!(e.contains("already active"), "{label}: {e}");
    assert_eq!(platforms.count("POST", "/act_77/campaigns"), 1);
    let v = ok(&a, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(
        (v["status"].as_str(), v["delivery_state"].as_str()),
        (Some("active"), Some("launched")),
        "{label}: {v}"
    );
    a.cancel().await.unwrap();
    b.cancel().await.unwrap();
    server.terminate().await;
}

/// The server dies (SIGKILL) between creating Meta's objects paused and
/// enabling them; after a restart the campaign is held until its claim is
/// stale, then a retry enables what exists and publishes only the rest.
async fn crash_after_publishing_paused(backend: &Backend) {
    let (platforms, base) = start_platforms().await;
    let env = platform_env(&base);
    let server = start(backend, &env).await;
    let id = approved_campaign(backend, &server, "Crash").await;
    platforms
        .kill_at_enable
        .store(server.child.id().unwrap(), Ordering::SeqCst);
    let launcher = as_(&server, "launcher", &["ads:read", "ads:launch"]).await;
    // No answer comes: the process is killed mid-launch (the fake kills it
    // at the first enable).
    let args = json!({"campaign_id": id, "idempotency_key": "crash-1"});
    let call = tokio::spawn(async move {
        let _ = launcher
            .call_tool(
                CallToolRequestParams::new("launch_campaign")
                    .with_arguments(args.as_object().cloned().unwrap()),
            )
            .await;
    });
    let mut server = server;
    let exit = tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .expect("the server was not killed mid-launch")
        .unwrap();
    assert!(!exit.success(), "{exit:?}");
    call.abort();
    drop(server);
    let label = backend.label;
    let db = ads_db(backend).await;
    let (state, launched): (String, Option<String>) = sqlx::query_as(
        "SELECT state, launched_on FROM publications WHERE campaign_id = $1 AND channel = 'meta'",
    )
    .bind(&id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        (state.as_str(), launched),
        ("paused", None),
        "{label}: created paused, never enabled"
    );
    let (status, claim): (String, Option<String>) =
        sqlx::query_as("SELECT status, launch_claim_key FROM campaigns WHERE id = $1")
            .bind(&id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), claim.as_deref()),
        ("approved", Some("crash-1")),
        "{label}"
    );
    let intents: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE tool = 'launch_campaign' AND state = 'intent'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(intents, 1, "{label}: the killed call left its intent row");
    assert_eq!(platforms.count("POST", "/act_77/campaigns"), 1);
    assert_eq!(
        platforms.enables(),
        1,
        "{label}: the first enable killed the server"
    );

    let server = start(backend, &env).await;
    let client = as_(&server, "launcher", &["ads:read", "ads:launch"]).await;
    // The dead launch still holds the campaign until its claim is stale
    // (2 s here) — unless the restart took longer than that.
    let v = ok(&client, "get_campaign", json!({"campaign_id": id})).await;
    let state = v["delivery_state"].as_str().unwrap();
    assert!(["launching", "partial"].contains(&state), "{label}: {v}");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let v = ok(&client, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(
        (
            v["delivery_state"].as_str(),
            v["launching"]["stale"].as_bool()
        ),
        (Some("partial"), Some(true)),
        "{label}: {v}"
    );
    let dry = ok(
        &client,
        "launch_campaign",
        json!({"campaign_id": id, "dry_run": true}),
    )
    .await;
    let outcome = |v: &Value, ch: &str| {
        v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == ch)
            .unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(outcome(&dry, "meta"), "would_enable", "{label}: {dry}");
    let r = ok(
        &client,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "crash-2"}),
    )
    .await;
    assert_eq!(r["status"], "active", "{label}: {r}");
    assert_eq!(outcome(&r, "meta"), "launched");
    assert_eq!(outcome(&r, "tiktok"), "launched");
    assert_eq!(
        platforms.count("POST", "/act_77/campaigns"),
        1,
        "{label}: Meta was not published again"
    );
    assert_eq!(platforms.count("POST", "/act_77/adsets"), 1);
    assert_eq!(platforms.count("POST", "/act_77/adcreatives"), 1);
    assert_eq!(platforms.count("POST", "/act_77/ads"), 1);
    assert_eq!(
        platforms.enables(),
        4,
        "{label}: the retry enabled Meta's ad, ad set and campaign"
    );
    assert_eq!(platforms.count("POST", "campaign/create/"), 1);
    assert_eq!(platforms.count("POST", "ad/create/"), 1);
    let v = ok(&client, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(v["delivery_state"], "launched", "{label}: {v}");
    // The dead launch's key was not left running: it is taken over, finds
    // nothing to do and is released.
    let e = err(
        &client,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "crash-1"}),
    )
    .await;
    assert!(e.contains("already active"), "{label}: {e}");
    let running: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM launches WHERE status = 'running'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(running, 0, "{label}");
    client.cancel().await.unwrap();
    db.close().await;
    server.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_launch_per_campaign_and_crashes_finish_without_republishing_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        concurrent_launches(&backend).await;
        crash_after_publishing_paused(&backend).await;
    }
}

/// Four eyes and caps over HTTP: an approver who edited the draft cannot
/// approve it; a change set's proposer cannot apply it; resuming over the
/// daily cap is refused with the cap, current and requested amounts.
async fn four_eyes_and_caps(backend: &Backend) {
    let mut env = tokens::env();
    env.extend([
        ("PROMPTSALES_ADS_TENANT_DAILY_CAP", "USD=1500"),
        ("PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP", "USD=100000"),
    ]);
    let server = HttpServer::start_env("mcp-ads", backend, &[], &env).await;
    let db = ads_db(backend).await;
    let label = backend.label;
    let maker = as_(&server, "maker", &["ads:read", "ads:write"]).await;
    let editor = as_(&server, "edgar", &["ads:read", "ads:write", "ads:approve"]).await;
    let checker = as_(&server, "checker", &["ads:approve"]).await;
    let ops = as_(&server, "opal", &["ads:read", "ads:write", "ads:launch"]).await;

    // Edit-then-approve.
    let c = ok(
        &maker,
        "create_campaign",
        campaign("Edited", 2_700_000, &["google_ads"]),
    )
    .await;
    let id = c["id"].as_str().unwrap().to_owned();
    ok(
        &editor,
        "update_campaign",
        json!({"campaign_id": id, "name": "Edited by Edgar"}),
    )
    .await;
    ok(&maker, "submit_for_approval", json!({"campaign_id": id})).await;
    let e = err(&editor, "approve_campaign", json!({"campaign_id": id})).await;
    assert!(
        e.contains("edgar last edited campaign") && e.contains("four eyes"),
        "{label}: {e}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM campaigns WHERE id = $1")
        .bind(&id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(status, "pending_approval", "{label}: nothing changed");
    let v = ok(&checker, "approve_campaign", approval(&id, &["google_ads"])).await;
    assert_eq!(v["status"], "approved");

    // Self-apply of a change set.
    let a = id;
    ok(
        &ops,
        "launch_campaign",
        json!({"campaign_id": a, "idempotency_key": "a-1"}),
    )
    .await;
    let cs = ok(&ops, "optimize_campaign", json!({"campaign_id": a})).await;
    let cs_id = cs["id"].as_str().unwrap().to_owned();
    let before = snapshot(&db).await;
    for tool in ["apply_change_set", "rollback_change_set"] {
        let e = err(&ops, tool, json!({"change_set_id": cs_id})).await;
        assert!(
            e.contains("opal proposed change set") && e.contains("four eyes"),
            "{label}: {tool}: {e}"
        );
    }
    assert_eq!(before, snapshot(&db).await, "{label}: nothing changed");

    // Resume over the daily cap: 900.00/day each (27,000.00 over 30 days).
    ok(&ops, "pause_campaign", json!({"campaign_id": a})).await;
    let c = ok(
        &maker,
        "create_campaign",
        campaign("Other", 2_700_000, &["google_ads"]),
    )
    .await;
    let b = c["id"].as_str().unwrap().to_owned();
    ok(&maker, "submit_for_approval", json!({"campaign_id": b})).await;
    ok(&checker, "approve_campaign", approval(&b, &["google_ads"])).await;
    ok(
        &ops,
        "launch_campaign",
        json!({"campaign_id": b, "idempotency_key": "b-1"}),
    )
    .await;
    let before = snapshot(&db).await;
    for dry in [true, false] {
        let e = err(
            &ops,
            "resume_campaign",
            json!({"campaign_id": a, "dry_run": dry}),
        )
        .await;
        assert!(
            e.contains("tenant daily cap")
                && e.contains("cap 1500.00 USD/day")
                && e.contains("current 900.00 USD/day")
                && e.contains("requested 900.00 USD/day"),
            "{label}: {e}"
        );
    }
    assert_eq!(before, snapshot(&db).await, "{label}: nothing changed");
    ok(&ops, "pause_campaign", json!({"campaign_id": b})).await;
    let r = ok(&ops, "resume_campaign", json!({"campaign_id": a})).await;
    assert_eq!(r["status"], "active", "{label}: room again");

    for c in [maker, editor, checker, ops] {
        c.cancel().await.unwrap();
    }
    db.close().await;
    server.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_and_the_daily_cap_on_resume_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        four_eyes_and_caps(&backend).await;
    }
}

/// mcp-ads over HTTP with its log (debug) in a file.
async fn start_logged(
    backend: &Backend,
    env: &[(&'static str, String)],
    log: &std::path::Path,
) -> HttpServer {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bind = format!("127.0.0.1:{port}");
    let file = std::fs::File::create(log).unwrap();
    let mut cmd = command("mcp-ads", backend);
    cmd.args(["--transport", "http", "--bind", &bind])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("PROMPTSALES_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .kill_on_drop(true);
    let child = cmd.spawn().unwrap();
    let base = format!("http://{bind}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "mcp-ads did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    HttpServer { child, base }
}

/// A platform answering 5xx pages that echo the token, then one that
/// hangs past the timeout: launch results, stored outcomes and every log
/// line (debug) name neither the platform token nor the caller's bearer
/// token.
async fn redaction(backend: &Backend) {
    let (platforms, base) = start_platforms().await;
    let mut env = platform_env(&base);
    env.push(("PROMPTSALES_CONNECTOR_TIMEOUT_MS", "400".to_owned()));
    let log = backend.dir.path().join("mcp-ads.log");
    let server = start_logged(backend, &env, &log).await;
    let label = backend.label;
    let launcher = token("launcher", &["ads:read", "ads:launch"]);
    let client = server.client_with_token(Era::Initialize, &launcher).await;

    let mut shown = String::new();
    for (mode, name) in [(&platforms.echo_500, "Echo"), (&platforms.hang, "Hang")] {
        let id = approved_campaign(backend, &server, name).await;
        mode.store(true, Ordering::SeqCst);
        let r = ok(
            &client,
            "launch_campaign",
            json!({"campaign_id": id, "idempotency_key": name}),
        )
        .await;
        mode.store(false, Ordering::SeqCst);
        let meta = r["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "meta")
            .unwrap()
            .clone();
        assert_eq!(meta["outcome"], "failed", "{label}: {r}");
        let error = meta["error"].as_str().unwrap();
        if name == "Echo" {
            assert!(error.contains("502"), "{label}: {error}");
        } else {
            assert!(error.contains("timed out"), "{label}: {error}");
        }
        shown.push_str(&r.to_string());
        shown.push_str(
            &ok(&client, "get_campaign", json!({"campaign_id": id}))
                .await
                .to_string(),
        );
    }
    assert!(!shown.contains("meta-token"), "{label}: {shown}");
    assert!(!shown.contains("act_77/campaigns"), "{label}: {shown}");
    client.cancel().await.unwrap();
    server.terminate().await;
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("platform call timed out") || logged.contains("platform unreachable"),
        "{label}: the log tells the story: {logged}"
    );
    assert!(!logged.contains("meta-token"), "{label}: {logged}");
    // Bearer tokens are JWTs: `eyJ…` (base64 of `{"`).
    assert!(
        !logged.contains(&launcher) && !logged.contains("eyJ"),
        "{label}: a bearer token was logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_stay_out_of_results_and_logs_under_5xx_and_timeouts_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        redaction(&backend).await;
    }
}

/// `PROMPTSALES_PROFILE=production` without caps: the server does not
/// start, and says what to set.
#[tokio::test]
async fn the_production_profile_refuses_to_start_without_caps() {
    let backend = Backend::sqlite();
    prepare(&backend).await;
    let mut cmd = command("mcp-ads", &backend);
    cmd.env("PROMPTSALES_PROFILE", "production")
        .env("PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP", "USD=50000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PROMPTSALES_PROFILE")
            && stderr.contains("PROMPTSALES_ADS_TENANT_DAILY_CAP"),
        "{stderr}"
    );
}
