//! Delivery totals, their ratios (from summed parts, BRIEF §5) and pacing
//! against a budget and a flight.

use chrono::NaiveDate;
use serde::Serialize;

/// Summed delivery with its derived ratios.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Totals {
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    /// Hundredths of the campaign currency.
    pub spend_cents: i64,
    pub conversions: i64,
    /// Revenue the platforms attribute to the conversions, hundredths.
    pub conversion_value_cents: i64,
    /// clicks / impressions; null without impressions.
    pub ctr: Option<f64>,
    /// spend / clicks, hundredths; null without clicks.
    pub cpc_cents: Option<f64>,
    /// spend / conversions, hundredths; null without conversions.
    pub cpa_cents: Option<f64>,
    /// conversion value / spend; null without spend or without values.
    pub roas: Option<f64>,
}

impl Totals {
    /// Adds one row's counts (ratios are recomputed by [`Totals::finish`]).
    pub fn add(
        &mut self,
        impressions: i64,
        reach: i64,
        clicks: i64,
        spend: i64,
        conv: i64,
        value: i64,
    ) {
        self.impressions += impressions;
        self.reach += reach;
        self.clicks += clicks;
        self.spend_cents += spend;
        self.conversions += conv;
        self.conversion_value_cents += value;
    }

    /// Computes the ratios from the sums.
    pub fn finish(mut self) -> Self {
        let div = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        self.ctr = div(self.clicks, self.impressions);
        self.cpc_cents = div(self.spend_cents, self.clicks);
        self.cpa_cents = div(self.spend_cents, self.conversions);
        self.roas = if self.conversion_value_cents > 0 {
            div(self.conversion_value_cents, self.spend_cents)
        } else {
            None
        };
        self
    }
}

/// How spend compares with an even spread of the budget over the flight.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Pacing {
    /// not_started, under, on_track, over or ended.
    pub status: String,
    pub budget_cents: i64,
    pub spent_cents: i64,
    /// Budget an even spread would have spent by `as_of` (inclusive).
    pub expected_to_date_cents: i64,
    /// spent / expected to date; null before the start.
    pub ratio: Option<f64>,
    pub days_elapsed: i64,
    pub days_total: i64,
    /// Budget left per remaining day to finish exactly on budget.
    pub daily_budget_remaining_cents: Option<i64>,
    pub note: String,
}

/// Pacing of `spent` against `budget` over `start..=end` on `as_of`; within
/// ±10 % of the even spread is on track.
pub fn pacing(
    budget: i64,
    spent: i64,
    start: NaiveDate,
    end: NaiveDate,
    as_of: NaiveDate,
) -> Pacing {
    let total = (end - start).num_days() + 1;
    let elapsed = ((as_of.min(end) - start).num_days() + 1).clamp(0, total);
    let expected = if total > 0 {
        (budget as i128 * elapsed as i128 / total as i128) as i64
    } else {
        0
    };
    let ratio = (expected > 0).then(|| spent as f64 / expected as f64);
    let remaining_days = total - elapsed;
    let (status, note) = if as_of < start {
        ("not_started", format!("starts on {start}"))
    } else if as_of > end {
        (
            "ended",
            format!(
                "ended on {end}, {:.1}% of the budget spent",
                spent as f64 * 100.0 / budget.max(1) as f64
            ),
        )
    } else {
        match ratio {
            Some(r) if r > 1.1 => (
                "over",
                format!(
                    "spending {:.0}% faster than an even spread: the budget runs out early",
                    (r - 1.0) * 100.0
                ),
            ),
            Some(r) if r < 0.9 => (
                "under",
                format!(
                    "spending {:.0}% slower than an even spread: budget will be left over",
                    (1.0 - r) * 100.0
                ),
            ),
            _ => ("on_track", "within 10% of an even spread".to_owned()),
        }
    };
    Pacing {
        status: status.into(),
        budget_cents: budget,
        spent_cents: spent,
        expected_to_date_cents: expected,
        ratio,
        days_elapsed: elapsed,
        days_total: total,
        daily_budget_remaining_cents: (remaining_days > 0 && as_of <= end)
            .then(|| (budget - spent).max(0) / remaining_days),
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    #[test]
    fn ratios_come_from_summed_parts() {
        let mut t = Totals::default();
        t.add(1000, 800, 10, 5_000, 1, 0);
        t.add(9000, 7000, 10, 5_000, 0, 0);
        let t = t.finish();
        assert_eq!(t.ctr, Some(0.002));
        assert_eq!(t.cpc_cents, Some(500.0));
        assert_eq!(t.cpa_cents, Some(10_000.0));
        assert_eq!(t.roas, None);
        assert_eq!(Totals::default().finish().ctr, None);
    }

    #[test]
    fn pacing_classifies_spend_against_an_even_spread() {
        // 31-day flight, 10 days in: an even spread spent 10/31.
        let p = pacing(31_000, 10_000, d(1), d(31), d(10));
        assert_eq!(p.expected_to_date_cents, 10_000);
        assert_eq!(p.status, "on_track");
        assert_eq!(p.daily_budget_remaining_cents, Some(1_000));
        assert_eq!(pacing(31_000, 14_000, d(1), d(31), d(10)).status, "over");
        assert_eq!(pacing(31_000, 5_000, d(1), d(31), d(10)).status, "under");
        assert_eq!(pacing(31_000, 0, d(5), d(31), d(1)).status, "not_started");
        let ended = pacing(
            31_000,
            31_000,
            d(1),
            d(31),
            NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
        );
        assert_eq!(ended.status, "ended");
        assert_eq!(ended.days_elapsed, 31);
    }
}
