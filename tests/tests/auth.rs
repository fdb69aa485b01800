//! OAuth on streamable HTTP, for every server: bearer tokens verified by the
//! shared launcher with strict claims (issuer, audience, tenant), refusals
//! with `WWW-Authenticate`, the protected-resource metadata, a tool whose
//! scope the token lacks refused before dispatch with 403
//! `insufficient_scope`, the token's subject in the audit log, and no
//! unauthenticated public bind or audience-less authentication.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use promptsales_server::auth::{Mint, mint_hs256};
use promptsales_shared::db::Db;
use promptsales_tests::{Backend, Era, HttpServer, SERVERS, command, tokens};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

/// Every server binary with the arguments that make it serve MCP.
fn every_server() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut v: Vec<(&str, Vec<&str>)> = SERVERS.iter().map(|s| (*s, vec![])).collect();
    v.push(("promptsales", vec!["mcp"]));
    v
}

/// A read-only tool of each server, its scope, and a privileged tool the
/// read scope does not open, with that tool's scope.
fn probes(server: &str) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    match server {
        "mcp-ads" => (
            ("list_campaigns", "ads:read"),
            ("launch_campaign", "ads:launch"),
        ),
        "mcp-crm" => (
            ("search_leads", "crm:read"),
            ("gdpr_erase_lead", "crm:gdpr"),
        ),
        "mcp-content" => (
            ("list_assets", "content:read"),
            ("approve_asset", "content:approve"),
        ),
        "mcp-analytics" => (
            ("list_clients", "analytics:read"),
            ("sync", "analytics:write"),
        ),
        "promptsales" => (
            ("list_runs", "orchestrator:read"),
            ("run_pipeline", "orchestrator:run"),
        ),
        other => panic!("unknown server {other}"),
    }
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"}}})
}

async fn post(server: &HttpServer, auth: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .json(&initialize());
    if let Some(a) = auth {
        req = req.header("authorization", format!("Bearer {a}"));
    }
    req.send().await.unwrap()
}

/// A 2026-07-28 `tools/call`, with the standard headers that name the tool.
async fn call_2026(server: &HttpServer, token: &str, tool: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"))
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": tool, "arguments": {}}}))
        .send()
        .await
        .unwrap()
}

fn good<'a>(scopes: &'a [&'a str]) -> Mint<'a> {
    Mint {
        issuer: tokens::ISSUER,
        audience: tokens::AUDIENCE,
        subject: "ana@agency.example",
        tenant: Some("acme"),
        scopes,
        ttl_secs: 300,
    }
}

/// An RSA key pair in PEM from openssl: (private, public).
fn rsa_pair(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let private = dir.join("rsa.pem");
    let public = dir.join("rsa.pub.pem");
    let ok = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&private)
        .arg("2048")
        .output()
        .unwrap()
        .status
        .success()
        && std::process::Command::new("openssl")
            .args(["rsa", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(&public)
            .output()
            .unwrap()
            .status
            .success();
    assert!(ok, "openssl could not make a key pair");
    (std::fs::read_to_string(&private).unwrap(), public)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_refuses_every_bad_token_and_checks_scopes_before_dispatch() {
    let backend = Backend::sqlite();
    let mut env = tokens::env();
    env.push(("PROMPTSALES_TENANT", "acme"));
    for (server, args) in every_server() {
        let mut args = args.clone();
        args.extend(["--public-url", "https://mcp.promptsales.test"]);
        let srv = HttpServer::start_env(server, &backend, &args, &env).await;

        // Probes stay open; MCP does not.
        let health = reqwest::get(format!("{}/healthz", srv.base)).await.unwrap();
        assert!(health.status().is_success());
        let missing = post(&srv, None).await;
        assert_eq!(missing.status(), 401, "{server}: no token");
        let challenge = missing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains(
                "resource_metadata=\"https://mcp.promptsales.test/.well-known/oauth-protected-resource\""
            ),
            "{server}: {challenge}"
        );
        let bad: Vec<(&str, String)> = vec![
            (
                "no tenant",
                tokens::mint_with(Mint {
                    tenant: None,
                    ..good(&[])
                }),
            ),
            (
                "foreign audience",
                tokens::mint_with(Mint {
                    audience: "https://other.example/mcp",
                    ..good(&[])
                }),
            ),
            (
                "foreign issuer",
                tokens::mint_with(Mint {
                    issuer: "https://evil.example",
                    ..good(&[])
                }),
            ),
            (
                "expired",
                tokens::mint_with(Mint {
                    ttl_secs: -3600,
                    ..good(&[])
                }),
            ),
            (
                "forged",
                mint_hs256("another-secret-another-secret-another", &good(&[])).unwrap(),
            ),
            (
                "alg none",
                format!(
                    "{}.{}.",
                    b64(r#"{"alg":"none","typ":"JWT"}"#),
                    b64(&format!(
                        r#"{{"sub":"eve","exp":9999999999,"iss":"{}","aud":"{}","tenant":"acme","scope":"admin"}}"#,
                        tokens::ISSUER,
                        tokens::AUDIENCE
                    ))
                ),
            ),
        ];
        for (why, token) in bad {
            let r = post(&srv, Some(&token)).await;
            assert_eq!(r.status(), 401, "{server}: {why}");
            let h = r.headers()["www-authenticate"].to_str().unwrap();
            assert!(h.contains("invalid_token"), "{server}: {why}: {h}");
        }
        let other_tenant = tokens::mint("eve", "globex", &[]);
        assert_eq!(
            post(&srv, Some(&other_tenant)).await.status(),
            403,
            "{server}"
        );

        // The protected-resource metadata advertises the scope model.
        let meta: Value =
            reqwest::get(format!("{}/.well-known/oauth-protected-resource", srv.base))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert_eq!(meta["resource"], "https://mcp.promptsales.test");
        assert!(
            meta["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("crm:gdpr"))
        );

        // A token with only the read scope: the read works in both eras…
        let ((read_tool, read_scope), (priv_tool, priv_scope)) = probes(server);
        let reader = tokens::mint("ana@agency.example", "acme", &[read_scope]);
        for era in Era::ALL {
            let client = srv.client_with_token(era, &reader).await;
            let r = client
                .call_tool(CallToolRequestParams::new(read_tool))
                .await
                .unwrap();
            assert_ne!(r.is_error, Some(true), "{server}.{read_tool}: {r:?}");
            client.cancel().await.unwrap();
        }
        // …and a privileged tool is refused before dispatch, naming its scope.
        let r = call_2026(&srv, &reader, priv_tool).await;
        assert_eq!(r.status(), 403, "{server}.{priv_tool}");
        let h = r.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            h.contains("error=\"insufficient_scope\"")
                && h.contains(&format!("scope=\"{priv_scope}\"")),
            "{server}.{priv_tool}: {h}"
        );
        // Over an `initialize` session (no standard headers) the tool result says so.
        let client = srv.client_with_token(Era::Initialize, &reader).await;
        let r = client
            .call_tool(CallToolRequestParams::new(priv_tool))
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true), "{server}.{priv_tool}");
        let text = r.content[0].as_text().unwrap().text.clone();
        assert!(text.contains(priv_scope), "{server}.{priv_tool}: {text}");
        client.cancel().await.unwrap();
        srv.terminate().await;
    }
}

fn b64(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn an_rsa_server_refuses_hs256_tokens_signed_with_its_public_key() {
    let backend = Backend::sqlite();
    let (private_pem, public_path) = rsa_pair(backend.dir.path());
    let public_pem = std::fs::read_to_string(&public_path).unwrap();
    let public_arg = public_path.display().to_string();
    let srv = HttpServer::start_env(
        "mcp-analytics",
        &backend,
        &[
            "--jwt-public-key-file",
            &public_arg,
            "--public-url",
            "https://mcp.promptsales.test",
        ],
        &[
            ("PROMPTSALES_JWT_ISSUER", tokens::ISSUER),
            ("PROMPTSALES_JWT_AUDIENCE", tokens::AUDIENCE),
            ("PROMPTSALES_TENANT", "acme"),
        ],
    )
    .await;
    let claims = json!({"sub": "ana", "exp": 9_999_999_999u64, "iss": tokens::ISSUER,
                        "aud": tokens::AUDIENCE, "tenant": "acme", "scope": "analytics:read"});
    let rs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(
        post(&srv, Some(&rs)).await.status().is_success(),
        "RS256 works"
    );
    // The classic confusion: HS256 keyed with the server's public key.
    let confused = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    assert_eq!(post(&srv, Some(&confused)).await.status(), 401);
    srv.terminate().await;
}

#[tokio::test]
async fn a_token_subject_is_audited_in_the_servers_own_context() {
    for backend in Backend::all() {
        let mut env = tokens::env();
        env.push(("PROMPTSALES_TENANT", "acme"));
        let server = HttpServer::start_env("mcp-analytics", &backend, &[], &env).await;
        let token = tokens::mint("ana@agency.example", "acme", &["analytics:read"]);
        for era in Era::ALL {
            let client = server.client_with_token(era, &token).await;
            let r = client
                .call_tool(CallToolRequestParams::new("list_clients"))
                .await
                .unwrap();
            assert_ne!(r.is_error, Some(true), "{r:?}");
            client.cancel().await.unwrap();
        }
        server.terminate().await;
        // Each server audits into the database of the context it owns.
        let cfg = backend.common_args().resolve().unwrap();
        let analytics = Db::open_unmigrated(&cfg.db, "analytics").await.unwrap();
        let actors: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor, tenant_id FROM audit_log WHERE server = $1 AND tool = $2",
        )
        .bind("mcp-analytics")
        .bind("list_clients")
        .fetch_all(analytics.pool())
        .await
        .unwrap();
        assert_eq!(actors.len(), 2, "{}", backend.label);
        for (actor, tenant) in actors {
            assert_eq!(actor, "ana@agency.example");
            assert_eq!(tenant, "acme");
        }
    }
}

#[tokio::test]
async fn authentication_without_issuer_or_audience_is_a_start_error() {
    let backend = Backend::sqlite();
    for (missing, env) in [
        (
            "PROMPTSALES_JWT_AUDIENCE",
            vec![
                ("PROMPTSALES_JWT_SECRET", tokens::SECRET),
                ("PROMPTSALES_JWT_ISSUER", tokens::ISSUER),
            ],
        ),
        (
            "PROMPTSALES_JWT_ISSUER",
            vec![
                ("PROMPTSALES_JWT_SECRET", tokens::SECRET),
                ("PROMPTSALES_JWT_AUDIENCE", tokens::AUDIENCE),
            ],
        ),
    ] {
        let out = command("mcp-analytics", &backend)
            .args(["--transport", "http", "--bind", "127.0.0.1:0"])
            .envs(env)
            .output()
            .await
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(missing), "{err}");
    }
}

#[tokio::test]
async fn a_public_bind_without_authentication_is_refused() {
    let backend = Backend::sqlite();
    let out = command("mcp-analytics", &backend)
        .args(["--transport", "http", "--bind", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PROMPTSALES_JWT_SECRET") && err.contains("--allow-unauthenticated"),
        "{err}"
    );
}

#[tokio::test]
async fn a_short_secret_is_a_start_error() {
    let backend = Backend::sqlite();
    let out = command("mcp-analytics", &backend)
        .args(["--transport", "http", "--bind", "127.0.0.1:0"])
        .env("PROMPTSALES_JWT_SECRET", "short")
        .env("PROMPTSALES_JWT_ISSUER", tokens::ISSUER)
        .env("PROMPTSALES_JWT_AUDIENCE", tokens::AUDIENCE)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PROMPTSALES_JWT_SECRET"), "{err}");
}
