//! Optimisation rules: one change set across a campaign's channels — budget
//! moved from channels below target ROAS to those above, low-CTR and pacing
//! flags — with the forecast effect. Money waits for data: a channel is
//! judged only after its learning period and after delivery dated later
//! than the last change to its budget; no channel's budget moves by more
//! than a set share of what it has left; every channel left alone says why.

use promptsales_shared::domain::{Channel, Currency, format_money};

use super::economics::grouped;
use promptsales_shared::vocabulary;
use serde::{Deserialize, Serialize};

use super::benchmarks::{benchmark, usd_rate};
use super::metrics::Totals;

/// Thresholds of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rules {
    /// Channels below this ROAS give budget; those at or above receive it.
    pub target_roas: f64,
    /// A CTR below this after the learning impressions is flagged.
    pub min_ctr: f64,
    /// Impressions every channel needs before it is judged, instead of its
    /// learning period's.
    pub min_impressions: Option<i64>,
    /// Days of delivery every channel needs before it is judged, instead
    /// of its learning period's.
    pub min_days: Option<i64>,
    /// Share of a weak channel's unspent budget moved per change set.
    pub shift_share: f64,
    /// Most a channel's budget may change in one change set, as a share of
    /// its unspent budget (given or received).
    pub max_move_share: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            target_roas: 2.0,
            min_ctr: 0.008,
            min_impressions: None,
            min_days: None,
            shift_share: 0.20,
            // Meta and Google both warn that budget edits much past a fifth
            // send delivery back into learning.
            max_move_share: 0.20,
        }
    }
}

/// How long a channel delivers before its results are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LearningPeriod {
    pub channel: Channel,
    /// Days with delivery.
    pub min_days: i64,
    pub min_impressions: i64,
}

/// Each channel's learning period. Ad platforms learn for about a week
/// after a launch or a significant edit: Meta until an ad set has about 50
/// optimisation events, within a week
/// (https://www.facebook.com/business/help/112167992830700), Google's and
/// TikTok's automated bidding for about seven days
/// (https://support.google.com/google-ads/answer/13020501); LinkedIn
/// delivers fewer impressions at a higher cost, so it needs fewer. A
/// Mailchimp send has most of its clicks within two days, an SMS or
/// WhatsApp message within one.
pub fn learning_period(channel: Channel) -> LearningPeriod {
    let (min_days, min_impressions) = match channel {
        Channel::GoogleAds | Channel::Meta | Channel::Instagram => (7, 2_000),
        Channel::Tiktok => (7, 3_000),
        Channel::Linkedin | Channel::Influencer => (7, 1_000),
        Channel::Email => (2, 500),
        Channel::Sms | Channel::Whatsapp => (1, 200),
        Channel::Web | Channel::Organic => (7, 1_000),
    };
    LearningPeriod {
        channel,
        min_days,
        min_impressions,
    }
}

/// The last applied (or rolled back) change set that touched a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LastChange {
    pub change_set_id: String,
    /// When its budget took effect (RFC 3339).
    pub at: String,
    /// Days with delivery dated after that day.
    pub days_since: i64,
}

/// A channel's current budget and delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelState {
    pub channel: Channel,
    pub budget_cents: i64,
    pub totals: Totals,
    /// ROAS the channel is judged by: recorded values, else the benchmark
    /// adjusted by its delivered CPA.
    pub roas: Option<f64>,
    /// Days with delivery.
    pub days: i64,
    pub last_change: Option<LastChange>,
}

vocabulary! {
    /// Why a channel's budget stays as it is.
    ///
    /// - `learning`: still within its learning period (days or impressions).
    /// - `awaiting_data`: no delivery dated after the last change to its budget.
    /// - `no_measure`: no ROAS to judge it by (no conversions or values yet).
    /// - `no_weaker_channel`: at or above target, but no judged channel below it gives budget.
    /// - `no_stronger_channel`: below target, but no judged channel at or above it can receive.
    /// - `nothing_unspent`: below target with no unspent budget left to move.
    /// - `at_cap`: a receiving channel already at the most one change set may add.
    pub enum HoldReason("reason") {
        Learning => "learning",
        AwaitingData => "awaiting_data",
        NoMeasure => "no_measure",
        NoWeakerChannel => "no_weaker_channel",
        NoStrongerChannel => "no_stronger_channel",
        NothingUnspent => "nothing_unspent",
        AtCap => "at_cap",
    }
}

/// A channel whose budget does not move, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hold {
    pub channel: Channel,
    pub reason: HoldReason,
    pub message: String,
}

vocabulary! {
    /// Why a change set moves no budget at all.
    ///
    /// - `too_few_ready`: fewer than two channels past learning with fresh data.
    /// - `all_on_target`: every judged channel is at or above the target ROAS.
    /// - `none_on_target`: every judged channel is below the target ROAS.
    /// - `nothing_to_move`: weak channels have no unspent budget, or strong ones no room.
    pub enum NoMoveReason("reason") {
        TooFewReady => "too_few_ready",
        AllOnTarget => "all_on_target",
        NoneOnTarget => "none_on_target",
        NothingToMove => "nothing_to_move",
    }
}

/// Why nothing moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoMove {
    pub reason: NoMoveReason,
    pub message: String,
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
    /// Every channel whose budget stays, with its reason.
    #[serde(default)]
    pub holds: Vec<Hold>,
    /// Why the change set moves nothing (absent when it moves budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_move: Option<NoMove>,
}

/// Conversions a channel needs before its cost per conversion counts.
const MIN_CONVERSIONS: i64 = 5;

/// The ROAS a channel is judged by: its recorded conversion values over
/// spend; without values, once it has a few conversions, the benchmark's
/// ROAS scaled by how its cost per conversion compares with the
/// benchmark's (same order value assumed, within 0.2×–5×) — a relative
/// measure between channels, never a forecast.
pub fn judged_roas(channel: Channel, currency: Currency, t: &Totals) -> Option<f64> {
    if let Some(r) = t.roas {
        return Some(r);
    }
    if t.conversions < MIN_CONVERSIONS || t.spend_cents <= 0 {
        return None;
    }
    let b = benchmark(channel);
    let bench_cpa = b.cpm_usd_cents as f64 * usd_rate(currency) / 1000.0 / (b.ctr * b.cvr);
    let own_cpa = t.spend_cents as f64 / t.conversions as f64;
    Some(b.roas * (bench_cpa / own_cpa.max(1.0)).clamp(0.2, 5.0))
}

/// What a channel is when the rules look at it.
enum Standing {
    Held(HoldReason, String),
    /// Judged, with its ROAS.
    Judged(f64),
}

fn standing(c: &ChannelState, rules: &Rules) -> Standing {
    let lp = learning_period(c.channel);
    let days = rules.min_days.unwrap_or(lp.min_days);
    let imps = rules.min_impressions.unwrap_or(lp.min_impressions);
    if c.days < days || c.totals.impressions < imps {
        return Standing::Held(
            HoldReason::Learning,
            format!(
                "{}: learning — {} of {days} days with delivery and {} impressions ({} needed); judged once it has both",
                c.channel,
                c.days,
                grouped(c.totals.impressions),
                grouped(imps)
            ),
        );
    }
    if let Some(l) = &c.last_change
        && l.days_since < 1
    {
        return Standing::Held(
            HoldReason::AwaitingData,
            format!(
                "{}: its budget changed with change set {} at {}; no delivery dated after that day yet, so the change's effect is unknown",
                c.channel, l.change_set_id, l.at
            ),
        );
    }
    match c.roas {
        Some(r) => Standing::Judged(r),
        None => Standing::Held(
            HoldReason::NoMeasure,
            format!(
                "{}: no conversions or conversion values yet, so no ROAS to judge it by",
                c.channel
            ),
        ),
    }
}

/// Unspent budget of a channel.
fn unspent(c: &ChannelState) -> i64 {
    (c.budget_cents - c.totals.spend_cents).max(0)
}

/// Splits `total` over `takers` by ROAS, none past its `room`; returns
/// what each gets (summing to `total` when the rooms allow it).
fn fill(total: i64, takers: &[(usize, f64, i64)]) -> Vec<i64> {
    let mut got = vec![0i64; takers.len()];
    let mut left = total;
    let mut open: Vec<usize> = (0..takers.len()).filter(|k| takers[*k].2 > 0).collect();
    while left > 0 && !open.is_empty() {
        let weight: f64 = open.iter().map(|k| takers[*k].1.max(1e-9)).sum();
        let mut given = 0i64;
        let n = open.len();
        for (j, &k) in open.iter().enumerate() {
            let share = if j + 1 == n {
                left - given
            } else {
                (left as f64 * takers[k].1.max(1e-9) / weight).floor() as i64
            };
            let take = share.min(takers[k].2 - got[k]).max(0);
            got[k] += take;
            given += take;
        }
        left -= given;
        open.retain(|k| got[*k] < takers[*k].2);
        if given == 0 {
            break;
        }
    }
    got
}

/// Applies the rules (amounts in `currency`). Budgets move only between judged channels (past
/// learning, with delivery since their last change, with a ROAS); the
/// total never changes; every channel left alone gets a hold.
/// `pacing` is the campaign's (status, ratio).
pub fn propose(
    channels: &[ChannelState],
    currency: Currency,
    rules: Rules,
    pacing: Option<(&str, f64)>,
) -> Proposal {
    let mut flags = Vec::new();
    for c in channels {
        let imps = rules
            .min_impressions
            .unwrap_or(learning_period(c.channel).min_impressions);
        if c.totals.impressions >= imps
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

    let standings: Vec<Standing> = channels.iter().map(|c| standing(c, &rules)).collect();
    let judged = |i: usize| match standings[i] {
        Standing::Judged(r) => Some(r),
        Standing::Held(..) => None,
    };
    let n = channels.len();
    let donors: Vec<usize> = (0..n)
        .filter(|i| judged(*i).is_some_and(|r| r < rules.target_roas))
        .collect();
    let takers: Vec<usize> = (0..n)
        .filter(|i| judged(*i).is_some_and(|r| r >= rules.target_roas))
        .collect();
    let share = rules.shift_share.min(rules.max_move_share);
    let offers: Vec<i64> = donors
        .iter()
        .map(|d| (unspent(&channels[*d]) as f64 * share).floor() as i64)
        .collect();
    let rooms: Vec<(usize, f64, i64)> = takers
        .iter()
        .map(|t| {
            let room = (unspent(&channels[*t]) as f64 * rules.max_move_share).floor() as i64;
            (*t, judged(*t).unwrap_or(0.0), room)
        })
        .collect();
    let offered: i64 = offers.iter().sum();
    let received = if donors.is_empty() || takers.is_empty() {
        vec![0; takers.len()]
    } else {
        fill(offered, &rooms)
    };
    let moved: i64 = received.iter().sum();
    // Donors give in proportion to their offers, to the cent.
    let mut gives = vec![0i64; donors.len()];
    let mut so_far = 0i64;
    for k in 0..donors.len() {
        gives[k] = if k + 1 == donors.len() {
            moved - so_far
        } else if offered > 0 {
            (offers[k] as f64 * moved as f64 / offered as f64).floor() as i64
        } else {
            0
        };
        so_far += gives[k];
    }

    let mut after: Vec<i64> = channels.iter().map(|c| c.budget_cents).collect();
    let mut reasons: Vec<String> = vec![String::new(); n];
    let mut holds: Vec<Hold> = Vec::new();
    for (k, &d) in donors.iter().enumerate() {
        let c = &channels[d];
        let roas = judged(d).unwrap_or(0.0);
        if gives[k] > 0 {
            after[d] -= gives[k];
            reasons[d] = format!(
                "ROAS {roas:.2} below the {:.2} target: {} ({:.1}% of its unspent {}) moves to stronger channels",
                rules.target_roas,
                format_money(gives[k], currency),
                gives[k] as f64 * 100.0 / unspent(c).max(1) as f64,
                format_money(unspent(c), currency)
            );
        } else {
            let (reason, why) = if takers.is_empty() {
                (
                    HoldReason::NoStrongerChannel,
                    "no judged channel at or above it can receive budget".to_owned(),
                )
            } else if offers[k] == 0 {
                (
                    HoldReason::NothingUnspent,
                    "it has no unspent budget to give".to_owned(),
                )
            } else {
                (
                    HoldReason::AtCap,
                    "the stronger channels have no room left this change set".to_owned(),
                )
            };
            holds.push(Hold {
                channel: c.channel,
                reason,
                message: format!(
                    "{}: ROAS {roas:.2} is below the {:.2} target, but {why}",
                    c.channel, rules.target_roas
                ),
            });
        }
    }
    for (k, &t) in takers.iter().enumerate() {
        let c = &channels[t];
        let roas = judged(t).unwrap_or(0.0);
        if received[k] > 0 {
            after[t] += received[k];
            reasons[t] = format!(
                "ROAS {roas:.2} at or above the {:.2} target: receives {} (at most {:.0}% of its unspent {} per change set)",
                rules.target_roas,
                format_money(received[k], currency),
                rules.max_move_share * 100.0,
                format_money(unspent(c), currency)
            );
        } else {
            let (reason, why) = if donors.is_empty() {
                (
                    HoldReason::NoWeakerChannel,
                    "no judged channel below the target gives budget".to_owned(),
                )
            } else if rooms[k].2 == 0 {
                (
                    HoldReason::AtCap,
                    "it has no unspent budget a change set may add to".to_owned(),
                )
            } else {
                (
                    HoldReason::NothingUnspent,
                    "the weaker channels have nothing unspent to give".to_owned(),
                )
            };
            holds.push(Hold {
                channel: c.channel,
                reason,
                message: format!(
                    "{}: ROAS {roas:.2} meets the {:.2} target, but {why}",
                    c.channel, rules.target_roas
                ),
            });
        }
    }
    for (i, s) in standings.iter().enumerate() {
        if let Standing::Held(reason, message) = s {
            holds.push(Hold {
                channel: channels[i].channel,
                reason: *reason,
                message: message.clone(),
            });
        }
    }
    holds.sort_by_key(|h| channels.iter().position(|c| c.channel == h.channel));

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
    let no_move = changes.is_empty().then(|| {
        let ready = donors.len() + takers.len();
        let (reason, message) = if ready < 2 {
            (
                NoMoveReason::TooFewReady,
                format!(
                    "{ready} of {n} channel(s) past learning with fresh data: budget moves between two judged channels at least",
                ),
            )
        } else if donors.is_empty() {
            (
                NoMoveReason::AllOnTarget,
                format!(
                    "every judged channel is at or above the {:.2} target ROAS",
                    rules.target_roas
                ),
            )
        } else if takers.is_empty() {
            (
                NoMoveReason::NoneOnTarget,
                format!(
                    "every judged channel is below the {:.2} target ROAS: no stronger channel to move budget to",
                    rules.target_roas
                ),
            )
        } else {
            (
                NoMoveReason::NothingToMove,
                "weak channels have no unspent budget, or strong ones no room this change set".to_owned(),
            )
        };
        NoMove { reason, message }
    });

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
        holds,
        no_move,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

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
            days: 30,
            last_change: None,
        }
    }

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn held(p: &Proposal, c: Channel) -> Option<HoldReason> {
        p.holds.iter().find(|h| h.channel == c).map(|h| h.reason)
    }

    #[test]
    fn budget_moves_from_weak_to_strong_and_the_total_holds() {
        let p = propose(
            &[
                state(Channel::Meta, 100_000, 50_000, 20_000, 400, 1.0),
                state(Channel::GoogleAds, 100_000, 50_000, 20_000, 900, 4.0),
                state(Channel::Tiktok, 100_000, 50_000, 20_000, 100, 3.0),
            ],
            usd(),
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
        assert!(p.holds.is_empty() && p.no_move.is_none(), "{p:?}");
        assert!(
            p.flags
                .iter()
                .any(|f| f.kind == "low_ctr" && f.channel == Some(Channel::Tiktok))
        );
        assert!(p.flags.iter().any(|f| f.kind == "over_pacing"));
    }

    #[test]
    fn one_day_of_data_moves_nothing_and_says_why() {
        // The finding: a day of delivery with plenty of impressions moved
        // 11,752 USD. A channel learns for days and impressions.
        let mut a = state(Channel::Meta, 5_000_000, 100_000, 40_000, 400, 0.5);
        let mut b = state(Channel::GoogleAds, 5_000_000, 100_000, 40_000, 900, 4.0);
        a.days = 1;
        b.days = 1;
        let p = propose(&[a.clone(), b.clone()], usd(), Rules::default(), None);
        assert!(p.changes.is_empty());
        assert_eq!(held(&p, Channel::Meta), Some(HoldReason::Learning));
        assert!(p.holds[0].message.contains("1 of 7 days"), "{:?}", p.holds);
        let nm = p.no_move.unwrap();
        assert_eq!(nm.reason, NoMoveReason::TooFewReady);
        // The person may shorten the period; impressions still count.
        let rules = Rules {
            min_days: Some(1),
            ..Rules::default()
        };
        assert!(
            !propose(&[a.clone(), b.clone()], usd(), rules, None)
                .changes
                .is_empty()
        );
        a.totals.impressions = 10;
        let p = propose(&[a, b], usd(), rules, None);
        assert_eq!(held(&p, Channel::Meta), Some(HoldReason::Learning));
        assert!(p.changes.is_empty());
    }

    #[test]
    fn no_channel_moves_more_than_the_cap() {
        // A big weak channel and a small strong one: the strong one takes
        // at most a fifth of its unspent budget, the weak one gives only
        // that.
        let p = propose(
            &[
                state(Channel::Meta, 10_000_000, 0, 50_000, 400, 0.5),
                state(Channel::GoogleAds, 1_000_000, 500_000, 50_000, 900, 4.0),
            ],
            usd(),
            Rules::default(),
            None,
        );
        let g = p
            .changes
            .iter()
            .find(|c| c.channel == Channel::GoogleAds)
            .unwrap();
        assert_eq!(g.budget_after_cents - g.budget_before_cents, 100_000);
        assert_eq!(p.forecast.moved_cents, 100_000);
        let m = p
            .changes
            .iter()
            .find(|c| c.channel == Channel::Meta)
            .unwrap();
        assert_eq!(m.budget_after_cents, 9_900_000);
    }

    #[test]
    fn a_changed_channel_waits_for_delivery_after_the_change() {
        let mut a = state(Channel::Meta, 100_000, 50_000, 20_000, 400, 1.0);
        let b = state(Channel::GoogleAds, 100_000, 50_000, 20_000, 900, 4.0);
        a.last_change = Some(LastChange {
            change_set_id: "chg_1".into(),
            at: "2026-03-10T09:00:00Z".into(),
            days_since: 0,
        });
        let p = propose(&[a.clone(), b.clone()], usd(), Rules::default(), None);
        assert!(p.changes.is_empty());
        assert_eq!(held(&p, Channel::Meta), Some(HoldReason::AwaitingData));
        assert!(p.holds.iter().any(|h| h.message.contains("chg_1")));
        assert_eq!(
            held(&p, Channel::GoogleAds),
            Some(HoldReason::NoWeakerChannel)
        );
        a.last_change.as_mut().unwrap().days_since = 1;
        assert!(
            !propose(&[a, b], usd(), Rules::default(), None)
                .changes
                .is_empty()
        );
    }

    #[test]
    fn unjudged_channels_keep_their_budget() {
        let p = propose(
            &[
                state(Channel::Meta, 100_000, 10, 10, 1, 0.5),
                state(Channel::GoogleAds, 100_000, 50_000, 20_000, 900, 4.0),
            ],
            usd(),
            Rules::default(),
            None,
        );
        assert!(p.changes.is_empty());
        assert_eq!(p.forecast.moved_cents, 0);
        assert_eq!(p.no_move.unwrap().reason, NoMoveReason::TooFewReady);
    }

    proptest! {
        #[test]
        fn the_total_holds_every_channel_moves_or_says_why_and_none_past_the_cap(
            xs in proptest::collection::vec(
                (1i64..10_000_000, 0.0f64..1.2, 0i64..20, 0i64..50_000, 0.0f64..5.0, any::<bool>(), 0i64..3),
                1..5,
            ),
            target in 0.5f64..4.0,
        ) {
            let chans = [Channel::Meta, Channel::GoogleAds, Channel::Tiktok, Channel::Email, Channel::Linkedin];
            let states: Vec<ChannelState> = xs.iter().enumerate().map(|(i, (budget, spent, days, imps, roas, measured, since))| {
                let mut s = state(chans[i], *budget, (*budget as f64 * spent) as i64, *imps, imps / 50, *roas);
                s.days = *days;
                s.roas = measured.then_some(*roas);
                if *since < 2 {
                    s.last_change = Some(LastChange { change_set_id: "chg".into(), at: "t".into(), days_since: *since });
                }
                s
            }).collect();
            let rules = Rules { target_roas: target, ..Rules::default() };
            let p = propose(&states, usd(), rules, None);
            let delta: i64 = p.changes.iter().map(|c| c.budget_after_cents - c.budget_before_cents).sum();
            prop_assert_eq!(delta, 0);
            for s in &states {
                let changed = p.changes.iter().find(|c| c.channel == s.channel);
                let holds = p.holds.iter().filter(|h| h.channel == s.channel).count();
                prop_assert!(changed.is_some() != (holds == 1), "{:?} {:?}", s.channel, p);
                if let Some(c) = changed {
                    let cap = (unspent(s) as f64 * rules.max_move_share).floor() as i64;
                    prop_assert!((c.budget_after_cents - c.budget_before_cents).abs() <= cap, "{:?}", c);
                    prop_assert!(s.days >= learning_period(s.channel).min_days);
                    prop_assert!(s.last_change.as_ref().is_none_or(|l| l.days_since >= 1));
                }
            }
            prop_assert_eq!(p.changes.is_empty(), p.no_move.is_some());
        }
    }
}
