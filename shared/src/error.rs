//! One error type for every use case. The server crate maps it once to
//! what an MCP client sees (`promptsales_server::error::ToolError`).

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
    /// A dependency (platform API, mail server, the process shutting
    /// down) is unreachable; retry later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// The database could not be reached or dropped the connection: the
    /// call did nothing durable, so a read may be redone at once.
    #[error("temporarily unavailable: {0}")]
    DatabaseUnavailable(String),
    /// A natural-language request that could not be mapped; the message says
    /// what was understood and how to rephrase.
    #[error("{0}")]
    NotUnderstood(String),
    /// The client's subscription plan does not allow more of something.
    #[error("{0}")]
    Quota(Box<QuotaExceeded>),
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
            AppError::DatabaseUnavailable(_) => "database_unavailable",
            AppError::NotUnderstood(_) => "not_understood",
            AppError::Quota(_) => "quota_exceeded",
            AppError::Internal(_) => "internal",
        }
    }
}

/// What a plan's limit refused: what, for whom, used, limit, and when the
/// count starts again (absent for limits that do not reset, such as seats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// e.g. `generations this month`.
    pub what: String,
    pub client: String,
    pub plan: String,
    /// Already used, in the limit's unit (`250`, `1,200.00 USD`).
    pub used: String,
    /// What this request would add.
    pub requested: String,
    pub limit: String,
    /// When the count resets, e.g. `2027-01-01 00:00 America/Bogota`.
    pub resets: Option<String>,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "quota exceeded: {} for client {} (plan {}): {} used + {} requested > limit {}",
            self.what, self.client, self.plan, self.used, self.requested, self.limit
        )?;
        match &self.resets {
            Some(r) => write!(f, "; resets {r}"),
            None => write!(f, "; it does not reset: raise the plan or free some"),
        }
    }
}

impl From<QuotaExceeded> for AppError {
    fn from(q: QuotaExceeded) -> Self {
        AppError::Quota(Box::new(q))
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::Internal("expected row was missing".into()),
            e if crate::db::is_connection_error(&e) => {
                // The driver's words stay in the log; the client learns
                // only that it may retry.
                tracing::warn!(error = %e, "database unavailable");
                AppError::DatabaseUnavailable(
                    "the database is busy or unreachable; retry shortly".into(),
                )
            }
            sqlx::Error::PoolClosed => {
                AppError::Unavailable("the server is shutting down; retry shortly".into())
            }
            other => {
                tracing::error!(error = %other, "database error");
                AppError::Internal(format!("database: {other}"))
            }
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
