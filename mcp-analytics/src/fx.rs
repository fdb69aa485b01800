//! Converting money to a reporting currency at each amount's own day's rate.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Currency, TenantId};
use serde::{Deserialize, Serialize};

/// How far back a missing day's rate may be taken from (weekends and
/// holidays have no fixing; a week covers them without hiding a gap).
pub const FALLBACK_DAYS: i64 = 7;

/// The rate policy every converted result states.
pub const POLICY: &str = "each amount converted at the rate of its own date (sale date, ad day); \
     a day without a rate uses the last rate up to 7 days earlier";

/// Why an amount could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error(
        "no exchange rate {from}→{to} for {days} day(s) from {first} to {last} (nor in the \
         {FALLBACK_DAYS} days before each): add them to fx_rates.csv and run `promptsales \
         import`, or ask without a reporting currency"
    )]
    Missing {
        from: Currency,
        to: Currency,
        first: NaiveDate,
        last: NaiveDate,
        days: usize,
    },
}

impl From<FxError> for AppError {
    fn from(e: FxError) -> Self {
        AppError::Conflict(e.to_string())
    }
}

/// What a converted result says about its conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conversion {
    /// Every amount is in this currency.
    pub currency: Currency,
    /// How rates were chosen.
    pub policy: String,
    /// Earliest and latest date of the rates used (none when nothing needed
    /// converting).
    pub rates_from: Option<NaiveDate>,
    pub rates_to: Option<NaiveDate>,
    /// Currencies converted from.
    pub converted_from: Vec<Currency>,
    /// Base currencies of the rates used (cross rates go through them).
    pub bases: Vec<Currency>,
}

/// The tenant's rates for a set of currencies, by base then currency then
/// date.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    by_base: BTreeMap<Currency, BTreeMap<Currency, BTreeMap<NaiveDate, f64>>>,
}

/// A rate found for one conversion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Used {
    /// Multiply an amount in `from` by this to get `to`.
    pub factor: f64,
    pub base: Currency,
    /// Dates of the rates taken (a currency that is the base has none).
    pub dates: [Option<NaiveDate>; 2],
}

impl Rates {
    pub fn from_rows(rows: Vec<analytics_read::FxRate>) -> Self {
        let mut by_base: BTreeMap<Currency, BTreeMap<Currency, BTreeMap<NaiveDate, f64>>> =
            BTreeMap::new();
        for r in rows {
            by_base
                .entry(r.base)
                .or_default()
                .entry(r.currency)
                .or_default()
                .insert(r.date, r.rate);
        }
        Self { by_base }
    }

    /// The tenant's rates of `currencies` and of `to`.
    pub async fn load(
        db: &Db,
        tenant: &TenantId,
        currencies: &BTreeSet<Currency>,
        to: Currency,
    ) -> Result<Self, AppError> {
        let mut all: BTreeSet<Currency> = currencies.clone();
        all.insert(to);
        let all: Vec<Currency> = all.into_iter().collect();
        Ok(Self::from_rows(
            analytics_read::fx_rates_for(db, tenant, &all).await?,
        ))
    }

    /// Units of `currency` per unit of `base` on `date`, or on the last day
    /// with a rate up to [`FALLBACK_DAYS`] earlier.
    fn rate(
        &self,
        base: Currency,
        currency: Currency,
        date: NaiveDate,
    ) -> Option<(f64, Option<NaiveDate>)> {
        if base == currency {
            return Some((1.0, None));
        }
        let days = self.by_base.get(&base)?.get(&currency)?;
        let earliest = date - Duration::days(FALLBACK_DAYS);
        days.range(earliest..=date)
            .next_back()
            .map(|(d, r)| (*r, Some(*d)))
    }

    /// The factor turning an amount in `from` dated `date` into `to`.
    /// `None` when no base quotes both within the fallback window.
    pub fn factor(&self, from: Currency, to: Currency, date: NaiveDate) -> Option<Used> {
        if from == to {
            return Some(Used {
                factor: 1.0,
                base: to,
                dates: [None, None],
            });
        }
        // A base that is one of the two needs only the other's rate, so
        // try those first; then any other base (a cross rate).
        let mut bases: Vec<Currency> = self.by_base.keys().copied().collect();
        bases.sort_by_key(|b| !(*b == from || *b == to));
        bases.into_iter().find_map(|base| {
            let (rf, df) = self.rate(base, from, date)?;
            let (rt, dt) = self.rate(base, to, date)?;
            Some(Used {
                factor: rt / rf,
                base,
                dates: [df, dt],
            })
        })
    }
}

/// Collects what was used and what was missing over one query.
#[derive(Debug, Clone)]
pub struct Converter {
    rates: Rates,
    to: Currency,
    from_seen: BTreeSet<Currency>,
    bases: BTreeSet<Currency>,
    range: Option<(NaiveDate, NaiveDate)>,
    missing: BTreeMap<Currency, BTreeSet<NaiveDate>>,
}

impl Converter {
    pub fn new(rates: Rates, to: Currency) -> Self {
        Self {
            rates,
            to,
            from_seen: BTreeSet::new(),
            bases: BTreeSet::new(),
            range: None,
            missing: BTreeMap::new(),
        }
    }

    /// The factor for an amount in `from` on `date`; a missing rate is
    /// remembered (and 0 returned) so [`finish`](Self::finish) can name
    /// every missing day at once.
    pub fn factor(&mut self, from: Currency, date: NaiveDate) -> f64 {
        match self.rates.factor(from, self.to, date) {
            Some(u) => {
                if from != self.to {
                    self.from_seen.insert(from);
                    self.bases.insert(u.base);
                }
                for d in u.dates.into_iter().flatten() {
                    self.range = Some(match self.range {
                        None => (d, d),
                        Some((a, b)) => (a.min(d), b.max(d)),
                    });
                }
                u.factor
            }
            None => {
                self.missing.entry(from).or_default().insert(date);
                0.0
            }
        }
    }

    /// What was converted, or the first currency with missing days.
    pub fn finish(self) -> Result<Conversion, FxError> {
        if let Some((from, days)) = self.missing.into_iter().next()
            && let (Some(first), Some(last)) = (days.first(), days.last())
        {
            return Err(FxError::Missing {
                from,
                to: self.to,
                first: *first,
                last: *last,
                days: days.len(),
            });
        }
        Ok(Conversion {
            currency: self.to,
            policy: POLICY.to_owned(),
            rates_from: self.range.map(|r| r.0),
            rates_to: self.range.map(|r| r.1),
            converted_from: self.from_seen.into_iter().collect(),
            bases: self.bases.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analytics_read::FxRate;

    fn c(s: &str) -> Currency {
        Currency::parse(s).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn rates() -> Rates {
        Rates::from_rows(vec![
            FxRate::new(d("2026-03-02"), c("USD"), c("COP"), 4000.0).unwrap(),
            FxRate::new(d("2026-03-03"), c("USD"), c("COP"), 4100.0).unwrap(),
            FxRate::new(d("2026-03-02"), c("USD"), c("MXN"), 20.0).unwrap(),
        ])
    }

    #[test]
    fn own_day_then_up_to_seven_days_back_then_nothing() {
        let r = rates();
        let u = r.factor(c("COP"), c("USD"), d("2026-03-03")).unwrap();
        assert!((u.factor - 1.0 / 4100.0).abs() < 1e-15);
        assert_eq!(u.dates, [Some(d("2026-03-03")), None]);
        // 7 days after the last rate still uses it; 8 days after does not.
        let u = r.factor(c("COP"), c("USD"), d("2026-03-10")).unwrap();
        assert_eq!(u.dates[0], Some(d("2026-03-03")));
        assert!(r.factor(c("COP"), c("USD"), d("2026-03-11")).is_none());
        // Before the first rate there is nothing to fall back to.
        assert!(r.factor(c("COP"), c("USD"), d("2026-03-01")).is_none());
    }

    #[test]
    fn cross_rates_go_through_the_base() {
        let u = rates().factor(c("MXN"), c("COP"), d("2026-03-02")).unwrap();
        assert!((u.factor - 200.0).abs() < 1e-9);
        assert_eq!(u.base, c("USD"));
    }

    #[test]
    fn a_missing_rate_names_the_pair_and_the_dates() {
        let mut conv = Converter::new(rates(), c("USD"));
        conv.factor(c("COP"), d("2026-03-03"));
        conv.factor(c("COP"), d("2026-03-20"));
        conv.factor(c("COP"), d("2026-03-22"));
        let e = conv.finish().unwrap_err().to_string();
        assert!(e.contains("COP→USD"), "{e}");
        assert!(e.contains("2026-03-20") && e.contains("2026-03-22"), "{e}");
        assert!(e.contains("2 day(s)"), "{e}");
    }

    #[test]
    fn a_conversion_reports_its_rate_dates() {
        let mut conv = Converter::new(rates(), c("USD"));
        conv.factor(c("COP"), d("2026-03-05"));
        conv.factor(c("MXN"), d("2026-03-02"));
        conv.factor(c("USD"), d("2026-01-01"));
        let info = conv.finish().unwrap();
        assert_eq!(info.rates_from, Some(d("2026-03-02")));
        assert_eq!(info.rates_to, Some(d("2026-03-03")));
        assert_eq!(info.converted_from, vec![c("COP"), c("MXN")]);
    }
}
