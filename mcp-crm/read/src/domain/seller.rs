//! Sellers: the people leads are assigned to.

use promptsales_shared::{AppError, string_id};
use serde::{Deserialize, Serialize};

string_id! {
    /// A seller id (`sel_…` when generated; imported ids are kept).
    pub struct SellerId("seller_id", "sel_");
}

/// Longest seller name we store.
const MAX_NAME_CHARS: usize = 200;

/// A seller as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Seller {
    pub id: SellerId,
    pub name: String,
    /// Whether the seller takes new leads.
    pub active: bool,
    /// How many open leads the seller can handle; zero or more.
    pub capacity: i32,
}

impl Seller {
    /// Rules every stored seller obeys.
    pub fn validate(&self) -> Result<(), AppError> {
        let name_ok = !self.name.trim().is_empty()
            && self.name.chars().count() <= MAX_NAME_CHARS
            && !self.name.chars().any(char::is_control);
        if !name_ok {
            return Err(AppError::invalid(
                "name",
                "a name of 1-200 characters",
                self.name.clone(),
            ));
        }
        if self.capacity < 0 {
            return Err(AppError::invalid(
                "capacity",
                "zero or more",
                self.capacity.to_string(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seller() -> Seller {
        Seller {
            id: SellerId::parse("sel_1").unwrap(),
            name: "Ana Gómez".into(),
            active: true,
            capacity: 40,
        }
    }

    #[test]
    fn valid_seller_passes() {
        assert!(seller().validate().is_ok());
        let mut s = seller();
        s.capacity = 0;
        s.active = false;
        assert!(s.validate().is_ok());
    }

    #[test]
    fn capacity_cannot_be_negative() {
        let mut s = seller();
        s.capacity = -1;
        assert!(s.validate().unwrap_err().to_string().contains("`capacity`"));
    }

    #[test]
    fn name_is_required() {
        for bad in ["", "   ", "a\u{0}b"] {
            let mut s = seller();
            s.name = bad.into();
            assert!(
                s.validate().unwrap_err().to_string().contains("`name`"),
                "{bad:?}"
            );
        }
        let mut s = seller();
        s.name = "x".repeat(201);
        assert!(s.validate().is_err());
    }
}
