//! An audit that loses nothing: a call that spends money writes its intent
//! row durably before it acts, so a server killed with SIGKILL in the middle
//! of a launch still leaves the row (state `intent`, outcome `running`,
//! the campaign id, an arguments hash), which `audit_query` lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use promptsales_catalog::{CatalogWriter, Client as CatalogClient};
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use promptsales_tests::{Backend, Era, HttpServer, call_tool, stdio_client_env};
use serde_json::json;

/// A "platform" that accepts connections and never answers, counting them.
async fn black_hole() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (format!("http://{addr}"), accepted)
}

/// Puts client `cli_audit` in the catalog and readies the content
/// database mcp-ads reads creatives from, with the client's approved copy
/// for Meta (`ast_audit`).
async fn add_client(backend: &Backend) {
    let cfg = backend.common_args().resolve().unwrap();
    let content = Db::migrate(&cfg.db, &content_read::MIGRATIONS)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, language, \
         title, body, version, status, created_by, created_at, updated_at) \
         VALUES ('default', 'ast_audit', 'cli_audit', NULL, 'meta', 'social_post', 'es', 'Dos noches', \
         'Dos noches frente al mar en Cartagena.', 1, 'approved', 'maria', \
         '2026-01-01T10:00:00.000000Z', '2026-01-01T10:00:00.000000Z')",
    )
    .execute(content.pool())
    .await
    .unwrap();
    content.close().await;
    let core = Db::open_unmigrated(&cfg.db, "core").await.unwrap();
    CatalogWriter::new(core.clone())
        .upsert_client(
            &TenantId::parse("default").unwrap(),
            &CatalogClient {
                id: ClientId::parse("cli_audit").unwrap(),
                name: "Hotel Cartagena".into(),
                industry: "hospitality".into(),
                country: Country::parse("CO").unwrap(),
                time_zone: promptsales_shared::domain::TimeZone::of_country(
                    Country::parse("CO").unwrap(),
                ),
            },
        )
        .await
        .unwrap();
    core.close().await;
}

/// actor, state, outcome, targets, args_hash
type IntentRow = (String, String, String, Option<String>, Option<String>);

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_killed_mid_call_leaves_its_intent_row() {
    for backend in Backend::all() {
        add_client(&backend).await;
        let ana = stdio_client_env(
            "mcp-ads",
            &backend,
            &[],
            &[("PROMPTSALES_ACTOR", "ana")],
            Era::Initialize,
        )
        .await;
        let c = call_tool(
            &ana,
            "create_campaign",
            json!({"client_id": "cli_audit", "name": "Dos noches", "objective": "sales",
                   "budget_cents": 300_000, "currency": "USD", "start_date": day(0),
                   "end_date": day(9), "channels": ["meta"], "countries": ["CO"],
                   "landing_url": "https://hotel.example/dos-noches"}),
        )
        .await
        .unwrap();
        let id = c["id"].as_str().unwrap().to_owned();
        // Approved copy for the one channel: a waived channel would be
        // refused before any call, and this launch must reach the platform.
        call_tool(
            &ana,
            "attach_content",
            json!({"campaign_id": id, "asset_id": "ast_audit", "channels": ["meta"]}),
        )
        .await
        .unwrap();
        call_tool(&ana, "submit_for_approval", json!({"campaign_id": id}))
            .await
            .unwrap();
        ana.cancel().await.unwrap();
        let bob = stdio_client_env(
            "mcp-ads",
            &backend,
            &[],
            &[
                ("PROMPTSALES_ACTOR", "bob"),
                ("PROMPTSALES_SCOPES", "ads:read,ads:approve"),
            ],
            Era::Initialize,
        )
        .await;
        call_tool(&bob, "approve_campaign", json!({"campaign_id": id}))
            .await
            .unwrap();
        bob.cancel().await.unwrap();

        // Carol launches against a platform that never answers (with all a
        // sales ad needs: Page, pixel, landing URL, approved copy); the
        // server dies with SIGKILL while the call is in flight.
        let (meta, reached) = black_hole().await;
        let mut srv = HttpServer::start_env(
            "mcp-ads",
            &backend,
            &[],
            &[
                ("PROMPTSALES_ACTOR", "carol"),
                ("PROMPTSALES_SCOPES", "ads:read,ads:launch"),
                ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
                ("PROMPTSALES_META_AD_ACCOUNT_ID", "77"),
                ("PROMPTSALES_META_BASE_URL", &meta),
                ("PROMPTSALES_META_PAGE_ID", "page-9"),
                ("PROMPTSALES_META_PIXEL_ID", "pixel-3"),
            ],
        )
        .await;
        let client = srv.client(Era::Stateless).await;
        let call = tokio::spawn({
            let id = id.clone();
            async move {
                let _ = client
                    .call_tool(
                        rmcp::model::CallToolRequestParams::new("launch_campaign").with_arguments(
                            json!({"campaign_id": id, "idempotency_key": "audit-kill-1"})
                                .as_object()
                                .unwrap()
                                .clone(),
                        ),
                    )
                    .await;
            }
        });
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(
            reached.load(Ordering::SeqCst) >= 1,
            "{}: the launch is in flight at the platform, not refused before it",
            backend.label
        );
        srv.child.start_kill().unwrap();
        let status = tokio::time::timeout(Duration::from_secs(10), srv.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(!status.success(), "{}: killed", backend.label);
        call.abort();

        let cfg = backend.common_args().resolve().unwrap();
        let ads = Db::open_unmigrated(&cfg.db, "ads").await.unwrap();
        let rows: Vec<IntentRow> = sqlx::query_as(
            "SELECT actor, state, outcome, targets, args_hash FROM audit_log \
             WHERE tool = 'launch_campaign'",
        )
        .fetch_all(ads.pool())
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "{}: {rows:?}", backend.label);
        let (actor, state, outcome, targets, hash) = &rows[0];
        assert_eq!(actor, "carol");
        assert_eq!(state, "intent", "{}", backend.label);
        assert_eq!(outcome, "running");
        assert_eq!(
            targets.as_deref(),
            Some(format!("campaign_id={id}").as_str())
        );
        assert_eq!(hash.as_ref().map(String::len), Some(64));
        ads.close().await;

        // An administrator finds it: a launch that never completed.
        let admin = stdio_client_env(
            "mcp-ads",
            &backend,
            &[],
            &[("PROMPTSALES_SCOPES", "admin")],
            Era::Initialize,
        )
        .await;
        let open = call_tool(&admin, "audit_query", json!({"state": "intent"}))
            .await
            .unwrap();
        let rows = open["rows"].as_array().unwrap();
        assert!(
            rows.iter()
                .any(|r| r["tool"] == "launch_campaign" && r["actor"] == "carol"),
            "{open}"
        );
        admin.cancel().await.unwrap();
    }
}
