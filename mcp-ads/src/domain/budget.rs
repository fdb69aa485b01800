//! Budget plans: a budget split across channels in proportion to expected
//! return, within floors and caps, with an exploration share — to the cent.

use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, format_cents};
use serde::{Deserialize, Serialize};

use super::economics::Source;

/// What a channel is expected to return, and where the figure comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChannelOutlook {
    pub channel: Channel,
    /// Revenue per unit of spend expected on this channel.
    pub expected_roas: f64,
    /// `history` (the client's own delivery), `blend` or `benchmark`.
    pub source: Source,
    /// A short account of the evidence, e.g. "CPA 12.40 over 41 days in CO".
    pub evidence: String,
}

/// Shares (0–1 of the budget) shaping a plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BudgetRules {
    /// Least share any channel gets.
    pub floor_share: f64,
    /// Most share any channel gets.
    pub cap_share: f64,
    /// Share spread evenly over every channel so weaker ones keep learning.
    pub exploration_share: f64,
}

impl Default for BudgetRules {
    fn default() -> Self {
        Self {
            floor_share: 0.05,
            cap_share: 0.60,
            exploration_share: 0.10,
        }
    }
}

/// One channel's part of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Allocation {
    pub channel: Channel,
    /// Hundredths of the campaign currency.
    pub budget_cents: i64,
    /// `budget_cents / total`.
    pub share: f64,
    pub expected_roas: f64,
    /// Why this channel gets this much.
    pub reason: String,
}

/// Splits `total_cents` across `outlooks`. The parts sum to `total_cents`
/// exactly; each share lies within the floor and cap.
pub fn plan(
    total_cents: i64,
    outlooks: &[ChannelOutlook],
    rules: BudgetRules,
) -> Result<Vec<Allocation>, AppError> {
    if total_cents <= 0 {
        return Err(AppError::invalid(
            "budget_cents",
            "a positive amount",
            total_cents.to_string(),
        ));
    }
    if outlooks.is_empty() {
        return Err(AppError::invalid(
            "channels",
            "at least one paid channel",
            "[]",
        ));
    }
    for (i, o) in outlooks.iter().enumerate() {
        if !o.channel.is_paid() {
            return Err(AppError::invalid(
                "channels",
                "paid channels only (organic and web buy no media)",
                o.channel.as_str(),
            ));
        }
        if outlooks[..i].iter().any(|p| p.channel == o.channel) {
            return Err(AppError::invalid(
                "channels",
                "each channel once",
                o.channel.as_str(),
            ));
        }
        if !o.expected_roas.is_finite() || o.expected_roas < 0.0 {
            return Err(AppError::invalid(
                "expected_roas",
                "zero or a positive number",
                o.expected_roas.to_string(),
            ));
        }
    }
    let n = outlooks.len() as f64;
    let r = rules;
    let in_unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
    if !in_unit(r.exploration_share) || r.exploration_share > 0.5 {
        return Err(AppError::invalid(
            "exploration_share",
            "a share from 0 to 0.5",
            r.exploration_share.to_string(),
        ));
    }
    if !in_unit(r.floor_share) || r.floor_share * n > 1.0 + 1e-9 {
        return Err(AppError::invalid(
            "floor_share",
            format!("a share from 0 to {:.4} (1 / {} channels)", 1.0 / n, n),
            r.floor_share.to_string(),
        ));
    }
    if !in_unit(r.cap_share) || r.cap_share * n < 1.0 - 1e-9 || r.cap_share < r.floor_share {
        return Err(AppError::invalid(
            "cap_share",
            format!(
                "a share from {:.4} (1 / {} channels, and at least floor_share) to 1",
                (1.0 / n).max(r.floor_share),
                n
            ),
            r.cap_share.to_string(),
        ));
    }

    // Target shares: exploration evenly, the rest by expected return.
    let weights: Vec<f64> = outlooks.iter().map(|o| o.expected_roas.max(0.01)).collect();
    let wsum: f64 = weights.iter().sum();
    let target: Vec<f64> = weights
        .iter()
        .map(|w| r.exploration_share / n + (1.0 - r.exploration_share) * w / wsum)
        .collect();
    // Shares are the targets scaled by one factor and clamped to
    // [floor, cap]; the factor making them sum to 1 is found by bisection
    // (the sum grows with it, from n·floor ≤ 1 to n·cap ≥ 1).
    let clamp = |l: f64, t: f64| (l * t).clamp(r.floor_share, r.cap_share);
    let sum_at = |l: f64| target.iter().map(|t| clamp(l, *t)).sum::<f64>();
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while sum_at(hi) < 1.0 && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if sum_at(mid) < 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let share: Vec<f64> = target.iter().map(|t| clamp(hi, *t)).collect();
    let pinned: Vec<Option<f64>> = target
        .iter()
        .map(|t| {
            let raw = hi * t;
            if raw >= r.cap_share - 1e-12 && r.cap_share < 1.0 {
                Some(r.cap_share)
            } else if raw <= r.floor_share + 1e-12 && r.floor_share > 0.0 {
                Some(r.floor_share)
            } else {
                None
            }
        })
        .collect();

    // Whole cents by largest remainder: the parts sum to the total.
    let raw: Vec<f64> = share.iter().map(|s| s * total_cents as f64).collect();
    let mut cents: Vec<i64> = raw.iter().map(|v| v.floor() as i64).collect();
    let mut left = total_cents - cents.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|a, b| {
        let fa = raw[*a] - raw[*a].floor();
        let fb = raw[*b] - raw[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    let mut k = 0;
    while left != 0 && !order.is_empty() {
        let i = order[k % order.len()];
        let step = left.signum();
        cents[i] += step;
        left -= step;
        k += 1;
    }

    let mean_roas = outlooks.iter().map(|o| o.expected_roas).sum::<f64>() / n;
    Ok(outlooks
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let s = cents[i] as f64 / total_cents as f64;
            let rank = if o.expected_roas > mean_roas * 1.05 {
                "above"
            } else if o.expected_roas < mean_roas * 0.95 {
                "below"
            } else {
                "at"
            };
            let mut reason = format!(
                "expected ROAS {:.2} ({}: {}), {rank} the mix average {:.2}: {:.1}% of the budget, {:.1} points of it exploration",
                o.expected_roas,
                o.source,
                o.evidence,
                mean_roas,
                s * 100.0,
                r.exploration_share / n * 100.0,
            );
            match pinned[i] {
                Some(v) if (v - r.cap_share).abs() < 1e-12 => reason.push_str(&format!(
                    "; capped at {:.0}% so no channel carries the plan alone",
                    r.cap_share * 100.0
                )),
                Some(v) if (v - r.floor_share).abs() < 1e-12 => reason.push_str(&format!(
                    "; raised to the {:.0}% floor so it gathers enough data",
                    r.floor_share * 100.0
                )),
                _ => {}
            }
            reason.push_str(&format!(" ({}).", format_cents(cents[i])));
            Allocation {
                channel: o.channel,
                budget_cents: cents[i],
                share: s,
                expected_roas: o.expected_roas,
                reason,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn o(channel: Channel, roas: f64) -> ChannelOutlook {
        ChannelOutlook {
            channel,
            expected_roas: roas,
            source: Source::Benchmark,
            evidence: "test".into(),
        }
    }

    #[test]
    fn better_channels_get_more_and_parts_sum_to_the_cent() {
        let a = plan(
            1_000_001,
            &[
                o(Channel::GoogleAds, 3.0),
                o(Channel::Meta, 1.5),
                o(Channel::Tiktok, 1.0),
            ],
            BudgetRules::default(),
        )
        .unwrap();
        assert_eq!(a.iter().map(|x| x.budget_cents).sum::<i64>(), 1_000_001);
        assert!(a[0].budget_cents > a[1].budget_cents && a[1].budget_cents > a[2].budget_cents);
        assert!(
            a[0].reason.contains("above the mix average"),
            "{}",
            a[0].reason
        );
    }

    #[test]
    fn caps_and_floors_bind() {
        let a = plan(
            100_000,
            &[
                o(Channel::GoogleAds, 50.0),
                o(Channel::Meta, 0.0),
                o(Channel::Email, 0.1),
            ],
            BudgetRules {
                floor_share: 0.1,
                cap_share: 0.6,
                exploration_share: 0.0,
            },
        )
        .unwrap();
        assert_eq!(a[0].budget_cents, 60_000);
        assert!(a[0].reason.contains("capped at 60%"));
        assert_eq!(a[1].budget_cents, 10_000);
        assert!(a[1].reason.contains("floor"));
        assert_eq!(a.iter().map(|x| x.budget_cents).sum::<i64>(), 100_000);
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let one = [o(Channel::Meta, 1.0)];
        let e = plan(0, &one, BudgetRules::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("budget_cents"), "{e}");
        let e = plan(100, &[o(Channel::Organic, 1.0)], BudgetRules::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("channels") && e.contains("organic"), "{e}");
        let e = plan(
            100,
            &[o(Channel::Meta, 1.0), o(Channel::Tiktok, 1.0)],
            BudgetRules {
                floor_share: 0.6,
                ..BudgetRules::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("floor_share"), "{e}");
        let e = plan(
            100,
            &[o(Channel::Meta, 1.0), o(Channel::Meta, 2.0)],
            BudgetRules::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("each channel once"), "{e}");
    }

    proptest! {
        #[test]
        fn any_plan_sums_exactly_and_respects_bounds(
            total in 1i64..10_000_000_000,
            roas in proptest::collection::vec(0.0f64..20.0, 1..6),
            explore in 0.0f64..0.5,
        ) {
            let channels = [Channel::GoogleAds, Channel::Meta, Channel::Tiktok, Channel::Email, Channel::Sms, Channel::Linkedin];
            let outlooks: Vec<_> = roas.iter().enumerate().map(|(i, r)| o(channels[i], *r)).collect();
            let n = outlooks.len() as f64;
            let rules = BudgetRules { floor_share: 0.5 / n, cap_share: (1.5 / n).min(1.0), exploration_share: explore };
            let a = plan(total, &outlooks, rules).unwrap();
            prop_assert_eq!(a.iter().map(|x| x.budget_cents).sum::<i64>(), total);
            for x in &a {
                prop_assert!(x.budget_cents >= 0);
                // Within a cent of the bounds (rounding).
                prop_assert!(x.budget_cents as f64 >= rules.floor_share * total as f64 - 1.0);
                prop_assert!(x.budget_cents as f64 <= rules.cap_share * total as f64 + 1.0);
            }
        }
    }
}
