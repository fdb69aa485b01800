//! Alerts for a person on the agenda: a platform connection (a Meta long-lived token) whose credentials expire within a week, raised once per connection and expiry from `ads.list_connections`.

use chrono::{DateTime, Utc};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::format_ts;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{CallOpts, Tools};
use crate::pipeline::runner::stable_suffix;
use crate::pipeline::store::RunStore;

/// Connections expiring within this many days are raised.
pub const EXPIRY_WINDOW_DAYS: i64 = 7;

/// The agenda kind of the alert (handled by a person, never by the
/// scheduler).
pub const EXPIRY_KIND: &str = "connection_expiry";

/// A connection that expires soon (or already has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expiring {
    pub client_id: String,
    pub channel: String,
    pub expires_at: String,
    pub expires_in_days: i64,
}

impl Expiring {
    /// The alert's id: one per connection and expiry date, so a daily check
    /// raises it once and a renewed token (a new expiry) raises a new one.
    pub fn alert_id(&self) -> String {
        format!(
            "agd_expiry_{}",
            stable_suffix(&format!(
                "{}/{}/{}",
                self.client_id, self.channel, self.expires_at
            ))
        )
    }

    pub fn message(&self) -> String {
        let when = match self.expires_in_days {
            d if d < 0 => format!("expired {} day(s) ago", -d),
            0 => "expires today".to_owned(),
            1 => "expires tomorrow".to_owned(),
            d => format!("expires in {d} days"),
        };
        format!(
            "The {} connection of {} {when} ({}): renew its token and store it with \
             ads.set_connection, or launches and metric syncs on {} stop working.",
            self.channel, self.client_id, self.expires_at, self.channel
        )
    }
}

/// The connections of `ads.list_connections`' answer that expire within
/// the window: by `expires_in_days` when given, else computed from
/// `expires_at`; connections without an expiry are never raised.
pub fn expiring(listed: &Value, now: DateTime<Utc>) -> Vec<Expiring> {
    let items = listed
        .get("connections")
        .or_else(|| listed.get("items"))
        .unwrap_or(listed);
    let Some(items) = items.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| {
            let expires_at = c["expires_at"].as_str()?.to_owned();
            let days = c["expires_in_days"].as_i64().or_else(|| {
                DateTime::parse_from_rfc3339(&expires_at)
                    .ok()
                    .map(|t| (t.with_timezone(&Utc) - now).num_days())
            })?;
            (days <= EXPIRY_WINDOW_DAYS).then(|| Expiring {
                client_id: c["client_id"].as_str().unwrap_or("").to_owned(),
                channel: c["channel"].as_str().unwrap_or("").to_owned(),
                expires_at,
                expires_in_days: days,
            })
        })
        .collect()
}

/// The daily check: lists the connections through the ads server and
/// puts an alert on the agenda for each one expiring within the window
/// that has none yet. Returns what it saw and raised.
pub async fn check_connections(
    tools: &dyn Tools,
    runs: &RunStore,
    tenant: &TenantId,
) -> Result<Value, String> {
    let listed = tools
        .call(
            "ads.list_connections",
            json!({ "expiring_within_days": EXPIRY_WINDOW_DAYS }),
            CallOpts::default(),
        )
        .await
        .map_err(|e| {
            let e = e.to_string();
            // Listing connections is an administrator's read: say who
            // must hold what, not just "denied".
            if e.contains("`admin`") {
                format!(
                    "{e} — the daily connection check lists every client's connections, which \
                     needs `admin`: run the scheduler (`promptsales serve`) with admin in \
                     PROMPTSALES_SCOPES"
                )
            } else {
                e
            }
        })?;
    let now = Utc::now();
    let soon = expiring(&listed, now);
    let mut raised = Vec::new();
    for e in &soon {
        let created = runs
            .schedule_task(
                tenant,
                &e.alert_id(),
                None,
                EXPIRY_KIND,
                &format_ts(now),
                &json!({
                    "client_id": e.client_id,
                    "channel": e.channel,
                    "expires_at": e.expires_at,
                    "expires_in_days": e.expires_in_days,
                    "message": e.message(),
                }),
            )
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "storing an expiry alert failed");
                "the expiry alert could not be stored; the details are in the orchestrator's log"
                    .to_owned()
            })?;
        if created {
            raised.push(e.alert_id());
        }
    }
    Ok(json!({ "expiring": soon, "raised": raised }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn only_connections_expiring_within_a_week_are_raised() {
        let now: DateTime<Utc> = "2026-12-01T06:00:00Z".parse().unwrap();
        let listed = json!({"connections": [
            {"client_id": "cli_001", "channel": "meta", "expires_at": "2026-12-04T00:00:00Z", "expires_in_days": 2, "status": "ok"},
            {"client_id": "cli_002", "channel": "meta", "expires_at": "2027-01-30T00:00:00Z", "expires_in_days": 59, "status": "ok"},
            {"client_id": "cli_003", "channel": "google_ads", "expires_at": null, "status": "ok"},
            {"client_id": "cli_004", "channel": "meta", "expires_at": "2026-11-28T00:00:00Z", "status": "expired"},
        ]});
        let soon = expiring(&listed, now);
        assert_eq!(soon.len(), 2, "{soon:?}");
        assert_eq!(soon[0].client_id, "cli_001");
        assert_eq!(soon[1].expires_in_days, -3);
        assert!(soon[1].message().contains("expired 3 day(s) ago"));
        assert!(soon[0].message().contains("expires in 2 days"));
        // One id per connection and expiry; a renewed token is a new one.
        let mut renewed = soon[0].clone();
        assert_eq!(renewed.alert_id(), soon[0].alert_id());
        renewed.expires_at = "2027-02-01T00:00:00Z".into();
        assert_ne!(renewed.alert_id(), soon[0].alert_id());
        assert!(expiring(&json!({"nothing": true}), now).is_empty());
    }
}
