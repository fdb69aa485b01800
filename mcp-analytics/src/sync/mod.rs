//! The delta pipeline that feeds the warehouse (`wh_*`) from the
//! sub-companies' tables, through their read crates' documented delta reads.
//!
//! Source tables are read in dependency order (clients, products,
//! campaigns, ad_daily, leads, sales), each from its watermark: the
//! `(updated_at, id)` of the last row taken, kept in `sync_watermarks`. A
//! table is read in batches; each batch's warehouse upserts, the propagation
//! of changed campaign attributes to the facts and the new watermark commit
//! in **one transaction** on the warehouse, so a failed batch leaves both
//! the warehouse and its watermark as they were, and the next run retries it.
//! Batches committed before a failure stay (their watermark moved with them),
//! so the warehouse is always consistent with its watermarks.
//!
//! Upserts compare every column (`IS DISTINCT FROM`) and rewrite only rows
//! that differ, so re-reading a row that did not change writes nothing and a
//! run with no source change writes nothing and leaves `wh_state.data_version`
//! alone. A run that wrote rows bumps it once, at its end (a failed run too,
//! if batches committed before the failure), so answers cached under the old
//! version are not served for the new data. A failed table stops the run; the
//! tables after it are recorded as skipped.
//!
//! While one batch is written, the next one is read from its source: reading
//! moves nothing, so a failed write simply discards what was read ahead.
//!
//! Facts are denormalised: client, objective and currency of an ad row come
//! from its campaign in `wh_campaigns` (synced earlier in the same run; an ad
//! row whose campaign the warehouse does not know fails the run), the
//! objective of a lead or sale from its campaign (NULL without one), and the
//! ISO week (`2026-W01`), month, quarter (`2026-Q1`) and year are computed
//! from the fact's date: `ad_daily.date`, the lead's `created_at` and the
//! sale's `closed_at` (UTC dates).
//!
//! Every table of every run leaves a `sync_runs` row (started, finished, rows
//! read and written, watermark before and after, error).
//!
//! Known limits: deletions in a source are not seen (no source deletes rows
//! today), and a source transaction that commits a row stamped *before* a
//! watermark another transaction already moved past is not re-read.

mod ledger;
mod upsert;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use ads_read::AdsReader;
use crm_read::CrmReader;
use promptsales_catalog::CatalogReader;
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;
use serde::Serialize;

pub use ledger::{RunRecord, SyncStatus, TableStatus};
pub use upsert::{Grains, grains, iso_week, month, quarter, year};

use upsert::RunState;

/// Source rows read (and written) per transaction.
pub const DEFAULT_BATCH_SIZE: usize = 5_000;

/// The sub-companies' data the warehouse is fed from, each through its
/// read crate (opened with its `SCHEMA`, never migrated here).
#[derive(Clone, Debug)]
pub struct Sources {
    pub catalog: CatalogReader,
    pub ads: AdsReader,
    pub crm: CrmReader,
    dbs: Vec<Db>,
}

impl Sources {
    /// Readers over the `core`, `ads` and `crm` databases.
    pub fn new(catalog: Db, ads: Db, crm: Db) -> Self {
        Self {
            catalog: CatalogReader::new(catalog.clone()),
            ads: AdsReader::new(ads.clone()),
            crm: CrmReader::new(crm.clone()),
            dbs: vec![catalog, ads, crm],
        }
    }

    /// The source databases (for readiness probes).
    pub fn databases(&self) -> &[Db] {
        &self.dbs
    }
}

/// A source table of the pipeline, in the order a run processes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceTable {
    Clients,
    Products,
    Campaigns,
    AdDaily,
    Leads,
    Sales,
}

impl SourceTable {
    /// Dependency order: dimensions first, facts after their campaigns.
    pub const ALL: [SourceTable; 6] = [
        SourceTable::Clients,
        SourceTable::Products,
        SourceTable::Campaigns,
        SourceTable::AdDaily,
        SourceTable::Leads,
        SourceTable::Sales,
    ];

    /// The source table's name, as recorded in `sync_runs` and
    /// `sync_watermarks`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceTable::Clients => "clients",
            SourceTable::Products => "products",
            SourceTable::Campaigns => "campaigns",
            SourceTable::AdDaily => "ad_daily",
            SourceTable::Leads => "leads",
            SourceTable::Sales => "sales",
        }
    }
}

/// What one table of a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TableReport {
    /// Source table name (`clients`, `products`, `campaigns`, `ad_daily`,
    /// `leads`, `sales`).
    pub table: String,
    /// Source rows read.
    pub rows_read: u64,
    /// Warehouse rows inserted or changed (including fact rows updated
    /// because their campaign's client, objective or currency changed).
    pub rows_written: u64,
    /// Keyset position before the run, as `updated_at|id`.
    pub watermark_before: Option<String>,
    /// Keyset position after the run, as `updated_at|id`.
    pub watermark_after: Option<String>,
}

/// What a sync run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SyncReport {
    /// One entry per source table, in processing order.
    pub tables: Vec<TableReport>,
    /// The warehouse's data version after the run.
    pub data_version: i64,
    /// Whether the run changed the warehouse (and so bumped the version).
    pub changed: bool,
    pub duration_ms: u64,
}

/// Progress of a running sync, reported after every committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub table: &'static str,
    /// 1-based position of `table` among all tables.
    pub table_index: usize,
    pub table_count: usize,
    /// Totals of `table` so far in this run.
    pub rows_read: u64,
    pub rows_written: u64,
    pub watermark: Option<String>,
}

/// The delta pipeline of one warehouse.
#[derive(Clone, Debug)]
pub struct Syncer {
    sources: Sources,
    warehouse: Db,
    batch_size: usize,
    /// Runs of one syncer (and its clones) do not overlap, whatever the
    /// tenant.
    gate: Arc<tokio::sync::Mutex<()>>,
    /// Test hook: fail the given batch (1-based) of a table after its
    /// writes, before its commit.
    #[cfg(test)]
    fail_at: Option<(SourceTable, usize)>,
}

impl Syncer {
    /// A pipeline from `sources` into the `analytics` database `warehouse`
    /// (owned and migrated with [`analytics_read::MIGRATIONS`]).
    pub fn new(sources: Sources, warehouse: Db) -> Self {
        Self {
            sources,
            warehouse,
            batch_size: DEFAULT_BATCH_SIZE,
            gate: Arc::new(tokio::sync::Mutex::new(())),
            #[cfg(test)]
            fail_at: None,
        }
    }

    /// Source rows per batch (and transaction); at least 1.
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    pub fn warehouse(&self) -> &Db {
        &self.warehouse
    }

    /// Brings the tenant's warehouse up to date with the sources. On error
    /// the failing table's run is recorded with the error, the failed batch
    /// left no trace, and the error is returned; batches committed before it
    /// stay (with their watermarks).
    pub async fn run(
        &self,
        tenant: &TenantId,
        progress: Option<&(dyn Fn(SyncProgress) + Send + Sync)>,
    ) -> Result<SyncReport, AppError> {
        let _gate = self.gate.lock().await;
        let started = Instant::now();
        let stamp: String = now_ts()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let mut state = RunState {
            stamp,
            campaigns: self.load_campaigns(tenant).await?,
            facts_exist: self.facts_exist(tenant).await?,
        };
        let mut tables = Vec::with_capacity(SourceTable::ALL.len());
        let mut failure: Option<(SourceTable, AppError)> = None;
        for (i, table) in SourceTable::ALL.into_iter().enumerate() {
            if let Some((failed, _)) = &failure {
                // Later tables depend on the failed one: recorded as skipped.
                let note = format!("skipped: `{}` failed first", failed.as_str());
                self.record_skipped(tenant, table, &state.stamp, &note)
                    .await;
                continue;
            }
            let (report, result) = self
                .sync_table(tenant, table, i + 1, &mut state, progress)
                .await;
            tables.push(report);
            if let Err(e) = result {
                failure = Some((table, e));
            }
        }
        let written: u64 = tables.iter().map(|t| t.rows_written).sum();
        let state = self
            .record_state(tenant, written > 0, failure.is_none())
            .await;
        if let Some((_, e)) = failure {
            if let Err(s) = state {
                tracing::error!(error = %s, "cannot record the warehouse state after a failed sync");
            }
            tracing::warn!(tenant = tenant.as_str(), error = %e, "sync failed");
            return Err(e);
        }
        let data_version = state?;
        let report = SyncReport {
            tables,
            data_version,
            changed: written > 0,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        tracing::info!(
            tenant = tenant.as_str(),
            rows_written = written,
            data_version,
            duration_ms = report.duration_ms,
            "sync finished"
        );
        Ok(report)
    }

    /// Runs one table and records it in `sync_runs`; returns what it did
    /// whether or not it failed.
    async fn sync_table(
        &self,
        tenant: &TenantId,
        table: SourceTable,
        index: usize,
        state: &mut RunState,
        progress: Option<&(dyn Fn(SyncProgress) + Send + Sync)>,
    ) -> (TableReport, Result<(), AppError>) {
        let run_id = format!("run_{}_{}", state.stamp, table.as_str());
        let mut report = TableReport {
            table: table.as_str().to_owned(),
            rows_read: 0,
            rows_written: 0,
            watermark_before: None,
            watermark_after: None,
        };
        let result = self
            .sync_table_batches(tenant, table, index, &run_id, &mut report, state, progress)
            .await;
        let error = result
            .as_ref()
            .err()
            .map(|e| recorded_error(e, &run_id, table));
        if let Err(e) = self
            .finish_run(tenant, &run_id, &report, error.as_deref())
            .await
        {
            tracing::error!(table = table.as_str(), error = %e, "cannot record the sync run");
            if result.is_ok() {
                return (report, Err(e));
            }
        }
        (report, result)
    }

    #[allow(clippy::too_many_arguments)]
    async fn sync_table_batches(
        &self,
        tenant: &TenantId,
        table: SourceTable,
        index: usize,
        run_id: &str,
        report: &mut TableReport,
        state: &mut RunState,
        progress: Option<&(dyn Fn(SyncProgress) + Send + Sync)>,
    ) -> Result<(), AppError> {
        let mark = self.watermark(tenant, table).await?;
        report.watermark_before = mark.as_ref().map(ToString::to_string);
        report.watermark_after = report.watermark_before.clone();
        self.start_run(tenant, run_id, table, report.watermark_before.as_deref())
            .await?;
        let limit = i64::try_from(self.batch_size).unwrap_or(i64::MAX);
        let mut batch_no = 0;
        let mut pending = self
            .read_batch(tenant, table, mark.as_ref(), limit, state)
            .await?;
        loop {
            batch_no += 1;
            let mut batch = pending;
            let Some(last) = batch.last.clone() else {
                break;
            };
            let read = batch.read;
            // While a batch is written, the next one is read (from another
            // database): reading ahead moves nothing, so a failed write
            // discards it.
            let ahead = async {
                if read < self.batch_size {
                    None
                } else {
                    Some(
                        self.read_batch(tenant, table, Some(&last), limit, state)
                            .await,
                    )
                }
            };
            let (written, ahead) = tokio::join!(
                self.write_batch(tenant, table, batch_no, &mut batch, state),
                ahead
            );
            let written = written?;
            if table == SourceTable::Campaigns {
                state.campaigns.extend(batch.campaigns);
            }
            report.rows_read += read as u64;
            report.rows_written += written;
            report.watermark_after = Some(last.to_string());
            if let Some(p) = progress {
                p(SyncProgress {
                    table: table.as_str(),
                    table_index: index,
                    table_count: SourceTable::ALL.len(),
                    rows_read: report.rows_read,
                    rows_written: report.rows_written,
                    watermark: report.watermark_after.clone(),
                });
            }
            match ahead {
                None => break,
                Some(next) => pending = next?,
            }
        }
        Ok(())
    }
}

/// What `sync_runs.error` keeps of a failure, which `sync_status` shows to
/// clients: the sentence of an error meant for them, and for an internal
/// one (driver text, SQL) only a pointer to the log line with the details.
fn recorded_error(e: &AppError, run_id: &str, table: SourceTable) -> String {
    match e {
        AppError::Internal(detail) => {
            tracing::error!(run_id, table = table.as_str(), detail, "sync table failed");
            format!("internal error; the details are in the server log under run `{run_id}`")
        }
        other => other.to_string(),
    }
}
