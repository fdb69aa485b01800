//! Use cases of the analytics context: questions (typed and natural
//! language), the funnel, the period report, the catalogue and the sync.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{NaiveDate, Utc};
use promptsales_catalog::{CatalogReader, Client, Product, Usage};
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::cache::Cache;
use promptsales_shared::config::LlmConfig;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, Currency, TenantId};
use promptsales_shared::scope::Scope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use tokio::sync::RwLock;

use crate::domain::nl::{self, Language, NameIndex};
use crate::domain::period::{Resolved, TimeRange};
use crate::domain::semantic::{Dimension, Metric, SemanticModel};
use crate::domain::spec::{Field, Filter, FilterOp, FilterValue, QuerySpec, ValidSpec};
use crate::fx::Conversion;
use crate::fx_provider::{self, FxRefresh, FxRefreshStatus, FxSource, RateProvider};
use crate::query::{Names, Table, execute};
use crate::sync::{SyncReport, SyncStatus, Syncer};
use crate::usage::Meter;

/// Every client of the tenant.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClientList {
    pub clients: Vec<Client>,
}

/// Products of the tenant, or of one client.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProductList {
    pub products: Vec<Product>,
}

/// An inclusive date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl From<Resolved> for Period {
    fn from(r: Resolved) -> Self {
        Period {
            from: r.from,
            to: r.to,
        }
    }
}

pub use analytics_read::Freshness;

/// The answer to a typed query.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueryResult {
    /// The query that ran.
    pub query: QuerySpec,
    /// Canonical dimension and metric names, in row order.
    pub columns: Vec<String>,
    /// One array per row, in `columns` order.
    pub rows: Vec<Vec<Value>>,
    /// The parameterised SQL that ran, with its bound values.
    pub sql: String,
    /// The dates the time range resolved to (none: all time).
    pub time_range: Option<Period>,
    /// The dates compared with, when `compare_to` was set.
    pub compared_with: Option<Period>,
    pub freshness: Freshness,
    /// Whether this came from the cache.
    pub cached: bool,
    /// When money was converted: the reporting currency, the rate policy
    /// and the dates of the rates used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<Conversion>,
    /// What the rows need said to be read right (e.g. a ranking within
    /// each currency).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The answer to a natural-language question.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AskResult {
    /// A sentence in the question's language.
    pub answer: String,
    pub language: Language,
    /// What the question was understood to ask.
    pub understood: Vec<String>,
    /// `deterministic` or `llm`.
    pub engine: String,
    #[serde(flatten)]
    pub result: QueryResult,
}

/// Funnel counts and stage-to-stage rates.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FunnelResult {
    /// Dimension names then leads, mql, sql, customers, lost and the rates
    /// mql_rate (mql/leads), sql_rate (sql/mql), customer_rate (customers/sql),
    /// overall_rate (customers/leads).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub time_range: Option<Period>,
    pub sql: String,
    pub freshness: Freshness,
}

/// A period performance report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReportResult {
    pub markdown: String,
    pub period: Period,
    pub compared_with: Period,
    pub freshness: Freshness,
}

#[derive(Default)]
struct NameCache {
    by_tenant: HashMap<String, (i64, Arc<(NameIndex, Names)>)>,
}

/// The analytics use cases.
#[derive(Clone)]
pub struct AnalyticsService {
    catalog: CatalogReader,
    warehouse: Db,
    syncer: Arc<Syncer>,
    cache: Cache,
    llm: Option<LlmConfig>,
    names: Arc<RwLock<NameCache>>,
    /// Off only for measuring uncached latency.
    result_cache: bool,
    /// The tenant's reporting currency, used when a query names none.
    reporting_currency: Option<Currency>,
    /// Where daily exchange rates come from, when a provider is configured.
    fx: Option<FxSource>,
}

/// The environment variable naming the default reporting currency.
pub const REPORTING_CURRENCY_ENV: &str = "PROMPTSALES_REPORTING_CURRENCY";

/// The default reporting currency from [`REPORTING_CURRENCY_ENV`]: unset or
/// empty means none (money is never summed across currencies); anything
/// else must be an ISO-4217 code.
pub fn reporting_currency_from_env() -> Result<Option<Currency>, AppError> {
    match std::env::var(REPORTING_CURRENCY_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            Currency::parse_field(REPORTING_CURRENCY_ENV, &v).map(Some)
        }
        _ => Ok(None),
    }
}

impl std::fmt::Debug for AnalyticsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyticsService").finish_non_exhaustive()
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl AnalyticsService {
    pub fn new(
        catalog: CatalogReader,
        warehouse: Db,
        syncer: Syncer,
        cache: Cache,
        llm: Option<LlmConfig>,
    ) -> Self {
        Self {
            catalog,
            warehouse,
            syncer: Arc::new(syncer),
            cache,
            llm,
            names: Arc::new(RwLock::new(NameCache::default())),
            result_cache: true,
            reporting_currency: None,
            fx: None,
        }
    }

    /// The same service fetching exchange rates from `source`.
    pub fn with_fx_source(self, source: Option<FxSource>) -> Self {
        Self { fx: source, ..self }
    }

    /// The same service reporting money in `currency` when a query names
    /// none (`None`: never summed across currencies).
    pub fn with_reporting_currency(self, currency: Option<Currency>) -> Self {
        Self {
            reporting_currency: currency,
            ..self
        }
    }

    /// The same service without the result cache (benchmarks of uncached
    /// latency); translations and names stay cached.
    pub fn without_result_cache(&self) -> Self {
        Self {
            result_cache: false,
            ..self.clone()
        }
    }

    pub fn catalog(&self) -> &CatalogReader {
        &self.catalog
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The warehouse database, the one this service owns (its audit log
    /// lives there too).
    pub fn warehouse(&self) -> &Db {
        &self.warehouse
    }

    /// Every database the service uses: the warehouse, then the sources
    /// (for readiness probes).
    pub fn databases(&self) -> Vec<Db> {
        std::iter::once(self.warehouse.clone())
            .chain(self.syncer.sources().databases().iter().cloned())
            .collect()
    }

    pub async fn list_clients(&self, tenant: &TenantId) -> Result<ClientList, AppError> {
        Ok(ClientList {
            clients: self.catalog.list_clients(tenant).await?,
        })
    }

    /// Products by id; with `client_id`, only that client's, and an unknown
    /// client is reported as not found rather than as an empty list.
    pub async fn list_products(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
    ) -> Result<ProductList, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        if let Some(c) = &client
            && !self.catalog.client_exists(tenant, c).await?
        {
            return Err(AppError::not_found("client", c.as_str()));
        }
        Ok(ProductList {
            products: self.catalog.list_products(tenant, client.as_ref()).await?,
        })
    }

    pub fn semantic_model(&self) -> SemanticModel {
        crate::domain::semantic::model()
    }

    pub async fn freshness(&self, tenant: &TenantId) -> Result<Freshness, AppError> {
        analytics_read::freshness(&self.warehouse, tenant).await
    }

    /// Campaign, client and product names of the warehouse, loaded once per
    /// data version.
    async fn names(
        &self,
        tenant: &TenantId,
        version: i64,
    ) -> Result<Arc<(NameIndex, Names)>, AppError> {
        if let Some((v, n)) = self.names.read().await.by_tenant.get(tenant.as_str())
            && *v == version
        {
            return Ok(n.clone());
        }
        let mut index = NameIndex::default();
        let mut names = Names::default();
        for (sql, list, map) in [
            (
                "SELECT id, name FROM wh_campaigns WHERE tenant_id = $1 ORDER BY id",
                &mut index.campaigns,
                &mut names.campaigns,
            ),
            (
                "SELECT id, name FROM wh_clients WHERE tenant_id = $1 ORDER BY id",
                &mut index.clients,
                &mut names.clients,
            ),
            (
                "SELECT id, name FROM wh_products WHERE tenant_id = $1 ORDER BY id",
                &mut index.products,
                &mut names.products,
            ),
        ] {
            let rows = sqlx::query(sql)
                .bind(tenant.as_str())
                .fetch_all(self.warehouse.pool())
                .await?;
            for r in rows {
                let id: String = r.try_get("id")?;
                let name: String = r.try_get("name")?;
                map.insert(id.clone(), name.clone());
                list.push((id, name));
            }
        }
        // Cities as stored, so "leads in Bogotá" filters the city.
        let rows = sqlx::query(
            "SELECT city FROM wh_sales WHERE tenant_id = $1 AND city IS NOT NULL \
             UNION SELECT city FROM wh_leads WHERE tenant_id = $1 AND city IS NOT NULL \
             ORDER BY city",
        )
        .bind(tenant.as_str())
        .fetch_all(self.warehouse.pool())
        .await?;
        for r in rows {
            index.cities.push(r.try_get("city")?);
        }
        let n = Arc::new((index, names));
        self.names
            .write()
            .await
            .by_tenant
            .insert(tenant.as_str().to_owned(), (version, n.clone()));
        Ok(n)
    }

    /// Validates and runs a query, from the cache when the warehouse has not
    /// changed since the same query last ran.
    pub async fn query_metrics(
        &self,
        tenant: &TenantId,
        spec: QuerySpec,
        as_of: Option<NaiveDate>,
    ) -> Result<QueryResult, AppError> {
        let as_of = as_of.unwrap_or_else(today);
        let mut spec = spec;
        if spec.currency.is_none() {
            spec.currency = self.reporting_currency;
        }
        let valid = spec.validate(as_of)?;
        let freshness = self.freshness(tenant).await?;
        let key = format!(
            "analytics:q:{}:{}:{}:{}",
            tenant,
            freshness.data_version,
            as_of,
            serde_json::to_string(&spec).unwrap_or_default()
        );
        let version = freshness.data_version;
        if !self.result_cache {
            let names = self.names(tenant, version).await?;
            let table = execute(&self.warehouse, tenant, &valid, &names.1).await?;
            return Ok(to_result(spec, &valid, table, freshness));
        }
        let (mut result, cached) = self
            .cache
            .get_or_compute(&key, None, || async {
                let names = self.names(tenant, version).await?;
                let table = execute(&self.warehouse, tenant, &valid, &names.1).await?;
                Ok::<_, AppError>(to_result(spec.clone(), &valid, table, freshness.clone()))
            })
            .await?;
        result.cached = cached;
        Ok(result)
    }

    /// Natural language → QuerySpec → result, with a sentence in the
    /// question's language. With a `client_id` the question counts against
    /// that client's analytics plan (refused with the numbers beyond it);
    /// without one it is agency-wide and counts against no client.
    pub async fn ask(
        &self,
        tenant: &TenantId,
        question: &str,
        as_of: Option<NaiveDate>,
        client_id: Option<&str>,
    ) -> Result<AskResult, AppError> {
        self.ask_in_context(tenant, question, as_of, client_id, None)
            .await
    }

    /// [`ask`](Self::ask) as a follow-up of the previous answer's `query`:
    /// "¿y en México?", "and by channel?", "same for last year" refine it.
    pub async fn ask_in_context(
        &self,
        tenant: &TenantId,
        question: &str,
        as_of: Option<NaiveDate>,
        client_id: Option<&str>,
        context: Option<&QuerySpec>,
    ) -> Result<AskResult, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        let meter = match &client {
            None => None,
            Some(c) => {
                Some(Meter::read(&self.catalog, &self.warehouse, tenant, c, Utc::now()).await?)
            }
        };
        if let Some(m) = &meter {
            m.charge_question(&self.warehouse, tenant).await?;
        }
        let answer = self
            .answer(tenant, question, as_of, meter.as_ref(), context)
            .await;
        if let (
            Err(
                AppError::Internal(_) | AppError::Unavailable(_) | AppError::DatabaseUnavailable(_),
            ),
            Some(m),
        ) = (&answer, &meter)
            && let Err(e) = m.refund_question(&self.warehouse, tenant).await
        {
            tracing::warn!(error = %e, "a failed question stays counted");
        }
        answer
    }

    /// A client's use of its analytics plan this month (the `usage` tool).
    pub async fn usage(&self, tenant: &TenantId, client_id: &str) -> Result<Usage, AppError> {
        let client = ClientId::parse(client_id)?;
        Ok(
            Meter::read(&self.catalog, &self.warehouse, tenant, &client, Utc::now())
                .await?
                .usage(),
        )
    }

    /// [`ask`](Self::ask) once counted: `meter` is the client's, if any.
    async fn answer(
        &self,
        tenant: &TenantId,
        question: &str,
        as_of: Option<NaiveDate>,
        meter: Option<&Meter>,
        context: Option<&QuerySpec>,
    ) -> Result<AskResult, AppError> {
        let client_id = meter.map(|m| m.client.as_str());
        let as_of = as_of.unwrap_or_else(today);
        let version = self.syncer.data_version(tenant).await?.0;
        let names = self.names(tenant, version).await?;
        let mut engine = "deterministic";
        let mut notes = Vec::new();
        // The LLM spends the client's tokens: at the plan's limit it is
        // not asked.
        let llm = match &self.llm {
            // The LLM translates single questions: a follow-up is refined
            // by the deterministic parser, which knows the previous spec.
            Some(_) if context.is_some() => None,
            Some(_) if meter.is_some_and(|m| !m.tokens_left()) => {
                notes.push(
                    "the client's plan has no LLM tokens left this month; answered by the \
                     deterministic parser"
                        .to_owned(),
                );
                None
            }
            other => other.as_ref(),
        };
        if let Some(llm) = llm {
            // Translations are cached by tenant, normalised question and
            // date, so a repeated question spends no tokens and one
            // tenant's questions never answer another's.
            let key = format!(
                "analytics:nl:{}:{}:{}:{}",
                tenant,
                llm.model,
                as_of,
                question
                    .trim()
                    .to_lowercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let spent = AtomicI64::new(0);
            let translated = self
                .cache
                .get_or_compute(
                    &key,
                    Some(std::time::Duration::from_secs(86_400)),
                    || async {
                        crate::llm::translate(llm, question, as_of)
                            .await
                            .map(|(spec, usage)| {
                                tracing::info!(
                                    prompt_tokens = usage.prompt_tokens,
                                    completion_tokens = usage.completion_tokens,
                                    "question translated by the LLM"
                                );
                                spent.store(
                                    i64::from(usage.prompt_tokens)
                                        + i64::from(usage.completion_tokens),
                                    Ordering::Relaxed,
                                );
                                spec
                            })
                    },
                )
                .await;
            // A cached translation spent nothing; a fresh one is recorded
            // at once, whatever happens next.
            if let Some(m) = meter {
                m.record_tokens(&self.warehouse, tenant, spent.load(Ordering::Relaxed))
                    .await?;
            }
            match translated {
                Ok((mut spec, _)) => {
                    if let Some(c) = client_id {
                        spec.filters.push(client_filter(c)?);
                    }
                    let result = self
                        .query_metrics(tenant, spec.clone(), Some(as_of))
                        .await?;
                    let language = nl::detect_language(question);
                    let label = result.time_range.map(|p| format!("{} – {}", p.from, p.to));
                    return Ok(AskResult {
                        answer: nl::answer_sentence_named(
                            language,
                            &spec,
                            &result.columns,
                            &result.rows,
                            label.as_deref(),
                            &names.0,
                        ),
                        language,
                        understood: vec!["translated by the LLM engine".into()],
                        engine: "llm".into(),
                        result,
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "LLM translation failed; using the deterministic parser");
                    engine = "deterministic (LLM output was unusable)";
                    // A plain sentence: the endpoint's and the driver's
                    // words stay in the log.
                    let why = match e {
                        AppError::Unavailable(_) => "was unreachable",
                        _ => "gave no usable query",
                    };
                    notes.push(format!(
                        "LLM engine {why}; answered by the deterministic parser"
                    ));
                }
            }
        }
        let parsed = nl::parse_followup(question, &names.0, Some(as_of), context).map_err(|n| {
            let mut msg = format!("I could not turn this into a query: {}.", n.reason);
            if !n.understood.is_empty() {
                msg.push_str(&format!(" Understood: {}.", n.understood.join("; ")));
            }
            if !n.suggestions.is_empty() {
                msg.push_str(&format!(
                    " Try: {}.",
                    n.suggestions
                        .iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ));
            }
            AppError::NotUnderstood(msg)
        })?;
        let mut spec = parsed.spec;
        let mut understood = parsed.understood;
        understood.extend(notes);
        if let Some(c) = client_id {
            spec.filters.push(client_filter(c)?);
            understood.push(format!("client: {c}"));
        }
        let result = self
            .query_metrics(tenant, spec.clone(), Some(as_of))
            .await?;
        let label = result.time_range.map(|p| format!("{} – {}", p.from, p.to));
        // The spec that ran: it carries the tenant's reporting currency.
        let answer = nl::answer_sentence_named(
            parsed.language,
            &result.query,
            &result.columns,
            &result.rows,
            label.as_deref(),
            &names.0,
        );
        Ok(AskResult {
            answer,
            language: parsed.language,
            understood,
            engine: engine.into(),
            result,
        })
    }

    /// Leads → MQL → SQL → customer by any dimension the leads fact has.
    pub async fn funnel(
        &self,
        tenant: &TenantId,
        dimensions: Vec<Dimension>,
        time_range: Option<TimeRange>,
        filters: Vec<Filter>,
        as_of: Option<NaiveDate>,
    ) -> Result<FunnelResult, AppError> {
        let as_of = as_of.unwrap_or_else(today);
        // Validate through the common spec rules, with leads as the metric.
        let spec = QuerySpec {
            metrics: vec![Metric::Leads],
            dimensions: dimensions.clone(),
            filters,
            time_range,
            ..Default::default()
        };
        let valid: ValidSpec = spec.validate(as_of)?;
        let stmt = crate::query::compile_funnel(&valid, tenant);
        let table = crate::query::execute_funnel(&self.warehouse, &valid, &stmt).await?;
        Ok(FunnelResult {
            columns: table.columns,
            rows: table.rows,
            time_range: valid.range.map(Period::from),
            sql: stmt.display(),
            freshness: self.freshness(tenant).await?,
        })
    }

    /// Syncs `who`'s tenant. Needs `analytics:write`, checked here so that
    /// every entry point (tool, scheduler, benchmark) is covered; without
    /// it nothing runs and no `sync_runs` row is written.
    pub async fn sync(
        &self,
        who: &Principal,
        progress: Option<&(dyn Fn(crate::sync::SyncProgress) + Send + Sync)>,
    ) -> Result<SyncReport, AppError> {
        who.require(Scope::AnalyticsWrite)?;
        self.syncer.run(&who.tenant, progress).await
    }

    /// Fetches the daily rates the tenant's money needs from the configured
    /// provider (the scheduler's daily job; `from`/`to` back-fill). Needs
    /// `analytics:write`. Without a provider it fetches nothing and says how
    /// to configure one.
    pub async fn refresh_fx_rates(
        &self,
        who: &Principal,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<FxRefresh, AppError> {
        who.require(Scope::AnalyticsWrite)?;
        let mut out = FxRefresh {
            status: FxRefreshStatus::NotConfigured,
            provider: None,
            base: None,
            currencies: Vec::new(),
            from: None,
            to: None,
            rates_written: 0,
            detail: format!(
                "no rate provider is configured (set {} and {}); rates can be imported as fx_rates.csv",
                fx_provider::URL_ENV,
                fx_provider::APP_ID_ENV
            ),
        };
        let Some(src) = &self.fx else {
            return Ok(out);
        };
        let tenant = &who.tenant;
        let mut currencies = analytics_read::currencies_in_use(&self.warehouse, tenant).await?;
        currencies.extend(self.reporting_currency);
        currencies.retain(|c| *c != src.base);
        currencies.sort();
        currencies.dedup();
        let last =
            analytics_read::last_rate_date(&self.warehouse, tenant, src.base, src.provider.name())
                .await?;
        out.provider = Some(src.provider.name().to_owned());
        out.base = Some(src.base);
        out.status = FxRefreshStatus::UpToDate;
        let window = fx_provider::window(from, to, last, today())?;
        let Some((from, to)) = window.filter(|_| !currencies.is_empty()) else {
            out.detail = match last {
                _ if currencies.is_empty() => "no money in the warehouse needs a rate yet".into(),
                Some(l) => format!("rates are stored up to {l}"),
                None => "nothing to fetch".into(),
            };
            return Ok(out);
        };
        out.rates_written = fx_provider::refresh(
            &self.warehouse,
            tenant,
            &src.provider,
            src.base,
            &currencies,
            from,
            to,
        )
        .await?;
        out.status = FxRefreshStatus::Refreshed;
        out.detail = format!(
            "{} day(s) of {} rates against {}",
            (to - from).num_days() + 1,
            currencies.len(),
            src.base
        );
        (out.currencies, out.from, out.to) = (currencies, Some(from), Some(to));
        Ok(out)
    }

    pub async fn sync_status(&self, tenant: &TenantId) -> Result<SyncStatus, AppError> {
        self.syncer.status(tenant).await
    }

    /// Markdown performance report for a period: totals and change vs the
    /// previous period, top and bottom 5 campaigns, channel and country mix.
    pub async fn report(
        &self,
        tenant: &TenantId,
        time_range: TimeRange,
        client_id: Option<&str>,
        as_of: Option<NaiveDate>,
        progress: Option<crate::report::ReportProgress<'_>>,
    ) -> Result<ReportResult, AppError> {
        let opts = crate::report::ReportOptions {
            client_id,
            ..Default::default()
        };
        crate::report::build(
            self,
            tenant,
            time_range,
            as_of.unwrap_or_else(today),
            progress,
            opts,
        )
        .await
    }
}

fn client_filter(client_id: &str) -> Result<Filter, AppError> {
    let c = ClientId::parse(client_id)?;
    Ok(Filter {
        field: Field::Dimension(Dimension::Client),
        op: FilterOp::Eq,
        value: FilterValue::Text(c.as_str().to_owned()),
    })
}

fn to_result(
    query: QuerySpec,
    valid: &ValidSpec,
    table: Table,
    freshness: Freshness,
) -> QueryResult {
    QueryResult {
        query,
        columns: table.columns,
        rows: table.rows,
        sql: table
            .statements
            .iter()
            .map(|s| s.display())
            .collect::<Vec<_>>()
            .join("\n"),
        time_range: valid.range.map(Period::from),
        compared_with: valid.compare.map(|(_, r)| Period::from(r)),
        freshness,
        cached: false,
        conversion: table.conversion,
        notes: table.notes,
    }
}
