//! The sandbox connector: stands in for any platform without credentials.
//! Publishing records ids (the service stores them); delivery is simulated
//! deterministically from the daily budget and the channel benchmark.

use chrono::NaiveDate;
use promptsales_shared::domain::Country;

use super::{BoxFut, Call, Connector, DailyMetrics, ExternalIds, MetricsTarget, PublishRequest};
use crate::domain::benchmarks::{Platform, benchmark, usd_rate};

/// The sandbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

/// FNV-1a: a stable hash (std's is seeded per process).
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A factor in [lo, hi) fixed by the key.
fn jitter(key: &[&str], lo: f64, hi: f64) -> f64 {
    lo + (fnv(key) % 10_000) as f64 / 10_000.0 * (hi - lo)
}

/// One simulated day of a channel, split over its countries.
pub fn simulate(target: &MetricsTarget, day: NaiveDate) -> Vec<DailyMetrics> {
    let b = benchmark(target.channel);
    let date = day.to_string();
    let key = |what: &'static str| {
        [
            target.campaign_id.as_str(),
            target.channel.as_str(),
            date.as_str(),
            what,
        ]
    };
    let spend =
        (target.daily_budget_cents as f64 * jitter(&key("spend"), 0.90, 1.04)).round() as i64;
    let cpm = b.cpm_usd_cents as f64 * usd_rate(target.currency);
    let impressions = if cpm > 0.0 {
        (spend as f64 * 1000.0 / cpm * jitter(&key("cpm"), 0.9, 1.1)).round() as i64
    } else {
        0
    };
    let clicks = ((impressions as f64) * b.ctr * jitter(&key("ctr"), 0.8, 1.2)).round() as i64;
    let conversions = ((clicks as f64) * b.cvr * jitter(&key("cvr"), 0.7, 1.3)).round() as i64;
    let value = (spend as f64 * b.roas * jitter(&key("roas"), 0.75, 1.25)).round() as i64;
    let reach = ((impressions as f64) * b.reach_ratio).round() as i64;
    let countries: Vec<Country> = if target.countries.is_empty() {
        Vec::new()
    } else {
        target.countries.clone()
    };
    let n = countries.len().max(1) as i64;
    // Even split with the remainder on the first country: parts sum exactly.
    let part = |total: i64, i: i64| total / n + if i == 0 { total % n } else { 0 };
    (0..n)
        .map(|i| DailyMetrics {
            date: day,
            country: countries.get(i as usize).copied(),
            impressions: part(impressions, i),
            reach: part(reach, i).min(part(impressions, i)),
            clicks: part(clicks, i).min(part(impressions, i)),
            spend_cents: part(spend, i),
            conversions: part(conversions, i),
            value_cents: part(value, i),
        })
        .collect()
}

impl Connector for Sandbox {
    fn platform(&self) -> Platform {
        Platform::None
    }

    fn sandbox(&self) -> bool {
        true
    }

    fn plan(&self, _req: &PublishRequest) -> Vec<Call> {
        Vec::new()
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let id = format!(
                "sbx_{:012x}",
                fnv(&[req.campaign_id.as_str(), req.channel.as_str()]) & 0xffff_ffff_ffff
            );
            Ok(ExternalIds::from([("campaign".to_owned(), id)]))
        })
    }

    fn enable<'a>(&'a self, _req: &'a PublishRequest, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move { Ok(()) })
    }

    fn pause<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move { Ok(()) })
    }

    fn resume<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move { Ok(()) })
    }

    fn set_budget<'a>(&'a self, _ids: &'a ExternalIds, _b: i64, _d: i64) -> BoxFut<'a, ()> {
        Box::pin(async move { Ok(()) })
    }

    fn fetch_daily<'a>(
        &'a self,
        target: &'a MetricsTarget,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BoxFut<'a, Vec<DailyMetrics>> {
        Box::pin(async move {
            let first = from.max(target.launched_on);
            let last = to.min(target.end);
            let mut out = Vec::new();
            let mut day = first;
            while day <= last {
                out.extend(simulate(target, day));
                day = day.succ_opt().unwrap_or(last + chrono::Duration::days(1));
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use promptsales_shared::domain::{Channel, Currency};

    use super::*;

    #[test]
    fn simulation_is_deterministic_and_splits_exactly() {
        let t = MetricsTarget {
            campaign_id: "cmp_1".into(),
            channel: Channel::Meta,
            ids: ExternalIds::new(),
            countries: vec![Country::parse("CO").unwrap(), Country::parse("MX").unwrap()],
            currency: Currency::parse("USD").unwrap(),
            daily_budget_cents: 10_000,
            launched_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        };
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let a = simulate(&t, d);
        assert_eq!(a, simulate(&t, d));
        assert_eq!(a.len(), 2);
        let spend: i64 = a.iter().map(|r| r.spend_cents).sum();
        assert!((9_000..=10_400).contains(&spend), "{spend}");
        assert!(
            a.iter()
                .all(|r| r.clicks <= r.impressions && r.reach <= r.impressions)
        );
    }
}
