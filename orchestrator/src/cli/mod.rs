//! Handlers of the agent's CLI commands (tools, run, chat, runs, approvals, serve, jobs, agenda, plans, claude-config); `main.rs` only parses and dispatches.

mod agent;
mod approvals;
pub mod claude;
mod jobs;
pub mod plans;
pub mod render;

pub use agent::{Output, PlanOutcome, chat, execute_plan, known_for, run_instruction};
pub use approvals::{approval_lines, approvals_decide, approvals_list, approvals_show};
pub use claude::{Role, advice as claude_advice, claude_config};
pub use jobs::{agenda_done, agenda_list, job_zone, jobs_add, jobs_list, jobs_run, serve};

use std::collections::BTreeSet;
use std::io::Write;

use promptsales_shared::AppError;
use serde_json::Value;

use crate::agent::confirm::Terminal;
use crate::app::Orchestrator;
use crate::client::{CallOpts, Hub, Tools};
use crate::pipeline::load_recipe;
use crate::pipeline::runner::{ResumeOpts, RunReport};
use crate::pipeline::store::RunStatus;
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
        if let Some(review) = &a.review {
            out(&format!("approval {} asks to approve:", a.id));
            for l in crate::pipeline::review::lines(review, None) {
                out(&format!("  {l}"));
            }
        }
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
