//! The server's resources: the channel table, brand guidelines, assets and
//! their versions.

use chrono::{SubsecRound, Utc};
use promptsales_server::auth::Principal;
use promptsales_server::error::rpc_error;
use promptsales_shared::AppError;
use promptsales_shared::domain::ClientId;
use rmcp::ErrorData;
use rmcp::model::{Resource, ResourceTemplate};

use super::ContentServer;
use super::brand::BrandAnswer;
use crate::domain::CHANNELS;

pub(super) const CHANNELS_URI: &str = "content://channels";

/// The fixed resources.
pub(super) fn resources() -> Vec<Resource> {
    vec![
        Resource::new(CHANNELS_URI, "channels")
            .with_title("Channel limits")
            .with_description(
                "Every channel's fields, limits and counting rules, and visual formats",
            )
            .with_mime_type("application/json"),
    ]
}

/// The resource templates.
pub(super) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("content://assets/{id}", "asset")
            .with_title("Asset")
            .with_description("An asset's current version, status, rights and where it is usable")
            .with_mime_type("application/json"),
        ResourceTemplate::new("content://assets/{id}/versions/{n}", "asset-version")
            .with_title("Asset version")
            .with_description("One stored version of an asset")
            .with_mime_type("application/json"),
        ResourceTemplate::new("content://brand/{client_id}", "brand")
            .with_title("Brand guidelines")
            .with_description("A client's voice, banned words, disclaimers and preferred terms")
            .with_mime_type("application/json"),
    ]
}

impl ContentServer {
    /// The JSON text of resource `uri` for `who`.
    pub(super) async fn read(&self, uri: &str, who: &Principal) -> Result<String, ErrorData> {
        let json = |v: Result<String, serde_json::Error>| {
            v.map_err(|e| rpc_error(AppError::Internal(format!("resource JSON: {e}"))))
        };
        if uri == CHANNELS_URI {
            return json(serde_json::to_string_pretty(&serde_json::json!({
                "counting": {
                    "graphemes": "user-perceived characters: an emoji sequence, a flag or a letter with accents is one",
                    "google_width": "graphemes; East Asian wide characters and emoji count 2 (Google Ads)",
                    "x_weighted": "twitter-text v3: Latin-range code points 1, others 2, emoji 2, URLs 23",
                    "sms": "GSM-7 septets, extension table ^{}\\[~]|€ counts 2, limit 160; any other character → UCS-2 UTF-16 units, limit 70; one segment"
                },
                "channels": CHANNELS,
                "visuals": crate::domain::visual::VISUALS,
            })));
        }
        if let Some(client) = uri.strip_prefix("content://brand/") {
            let client = ClientId::parse(client).map_err(rpc_error)?;
            let brand = self
                .svc
                .brand(&who.tenant, &client)
                .await
                .map_err(rpc_error)?;
            return json(serde_json::to_string_pretty(&BrandAnswer {
                client_id: client.into_string(),
                brand,
            }));
        }
        if let Some(rest) = uri.strip_prefix("content://assets/") {
            if let Some((id, n)) = rest.split_once("/versions/") {
                let n: i32 = n.parse().map_err(|_| {
                    ErrorData::invalid_params(
                        format!("version in {uri}: expected a number from 1"),
                        None,
                    )
                })?;
                let versions = self
                    .svc
                    .asset_versions(&who.tenant, id)
                    .await
                    .map_err(rpc_error)?;
                let v = versions
                    .into_iter()
                    .find(|v| v.version == n)
                    .ok_or_else(|| {
                        ErrorData::resource_not_found(
                            format!("asset {id} has no version {n}"),
                            None,
                        )
                    })?;
                return json(serde_json::to_string_pretty(&v));
            }
            let now = Utc::now().trunc_subsecs(6);
            let view = self
                .svc
                .get_asset_view(&who.tenant, rest, now)
                .await
                .map_err(rpc_error)?;
            return json(serde_json::to_string_pretty(&view));
        }
        Err(ErrorData::resource_not_found(
            format!(
                "unknown resource {uri}: this server has {CHANNELS_URI}, content://brand/{{client_id}}, \
                 content://assets/{{id}} and content://assets/{{id}}/versions/{{n}}"
            ),
            None,
        ))
    }
}
