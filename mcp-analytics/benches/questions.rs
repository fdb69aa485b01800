//! In-process latency of `ask` and `query_metrics`, through the service
//! the MCP tools call, cached and with the result cache off: p50, p95, p99
//! and calls per second. Prints a table; asserts nothing.
//!
//! It reads the databases of the usual environment, as `promptsales seed`
//! leaves them, and syncs the warehouse first:
//!
//! ```text
//! PROMPTSALES_DATA_DIR=DIR promptsales seed --campaigns 1000 --days 365
//! PROMPTSALES_DATA_DIR=DIR cargo bench -p mcp-analytics --bench questions
//! ```
//!
//! `DATABASE_URL` (with `PROMPTSALES_SCHEMA_PREFIX`), `REDIS_URL` and
//! `PROMPTSALES_TENANT` are honoured as by the servers.
//! `PROMPTSALES_BENCH_CALLS` (default 200) sets the calls per scenario and
//! `PROMPTSALES_BENCH_AS_OF` (YYYY-MM-DD, default today) the date questions
//! are answered as of (use the seed's `--as-of` when it had one).

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use clap::Parser;
use mcp_analytics::AnalyticsService;
use mcp_analytics::domain::spec::QuerySpec;
use promptsales_server::app::Runtime;
use promptsales_shared::AppError;
use promptsales_shared::bench::{Figures, print_table, summarise};
use promptsales_shared::config::CommonArgs;
use promptsales_shared::domain::TenantId;
use serde_json::json;

/// A mix of the questions marketers ask, in both languages.
const QUESTIONS: &[&str] = &[
    "revenue by channel last quarter",
    "¿qué canal nos dio el mejor ROAS en México el trimestre pasado?",
    "leads by country last month",
    "gasto por canal este año",
    "top 5 campaigns by revenue last quarter",
];

/// The environment the servers read (flags are not used: cargo passes its
/// own arguments to benches).
#[derive(Parser)]
struct Env {
    #[command(flatten)]
    common: CommonArgs,
}

/// A typical dashboard query: spend, revenue and ROAS by channel for the
/// last quarter.
fn spec() -> Result<QuerySpec, AppError> {
    serde_json::from_value(json!({
        "metrics": ["spend", "revenue", "roas"],
        "dimensions": ["channel"],
        "time_range": {"type": "relative", "period": "last_quarter"}
    }))
    .map_err(|e| AppError::Internal(format!("benchmark spec: {e}")))
}

/// `n` calls of `ask` (cycling through [`QUESTIONS`]) and `n` of
/// `query_metrics`, on `svc` as it is (cached or not).
async fn scenarios(
    svc: &AnalyticsService,
    label: &str,
    tenant: &TenantId,
    as_of: NaiveDate,
    n: usize,
) -> Result<Vec<Figures>, AppError> {
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        svc.ask(tenant, QUESTIONS[i % QUESTIONS.len()], Some(as_of), None)
            .await?;
        lat.push(t.elapsed());
    }
    let ask = summarise(format!("ask in-process {label}"), lat, start.elapsed());
    let spec = spec()?;
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        svc.query_metrics(tenant, spec.clone(), Some(as_of)).await?;
        lat.push(t.elapsed());
    }
    let query = summarise(
        format!("query_metrics in-process {label}"),
        lat,
        start.elapsed(),
    );
    Ok(vec![ask, query])
}

async fn run() -> anyhow::Result<()> {
    let env = Env::parse_from(["questions"]);
    let calls: usize = std::env::var("PROMPTSALES_BENCH_CALLS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(200);
    let as_of = match std::env::var("PROMPTSALES_BENCH_AS_OF") {
        Ok(d) => promptsales_shared::time::parse_date("PROMPTSALES_BENCH_AS_OF", &d)?,
        Err(_) => Utc::now().date_naive(),
    };
    let rt = Runtime::start("bench-questions", &env.common).await?;
    let svc = mcp_analytics::open(&rt).await?;
    let tenant = rt.config.tenant.clone();
    println!(
        "warehouse: {} | cache: {} | tenant: {tenant} | as of {as_of} | {calls} calls per scenario",
        svc.warehouse().location(),
        rt.cache.backend_name()
    );
    let sync = svc.sync(&rt.local_principal(), None).await?;
    let rows: u64 = sync.tables.iter().map(|t| t.rows_written).sum();
    println!(
        "sync: {rows} warehouse rows written in {} ms (data version {})\n",
        sync.duration_ms, sync.data_version
    );

    // Warm the cache for the cached runs (and the name index for all).
    for q in QUESTIONS {
        svc.ask(&tenant, q, Some(as_of), None).await?;
    }
    svc.query_metrics(&tenant, spec()?, Some(as_of)).await?;
    let mut figures = scenarios(
        &svc.without_result_cache(),
        "uncached",
        &tenant,
        as_of,
        calls,
    )
    .await?;
    figures.extend(scenarios(&svc, "cached", &tenant, as_of, calls).await?);
    print_table(&figures);
    Ok(())
}

#[tokio::main]
async fn main() {
    // A benchmark reports; it does not fail a build. Without a seeded data
    // set it says how to make one.
    if let Err(e) = run().await {
        eprintln!(
            "benchmark not run: {e:#}\nseed a data set first: PROMPTSALES_DATA_DIR=DIR promptsales seed, \
             then run with the same PROMPTSALES_DATA_DIR (or DATABASE_URL)"
        );
    }
}
