//! Interactions: messages and calls to and from a lead.

use chrono::{DateTime, Utc};
use promptsales_shared::domain::Channel;
use promptsales_shared::{AppError, string_id, vocabulary};
use serde::{Deserialize, Serialize};

use super::LeadId;

string_id! {
    /// An interaction id (`int_…` when generated; imported ids are kept).
    pub struct InteractionId("interaction_id", "int_");
}

vocabulary! {
    /// Who started the interaction: the lead (`in`) or the agency (`out`).
    pub enum Direction("direction") {
        In => "in",
        Out => "out",
    }
}

/// Longest interaction text we store.
const MAX_TEXT_CHARS: usize = 10_000;

/// One interaction with a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Interaction {
    pub id: InteractionId,
    pub lead_id: LeadId,
    pub at: DateTime<Utc>,
    pub channel: Channel,
    pub direction: Direction,
    pub text: String,
    /// From -1 (negative) to 1 (positive), when scored.
    pub sentiment: Option<f64>,
}

impl Interaction {
    /// Rules every stored interaction obeys.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.text.chars().count() > MAX_TEXT_CHARS {
            return Err(AppError::invalid(
                "text",
                "at most 10000 characters",
                self.text.clone(),
            ));
        }
        if let Some(s) = self.sentiment
            && !(s.is_finite() && (-1.0..=1.0).contains(&s))
        {
            return Err(AppError::invalid(
                "sentiment",
                "a number from -1 to 1, or none",
                s.to_string(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interaction() -> Interaction {
        Interaction {
            id: InteractionId::parse("int_1").unwrap(),
            lead_id: LeadId::parse("lead_1").unwrap(),
            at: "2026-03-01T15:00:00Z".parse().unwrap(),
            channel: Channel::Whatsapp,
            direction: Direction::In,
            text: "¿Tienen envío a Cali?".into(),
            sentiment: Some(0.4),
        }
    }

    #[test]
    fn valid_interaction_passes() {
        assert!(interaction().validate().is_ok());
        let mut i = interaction();
        i.sentiment = None;
        assert!(i.validate().is_ok());
        for edge in [-1.0, 1.0] {
            i.sentiment = Some(edge);
            assert!(i.validate().is_ok());
        }
    }

    #[test]
    fn sentiment_must_be_within_minus_one_and_one() {
        for bad in [1.5, -1.01, f64::NAN, f64::INFINITY] {
            let mut i = interaction();
            i.sentiment = Some(bad);
            let e = i.validate().unwrap_err().to_string();
            assert!(e.contains("`sentiment`"), "{bad}: {e}");
        }
    }

    #[test]
    fn text_is_bounded() {
        let mut i = interaction();
        i.text = "x".repeat(10_001);
        assert!(i.validate().unwrap_err().to_string().contains("`text`"));
    }

    #[test]
    fn directions_parse_from_wire_names() {
        assert_eq!(Direction::parse("OUT").unwrap(), Direction::Out);
        assert!(
            Direction::parse("inbound")
                .unwrap_err()
                .to_string()
                .contains("direction")
        );
    }
}
