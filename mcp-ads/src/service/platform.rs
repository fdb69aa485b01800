//! Pausing, resuming and completing campaigns on every platform (scope
//! `ads:launch`; resuming is held to the spend caps and the client's plan
//! like a launch), each channel through the account that published it.

use promptsales_server::auth::Principal;
use promptsales_shared::scope::Scope;
use promptsales_shared::{AppError, vocabulary};
use schemars::JsonSchema;
use serde::Serialize;

use super::launch::ChannelOutcome;
use super::{AdsService, today};
use crate::connectors::ConnectorError;
use crate::domain::{CampaignId, CampaignStatus};
use crate::store::{CampaignRecord, Move, daily_commitment};

vocabulary! {
    /// What `pause_campaign`, `resume_campaign` and `complete_campaign` do
    /// on every platform (also the verb of their lifecycle event).
    pub enum PlatformMove("action") {
        Pause => "pause",
        Resume => "resume",
        Complete => "complete",
    }
}

/// The outcome of pause/resume/complete on the platforms.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlatformAction {
    pub campaign_id: String,
    pub status: CampaignStatus,
    pub sandbox: bool,
    /// Per channel: paused, resumed, completed, unchanged or not_supported.
    pub channels: Vec<ChannelOutcome>,
    pub summary: String,
}

impl AdsService {
    /// Refuses to touch a campaign's platforms or budgets while a launch
    /// holds it (a fresh claim): the two would race on the same channels.
    pub(crate) fn not_launching(&self, rec: &CampaignRecord, what: &str) -> Result<(), AppError> {
        match &rec.launch_claim {
            Some(h) if h.at >= self.stale_before() => Err(AppError::Conflict(format!(
                "campaign `{}` is being launched by {} (claim refreshed at {}): {what} it once the launch finishes",
                rec.campaign.id, h.by, h.at
            ))),
            _ => Ok(()),
        }
    }

    /// pause / resume / complete on every platform, then the status move.
    /// If a platform refuses, the campaign keeps its status and the error
    /// lists each channel (those already changed are recorded).
    pub async fn platform_action(
        &self,
        who: &Principal,
        id: &str,
        action: PlatformMove,
        dry_run: bool,
    ) -> Result<PlatformAction, AppError> {
        // Every entry point (tool, scheduler, CLI) moves money only with
        // the scope.
        who.require(Scope::AdsLaunch)?;
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let from = rec.campaign.status;
        let to = match action {
            PlatformMove::Pause => CampaignStatus::Paused,
            PlatformMove::Resume => CampaignStatus::Active,
            PlatformMove::Complete => CampaignStatus::Completed,
        };
        from.transition(id.as_str(), to)?;
        self.not_launching(&rec, action.as_str())?;
        if action == PlatformMove::Resume {
            // Resuming spends again: the same caps as a launch.
            let c = &rec.campaign;
            self.caps
                .check_campaign(c.budget_cents, c.budget_cents, c.currency)?;
            let requested = daily_commitment(c.budget_cents, c.start_date, c.end_date, today());
            let current = self.others_daily(tenant, c.currency, &id).await?;
            self.caps.check_daily(
                &format!("resuming campaign `{id}`"),
                requested,
                current,
                c.currency,
            )?;
            // And the client's plan: one more active campaign, its spend
            // this month.
            self.check_tiers(tenant, c).await?;
        }
        let pubs = self.store.publications(tenant, &id).await?;
        if dry_run {
            let wanted = if action == PlatformMove::Resume {
                "paused"
            } else {
                "active"
            };
            let channels: Vec<ChannelOutcome> = pubs
                .iter()
                .map(|p| ChannelOutcome {
                    channel: p.channel,
                    platform: p.platform.clone(),
                    sandbox: p.sandbox,
                    outcome: if p.state == wanted
                        || (action == PlatformMove::Complete && p.state == "paused")
                    {
                        format!("would_{action}")
                    } else {
                        "unchanged".into()
                    },
                    budget_cents: p.budget_cents,
                    daily_budget_cents: 0,
                    external_ids: p.external_ids.clone(),
                    error: None,
                    retryable: false,
                    requests: Vec::new(),
                    connection_id: p.connection_id.clone(),
                })
                .collect();
            let n = channels.iter().filter(|c| c.outcome != "unchanged").count();
            return Ok(PlatformAction {
                campaign_id: id.as_str().to_owned(),
                status: from,
                sandbox: channels.iter().any(|c| c.sandbox),
                summary: format!(
                    "dry run: would {action} {n} platform channel(s) and make the campaign {to}; nothing was changed"
                ),
                channels,
            });
        }
        let mut outcomes = Vec::new();
        let mut problems = Vec::new();
        for mut p in pubs {
            let conn = self.publication_connector(tenant, &p).await?;
            let (wanted_from, wanted_to, verb) = match action {
                PlatformMove::Pause => ("active", "paused", "paused"),
                PlatformMove::Resume => ("paused", "active", "resumed"),
                PlatformMove::Complete => (
                    if p.state == "paused" {
                        "paused"
                    } else {
                        "active"
                    },
                    "completed",
                    "completed",
                ),
            };
            let mut outcome = ChannelOutcome {
                channel: p.channel,
                platform: p.platform.clone(),
                sandbox: p.sandbox,
                outcome: "unchanged".into(),
                budget_cents: p.budget_cents,
                daily_budget_cents: 0,
                external_ids: p.external_ids.clone(),
                error: None,
                retryable: false,
                requests: Vec::new(),
                connection_id: p.connection_id.clone(),
            };
            if p.state == wanted_from {
                let r = match action {
                    PlatformMove::Resume => conn.resume(&p.external_ids).await,
                    _ if p.state == "paused" => Ok(()),
                    _ => conn.pause(&p.external_ids).await,
                };
                match r {
                    Ok(()) => {
                        p.state = wanted_to.into();
                        outcome.outcome = verb.into();
                        // A channel an interrupted launch left paused is
                        // delivering from now on.
                        if action == PlatformMove::Resume && p.launched_on.is_none() {
                            p.launched_on = Some(today());
                        }
                    }
                    Err(e @ ConnectorError::Unsupported { .. }) => {
                        outcome.outcome = "not_supported".into();
                        outcome.error = Some(e.to_string());
                        if action == PlatformMove::Complete {
                            p.state = "completed".into();
                        }
                    }
                    Err(e) => {
                        outcome.outcome = "failed".into();
                        outcome.error = Some(e.to_string());
                        outcome.retryable = e.retryable();
                        problems.push(format!("{}: {e}", p.channel));
                    }
                }
                self.store.save_publication(tenant, &id, &p).await?;
            } else if action == PlatformMove::Complete && p.state == "failed" {
                p.state = "completed".into();
                self.store.save_publication(tenant, &id, &p).await?;
                outcome.outcome = "completed".into();
            }
            outcomes.push(outcome);
        }
        if !problems.is_empty() {
            return Err(AppError::Unavailable(format!(
                "could not {action} campaign `{id}` on every platform, so it stays {from}: {}; call {action}_campaign again",
                problems.join("; ")
            )));
        }
        self.store
            .transition(
                tenant,
                &id,
                Move {
                    actor: &who.subject,
                    action: action.as_str(),
                    from,
                    to,
                    note: None,
                },
            )
            .await?;
        let n = outcomes.iter().filter(|o| o.outcome != "unchanged").count();
        Ok(PlatformAction {
            campaign_id: id.as_str().to_owned(),
            status: to,
            sandbox: outcomes.iter().any(|o| o.sandbox),
            summary: format!(
                "campaign {to}; {n} platform channel(s) {}",
                match action {
                    PlatformMove::Pause => "paused",
                    PlatformMove::Resume => "resumed",
                    PlatformMove::Complete => "closed",
                }
            ),
            channels: outcomes,
        })
    }
}
