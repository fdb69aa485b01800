//! The `promptsales` orchestrator end to end through the real binaries: the launch pipeline across the four servers with its approval gate, a server killed mid-pipeline and the run resumed without duplicates, the planner CLI, the orchestrator's own MCP server, `promptsales migrate`, `claude-config` and the demo.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;

use orchestrator::client::{
    CallError, CallOpts, Endpoint, Hub, HubConfig, SERVERS, ServerSpec, Tools,
};
use orchestrator::pipeline::decide;
use orchestrator::pipeline::recipe::Recipe;
use orchestrator::pipeline::runner::{ResumeOpts, Runner};
use orchestrator::pipeline::store::{RunStatus, RunStore};
use orchestrator::scheduler::{JobStore, Scheduler};
use promptsales_server::auth::Principal;
use promptsales_shared::config::{CommonArgs, DbConfig};
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use promptsales_tests::{Backend, Era, HttpServer, bin_dir, command, stdio_client_env, tokens};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

/// The agent: every read and everyday write (the local default, spelled
/// out), nothing privileged — it can neither approve nor launch.
const AGENT_SCOPES: &str = "content:read,content:write,ads:read,ads:write,crm:read,crm:write,analytics:read,analytics:write,orchestrator:read";
/// An approver: deciding the gate (`orchestrator:approve` + `ads:approve`)
/// and the steps that run as them after it (`content:approve`,
/// `ads:approve`, `ads:launch`). Nothing more, although `approvals approve`
/// continues the run in the approver's own process: attaching the copy runs
/// in the starter's name, so the approver never edits what they approve.
const APPROVER_SCOPES: &str = "orchestrator:approve,ads:approve,content:approve,ads:launch";
/// The CRM encrypts lead PII; PostgreSQL deployments must give the key.
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Runs `promptsales ARGS` on the backend as `actor` with `scopes`.
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

fn var<'a>(backend: &'a Backend, name: &str) -> Option<&'a str> {
    backend
        .vars
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn launch_params() -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({
        "client_id": "cli_001",
        "product": "Plan Pro",
        "channels": ["meta", "email"],
        "countries": ["CO"],
        "keywords": ["plan pro"],
        "budget_cents": 400_000,
        "currency": "COP",
        "start_date": today.to_string(),
        "end_date": (today + chrono::Duration::days(20)).to_string(),
    })
}

async fn seed(backend: &Backend) {
    let (code, out, err) = ps(
        backend,
        &["seed", "--clients", "2", "--campaigns", "4", "--days", "30"],
        "seeder",
        "",
    )
    .await;
    assert_eq!(code, 0, "seed: {out}\n{err}");
    // The sync needs nothing but the analytics server's `sync` scope.
    let (code, out, err) = ps(backend, &["sync"], "seeder", "analytics:write").await;
    assert_eq!(code, 0, "sync: {out}\n{err}");
}

async fn call(client: &promptsales_tests::Client, tool: &str, args: Value) -> Value {
    let r = client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{tool}: {r:?}");
    r.structured_content.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_waits_at_the_gate_refuses_non_approvers_and_launches_once() {
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend).await;
        let params = launch_params().to_string();
        let (code, out, err) = ps(
            &backend,
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
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            report["run"]["status"], "waiting_approval",
            "{label}: {out}"
        );
        let run_id = report["run"]["id"].as_str().unwrap().to_owned();
        let approval = report["waiting_on"]["id"].as_str().unwrap().to_owned();
        let campaign = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step_key"] == "campaign")
            .unwrap()["output"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            !out.contains("\"step_key\": \"launch\""),
            "{label}: launched before approval"
        );

        // Listed as pending; a person without the scope and the run's own
        // starter are refused; the run still waits.
        let (_, list, _) = ps(&backend, &["approvals", "list"], "anyone", "").await;
        assert!(list.contains(&approval), "{label}: {list}");
        let (code, _, err) = ps(&backend, &["approvals", "approve", &approval], "bob", "").await;
        assert_ne!(code, 0);
        assert!(
            err.contains("`orchestrator:approve` and `ads:approve`")
                && err.contains("PROMPTSALES_SCOPES=ads:approve,orchestrator:approve"),
            "{label}: the refusal names the scopes and how to grant them: {err}"
        );
        let (code, _, err) = ps(
            &backend,
            &["approvals", "approve", &approval],
            "planner-bot",
            APPROVER_SCOPES,
        )
        .await;
        assert_ne!(code, 0);
        assert!(err.contains("cannot approve its own"), "{label}: {err}");
        let (_, show, _) = ps(&backend, &["runs", "show", &run_id, "--json"], "anyone", "").await;
        assert_eq!(
            serde_json::from_str::<Value>(&show).unwrap()["run"]["status"],
            "waiting_approval"
        );

        // The approver approves: the run continues to the launch.
        let (code, out, err) = ps(
            &backend,
            &["approvals", "approve", &approval, "--note", "budget ok"],
            "ana.approver",
            APPROVER_SCOPES,
        )
        .await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        assert!(out.contains("succeeded"), "{label}: {out}");
        let (_, show, _) = ps(&backend, &["runs", "show", &run_id, "--json"], "anyone", "").await;
        let shown: Value = serde_json::from_str(&show).unwrap();
        let steps = shown["steps"].as_array().unwrap().clone();
        let launch = steps.iter().find(|s| s["step_key"] == "launch").unwrap();
        assert_eq!(launch["status"], "succeeded", "{label}: {launch}");
        assert_eq!(launch["attempts"], 1);
        assert_eq!(launch["idempotency_key"], json!(format!("{run_id}/launch")));
        assert_eq!(
            steps
                .iter()
                .filter(|s| s["step_id"] == "agenda" && s["status"] == "succeeded")
                .count(),
            4,
            "{label}: 3 tasks + the loop"
        );

        // Resuming a finished run repeats nothing.
        let (code, _, err) = ps(
            &backend,
            &["runs", "resume", &run_id],
            "ana.approver",
            APPROVER_SCOPES,
        )
        .await;
        assert_eq!(code, 0, "{err}");
        let (_, again, _) = ps(&backend, &["runs", "show", &run_id, "--json"], "anyone", "").await;
        let again: Value = serde_json::from_str(&again).unwrap();
        assert_eq!(
            again["steps"], shown["steps"],
            "{label}: resume changed a finished run"
        );

        // The ads server agrees: the campaign is active, approved by the approver.
        let ads = stdio_client_env("mcp-ads", &backend, &[], &[], Era::Initialize).await;
        let view = call(&ads, "get_campaign", json!({"campaign_id": campaign})).await;
        assert_eq!(view["status"], "active", "{label}: {view}");
        assert!(view.to_string().contains("ana.approver"), "{label}: {view}");
        ads.cancel().await.unwrap();
    }
}

fn hub_config(backend: &Backend) -> HubConfig {
    let mut config = HubConfig::from_lookup(&|_| None).unwrap();
    let env: Vec<(String, String)> = backend
        .vars
        .iter()
        .cloned()
        .chain([
            ("PROMPTSALES_ACTOR".to_owned(), "planner-bot".to_owned()),
            ("PROMPTSALES_SCOPES".to_owned(), AGENT_SCOPES.to_owned()),
            ("PROMPTSALES_LOG".to_owned(), "error".to_owned()),
            ("PROMPTSALES_ENCRYPTION_KEY".to_owned(), KEY.to_owned()),
        ])
        .collect();
    config.servers = SERVERS
        .iter()
        .map(|(name, binary)| ServerSpec {
            name: (*name).to_owned(),
            endpoint: Endpoint::Stdio {
                program: bin_dir().join(binary),
                args: vec![],
            },
            env: env.clone(),
        })
        .collect();
    config
}

fn common_args(backend: &Backend) -> CommonArgs {
    CommonArgs {
        data_dir: var(backend, "PROMPTSALES_DATA_DIR").map(str::to_owned),
        database_url: var(backend, "DATABASE_URL").map(str::to_owned),
        schema_prefix: var(backend, "PROMPTSALES_SCHEMA_PREFIX").map(str::to_owned),
        log: Some("warn".into()),
        ..CommonArgs::default()
    }
}

async fn orchestrator_db(backend: &Backend) -> Db {
    let cfg: DbConfig = common_args(backend).resolve().unwrap().db;
    Db::open(&cfg, &orchestrator::MIGRATIONS).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_pipeline_is_restarted_and_resume_duplicates_nothing() {
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend).await;
        let hub = Hub::connect(hub_config(&backend)).await;
        assert!(hub.unavailable.is_empty(), "{label}: {:?}", hub.unavailable);
        assert!(hub.tool("crm.register_lead").is_some() && hub.tool("analytics.ask").is_some());
        let store = RunStore::new(orchestrator_db(&backend).await);
        let tenant = TenantId::from_trusted("default".into());
        let runner = Runner::new(&hub, &store, tenant.clone(), "planner-bot");
        let (source, _) = Recipe::builtin("launch-campaign").unwrap();
        let r = runner.start(source, &launch_params()).await.unwrap();
        assert_eq!(
            r.run.status,
            RunStatus::WaitingApproval,
            "{label}: {:?}",
            r.run.error
        );
        let drafted: Vec<String> = r
            .steps
            .iter()
            .filter(|s| s.step_id == "content" && s.step_key.contains('#'))
            .flat_map(|s| {
                s.output.as_ref().unwrap()["variants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["asset_id"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(!drafted.is_empty());

        // The ads server dies while the run waits for its approver.
        let pid = hub.pid("ads").await;
        assert!(pid > 0);
        assert!(
            std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let approver = Principal::new("ana.approver", tenant.clone(), APPROVER_SCOPES.split(','));
        decide(
            &store,
            &approver,
            &r.waiting_on.unwrap().id,
            true,
            Some("go"),
        )
        .await
        .unwrap();
        let done = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(
            done.run.status,
            RunStatus::Succeeded,
            "{label}: {:?}",
            done.run.error
        );

        // Resume again: nothing runs twice — no second campaign launch, no
        // new content.
        let before = store.steps(&tenant, &r.run.id).await.unwrap();
        let again = runner
            .resume(&r.run.id, &ResumeOpts::default())
            .await
            .unwrap();
        assert_eq!(again.run.status, RunStatus::Succeeded);
        let after = store.steps(&tenant, &r.run.id).await.unwrap();
        assert_eq!(before.len(), after.len());
        assert!(
            before
                .iter()
                .zip(&after)
                .all(|(a, b)| a.attempts == b.attempts && a.finished_at == b.finished_at)
        );
        let campaigns = hub
            .call(
                "ads.list_campaigns",
                json!({"status": "active", "client_id": "cli_001"}),
                CallOpts::default(),
            )
            .await
            .unwrap();
        let campaign_id = done
            .steps
            .iter()
            .find(|s| s.step_key == "campaign")
            .unwrap()
            .output
            .as_ref()
            .unwrap()["id"]
            .clone();
        let active: Vec<&Value> = campaigns["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == campaign_id)
            .collect();
        assert_eq!(active.len(), 1, "{label}: {campaigns}");
        // The killed server came back for the hub's own next call (the
        // steps after the gate run as the approver or in the starter's
        // name, each over a connection of its own).
        assert!(
            hub.restarts("ads").await >= 1,
            "{label}: ads was not restarted"
        );
        assert_ne!(hub.pid("ads").await, pid);
        let assets = hub
            .call(
                "content.list_assets",
                json!({"client_id": "cli_001", "limit": 500}),
                CallOpts::default(),
            )
            .await
            .unwrap();
        let ours = assets["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| drafted.iter().any(|d| a["id"] == json!(d)))
            .count();
        assert_eq!(
            ours,
            drafted.len(),
            "{label}: content was duplicated or lost"
        );

        // The other built-in recipes against the real servers.
        let (weekly, _) = Recipe::builtin("weekly-report").unwrap();
        let w = runner.start(weekly, &json!({})).await.unwrap();
        assert_eq!(
            w.run.status,
            RunStatus::Succeeded,
            "{label}: {:?}",
            w.run.error
        );
        assert_eq!(w.printed.len(), 2, "{label}: one report per seeded client");
        assert!(
            w.printed.iter().all(|p| p.starts_with('#')),
            "{label}: {:?}",
            w.printed
        );
        let one = runner
            .start(weekly, &json!({"client_id": "cli_001"}))
            .await
            .unwrap();
        assert_eq!(
            one.run.status,
            RunStatus::Succeeded,
            "{label}: {:?}",
            one.run.error
        );
        assert_eq!(one.printed.len(), 1, "{label}");
        let (nurture, _) = Recipe::builtin("lead-nurture").unwrap();
        let n = runner.start(nurture, &json!({"limit": 3})).await.unwrap();
        assert_eq!(
            n.run.status,
            RunStatus::Succeeded,
            "{label}: {:?}",
            n.run.error
        );

        // Every call is bounded and cancellable.
        let quick = CallOpts {
            timeout: Some(std::time::Duration::from_micros(1)),
            ..CallOpts::default()
        };
        let e = hub
            .call("analytics.report", json!({}), quick)
            .await
            .unwrap_err();
        assert!(matches!(e, CallError::Timeout { .. }), "{label}: {e}");
        let cancelled = CallOpts {
            cancel: Some(Default::default()),
            ..CallOpts::default()
        };
        if let Some(token) = &cancelled.cancel {
            token.cancel();
        }
        let e = hub
            .call("analytics.report", json!({}), cancelled)
            .await
            .unwrap_err();
        assert!(matches!(e, CallError::Cancelled { .. }), "{label}: {e}");
        // The session survives both.
        assert!(
            hub.call("analytics.sync_status", json!({}), CallOpts::default())
                .await
                .is_ok()
        );

        // The scheduler runs a due job through the servers, once.
        let jobs = JobStore::new(store.db().clone(), tenant.clone());
        jobs.add_once_many(
            &[("sync-now".into(), json!({"tool": "analytics.sync"}))],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let orch_rt =
            promptsales_server::app::Runtime::start("promptsales", &common_args(&backend))
                .await
                .unwrap();
        let orch = orchestrator::app::Orchestrator::open(orch_rt)
            .await
            .unwrap();
        let action = orchestrator::app::HubAction {
            orch: &orch,
            tools: &hub,
        };
        let a = Scheduler::new(jobs.clone(), "a");
        let b = Scheduler::new(jobs.clone(), "b");
        let (ra, rb) = tokio::join!(a.tick(&action), b.tick(&action));
        assert_eq!(ra.unwrap().ran + rb.unwrap().ran, 1, "{label}");
        assert_eq!(jobs.completed_slots("job:sync-now").await.unwrap(), 1);
        hub.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_cli_calls_tools_or_asks_back() {
    let backend = Backend::sqlite();
    seed(&backend).await;
    let (code, out, err) = ps(
        &backend,
        &[
            "run",
            "¿cuántos leads tuvimos por canal en los últimos 30 días?",
        ],
        "ana",
        "analytics:read",
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("→ analytics.ask") && out.contains("Leads por canal"),
        "{out}"
    );
    let (code, out, _) = ps(
        &backend,
        &["run", "Launch a campaign for cli_001"],
        "ana",
        "",
    )
    .await;
    assert_eq!(code, 3);
    assert!(
        out.contains("To do that I still need") && out.contains("budget"),
        "{out}"
    );
    let (code, out, err) = ps(
        &backend,
        &[
            "run",
            "Write copy for \"Plan Pro\" for cli_001 on Instagram, 2 variants",
        ],
        "ana",
        "content:write",
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("→ content.generate_content") && out.contains("asset_id"),
        "{out}"
    );
}

/// The day's work in plain words through the real binaries: help in both
/// languages from the tools really exposed, a campaign paused by its name
/// (resolved to its id, then stopped by the confirmation rule since nobody
/// is at a terminal), a lead whose country comes from its client, the
/// follow-up digest and a report in Spanish — printed for people, and as
/// JSON with `--json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_days_work_in_plain_words() {
    let backend = Backend::sqlite();
    seed(&backend).await;
    let scopes = AGENT_SCOPES;

    let (code, out, err) = ps(&backend, &["run", "help"], "ana", scopes).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with("I can, in English or Spanish:")
            && out.contains("Which leads should I call today?")
            && out.contains("Pause the campaign")
            && out.contains("Tools available: ads "),
        "{out}"
    );
    let (code, out, _) = ps(&backend, &["run", "ayuda"], "ana", scopes).await;
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Puedo") && out.contains("¿a quién llamo hoy?"),
        "{out}"
    );

    // A campaign by its name (one no other campaign has).
    let ads = stdio_client_env("mcp-ads", &backend, &[], &[], Era::Initialize).await;
    let list = call(&ads, "list_campaigns", json!({"limit": 500})).await;
    let items = list["items"].as_array().unwrap().clone();
    let named_once = |c: &&Value| items.iter().filter(|o| o["name"] == c["name"]).count() == 1;
    let movable = items
        .iter()
        .filter(named_once)
        .find(|c| c["status"] == "active" || c["status"] == "paused");
    let unique = movable
        .or_else(|| items.iter().find(named_once))
        .expect("a campaign with a name of its own");
    let (id, name) = (
        unique["id"].as_str().unwrap(),
        unique["name"].as_str().unwrap(),
    );
    let (verb, tool) = if unique["status"] == "paused" {
        ("reanuda", "ads.resume_campaign")
    } else {
        ("pausa", "ads.pause_campaign")
    };
    let (code, out, err) = ps(
        &backend,
        &["run", &format!("{verb} la campaña {name}")],
        "ana",
        scopes,
    )
    .await;
    assert_eq!(code, 3, "{out}\n{err}");
    if movable.is_some() {
        // Resolved to its id, then stopped by the confirmation rule.
        assert!(
            out.contains(&format!("→ {tool} {{\"campaign_id\":\"{id}\"}}"))
                && out.contains("not called"),
            "{out}"
        );
        assert!(err.contains("Allow this call?"), "{err}");
    } else {
        // Every campaign ended: said, not attempted.
        assert!(
            out.contains(&format!("{name} ({id}")) && out.contains("está finalizada"),
            "{out}"
        );
    }
    let after = call(&ads, "get_campaign", json!({"campaign_id": id})).await;
    assert_eq!(after["status"], unique["status"], "nothing was paused");
    ads.cancel().await.unwrap();

    // The lead: a national number, the client by name, the channel
    // in words; the country is the client's.
    let (code, out, err) = ps(
        &backend,
        &[
            "run",
            "registra este lead: Laura Martínez, 310 555 1234, para Café Andino, vino por Instagram",
        ],
        "ana",
        scopes,
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Registré a Laura Martínez como lead")
            && out.contains("+573105551234")
            && out.contains("llegó por instagram"),
        "{out}"
    );
    let (code, out, err) = ps(
        &backend,
        &[
            "run",
            "--json",
            "register this lead: Tom Baker, +52 55 1234 5678, for Café Andino, came from Facebook",
        ],
        "ana",
        scopes,
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["plan"]["tool"], "crm.register_lead");
    assert_eq!(v["result"]["lead"]["country"], "MX");
    assert_eq!(v["result"]["lead"]["channel"], "meta");

    // The digest: a table for people, the tool's JSON with --json.
    let (code, json_out, _) = ps(
        &backend,
        &["run", "--json", "Which leads should I call today?"],
        "ana",
        scopes,
    )
    .await;
    assert_eq!(code, 0, "{json_out}");
    let v: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(v["plan"]["tool"], "crm.follow_ups_due");
    let due = v["result"]["total_due"].as_u64().unwrap();
    let (code, out, _) = ps(&backend, &["run", "¿a quién llamo hoy?"], "ana", scopes).await;
    assert_eq!(code, 0, "{out}");
    // No raw JSON for people: past the line naming the call, no object.
    assert!(
        out.lines()
            .skip(1)
            .all(|l| !l.trim_start().starts_with('{')),
        "{out}"
    );
    if due == 0 {
        assert!(out.contains("Nadie necesita seguimiento"), "{out}");
    } else {
        assert!(
            out.contains(&format!("{due} leads para hacer seguimiento"))
                && out.contains("prioridad")
                && out.contains("---"),
            "{out}"
        );
    }

    let (code, out, err) = ps(
        &backend,
        &["run", "informe semanal de Café Andino"],
        "ana",
        scopes,
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("→ recipe weekly-report {\"client_id\":\"cli_001\",\"language\":\"es\"}")
            && out.contains("Informe de rendimiento"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orchestrator_is_an_mcp_server() {
    for backend in Backend::all() {
        for era in Era::ALL {
            let envs = [
                ("PROMPTSALES_SERVERS_DIR", bin_dir().display().to_string()),
                ("PROMPTSALES_ENCRYPTION_KEY", KEY.to_owned()),
                // Over stdio the local actor calls: starting pipelines is
                // orchestrator:run, on top of the everyday scopes the
                // steps use.
                (
                    "PROMPTSALES_SCOPES",
                    format!("{AGENT_SCOPES},orchestrator:run"),
                ),
            ];
            let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let client = stdio_client_env("promptsales", &backend, &["mcp"], &envs, era).await;
            let mut names: Vec<String> = client
                .list_all_tools()
                .await
                .unwrap()
                .iter()
                .map(|t| t.name.to_string())
                .collect();
            names.sort();
            assert_eq!(
                names,
                [
                    "approve",
                    "audit_query",
                    "get_run",
                    "list_runs",
                    "run_pipeline"
                ]
            );
            let run = call(
                &client,
                "run_pipeline",
                json!({"recipe": "weekly-report", "params": {}}),
            )
            .await;
            assert_eq!(run["status"], "succeeded", "{}: {run}", backend.label);
            let listed = call(&client, "list_runs", json!({})).await;
            assert!(
                listed["runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["id"] == run["run_id"])
            );
            let got = call(&client, "get_run", json!({"run_id": run["run_id"]})).await;
            assert_eq!(got["recipe"], "weekly-report");
            let r = client
                .call_tool(
                    CallToolRequestParams::new("approve").with_arguments(
                        json!({"approval_id": "apr_nope"})
                            .as_object()
                            .unwrap()
                            .clone(),
                    ),
                )
                .await
                .unwrap();
            assert_eq!(r.is_error, Some(true));
            let r = client
                .call_tool(
                    CallToolRequestParams::new("run_pipeline")
                        .with_arguments(json!({"recipe": "nope"}).as_object().unwrap().clone()),
                )
                .await
                .unwrap();
            assert_eq!(r.is_error, Some(true));
            assert!(format!("{r:?}").contains("launch-campaign"), "{r:?}");
            // Closed vocabularies are typed: a status filter, and a value
            // outside it answered as the tool's error.
            let done = call(&client, "list_runs", json!({"status": "succeeded"})).await;
            assert!(
                done["runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["status"] == "succeeded")
            );
            let waiting = call(&client, "list_runs", json!({"status": "waiting_approval"})).await;
            assert!(
                !waiting["runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["id"] == run["run_id"])
            );
            let r = client
                .call_tool(
                    CallToolRequestParams::new("list_runs")
                        .with_arguments(json!({"status": "live"}).as_object().unwrap().clone()),
                )
                .await
                .unwrap();
            assert_eq!(r.is_error, Some(true));
            assert!(format!("{r:?}").contains("expected one of"), "{r:?}");
            client.cancel().await.unwrap();
        }
    }
}

/// `promptsales migrate` brings every context up to date, after which the
/// agent runs with migrations off; a context that cannot be migrated is
/// named and the command fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_runs_every_context_then_migrations_can_be_off() {
    for backend in Backend::all_unmigrated() {
        let label = backend.label;
        // Before: with migrations off, a writer refuses a context no one
        // has migrated, naming the command to run.
        let mut cmd = command("promptsales", &backend);
        let out = cmd
            .arg("counts")
            .env("PROMPTSALES_MIGRATE", "off")
            .output()
            .await
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{label}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("promptsales migrate"), "{label}: {err}");

        let (code, out, err) = ps(&backend, &["migrate"], "ops", "").await;
        assert_eq!(code, 0, "{label}: {out}\n{err}");
        for context in ["core", "content", "ads", "crm", "analytics", "orchestrator"] {
            assert!(
                out.lines().any(|l| l.starts_with(context)),
                "{label}: {context} missing in\n{out}"
            );
        }
        assert!(out.contains("6 contexts migrated"), "{label}: {out}");
        let (code, again, _) = ps(&backend, &["migrate"], "ops", "").await;
        assert_eq!(
            (code, &again),
            (0, &out),
            "{label}: a second run changes nothing"
        );

        let mut cmd = command("promptsales", &backend);
        let counts = cmd
            .arg("counts")
            .env("PROMPTSALES_MIGRATE", "off")
            .output()
            .await
            .unwrap();
        assert!(
            counts.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&counts.stderr)
        );
    }
    // A context that cannot be migrated stops the command, named; the
    // ones before it are done.
    let backend = Backend::sqlite_unmigrated();
    let mut cmd = command("promptsales", &backend);
    let out = cmd
        .arg("migrate")
        .env("CRM_DATABASE_URL", "sqlite:///proc/promptsales-nope/crm.db")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("crm context"), "{err}");
    assert!(stdout.lines().any(|l| l.starts_with("ads")), "{stdout}");
    assert!(
        !stdout.lines().any(|l| l.starts_with("analytics")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_config_and_the_demo() {
    let backend = Backend::sqlite();
    let (code, out, _) = ps(&backend, &["claude-config"], "ana", "").await;
    assert_eq!(code, 0);
    let cfg: Value = serde_json::from_str(&out).unwrap();
    let servers = cfg["mcpServers"].as_object().unwrap();
    assert_eq!(servers.len(), 5);
    for (_, s) in servers {
        let command = s["command"].as_str().unwrap();
        assert!(
            std::path::Path::new(command).is_absolute() && std::path::Path::new(command).exists(),
            "{command}"
        );
    }
    assert_eq!(servers["promptsales"]["args"], json!(["mcp"]));

    let dir = backend.dir.path().join("demo");
    let (code, out, err) = ps(
        &backend,
        &["demo", "--dir", dir.to_str().unwrap()],
        "ana",
        "",
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    for expected in [
        "every phase worked",
        "demo-approver (simulated person)",
        "launched (sandbox)",
        "leads registered",
        "sales recorded",
        "Leads por canal",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_reaches_servers_over_http_with_a_bearer_token() {
    for backend in Backend::all() {
        seed(&backend).await;
        let server = HttpServer::start_env("mcp-analytics", &backend, &[], &tokens::env()).await;
        let token = tokens::mint("agent", "default", &["analytics:read"]);
        let lookup = |k: &str| match k {
            "PROMPTSALES_SERVERS" => Some("analytics".to_owned()),
            "PROMPTSALES_ANALYTICS_URL" => Some(server.mcp_url()),
            "PROMPTSALES_ANALYTICS_TOKEN" => Some(token.clone()),
            _ => None,
        };
        let hub = Hub::connect(HubConfig::from_lookup(&lookup).unwrap()).await;
        assert!(
            hub.unavailable.is_empty(),
            "{}: {:?}",
            backend.label,
            hub.unavailable
        );
        let v = hub
            .call(
                "analytics.ask",
                json!({"question": "leads by channel last 30 days"}),
                CallOpts::default(),
            )
            .await
            .unwrap();
        assert!(v["answer"].as_str().unwrap().contains("Leads"), "{v}");
        // Unknown tools name what the server offers; without the token the
        // server refuses the connection.
        let e = hub
            .call("analytics.nope", json!({}), CallOpts::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("analytics offers"), "{e}");
        hub.shutdown().await;
        let lookup = |k: &str| match k {
            "PROMPTSALES_SERVERS" => Some("analytics".to_owned()),
            "PROMPTSALES_ANALYTICS_URL" => Some(server.mcp_url()),
            _ => None,
        };
        let hub = Hub::connect(HubConfig::from_lookup(&lookup).unwrap()).await;
        assert_eq!(hub.unavailable.len(), 1, "{}", backend.label);
        server.terminate().await;
    }
}

/// An approver at an MCP client that supports elicitation: answers the
/// orchestrator's confirmation, or declines.
#[derive(Clone)]
struct Approver {
    confirm: bool,
}

impl rmcp::ClientHandler for Approver {
    fn get_info(&self) -> rmcp::model::ClientConfig {
        rmcp::model::ClientConfig::new(
            rmcp::model::ClientCapabilities::builder()
                .enable_elicitation()
                .build(),
            rmcp::model::Implementation::new("approver", "1.0.0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: rmcp::model::ElicitRequestParams,
        _context: rmcp::service::RequestContext<rmcp::RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::ErrorData> {
        let text = format!("{request:?}");
        assert!(text.contains("Launch campaign"), "{text}");
        // The person reads the plan and the copy they approve.
        assert!(
            text.contains("budget:") && text.contains("creatives drafted"),
            "{text}"
        );
        Ok(if self.confirm {
            rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Accept)
                .with_content(json!({ "confirm": true, "note": "confirmed in the client" }))
        } else {
            rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Decline)
        })
    }
}

async fn approver_client(
    backend: &Backend,
    confirm: bool,
) -> rmcp::service::RunningService<rmcp::RoleClient, Approver> {
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    let cmd = command("promptsales", backend).configure(|c| {
        c.arg("mcp").envs([
            ("PROMPTSALES_ACTOR", "ana.approver"),
            ("PROMPTSALES_SCOPES", APPROVER_SCOPES),
            ("PROMPTSALES_ENCRYPTION_KEY", KEY),
        ]);
        c.env("PROMPTSALES_SERVERS_DIR", bin_dir());
    });
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    rmcp::serve_client_with_lifecycle(
        Approver { confirm },
        transport,
        rmcp::ClientLifecycleMode::Initialize,
    )
    .await
    .unwrap()
}

/// Through `promptsales mcp`, approving asks the person first where the
/// client supports elicitation: a decline decides nothing, a confirmation
/// approves and the run launches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_approve_asks_the_person_through_elicitation() {
    let backend = Backend::sqlite();
    seed(&backend).await;
    let params = launch_params().to_string();
    let (code, out, err) = ps(
        &backend,
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
    let report: Value = serde_json::from_str(&out).unwrap();
    let approval = report["waiting_on"]["id"].as_str().unwrap().to_owned();

    let declines = approver_client(&backend, false).await;
    let r = declines
        .call_tool(
            CallToolRequestParams::new("approve").with_arguments(
                json!({"approval_id": approval})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true), "{r:?}");
    assert!(format!("{r:?}").contains("not confirmed"), "{r:?}");
    declines.cancel().await.unwrap();
    let (_, list, _) = ps(&backend, &["approvals", "list"], "anyone", "").await;
    assert!(list.contains(&approval), "still pending: {list}");

    let confirms = approver_client(&backend, true).await;
    let r = confirms
        .call_tool(
            CallToolRequestParams::new("approve").with_arguments(
                json!({"approval_id": approval})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{r:?}");
    let run = r.structured_content.unwrap();
    assert_eq!(run["status"], "succeeded", "{run}");
    confirms.cancel().await.unwrap();
    let (_, shown, _) = ps(
        &backend,
        &["approvals", "show", &approval, "--json"],
        "anyone",
        "",
    )
    .await;
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["note"], "confirmed in the client");
    assert_eq!(shown["decided_by"], "ana.approver");
}

/// `promptsales mcp` over streamable HTTP with bearer tokens: the token's
/// scopes decide who may approve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orchestrator_mcp_server_over_http_checks_the_token_scope() {
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    for backend in Backend::all() {
        seed(&backend).await;
        let params = launch_params().to_string();
        let (code, out, err) = ps(
            &backend,
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
        let report: Value = serde_json::from_str(&out).unwrap();
        let approval = report["waiting_on"]["id"].as_str().unwrap().to_owned();

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let mut cmd = command("promptsales", &backend);
        cmd.args(["mcp", "--transport", "http", "--bind", &bind])
            .envs(tokens::env())
            // The orchestrator's own service identity, used for the steps
            // that are not the approver's.
            .env("PROMPTSALES_ACTOR", "promptsales-agent")
            .env("PROMPTSALES_SCOPES", AGENT_SCOPES)
            .env("PROMPTSALES_SERVERS_DIR", bin_dir())
            .env("PROMPTSALES_ENCRYPTION_KEY", KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("http://{bind}/healthz")).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let client = |scopes: &'static [&'static str]| {
            let token = tokens::mint("bob", "default", scopes);
            let cfg = StreamableHttpClientTransportConfig::with_uri(format!("http://{bind}/mcp"))
                .auth_header(token);
            rmcp::serve_client_with_lifecycle(
                (),
                StreamableHttpClientTransport::from_config(cfg),
                rmcp::ClientLifecycleMode::Initialize,
            )
        };
        let reader = client(&["orchestrator:read"]).await.unwrap();
        let listed = call(&reader, "list_runs", json!({})).await;
        assert!(!listed["runs"].as_array().unwrap().is_empty(), "{listed}");
        let approve_args = json!({"approval_id": approval, "note": "ok"})
            .as_object()
            .unwrap()
            .clone();
        let r = reader
            .call_tool(CallToolRequestParams::new("approve").with_arguments(approve_args.clone()))
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true));
        assert!(format!("{r:?}").contains("orchestrator:approve"), "{r:?}");
        reader.cancel().await.unwrap();
        // The tool's scope alone is not the gate's: ads:approve too.
        let half = client(&["orchestrator:approve"]).await.unwrap();
        let r = half
            .call_tool(CallToolRequestParams::new("approve").with_arguments(approve_args))
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true));
        assert!(format!("{r:?}").contains("`ads:approve`"), "{r:?}");
        half.cancel().await.unwrap();
        // The approver's token: deciding, and the steps that run as them.
        // The step that does not (attaching copy) runs as the orchestrator's
        // own identity, with its everyday ads:write.
        let approver = client(&[
            "orchestrator:approve",
            "ads:approve",
            "content:approve",
            "ads:launch",
        ])
        .await
        .unwrap();
        let run = call(
            &approver,
            "approve",
            json!({"approval_id": approval, "note": "ok"}),
        )
        .await;
        assert_eq!(
            run["status"], "succeeded",
            "{}: {}",
            backend.label, run["error"]
        );
        approver.cancel().await.unwrap();
        child.kill().await.unwrap();
    }
}
