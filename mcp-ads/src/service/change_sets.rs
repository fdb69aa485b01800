//! Optimisation change sets applied and rolled back across every platform
//! and the plan: scope `ads:launch`, never by their proposer (four eyes),
//! within the spend caps.

use promptsales_server::auth::Principal;
use promptsales_shared::domain::format_cents;
use promptsales_shared::scope::Scope;
use promptsales_shared::{AppError, vocabulary};
use schemars::JsonSchema;
use serde::Serialize;

use super::{AdsService, today};
use crate::domain::optimize::{BudgetChange, Flag, ForecastEffect, Hold, NoMove, Proposal};
use crate::domain::plan::{CampaignPlan, Publication};
use crate::domain::{CampaignId, CampaignStatus};
use crate::store::{ChangeSetRow, Settle, daily_commitment};

vocabulary! {
    /// What to do with a change set: `apply_change_set` or
    /// `rollback_change_set`.
    pub enum ChangeSetDecision("decision") {
        Apply => "apply",
        Rollback => "rollback",
    }
}

/// A stored change set.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChangeSetView {
    pub id: String,
    pub campaign_id: String,
    /// proposed, applied or rolled_back.
    pub status: String,
    pub changes: Vec<BudgetChange>,
    pub flags: Vec<Flag>,
    pub forecast: ForecastEffect,
    /// Every channel whose budget stays, and why.
    pub holds: Vec<Hold>,
    /// Why nothing moves, when nothing does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_move: Option<NoMove>,
    pub created_by: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back_at: Option<String>,
    pub summary: String,
}

pub(super) fn view_of(row: ChangeSetRow, summary: String) -> Result<ChangeSetView, AppError> {
    let p: Proposal = serde_json::from_str(&row.proposal)
        .map_err(|e| AppError::Internal(format!("stored change set: {e}")))?;
    Ok(ChangeSetView {
        id: row.id,
        campaign_id: row.campaign_id,
        status: row.status,
        changes: p.changes,
        flags: p.flags,
        forecast: p.forecast,
        holds: p.holds,
        no_move: p.no_move,
        created_by: row.created_by,
        created_at: row.created_at,
        applied_by: row.applied_by,
        applied_at: row.applied_at,
        rolled_back_by: row.rolled_back_by,
        rolled_back_at: row.rolled_back_at,
        summary,
    })
}

impl AdsService {
    /// Applies or reverts (`decision`) a change set on every platform, then
    /// in the database in one transaction.
    pub async fn settle(
        &self,
        who: &Principal,
        id: &str,
        decision: ChangeSetDecision,
        dry_run: bool,
    ) -> Result<ChangeSetView, AppError> {
        // Moving budgets on live platforms is a launch-grade act.
        who.require(Scope::AdsLaunch)?;
        let apply = decision == ChangeSetDecision::Apply;
        let tenant = &who.tenant;
        let row = self.store.get_change_set(tenant, id).await?;
        if row.created_by == who.subject {
            return Err(AppError::PermissionDenied(format!(
                "{} proposed change set `{id}` and cannot {} it (four eyes): another person with \
                 ads:launch must",
                who.subject,
                if apply { "apply" } else { "roll back" }
            )));
        }
        let (from, to) = if apply {
            ("proposed", "applied")
        } else {
            ("applied", "rolled_back")
        };
        if row.status != from {
            return Err(AppError::Conflict(format!(
                "change set `{id}` is {}: only a {from} change set can be {}",
                row.status,
                if apply { "applied" } else { "rolled back" }
            )));
        }
        if !apply {
            let latest = self
                .store
                .latest_applied_change_set(tenant, &row.campaign_id)
                .await?;
            if latest.as_deref() != Some(id) {
                return Err(AppError::Conflict(format!(
                    "change set `{id}` is not the latest applied one of campaign `{}` (that is {:?}); roll back the later one first",
                    row.campaign_id,
                    latest.unwrap_or_default()
                )));
            }
        }
        let proposal: Proposal = serde_json::from_str(&row.proposal)
            .map_err(|e| AppError::Internal(format!("stored change set: {e}")))?;
        if proposal.changes.is_empty() {
            return Err(AppError::Conflict(format!(
                "change set `{id}` moves no budget (flags only): nothing to apply"
            )));
        }
        let cid = CampaignId::parse(&row.campaign_id)?;
        let rec = self.store.get_record(tenant, &cid).await?;
        self.not_launching(
            &rec,
            if apply {
                "apply change sets to"
            } else {
                "roll back change sets of"
            },
        )?;
        if rec.campaign.status == CampaignStatus::Completed {
            return Err(AppError::Conflict(format!(
                "campaign `{cid}` is completed: its budgets no longer change"
            )));
        }
        let mut plan: CampaignPlan = rec.plan.clone();
        for ch in &proposal.changes {
            let (expect, set) = if apply {
                (ch.budget_before_cents, ch.budget_after_cents)
            } else {
                (ch.budget_after_cents, ch.budget_before_cents)
            };
            let a = plan
                .allocations
                .iter_mut()
                .find(|a| a.channel == ch.channel)
                .ok_or_else(|| {
                    AppError::Conflict(format!(
                        "campaign `{cid}` no longer has channel {}",
                        ch.channel
                    ))
                })?;
            if a.budget_cents != expect {
                return Err(AppError::Conflict(format!(
                    "{} now has {} (the change set expects {}): the plan changed since; run optimize_campaign again",
                    ch.channel,
                    format_cents(a.budget_cents),
                    format_cents(expect)
                )));
            }
            a.budget_cents = set;
            a.reason = format!(
                "{} ({} by change set {id})",
                a.reason.split(" (").next().unwrap_or_default(),
                if apply { "set" } else { "restored" }
            );
        }
        let total: i64 = plan.allocations.iter().map(|a| a.budget_cents).sum();
        for a in &mut plan.allocations {
            a.share = a.budget_cents as f64 / total.max(1) as f64;
        }
        let c = &rec.campaign;
        self.caps
            .check_campaign(total, c.budget_cents, c.currency)?;
        if c.status == CampaignStatus::Active {
            // What the campaign commits per day after the change, against
            // what the others commit.
            let requested = daily_commitment(total, c.start_date, c.end_date, today());
            let current = self.others_daily(tenant, c.currency, &cid).await?;
            self.caps.check_daily(
                &format!(
                    "{} change set `{id}` on campaign `{cid}`",
                    if apply { "applying" } else { "rolling back" }
                ),
                requested,
                current,
                c.currency,
            )?;
        }
        // Platforms first; undo what changed if one refuses.
        let pubs = self.store.publications(tenant, &cid).await?;
        let days = (rec.campaign.end_date - rec.campaign.start_date.max(today()))
            .num_days()
            .max(0)
            + 1;
        if dry_run {
            let live: Vec<String> = proposal
                .changes
                .iter()
                .filter_map(|ch| {
                    let p = pubs.iter().find(|p| {
                        p.channel == ch.channel && (p.state == "active" || p.state == "paused")
                    })?;
                    let new = if apply {
                        ch.budget_after_cents
                    } else {
                        ch.budget_before_cents
                    };
                    Some(format!(
                        "{} on {}{}: budget {} ({}/day)",
                        ch.channel,
                        p.platform,
                        if p.sandbox { " (sandbox)" } else { "" },
                        format_cents(new),
                        format_cents(new / days)
                    ))
                })
                .collect();
            let summary = format!(
                "dry run: would {} {} budget change(s), total budget unchanged at {} {}; platform updates: {}; nothing was changed",
                if apply { "apply" } else { "roll back" },
                proposal.changes.len(),
                format_cents(total),
                rec.campaign.currency,
                if live.is_empty() {
                    "none (not launched)".to_owned()
                } else {
                    live.join("; ")
                }
            );
            return view_of(row, summary);
        }
        let mut done: Vec<(&Publication, i64)> = Vec::new();
        for ch in &proposal.changes {
            let Some(p) = pubs
                .iter()
                .find(|p| p.channel == ch.channel && (p.state == "active" || p.state == "paused"))
            else {
                continue;
            };
            let (old, new) = if apply {
                (ch.budget_before_cents, ch.budget_after_cents)
            } else {
                (ch.budget_after_cents, ch.budget_before_cents)
            };
            let conn = self.publication_connector(tenant, p).await?;
            if let Err(e) = conn.set_budget(&p.external_ids, new, new / days).await {
                for (q, prev) in &done {
                    let c2 = match self.publication_connector(tenant, q).await {
                        Ok(c) => c,
                        Err(u) => {
                            tracing::error!(channel = %q.channel, error = %u, "could not restore a budget after a failed change set");
                            continue;
                        }
                    };
                    if let Err(u) = c2.set_budget(&q.external_ids, *prev, *prev / days).await {
                        tracing::error!(channel = %q.channel, error = %u, "could not restore a budget after a failed change set");
                    }
                }
                return Err(AppError::Unavailable(format!(
                    "change set `{id}` not {}: {} refused the new budget ({e}); budgets already changed were restored",
                    if apply { "applied" } else { "rolled back" },
                    ch.channel
                )));
            }
            done.push((p, old));
        }
        self.store
            .settle_change_set(
                tenant,
                &Settle {
                    id,
                    from,
                    to,
                    actor: &who.subject,
                },
                &cid,
                &plan,
                total,
            )
            .await?;
        let summary = format!(
            "{} {} budget change(s) on campaign `{cid}` ({} on platforms)",
            if apply { "applied" } else { "rolled back" },
            proposal.changes.len(),
            done.len()
        );
        view_of(self.store.get_change_set(tenant, id).await?, summary)
    }
}
