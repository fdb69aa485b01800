//! The pipeline's ledger: per-table watermarks (`sync_watermarks`), one
//! `sync_runs` row per table and run, and the warehouse's version
//! (`wh_state`), with the status built from them.

use promptsales_shared::AppError;
use promptsales_shared::delta::Watermark;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SourceTable, Syncer, TableReport};

/// A recorded run of one source table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RunRecord {
    pub id: String,
    pub started_at: String,
    /// Absent while the run is going on (or if it was interrupted).
    pub finished_at: Option<String>,
    pub rows_read: i64,
    pub rows_written: i64,
    pub watermark_before: Option<String>,
    pub watermark_after: Option<String>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

/// The sync state of one source table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TableStatus {
    pub table: String,
    /// How far the table has been read, as `updated_at|id`; absent before
    /// its first row was synced.
    pub watermark: Option<String>,
    pub last_run: Option<RunRecord>,
}

/// The pipeline's state for one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SyncStatus {
    pub tables: Vec<TableStatus>,
    /// Bumped by every run that changed the warehouse; 0 before the first.
    pub data_version: i64,
    /// When the last successful run finished (RFC 3339), if ever.
    pub last_synced_at: Option<String>,
}

impl Syncer {
    /// Per table: watermark and last run; and the warehouse's version.
    pub async fn status(&self, tenant: &TenantId) -> Result<SyncStatus, AppError> {
        let pool = self.warehouse.pool();
        let mut tables = Vec::with_capacity(SourceTable::ALL.len());
        for table in SourceTable::ALL {
            let watermark = self.watermark(tenant, table).await?.map(|w| w.to_string());
            let last_run = sqlx::query(
                "SELECT id, started_at, finished_at, rows_read, rows_written, \
                 watermark_before, watermark_after, error \
                 FROM sync_runs WHERE tenant_id = $1 AND source_table = $2 \
                 ORDER BY started_at DESC, id DESC LIMIT 1",
            )
            .bind(tenant.as_str())
            .bind(table.as_str())
            .fetch_optional(pool)
            .await?
            .map(|r| run_from_row(&r))
            .transpose()?;
            tables.push(TableStatus {
                table: table.as_str().to_owned(),
                watermark,
                last_run,
            });
        }
        let (data_version, last_synced_at) = self.data_version(tenant).await?;
        Ok(SyncStatus {
            tables,
            data_version,
            last_synced_at,
        })
    }

    /// The warehouse's data version and when it was last synced: `(0,
    /// None)` before the first sync.
    pub async fn data_version(&self, tenant: &TenantId) -> Result<(i64, Option<String>), AppError> {
        let f = analytics_read::freshness(&self.warehouse, tenant).await?;
        Ok((f.data_version, f.last_synced_at))
    }

    pub(super) async fn watermark(
        &self,
        tenant: &TenantId,
        table: SourceTable,
    ) -> Result<Option<Watermark>, AppError> {
        let row = sqlx::query(
            "SELECT updated_at, last_id FROM sync_watermarks \
             WHERE tenant_id = $1 AND source_table = $2",
        )
        .bind(tenant.as_str())
        .bind(table.as_str())
        .fetch_optional(self.warehouse.pool())
        .await?;
        row.map(|r| {
            Ok(Watermark::new(
                r.try_get::<String, _>("updated_at")?,
                r.try_get::<String, _>("last_id")?,
            ))
        })
        .transpose()
    }
    /// Records a table a failed run did not reach. Best effort: the
    /// failure itself is what the caller gets.
    pub(super) async fn record_skipped(
        &self,
        tenant: &TenantId,
        table: SourceTable,
        stamp: &str,
        note: &str,
    ) {
        let run_id = format!("run_{stamp}_{}", table.as_str());
        let recorded = async {
            let mark = self.watermark(tenant, table).await?.map(|w| w.to_string());
            self.start_run(tenant, &run_id, table, mark.as_deref())
                .await?;
            let report = TableReport {
                table: table.as_str().to_owned(),
                rows_read: 0,
                rows_written: 0,
                watermark_before: mark.clone(),
                watermark_after: mark,
            };
            self.finish_run(tenant, &run_id, &report, Some(note)).await
        };
        if let Err(e) = recorded.await {
            tracing::warn!(table = table.as_str(), error = %e, "cannot record a skipped table");
        }
    }

    pub(super) async fn start_run(
        &self,
        tenant: &TenantId,
        run_id: &str,
        table: SourceTable,
        watermark_before: Option<&str>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO sync_runs (tenant_id, id, source_table, started_at, rows_read, \
             rows_written, watermark_before, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 0, 0, $5, $4, $4)",
        )
        .bind(tenant.as_str())
        .bind(run_id.to_owned())
        .bind(table.as_str())
        .bind(now)
        .bind(watermark_before.map(str::to_owned))
        .execute(self.warehouse.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn finish_run(
        &self,
        tenant: &TenantId,
        run_id: &str,
        report: &TableReport,
        error: Option<&str>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "UPDATE sync_runs SET finished_at = $3, rows_read = $4, rows_written = $5, \
             watermark_after = $6, error = $7, updated_at = $3 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(run_id.to_owned())
        .bind(now)
        .bind(i64::try_from(report.rows_read).unwrap_or(i64::MAX))
        .bind(i64::try_from(report.rows_written).unwrap_or(i64::MAX))
        .bind(report.watermark_after.clone())
        .bind(error.map(str::to_owned))
        .execute(self.warehouse.pool())
        .await?;
        Ok(())
    }

    /// Bumps the data version when the run wrote rows; stamps
    /// `last_synced_at` when it succeeded. Returns the version.
    pub(super) async fn record_state(
        &self,
        tenant: &TenantId,
        changed: bool,
        succeeded: bool,
    ) -> Result<i64, AppError> {
        let now = now_ts();
        let sql = match (changed, succeeded) {
            (true, true) => {
                "INSERT INTO wh_state (tenant_id, data_version, last_synced_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET \
                   data_version = wh_state.data_version + 1, last_synced_at = excluded.last_synced_at"
            }
            (true, false) => {
                "INSERT INTO wh_state (tenant_id, data_version, last_synced_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET data_version = wh_state.data_version + 1"
            }
            (false, true) => {
                "INSERT INTO wh_state (tenant_id, data_version, last_synced_at) VALUES ($1, 0, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET last_synced_at = excluded.last_synced_at"
            }
            (false, false) => return Ok(self.data_version(tenant).await?.0),
        };
        sqlx::query(sql)
            .bind(tenant.as_str())
            .bind(now)
            .execute(self.warehouse.pool())
            .await?;
        Ok(self.data_version(tenant).await?.0)
    }
}

fn run_from_row(r: &AnyRow) -> Result<RunRecord, AppError> {
    Ok(RunRecord {
        id: r.try_get("id")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        rows_read: r.try_get("rows_read")?,
        rows_written: r.try_get("rows_written")?,
        watermark_before: r.try_get("watermark_before")?,
        watermark_after: r.try_get("watermark_after")?,
        error: r.try_get("error")?,
    })
}
