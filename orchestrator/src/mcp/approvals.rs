//! The `approvals` toolset: decide a run's approval gate (confirmed by the person through elicitation where the client supports it), then continue the run.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::AppError;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::service::{ElicitationError, ElicitationMode, RequestContext};
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Elicit, OrchestratorServer, RunView};
use crate::pipeline::review;
use crate::pipeline::runner::ResumeOpts;
use crate::pipeline::{check_decider, decide_waiving};

promptsales_shared::vocabulary! {
    /// What a person decides at a gate.
    pub enum Decision("decision") {
        Approve => "approve",
        Reject => "reject",
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApproveParams {
    /// Approval id, e.g. `apr_20261125T193000_1a2b3c` (from get_run's `waiting_on`).
    pub approval_id: String,
    /// Approve (the default) or reject; a rejection needs a note.
    pub decision: Option<Decision>,
    /// Why; required to reject.
    pub note: Option<String>,
    /// Approve although a channel has no approved creative, saying why:
    /// the channels still without one when the campaign is approved are
    /// waived with this note.
    pub waive_creatives: Option<String>,
}

/// The person's answer when asked to confirm an approval.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ApprovalConfirmation {
    /// True to record the decision.
    pub confirm: bool,
    /// A note for the record.
    pub note: Option<String>,
}
rmcp::elicit_safe!(ApprovalConfirmation);

#[tool_router(router = approvals_tools, vis = "pub(super)")]
impl OrchestratorServer {
    #[tool(
        meta = needs(Scope::OrchestratorApprove),
        description = "Approve (or reject, with a note) a run's approval gate, then continue the run. Needs orchestrator:approve and the gate's own scope (ads:approve for launches); the steps after the gate run as the approver with the scope each needs (content:approve, ads:approve, ads:launch). The person who started the run cannot approve it. get_run's `review` shows what is approved (budget plan, caps, creatives' copy); `waive_creatives` approves channels without an approved creative, saying why. Clients that support elicitation are asked to confirm first, shown the same review.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn approve(
        &self,
        Parameters(p): Parameters<ApproveParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<RunView>, ToolError> {
        let who = self.caller(&context)?;
        let approve = p.decision.unwrap_or(Decision::Approve) == Decision::Approve;
        let a = self
            .orch
            .runs
            .get_approval(&who.tenant, &p.approval_id)
            .await?;
        // Nobody is asked to confirm what they may not decide.
        let run = self.orch.runs.get_run(&who.tenant, &a.run_id).await?;
        check_decider(&who, &a, &run)?;
        let mut note = p.note.clone();
        if context
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
        {
            let verb = if approve { "Approve" } else { "Reject" };
            // The person reads what they decide: the summary, then the
            // campaign's plan, caps and each creative's copy.
            let mut message = format!("{verb} this gate? {}", a.summary);
            if let Some(review) = &a.review {
                for line in review::lines(review, p.waive_creatives.as_deref()) {
                    message.push('\n');
                    message.push_str(&line);
                }
            }
            match context.peer.elicit::<ApprovalConfirmation>(message).await {
                Ok(Some(ApprovalConfirmation {
                    confirm: true,
                    note: n,
                })) => {
                    note = n.or(note);
                }
                Ok(_)
                | Err(ElicitationError::UserDeclined)
                | Err(ElicitationError::UserCancelled) => {
                    return Err(AppError::Conflict(format!(
                        "approval {} not confirmed by the person: nothing was decided",
                        a.id
                    ))
                    .into());
                }
                Err(e) => tracing::warn!(error = %e, "elicitation failed; deciding as asked"),
            }
        }
        let decided = decide_waiving(
            &self.orch.runs,
            &who,
            &a.id,
            approve,
            note.as_deref(),
            p.waive_creatives.as_deref(),
        )
        .await?;
        let hub = self.hub().await?;
        let confirm = Elicit::new(&context);
        let report = self
            .orch
            .runner(hub)
            .with_confirm(&confirm)
            .resume(&decided.run_id, &ResumeOpts::default())
            .await?;
        Ok(Json(report.into()))
    }
}
