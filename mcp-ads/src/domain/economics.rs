//! Channel economics grounded in a client's own delivery: each rate is the
//! client's daily figures blended with the channel benchmark by
//! Bühlmann–Straub credibility, with the variance a forecast range needs.
//!
//! The model (actuar's `bstraub`, https://rdocumentation.org/packages/actuar/versions/0.9-4/topics/bstraub):
//! a rate observed on days `d` as `x_d` with exposure `m_d` has the own
//! mean `x̄ = Σ m_d x_d / Σ m_d`; the credibility of the client's own figure
//! is `Z = m / (m + k)` with `m = Σ m_d` and `k = s² / a`, where `s²` is the
//! within-client (day-to-day) variance per unit of exposure and `a` the
//! between-client variance. The blend is `Z x̄ + (1 − Z) benchmark`, and its
//! error variance `(1 − Z) a` gives the range.
//!
//! * CTR, conversion rate and reach ratio (exposure: impressions, clicks,
//!   impressions) blend additively; `s²` is estimated from the client's own
//!   days (`Σ m_d (x_d − x̄)² / (D − 1)`), never below the binomial noise
//!   `p(1 − p)` of the client's own rate (the benchmark's while it has
//!   none).
//! * Cost per mille and ROAS vary by multiples, so they blend in log space
//!   (the multiplicative form of the model) with days of spend as exposure:
//!   `k = ln(1 + cv_day²) / ln(1 + cv²)`
//!   with a day-to-day spread `cv_day` of 25 % (cost) and 100 % (return).
//! * The between-client spread `a` is a coefficient of variation of 0.5
//!   around the benchmark: the benchmark reports' industry tables span
//!   roughly 0.5×–2× the cross-industry median.
//! * ROAS counts only when the history records conversion values: without
//!   them the client's return is unknown and the benchmark stands alone
//!   (earlier drafts scaled the benchmark by the client's cost per
//!   conversion, which turned cheap platform conversions into a ROAS of 14
//!   for a client whose sales returned 0.01).

use chrono::NaiveDate;
use promptsales_shared::domain::{Channel, Currency, format_money};
use promptsales_shared::vocabulary;
use serde::{Deserialize, Serialize};

use super::benchmarks::{benchmark, usd_rate};
use super::budget::ChannelOutlook;

/// How far clients of one channel differ from its benchmark (coefficient
/// of variation of the between-client spread).
const BETWEEN_CV: f64 = 0.5;
/// Day-to-day coefficient of variation of cost per mille and of ROAS.
const CPM_DAY_CV: f64 = 0.25;
const ROAS_DAY_CV: f64 = 1.0;
/// Own weight from which the figures are the client's rather than a blend.
const OWN_ONLY: f64 = 0.95;

/// One day of a client's delivery on one channel (campaigns and countries
/// summed), in one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Day {
    pub date: Option<NaiveDate>,
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    pub spend_cents: i64,
    pub conversions: i64,
    pub value_cents: i64,
}

impl Day {
    /// Adds another row's figures of the same day (countries, campaigns).
    pub fn add(&mut self, o: &Day) {
        self.impressions += o.impressions;
        self.reach += o.reach;
        self.clicks += o.clicks;
        self.spend_cents += o.spend_cents;
        self.conversions += o.conversions;
        self.value_cents += o.value_cents;
    }
}

/// A client's own delivery on one channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub days: Vec<Day>,
    /// Countries the figures cover.
    pub countries: Vec<String>,
}

impl History {
    fn sum(&self, f: impl Fn(&Day) -> i64) -> i64 {
        self.days.iter().map(f).sum()
    }
}

vocabulary! {
    /// Where a channel's figures come from.
    ///
    /// - `history`: The client's own delivery (credibility 0.95 or more).
    /// - `blend`: The client's delivery blended with the benchmark.
    /// - `benchmark`: No own delivery on the channel: the benchmark alone.
    pub enum Source("source") {
        History => "history",
        Blend => "blend",
        Benchmark => "benchmark",
    }
}

vocabulary! {
    /// A rate the economics blend.
    ///
    /// - `cpm`: Cost per thousand impressions, hundredths of the currency.
    /// - `ctr`: Clicks per impression.
    /// - `cvr`: Conversions per click.
    /// - `reach_ratio`: People reached per impression.
    /// - `roas`: Conversion value per unit of spend.
    pub enum Rate("rate") {
        Cpm => "cpm",
        Ctr => "ctr",
        Cvr => "cvr",
        ReachRatio => "reach_ratio",
        Roas => "roas",
    }
}

/// One rate: the client's figure, the benchmark and the blend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RateBlend {
    pub rate: Rate,
    /// The client's own figure (absent without data for it).
    pub own: Option<f64>,
    pub benchmark: f64,
    /// Credibility of the own figure, 0–1 (the benchmark has the rest).
    pub own_weight: f64,
    /// The figure used: `own_weight × own + (1 − own_weight) × benchmark`.
    pub value: f64,
    /// Standard error of `value` relative to it (what the ranges use).
    pub relative_error: f64,
}

impl RateBlend {
    /// No own figure: the benchmark, with the between-client spread
    /// `relative_error` as its error.
    fn benchmark_only(rate: Rate, prior: f64, relative_error: f64) -> Self {
        Self {
            rate,
            own: None,
            benchmark: prior,
            own_weight: 0.0,
            value: prior,
            relative_error: if prior > 0.0 { relative_error } else { 0.0 },
        }
    }
}

/// Which sources a channel's figures rest on, and how much of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Basis {
    /// Days of own delivery read (this client only, same currency).
    pub own_days: i64,
    pub own_impressions: i64,
    pub own_clicks: i64,
    pub own_conversions: i64,
    /// Hundredths of the currency.
    pub own_spend_cents: i64,
    /// Whether the own history records conversion values (ROAS).
    pub own_values_recorded: bool,
    /// Countries the own history covers.
    pub countries: Vec<String>,
    /// Credibility of the least-supported rate a conversion forecast rests
    /// on (cost, CTR, conversion rate).
    pub own_weight: f64,
    /// `1 − own_weight`.
    pub benchmark_weight: f64,
    pub rates: Vec<RateBlend>,
}

/// Unit economics of one channel in the campaign currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Economics {
    pub channel: Channel,
    /// Cost per thousand impressions, hundredths of the currency.
    pub cpm_cents: f64,
    pub ctr: f64,
    /// Conversions per click.
    pub cvr: f64,
    pub reach_ratio: f64,
    pub expected_roas: f64,
    pub source: Source,
    /// The sources and their weights in a sentence.
    pub evidence: String,
    pub basis: Basis,
}

impl Economics {
    pub fn outlook(&self) -> ChannelOutlook {
        ChannelOutlook {
            channel: self.channel,
            expected_roas: self.expected_roas,
            source: self.source,
            evidence: self.evidence.clone(),
        }
    }

    /// Cost per conversion, hundredths.
    pub fn cpa_cents(&self) -> f64 {
        self.cpm_cents / 1000.0 / (self.ctr * self.cvr).max(1e-9)
    }

    /// The blend of `rate`.
    pub fn rate(&self, rate: Rate) -> Option<&RateBlend> {
        self.basis.rates.iter().find(|r| r.rate == rate)
    }

    /// Relative standard error of a product of `rates` (independent errors
    /// add in log space).
    pub fn relative_error(&self, rates: &[Rate]) -> f64 {
        rates
            .iter()
            .filter_map(|r| self.rate(*r))
            .map(|r| r.relative_error.powi(2))
            .sum::<f64>()
            .sqrt()
    }

    /// Least own weight among `rates`.
    pub fn weight_of(&self, rates: &[Rate]) -> f64 {
        rates
            .iter()
            .filter_map(|r| self.rate(*r))
            .map(|r| r.own_weight)
            .fold(1.0, f64::min)
    }
}

/// Bühlmann–Straub blend of one binomial rate from `(x_d, m_d)`
/// observations.
fn blend(rate: Rate, obs: &[(f64, f64)], prior: f64) -> RateBlend {
    let m: f64 = obs.iter().map(|(_, w)| w).sum();
    let a = (BETWEEN_CV * prior).powi(2);
    if m <= 0.0 || a <= 0.0 {
        return RateBlend::benchmark_only(rate, prior, BETWEEN_CV);
    }
    let mean = obs.iter().map(|(x, w)| x * w).sum::<f64>() / m;
    let observed = if obs.len() >= 2 {
        obs.iter().map(|(x, w)| w * (x - mean).powi(2)).sum::<f64>() / (obs.len() - 1) as f64
    } else {
        0.0
    };
    let p = if mean > 0.0 { mean } else { prior };
    let s2 = observed.max(p * (1.0 - p));
    let z = m / (m + s2 / a);
    let value = z * mean + (1.0 - z) * prior;
    let sd = ((1.0 - z) * a).sqrt();
    RateBlend {
        rate,
        own: Some(mean),
        benchmark: prior,
        own_weight: z,
        value,
        relative_error: if value > 0.0 { sd / value } else { BETWEEN_CV },
    }
}

/// Observations of a count rate (`num / den` per day, exposure `den`).
fn per_unit(days: &[Day], num: fn(&Day) -> i64, den: fn(&Day) -> i64) -> Vec<(f64, f64)> {
    days.iter()
        .filter(|d| den(d) > 0)
        .map(|d| (num(d).min(den(d)) as f64 / den(d) as f64, den(d) as f64))
        .collect()
}

/// Log-space blend of a multiplicative rate whose own figure `own` was
/// observed over `days` days of spend.
fn blend_log(rate: Rate, own: Option<f64>, days: f64, prior: f64, day_cv: f64) -> RateBlend {
    let a = (1.0 + BETWEEN_CV.powi(2)).ln();
    let Some(own) = own.filter(|o| *o > 0.0 && days > 0.0 && prior > 0.0) else {
        return RateBlend::benchmark_only(rate, prior, a.sqrt());
    };
    let k = (1.0 + day_cv.powi(2)).ln() / a;
    let z = days / (days + k);
    RateBlend {
        rate,
        own: Some(own),
        benchmark: prior,
        own_weight: z,
        value: (z * own.ln() + (1.0 - z) * prior.ln()).exp(),
        relative_error: ((1.0 - z) * a).sqrt(),
    }
}

/// Economics of `channel` in `currency` from the client's own `history`
/// (none: the benchmark alone), each rate blended by its credibility.
pub fn economics(channel: Channel, currency: Currency, history: Option<&History>) -> Economics {
    let b = benchmark(channel);
    let empty = History::default();
    let h = history.unwrap_or(&empty);
    let days = &h.days;
    let bench_cpm = b.cpm_usd_cents as f64 * usd_rate(currency);
    let spent = |d: &&Day| d.spend_cents > 0 && d.impressions > 0;
    let spend_days = days.iter().filter(spent).count() as f64;
    let (imp, spend) = (h.sum(|d| d.impressions), h.sum(|d| d.spend_cents));
    let cpm = blend_log(
        Rate::Cpm,
        (imp > 0).then(|| spend as f64 * 1000.0 / imp as f64),
        spend_days,
        bench_cpm,
        CPM_DAY_CV,
    );
    let ctr = blend(
        Rate::Ctr,
        &per_unit(days, |d| d.clicks, |d| d.impressions),
        b.ctr,
    );
    let cvr = blend(
        Rate::Cvr,
        &per_unit(days, |d| d.conversions, |d| d.clicks),
        b.cvr,
    );
    let reach = blend(
        Rate::ReachRatio,
        &per_unit(days, |d| d.reach, |d| d.impressions),
        b.reach_ratio,
    );
    let values = h.sum(|d| d.value_cents) > 0;
    let roas = blend_log(
        Rate::Roas,
        (values && spend > 0).then(|| h.sum(|d| d.value_cents) as f64 / spend as f64),
        spend_days,
        b.roas,
        ROAS_DAY_CV,
    );
    let own_days = days
        .iter()
        .filter(|d| d.impressions > 0 || d.spend_cents > 0)
        .count() as i64;
    let own_weight = [&cpm, &ctr, &cvr]
        .iter()
        .map(|r| r.own_weight)
        .fold(1.0, f64::min);
    let basis = Basis {
        own_days,
        own_impressions: h.sum(|d| d.impressions),
        own_clicks: h.sum(|d| d.clicks),
        own_conversions: h.sum(|d| d.conversions),
        own_spend_cents: h.sum(|d| d.spend_cents),
        own_values_recorded: values,
        countries: h.countries.clone(),
        own_weight,
        benchmark_weight: 1.0 - own_weight,
        rates: vec![cpm, ctr, cvr, reach, roas],
    };
    let source = if own_days == 0 {
        Source::Benchmark
    } else if own_weight >= OWN_ONLY {
        Source::History
    } else {
        Source::Blend
    };
    let r = |i: usize| basis.rates[i].value;
    Economics {
        channel,
        cpm_cents: r(0),
        ctr: r(1),
        cvr: r(2),
        reach_ratio: r(3).clamp(0.0, 1.0),
        expected_roas: r(4),
        source,
        evidence: evidence(&basis, currency),
        basis,
    }
}

/// A count with thousands grouped, as people read it.
pub(crate) fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The basis in a sentence: which sources, how much of each.
fn evidence(b: &Basis, currency: Currency) -> String {
    let pct = |r: &RateBlend| r.value * 100.0;
    let rates = &b.rates;
    if b.own_days == 0 {
        return format!(
            "no own history on this channel in {currency}: benchmark only (weight 1.00) — CTR {:.2}%, \
             conversion rate {:.2}%, ROAS {:.2}",
            pct(&rates[1]),
            pct(&rates[2]),
            rates[4].value
        );
    }
    let roas = &rates[4];
    let roas_note = if b.own_values_recorded {
        format!(
            "ROAS own {:.2} weight {:.2}",
            roas.own.unwrap_or_default(),
            roas.own_weight
        )
    } else {
        format!(
            "ROAS {:.2} from the benchmark only (no conversion values or CRM sales attributed to its campaigns)",
            roas.value
        )
    };
    format!(
        "own history: {} day{}{}, {} impressions, {} clicks, {} conversions, {} spent — weight {:.2}; \
         benchmark: {:.2} (cost weight {:.2}, CTR {:.2}% weight {:.2}, conversion rate {:.2}% weight {:.2}; {roas_note})",
        b.own_days,
        if b.own_days == 1 { "" } else { "s" },
        if b.countries.is_empty() {
            String::new()
        } else {
            format!(" in {}", b.countries.join(", "))
        },
        grouped(b.own_impressions),
        grouped(b.own_clicks),
        grouped(b.own_conversions),
        format_money(b.own_spend_cents, currency),
        b.own_weight,
        b.benchmark_weight,
        rates[0].own_weight,
        pct(&rates[1]),
        rates[1].own_weight,
        pct(&rates[2]),
        rates[2].own_weight,
    )
}

/// Histories for tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Day, History};

    /// `n` steady days of `impressions` with the given rates.
    pub(crate) fn steady(n: usize, impressions: i64, cpm: i64, ctr: f64, cvr: f64) -> History {
        let days = (0..n)
            .map(|i| {
                // ±10 % day-to-day swing so the variance is not zero.
                let f = if i % 2 == 0 { 1.1 } else { 0.9 };
                let imp = (impressions as f64 * f) as i64;
                let clicks = (imp as f64 * ctr).round() as i64;
                Day {
                    date: None,
                    impressions: imp,
                    reach: imp / 2,
                    clicks,
                    spend_cents: imp * cpm / 1000,
                    conversions: (clicks as f64 * cvr).round() as i64,
                    value_cents: 0,
                }
            })
            .collect();
        History {
            days,
            countries: vec!["CO".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::steady;
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn counts_read_with_thousands_grouped() {
        assert_eq!(grouped(1_240), "1,240");
        assert_eq!(grouped(400_000), "400,000");
        assert_eq!(grouped(-12), "-12");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }

    #[test]
    fn no_history_is_the_benchmark_and_says_so() {
        let e = economics(Channel::GoogleAds, usd(), None);
        let b = benchmark(Channel::GoogleAds);
        assert_eq!(e.source, Source::Benchmark);
        assert_eq!((e.ctr, e.cvr, e.expected_roas), (b.ctr, b.cvr, b.roas));
        assert_eq!(e.basis.own_weight, 0.0);
        assert!(e.evidence.contains("benchmark only"), "{}", e.evidence);
    }

    #[test]
    fn weight_grows_with_data_and_the_blend_moves_to_own_figures() {
        let b = benchmark(Channel::Meta);
        let thin = economics(
            Channel::Meta,
            usd(),
            Some(&steady(2, 300, 1_000, 0.01, 0.02)),
        );
        let thick = economics(
            Channel::Meta,
            usd(),
            Some(&steady(40, 20_000, 1_000, 0.01, 0.02)),
        );
        assert!(thin.basis.own_weight < thick.basis.own_weight);
        assert!(thick.basis.own_weight > 0.9, "{:?}", thick.basis);
        // Own CTR 1 % against a 2.53 % benchmark: the blend sits near 1 %.
        assert!((thick.ctr - 0.01).abs() < 0.002, "{}", thick.ctr);
        assert!(thin.ctr > thick.ctr && thin.ctr < b.ctr);
        assert!(thick.cpm_cents < 1_200.0, "{}", thick.cpm_cents);
        assert!(
            thick.evidence.contains("40 days in CO"),
            "{}",
            thick.evidence
        );
        assert!(thick.evidence.contains("weight"), "{}", thick.evidence);
    }

    #[test]
    fn cheap_conversions_without_values_never_inflate_roas() {
        // The finding: cheap platform conversions and no recorded values
        // once made a 14.35 ROAS; now ROAS stays the benchmark's.
        let h = steady(30, 50_000, 300, 0.08, 0.2);
        let e = economics(Channel::GoogleAds, usd(), Some(&h));
        assert_eq!(e.expected_roas, benchmark(Channel::GoogleAds).roas);
        assert!(
            e.evidence.contains("no conversion values"),
            "{}",
            e.evidence
        );
        let mut valued = h.clone();
        for d in &mut valued.days {
            d.value_cents = d.spend_cents / 100;
        }
        let v = economics(Channel::GoogleAds, usd(), Some(&valued));
        assert!(v.expected_roas < 0.5, "{}", v.expected_roas);
        assert!(v.rate(Rate::Roas).unwrap().own_weight > 0.8);
    }
}
