//! Handlers of the agent's CLI commands (tools, run, chat, runs, approvals, serve, jobs, agenda, plans, claude-config); `main.rs` only parses and dispatches.

mod approvals;
pub mod claude;
mod jobs;
pub mod plans;

pub use approvals::{approval_lines, approvals_decide, approvals_list, approvals_show};
pub use claude::{Role, advice as claude_advice, claude_config};
pub use jobs::{agenda_done, agenda_list, job_zone, jobs_add, jobs_list, jobs_run, serve};

use std::collections::BTreeSet;
use std::io::{BufRead, Write};

use promptsales_shared::AppError;
use serde_json::Value;

use crate::agent::confirm::{Confirm, Guarded, Terminal, guarded_call};
use crate::agent::planner::{Plan, plan};
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

/// How carrying out a plan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanOutcome {
    Done,
    /// It could not be carried out without the person: a question back,
    /// or a consequential call they did not confirm.
    Ask(String),
    /// It was carried out and failed (a run that ended failed).
    Failed(String),
}

/// What `promptsales run` exits with for each outcome: 0 done, 1 failed,
/// 3 a question back.
impl PlanOutcome {
    pub fn exit_code(&self) -> u8 {
        match self {
            PlanOutcome::Done => 0,
            PlanOutcome::Failed(_) => 1,
            PlanOutcome::Ask(_) => 3,
        }
    }
}

/// Runs a plan.
pub async fn execute_plan(
    orch: &Orchestrator,
    hub: &Hub,
    p: &Plan,
    confirm: &dyn Confirm,
) -> anyhow::Result<PlanOutcome> {
    Ok(run_plan(orch, hub, p, confirm).await?.0)
}

/// [`execute_plan`] with the typed query an `analytics.ask` answered, which
/// `chat` passes to the next question as its context (follow-ups).
async fn run_plan(
    orch: &Orchestrator,
    hub: &Hub,
    p: &Plan,
    confirm: &dyn Confirm,
) -> anyhow::Result<(PlanOutcome, Option<Value>)> {
    let held = &orch.rt.config.scopes;
    match p {
        Plan::Ask { question, .. } => Ok((PlanOutcome::Ask(question.clone()), None)),
        Plan::Call { tool, args } => {
            out(&format!("→ {tool} {}", args));
            // The planner asks the person like the LLM loop does.
            let v = match guarded_call(hub, confirm, tool, args.clone())
                .await
                .map_err(|e| anyhow::anyhow!(explain(&e.to_string(), held)))?
            {
                Guarded::Done(v) => v,
                Guarded::Refused(why) => return Ok((PlanOutcome::Ask(why), None)),
            };
            match v.get("answer").and_then(Value::as_str) {
                Some(a) => out(a),
                None => out(&pretty(&v)),
            }
            let query = (tool == "analytics.ask")
                .then(|| v.get("query").cloned())
                .flatten();
            Ok((PlanOutcome::Done, query))
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
            // A run that failed was not carried out, whatever ran before
            // the failing step: the command fails.
            let outcome = match r.run.status {
                RunStatus::Failed => PlanOutcome::Failed(format!(
                    "run {} failed: {}",
                    r.run.id,
                    r.run
                        .error
                        .as_deref()
                        .map(|e| explain(e, held))
                        .unwrap_or_else(|| "see its steps".into())
                )),
                _ => PlanOutcome::Done,
            };
            Ok((outcome, None))
        }
    }
}

/// `promptsales run "…"`: the LLM loop when configured, else the planner;
/// consequential calls are confirmed on the terminal. Returns the exit
/// code (see [`PlanOutcome::exit_code`]).
pub async fn run_instruction(
    orch: &Orchestrator,
    instruction: &str,
    max_steps: usize,
) -> anyhow::Result<u8> {
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
            // A tool that failed and was not later called successfully
            // leaves the instruction undone.
            let unresolved = o.calls.iter().enumerate().any(|(i, c)| {
                !c.ok && !c.refused && !o.calls[i + 1..].iter().any(|l| l.tool == c.tool && l.ok)
            });
            return Ok::<u8, anyhow::Error>(if o.hit_step_limit {
                3
            } else if unresolved {
                1
            } else {
                0
            });
        }
        let p = plan(instruction);
        let outcome = execute_plan(orch, &hub, &p, &Terminal).await?;
        match &outcome {
            PlanOutcome::Ask(q) => out(q),
            PlanOutcome::Failed(why) => eprintln!("error: {why}"),
            PlanOutcome::Done => {}
        }
        Ok(outcome.exit_code())
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
    // The typed query of the last answer: the next question may follow up
    // on it ("¿y en México?"); `analytics.ask` reads it as `context`.
    let mut last_query: Option<Value> = None;
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
        let p = with_context(plan(&instruction), last_query.as_ref());
        match run_plan(orch, &hub, &p, &Terminal).await {
            Ok((PlanOutcome::Ask(q), _)) => {
                out(&q);
                pending = Some(instruction);
            }
            Ok((PlanOutcome::Failed(why), _)) => out(&format!("error: {why}")),
            Ok((PlanOutcome::Done, query)) => {
                if query.is_some() {
                    last_query = query;
                }
            }
            Err(e) => out(&format!("error: {e}")),
        }
    }
    hub.shutdown().await;
    Ok(())
}

/// A question for `analytics.ask` carries the last answer's typed query as
/// its `context`, so "¿y en México?" refines it; other plans are unchanged.
fn with_context(mut p: Plan, last_query: Option<&Value>) -> Plan {
    if let (Plan::Call { tool, args }, Some(q)) = (&mut p, last_query)
        && tool == "analytics.ask"
        && let Some(a) = args.as_object_mut()
    {
        a.insert("context".into(), q.clone());
    }
    p
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

#[cfg(test)]
mod chat_tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_question_carries_the_last_query_as_context() {
        let q = json!({"metrics": ["revenue"], "dimensions": ["channel"]});
        match with_context(plan("¿y en México?"), Some(&q)) {
            Plan::Call { tool, args } => {
                assert_eq!(tool, "analytics.ask");
                assert_eq!(args["context"], q);
                assert_eq!(args["question"], "¿y en México?");
            }
            other => panic!("{other:?}"),
        }
        match with_context(plan("revenue last month"), None) {
            Plan::Call { args, .. } => assert!(args.get("context").is_none()),
            other => panic!("{other:?}"),
        }
    }
}
