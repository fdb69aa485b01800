//! The server's resources: the channel catalogue with connector status,
//! and each campaign with its performance.

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Vocabulary};
use rmcp::model::{Resource, ResourceTemplate};
use serde_json::json;

use super::AdsServer;
use crate::domain::benchmarks::{Platform, benchmark};

pub(super) const CHANNELS_URI: &str = "ads://channels";

/// The fixed resources.
pub(super) fn resources() -> Vec<Resource> {
    vec![
        Resource::new(CHANNELS_URI, "channels")
            .with_title("Channels")
            .with_description("Every channel: its platform, connector status (live or sandbox, missing variables), what launching creates, and its benchmark")
            .with_mime_type("application/json"),
    ]
}

/// The resources addressed by campaign id.
pub(super) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("ads://campaigns/{id}", "campaign")
            .with_title("Campaign")
            .with_description(
                "A campaign with its plan, audience, approval, publications and history",
            )
            .with_mime_type("application/json"),
        ResourceTemplate::new("ads://campaigns/{id}/performance", "campaign-performance")
            .with_title("Campaign performance")
            .with_description("Stored delivery: totals, per channel, daily, pacing and KPI targets")
            .with_mime_type("application/json"),
    ]
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(format!("encode resource: {e}")))
}

impl AdsServer {
    /// The body of the resource at `uri`.
    pub(super) async fn read(
        &self,
        uri: &str,
        who: &Principal,
    ) -> Result<serde_json::Value, AppError> {
        if uri == CHANNELS_URI {
            let status = self.svc.connectors().status();
            let channels: Vec<_> = Channel::ALL
                .iter()
                .filter(|c| c.is_paid())
                .map(|c| {
                    let platform = Platform::of(*c);
                    let conn = status.iter().find(|s| s.platform == platform.as_str());
                    json!({
                        "channel": c,
                        "platform": platform,
                        "connector": conn.map_or("sandbox", |s| s.mode.as_str()),
                        "missing_configuration": conn.map(|s| s.missing.clone()).unwrap_or_default(),
                        "spec": platform.spec(),
                        "benchmark": benchmark(*c),
                    })
                })
                .collect();
            return Ok(json!({
                "channels": channels,
                "connectors": status,
                "benchmark_sources": "WordStream/LocaliQ 2024 search and Facebook benchmarks, LinkedIn Marketing Solutions, Mailchimp email benchmarks, Twilio/Attentive SMS benchmarks (cross-industry medians; costs in US cents)",
            }));
        }
        let rest = uri.strip_prefix("ads://campaigns/").ok_or_else(|| {
            AppError::not_found("resource", format!("{uri} (this server has {CHANNELS_URI}, ads://campaigns/{{id}} and ads://campaigns/{{id}}/performance)"))
        })?;
        match rest.split_once('/') {
            None => to_json(&self.svc.view(&who.tenant, rest).await?),
            Some((id, "performance")) => to_json(
                &self
                    .svc
                    .performance(&who.tenant, id, None, None, false)
                    .await?,
            ),
            Some(_) => Err(AppError::not_found("resource", uri)),
        }
    }
}
