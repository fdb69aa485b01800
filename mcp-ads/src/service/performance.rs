//! Performance (fresh connector metrics into `ad_daily`, totals, ratios,
//! pacing), the scheduler's `sync_metrics`, and optimisation proposals
//! (applied and rolled back in [`super::change_sets`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Currency, TenantId, format_money};
use promptsales_shared::time::parse_date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdsService, today};
use crate::connectors::MetricsTarget;
use crate::domain::generate::KpiTargets;
use crate::domain::metrics::{Pacing, Totals, pacing};
use crate::domain::optimize::{self, ChannelState, LastChange, Proposal, Rules};
use crate::domain::plan::Publication;
use crate::domain::{AdDaily, CampaignId, CampaignStatus};
use crate::store::{CampaignRecord, DeliveryRow, new_id};

use super::change_sets::{ChangeSetView, view_of};

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
    /// Impressions every channel needs before it is judged (default: each
    /// channel's learning period, see the `ads://channels` resource).
    pub min_impressions: Option<i64>,
    /// Days of delivery every channel needs before it is judged (default:
    /// each channel's learning period, 1–7 days).
    pub min_days: Option<i64>,
    /// Share of a weak channel's unspent budget to move (default 0.2).
    pub shift_share: Option<f64>,
    /// Most any channel's budget may change in one change set, as a share
    /// of its unspent budget (default 0.2).
    pub max_move_share: Option<f64>,
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
            let conn = self.publication_connector(tenant, p).await?;
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
        let rules = rules_of(&req)?;
        let perf = self
            .performance(tenant, &req.campaign_id, None, None, true)
            .await?;
        let cid = CampaignId::parse(&req.campaign_id)?;
        let rec = self.store.get_record(tenant, &cid).await?;
        let c = &rec.campaign;
        if matches!(c.status, CampaignStatus::Completed) {
            return Err(AppError::Conflict(format!(
                "campaign `{}` is completed: nothing left to optimise",
                c.id
            )));
        }
        // Every stored day counts, including those a platform restated.
        let rows = self
            .store
            .campaign_delivery(tenant, &cid, c.start_date, c.end_date.max(today()))
            .await?;
        let last = self.last_changes(tenant, &cid).await?;
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
                let delivered: Vec<NaiveDate> = rows
                    .iter()
                    .filter(|(_, ch, v)| *ch == a.channel && v[0] > 0)
                    .map(|(d, _, _)| *d)
                    .collect();
                let last_change = last.get(&a.channel).map(|(id, at)| LastChange {
                    change_set_id: id.clone(),
                    at: at.clone(),
                    days_since: date_of_ts(at).map_or(0, |day| {
                        delivered.iter().filter(|d| **d > day).count() as i64
                    }),
                });
                ChannelState {
                    channel: a.channel,
                    budget_cents: a.budget_cents,
                    totals: t,
                    roas: optimize::judged_roas(a.channel, c.currency, &t),
                    days: delivered.len() as i64,
                    last_change,
                }
            })
            .collect();
        let pace = perf.pacing.ratio.map(|r| (perf.pacing.status.as_str(), r));
        let proposal = optimize::propose(&states, c.currency, rules, pace);
        let id = new_id("chg_");
        let json = serde_json::to_string(&proposal)
            .map_err(|e| AppError::Internal(format!("encode: {e}")))?;
        self.store
            .insert_change_set(tenant, &id, &c.id, &json, &who.subject)
            .await?;
        let summary = match &proposal.no_move {
            Some(nm) => format!(
                "no budget move: {}{}; nothing to apply",
                nm.message,
                if proposal.holds.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        proposal
                            .holds
                            .iter()
                            .map(|h| h.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
            ),
            None => format!(
                "moves {} between channels (no channel more than {:.0}% of its unspent budget), forecast {}{} revenue; apply_change_set(\"{id}\") needs ads:launch and someone other than its proposer",
                format_money(proposal.forecast.moved_cents, c.currency),
                rules.max_move_share * 100.0,
                if proposal.forecast.revenue_change_cents >= 0 {
                    "+"
                } else {
                    ""
                },
                format_money(proposal.forecast.revenue_change_cents, c.currency),
            ),
        };
        view_of(self.store.get_change_set(tenant, &id).await?, summary)
    }

    /// Per channel, the last change set that set its budget (applied or
    /// rolled back) and when.
    async fn last_changes(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
    ) -> Result<HashMap<Channel, (String, String)>, AppError> {
        let mut out: HashMap<Channel, (String, String)> = HashMap::new();
        for row in self.store.settled_change_sets(tenant, campaign).await? {
            let p: Proposal = serde_json::from_str(&row.proposal)
                .map_err(|e| AppError::Internal(format!("stored change set: {e}")))?;
            let Some(at) = row.rolled_back_at.clone().or(row.applied_at.clone()) else {
                continue;
            };
            for ch in &p.changes {
                let newer = out.get(&ch.channel).is_none_or(|(_, seen)| *seen < at);
                if newer {
                    out.insert(ch.channel, (row.id.clone(), at.clone()));
                }
            }
        }
        Ok(out)
    }
}

/// The rules of a request, each override checked.
fn rules_of(req: &OptimizeRequest) -> Result<Rules, AppError> {
    let d = Rules::default();
    let rules = Rules {
        target_roas: req.target_roas.unwrap_or(d.target_roas),
        min_ctr: req.min_ctr.unwrap_or(d.min_ctr),
        min_impressions: req.min_impressions,
        min_days: req.min_days,
        shift_share: req.shift_share.unwrap_or(d.shift_share),
        max_move_share: req.max_move_share.unwrap_or(d.max_move_share),
    };
    if !(rules.target_roas.is_finite() && rules.target_roas > 0.0) {
        return Err(AppError::invalid(
            "target_roas",
            "a positive number",
            rules.target_roas.to_string(),
        ));
    }
    for (field, v) in [
        ("min_ctr", rules.min_ctr),
        ("shift_share", rules.shift_share),
        ("max_move_share", rules.max_move_share),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(AppError::invalid(
                field,
                "a share from 0 to 1",
                v.to_string(),
            ));
        }
    }
    for (field, v) in [
        ("min_impressions", rules.min_impressions),
        ("min_days", rules.min_days),
    ] {
        if let Some(v) = v.filter(|v| *v < 0) {
            return Err(AppError::invalid(field, "zero or more", v.to_string()));
        }
    }
    Ok(rules)
}
