//! mcp-ads through real MCP clients: the lifecycle with approvals and
//! scopes over stdio, and launches through real connectors against a fake
//! Meta/TikTok over HTTP with bearer tokens (idempotency, partial failure,
//! retry, spend caps, dry run) — on SQLite and on PostgreSQL + Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use promptsales_catalog::{CatalogWriter, Client as CatalogClient};
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use std::process::Stdio;

use promptsales_tests::{Backend, Client, Era, HttpServer, command, stdio_client_env, tokens};
use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    GetPromptRequestParams, Implementation, ReadResourceRequestParams,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{
    ClientHandler, ClientLifecycleMode, ErrorData, RoleClient, serve_client_with_lifecycle,
};
use serde_json::{Value, json};

use promptsales_tests::{tool_err as err, tool_ok as ok};

async fn resource(client: &Client, uri: &str) -> Value {
    let r = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|e| panic!("{uri}: {e}"));
    let v = serde_json::to_value(&r).unwrap();
    serde_json::from_str(v["contents"][0]["text"].as_str().unwrap()).unwrap()
}

/// Readies the backend for mcp-ads, which migrates only its own context:
/// migrates the CRM and content databases it reads (as `promptsales
/// migrate` would; the harness already migrated the catalog) and puts
/// client `cli_ads` in the catalog (campaigns must name a known client).
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

/// An approved asset usable on Meta, put straight into the content
/// database (as mcp-content would after its approval).
async fn approved_asset(backend: &Backend, id: &str) {
    asset(
        backend,
        id,
        ("meta", "social_post"),
        "Chaquetas",
        "Chaquetas para la lluvia, listas para la montaña.",
    )
    .await;
}

/// An approved asset of client `cli_ads`: copy written for a channel, or
/// an image (its body the image's URL), as mcp-content leaves it.
async fn asset(
    backend: &Backend,
    id: &str,
    (channel, format): (&str, &str),
    title: &str,
    body: &str,
) {
    let cfg = backend.common_args().resolve().unwrap();
    let db = Db::open_reader(&cfg.db, &content_read::SCHEMA)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, language, \
         title, body, version, status, created_by, created_at, updated_at, decided_by, decided_at) \
         VALUES ('default', $1, 'cli_ads', NULL, $2, $3, 'es', $4, $5, 1, 'approved', 'maria', \
         '2026-01-01T10:00:00.000000Z', '2026-01-01T10:00:00.000000Z', 'lucia', '2026-01-01T11:00:00.000000Z')",
    )
    .bind(id)
    .bind(channel)
    .bind(format)
    .bind(title)
    .bind(body)
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
}

/// Where the live campaign's ads lead, and its approved image.
const LANDING_URL: &str = "https://andes.example/chaquetas";
const IMAGE_URL: &str = "https://andes.example/chaqueta.jpg";

/// `approve_campaign`'s arguments waiving the creatives of `channels`.
fn approval(id: &str, channels: &[&str]) -> Value {
    let waivers: Vec<Value> = channels
        .iter()
        .map(|c| json!({"channel": c, "note": "copy approved offline"}))
        .collect();
    json!({"campaign_id": id, "waivers": waivers})
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

fn campaign(name: &str, budget: i64, channels: &[&str]) -> Value {
    json!({
        "client_id": "cli_ads", "name": name, "objective": "leads", "budget_cents": budget,
        "currency": "USD", "start_date": day(0), "end_date": day(29),
        "channels": channels, "countries": ["CO", "MX"], "audience_hints": ["young professionals"]
    })
}

/// The lifecycle: bad input, illegal moves, scopes, self-approval,
/// rejection and revision, dry run, idempotent sandbox launch, performance,
/// optimisation with apply and rollback, pause/resume/complete, generation,
/// budget plans, resources and prompts. Ana holds the local default scopes
/// (every read and write); her approver session only `ads:approve`; Bob
/// `ads:approve` and `ads:launch`.
async fn lifecycle(backend: &Backend, era: Era) {
    let ana = stdio_client_env(
        "mcp-ads",
        backend,
        &[],
        &[("PROMPTSALES_ACTOR", "ana")],
        era,
    )
    .await;
    let ana_approver = stdio_client_env(
        "mcp-ads",
        backend,
        &[],
        &[
            ("PROMPTSALES_ACTOR", "ana"),
            ("PROMPTSALES_SCOPES", "ads:approve"),
        ],
        era,
    )
    .await;
    let bob = stdio_client_env(
        "mcp-ads",
        backend,
        &[],
        &[
            ("PROMPTSALES_ACTOR", "bob"),
            ("PROMPTSALES_SCOPES", "ads:approve,ads:launch"),
        ],
        era,
    )
    .await;
    let label = backend.label;

    // Bad input names the field; nothing is written.
    let mut bad = campaign("Bad", 100_000, &["meta"]);
    bad["end_date"] = json!(day(-5));
    assert!(
        err(&ana, "create_campaign", bad)
            .await
            .contains("`end_date`")
    );
    let e = err(&ana, "create_campaign", campaign("Bad", 0, &["meta"])).await;
    assert!(
        e.contains("`budget_cents`") && e.contains("positive"),
        "{e}"
    );
    let e = err(&ana, "create_campaign", campaign("Bad", 100, &["myspace"])).await;
    assert!(
        e.contains("`channels`") && e.contains("google_ads") && e.contains("myspace"),
        "{e}"
    );
    let e = err(
        &ana,
        "list_campaigns",
        json!({"status": "live", "objective": "Leads"}),
    )
    .await;
    assert!(
        e.contains("`status`") && e.contains("pending_approval") && e.contains("\"live\""),
        "{e}"
    );
    let mut bad = campaign("Bad", 100, &["meta"]);
    bad["countries"] = json!(["Colombia"]);
    assert!(
        err(&ana, "create_campaign", bad)
            .await
            .contains("`countries`")
    );
    let mut bad = campaign("Bad", 100, &["meta"]);
    bad["client_id"] = json!("cli_nobody");
    assert!(
        err(&ana, "create_campaign", bad)
            .await
            .contains("client `cli_nobody` not found")
    );
    assert!(
        err(&ana, "get_campaign", json!({"campaign_id": "cmp_nope"}))
            .await
            .contains("not found")
    );
    let listed = ok(&ana, "list_campaigns", json!({})).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "{label}: nothing half-written"
    );

    let c = ok(
        &ana,
        "create_campaign",
        campaign("Spring leads", 9_000_000, &["google_ads", "meta", "tiktok"]),
    )
    .await;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["status"], "draft");
    assert_eq!(c["created_by"], "ana");
    let alloc: i64 = c["plan"]["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["budget_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(alloc, 9_000_000, "{label}: plan sums to the cent");
    assert_eq!(c["allowed_next"], json!(["pending_approval"]));

    // Illegal moves name the state and the way out; scopes are enforced.
    let e = err(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "k0"}),
    )
    .await;
    assert!(
        e.contains("is draft") && e.contains("pending_approval (submit_for_approval)"),
        "{e}"
    );
    let e = err(&ana, "approve_campaign", json!({"campaign_id": id})).await;
    assert!(e.contains("ads:approve") && e.contains("ana"), "{e}");
    let e = err(&bob, "approve_campaign", json!({"campaign_id": id})).await;
    assert!(e.contains("is draft"), "{e}");
    ok(
        &ana,
        "submit_for_approval",
        json!({"campaign_id": id, "note": "ready"}),
    )
    .await;
    let e = err(
        &ana_approver,
        "approve_campaign",
        json!({"campaign_id": id}),
    )
    .await;
    assert!(
        e.contains("created campaign") && e.contains("cannot approve"),
        "{e}"
    );
    assert!(
        err(
            &bob,
            "reject_campaign",
            json!({"campaign_id": id, "note": " "})
        )
        .await
        .contains("`note`")
    );
    let r = ok(
        &bob,
        "reject_campaign",
        json!({"campaign_id": id, "note": "add email"}),
    )
    .await;
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["approval"]["decision"], "rejected");
    let u = ok(
        &ana,
        "update_campaign",
        json!({"campaign_id": id, "name": "Spring leads v2"}),
    )
    .await;
    assert_eq!(u["status"], "draft");
    // Creatives: Meta gets approved copy; Google and TikTok have none, so
    // the approval is refused naming them, and goes through once the
    // approver waives them with a note.
    approved_asset(backend, "ast_spring").await;
    ok(
        &ana,
        "attach_content",
        json!({"campaign_id": id, "asset_id": "ast_spring", "channels": ["meta"]}),
    )
    .await;
    ok(&ana, "submit_for_approval", json!({"campaign_id": id})).await;
    let e = err(
        &bob,
        "approve_campaign",
        json!({"campaign_id": id, "note": "go"}),
    )
    .await;
    assert!(
        e.contains("google_ads: no creative attached")
            && e.contains("tiktok: no creative attached")
            && !e.contains("meta:"),
        "{e}"
    );
    let mut args = approval(&id, &["google_ads", "tiktok"]);
    args["note"] = json!("go");
    let a = ok(&bob, "approve_campaign", args).await;
    let meta = a["creatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "meta")
        .unwrap()
        .clone();
    assert_eq!(meta["ready"], true, "{a}");
    assert_eq!(meta["assets"][0]["copy"]["title"], "Chaquetas", "{meta}");
    assert!(
        meta["assets"][0]["copy"]["excerpt"]
            .as_str()
            .unwrap()
            .starts_with("Chaquetas para la lluvia"),
        "{meta}"
    );
    assert!(
        !meta.to_string().contains("maria"),
        "no personal data: {meta}"
    );
    assert_eq!(a["budget_plan"]["total"], "90,000.00 USD");
    assert_eq!(a["waivers"].as_array().unwrap().len(), 2);
    assert_eq!(a["status"], "approved");
    assert_eq!(
        (a["approval"]["by"].as_str(), a["approval"]["note"].as_str()),
        (Some("bob"), Some("go"))
    );
    let e = err(
        &ana,
        "update_campaign",
        json!({"campaign_id": id, "name": "x"}),
    )
    .await;
    assert!(e.contains("only draft or rejected"), "{e}");

    // Launch: scope, dry run, idempotent sandbox launch.
    let e = err(
        &ana,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "k1"}),
    )
    .await;
    assert!(e.contains("ads:launch"), "{e}");
    assert!(
        err(&bob, "launch_campaign", json!({"campaign_id": id}))
            .await
            .contains("`idempotency_key`")
    );
    let dry = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "dry_run": true}),
    )
    .await;
    assert_eq!(
        (
            dry["dry_run"].as_bool(),
            dry["sandbox"].as_bool(),
            dry["status"].as_str()
        ),
        (Some(true), Some(true), Some("approved"))
    );
    assert_eq!(dry["committed_spend_cents"], 9_000_000);
    assert!(
        dry["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "would_launch")
    );
    let l = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "k1"}),
    )
    .await;
    assert_eq!(
        (
            l["status"].as_str(),
            l["sandbox"].as_bool(),
            l["replayed"].as_bool()
        ),
        (Some("active"), Some(true), Some(false))
    );
    assert!(
        l["confirmation"]
            .as_str()
            .unwrap()
            .contains("does not support elicitation"),
        "{l}"
    );
    assert!(
        l["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "launched")
    );
    let again = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "k1"}),
    )
    .await;
    assert_eq!(again["replayed"], true);
    assert_eq!(again["channels"], l["channels"]);
    let e = err(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "k2"}),
    )
    .await;
    assert!(e.contains("already active"), "{e}");

    // Performance from the sandbox simulation.
    let p = ok(&ana, "get_campaign_performance", json!({"campaign_id": id})).await;
    assert_eq!(p["sandbox"], true);
    assert!(p["totals"]["impressions"].as_i64().unwrap() > 1000, "{p}");
    assert!(p["totals"]["ctr"].as_f64().unwrap() > 0.0);
    assert_eq!(p["by_channel"].as_array().unwrap().len(), 3);
    assert_eq!(p["daily"].as_array().unwrap().len(), 1);
    assert!(
        ["on_track", "over", "under"].contains(&p["pacing"]["status"].as_str().unwrap()),
        "{p}"
    );
    let s = ok(&ana, "sync_metrics", json!({"days": 3})).await;
    assert_eq!(
        (s["campaigns"].as_i64(), s["sandbox"].as_bool()),
        (Some(1), Some(true))
    );

    // Optimisation waits out each channel's learning period: one day of
    // delivery moves nothing and says why, channel by channel.
    let wait = ok(
        &ana,
        "optimize_campaign",
        json!({"campaign_id": id, "target_roas": 2.12}),
    )
    .await;
    assert_eq!(wait["changes"], json!([]), "{wait}");
    assert_eq!(wait["no_move"]["reason"], "too_few_ready", "{wait}");
    let holds = wait["holds"].as_array().unwrap();
    assert_eq!(holds.len(), 3, "{wait}");
    assert!(holds.iter().all(|h| h["reason"] == "learning"), "{wait}");
    assert!(
        wait["summary"].as_str().unwrap().contains("1 of 7 days"),
        "{wait}"
    );
    // A change set, applied by an approver, rolled back. The simulated
    // ROAS lies within ±25% of the benchmark (TikTok ≤ 2.09, Google ≥
    // 2.15), so a 2.12 target always moves TikTok to Google once the
    // learning period is shortened to the simulated day.
    let cs = ok(
        &ana,
        "optimize_campaign",
        json!({"campaign_id": id, "target_roas": 2.12, "min_days": 1}),
    )
    .await;
    let changes = cs["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{cs}");
    let before: i64 = changes
        .iter()
        .map(|c| c["budget_before_cents"].as_i64().unwrap())
        .sum();
    let after: i64 = changes
        .iter()
        .map(|c| c["budget_after_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(before, after, "{label}: budget only moves");
    let cap = |c: &Value| {
        let was = c["budget_before_cents"].as_i64().unwrap();
        (c["budget_after_cents"].as_i64().unwrap() - was).abs() * 5 <= was
    };
    assert!(changes.iter().all(cap), "{label}: at most a fifth: {cs}");
    let cs_id = cs["id"].as_str().unwrap();
    assert!(
        err(&ana, "apply_change_set", json!({"change_set_id": cs_id}))
            .await
            .contains("ads:launch")
    );
    let dry = ok(
        &bob,
        "apply_change_set",
        json!({"change_set_id": cs_id, "dry_run": true}),
    )
    .await;
    assert_eq!(dry["status"], "proposed");
    assert!(
        dry["summary"].as_str().unwrap().starts_with("dry run"),
        "{dry}"
    );
    let applied = ok(&bob, "apply_change_set", json!({"change_set_id": cs_id})).await;
    assert_eq!(
        (applied["status"].as_str(), applied["applied_by"].as_str()),
        (Some("applied"), Some("bob"))
    );
    let moved = &changes[0];
    let view = ok(&ana, "get_campaign", json!({"campaign_id": id})).await;
    let now_budget = |v: &Value, ch: &Value| {
        v["plan"]["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["channel"] == *ch)
            .unwrap()["budget_cents"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        now_budget(&view, &moved["channel"]),
        moved["budget_after_cents"].as_i64().unwrap()
    );
    assert!(
        err(&bob, "apply_change_set", json!({"change_set_id": cs_id}))
            .await
            .contains("is applied")
    );
    ok(&bob, "rollback_change_set", json!({"change_set_id": cs_id})).await;
    let view = ok(&ana, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(
        now_budget(&view, &moved["channel"]),
        moved["budget_before_cents"].as_i64().unwrap()
    );

    // Pause, resume, complete (ads:launch); completed is final.
    assert!(
        err(&ana, "pause_campaign", json!({"campaign_id": id}))
            .await
            .contains("ads:launch")
    );
    assert_eq!(
        ok(&bob, "pause_campaign", json!({"campaign_id": id})).await["status"],
        "paused"
    );
    assert!(
        err(&bob, "pause_campaign", json!({"campaign_id": id}))
            .await
            .contains("is paused")
    );
    let would = ok(
        &bob,
        "resume_campaign",
        json!({"campaign_id": id, "dry_run": true}),
    )
    .await;
    assert_eq!(would["status"], "paused");
    assert!(
        would["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "would_resume"),
        "{would}"
    );
    assert_eq!(
        ok(&bob, "resume_campaign", json!({"campaign_id": id})).await["status"],
        "active"
    );
    let done = ok(&bob, "complete_campaign", json!({"campaign_id": id})).await;
    assert_eq!(done["status"], "completed");
    let e = err(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "k3"}),
    )
    .await;
    assert!(e.contains("is completed") && e.contains("final"), "{e}");
    let view = ok(&ana, "get_campaign", json!({"campaign_id": id})).await;
    let actions: Vec<&str> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "submit",
            "reject",
            "revise",
            "submit",
            "approve",
            "waive_creative",
            "waive_creative",
            "launch",
            "pause",
            "resume",
            "complete"
        ]
    );

    // Generation and budget plans.
    let g = ok(
        &ana,
        "generate_campaign",
        json!({"goal": "vender más chaquetas en temporada de lluvias", "client_id": "cli_ads", "budget_cents": 2_500_000,
               "currency": "USD", "start_date": day(1), "end_date": day(30), "countries": ["CO"],
               "audience_hints": ["jóvenes aventureros", "newsletter subscribers"]}),
    )
    .await;
    assert_eq!(
        (g["status"].as_str(), g["objective"].as_str()),
        (Some("draft"), Some("sales"))
    );
    let mix = g["plan"]["channel_mix"].as_array().unwrap();
    assert!(!mix.is_empty() && mix.len() <= 4, "{g}");
    let sum: i64 = g["plan"]["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["budget_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 2_500_000);
    assert!(g["plan"]["kpis"]["conversions"].as_i64().unwrap() > 0);
    // The forecast: ranges, sources with their weights, and the goal read
    // from the brief (no figure in it: the objective's metric, no target).
    let f = &g["plan"]["forecast"];
    let conv = &f["conversions"];
    assert!(
        conv["low"].as_i64() <= conv["expected"].as_i64()
            && conv["expected"].as_i64() <= conv["high"].as_i64(),
        "{f}"
    );
    assert_eq!(
        (
            f["goal"]["goal"]["metric"].as_str(),
            f["goal"]["verdict"].as_str()
        ),
        (Some("conversions"), Some("no_target")),
        "{f}"
    );
    assert!(
        f["revenue"]["text"].as_str().unwrap().contains("USD"),
        "{f}"
    );
    assert!(
        f["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["evidence"].as_str().unwrap().contains("weight")),
        "{f}"
    );
    assert_eq!(g["plan"]["schedule"].as_array().unwrap().len(), 2);
    let plan = ok(
        &ana,
        "plan_budget",
        json!({"budget_cents": 1_000_003, "currency": "USD", "channels": ["google_ads", "meta", "email"], "exploration_share": 0.2, "client_id": "cli_ads"}),
    )
    .await;
    assert_eq!(plan["allocated_cents"], 1_000_003);
    assert!(
        plan["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["reason"].as_str().unwrap().contains("expected ROAS"))
    );
    // The client's own history: a day of sandbox delivery on Google and
    // Meta (blended with the benchmark), none on email (benchmark only).
    let sources: Vec<(&str, &str)> = plan["economics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["channel"].as_str().unwrap(),
                e["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            ("google_ads", "blend"),
            ("meta", "blend"),
            ("email", "benchmark")
        ],
        "{plan}"
    );
    let e = err(
        &ana,
        "plan_budget",
        json!({"budget_cents": 100, "currency": "USD", "channels": ["meta"], "floor_share": 2.0}),
    )
    .await;
    assert!(e.contains("`floor_share`"), "{e}");

    // Resources and prompts.
    let channels = resource(&ana, "ads://channels").await;
    let meta = channels["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "meta")
        .unwrap();
    assert_eq!(meta["connector"], "sandbox");
    assert!(
        meta["missing_configuration"]
            .as_array()
            .unwrap()
            .contains(&json!("PROMPTSALES_META_ACCESS_TOKEN"))
    );
    assert!(meta["benchmark"]["ctr"].as_f64().unwrap() > 0.0);
    assert_eq!(
        resource(&ana, &format!("ads://campaigns/{id}")).await["status"],
        "completed"
    );
    assert!(
        resource(&ana, &format!("ads://campaigns/{id}/performance")).await["totals"]["impressions"]
            .as_i64()
            .unwrap()
            > 0
    );
    let p = ana
        .get_prompt(
            GetPromptRequestParams::new("optimization_review")
                .with_arguments(json!({"campaign_id": id}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert!(format!("{:?}", p.messages).contains("optimize_campaign"));

    for c in [ana, ana_approver, bob] {
        c.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_over_stdio_on_every_backend() {
    for (i, backend) in Backend::all().into_iter().enumerate() {
        prepare(&backend).await;
        // Both protocol eras, one per backend.
        lifecycle(&backend, Era::ALL[i % 2]).await;
    }
}

/// Fake Meta (Graph v25.0) and TikTok (v1.3) that refuse what the real
/// ones refuse (as the strict fakes of mcp-ads/tests/meta.rs and
/// tiktok.rs): Meta answers an expired version with #2635, a missing or
/// misplaced token with #190 and an object lacking a required field with
/// #100; TikTok answers 40002 for a bad request — and HTTP 500 to
/// everything until `tiktok_up` is set. Every request is recorded.
#[derive(Clone, Default)]
struct Platforms {
    hits: Arc<Mutex<Vec<(String, String, String)>>>,
    tiktok_up: Arc<AtomicBool>,
}

impl Platforms {
    fn count(&self, fragment: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p, _)| p.contains(fragment))
            .count()
    }

    /// The bodies of the requests whose path ends with `suffix`, in order.
    fn bodies(&self, suffix: &str) -> Vec<String> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p, _)| p.ends_with(suffix))
            .map(|(_, _, b)| b.clone())
            .collect()
    }
}

/// The ids the Meta fake gives campaign, ad set, creative and ad.
const META_IDS: [(&str, &str); 4] = [
    ("campaign", "120001"),
    ("adset", "230002"),
    ("creative", "340003"),
    ("ad", "450004"),
];

fn meta_id(kind: &str) -> &'static str {
    META_IDS.iter().find(|(k, _)| *k == kind).unwrap().1
}

/// A form body (Graph takes `application/x-www-form-urlencoded`).
fn form(body: &str) -> HashMap<String, String> {
    let dec = |x: &str| {
        let b = x.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&x[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (dec(k), dec(v)))
        .collect()
}

fn json_field(f: &HashMap<String, String>, k: &str) -> Value {
    f.get(k)
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or(Value::Null)
}

/// What Graph v25.0 answers on ad account 77 (USD) for a leads campaign,
/// or why it refuses (code 100's `error_user_msg`).
fn graph(method: &Method, rest: &str, f: &HashMap<String, String>) -> Result<Value, String> {
    let require = |keys: &[&str]| match keys.iter().find(|k| !f.contains_key(**k)) {
        Some(k) => Err(format!("The parameter {k} is required")),
        None => Ok(()),
    };
    let paused = || match f.get("status").map(String::as_str) {
        Some("PAUSED") => Ok(()),
        _ => Err("objects are created PAUSED".to_owned()),
    };
    match (method.as_str(), rest) {
        ("GET", "act_77") => Ok(json!({"id": "act_77", "currency": "USD", "account_status": 1})),
        ("POST", "act_77/campaigns") => {
            require(&["name", "objective", "status", "special_ad_categories"])?;
            paused()?;
            if f["objective"] != "OUTCOME_LEADS" {
                return Err(format!(
                    "objective {} is not a leads objective",
                    f["objective"]
                ));
            }
            Ok(json!({"id": meta_id("campaign")}))
        }
        ("POST", "act_77/adsets") => {
            require(&[
                "name",
                "campaign_id",
                "daily_budget",
                "billing_event",
                "optimization_goal",
                "targeting",
                "start_time",
                "status",
            ])?;
            paused()?;
            if f["campaign_id"] != meta_id("campaign") {
                return Err("campaign_id does not exist".into());
            }
            if f["daily_budget"].parse::<u64>().is_err() {
                return Err("Budget is not a whole number of units".into());
            }
            if json_field(f, "promoted_object")["page_id"].is_null() {
                return Err("promoted_object with page_id is required for leads".into());
            }
            if json_field(f, "targeting")
                .pointer("/geo_locations/countries")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                return Err("targeting needs geo_locations".into());
            }
            Ok(json!({"id": meta_id("adset")}))
        }
        ("POST", "act_77/adcreatives") => {
            let spec = json_field(f, "object_story_spec");
            if spec["page_id"].as_str().is_none() {
                return Err("object_story_spec needs page_id".into());
            }
            let link = &spec["link_data"];
            if link["link"].as_str().is_none() || link["message"].as_str().is_none() {
                return Err("link_data needs link and message".into());
            }
            if link
                .pointer("/call_to_action/value/lead_gen_form_id")
                .is_none()
            {
                return Err("Lead ads need a lead_gen_form_id in the call to action".into());
            }
            Ok(json!({"id": meta_id("creative")}))
        }
        ("POST", "act_77/ads") => {
            require(&["name", "adset_id", "creative", "status"])?;
            paused()?;
            if f["adset_id"] != meta_id("adset")
                || json_field(f, "creative")["creative_id"] != meta_id("creative")
            {
                return Err("adset_id or creative_id does not exist".into());
            }
            Ok(json!({"id": meta_id("ad")}))
        }
        ("GET", r) if r.ends_with("/insights") => Ok(json!({"data": [{
            "date_start": day(0), "country": "CO", "impressions": "5000", "reach": "4000",
            "clicks": "150", "spend": "123.45",
            "actions": [{"action_type": "lead", "value": "9"}],
            "action_values": [{"action_type": "lead", "value": "600"}]}]})),
        ("POST", id)
            if META_IDS.iter().any(|(_, i)| *i == id)
                && matches!(
                    f.get("status").map(String::as_str),
                    Some("ACTIVE" | "PAUSED")
                ) =>
        {
            Ok(json!({"success": true}))
        }
        _ => Err(format!("Unsupported request {method} {rest}")),
    }
}

/// What TikTok v1.3 answers for a leads campaign with an image, or why it
/// refuses (code 40002).
fn tiktok(service: &str, b: &Value) -> Result<Value, &'static str> {
    match service {
        "advertiser/info/" => {
            Ok(json!({"list": [{"name": "Andes", "currency": "USD", "status": "STATUS_ENABLE"}]}))
        }
        "file/image/ad/upload/"
            if b["upload_type"] == "UPLOAD_BY_URL" && b["image_url"] == IMAGE_URL =>
        {
            Ok(json!({"image_id": "img-1"}))
        }
        "campaign/create/"
            if b["advertiser_id"] == "700"
                && b["objective_type"].is_string()
                && b["operation_status"] == "DISABLE" =>
        {
            Ok(json!({"campaign_id": "1800"}))
        }
        "adgroup/create/"
            if b["campaign_id"] == "1800"
                && b["optimization_goal"] == "CONVERT"
                && b["billing_event"] == "OCPM"
                && b["pixel_id"] == "tt-pixel"
                && b["placements"].as_array().is_some_and(|p| !p.is_empty())
                && b["location_ids"].as_array().is_some_and(|p| !p.is_empty())
                && b["budget_mode"] == "BUDGET_MODE_TOTAL"
                && b["budget"].is_number()
                && b["schedule_type"] == "SCHEDULE_START_END"
                && b["operation_status"] == "DISABLE" =>
        {
            Ok(json!({"adgroup_id": "1900"}))
        }
        "ad/create/" => {
            let c = &b["creatives"][0];
            let complete = b["adgroup_id"] == "1900"
                && c["identity_id"] == "tt-identity"
                && c["identity_type"].is_string()
                && c["ad_text"].as_str().is_some_and(|t| !t.is_empty())
                && c["landing_page_url"] == LANDING_URL
                && c["image_ids"] == json!(["img-1"]);
            if complete {
                Ok(json!({"ad_ids": ["2000"]}))
            } else {
                Err("ad: required field missing or invalid")
            }
        }
        s if s.ends_with("status/update/")
            && matches!(b["operation_status"].as_str(), Some("ENABLE" | "DISABLE")) =>
        {
            Ok(json!({}))
        }
        "report/integrated/get/" => Ok(json!({"list": [], "page_info": {"total_number": 0}})),
        _ => Err("unknown call or missing fields"),
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
    if let Some(service) = path.strip_prefix("/open_api/v1.3/") {
        if !p.tiktok_up.load(Ordering::SeqCst) {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"message": "upstream down"})),
            )
                .into_response();
        }
        let token = headers.get("access-token").and_then(|v| v.to_str().ok());
        let b: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let reply = match (token, tiktok(service, &b)) {
            (Some("tt"), Ok(data)) => json!({"code": 0, "message": "OK", "data": data}),
            (Some("tt"), Err(why)) => json!({"code": 40002, "message": why, "data": {}}),
            _ => json!({"code": 40105, "message": "Access token is incorrect", "data": {}}),
        };
        return axum::Json(reply).into_response();
    }
    let graph_error = |code: i64, message: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": {"message": message, "type": "OAuthException", "code": code,
                                         "error_user_msg": message}}),
            ),
        )
            .into_response()
    };
    let Some(rest) = path.strip_prefix("/v25.0/") else {
        return graph_error(
            2635,
            "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v25.0.",
        );
    };
    // Every call carries the token, only in the Authorization header.
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if bearer != "Bearer meta-token"
        || body.contains("meta-token")
        || uri.query().unwrap_or_default().contains("access_token")
    {
        return graph_error(190, "Invalid OAuth access token.");
    }
    match graph(&method, rest, &form(&body)) {
        Ok(v) => axum::Json(v).into_response(),
        Err(why) => graph_error(100, &why),
    }
}

async fn start_platforms() -> (Platforms, String) {
    let p = Platforms::default();
    let app = axum::Router::new().fallback(platform).with_state(p.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (p, base)
}

async fn connectors_over_http(backend: &Backend) {
    let (platforms, base) = start_platforms().await;
    let mut env = tokens::env();
    env.extend([
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "77"),
        ("PROMPTSALES_META_BASE_URL", &base),
        ("PROMPTSALES_META_PAGE_ID", "page-9"),
        ("PROMPTSALES_META_LEAD_FORM_ID", "form-5"),
        ("PROMPTSALES_TIKTOK_ACCESS_TOKEN", "tt"),
        ("PROMPTSALES_TIKTOK_ADVERTISER_ID", "700"),
        ("PROMPTSALES_TIKTOK_BASE_URL", &base),
        ("PROMPTSALES_TIKTOK_IDENTITY_ID", "tt-identity"),
        ("PROMPTSALES_TIKTOK_IDENTITY_TYPE", "CUSTOMIZED_USER"),
        ("PROMPTSALES_TIKTOK_PIXEL_ID", "tt-pixel"),
        ("PROMPTSALES_CONNECTOR_BACKOFF_MS", "5"),
        ("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS", "3"),
        ("PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP", "USD=200000"),
        ("PROMPTSALES_ADS_TENANT_DAILY_CAP", "USD=5000"),
    ]);
    let server = HttpServer::start_env("mcp-ads", backend, &[], &env).await;
    // Ana drafts (over an `initialize` session, where a missing scope is a
    // tool result); Bob approves and launches (2026-07-28, stateless).
    let ana = server
        .client_with_token(
            Era::Initialize,
            &tokens::mint("ana", "default", &["ads:read", "ads:write"]),
        )
        .await;
    let bob = server
        .client_with_token(
            Era::Stateless,
            &tokens::mint("bob", "default", &["ads:read", "ads:approve", "ads:launch"]),
        )
        .await;
    let label = backend.label;

    // Spend cap per campaign, refused with the numbers.
    let e = err(
        &ana,
        "create_campaign",
        campaign("Too big", 25_000_000, &["meta"]),
    )
    .await;
    assert!(
        e.contains("250000.00 USD")
            && e.contains("200000.00 USD")
            && e.contains("PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP"),
        "{e}"
    );

    // 30,000.00 over 30 days: 1,000.00/day across three channels. Meta
    // and TikTok launch approved copy written for each with an approved
    // image; Google Ads runs in the sandbox, where a waived channel may.
    let mut live = campaign("Live", 3_000_000, &["meta", "tiktok", "google_ads"]);
    live["landing_url"] = json!(LANDING_URL);
    let c = ok(&ana, "create_campaign", live).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let body = "Chaquetas para la lluvia, listas para la montaña.";
    asset(
        backend,
        "ast_live_meta",
        ("meta", "social_post"),
        "Chaquetas",
        body,
    )
    .await;
    asset(
        backend,
        "ast_live_tiktok",
        ("tiktok", "ad_copy"),
        "Chaquetas",
        body,
    )
    .await;
    asset(
        backend,
        "ast_live_img",
        ("meta", "image"),
        "Chaqueta",
        IMAGE_URL,
    )
    .await;
    for (asset_id, channels) in [
        ("ast_live_meta", json!(["meta"])),
        ("ast_live_tiktok", json!(["tiktok"])),
        ("ast_live_img", json!(["meta", "tiktok"])),
    ] {
        ok(
            &ana,
            "attach_content",
            json!({"campaign_id": id, "asset_id": asset_id, "channels": channels}),
        )
        .await;
    }
    ok(&ana, "submit_for_approval", json!({"campaign_id": id})).await;
    assert!(
        err(&ana, "approve_campaign", json!({"campaign_id": id}))
            .await
            .contains("ads:approve")
    );
    let a = ok(&bob, "approve_campaign", approval(&id, &["google_ads"])).await;
    for channel in ["meta", "tiktok"] {
        let cr = a["creatives"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == channel)
            .unwrap();
        assert_eq!(
            (cr["ready"].as_bool(), cr["waiver"].is_null()),
            (Some(true), true),
            "{label}: {cr}"
        );
    }

    // Dry run: exactly what Meta and TikTok would receive; nothing sent.
    let dry = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "dry_run": true}),
    )
    .await;
    assert_eq!(platforms.count("/"), 0, "{label}: a dry run sends nothing");
    let ch = |v: &Value, name: &str| {
        v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == name)
            .unwrap()
            .clone()
    };
    let meta_plan = ch(&dry, "meta");
    assert_eq!(meta_plan["sandbox"], false);
    let reqs = meta_plan["requests"].as_array().unwrap();
    let urls: Vec<String> = reqs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["url"].as_str().unwrap()
            )
        })
        .collect();
    let v25 = format!("{base}/v25.0");
    assert_eq!(
        &urls[..5],
        [
            format!("GET {v25}/act_77?fields=currency,account_status"),
            format!("POST {v25}/act_77/campaigns"),
            format!("POST {v25}/act_77/adsets"),
            format!("POST {v25}/act_77/adcreatives"),
            format!("POST {v25}/act_77/ads"),
        ],
        "{meta_plan}"
    );
    assert_eq!(
        reqs.len(),
        8,
        "then ad, ad set and campaign set ACTIVE: {meta_plan}"
    );
    assert_eq!(reqs[1]["body"]["status"], "PAUSED");
    assert_eq!(reqs[1]["headers"]["Authorization"], "Bearer ***");
    assert!(reqs[1]["body"].get("access_token").is_none(), "{meta_plan}");
    let tiktok_plan = ch(&dry, "tiktok");
    let steps: Vec<&str> = tiktok_plan["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    for (i, service) in [
        "advertiser/info/",
        "file/image/ad/upload/",
        "campaign/create/",
        "adgroup/create/",
        "ad/create/",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            steps[i].starts_with(&format!("{base}/open_api/v1.3/{service}")),
            "{i}: {tiktok_plan}"
        );
    }
    assert_eq!(tiktok_plan["requests"][0]["headers"]["Access-Token"], "***");
    assert_eq!(ch(&dry, "google_ads")["sandbox"], true);
    assert_eq!(dry["committed_spend_cents"], 3_000_000);

    // Launch: TikTok is down → partial failure, the others live.
    let l = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "launch-1"}),
    )
    .await;
    assert_eq!(l["status"], "active", "{l}");
    let meta = ch(&l, "meta");
    assert_eq!(meta["outcome"], "launched", "{meta}");
    for (kind, id) in META_IDS {
        assert_eq!(meta["external_ids"][kind], id, "{meta}");
    }
    // Everything was created paused, then ad, ad set and campaign enabled;
    // the ad set's budget is the channel's daily share in cents (USD).
    let adset = form(&platforms.bodies("/act_77/adsets")[0]);
    assert_eq!(
        adset["daily_budget"],
        meta["daily_budget_cents"].to_string(),
        "{meta}"
    );
    let story: Value = serde_json::from_str(
        &form(&platforms.bodies("/act_77/adcreatives")[0])["object_story_spec"],
    )
    .unwrap();
    assert_eq!(
        (
            story["page_id"].as_str(),
            story["link_data"]["picture"].as_str(),
            story["link_data"]["message"].as_str()
        ),
        (Some("page-9"), Some(IMAGE_URL), Some(body)),
        "{story}"
    );
    let enabled: Vec<String> = platforms
        .hits
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, b)| form(b).get("status").is_some_and(|s| s == "ACTIVE"))
        .map(|(_, p, _)| p.clone())
        .collect();
    assert_eq!(
        enabled,
        ["ad", "adset", "campaign"].map(|k| format!("/v25.0/{}", meta_id(k))),
        "{label}"
    );
    assert_eq!(ch(&l, "google_ads")["outcome"], "launched");
    assert_eq!(ch(&l, "google_ads")["sandbox"], true);
    let tk = ch(&l, "tiktok");
    assert_eq!(
        (tk["outcome"].as_str(), tk["retryable"].as_bool()),
        (Some("failed"), Some(true)),
        "{tk}"
    );
    assert!(tk["error"].as_str().unwrap().contains("500"), "{tk}");
    assert!(
        l["summary"]
            .as_str()
            .unwrap()
            .contains("partially launched"),
        "{l}"
    );
    assert_eq!(
        platforms.count("/v25.0/"),
        9,
        "{label}: meta account read (launch check, then create), campaign, ad set, creative, ad, three enables"
    );
    assert_eq!(platforms.count("/v21.0/"), 0, "{label}");
    assert_eq!(
        platforms.count("/open_api/"),
        3,
        "{label}: tiktok's first call (the advertiser read) tried max_attempts times"
    );
    let v = ok(&ana, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(
        (v["status"].as_str(), v["delivery_state"].as_str()),
        (Some("active"), Some("partial"))
    );

    // The same key launches nothing.
    let again = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "launch-1"}),
    )
    .await;
    assert_eq!(again["replayed"], true);
    assert_eq!(
        platforms.count("/"),
        12,
        "{label}: a repeated key sends nothing"
    );

    // TikTok back: a new key retries only the failed channel.
    platforms.tiktok_up.store(true, Ordering::SeqCst);
    let retry = ok(
        &bob,
        "launch_campaign",
        json!({"campaign_id": id, "idempotency_key": "launch-2"}),
    )
    .await;
    assert_eq!(ch(&retry, "tiktok")["outcome"], "launched");
    assert_eq!(ch(&retry, "meta")["outcome"], "already_launched");
    assert_eq!(
        platforms.count("/v25.0/"),
        9,
        "{label}: meta not touched again"
    );
    assert_eq!(
        platforms.count("/open_api/"),
        11,
        "{label}: tiktok advertiser read, image upload, campaign, ad group, ad, three enables"
    );
    assert_eq!(
        ch(&retry, "tiktok")["external_ids"],
        json!({"campaign": "1800", "adgroup": "1900", "ad": "2000"}),
        "{retry}"
    );
    let tiktok_body = platforms
        .hits
        .lock()
        .unwrap()
        .iter()
        .find(|(_, p, _)| p.ends_with("campaign/create/"))
        .unwrap()
        .2
        .clone();
    assert!(
        tiktok_body.contains("\"operation_status\":\"DISABLE\""),
        "{tiktok_body}"
    );
    let v = ok(&ana, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(v["delivery_state"], "launched");

    // Performance pulls Meta's insights into ad_daily.
    let p = ok(&ana, "get_campaign_performance", json!({"campaign_id": id})).await;
    let meta_perf = p["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "meta")
        .unwrap()
        .clone();
    assert_eq!(meta_perf["totals"]["spend_cents"], 12_345, "{p}");
    assert_eq!(meta_perf["totals"]["conversions"], 9);
    assert!((meta_perf["totals"]["roas"].as_f64().unwrap() - 600.0 / 123.45).abs() < 1e-9);
    assert!(platforms.count("/insights") >= 1);

    // The tenant daily cap: 1,000/day live; 4,500/day more would exceed 5,000.
    let big = ok(
        &ana,
        "create_campaign",
        campaign("Second", 1_000_000, &["google_ads"]),
    )
    .await;
    let big_id = big["id"].as_str().unwrap().to_owned();
    // A budget change goes through the campaign cap too.
    let e = err(
        &ana,
        "update_campaign",
        json!({"campaign_id": big_id, "budget_cents": 20_000_001}),
    )
    .await;
    assert!(e.contains("200000.01 USD"), "{e}");
    ok(
        &ana,
        "update_campaign",
        json!({"campaign_id": big_id, "budget_cents": 13_500_000}),
    )
    .await;
    ok(&ana, "submit_for_approval", json!({"campaign_id": big_id})).await;
    ok(&bob, "approve_campaign", approval(&big_id, &["google_ads"])).await;
    let e = err(
        &bob,
        "launch_campaign",
        json!({"campaign_id": big_id, "idempotency_key": "big-1"}),
    )
    .await;
    assert!(
        e.contains("tenant daily cap") && e.contains("4500.00") && e.contains("5000.00"),
        "{e}"
    );
    let v = ok(&ana, "get_campaign", json!({"campaign_id": big_id})).await;
    assert_eq!(
        v["status"], "approved",
        "{label}: a refused launch changes nothing"
    );

    // Pausing reaches the live platforms.
    let before = platforms.count("/");
    let paused = ok(&bob, "pause_campaign", json!({"campaign_id": id})).await;
    assert_eq!(paused["status"], "paused");
    assert!(platforms.count("/") > before);

    ana.cancel().await.unwrap();
    bob.cancel().await.unwrap();
    server.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_idempotency_partial_failure_and_caps_over_http_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        connectors_over_http(&backend).await;
    }
}

/// A person at an MCP client that supports elicitation: answers the launch
/// confirmation with `confirm`, or declines.
#[derive(Clone)]
struct Person {
    confirm: Option<bool>,
}

impl ClientHandler for Person {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("person", "1.0.0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let text = format!("{request:?}");
        assert!(text.contains("commits") && text.contains("USD"), "{text}");
        Ok(match self.confirm {
            Some(c) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": c }))
            }
            None => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

async fn person(backend: &Backend, confirm: Option<bool>) -> RunningService<RoleClient, Person> {
    let cmd = command("mcp-ads", backend).configure(|c| {
        c.envs([
            ("PROMPTSALES_ACTOR", "bob"),
            ("PROMPTSALES_SCOPES", "ads:approve,ads:launch"),
        ]);
    });
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    serve_client_with_lifecycle(
        Person { confirm },
        transport,
        ClientLifecycleMode::Initialize,
    )
    .await
    .unwrap()
}

/// Where the client supports elicitation, launching asks the person to
/// confirm the spend: a decline sends nothing, a confirmation launches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_asks_the_person_to_confirm_the_spend_on_every_backend() {
    for backend in Backend::all() {
        prepare(&backend).await;
        let ana = stdio_client_env(
            "mcp-ads",
            &backend,
            &[],
            &[("PROMPTSALES_ACTOR", "ana")],
            Era::Initialize,
        )
        .await;
        let c = ok(
            &ana,
            "create_campaign",
            campaign("Ask first", 600_000, &["meta"]),
        )
        .await;
        let id = c["id"].as_str().unwrap().to_owned();
        ok(&ana, "submit_for_approval", json!({"campaign_id": id})).await;
        let declines = person(&backend, None).await;
        ok(&declines, "approve_campaign", approval(&id, &["meta"])).await;
        let e = err(
            &declines,
            "launch_campaign",
            json!({"campaign_id": id, "idempotency_key": "ask-1"}),
        )
        .await;
        assert!(e.contains("not confirmed"), "{e}");
        assert_eq!(
            ok(&ana, "get_campaign", json!({"campaign_id": id})).await["status"],
            "approved"
        );
        let says_no = person(&backend, Some(false)).await;
        assert!(
            err(
                &says_no,
                "launch_campaign",
                json!({"campaign_id": id, "idempotency_key": "ask-1"})
            )
            .await
            .contains("not confirmed")
        );
        let confirms = person(&backend, Some(true)).await;
        let l = ok(
            &confirms,
            "launch_campaign",
            json!({"campaign_id": id, "idempotency_key": "ask-1"}),
        )
        .await;
        assert_eq!(l["status"], "active");
        assert!(
            l["confirmation"]
                .as_str()
                .unwrap()
                .contains("confirmed the spend"),
            "{l}"
        );
        for c in [declines, says_no, confirms] {
            c.cancel().await.unwrap();
        }
        ana.cancel().await.unwrap();
    }
}
