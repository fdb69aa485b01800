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
}

fn print_counts(counts: &[(&str, i64)]) {
    for (table, n) in counts {
        println!("  {table:<12} {n:>10}");
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
                println!(
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
            println!(
                "seeded (seed {seed}, as of {}) in {:.2?} (generate {:.2?}, write {:.2?})",
                spec.as_of,
                elapsed,
                generated,
                elapsed - generated
            );
            println!("rows changed by this run:");
            for (table, n) in &written.0 {
                println!("  {table:<12} {n:>10}");
            }
            println!("rows in the database now:");
            print_counts(&stores.counts().await?);
        }
        Command::Import { dir } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt).await?;
            let started = Instant::now();
            let report = import_dir(&stores, &dir).await?;
            println!("imported {} in {:.2?}", dir.display(), started.elapsed());
            println!(
                "  {:<14} {:>9} {:>9} {:>9} {:>9}",
                "file", "read", "accepted", "changed", "rejected"
            );
            for f in &report.files {
                println!(
                    "  {:<14} {:>9} {:>9} {:>9} {:>9}",
                    f.file, f.read, f.accepted, f.changed, f.rejected
                );
            }
            for r in &report.rejected {
                eprintln!("{}:{}: {}", r.file, r.line, r.reason);
            }
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
