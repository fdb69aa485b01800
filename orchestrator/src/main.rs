//! `promptsales`: the PromptSales CLI and agent.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use orchestrator::app::Orchestrator;
use orchestrator::cli;
use orchestrator::client::config::forwarded_env;
use orchestrator::import::import_dir;
use orchestrator::pipeline::runner::ResumeOpts;
use orchestrator::pipeline::store::RunStatus;
use orchestrator::seed::{SeedSpec, generate};
use orchestrator::stores::Stores;
use orchestrator::sync::SyncReport;
use promptsales_server::app::Runtime;
use promptsales_server::auth::Principal;
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
    /// Run every context's database migrations (core, content, ads, crm,
    /// analytics, orchestrator) and print each one's location and schema
    /// version: the step before starting servers with PROMPTSALES_MIGRATE=off.
    Migrate,
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
    /// Back every context up into a directory (SQLite `VACUUM INTO`;
    /// `pg_dump` per schema) with a manifest of row counts; safe while
    /// servers run.
    Backup {
        /// Directory to write (created if missing).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Restore every context from a backup directory and check each table's
    /// row count against its manifest. Stop the servers first.
    Restore {
        /// Directory written by `promptsales backup`.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Sync the analytics warehouse from the ads, CRM and catalogue tables,
    /// through the analytics server's `sync` tool.
    Sync,
    /// Measure latencies and throughput (prints a table).
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
    /// List every server's tools (namespaced), resources and prompts.
    Tools {
        /// Every tool with its input schema and annotations, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Carry out one instruction (English or Spanish): the LLM agent when
    /// PROMPTSALES_LLM_* is set, else the deterministic planner.
    Run {
        instruction: String,
        /// Model turns at most (LLM agent).
        #[arg(long, default_value_t = 8)]
        max_steps: usize,
        /// Print the plan and the raw result as JSON instead of sentences
        /// and tables.
        #[arg(long)]
        json: bool,
    },
    /// An interactive session with the agent.
    Chat {
        #[arg(long, default_value_t = 8)]
        max_steps: usize,
        /// Print raw JSON results instead of sentences and tables.
        #[arg(long)]
        json: bool,
    },
    /// Pipeline runs: start, list, show, resume.
    Runs {
        #[command(subcommand)]
        action: RunsCmd,
    },
    /// Approval gates waiting for a person.
    Approvals {
        #[command(subcommand)]
        action: ApprovalsCmd,
    },
    /// Run due jobs and agenda tasks (analytics sync, metric sync,
    /// follow-up alerts, weekly reports) until stopped.
    Serve {
        /// One pass, then exit.
        #[arg(long)]
        once: bool,
        /// Seconds between polls when nothing is due.
        #[arg(long, default_value_t = 5)]
        poll_secs: u64,
        /// Do not (re)schedule the default jobs.
        #[arg(long)]
        no_default_jobs: bool,
    },
    /// Periodic jobs (each on a time zone's clock).
    Jobs {
        #[command(subcommand)]
        action: JobsCmd,
    },
    /// What waits for a person: reply reviews, connection expiry alerts.
    Agenda {
        #[command(subcommand)]
        action: AgendaCmd,
    },
    /// The sub-companies' subscription plans: list, set, assign.
    Plans {
        #[command(subcommand)]
        action: orchestrator::cli::plans::PlansCmd,
    },
    /// Serve the orchestrator itself over MCP (run_pipeline, list_runs,
    /// get_run, approve).
    Mcp {
        #[command(flatten)]
        serve: promptsales_server::server::ServeArgs,
    },
    /// Print a claude_desktop_config.json for one person: the servers their
    /// role uses, with absolute paths, each running as them with exactly
    /// the scopes the role needs (stderr says how to add an approver).
    ClaudeConfig {
        /// Who the entries act as (default: PROMPTSALES_ACTOR).
        #[arg(long)]
        person: Option<String>,
        #[arg(long, value_enum, default_value = "marketer")]
        role: orchestrator::cli::Role,
    },
    /// From nothing to a launched campaign, leads, sales and answers, in
    /// one command.
    Demo {
        /// Keep the demo's data directory here (default: a fresh temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Re-encrypt the CRM's personal data under the current key and rebuild
    /// its blind indexes: runs the CRM's own `mcp-crm rotate-key` (beside
    /// `promptsales`) with this environment (PROMPTSALES_ENCRYPTION_KEY the
    /// new key, PROMPTSALES_ENCRYPTION_KEY_OLD the previous one) and prints
    /// its report.
    RotateKey {
        /// Passed on to `mcp-crm rotate-key` unchanged.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RunsCmd {
    /// Start a recipe: a built-in name or a .toml file.
    Start {
        recipe: String,
        /// Parameters as a JSON object.
        #[arg(long, default_value = "{}")]
        params: String,
        /// Print the whole run as JSON.
        #[arg(long)]
        json: bool,
    },
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Continue from the first unfinished step (finished steps are never
    /// repeated).
    Resume {
        id: String,
        /// Repeat this in-flight step although its tool is not idempotent.
        #[arg(long)]
        retry: Vec<String>,
        /// Take the run over from a runner whose lease has not expired.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum ApprovalsCmd {
    List {
        /// Decided ones too.
        #[arg(long)]
        all: bool,
    },
    /// What the gate asks to approve: the summary, the campaign's budget
    /// plan in major units, caps, the creatives' copy and the decision.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve (needs the gate's scope, e.g. ads:approve) and continue the run.
    Approve {
        id: String,
        #[arg(long)]
        note: Option<String>,
        /// Approve although a channel has no approved creative, saying why
        /// (recorded with the approval and passed to the ads server).
        #[arg(long, value_name = "WHY")]
        waive: Option<String>,
        /// Only record the decision.
        #[arg(long)]
        no_resume: bool,
    },
    /// Reject with the reason; the run fails at its gate.
    Reject {
        id: String,
        #[arg(long)]
        note: String,
    },
}

#[derive(Subcommand)]
enum JobsCmd {
    List,
    /// Schedule a tool call or a recipe with a 5-field cron expression on
    /// a time zone's clock (--tz, else --client's zone, else UTC).
    Add {
        id: String,
        #[arg(long)]
        cron: String,
        /// IANA time zone of the cron, e.g. America/Bogota.
        #[arg(long)]
        tz: Option<String>,
        /// Read the cron in this client's time zone (from the catalog).
        #[arg(long, conflicts_with = "tz")]
        client: Option<String>,
        #[arg(long, conflicts_with = "recipe")]
        tool: Option<String>,
        #[arg(long)]
        recipe: Option<String>,
        /// Tool arguments or recipe parameters, as JSON.
        #[arg(long, default_value = "{}")]
        args: String,
    },
    /// Run a job's action once now (its schedule is unchanged).
    Run {
        id: String,
    },
}

#[derive(Subcommand)]
enum AgendaCmd {
    /// Pending tasks for people (all with --all).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Mark a task done.
    Done { id: String },
}

#[derive(Subcommand)]
enum BenchTarget {
    /// `ask` and `query_metrics` cached and uncached over MCP HTTP with 1,
    /// 10 and 100 sessions; full and 1 % delta sync through the `sync` tool.
    Analytics {
        /// Calls per HTTP scenario (split over its sessions).
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

fn print_sync(r: &SyncReport) {
    for line in orchestrator::sync::lines(r) {
        out!("{line}");
    }
}

fn print_counts(counts: &[(&str, i64)]) {
    for (table, n) in counts {
        out!("  {table:<12} {n:>10}");
    }
}

/// `promptsales migrate`: every context in order; the first failure ends
/// the command, naming its context.
async fn migrate(common: &CommonArgs) -> anyhow::Result<ExitCode> {
    let rt = Runtime::start("promptsales", common).await?;
    out!("{:<13} {:>8}  location", "context", "version");
    let done = orchestrator::migrate::migrate_all(&rt.config.db, |m| {
        let newer = if m.version > m.latest {
            format!(" (newer than this build's {})", m.latest)
        } else {
            String::new()
        };
        out!("{:<13} {:>8}  {}{newer}", m.context, m.version, m.location);
    })
    .await;
    match done {
        Ok(all) => {
            out!("{} contexts migrated", all.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

fn print_backup(m: &orchestrator::backup::Manifest, verb: &str) {
    for c in &m.contexts {
        let rows: i64 = c.tables.iter().map(|(_, n)| n).sum();
        out!(
            "{:<13} {verb} {:>3} tables, {rows} rows  {}",
            c.context,
            c.tables.len(),
            c.file
        );
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Migrate => return migrate(&cli.common).await,
        Command::Backup { out } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let m = orchestrator::backup::backup(&rt.config.db, &out).await?;
            print_backup(&m, "backed up");
            out!("backup written to {}", out.display());
        }
        Command::Restore { from } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let m = orchestrator::backup::restore(&rt.config.db, &from).await?;
            print_backup(&m, "restored");
            out!(
                "restored from {} (taken {}); row counts match",
                from.display(),
                m.created_at
            );
        }
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
            let stores = Stores::open(&rt.config).await?;
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
            // The countries sellers cover are the CRM's: set through it.
            match orchestrator::seed::sellers::cover_countries_through_crm(&cli.common, &ds).await {
                Ok(n) => out!("countries set for {n} sellers through the CRM"),
                Err(e) => eprintln!(
                    "note: sellers' countries not set ({e:#}): assign_lead by_country needs \
                     them; set them with crm.upsert_seller"
                ),
            }
            out!("rows in the database now:");
            print_counts(&stores.counts().await?);
        }
        Command::Import { dir } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt.config).await?;
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
            print_sync(&orchestrator::sync::sync_once(&cli.common).await?);
            if report.has_rejections() {
                eprintln!("{} row(s) rejected", report.rejected.len());
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Counts => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let stores = Stores::open(&rt.config).await?;
            print_counts(&stores.counts().await?);
        }
        Command::Sync => {
            Runtime::start("promptsales", &cli.common).await?;
            print_sync(&orchestrator::sync::sync_once(&cli.common).await?);
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
            let stores = Stores::open(&rt.config).await?;
            let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
            out!(
                "database: {} | cache: {}",
                rt.config.db.url,
                rt.cache.backend_name()
            );
            print_counts(&stores.counts().await?);
            let env = forwarded_env(&cli.common);
            let cached_srv = orchestrator::bench::Server::start(port, true, &env).await?;
            let uncached_srv = orchestrator::bench::Server::start(port + 1, false, &env).await?;
            let full = cached_srv.sync().await?;
            out!("\nsync of what was new (full on a fresh warehouse):");
            print_sync(&full);
            let touched = orchestrator::bench::touch_one_percent(&stores).await?;
            let delta = cached_srv.sync().await?;
            out!("\n1 % delta sync ({touched} source rows changed):");
            print_sync(&delta);
            let mut rows = Vec::new();
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
        Command::Tools { json } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            let orch = Orchestrator::open(rt).await?;
            let hub = orch.hub().await?;
            if json {
                use orchestrator::client::Tools as _;
                out!("{}", serde_json::to_string_pretty(&hub.tools())?);
            } else {
                cli::print_tools(&hub);
            }
            hub.shutdown().await;
        }
        Command::Run {
            instruction,
            max_steps,
            json,
        } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            match cli::run_instruction(&orch, &instruction, max_steps, json).await? {
                0 => {}
                code => return Ok(ExitCode::from(code)),
            }
        }
        Command::Chat { max_steps, json } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            cli::chat(&orch, max_steps, json).await?;
        }
        Command::Runs { action } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            let status = match action {
                RunsCmd::Start {
                    recipe,
                    params,
                    json,
                } => {
                    let params: serde_json::Value = serde_json::from_str(&params)
                        .context("--params: expected a JSON object")?;
                    cli::runs_start(&orch, &recipe, &params, json).await?
                }
                RunsCmd::List { limit } => {
                    cli::runs_list(&orch, limit).await?;
                    RunStatus::Succeeded
                }
                RunsCmd::Show { id, json } => {
                    cli::runs_show(&orch, &id, json).await?;
                    RunStatus::Succeeded
                }
                RunsCmd::Resume { id, retry, force } => {
                    cli::runs_resume(&orch, &id, &ResumeOpts { retry, force }).await?
                }
            };
            if status == RunStatus::Failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Approvals { action } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            let me = Principal::local(&orch.rt.config);
            match action {
                ApprovalsCmd::List { all } => cli::approvals_list(&orch, all).await?,
                ApprovalsCmd::Show { id, json } => cli::approvals_show(&orch, &id, json).await?,
                ApprovalsCmd::Approve {
                    id,
                    note,
                    waive,
                    no_resume,
                } => {
                    let status = cli::approvals_decide(
                        &orch,
                        &me,
                        &id,
                        true,
                        note.as_deref(),
                        waive.as_deref(),
                        !no_resume,
                    )
                    .await?;
                    // The run it continued failed (at its launch, or for
                    // want of creatives): so does the command.
                    if status == RunStatus::Failed {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                ApprovalsCmd::Reject { id, note } => {
                    cli::approvals_decide(&orch, &me, &id, false, Some(&note), None, true).await?;
                }
            }
        }
        Command::Serve {
            once,
            poll_secs,
            no_default_jobs,
        } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            cli::serve(
                &orch,
                once,
                std::time::Duration::from_secs(poll_secs.max(1)),
                no_default_jobs,
            )
            .await?;
        }
        Command::Jobs { action } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            match action {
                JobsCmd::List => cli::jobs_list(&orch).await?,
                JobsCmd::Run { id } => {
                    if !cli::jobs_run(&orch, &id).await? {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                JobsCmd::Add {
                    id,
                    cron,
                    tz,
                    client,
                    tool,
                    recipe,
                    args,
                } => {
                    let zone = cli::job_zone(&orch, tz.as_deref(), client.as_deref()).await?;
                    let args: serde_json::Value =
                        serde_json::from_str(&args).context("--args: expected a JSON object")?;
                    let action = match (tool, recipe) {
                        (Some(t), None) => serde_json::json!({ "tool": t, "args": args }),
                        (None, Some(r)) => serde_json::json!({ "recipe": r, "params": args }),
                        _ => anyhow::bail!("give --tool or --recipe"),
                    };
                    cli::jobs_add(&orch, &id, &cron, zone, &action).await?;
                }
            }
        }
        Command::Agenda { action } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            match action {
                AgendaCmd::List { all } => cli::agenda_list(&orch, all).await?,
                AgendaCmd::Done { id } => cli::agenda_done(&orch, &id).await?,
            }
        }
        Command::Plans { action } => {
            let orch =
                Orchestrator::open(Runtime::start("promptsales", &cli.common).await?).await?;
            let reader = promptsales_catalog::CatalogReader::new(orch.core.clone());
            let writer = promptsales_catalog::CatalogWriter::new(orch.core.clone());
            orchestrator::cli::plans::run(action, &reader, &writer, &orch.rt.config.tenant).await?;
        }
        Command::Mcp { serve } => {
            let rt = Runtime::start("promptsales", &cli.common).await?;
            orchestrator::mcp::serve(rt, &serve).await?;
        }
        Command::ClaudeConfig { person, role } => {
            let config = cli.common.resolve()?;
            let person = person.unwrap_or_else(|| config.actor.clone());
            out!(
                "{}",
                serde_json::to_string_pretty(&cli::claude_config(&config.data_dir, &person, role))?
            );
            eprintln!("{}", cli::claude_advice(&person, role));
        }
        Command::Demo { dir } => {
            if !orchestrator::demo::run(dir).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::RotateKey { args } => {
            let bin = orchestrator::rotate::crm_binary(&|k| std::env::var(k).ok());
            let r = orchestrator::rotate::run(&bin, &cli.common, &args).await?;
            out!("{}", r.stdout.trim_end());
            if !r.stderr.trim().is_empty() {
                eprintln!("{}", r.stderr.trim_end());
            }
            if r.code != 0 {
                return Ok(ExitCode::from(u8::try_from(r.code).unwrap_or(1)));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The local actor's scopes as configured (for the hint on a refusal; an
/// invalid value fails the command itself, earlier).
fn local_scopes(common: &CommonArgs) -> std::collections::BTreeSet<String> {
    match &common.scopes {
        Some(raw) => promptsales_shared::config::parse_scopes(raw).unwrap_or_default(),
        None => promptsales_shared::scope::Scope::local_default()
            .map(|s| s.as_str().to_owned())
            .collect(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // As a client of the servers, the CLI would log every MCP session and
    // progress notification at info: commands keep their output readable
    // unless a filter is asked for (the MCP server mode keeps rmcp's logs).
    if cli.common.log.is_none() && !matches!(cli.command, Command::Mcp { .. }) {
        cli.common.log = Some("info,rmcp=warn".into());
    }
    let held = local_scopes(&cli.common);
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // A missing scope is named with how to grant it.
            eprintln!(
                "error: {}",
                orchestrator::scopes::explain(&format!("{e:#}"), &held)
            );
            ExitCode::from(2)
        }
    }
}
