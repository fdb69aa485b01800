//! `promptsales`: the PromptSales CLI and agent.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use orchestrator::import::import_dir;
use orchestrator::seed::{SeedSpec, generate};
use orchestrator::stores::Stores;
use promptsales_shared::app::Runtime;
use promptsales_shared::config::CommonArgs;

/// Like `println!`, but a closed stdout (`promptsales seed | head`) ends the
/// output quietly instead of panicking.
macro_rules! out {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "promptsales",
    version,
    about = "PromptSales: the agent that chains the four MCP servers"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a deterministic, realistic data set into the databases, or
    /// as BRIEF §4 CSV files with --out.
    Seed {
        #[arg(long, default_value_t = 24)]
        clients: usize,
        #[arg(long, default_value_t = 300)]
        campaigns: usize,
        /// Days of history, ending on --as-of.
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Last day of the history (default: today, UTC).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Write CSV files into this directory instead of the databases.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import the BRIEF §4 CSV files found in a directory (upsert by id).
    Import {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Print the row count of every table.
    Counts,
    /// Sync the analytics warehouse from the ads, CRM and catalogue tables.
    Sync,
    /// Measure latencies and throughput (prints a table).
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
}

#[derive(Subcommand)]
enum BenchTarget {
    /// `ask` and `query_metrics` cached and uncached, in-process and over
    /// MCP HTTP with 1, 10 and 100 sessions; full and 1 % delta sync.
    Analytics {
        /// Calls per in-process scenario and per HTTP session.
        #[arg(long, default_value_t = 200)]
        calls: usize,
        /// Concurrent HTTP sessions to try.
        #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
        sessions: Vec<usize>,
        /// Questions are answered as of this date (default today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Port for the benchmarked HTTP server.
        #[arg(long, default_value_t = 18_950)]
        port: u16,
    },
}

fn print_sync(r: &mcp_analytics::sync::SyncReport) {
    out!(
        "synced in {} ms: data version {}{}",
        r.duration_ms,
        r.data_version,
        if r.changed { "" } else { " (nothing changed)" }
    );
    out!("  {:<10} {:>9} {:>9}", "table", "read", "written");
    for t in &r.tables {
        out!("  {:<10} {:>9} {:>9}", t.table, t.rows_read, t.rows_written);
    }
}

fn print_counts(counts: &[(&str, i64)]) {
    for (table, n) in counts {
        out!("  {table:<12} {n:>10}");
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Seed {
            clients,
            campaigns,
            days,
            seed,
            as_of,
            out,
        } => {
            if clients == 0 {
                anyhow::bail!("--clients must be at least 1");
            }
            let spec = SeedSpec {
                clients,
                campaigns,
                days,
                seed,
                as_of: as_of.unwrap_or_else(|| Utc::now().date_naive()),
            };
            let started = Instant::now();
            let ds = generate(&spec)?;
            let generated = started.elapsed();
            if let Some(dir) = out {
                ds.write_csv(&dir)
                    .with_context(|| format!("writing CSV files to {}", dir.display()))?;
                out!(
                    "wrote {} clients, {} products, {} campaigns, {} ad rows, {} leads, {} sales to {} in {:.2?}",
                    ds.clients.len(),
                    ds.products.len(),
                    ds.campaigns.len(),
                    ds.ad_daily.len(),
                    ds.leads.len(),
                    ds.sales.len(),
                    dir.display(),
                    started.elapsed()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt).await?;
            let written = ds.write(&stores).await?;
            let elapsed = started.elapsed();
            out!(
                "seeded (seed {seed}, as of {}) in {:.2?} (generate {:.2?}, write {:.2?})",
                spec.as_of,
                elapsed,
                generated,
                elapsed - generated
            );
            out!("rows changed by this run:");
            for (table, n) in &written.0 {
                out!("  {table:<12} {n:>10}");
            }
            out!("rows in the database now:");
            print_counts(&stores.counts().await?);
        }
        Command::Import { dir } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt).await?;
            let started = Instant::now();
            let report = import_dir(&stores, &dir).await?;
            out!("imported {} in {:.2?}", dir.display(), started.elapsed());
            out!(
                "  {:<14} {:>9} {:>9} {:>9} {:>9}",
                "file",
                "read",
                "accepted",
                "changed",
                "rejected"
            );
            for f in &report.files {
                out!(
                    "  {:<14} {:>9} {:>9} {:>9} {:>9}",
                    f.file,
                    f.read,
                    f.accepted,
                    f.changed,
                    f.rejected
                );
            }
            for r in &report.rejected {
                eprintln!("{}:{}: {}", r.file, r.line, r.reason);
            }
            // BRIEF §4: the import ends with the analytics sync.
            let analytics = mcp_analytics::open(&rt).await?;
            print_sync(&analytics.sync(&rt.config.tenant, None).await?);
            if report.has_rejections() {
                eprintln!("{} row(s) rejected", report.rejected.len());
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Counts => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt).await?;
            print_counts(&stores.counts().await?);
        }
        Command::Sync => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let analytics = mcp_analytics::open(&rt).await?;
            print_sync(&analytics.sync(&rt.config.tenant, None).await?);
        }
        Command::Bench {
            target:
                BenchTarget::Analytics {
                    calls,
                    sessions,
                    as_of,
                    port,
                },
        } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt).await?;
            let analytics = mcp_analytics::open(&rt).await?;
            let tenant = rt.config.tenant.clone();
            let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
            out!(
                "database: {} | cache: {}",
                rt.config.db.url,
                rt.cache.backend_name()
            );
            print_counts(&stores.counts().await?);
            let full = analytics.sync(&tenant, None).await?;
            out!("\nsync of what was new (full on a fresh warehouse):");
            print_sync(&full);
            let touched = orchestrator::bench::touch_one_percent(&stores).await?;
            let delta = analytics.sync(&tenant, None).await?;
            out!("\n1 % delta sync ({touched} source rows changed):");
            print_sync(&delta);
            let mut rows =
                orchestrator::bench::in_process(&analytics, &tenant, as_of, calls).await?;
            let cached_srv = orchestrator::bench::Server::start(port, true).await?;
            let uncached_srv = orchestrator::bench::Server::start(port + 1, false).await?;
            for &n in &sessions {
                let per = (calls / n).max(5);
                for tool in ["ask", "query_metrics"] {
                    // 100 sessions of uncached full scans only queue on two
                    // cores; the uncached figures come from 1 and 10.
                    let modes: &[bool] = if n >= 100 { &[true] } else { &[false, true] };
                    for &cached in modes {
                        let url = if cached {
                            &cached_srv.url
                        } else {
                            &uncached_srv.url
                        };
                        rows.push(
                            orchestrator::bench::over_http(url, n, per, tool, cached, as_of)
                                .await?,
                        );
                    }
                }
            }
            cached_srv.stop().await;
            uncached_srv.stop().await;
            out!();
            orchestrator::bench::print_table(&rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
