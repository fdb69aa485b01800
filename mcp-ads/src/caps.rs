//! Spend caps enforced by the server: per campaign (its whole budget) and
//! per tenant per day (the daily spend its active campaigns commit), each
//! per currency, from configuration.

use std::collections::BTreeMap;

use promptsales_shared::AppError;
use promptsales_shared::domain::{Currency, format_cents, parse_cents};

/// Campaign budget cap variable.
pub const CAMPAIGN_CAP_VAR: &str = "PROMPTSALES_ADS_CAMPAIGN_BUDGET_CAP";
/// Tenant daily cap variable.
pub const DAILY_CAP_VAR: &str = "PROMPTSALES_ADS_TENANT_DAILY_CAP";

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
}

/// Both caps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpendCaps {
    pub campaign: Cap,
    pub tenant_daily: Cap,
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
        })
    }

    /// Refuses a campaign budget above the campaign cap, with the numbers.
    pub fn check_campaign(&self, budget_cents: i64, currency: Currency) -> Result<(), AppError> {
        if let Some(cap) = self.campaign.for_currency(currency)
            && budget_cents > cap
        {
            return Err(AppError::Conflict(format!(
                "spend cap: a campaign budget of {} {currency} exceeds the per-campaign cap of {} {currency} \
                 ({CAMPAIGN_CAP_VAR}); lower budget_cents to at most {cap}",
                format_cents(budget_cents),
                format_cents(cap),
            )));
        }
        Ok(())
    }

    /// Refuses a launch whose daily spend, added to what the tenant's
    /// active campaigns already commit per day, exceeds the daily cap.
    pub fn check_daily(
        &self,
        daily_cents: i64,
        committed_cents: i64,
        currency: Currency,
    ) -> Result<(), AppError> {
        if let Some(cap) = self.tenant_daily.for_currency(currency)
            && daily_cents + committed_cents > cap
        {
            return Err(AppError::Conflict(format!(
                "spend cap: launching adds {} {currency}/day to the {} {currency}/day the tenant's active campaigns \
                 already commit, {} {currency}/day in all, above the tenant daily cap of {} {currency} ({DAILY_CAP_VAR}); \
                 room left: {} {currency}/day",
                format_cents(daily_cents),
                format_cents(committed_cents),
                format_cents(daily_cents + committed_cents),
                format_cents(cap),
                format_cents((cap - committed_cents).max(0)),
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        let usd = Currency::parse("USD").unwrap();
        let e = caps.check_campaign(100_001, usd).unwrap_err().to_string();
        assert!(
            e.contains("1000.01 USD") && e.contains("1000.00 USD"),
            "{e}"
        );
        assert!(caps.check_campaign(100_000, usd).is_ok());
        let e = caps.check_daily(6_000, 5_000, usd).unwrap_err().to_string();
        assert!(
            e.contains("60.00")
                && e.contains("50.00")
                && e.contains("110.00")
                && e.contains("100.00"),
            "{e}"
        );
        assert!(caps.check_daily(5_000, 5_000, usd).is_ok());
    }
}
