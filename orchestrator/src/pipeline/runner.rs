//! Executes a recipe durably: each step's input, output, timing and status is written before and after its call, so a resumed run continues from the first unfinished step and never repeats a finished one.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::format_ts;
use serde::Serialize;
use serde_json::{Value, json};

use super::recipe::{OnError, Recipe, Step};
use super::store::{
    Approval, ApprovalStatus, Run, RunStatus, RunStore, StepRow, StepStatus, new_id,
};
use super::template::{render, truthy};
use crate::client::{CallError, CallOpts, Identity, Tools};

/// How long a runner holds a run between steps before another may take it.
const LEASE: Duration = Duration::from_secs(120);

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
    owner: String,
}

impl<'a> Runner<'a> {
    pub fn new(tools: &'a dyn Tools, store: &'a RunStore, tenant: TenantId, actor: &str) -> Self {
        Self {
            tools,
            store,
            tenant,
            actor: actor.to_owned(),
            progress: None,
            owner: format!(
                "{}:{}:{}",
                host_name(),
                std::process::id(),
                new_id("runner")
            ),
        }
    }

    pub fn with_progress(mut self, p: Progress<'a>) -> Self {
        self.progress = Some(p);
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

    /// Continues a run from its first unfinished step.
    pub async fn resume(&self, run_id: &str, opts: &ResumeOpts) -> Result<RunReport, AppError> {
        let run = self.store.get_run(&self.tenant, run_id).await?;
        let recipe = Recipe::parse(&run.recipe_source)?;
        if run.status == RunStatus::Succeeded {
            return self.report(run_id, Vec::new()).await;
        }
        self.drive(run_id, &recipe, &run.params, opts).await
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

    async fn lease(&self, run_id: &str, force: bool) -> Result<(), AppError> {
        let until = format_ts(Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default());
        if self
            .store
            .lease_run(&self.tenant, run_id, &self.owner, &until, force)
            .await?
        {
            return Ok(());
        }
        // A holder that was a process on this machine which no longer
        // exists crashed: its lease is taken over at once.
        let holder = self.store.run_lease_owner(&self.tenant, run_id).await?;
        if holder.as_deref().is_some_and(owner_is_dead)
            && self
                .store
                .lease_run(&self.tenant, run_id, &self.owner, &until, true)
                .await?
        {
            tracing::warn!(run_id, holder = ?holder, "took over the run of a process that is gone");
            Ok(())
        } else {
            Err(AppError::Conflict(format!(
                "run {run_id} is being run by another process right now; if that process \
                 crashed, resume with --force"
            )))
        }
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
        let mut ctx = json!({ "params": params, "steps": {}, "run": { "id": run_id } });
        let mut approver: Option<Identity> = None;
        let mut printed = Vec::new();
        for (seq, step) in recipe.steps.iter().enumerate() {
            let seq = (seq as i64 + 1) * 1000;
            // Finished before: never repeated, only read back.
            if let Some(row) = rows.get(&step.id)
                && matches!(row.status, StepStatus::Succeeded | StepStatus::Skipped)
            {
                if step.gate.is_some() {
                    approver = approver_of(row.output.as_ref());
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
                let summary = match render(&Value::String(gate.summary.clone()), &ctx) {
                    Ok(Value::String(s)) => s,
                    Ok(other) => other.to_string(),
                    Err(e) => return self.fail(run_id, seq, step, &step.id, &e.to_string()).await,
                };
                let a = self
                    .store
                    .approval_for_gate(&self.tenant, run_id, &step.id, &summary, &gate.scope)
                    .await?;
                match a.status {
                    ApprovalStatus::Pending => {
                        self.store
                            .step_started(
                                &self.tenant,
                                run_id,
                                &step.id,
                                seq,
                                &step.id,
                                None,
                                &json!({"summary": summary}),
                                None,
                                StepStatus::Waiting,
                            )
                            .await?;
                        self.store
                            .set_run_status(&self.tenant, run_id, RunStatus::WaitingApproval, None)
                            .await?;
                        self.say(&format!(
                            "  ⏸ {}: waiting for approval {} ({} needed): {summary}",
                            step.id, a.id, gate.scope
                        ));
                        return Ok(printed);
                    }
                    ApprovalStatus::Rejected => {
                        let why = format!(
                            "rejected by {} at the gate `{}`: {}",
                            a.decided_by.as_deref().unwrap_or("?"),
                            step.id,
                            a.note.as_deref().unwrap_or("no note")
                        );
                        return self.fail(run_id, seq, step, &step.id, &why).await;
                    }
                    ApprovalStatus::Approved => {
                        let out = json!({
                            "approval_id": a.id,
                            "approver": a.decided_by,
                            "scopes": a.decided_scopes,
                            "note": a.note,
                            "decided_at": a.decided_at,
                        });
                        self.store
                            .step_recorded(
                                &self.tenant,
                                run_id,
                                &step.id,
                                seq,
                                &step.id,
                                None,
                                &json!({"summary": summary}),
                                StepStatus::Succeeded,
                                Some(&out),
                                None,
                            )
                            .await?;
                        self.say(&format!(
                            "  ✔ {}: approved by {}{}",
                            step.id,
                            a.decided_by.as_deref().unwrap_or("?"),
                            a.note
                                .as_deref()
                                .map(|n| format!(" — {n}"))
                                .unwrap_or_default()
                        ));
                        approver = approver_of(Some(&out));
                        set_step(&mut ctx, &step.id, StepStatus::Succeeded, Some(out));
                        continue;
                    }
                }
            }
            let identity = if step.as_.is_some() {
                match &approver {
                    Some(a) => Some(a.clone()),
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
                }
            } else {
                None
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
                        identity.clone(),
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

    async fn record_skip(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        why: &str,
    ) -> Result<(), AppError> {
        self.store
            .step_recorded(
                &self.tenant,
                run_id,
                &step.id,
                seq,
                &step.id,
                step.tool.as_deref(),
                &Value::Null,
                StepStatus::Skipped,
                None,
                Some(why),
            )
            .await?;
        self.say(&format!("  ↷ {}: skipped ({why})", step.id));
        Ok(())
    }

    async fn fail(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        key: &str,
        why: &str,
    ) -> Result<Vec<String>, AppError> {
        self.store
            .step_recorded(
                &self.tenant,
                run_id,
                key,
                seq,
                &step.id,
                step.tool.as_deref(),
                &Value::Null,
                StepStatus::Failed,
                None,
                Some(why),
            )
            .await?;
        let msg = format!("step {key}: {why}");
        self.store
            .set_run_status(&self.tenant, run_id, RunStatus::Failed, Some(&msg))
            .await?;
        self.say(&format!("run {run_id} failed: {msg}"));
        Ok(Vec::new())
    }

    /// Whether repeating a call cannot duplicate an effect.
    fn repeatable(&self, tool: &str, has_key: bool) -> bool {
        if super::recipe::INTERNAL_TOOLS.contains(&tool) || has_key {
            return true;
        }
        self.tools
            .tool(tool)
            .is_some_and(|t| t.read_only || t.idempotent)
    }

    #[allow(clippy::too_many_arguments)]
    async fn call_step(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        key: &str,
        ctx: &Value,
        existing: Option<&StepRow>,
        identity: Option<Identity>,
        opts: &ResumeOpts,
    ) -> Result<Outcome, AppError> {
        let tool = step.tool.as_deref().unwrap_or_default();
        if let Some(row) = existing
            && row.status == StepStatus::Running
            && !self.repeatable(tool, row.idempotency_key.is_some())
            && !opts.retry.iter().any(|r| r == key)
        {
            let why = format!(
                "was in flight when the run stopped, and `{tool}` is not idempotent, so it is \
                 not repeated blindly: check whether it took effect, then resume with \
                 `--retry {key}` to call it again"
            );
            self.store
                .step_finished(
                    &self.tenant,
                    run_id,
                    key,
                    StepStatus::Running,
                    None,
                    Some(&why),
                    0,
                )
                .await?;
            return Ok(Outcome::Stop(format!("step {key} {why}")));
        }
        let mut args = match render(&step.args, ctx) {
            Ok(a) => a,
            Err(e) => {
                let why = format!("step {key}: {e}");
                self.store
                    .step_recorded(
                        &self.tenant,
                        run_id,
                        key,
                        seq,
                        &step.id,
                        Some(tool),
                        &Value::Null,
                        StepStatus::Failed,
                        None,
                        Some(&why),
                    )
                    .await?;
                return Ok(Outcome::Stop(why));
            }
        };
        strip_nulls(&mut args);
        let info = self.tools.tool(tool);
        let key_arg = step.idempotency_arg.clone().or_else(|| {
            info.as_ref()
                .filter(|i| i.accepts_idempotency_key())
                .map(|_| "idempotency_key".to_owned())
        });
        let idem = key_arg.as_ref().map(|_| format!("{run_id}/{key}"));
        if let (Some(arg), Some(k), Some(m)) = (&key_arg, &idem, args.as_object_mut()) {
            m.insert(arg.clone(), Value::String(k.clone()));
        }
        self.store
            .step_started(
                &self.tenant,
                run_id,
                key,
                seq,
                &step.id,
                Some(tool),
                &args,
                idem.as_deref(),
                StepStatus::Running,
            )
            .await?;
        let started = Instant::now();
        let mut attempt = 0u32;
        let result = loop {
            let r = if super::recipe::INTERNAL_TOOLS.contains(&tool) {
                self.internal(tool, run_id, key, &args).await
            } else {
                let call_opts = CallOpts {
                    identity: identity.clone(),
                    timeout: step.timeout_secs.map(Duration::from_secs),
                    cancel: None,
                };
                self.tools.call(tool, args.clone(), call_opts).await
            };
            match r {
                Err(e)
                    if e.is_transient()
                        && attempt < step.retries
                        && self.repeatable(tool, idem.is_some()) =>
                {
                    attempt += 1;
                    self.say(&format!("  ↻ {key}: {e}; retry {attempt}/{}", step.retries));
                    tokio::time::sleep(Duration::from_millis(200u64 << attempt.min(5))).await;
                }
                other => break other,
            }
        };
        let ms = started.elapsed().as_millis() as i64;
        match result {
            Ok(out) => {
                self.store
                    .step_finished(
                        &self.tenant,
                        run_id,
                        key,
                        StepStatus::Succeeded,
                        Some(&out),
                        None,
                        ms,
                    )
                    .await?;
                self.say(&format!("  ✔ {key} ({tool}) {ms} ms"));
                Ok(Outcome::Done(out))
            }
            Err(e)
                if step.on_error == OnError::Skip
                    && !matches!(e, CallError::Unavailable { .. } | CallError::Timeout { .. }) =>
            {
                self.store
                    .step_finished(
                        &self.tenant,
                        run_id,
                        key,
                        StepStatus::Skipped,
                        None,
                        Some(&e.to_string()),
                        ms,
                    )
                    .await?;
                self.say(&format!("  ↷ {key} ({tool}) skipped: {e}"));
                Ok(Outcome::Skipped)
            }
            Err(e) => {
                // A lost connection or a timeout leaves the outcome unknown:
                // the step stays "running" so a resume applies the in-flight
                // rule; a tool's own error is definite.
                let status = match e {
                    CallError::Unavailable { .. } | CallError::Timeout { .. } => {
                        StepStatus::Running
                    }
                    _ => StepStatus::Failed,
                };
                self.store
                    .step_finished(
                        &self.tenant,
                        run_id,
                        key,
                        status,
                        None,
                        Some(&e.to_string()),
                        ms,
                    )
                    .await?;
                self.say(&format!("  ✘ {key} ({tool}): {e}"));
                Ok(Outcome::Stop(format!("step {key}: {e}")))
            }
        }
    }

    /// Tools the runner provides itself.
    async fn internal(
        &self,
        tool: &str,
        run_id: &str,
        key: &str,
        args: &Value,
    ) -> Result<Value, CallError> {
        let bad = |message: String| CallError::Tool {
            tool: tool.to_owned(),
            message,
        };
        match tool {
            "agenda.schedule" => {
                let kind = args["kind"]
                    .as_str()
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| {
                        bad("kind: expected the task's kind, e.g. sync_metrics".into())
                    })?;
                let due = match (&args["due_at"], &args["due_in_hours"]) {
                    (Value::String(at), _) => promptsales_shared::time::parse_ts("due_at", at)
                        .map_err(|e| bad(e.to_string()))?,
                    (_, h) => {
                        let hours = h.as_f64().unwrap_or(0.0);
                        if !(0.0..=24.0 * 366.0).contains(&hours) {
                            return Err(bad(format!(
                                "due_in_hours: expected 0 to 8784, got {hours}"
                            )));
                        }
                        Utc::now() + chrono::Duration::seconds((hours * 3600.0) as i64)
                    }
                };
                let id = format!("agd_{}", stable_suffix(&format!("{run_id}/{key}")));
                let due_at = format_ts(due);
                let created = self
                    .store
                    .schedule_task(
                        &self.tenant,
                        &id,
                        args["campaign_id"].as_str(),
                        kind,
                        &due_at,
                        &args["payload"],
                    )
                    .await
                    .map_err(|e| bad(e.to_string()))?;
                Ok(json!({ "task_id": id, "kind": kind, "due_at": due_at, "created": created }))
            }
            other => Err(bad(format!("unknown internal tool {other}"))),
        }
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty() && !h.contains(':'))
        .unwrap_or_else(|| "local".into())
}

/// Whether a lease owner (`host:pid:…`) was a process on this machine that
/// has exited. Unknown means alive: only the lease's expiry frees it then.
fn owner_is_dead(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == host_name()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A short, stable hex digest of `s` (FNV-1a), for derived ids.
pub fn stable_suffix(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn approver_of(out: Option<&Value>) -> Option<Identity> {
    let out = out?;
    Some(Identity {
        actor: out["approver"].as_str()?.to_owned(),
        scopes: out["scopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn set_step(ctx: &mut Value, id: &str, status: StepStatus, output: Option<Value>) {
    ctx["steps"][id] = json!({ "status": status.as_str(), "output": output });
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

/// Optional arguments rendered as null are left out, not sent as null.
fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            strip_nulls(x);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    use super::*;
    use crate::client::ToolInfo;
    use crate::pipeline::recipe::BUILTIN;
    use crate::pipeline::{decide, store::ApprovalStatus};
    use futures::future::BoxFuture;
    use promptsales_shared::auth::Principal;
    use promptsales_shared::testing::backends;

    /// Tools that answer like the four servers would, record every call,
    /// and can be told to lose the connection on a tool once.
    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<(String, Value, Option<String>)>>,
        drop_once: Mutex<BTreeSet<String>>,
        launched_keys: Mutex<BTreeSet<String>>,
    }

    fn info(q: &str, idempotent: bool, key: bool) -> ToolInfo {
        let (server, name) = q.split_once('.').unwrap();
        let mut props = serde_json::Map::new();
        if key {
            props.insert("idempotency_key".into(), json!({"type": "string"}));
        }
        ToolInfo {
            qualified: q.into(),
            server: server.into(),
            name: name.into(),
            description: String::new(),
            input_schema: json!({"type": "object", "properties": props}),
            read_only: false,
            idempotent,
            destructive: false,
        }
    }

    impl Fake {
        fn count(&self, tool: &str) -> usize {
            self.calls
                .lock()
                .unwrap()
                .iter()
                .filter(|(t, a, _)| t == tool && a["dry_run"] != json!(true))
                .count()
        }
    }

    impl Tools for Fake {
        fn tools(&self) -> Vec<ToolInfo> {
            vec![
                info("content.generate_content", false, false),
                info("content.optimize_for_search", true, false),
                info("content.approve_asset", true, false),
                info("ads.generate_campaign", false, false),
                info("ads.plan_budget", true, false),
                info("ads.submit_for_approval", true, false),
                info("ads.attach_content", true, false),
                info("ads.approve_campaign", true, false),
                info("ads.launch_campaign", false, true),
            ]
        }

        fn call<'a>(
            &'a self,
            q: &'a str,
            args: Value,
            opts: CallOpts,
        ) -> BoxFuture<'a, Result<Value, CallError>> {
            Box::pin(async move {
                self.calls.lock().unwrap().push((
                    q.to_owned(),
                    args.clone(),
                    opts.identity.as_ref().map(|i| i.actor.clone()),
                ));
                if args["dry_run"] != json!(true) && self.drop_once.lock().unwrap().remove(q) {
                    // The call reached the server, then the connection died.
                    if q == "ads.launch_campaign" {
                        self.launched_keys
                            .lock()
                            .unwrap()
                            .insert(args["idempotency_key"].as_str().unwrap().to_owned());
                    }
                    return Err(CallError::Unavailable {
                        server: "x".into(),
                        reason: "connection lost".into(),
                    });
                }
                Ok(match q {
                    "content.generate_content" => {
                        let ch = args["channels"][0].as_str().unwrap().to_owned();
                        json!({"variants": [{"asset_id": format!("ast_{ch}_1")}, {"asset_id": format!("ast_{ch}_2")}]})
                    }
                    "content.approve_asset" => {
                        if args["asset_id"].as_str().unwrap().ends_with("_2")
                            && args["asset_id"].as_str().unwrap().contains("email")
                        {
                            return Err(CallError::Tool {
                                tool: q.into(),
                                message: "usage rights expired".into(),
                            });
                        }
                        json!({"id": args["asset_id"], "channel": "meta", "status": "approved"})
                    }
                    "ads.generate_campaign" => json!({"id": "cmp_new", "status": "draft"}),
                    "ads.launch_campaign" => {
                        if args["dry_run"] == json!(true) {
                            json!({"dry_run": true})
                        } else {
                            let k = args["idempotency_key"].as_str().unwrap().to_owned();
                            let repeat = !self.launched_keys.lock().unwrap().insert(k);
                            json!({"status": "active", "repeat": repeat})
                        }
                    }
                    _ => json!({"ok": true}),
                })
            })
        }
    }

    fn params() -> Value {
        json!({"client_id": "cli_001", "product": "Plan Pro", "budget_cents": 500000,
               "start_date": "2026-12-01", "end_date": "2026-12-31", "channels": ["meta", "email"]})
    }

    fn approver(tenant: &TenantId) -> Principal {
        Principal::new(
            "ana.approver",
            tenant.clone(),
            ["ads:approve", "content:approve"],
        )
    }

    fn launch_src() -> &'static str {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == "launch-campaign")
            .unwrap()
            .1
    }

    #[tokio::test]
    async fn launch_waits_at_the_gate_then_finishes_once_and_resume_repeats_nothing() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let store = RunStore::new(t.db.clone());
            let fake = Fake::default();
            let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
            let r = runner.start(launch_src(), &params()).await.unwrap();
            assert_eq!(r.run.status, RunStatus::WaitingApproval, "{}", t.label());
            let gate = r.waiting_on.clone().unwrap();
            assert!(
                gate.summary.contains("cmp_new") && gate.summary.contains("500000"),
                "{}",
                gate.summary
            );
            assert_eq!(fake.count("ads.launch_campaign"), 0);
            assert_eq!(fake.count("content.generate_content"), 2);

            // Not an approver; the run's own starter; then the approver.
            let nobody = Principal::new("bob", tenant.clone(), Vec::<String>::new());
            let e = decide(&store, &nobody, &gate.id, true, None)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("ads:approve"), "{e}");
            let starter = Principal::new("agent", tenant.clone(), ["ads:approve"]);
            assert!(
                decide(&store, &starter, &gate.id, true, None)
                    .await
                    .is_err()
            );
            // Still waiting.
            let again = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(again.run.status, RunStatus::WaitingApproval);
            let a = decide(&store, &approver(&tenant), &gate.id, true, Some("go"))
                .await
                .unwrap();
            assert_eq!(a.status, ApprovalStatus::Approved);
            let done = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(
                done.run.status,
                RunStatus::Succeeded,
                "{:?}",
                done.run.error
            );
            assert_eq!(fake.count("ads.launch_campaign"), 1);
            // Approvals ran as the approver; one asset was refused and skipped,
            // so only three were attached.
            let calls = fake.calls.lock().unwrap().clone();
            assert!(
                calls
                    .iter()
                    .filter(|(t, _, _)| t == "content.approve_asset")
                    .all(|(_, _, who)| who.as_deref() == Some("ana.approver"))
            );
            assert!(
                calls
                    .iter()
                    .filter(|(t, _, _)| t == "ads.launch_campaign")
                    .all(|(_, _, who)| who.is_none())
            );
            assert_eq!(fake.count("ads.attach_content"), 3);
            let launch = calls
                .iter()
                .find(|(t, a, _)| t == "ads.launch_campaign" && a["dry_run"] == json!(false))
                .unwrap();
            assert_eq!(
                launch.1["idempotency_key"],
                json!(format!("{}/launch", r.run.id))
            );
            let agenda: Vec<&StepRow> = done
                .steps
                .iter()
                .filter(|s| s.step_id == "agenda" && s.step_key.contains('#'))
                .collect();
            assert_eq!(agenda.len(), 3);
            let total = calls.len();
            drop(calls);
            // Resuming a finished run calls nothing.
            let r2 = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(r2.run.status, RunStatus::Succeeded);
            assert_eq!(fake.calls.lock().unwrap().len(), total);
            // A decided approval stays decided.
            assert!(
                decide(&store, &approver(&tenant), &gate.id, false, Some("late"))
                    .await
                    .is_err()
            );
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn a_lost_launch_is_repeated_with_its_key_and_lost_content_is_not_repeated_blindly() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let store = RunStore::new(t.db.clone());
            let fake = Fake::default();
            let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
            // Content generation loses its connection on the first channel.
            fake.drop_once
                .lock()
                .unwrap()
                .insert("content.generate_content".into());
            let r = runner.start(launch_src(), &params()).await.unwrap();
            assert_eq!(r.run.status, RunStatus::Failed);
            let r = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(r.run.status, RunStatus::Failed);
            assert!(
                r.run
                    .error
                    .as_deref()
                    .unwrap()
                    .contains("--retry content#0"),
                "{:?}",
                r.run.error
            );
            assert_eq!(fake.count("content.generate_content"), 1);
            let r = runner
                .resume(
                    &r.run.id,
                    &ResumeOpts {
                        retry: vec!["content#0".into()],
                        force: false,
                    },
                )
                .await
                .unwrap();
            assert_eq!(r.run.status, RunStatus::WaitingApproval);
            assert_eq!(fake.count("content.generate_content"), 3);
            let gate = r.waiting_on.unwrap();
            decide(&store, &approver(&tenant), &gate.id, true, None)
                .await
                .unwrap();
            // The launch reaches the platform, then the connection dies.
            fake.drop_once
                .lock()
                .unwrap()
                .insert("ads.launch_campaign".into());
            let r = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(r.run.status, RunStatus::Succeeded, "{:?}", r.run.error);
            // Retried with the same key: the server saw a repeat, not a
            // second launch.
            let calls = fake.calls.lock().unwrap().clone();
            let launches: Vec<&Value> = calls
                .iter()
                .filter(|(t, a, _)| t == "ads.launch_campaign" && a["dry_run"] == json!(false))
                .map(|(_, a, _)| a)
                .collect();
            assert_eq!(launches.len(), 2);
            assert_eq!(
                launches[0]["idempotency_key"],
                launches[1]["idempotency_key"]
            );
            let out = r
                .steps
                .iter()
                .find(|s| s.step_key == "launch")
                .unwrap()
                .output
                .clone()
                .unwrap();
            assert_eq!(out["repeat"], json!(true));
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn a_run_held_by_a_live_runner_is_refused_and_a_dead_ones_taken_over() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let store = RunStore::new(t.db.clone());
            let fake = Fake::default();
            let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
            let r = runner.start(launch_src(), &params()).await.unwrap();
            let until = format_ts(Utc::now() + chrono::Duration::minutes(5));
            // Held by this very (live) process under another runner.
            let live = format!("{}:{}:other", host_name(), std::process::id());
            assert!(
                store
                    .lease_run(&tenant, &r.run.id, &live, &until, true)
                    .await
                    .unwrap()
            );
            let e = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap_err();
            assert!(e.to_string().contains("--force"), "{e}");
            // Held by a process of this machine that no longer exists.
            let dead = format!("{}:4000000000:gone", host_name());
            assert!(owner_is_dead(&dead));
            assert!(
                store
                    .lease_run(&tenant, &r.run.id, &dead, &until, true)
                    .await
                    .unwrap()
            );
            let ok = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(ok.run.status, RunStatus::WaitingApproval);
            // --force takes over a live holder.
            assert!(
                store
                    .lease_run(&tenant, &r.run.id, &live, &until, true)
                    .await
                    .unwrap()
            );
            let forced = runner
                .resume(
                    &r.run.id,
                    &ResumeOpts {
                        retry: vec![],
                        force: true,
                    },
                )
                .await
                .unwrap();
            assert_eq!(forced.run.status, RunStatus::WaitingApproval);
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn a_rejected_gate_fails_the_run_with_the_note() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let store = RunStore::new(t.db.clone());
            let fake = Fake::default();
            let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
            let r = runner.start(launch_src(), &params()).await.unwrap();
            let gate = r.waiting_on.unwrap();
            let e = decide(&store, &approver(&tenant), &gate.id, false, None)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("note"), "{e}");
            decide(
                &store,
                &approver(&tenant),
                &gate.id,
                false,
                Some("budget too high"),
            )
            .await
            .unwrap();
            let r = runner
                .resume(&r.run.id, &ResumeOpts::default())
                .await
                .unwrap();
            assert_eq!(r.run.status, RunStatus::Failed);
            assert!(r.run.error.unwrap().contains("budget too high"));
            assert_eq!(fake.count("ads.launch_campaign"), 0);
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn conditions_loops_prints_and_bad_templates() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let store = RunStore::new(t.db.clone());
            let fake = Fake::default();
            let runner = Runner::new(&fake, &store, tenant.clone(), "agent");
            let src = r#"
name = "t"
[params.go]
default = false
[[steps]]
id = "a"
tool = "ads.plan_budget"
when = "{{params.go}}"
[[steps]]
id = "b"
tool = "ads.plan_budget"
for_each = '["x", "y"]'
args = { campaign_id = "{{item}}" }
print = "planned {{output.ok}}"
[[steps]]
id = "c"
tool = "ads.plan_budget"
args = { campaign_id = "{{steps.a.output.campaign_id}}" }
"#;
            let r = runner.start(src, &json!({})).await.unwrap();
            assert_eq!(r.printed, vec!["planned true", "planned true"]);
            assert_eq!(
                r.steps.iter().find(|s| s.step_key == "a").unwrap().status,
                StepStatus::Skipped
            );
            assert_eq!(r.run.status, RunStatus::Failed);
            assert!(r.run.error.unwrap().contains("steps.a.output.campaign_id"));
            assert!(runner.start(src, &json!({"nope": 1})).await.is_err());
            t.cleanup().await;
        }
    }
}
