//! Leads and their funnel stages.

use chrono::{DateTime, Utc};
use promptsales_shared::domain::{Channel, ClientId, Country};
use promptsales_shared::{AppError, string_id, vocabulary};
use serde::{Deserialize, Serialize};

use super::{SellerId, check_campaign_id, check_city};

string_id! {
    /// A lead id (`lead_…` when generated; imported ids are kept).
    pub struct LeadId("lead_id", "lead_");
}

vocabulary! {
    /// Where a lead is in the funnel: information-, marketing- and
    /// sales-qualified, then won (`customer`) or `lost`.
    pub enum LeadStage("stage") {
        Iql => "iql",
        Mql => "mql",
        Sql => "sql",
        Customer => "customer",
        Lost => "lost",
    }
}

/// A lead as stored (personal data lives apart, encrypted, and is not part
/// of this type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lead {
    pub id: LeadId,
    pub client_id: ClientId,
    /// The campaign the lead came from, if any (an ads-context id).
    pub campaign_id: Option<String>,
    /// The channel the lead came from.
    pub channel: Channel,
    pub country: Country,
    pub city: Option<String>,
    pub stage: LeadStage,
    /// Lead score, 0-100.
    pub score: i32,
    /// The seller the lead is assigned to, if any.
    pub seller_id: Option<SellerId>,
    pub created_at: DateTime<Utc>,
}

impl Lead {
    /// Lowest and highest lead score.
    pub const SCORE_RANGE: std::ops::RangeInclusive<i32> = 0..=100;

    /// Rules every stored lead obeys.
    pub fn validate(&self) -> Result<(), AppError> {
        check_campaign_id(self.campaign_id.as_deref())?;
        check_city(self.city.as_deref())?;
        if !Self::SCORE_RANGE.contains(&self.score) {
            return Err(AppError::invalid(
                "score",
                "a score from 0 to 100",
                self.score.to_string(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead() -> Lead {
        Lead {
            id: LeadId::parse("lead_1").unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            campaign_id: Some("cmp_1".into()),
            channel: Channel::Meta,
            country: Country::parse("CO").unwrap(),
            city: Some("Medellín".into()),
            stage: LeadStage::Mql,
            score: 70,
            seller_id: None,
            created_at: "2026-03-01T14:30:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn valid_lead_passes() {
        assert!(lead().validate().is_ok());
        let mut l = lead();
        l.campaign_id = None;
        l.city = None;
        l.score = 0;
        assert!(l.validate().is_ok());
        l.score = 100;
        assert!(l.validate().is_ok());
    }

    #[test]
    fn score_must_be_within_0_and_100() {
        for bad in [-1, 101] {
            let mut l = lead();
            l.score = bad;
            let e = l.validate().unwrap_err().to_string();
            assert!(e.contains("`score`"), "{e}");
        }
    }

    #[test]
    fn bad_campaign_id_and_city_are_named() {
        let mut l = lead();
        l.campaign_id = Some("not an id".into());
        assert!(
            l.validate()
                .unwrap_err()
                .to_string()
                .contains("`campaign_id`")
        );
        let mut l = lead();
        l.city = Some(String::new());
        assert!(l.validate().unwrap_err().to_string().contains("`city`"));
    }

    #[test]
    fn stages_parse_from_wire_names() {
        assert_eq!(LeadStage::parse(" SQL ").unwrap(), LeadStage::Sql);
        let e = LeadStage::parse("won").unwrap_err().to_string();
        assert!(e.contains("stage") && e.contains("customer"), "{e}");
    }

    #[test]
    fn ids_keep_their_field_name() {
        let e = LeadId::parse("bad id").unwrap_err().to_string();
        assert!(e.contains("lead_id"), "{e}");
        assert_eq!(LeadId::PREFIX, "lead_");
    }

    #[test]
    fn serializes_with_wire_names() {
        let v = serde_json::to_value(lead()).unwrap();
        assert_eq!(v["stage"], "mql");
        assert_eq!(v["channel"], "meta");
        assert_eq!(v["country"], "CO");
        let back: Lead = serde_json::from_value(v).unwrap();
        assert_eq!(back, lead());
    }
}
