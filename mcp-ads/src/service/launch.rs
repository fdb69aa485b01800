//! Launching approved campaigns through the connectors (idempotent, per
//! channel, dry-runnable, within the spend caps) and pausing, resuming and
//! completing them on every platform.

use std::collections::BTreeMap;
use std::sync::Arc;

use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, Currency, format_cents};
use promptsales_shared::{AppError, vocabulary};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdsService, today};
use crate::connectors::{Connector, ConnectorError, PlannedCall, PublishRequest};
use crate::domain::plan::Publication;
use crate::domain::{CampaignId, CampaignStatus};
use crate::store::{CampaignRecord, LaunchClaim, Move};

vocabulary! {
    /// What `pause_campaign`, `resume_campaign` and `complete_campaign` do
    /// on every platform (also the verb of their lifecycle event).
    pub enum PlatformMove("action") {
        Pause => "pause",
        Resume => "resume",
        Complete => "complete",
    }
}

/// How the spend was confirmed.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmation {
    /// The person confirmed through MCP elicitation.
    Elicited,
    /// Not asked; the text says why and what covers the spend instead.
    NotAsked(String),
}

/// What happened to one channel.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChannelOutcome {
    pub channel: Channel,
    pub platform: String,
    pub sandbox: bool,
    /// launched, failed, already_launched or would_launch (dry run).
    pub outcome: String,
    /// This channel's budget for the flight, hundredths.
    pub budget_cents: i64,
    /// Per day over the remaining flight, hundredths.
    pub daily_budget_cents: i64,
    pub external_ids: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether launching again may fix a failure.
    pub retryable: bool,
    /// Dry run: exactly the requests the platform would receive (secrets
    /// redacted). Empty for the sandbox, which sends nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<PlannedCall>,
}

/// The outcome of `launch_campaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LaunchResult {
    pub campaign_id: String,
    /// Status after the launch: active when any channel runs (check
    /// `channels` for failures), approved when none could.
    pub status: CampaignStatus,
    pub dry_run: bool,
    /// True when this key had launched before: nothing was sent again.
    pub replayed: bool,
    /// True when any channel ran on the sandbox connector.
    pub sandbox: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub currency: Currency,
    /// Spend the launch commits over the flight, hundredths.
    pub committed_spend_cents: i64,
    /// Spend per day it commits, hundredths.
    pub daily_spend_cents: i64,
    pub channels: Vec<ChannelOutcome>,
    /// How the spend was confirmed (elicitation, or what stood in for it).
    pub confirmation: String,
    pub summary: String,
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

struct Step {
    channel: Channel,
    req: PublishRequest,
    connector: Arc<dyn Connector>,
    existing: Option<Publication>,
}

struct Prepared {
    rec: CampaignRecord,
    steps: Vec<Step>,
    committed: i64,
    daily: i64,
}

fn failed(p: &mut Publication, e: &ConnectorError) {
    p.state = "failed".into();
    p.error = Some(e.to_string());
    p.retryable = e.retryable() || matches!(e, ConnectorError::Missing { .. });
}

impl AdsService {
    /// Everything a launch needs, validated: status, dates, caps.
    async fn prepare_launch(&self, who: &Principal, id: &CampaignId) -> Result<Prepared, AppError> {
        let tenant = &who.tenant;
        let rec = self.store.get_record(tenant, id).await?;
        let c = &rec.campaign;
        let pubs = self.store.publications(tenant, id).await?;
        let retry = c.status == CampaignStatus::Active && pubs.iter().any(|p| p.state == "failed");
        if c.status != CampaignStatus::Approved && !retry {
            if c.status == CampaignStatus::Active {
                return Err(AppError::Conflict(format!(
                    "campaign `{id}` is already active on every channel; nothing to launch"
                )));
            }
            c.status.transition(id.as_str(), CampaignStatus::Active)?;
        }
        let day = today();
        if c.end_date < day {
            return Err(AppError::invalid(
                "end_date",
                format!(
                    "a flight that has not ended (today is {day}); update the dates and approve again"
                ),
                c.end_date.to_string(),
            ));
        }
        let from = c.start_date.max(day);
        let days = (c.end_date - from).num_days() + 1;
        let n = c.channels.len() as i64;
        let mut steps = Vec::new();
        let mut committed = 0;
        let mut daily = 0;
        // A retry's channels already live count with the other campaigns.
        let mut live_daily = 0;
        for (i, ch) in c.channels.iter().enumerate() {
            let budget = rec
                .plan
                .budget_of(*ch)
                .unwrap_or(c.budget_cents / n + if i == 0 { c.budget_cents % n } else { 0 });
            let existing = pubs.iter().find(|p| p.channel == *ch).cloned();
            let daily_ch = budget / days.max(1);
            if existing.as_ref().is_none_or(|p| p.state == "failed") {
                committed += budget;
                daily += daily_ch;
            } else {
                live_daily += daily_ch;
            }
            steps.push(Step {
                channel: *ch,
                connector: match &existing {
                    Some(p) if p.state == "failed" && !p.external_ids.is_empty() => {
                        self.connectors.for_publication(&p.platform, p.sandbox)
                    }
                    _ => self.connectors.for_channel(*ch),
                },
                req: PublishRequest {
                    campaign_id: c.id.as_str().to_owned(),
                    name: c.name.clone(),
                    objective: c.objective,
                    channel: *ch,
                    countries: c.countries.clone(),
                    currency: c.currency,
                    budget_cents: budget,
                    daily_budget_cents: daily_ch,
                    start: from,
                    end: c.end_date,
                    subject: rec.plan.subject.clone(),
                    message: rec.plan.message.clone(),
                    recipients: rec.plan.sms_recipients.clone(),
                    landing_url: rec.plan.landing_url.clone(),
                },
                existing,
            });
        }
        self.caps.check_campaign(c.budget_cents, c.currency)?;
        let others = self
            .store
            .active_in_currency(tenant, c.currency, id)
            .await?;
        let already: i64 = others
            .iter()
            .map(|o| {
                let d = (o.end_date - o.start_date.max(day)).num_days() + 1;
                if d > 0 { o.budget_cents / d } else { 0 }
            })
            .sum();
        self.caps
            .check_daily(daily, already + live_daily, c.currency)?;
        Ok(Prepared {
            rec,
            steps,
            committed,
            daily,
        })
    }

    /// What a launch would send and commit, without sending anything.
    pub async fn launch_preview(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<LaunchResult, AppError> {
        who.require_scope("ads:launch")?;
        let id = CampaignId::parse(id)?;
        let p = self.prepare_launch(who, &id).await?;
        let channels: Vec<ChannelOutcome> = p
            .steps
            .iter()
            .map(|s| {
                let done = s.existing.as_ref().is_some_and(|e| e.state != "failed");
                ChannelOutcome {
                    channel: s.channel,
                    platform: s.connector_platform(),
                    sandbox: s.connector.sandbox(),
                    outcome: if done {
                        "already_launched"
                    } else {
                        "would_launch"
                    }
                    .into(),
                    budget_cents: s.req.budget_cents,
                    daily_budget_cents: s.req.daily_budget_cents,
                    external_ids: s
                        .existing
                        .as_ref()
                        .map(|e| e.external_ids.clone())
                        .unwrap_or_default(),
                    error: None,
                    retryable: false,
                    requests: if done {
                        Vec::new()
                    } else {
                        s.connector
                            .plan(&s.req)
                            .iter()
                            .map(|c| c.planned())
                            .collect()
                    },
                }
            })
            .collect();
        let c = &p.rec.campaign;
        Ok(LaunchResult {
            campaign_id: id.as_str().to_owned(),
            status: c.status,
            dry_run: true,
            replayed: false,
            sandbox: channels.iter().any(|x| x.sandbox),
            idempotency_key: None,
            currency: c.currency,
            committed_spend_cents: p.committed,
            daily_spend_cents: p.daily,
            summary: format!(
                "dry run: would launch {} channel(s) committing {} {} ({} {}/day); nothing was sent",
                channels
                    .iter()
                    .filter(|x| x.outcome == "would_launch")
                    .count(),
                format_cents(p.committed),
                c.currency,
                format_cents(p.daily),
                c.currency
            ),
            channels,
            confirmation: "not needed for a dry run".into(),
        })
    }

    /// Launches an approved campaign (or retries its failed channels).
    /// A repeated `idempotency_key` returns the first result and sends
    /// nothing.
    pub async fn launch(
        &self,
        who: &Principal,
        id: &str,
        key: &str,
        confirmation: Confirmation,
    ) -> Result<LaunchResult, AppError> {
        who.require_scope("ads:launch")?;
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let key = key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(AppError::invalid(
                "idempotency_key",
                "1-200 characters, unique per intended launch",
                key,
            ));
        }
        // A key seen before answers with its first result, before any check
        // that could have changed since (the campaign is active by now).
        match self
            .store
            .claim_launch(tenant, key, &id, &who.subject)
            .await?
        {
            LaunchClaim::Claimed => {}
            LaunchClaim::Done {
                campaign_id,
                result,
            } => {
                if campaign_id != id.as_str() {
                    return Err(AppError::Conflict(format!(
                        "idempotency_key {key:?} was used to launch campaign `{campaign_id}`; use a new key for `{id}`"
                    )));
                }
                let mut r: LaunchResult = serde_json::from_str(&result)
                    .map_err(|e| AppError::Internal(format!("stored launch result: {e}")))?;
                r.replayed = true;
                r.summary = format!(
                    "already launched with this idempotency key; nothing was sent again. {}",
                    r.summary
                );
                return Ok(r);
            }
            LaunchClaim::Running { campaign_id } => {
                return Err(AppError::Conflict(format!(
                    "a launch of `{campaign_id}` with idempotency_key {key:?} is still running; read the campaign before retrying"
                )));
            }
        }
        let p = match self.prepare_launch(who, &id).await {
            Ok(p) => p,
            Err(e) => {
                // Nothing was sent: free the key for a corrected retry.
                self.store.release_launch(tenant, key).await?;
                return Err(e);
            }
        };
        let day = today();
        let mut outcomes = Vec::new();
        for s in &p.steps {
            let platform = s.connector_platform();
            if let Some(e) = s.existing.as_ref().filter(|e| e.state != "failed") {
                outcomes.push(ChannelOutcome {
                    channel: s.channel,
                    platform,
                    sandbox: e.sandbox,
                    outcome: "already_launched".into(),
                    budget_cents: e.budget_cents,
                    daily_budget_cents: s.req.daily_budget_cents,
                    external_ids: e.external_ids.clone(),
                    error: None,
                    retryable: false,
                    requests: Vec::new(),
                });
                continue;
            }
            let mut pubn = Publication {
                channel: s.channel,
                platform: platform.clone(),
                sandbox: s.connector.sandbox(),
                state: "paused".into(),
                external_ids: s
                    .existing
                    .as_ref()
                    .map(|e| e.external_ids.clone())
                    .unwrap_or_default(),
                budget_cents: s.req.budget_cents,
                error: None,
                retryable: false,
                launched_on: None,
                updated_at: String::new(),
            };
            // Created paused first (unless a failed attempt already created
            // it), recorded, then enabled.
            let created = if pubn.external_ids.is_empty() {
                match s.connector.publish_paused(&s.req).await {
                    Ok(ids) => {
                        pubn.external_ids = ids;
                        self.store.save_publication(tenant, &id, &pubn).await?;
                        true
                    }
                    Err(e) => {
                        failed(&mut pubn, &e);
                        false
                    }
                }
            } else {
                true
            };
            if created {
                match s.connector.enable(&s.req, &pubn.external_ids).await {
                    Ok(()) => {
                        pubn.state = "active".into();
                        pubn.launched_on = Some(day);
                    }
                    Err(e) => failed(&mut pubn, &e),
                }
            }
            self.store.save_publication(tenant, &id, &pubn).await?;
            outcomes.push(ChannelOutcome {
                channel: s.channel,
                platform,
                sandbox: pubn.sandbox,
                outcome: if pubn.state == "active" {
                    "launched"
                } else {
                    "failed"
                }
                .into(),
                budget_cents: s.req.budget_cents,
                daily_budget_cents: s.req.daily_budget_cents,
                external_ids: pubn.external_ids.clone(),
                error: pubn.error.clone(),
                retryable: pubn.retryable,
                requests: Vec::new(),
            });
        }
        let live = outcomes.iter().filter(|o| o.outcome != "failed").count();
        let failed_list: Vec<String> = outcomes
            .iter()
            .filter(|o| o.outcome == "failed")
            .map(|o| {
                format!(
                    "{} ({})",
                    o.channel,
                    if o.retryable {
                        "retryable"
                    } else {
                        "fix and retry"
                    }
                )
            })
            .collect();
        let c = &p.rec.campaign;
        let mut status = c.status;
        if live > 0 && c.status == CampaignStatus::Approved {
            let note = if failed_list.is_empty() {
                format!("launched on {live} channel(s)")
            } else {
                format!(
                    "launched on {live} channel(s); failed: {}",
                    failed_list.join(", ")
                )
            };
            self.store
                .transition(
                    tenant,
                    &id,
                    Move {
                        actor: &who.subject,
                        action: "launch",
                        from: c.status,
                        to: CampaignStatus::Active,
                        note: Some(&note),
                    },
                )
                .await?;
            status = CampaignStatus::Active;
        }
        let summary = if failed_list.is_empty() {
            format!(
                "launched on {live} channel(s), committing {} {} ({} {}/day)",
                format_cents(p.committed),
                c.currency,
                format_cents(p.daily),
                c.currency
            )
        } else if live > 0 {
            format!(
                "partially launched: {live} channel(s) live; failed: {}. The campaign is active with those channels marked failed; call launch_campaign again with a new idempotency_key to retry only them",
                failed_list.join(", ")
            )
        } else {
            format!(
                "nothing launched: every channel failed ({}); the campaign stays approved — fix the cause and launch again with a new idempotency_key",
                failed_list.join(", ")
            )
        };
        let result = LaunchResult {
            campaign_id: id.as_str().to_owned(),
            status,
            dry_run: false,
            replayed: false,
            sandbox: outcomes.iter().any(|o| o.sandbox),
            idempotency_key: Some(key.to_owned()),
            currency: c.currency,
            committed_spend_cents: p.committed,
            daily_spend_cents: p.daily,
            channels: outcomes,
            confirmation: match confirmation {
                Confirmation::Elicited => {
                    "the person confirmed the spend when asked (elicitation)".into()
                }
                Confirmation::NotAsked(why) => why,
            },
            summary,
        };
        let json = serde_json::to_string(&result)
            .map_err(|e| AppError::Internal(format!("encode launch: {e}")))?;
        self.store.finish_launch(tenant, key, &json).await?;
        Ok(result)
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
            let conn = self.connectors.for_publication(&p.platform, p.sandbox);
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

impl Step {
    fn connector_platform(&self) -> String {
        crate::domain::benchmarks::Platform::of(self.channel)
            .as_str()
            .to_owned()
    }
}
