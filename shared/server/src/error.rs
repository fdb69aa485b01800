//! The one mapping of use-case errors to what an MCP client sees: a tool
//! result with `isError: true`, a sentence a person can act on, and the
//! error kind in `_meta`. Internal details (SQL, driver text, paths) stay
//! in the server log under a correlation id the client sees instead.

use std::sync::atomic::{AtomicU32, Ordering};

use promptsales_shared::AppError;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use serde_json::json;

/// JSON-RPC code of a resource or prompt refused for a missing scope (the
/// implementation-defined server-error range).
pub const PERMISSION_DENIED: rmcp::model::ErrorCode = rmcp::model::ErrorCode(-32003);

/// `_meta` key of a failed call's kind and correlation id.
pub const ERROR_META: &str = "promptsales/error";

/// A tool's failure, ready for the client. Built from [`AppError`] with
/// `?`; only this conversion decides what leaves the process.
#[derive(Debug)]
pub struct ToolError {
    kind: &'static str,
    message: String,
    reference: Option<String>,
}

impl ToolError {
    /// Stable machine-readable kind (`invalid_argument`, `internal`…).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The correlation id of an internal error, also in the server log.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// An argument the tool cannot accept (used for arguments rejected
    /// before the tool runs).
    pub fn invalid_arguments(message: String) -> Self {
        Self {
            kind: "invalid_argument",
            message,
            reference: None,
        }
    }

    /// The failed call as a tool result.
    pub fn into_result(self) -> CallToolResult {
        let mut r = CallToolResult::error(vec![ContentBlock::text(self.message)]);
        let mut meta = serde_json::Map::new();
        meta.insert(
            ERROR_META.into(),
            json!({ "kind": self.kind, "ref": self.reference }),
        );
        r.meta = Some(MetaObject(meta));
        r
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A short id joining what the client saw to the log line with the details.
fn correlation_id() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    format!(
        "{:x}{:03x}",
        micros & 0xff_ffff_ffff,
        N.fetch_add(1, Ordering::Relaxed) & 0xfff
    )
}

impl From<AppError> for ToolError {
    fn from(e: AppError) -> Self {
        let kind = e.kind();
        match e {
            AppError::Internal(detail) => {
                let id = correlation_id();
                tracing::error!(error_ref = %id, detail, "internal error");
                Self {
                    kind,
                    message: format!(
                        "internal error (ref {id}); the details are in the server log"
                    ),
                    reference: Some(id),
                }
            }
            other => Self {
                kind,
                message: other.to_string(),
                reference: None,
            },
        }
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(self.into_result().into())
    }
}

/// Prompt and resource handlers answer with JSON-RPC errors; the same rule
/// applies: nothing internal leaves.
impl From<ToolError> for rmcp::ErrorData {
    fn from(e: ToolError) -> Self {
        match e.kind {
            "invalid_argument" => rmcp::ErrorData::invalid_params(e.message, None),
            "not_found" => rmcp::ErrorData::resource_not_found(e.message, None),
            "permission_denied" => rmcp::ErrorData::new(PERMISSION_DENIED, e.message, None),
            _ => rmcp::ErrorData::internal_error(e.message, None),
        }
    }
}

/// `?` on an [`AppError`] inside a prompt or resource handler.
pub fn rpc_error(e: AppError) -> rmcp::ErrorData {
    ToolError::from(e).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_stay_in_the_log() {
        let e = ToolError::from(AppError::Internal(
            "database: error returned from database: relation \"leads\" does not exist".into(),
        ));
        assert!(!e.message().contains("leads"), "{}", e.message());
        let r = e.reference().unwrap().to_owned();
        assert!(e.message().contains(&r));
        let res = e.into_result();
        assert_eq!(res.is_error, Some(true));
        let meta = res.meta.unwrap();
        assert_eq!(meta.0[ERROR_META]["kind"], "internal");
        assert_eq!(meta.0[ERROR_META]["ref"], r.as_str());
    }

    #[test]
    fn client_errors_keep_their_sentence() {
        let e = ToolError::from(AppError::invalid("budget", "a positive amount", "-5"));
        assert_eq!(e.kind(), "invalid_argument");
        assert_eq!(
            e.message(),
            "invalid `budget`: expected a positive amount, got \"-5\""
        );
        assert!(e.reference().is_none());
    }

    #[test]
    fn correlation_ids_differ() {
        assert_ne!(correlation_id(), correlation_id());
    }
}
