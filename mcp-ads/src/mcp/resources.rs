//! The server's resources: the channel catalogue with connector status,
//! each campaign with its performance and its approval view (what a person
//! reads before approving: creatives' copy, budget plan in major units,
//! caps, waivers), and each client's plan usage. Each declares its scope in its
//! `_meta` (like a tool), is checked when read, is audited like a tool call
//! (tool name `resource:<uri>`) and is listed and served only when its
//! toolset is selected.

use std::time::Instant;

use promptsales_server::ToolError;
use promptsales_server::auth::Principal;
use promptsales_server::call::needs;
use promptsales_shared::AppError;
use promptsales_shared::audit::AuditEntry;
use promptsales_shared::domain::{Channel, Vocabulary};
use promptsales_shared::scope::Scope;
use rmcp::ErrorData;
use rmcp::model::{
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use serde_json::json;

use super::{AdsServer, Ctx};
use crate::domain::benchmarks::{Platform, benchmark};
use crate::domain::optimize::learning_period;

pub(super) const CHANNELS_URI: &str = "ads://channels";
const CAMPAIGN_TEMPLATE: &str = "ads://campaigns/{id}";
const PERFORMANCE_TEMPLATE: &str = "ads://campaigns/{id}/performance";
const APPROVAL_TEMPLATE: &str = "ads://campaigns/{id}/approval";
const USAGE_TEMPLATE: &str = "ads://usage/{client_id}";

/// The scope every ads resource needs: they only read.
pub(super) const RESOURCE_SCOPE: Scope = Scope::AdsRead;

/// Which resource a URI names, with the toolset that serves it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target<'a> {
    Channels,
    Campaign(&'a str),
    Performance(&'a str),
    Approval(&'a str),
    Usage(&'a str),
}

impl<'a> Target<'a> {
    pub(super) fn of(uri: &'a str) -> Option<Self> {
        if uri == CHANNELS_URI {
            return Some(Target::Channels);
        }
        if let Some(client) = uri.strip_prefix("ads://usage/") {
            return (!client.is_empty() && !client.contains('/')).then_some(Target::Usage(client));
        }
        let rest = uri.strip_prefix("ads://campaigns/")?;
        match rest.split_once('/') {
            None if !rest.is_empty() => Some(Target::Campaign(rest)),
            Some((id, "performance")) if !id.is_empty() => Some(Target::Performance(id)),
            Some((id, "approval")) if !id.is_empty() => Some(Target::Approval(id)),
            _ => None,
        }
    }

    /// The toolset a resource belongs to: it is served only with it.
    pub(super) fn toolset(&self) -> &'static str {
        match self {
            Target::Channels | Target::Campaign(_) => "campaigns",
            Target::Performance(_) => "performance",
            Target::Approval(_) => "approval",
            Target::Usage(_) => "usage",
        }
    }
}

/// The fixed resources of the served toolsets.
pub(super) fn resources(serves: &dyn Fn(&str) -> bool) -> Vec<Resource> {
    let mut v = Vec::new();
    if serves(Target::Channels.toolset()) {
        v.push(
            Resource::new(CHANNELS_URI, "channels")
                .with_title("Channels")
                .with_description("Every channel: its platform, connector status (live or sandbox, missing variables), what launching creates, its benchmark and the learning period optimize_campaign waits out (ads:read)")
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE)),
        );
    }
    v
}

/// The resources addressed by campaign id, of the served toolsets.
pub(super) fn templates(serves: &dyn Fn(&str) -> bool) -> Vec<ResourceTemplate> {
    let mut v = Vec::new();
    if serves(Target::Campaign("").toolset()) {
        v.push(
            ResourceTemplate::new(CAMPAIGN_TEMPLATE, "campaign")
                .with_title("Campaign")
                .with_description(
                    "A campaign with its plan, audience, editors, approval, publications and history (ads:read)",
                )
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE)),
        );
    }
    if serves(Target::Performance("").toolset()) {
        v.push(
            ResourceTemplate::new(PERFORMANCE_TEMPLATE, "campaign-performance")
                .with_title("Campaign performance")
                .with_description(
                    "Stored delivery: totals, per channel, daily, pacing and KPI targets (ads:read)",
                )
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE)),
        );
    }
    if serves(Target::Approval("").toolset()) {
        v.push(
            ResourceTemplate::new(APPROVAL_TEMPLATE, "campaign-approval")
                .with_title("Campaign approval view")
                .with_description(
                    "What an approver reads: each channel's creatives with their copy (or the waiver), the budget plan in the currency's major units, the caps and plan limits in force, and what still blocks approval (ads:read)",
                )
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE)),
        );
    }
    if serves(Target::Usage("").toolset()) {
        v.push(
            ResourceTemplate::new(USAGE_TEMPLATE, "usage")
                .with_title("Client plan usage")
                .with_description(
                    "A client's ads plan and its use now: active campaigns, planned spend this month, seats, with limits and resets (ads:read)",
                )
                .with_mime_type("application/json")
                .with_meta(needs(RESOURCE_SCOPE)),
        );
    }
    v
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(format!("encode resource: {e}")))
}

impl AdsServer {
    /// `resources/read`: checked (toolset, scope), answered, audited.
    pub(super) async fn read_audited(
        &self,
        request: ReadResourceRequestParams,
        context: &Ctx,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let started = Instant::now();
        let who = self.who(context);
        let uri = request.uri.as_str();
        let result = match self.read(uri, &who).await.and_then(|body| {
            serde_json::to_string_pretty(&body)
                .map_err(|e| AppError::Internal(format!("encode resource: {e}")))
        }) {
            Ok(text) => Ok(text),
            Err(e) => Err(ToolError::from(e)),
        };
        self.audit_resource(&who, uri, result.as_ref().err(), started)
            .await;
        match result {
            Ok(text) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, request.uri.clone())
                    .with_mime_type("application/json"),
            ])
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// The audit row of a resource read, like a tool call's. A row that
    /// cannot be written is logged, not fatal: the read changed nothing.
    async fn audit_resource(
        &self,
        who: &Principal,
        uri: &str,
        error: Option<&ToolError>,
        started: Instant,
    ) {
        let tool = format!("resource:{uri}");
        let tenant = who.tenant.to_string();
        let entry = AuditEntry {
            actor: &who.subject,
            tenant: &tenant,
            server: self.auditor.server(),
            tool: &tool,
            outcome: if error.is_some() { "tool_error" } else { "ok" },
            error_kind: error.map(ToolError::kind),
            error_ref: error.and_then(ToolError::reference),
            latency_us: started.elapsed().as_micros() as i64,
        };
        if let Err(e) = self.auditor.log().record(&entry).await {
            tracing::warn!(error = %e, tool, "audit row of a resource read not written");
        }
    }

    /// The body of the resource at `uri` for `who`: only resources of the
    /// served toolsets, only with the resource's scope.
    pub(super) async fn read(
        &self,
        uri: &str,
        who: &Principal,
    ) -> Result<serde_json::Value, AppError> {
        let target = Target::of(uri)
            .filter(|t| self.serves(t.toolset()))
            .ok_or_else(|| {
                let served: Vec<&str> = [
                    (Target::Channels.toolset(), CHANNELS_URI),
                    (Target::Campaign("").toolset(), CAMPAIGN_TEMPLATE),
                    (Target::Performance("").toolset(), PERFORMANCE_TEMPLATE),
                    (Target::Approval("").toolset(), APPROVAL_TEMPLATE),
                    (Target::Usage("").toolset(), USAGE_TEMPLATE),
                ]
                .into_iter()
                .filter(|(set, _)| self.serves(set))
                .map(|(_, u)| u)
                .collect();
                AppError::not_found(
                    "resource",
                    format!(
                        "{uri} (this server serves: {})",
                        if served.is_empty() {
                            "none".to_owned()
                        } else {
                            served.join(", ")
                        }
                    ),
                )
            })?;
        who.require(RESOURCE_SCOPE)?;
        match target {
            Target::Channels => Ok(self.channels()),
            Target::Campaign(id) => to_json(&self.svc.view(&who.tenant, id).await?),
            Target::Performance(id) => to_json(
                &self
                    .svc
                    .performance(&who.tenant, id, None, None, false)
                    .await?,
            ),
            Target::Approval(id) => to_json(&self.svc.approval_view(&who.tenant, id).await?),
            Target::Usage(client) => to_json(&self.svc.usage(&who.tenant, client).await?),
        }
    }

    fn channels(&self) -> serde_json::Value {
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
                    "learning_period": learning_period(*c),
                })
            })
            .collect();
        json!({
            "channels": channels,
            "connectors": status,
            "benchmark_sources": "WordStream/LocaliQ 2024 search and Facebook benchmarks, LinkedIn Marketing Solutions, Mailchimp email benchmarks, Twilio/Attentive SMS benchmarks (cross-industry medians; costs in US cents)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_their_resource_and_toolset() {
        assert_eq!(Target::of("ads://channels"), Some(Target::Channels));
        assert_eq!(
            Target::of("ads://campaigns/cmp_1"),
            Some(Target::Campaign("cmp_1"))
        );
        assert_eq!(
            Target::of("ads://campaigns/cmp_1/performance"),
            Some(Target::Performance("cmp_1"))
        );
        assert_eq!(
            Target::of("ads://campaigns/cmp_1/approval"),
            Some(Target::Approval("cmp_1"))
        );
        assert_eq!(
            Target::of("ads://usage/cli_1"),
            Some(Target::Usage("cli_1"))
        );
        assert_eq!(Target::of("ads://usage/"), None);
        assert_eq!(Target::of("ads://usage/a/b"), None);
        for bad in [
            "ads://campaigns/",
            "ads://campaigns//performance",
            "ads://x",
            "ads://campaigns/a/b",
        ] {
            assert_eq!(Target::of(bad), None, "{bad}");
        }
        assert_eq!(Target::Performance("x").toolset(), "performance");
        let only_perf = |t: &str| t == "performance";
        assert!(resources(&only_perf).is_empty());
        assert_eq!(templates(&only_perf).len(), 1);
        let all = |_: &str| true;
        let r = resources(&all);
        assert_eq!(
            r[0].meta.as_ref().unwrap().0["promptsales/scope"],
            "ads:read"
        );
        assert!(templates(&all).iter().all(|t| t.meta.is_some()));
    }
}
