//! Closed sales, credited to a channel and, when known, a lead and campaign.

use chrono::{DateTime, Utc};
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, ProductId, format_cents};
use promptsales_shared::{AppError, string_id};
use serde::{Deserialize, Serialize};

use super::{LeadId, check_campaign_id, check_city};

string_id! {
    /// A sale id (`sale_…` when generated; imported ids are kept).
    pub struct SaleId("sale_id", "sale_");
}

/// A sale as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sale {
    pub id: SaleId,
    pub client_id: ClientId,
    /// The lead that converted, if known.
    pub lead_id: Option<LeadId>,
    /// The campaign credited, if any (an ads-context id).
    pub campaign_id: Option<String>,
    pub product_id: Option<ProductId>,
    pub channel: Channel,
    pub country: Country,
    pub city: Option<String>,
    /// Hundredths of `currency`; always positive.
    pub amount_cents: i64,
    pub currency: Currency,
    pub closed_at: DateTime<Utc>,
}

impl Sale {
    /// Rules every stored sale obeys.
    pub fn validate(&self) -> Result<(), AppError> {
        check_campaign_id(self.campaign_id.as_deref())?;
        check_city(self.city.as_deref())?;
        if self.amount_cents <= 0 {
            return Err(AppError::invalid(
                "amount",
                "a positive amount",
                format_cents(self.amount_cents),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale() -> Sale {
        Sale {
            id: SaleId::parse("sale_1").unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            lead_id: Some(LeadId::parse("lead_1").unwrap()),
            campaign_id: None,
            product_id: Some(ProductId::parse("prd_1").unwrap()),
            channel: Channel::Web,
            country: Country::parse("MX").unwrap(),
            city: None,
            amount_cents: 125_050,
            currency: Currency::parse("MXN").unwrap(),
            closed_at: "2026-03-02T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn valid_sale_passes() {
        assert!(sale().validate().is_ok());
    }

    #[test]
    fn amount_must_be_positive() {
        for bad in [0, -100] {
            let mut s = sale();
            s.amount_cents = bad;
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains("`amount`"), "{e}");
        }
        let mut s = sale();
        s.amount_cents = -150;
        assert!(s.validate().unwrap_err().to_string().contains("-1.50"));
    }

    #[test]
    fn optional_references_are_checked() {
        let mut s = sale();
        s.campaign_id = Some("x y".into());
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("`campaign_id`")
        );
        let mut s = sale();
        s.city = Some(" ".into());
        assert!(s.validate().unwrap_err().to_string().contains("`city`"));
    }

    #[test]
    fn sale_id_has_its_prefix_and_field() {
        assert_eq!(SaleId::PREFIX, "sale_");
        assert!(
            SaleId::parse("")
                .unwrap_err()
                .to_string()
                .contains("sale_id")
        );
    }
}
