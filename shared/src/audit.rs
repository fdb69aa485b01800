//! The audit trail: one row per tool call, whatever the outcome, written
//! into the `audit_log` table of the context that served the call (every
//! context's migrations create it), so a server audits without reaching
//! into anyone else's database.

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
    /// `ok`, `tool_error` or `protocol_error`.
    pub outcome: &'a str,
    /// The error's kind (`invalid_argument`, `not_found`, `internal`…).
    pub error_kind: Option<&'a str>,
    /// The correlation id of an internal error, as in the server log.
    pub error_ref: Option<&'a str>,
    pub latency_us: i64,
}

/// Writes audit rows into one context's database.
#[derive(Clone, Debug)]
pub struct AuditLog {
    db: Db,
}

const COLUMNS: usize = 9;

impl AuditLog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn record(&self, e: &AuditEntry<'_>) -> Result<(), AppError> {
        self.record_many(std::slice::from_ref(e)).await
    }

    /// Writes several entries in one statement (the batching writer's path).
    pub async fn record_many(&self, entries: &[AuditEntry<'_>]) -> Result<(), AppError> {
        // Stay well under both engines' parameter limits.
        for chunk in entries.chunks(1000) {
            let mut sql = String::from(
                "INSERT INTO audit_log (at, actor, tenant_id, server, tool, outcome, \
                 error_kind, error_ref, latency_us) VALUES ",
            );
            for i in 0..chunk.len() {
                sql.push_str(if i > 0 { ", (" } else { "(" });
                for c in 0..COLUMNS {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('$');
                    sql.push_str(&(i * COLUMNS + c + 1).to_string());
                }
                sql.push(')');
            }
            let at = now_ts();
            // Placeholders only: generated from the entry count.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(at.clone())
                    .bind(e.actor.to_owned())
                    .bind(e.tenant.to_owned())
                    .bind(e.server.to_owned())
                    .bind(e.tool.to_owned())
                    .bind(e.outcome.to_owned())
                    .bind(e.error_kind.map(str::to_owned))
                    .bind(e.error_ref.map(str::to_owned))
                    .bind(e.latency_us);
            }
            q.execute(self.db.pool()).await?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_of_entries_land_in_one_statement_on_every_backend() {
        for t in crate::testing::backends(&crate::testing::AUDIT_ONLY)
            .await
            .unwrap()
        {
            let log = AuditLog::new(t.db.clone());
            let entries: Vec<AuditEntry<'_>> = (0..1500)
                .map(|i| AuditEntry {
                    actor: "local",
                    tenant: "t1",
                    server: "mcp-test",
                    tool: if i % 3 == 0 { "ask" } else { "sync" },
                    outcome: if i % 5 == 0 { "tool_error" } else { "ok" },
                    error_kind: (i % 5 == 0).then_some("not_found"),
                    error_ref: None,
                    latency_us: i,
                })
                .collect();
            log.record_many(&entries).await.unwrap();
            log.record(&entries[0]).await.unwrap();
            assert_eq!(
                log.count_for("mcp-test", "ask").await.unwrap(),
                501,
                "{}",
                t.label()
            );
            assert_eq!(log.count_for("mcp-test", "sync").await.unwrap(), 1000);
            let kinds: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE error_kind = 'not_found'")
                    .fetch_one(t.db.pool())
                    .await
                    .unwrap();
            assert_eq!(kinds, 301);
            t.cleanup().await;
        }
    }
}
