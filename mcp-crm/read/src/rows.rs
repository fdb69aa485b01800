//! Row mappers of the `leads`, `sales`, `sellers` and `interactions`
//! tables, shared by the readers here and the server's store so both
//! decode rows one way.

use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, ProductId};
use promptsales_shared::time::parse_ts;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::{
    Direction, Interaction, InteractionId, Lead, LeadId, LeadStage, Sale, SaleId, Seller, SellerId,
};

/// A lead from a row with (at least) `id, client_id, campaign_id, channel,
/// country, city, stage, score, seller_id, created_at`.
pub fn lead_from_row(r: &AnyRow) -> Result<Lead, AppError> {
    Ok(Lead {
        id: LeadId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        campaign_id: r.try_get("campaign_id")?,
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        city: r.try_get("city")?,
        stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
        score: r.try_get("score")?,
        seller_id: r
            .try_get::<Option<String>, _>("seller_id")?
            .map(SellerId::from_trusted),
        created_at: parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
    })
}

/// A sale from a row with `id, client_id, lead_id, campaign_id, product_id,
/// channel, country, city, amount_cents, currency, closed_at`.
pub fn sale_from_row(r: &AnyRow) -> Result<Sale, AppError> {
    Ok(Sale {
        id: SaleId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        lead_id: r
            .try_get::<Option<String>, _>("lead_id")?
            .map(LeadId::from_trusted),
        campaign_id: r.try_get("campaign_id")?,
        product_id: r
            .try_get::<Option<String>, _>("product_id")?
            .map(ProductId::from_trusted),
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        city: r.try_get("city")?,
        amount_cents: r.try_get("amount_cents")?,
        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
        closed_at: parse_ts("closed_at", &r.try_get::<String, _>("closed_at")?)?,
    })
}

/// A seller from a row with `id, name, active, capacity`.
pub fn seller_from_row(r: &AnyRow) -> Result<Seller, AppError> {
    Ok(Seller {
        id: SellerId::from_trusted(r.try_get("id")?),
        name: r.try_get("name")?,
        active: r.try_get::<i64, _>("active")? != 0,
        capacity: r.try_get("capacity")?,
    })
}

/// An interaction from a row with `id, lead_id, at, channel, direction,
/// text, sentiment`.
pub fn interaction_from_row(r: &AnyRow) -> Result<Interaction, AppError> {
    Ok(Interaction {
        id: InteractionId::from_trusted(r.try_get("id")?),
        lead_id: LeadId::from_trusted(r.try_get("lead_id")?),
        at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        direction: Direction::parse(&r.try_get::<String, _>("direction")?)?,
        text: r.try_get("text")?,
        sentiment: r.try_get("sentiment")?,
    })
}
