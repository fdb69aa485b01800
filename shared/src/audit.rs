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

/// What an intent row says of the call it announces.
#[derive(Debug, Clone, Default)]
pub struct Intent {
    /// The ids the call acts on, e.g. `campaign_id=cmp_1 lead_id=lead_2`.
    pub targets: Option<String>,
    /// SHA-256 (hex) of the canonical JSON of the arguments: proves what
    /// was asked without storing personal data.
    pub args_hash: Option<String>,
}

/// Filters of [`AuditLog::query`]; every one set must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub tool: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<String>,
    /// `intent` (calls that never completed) or `done`.
    pub state: Option<String>,
    /// RFC 3339 lower bound (inclusive).
    pub since: Option<String>,
    /// RFC 3339 upper bound (exclusive).
    pub until: Option<String>,
    pub limit: i64,
}

/// One audited call, as `audit_query` returns it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub server: String,
    pub tool: String,
    /// `ok`, `tool_error`, `protocol_error`, or `running` for an intent
    /// that never completed (the process stopped mid-call).
    pub outcome: String,
    pub error_kind: Option<String>,
    pub error_ref: Option<String>,
    /// `intent` until the call completes, then `done`.
    pub state: String,
    pub completed_at: Option<String>,
    pub targets: Option<String>,
    pub args_hash: Option<String>,
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

    /// Writes the row of a call that is about to spend, send, delete or
    /// approve, before it acts: state `intent`, outcome `running`. Returns
    /// its id for [`AuditLog::finish`].
    pub async fn begin(&self, e: &AuditEntry<'_>, intent: &Intent) -> Result<i64, AppError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_log (at, actor, tenant_id, server, tool, outcome, state, targets, \
             args_hash, latency_us) VALUES ($1, $2, $3, $4, $5, 'running', 'intent', $6, $7, 0) \
             RETURNING id",
        )
        .bind(now_ts())
        .bind(e.actor.to_owned())
        .bind(e.tenant.to_owned())
        .bind(e.server.to_owned())
        .bind(e.tool.to_owned())
        .bind(intent.targets.clone())
        .bind(intent.args_hash.clone())
        .fetch_one(self.db.pool())
        .await?;
        Ok(id)
    }

    /// Completes an intent row with the call's outcome.
    pub async fn finish(&self, id: i64, e: &AuditEntry<'_>) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE audit_log SET outcome = $1, error_kind = $2, error_ref = $3, \
             latency_us = $4, state = 'done', completed_at = $5 WHERE id = $6",
        )
        .bind(e.outcome.to_owned())
        .bind(e.error_kind.map(str::to_owned))
        .bind(e.error_ref.map(str::to_owned))
        .bind(e.latency_us)
        .bind(now_ts())
        .bind(id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Rows of one tenant, newest first, that match every filter set.
    pub async fn query(&self, tenant: &str, f: &AuditFilter) -> Result<Vec<AuditRow>, AppError> {
        let limit = f.limit.clamp(1, 1000);
        let rows = sqlx::query(
            "SELECT id, at, actor, server, tool, outcome, error_kind, error_ref, state, \
             completed_at, targets, args_hash, latency_us FROM audit_log \
             WHERE tenant_id = $1 AND ($2 IS NULL OR tool = $2) AND ($3 IS NULL OR actor = $3) \
             AND ($4 IS NULL OR outcome = $4) AND ($5 IS NULL OR at >= $5) \
             AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR state = $7) \
             ORDER BY at DESC, id DESC LIMIT $8",
        )
        .bind(tenant.to_owned())
        .bind(f.tool.clone())
        .bind(f.actor.clone())
        .bind(f.outcome.clone())
        .bind(f.since.clone())
        .bind(f.until.clone())
        .bind(f.state.clone())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    server: r.try_get("server")?,
                    tool: r.try_get("tool")?,
                    outcome: r.try_get("outcome")?,
                    error_kind: r.try_get("error_kind")?,
                    error_ref: r.try_get("error_ref")?,
                    state: r.try_get("state")?,
                    completed_at: r.try_get("completed_at")?,
                    targets: r.try_get("targets")?,
                    args_hash: r.try_get("args_hash")?,
                    latency_us: r.try_get("latency_us")?,
                })
            })
            .collect()
    }

    /// Deletes rows older than `before` (RFC 3339): the retention job.
    pub async fn prune(&self, before: &str) -> Result<u64, AppError> {
        let r = sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(before.to_owned())
            .execute(self.db.pool())
            .await?;
        Ok(r.rows_affected())
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

            // An intent survives on its own; finishing completes it.
            let intent = Intent {
                targets: Some("campaign_id=cmp_1".into()),
                args_hash: Some("ab".into()),
            };
            let id = log.begin(&entries[1], &intent).await.unwrap();
            let open = AuditFilter {
                state: Some("intent".into()),
                limit: 10,
                ..Default::default()
            };
            let rows = log.query("t1", &open).await.unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].outcome, "running");
            assert_eq!(rows[0].targets.as_deref(), Some("campaign_id=cmp_1"));
            log.finish(id, &entries[1]).await.unwrap();
            assert!(log.query("t1", &open).await.unwrap().is_empty());
            let by_tool = AuditFilter {
                tool: Some("ask".into()),
                limit: 5,
                ..Default::default()
            };
            assert_eq!(log.query("t1", &by_tool).await.unwrap().len(), 5);
            assert!(log.query("t2", &by_tool).await.unwrap().is_empty());
            assert_eq!(log.prune("9999").await.unwrap(), 1502);
            t.cleanup().await;
        }
    }
}
