//! The analytics resources — the semantic model, the warehouse's
//! freshness and a client's plan usage (a template) — each with the scope
//! it needs (published in its `_meta`, as
//! tools do), listed and served only when its toolset is selected, checked
//! against the caller when read, and audited like a tool call
//! (`resource:<uri>`).

use std::time::Instant;

use promptsales_server::ToolError;
use promptsales_server::auth::Principal;
use promptsales_server::call::needs;
use promptsales_shared::AppError;
use promptsales_shared::audit::AuditEntry;
use promptsales_shared::scope::Scope;
use rmcp::ErrorData;
use rmcp::model::{Resource, ResourceTemplate};

use super::AnalyticsServer;

pub(super) const SEMANTIC_URI: &str = "analytics://semantic-model";
pub(super) const FRESHNESS_URI: &str = "analytics://freshness";
pub(super) const USAGE_TEMPLATE: &str = "analytics://usage/{client_id}";
const USAGE_PREFIX: &str = "analytics://usage/";

/// One resource: what it is, the toolset it comes with and the scope
/// reading it needs.
#[derive(Debug)]
pub(super) struct ResourceDef {
    pub uri: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
    /// Served only when this toolset is selected.
    pub toolset: &'static str,
    pub scope: Scope,
    /// A URI template (`{…}` parts): matched by the prefix before its first `{`.
    pub template: bool,
}

/// Every resource of the server: the one place they are listed.
pub(super) const RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        uri: SEMANTIC_URI,
        name: "semantic-model",
        title: "Semantic model",
        description: "Metrics and dimensions with definitions, SQL and synonyms",
        toolset: "questions",
        scope: Scope::AnalyticsRead,
        template: false,
    },
    ResourceDef {
        uri: FRESHNESS_URI,
        name: "freshness",
        title: "Data freshness",
        description: "Warehouse data version, last sync and watermarks per source table",
        toolset: "pipeline",
        scope: Scope::AnalyticsRead,
        template: false,
    },
    ResourceDef {
        uri: USAGE_TEMPLATE,
        name: "usage",
        title: "Plan usage",
        description: "A client's questions and LLM tokens this month against its analytics plan",
        toolset: "usage",
        scope: Scope::AnalyticsRead,
        template: true,
    },
];

/// The resources that come with the selected toolsets (all when none is
/// selected).
pub(super) fn selected(toolsets: &[String]) -> Vec<&'static ResourceDef> {
    RESOURCES
        .iter()
        .filter(|r| toolsets.is_empty() || toolsets.iter().any(|t| t == r.toolset))
        .collect()
}

impl ResourceDef {
    /// As `resources/list` shows it, with its scope in `_meta`.
    pub(super) fn listing(&self) -> Resource {
        Resource::new(self.uri, self.name)
            .with_title(self.title)
            .with_description(self.description)
            .with_mime_type("application/json")
            .with_meta(needs(self.scope))
    }

    /// As `resources/templates/list` shows a template, with its scope.
    pub(super) fn template_listing(&self) -> ResourceTemplate {
        ResourceTemplate::new(self.uri, self.name)
            .with_title(self.title)
            .with_description(self.description)
            .with_mime_type("application/json")
            .with_meta(needs(self.scope))
    }

    /// Whether `uri` is this resource (or, for a template, one of its).
    fn matches(&self, uri: &str) -> bool {
        match (self.template, self.uri.split_once('{')) {
            (true, Some((prefix, _))) => uri
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty()),
            _ => self.uri == uri,
        }
    }
}

/// Audit rows name a resource read `resource:<uri>`; a client-supplied URI
/// is cut to a sane length first.
fn audit_name(uri: &str) -> String {
    let cut: String = uri.chars().take(200).collect();
    format!("resource:{cut}")
}

impl AnalyticsServer {
    /// Reads one resource as `who`: unknown or unselected URIs are not
    /// found, a missing scope is refused, and every read is audited.
    pub(super) async fn read_resource_as(
        &self,
        who: &Principal,
        uri: &str,
    ) -> Result<String, ErrorData> {
        let started = Instant::now();
        let Some(def) = self.resources.iter().find(|r| r.matches(uri)) else {
            let available = self
                .resources
                .iter()
                .map(|r| r.uri)
                .collect::<Vec<_>>()
                .join(", ");
            let err = ErrorData::resource_not_found(
                format!("unknown resource {uri}: this server serves {available}"),
                None,
            );
            self.audit_read(who, uri, Some(("not_found", None)), started)
                .await;
            return Err(err);
        };
        let result = match who.require(def.scope) {
            Err(e) => Err(e),
            Ok(()) => self.resource_body(def, uri).await,
        };
        match result {
            Ok(body) => {
                self.audit_read(who, uri, None, started).await;
                Ok(body)
            }
            Err(e) => {
                let e = ToolError::from(e);
                self.audit_read(who, uri, Some((e.kind(), e.reference())), started)
                    .await;
                Err(e.into())
            }
        }
    }

    async fn resource_body(&self, def: &ResourceDef, uri: &str) -> Result<String, AppError> {
        let body = match def.uri {
            SEMANTIC_URI => serde_json::to_string_pretty(&self.svc.semantic_model()),
            FRESHNESS_URI => {
                let status = self.svc.sync_status(&self.tenant).await?;
                serde_json::to_string_pretty(&status)
            }
            USAGE_TEMPLATE => {
                let client = uri.strip_prefix(USAGE_PREFIX).unwrap_or_default();
                serde_json::to_string_pretty(&self.svc.usage(&self.tenant, client).await?)
            }
            other => return Err(AppError::Internal(format!("resource {other} has no body"))),
        };
        body.map_err(|e| AppError::Internal(format!("encode resource: {e}")))
    }

    /// One audit row for a resource read, in the server's own audit log.
    /// Written before the answer leaves (resources are read rarely); a
    /// failed write is logged, and the read still answered, as for the
    /// batched rows of ordinary tool calls.
    async fn audit_read(
        &self,
        who: &Principal,
        uri: &str,
        error: Option<(&str, Option<&str>)>,
        started: Instant,
    ) {
        let tool = audit_name(uri);
        let tenant = who.tenant.to_string();
        let entry = AuditEntry {
            actor: &who.subject,
            tenant: &tenant,
            server: self.auditor.server(),
            tool: &tool,
            outcome: if error.is_some() {
                "protocol_error"
            } else {
                "ok"
            },
            error_kind: error.map(|(kind, _)| kind),
            error_ref: error.and_then(|(_, r)| r),
            latency_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
        };
        if let Err(e) = self.auditor.log().record(&entry).await {
            tracing::warn!(error = %e, tool, "audit row of a resource read not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use promptsales_server::call::SCOPE_META;

    use super::*;

    #[test]
    fn resources_come_with_their_toolsets_and_publish_their_scope() {
        let names = |t: &[&str]| {
            let t: Vec<String> = t.iter().map(|s| (*s).to_owned()).collect();
            selected(&t).iter().map(|r| r.uri).collect::<Vec<_>>()
        };
        assert_eq!(names(&[]), [SEMANTIC_URI, FRESHNESS_URI, USAGE_TEMPLATE]);
        assert_eq!(names(&["usage"]), [USAGE_TEMPLATE]);
        assert_eq!(names(&["questions"]), [SEMANTIC_URI]);
        assert_eq!(names(&["pipeline", "catalog"]), [FRESHNESS_URI]);
        assert!(names(&["catalog"]).is_empty());
        let usage = RESOURCES.iter().find(|r| r.template).unwrap();
        assert!(usage.matches("analytics://usage/cli_001"));
        assert!(!usage.matches("analytics://usage/") && !usage.matches("analytics://freshness"));
        assert!(!RESOURCES[1].matches("analytics://freshness/x"));
        for r in RESOURCES {
            let meta = r.listing().meta.unwrap();
            assert_eq!(meta.0[SCOPE_META], "analytics:read", "{}", r.uri);
            assert!(
                super::super::AnalyticsServer::toolsets()
                    .iter()
                    .any(|t| t.name == r.toolset),
                "{} names an unknown toolset",
                r.uri
            );
        }
        assert_eq!(
            audit_name("analytics://freshness"),
            "resource:analytics://freshness"
        );
        assert_eq!(audit_name(&"x".repeat(500)).len(), "resource:".len() + 200);
    }
}
