//! `audit_query`, the `audit` toolset every server carries: who called what,
//! when, on which ids, with what outcome — from the audit log of the
//! context the server owns. Needs the `admin` scope (so `--read-only`
//! servers, which list only tools that merely read, do not list it).

use promptsales_shared::AppError;
use promptsales_shared::audit::{AuditFilter, AuditRow};
use promptsales_shared::scope::Scope;
use promptsales_shared::time::parse_ts;
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::handler::server::router::tool::ToolRoute;
use rmcp::handler::server::tool::{IntoCallToolResult, ToolCallContext, ToolRouter};
use rmcp::handler::server::wrapper::Json;
use rmcp::model::{Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::audit::Auditor;
use crate::auth::Principal;
use crate::call::{ToolServer, needs};
use crate::error::ToolError;
use crate::server::Toolset;

/// A server with an audit log to query.
pub trait Audited: ToolServer {
    fn auditor(&self) -> &Auditor;
}

/// Filters of `audit_query`; every one given must match.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct AuditQueryParams {
    /// Only calls of this tool, e.g. `launch_campaign`.
    pub tool: Option<String>,
    /// Only calls by this subject (token `sub`, or the local actor).
    pub actor: Option<String>,
    /// Only this outcome: `ok`, `tool_error`, `protocol_error`, or
    /// `running` (an intent whose call never completed).
    pub outcome: Option<String>,
    /// Only intents that never completed (`intent`) or completed calls (`done`).
    pub state: Option<AuditState>,
    /// From this instant (RFC 3339), inclusive.
    pub since: Option<String>,
    /// Before this instant (RFC 3339).
    pub until: Option<String>,
    /// At most this many rows, newest first (1-1000, default 100).
    pub limit: Option<u32>,
}

promptsales_shared::vocabulary! {
    /// Whether an audited call completed.
    pub enum AuditState("state") {
        Intent => "intent",
        Done => "done",
    }
}

/// The rows found, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditRows {
    pub server: String,
    pub rows: Vec<AuditRow>,
}

fn instant(field: &str, v: Option<String>) -> Result<Option<String>, AppError> {
    match v {
        None => Ok(None),
        Some(s) => {
            parse_ts(field, &s)?;
            Ok(Some(s))
        }
    }
}

async fn query(
    auditor: &Auditor,
    who: &Principal,
    p: AuditQueryParams,
) -> Result<AuditRows, AppError> {
    who.require(Scope::Admin)?;
    let limit = match p.limit {
        None => 100,
        Some(n) if (1..=1000).contains(&n) => i64::from(n),
        Some(n) => {
            return Err(AppError::invalid("limit", "1 to 1000", n.to_string()));
        }
    };
    let filter = AuditFilter {
        tool: p.tool,
        actor: p.actor,
        outcome: p.outcome,
        state: p.state.map(|s| s.as_str().to_owned()),
        since: instant("since", p.since)?,
        until: instant("until", p.until)?,
        limit,
    };
    Ok(AuditRows {
        server: auditor.server().to_owned(),
        rows: auditor.log().query(who.tenant.as_str(), &filter).await?,
    })
}

/// The `audit` toolset of a server.
pub fn audit_toolset<S: Audited>() -> Toolset<S> {
    let mut attr = Tool::new(
        "audit_query",
        "Read this server's audit log (admin): every tool call with its caller, time, the ids it \
         acted on, an arguments hash and its outcome; calls that spend, send, delete or approve \
         appear as an intent before they act, so `state: intent` lists any that never completed.",
        schema_for_type::<AuditQueryParams>(),
    )
    .with_meta(needs(Scope::Admin))
    .annotate(
        ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
    );
    attr.output_schema = Some(schema_for_output::<AuditRows>());
    let route = ToolRoute::new_dyn(attr, |ctx: ToolCallContext<'_, S>| {
        Box::pin(async move {
            let args = serde_json::Value::Object(ctx.arguments.unwrap_or_default());
            let result = match serde_json::from_value::<AuditQueryParams>(args) {
                Err(e) => Err(ToolError::invalid_arguments(format!(
                    "invalid arguments: {e}"
                ))),
                Ok(p) => {
                    let auditor = ctx.service.auditor();
                    let who = Principal::of(&ctx.request_context, auditor.local());
                    query(auditor, &who, p)
                        .await
                        .map(Json)
                        .map_err(ToolError::from)
                }
            };
            result.into_call_tool_result()
        })
    });
    let mut router = ToolRouter::new();
    router.add_route(route);
    Toolset::new(
        "audit",
        "The audit log of this server's context (admin)",
        router,
    )
}
