//! Daily exchange rates (base USD) for every currency the seed uses: a
//! small deterministic random walk around each currency's usual level,
//! business days only, as published fixings are (the analytics reader takes
//! Friday's rate for the weekend).

use std::collections::BTreeMap;

use analytics_read::FxRate;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use promptsales_shared::AppError;
use promptsales_shared::domain::Currency;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Rates from `from` to `to` for each currency with its units per USD.
/// Their own RNG (derived from the seed) keeps every other seeded row
/// unchanged.
pub fn daily_rates(
    seed: u64,
    per_usd: &BTreeMap<Currency, f64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<FxRate>, AppError> {
    let usd = Currency::parse("USD")?;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00F0_0F0F_F0F0_0F0F);
    let mut out = Vec::new();
    for (cur, level) in per_usd {
        if *cur == usd {
            continue;
        }
        let mut rate = *level;
        let mut day = from;
        while day <= to {
            if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                // ±0.4 % a day, pulled back towards the usual level so a
                // long window stays plausible.
                let step = rng.random_range(-0.004..0.004) + (level - rate) / level * 0.02;
                rate *= 1.0 + step;
                out.push(FxRate::new(day, usd, *cur, (rate * 1e6).round() / 1e6)?);
            }
            day += Duration::days(1);
        }
    }
    Ok(out)
}

/// Lookup helpers for tests of the seed.
#[cfg(test)]
pub mod tests_support {
    use std::collections::HashSet;

    use super::*;

    /// (currency, date) of every rate.
    pub fn index(rates: &[FxRate]) -> HashSet<(Currency, NaiveDate)> {
        rates.iter().map(|r| (r.currency, r.date)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_deterministic_plausible_and_skip_weekends() {
        let mut levels = BTreeMap::new();
        levels.insert(Currency::parse("COP").unwrap(), 4000.0);
        levels.insert(Currency::parse("USD").unwrap(), 1.0);
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let a = daily_rates(7, &levels, from, to).unwrap();
        assert_eq!(a, daily_rates(7, &levels, from, to).unwrap());
        assert_ne!(a, daily_rates(8, &levels, from, to).unwrap());
        assert_eq!(a.len(), 261, "business days of 2026, COP only");
        assert!(
            a.iter()
                .all(|r| r.currency.as_str() == "COP" && r.base.as_str() == "USD")
        );
        assert!(
            a.iter().all(|r| (3600.0..4400.0).contains(&r.rate)),
            "stays near 4000"
        );
        assert!(
            a.iter()
                .all(|r| !matches!(r.date.weekday(), Weekday::Sat | Weekday::Sun))
        );
    }
}
