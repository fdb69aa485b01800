//! The crm types other contexts share: leads and their stages, sales,
//! sellers and interactions, with the rules every stored row obeys.

mod interaction;
mod lead;
mod sale;
mod seller;

pub use interaction::{Direction, Interaction, InteractionId};
pub use lead::{Lead, LeadId, LeadStage};
pub use sale::{Sale, SaleId};
pub use seller::{Seller, SellerId};

use promptsales_shared::AppError;
use promptsales_shared::domain::validate_id;

/// Longest city name we store.
const MAX_CITY_CHARS: usize = 100;

/// An optional campaign reference: a valid id with no surrounding spaces
/// (campaigns live in the ads context, so only the shape is checked here).
pub(crate) fn check_campaign_id(campaign_id: Option<&str>) -> Result<(), AppError> {
    let Some(raw) = campaign_id else {
        return Ok(());
    };
    let id = validate_id("campaign_id", raw)?;
    if id != raw {
        return Err(AppError::invalid(
            "campaign_id",
            "an id without surrounding spaces",
            raw,
        ));
    }
    Ok(())
}

/// An optional city: when present, 1-100 characters, not blank, no control
/// characters and no surrounding spaces (an empty CSV cell means "none").
pub(crate) fn check_city(city: Option<&str>) -> Result<(), AppError> {
    let Some(city) = city else {
        return Ok(());
    };
    let ok = !city.trim().is_empty()
        && city.trim() == city
        && city.chars().count() <= MAX_CITY_CHARS
        && !city.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "city",
            "a city name of 1-100 characters without surrounding spaces, or none",
            city,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_ids_are_checked_for_shape() {
        assert!(check_campaign_id(None).is_ok());
        assert!(check_campaign_id(Some("cmp_1")).is_ok());
        for bad in ["", " cmp_1", "cmp 1", "cmp;drop"] {
            let e = check_campaign_id(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("campaign_id"), "{bad}: {e}");
        }
    }

    #[test]
    fn cities_are_trimmed_names_or_none() {
        assert!(check_city(None).is_ok());
        assert!(check_city(Some("Bogotá")).is_ok());
        for bad in ["", "  ", " Lima", "a\nb"] {
            let e = check_city(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("city"), "{bad:?}: {e}");
        }
        assert!(check_city(Some(&"x".repeat(101))).is_err());
        assert!(check_city(Some(&"é".repeat(100))).is_ok());
    }
}
