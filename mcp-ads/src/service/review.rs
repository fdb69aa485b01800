//! What a person reads before a campaign spends, and the rule it must
//! pass: every channel that needs a creative (all paid media, email, SMS
//! and WhatsApp; an influencer writes their own) has an attached asset that
//! is approved and whose rights cover the channel and the flight — checked
//! through `content-read` at approval and again at launch — or the
//! approver waived it with a note. The review also shows the budget plan
//! in the currency's own major units and the caps and plan limits in force.

use std::collections::HashMap;

use content_read::AssetSummary;
use promptsales_catalog::LimitKind;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Currency, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AdsService;
use crate::caps::{CAMPAIGN_CAP_VAR, DAILY_CAP_VAR};
use crate::domain::CampaignStatus;
use crate::domain::display::{display_decimals, format_money};
use crate::domain::plan::{Approval, Waiver};
use crate::store::CampaignRecord;

/// Longest waiver note, in characters.
const MAX_NOTE: usize = 500;

/// Whether `channel` needs an approved creative before it runs: every
/// channel that buys media or reaches people does, except `influencer`
/// (the creator writes the post).
pub fn needs_creative(channel: Channel) -> bool {
    channel.is_paid() && channel != Channel::Influencer
}

/// An approver's waiver of one channel's creative (`approve_campaign`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CreativeWaiver {
    /// The channel that runs without an approved creative.
    pub channel: Channel,
    /// Why (kept in the campaign's history and shown in its views).
    pub note: String,
}

/// One attached asset as an approver reads it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreativeCopy {
    pub asset_id: String,
    /// The version attached.
    pub version: i64,
    /// Its approval status now.
    pub status: String,
    /// Approved, in rights for the channel and the flight, and fitting it.
    pub usable: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The copy: title, body excerpt and named fields (no personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy: Option<AssetSummary>,
}

/// A channel's creatives and whether it may run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChannelCreatives {
    pub channel: Channel,
    pub needs_creative: bool,
    /// Needs none, has a usable one, or was waived.
    pub ready: bool,
    pub assets: Vec<CreativeCopy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
    /// Why it may not run yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One channel's share of the budget, in major units.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChannelBudgetView {
    pub channel: Channel,
    /// e.g. `1.234.567 COP`.
    pub amount: String,
    /// Over the flight's days, e.g. `41.152 COP/day`.
    pub per_day: String,
    /// Of the total, e.g. `40%`.
    pub share: String,
    pub budget_cents: i64,
}

/// The budget plan as a person reads it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BudgetView {
    pub currency: Currency,
    /// Decimals shown for the currency (0 for COP, CLP…; amounts are
    /// stored in hundredths whatever the currency).
    pub decimals: u32,
    pub total: String,
    /// e.g. `2026-05-01 → 2026-05-30 (30 days)`.
    pub flight: String,
    pub channels: Vec<ChannelBudgetView>,
}

/// The limits in force for this campaign's money.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CapsView {
    /// Per-campaign cap in this currency (`PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_cap: Option<String>,
    /// Tenant-wide daily cap in this currency (`PROMPTSALES_ADS_TENANT_DAILY_CAP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_daily_cap: Option<String>,
    /// True when a currency without a cap cannot be spent in (production).
    pub caps_required: bool,
    /// The client's ads plan, when one is assigned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The plan's limits, one sentence each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan_limits: Vec<String>,
}

/// What an approver reads (the `ads://campaigns/{id}/approval` resource
/// and the orchestrator's launch gate).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApprovalView {
    pub campaign_id: String,
    pub name: String,
    pub client_id: String,
    pub status: CampaignStatus,
    pub budget_plan: BudgetView,
    pub creatives: Vec<ChannelCreatives>,
    pub caps: CapsView,
    /// Channels approved without a creative.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// Whether every channel may run (needs none, has one, or waived).
    pub creatives_ready: bool,
    /// What stands in the way, one line per channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
}

/// The budget plan of a campaign in its currency's major units.
pub fn budget_view(rec: &CampaignRecord) -> BudgetView {
    let c = &rec.campaign;
    let days = ((c.end_date - c.start_date).num_days() + 1).max(1);
    let total = c.budget_cents.max(1);
    let channels = c
        .channels
        .iter()
        .map(|ch| {
            let b = rec.plan.budget_of(*ch).unwrap_or(0);
            ChannelBudgetView {
                channel: *ch,
                amount: format_money(b, c.currency),
                per_day: format!("{}/day", format_money(b / days, c.currency)),
                share: format!("{:.0}%", b as f64 * 100.0 / total as f64),
                budget_cents: b,
            }
        })
        .collect();
    BudgetView {
        currency: c.currency,
        decimals: display_decimals(c.currency),
        total: format_money(c.budget_cents, c.currency),
        flight: format!("{} → {} ({days} days)", c.start_date, c.end_date),
        channels,
    }
}

/// One line per channel that may not run.
pub fn blockers(creatives: &[ChannelCreatives]) -> Vec<String> {
    creatives
        .iter()
        .filter(|c| !c.ready)
        .map(|c| {
            format!(
                "{}: {}",
                c.channel,
                c.problem.as_deref().unwrap_or("no usable creative")
            )
        })
        .collect()
}

impl AdsService {
    /// Each channel's creatives, checked now through content's read path,
    /// with `waivers` applied. Anything that cannot be checked counts as
    /// not usable (and says so), never as usable.
    pub(crate) async fn creatives(
        &self,
        tenant: &TenantId,
        rec: &CampaignRecord,
        attached: &[(String, Channel, i64)],
        waivers: &[Waiver],
    ) -> Result<Vec<ChannelCreatives>, AppError> {
        let c = &rec.campaign;
        let mut copies: HashMap<&str, Option<AssetSummary>> = HashMap::new();
        let mut out = Vec::new();
        for ch in &c.channels {
            let mut assets = Vec::new();
            for (asset, _, version) in attached.iter().filter(|(_, a, _)| a == ch) {
                let (usable, status, reasons) = match &self.content {
                    None => (
                        false,
                        "unknown".to_owned(),
                        vec![
                            "the content read path is not configured: it cannot be checked"
                                .to_owned(),
                        ],
                    ),
                    Some(src) => match src
                        .usability(tenant, asset, *ch, c.start_date, c.end_date)
                        .await
                    {
                        Ok(u) => (u.usable, u.status, u.reasons),
                        Err(e) => {
                            tracing::warn!(asset = %asset, error = %e, "asset not checked");
                            let why = if e.kind() == "not_found" {
                                format!("asset {asset} is not in the content library")
                            } else {
                                format!("asset {asset} could not be checked ({})", e.kind())
                            };
                            (false, "unknown".to_owned(), vec![why])
                        }
                    },
                };
                if !copies.contains_key(asset.as_str()) {
                    let copy = match &self.content {
                        Some(src) => src.summary(tenant, asset).await.unwrap_or_else(|e| {
                            tracing::warn!(asset = %asset, error = %e, "asset copy not read");
                            None
                        }),
                        None => None,
                    };
                    copies.insert(asset.as_str(), copy);
                }
                let copy = copies.get(asset.as_str()).cloned().flatten();
                let (mut usable, mut reasons) = (usable, reasons);
                // Clients apart: another client's copy never runs here.
                if let Some(owner) = copy.as_ref().map(|c| c.client_id.as_str())
                    && owner != c.client_id.as_str()
                {
                    usable = false;
                    reasons.push(format!("asset {asset} belongs to client {owner}"));
                }
                assets.push(CreativeCopy {
                    asset_id: asset.clone(),
                    version: *version,
                    status,
                    usable,
                    reasons,
                    copy,
                });
            }
            let needs = needs_creative(*ch);
            let waiver = waivers.iter().find(|w| w.channel == *ch).cloned();
            let usable = assets.iter().any(|a| a.usable);
            let ready = !needs || usable || waiver.is_some();
            let problem = (!ready).then(|| {
                if assets.is_empty() {
                    "no creative attached".to_owned()
                } else {
                    assets
                        .iter()
                        .map(|a| format!("{} ({})", a.reasons.join("; "), a.asset_id))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            });
            out.push(ChannelCreatives {
                channel: *ch,
                needs_creative: needs,
                ready,
                assets,
                waiver,
                problem,
            });
        }
        Ok(out)
    }

    /// The waivers `requested` by `who`, checked against the campaign's
    /// creatives; refuses the approval (naming each channel and why) unless
    /// every channel is ready with them.
    pub(crate) async fn waivers_for_approval(
        &self,
        who: &Principal,
        rec: &CampaignRecord,
        requested: &[CreativeWaiver],
    ) -> Result<Vec<Waiver>, AppError> {
        let c = &rec.campaign;
        let tenant = &who.tenant;
        let attached = self.store.assets(tenant, &c.id).await?;
        let before = self.creatives(tenant, rec, &attached, &[]).await?;
        let at = promptsales_shared::time::now_ts();
        let mut waivers: Vec<Waiver> = Vec::new();
        for w in requested {
            let ch = w.channel;
            let Some(state) = before.iter().find(|b| b.channel == ch) else {
                return Err(AppError::invalid(
                    "waivers",
                    format!(
                        "channels of the campaign ({})",
                        c.channels
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ch.as_str(),
                ));
            };
            if waivers.iter().any(|x| x.channel == ch) {
                return Err(AppError::invalid(
                    "waivers",
                    "each channel once",
                    ch.as_str(),
                ));
            }
            if !state.needs_creative {
                return Err(AppError::invalid(
                    "waivers",
                    "a channel that needs a creative (influencer posts need none)",
                    ch.as_str(),
                ));
            }
            if state.ready {
                return Err(AppError::invalid(
                    "waivers",
                    format!("a channel without a usable creative ({ch} has one)"),
                    ch.as_str(),
                ));
            }
            let note = w.note.trim();
            if note.is_empty() || note.chars().count() > MAX_NOTE {
                return Err(AppError::invalid(
                    "note",
                    format!("why {ch} runs without an approved creative, 1-{MAX_NOTE} characters"),
                    note,
                ));
            }
            waivers.push(Waiver {
                channel: ch,
                note: note.to_owned(),
                by: who.subject.clone(),
                at: at.clone(),
            });
        }
        let after = self.creatives(tenant, rec, &attached, &waivers).await?;
        let missing = blockers(&after);
        if !missing.is_empty() {
            return Err(AppError::Conflict(format!(
                "campaign `{}` cannot be approved: every channel needs an approved creative whose rights \
                 cover it and the flight ({} → {}); {}. Attach approved copy with attach_content, or waive \
                 a channel with waivers: [{{\"channel\": \"{}\", \"note\": \"why\"}}]",
                c.id,
                c.start_date,
                c.end_date,
                missing.join("; "),
                after
                    .iter()
                    .find(|x| !x.ready)
                    .map_or("meta", |x| x.channel.as_str())
            )));
        }
        Ok(waivers)
    }

    /// Refuses a launch of `channels` while any lacks a usable creative and
    /// was not waived at approval (assets are checked again: an approval
    /// or rights may have changed since).
    pub(crate) async fn creatives_for_launch(
        &self,
        tenant: &TenantId,
        rec: &CampaignRecord,
        channels: &[Channel],
    ) -> Result<(), AppError> {
        let attached = self.store.assets(tenant, &rec.campaign.id).await?;
        let all = self.creatives(tenant, rec, &attached, &rec.waivers).await?;
        let todo: Vec<ChannelCreatives> = all
            .into_iter()
            .filter(|c| channels.contains(&c.channel))
            .collect();
        let missing = blockers(&todo);
        if missing.is_empty() {
            return Ok(());
        }
        Err(AppError::Conflict(format!(
            "campaign `{}` cannot launch: {}. Nothing was sent; attach approved copy whose rights cover \
             the channel and the flight (attach_content) and launch again",
            rec.campaign.id,
            missing.join("; ")
        )))
    }

    /// The caps and plan limits in force for `rec`'s money.
    pub(crate) async fn caps_view(&self, tenant: &TenantId, rec: &CampaignRecord) -> CapsView {
        let cur = rec.campaign.currency;
        let plan = match self.plan_of(tenant, &rec.campaign.client_id).await {
            Ok((p, _)) => p,
            Err(e) => {
                tracing::warn!(campaign = %rec.campaign.id, error = %e, "plan not read for the view");
                None
            }
        };
        let plan_limits = plan
            .as_ref()
            .map(|p| {
                p.limits
                    .iter()
                    .map(|l| match (l.kind, l.currency) {
                        (LimitKind::MonthlyAdSpend, Some(c)) => format!(
                            "ad spend under management: at most {} per month",
                            format_money(l.value, c)
                        ),
                        (LimitKind::ActiveCampaigns, _) => {
                            format!("at most {} active campaign(s)", l.value)
                        }
                        (k, _) => format!("{}: at most {}", k.label(), l.value),
                    })
                    .collect()
            })
            .unwrap_or_default();
        CapsView {
            campaign_cap: self
                .caps
                .campaign
                .for_currency(cur)
                .map(|v| format!("{} ({CAMPAIGN_CAP_VAR})", format_money(v, cur))),
            tenant_daily_cap: self
                .caps
                .tenant_daily
                .for_currency(cur)
                .map(|v| format!("{}/day ({DAILY_CAP_VAR})", format_money(v, cur))),
            caps_required: self.caps.required,
            plan: plan.map(|p| format!("{} ({})", p.name, p.id)),
            plan_limits,
        }
    }

    /// The approval view of one campaign.
    pub async fn approval_view(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<ApprovalView, AppError> {
        let v = self.view(tenant, id).await?;
        let ready = v.creatives.iter().all(|c| c.ready);
        Ok(ApprovalView {
            campaign_id: v.campaign.id.as_str().to_owned(),
            name: v.campaign.name.clone(),
            client_id: v.campaign.client_id.as_str().to_owned(),
            status: v.campaign.status,
            blockers: blockers(&v.creatives),
            creatives_ready: ready,
            budget_plan: v.budget_plan,
            waivers: v.waivers,
            caps: v.caps,
            approval: v.approval,
            creatives: v.creatives,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influencers_need_no_creative_everything_else_paid_does() {
        for ch in [
            Channel::Meta,
            Channel::GoogleAds,
            Channel::Email,
            Channel::Sms,
            Channel::Whatsapp,
            Channel::Tiktok,
        ] {
            assert!(needs_creative(ch), "{ch}");
        }
        assert!(!needs_creative(Channel::Influencer));
        assert!(!needs_creative(Channel::Organic));
    }
}
