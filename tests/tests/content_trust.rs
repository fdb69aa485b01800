//! Least privilege in mcp-content, against the built binary: every tool
//! without its scope is refused and changes nothing (checked in SQL), with
//! it works — over streamable HTTP with real signed tokens in both protocol
//! eras and over stdio with the local actor's scopes; four eyes on assets
//! (self-approval and edit-then-approve refused, a third person approves);
//! and outbound calls with limits: a slow or oversized image endpoint is a
//! clear error within the timeout and stores nothing, and no key or URL
//! leaks into errors or logs when the LLM or image endpoint fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use promptsales_shared::db::Db;
use promptsales_tests::{Backend, Era, HttpServer, command, stdio_client_env, tokens};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{Peer, RoleClient, serve_client_with_lifecycle};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

type Client = Peer<RoleClient>;

const READ: &str = "content:read";
const WRITE: &str = "content:write";
const APPROVE: &str = "content:approve";
const ADMIN: &str = "admin";
const ALL: [&str; 4] = [READ, WRITE, APPROVE, ADMIN];

async fn call(client: &Client, tool: &str, args: &Value) -> Result<CallToolResult, String> {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .map_err(|e| e.to_string())
}

async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = call(client, tool, &args).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{tool}: {:?}", r.content);
    r.structured_content.unwrap()
}

async fn err(client: &Client, tool: &str, args: Value) -> String {
    let r = call(client, tool, &args).await.unwrap();
    assert_eq!(r.is_error, Some(true), "{tool} should fail: {r:?}");
    format!("{:?}", r.content)
}

/// A refused call: over a 2026-07-28 HTTP session the gate answers 403
/// before dispatch (a transport error here); otherwise an `isError` result
/// naming the scope.
async fn refused(client: &Client, tool: &str, args: &Value, scope: &str, before_dispatch: bool) {
    match call(client, tool, args).await {
        Err(e) if before_dispatch => {
            assert!(
                // The gate's 403 `insufficient_scope`, as the client reports it.
                e.to_lowercase().contains("insufficient scope"),
                "{tool}: {e}"
            );
        }
        Ok(r) if !before_dispatch && r.is_error == Some(true) => {
            let text = format!("{:?}", r.content);
            assert!(
                text.contains("permission denied") && text.contains(&format!("`{scope}`")),
                "{tool}: {text}"
            );
        }
        other => panic!("{tool} without {scope} should be refused: {other:?}"),
    }
}

fn brief(channels: &[&str]) -> Value {
    json!({
        "client_id": "cli_001",
        "product": "Andes Cold Brew",
        "benefit": "start the day with a smoother cup",
        "offer": "20% off your first order",
        "audience": "home baristas",
        "channels": channels,
        "language": "en",
        "keywords": ["cold brew coffee"],
        "url": "https://andes.example/coldbrew",
        "variants": 1,
    })
}

/// The content database as the server left it, row by row: what "nothing
/// changed" is checked against.
struct Content {
    db: Db,
}

impl Content {
    async fn open(backend: &Backend) -> Self {
        let cfg = backend.common_args().resolve().unwrap();
        Content {
            db: Db::open_unmigrated(&cfg.db, "content").await.unwrap(),
        }
    }

    async fn rows(&self, sql: &'static str) -> Vec<String> {
        sqlx::query_scalar(sql)
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    /// Every asset, version and brand row, with the columns tools change.
    async fn fingerprint(&self) -> Vec<String> {
        let mut v = self
            .rows(
                "SELECT id || '|' || CAST(version AS TEXT) || '|' || status || '|' || body || '|' \
                 || COALESCE(licence, '') || '|' || COALESCE(decided_by, '') || '|' || updated_at \
                 FROM content_assets ORDER BY id",
            )
            .await;
        v.extend(
            self.rows(
                "SELECT asset_id || '|' || CAST(version AS TEXT) || '|' || status || '|' \
                 || COALESCE(created_by, '') FROM content_asset_versions ORDER BY asset_id, version",
            )
            .await,
        );
        v.extend(
            self.rows(
                "SELECT client_id || '|' || voice || '|' || updated_at \
                 FROM content_brand_guidelines ORDER BY client_id",
            )
            .await,
        );
        // Plan usage too: a refused generation charges nothing.
        v.extend(
            self.rows(
                "SELECT client_id || '|' || period || '|' || kind || '|' || CAST(used AS TEXT) \
                 FROM content_usage ORDER BY client_id, period, kind",
            )
            .await,
        );
        v
    }

    /// The status and decider of one asset.
    async fn decision(&self, id: &str) -> (String, Option<String>) {
        sqlx::query_as("SELECT status, decided_by FROM content_assets WHERE id = $1")
            .bind(id.to_owned())
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    async fn count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM content_assets")
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

/// The assets every tool of the matrix acts on, written by ana.
struct Fixtures {
    revise: String,
    archive: String,
    approve: String,
    reject: String,
    web: String,
}

/// The asset id of a generation's variant for `channel`.
fn asset_of(g: &Value, channel: &str) -> String {
    g["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["channel"] == channel)
        .unwrap()["asset_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn fixtures(ana: &Client) -> Fixtures {
    let g = ok(
        ana,
        "generate_content",
        brief(&["sms", "x", "email", "meta", "web"]),
    )
    .await;
    let id = |channel: &str| asset_of(&g, channel);
    Fixtures {
        revise: id("sms"),
        archive: id("x"),
        approve: id("email"),
        reject: id("meta"),
        web: id("web"),
    }
}

/// Every tool of the server, the scope it needs, and arguments that work
/// for a caller other than the fixtures' author.
fn matrix(f: &Fixtures) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("generate_content", WRITE, brief(&["x"])),
        (
            "generate_visual_brief",
            WRITE,
            json!({"client_id": "cli_001", "product": "Andes Cold Brew", "channels": ["instagram"],
                   "language": "en"}),
        ),
        (
            "score_content",
            READ,
            json!({"text": "Cold brew for home baristas.", "language": "en", "channel": "x"}),
        ),
        (
            "optimize_for_search",
            READ,
            json!({"asset_id": f.web, "keywords": ["cold brew coffee"]}),
        ),
        (
            "set_brand_guidelines",
            WRITE,
            json!({"client_id": "cli_001", "voice": "warm", "banned_words": ["cheap"],
                   "required_disclaimers": [], "preferred_terms": []}),
        ),
        (
            "get_brand_guidelines",
            READ,
            json!({"client_id": "cli_001"}),
        ),
        ("list_assets", READ, json!({"client_id": "cli_001"})),
        ("get_asset", READ, json!({"asset_id": f.web})),
        ("list_asset_versions", READ, json!({"asset_id": f.web})),
        (
            "check_asset_usability",
            READ,
            json!({"asset_id": f.web, "channel": "web"}),
        ),
        (
            "revise_asset",
            WRITE,
            json!({"asset_id": f.revise, "expected_version": 1,
                   "body": "Andes Cold Brew: 20% off. Shop now: https://andes.example/coldbrew Reply STOP to opt out"}),
        ),
        ("archive_asset", WRITE, json!({"asset_id": f.archive})),
        (
            "set_usage_rights",
            WRITE,
            json!({"asset_id": f.web, "rights": {"licence": "LIC-1", "owner": "Andes",
                   "allowed_channels": ["web"]}}),
        ),
        (
            "approve_asset",
            APPROVE,
            json!({"asset_id": f.approve, "note": "ok"}),
        ),
        (
            "reject_asset",
            APPROVE,
            json!({"asset_id": f.reject, "note": "off brand"}),
        ),
        ("usage", READ, json!({"client_id": "cli_001"})),
        ("audit_query", ADMIN, json!({"limit": 5})),
    ]
}

/// Every scope but `scope`.
fn all_but(scope: &str) -> Vec<&'static str> {
    ALL.into_iter().filter(|s| *s != scope).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_content_tool_needs_its_scope_over_http_with_signed_tokens() {
    for backend in Backend::all() {
        let label = backend.label;
        let srv = HttpServer::start_env("mcp-content", &backend, &[], &tokens::env()).await;
        let ana = srv
            .client_with_token(
                Era::Initialize,
                &tokens::mint("ana", "default", &[READ, WRITE]),
            )
            .await;
        let f = fixtures(&ana).await;
        ana.cancel().await.unwrap();
        let content = Content::open(&backend).await;
        let listed = {
            let c = srv
                .client_with_token(Era::Initialize, &tokens::mint("checker", "default", &ALL))
                .await;
            let tools = c.list_all_tools().await.unwrap();
            c.cancel().await.unwrap();
            let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
            names.sort();
            // Each tool publishes the scope the matrix expects.
            for (tool, scope, _) in matrix(&f) {
                let t = tools.iter().find(|t| t.name == tool).unwrap();
                assert_eq!(
                    t.meta.as_ref().unwrap().0["promptsales/scope"],
                    json!(scope),
                    "{tool}"
                );
            }
            names
        };
        let mut expected: Vec<String> =
            matrix(&f).iter().map(|(t, _, _)| (*t).to_owned()).collect();
        expected.sort();
        assert_eq!(listed, expected, "the matrix covers every tool");

        for (tool, scope, args) in matrix(&f) {
            // Without its scope (every other one held): refused in both
            // eras, and not one row changed.
            let token = tokens::mint("nobody", "default", &all_but(scope));
            let before = content.fingerprint().await;
            for era in Era::ALL {
                let c = srv.client_with_token(era, &token).await;
                refused(&c, tool, &args, scope, era == Era::Stateless).await;
                c.cancel().await.unwrap();
            }
            assert_eq!(
                content.fingerprint().await,
                before,
                "{label}: {tool} without {scope} changed nothing"
            );
            // With only its scope: it works.
            let token = tokens::mint("checker", "default", &[scope]);
            let c = srv.client_with_token(Era::Stateless, &token).await;
            ok(&c, tool, args).await;
            c.cancel().await.unwrap();
        }
        assert_eq!(
            content.decision(&f.approve).await,
            ("approved".into(), Some("checker".into()))
        );
        assert_eq!(content.decision(&f.reject).await.0, "rejected");
        assert_eq!(content.decision(&f.archive).await.0, "archived");
        content.db.close().await;
        assert!(srv.terminate().await.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_content_tool_needs_its_scope_over_stdio() {
    for backend in Backend::all() {
        let label = backend.label;
        let stdio = |actor: &'static str, scopes: String| {
            let backend = &backend;
            async move {
                stdio_client_env(
                    "mcp-content",
                    backend,
                    &[],
                    &[
                        ("PROMPTSALES_ACTOR", actor),
                        ("PROMPTSALES_SCOPES", scopes.as_str()),
                    ],
                    Era::Initialize,
                )
                .await
            }
        };
        let ana = stdio("ana", format!("{READ},{WRITE}")).await;
        let f = fixtures(&ana).await;
        ana.cancel().await.unwrap();
        let content = Content::open(&backend).await;
        let mut missing = Vec::new();
        for scope in ALL {
            missing.push((scope, stdio("nobody", all_but(scope).join(",")).await));
        }
        for (tool, scope, args) in matrix(&f) {
            let before = content.fingerprint().await;
            let (_, c) = missing.iter().find(|(s, _)| *s == scope).unwrap();
            refused(c, tool, &args, scope, false).await;
            assert_eq!(
                content.fingerprint().await,
                before,
                "{label}: {tool} without {scope} over stdio changed nothing"
            );
        }
        for (_, c) in missing {
            c.cancel().await.unwrap();
        }
        // With every scope (the local actor is not the fixtures' author).
        let checker = stdio("checker", ALL.join(",")).await;
        for (tool, _, args) in matrix(&f) {
            ok(&checker, tool, args).await;
        }
        checker.cancel().await.unwrap();
        assert_eq!(
            content.decision(&f.approve).await,
            ("approved".into(), Some("checker".into()))
        );
        // Unset, the local actor holds every read and write, nothing privileged.
        let plain = stdio_client_env("mcp-content", &backend, &[], &[], Era::Initialize).await;
        ok(&plain, "list_assets", json!({})).await;
        let e = err(
            &plain,
            "approve_asset",
            json!({"asset_id": f.reject, "note": "x"}),
        )
        .await;
        assert!(e.contains("content:approve"), "{e}");
        plain.cancel().await.unwrap();
        content.db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_refuse_self_approval_and_edit_then_approve() {
    for backend in Backend::all() {
        let srv = HttpServer::start_env("mcp-content", &backend, &[], &tokens::env()).await;
        let content = Content::open(&backend).await;
        let every = [READ, WRITE, APPROVE];
        for era in Era::ALL {
            let ana = srv
                .client_with_token(era, &tokens::mint("ana", "default", &every))
                .await;
            let maria = srv
                .client_with_token(era, &tokens::mint("maria", "default", &every))
                .await;
            let bob = srv
                .client_with_token(era, &tokens::mint("bob", "default", &[READ, APPROVE]))
                .await;
            let g = ok(&ana, "generate_content", brief(&["sms", "x"])).await;
            let sms = asset_of(&g, "sms");
            let x = asset_of(&g, "x");

            // Self-approval (and self-rejection) refused, nothing changed.
            let e = err(&ana, "approve_asset", json!({"asset_id": sms})).await;
            assert!(
                e.contains("ana created it") && e.contains("four eyes"),
                "{e}"
            );
            let e = err(&ana, "reject_asset", json!({"asset_id": x, "note": "no"})).await;
            assert!(e.contains("ana created it"), "{e}");
            assert_eq!(content.decision(&sms).await, ("draft".into(), None));

            // Edit, then approve: the last editor may not approve either.
            let r = ok(
                &maria,
                "revise_asset",
                json!({"asset_id": sms, "expected_version": 1,
                       "body": "Andes Cold Brew: 20% off. Shop now: https://andes.example/coldbrew Reply STOP to opt out"}),
            )
            .await;
            assert_eq!(
                (r["created_by"].clone(), r["edited_by"].clone()),
                (json!("ana"), json!("maria"))
            );
            let e = err(
                &maria,
                "approve_asset",
                json!({"asset_id": sms, "note": "mine now"}),
            )
            .await;
            assert!(
                e.contains("maria wrote its current version") && e.contains("version 2"),
                "{e}"
            );
            // …nor the creator, after someone else's edit.
            let e = err(&ana, "approve_asset", json!({"asset_id": sms})).await;
            assert!(e.contains("ana created it"), "{e}");
            assert_eq!(content.decision(&sms).await, ("draft".into(), None));

            // A different approver works, and is recorded.
            let a = ok(
                &bob,
                "approve_asset",
                json!({"asset_id": sms, "note": "legal ok"}),
            )
            .await;
            assert_eq!(a["status"], "approved");
            assert_eq!(a["decision"]["by"], "bob");
            assert_eq!(
                content.decision(&sms).await,
                ("approved".into(), Some("bob".into()))
            );
            // Maria, who did not write x, may decide on it.
            ok(
                &maria,
                "reject_asset",
                json!({"asset_id": x, "note": "off brand"}),
            )
            .await;
            for c in [ana, maria, bob] {
                c.cancel().await.unwrap();
            }
        }
        // Over stdio the local actor is the person.
        let ana = stdio_client_env(
            "mcp-content",
            &backend,
            &[],
            &[
                ("PROMPTSALES_ACTOR", "ana"),
                (
                    "PROMPTSALES_SCOPES",
                    "content:read,content:write,content:approve",
                ),
            ],
            Era::Initialize,
        )
        .await;
        let g = ok(&ana, "generate_content", brief(&["x"])).await;
        let id = g["variants"][0]["asset_id"].as_str().unwrap().to_owned();
        let e = err(&ana, "approve_asset", json!({"asset_id": id})).await;
        assert!(e.contains("ana created it"), "{e}");
        ana.cancel().await.unwrap();
        assert_eq!(content.decision(&id).await, ("draft".into(), None));
        content.db.close().await;
        assert!(srv.terminate().await.success());
    }
}

const KEY: &str = "sk-trust-secret-key";

/// Reads one HTTP request (head and body) and returns its path.
async fn read_request(s: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    head.split_whitespace().nth(1).map(str::to_owned)
}

/// A fake OpenAI-compatible server: `/slow/…` answers after a minute,
/// `/big/…` streams megabytes of base64 without a Content-Length, `/fail/…`
/// answers 500 quoting the key.
async fn fake_endpoints() -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Some(path) = read_request(&mut s).await else {
                    return;
                };
                let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
                if path.starts_with("/slow/") {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    let _ = s.write_all(ok.as_bytes()).await;
                    let _ = s.write_all(b"{\"data\": []}").await;
                } else if path.starts_with("/big/") {
                    let _ = s.write_all(ok.as_bytes()).await;
                    let _ = s
                        .write_all(br#"{"created": 1, "data": [{"b64_json": ""#)
                        .await;
                    let piece = vec![b'A'; 64 * 1024];
                    for _ in 0..128 {
                        if s.write_all(&piece).await.is_err() {
                            return;
                        }
                    }
                    let _ = s.write_all(br#""}]}"#).await;
                } else {
                    let body = json!({"error": {
                        "message": format!("upstream broke; your key {KEY} is fine"),
                        "code": "server_error"}})
                    .to_string();
                    let head = format!(
                        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(body.as_bytes()).await;
                }
                let _ = s.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// mcp-content over stdio with its stderr kept, to read its log after.
async fn with_log(
    backend: &Backend,
    envs: &[(&str, &str)],
) -> (
    rmcp::service::RunningService<RoleClient, ()>,
    tokio::process::ChildStderr,
) {
    let cmd = command("mcp-content", backend).configure(|c| {
        c.envs(envs.iter().copied());
    });
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = serve_client_with_lifecycle((), transport, rmcp::ClientLifecycleMode::Initialize)
        .await
        .unwrap();
    (client, stderr.unwrap())
}

async fn log_of(
    client: rmcp::service::RunningService<RoleClient, ()>,
    mut stderr: tokio::process::ChildStderr,
) -> String {
    client.cancel().await.unwrap();
    let mut log = String::new();
    tokio::time::timeout(Duration::from_secs(10), stderr.read_to_string(&mut log))
        .await
        .unwrap()
        .unwrap();
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_or_oversized_image_endpoints_fail_clearly_within_the_timeout_and_store_nothing() {
    let base = fake_endpoints().await;
    let backend = Backend::sqlite();
    let content = Content::open(&backend).await;
    let images_dir = backend.dir.path().join("content").join("images");
    let visual = json!({"client_id": "cli_001", "product": "Andes Cold Brew",
                        "channels": ["instagram", "meta"], "language": "en", "generate_images": true});
    for (route, expect) in [
        ("slow", "did not answer within 2 s"),
        ("big", "more than 4 KiB"),
        ("fail", "answered 500"),
    ] {
        let url = format!("{base}/{route}/v1");
        let (client, stderr) = with_log(
            &backend,
            &[
                ("PROMPTSALES_IMAGE_BASE_URL", url.as_str()),
                ("PROMPTSALES_IMAGE_API_KEY", KEY),
                ("PROMPTSALES_IMAGE_TIMEOUT_SECS", "2"),
                ("PROMPTSALES_IMAGE_MAX_BYTES", "4096"),
            ],
        )
        .await;
        let before = content.count().await;
        let started = Instant::now();
        let e = err(&client, "generate_visual_brief", visual.clone()).await;
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "{route}: {took:?}");
        assert!(
            e.contains("the image endpoint") && e.contains(expect),
            "{route}: {e}"
        );
        assert!(!e.contains(KEY) && !e.contains("127.0.0.1"), "{route}: {e}");
        // Nothing stored: no asset row, no file.
        assert_eq!(content.count().await, before, "{route}");
        assert!(!images_dir.exists(), "{route}: no image file written");
        let log = log_of(client, stderr).await;
        assert!(
            log.contains("image"),
            "{route}: the failure is logged: {log}"
        );
        assert!(!log.contains(KEY) && !log.contains(&url), "{route}: {log}");
    }
    content.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_llm_endpoint_falls_back_without_leaking_its_key_or_url() {
    let base = fake_endpoints().await;
    let backend = Backend::sqlite();
    for route in ["fail"] {
        let url = format!("{base}/{route}/v1");
        let (client, stderr) = with_log(
            &backend,
            &[
                ("PROMPTSALES_LLM_BASE_URL", url.as_str()),
                ("PROMPTSALES_LLM_API_KEY", KEY),
            ],
        )
        .await;
        let g = ok(&client, "generate_content", brief(&["x"])).await;
        assert_eq!(g["engine"], "offline", "{g}");
        let notes = g["notes"].to_string();
        assert!(
            notes.contains("LLM engine failed") && notes.contains("answered 500"),
            "{notes}"
        );
        assert!(
            !notes.contains(KEY) && !notes.contains("127.0.0.1"),
            "{notes}"
        );
        let log = log_of(client, stderr).await;
        assert!(
            log.contains("server_error"),
            "the error code is logged: {log}"
        );
        assert!(!log.contains(KEY) && !log.contains(&url), "{log}");
    }
}
