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

    /// Writes several entries in one statement (the batching writer's path).
    pub async fn record_many(&self, entries: &[AuditEntry<'_>]) -> Result<(), AppError> {
        // 7 columns; stay well under both engines' parameter limits.
        for chunk in entries.chunks(1000) {
            let mut sql = String::from(
                "INSERT INTO audit_log (at, actor, tenant_id, server, tool, outcome, latency_us) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = i * 7;
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                ));
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
        for t in crate::testing::backends(&crate::catalog::MIGRATIONS)
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
                    outcome: "ok",
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
            t.cleanup().await;
        }
    }
}
