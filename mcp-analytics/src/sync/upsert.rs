//! The denormalising upserts of the `wh_*` tables: each source batch
//! becomes warehouse rows (campaign attributes copied onto facts, time
//! grains precomputed) written with their watermark in one transaction.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use promptsales_shared::AppError;
use promptsales_shared::db::BulkUpsert;
use promptsales_shared::delta::{Changed, Watermark};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::format_date;
use sqlx::Row;
use sqlx::any::AnyArguments;

use super::{SourceTable, Syncer};

impl SourceTable {
    pub(super) fn warehouse(self) -> &'static BulkUpsert {
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
pub(super) const WH_CLIENTS: BulkUpsert = BulkUpsert {
    table: "wh_clients",
    columns: &["tenant_id", "id", "name", "industry", "country"],
    key: "tenant_id, id",
    update: &["name", "industry", "country"],
};

pub(super) const WH_PRODUCTS: BulkUpsert = BulkUpsert {
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

pub(super) const WH_CAMPAIGNS: BulkUpsert = BulkUpsert {
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

pub(super) const WH_AD_DAILY: BulkUpsert = BulkUpsert {
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

pub(super) const WH_LEADS: BulkUpsert = BulkUpsert {
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

pub(super) const WH_SALES: BulkUpsert = BulkUpsert {
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

/// A campaign's attributes copied onto its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CampaignInfo {
    pub(super) client_id: String,
    pub(super) objective: String,
    pub(super) currency: String,
}

/// A bound value of a warehouse row.
pub(super) enum V {
    T(String),
    N(Option<String>),
    I(i64),
}

/// A batch read from a source and turned into warehouse rows.
pub(super) struct Batch {
    /// Source rows read.
    pub(super) read: usize,
    /// Values after `tenant_id`, one vector per row.
    pub(super) rows: Vec<Vec<V>>,
    /// Position of the batch's last row.
    pub(super) last: Option<Watermark>,
    /// The campaigns of the batch (campaigns table only).
    pub(super) campaigns: Vec<(String, CampaignInfo)>,
}

impl Batch {
    pub(super) fn new<T>(changed: &[Changed<T>], rows: Vec<Vec<V>>) -> Self {
        Self {
            read: changed.len(),
            rows,
            last: changed.last().map(Changed::watermark),
            campaigns: Vec::new(),
        }
    }
}

/// What one run keeps between tables.
pub(super) struct RunState {
    pub(super) stamp: String,
    /// Campaigns as committed in the warehouse, by id.
    pub(super) campaigns: HashMap<String, CampaignInfo>,
    /// Whether the warehouse holds any lead or sale of the tenant (new
    /// campaigns then fix the objective of facts that arrived before them).
    pub(super) facts_exist: bool,
}

impl Syncer {
    pub(super) async fn load_campaigns(
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

    pub(super) async fn facts_exist(&self, tenant: &TenantId) -> Result<bool, AppError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM wh_leads WHERE tenant_id = $1 LIMIT 1) l) \
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM wh_sales WHERE tenant_id = $1 LIMIT 1) s)",
        )
        .bind(tenant.as_str())
        .fetch_one(self.warehouse.pool())
        .await?;
        Ok(n > 0)
    }

    /// Reads the next batch of `table` and turns it into warehouse rows.
    pub(super) async fn read_batch(
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
    pub(super) async fn write_batch(
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
            return Err(AppError::Unavailable(format!(
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
