//! Clients and products, parsed at the boundary.

use serde::{Deserialize, Serialize};

use promptsales_shared::domain::{ClientId, Country, Currency, ProductId};

/// One of the agency's customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub industry: String,
    pub country: Country,
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
