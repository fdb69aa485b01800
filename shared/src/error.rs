//! One error type for every use case, mapped once to what an MCP client sees:
//! a tool result with `isError: true` and a sentence a person can act on.

use rmcp::model::{ContentBlock, IntoContents};

/// Errors of the use cases. Messages name the argument and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller sent a value we cannot accept.
    #[error("invalid `{field}`: expected {expected}, got {got:?}")]
    InvalidArgument {
        field: String,
        expected: String,
        got: String,
    },
    /// The thing asked for does not exist (in this tenant).
    #[error("{entity} `{id}` not found")]
    NotFound { entity: &'static str, id: String },
    /// The request is well-formed but conflicts with the current state
    /// (an illegal transition, mixing currencies, a duplicate).
    #[error("{0}")]
    Conflict(String),
    /// The caller lacks a scope or role.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A dependency (database, platform API) is unreachable; retry later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A natural-language request that could not be mapped; the message says
    /// what was understood and how to rephrase.
    #[error("{0}")]
    NotUnderstood(String),
    /// A bug or an unexpected state; details are in the server log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, expected: impl Into<String>, got: impl Into<String>) -> Self {
        let mut got: String = got.into();
        if got.len() > 120 {
            let cut = (0..=120)
                .rev()
                .find(|i| got.is_char_boundary(*i))
                .unwrap_or(0);
            got.truncate(cut);
            got.push('…');
        }
        AppError::InvalidArgument {
            field: field.to_owned(),
            expected: expected.into(),
            got,
        }
    }

    pub fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        AppError::NotFound {
            entity,
            id: id.into(),
        }
    }

    /// Stable machine-readable kind, for logs and the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::InvalidArgument { .. } => "invalid_argument",
            AppError::NotFound { .. } => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::PermissionDenied(_) => "permission_denied",
            AppError::Unavailable(_) => "unavailable",
            AppError::NotUnderstood(_) => "not_understood",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::Internal("expected row was missing".into()),
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                AppError::Unavailable(format!("database: {e}"))
            }
            other => {
                tracing::error!(error = %other, "database error");
                AppError::Internal(format!("database: {other}"))
            }
        }
    }
}

/// Tool failures reach the client as `isError` results with the message as
/// text, so a model or a person can correct the call.
impl IntoContents for AppError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}

impl From<AppError> for rmcp::ErrorData {
    fn from(e: AppError) -> Self {
        match e {
            AppError::InvalidArgument { .. } => {
                rmcp::ErrorData::invalid_params(e.to_string(), None)
            }
            AppError::NotFound { .. } => rmcp::ErrorData::resource_not_found(e.to_string(), None),
            other => rmcp::ErrorData::internal_error(other.to_string(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_names_field_expectation_and_value() {
        let e = AppError::invalid("budget", "a positive amount", "-5");
        assert_eq!(
            e.to_string(),
            "invalid `budget`: expected a positive amount, got \"-5\""
        );
    }

    #[test]
    fn long_values_are_truncated_on_a_char_boundary() {
        let e = AppError::invalid("name", "short", "ñ".repeat(200));
        assert!(e.to_string().len() < 200);
    }
}
