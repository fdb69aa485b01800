//! Performance (fresh connector metrics into `ad_daily`, totals, ratios,
//! pacing), the scheduler's `sync_metrics`, and optimisation change sets
//! applied and rolled back across every platform.

use chrono::NaiveDate;
use promptsales_server::auth::Principal;
use promptsales_shared::domain::{Channel, Currency, TenantId, format_cents};
use promptsales_shared::time::parse_date;
use promptsales_shared::{AppError, vocabulary};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdsService, today};
use crate::connectors::MetricsTarget;
use crate::domain::generate::{History, KpiTargets, economics};
use crate::domain::metrics::{Pacing, Totals, pacing};
use crate::domain::optimize::{
    self, BudgetChange, ChannelState, Flag, ForecastEffect, Proposal, Rules,
};
use crate::domain::plan::{CampaignPlan, Publication};
use crate::domain::{AdDaily, CampaignId, CampaignStatus};
use crate::store::{CampaignRecord, ChangeSetRow, DeliveryRow, Settle, new_id};

vocabulary! {
    /// What to do with a change set: `apply_change_set` or
    /// `rollback_change_set`.
    pub enum ChangeSetDecision("decision") {
        Apply => "apply",
        Rollback => "rollback",
    }
}

/// One channel's delivery against its budget.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChannelPerformance {
    pub channel: Channel,
    pub budget_cents: i64,
    pub totals: Totals,
}

/// One day's delivery, channels summed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DailyPoint {
    pub date: NaiveDate,
    pub totals: Totals,
}

/// A connector read of one channel.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RefreshNote {
    pub channel: Channel,
    pub sandbox: bool,
    /// Daily rows received.
    pub rows: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The outcome of `get_campaign_performance`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PerformanceReport {
    pub campaign_id: String,
    pub name: String,
    pub status: CampaignStatus,
    pub currency: Currency,
    /// True when any figure comes from the sandbox simulation.
    pub sandbox: bool,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Connector reads made before answering.
    pub refreshed: Vec<RefreshNote>,
    pub totals: Totals,
    pub by_channel: Vec<ChannelPerformance>,
    pub daily: Vec<DailyPoint>,
    pub pacing: Pacing,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kpi_targets: Option<KpiTargets>,
}

/// The outcome of `sync_metrics`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SyncReport {
    pub campaigns: usize,
    pub channels: usize,
    pub rows_received: usize,
    pub rows_changed: u64,
    pub sandbox: bool,
    pub errors: Vec<String>,
}

/// Arguments of `optimize_campaign`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct OptimizeRequest {
    pub campaign_id: String,
    /// Channels below this ROAS give budget (default 2.0).
    pub target_roas: Option<f64>,
    /// Flag a CTR below this (default 0.008 = 0.8%).
    pub min_ctr: Option<f64>,
    /// Impressions before a channel is judged (default 1000).
    pub min_impressions: Option<i64>,
    /// Share of a weak channel's unspent budget to move (default 0.2).
    pub shift_share: Option<f64>,
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

fn view_of(row: ChangeSetRow, summary: String) -> Result<ChangeSetView, AppError> {
    let p: Proposal = serde_json::from_str(&row.proposal)
        .map_err(|e| AppError::Internal(format!("stored change set: {e}")))?;
    Ok(ChangeSetView {
        id: row.id,
        campaign_id: row.campaign_id,
        status: row.status,
        changes: p.changes,
        flags: p.flags,
        forecast: p.forecast,
        created_by: row.created_by,
        created_at: row.created_at,
        applied_by: row.applied_by,
        applied_at: row.applied_at,
        rolled_back_by: row.rolled_back_by,
        rolled_back_at: row.rolled_back_at,
        summary,
    })
}

fn date_of_ts(ts: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(ts.get(..10)?, "%Y-%m-%d").ok()
}

impl AdsService {
    /// Pulls each launched channel's daily delivery from its connector into
    /// `ad_daily`, from `since` (or its launch) to today.
    async fn refresh(
        &self,
        tenant: &TenantId,
        rec: &CampaignRecord,
        pubs: &[Publication],
        since: Option<NaiveDate>,
    ) -> Result<(Vec<RefreshNote>, usize, u64), AppError> {
        let c = &rec.campaign;
        let day = today();
        let mut notes = Vec::new();
        let mut rows = Vec::new();
        for p in pubs {
            // Nothing delivers before the flight starts.
            let Some(launched) = p.launched_on.map(|d| d.max(c.start_date)) else {
                continue;
            };
            let conn = self.connectors.for_publication(&p.platform, p.sandbox);
            // The simulation stops delivering when the channel stops.
            let last = if p.sandbox && p.state != "active" {
                date_of_ts(&p.updated_at).unwrap_or(day)
            } else {
                day
            }
            .min(c.end_date);
            let first = since.map_or(launched, |s| s.max(launched));
            if first > last {
                continue;
            }
            let days = (c.end_date - launched).num_days() + 1;
            let target = MetricsTarget {
                campaign_id: c.id.as_str().to_owned(),
                channel: p.channel,
                ids: p.external_ids.clone(),
                countries: c.countries.clone(),
                currency: c.currency,
                daily_budget_cents: p.budget_cents / days.max(1),
                launched_on: launched,
                end: c.end_date,
            };
            match conn.fetch_daily(&target, first, last).await {
                Ok(daily) => {
                    notes.push(RefreshNote {
                        channel: p.channel,
                        sandbox: p.sandbox,
                        rows: daily.len(),
                        error: None,
                    });
                    for m in daily {
                        // Platforms without a country breakdown are
                        // recorded under the first target country.
                        let Some(country) = m.country.or_else(|| c.countries.first().copied())
                        else {
                            continue;
                        };
                        let impressions = m.impressions.max(0);
                        rows.push(DeliveryRow {
                            row: AdDaily {
                                date: m.date,
                                campaign_id: c.id.clone(),
                                channel: p.channel,
                                country,
                                impressions,
                                reach: m.reach.clamp(0, impressions),
                                clicks: m.clicks.clamp(0, impressions),
                                spend_cents: m.spend_cents.max(0),
                                conversions: m.conversions.max(0),
                            },
                            value_cents: m.value_cents.max(0),
                        });
                    }
                }
                Err(e) => notes.push(RefreshNote {
                    channel: p.channel,
                    sandbox: p.sandbox,
                    rows: 0,
                    error: Some(e.to_string()),
                }),
            }
        }
        let received = rows.len();
        let changed = if rows.is_empty() {
            0
        } else {
            self.store.upsert_delivery(tenant, &rows).await?
        };
        Ok((notes, received, changed))
    }

    /// `get_campaign_performance`.
    pub async fn performance(
        &self,
        tenant: &TenantId,
        id: &str,
        from: Option<&str>,
        to: Option<&str>,
        refresh: bool,
    ) -> Result<PerformanceReport, AppError> {
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let c = &rec.campaign;
        let pubs = if refresh || c.status.launched() {
            self.store.publications(tenant, &id).await?
        } else {
            Vec::new()
        };
        let refreshed = if refresh && c.status.launched() {
            self.refresh(tenant, &rec, &pubs, None).await?.0
        } else {
            Vec::new()
        };
        let day = today();
        let from = from
            .map(|f| parse_date("from", f))
            .transpose()?
            .unwrap_or(c.start_date);
        let to = to
            .map(|t| parse_date("to", t))
            .transpose()?
            .unwrap_or(c.end_date.min(day).max(c.start_date));
        if to < from {
            return Err(AppError::invalid(
                "to",
                format!("a date on or after from ({from})"),
                to.to_string(),
            ));
        }
        let rows = self.store.campaign_delivery(tenant, &id, from, to).await?;
        let mut totals = Totals::default();
        let mut by_channel: Vec<ChannelPerformance> = c
            .channels
            .iter()
            .map(|ch| ChannelPerformance {
                channel: *ch,
                budget_cents: rec.plan.budget_of(*ch).unwrap_or(0),
                totals: Totals::default(),
            })
            .collect();
        let mut daily: Vec<DailyPoint> = Vec::new();
        for (date, ch, v) in &rows {
            totals.add(v[0], v[1], v[2], v[3], v[4], v[5]);
            match by_channel.iter_mut().find(|b| b.channel == *ch) {
                Some(b) => b.totals.add(v[0], v[1], v[2], v[3], v[4], v[5]),
                None => {
                    let mut t = Totals::default();
                    t.add(v[0], v[1], v[2], v[3], v[4], v[5]);
                    by_channel.push(ChannelPerformance {
                        channel: *ch,
                        budget_cents: 0,
                        totals: t,
                    });
                }
            }
            match daily.last_mut() {
                Some(d) if d.date == *date => d.totals.add(v[0], v[1], v[2], v[3], v[4], v[5]),
                _ => {
                    let mut t = Totals::default();
                    t.add(v[0], v[1], v[2], v[3], v[4], v[5]);
                    daily.push(DailyPoint {
                        date: *date,
                        totals: t,
                    });
                }
            }
        }
        for b in &mut by_channel {
            b.totals = b.totals.finish();
        }
        for d in &mut daily {
            d.totals = d.totals.finish();
        }
        let totals = totals.finish();
        Ok(PerformanceReport {
            campaign_id: id.as_str().to_owned(),
            name: c.name.clone(),
            status: c.status,
            currency: c.currency,
            sandbox: pubs.iter().any(|p| p.sandbox),
            from,
            to,
            refreshed,
            pacing: pacing(
                c.budget_cents,
                totals.spend_cents,
                c.start_date,
                c.end_date,
                day,
            ),
            totals,
            by_channel,
            daily,
            kpi_targets: rec.plan.kpis.clone(),
        })
    }

    /// `sync_metrics`: the last `days` of every active campaign (platforms
    /// restate recent days, so they are read again).
    pub async fn sync_metrics(
        &self,
        tenant: &TenantId,
        days: Option<u32>,
    ) -> Result<SyncReport, AppError> {
        let days = days.unwrap_or(7);
        if !(1..=90).contains(&days) {
            return Err(AppError::invalid("days", "1 to 90", days.to_string()));
        }
        let since = today() - chrono::Duration::days(i64::from(days) - 1);
        let ids = self.store.active_campaign_ids(tenant).await?;
        let mut report = SyncReport {
            campaigns: ids.len(),
            channels: 0,
            rows_received: 0,
            rows_changed: 0,
            sandbox: false,
            errors: Vec::new(),
        };
        for id in ids {
            let rec = self.store.get_record(tenant, &id).await?;
            let pubs = self.store.publications(tenant, &id).await?;
            report.sandbox |= pubs.iter().any(|p| p.sandbox);
            match self.refresh(tenant, &rec, &pubs, Some(since)).await {
                Ok((notes, received, changed)) => {
                    report.channels += notes.len();
                    report.rows_received += received;
                    report.rows_changed += changed;
                    report.errors.extend(
                        notes
                            .into_iter()
                            .filter_map(|n| n.error.map(|e| format!("{id} {}: {e}", n.channel))),
                    );
                }
                Err(AppError::Internal(detail)) => {
                    // The report reaches the client: database text stays
                    // in the log.
                    tracing::error!(campaign = %id, detail, "metric sync of a campaign failed");
                    report
                        .errors
                        .push(format!("{id}: internal error (details in the server log)"));
                }
                Err(e) => report.errors.push(format!("{id}: {e}")),
            }
        }
        Ok(report)
    }

    /// `optimize_campaign`: proposes one change set (stored, not applied).
    pub async fn optimize(
        &self,
        who: &Principal,
        req: OptimizeRequest,
    ) -> Result<ChangeSetView, AppError> {
        let tenant = &who.tenant;
        let d = Rules::default();
        let rules = Rules {
            target_roas: req.target_roas.unwrap_or(d.target_roas),
            min_ctr: req.min_ctr.unwrap_or(d.min_ctr),
            min_impressions: req.min_impressions.unwrap_or(d.min_impressions),
            shift_share: req.shift_share.unwrap_or(d.shift_share),
        };
        if !(rules.target_roas.is_finite() && rules.target_roas > 0.0) {
            return Err(AppError::invalid(
                "target_roas",
                "a positive number",
                rules.target_roas.to_string(),
            ));
        }
        if !(0.0..=1.0).contains(&rules.min_ctr) {
            return Err(AppError::invalid(
                "min_ctr",
                "a rate from 0 to 1",
                rules.min_ctr.to_string(),
            ));
        }
        if !(0.0..=1.0).contains(&rules.shift_share) {
            return Err(AppError::invalid(
                "shift_share",
                "a share from 0 to 1",
                rules.shift_share.to_string(),
            ));
        }
        if rules.min_impressions < 0 {
            return Err(AppError::invalid(
                "min_impressions",
                "zero or more",
                rules.min_impressions.to_string(),
            ));
        }
        let perf = self
            .performance(tenant, &req.campaign_id, None, None, true)
            .await?;
        let rec = self
            .store
            .get_record(tenant, &CampaignId::parse(&req.campaign_id)?)
            .await?;
        let c = &rec.campaign;
        if matches!(c.status, CampaignStatus::Completed) {
            return Err(AppError::Conflict(format!(
                "campaign `{}` is completed: nothing left to optimise",
                c.id
            )));
        }
        let states: Vec<ChannelState> = rec
            .plan
            .allocations
            .iter()
            .map(|a| {
                let t = perf
                    .by_channel
                    .iter()
                    .find(|b| b.channel == a.channel)
                    .map(|b| b.totals)
                    .unwrap_or_default();
                let h = History {
                    impressions: t.impressions,
                    reach: t.reach,
                    clicks: t.clicks,
                    spend_cents: t.spend_cents,
                    conversions: t.conversions,
                    value_cents: t.conversion_value_cents,
                    days: 0,
                    countries: Vec::new(),
                };
                let e = economics(a.channel, c.currency, Some(&h));
                ChannelState {
                    channel: a.channel,
                    budget_cents: a.budget_cents,
                    totals: t,
                    roas: (e.source == "history").then_some(e.expected_roas),
                }
            })
            .collect();
        let pace = perf.pacing.ratio.map(|r| (perf.pacing.status.as_str(), r));
        let proposal = optimize::propose(&states, rules, pace);
        let id = new_id("chg_");
        let json = serde_json::to_string(&proposal)
            .map_err(|e| AppError::Internal(format!("encode: {e}")))?;
        self.store
            .insert_change_set(tenant, &id, &c.id, &json, &who.subject)
            .await?;
        let summary = if proposal.changes.is_empty() {
            format!(
                "no budget move ({} flag(s)); nothing to apply",
                proposal.flags.len()
            )
        } else {
            format!(
                "moves {} {} between channels, forecast {}{} {} revenue; apply_change_set(\"{id}\") needs ads:approve",
                format_cents(proposal.forecast.moved_cents),
                c.currency,
                if proposal.forecast.revenue_change_cents >= 0 {
                    "+"
                } else {
                    ""
                },
                format_cents(proposal.forecast.revenue_change_cents),
                c.currency
            )
        };
        view_of(self.store.get_change_set(tenant, &id).await?, summary)
    }

    /// Applies or reverts (`decision`) a change set on every platform, then
    /// in the database in one transaction.
    pub async fn settle(
        &self,
        who: &Principal,
        id: &str,
        decision: ChangeSetDecision,
        dry_run: bool,
    ) -> Result<ChangeSetView, AppError> {
        who.require_scope("ads:approve")?;
        let apply = decision == ChangeSetDecision::Apply;
        let tenant = &who.tenant;
        let row = self.store.get_change_set(tenant, id).await?;
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
        self.caps.check_campaign(total, rec.campaign.currency)?;
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
            let conn = self.connectors.for_publication(&p.platform, p.sandbox);
            if let Err(e) = conn.set_budget(&p.external_ids, new, new / days).await {
                for (q, prev) in &done {
                    let c2 = self.connectors.for_publication(&q.platform, q.sandbox);
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
