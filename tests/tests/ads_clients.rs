//! The agency's clients as a boundary in mcp-ads, through the real binary
//! over HTTP with signed tokens, against local fakes of Meta, Google Ads
//! and Google's OAuth token endpoint, on SQLite and on PostgreSQL + Redis:
//! each client launches, pauses and reads metrics through its own
//! connection (its account ids in every path and body, never the other
//! client's; a client without one uses the environment's account); a
//! Google access token refused mid-run is refreshed; the client's plan
//! refuses a launch with its numbers; no approval or launch without
//! approved creatives (a waiver only for a channel the sandbox runs), the
//! objects each platform needs (Meta's creative speaking as the client's
//! Page, Google's search ad from the approved copy) built from them; and no
//! secret in any tool output, the database or the log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use promptsales_catalog::{
    CatalogWriter, Client as CatalogClient, Limit, LimitKind, Plan, SubCompany,
};
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Country, Currency, TenantId};
use promptsales_tests::{Backend, Client, Era, HttpServer, command, tokens};
use rmcp::model::ReadResourceRequestParams;
use rmcp::{Peer, RoleClient};
use serde_json::{Value, json};

/// Every secret handed to the server: none may come back out.
const SECRETS: &[&str] = &[
    "meta-a-secret-token",
    "meta-b-secret-token",
    "meta-env-secret-token",
    "dev-token-agency-secret",
    "oauth-client-secret-a",
    "oauth-client-secret-b",
    "1//refresh-a-secret",
    "1//refresh-b-secret",
];

/// Everything the tools answered, to search for secrets at the end.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<Vec<String>>>);

impl Transcript {
    fn keep(&self, v: &str) {
        self.0.lock().unwrap().push(v.to_owned());
    }
    fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

async fn call(
    t: &Transcript,
    client: &Peer<RoleClient>,
    tool: &str,
    args: Value,
) -> Result<Value, String> {
    let r = promptsales_tests::call_tool(client, tool, args).await;
    match &r {
        Ok(v) => t.keep(&v.to_string()),
        Err(e) => t.keep(e),
    }
    r
}

async fn ok(t: &Transcript, client: &Peer<RoleClient>, tool: &str, args: Value) -> Value {
    call(t, client, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool}({args}): {e}"))
}

async fn err(t: &Transcript, client: &Peer<RoleClient>, tool: &str, args: Value) -> String {
    match call(t, client, tool, args.clone()).await {
        Err(e) => e,
        Ok(v) => panic!("{tool}({args}) should fail, got {v}"),
    }
}

async fn resource(t: &Transcript, client: &Client, uri: &str) -> Value {
    let r = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|e| panic!("{uri}: {e}"));
    let v = serde_json::to_value(&r).unwrap();
    let text = v["contents"][0]["text"].as_str().unwrap().to_owned();
    t.keep(&text);
    serde_json::from_str(&text).unwrap()
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// One request the fakes received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    auth: String,
    login: String,
    body: String,
}

/// Meta, Google Ads and Google's token endpoint. Google access tokens end
/// in `-1` on their first issue: Google accepts such a token once and then
/// answers 401 (it "expired" mid-run), so every client's first Google
/// launch refreshes its token halfway.
#[derive(Clone, Default)]
struct Fakes {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// refresh token → access tokens issued.
    issued: Arc<Mutex<HashMap<String, Vec<String>>>>,
    uses: Arc<Mutex<HashMap<String, u32>>>,
}

impl Fakes {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn since(&self, n: usize) -> Vec<Seen> {
        self.seen()[n..].to_vec()
    }
    fn issued(&self, refresh: &str) -> Vec<String> {
        self.issued
            .lock()
            .unwrap()
            .get(refresh)
            .cloned()
            .unwrap_or_default()
    }
}

fn form(body: &str) -> HashMap<String, String> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (dec(k), dec(v)))
        .collect()
}

fn unauthorized(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(
            json!({"error": {"code": 401, "message": message, "status": "UNAUTHENTICATED"}}),
        ),
    )
        .into_response()
}

async fn fake(
    State(f): State<Fakes>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    f.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        auth: header("authorization"),
        login: header("login-customer-id"),
        body: body.clone(),
    });
    if path == "/token" {
        let f2 = form(&body);
        let refresh = f2.get("refresh_token").cloned().unwrap_or_default();
        let who = match refresh.as_str() {
            "1//refresh-a-secret" => "a",
            "1//refresh-b-secret" => "b",
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(
                        json!({"error": "invalid_grant", "error_description": "Bad Request"}),
                    ),
                )
                    .into_response();
            }
        };
        let mut issued = f.issued.lock().unwrap();
        let list = issued.entry(refresh).or_default();
        let token = format!("ya29.{who}-{}", list.len() + 1);
        list.push(token.clone());
        return axum::Json(
            json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
        )
        .into_response();
    }
    if let Some(rest) = path.strip_prefix("/v26/customers/") {
        let token = header("authorization")
            .strip_prefix("Bearer ")
            .unwrap_or_default()
            .to_owned();
        let known = f
            .issued
            .lock()
            .unwrap()
            .values()
            .flatten()
            .any(|t| *t == token);
        let uses = {
            let mut u = f.uses.lock().unwrap();
            let n = u.entry(token.clone()).or_default();
            *n += 1;
            *n
        };
        if !known || header("developer-token") != "dev-token-agency-secret" {
            return unauthorized("Request had invalid authentication credentials.");
        }
        if token.ends_with("-1") && uses > 1 {
            return unauthorized(
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            );
        }
        let cid = rest.split('/').next().unwrap_or_default();
        // cli_b's customer is billed in pesos; the others in dollars.
        let currency = if cid == "8080808080" { "COP" } else { "USD" };
        let (service, _) = rest
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split_once(':')
            .unwrap_or_default();
        let reply = if path.ends_with("googleAds:search") {
            json!({"results": [{"customer": {"id": cid, "descriptiveName": format!("Customer {cid}"), "currencyCode": currency}}]})
        } else if path.ends_with("googleAds:mutate") {
            json!({"mutateOperationResponses": []})
        } else if path.ends_with(":mutate") {
            // One resource name per operation (campaigns/7, adGroups/7…).
            let ops = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|b| b["operations"].as_array().map(Vec::len))
                .unwrap_or(1);
            let results: Vec<Value> = (0..ops)
                .map(|i| json!({"resourceName": format!("customers/{cid}/{service}/{}", 7 + i)}))
                .collect();
            json!({ "results": results })
        } else {
            json!([])
        };
        return axum::Json(reply).into_response();
    }
    if path.starts_with("/v25.0/") {
        let ok = [
            "Bearer meta-a-secret-token",
            "Bearer meta-b-secret-token",
            "Bearer meta-env-secret-token",
        ]
        .contains(&header("authorization").as_str());
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(
                    json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}),
                ),
            )
                .into_response();
        }
        let account = path
            .split('/')
            .find_map(|s| s.strip_prefix("act_"))
            .unwrap_or_default()
            .to_owned();
        // cli_b's ad account pays in pesos; the others in dollars.
        let currency = if account == "80808081" { "COP" } else { "USD" };
        let reply = if method == Method::GET && path.ends_with(&format!("act_{account}")) {
            json!({"id": format!("act_{account}"), "name": format!("Account {account}"), "currency": currency, "account_status": 1})
        } else if path.ends_with("/campaigns") {
            json!({"id": format!("{account}01")})
        } else if path.ends_with("/adsets") {
            json!({"id": format!("{account}02")})
        } else if path.ends_with("/ads") {
            json!({"id": format!("{account}03")})
        } else if path.ends_with("/adcreatives") {
            json!({"id": format!("{account}04")})
        } else if path.ends_with("/insights") {
            json!({"data": [{"date_start": day(0), "country": "CO", "impressions": "1000", "reach": "800",
                             "clicks": "20", "spend": "10.00", "actions": [], "action_values": []}]})
        } else {
            json!({"success": true})
        };
        return axum::Json(reply).into_response();
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"message": "no such path"})),
    )
        .into_response()
}

async fn start_fakes() -> (Fakes, String) {
    let f = Fakes::default();
    let app = axum::Router::new().fallback(fake).with_state(f.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (f, base)
}

const TENANT: &str = "default";

/// Migrates what mcp-ads reads, puts three clients in the catalog (cli_c
/// without connections of its own) and gives cli_b a plan of one active
/// campaign and 5,000,000 COP a month.
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
    let w = CatalogWriter::new(db.clone());
    let t = TenantId::parse(TENANT).unwrap();
    for (id, name) in [
        ("cli_a", "Café Andino"),
        ("cli_b", "Clínica Sonrisa"),
        ("cli_c", "Ferretería Central"),
    ] {
        w.upsert_client(
            &t,
            &CatalogClient::new(
                ClientId::parse(id).unwrap(),
                name,
                "retail",
                Country::parse("CO").unwrap(),
            ),
        )
        .await
        .unwrap();
    }
    w.upsert_plan(
        &t,
        &Plan {
            id: "ads_basic".into(),
            context: SubCompany::Ads,
            name: "Basic".into(),
            limits: vec![
                Limit {
                    kind: LimitKind::ActiveCampaigns,
                    value: 1,
                    currency: None,
                },
                Limit {
                    kind: LimitKind::MonthlyAdSpend,
                    value: 500_000_000,
                    currency: Some(Currency::parse("COP").unwrap()),
                },
            ],
        },
    )
    .await
    .unwrap();
    w.assign_plan(&t, &ClientId::parse("cli_b").unwrap(), "ads_basic")
        .await
        .unwrap();
    db.close().await;
}

/// A Meta post put straight into the content database (as mcp-content
/// would leave it), in `status`.
async fn asset(backend: &Backend, id: &str, client: &str, status: &str) {
    insert_asset(backend, id, client, "meta", status, None).await;
}

/// Approved Google search copy (three headlines, two descriptions,
/// keywords) put straight into the content database.
async fn search_copy(backend: &Backend, id: &str, client: &str) {
    let fields = json!([
        {"name": "headline_1", "text": "Café de origen"},
        {"name": "headline_2", "text": "Tostado esta semana"},
        {"name": "headline_3", "text": "Pide el tuyo hoy"},
        {"name": "description_1", "text": "Café de origen colombiano, tostado cada semana."},
        {"name": "description_2", "text": "Envíos a todo el país. Pide el tuyo."},
        {"name": "keyword_1", "text": "café de origen"},
        {"name": "keyword_2", "text": "café tostado"}
    ])
    .to_string();
    insert_asset(backend, id, client, "google_ads", "approved", Some(&fields)).await;
}

async fn insert_asset(
    backend: &Backend,
    id: &str,
    client: &str,
    channel: &str,
    status: &str,
    fields: Option<&str>,
) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &content_read::SCHEMA)
        .await
        .unwrap();
    let format = if fields.is_some() {
        "ad_copy"
    } else {
        "social_post"
    };
    sqlx::query(
        "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, language, \
         title, body, version, status, created_by, created_at, updated_at, fields) \
         VALUES ('default', $1, $2, NULL, $3, $4, 'es', 'Café de origen', \
         'Café de origen, tostado esta semana. Pide el tuyo.', 1, $5, 'maria', \
         '2026-01-01T10:00:00.000000Z', '2026-01-01T10:00:00.000000Z', $6)",
    )
    .bind(id)
    .bind(client)
    .bind(channel)
    .bind(format)
    .bind(status)
    .bind(fields)
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
}

async fn set_asset_status(backend: &Backend, id: &str, status: &str) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &content_read::SCHEMA)
        .await
        .unwrap();
    sqlx::query("UPDATE content_assets SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
}

/// mcp-ads over HTTP with its log in `log`.
async fn start_server(
    backend: &Backend,
    env: &[(&str, String)],
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
        // Everything ours at debug; rmcp's own debug lines echo whole
        // requests, arguments included, and stay at info.
        .env("PROMPTSALES_LOG", "debug,rmcp=info")
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

async fn as_(server: &HttpServer, who: &str, scopes: &[&str]) -> Client {
    server
        .client_with_token(Era::Initialize, &tokens::mint(who, TENANT, scopes))
        .await
}

fn campaign(name: &str, client: &str, budget: i64, currency: &str) -> Value {
    json!({
        "client_id": client, "name": name, "objective": "traffic", "budget_cents": budget,
        "currency": currency, "start_date": day(0), "end_date": day(9),
        "channels": ["meta", "google_ads"], "countries": ["CO"],
        "message": "Café de origen, tostado esta semana.", "landing_url": "https://example.com/cafe"
    })
}

fn by_channel(v: &Value, channel: &str) -> Value {
    v["channels"]
        .as_array()
        .or_else(|| v["creatives"].as_array())
        .unwrap()
        .iter()
        .find(|c| c["channel"] == channel)
        .unwrap_or_else(|| panic!("{channel} in {v}"))
        .clone()
}

async fn clients(backend: &Backend) {
    let label = backend.label;
    let (fakes, base) = start_fakes().await;
    let log = backend.dir.path().join("mcp-ads-clients.log");
    let mut env: Vec<(&str, String)> = tokens::env()
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    env.extend([
        // Where the platforms are (every client), and the environment's
        // single Meta account: the shortcut for clients without their own.
        ("PROMPTSALES_META_BASE_URL", base.clone()),
        ("PROMPTSALES_GOOGLE_ADS_BASE_URL", base.clone()),
        (
            "PROMPTSALES_GOOGLE_OAUTH_TOKEN_URL",
            format!("{base}/token"),
        ),
        (
            "PROMPTSALES_META_ACCESS_TOKEN",
            "meta-env-secret-token".to_owned(),
        ),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "90909091".to_owned()),
        ("PROMPTSALES_META_PAGE_ID", "90909092".to_owned()),
        ("PROMPTSALES_CONNECTOR_BACKOFF_MS", "5".to_owned()),
        ("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS", "2".to_owned()),
    ]);
    let server = start_server(backend, &env, &log).await;
    let t = Transcript::default();
    let admin = as_(&server, "root", &["admin"]).await;
    let maker = as_(&server, "maker", &["ads:read", "ads:write"]).await;
    let checker = as_(&server, "checker", &["ads:read", "ads:approve"]).await;
    let launcher = as_(&server, "launcher", &["ads:read", "ads:launch"]).await;

    // Connections: only admin sets them; each client its own accounts.
    let meta_a = json!({"client_id": "cli_a", "channel": "meta", "ad_account_id": "act_70707071",
        "page_id": "70707072", "access_token": "meta-a-secret-token", "expires_at": day(5)});
    let e = err(&t, &maker, "set_connection", meta_a.clone()).await;
    assert!(e.contains("`admin`"), "{label}: {e}");
    let v = ok(&t, &admin, "set_connection", meta_a).await;
    assert_eq!(v["account"]["ad_account_id"], "70707071");
    assert_eq!(v["credentials"], json!(["access_token"]));
    ok(
        &t,
        &admin,
        "set_connection",
        json!({"client_id": "cli_a", "channel": "google_ads", "customer_id": "707-070-7070",
               "login_customer_id": "717-171-7171", "oauth_client_id": "agency.apps.googleusercontent.com",
               "developer_token": "dev-token-agency-secret", "oauth_client_secret": "oauth-client-secret-a",
               "refresh_token": "1//refresh-a-secret"}),
    )
    .await;
    ok(
        &t,
        &admin,
        "set_connection",
        json!({"client_id": "cli_b", "channel": "meta", "ad_account_id": "80808081", "page_id": "80808082",
               "access_token": "meta-b-secret-token"}),
    )
    .await;
    ok(
        &t,
        &admin,
        "set_connection",
        json!({"client_id": "cli_b", "channel": "google_ads", "customer_id": "8080808080",
               "oauth_client_id": "agency.apps.googleusercontent.com",
               "developer_token": "dev-token-agency-secret", "oauth_client_secret": "oauth-client-secret-b",
               "refresh_token": "1//refresh-b-secret"}),
    )
    .await;
    // A field of another platform is refused by name; nothing is echoed.
    let e = err(
        &t,
        &admin,
        "set_connection",
        json!({"client_id": "cli_b", "channel": "google_ads", "page_id": "1", "developer_token": "dev-token-agency-secret"}),
    )
    .await;
    assert!(
        e.contains("`page_id`") && e.contains("customer_id"),
        "{label}: {e}"
    );

    // The list: account ids, status, expiry; cli_a's Meta token expires
    // within the week: an alert the agenda can raise.
    let list = ok(&t, &admin, "list_connections", json!({})).await;
    let rows = list["connections"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{label}: {list}");
    let meta_a = rows
        .iter()
        .find(|r| r["client_id"] == "cli_a" && r["channel"] == "meta")
        .unwrap();
    assert_eq!(meta_a["status"], "expiring", "{meta_a}");
    let days = meta_a["expires_in_days"].as_i64().unwrap();
    assert!((4..=5).contains(&days), "{meta_a}");
    assert!(meta_a["expires_at"].as_str().unwrap().starts_with(&day(5)));
    assert!(
        list["alerts"][0].as_str().unwrap().contains("renew"),
        "{list}"
    );
    let google_a = rows
        .iter()
        .find(|r| r["client_id"] == "cli_a" && r["channel"] == "google_ads")
        .unwrap();
    assert_eq!(google_a["account"]["login_customer_id"], "7171717171");
    assert_eq!(google_a["status"], "ready");
    let soon = ok(
        &t,
        &admin,
        "list_connections",
        json!({"expiring_within_days": 7}),
    )
    .await;
    assert_eq!(soon["connections"].as_array().unwrap().len(), 1, "{soon}");
    assert!(
        list["environment"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["platform"] == "meta" && e["mode"] == "live"),
        "{list}"
    );

    // Tests: the cheapest reads, through each client's own account.
    let before = fakes.seen().len();
    let tm = ok(
        &t,
        &admin,
        "test_connection",
        json!({"client_id": "cli_a", "channel": "meta"}),
    )
    .await;
    assert_eq!(
        (tm["ok"].as_bool(), tm["source"].as_str()),
        (Some(true), Some("connection")),
        "{tm}"
    );
    assert!(
        tm["detail"].as_str().unwrap().contains("act_70707071"),
        "{tm}"
    );
    let tg = ok(
        &t,
        &admin,
        "test_connection",
        json!({"client_id": "cli_b", "channel": "google_ads"}),
    )
    .await;
    assert!(tg["ok"].as_bool().unwrap(), "{tg}");
    let tc = ok(
        &t,
        &admin,
        "test_connection",
        json!({"client_id": "cli_c", "channel": "meta"}),
    )
    .await;
    assert_eq!(tc["source"], "environment", "{tc}");
    let reads = fakes.since(before);
    assert_eq!(reads[0].path, "/v25.0/act_70707071");
    assert_eq!(reads[0].auth, "Bearer meta-a-secret-token");
    assert!(
        reads
            .iter()
            .any(|r| r.path == "/v26/customers/8080808080/googleAds:search")
    );
    assert!(reads.iter().any(|r| r.path == "/v25.0/act_90909091"));

    // Creatives: approved copy for cli_a's Meta and Google; a draft for
    // cli_b's Meta and approved search copy for its Google.
    asset(backend, "ast_cafe", "cli_a", "approved").await;
    search_copy(backend, "ast_cafe_search", "cli_a").await;
    asset(backend, "ast_smile", "cli_b", "draft").await;
    search_copy(backend, "ast_smile_search", "cli_b").await;

    // cli_a: refused without a creative for each channel, approved once
    // Google has its search copy.
    let a = ok(
        &t,
        &maker,
        "create_campaign",
        campaign("Café A", "cli_a", 3_000_000, "USD"),
    )
    .await;
    let a = a["id"].as_str().unwrap().to_owned();
    ok(
        &t,
        &maker,
        "attach_content",
        json!({"campaign_id": a, "asset_id": "ast_cafe", "channels": ["meta"]}),
    )
    .await;
    ok(&t, &maker, "submit_for_approval", json!({"campaign_id": a})).await;
    let e = err(&t, &checker, "approve_campaign", json!({"campaign_id": a})).await;
    assert!(
        e.contains("cannot be approved")
            && e.contains("google_ads: no creative attached")
            && !e.contains("meta:"),
        "{label}: {e}"
    );
    let gate = resource(&t, &checker, &format!("ads://campaigns/{a}/approval")).await;
    assert_eq!(gate["creatives_ready"], false);
    assert_eq!(
        gate["blockers"],
        json!(["google_ads: no creative attached"])
    );
    assert_eq!(gate["budget_plan"]["total"], "30,000.00 USD");
    assert_eq!(
        by_channel(&gate, "meta")["assets"][0]["copy"]["title"],
        "Café de origen"
    );
    let e = err(
        &t,
        &maker,
        "attach_content",
        json!({"campaign_id": a, "asset_id": "ast_smile_search", "channels": ["google_ads"]}),
    )
    .await;
    assert!(e.contains("belongs to client cli_b"), "{label}: {e}");
    ok(
        &t,
        &maker,
        "attach_content",
        json!({"campaign_id": a, "asset_id": "ast_cafe_search", "channels": ["google_ads"]}),
    )
    .await;
    let gate = resource(&t, &checker, &format!("ads://campaigns/{a}/approval")).await;
    assert_eq!(gate["creatives_ready"], true, "{label}: {gate}");
    let approved = ok(
        &t,
        &checker,
        "approve_campaign",
        json!({"campaign_id": a, "note": "ok"}),
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert!(approved["waivers"].is_null(), "{approved}");

    // Launch cli_a: its own Meta account and page, its own Google customer
    // under its manager; its Google token, refused mid-run, is refreshed.
    let before = fakes.seen().len();
    let l = ok(
        &t,
        &launcher,
        "launch_campaign",
        json!({"campaign_id": a, "idempotency_key": "a-1"}),
    )
    .await;
    assert_eq!(l["status"], "active", "{label}: {l}");
    for ch in ["meta", "google_ads"] {
        let o = by_channel(&l, ch);
        assert_eq!(
            (o["outcome"].as_str(), o["sandbox"].as_bool()),
            (Some("launched"), Some(false)),
            "{o}"
        );
        assert!(
            o["connection_id"].as_str().unwrap().starts_with("con_"),
            "{o}"
        );
    }
    let sent = fakes.since(before);
    let meta_calls: Vec<&Seen> = sent
        .iter()
        .filter(|s| s.path.starts_with("/v25.0/"))
        .collect();
    assert_eq!(
        (meta_calls[0].method.as_str(), meta_calls[0].path.as_str()),
        ("GET", "/v25.0/act_70707071"),
        "{label}: the account's currency and status first"
    );
    for object in ["campaigns", "adsets", "ads"] {
        assert!(
            meta_calls
                .iter()
                .any(|s| s.path == format!("/v25.0/act_70707071/{object}")),
            "{label}: {object}: {meta_calls:?}"
        );
    }
    assert!(
        meta_calls
            .iter()
            .any(|s| s.path == "/v25.0/act_70707071/adcreatives"
                && form(&s.body)["object_story_spec"].contains("\"page_id\":\"70707072\"")
                && form(&s.body)["object_story_spec"].contains("Café de origen, tostado")),
        "{label}: {meta_calls:?}"
    );
    assert!(
        meta_calls
            .iter()
            .all(|s| s.auth == "Bearer meta-a-secret-token"),
        "{meta_calls:?}"
    );
    let google_calls: Vec<&Seen> = sent
        .iter()
        .filter(|s| s.path.starts_with("/v26/"))
        .collect();
    assert!(
        google_calls
            .iter()
            .all(|s| s.path.starts_with("/v26/customers/7070707070/") && s.login == "7171717171"),
        "{google_calls:?}"
    );
    assert!(
        google_calls
            .iter()
            .any(|s| s.path == "/v26/customers/7070707070/adGroupAds:mutate"
                && s.body.contains("Tostado esta semana")),
        "{label}: the search ad carries cli_a's approved copy: {google_calls:?}"
    );
    assert_eq!(
        fakes.issued("1//refresh-a-secret"),
        ["ya29.a-1", "ya29.a-2"],
        "{label}: refreshed mid-run"
    );
    let steps: Vec<(&str, &str)> = google_calls
        .iter()
        .map(|s| {
            (
                s.auth.as_str(),
                s.path.rsplit('/').next().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("Bearer ya29.a-1", "googleAds:search"),
            ("Bearer ya29.a-1", "campaignBudgets:mutate"),
            ("Bearer ya29.a-2", "campaignBudgets:mutate"),
            ("Bearer ya29.a-2", "campaigns:mutate"),
            ("Bearer ya29.a-2", "adGroups:mutate"),
            ("Bearer ya29.a-2", "adGroupAds:mutate"),
            ("Bearer ya29.a-2", "adGroupCriteria:mutate"),
            ("Bearer ya29.a-2", "campaignCriteria:mutate"),
            ("Bearer ya29.a-2", "googleAds:mutate"),
        ],
        "{label}: currency, budget (refused), budget again … enable"
    );
    for s in &sent {
        for other in [
            "80808081",
            "80808082",
            "8080808080",
            "meta-b",
            "90909091",
            "ya29.b",
        ] {
            assert!(
                !s.path.contains(other) && !s.body.contains(other) && !s.auth.contains(other),
                "{label}: {s:?}"
            );
        }
    }

    // cli_b: a draft is no creative, nor another client's copy; once its
    // post is approved and attached with its search copy it goes, through
    // cli_b's own accounts.
    let b = ok(
        &t,
        &maker,
        "create_campaign",
        campaign("Sonrisa B", "cli_b", 300_000_000, "COP"),
    )
    .await;
    let b = b["id"].as_str().unwrap().to_owned();
    let e = err(
        &t,
        &maker,
        "attach_content",
        json!({"campaign_id": b, "asset_id": "ast_smile", "channels": ["meta"]}),
    )
    .await;
    assert!(e.contains("draft, not approved"), "{label}: {e}");
    let e = err(
        &t,
        &maker,
        "attach_content",
        json!({"campaign_id": b, "asset_id": "ast_cafe", "channels": ["meta"]}),
    )
    .await;
    assert!(e.contains("belongs to client cli_a"), "{label}: {e}");
    ok(&t, &maker, "submit_for_approval", json!({"campaign_id": b})).await;
    let e = err(&t, &checker, "approve_campaign", json!({"campaign_id": b})).await;
    assert!(
        e.contains("meta: no creative attached") && e.contains("google_ads: no creative attached"),
        "{label}: {e}"
    );
    set_asset_status(backend, "ast_smile", "approved").await;
    for (asset, channel) in [("ast_smile", "meta"), ("ast_smile_search", "google_ads")] {
        ok(
            &t,
            &maker,
            "attach_content",
            json!({"campaign_id": b, "asset_id": asset, "channels": [channel]}),
        )
        .await;
    }
    let v = ok(&t, &checker, "approve_campaign", json!({"campaign_id": b})).await;
    assert_eq!(v["budget_plan"]["total"], "3.000.000 COP", "{label}");
    assert_eq!(v["budget_plan"]["decimals"], 0);
    assert!(v["caps"]["plan"].as_str().unwrap().contains("Basic"), "{v}");
    let before = fakes.seen().len();
    let l = ok(
        &t,
        &launcher,
        "launch_campaign",
        json!({"campaign_id": b, "idempotency_key": "b-1"}),
    )
    .await;
    assert_eq!(l["status"], "active", "{label}: {l}");
    let sent = fakes.since(before);
    assert!(
        sent.iter()
            .any(|s| s.path == "/v25.0/act_80808081/adcreatives"
                && form(&s.body)["object_story_spec"].contains("\"page_id\":\"80808082\""))
    );
    assert!(sent.iter().any(|s| s.path == "/v25.0/act_80808081/ads"));
    // 3,000,000 COP over two channels and ten days: Meta counts pesos whole.
    assert!(
        sent.iter().any(|s| s.path == "/v25.0/act_80808081/adsets"
            && form(&s.body)
                .get("daily_budget")
                .is_some_and(|b| b.parse::<i64>().is_ok_and(|n| (1..=300_000).contains(&n)))),
        "{label}: {sent:?}"
    );
    assert!(
        sent.iter()
            .filter(|s| s.path.starts_with("/v25.0/"))
            .all(|s| s.auth == "Bearer meta-b-secret-token")
    );
    let google_b: Vec<&Seen> = sent
        .iter()
        .filter(|s| s.path.starts_with("/v26/"))
        .collect();
    assert!(
        google_b
            .iter()
            .any(|s| s.path.ends_with("/googleAds:mutate")),
        "{google_b:?}"
    );
    assert!(
        google_b
            .iter()
            .all(|s| s.path.starts_with("/v26/customers/8080808080/") && s.login.is_empty()),
        "{google_b:?}"
    );
    // Its token served the connection test once and "expired": refreshed.
    assert_eq!(
        fakes.issued("1//refresh-b-secret"),
        ["ya29.b-1", "ya29.b-2"],
        "{label}"
    );
    for s in &sent {
        for other in [
            "70707071",
            "70707072",
            "7070707070",
            "7171717171",
            "meta-a",
            "90909091",
            "ya29.a",
        ] {
            assert!(
                !s.path.contains(other) && !s.body.contains(other) && !s.auth.contains(other),
                "{label}: {s:?}"
            );
        }
    }

    // cli_b's plan allows one active campaign: a second is refused with
    // the numbers, and nothing reaches a platform.
    let b2 = ok(
        &t,
        &maker,
        "create_campaign",
        campaign("Sonrisa B2", "cli_b", 1_000_000, "COP"),
    )
    .await;
    let b2 = b2["id"].as_str().unwrap().to_owned();
    ok(
        &t,
        &maker,
        "submit_for_approval",
        json!({"campaign_id": b2}),
    )
    .await;
    for (asset, channel) in [("ast_smile", "meta"), ("ast_smile_search", "google_ads")] {
        ok(
            &t,
            &maker,
            "attach_content",
            json!({"campaign_id": b2, "asset_id": asset, "channels": [channel]}),
        )
        .await;
    }
    ok(&t, &checker, "approve_campaign", json!({"campaign_id": b2})).await;
    let before = fakes.seen().len();
    let e = err(
        &t,
        &launcher,
        "launch_campaign",
        json!({"campaign_id": b2, "idempotency_key": "b2-1"}),
    )
    .await;
    assert!(
        e.contains("quota exceeded: active campaigns for client cli_b (plan Basic): 1 used + 1 requested > limit 1"),
        "{label}: {e}"
    );
    assert_eq!(fakes.seen().len(), before, "{label}: nothing sent");
    let u = ok(&t, &maker, "usage", json!({"client_id": "cli_b"})).await;
    assert_eq!(u["plan"], "ads_basic");
    assert_eq!(u["time_zone"], "America/Bogota");
    assert_eq!(
        (
            u["lines"][0]["used"].as_i64(),
            u["lines"][0]["limit"].as_i64()
        ),
        (Some(1), Some(1)),
        "{u}"
    );
    let spend = &u["lines"][1];
    assert_eq!(
        (spend["kind"].as_str(), spend["currency"].as_str()),
        (Some("monthly_ad_spend"), Some("COP")),
        "{u}"
    );
    assert_eq!(spend["limit"], 500_000_000);
    let r = resource(&t, &maker, "ads://usage/cli_b").await;
    assert_eq!(r["lines"], u["lines"]);

    // cli_c has no connection: the environment's account. Its approved
    // copy loses its approval after the campaign's: the launch refuses.
    asset(backend, "ast_tools", "cli_c", "approved").await;
    let c = ok(
        &t,
        &maker,
        "create_campaign",
        campaign("Central C", "cli_c", 600_000, "USD"),
    )
    .await;
    let c = c["id"].as_str().unwrap().to_owned();
    ok(
        &t,
        &maker,
        "attach_content",
        json!({"campaign_id": c, "asset_id": "ast_tools", "channels": ["meta"]}),
    )
    .await;
    ok(&t, &maker, "submit_for_approval", json!({"campaign_id": c})).await;
    // Its Google runs in the sandboxes (no account): a waiver is enough
    // there, recorded with the approval.
    let approved = ok(
        &t,
        &checker,
        "approve_campaign",
        json!({"campaign_id": c, "note": "ok", "waivers": [{"channel": "google_ads", "note": "search ads use the keyword copy approved by the client by email"}]}),
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["waivers"][0]["channel"], "google_ads");
    assert!(
        approved["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "waive_creative"
                && e["note"]
                    .as_str()
                    .unwrap()
                    .starts_with("google_ads: search ads")),
        "{approved}"
    );
    set_asset_status(backend, "ast_tools", "draft").await;
    let before = fakes.seen().len();
    let e = err(
        &t,
        &launcher,
        "launch_campaign",
        json!({"campaign_id": c, "idempotency_key": "c-1"}),
    )
    .await;
    assert!(
        e.contains("cannot launch") && e.contains("meta: asset ast_tools is draft, not approved"),
        "{label}: {e}"
    );
    assert_eq!(fakes.seen().len(), before, "{label}: nothing sent");
    let v = ok(&t, &maker, "get_campaign", json!({"campaign_id": c})).await;
    assert_eq!(v["status"], "approved", "{label}");
    set_asset_status(backend, "ast_tools", "approved").await;
    let l = ok(
        &t,
        &launcher,
        "launch_campaign",
        json!({"campaign_id": c, "idempotency_key": "c-2"}),
    )
    .await;
    assert_eq!(l["status"], "active", "{label}: {l}");
    assert_eq!(by_channel(&l, "google_ads")["sandbox"], true, "{l}");
    assert!(by_channel(&l, "meta")["connection_id"].is_null(), "{l}");
    let sent = fakes.since(before);
    assert!(
        sent.iter()
            .any(|s| s.path == "/v25.0/act_90909091/campaigns")
    );
    assert!(
        sent.iter()
            .any(|s| s.path == "/v25.0/act_90909091/adcreatives"
                && form(&s.body)["object_story_spec"].contains("\"page_id\":\"90909092\"")),
        "{label}: the environment's Page: {sent:?}"
    );
    assert!(
        sent.iter()
            .all(|s| s.auth == "Bearer meta-env-secret-token"),
        "{sent:?}"
    );

    // Pause and metrics of cli_a go back through cli_a's accounts.
    let before = fakes.seen().len();
    ok(&t, &launcher, "pause_campaign", json!({"campaign_id": a})).await;
    ok(
        &t,
        &maker,
        "get_campaign_performance",
        json!({"campaign_id": a}),
    )
    .await;
    let sent = fakes.since(before);
    assert!(
        sent.iter().any(|s| s.method == "POST"
            && s.path == "/v25.0/7070707101"
            && s.body.contains("PAUSED")),
        "{sent:?}"
    );
    assert!(sent.iter().any(
        |s| s.path == "/v26/customers/7070707070/campaigns:mutate" && s.body.contains("PAUSED")
    ));
    for s in sent.iter().filter(|s| s.path.starts_with("/v25.0/")) {
        assert_eq!(s.auth, "Bearer meta-a-secret-token", "{s:?}");
    }

    // No secret in any answer, the database or the log.
    let said = t.text();
    for secret in SECRETS {
        assert!(!said.contains(secret), "{label}: {secret} in a tool answer");
    }
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &ads_read::SCHEMA).await.unwrap();
    let sealed: Vec<String> = sqlx::query_scalar("SELECT credentials FROM connections ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(sealed.len(), 4);
    for s in &sealed {
        assert!(s.starts_with("v2:"), "{label}: sealed: {s}");
        assert!(SECRETS.iter().all(|x| !s.contains(x)));
    }
    db.close().await;
    for c in [admin, maker, checker, launcher] {
        c.cancel().await.unwrap();
    }
    server.terminate().await;
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("connection set"),
        "{label}: the log is written"
    );
    for secret in SECRETS {
        assert!(!logged.contains(secret), "{label}: {secret} in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_through_its_own_accounts_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        clients(&backend).await;
    }
}
