//! `promptsales run` and `chat`: the catalogue and campaigns the planner resolves names in, a plan carried out through the confirmation rule, its result printed for people (or as JSON with `--json`), and the last answer's query passed on as the next question's context — on the planner and the LLM path alike.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

use super::render::result_lines;
use super::{out, pretty, print_report};
use crate::agent::confirm::{Confirm, Guarded, Terminal, guarded_call};
use crate::agent::llm::AgentOutcome;
use crate::agent::planner::{
    Known, KnownCampaign, KnownClient, KnownProduct, Lang, Plan, detect_lang, intent, plan_with,
};
use crate::app::Orchestrator;
use crate::client::{CallOpts, Hub, Tools};
use crate::pipeline::load_recipe;
use crate::pipeline::store::RunStatus;
use crate::scopes::explain;

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

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output<'a> {
    /// Raw JSON (the plan and the tool's result) instead of sentences and
    /// tables.
    pub json: bool,
    /// The person's language.
    pub lang: Lang,
    /// Names for the ids in a result (clients, campaigns).
    pub known: &'a Known,
}

/// Campaign pages read at most when resolving a campaign name.
const MAX_CAMPAIGN_PAGES: usize = 10;

/// A list field of a tool's result, typed; a read that fails (a scope the
/// person does not hold, a server down) leaves it empty and the planner
/// asks for ids instead.
async fn read_list<T: serde::de::DeserializeOwned>(
    hub: &dyn Tools,
    tool: &str,
    args: Value,
    field: &str,
) -> (Vec<T>, Option<String>) {
    if hub.tool(tool).is_none() {
        return (Vec::new(), None);
    }
    match hub.call(tool, args, CallOpts::default()).await {
        Ok(v) => (
            serde_json::from_value(v[field].clone()).unwrap_or_default(),
            v["next_cursor"].as_str().map(str::to_owned),
        ),
        Err(e) => {
            tracing::debug!(%tool, error = %e, "lookup for the planner failed; names stay unresolved");
            (Vec::new(), None)
        }
    }
}

/// What the planner needs to resolve names for this instruction: the
/// tools always, the catalogue for instructions that name clients or
/// products, the campaigns for a campaign move.
pub async fn known_for(hub: &dyn Tools, instruction: &str) -> Known {
    let what = intent(instruction);
    let mut known = Known {
        tools: hub.tools().into_iter().map(|t| t.qualified).collect(),
        ..Known::default()
    };
    if what.needs_catalog() {
        known.clients =
            read_list::<KnownClient>(hub, "analytics.list_clients", json!({}), "clients")
                .await
                .0;
        known.products =
            read_list::<KnownProduct>(hub, "analytics.list_products", json!({}), "products")
                .await
                .0;
    }
    if what.needs_campaigns() {
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_CAMPAIGN_PAGES {
            let mut args = json!({"limit": 500});
            if let Some(c) = &cursor {
                args["cursor"] = json!(c);
            }
            let (page, next) =
                read_list::<KnownCampaign>(hub, "ads.list_campaigns", args, "items").await;
            known.campaigns.extend(page);
            match next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
    }
    known
}

/// Runs a plan.
pub async fn execute_plan(
    orch: &Orchestrator,
    hub: &Hub,
    p: &Plan,
    confirm: &dyn Confirm,
    o: Output<'_>,
) -> anyhow::Result<PlanOutcome> {
    Ok(run_plan(orch, hub, p, confirm, o).await?.0)
}

/// [`execute_plan`] with the typed query an `analytics.ask` answered, which
/// `chat` passes to the next question as its context (follow-ups).
async fn run_plan(
    orch: &Orchestrator,
    hub: &Hub,
    p: &Plan,
    confirm: &dyn Confirm,
    o: Output<'_>,
) -> anyhow::Result<(PlanOutcome, Option<Value>)> {
    let held = &orch.rt.config.scopes;
    match p {
        Plan::Ask { question, .. } => {
            if o.json {
                out(&pretty(&json!({ "plan": p })));
            }
            Ok((PlanOutcome::Ask(question.clone()), None))
        }
        Plan::Tell { text } => {
            if o.json {
                out(&pretty(&json!({ "plan": p })));
            } else {
                out(text);
            }
            Ok((PlanOutcome::Done, None))
        }
        Plan::Call { tool, args } => {
            if !o.json {
                out(&format!("→ {tool} {args}"));
            }
            // The planner asks the person like the LLM loop does.
            let v = match guarded_call(hub, confirm, tool, args.clone())
                .await
                .map_err(|e| anyhow::anyhow!(explain(&e.to_string(), held)))?
            {
                Guarded::Done(v) => v,
                Guarded::Refused(why) => {
                    if o.json {
                        out(&pretty(&json!({ "plan": p, "not_called": why })));
                    }
                    return Ok((PlanOutcome::Ask(why), None));
                }
            };
            if o.json {
                out(&pretty(&json!({ "plan": p, "result": v })));
            } else {
                for l in result_lines(tool, &v, o.lang, o.known) {
                    out(&l);
                }
            }
            let query = (tool == "analytics.ask")
                .then(|| v.get("query").cloned())
                .flatten();
            Ok((PlanOutcome::Done, query))
        }
        Plan::Recipe { recipe, params } => {
            if !o.json {
                out(&format!("→ recipe {recipe} {params}"));
            }
            let source = load_recipe(recipe)?;
            let progress = |l: &str| out(l);
            let runner = orch.runner(hub).with_confirm(confirm);
            let runner = if o.json {
                runner
            } else {
                runner.with_progress(&progress)
            };
            let r = runner.start(&source, params).await?;
            if o.json {
                out(&pretty(&json!({ "plan": p, "run": r })));
            } else {
                print_report(&r, false, held);
            }
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

/// The LLM loop's calls and answer, for people or as JSON.
fn print_llm(o: &AgentOutcome, json_out: bool, held: &std::collections::BTreeSet<String>) {
    if json_out {
        out(&pretty(&serde_json::to_value(o).unwrap_or(Value::Null)));
        return;
    }
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
}

/// `promptsales run "…"`: the LLM loop when configured, else the planner;
/// consequential calls are confirmed on the terminal. Returns the exit
/// code (see [`PlanOutcome::exit_code`]).
pub async fn run_instruction(
    orch: &Orchestrator,
    instruction: &str,
    max_steps: usize,
    json_out: bool,
) -> anyhow::Result<u8> {
    let hub = orch.hub().await?;
    let held = &orch.rt.config.scopes;
    let result = async {
        if let Some(cfg) = &orch.rt.config.llm {
            let o = crate::agent::llm::run(cfg, &hub, instruction, max_steps, &Terminal).await?;
            print_llm(&o, json_out, held);
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
        let known = known_for(&hub, instruction).await;
        let p = plan_with(instruction, &known);
        let o = Output {
            json: json_out,
            lang: detect_lang(instruction),
            known: &known,
        };
        let outcome = execute_plan(orch, &hub, &p, &Terminal, o).await?;
        match &outcome {
            PlanOutcome::Ask(q) if !json_out => out(q),
            PlanOutcome::Failed(why) => eprintln!("error: {why}"),
            _ => {}
        }
        Ok(outcome.exit_code())
    }
    .await;
    hub.shutdown().await;
    result
}

/// `promptsales chat`: a REPL; an answer to a question back is added to
/// the instruction it completes.
pub async fn chat(orch: &Orchestrator, max_steps: usize, json_out: bool) -> anyhow::Result<()> {
    let hub = orch.hub().await?;
    let held = &orch.rt.config.scopes;
    out(
        "PromptSales agent — ask a question or give an instruction (English or Spanish); \"help\" / \"ayuda\" lists what it can do; empty line or 'exit' to leave.",
    );
    let stdin = std::io::stdin();
    let mut pending: Option<String> = None;
    // The typed query of the last answer: the next question may follow up
    // on it ("¿y en México?"); `analytics.ask` reads it as `context`, on
    // the planner's path and the LLM's alike.
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
            match crate::agent::llm::run_in_context(
                cfg,
                &hub,
                &instruction,
                max_steps,
                &Terminal,
                last_query.as_ref(),
            )
            .await
            {
                Ok(o) => {
                    print_llm(&o, json_out, held);
                    if o.last_query.is_some() {
                        last_query = o.last_query;
                    }
                }
                Err(e) => out(&format!("error: {e}")),
            }
            continue;
        }
        let known = known_for(&hub, &instruction).await;
        let p = with_context(plan_with(&instruction, &known), last_query.as_ref());
        let o = Output {
            json: json_out,
            lang: detect_lang(&instruction),
            known: &known,
        };
        match run_plan(orch, &hub, &p, &Terminal, o).await {
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

#[cfg(test)]
mod chat_tests {
    use serde_json::json;

    use super::*;
    use crate::agent::planner::plan;

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
