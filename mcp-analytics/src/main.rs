//! `mcp-analytics`: the analytics MCP server binary.

use std::time::Duration;

use clap::Parser;
use promptsales_server::app::Runtime;
use promptsales_server::server::{Readiness, ServeArgs, Transport, run};
use promptsales_shared::config::CommonArgs;
use promptsales_shared::scope::Scope;

#[derive(Parser)]
#[command(
    name = "mcp-analytics",
    version,
    about = "PromptSales analytics MCP server"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
    /// In HTTP mode, sync the warehouse every this many seconds (0: never).
    #[arg(long, default_value_t = 300, env = "PROMPTSALES_SYNC_INTERVAL_SECS")]
    sync_interval_secs: u64,
    /// Answer every query from the warehouse (for measuring uncached latency).
    #[arg(long, hide = true)]
    no_result_cache: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    quiet_llm_client(&mut cli.common);
    let rt = Runtime::start("mcp-analytics", &cli.common).await?;
    let mut svc = mcp_analytics::open(&rt)
        .await?
        .with_reporting_currency(mcp_analytics::service::reporting_currency_from_env()?)
        .with_fx_source(mcp_analytics::fx_provider::FxSource::from_env()?);
    if cli.no_result_cache {
        svc = svc.without_result_cache();
    }
    if cli.serve.transport == Transport::Http && cli.sync_interval_secs > 0 {
        // The scheduler acts as the local actor and needs its scope too.
        let who = rt.local_principal();
        if who.has_scope(Scope::AnalyticsWrite.as_str()) {
            let svc = svc.clone();
            let every = Duration::from_secs(cli.sync_interval_secs);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    match svc.sync(&who, None).await {
                        Ok(r) => tracing::info!(
                            changed = r.changed,
                            version = r.data_version,
                            "scheduled sync"
                        ),
                        Err(e) => {
                            tracing::warn!(error = %e, "scheduled sync failed; the warehouse is unchanged")
                        }
                    }
                }
            });
        } else {
            tracing::warn!(
                actor = %who.subject,
                "scheduled sync off: the local actor lacks the `analytics:write` scope (PROMPTSALES_SCOPES)"
            );
        }
    }
    watch_sync_lag(svc.warehouse().clone(), rt.config.tenant.clone());
    let readiness = Readiness {
        dbs: svc.databases(),
        cache: Some(rt.cache.clone()),
        ..Default::default()
    };
    // Audit rows go into the warehouse database, the one this server owns.
    let auditor = rt.auditor(svc.warehouse());
    let server = mcp_analytics::AnalyticsServer::new(
        svc,
        rt.config.tenant.clone(),
        auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
    run(
        "mcp-analytics",
        &cli.serve,
        readiness,
        Some(auditor),
        move || server.clone(),
    )
    .await?;
    Ok(())
}

/// `promptsales_sync_lag_seconds`: now − the tenant's last successful
/// sync, read from the warehouse at each scrape (syncs run here, by the
/// schedule, or by `promptsales sync` in another process).
fn watch_sync_lag(
    warehouse: promptsales_shared::db::Db,
    tenant: promptsales_shared::domain::TenantId,
) {
    promptsales_server::metrics::global().on_scrape(move || {
        let (warehouse, tenant) = (warehouse.clone(), tenant.clone());
        async move {
            let lag = match analytics_read::freshness(&warehouse, &tenant).await {
                Ok(f) => f
                    .last_synced_at
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| {
                        (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                            .as_seconds_f64()
                            .max(0.0)
                    }),
                Err(e) => {
                    tracing::debug!(error = %e, "sync lag not read");
                    return;
                }
            };
            promptsales_server::metrics::global().set_sync_lag(lag);
        }
    });
}

/// `async-openai` logs the body of a 5xx answer verbatim at `warn`; an
/// endpoint's (or its proxy's) error page may name its address or echo
/// credentials. The engine logs its own redacted line instead, so the
/// library's warnings stay off unless the filter names it.
fn quiet_llm_client(common: &mut CommonArgs) {
    let filter = common
        .log
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or("info");
    if !filter.contains("async_openai") {
        common.log = Some(format!("{filter},async_openai=error"));
    }
}
