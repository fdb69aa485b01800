//! Optimisation rules: one change set across a campaign's channels — budget
//! moved from channels below target ROAS to those above, low-CTR and pacing
//! flags — with the forecast effect.

use promptsales_shared::domain::{Channel, format_cents};
use serde::{Deserialize, Serialize};

use super::metrics::Totals;

/// Thresholds of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rules {
    /// Channels below this ROAS give budget; those at or above receive it.
    pub target_roas: f64,
    /// A CTR below this after `min_impressions` is flagged.
    pub min_ctr: f64,
    /// Impressions a channel needs before it is judged.
    pub min_impressions: i64,
    /// Share of a weak channel's budget moved per change set.
    pub shift_share: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            target_roas: 2.0,
            min_ctr: 0.008,
            min_impressions: 1_000,
            shift_share: 0.20,
        }
    }
}

/// A channel's current budget and delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelState {
    pub channel: Channel,
    pub budget_cents: i64,
    pub totals: Totals,
    /// ROAS the channel is judged by: recorded values, else the plan's
    /// expectation adjusted by its delivered CPA.
    pub roas: Option<f64>,
}

/// One channel's budget before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BudgetChange {
    pub channel: Channel,
    pub budget_before_cents: i64,
    pub budget_after_cents: i64,
    pub reason: String,
}

/// A finding that needs a person rather than a budget move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Flag {
    /// low_ctr, over_pacing or under_pacing.
    pub kind: String,
    pub channel: Option<Channel>,
    pub message: String,
}

/// What the change set is expected to do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ForecastEffect {
    /// Budget moved between channels, hundredths.
    pub moved_cents: i64,
    /// Expected extra revenue from the remaining budget, hundredths.
    pub revenue_change_cents: i64,
    pub roas_before: Option<f64>,
    pub roas_after: Option<f64>,
}

/// The proposal of one optimisation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Proposal {
    pub changes: Vec<BudgetChange>,
    pub flags: Vec<Flag>,
    pub forecast: ForecastEffect,
}

/// Applies the rules. Budgets move only between channels that have been
/// judged (enough impressions and a ROAS); the total never changes.
/// `pacing` is the campaign's (status, ratio).
pub fn propose(channels: &[ChannelState], rules: Rules, pacing: Option<(&str, f64)>) -> Proposal {
    let mut flags = Vec::new();
    for c in channels {
        if c.totals.impressions >= rules.min_impressions
            && let Some(ctr) = c.totals.ctr
            && ctr < rules.min_ctr
        {
            flags.push(Flag {
                kind: "low_ctr".into(),
                channel: Some(c.channel),
                message: format!(
                    "{}: CTR {:.2}% is below {:.2}% after {} impressions — refresh the creative or narrow the audience",
                    c.channel,
                    ctr * 100.0,
                    rules.min_ctr * 100.0,
                    c.totals.impressions
                ),
            });
        }
    }
    match pacing {
        Some(("over", r)) => flags.push(Flag {
            kind: "over_pacing".into(),
            channel: None,
            message: format!("spend is {:.0}% of an even spread: lower daily budgets or the budget runs out early", r * 100.0),
        }),
        Some(("under", r)) => flags.push(Flag {
            kind: "under_pacing".into(),
            channel: None,
            message: format!("spend is {:.0}% of an even spread: raise bids or widen audiences to use the budget", r * 100.0),
        }),
        _ => {}
    }

    let judged =
        |c: &ChannelState| c.totals.impressions >= rules.min_impressions && c.roas.is_some();
    let donors: Vec<usize> = (0..channels.len())
        .filter(|i| judged(&channels[*i]) && channels[*i].roas.unwrap_or(0.0) < rules.target_roas)
        .collect();
    let takers: Vec<usize> = (0..channels.len())
        .filter(|i| judged(&channels[*i]) && channels[*i].roas.unwrap_or(0.0) >= rules.target_roas)
        .collect();
    let mut after: Vec<i64> = channels.iter().map(|c| c.budget_cents).collect();
    let mut reasons: Vec<String> = vec![String::new(); channels.len()];
    let mut moved = 0i64;
    if !donors.is_empty() && !takers.is_empty() {
        for &d in &donors {
            // Only budget not yet spent can move.
            let left = (channels[d].budget_cents - channels[d].totals.spend_cents).max(0);
            let give = (left as f64 * rules.shift_share).floor() as i64;
            after[d] -= give;
            moved += give;
            reasons[d] = format!(
                "ROAS {:.2} below the {:.2} target: {} ({:.0}% of its unspent budget) moves to stronger channels",
                channels[d].roas.unwrap_or(0.0),
                rules.target_roas,
                format_cents(give),
                rules.shift_share * 100.0
            );
        }
        let weight: f64 = takers
            .iter()
            .map(|t| channels[*t].roas.unwrap_or(0.0))
            .sum();
        let mut given = 0i64;
        for (k, &t) in takers.iter().enumerate() {
            let part = if k + 1 == takers.len() {
                moved - given
            } else {
                (moved as f64 * channels[t].roas.unwrap_or(0.0) / weight).floor() as i64
            };
            given += part;
            after[t] += part;
            reasons[t] = format!(
                "ROAS {:.2} at or above the {:.2} target: receives {}",
                channels[t].roas.unwrap_or(0.0),
                rules.target_roas,
                format_cents(part)
            );
        }
    }
    let changes: Vec<BudgetChange> = channels
        .iter()
        .enumerate()
        .filter(|(i, c)| after[*i] != c.budget_cents)
        .map(|(i, c)| BudgetChange {
            channel: c.channel,
            budget_before_cents: c.budget_cents,
            budget_after_cents: after[i],
            reason: reasons[i].clone(),
        })
        .collect();

    // Forecast: remaining budget earns each channel's ROAS.
    let expect = |budgets: &[i64]| -> (f64, i64) {
        channels
            .iter()
            .zip(budgets)
            .fold((0.0, 0), |(rev, spend), (c, b)| {
                let left = (*b - c.totals.spend_cents).max(0);
                (rev + left as f64 * c.roas.unwrap_or(0.0), spend + left)
            })
    };
    let before: Vec<i64> = channels.iter().map(|c| c.budget_cents).collect();
    let (rev_b, spend_b) = expect(&before);
    let (rev_a, spend_a) = expect(&after);
    Proposal {
        changes,
        flags,
        forecast: ForecastEffect {
            moved_cents: moved,
            revenue_change_cents: (rev_a - rev_b).round() as i64,
            roas_before: (spend_b > 0).then(|| rev_b / spend_b as f64),
            roas_after: (spend_a > 0).then(|| rev_a / spend_a as f64),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(
        channel: Channel,
        budget: i64,
        spend: i64,
        impressions: i64,
        clicks: i64,
        roas: f64,
    ) -> ChannelState {
        let mut t = Totals::default();
        t.add(impressions, impressions / 2, clicks, spend, 0, 0);
        ChannelState {
            channel,
            budget_cents: budget,
            totals: t.finish(),
            roas: Some(roas),
        }
    }

    #[test]
    fn budget_moves_from_weak_to_strong_and_the_total_holds() {
        let p = propose(
            &[
                state(Channel::Meta, 100_000, 50_000, 20_000, 400, 1.0),
                state(Channel::GoogleAds, 100_000, 50_000, 20_000, 900, 4.0),
                state(Channel::Tiktok, 100_000, 50_000, 20_000, 100, 3.0),
            ],
            Rules::default(),
            Some(("over", 1.3)),
        );
        let before: i64 = p.changes.iter().map(|c| c.budget_before_cents).sum();
        let after: i64 = p.changes.iter().map(|c| c.budget_after_cents).sum();
        assert_eq!(before, after);
        let meta = p
            .changes
            .iter()
            .find(|c| c.channel == Channel::Meta)
            .unwrap();
        assert_eq!(meta.budget_after_cents, 90_000);
        assert_eq!(p.forecast.moved_cents, 10_000);
        assert!(p.forecast.revenue_change_cents > 0);
        assert!(p.forecast.roas_after > p.forecast.roas_before);
        assert!(
            p.flags
                .iter()
                .any(|f| f.kind == "low_ctr" && f.channel == Some(Channel::Tiktok))
        );
        assert!(p.flags.iter().any(|f| f.kind == "over_pacing"));
    }

    #[test]
    fn unjudged_channels_keep_their_budget() {
        let p = propose(
            &[
                state(Channel::Meta, 100_000, 10, 10, 1, 0.5),
                state(Channel::GoogleAds, 100_000, 50_000, 20_000, 900, 4.0),
            ],
            Rules::default(),
            None,
        );
        assert!(p.changes.is_empty());
        assert_eq!(p.forecast.moved_cents, 0);
    }
}
