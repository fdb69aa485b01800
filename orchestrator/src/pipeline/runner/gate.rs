//! Approval gates inside a run: a gate waits for a person's decision, fails the run on a rejection, and on an approval records who approved so later steps can act as them.

use promptsales_shared::AppError;
use promptsales_shared::scope::Scope;
use promptsales_shared::time::now_ts;
use serde_json::{Value, json};

use super::Runner;
use crate::client::{CallOpts, Identity};
use crate::pipeline::recipe::{Gate, ReviewSpec, Step};
use crate::pipeline::review;
use crate::pipeline::store::{ApprovalStatus, RunStatus, StepStatus};
use crate::pipeline::template::render;

/// Where a run stands after reaching a gate.
pub(super) enum GateOutcome {
    /// The gate waits for a person; the run stops here for now.
    Waiting,
    /// The gate could not be evaluated or was rejected; the run failed.
    Failed,
    /// Approved: the decision, recorded as the gate step's output.
    Approved(Value),
}

impl Runner<'_> {
    /// Opens (or reads back) the gate's approval and acts on its status.
    pub(super) async fn pass_gate(
        &self,
        run_id: &str,
        seq: i64,
        step: &Step,
        gate: &Gate,
        after: &[Step],
        ctx: &Value,
    ) -> Result<GateOutcome, AppError> {
        let summary = match render(&Value::String(gate.summary.clone()), ctx) {
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => {
                self.fail(run_id, seq, step, &step.id, &e.to_string())
                    .await?;
                return Ok(GateOutcome::Failed);
            }
        };
        let mut a = self
            .store
            .approval_for_gate(&self.tenant, run_id, &step.id, &summary, gate.scope)
            .await?;
        match a.status {
            ApprovalStatus::Pending => {
                if a.review.is_none()
                    && let Some(spec) = &gate.review
                {
                    let review = self.review(spec, ctx).await;
                    self.store.set_review(&self.tenant, &a.id, &review).await?;
                    a.review = Some(review);
                }
                let (needs, continue_needs) = self.gate_needs(gate, after);
                self.store
                    .step_started(
                        &self.tenant,
                        run_id,
                        &step.id,
                        seq,
                        &step.id,
                        None,
                        &json!({"summary": summary, "approver_needs": needs,
                                "continue_needs": continue_needs}),
                        None,
                        StepStatus::Waiting,
                    )
                    .await?;
                self.store
                    .set_run_status(&self.tenant, run_id, RunStatus::WaitingApproval, None)
                    .await?;
                self.say(&format!(
                    "  ⏸ {}: waiting for approval {} ({} needed): {summary}",
                    step.id,
                    a.id,
                    needs.join(", ")
                ));
                Ok(GateOutcome::Waiting)
            }
            ApprovalStatus::Rejected => {
                let why = format!(
                    "rejected by {} at the gate `{}`: {}",
                    a.decided_by.as_deref().unwrap_or("?"),
                    step.id,
                    a.note.as_deref().unwrap_or("no note")
                );
                self.fail(run_id, seq, step, &step.id, &why).await?;
                Ok(GateOutcome::Failed)
            }
            ApprovalStatus::Approved => {
                let out = json!({
                    "approval_id": a.id,
                    "approver": a.decided_by,
                    "scopes": a.decided_scopes,
                    "note": a.note,
                    "waiver": a.waiver,
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
                    "  ✔ {}: approved by {}{}{}",
                    step.id,
                    a.decided_by.as_deref().unwrap_or("?"),
                    a.note
                        .as_deref()
                        .map(|n| format!(" — {n}"))
                        .unwrap_or_default(),
                    a.waiver
                        .as_deref()
                        .map(|w| format!(" (waives missing creatives: {w})"))
                        .unwrap_or_default()
                ));
                Ok(GateOutcome::Approved(out))
            }
        }
    }
}

impl Runner<'_> {
    /// Builds the review the approver reads: the campaign as the ads
    /// server tells it now, and the drafted creatives' copy. A campaign that
    /// cannot be read is said so in the review, never a reason to fail.
    async fn review(&self, spec: &ReviewSpec, ctx: &Value) -> Value {
        let rendered = |t: &Option<String>| {
            t.as_ref()
                .and_then(|t| render(&Value::String(t.clone()), ctx).ok())
                .unwrap_or(Value::Null)
        };
        let campaign_id = rendered(&spec.campaign_id);
        let campaign = match campaign_id.as_str() {
            Some(id) if !id.is_empty() && self.tools.tool("ads.get_campaign").is_some() => Some(
                self.tools
                    .call(
                        "ads.get_campaign",
                        json!({ "campaign_id": id }),
                        CallOpts::default(),
                    )
                    .await
                    .map_err(|e| e.to_string()),
            ),
            _ => None,
        };
        review::build(campaign, &rendered(&spec.creatives), &now_ts())
    }

    /// What passing `gate` takes, from the tools' declared scopes: the
    /// approver's (`orchestrator:approve` and the gate's own to decide, then
    /// each step that runs as the approver), and the rest of the steps up to
    /// the next gate, which run as whoever continues the run (the approver's
    /// own process after `approvals approve`, else the agent) — except the
    /// steps run in the starter's name.
    fn gate_needs(&self, gate: &Gate, after: &[Step]) -> (Vec<String>, Vec<String>) {
        let mut approver = vec![Scope::OrchestratorApprove, gate.scope];
        let mut rest: Vec<Scope> = Vec::new();
        for s in after.iter().take_while(|s| s.gate.is_none()) {
            let Some(scope) = s
                .tool
                .as_deref()
                .and_then(|t| self.tools.tool(t))
                .and_then(|t| t.scope)
            else {
                continue;
            };
            let list = match s.as_.as_deref() {
                Some("approver") => &mut approver,
                // Run in the starter's name, whoever continues.
                Some(_) => continue,
                None => &mut rest,
            };
            if !list.contains(&scope) {
                list.push(scope);
            }
        }
        let names = |v: Vec<Scope>| v.into_iter().map(|s| s.as_str().to_owned()).collect();
        (names(approver), names(rest))
    }
}

/// The approver recorded in an approved gate's output, to act as.
pub(super) fn approver_of(out: Option<&Value>) -> Option<Identity> {
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
