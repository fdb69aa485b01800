//! Handlers of the agent's CLI commands (tools, run, chat, runs, approvals, serve, jobs, claude-config); `main.rs` only parses and dispatches.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::time::Duration;

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::agent::confirm::{Confirm, Guarded, Terminal, guarded_call};
use crate::agent::planner::{Plan, plan};
use crate::app::{HubAction, Orchestrator};
use crate::client::{CallOpts, Hub, SERVERS, Tools, config::default_bin_dir};
use crate::pipeline::runner::{ResumeOpts, RunReport};
use crate::pipeline::store::{ApprovalStatus, RunStatus};
use crate::pipeline::{decide, load_recipe};
use crate::scheduler::{Cron, DEFAULT_JOBS, Scheduler};
use crate::scopes::explain;

/// Prints a line; a closed stdout ends the output quietly.
pub fn out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// `promptsales tools`: what each server exposes, namespaced.
pub fn print_tools(hub: &Hub) {
    for (server, s) in hub.surfaces() {
        out(&format!(
            "{server}: {} tools, {} resources, {} resource templates, {} prompts",
            s.tools.len(),
            s.resources.len(),
            s.resource_templates.len(),
            s.prompts.len()
        ));
        for t in &s.tools {
            let flags = [
                (t.read_only, "read-only"),
                (t.idempotent, "idempotent"),
                (t.destructive && !t.read_only, "destructive"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ");
            let first = t.description.split(". ").next().unwrap_or("");
            let scope = t.scope.map_or("no scope", |s| s.as_str());
            out(&format!(
                "  {:<36} {scope:<20} [{flags}] {first}",
                t.qualified
            ));
        }
        for p in &s.prompts {
            out(&format!("  prompt {server}/{p}"));
        }
    }
    for (server, why) in &hub.unavailable {
        out(&format!("{server}: unavailable — {why}"));
    }
}

/// Prints a run: status, every step with its timing, printed text; a
/// refusal for a missing scope says how to grant it (`held`: the local
/// actor's scopes).
pub fn print_report(r: &RunReport, verbose: bool, held: &BTreeSet<String>) {
    out(&format!(
        "run {} ({}) — {}{}",
        r.run.id,
        r.run.recipe,
        r.run.status.as_str(),
        r.run
            .error
            .as_deref()
            .map(|e| format!(": {}", explain(e, held)))
            .unwrap_or_default()
    ));
    for s in &r.steps {
        let ms = s.duration_ms.map(|m| format!("{m} ms")).unwrap_or_default();
        out(&format!(
            "  {:<22} {:<10} {:<30} {:>8}{}",
            s.step_key,
            s.status.as_str(),
            s.tool.as_deref().unwrap_or("gate"),
            ms,
            s.error
                .as_deref()
                .map(|e| format!("  ({e})"))
                .unwrap_or_default()
        ));
        if verbose {
            if let Some(i) = &s.input {
                out(&format!("      input:  {}", i));
            }
            if let Some(o) = &s.output {
                let text = o.to_string();
                let cut: String = text.chars().take(400).collect();
                out(&format!(
                    "      output: {cut}{}",
                    if text.chars().count() > 400 {
                        "…"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    for p in &r.printed {
        out(p);
    }
    if let Some(a) = &r.waiting_on {
        let (needs, more) = gate_needs(r, a);
        let mut all = needs.clone();
        all.extend(more.iter().filter(|s| !needs.contains(s)).cloned());
        out(&format!(
            "waiting for approval {} ({} needed): {}\n  approve, as a person other than {}, and continue the run: PROMPTSALES_ACTOR=<you> PROMPTSALES_SCOPES={} promptsales approvals approve {} --note \"…\"\n  (or only decide with PROMPTSALES_SCOPES={} and --no-resume, then the agent runs `promptsales runs resume {}`)",
            a.id,
            needs.join(", "),
            a.summary,
            r.run.started_by,
            all.join(","),
            a.id,
            needs.join(","),
            r.run.id
        ));
    }
}

/// The scopes the gate recorded: the approver's (deciding, and the steps
/// that run as them) and the other steps' up to the next gate; for a gate
/// recorded by an older build, the two that decide.
fn gate_needs(r: &RunReport, a: &crate::pipeline::store::Approval) -> (Vec<String>, Vec<String>) {
    let input = r
        .steps
        .iter()
        .find(|s| s.step_key == a.step_key)
        .and_then(|s| s.input.clone())
        .unwrap_or_default();
    let list = |k: &str| -> Option<Vec<String>> {
        input[k].as_array().map(|n| {
            n.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
    };
    let needs = list("approver_needs").unwrap_or_else(|| {
        vec![
            "orchestrator:approve".to_owned(),
            a.required_scope.as_str().to_owned(),
        ]
    });
    (needs, list("continue_needs").unwrap_or_default())
}

/// Runs a plan; returns a sentence for the person when the plan could not
/// be carried out without them (a question back, or a consequential call
/// they did not confirm).
pub async fn execute_plan(
    orch: &Orchestrator,
    hub: &Hub,
    p: &Plan,
    confirm: &dyn Confirm,
) -> anyhow::Result<Option<String>> {
    let held = &orch.rt.config.scopes;
    match p {
        Plan::Ask { question, .. } => Ok(Some(question.clone())),
        Plan::Call { tool, args } => {
            out(&format!("→ {tool} {}", args));
            // The planner asks the person like the LLM loop does.
            let v = match guarded_call(hub, confirm, tool, args.clone())
                .await
                .map_err(|e| anyhow::anyhow!(explain(&e.to_string(), held)))?
            {
                Guarded::Done(v) => v,
                Guarded::Refused(why) => return Ok(Some(why)),
            };
            match v.get("answer").and_then(Value::as_str) {
                Some(a) => out(a),
                None => out(&pretty(&v)),
            }
            Ok(None)
        }
        Plan::Recipe { recipe, params } => {
            out(&format!("→ recipe {recipe} {params}"));
            let source = load_recipe(recipe)?;
            let progress = |l: &str| out(l);
            let r = orch
                .runner(hub)
                .with_progress(&progress)
                .with_confirm(confirm)
                .start(&source, params)
                .await?;
            print_report(&r, false, held);
            Ok(None)
        }
    }
}

/// `promptsales run "…"`: the LLM loop when configured, else the planner;
/// consequential calls are confirmed on the terminal.
pub async fn run_instruction(
    orch: &Orchestrator,
    instruction: &str,
    max_steps: usize,
) -> anyhow::Result<bool> {
    let hub = orch.hub().await?;
    let held = &orch.rt.config.scopes;
    let result = async {
        if let Some(cfg) = &orch.rt.config.llm {
            let o = crate::agent::llm::run(cfg, &hub, instruction, max_steps, &Terminal).await?;
            for c in &o.calls {
                out(&format!(
                    "→ {} {} {}",
                    c.tool,
                    c.arguments,
                    if c.refused {
                        "not called (not confirmed)"
                    } else if c.ok {
                        "ok"
                    } else {
                        "error"
                    }
                ));
                if !c.ok && !c.refused && !crate::scopes::missing_in(&c.result).is_empty() {
                    out(&format!("  {}", explain(&c.result, held)));
                }
            }
            out(&o.answer);
            out(&format!(
                "({} steps, toolsets {}, tokens: {} prompt + {} completion = {})",
                o.steps,
                o.toolsets.join(","),
                o.prompt_tokens,
                o.completion_tokens,
                o.prompt_tokens + o.completion_tokens
            ));
            return Ok::<bool, anyhow::Error>(!o.hit_step_limit);
        }
        let p = plan(instruction);
        match execute_plan(orch, &hub, &p, &Terminal).await? {
            Some(q) => {
                out(&q);
                Ok(false)
            }
            None => Ok(true),
        }
    }
    .await;
    hub.shutdown().await;
    result
}

/// `promptsales chat`: a REPL; an answer to a question back is added to
/// the instruction it completes.
pub async fn chat(orch: &Orchestrator, max_steps: usize) -> anyhow::Result<()> {
    let hub = orch.hub().await?;
    out(
        "PromptSales agent — ask a question or give an instruction (English or Spanish); empty line or 'exit' to leave.",
    );
    let stdin = std::io::stdin();
    let mut pending: Option<String> = None;
    loop {
        print!("> ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim();
        if line.is_empty() || line == "exit" || line == "salir" {
            break;
        }
        let instruction = match pending.take() {
            Some(prev) => format!("{prev} {line}"),
            None => line.to_owned(),
        };
        if let Some(cfg) = &orch.rt.config.llm {
            match crate::agent::llm::run(cfg, &hub, &instruction, max_steps, &Terminal).await {
                Ok(o) => out(&format!(
                    "{}\n(tokens: {})",
                    o.answer,
                    o.prompt_tokens + o.completion_tokens
                )),
                Err(e) => out(&format!("error: {e}")),
            }
            continue;
        }
        match execute_plan(orch, &hub, &plan(&instruction), &Terminal).await {
            Ok(Some(q)) => {
                out(&q);
                pending = Some(instruction);
            }
            Ok(None) => {}
            Err(e) => out(&format!("error: {e}")),
        }
    }
    hub.shutdown().await;
    Ok(())
}

/// `promptsales runs start RECIPE --params JSON`.
pub async fn runs_start(
    orch: &Orchestrator,
    recipe: &str,
    params: &Value,
    json_out: bool,
) -> anyhow::Result<RunStatus> {
    let source = load_recipe(recipe)?;
    let hub = orch.hub().await?;
    let progress = |l: &str| out(l);
    let runner = orch.runner(&hub).with_confirm(&Terminal);
    let runner = if json_out {
        runner
    } else {
        runner.with_progress(&progress)
    };
    let r = runner.start(&source, params).await;
    hub.shutdown().await;
    let r = r?;
    if json_out {
        out(&pretty(&serde_json::to_value(&r)?));
    } else {
        print_report(&r, false, &orch.rt.config.scopes);
    }
    Ok(r.run.status)
}

pub async fn runs_resume(
    orch: &Orchestrator,
    id: &str,
    opts: &ResumeOpts,
) -> anyhow::Result<RunStatus> {
    let hub = orch.hub().await?;
    let progress = |l: &str| out(l);
    let r = orch
        .runner(&hub)
        .with_progress(&progress)
        .with_confirm(&Terminal)
        .resume(id, opts)
        .await;
    hub.shutdown().await;
    let r = r?;
    print_report(&r, false, &orch.rt.config.scopes);
    Ok(r.run.status)
}

pub async fn runs_list(orch: &Orchestrator, limit: i64) -> Result<(), AppError> {
    let runs = orch
        .runs
        .list_runs(&orch.rt.config.tenant, None, limit)
        .await?;
    out(&format!(
        "{:<34} {:<16} {:<17} {:<22} {}",
        "run", "recipe", "status", "started", "by"
    ));
    for r in runs {
        out(&format!(
            "{:<34} {:<16} {:<17} {:<22} {}",
            r.id,
            r.recipe,
            r.status.as_str(),
            r.created_at,
            r.started_by
        ));
    }
    Ok(())
}

pub async fn runs_show(orch: &Orchestrator, id: &str, json_out: bool) -> Result<(), AppError> {
    let tools = NoTools;
    let r = orch.runner(&tools).report(id, Vec::new()).await?;
    if json_out {
        out(&pretty(&serde_json::to_value(&r).unwrap_or(Value::Null)));
    } else {
        print_report(&r, true, &orch.rt.config.scopes);
    }
    Ok(())
}

/// For commands that read runs without reaching any server.
pub struct NoTools;

impl Tools for NoTools {
    fn tools(&self) -> Vec<crate::client::ToolInfo> {
        Vec::new()
    }
    fn call<'a>(
        &'a self,
        q: &'a str,
        _a: Value,
        _o: CallOpts,
    ) -> futures::future::BoxFuture<'a, Result<Value, crate::client::CallError>> {
        Box::pin(async move {
            Err(crate::client::CallError::Unavailable {
                server: q.split('.').next().unwrap_or("").to_owned(),
                reason: "no servers are connected in this command".into(),
            })
        })
    }
}

pub async fn approvals_list(orch: &Orchestrator, all: bool) -> Result<(), AppError> {
    let list = orch
        .runs
        .list_approvals(
            &orch.rt.config.tenant,
            if all {
                None
            } else {
                Some(ApprovalStatus::Pending)
            },
        )
        .await?;
    if list.is_empty() {
        out(if all {
            "no approvals"
        } else {
            "no pending approvals"
        });
    }
    for a in list {
        out(&format!(
            "{}  {:<8}  run {}  gate {}  needs orchestrator:approve + {}{}\n    {}",
            a.id,
            a.status.as_str(),
            a.run_id,
            a.step_key,
            a.required_scope,
            a.decided_by
                .as_deref()
                .map(|b| format!("  decided by {b}"))
                .unwrap_or_default(),
            a.summary
        ));
    }
    Ok(())
}

pub async fn approvals_show(orch: &Orchestrator, id: &str) -> Result<(), AppError> {
    let a = orch.runs.get_approval(&orch.rt.config.tenant, id).await?;
    out(&pretty(&serde_json::to_value(&a).unwrap_or(Value::Null)));
    Ok(())
}

/// Approves or rejects as the local principal, then continues the run
/// (unless `resume` is false).
pub async fn approvals_decide(
    orch: &Orchestrator,
    who: &Principal,
    id: &str,
    approve: bool,
    note: Option<&str>,
    resume: bool,
) -> anyhow::Result<()> {
    let a = decide(&orch.runs, who, id, approve, note).await?;
    out(&format!(
        "{} {} by {}",
        a.id,
        a.status.as_str(),
        who.subject
    ));
    if resume {
        runs_resume(orch, &a.run_id, &ResumeOpts::default()).await?;
    }
    Ok(())
}

/// `promptsales serve`: keeps the default jobs scheduled and runs what is
/// due until a signal (or one pass with `once`).
pub async fn serve(
    orch: &Orchestrator,
    once: bool,
    poll: Duration,
    no_defaults: bool,
) -> anyhow::Result<()> {
    if !no_defaults {
        for (id, cron, action) in DEFAULT_JOBS {
            let action: Value = serde_json::from_str(action)?;
            orch.jobs
                .upsert_periodic(id, &Cron::parse(cron)?, &action)
                .await?;
        }
    }
    let hub = orch.hub().await?;
    let action = HubAction { orch, tools: &hub };
    let owner = format!("{}-{}", hostname(), std::process::id());
    let scheduler = Scheduler::new(orch.jobs.clone(), &owner);
    let result = if once {
        let r = scheduler.tick(&action).await?;
        out(&format!(
            "ran {} job(s), {} failed, {} already done",
            r.ran, r.failed, r.already_done
        ));
        Ok(())
    } else {
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            promptsales_server::server::shutdown_signal().await;
            c.cancel();
        });
        out(&format!("scheduler {owner} running; Ctrl-C to stop"));
        scheduler
            .run(&action, poll, cancel)
            .await
            .map_err(anyhow::Error::from)
    };
    hub.shutdown().await;
    result
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into())
}

pub async fn jobs_list(orch: &Orchestrator) -> Result<(), AppError> {
    for j in orch.jobs.list().await? {
        out(&format!(
            "{:<20} {:<14} next {}  {}{}",
            j.id,
            j.cron.as_deref().unwrap_or("once"),
            j.next_run_at,
            j.action,
            j.last_error
                .as_deref()
                .map(|e| format!("  last error: {e}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

pub async fn jobs_add(
    orch: &Orchestrator,
    id: &str,
    cron: &str,
    action: &Value,
) -> anyhow::Result<()> {
    orch.jobs
        .upsert_periodic(id, &Cron::parse(cron)?, action)
        .await?;
    out(&format!("job {id} scheduled ({cron})"));
    Ok(())
}

/// `promptsales claude-config`: a ready `claude_desktop_config.json`.
pub fn claude_config(data_dir: &std::path::Path) -> Value {
    let bin = default_bin_dir(&|k| std::env::var(k).ok());
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    let data = std::fs::canonicalize(data_dir).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(data_dir))
            .unwrap_or_else(|_| data_dir.to_path_buf())
    });
    let mut env = serde_json::Map::new();
    env.insert(
        "PROMPTSALES_DATA_DIR".into(),
        json!(data.display().to_string()),
    );
    for var in ["DATABASE_URL", "REDIS_URL", "PROMPTSALES_TENANT"] {
        if let Ok(v) = std::env::var(var) {
            env.insert(var.into(), json!(v));
        }
    }
    let mut servers = serde_json::Map::new();
    for (name, binary) in SERVERS {
        servers.insert(
            format!("promptsales-{name}"),
            json!({ "command": bin.join(binary).display().to_string(), "args": [], "env": env }),
        );
    }
    servers.insert(
        "promptsales".into(),
        json!({ "command": bin.join("promptsales").display().to_string(), "args": ["mcp"], "env": env }),
    );
    json!({ "mcpServers": servers })
}
