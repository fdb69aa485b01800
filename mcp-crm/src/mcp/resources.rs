//! The server's resources: the pipeline, the sellers' leaderboard and the
//! tenant-wide knowledge base, each also per client (`…/{client_id}`:
//! the client's pipeline, its sellers' figures on its leads, the answers
//! its leads may be told), the client's plan usage and each lead's 360°
//! view. Each declares the scope it needs in its `_meta` (`crm:read`,
//! checked when read, over stdio too), belongs to a toolset (listed and
//! served only when that toolset is), and every read is audited like a
//! tool call, as `resource:<uri>`.

use std::time::Instant;

use promptsales_server::ToolError;
use promptsales_server::auth::Principal;
use promptsales_server::call::needs;
use promptsales_shared::AppError;
use promptsales_shared::audit::AuditEntry;
use promptsales_shared::scope::Scope;
use rmcp::ErrorData;
use rmcp::model::{Resource, ResourceTemplate};

use super::CrmServer;

const PIPELINE_URI: &str = "crm://pipeline";
const SELLERS_URI: &str = "crm://sellers";
const KB_URI: &str = "crm://knowledge-base";
const LEAD_PREFIX: &str = "crm://leads/";
const PIPELINE_PREFIX: &str = "crm://pipeline/";
const SELLERS_PREFIX: &str = "crm://sellers/";
const KB_PREFIX: &str = "crm://knowledge-base/";
const USAGE_PREFIX: &str = "crm://usage/";

/// The scope every resource of this server needs: they only read.
const RESOURCE_SCOPE: Scope = Scope::CrmRead;

/// A fixed resource and the toolset it is served with.
struct Fixed {
    uri: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    toolset: &'static str,
}

const FIXED: &[Fixed] = &[
    Fixed {
        uri: PIPELINE_URI,
        name: "pipeline",
        title: "Pipeline",
        description: "Leads and average score per funnel stage, with the thresholds",
        toolset: "leads",
    },
    Fixed {
        uri: SELLERS_URI,
        name: "sellers",
        title: "Sellers",
        description: "The sales team with load, conversions and revenue (leaderboard)",
        toolset: "sellers",
    },
    Fixed {
        uri: KB_URI,
        name: "knowledge-base",
        title: "Knowledge base",
        description: "The tenant-wide answers (every client's leads may be told them); a client's own are at crm://knowledge-base/{client_id}",
        toolset: "conversations",
    },
];

/// A resource addressed by an id after its prefix, and its toolset.
struct Template {
    prefix: &'static str,
    template: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    toolset: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        prefix: LEAD_PREFIX,
        template: "crm://leads/{id}",
        name: "lead",
        title: "Lead",
        description: "The 360° view of one lead, as get_lead returns it",
        toolset: "leads",
    },
    Template {
        prefix: PIPELINE_PREFIX,
        template: "crm://pipeline/{client_id}",
        name: "client-pipeline",
        title: "Client pipeline",
        description: "One client's leads and average score per funnel stage",
        toolset: "leads",
    },
    Template {
        prefix: SELLERS_PREFIX,
        template: "crm://sellers/{client_id}",
        name: "client-sellers",
        title: "Client sellers",
        description: "The sellers who take one client's leads, with figures on its leads and sales",
        toolset: "sellers",
    },
    Template {
        prefix: KB_PREFIX,
        template: "crm://knowledge-base/{client_id}",
        name: "client-knowledge-base",
        title: "Client knowledge base",
        description: "The answers one client's leads may be told: its own and the tenant-wide ones",
        toolset: "conversations",
    },
    Template {
        prefix: USAGE_PREFIX,
        template: "crm://usage/{client_id}",
        name: "usage",
        title: "Plan usage",
        description: "What one client uses of its crm plan (the usage tool's answer)",
        toolset: "usage",
    },
];

/// The toolset a resource URI belongs to, if it names one of ours.
fn toolset_of(uri: &str) -> Option<&'static str> {
    FIXED
        .iter()
        .find(|f| f.uri == uri)
        .map(|f| f.toolset)
        .or_else(|| {
            TEMPLATES
                .iter()
                .find(|t| uri.starts_with(t.prefix))
                .map(|t| t.toolset)
        })
}

/// The fixed resources of the toolsets served.
pub(super) fn resources(serves: impl Fn(&str) -> bool) -> Vec<Resource> {
    FIXED
        .iter()
        .filter(|f| serves(f.toolset))
        .map(|f| {
            Resource::new(f.uri, f.name)
                .with_title(f.title)
                .with_description(f.description)
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE))
        })
        .collect()
}

/// The resources addressed by an id, when their toolset is served.
pub(super) fn templates(serves: impl Fn(&str) -> bool) -> Vec<ResourceTemplate> {
    TEMPLATES
        .iter()
        .filter(|t| serves(t.toolset))
        .map(|t| {
            ResourceTemplate::new(t.template, t.name)
                .with_title(t.title)
                .with_description(t.description)
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE))
        })
        .collect()
}

/// Why a resource could not be read.
enum ReadError {
    /// No resource has this URI here (or its toolset is not served).
    Unknown(String),
    App(AppError),
}

impl From<AppError> for ReadError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string_pretty(v).map_err(|e| AppError::Internal(format!("encode resource: {e}")))
}

/// The audit log's name for a read of `uri` (bounded: the URI is the
/// client's).
fn audit_name(uri: &str) -> String {
    let mut name = String::from("resource:");
    name.extend(uri.chars().take(200));
    name
}

impl CrmServer {
    /// The body (pretty JSON) of the resource at `uri`, for `who`.
    async fn read(&self, uri: &str, who: &Principal) -> Result<String, ReadError> {
        let Some(toolset) = toolset_of(uri) else {
            let templates: Vec<&str> = TEMPLATES.iter().map(|t| t.template).collect();
            return Err(ReadError::Unknown(format!(
                "unknown resource {uri}: this server has {PIPELINE_URI}, {SELLERS_URI}, {KB_URI}, {}",
                templates.join(", ")
            )));
        };
        if !self.serves(toolset) {
            return Err(ReadError::Unknown(format!(
                "resource {uri} is not served here: its toolset `{toolset}` is not selected (--toolsets)"
            )));
        }
        who.require(RESOURCE_SCOPE)?;
        let t = &who.tenant;
        let id = |prefix: &str| uri.strip_prefix(prefix).unwrap_or_default().to_owned();
        Ok(match uri {
            PIPELINE_URI => to_json(&self.svc.pipeline(t, None).await?)?,
            SELLERS_URI => to_json(&self.svc.seller_metrics(t, None).await?)?,
            KB_URI => to_json(&self.svc.knowledge_base(t, None).await?)?,
            u if u.starts_with(PIPELINE_PREFIX) => {
                to_json(&self.svc.pipeline(t, Some(&id(PIPELINE_PREFIX))).await?)?
            }
            u if u.starts_with(SELLERS_PREFIX) => to_json(
                &self
                    .svc
                    .seller_metrics(t, Some(&id(SELLERS_PREFIX)))
                    .await?,
            )?,
            u if u.starts_with(KB_PREFIX) => {
                to_json(&self.svc.knowledge_base(t, Some(&id(KB_PREFIX))).await?)?
            }
            u if u.starts_with(USAGE_PREFIX) => {
                to_json(&self.svc.usage(t, &id(USAGE_PREFIX)).await?)?
            }
            _ => to_json(&self.svc.get_lead(t, &id(LEAD_PREFIX)).await?)?,
        })
    }

    /// [`CrmServer::read`], audited like a tool call, with errors as the
    /// protocol's (a missing scope names it and the caller's).
    pub(super) async fn read_audited(
        &self,
        uri: &str,
        who: &Principal,
    ) -> Result<String, ErrorData> {
        let started = Instant::now();
        let (result, kind, reference) = match self.read(uri, who).await {
            Ok(body) => (Ok(body), None, None),
            Err(ReadError::Unknown(m)) => (
                Err(ErrorData::resource_not_found(m, None)),
                Some("not_found"),
                None,
            ),
            Err(ReadError::App(e)) => {
                let e = ToolError::from(e);
                let kind = e.kind();
                let reference = e.reference().map(str::to_owned);
                let mapped = if kind == "permission_denied" {
                    ErrorData::invalid_request(e.message().to_owned(), None)
                } else {
                    ErrorData::from(e)
                };
                (Err(mapped), Some(kind), reference)
            }
        };
        let tenant = who.tenant.to_string();
        let tool = audit_name(uri);
        let entry = AuditEntry {
            actor: &who.subject,
            tenant: &tenant,
            server: self.auditor.server(),
            tool: &tool,
            outcome: if result.is_ok() {
                "ok"
            } else {
                "protocol_error"
            },
            error_kind: kind,
            error_ref: reference.as_deref(),
            latency_us: started.elapsed().as_micros() as i64,
        };
        // Written directly (the kit's batching writer only takes tool
        // calls); a failed write is logged, the read still answers.
        if let Err(e) = self.auditor.log().record(&entry).await {
            tracing::warn!(error = %e, tool, "audit row of a resource read not written");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_follow_their_toolsets_and_declare_their_scope() {
        let all = resources(|_| true);
        assert_eq!(all.len(), 3);
        for r in &all {
            let meta = serde_json::to_value(&r.meta).unwrap();
            assert_eq!(meta["promptsales/scope"], "crm:read", "{}", r.uri);
        }
        let only_sellers = resources(|t| t == "sellers");
        assert_eq!(only_sellers.len(), 1);
        assert_eq!(only_sellers[0].uri, SELLERS_URI);
        let t = templates(|t| t == "sellers");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].uri_template, "crm://sellers/{client_id}");
        let t = templates(|t| t == "leads");
        assert_eq!(t[0].uri_template, "crm://leads/{id}");
        assert_eq!(t[1].uri_template, "crm://pipeline/{client_id}");
        for t in templates(|_| true) {
            assert_eq!(
                serde_json::to_value(&t.meta).unwrap()["promptsales/scope"],
                "crm:read"
            );
        }
        assert_eq!(templates(|_| true).len(), 5);
        assert_eq!(toolset_of("crm://leads/lead_1"), Some("leads"));
        assert_eq!(toolset_of(KB_URI), Some("conversations"));
        assert_eq!(
            toolset_of("crm://knowledge-base/cli_1"),
            Some("conversations")
        );
        assert_eq!(toolset_of("crm://usage/cli_1"), Some("usage"));
        assert_eq!(toolset_of("crm://sellers/cli_1"), Some("sellers"));
        assert_eq!(toolset_of("crm://nope"), None);
        assert_eq!(audit_name(&"x".repeat(500)).len(), "resource:".len() + 200);
    }
}
