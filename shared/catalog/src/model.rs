//! Clients and products, parsed at the boundary.

use serde::{Deserialize, Serialize};

use promptsales_shared::domain::{ClientId, Country, Currency, ProductId, TimeZone};

/// One of the agency's customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub industry: String,
    pub country: Country,
    /// Where its schedules, digests and months run.
    pub time_zone: TimeZone,
}

impl Client {
    /// A client in its country's main time zone.
    pub fn new(
        id: ClientId,
        name: impl Into<String>,
        industry: impl Into<String>,
        country: Country,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            industry: industry.into(),
            country,
            time_zone: TimeZone::of_country(country),
        }
    }
}

/// A product a client sells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Product {
    pub id: ProductId,
    pub client_id: ClientId,
    pub name: String,
    pub category: String,
    /// Hundredths of `currency`.
    pub unit_price_cents: i64,
    pub currency: Currency,
}
