//! Executes a recipe durably: each step's input, output, timing and status is written before and after its call, so a resumed run continues from the first unfinished step and never repeats a finished one.

mod gate;
mod lease;
mod record;
mod step;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use serde::Serialize;
use serde_json::{Value, json};

use super::recipe::{Recipe, Step};
use super::store::{
    Approval, ApprovalStatus, Run, RunStatus, RunStore, StepRow, StepStatus, new_id,
};
use super::template::{render, truthy};
use crate::agent::confirm::Confirm;
use crate::client::{Identity, Tools};
use gate::{GateOutcome, approver_of};
use record::set_step;

pub use step::stable_suffix;

/// What a run looks like after the runner stopped (finished, waiting at a
/// gate, or failed).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run: Run,
    pub steps: Vec<StepRow>,
    /// Text the recipe asked to print (`print = …`), in step order.
    pub printed: Vec<String>,
    /// The gate the run waits at.
    pub waiting_on: Option<Approval>,
}

/// Options of a resume.
#[derive(Debug, Clone, Default)]
pub struct ResumeOpts {
    /// Steps in flight at the crash to repeat although their tool is not
    /// idempotent (a person checked they had no effect).
    pub retry: Vec<String>,
    /// Take the run over although another runner's lease has not expired.
    pub force: bool,
}

/// Live progress, for the CLI.
pub type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

enum Outcome {
    Done(Value),
    Skipped,
    /// The run stops; the step row already says why.
    Stop(String),
}

/// Runs recipes against a set of tools.
pub struct Runner<'a> {
    pub tools: &'a dyn Tools,
    pub store: &'a RunStore,
    pub tenant: TenantId,
    /// Who starts runs (recorded on the run).
    pub actor: String,
    pub progress: Option<Progress<'a>>,
    /// Who says yes to a consequential call before the run's first
    /// approved gate (none: such calls are made as the recipe says — the
    /// scheduler's jobs, which a person configured).
    pub confirm: Option<&'a dyn Confirm>,
    owner: String,
}

/// As whom a step's calls run, and whether a gate already approved them.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallAs {
    /// The approver of the last gate (`as = "approver"` steps).
    pub approver: Option<Identity>,
    /// The person who started the run (`as = "starter"` steps): the
    /// drafting side's own work, whoever's process continues the run.
    pub starter: Option<String>,
    /// A gate of this run was approved before this step: a person holding
    /// its scope said yes to what follows.
    pub gated: bool,
}

impl<'a> Runner<'a> {
    pub fn new(tools: &'a dyn Tools, store: &'a RunStore, tenant: TenantId, actor: &str) -> Self {
        Self {
            tools,
            store,
            tenant,
            actor: actor.to_owned(),
            progress: None,
            confirm: None,
            owner: format!(
                "{}:{}:{}",
                lease::host_name(),
                std::process::id(),
                new_id("runner")
            ),
        }
    }

    pub fn with_progress(mut self, p: Progress<'a>) -> Self {
        self.progress = Some(p);
        self
    }

    /// Consequential calls before the first approved gate are made only
    /// when `c` says yes (the CLI's terminal, an MCP client's elicitation).
    pub fn with_confirm(mut self, c: &'a dyn Confirm) -> Self {
        self.confirm = Some(c);
        self
    }

    fn say(&self, line: &str) {
        if let Some(p) = self.progress {
            p(line);
        }
    }

    /// Starts a run of `recipe` (its source is stored with the run, so a
    /// resume uses the very same steps).
    pub async fn start(&self, source: &str, params: &Value) -> Result<RunReport, AppError> {
        let recipe = Recipe::parse(source)?;
        let params = recipe.bind_params(params)?;
        let id = new_id("run");
        self.store
            .create_run(
                &self.tenant,
                &id,
                &recipe.name,
                source,
                &params,
                &self.actor,
            )
            .await?;
        self.say(&format!("run {id}: {} started", recipe.name));
        self.drive(&id, &recipe, &params, &ResumeOpts::default())
            .await
    }

    /// Continues a run from its first unfinished step. A failed run stays
    /// failed unless the step that failed is safe to repeat (read-only,
    /// idempotent, or called with its idempotency key), which is then tried
    /// again; a rejected gate or a failed call that could take effect twice
    /// is never repeated, and the progress says why.
    pub async fn resume(&self, run_id: &str, opts: &ResumeOpts) -> Result<RunReport, AppError> {
        let run = self.store.get_run(&self.tenant, run_id).await?;
        let recipe = Recipe::parse(&run.recipe_source)?;
        if run.status == RunStatus::Succeeded {
            return self.report(run_id, Vec::new()).await;
        }
        if run.status == RunStatus::Failed
            && let Some(why) = self.unrepeatable_failure(run_id).await?
        {
            self.say(&format!("run {run_id} stays failed: {why}"));
            return self.report(run_id, Vec::new()).await;
        }
        self.drive(run_id, &recipe, &run.params, opts).await
    }

    /// Why a failed run cannot be continued, if it cannot: its failed step
    /// is a gate (rejected, or not evaluable) or a call whose repetition
    /// could duplicate an effect. Steps left in flight follow the in-flight
    /// rule instead (`--retry`).
    async fn unrepeatable_failure(&self, run_id: &str) -> Result<Option<String>, AppError> {
        let steps = self.store.steps(&self.tenant, run_id).await?;
        for s in steps.iter().filter(|s| s.status == StepStatus::Failed) {
            let error = s.error.as_deref().unwrap_or("no error recorded");
            let Some(tool) = s.tool.as_deref() else {
                return Ok(Some(format!(
                    "its gate `{}` ended it ({error}); start a new run",
                    s.step_key
                )));
            };
            if self.repeatable(tool, s.idempotency_key.is_some()) {
                let how = if crate::pipeline::recipe::INTERNAL_TOOLS.contains(&tool) {
                    "the runner's own step, which reaches no server"
                } else if s.idempotency_key.is_some() {
                    "with the same idempotency key, so the server repeats nothing it already did"
                } else {
                    "it is read-only or idempotent"
                };
                self.say(&format!(
                    "  ↻ retrying the failed step {} (`{tool}`): {how}",
                    s.step_key
                ));
                continue;
            }
            return Ok(Some(format!(
                "step {} failed ({error}) and `{tool}` is not safe to call again (neither \
                 read-only, idempotent nor keyed): it is not repeated; fix the cause and start \
                 a new run",
                s.step_key
            )));
        }
        Ok(None)
    }

    /// The run as stored.
    pub async fn report(&self, run_id: &str, printed: Vec<String>) -> Result<RunReport, AppError> {
        let run = self.store.get_run(&self.tenant, run_id).await?;
        let steps = self.store.steps(&self.tenant, run_id).await?;
        let waiting_on = match run.status {
            RunStatus::WaitingApproval => self
                .store
                .list_approvals(&self.tenant, Some(ApprovalStatus::Pending))
                .await?
                .into_iter()
                .find(|a| a.run_id == run_id),
            _ => None,
        };
        Ok(RunReport {
            run,
            steps,
            printed,
            waiting_on,
        })
    }
    async fn drive(
        &self,
        run_id: &str,
        recipe: &Recipe,
        params: &Value,
        opts: &ResumeOpts,
    ) -> Result<RunReport, AppError> {
        self.lease(run_id, opts.force).await?;
        let result = self.execute(run_id, recipe, params, opts).await;
        // The approver's and starter's server processes hold database
        // connections: let them go once the run stops.
        self.tools.release_identities(None).await;
        let release = self
            .store
            .release_run(&self.tenant, run_id, &self.owner)
            .await;
        let printed = result?;
        release?;
        self.report(run_id, printed).await
    }

    async fn execute(
        &self,
        run_id: &str,
        recipe: &Recipe,
        params: &Value,
        opts: &ResumeOpts,
    ) -> Result<Vec<String>, AppError> {
        self.store
            .set_run_status(&self.tenant, run_id, RunStatus::Running, None)
            .await?;
        let rows: BTreeMap<String, StepRow> = self
            .store
            .steps(&self.tenant, run_id)
            .await?
            .into_iter()
            .map(|r| (r.step_key.clone(), r))
            .collect();
        let started_by = self.store.get_run(&self.tenant, run_id).await?.started_by;
        let mut ctx = json!({ "params": params, "steps": {}, "run": { "id": run_id } });
        let mut approver: Option<Identity> = None;
        let mut gated = false;
        let mut printed = Vec::new();
        for (index, step) in recipe.steps.iter().enumerate() {
            let seq = (index as i64 + 1) * 1000;
            // Finished before: never repeated, only read back.
            if let Some(row) = rows.get(&step.id)
                && matches!(row.status, StepStatus::Succeeded | StepStatus::Skipped)
            {
                if step.gate.is_some() && row.status == StepStatus::Succeeded {
                    approver = approver_of(row.output.as_ref());
                    gated = true;
                }
                set_step(&mut ctx, &step.id, row.status, row.output.clone());
                continue;
            }
            self.lease(run_id, false).await?;
            match self.should_run(step, &ctx) {
                Ok(true) => {}
                Ok(false) => {
                    self.record_skip(run_id, seq, step, "its condition is false")
                        .await?;
                    set_step(&mut ctx, &step.id, StepStatus::Skipped, None);
                    continue;
                }
                Err(e) => return self.fail(run_id, seq, step, &step.id, &e).await,
            }
            if let Some(gate) = &step.gate {
                let after = recipe.steps.get(index + 1..).unwrap_or_default();
                match self.pass_gate(run_id, seq, step, gate, after, &ctx).await? {
                    GateOutcome::Waiting => return Ok(printed),
                    GateOutcome::Failed => return Ok(Vec::new()),
                    GateOutcome::Approved(out) => {
                        approver = approver_of(Some(&out));
                        gated = true;
                        set_step(&mut ctx, &step.id, StepStatus::Succeeded, Some(out));
                        continue;
                    }
                }
            }
            let (identity, starter) = match step.as_.as_deref() {
                None => (None, None),
                Some("starter") => (None, Some(started_by.clone())),
                Some(_) => match &approver {
                    Some(a) => (Some(a.clone()), None),
                    None => {
                        return self
                            .fail(
                                run_id,
                                seq,
                                step,
                                &step.id,
                                "`as = \"approver\"` needs an approved gate before this step",
                            )
                            .await;
                    }
                },
            };
            let (items, looped) = match &step.for_each {
                None => (vec![Value::Null], false),
                Some(t) => match render(&Value::String(t.clone()), &ctx) {
                    Ok(v) => (as_items(v), true),
                    Err(e) => return self.fail(run_id, seq, step, &step.id, &e.to_string()).await,
                },
            };
            let mut outputs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let key = if looped {
                    format!("{}#{i}", step.id)
                } else {
                    step.id.clone()
                };
                if looped {
                    if let Some(row) = rows.get(&key) {
                        match row.status {
                            StepStatus::Succeeded => {
                                outputs.push(row.output.clone().unwrap_or(Value::Null));
                                continue;
                            }
                            StepStatus::Skipped => continue,
                            _ => {}
                        }
                    }
                    ctx["item"] = item.clone();
                    ctx["index"] = json!(i);
                }
                let outcome = self
                    .call_step(
                        run_id,
                        seq + i as i64 + 1,
                        step,
                        &key,
                        &ctx,
                        rows.get(&key),
                        &CallAs {
                            approver: identity.clone(),
                            starter: starter.clone(),
                            gated,
                        },
                        opts,
                    )
                    .await?;
                match outcome {
                    Outcome::Done(v) => {
                        if let Some(p) = &step.print {
                            let mut pctx = ctx.clone();
                            pctx["output"] = v.clone();
                            if let Ok(text) = render(&Value::String(p.clone()), &pctx) {
                                let text = match text {
                                    Value::String(s) => s,
                                    other => {
                                        serde_json::to_string_pretty(&other).unwrap_or_default()
                                    }
                                };
                                printed.push(text);
                            }
                        }
                        outputs.push(v);
                    }
                    Outcome::Skipped => {}
                    Outcome::Stop(why) => {
                        self.store
                            .set_run_status(&self.tenant, run_id, RunStatus::Failed, Some(&why))
                            .await?;
                        self.say(&format!("run {run_id} failed: {why}"));
                        return Ok(printed);
                    }
                }
            }
            if looped {
                if let Some(m) = ctx.as_object_mut() {
                    m.remove("item");
                    m.remove("index");
                }
                let out = Value::Array(outputs);
                self.store
                    .step_recorded(
                        &self.tenant,
                        run_id,
                        &step.id,
                        seq,
                        &step.id,
                        step.tool.as_deref(),
                        &json!({"items": items}),
                        StepStatus::Succeeded,
                        Some(&out),
                        None,
                    )
                    .await?;
                set_step(&mut ctx, &step.id, StepStatus::Succeeded, Some(out));
            } else {
                let out = outputs.into_iter().next();
                let status = if out.is_some() {
                    StepStatus::Succeeded
                } else {
                    StepStatus::Skipped
                };
                set_step(&mut ctx, &step.id, status, out);
            }
        }
        self.store
            .set_run_status(&self.tenant, run_id, RunStatus::Succeeded, None)
            .await?;
        self.say(&format!("run {run_id}: {} succeeded", recipe.name));
        Ok(printed)
    }

    fn should_run(&self, step: &Step, ctx: &Value) -> Result<bool, String> {
        if let Some(w) = &step.when
            && !truthy(&render(&Value::String(w.clone()), ctx).map_err(|e| e.to_string())?)
        {
            return Ok(false);
        }
        if let Some(u) = &step.unless
            && truthy(&render(&Value::String(u.clone()), ctx).map_err(|e| e.to_string())?)
        {
            return Ok(false);
        }
        Ok(true)
    }
}

/// A loop's items: an array, a JSON array written as text, or one value.
fn as_items(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Array(a)) => a,
            _ => vec![Value::String(s)],
        },
        other => vec![other],
    }
}
