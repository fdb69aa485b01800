//! A campaign forecast: each channel's expected delivery with a 90 % range
//! from its blended rates' errors ([`super::economics`]), the totals, and
//! the brief's goal measured against them.
//!
//! A figure is a product of rates (conversions = budget / CPM × CTR ×
//! conversion rate), so its relative error is the root sum of squares of
//! theirs, and its range the log-normal `expected × e^(±1.645 σ)` (a 90 %
//! interval). Channel ranges add up end to end: one client's channels tend
//! to miss or beat their benchmarks together, so the total's range is the
//! sum of the lows and of the highs.

use promptsales_shared::domain::{Channel, Currency, format_money};
use promptsales_shared::vocabulary;
use serde::{Deserialize, Serialize};

use super::budget::Allocation;
use super::economics::{Economics, Rate, Source, grouped};
use super::goal::{Goal, GoalMetric};

/// The normal quantile of a two-sided 90 % interval.
const Z90: f64 = 1.645;

/// A count with its 90 % range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CountRange {
    pub low: i64,
    pub expected: i64,
    pub high: i64,
}

/// A ratio with its 90 % range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RatioRange {
    pub low: f64,
    pub expected: f64,
    pub high: f64,
}

/// Money with its 90 % range, in hundredths of `currency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MoneyRange {
    pub currency: Currency,
    pub low_cents: i64,
    pub expected_cents: i64,
    pub high_cents: i64,
    /// As a person reads it, e.g. "1,200.00 USD (90 % range 800.00–1,900.00 USD)".
    pub text: String,
}

impl MoneyRange {
    fn new(currency: Currency, low: f64, expected: f64, high: f64) -> Self {
        let (l, e, h) = (
            low.round() as i64,
            expected.round() as i64,
            high.round() as i64,
        );
        Self {
            currency,
            low_cents: l,
            expected_cents: e,
            high_cents: h,
            text: format!(
                "{} (90 % range {}–{})",
                format_money(e, currency),
                format_money(l, currency),
                format_money(h, currency)
            ),
        }
    }
}

/// `expected` spread by the relative error `sigma`.
fn spread(expected: f64, sigma: f64) -> (f64, f64, f64) {
    let f = (Z90 * sigma).exp();
    (expected / f, expected, expected * f)
}

fn count((l, e, h): (f64, f64, f64)) -> CountRange {
    CountRange {
        low: l.floor() as i64,
        expected: e.round() as i64,
        high: h.ceil() as i64,
    }
}

/// One channel's forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChannelForecast {
    pub channel: Channel,
    /// Hundredths of the currency.
    pub budget_cents: i64,
    /// The budget as a person reads it, with its currency.
    pub budget: String,
    pub source: Source,
    /// Credibility of the client's own history (the benchmark has the rest).
    pub own_weight: f64,
    pub benchmark_weight: f64,
    /// The sources and how much of each, in a sentence.
    pub evidence: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// What a budget is expected to deliver, each with its 90 % range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Figures {
    pub impressions: CountRange,
    pub reach: CountRange,
    pub clicks: CountRange,
    pub conversions: CountRange,
    pub revenue: MoneyRange,
    pub roas: RatioRange,
}

vocabulary! {
    /// How the forecast stands against the goal.
    ///
    /// - `expected`: The expected figure reaches the target.
    /// - `within_range`: The target lies above the expected figure but within the range.
    /// - `beyond_range`: Even the high end of the range falls short.
    /// - `no_target`: The brief names no figure to measure.
    pub enum GoalVerdict("verdict") {
        Expected => "expected",
        WithinRange => "within_range",
        BeyondRange => "beyond_range",
        NoTarget => "no_target",
    }
}

/// The brief's goal against the forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GoalForecast {
    pub goal: Goal,
    /// The forecast of the goal's metric (revenue in major units).
    pub forecast: RatioRange,
    pub verdict: GoalVerdict,
    /// Expected figure over the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_of_target: Option<f64>,
    /// What the expected figure lacks (0 when it reaches the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<f64>,
    /// Budget the target needs at the expected rates (hundredths), when
    /// the budget falls short of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_needed_cents: Option<i64>,
    /// Spend-weighted credibility of the own history behind this metric.
    pub own_weight: f64,
    pub sentence: String,
}

/// The forecast of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Forecast {
    pub currency: Currency,
    pub budget_cents: i64,
    /// The ranges' coverage (0.90).
    pub confidence: f64,
    pub channels: Vec<ChannelForecast>,
    /// The campaign's totals.
    #[serde(flatten)]
    pub figures: Figures,
    pub goal: GoalForecast,
    /// Sources and weights per channel, in a sentence.
    pub sources: String,
}

/// Rates a figure of `metric` rests on.
fn rates_of(metric: GoalMetric) -> &'static [Rate] {
    match metric {
        GoalMetric::Impressions => &[Rate::Cpm],
        GoalMetric::Reach => &[Rate::Cpm, Rate::ReachRatio],
        GoalMetric::Clicks => &[Rate::Cpm, Rate::Ctr],
        GoalMetric::Conversions => &[Rate::Cpm, Rate::Ctr, Rate::Cvr],
        GoalMetric::Revenue | GoalMetric::Roas => &[Rate::Roas],
    }
}

fn channel_forecast(a: &Allocation, e: &Economics, currency: Currency) -> ChannelForecast {
    let budget = a.budget_cents as f64;
    let imp = if e.cpm_cents > 0.0 {
        budget * 1000.0 / e.cpm_cents
    } else {
        0.0
    };
    let sig = |m: GoalMetric| e.relative_error(rates_of(m));
    let impressions = count(spread(imp, sig(GoalMetric::Impressions)));
    let rev = spread(budget * e.expected_roas, sig(GoalMetric::Revenue));
    let roas = spread(e.expected_roas, sig(GoalMetric::Roas));
    ChannelForecast {
        channel: a.channel,
        budget_cents: a.budget_cents,
        budget: format_money(a.budget_cents, currency),
        source: e.source,
        own_weight: e.basis.own_weight,
        benchmark_weight: e.basis.benchmark_weight,
        evidence: e.evidence.clone(),
        figures: Figures {
            impressions,
            reach: reach_within(
                count(spread(imp * e.reach_ratio, sig(GoalMetric::Reach))),
                impressions,
            ),
            clicks: count(spread(imp * e.ctr, sig(GoalMetric::Clicks))),
            conversions: count(spread(imp * e.ctr * e.cvr, sig(GoalMetric::Conversions))),
            revenue: MoneyRange::new(currency, rev.0, rev.1, rev.2),
            roas: RatioRange {
                low: roas.0,
                expected: roas.1,
                high: roas.2,
            },
        },
    }
}

/// People reached never outnumber impressions, at either end of a range.
fn reach_within(r: CountRange, imp: CountRange) -> CountRange {
    CountRange {
        low: r.low.min(imp.low),
        expected: r.expected.min(imp.expected),
        high: r.high.min(imp.high),
    }
}

fn add(a: CountRange, b: CountRange) -> CountRange {
    CountRange {
        low: a.low + b.low,
        expected: a.expected + b.expected,
        high: a.high + b.high,
    }
}

/// The forecast of `allocations` under `econ`, with `goal` measured.
pub fn forecast(
    allocations: &[Allocation],
    econ: &dyn Fn(Channel) -> Economics,
    currency: Currency,
    goal: Goal,
) -> Forecast {
    let mut channels = Vec::new();
    let mut weights = Vec::new();
    for a in allocations {
        let e = econ(a.channel);
        weights.push((a.budget_cents as f64, e.weight_of(rates_of(goal.metric))));
        channels.push(channel_forecast(a, &e, currency));
    }
    let sum = |f: fn(&ChannelForecast) -> CountRange| {
        channels.iter().map(f).fold(CountRange::default(), add)
    };
    let (impressions, reach, clicks, conversions) = (
        sum(|c| c.figures.impressions),
        sum(|c| c.figures.reach),
        sum(|c| c.figures.clicks),
        sum(|c| c.figures.conversions),
    );
    let money =
        |f: fn(&MoneyRange) -> i64| channels.iter().map(|c| f(&c.figures.revenue) as f64).sum();
    let (rl, re, rh): (f64, f64, f64) = (
        money(|m| m.low_cents),
        money(|m| m.expected_cents),
        money(|m| m.high_cents),
    );
    let budget: i64 = allocations.iter().map(|a| a.budget_cents).sum();
    let per = |x: f64| if budget > 0 { x / budget as f64 } else { 0.0 };
    let roas = RatioRange {
        low: per(rl),
        expected: per(re),
        high: per(rh),
    };
    let spend: f64 = weights.iter().map(|(b, _)| b).sum();
    let own_weight = if spend > 0.0 {
        weights.iter().map(|(b, w)| b * w).sum::<f64>() / spend
    } else {
        0.0
    };
    let of = |c: CountRange| RatioRange {
        low: c.low as f64,
        expected: c.expected as f64,
        high: c.high as f64,
    };
    let range = match goal.metric {
        GoalMetric::Conversions => of(conversions),
        GoalMetric::Clicks => of(clicks),
        GoalMetric::Impressions => of(impressions),
        GoalMetric::Reach => of(reach),
        GoalMetric::Revenue => RatioRange {
            low: rl / 100.0,
            expected: re / 100.0,
            high: rh / 100.0,
        },
        GoalMetric::Roas => roas,
    };
    let goal = measure(goal, range, own_weight, budget, currency);
    let sources = channels
        .iter()
        .map(|c| format!("{}: {}", c.channel, c.evidence))
        .collect::<Vec<_>>()
        .join("; ");
    Forecast {
        currency,
        budget_cents: budget,
        confidence: 0.90,
        figures: Figures {
            impressions,
            reach,
            clicks,
            conversions,
            revenue: MoneyRange::new(currency, rl, re, rh),
            roas,
        },
        channels,
        goal,
        sources,
    }
}

/// A goal figure as written: money with its currency, ROAS with two
/// decimals, counts whole.
fn figure(metric: GoalMetric, v: f64, currency: Currency) -> String {
    match metric {
        GoalMetric::Revenue => format_money((v * 100.0).round() as i64, currency),
        GoalMetric::Roas => format!("{v:.2}"),
        _ => grouped(v.round() as i64),
    }
}

fn measure(
    goal: Goal,
    range: RatioRange,
    own_weight: f64,
    budget: i64,
    currency: Currency,
) -> GoalForecast {
    let f = |v: f64| figure(goal.metric, v, currency);
    let what = goal
        .unit
        .clone()
        .unwrap_or_else(|| goal.metric.as_str().replace('_', " "));
    let expected = format!(
        "{} {what} expected (90 % range {}–{})",
        f(range.expected),
        f(range.low),
        f(range.high)
    );
    let basis = format!(
        "own history weight {own_weight:.2}, benchmark {:.2}",
        1.0 - own_weight
    );
    let Some(target) = goal.target.filter(|t| *t > 0.0) else {
        return GoalForecast {
            sentence: format!(
                "Goal \"{}\" names no figure; forecast {expected} ({basis}).",
                goal.text
            ),
            goal,
            forecast: range,
            verdict: GoalVerdict::NoTarget,
            share_of_target: None,
            shortfall: None,
            budget_needed_cents: None,
            own_weight,
        };
    };
    let verdict = if range.expected >= target {
        GoalVerdict::Expected
    } else if range.high >= target {
        GoalVerdict::WithinRange
    } else {
        GoalVerdict::BeyondRange
    };
    let shortfall = (target - range.expected).max(0.0);
    // Counts and revenue grow with the budget; ROAS does not.
    let budget_needed =
        (shortfall > 0.0 && range.expected > 0.0 && goal.metric != GoalMetric::Roas)
            .then(|| (budget as f64 * target / range.expected).ceil() as i64);
    let verdict_words = match verdict {
        GoalVerdict::Expected => "the expected figure reaches it".to_owned(),
        GoalVerdict::WithinRange => format!(
            "{} short of it at the expected rates, within the range",
            f(shortfall)
        ),
        _ => format!(
            "{} short of it at the expected rates, beyond even the high end",
            f(shortfall)
        ),
    };
    let needed = budget_needed.map_or(String::new(), |b| {
        format!(
            "; at the expected rates it needs {} instead of {}",
            format_money(b, currency),
            format_money(budget, currency)
        )
    });
    GoalForecast {
        sentence: format!(
            "Goal: {} {what} (\"{}\"). Forecast: {expected} — {:.0} % of the goal, {verdict_words}{needed} ({basis}).",
            f(target),
            goal.text,
            range.expected / target * 100.0,
        ),
        goal,
        forecast: range,
        verdict,
        share_of_target: Some(range.expected / target),
        shortfall: Some(shortfall),
        budget_needed_cents: budget_needed,
        own_weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Objective;
    use crate::domain::economics::fixtures::steady;
    use crate::domain::economics::{History, economics};
    use crate::domain::goal;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn alloc(channel: Channel, cents: i64) -> Allocation {
        Allocation {
            channel,
            budget_cents: cents,
            share: 1.0,
            expected_roas: 0.0,
            reason: String::new(),
        }
    }

    /// 40 days of Google Ads at CPM 20.00 USD, CTR 5 %, conversion rate 10 %.
    fn own() -> History {
        steady(40, 10_000, 2_000, 0.05, 0.10)
    }

    #[test]
    fn a_client_with_history_gets_its_own_figures_and_a_narrower_range() {
        let h = own();
        let a = [alloc(Channel::GoogleAds, 1_000_000)];
        let g = goal::parse("500 subscribers", Objective::Leads);
        let with = forecast(&a, &|c| economics(c, usd(), Some(&h)), usd(), g.clone());
        let without = forecast(&a, &|c| economics(c, usd(), None), usd(), g);
        // 10,000 USD at CPM 20 USD = 500,000 impressions, 25,000 clicks,
        // 2,500 conversions: the blend lands within a few percent.
        let c = with.figures.conversions.expected as f64;
        assert!(
            (c - 2_500.0).abs() / 2_500.0 < 0.05,
            "{:?}",
            with.figures.conversions
        );
        assert!(with.figures.conversions.low <= with.figures.conversions.expected);
        assert!(with.figures.conversions.high >= with.figures.conversions.expected);
        let width = |r: CountRange| (r.high - r.low) as f64 / r.expected as f64;
        assert!(width(with.figures.conversions) < width(without.figures.conversions) / 2.0);
        assert!(with.goal.own_weight > 0.9);
        assert_eq!(with.goal.verdict, GoalVerdict::Expected);
        assert!(
            with.goal.sentence.contains("500 subscribers"),
            "{}",
            with.goal.sentence
        );
        // Benchmarks only: Google's 299 USD CPM buys about 150 conversions.
        assert_eq!(without.channels[0].source, Source::Benchmark);
        assert_eq!(without.goal.own_weight, 0.0);
        assert_ne!(without.goal.verdict, GoalVerdict::Expected);
        let needed = without.goal.budget_needed_cents.unwrap();
        assert!(needed > 1_000_000, "{needed}");
        assert!(
            without.goal.sentence.contains("USD"),
            "{}",
            without.goal.sentence
        );
        assert!(
            without.figures.revenue.text.ends_with("USD)"),
            "{}",
            without.figures.revenue.text
        );
    }

    #[test]
    fn goals_without_a_figure_and_roas_goals() {
        let a = [
            alloc(Channel::Meta, 500_000),
            alloc(Channel::Email, 100_000),
        ];
        let econ = |c| economics(c, usd(), None);
        let f = forecast(
            &a,
            &econ,
            usd(),
            goal::parse("vender más", Objective::Sales),
        );
        assert_eq!(f.goal.verdict, GoalVerdict::NoTarget);
        assert_eq!(f.channels.len(), 2);
        for c in &f.channels {
            let (r, i) = (c.figures.reach, c.figures.impressions);
            assert!(
                r.low <= i.low && r.expected <= i.expected && r.high <= i.high,
                "{c:?}"
            );
        }
        assert_eq!(
            f.figures.conversions.expected,
            f.channels
                .iter()
                .map(|c| c.figures.conversions.expected)
                .sum::<i64>()
        );
        let r = forecast(&a, &econ, usd(), goal::parse("ROAS 10", Objective::Sales));
        assert_eq!(r.goal.verdict, GoalVerdict::BeyondRange);
        assert_eq!(r.goal.budget_needed_cents, None);
    }
}
