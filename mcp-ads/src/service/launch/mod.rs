//! Launching approved campaigns through the connectors: idempotent per
//! key, one launch per campaign (a claim taken with a conditional update
//! before any platform call, refreshed while it runs, taken over when its
//! process died), per channel, dry-runnable, within the spend caps. A
//! channel created paused but never enabled is unfinished: a retry enables
//! it and never publishes it again. Each channel is published with the
//! full approved copy attached to it; before any platform call (and in dry
//! runs) every connector says what its channel lacks, and before anything
//! is created every connector confirms the account (Meta: its currency):
//! either refuses the whole launch with nothing sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Currency, TenantId, format_cents};
use promptsales_shared::scope::Scope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod creative;

use super::{AdsService, today};
use crate::connectors::{Connector, ConnectorError, PlannedCall, PublishRequest};
use crate::domain::plan::Publication;
use crate::domain::{CampaignId, CampaignStatus};
use crate::store::{AdsStore, CampaignClaim, CampaignRecord, LaunchClaim, Move, daily_commitment};

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
    /// launched, failed, already_launched, would_launch or would_enable
    /// (dry run; would_enable: created paused by an interrupted launch, so
    /// only enabled).
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
    /// The client's connection the channel goes through (absent: the
    /// environment's account, or the sandbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
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

struct Step {
    channel: Channel,
    req: PublishRequest,
    connector: Arc<dyn Connector>,
    /// The client's connection it goes through (None: environment or sandbox).
    connection_id: Option<String>,
    existing: Option<Publication>,
}

struct Prepared {
    rec: CampaignRecord,
    steps: Vec<Step>,
    committed: i64,
    daily: i64,
}

/// Created paused on the platform by a launch that never enabled it (its
/// process died, or it stopped): unfinished, not launched.
pub(crate) fn unfinished(p: &Publication) -> bool {
    p.state == "paused" && p.launched_on.is_none()
}

/// A channel a launch still has to do: never published, failed, or
/// published paused and never enabled.
fn to_do(existing: Option<&Publication>) -> bool {
    existing.is_none_or(|p| p.state == "failed" || unfinished(p))
}

fn failed(p: &mut Publication, e: &ConnectorError) {
    p.state = "failed".into();
    p.error = Some(e.to_string());
    p.retryable = e.retryable() || matches!(e, ConnectorError::Missing { .. });
}

/// Keeps a launch's claim fresh while it runs; stops when dropped. `lost`
/// turns true when the claim was taken over (this process was thought
/// dead), and the launch then stops before its next platform call.
struct Heartbeat {
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Heartbeat {
    fn start(
        store: AdsStore,
        tenant: TenantId,
        id: CampaignId,
        key: String,
        every: std::time::Duration,
    ) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match store.refresh_launch(&tenant, &id, &key).await {
                    Ok(true) => {}
                    Ok(false) => {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                    // A refresh missed now is retried on the next beat.
                    Err(e) => {
                        tracing::warn!(campaign = %id, error = %e, "launch claim not refreshed")
                    }
                }
            }
        });
        Self { lost, task }
    }

    fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl AdsService {
    /// Everything a launch needs, validated: status, dates, caps.
    async fn prepare_launch(&self, who: &Principal, id: &CampaignId) -> Result<Prepared, AppError> {
        let tenant = &who.tenant;
        let rec = self.store.get_record(tenant, id).await?;
        let c = &rec.campaign;
        let pubs = self.store.publications(tenant, id).await?;
        let retry = c.status == CampaignStatus::Active && pubs.iter().any(|p| to_do(Some(p)));
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
            if to_do(existing.as_ref()) {
                committed += budget;
                daily += daily_ch;
            } else {
                live_daily += daily_ch;
            }
            // What exists on a platform is finished on that platform,
            // through the account that created it; anything new goes
            // through the client's own connection (else the environment's
            // account, else the sandbox).
            let (connector, connection_id) = match &existing {
                Some(p) if to_do(Some(p)) && !p.external_ids.is_empty() => (
                    self.publication_connector(tenant, p).await?,
                    p.connection_id.clone(),
                ),
                _ => {
                    let r = self.route(tenant, &c.client_id, *ch).await?;
                    (r.connector, r.connection_id)
                }
            };
            steps.push(Step {
                channel: *ch,
                connector,
                connection_id,
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
                    creative: None,
                },
                existing,
            });
        }
        self.caps
            .check_campaign(c.budget_cents, c.budget_cents, c.currency)?;
        let already = self.others_daily(tenant, c.currency, id).await?;
        self.caps.check_daily(
            &format!("launching campaign `{id}`"),
            daily,
            already + live_daily,
            c.currency,
        )?;
        let todo: Vec<Channel> = steps
            .iter()
            .filter(|s| to_do(s.existing.as_ref()))
            .map(|s| s.channel)
            .collect();
        self.creatives_for_launch(tenant, &rec, &todo).await?;
        let copies = self.launch_creatives(tenant, &rec, &todo).await?;
        for s in &mut steps {
            s.req.creative = copies
                .iter()
                .find(|(ch, _)| *ch == s.channel)
                .map(|(_, c)| c.clone());
        }
        refuse_incomplete(id, &steps)?;
        // A retry of an active campaign adds no campaign and no spend.
        if c.status == CampaignStatus::Approved {
            self.check_tiers(tenant, c).await?;
        }
        Ok(Prepared {
            rec,
            steps,
            committed,
            daily,
        })
    }

    /// What the tenant's other spending campaigns in `currency` commit per
    /// day now (active ones and those a launch holds).
    pub(crate) async fn others_daily(
        &self,
        tenant: &TenantId,
        currency: Currency,
        except: &CampaignId,
    ) -> Result<i64, AppError> {
        let day = today();
        Ok(self
            .store
            .active_in_currency(tenant, currency, except)
            .await?
            .iter()
            .map(|o| daily_commitment(o.budget_cents, o.start_date, o.end_date, day))
            .sum())
    }

    /// What a launch would send and commit, without sending anything.
    pub async fn launch_preview(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<LaunchResult, AppError> {
        who.require(Scope::AdsLaunch)?;
        let id = CampaignId::parse(id)?;
        let p = self.prepare_launch(who, &id).await?;
        let channels: Vec<ChannelOutcome> = p
            .steps
            .iter()
            .map(|s| {
                let existing = s.existing.as_ref();
                let done = !to_do(existing);
                let enable_only = existing.is_some_and(|e| !e.external_ids.is_empty());
                ChannelOutcome {
                    channel: s.channel,
                    platform: s.connector_platform(),
                    sandbox: s.connector.sandbox(),
                    outcome: if done {
                        "already_launched"
                    } else if enable_only {
                        "would_enable"
                    } else {
                        "would_launch"
                    }
                    .into(),
                    budget_cents: s.req.budget_cents,
                    daily_budget_cents: s.req.daily_budget_cents,
                    external_ids: existing.map(|e| e.external_ids.clone()).unwrap_or_default(),
                    error: None,
                    retryable: false,
                    requests: if done || enable_only {
                        Vec::new()
                    } else {
                        s.connector
                            .plan(&s.req)
                            .iter()
                            .map(|c| c.planned())
                            .collect()
                    },
                    connection_id: s.connection_id.clone(),
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
                    .filter(|x| x.outcome.starts_with("would_"))
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

    /// Launches an approved campaign (or finishes its failed and unfinished
    /// channels). A repeated `idempotency_key` returns the first result and
    /// sends nothing; whatever the key, only one launch of a campaign runs
    /// at a time (the campaign claim).
    pub async fn launch(
        &self,
        who: &Principal,
        id: &str,
        key: &str,
        confirmation: Confirmation,
    ) -> Result<LaunchResult, AppError> {
        who.require(Scope::AdsLaunch)?;
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
        let stale = self.stale_before();
        // A key seen before answers with its first result, before any check
        // that could have changed since (the campaign is active by now).
        match self
            .store
            .claim_launch(tenant, key, &id, &who.subject, &stale)
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
        let result = match self.claim_campaign(who, &id, key, &stale).await {
            Ok(()) => self.launch_claimed(who, &id, key, confirmation).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            // Whatever stopped the launch, neither the key nor the campaign
            // stays held: a retry (any key) finishes what was started.
            if let Err(e) = self.store.release_launch(tenant, &id, key).await {
                tracing::error!(campaign = %id, error = %e, "launch claim not released; it expires as stale");
            }
        }
        result
    }

    /// Takes the campaign for this launch, or says who holds it.
    async fn claim_campaign(
        &self,
        who: &Principal,
        id: &CampaignId,
        key: &str,
        stale: &str,
    ) -> Result<(), AppError> {
        match self
            .store
            .claim_campaign(&who.tenant, id, key, &who.subject, stale)
            .await?
        {
            CampaignClaim::Claimed { took_over: None } => Ok(()),
            CampaignClaim::Claimed { took_over: Some(h) } => {
                tracing::warn!(campaign = %id, previous = %h.by, since = %h.at,
                    "took over a stale launch claim (its process stopped refreshing it)");
                Ok(())
            }
            CampaignClaim::Busy(h) => Err(AppError::Conflict(format!(
                "campaign `{id}` is being launched by {} (idempotency_key {:?}, claim refreshed at {}); \
                 only one launch of a campaign runs at a time and nothing was sent: read the campaign \
                 in a moment (a claim not refreshed for {} s is taken over)",
                h.by,
                h.key,
                h.at,
                self.claim_ttl.as_secs()
            ))),
            // Not approved nor active: the checks say why, in their words.
            CampaignClaim::NotLaunchable => Err(match self.prepare_launch(who, id).await {
                Err(e) => e,
                Ok(_) => {
                    AppError::Conflict(format!("campaign `{id}` changed meanwhile; read it again"))
                }
            }),
        }
    }

    /// The launch under the campaign claim.
    async fn launch_claimed(
        &self,
        who: &Principal,
        id: &CampaignId,
        key: &str,
        confirmation: Confirmation,
    ) -> Result<LaunchResult, AppError> {
        let tenant = &who.tenant;
        let p = self.prepare_launch(who, id).await?;
        let beat = Heartbeat::start(
            self.store.clone(),
            tenant.clone(),
            id.clone(),
            key.to_owned(),
            (self.claim_ttl / 3).max(std::time::Duration::from_millis(200)),
        );
        // The accounts confirm before anything is created on any channel.
        let mut refused = Vec::new();
        for s in p.steps.iter().filter(|s| creates(s)) {
            if let Err(e) = s.connector.preflight(&s.req).await {
                refused.push(format!("{}: {e}", s.channel));
            }
        }
        if !refused.is_empty() {
            return Err(AppError::Conflict(format!(
                "campaign `{id}` cannot launch: {}. Nothing was created",
                refused.join("; ")
            )));
        }
        let day = today();
        let mut outcomes = Vec::new();
        for s in &p.steps {
            let platform = s.connector_platform();
            if let Some(e) = s.existing.as_ref().filter(|e| !to_do(Some(e))) {
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
                    connection_id: e.connection_id.clone(),
                });
                continue;
            }
            if beat.lost() {
                return Err(AppError::Conflict(format!(
                    "the launch claim of campaign `{id}` was taken over (this launch stopped refreshing \
                     it); stopped before {}: the other launch finishes the campaign",
                    s.channel
                )));
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
                connection_id: s.connection_id.clone(),
                updated_at: String::new(),
            };
            // Created paused first (unless an earlier attempt created it),
            // recorded, then enabled: a crash in between leaves an
            // unfinished publication that the retry only enables.
            let created = if pubn.external_ids.is_empty() {
                match s.connector.publish_paused(&s.req).await {
                    Ok(ids) => {
                        pubn.external_ids = ids;
                        if let Err(e) = self.store.save_publication(tenant, id, &pubn).await {
                            // The ids are not secret; they are what a person
                            // needs to reconcile the platform by hand.
                            tracing::error!(campaign = %id, channel = %s.channel, ids = ?pubn.external_ids,
                                "created paused on the platform but not recorded: reconcile before retrying");
                            return Err(e);
                        }
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
            self.store.save_publication(tenant, id, &pubn).await?;
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
                connection_id: pubn.connection_id.clone(),
            });
        }
        drop(beat);
        self.finish(who, id, key, &p, outcomes, confirmation).await
    }

    /// Records the outcome: status move, claim freed, key done — together.
    async fn finish(
        &self,
        who: &Principal,
        id: &CampaignId,
        key: &str,
        p: &Prepared,
        outcomes: Vec<ChannelOutcome>,
        confirmation: Confirmation,
    ) -> Result<LaunchResult, AppError> {
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
        let goes_live = live > 0 && c.status == CampaignStatus::Approved;
        let status = if goes_live {
            CampaignStatus::Active
        } else {
            c.status
        };
        let note = if failed_list.is_empty() {
            format!("launched on {live} channel(s)")
        } else {
            format!(
                "launched on {live} channel(s); failed: {}",
                failed_list.join(", ")
            )
        };
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
        let mv = goes_live.then_some(Move {
            actor: &who.subject,
            action: "launch",
            from: c.status,
            to: CampaignStatus::Active,
            note: Some(&note),
        });
        let held = self
            .store
            .finish_launch(&who.tenant, id, key, mv, &json)
            .await?;
        if !held {
            tracing::warn!(campaign = %id, "launch finished after its claim was taken over");
        }
        Ok(result)
    }
}

/// Whether the launch creates this channel's objects (not done yet, and
/// not created paused by an earlier attempt).
fn creates(s: &Step) -> bool {
    to_do(s.existing.as_ref())
        && s.existing
            .as_ref()
            .is_none_or(|e| e.external_ids.is_empty())
}

/// Refuses a launch when any channel it creates lacks what its platform
/// needs (no page, no pixel, no image…), naming each channel and what.
fn refuse_incomplete(id: &CampaignId, steps: &[Step]) -> Result<(), AppError> {
    let lacking: Vec<String> = steps
        .iter()
        .filter(|s| creates(s))
        .filter_map(|s| {
            let m = s.connector.missing(&s.req);
            (!m.is_empty()).then(|| format!("{} lacks {}", s.channel, m.join("; ")))
        })
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    Err(AppError::Conflict(format!(
        "campaign `{id}` cannot launch: {}. Nothing was sent; complete the connection \
         (set_connection) or the creative and launch again",
        lacking.join(". ")
    )))
}

impl Step {
    fn connector_platform(&self) -> String {
        crate::domain::benchmarks::Platform::of(self.channel)
            .as_str()
            .to_owned()
    }
}

#[cfg(test)]
mod tests;
