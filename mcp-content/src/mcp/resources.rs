//! The server's resources: the channel table, brand guidelines, assets and
//! their versions, a client's plan usage. Each declares the scope it needs (`content:read`, in its
//! `_meta` like a tool), is checked and audited when read (tool name
//! `resource:<uri>`), and is listed and served only when the toolset it
//! belongs to is selected.

use std::time::Instant;

use chrono::{SubsecRound, Utc};
use promptsales_server::auth::Principal;
use promptsales_server::call::needs;
use promptsales_server::error::rpc_error;
use promptsales_shared::AppError;
use promptsales_shared::audit::AuditEntry;
use promptsales_shared::domain::ClientId;
use promptsales_shared::scope::Scope;
use rmcp::ErrorData;
use rmcp::model::{ErrorCode, Resource, ResourceTemplate};

use super::ContentServer;
use super::brand::BrandAnswer;
use crate::domain::CHANNELS;

pub(super) const CHANNELS_URI: &str = "content://channels";

/// The scope every resource of this server needs.
pub const RESOURCE_SCOPE: Scope = Scope::ContentRead;

/// Longest resource URI written into the audit log (a URI is caller text).
const MAX_AUDITED_URI: usize = 200;

/// The toolset a resource URI belongs to: the channel table serves
/// generation, guidelines the brand toolset, assets the library.
fn toolset_of(uri: &str) -> Option<&'static str> {
    if uri == CHANNELS_URI {
        Some("generation")
    } else if uri.starts_with("content://brand/") {
        Some("brand")
    } else if uri.starts_with("content://assets/") {
        Some("library")
    } else if uri.starts_with("content://usage/") {
        Some("usage")
    } else {
        None
    }
}

/// JSON-RPC errors as audit kinds, named like tool errors where they can be.
fn error_kind(e: &ErrorData) -> String {
    match e.code {
        ErrorCode::RESOURCE_NOT_FOUND => "not_found".into(),
        ErrorCode::INVALID_PARAMS => "invalid_argument".into(),
        ErrorCode::INTERNAL_ERROR => "internal".into(),
        other => format!("rpc_{}", other.0.unsigned_abs()),
    }
}

impl ContentServer {
    /// The fixed resources of the selected toolsets.
    pub(super) fn resources(&self) -> Vec<Resource> {
        let mut out = Vec::new();
        if self.serves("generation") {
            out.push(
                Resource::new(CHANNELS_URI, "channels")
                    .with_title("Channel limits")
                    .with_description(
                        "Every channel's fields, limits and counting rules, and visual formats",
                    )
                    .with_mime_type("application/json")
                    .with_meta(needs(RESOURCE_SCOPE)),
            );
        }
        out
    }

    /// The resource templates of the selected toolsets.
    pub(super) fn templates(&self) -> Vec<ResourceTemplate> {
        let mut out = Vec::new();
        if self.serves("library") {
            out.push(
                ResourceTemplate::new("content://assets/{id}", "asset")
                    .with_title("Asset")
                    .with_description(
                        "An asset's current version, status, rights and where it is usable",
                    )
                    .with_mime_type("application/json")
                    .with_meta(needs(RESOURCE_SCOPE)),
            );
            out.push(
                ResourceTemplate::new("content://assets/{id}/versions/{n}", "asset-version")
                    .with_title("Asset version")
                    .with_description("One stored version of an asset")
                    .with_mime_type("application/json")
                    .with_meta(needs(RESOURCE_SCOPE)),
            );
        }
        if self.serves("brand") {
            out.push(
                ResourceTemplate::new("content://brand/{client_id}", "brand")
                    .with_title("Brand guidelines")
                    .with_description(
                        "A client's voice, banned words, disclaimers and preferred terms",
                    )
                    .with_mime_type("application/json")
                    .with_meta(needs(RESOURCE_SCOPE)),
            );
        }
        if self.serves("usage") {
            out.push(
                ResourceTemplate::new("content://usage/{client_id}", "usage")
                    .with_title("Plan usage")
                    .with_description(
                        "A client's generations, LLM tokens and seats this month against its \
                         content plan",
                    )
                    .with_mime_type("application/json")
                    .with_meta(needs(RESOURCE_SCOPE)),
            );
        }
        out
    }

    /// Reads resource `uri` for `who`: refused without `content:read`,
    /// unknown when its toolset is not served, and audited either way.
    pub(super) async fn read_audited(
        &self,
        uri: &str,
        who: &Principal,
    ) -> Result<String, ErrorData> {
        let started = Instant::now();
        let result = match who.require(RESOURCE_SCOPE) {
            Err(e) => Err(("permission_denied".to_owned(), rpc_error(e))),
            Ok(()) => self.read(uri, who).await.map_err(|e| (error_kind(&e), e)),
        };
        let tool: String = format!("resource:{uri}")
            .chars()
            .take(MAX_AUDITED_URI)
            .collect();
        let tenant = who.tenant.to_string();
        let (outcome, kind) = match &result {
            Ok(_) => ("ok", None),
            Err((kind, _)) => ("protocol_error", Some(kind.as_str())),
        };
        let entry = AuditEntry {
            actor: &who.subject,
            tenant: &tenant,
            server: self.auditor.server(),
            tool: &tool,
            outcome,
            error_kind: kind,
            error_ref: None,
            latency_us: started.elapsed().as_micros() as i64,
        };
        // Resource reads are few: the row is written before the answer.
        if let Err(e) = self.auditor.log().record(&entry).await {
            tracing::warn!(error = %e, "audit row of a resource read not written");
        }
        result.map_err(|(_, e)| e)
    }

    /// The JSON text of resource `uri` for `who` (scope already checked).
    async fn read(&self, uri: &str, who: &Principal) -> Result<String, ErrorData> {
        if !toolset_of(uri).is_some_and(|t| self.serves(t)) {
            return Err(self.unknown(uri));
        }
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
        if let Some(client) = uri.strip_prefix("content://usage/") {
            let usage = self
                .svc
                .usage(&who.tenant, client)
                .await
                .map_err(rpc_error)?;
            return json(serde_json::to_string_pretty(&usage));
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
        Err(self.unknown(uri))
    }

    /// Not found, naming what this server (with its toolsets) does serve.
    fn unknown(&self, uri: &str) -> ErrorData {
        let mut served: Vec<String> = self.resources().into_iter().map(|r| r.uri).collect();
        served.extend(self.templates().into_iter().map(|t| t.uri_template));
        let served = if served.is_empty() {
            "no resources with the toolsets it serves".to_owned()
        } else {
            served.join(", ")
        };
        ErrorData::resource_not_found(
            format!("unknown resource {uri}: this server has {served}"),
            None,
        )
    }
}
