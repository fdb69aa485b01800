//! Daily ad performance: one row per campaign × date × channel × country.

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Country};
use serde::{Deserialize, Serialize};

use super::CampaignId;

/// Delivery of one campaign on one channel in one country on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdDaily {
    pub date: NaiveDate,
    pub campaign_id: CampaignId,
    pub channel: Channel,
    pub country: Country,
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    /// Hundredths of the campaign's currency.
    pub spend_cents: i64,
    pub conversions: i64,
}

impl AdDaily {
    /// The row's natural key, also its id for delta sync.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.campaign_id, self.date, self.channel, self.country
        )
    }

    /// Counts are never negative, and a funnel never widens: reach ≤
    /// impressions, clicks ≤ impressions.
    pub fn validate(&self) -> Result<(), AppError> {
        for (field, v) in [
            ("impressions", self.impressions),
            ("reach", self.reach),
            ("clicks", self.clicks),
            ("spend", self.spend_cents),
            ("conversions", self.conversions),
        ] {
            if v < 0 {
                return Err(AppError::invalid(field, "zero or more", v.to_string()));
            }
        }
        if self.reach > self.impressions {
            return Err(AppError::invalid(
                "reach",
                format!("at most impressions ({})", self.impressions),
                self.reach.to_string(),
            ));
        }
        if self.clicks > self.impressions {
            return Err(AppError::invalid(
                "clicks",
                format!("at most impressions ({})", self.impressions),
                self.clicks.to_string(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AdDaily {
        AdDaily {
            date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            campaign_id: CampaignId::parse("cmp_1").unwrap(),
            channel: Channel::Meta,
            country: Country::parse("MX").unwrap(),
            impressions: 1000,
            reach: 800,
            clicks: 30,
            spend_cents: 12_345,
            conversions: 2,
        }
    }

    #[test]
    fn valid_row_passes_and_key_is_stable() {
        assert!(row().validate().is_ok());
        assert_eq!(row().key(), "cmp_1:2026-03-01:meta:MX");
    }

    #[test]
    fn negative_spend_is_rejected_by_name() {
        let mut r = row();
        r.spend_cents = -1;
        assert!(r.validate().unwrap_err().to_string().contains("`spend`"));
    }

    #[test]
    fn clicks_cannot_exceed_impressions() {
        let mut r = row();
        r.clicks = 2000;
        assert!(r.validate().unwrap_err().to_string().contains("`clicks`"));
    }
}
