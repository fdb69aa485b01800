//! The agency's clients through the real `promptsales` binary, on both backends: a launch without approved creatives ends failed with a non-zero exit and `runs resume` keeps it failed (an explicit waiver lets it through, each channel named); the approver reads the plan and the copy; each client's morning digest is scheduled on its own clock and lists real names within its limit; plans round-trip through the CLI; a Meta token about to expire raises one agenda alert.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;

use promptsales_tests::{Backend, Era, bin_dir, call_tool, command, stdio_client_env};
use serde_json::{Value, json};

/// The agent: every read and everyday write, nothing privileged.
const AGENT_SCOPES: &str = "content:read,content:write,ads:read,ads:write,crm:read,crm:write,analytics:read,analytics:write,orchestrator:read";
/// An approver who may approve and launch campaigns but not copy.
const NO_COPY_APPROVER: &str = "orchestrator:approve,ads:approve,ads:launch";
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// The seeded sellers (orchestrator/src/seed): the digest names them.
const SELLERS: &[&str] = &[
    "Valentina Ríos",
    "Mateo García",
    "Camila Torres",
    "Santiago López",
    "Isabella Martínez",
    "Sebastián Díaz",
    "Lucía Fernández",
];

async fn ps(backend: &Backend, args: &[&str], actor: &str, scopes: &str) -> (i32, String, String) {
    let mut cmd = command("promptsales", backend);
    cmd.args(args)
        .env("PROMPTSALES_ACTOR", actor)
        .env("PROMPTSALES_SCOPES", scopes)
        .env("PROMPTSALES_SERVERS_DIR", bin_dir())
        .env("PROMPTSALES_ENCRYPTION_KEY", KEY)
        .stdin(Stdio::null());
    let out = cmd.output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn seed(backend: &Backend, clients: &str, campaigns: &str, days: &str) {
    let (code, out, err) = ps(
        backend,
        &[
            "seed",
            "--clients",
            clients,
            "--campaigns",
            campaigns,
            "--days",
            days,
        ],
        "seeder",
        AGENT_SCOPES,
    )
    .await;
    assert_eq!(code, 0, "seed: {out}\n{err}");
}

/// A launch for cli_001 (COP) on meta and email, started by the agent and
/// waiting at its gate: (run id, approval id, campaign id).
async fn waiting_launch(backend: &Backend) -> (String, String, String) {
    let today = chrono::Utc::now().date_naive();
    let params = json!({
        "client_id": "cli_001", "product": "Plan Pro", "channels": ["meta", "email"],
        "countries": ["CO"], "budget_cents": 400_000, "currency": "COP",
        "start_date": today.to_string(),
        "end_date": (today + chrono::Duration::days(20)).to_string(),
    })
    .to_string();
    let (code, out, err) = ps(
        backend,
        &[
            "runs",
            "start",
            "launch-campaign",
            "--params",
            &params,
            "--json",
        ],
        "planner-bot",
        AGENT_SCOPES,
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["run"]["status"], "waiting_approval", "{out}");
    let campaign = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_key"] == "campaign")
        .unwrap()["output"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (
        r["run"]["id"].as_str().unwrap().to_owned(),
        r["waiting_on"]["id"].as_str().unwrap().to_owned(),
        campaign,
    )
}

async fn campaign(backend: &Backend, id: &str) -> Value {
    let ads = stdio_client_env("mcp-ads", backend, &[], &[], Era::Initialize).await;
    let v = call_tool(ads.peer(), "get_campaign", json!({"campaign_id": id}))
        .await
        .unwrap();
    ads.cancel().await.unwrap();
    v
}

fn run_status(out: &str) -> String {
    serde_json::from_str::<Value>(out).unwrap()["run"]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The approver cannot approve copy, so nothing is attached: the run
/// fails before the campaign is approved, `approvals approve` and `runs
/// resume` exit non-zero and the campaign never goes live. The same with
/// the approver's explicit waiver launches, the waiver on each channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_without_approved_creatives_fails_and_stays_failed() {
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, "2", "4", "30").await;
        let (run, approval, campaign_id) = waiting_launch(&backend).await;

        // What the approver reads before deciding: the plan in major
        // units of the client's currency, the caps, each creative's copy.
        let (code, shown, err) = ps(&backend, &["approvals", "show", &approval], "ana", "").await;
        assert_eq!(code, 0, "{label}: {err}");
        for want in [
            "budget: 4.000 COP",
            "meta",
            "email",
            "caps:",
            "creatives drafted",
            "waiver of missing creatives: none",
        ] {
            assert!(
                shown.contains(want),
                "{label}: {want:?} missing in\n{shown}"
            );
        }
        let (_, json_shown, _) = ps(
            &backend,
            &["approvals", "show", &approval, "--json"],
            "ana",
            "",
        )
        .await;
        let a: Value = serde_json::from_str(&json_shown).unwrap();
        assert!(
            a["review"]["creatives"].as_array().unwrap().len() >= 2,
            "{label}: {a}"
        );

        let (code, out, err) = ps(
            &backend,
            &["approvals", "approve", &approval, "--note", "plan ok"],
            "ana.approver",
            NO_COPY_APPROVER,
        )
        .await;
        assert_ne!(
            code, 0,
            "{label}: a failed run is not a success\n{out}\n{err}"
        );
        assert!(
            out.contains("failed") && out.contains("no approved creative"),
            "{label}: {out}"
        );
        let (code, out, _) = ps(
            &backend,
            &["runs", "resume", &run],
            "ana.approver",
            NO_COPY_APPROVER,
        )
        .await;
        assert_ne!(
            code, 0,
            "{label}: resume turned a failed run into success\n{out}"
        );
        assert!(out.contains("failed"), "{label}: {out}");
        let (_, show, _) = ps(&backend, &["runs", "show", &run, "--json"], "ana", "").await;
        assert_eq!(run_status(&show), "failed", "{label}");
        let c = campaign(&backend, &campaign_id).await;
        assert_eq!(c["status"], "pending_approval", "{label}: {c}");
        assert!(c["publications"].as_array().unwrap().is_empty(), "{label}");

        // The approver waives explicitly, saying why: approved and launched,
        // each channel without a creative waived with that note.
        let (run, approval, campaign_id) = waiting_launch(&backend).await;
        let (code, out, err) = ps(
            &backend,
            &[
                "approvals",
                "approve",
                &approval,
                "--waive",
                "the client's own agency delivers the artwork",
            ],
            "ana.approver",
            NO_COPY_APPROVER,
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let (_, show, _) = ps(&backend, &["runs", "show", &run, "--json"], "ana", "").await;
        assert_eq!(run_status(&show), "succeeded", "{label}: {show}");
        let c = campaign(&backend, &campaign_id).await;
        assert_eq!(c["status"], "active", "{label}: {c}");
        let waived: Vec<&str> = c["waivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["channel"].as_str().unwrap())
            .collect();
        assert_eq!(waived, ["meta", "email"], "{label}: {c}");
        assert!(c.to_string().contains("own agency delivers"), "{label}");
    }
}

/// `promptsales serve` schedules every client's digest at 08:00 on
/// weekdays in the client's own zone; run on demand on the seed, the
/// digest names the client and its sellers and lists no more than its
/// limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_job_lists_real_names_within_its_limit() {
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, "3", "30", "120").await;
        let (code, out, err) = ps(&backend, &["serve", "--once"], "scheduler", AGENT_SCOPES).await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let (_, jobs, _) = ps(&backend, &["jobs", "list"], "ops", "").await;
        // cli_001 is Colombian, cli_002 Mexican: each on its own clock.
        let line = |id: &str| {
            jobs.lines()
                .find(|l| l.starts_with(id))
                .unwrap_or_else(|| panic!("{label}: no {id} in\n{jobs}"))
                .to_owned()
        };
        let co = line("follow-ups:cli_001");
        assert!(
            co.contains("08:00 America/Bogota") && co.contains("T13:00:00"),
            "{label}: {co}"
        );
        let mx = line("follow-ups:cli_002");
        assert!(mx.contains("08:00 America/Mexico_City"), "{label}: {mx}");
        assert!(line("connection-expiry").contains("UTC"), "{label}");

        // A digest of at most 5 leads for cli_001, run now.
        let (code, out, err) = ps(
            &backend,
            &[
                "jobs",
                "add",
                "digest-cli_001",
                "--client",
                "cli_001",
                "--cron",
                "0 8 * * 1-5",
                "--recipe",
                "lead-nurture",
                "--args",
                r#"{"client_id": "cli_001", "limit": 5}"#,
            ],
            "ops",
            "",
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        assert!(out.contains("(America/Bogota)"), "{label}: {out}");
        let (code, out, err) = ps(
            &backend,
            &["jobs", "run", "digest-cli_001"],
            "scheduler",
            AGENT_SCOPES,
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        assert!(out.contains("Café Andino (cli_001)"), "{label}: {out}");
        assert!(
            SELLERS.iter().any(|s| out.contains(s)),
            "{label}: no seller named in\n{out}"
        );
        let items = out.lines().filter(|l| l.starts_with("    [")).count();
        assert!((1..=5).contains(&items), "{label}: {items} items\n{out}");
        assert!(out.contains(&format!("{items} shown of")), "{label}: {out}");
        assert!(
            !out.contains("cli_002"),
            "{label}: another client's leads\n{out}"
        );

        // The seed's sellers cover the leads' countries and have room:
        // a new Colombian lead is assigned by country.
        let envs = [("PROMPTSALES_ENCRYPTION_KEY", KEY)];
        let crm = stdio_client_env("mcp-crm", &backend, &[], &envs, Era::Initialize).await;
        let lead = call_tool(
            crm.peer(),
            "register_lead",
            json!({"client_id": "cli_001", "channel": "web", "country": "CO",
                   "name": "Ana Pérez", "email": "ana.perez@example.com"}),
        )
        .await
        .unwrap();
        let lead_id = lead["lead"]["id"].as_str().unwrap().to_owned();
        let assigned = call_tool(
            crm.peer(),
            "assign_lead",
            json!({"lead_id": lead_id, "strategy": "by_country"}),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: by_country on the seed: {e}"));
        assert!(assigned.to_string().contains("sel_"), "{label}: {assigned}");
        crm.cancel().await.unwrap();
    }
}

/// Plans are data: listed as JSON, written back from a file or flags,
/// assigned to a client, and an invalid one refused with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_round_trip_through_the_cli() {
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, "2", "4", "30").await;
        let (code, out, err) = ps(&backend, &["plans", "list", "--json"], "ops", "").await;
        assert_eq!(code, 0, "{label}: {err}");
        let seeded: Vec<Value> = serde_json::from_str(&out).unwrap();
        // Every sub-company has Starter, Growth and Scale; each seeded client
        // is on one plan of each.
        for ctx in ["content", "ads", "crm", "analytics"] {
            let n = seeded.iter().filter(|p| p["context"] == ctx).count();
            assert!(n >= 3, "{label}: {ctx} has {n} plans");
            for client in ["cli_001", "cli_002"] {
                let on = seeded
                    .iter()
                    .filter(|p| p["context"] == ctx)
                    .filter(|p| p["clients"].as_array().unwrap().contains(&json!(client)))
                    .count();
                assert_eq!(on, 1, "{label}: {client} on {on} {ctx} plans");
            }
        }
        // cli_001 is Colombian: its ads plan counts pesos.
        let ads = seeded
            .iter()
            .find(|p| {
                p["context"] == "ads"
                    && p["clients"].as_array().unwrap().contains(&json!("cli_001"))
            })
            .unwrap();
        assert!(
            ads["id"].as_str().unwrap().ends_with("_cop"),
            "{label}: {ads}"
        );

        let plan = json!({"id": "ads_pilot_cop", "context": "ads", "name": "Pilot (COP)", "limits": [
            {"kind": "active_campaigns", "value": 2},
            {"kind": "monthly_ad_spend", "value": 150_000_000, "currency": "COP"}
        ]});
        let file = backend.dir.path().join("plans.json");
        std::fs::write(&file, json!([plan]).to_string()).unwrap();
        let (code, out, err) = ps(
            &backend,
            &["plans", "set", file.to_str().unwrap()],
            "ops",
            "",
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        assert!(
            out.contains("ads_pilot_cop") && out.contains("saved"),
            "{label}: {out}"
        );
        let (_, again, _) = ps(
            &backend,
            &["plans", "set", file.to_str().unwrap()],
            "ops",
            "",
        )
        .await;
        assert!(again.contains("unchanged"), "{label}: {again}");
        let (code, out, err) = ps(
            &backend,
            &[
                "plans",
                "set",
                "--id",
                "crm_pilot",
                "--context",
                "crm",
                "--name",
                "Pilot",
                "--limit",
                "leads_stored=100",
                "--limit",
                "seats=2",
            ],
            "ops",
            "",
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let (code, out, err) = ps(
            &backend,
            &["plans", "assign", "cli_001", "ads_pilot_cop"],
            "ops",
            "",
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let (_, out, _) = ps(
            &backend,
            &["plans", "list", "--json", "--context", "ads"],
            "ops",
            "",
        )
        .await;
        let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
        let pilot = listed.iter().find(|p| p["id"] == "ads_pilot_cop").unwrap();
        for k in ["id", "context", "name", "limits"] {
            assert_eq!(pilot[k], plan[k], "{label}: {k}");
        }
        assert_eq!(pilot["clients"], json!(["cli_001"]), "{label}");
        assert!(listed.iter().all(|p| p["context"] == "ads"), "{label}");
        let (_, text, _) = ps(&backend, &["plans", "list"], "ops", "").await;
        assert!(
            text.contains("monthly_ad_spend 1.500.000 COP") && text.contains("clients: cli_001"),
            "{label}: {text}"
        );
        let (_, crm, _) = ps(
            &backend,
            &["plans", "list", "--json", "--context", "crm"],
            "ops",
            "",
        )
        .await;
        assert!(crm.contains("\"crm_pilot\""), "{label}: {crm}");
        // A limit of another sub-company is refused, naming it.
        let (code, _, err) = ps(
            &backend,
            &[
                "plans",
                "set",
                "--id",
                "ads_bad",
                "--context",
                "ads",
                "--name",
                "Bad",
                "--limit",
                "leads_stored=5",
            ],
            "ops",
            "",
        )
        .await;
        assert_ne!(code, 0, "{label}");
        assert!(err.contains("leads_stored"), "{label}: {err}");
    }
}

/// A client's Meta token expiring in three days: the daily check raises
/// one agenda alert, however often it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_raises_one_alert() {
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, "2", "4", "30").await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(3))
            .date_naive()
            .to_string();
        let envs = [
            ("PROMPTSALES_SCOPES", "admin"),
            ("PROMPTSALES_ENCRYPTION_KEY", KEY),
        ];
        let ads = stdio_client_env("mcp-ads", &backend, &[], &envs, Era::Initialize).await;
        call_tool(
            ads.peer(),
            "set_connection",
            json!({"client_id": "cli_001", "channel": "meta", "ad_account_id": "1234567890",
                   "page_id": "987654321", "access_token": "EAAG-test-token", "expires_at": expires}),
        )
        .await
        .unwrap();
        ads.cancel().await.unwrap();

        // The scheduler installs the daily check; without `admin` it fails
        // and says what it needs.
        let scopes = format!("{AGENT_SCOPES},admin");
        let (code, out, err) = ps(&backend, &["serve", "--once"], "scheduler", &scopes).await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let (code, out, _) = ps(
            &backend,
            &["jobs", "run", "connection-expiry"],
            "scheduler",
            AGENT_SCOPES,
        )
        .await;
        assert_ne!(code, 0, "{label}");
        assert!(out.contains("`admin`"), "{label}: {out}");
        for _ in 0..2 {
            let (code, out, err) = ps(
                &backend,
                &["jobs", "run", "connection-expiry"],
                "scheduler",
                &scopes,
            )
            .await;
            assert_eq!(code, 0, "{label}: {out}\n{err}");
        }
        let (code, agenda, err) = ps(&backend, &["agenda", "list"], "ana", "").await;
        assert_eq!(code, 0, "{label}: {err}");
        let alerts: Vec<&str> = agenda
            .lines()
            .filter(|l| l.contains("connection_expiry"))
            .collect();
        assert_eq!(alerts.len(), 1, "{label}: {agenda}");
        assert!(
            alerts[0].contains("meta connection of cli_001 expires in")
                && alerts[0].contains(&expires),
            "{label}: {}",
            alerts[0]
        );
    }
}

/// An Open Exchange Rates–style fake (docs.openexchangerates.org
/// `historical/YYYY-MM-DD.json`): the App ID is required, only USD is a
/// base, `symbols` says which rates to answer; every currency is 1,000 per
/// USD so a conversion shows whose rate it used. Counts its requests.
async fn rates_fake() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::extract::{Path, Query};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/api/historical/{file}",
        axum::routing::get(
            move |Path(file): Path<String>, Query(q): Query<HashMap<String, String>>| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let ok = file.ends_with(".json")
                        && q.get("app_id").map(String::as_str) == Some("fx-key")
                        && q.get("base").map(String::as_str) == Some("USD");
                    if !ok {
                        return (
                            axum::http::StatusCode::UNAUTHORIZED,
                            axum::Json(json!({"error": true, "status": 401,
                                "message": "invalid_app_id", "description": "Invalid App ID provided."})),
                        );
                    }
                    let rates: serde_json::Map<String, Value> = q
                        .get("symbols")
                        .map(|s| s.split(',').map(|c| (c.to_owned(), json!(1000.0))).collect())
                        .unwrap_or_default();
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(json!({"base": "USD", "timestamp": 1_767_225_600, "rates": rates})),
                    )
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api"), hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_rates_job_fetches_once_and_answers_convert_with_its_rates() {
    use std::sync::atomic::Ordering;
    let (url, hits) = rates_fake().await;
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, "2", "4", "20").await;
        let (code, out, err) = ps(&backend, &["sync"], "scheduler", AGENT_SCOPES).await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let (code, out, err) = ps(&backend, &["serve", "--once"], "scheduler", AGENT_SCOPES).await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");

        // Without a provider the job fetches nothing and says how to set one.
        let (code, out, err) = ps(
            &backend,
            &["jobs", "run", "fx-rates"],
            "scheduler",
            AGENT_SCOPES,
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        assert!(
            out.contains("not_configured") && out.contains("PROMPTSALES_FX_URL"),
            "{label}: {out}"
        );

        let with_provider = |args: &'static [&'static str]| {
            let mut cmd = command("promptsales", &backend);
            cmd.args(args)
                .env("PROMPTSALES_ACTOR", "scheduler")
                .env("PROMPTSALES_SCOPES", AGENT_SCOPES)
                .env("PROMPTSALES_SERVERS_DIR", bin_dir())
                .env("PROMPTSALES_ENCRYPTION_KEY", KEY)
                .env("PROMPTSALES_FX_URL", &url)
                .env("PROMPTSALES_FX_APP_ID", "fx-key")
                .stdin(Stdio::null());
            cmd
        };
        let before = hits.load(Ordering::SeqCst);
        let out = with_provider(&["jobs", "run", "fx-rates"])
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{label}: {text}");
        assert!(text.contains("refreshed"), "{label}: {text}");
        // The first run back-fills a week, one request per day.
        assert_eq!(hits.load(Ordering::SeqCst) - before, 7, "{label}");
        // Run again: up to date, nothing fetched.
        let out = with_provider(&["jobs", "run", "fx-rates"])
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("up_to_date"),
            "{label}: {text}"
        );
        assert_eq!(hits.load(Ordering::SeqCst) - before, 7, "{label}");

        // Yesterday's spend of one client, in its own currency and in USD:
        // the provider's rate (1,000 per USD) replaced the seeded one.
        let analytics =
            stdio_client_env("mcp-analytics", &backend, &[], &[], Era::Initialize).await;
        let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
        let spend = |currency: Option<&str>| {
            let mut spec = json!({"metrics": ["spend"],
                "filters": [{"field": "client", "op": "eq", "value": "cli_001"}],
                "time_range": {"type": "absolute", "from": yesterday, "to": yesterday}});
            if let Some(c) = currency {
                spec["currency"] = json!(c);
            }
            call_tool(analytics.peer(), "query_metrics", json!({"spec": spec}))
        };
        let own = spend(None).await.unwrap();
        let usd = spend(Some("USD")).await.unwrap();
        let amount = |v: &Value| {
            let cols = v["columns"].as_array().unwrap();
            let i = cols.iter().position(|c| c == "spend").unwrap();
            v["rows"][0][i].as_f64().unwrap()
        };
        assert!(amount(&own) > 0.0, "{label}: {own}");
        assert!(
            (amount(&own) / 1000.0 - amount(&usd)).abs() < 0.01,
            "{label}: {own}\n{usd}"
        );
        assert_eq!(usd["conversion"]["currency"], "USD", "{label}: {usd}");
        analytics.cancel().await.unwrap();
    }
}
