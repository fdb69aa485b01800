//! The delta pipeline that feeds the warehouse (`wh_*`) from the
//! sub-companies' tables, through their stores' documented read paths.
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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use mcp_ads::store::AdsStore;
use mcp_crm::store::CrmStore;
use promptsales_shared::AppError;
use promptsales_shared::catalog::store::CatalogStore;
use promptsales_shared::db::{BulkUpsert, Db};
use promptsales_shared::delta::{Changed, Watermark};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_date, now_ts};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::{AnyArguments, AnyRow};

/// Source rows read (and written) per transaction.
pub const DEFAULT_BATCH_SIZE: usize = 5_000;

/// The sub-companies' stores the warehouse is fed from.
#[derive(Clone, Debug)]
pub struct Sources {
    pub catalog: CatalogStore,
    pub ads: AdsStore,
    pub crm: CrmStore,
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

    fn warehouse(self) -> &'static BulkUpsert {
        match self {
            SourceTable::Clients => &WH_CLIENTS,
            SourceTable::Products => &WH_PRODUCTS,
            SourceTable::Campaigns => &WH_CAMPAIGNS,
            SourceTable::AdDaily => &WH_AD_DAILY,
            SourceTable::Leads => &WH_LEADS,
            SourceTable::Sales => &WH_SALES,
        }
    }
}

// Warehouse upserts. Every table starts with `tenant_id, id`; the values of
// the other columns are bound in the order listed.
const WH_CLIENTS: BulkUpsert = BulkUpsert {
    table: "wh_clients",
    columns: &["tenant_id", "id", "name", "industry", "country"],
    key: "tenant_id, id",
    update: &["name", "industry", "country"],
};

const WH_PRODUCTS: BulkUpsert = BulkUpsert {
    table: "wh_products",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "name",
        "category",
        "currency",
    ],
    key: "tenant_id, id",
    update: &["client_id", "name", "category", "currency"],
};

const WH_CAMPAIGNS: BulkUpsert = BulkUpsert {
    table: "wh_campaigns",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "name",
        "objective",
        "status",
        "currency",
    ],
    key: "tenant_id, id",
    update: &["client_id", "name", "objective", "status", "currency"],
};

const WH_AD_DAILY: BulkUpsert = BulkUpsert {
    table: "wh_ad_daily",
    columns: &[
        "tenant_id",
        "id",
        "date",
        "week",
        "month",
        "quarter",
        "year",
        "campaign_id",
        "client_id",
        "objective",
        "channel",
        "country",
        "currency",
        "impressions",
        "reach",
        "clicks",
        "spend_cents",
        "conversions",
    ],
    key: "tenant_id, id",
    update: &[
        "date",
        "week",
        "month",
        "quarter",
        "year",
        "campaign_id",
        "client_id",
        "objective",
        "channel",
        "country",
        "currency",
        "impressions",
        "reach",
        "clicks",
        "spend_cents",
        "conversions",
    ],
};

const WH_LEADS: BulkUpsert = BulkUpsert {
    table: "wh_leads",
    columns: &[
        "tenant_id",
        "id",
        "date",
        "week",
        "month",
        "quarter",
        "year",
        "campaign_id",
        "client_id",
        "objective",
        "channel",
        "country",
        "city",
        "stage",
        "currency",
    ],
    key: "tenant_id, id",
    update: &[
        "date",
        "week",
        "month",
        "quarter",
        "year",
        "campaign_id",
        "client_id",
        "objective",
        "channel",
        "country",
        "city",
        "stage",
        "currency",
    ],
};

const WH_SALES: BulkUpsert = BulkUpsert {
    table: "wh_sales",
    columns: &[
        "tenant_id",
        "id",
        "date",
        "week",
        "month",
        "quarter",
        "year",
        "campaign_id",
        "client_id",
        "objective",
        "product_id",
        "lead_id",
        "channel",
        "country",
        "city",
        "amount_cents",
        "currency",
    ],
    key: "tenant_id, id",
    update: &[
        "date",
        "week",
        "month",
        "quarter",
        "year",
        "campaign_id",
        "client_id",
        "objective",
        "product_id",
        "lead_id",
        "channel",
        "country",
        "city",
        "amount_cents",
        "currency",
    ],
};

/// The time grains precomputed for a fact's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grains {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// ISO 8601 week, Monday first, of the ISO week-numbering year:
    /// `YYYY-Www`.
    pub week: String,
    /// `YYYY-MM`.
    pub month: String,
    /// `YYYY-Qn`.
    pub quarter: String,
    /// `YYYY`.
    pub year: String,
}

/// ISO week of `d` as `YYYY-Www` (2027-01-01, a Friday, is `2026-W53`).
pub fn iso_week(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Calendar month of `d` as `YYYY-MM`.
pub fn month(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Calendar quarter of `d` as `YYYY-Qn`.
pub fn quarter(d: NaiveDate) -> String {
    format!("{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

/// Calendar year of `d` as `YYYY`.
pub fn year(d: NaiveDate) -> String {
    format!("{:04}", d.year())
}

/// Every grain of `d`.
pub fn grains(d: NaiveDate) -> Grains {
    Grains {
        date: format_date(d),
        week: iso_week(d),
        month: month(d),
        quarter: quarter(d),
        year: year(d),
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

/// A campaign's attributes copied onto its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CampaignInfo {
    client_id: String,
    objective: String,
    currency: String,
}

/// A bound value of a warehouse row.
enum V {
    T(String),
    N(Option<String>),
    I(i64),
}

/// A batch read from a source and turned into warehouse rows.
struct Batch {
    /// Source rows read.
    read: usize,
    /// Values after `tenant_id`, one vector per row.
    rows: Vec<Vec<V>>,
    /// Position of the batch's last row.
    last: Option<Watermark>,
    /// The campaigns of the batch (campaigns table only).
    campaigns: Vec<(String, CampaignInfo)>,
}

impl Batch {
    fn new<T>(changed: &[Changed<T>], rows: Vec<Vec<V>>) -> Self {
        Self {
            read: changed.len(),
            rows,
            last: changed.last().map(Changed::watermark),
            campaigns: Vec::new(),
        }
    }
}

/// What one run keeps between tables.
struct RunState {
    stamp: String,
    /// Campaigns as committed in the warehouse, by id.
    campaigns: HashMap<String, CampaignInfo>,
    /// Whether the warehouse holds any lead or sale of the tenant (new
    /// campaigns then fix the objective of facts that arrived before them).
    facts_exist: bool,
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
    /// (migrated with [`crate::MIGRATIONS`]).
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
        let row =
            sqlx::query("SELECT data_version, last_synced_at FROM wh_state WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_optional(self.warehouse.pool())
                .await?;
        match row {
            None => Ok((0, None)),
            Some(r) => Ok((r.try_get("data_version")?, r.try_get("last_synced_at")?)),
        }
    }

    async fn watermark(
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

    async fn load_campaigns(
        &self,
        tenant: &TenantId,
    ) -> Result<HashMap<String, CampaignInfo>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, objective, currency FROM wh_campaigns WHERE tenant_id = $1",
        )
        .bind(tenant.as_str())
        .fetch_all(self.warehouse.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id")?,
                    CampaignInfo {
                        client_id: r.try_get("client_id")?,
                        objective: r.try_get("objective")?,
                        currency: r.try_get("currency")?,
                    },
                ))
            })
            .collect()
    }

    async fn facts_exist(&self, tenant: &TenantId) -> Result<bool, AppError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM wh_leads WHERE tenant_id = $1 LIMIT 1) l) \
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM wh_sales WHERE tenant_id = $1 LIMIT 1) s)",
        )
        .bind(tenant.as_str())
        .fetch_one(self.warehouse.pool())
        .await?;
        Ok(n > 0)
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
        let error = result.as_ref().err().map(ToString::to_string);
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

    /// Reads the next batch of `table` and turns it into warehouse rows.
    async fn read_batch(
        &self,
        tenant: &TenantId,
        table: SourceTable,
        after: Option<&Watermark>,
        limit: i64,
        state: &RunState,
    ) -> Result<Batch, AppError> {
        let src = &self.sources;
        Ok(match table {
            SourceTable::Clients => {
                let got = src
                    .catalog
                    .clients_changed_since(tenant, after, limit)
                    .await?;
                let rows = got
                    .iter()
                    .map(|c| {
                        vec![
                            V::T(c.id.clone()),
                            V::T(c.row.name.clone()),
                            V::T(c.row.industry.clone()),
                            V::T(c.row.country.as_str().to_owned()),
                        ]
                    })
                    .collect();
                Batch::new(&got, rows)
            }
            SourceTable::Products => {
                let got = src
                    .catalog
                    .products_changed_since(tenant, after, limit)
                    .await?;
                let rows = got
                    .iter()
                    .map(|p| {
                        vec![
                            V::T(p.id.clone()),
                            V::T(p.row.client_id.as_str().to_owned()),
                            V::T(p.row.name.clone()),
                            V::T(p.row.category.clone()),
                            V::T(p.row.currency.as_str().to_owned()),
                        ]
                    })
                    .collect();
                Batch::new(&got, rows)
            }
            SourceTable::Campaigns => {
                let got = src
                    .ads
                    .campaigns_changed_since(tenant, after, limit)
                    .await?;
                let rows = got
                    .iter()
                    .map(|c| {
                        vec![
                            V::T(c.id.clone()),
                            V::T(c.row.client_id.as_str().to_owned()),
                            V::T(c.row.name.clone()),
                            V::T(c.row.objective.as_str().to_owned()),
                            V::T(c.row.status.as_str().to_owned()),
                            V::T(c.row.currency.as_str().to_owned()),
                        ]
                    })
                    .collect();
                let mut batch = Batch::new(&got, rows);
                batch.campaigns = got
                    .iter()
                    .map(|c| {
                        (
                            c.id.clone(),
                            CampaignInfo {
                                client_id: c.row.client_id.as_str().to_owned(),
                                objective: c.row.objective.as_str().to_owned(),
                                currency: c.row.currency.as_str().to_owned(),
                            },
                        )
                    })
                    .collect();
                batch
            }
            SourceTable::AdDaily => {
                let got = src.ads.ad_daily_changed_since(tenant, after, limit).await?;
                let rows = got
                    .iter()
                    .map(|a| {
                        let r = &a.row;
                        let cmp = state.campaigns.get(r.campaign_id.as_str()).ok_or_else(|| {
                            AppError::Conflict(format!(
                                "ad row `{}` refers to campaign `{}`, which the warehouse does not \
                                 know: sync its campaign first",
                                a.id, r.campaign_id
                            ))
                        })?;
                        let g = grains(r.date);
                        Ok(vec![
                            V::T(a.id.clone()),
                            V::T(g.date),
                            V::T(g.week),
                            V::T(g.month),
                            V::T(g.quarter),
                            V::T(g.year),
                            V::T(r.campaign_id.as_str().to_owned()),
                            V::T(cmp.client_id.clone()),
                            V::T(cmp.objective.clone()),
                            V::T(r.channel.as_str().to_owned()),
                            V::T(r.country.as_str().to_owned()),
                            V::T(cmp.currency.clone()),
                            V::I(r.impressions),
                            V::I(r.reach),
                            V::I(r.clicks),
                            V::I(r.spend_cents),
                            V::I(r.conversions),
                        ])
                    })
                    .collect::<Result<Vec<_>, AppError>>()?;
                Batch::new(&got, rows)
            }
            SourceTable::Leads => {
                let got = src.crm.leads_changed_since(tenant, after, limit).await?;
                let rows = got
                    .iter()
                    .map(|l| {
                        let r = &l.row;
                        let g = grains(r.created_at.date_naive());
                        vec![
                            V::T(l.id.clone()),
                            V::T(g.date),
                            V::T(g.week),
                            V::T(g.month),
                            V::T(g.quarter),
                            V::T(g.year),
                            V::N(r.campaign_id.clone()),
                            V::T(r.client_id.as_str().to_owned()),
                            V::N(objective_of(state, r.campaign_id.as_deref())),
                            V::T(r.channel.as_str().to_owned()),
                            V::T(r.country.as_str().to_owned()),
                            V::N(r.city.clone()),
                            V::T(r.stage.as_str().to_owned()),
                            V::N(currency_of(state, r.campaign_id.as_deref())),
                        ]
                    })
                    .collect();
                Batch::new(&got, rows)
            }
            SourceTable::Sales => {
                let got = src.crm.sales_changed_since(tenant, after, limit).await?;
                let rows = got
                    .iter()
                    .map(|s| {
                        let r = &s.row;
                        let g = grains(r.closed_at.date_naive());
                        vec![
                            V::T(s.id.clone()),
                            V::T(g.date),
                            V::T(g.week),
                            V::T(g.month),
                            V::T(g.quarter),
                            V::T(g.year),
                            V::N(r.campaign_id.clone()),
                            V::T(r.client_id.as_str().to_owned()),
                            V::N(objective_of(state, r.campaign_id.as_deref())),
                            V::N(r.product_id.as_ref().map(|p| p.as_str().to_owned())),
                            V::N(r.lead_id.as_ref().map(|l| l.as_str().to_owned())),
                            V::T(r.channel.as_str().to_owned()),
                            V::T(r.country.as_str().to_owned()),
                            V::N(r.city.clone()),
                            V::I(r.amount_cents),
                            V::T(r.currency.as_str().to_owned()),
                        ]
                    })
                    .collect();
                Batch::new(&got, rows)
            }
        })
    }

    /// Writes a batch and its watermark in one transaction; returns the
    /// warehouse rows changed. The caller adds the batch's campaigns to the
    /// run's map once this returned (that is, committed).
    async fn write_batch(
        &self,
        tenant: &TenantId,
        table: SourceTable,
        batch_no: usize,
        batch: &mut Batch,
        state: &RunState,
    ) -> Result<u64, AppError> {
        let Some(last) = batch.last.clone() else {
            return Ok(0);
        };
        let spec = table.warehouse();
        let backend = self.warehouse.backend();
        let per_statement = spec.max_rows();
        let mut written = 0;
        let mut tx = self.warehouse.pool().begin().await?;
        let mut rows = std::mem::take(&mut batch.rows).into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<V>> = rows.by_ref().take(per_statement).collect();
            let mut q = sqlx::query(spec.sql(chunk.len(), backend));
            for row in chunk {
                q = q.bind(tenant.as_str().to_owned());
                for v in row {
                    q = bind(q, v);
                }
            }
            written += q.execute(&mut *tx).await?.rows_affected();
        }
        if table == SourceTable::Campaigns {
            for (id, new) in &batch.campaigns {
                match state.campaigns.get(id) {
                    Some(old) if old == new => {}
                    Some(_) => {
                        written += propagate(&mut tx, tenant, id, new, true).await?;
                    }
                    None if state.facts_exist => {
                        written += propagate(&mut tx, tenant, id, new, false).await?;
                    }
                    None => {}
                }
            }
        }
        #[cfg(test)]
        if self.fail_at == Some((table, batch_no)) {
            return Err(AppError::Internal(format!(
                "injected failure in batch {batch_no} of {}",
                table.as_str()
            )));
        }
        // The watermark never moves backwards, even if runs from two
        // processes overlap.
        sqlx::query(
            "INSERT INTO sync_watermarks (tenant_id, source_table, updated_at, last_id) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, source_table) DO UPDATE SET \
               updated_at = excluded.updated_at, last_id = excluded.last_id \
             WHERE (sync_watermarks.updated_at, sync_watermarks.last_id) \
                 < (excluded.updated_at, excluded.last_id)",
        )
        .bind(tenant.as_str())
        .bind(table.as_str())
        .bind(last.updated_at.clone())
        .bind(last.id.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::debug!(
            table = table.as_str(),
            batch = batch_no,
            rows = written,
            "sync batch committed"
        );
        Ok(written)
    }

    /// Records a table a failed run did not reach. Best effort: the
    /// failure itself is what the caller gets.
    async fn record_skipped(&self, tenant: &TenantId, table: SourceTable, stamp: &str, note: &str) {
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

    async fn start_run(
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

    async fn finish_run(
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
    async fn record_state(
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

/// The objective of a fact's campaign; NULL without a campaign (or, until
/// it arrives, for a campaign the warehouse does not know yet).
fn objective_of(state: &RunState, campaign: Option<&str>) -> Option<String> {
    campaign.and_then(|c| state.campaigns.get(c).map(|i| i.objective.clone()))
}

/// The currency of a lead's campaign (a lead has no money of its own; cost
/// per lead is reported in its campaign's currency).
fn currency_of(state: &RunState, campaign: Option<&str>) -> Option<String> {
    campaign.and_then(|c| state.campaigns.get(c).map(|i| i.currency.clone()))
}

fn bind<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, AnyArguments>,
    v: V,
) -> sqlx::query::Query<'q, sqlx::Any, AnyArguments> {
    match v {
        V::T(s) => q.bind(s),
        V::N(s) => q.bind(s),
        V::I(i) => q.bind(i),
    }
}

/// Copies a campaign's attributes onto its existing facts: client,
/// objective and currency of ad rows (only when `changed`: a campaign new to
/// the warehouse has no ad rows), the currency of leads and the objective
/// of leads and sales.
async fn propagate(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    campaign: &str,
    info: &CampaignInfo,
    changed: bool,
) -> Result<u64, AppError> {
    let mut n = 0;
    if changed {
        n += sqlx::query(
            "UPDATE wh_ad_daily SET client_id = $3, objective = $4, currency = $5 \
             WHERE tenant_id = $1 AND campaign_id = $2 \
               AND (client_id <> $3 OR objective <> $4 OR currency <> $5)",
        )
        .bind(tenant.as_str())
        .bind(campaign.to_owned())
        .bind(info.client_id.clone())
        .bind(info.objective.clone())
        .bind(info.currency.clone())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    n += sqlx::query(
        "UPDATE wh_leads SET objective = $3, currency = $4 \
         WHERE tenant_id = $1 AND campaign_id = $2 \
           AND (objective IS NULL OR objective <> $3 OR currency IS NULL OR currency <> $4)",
    )
    .bind(tenant.as_str())
    .bind(campaign.to_owned())
    .bind(info.objective.clone())
    .bind(info.currency.clone())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    n += sqlx::query(
        "UPDATE wh_sales SET objective = $3 WHERE tenant_id = $1 AND campaign_id = $2 \
           AND (objective IS NULL OR objective <> $3)",
    )
    .bind(tenant.as_str())
    .bind(campaign.to_owned())
    .bind(info.objective.clone())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n)
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use mcp_ads::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};
    use mcp_crm::domain::{Lead, LeadId, LeadStage, Sale, SaleId};
    use promptsales_shared::catalog::model::{Client, Product};
    use promptsales_shared::config::DbConfig;
    use promptsales_shared::domain::{Channel, ClientId, Country, Currency, ProductId};

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn iso_weeks_months_quarters_and_years() {
        // 2026-01-01 is a Thursday: week 1 of 2026 runs Mon 2025-12-29 to
        // Sun 2026-01-04.
        assert_eq!(iso_week(day(2025, 12, 29)), "2026-W01");
        assert_eq!(iso_week(day(2026, 1, 1)), "2026-W01");
        assert_eq!(iso_week(day(2026, 1, 4)), "2026-W01");
        assert_eq!(iso_week(day(2026, 1, 5)), "2026-W02");
        // 2027-01-01 is a Friday: it closes 2026's 53rd week.
        assert_eq!(iso_week(day(2026, 12, 28)), "2026-W53");
        assert_eq!(iso_week(day(2027, 1, 1)), "2026-W53");
        assert_eq!(iso_week(day(2027, 1, 4)), "2027-W01");
        // 2021-01-03 is a Sunday still in 2020-W53.
        assert_eq!(iso_week(day(2021, 1, 3)), "2020-W53");
        for (d, q) in [
            (day(2026, 1, 1), "2026-Q1"),
            (day(2026, 3, 31), "2026-Q1"),
            (day(2026, 4, 1), "2026-Q2"),
            (day(2026, 6, 30), "2026-Q2"),
            (day(2026, 7, 1), "2026-Q3"),
            (day(2026, 9, 30), "2026-Q3"),
            (day(2026, 10, 1), "2026-Q4"),
            (day(2026, 12, 31), "2026-Q4"),
        ] {
            assert_eq!(quarter(d), q, "{d}");
        }
        assert_eq!(month(day(2026, 3, 9)), "2026-03");
        assert_eq!(year(day(2026, 3, 9)), "2026");
        assert_eq!(
            grains(day(2027, 1, 1)),
            Grains {
                date: "2027-01-01".into(),
                week: "2026-W53".into(),
                month: "2027-01".into(),
                quarter: "2027-Q1".into(),
                year: "2027".into(),
            }
        );
    }

    /// Tool handlers run on a multi-threaded runtime: the futures must be
    /// `Send`. This compiles only if they are.
    #[test]
    fn sync_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        fn check(s: &Syncer, t: &TenantId) {
            send(&s.run(t, None));
            send(&s.status(t));
            send(&s.data_version(t));
        }
        let _ = check;
    }

    #[test]
    fn warehouse_upserts_compare_every_column() {
        for t in SourceTable::ALL {
            let spec = t.warehouse();
            assert_eq!(&spec.columns[..2], ["tenant_id", "id"]);
            assert_eq!(spec.update, &spec.columns[2..], "{}", spec.table);
        }
    }

    // --- fixtures -------------------------------------------------------

    fn client(id: &str, country: &str) -> Client {
        Client {
            id: ClientId::parse(id).unwrap(),
            name: format!("Client {id}"),
            industry: "retail".into(),
            country: Country::parse(country).unwrap(),
        }
    }

    fn product(id: &str, client: &str, currency: &str) -> Product {
        Product {
            id: ProductId::parse(id).unwrap(),
            client_id: ClientId::parse(client).unwrap(),
            name: format!("Product {id}"),
            category: "plans".into(),
            unit_price_cents: 10_000,
            currency: Currency::parse(currency).unwrap(),
        }
    }

    fn campaign(id: &str, client: &str, objective: Objective, currency: &str) -> Campaign {
        Campaign {
            id: CampaignId::parse(id).unwrap(),
            client_id: ClientId::parse(client).unwrap(),
            name: format!("Campaign {id}"),
            objective,
            status: CampaignStatus::Active,
            budget_cents: 1_000_000,
            currency: Currency::parse(currency).unwrap(),
            start_date: day(2026, 1, 1),
            end_date: day(2027, 1, 31),
            channels: vec![Channel::Meta, Channel::GoogleAds],
            countries: vec![Country::parse("CO").unwrap()],
        }
    }

    fn campaigns() -> Vec<Campaign> {
        vec![
            campaign("cmp_1", "cli_1", Objective::Leads, "COP"),
            campaign("cmp_2", "cli_1", Objective::Sales, "COP"),
            campaign("cmp_3", "cli_2", Objective::Awareness, "MXN"),
        ]
    }

    fn ad_rows() -> Vec<AdDaily> {
        let mut out = Vec::new();
        for (cmp, country) in [("cmp_1", "CO"), ("cmp_2", "CO"), ("cmp_3", "MX")] {
            for date in [
                day(2026, 1, 1),
                day(2026, 3, 31),
                day(2026, 12, 31),
                day(2027, 1, 1),
            ] {
                for channel in [Channel::Meta, Channel::GoogleAds] {
                    out.push(AdDaily {
                        date,
                        campaign_id: CampaignId::parse(cmp).unwrap(),
                        channel,
                        country: Country::parse(country).unwrap(),
                        impressions: 1_000,
                        reach: 700,
                        clicks: 40,
                        spend_cents: 25_000,
                        conversions: 3,
                    });
                }
            }
        }
        out
    }

    fn lead(id: &str, client: &str, campaign: Option<&str>, created: &str) -> Lead {
        Lead {
            id: LeadId::parse(id).unwrap(),
            client_id: ClientId::parse(client).unwrap(),
            campaign_id: campaign.map(str::to_owned),
            channel: Channel::Meta,
            country: Country::parse("CO").unwrap(),
            city: Some("Bogotá".into()),
            stage: LeadStage::Mql,
            score: 40,
            seller_id: None,
            created_at: ts(created),
        }
    }

    fn leads() -> Vec<Lead> {
        vec![
            lead("lead_1", "cli_1", Some("cmp_1"), "2026-03-02T10:00:00Z"),
            lead("lead_2", "cli_1", Some("cmp_1"), "2026-03-03T10:00:00Z"),
            lead("lead_3", "cli_1", Some("cmp_2"), "2026-06-30T12:00:00Z"),
            lead("lead_4", "cli_2", Some("cmp_3"), "2026-07-01T00:00:00Z"),
            // 23:30 in Bogotá on New Year's Eve is 2027-01-01 in UTC.
            lead("lead_5", "cli_1", None, "2026-12-31T23:30:00-05:00"),
            lead("lead_6", "cli_2", None, "2026-01-01T00:00:00Z"),
        ]
    }

    #[allow(clippy::too_many_arguments)]
    fn sale(
        id: &str,
        client: &str,
        lead: Option<&str>,
        campaign: Option<&str>,
        product: Option<&str>,
        amount_cents: i64,
        currency: &str,
        closed: &str,
    ) -> Sale {
        Sale {
            id: SaleId::parse(id).unwrap(),
            client_id: ClientId::parse(client).unwrap(),
            lead_id: lead.map(|l| LeadId::parse(l).unwrap()),
            campaign_id: campaign.map(str::to_owned),
            product_id: product.map(|p| ProductId::parse(p).unwrap()),
            channel: Channel::Web,
            country: Country::parse("CO").unwrap(),
            city: None,
            amount_cents,
            currency: Currency::parse(currency).unwrap(),
            closed_at: ts(closed),
        }
    }

    fn sales() -> Vec<Sale> {
        vec![
            sale(
                "sale_1",
                "cli_1",
                Some("lead_1"),
                Some("cmp_1"),
                Some("prd_1"),
                150_000,
                "COP",
                "2026-03-10T15:00:00Z",
            ),
            sale(
                "sale_2",
                "cli_1",
                Some("lead_3"),
                Some("cmp_2"),
                Some("prd_1"),
                99_000,
                "COP",
                "2026-07-02T15:00:00Z",
            ),
            sale(
                "sale_3",
                "cli_2",
                None,
                Some("cmp_3"),
                Some("prd_2"),
                45_050,
                "MXN",
                "2026-12-31T20:00:00-06:00",
            ),
            sale(
                "sale_4",
                "cli_2",
                None,
                None,
                None,
                10_000,
                "MXN",
                "2026-05-05T09:00:00Z",
            ),
        ]
    }

    // --- environment ----------------------------------------------------

    struct Env {
        tenant: TenantId,
        catalog: CatalogStore,
        ads: AdsStore,
        crm: CrmStore,
        wh: Db,
    }

    impl Env {
        async fn open(cfg: DbConfig) -> Env {
            let core = Db::open(&cfg, &promptsales_shared::catalog::MIGRATIONS)
                .await
                .unwrap();
            let ads = Db::open(&cfg, &mcp_ads::MIGRATIONS).await.unwrap();
            let crm = Db::open(&cfg, &mcp_crm::MIGRATIONS).await.unwrap();
            let wh = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
            Env {
                tenant: TenantId::parse("acme").unwrap(),
                catalog: CatalogStore::new(core),
                ads: AdsStore::new(ads),
                crm: CrmStore::new(crm),
                wh,
            }
        }

        fn syncer(&self) -> Syncer {
            Syncer::new(
                Sources {
                    catalog: self.catalog.clone(),
                    ads: self.ads.clone(),
                    crm: self.crm.clone(),
                },
                self.wh.clone(),
            )
        }

        async fn seed(&self) {
            let t = &self.tenant;
            for c in [client("cli_1", "CO"), client("cli_2", "MX")] {
                self.catalog.upsert_client(t, &c).await.unwrap();
            }
            for p in [
                product("prd_1", "cli_1", "COP"),
                product("prd_2", "cli_2", "MXN"),
            ] {
                self.catalog.upsert_product(t, &p).await.unwrap();
            }
            self.ads.upsert_campaigns(t, &campaigns()).await.unwrap();
            self.ads.upsert_ad_daily(t, &ad_rows()).await.unwrap();
            self.crm.upsert_leads(t, &leads()).await.unwrap();
            self.crm.upsert_sales(t, &sales()).await.unwrap();
        }

        /// Every warehouse row of the tenant, as text, table by table.
        async fn snapshot(&self) -> Vec<(&'static str, Vec<Vec<String>>)> {
            let mut out = Vec::new();
            for (name, sql) in [
                (
                    "wh_clients",
                    "SELECT * FROM wh_clients WHERE tenant_id = $1 ORDER BY id",
                ),
                (
                    "wh_products",
                    "SELECT * FROM wh_products WHERE tenant_id = $1 ORDER BY id",
                ),
                (
                    "wh_campaigns",
                    "SELECT * FROM wh_campaigns WHERE tenant_id = $1 ORDER BY id",
                ),
                (
                    "wh_ad_daily",
                    "SELECT * FROM wh_ad_daily WHERE tenant_id = $1 ORDER BY id",
                ),
                (
                    "wh_leads",
                    "SELECT * FROM wh_leads WHERE tenant_id = $1 ORDER BY id",
                ),
                (
                    "wh_sales",
                    "SELECT * FROM wh_sales WHERE tenant_id = $1 ORDER BY id",
                ),
                (
                    "sync_watermarks",
                    "SELECT * FROM sync_watermarks WHERE tenant_id = $1 ORDER BY source_table",
                ),
                ("wh_state", "SELECT * FROM wh_state WHERE tenant_id = $1"),
            ] {
                let rows = sqlx::query(sql)
                    .bind(self.tenant.as_str())
                    .fetch_all(self.wh.pool())
                    .await
                    .unwrap();
                out.push((name, rows.iter().map(cells).collect()));
            }
            out
        }

        async fn wh_row(&self, table: &str, id: &str) -> Vec<String> {
            let snap = self.snapshot().await;
            let (_, rows) = snap.iter().find(|(n, _)| *n == table).unwrap();
            rows.iter()
                .find(|r| r[1] == format!("{:?}", Some(id)))
                .unwrap_or_else(|| panic!("{table} has no row {id}"))
                .clone()
        }
    }

    fn cells(r: &AnyRow) -> Vec<String> {
        (0..r.len())
            .map(|i| {
                if let Ok(v) = r.try_get::<Option<String>, _>(i) {
                    format!("{v:?}")
                } else if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
                    format!("{v:?}")
                } else {
                    panic!("column {i} is neither text nor integer")
                }
            })
            .collect()
    }

    fn col(table: &'static BulkUpsert, name: &str) -> usize {
        table.columns.iter().position(|c| *c == name).unwrap()
    }

    fn by_table(r: &SyncReport) -> HashMap<&str, (u64, u64)> {
        r.tables
            .iter()
            .map(|t| (t.table.as_str(), (t.rows_read, t.rows_written)))
            .collect()
    }

    fn only(r: &SyncReport, table: &str, read: u64, written: u64) {
        for t in &r.tables {
            let want = if t.table == table {
                (read, written)
            } else {
                (0, 0)
            };
            assert_eq!((t.rows_read, t.rows_written), want, "{}: {r:?}", t.table);
        }
    }

    // --- the scenario ---------------------------------------------------

    async fn exercise(env: &Env) {
        let t = &env.tenant;
        env.seed().await;
        let syncer = env.syncer();
        assert_eq!(syncer.data_version(t).await.unwrap(), (0, None));

        // (a) The first sync reads and writes everything.
        let seen = Mutex::new(Vec::new());
        let cb = |p: SyncProgress| seen.lock().unwrap().push(p);
        let r1 = syncer.run(t, Some(&cb)).await.unwrap();
        let want = [
            ("clients", 2),
            ("products", 2),
            ("campaigns", 3),
            ("ad_daily", 24),
            ("leads", 6),
            ("sales", 4),
        ];
        let got = by_table(&r1);
        for (table, n) in want {
            assert_eq!(got[table], (n, n), "{table}: {r1:?}");
        }
        let tables: Vec<&str> = r1.tables.iter().map(|t| t.table.as_str()).collect();
        assert_eq!(
            tables,
            [
                "clients",
                "products",
                "campaigns",
                "ad_daily",
                "leads",
                "sales"
            ]
        );
        assert!(r1.changed);
        assert_eq!(r1.data_version, 1);
        assert!(r1.tables.iter().all(|t| t.watermark_before.is_none()));
        assert!(r1.tables.iter().all(|t| t.watermark_after.is_some()));
        let snap = env.snapshot().await;
        for ((name, rows), (_, n)) in snap.iter().zip(want) {
            assert_eq!(rows.len() as u64, n, "{name}");
        }
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 6, "{seen:?}");
            let last = seen.last().unwrap();
            assert_eq!(
                (last.table, last.table_index, last.table_count),
                ("sales", 6, 6)
            );
            assert_eq!((last.rows_read, last.rows_written), (4, 4));
        }
        let (version, synced) = syncer.data_version(t).await.unwrap();
        assert_eq!(version, 1);
        assert!(synced.is_some());

        // Facts carry their campaign's client, objective and currency and
        // every time grain.
        let ad = env.wh_row("wh_ad_daily", "cmp_3:2027-01-01:meta:MX").await;
        let a = |c: &str| ad[col(&WH_AD_DAILY, c)].clone();
        assert_eq!(a("date"), "Some(\"2027-01-01\")");
        assert_eq!(a("week"), "Some(\"2026-W53\")");
        assert_eq!(a("month"), "Some(\"2027-01\")");
        assert_eq!(a("quarter"), "Some(\"2027-Q1\")");
        assert_eq!(a("year"), "Some(\"2027\")");
        assert_eq!(a("client_id"), "Some(\"cli_2\")");
        assert_eq!(a("objective"), "Some(\"awareness\")");
        assert_eq!(a("currency"), "Some(\"MXN\")");
        assert_eq!(a("spend_cents"), "Some(25000)");
        let l5 = env.wh_row("wh_leads", "lead_5").await;
        assert_eq!(l5[col(&WH_LEADS, "date")], "Some(\"2027-01-01\")");
        assert_eq!(l5[col(&WH_LEADS, "week")], "Some(\"2026-W53\")");
        assert_eq!(l5[col(&WH_LEADS, "campaign_id")], "None");
        assert_eq!(l5[col(&WH_LEADS, "objective")], "None");
        let l3 = env.wh_row("wh_leads", "lead_3").await;
        assert_eq!(l3[col(&WH_LEADS, "objective")], "Some(\"sales\")");
        assert_eq!(l3[col(&WH_LEADS, "quarter")], "Some(\"2026-Q2\")");
        let s3 = env.wh_row("wh_sales", "sale_3").await;
        assert_eq!(s3[col(&WH_SALES, "date")], "Some(\"2027-01-01\")");
        assert_eq!(s3[col(&WH_SALES, "objective")], "Some(\"awareness\")");
        assert_eq!(s3[col(&WH_SALES, "lead_id")], "None");
        assert_eq!(s3[col(&WH_SALES, "amount_cents")], "Some(45050)");
        let s4 = env.wh_row("wh_sales", "sale_4").await;
        assert_eq!(s4[col(&WH_SALES, "objective")], "None");
        assert_eq!(s4[col(&WH_SALES, "product_id")], "None");

        // (b) Nothing changed at the source: nothing read, nothing written,
        // same version.
        let r2 = syncer.run(t, None).await.unwrap();
        assert!(
            r2.tables
                .iter()
                .all(|t| t.rows_read == 0 && t.rows_written == 0)
        );
        assert!(!r2.changed);
        assert_eq!(r2.data_version, 1);
        for (a, b) in r1.tables.iter().zip(&r2.tables) {
            assert_eq!(b.watermark_before, a.watermark_after);
            assert_eq!(b.watermark_after, a.watermark_after);
        }
        assert_eq!(env.snapshot().await[..6], snap[..6]);

        // Re-sending identical source rows does not move their updated_at,
        // so the sync still reads nothing.
        env.crm.upsert_sales(t, &sales()).await.unwrap();
        env.ads.upsert_ad_daily(t, &ad_rows()).await.unwrap();
        let r = syncer.run(t, None).await.unwrap();
        assert!(!r.changed, "{r:?}");
        assert!(r.tables.iter().all(|t| t.rows_read == 0));

        // (c) One sale's amount changes: one row read, one row written, and
        // nothing else in the warehouse moves.
        let before = env.snapshot().await;
        let mut s = sales();
        s[1].amount_cents = 123_400;
        env.crm.upsert_sales(t, &s).await.unwrap();
        let r3 = syncer.run(t, None).await.unwrap();
        only(&r3, "sales", 1, 1);
        assert!(r3.changed);
        assert_eq!(r3.data_version, 2);
        let after = env.snapshot().await;
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            match *name {
                "wh_sales" => {
                    assert_eq!(a.len(), b.len());
                    let diff: Vec<(&Vec<String>, &Vec<String>)> =
                        b.iter().zip(a).filter(|(x, y)| x != y).collect();
                    assert_eq!(diff.len(), 1, "{diff:?}");
                    let (old, new) = diff[0];
                    assert_eq!(new[1], "Some(\"sale_2\")");
                    let amount = col(&WH_SALES, "amount_cents");
                    assert_eq!(new[amount], "Some(123400)");
                    let mut old = old.clone();
                    old[amount] = new[amount].clone();
                    assert_eq!(&old, new, "only the amount changed");
                }
                "sync_watermarks" => {
                    assert_eq!(a.len(), b.len());
                    let diff: Vec<_> = b.iter().zip(a).filter(|(x, y)| x != y).collect();
                    assert_eq!(diff.len(), 1);
                    assert_eq!(diff[0].1[1], "Some(\"sales\")");
                }
                "wh_state" => assert_ne!(a, b),
                _ => assert_eq!(a, b, "{name}"),
            }
        }

        // A campaign's new objective reaches its ad rows, leads and sales in
        // the same transaction.
        let mut c = campaigns();
        c[1].objective = Objective::Traffic;
        env.ads.upsert_campaigns(t, &c).await.unwrap();
        let r = syncer.run(t, None).await.unwrap();
        // 1 campaign + 8 ad rows + lead_3 + sale_2.
        only(&r, "campaigns", 1, 11);
        let ad = env
            .wh_row("wh_ad_daily", "cmp_2:2026-03-31:google_ads:CO")
            .await;
        assert_eq!(ad[col(&WH_AD_DAILY, "objective")], "Some(\"traffic\")");
        let l3 = env.wh_row("wh_leads", "lead_3").await;
        assert_eq!(l3[col(&WH_LEADS, "objective")], "Some(\"traffic\")");
        let s2 = env.wh_row("wh_sales", "sale_2").await;
        assert_eq!(s2[col(&WH_SALES, "objective")], "Some(\"traffic\")");

        // A lead that names a campaign the warehouse does not know yet gets
        // no objective; when the campaign arrives, the lead gets its.
        let late = lead("lead_7", "cli_1", Some("cmp_9"), "2026-08-01T00:00:00Z");
        env.crm
            .upsert_leads(t, std::slice::from_ref(&late))
            .await
            .unwrap();
        only(&syncer.run(t, None).await.unwrap(), "leads", 1, 1);
        let l7 = env.wh_row("wh_leads", "lead_7").await;
        assert_eq!(l7[col(&WH_LEADS, "objective")], "None");
        env.ads
            .upsert_campaigns(t, &[campaign("cmp_9", "cli_1", Objective::Leads, "COP")])
            .await
            .unwrap();
        only(&syncer.run(t, None).await.unwrap(), "campaigns", 1, 2);
        let l7 = env.wh_row("wh_leads", "lead_7").await;
        assert_eq!(l7[col(&WH_LEADS, "objective")], "Some(\"leads\")");

        // (d) An ad row whose campaign the warehouse does not know fails the
        // run: the warehouse and the watermarks stay as they were, and the
        // run records why.
        sqlx::query("DELETE FROM wh_campaigns WHERE tenant_id = $1 AND id = 'cmp_1'")
            .bind(t.as_str())
            .execute(env.wh.pool())
            .await
            .unwrap();
        let mut rows = ad_rows();
        rows[0].clicks += 1;
        env.ads.upsert_ad_daily(t, &rows[..1]).await.unwrap();
        let before = env.snapshot().await;
        let e = syncer.run(t, None).await.unwrap_err().to_string();
        assert!(e.contains("cmp_1"), "{e}");
        assert_eq!(env.snapshot().await, before);
        let status = syncer.status(t).await.unwrap();
        let ad_status = &status.tables[3];
        assert_eq!(ad_status.table, "ad_daily");
        let run = ad_status.last_run.as_ref().unwrap();
        assert!(run.error.as_deref().unwrap().contains("cmp_1"), "{run:?}");
        assert!(run.finished_at.is_some());
        assert_eq!((run.rows_read, run.rows_written), (0, 0));
        assert_eq!(run.watermark_before, run.watermark_after);
        assert_eq!(run.watermark_before, ad_status.watermark);
        assert!(status.tables[2].last_run.as_ref().unwrap().error.is_none());
        // Leads and sales were not attempted after the failure, and say so.
        for skipped in &status.tables[4..] {
            let r = skipped.last_run.as_ref().unwrap();
            assert!(r.id.ends_with(&format!("_{}", skipped.table)), "{r:?}");
            assert_eq!(r.error.as_deref(), Some("skipped: `ad_daily` failed first"));
            assert_eq!((r.rows_read, r.rows_written), (0, 0));
            assert_eq!(r.watermark_after, skipped.watermark);
        }

        // Once the campaign is synced again, the pending ad row follows.
        let mut c = campaigns();
        c[0].name = "Campaign cmp_1, renamed".into();
        c[1].objective = Objective::Traffic;
        env.ads.upsert_campaigns(t, &c).await.unwrap();
        let r = syncer.run(t, None).await.unwrap();
        assert_eq!(by_table(&r)["campaigns"], (1, 1));
        assert_eq!(by_table(&r)["ad_daily"], (1, 1));
        let ad = env.wh_row("wh_ad_daily", &rows[0].key()).await;
        assert_eq!(ad[col(&WH_AD_DAILY, "clicks")], "Some(41)");

        // A batch that fails after its writes leaves nothing behind: with
        // batches of 2, the first batch of three changed leads commits and
        // moves the watermark, the second rolls back whole.
        let mut l = leads();
        for i in [0, 1, 4] {
            l[i].stage = LeadStage::Customer;
        }
        env.crm.upsert_leads(t, &l).await.unwrap();
        let version = syncer.data_version(t).await.unwrap().0;
        let before = env.snapshot().await;
        let mut failing = env.syncer().with_batch_size(2);
        failing.fail_at = Some((SourceTable::Leads, 1));
        let e = failing.run(t, None).await.unwrap_err().to_string();
        assert!(e.contains("injected failure in batch 1 of leads"), "{e}");
        assert_eq!(
            env.snapshot().await,
            before,
            "a failed first batch changes nothing"
        );
        assert_eq!(syncer.data_version(t).await.unwrap().0, version);

        failing.fail_at = Some((SourceTable::Leads, 2));
        let e = failing.run(t, None).await.unwrap_err().to_string();
        assert!(e.contains("injected failure in batch 2 of leads"), "{e}");
        let stage = col(&WH_LEADS, "stage");
        for (id, want) in [
            ("lead_1", "customer"),
            ("lead_2", "customer"),
            ("lead_5", "mql"),
        ] {
            let row = env.wh_row("wh_leads", id).await;
            assert_eq!(row[stage], format!("{:?}", Some(want)), "{id}");
        }
        let status = syncer.status(t).await.unwrap();
        let leads_status = &status.tables[4];
        assert!(
            leads_status
                .watermark
                .as_deref()
                .unwrap()
                .ends_with("|lead_2")
        );
        let run = leads_status.last_run.as_ref().unwrap();
        assert_eq!((run.rows_read, run.rows_written), (2, 2));
        assert_eq!(run.watermark_after, leads_status.watermark);
        assert!(run.error.as_deref().unwrap().contains("injected"));
        // The committed batch changed the warehouse, so the version moved.
        assert_eq!(status.data_version, version + 1);
        let r = syncer.run(t, None).await.unwrap();
        only(&r, "leads", 1, 1);
        let row = env.wh_row("wh_leads", "lead_5").await;
        assert_eq!(row[stage], "Some(\"customer\")");

        // An unreachable source fails the run the same way.
        let closed = env.ads.db().clone();
        closed.close().await;
        let before = env.snapshot().await;
        let e = syncer.run(t, None).await.unwrap_err();
        assert!(matches!(e, AppError::Unavailable(_)), "{e}");
        assert_eq!(env.snapshot().await, before);
        let status = syncer.status(t).await.unwrap();
        let run = status.tables[2].last_run.as_ref().unwrap();
        assert!(run.error.is_some(), "{run:?}");
        assert!(status.tables.iter().all(|t| t.watermark.is_some()));
    }

    fn config(url: String, schema_prefix: String) -> DbConfig {
        DbConfig {
            url,
            schema_prefix,
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn delta_sync_is_incremental_idempotent_and_atomic_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            let env = Env::open(t.config.clone()).await;
            exercise(&env).await;
            env.wh.close().await;
            t.cleanup().await;
        }
    }

    /// Timing of a full and a 1 % delta sync over a seeded data set (not run
    /// by default; release build recommended):
    ///
    /// ```text
    /// PROMPTSALES_DATA_DIR=DIR promptsales seed --campaigns 5000 --days 365
    /// PROMPTSALES_SYNC_BENCH_DIR=DIR cargo test --release -p mcp-analytics --lib \
    ///     sync::tests::bench_sync -- --ignored --nocapture
    /// ```
    ///
    /// Reads the SQLite files of DIR (tenant `PROMPTSALES_TENANT`, default
    /// `default`) and syncs into a fresh warehouse in a temporary directory.
    /// With `PROMPTSALES_SYNC_BENCH_URL=postgres://…` (and the seed's
    /// `PROMPTSALES_SCHEMA_PREFIX`) it reads PostgreSQL instead and syncs
    /// into a schema of its own, dropped afterwards. It then changes 1 % of
    /// the campaigns, ad rows, leads and sales in the source and syncs again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "benchmark: needs PROMPTSALES_SYNC_BENCH_DIR or PROMPTSALES_SYNC_BENCH_URL"]
    async fn bench_sync() {
        let whdir = tempfile::tempdir().unwrap();
        let (src, whcfg, drop_wh) = if let Ok(url) = std::env::var("PROMPTSALES_SYNC_BENCH_URL") {
            let prefix = std::env::var("PROMPTSALES_SCHEMA_PREFIX").unwrap_or_default();
            let wh_prefix = format!("{prefix}benchwh{}_", std::process::id());
            let drop = format!("DROP SCHEMA IF EXISTS \"{wh_prefix}analytics\" CASCADE");
            (
                config(url.clone(), prefix),
                config(url, wh_prefix),
                Some(drop),
            )
        } else if let Ok(dir) = std::env::var("PROMPTSALES_SYNC_BENCH_DIR") {
            let wh = format!("sqlite://{}/wh.db", whdir.path().display());
            (
                config(format!("sqlite://{dir}/promptsales.db"), String::new()),
                config(wh, String::new()),
                None,
            )
        } else {
            eprintln!("set PROMPTSALES_SYNC_BENCH_DIR or PROMPTSALES_SYNC_BENCH_URL");
            return;
        };
        let tenant = std::env::var("PROMPTSALES_TENANT").unwrap_or_else(|_| "default".into());
        let tenant = TenantId::parse(&tenant).unwrap();
        let sources = Sources {
            catalog: CatalogStore::new(
                Db::open(&src, &promptsales_shared::catalog::MIGRATIONS)
                    .await
                    .unwrap(),
            ),
            ads: AdsStore::new(Db::open(&src, &mcp_ads::MIGRATIONS).await.unwrap()),
            crm: CrmStore::new(Db::open(&src, &mcp_crm::MIGRATIONS).await.unwrap()),
        };
        let wh = Db::open(&whcfg, &crate::MIGRATIONS).await.unwrap();
        let syncer = Syncer::new(sources.clone(), wh);
        let print = |label: &str, r: &SyncReport| {
            eprintln!(
                "{label}: {} ms, data_version {}",
                r.duration_ms, r.data_version
            );
            for t in &r.tables {
                eprintln!(
                    "  {:<10} read {:>8}  written {:>8}",
                    t.table, t.rows_read, t.rows_written
                );
            }
        };
        let full = syncer.run(&tenant, None).await.unwrap();
        print("full sync", &full);
        let rows: u64 = full.tables.iter().map(|t| t.rows_read).sum();
        eprintln!(
            "  {rows} rows, {:.0} rows/s",
            rows as f64 * 1000.0 / full.duration_ms.max(1) as f64
        );
        let none = syncer.run(&tenant, None).await.unwrap();
        print("no-change sync", &none);

        // 1 % of each changing table.
        let pct = |n: u64| i64::try_from(n.div_ceil(100)).unwrap();
        let n = |t: &str| full.tables.iter().find(|x| x.table == t).unwrap().rows_read;
        let started = Instant::now();
        let mut cmps: Vec<Campaign> = sources
            .ads
            .campaigns_changed_since(&tenant, None, pct(n("campaigns")))
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.row)
            .collect();
        for c in &mut cmps {
            c.name = match c.name.strip_suffix(" *") {
                Some(s) => s.to_owned(),
                None => format!("{} *", c.name),
            };
        }
        sources.ads.upsert_campaigns(&tenant, &cmps).await.unwrap();
        let mut ads: Vec<AdDaily> = sources
            .ads
            .ad_daily_changed_since(&tenant, None, pct(n("ad_daily")))
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.row)
            .collect();
        for a in &mut ads {
            a.spend_cents += 1;
        }
        sources.ads.upsert_ad_daily(&tenant, &ads).await.unwrap();
        let mut leads: Vec<Lead> = sources
            .crm
            .leads_changed_since(&tenant, None, pct(n("leads")))
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.row)
            .collect();
        for l in &mut leads {
            l.stage = if l.stage == LeadStage::Lost {
                LeadStage::Iql
            } else {
                LeadStage::Lost
            };
        }
        sources.crm.upsert_leads(&tenant, &leads).await.unwrap();
        let mut sales: Vec<Sale> = sources
            .crm
            .sales_changed_since(&tenant, None, pct(n("sales")))
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.row)
            .collect();
        for s in &mut sales {
            s.amount_cents += 1;
        }
        sources.crm.upsert_sales(&tenant, &sales).await.unwrap();
        eprintln!("changed 1 % of the sources in {:?}", started.elapsed());
        let delta = syncer.run(&tenant, None).await.unwrap();
        print("1 % delta sync", &delta);
        if let Some(drop) = drop_wh {
            sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                .execute(syncer.warehouse().pool())
                .await
                .unwrap();
        }
    }
}
