//! One tool call of a run: arguments rendered, the idempotency key added, the call bounded, retried when it is safe, and its outcome recorded — plus the tools the runner provides itself.

use std::time::{Duration, Instant};

use chrono::Utc;
use promptsales_shared::AppError;
use promptsales_shared::time::format_ts;
use serde_json::{Value, json};

use super::{CallAs, Outcome, ResumeOpts, Runner};
use crate::agent::confirm::Confirmation;
use crate::client::{CallError, CallOpts, Identity, ToolInfo};
use crate::pipeline::recipe::{OnError, Step};
use crate::pipeline::store::{StepRow, StepStatus};
use crate::pipeline::template::render;

impl Runner<'_> {
    /// Whether repeating a call cannot duplicate an effect.
    pub(super) fn repeatable(&self, tool: &str, has_key: bool) -> bool {
        if crate::pipeline::recipe::INTERNAL_TOOLS.contains(&tool) || has_key {
            return true;
        }
        self.tools
            .tool(tool)
            .is_some_and(|t| t.read_only || t.idempotent)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn call_step(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        key: &str,
        ctx: &Value,
        existing: Option<&StepRow>,
        call_as: &CallAs,
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
        // Refused before any call: the approver lacks the tool's scope, or
        // the person did not confirm a consequential call.
        let chosen = match (&call_as.approver, &call_as.starter) {
            (Some(a), _) => Some(as_approver(a, tool, info.as_ref())),
            (None, Some(s)) => Some(as_starter(s, tool, info.as_ref())),
            (None, None) => None,
        };
        let (identity, refused) = match chosen {
            None => (None, None),
            Some(Ok(id)) => (Some(id), None),
            Some(Err(e)) => (None, Some(e)),
        };
        let refused = match refused {
            Some(e) => Some(e),
            None => self.unconfirmed(tool, info.as_ref(), &args, call_as).await,
        };
        // Servers spawned for another identity hold database connections:
        // only the one this call uses stays open.
        self.tools.release_identities(identity.as_ref()).await;
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
            let r = if let Some(e) = &refused {
                Err(e.clone())
            } else if crate::pipeline::recipe::INTERNAL_TOOLS.contains(&tool) {
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

    /// The refusal of a consequential call the person did not confirm:
    /// asked only before the run's first approved gate, for calls made as
    /// the run's own identity, when the runner has someone to ask.
    async fn unconfirmed(
        &self,
        tool: &str,
        info: Option<&ToolInfo>,
        args: &Value,
        call_as: &CallAs,
    ) -> Option<CallError> {
        let confirm = self.confirm?;
        if call_as.gated || call_as.approver.is_some() || call_as.starter.is_some() {
            return None;
        }
        let c = Confirmation::of(info?, args)?;
        if confirm.confirm(&c).await {
            return None;
        }
        Some(CallError::Tool {
            tool: tool.to_owned(),
            message: c.refusal(confirm.declined()),
        })
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
                    .map_err(|e| match e {
                        // The step's error is shown to MCP clients through
                        // the run: database detail stays in the log.
                        AppError::Internal(detail) => {
                            tracing::error!(run_id, key, detail, "agenda.schedule failed");
                            bad(
                                "the agenda task could not be stored; the details are in the \
                                 orchestrator's log"
                                    .into(),
                            )
                        }
                        other => bad(other.to_string()),
                    })?;
                Ok(json!({ "task_id": id, "kind": kind, "due_at": due_at, "created": created }))
            }
            // A condition the run cannot go on without: one of `any_of` must
            // be truthy, else the step fails with `message`.
            "run.check" => {
                let items = match &args["any_of"] {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                if items.iter().any(crate::pipeline::template::truthy) {
                    Ok(json!({ "ok": true }))
                } else {
                    Err(bad(args["message"]
                        .as_str()
                        .unwrap_or("a condition the run needs is false")
                        .to_owned()))
                }
            }
            "run.creative_waivers" => {
                let Some(note) = args["note"]
                    .as_str()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                else {
                    return Ok(json!({ "waivers": [] }));
                };
                let campaign = args["campaign_id"]
                    .as_str()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| bad("campaign_id: expected the campaign's id".into()))?;
                // Read in the starter's name with ads:read only: whoever
                // continues the run (the approver) may hold no read scope.
                let starter = self
                    .store
                    .get_run(&self.tenant, run_id)
                    .await
                    .map_err(|e| bad(e.to_string()))?
                    .started_by;
                let read = "ads.get_campaign";
                let identity = as_starter(&starter, read, self.tools.tool(read).as_ref())?;
                let view = self
                    .tools
                    .call(
                        read,
                        json!({ "campaign_id": campaign }),
                        CallOpts {
                            identity: Some(identity),
                            ..CallOpts::default()
                        },
                    )
                    .await?;
                let waivers: Vec<Value> = view["creatives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| c["needs_creative"] != json!(false) && c["ready"] != json!(true))
                    .map(|c| json!({ "channel": c["channel"], "note": note }))
                    .collect();
                Ok(json!({ "waivers": waivers }))
            }
            "run.digest" => {
                let lines = crate::digest::lines(&args["digest"]);
                Ok(json!({ "text": lines.join("\n"), "lines": lines }))
            }
            other => Err(bad(format!("unknown internal tool {other}"))),
        }
    }
}

/// The identity a step run as the approver calls with: the approver, with
/// exactly the scope the tool declares — and only if the approver held it
/// when deciding the gate.
pub(super) fn as_approver(
    approver: &Identity,
    tool: &str,
    info: Option<&ToolInfo>,
) -> Result<Identity, CallError> {
    let Some(info) = info else {
        return Err(CallError::UnknownTool {
            tool: tool.to_owned(),
            hint: "no connected server offers it".into(),
        });
    };
    let Some(scope) = info.scope else {
        return Err(CallError::Tool {
            tool: tool.to_owned(),
            message: format!(
                "`{tool}` declares no scope, so it is never run as the approver {}",
                approver.actor
            ),
        });
    };
    if !approver.scopes.iter().any(|s| s == scope.as_str()) {
        return Err(CallError::Tool {
            tool: tool.to_owned(),
            message: format!(
                "permission denied: this step runs as the approver {}, who did not hold the \
                 `{scope}` scope when approving; an approver holding `{scope}` must decide the gate",
                approver.actor
            ),
        });
    }
    Ok(Identity {
        actor: approver.actor.clone(),
        scopes: vec![scope.as_str().to_owned()],
    })
}

/// The identity a step run as the run's starter calls with: the person
/// who started the run, with exactly the everyday scope the tool declares.
/// A privileged tool is never run this way: what needs a privilege is the
/// approver's to do.
pub(super) fn as_starter(
    starter: &str,
    tool: &str,
    info: Option<&ToolInfo>,
) -> Result<Identity, CallError> {
    let Some(info) = info else {
        return Err(CallError::UnknownTool {
            tool: tool.to_owned(),
            hint: "no connected server offers it".into(),
        });
    };
    match info.scope {
        Some(scope) if !scope.is_privileged() => Ok(Identity {
            actor: starter.to_owned(),
            scopes: vec![scope.as_str().to_owned()],
        }),
        Some(scope) => Err(CallError::Tool {
            tool: tool.to_owned(),
            message: format!(
                "`{tool}` needs the privileged `{scope}` scope, so it is never run in the name of \
                 the run's starter {starter}; make it a step `as = \"approver\"`"
            ),
        }),
        None => Err(CallError::Tool {
            tool: tool.to_owned(),
            message: format!(
                "`{tool}` declares no scope, so it is never run in the name of the run's starter {starter}"
            ),
        }),
    }
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

/// Optional arguments rendered as null are left out, not sent as null.
fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            strip_nulls(x);
        }
    }
}
