//! Spend caps enforced by the server — per campaign (its whole budget) and
//! per tenant per day (the daily spend its active campaigns commit), each
//! per currency — and the settings that govern money movement: the
//! deployment profile (`production` requires caps) and how long a launch
//! claim lives without a refresh.

use std::collections::BTreeMap;
use std::time::Duration;

use promptsales_shared::AppError;
use promptsales_shared::domain::{Currency, format_cents, parse_cents};

/// Campaign budget cap variable.
pub const CAMPAIGN_CAP_VAR: &str = "PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP";
/// Tenant daily cap variable.
pub const DAILY_CAP_VAR: &str = "PROMPTSALES_ADS_TENANT_DAILY_CAP";
/// Deployment profile variable: `development` (default) or `production`.
pub const PROFILE_VAR: &str = "PROMPTSALES_PROFILE";
/// Seconds a launch claim lives without a refresh (then it is stale and
/// another launch may take it over).
pub const CLAIM_TTL_VAR: &str = "PROMPTSALES_ADS_LAUNCH_CLAIM_TTL_SECS";
/// Five minutes: a running launch refreshes its claim every third of it.
pub const DEFAULT_CLAIM_TTL: Duration = Duration::from_secs(300);

/// A cap for every currency, or per currency: `50000`, or
/// `USD=50000,MXN=900000,*=100000` (`*` for the others). Amounts are
/// decimal major units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cap {
    pub default: Option<i64>,
    pub per_currency: BTreeMap<String, i64>,
}

impl Cap {
    pub fn parse(var: &str, raw: &str) -> Result<Self, AppError> {
        let mut cap = Cap::default();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                None => cap.default = Some(parse_cents(var, part)?),
                Some(("*", v)) => cap.default = Some(parse_cents(var, v.trim())?),
                Some((c, v)) => {
                    let cur = Currency::parse_field(var, c.trim())?;
                    cap.per_currency
                        .insert(cur.as_str().to_owned(), parse_cents(var, v.trim())?);
                }
            }
        }
        Ok(cap)
    }

    pub fn for_currency(&self, c: Currency) -> Option<i64> {
        self.per_currency.get(c.as_str()).copied().or(self.default)
    }

    /// Whether anything is configured.
    pub fn is_set(&self) -> bool {
        self.default.is_some() || !self.per_currency.is_empty()
    }
}

/// Both caps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpendCaps {
    pub campaign: Cap,
    pub tenant_daily: Cap,
    /// Production: a currency without a cap cannot be spent in (fail
    /// closed) instead of being unlimited.
    pub required: bool,
}

impl SpendCaps {
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, AppError> {
        Ok(Self {
            campaign: env(CAMPAIGN_CAP_VAR)
                .map(|v| Cap::parse(CAMPAIGN_CAP_VAR, &v))
                .transpose()?
                .unwrap_or_default(),
            tenant_daily: env(DAILY_CAP_VAR)
                .map(|v| Cap::parse(DAILY_CAP_VAR, &v))
                .transpose()?
                .unwrap_or_default(),
            required: false,
        })
    }

    fn cap_of(&self, cap: &Cap, var: &str, currency: Currency) -> Result<Option<i64>, AppError> {
        match cap.for_currency(currency) {
            Some(c) => Ok(Some(c)),
            None if self.required => Err(AppError::Conflict(format!(
                "spend cap: no cap is configured for {currency} in {var} and this server runs the \
                 production profile, which spends only under a cap: add {currency}=… or *=… to {var}; \
                 nothing was changed"
            ))),
            None => Ok(None),
        }
    }

    /// Refuses a campaign budget of `requested` above the campaign cap,
    /// with the numbers (`current`: the campaign's budget now, 0 for a new
    /// one).
    pub fn check_campaign(
        &self,
        requested: i64,
        current: i64,
        currency: Currency,
    ) -> Result<(), AppError> {
        if let Some(cap) = self.cap_of(&self.campaign, CAMPAIGN_CAP_VAR, currency)?
            && requested > cap
        {
            return Err(AppError::Conflict(format!(
                "spend cap: a campaign budget of {} {currency} exceeds the per-campaign cap of {} {currency} \
                 ({CAMPAIGN_CAP_VAR}): cap {} {currency}, current {} {currency}, requested {} {currency}; \
                 lower budget_cents to at most {cap}",
                format_cents(requested),
                format_cents(cap),
                format_cents(cap),
                format_cents(current),
                format_cents(requested),
            )));
        }
        Ok(())
    }

    /// Refuses `action` (e.g. "launching campaign `cmp_1`") when the
    /// `requested` daily spend, added to the `current` daily spend of the
    /// tenant's other active campaigns, exceeds the daily cap — with the
    /// cap, current, requested amounts and the currency.
    pub fn check_daily(
        &self,
        action: &str,
        requested: i64,
        current: i64,
        currency: Currency,
    ) -> Result<(), AppError> {
        if let Some(cap) = self.cap_of(&self.tenant_daily, DAILY_CAP_VAR, currency)?
            && requested + current > cap
        {
            return Err(AppError::Conflict(format!(
                "spend cap: {action} would exceed the tenant daily cap ({DAILY_CAP_VAR}): cap {} {currency}/day, \
                 current {} {currency}/day (the tenant's active campaigns), requested {} {currency}/day, \
                 {} {currency}/day in all; room left: {} {currency}/day. Nothing was changed",
                format_cents(cap),
                format_cents(current),
                format_cents(requested),
                format_cents(requested + current),
                format_cents((cap - current).max(0)),
            )));
        }
        Ok(())
    }
}

/// The deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Development,
    /// Spends only under configured caps; refuses to start without them.
    Production,
}

/// What governs money movement in this server.
#[derive(Debug, Clone, PartialEq)]
pub struct AdsSettings {
    pub profile: Profile,
    pub caps: SpendCaps,
    pub launch_claim_ttl: Duration,
}

impl AdsSettings {
    /// From configuration variables; the production profile without both
    /// caps is a start error naming what to set.
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, AppError> {
        let profile = match env(PROFILE_VAR).as_deref().map(str::trim) {
            None | Some("") | Some("development") => Profile::Development,
            Some("production") => Profile::Production,
            Some(other) => {
                return Err(AppError::invalid(
                    PROFILE_VAR,
                    "development or production",
                    other,
                ));
            }
        };
        let mut caps = SpendCaps::from_lookup(env)?;
        if profile == Profile::Production {
            let missing: Vec<&str> = [
                (!caps.campaign.is_set()).then_some(CAMPAIGN_CAP_VAR),
                (!caps.tenant_daily.is_set()).then_some(DAILY_CAP_VAR),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !missing.is_empty() {
                return Err(AppError::invalid(
                    PROFILE_VAR,
                    format!(
                        "spend caps with the production profile: set {} (e.g. `USD=50000,*=100000`)",
                        missing.join(" and ")
                    ),
                    "production without them",
                ));
            }
            caps.required = true;
        }
        let launch_claim_ttl = match env(CLAIM_TTL_VAR) {
            None => DEFAULT_CLAIM_TTL,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(s) if (1..=3600).contains(&s) => Duration::from_secs(s),
                _ => {
                    return Err(AppError::invalid(
                        CLAIM_TTL_VAR,
                        "seconds from 1 to 3600",
                        v,
                    ));
                }
            },
        };
        Ok(Self {
            profile,
            caps,
            launch_claim_ttl,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn caps_parse_globally_and_per_currency() {
        let c = Cap::parse("X", "USD=500, *=1000.50").unwrap();
        assert_eq!(
            c.for_currency(Currency::parse("USD").unwrap()),
            Some(50_000)
        );
        assert_eq!(
            c.for_currency(Currency::parse("MXN").unwrap()),
            Some(100_050)
        );
        assert!(
            Cap::parse("X", "USD=abc")
                .unwrap_err()
                .to_string()
                .contains("`X`")
        );
        assert!(Cap::parse("X", "ZZZ=1").is_err());
    }

    #[test]
    fn refusals_carry_the_numbers() {
        let caps = SpendCaps {
            campaign: Cap::parse("c", "1000").unwrap(),
            tenant_daily: Cap::parse("d", "100").unwrap(),
            required: false,
        };
        let usd = Currency::parse("USD").unwrap();
        let e = caps
            .check_campaign(100_001, 90_000, usd)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cap 1000.00 USD")
                && e.contains("current 900.00 USD")
                && e.contains("requested 1000.01 USD"),
            "{e}"
        );
        assert!(caps.check_campaign(100_000, 0, usd).is_ok());
        let e = caps
            .check_daily("resuming campaign `cmp_1`", 6_000, 5_000, usd)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("resuming campaign `cmp_1`")
                && e.contains("cap 100.00 USD/day")
                && e.contains("current 50.00 USD/day")
                && e.contains("requested 60.00 USD/day")
                && e.contains("110.00"),
            "{e}"
        );
        assert!(caps.check_daily("x", 5_000, 5_000, usd).is_ok());
    }

    #[test]
    fn production_requires_caps_and_fails_closed_on_other_currencies() {
        let e = AdsSettings::from_lookup(&lookup(&[("PROMPTSALES_PROFILE", "production")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(CAMPAIGN_CAP_VAR) && e.contains(DAILY_CAP_VAR) && e.contains(PROFILE_VAR),
            "{e}"
        );
        let e = AdsSettings::from_lookup(&lookup(&[
            ("PROMPTSALES_PROFILE", "production"),
            (CAMPAIGN_CAP_VAR, "USD=1000"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(DAILY_CAP_VAR) && !e.contains(CAMPAIGN_CAP_VAR),
            "{e}"
        );
        let s = AdsSettings::from_lookup(&lookup(&[
            ("PROMPTSALES_PROFILE", "production"),
            (CAMPAIGN_CAP_VAR, "USD=1000"),
            (DAILY_CAP_VAR, "USD=100"),
        ]))
        .unwrap();
        assert_eq!(s.profile, Profile::Production);
        let mxn = Currency::parse("MXN").unwrap();
        let e = s.caps.check_campaign(1, 0, mxn).unwrap_err().to_string();
        assert!(e.contains("no cap is configured for MXN"), "{e}");
        assert!(s.caps.check_daily("x", 1, 0, mxn).is_err());
        // Development: unlimited where nothing is configured.
        let dev = AdsSettings::from_lookup(&lookup(&[])).unwrap();
        assert_eq!(
            (dev.profile, dev.launch_claim_ttl),
            (Profile::Development, DEFAULT_CLAIM_TTL)
        );
        assert!(dev.caps.check_campaign(i64::MAX, 0, mxn).is_ok());
        assert!(AdsSettings::from_lookup(&lookup(&[("PROMPTSALES_PROFILE", "prod")])).is_err());
        let ttl = AdsSettings::from_lookup(&lookup(&[(CLAIM_TTL_VAR, "2")])).unwrap();
        assert_eq!(ttl.launch_claim_ttl, Duration::from_secs(2));
        assert!(AdsSettings::from_lookup(&lookup(&[(CLAIM_TTL_VAR, "0")])).is_err());
    }
}
