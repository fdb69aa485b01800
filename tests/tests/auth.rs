//! OAuth on streamable HTTP: bearer tokens verified by the shared launcher,
//! refusals with `WWW-Authenticate`, the protected-resource metadata, the
//! token's subject in the audit log, and no unauthenticated public bind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use promptsales_server::auth::mint_hs256;
use promptsales_shared::db::Db;
use promptsales_tests::{Backend, Era, HttpServer, command};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

const SECRET: &str = "test-secret-test-secret-test-secret!";

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
        req = req.header("authorization", a);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn bearer_tokens_guard_mcp_and_name_the_caller() {
    for backend in Backend::all() {
        let server = HttpServer::start_env(
            "mcp-analytics",
            &backend,
            &["--public-url", "https://analytics.example.com"],
            &[
                ("PROMPTSALES_JWT_SECRET", SECRET),
                ("PROMPTSALES_TENANT", "acme"),
            ],
        )
        .await;

        // Probes stay open; MCP does not.
        let health = reqwest::get(format!("{}/healthz", server.base))
            .await
            .unwrap();
        assert!(health.status().is_success());
        let missing = post(&server, None).await;
        assert_eq!(missing.status(), 401, "{}", backend.label);
        let challenge = missing.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains(
                "resource_metadata=\"https://analytics.example.com/.well-known/oauth-protected-resource\""
            ),
            "{challenge}"
        );
        let forged = mint_hs256(
            "another-secret-another-secret-another",
            "eve",
            "acme",
            &[],
            60,
        )
        .unwrap();
        let bad = post(&server, Some(&format!("Bearer {forged}"))).await;
        assert_eq!(bad.status(), 401);
        assert!(
            bad.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
        let other = mint_hs256(SECRET, "eve", "globex", &[], 60).unwrap();
        let wrong_tenant = post(&server, Some(&format!("Bearer {other}"))).await;
        assert_eq!(wrong_tenant.status(), 403);

        let meta: Value = reqwest::get(format!(
            "{}/.well-known/oauth-protected-resource",
            server.base
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(meta["resource"], "https://analytics.example.com");
        assert!(
            meta["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("ads:approve"))
        );

        // A valid token works in both protocol eras and is audited by subject.
        let token =
            mint_hs256(SECRET, "ana@agency.example", "acme", &["ads:approve"], 300).unwrap();
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
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PROMPTSALES_JWT_SECRET"), "{err}");
}
