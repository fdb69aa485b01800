//! Meta Insights rows → daily metrics, each conversion counted once.
//!
//! Meta reports one event under several action types: a pixel lead is both
//! `lead` and `offsite_conversion.fb_pixel_lead`, a purchase is
//! `omni_purchase`, `purchase` and `offsite_conversion.fb_pixel_purchase`.
//! Summing them counts one conversion two or three times, so for each kind
//! of conversion the first type present in a row, in the order below (the
//! widest first), is the one read.

use chrono::NaiveDate;
use promptsales_shared::domain::Country;
use serde_json::Value;

use super::super::{ConnectorError, DailyMetrics, cents_of, count_of};
use super::P;

/// Lead conversions, widest first: `lead` covers on-Facebook forms and the
/// pixel's leads.
pub(super) const LEADS: &[&str] = &[
    "lead",
    "onsite_conversion.lead_grouped",
    "offsite_conversion.fb_pixel_lead",
];

/// Purchases, widest first: `omni_purchase` covers web, app and offline.
pub(super) const PURCHASES: &[&str] = &[
    "omni_purchase",
    "purchase",
    "offsite_conversion.fb_pixel_purchase",
];

/// One alias per kind of conversion, summed over kinds.
fn conversions(row: &Value, key: &str, value: fn(&Value) -> i64) -> i64 {
    let Some(actions) = row.get(key).and_then(Value::as_array) else {
        return 0;
    };
    let of = |t: &str| {
        actions
            .iter()
            .find(|a| a.get("action_type").and_then(Value::as_str) == Some(t))
            .map(|a| value(a.get("value").unwrap_or(&Value::Null)))
    };
    [LEADS, PURCHASES]
        .iter()
        .filter_map(|kind| kind.iter().find_map(|t| of(t)))
        .sum()
}

/// One Insights row (`time_increment=1`, `breakdowns=country`).
pub(super) fn row(r: &Value) -> Result<DailyMetrics, ConnectorError> {
    let date = r
        .get("date_start")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| ConnectorError::protocol(P, "insight row without date_start"))?;
    let field = |k: &str| r.get(k).unwrap_or(&Value::Null);
    Ok(DailyMetrics {
        date,
        country: r
            .get("country")
            .and_then(Value::as_str)
            .and_then(|c| Country::parse(c).ok()),
        impressions: count_of(field("impressions")),
        reach: count_of(field("reach")),
        clicks: count_of(field("clicks")),
        // Insights amounts are decimals in major units whatever the
        // currency's offset (only budgets and bids use the offset).
        spend_cents: cents_of(field("spend")),
        conversions: conversions(r, "actions", count_of),
        value_cents: conversions(r, "action_values", cents_of),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aliases_of_one_event_count_once() {
        let r = json!({"date_start": "2026-03-02", "spend": "10.5",
            "actions": [
                {"action_type": "lead", "value": "4"},
                {"action_type": "offsite_conversion.fb_pixel_lead", "value": "4"},
                {"action_type": "omni_purchase", "value": "2"},
                {"action_type": "purchase", "value": "2"},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"},
                {"action_type": "link_click", "value": "30"}],
            "action_values": [
                {"action_type": "purchase", "value": "99.90"},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "99.90"}]});
        let m = row(&r).unwrap();
        assert_eq!(
            (m.conversions, m.value_cents, m.spend_cents),
            (6, 9990, 1050)
        );
    }
}
