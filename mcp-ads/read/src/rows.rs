//! Row mappers of the `campaigns` and `ad_daily` tables, shared by the
//! readers here and the server's store so both decode rows one way.

use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Country, Currency};
use promptsales_shared::time::parse_date;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};

/// A campaign from a row with the columns `id, client_id, name, objective,
/// status, budget_cents, currency, start_date, end_date, channels,
/// countries`.
pub fn campaign_from_row(r: &AnyRow) -> Result<Campaign, AppError> {
    let channels: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("channels")?)
        .map_err(|e| AppError::Internal(format!("campaign channels: {e}")))?;
    let countries: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("countries")?)
        .map_err(|e| AppError::Internal(format!("campaign countries: {e}")))?;
    Ok(Campaign {
        id: CampaignId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        name: r.try_get("name")?,
        objective: Objective::parse(&r.try_get::<String, _>("objective")?)?,
        status: CampaignStatus::parse(&r.try_get::<String, _>("status")?)?,
        budget_cents: r.try_get("budget_cents")?,
        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
        start_date: parse_date("start_date", &r.try_get::<String, _>("start_date")?)?,
        end_date: parse_date("end_date", &r.try_get::<String, _>("end_date")?)?,
        channels: channels
            .iter()
            .map(|c| Channel::parse(c))
            .collect::<Result<_, _>>()?,
        countries: countries
            .iter()
            .map(|c| Country::parse(c))
            .collect::<Result<_, _>>()?,
    })
}

/// A daily delivery row from an `ad_daily` row.
pub fn ad_daily_from_row(r: &AnyRow) -> Result<AdDaily, AppError> {
    Ok(AdDaily {
        date: parse_date("date", &r.try_get::<String, _>("date")?)?,
        campaign_id: CampaignId::from_trusted(r.try_get("campaign_id")?),
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        impressions: r.try_get("impressions")?,
        reach: r.try_get("reach")?,
        clicks: r.try_get("clicks")?,
        spend_cents: r.try_get("spend_cents")?,
        conversions: r.try_get("conversions")?,
    })
}
