//! One audited tool call, the same for every server: the caller (token
//! principal over HTTP, the local actor over stdio), the closed-vocabulary
//! check of its arguments, the scope the tool declares, a durable intent row
//! before a call that spends, sends, deletes or approves, the call itself,
//! and its audit row.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use promptsales_shared::AppError;
use promptsales_shared::audit::Intent;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::tool::{ToolCallContext, ToolRouter};
use rmcp::model::{CallToolRequestParams, CallToolResponse, ErrorCode, MetaObject, Tool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::args::{check_vocabulary, deserialize_message};
use crate::audit::{Auditor, Outcome};
use crate::auth::Principal;
use crate::error::{ERROR_META, ToolError};
use crate::metrics::CallOutcome;

/// `_meta` key under which a tool publishes the scope it needs.
pub const SCOPE_META: &str = "promptsales/scope";

/// The `_meta` of a tool that needs `scope`: `#[tool(meta = needs(Scope::CrmGdpr), …)]`.
pub fn needs(scope: Scope) -> MetaObject {
    let mut m = Map::new();
    m.insert(SCOPE_META.into(), json!(scope.as_str()));
    MetaObject(m)
}

/// The scope a tool declares in its `_meta`.
pub fn declared_scope(tool: &Tool) -> Option<Scope> {
    tool.meta
        .as_ref()
        .and_then(|m| m.0.get(SCOPE_META))
        .and_then(Value::as_str)
        .and_then(|s| Scope::parse(s).ok())
}

/// Every tool's declared scope, by name (what the HTTP gate checks before
/// dispatch).
pub fn tool_scopes<S: Send + Sync + 'static>(router: &ToolRouter<S>) -> HashMap<String, Scope> {
    router
        .list_all()
        .iter()
        .filter_map(|t| declared_scope(t).map(|s| (t.name.to_string(), s)))
        .collect()
}

/// A server whose tools the launcher can inspect (scopes for the HTTP gate).
pub trait ToolServer: ServerHandler + Sized + Send + Sync + 'static {
    fn tools(&self) -> &ToolRouter<Self>;
}

/// Whether a call must leave its intent row before it acts: it needs a
/// privileged scope (spends, sends, approves, erases…) or is destructive.
fn consequential(tool: &Tool) -> bool {
    declared_scope(tool).is_some_and(Scope::is_privileged)
        || tool
            .annotations
            .as_ref()
            .and_then(|a| a.destructive_hint)
            .unwrap_or(false)
}

/// Keys sorted at every level, so the same arguments hash the same.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&o[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The ids a call acts on (arguments named `*_id`/`*_ids`) and the hash
/// of its arguments.
pub(crate) fn intent_of(args: Option<&Map<String, Value>>) -> Intent {
    let Some(args) = args else {
        return Intent::default();
    };
    let mut targets = Vec::new();
    let mut keys: Vec<&String> = args.keys().collect();
    keys.sort();
    for k in keys {
        if !(k.ends_with("_id") || k.ends_with("_ids")) {
            continue;
        }
        match &args[k] {
            Value::String(s) => targets.push(format!("{k}={s}")),
            Value::Array(items) => targets.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| format!("{k}={s}")),
            ),
            _ => {}
        }
    }
    let text = canonical(&Value::Object(args.clone())).to_string();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    Intent {
        targets: (!targets.is_empty()).then(|| targets.join(" ")),
        args_hash: Some(hex::encode(digest.as_ref())),
    }
}

fn outcome_of(result: &Result<CallToolResponse, ErrorData>) -> Outcome {
    match result {
        Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => {
            let meta = r.meta.as_ref().and_then(|m| m.0.get(ERROR_META));
            let field = |k: &str| {
                meta.and_then(|m| m.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            Outcome {
                outcome: "tool_error",
                kind: field("kind"),
                reference: field("ref"),
            }
        }
        Ok(_) => Outcome {
            outcome: "ok",
            kind: None,
            reference: None,
        },
        Err(e) => Outcome {
            outcome: "protocol_error",
            kind: Some(format!("rpc_{}", e.code.0.unsigned_abs())),
            reference: None,
        },
    }
}

fn refused(e: ToolError) -> Result<CallToolResponse, ErrorData> {
    Ok(e.into_result().into())
}

/// `call_tool` for every server: checks closed-vocabulary arguments against
/// the tool's published schema and the caller against the scope it
/// declares, writes the intent row of a consequential call first, routes
/// through the (selected) router, turns arguments rmcp could not
/// deserialise into an `isError` result the model can act on (as the
/// 2025-11-25 specification asks of input validation), and audits.
///
/// Each call runs in a `tool_call` span continuing the caller's trace
/// (`_meta.traceparent`), is counted in the Prometheus metrics by tool and
/// outcome, and leaves one `tool call` log line carrying the trace ids.
pub async fn call_tool_audited<S>(
    server: &S,
    router: &ToolRouter<S>,
    auditor: &Auditor,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData>
where
    S: ServerHandler,
{
    let started = Instant::now();
    // A name the router does not know is the caller's text: never a label.
    let tool = match router.get(&request.name) {
        Some(_) => request.name.to_string(),
        None => crate::metrics::UNKNOWN_TOOL.to_owned(),
    };
    let parent = crate::trace::extract(
        request
            .meta
            .as_deref()
            .filter(|m| m.get_traceparent().is_some())
            .or(Some(&context.meta)),
    );
    let span = tracing::info_span!(
        "tool_call",
        server = auditor.server(),
        tool = %tool,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    crate::trace::adopt(&span, &parent);
    let (result, denied) = audited(server, router, auditor, request, context)
        .instrument(span.clone())
        .await;
    let outcome = if denied {
        CallOutcome::Denied
    } else if outcome_of(&result).outcome == "ok" {
        CallOutcome::Ok
    } else {
        CallOutcome::Error
    };
    let elapsed = started.elapsed();
    crate::metrics::global().tool_call(&tool, outcome, (!denied).then_some(elapsed));
    // A successful call is the hot path: its line is debug (the metrics and
    // the audit row count it); a failed or refused one stays visible.
    span.in_scope(|| match outcome {
        CallOutcome::Ok => tracing::debug!(
            outcome = outcome.as_str(),
            duration_ms = elapsed.as_millis() as u64,
            "tool call"
        ),
        _ => tracing::info!(
            outcome = outcome.as_str(),
            duration_ms = elapsed.as_millis() as u64,
            "tool call"
        ),
    });
    result
}

/// The call itself: checks, intent, dispatch and audit row; `true` when
/// refused for want of scope.
async fn audited<S>(
    server: &S,
    router: &ToolRouter<S>,
    auditor: &Auditor,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> (Result<CallToolResponse, ErrorData>, bool)
where
    S: ServerHandler,
{
    let started = Instant::now();
    let tool = request.name.to_string();
    let who = Principal::of(&context, auditor.local());
    let Some(attr) = router.get(&tool).cloned() else {
        // Unknown or unselected tool: rmcp answers as the protocol says.
        let result = router
            .call(ToolCallContext::new(server, request, context))
            .await;
        auditor
            .record(&who, &tool, outcome_of(&result), started)
            .await;
        return (result, false);
    };
    let precheck = match request.arguments.as_ref() {
        Some(args) => check_vocabulary(&attr.input_schema, args).err(),
        None => None,
    };
    let scope = declared_scope(&attr);
    let denied = scope.and_then(|s| who.require(s).err());
    let was_denied = precheck.is_none() && denied.is_some();
    let result = if let Some(message) = precheck {
        refused(ToolError::invalid_arguments(message))
    } else if let Some(e) = denied {
        refused(ToolError::from(e))
    } else {
        let intent = consequential(&attr).then(|| intent_of(request.arguments.as_ref()));
        let open = match &intent {
            Some(i) => match auditor.begin(&who, &tool, i).await {
                Ok(id) => Some(id),
                Err(e) => {
                    // No durable record, no action.
                    tracing::error!(error = %e, tool, "intent row not written; call refused");
                    let result = refused(ToolError::from(AppError::Unavailable(
                        "the audit log cannot record this action right now; nothing was done, retry shortly".into(),
                    )));
                    auditor
                        .record(&who, &tool, outcome_of(&result), started)
                        .await;
                    return (result, false);
                }
            },
            None => None,
        };
        let result = dispatch(server, router, request, context, open.is_none()).await;
        if let Some(id) = open {
            auditor
                .finish(id, &who, &tool, outcome_of(&result), started)
                .await;
            return (result, false);
        }
        result
    };
    auditor
        .record(&who, &tool, outcome_of(&result), started)
        .await;
    (result, was_denied)
}

/// How long a call that left no intent row is redone while the database
/// is unreachable: a PostgreSQL restart or failover takes seconds.
const REDO_BUDGET: Duration = Duration::from_secs(15);

/// Routes the call; when `redo` and the database was unreachable, redoes
/// it with backoff (50 ms doubling to 1 s) within [`REDO_BUDGET`]. Only
/// calls without an intent row are redone: the failed attempt's
/// transaction rolled back, and what it wrote before is keyed so that a
/// second attempt finds it (leads by contact, interactions by message id).
async fn dispatch<S>(
    server: &S,
    router: &ToolRouter<S>,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
    redo: bool,
) -> Result<CallToolResponse, ErrorData>
where
    S: ServerHandler,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        let attempt = ToolCallContext::new(server, request.clone(), context.clone());
        let result = match router.call(attempt).await {
            Err(e)
                if e.code == ErrorCode::INVALID_PARAMS
                    && e.message.starts_with("failed to deserialize parameters") =>
            {
                refused(ToolError::invalid_arguments(deserialize_message(
                    &e.message,
                )))
            }
            other => other,
        };
        let unreachable = outcome_of(&result).kind.as_deref() == Some("database_unavailable");
        if !redo
            || !unreachable
            || context.ct.is_cancelled()
            || started.elapsed() + pause > REDO_BUDGET
        {
            return result;
        }
        tracing::debug!(
            pause_ms = pause.as_millis() as u64,
            "database unreachable; redoing the call"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

/// A tool result that is an error with a plain sentence (tools that build
/// their own results).
pub fn error_result(message: impl Into<String>) -> rmcp::model::CallToolResult {
    rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(message.into())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_name_their_targets_and_hash_arguments_canonically() {
        let a = json!({"campaign_id": "cmp_1", "note": "ok", "lead_ids": ["l1", "l2"], "n": 3});
        let b = json!({"n": 3, "lead_ids": ["l1", "l2"], "note": "ok", "campaign_id": "cmp_1"});
        let ia = intent_of(a.as_object());
        let ib = intent_of(b.as_object());
        assert_eq!(
            ia.targets.as_deref(),
            Some("campaign_id=cmp_1 lead_ids=l1 lead_ids=l2")
        );
        assert_eq!(ia.args_hash, ib.args_hash);
        assert_eq!(ia.args_hash.as_ref().map(String::len), Some(64));
        let c = json!({"campaign_id": "cmp_2"});
        assert_ne!(intent_of(c.as_object()).args_hash, ia.args_hash);
    }

    #[test]
    fn scopes_travel_in_tool_meta() {
        let mut t = Tool::new("erase", "", std::sync::Arc::new(Map::new()));
        assert_eq!(declared_scope(&t), None);
        t.meta = Some(needs(Scope::CrmGdpr));
        assert_eq!(declared_scope(&t), Some(Scope::CrmGdpr));
        assert!(consequential(&t));
    }
}
