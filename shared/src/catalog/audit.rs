//! The audit trail: one row per tool call, whatever the outcome.

use crate::AppError;
use crate::db::Db;
use crate::time::now_ts;

/// One audited call.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub tenant: &'a str,
    pub server: &'a str,
    pub tool: &'a str,
    /// `ok` or an error kind (`invalid_argument`, `not_found`…).
    pub outcome: &'a str,
    pub latency_us: i64,
}

/// Writes audit rows into the `core` context.
#[derive(Clone, Debug)]
pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn record(&self, e: &AuditEntry<'_>) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, tenant_id, server, tool, outcome, latency_us)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_ts())
        .bind(e.actor)
        .bind(e.tenant)
        .bind(e.server)
        .bind(e.tool)
        .bind(e.outcome)
        .bind(e.latency_us)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Calls recorded for a tool, for tests and reports.
    pub async fn count_for(&self, server: &str, tool: &str) -> Result<i64, AppError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE server = $1 AND tool = $2")
                .bind(server)
                .bind(tool)
                .fetch_one(self.db.pool())
                .await?,
        )
    }
}
