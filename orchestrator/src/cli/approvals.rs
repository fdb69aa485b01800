//! `promptsales approvals`: the gates waiting for a person, what each one asks them to approve (campaign plan, caps, creatives' copy, waiver), and the decision.

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use serde_json::Value;

use super::{out, pretty, runs_resume};
use crate::app::Orchestrator;
use crate::pipeline::decide_waiving;
use crate::pipeline::review;
use crate::pipeline::runner::ResumeOpts;
use crate::pipeline::store::{Approval, ApprovalStatus, RunStatus};

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

/// What a person reads before deciding: the question, the review (plan in
/// major units, caps, creatives' copy) and the decision so far.
pub fn approval_lines(a: &Approval) -> Vec<String> {
    let mut lines = vec![
        format!(
            "approval {} ({}) — run {}, gate {}, needs orchestrator:approve + {}",
            a.id,
            a.status.as_str(),
            a.run_id,
            a.step_key,
            a.required_scope
        ),
        format!("  {}", a.summary),
    ];
    if let Some(r) = &a.review {
        lines.push(format!(
            "  as read on {}:",
            r["as_of"].as_str().unwrap_or("?")
        ));
        lines.extend(
            review::lines(r, a.waiver.as_deref())
                .into_iter()
                .map(|l| format!("  {l}")),
        );
    }
    if let Some(by) = &a.decided_by {
        lines.push(format!(
            "  {} by {by} at {}{}",
            a.status.as_str(),
            a.decided_at.as_deref().unwrap_or("?"),
            a.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ));
    }
    lines
}

pub async fn approvals_show(orch: &Orchestrator, id: &str, json_out: bool) -> Result<(), AppError> {
    let a = orch.runs.get_approval(&orch.rt.config.tenant, id).await?;
    if json_out {
        out(&pretty(&serde_json::to_value(&a).unwrap_or(Value::Null)));
    } else {
        for l in approval_lines(&a) {
            out(&l);
        }
    }
    Ok(())
}

/// Approves or rejects as the local principal (an approval may waive
/// missing creatives), then continues the run (unless `resume` is false);
/// returns the run's status.
pub async fn approvals_decide(
    orch: &Orchestrator,
    who: &Principal,
    id: &str,
    approve: bool,
    note: Option<&str>,
    waiver: Option<&str>,
    resume: bool,
) -> anyhow::Result<RunStatus> {
    let a = decide_waiving(&orch.runs, who, id, approve, note, waiver).await?;
    out(&format!(
        "{} {} by {}{}",
        a.id,
        a.status.as_str(),
        who.subject,
        a.waiver
            .as_deref()
            .map(|w| format!(" (missing creatives waived: {w})"))
            .unwrap_or_default()
    ));
    if resume {
        return runs_resume(orch, &a.run_id, &ResumeOpts::default()).await;
    }
    let run = orch.runs.get_run(&who.tenant, &a.run_id).await?;
    Ok(run.status)
}
