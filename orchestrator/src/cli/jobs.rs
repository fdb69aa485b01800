//! `promptsales serve`, `jobs` and `agenda`: the scheduler with its default jobs (each client's digest on the client's clock), jobs added by hand in a time zone, a job run on demand, and the agenda a person works through.

use std::time::Duration;

use promptsales_catalog::CatalogReader;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TimeZone};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{out, pretty};
use crate::agenda::Agenda;
use crate::app::{HubAction, Orchestrator};
use crate::scheduler::{Cron, Scheduler, defaults};

/// `promptsales serve`: keeps the default jobs scheduled (the tenant's on
/// UTC, each client's digest in the client's zone) and runs what is due
/// until a signal (or one pass with `once`).
pub async fn serve(
    orch: &Orchestrator,
    once: bool,
    poll: Duration,
    no_defaults: bool,
) -> anyhow::Result<()> {
    if !no_defaults {
        let clients = CatalogReader::new(orch.core.clone())
            .list_clients(&orch.rt.config.tenant)
            .await?;
        let n = defaults::install(&orch.jobs, &clients).await?;
        tracing::info!(jobs = n, clients = clients.len(), "default jobs scheduled");
    }
    let hub = orch.hub().await?;
    let action = HubAction { orch, tools: &hub };
    let owner = format!("{}-{}", hostname(), std::process::id());
    let scheduler = Scheduler::new(orch.jobs.clone(), &owner);
    let result = if once {
        let r = scheduler.tick(&action).await?;
        out(&format!(
            "ran {} job(s), {} failed, {} already done",
            r.ran, r.failed, r.already_done
        ));
        Ok(())
    } else {
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            promptsales_server::server::shutdown_signal().await;
            c.cancel();
        });
        out(&format!("scheduler {owner} running; Ctrl-C to stop"));
        scheduler
            .run(&action, poll, cancel)
            .await
            .map_err(anyhow::Error::from)
    };
    hub.shutdown().await;
    result
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into())
}

/// A UTC timestamp as the zone's wall clock (`2026-12-01 08:00 America/Bogota`).
fn local(ts: &str, zone: &str) -> String {
    match (
        chrono::DateTime::parse_from_rfc3339(ts),
        TimeZone::parse(zone),
    ) {
        (Ok(t), Ok(z)) => format!(
            "{} {}",
            t.with_timezone(&z.tz()).format("%Y-%m-%d %H:%M"),
            z
        ),
        _ => ts.to_owned(),
    }
}

pub async fn jobs_list(orch: &Orchestrator) -> Result<(), AppError> {
    out(&format!(
        "{:<22} {:<14} {:<36} {:<28} action",
        "job", "cron", "next (its zone)", "next (UTC)"
    ));
    for j in orch.jobs.list().await? {
        out(&format!(
            "{:<22} {:<14} {:<36} {:<28} {}{}{}",
            j.id,
            j.cron.as_deref().unwrap_or("once"),
            local(&j.next_run_at, &j.time_zone),
            j.next_run_at,
            j.action,
            if j.enabled { "" } else { "  (disabled)" },
            j.last_error
                .as_deref()
                .map(|e| format!("  last error: {e}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

/// The zone a job added by hand runs in: `--tz`, else the client's own
/// zone (`--client`), else the tenant's UTC.
pub async fn job_zone(
    orch: &Orchestrator,
    tz: Option<&str>,
    client: Option<&str>,
) -> Result<TimeZone, AppError> {
    if let Some(tz) = tz {
        return TimeZone::parse_field("tz", tz);
    }
    match client {
        Some(c) => Ok(CatalogReader::new(orch.core.clone())
            .get_client(&orch.rt.config.tenant, &ClientId::parse(c)?)
            .await?
            .time_zone),
        None => Ok(TimeZone::UTC),
    }
}

pub async fn jobs_add(
    orch: &Orchestrator,
    id: &str,
    cron: &str,
    zone: TimeZone,
    action: &Value,
) -> anyhow::Result<()> {
    let cron = Cron::parse_in(cron, zone)?;
    orch.jobs.upsert_periodic(id, &cron, action).await?;
    let next = orch.jobs.get(id).await?.next_run_at;
    out(&format!(
        "job {id} scheduled ({cron}); next run {} ({next})",
        local(&next, zone.as_str())
    ));
    Ok(())
}

/// `promptsales jobs run ID`: the job's action once, now (its schedule is
/// unchanged); prints what it produced. False when it failed.
pub async fn jobs_run(orch: &Orchestrator, id: &str) -> anyhow::Result<bool> {
    let hub = orch.hub().await?;
    let action = HubAction { orch, tools: &hub };
    let owner = format!("{}-{}", hostname(), std::process::id());
    let result = orch.jobs.run_now(id, &owner, &action).await;
    hub.shutdown().await;
    let (claimed, outcome) = result?;
    match outcome {
        Ok(v) => {
            out(&format!("job {id} ran ({})", claimed.slot));
            match v["printed"].as_array() {
                Some(printed) if v["run_id"].is_string() => {
                    out(&format!(
                        "run {} {}",
                        v["run_id"].as_str().unwrap_or(""),
                        v["status"].as_str().unwrap_or("")
                    ));
                    for p in printed {
                        out(p.as_str().unwrap_or(&p.to_string()));
                    }
                }
                _ => out(&pretty(&v)),
            }
            Ok(true)
        }
        Err(e) => {
            out(&format!("job {id} failed: {e}"));
            Ok(false)
        }
    }
}

/// `promptsales agenda`: the tasks waiting for a person (reply reviews,
/// connection expiry alerts), oldest first; with `all`, finished ones too.
pub async fn agenda_list(orch: &Orchestrator, all: bool) -> Result<(), AppError> {
    let agenda = Agenda::new(orch.runs.db().clone(), orch.rt.config.tenant.clone());
    let tasks = agenda.for_people(all).await?;
    if tasks.is_empty() {
        out("nothing on the agenda");
    }
    for t in tasks {
        out(&format!(
            "{}  {:<18} {:<8} due {}  {}",
            t.id,
            t.kind,
            t.status,
            t.due_at,
            t.payload["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| t.payload.to_string())
        ));
    }
    Ok(())
}

/// `promptsales agenda done ID`: a person finished a task.
pub async fn agenda_done(orch: &Orchestrator, id: &str) -> Result<(), AppError> {
    let agenda = Agenda::new(orch.runs.db().clone(), orch.rt.config.tenant.clone());
    agenda.done(id).await?;
    out(&format!("{id} done"));
    Ok(())
}
