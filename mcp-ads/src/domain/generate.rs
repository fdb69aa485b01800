//! Campaign drafting: the channel mix for a goal, KPI targets from the
//! channels' economics ([`super::economics`]) and the schedule.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use promptsales_shared::domain::{Channel, Currency};
use serde::{Deserialize, Serialize};

use super::Objective;
use super::benchmarks::usd_rate;
use super::budget::Allocation;
use super::economics::{Economics, Source};

/// Why a channel is in the mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChannelChoice {
    pub channel: Channel,
    pub reason: String,
}

/// Channels that suit each goal, strongest fit first.
fn goal_channels(objective: Objective) -> &'static [Channel] {
    match objective {
        Objective::Awareness => &[
            Channel::Meta,
            Channel::Tiktok,
            Channel::Instagram,
            Channel::GoogleAds,
        ],
        Objective::Traffic => &[
            Channel::GoogleAds,
            Channel::Meta,
            Channel::Tiktok,
            Channel::Instagram,
        ],
        Objective::Leads => &[
            Channel::GoogleAds,
            Channel::Meta,
            Channel::Linkedin,
            Channel::Email,
        ],
        Objective::Sales => &[
            Channel::GoogleAds,
            Channel::Meta,
            Channel::Instagram,
            Channel::Email,
        ],
    }
}

/// Channels an audience hint points at (English and Spanish keywords).
fn hinted(hints: &[String]) -> Vec<(Channel, String)> {
    const KEYS: &[(&str, Channel)] = &[
        ("b2b", Channel::Linkedin),
        ("empresa", Channel::Linkedin),
        ("professional", Channel::Linkedin),
        ("profesional", Channel::Linkedin),
        ("young", Channel::Tiktok),
        ("joven", Channel::Tiktok),
        ("gen z", Channel::Tiktok),
        ("students", Channel::Tiktok),
        ("estudiantes", Channel::Tiktok),
        ("visual", Channel::Instagram),
        ("moda", Channel::Instagram),
        ("fashion", Channel::Instagram),
        ("newsletter", Channel::Email),
        ("email", Channel::Email),
        ("correo", Channel::Email),
        ("customers", Channel::Email),
        ("clientes", Channel::Email),
        ("sms", Channel::Sms),
        ("search", Channel::GoogleAds),
        ("búsqueda", Channel::GoogleAds),
        ("intent", Channel::GoogleAds),
    ];
    let mut out: Vec<(Channel, String)> = Vec::new();
    for h in hints {
        let l = h.to_lowercase();
        for (k, c) in KEYS {
            if l.contains(k) && !out.iter().any(|(x, _)| x == c) {
                out.push((*c, h.clone()));
            }
        }
    }
    out
}

/// Picks the channel mix: goal fit, audience hints and the tenant's own
/// results, ranked by expected return, at most one channel per 500 USD of
/// budget (1–4), so every channel gets enough to learn.
pub fn choose_channels(
    objective: Objective,
    hints: &[String],
    budget_cents: i64,
    currency: Currency,
    econ: &dyn Fn(Channel) -> Economics,
) -> Vec<(Economics, ChannelChoice)> {
    let goal = goal_channels(objective);
    let hinted = hinted(hints);
    let mut pool: BTreeMap<Channel, (f64, Vec<String>)> = BTreeMap::new();
    for (i, c) in goal.iter().enumerate() {
        pool.entry(*c).or_default().1.push(format!(
            "suits {objective} campaigns (rank {} of {})",
            i + 1,
            goal.len()
        ));
    }
    for (c, h) in &hinted {
        pool.entry(*c)
            .or_default()
            .1
            .push(format!("audience hint \"{h}\""));
    }
    for c in <Channel as promptsales_shared::domain::Vocabulary>::ALL {
        if c.is_paid() && econ(*c).source != Source::Benchmark {
            pool.entry(*c).or_default();
        }
    }
    let mut ranked: Vec<(Economics, ChannelChoice, f64)> = pool
        .into_iter()
        .map(|(c, (_, mut why))| {
            let e = econ(c);
            let goal_rank = goal.iter().position(|g| *g == c);
            let mut score = e.expected_roas;
            if let Some(r) = goal_rank {
                score *= 1.3 - 0.05 * r as f64;
            }
            if hinted.iter().any(|(h, _)| *h == c) {
                score *= 1.5;
            }
            if e.source != Source::Benchmark {
                why.push(format!("own results: {}", e.evidence));
            }
            why.push(format!("expected ROAS {:.2}", e.expected_roas));
            let choice = ChannelChoice {
                channel: c,
                reason: why.join("; "),
            };
            (e, choice, score)
        })
        .collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.channel.cmp(&b.1.channel)));
    let budget_usd = budget_cents as f64 / 100.0 / usd_rate(currency);
    let max = ((budget_usd / 500.0).floor() as usize).clamp(1, 4);
    ranked.truncate(max);
    ranked.into_iter().map(|(e, c, _)| (e, c)).collect()
}

/// What a plan should deliver: the KPI targets of the campaign.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KpiTargets {
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    pub conversions: i64,
    pub ctr: f64,
    /// Hundredths of the currency.
    pub cpc_cents: i64,
    /// Hundredths of the currency.
    pub cpa_cents: i64,
    pub roas: f64,
    /// Hundredths of the currency.
    pub revenue_cents: i64,
}

/// Expected delivery of `allocations` under `econ`.
pub fn forecast(allocations: &[Allocation], econ: &dyn Fn(Channel) -> Economics) -> KpiTargets {
    let mut k = KpiTargets::default();
    let mut spend = 0i64;
    let mut revenue = 0.0;
    for a in allocations {
        let e = econ(a.channel);
        let impressions = if e.cpm_cents > 0.0 {
            a.budget_cents as f64 * 1000.0 / e.cpm_cents
        } else {
            0.0
        };
        let clicks = impressions * e.ctr;
        k.impressions += impressions.round() as i64;
        k.reach += (impressions * e.reach_ratio).round() as i64;
        k.clicks += clicks.round() as i64;
        k.conversions += (clicks * e.cvr).round() as i64;
        revenue += a.budget_cents as f64 * e.expected_roas;
        spend += a.budget_cents;
    }
    if k.impressions > 0 {
        k.ctr = k.clicks as f64 / k.impressions as f64;
    }
    if k.clicks > 0 {
        k.cpc_cents = spend / k.clicks;
    }
    if k.conversions > 0 {
        k.cpa_cents = spend / k.conversions;
    }
    k.revenue_cents = revenue.round() as i64;
    if spend > 0 {
        k.roas = revenue / spend as f64;
    }
    k
}

/// A stretch of the flight with its own way of running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Phase {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Budget for the phase, hundredths (even daily pacing).
    pub budget_cents: i64,
    pub note: String,
}

/// Learning (the first fifth, at least 3 days) then optimisation; budget
/// spread evenly by day, the parts summing to the budget.
pub fn schedule(start: NaiveDate, end: NaiveDate, budget_cents: i64) -> Vec<Phase> {
    let days = (end - start).num_days() + 1;
    if days < 7 {
        return vec![Phase {
            name: "flight".into(),
            from: start,
            to: end,
            budget_cents,
            note: "short flight: even daily pacing, check performance daily".into(),
        }];
    }
    let learn = (days / 5).max(3);
    let learn_budget = (budget_cents as i128 * learn as i128 / days as i128) as i64;
    let learn_end = start + chrono::Duration::days(learn - 1);
    vec![
        Phase {
            name: "learning".into(),
            from: start,
            to: learn_end,
            budget_cents: learn_budget,
            note: "even daily pacing, automatic bidding; judge no channel before 1,000 impressions".into(),
        },
        Phase {
            name: "optimisation".into(),
            from: learn_end + chrono::Duration::days(1),
            to: end,
            budget_cents: budget_cents - learn_budget,
            note: "run optimize_campaign weekly: move budget to channels above target ROAS, refresh creatives with low CTR".into(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::economics::economics;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn the_mix_follows_goal_hints_and_budget() {
        let econ = |c: Channel| economics(c, usd(), None);
        let mix = choose_channels(
            Objective::Leads,
            &["B2B decision makers".into()],
            1_000_000,
            usd(),
            &econ,
        );
        assert_eq!(mix.len(), 4);
        assert!(mix.iter().any(|(_, c)| c.channel == Channel::Linkedin));
        let small = choose_channels(Objective::Sales, &[], 60_000, usd(), &econ);
        assert_eq!(small.len(), 1);
    }

    #[test]
    fn schedule_parts_sum_to_the_budget() {
        let s = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let e = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let p = schedule(s, e, 1_000_003);
        assert_eq!(p.len(), 2);
        assert_eq!(p.iter().map(|x| x.budget_cents).sum::<i64>(), 1_000_003);
        assert_eq!(p[0].to, NaiveDate::from_ymd_opt(2026, 3, 6).unwrap());
        assert_eq!(schedule(s, s, 5).len(), 1);
    }
}
