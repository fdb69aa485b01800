//! The agenda and the job scheduler: periodic jobs (cron on a time zone's wall clock) and one-off agenda tasks claimed through the database — `FOR UPDATE SKIP LOCKED` on PostgreSQL, the single-writer lock of one `UPDATE … RETURNING` on SQLite — so replicas never run one job twice; each job slot is recorded once, and actions get an idempotency key derived from it.

pub mod cron;
pub mod defaults;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use promptsales_shared::AppError;
use promptsales_shared::db::{Backend, Db};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_ts, now_ts, parse_ts};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;
use tokio_util::sync::CancellationToken;

pub use cron::Cron;

/// What a claimed job or agenda task asks for.
#[derive(Debug, Clone, Serialize)]
pub struct Claimed {
    /// `job` or `agenda`.
    pub source: &'static str,
    pub id: String,
    /// The scheduled time being executed: with the id, the unit of
    /// idempotency.
    pub slot: String,
    pub cron: Option<String>,
    /// The zone whose wall clock `cron` reads (IANA name).
    pub time_zone: String,
    pub action: Value,
    pub attempts: i64,
    pub max_attempts: i64,
}

impl Claimed {
    /// The key an action passes to tools so a repeated slot has no second
    /// effect.
    pub fn idempotency_key(&self) -> String {
        format!("{}/{}/{}", self.source, self.id, self.slot)
    }
}

/// Does what a job asks (a tool call, a recipe run…).
pub trait JobAction: Send + Sync {
    fn run<'a>(&'a self, job: &'a Claimed) -> BoxFuture<'a, Result<Value, String>>;
}

const CLAIM_JOBS_PG: &str = "UPDATE jobs SET lease_owner = $2, lease_until = $3, updated_at = $4 \
     WHERE tenant_id = $1 AND id IN ( \
        SELECT id FROM jobs WHERE tenant_id = $1 AND enabled = 1 AND next_run_at <= $4 \
          AND (lease_until IS NULL OR lease_until < $4) \
        ORDER BY next_run_at LIMIT $5 FOR UPDATE SKIP LOCKED) \
     RETURNING id, slot, cron, time_zone, action, attempts, max_attempts";
// SQLite has one writer: this single statement claims atomically.
const CLAIM_JOBS_SQLITE: &str = "UPDATE jobs SET lease_owner = $2, lease_until = $3, updated_at = $4 \
     WHERE tenant_id = $1 AND id IN ( \
        SELECT id FROM jobs WHERE tenant_id = $1 AND enabled = 1 AND next_run_at <= $4 \
          AND (lease_until IS NULL OR lease_until < $4) \
        ORDER BY next_run_at LIMIT $5) \
     RETURNING id, slot, cron, time_zone, action, attempts, max_attempts";
// Agenda tasks a person handles (reply reviews) are never claimed here; a
// `running` task whose update is older than the lease is taken back.
const CLAIM_TASKS_PG: &str = "UPDATE agenda_tasks SET status = 'running', attempts = attempts + 1, updated_at = $2 \
     WHERE tenant_id = $1 AND id IN ( \
        SELECT id FROM agenda_tasks WHERE tenant_id = $1 AND due_at <= $2 AND kind NOT IN ('reply_review', 'connection_expiry') \
          AND (status = 'pending' OR (status = 'running' AND updated_at < $3)) \
        ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, due_at, kind, campaign_id, payload, attempts";
const CLAIM_TASKS_SQLITE: &str = "UPDATE agenda_tasks SET status = 'running', attempts = attempts + 1, updated_at = $2 \
     WHERE tenant_id = $1 AND id IN ( \
        SELECT id FROM agenda_tasks WHERE tenant_id = $1 AND due_at <= $2 AND kind NOT IN ('reply_review', 'connection_expiry') \
          AND (status = 'pending' OR (status = 'running' AND updated_at < $3)) \
        ORDER BY due_at LIMIT $4) \
     RETURNING id, due_at, kind, campaign_id, payload, attempts";

/// Attempts of an agenda task before it is marked failed.
const TASK_MAX_ATTEMPTS: i64 = 3;

/// The jobs table and the agenda, for one tenant.
#[derive(Clone, Debug)]
pub struct JobStore {
    db: Db,
    tenant: TenantId,
}

/// A job as listed.
#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: String,
    pub cron: Option<String>,
    /// The zone whose wall clock `cron` reads.
    pub time_zone: String,
    pub action: Value,
    pub next_run_at: String,
    pub enabled: bool,
    pub last_run_at: Option<String>,
    pub last_error: Option<String>,
}

impl JobStore {
    pub fn new(db: Db, tenant: TenantId) -> Self {
        Self { db, tenant }
    }

    /// Adds a periodic job (first slot: the next cron match after now, on
    /// the cron's time zone), or updates its schedule and action if it
    /// exists; a changed expression or zone moves the next slot.
    pub async fn upsert_periodic(
        &self,
        id: &str,
        cron: &Cron,
        action: &Value,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        let first = cron.next_after(now).ok_or_else(|| {
            AppError::invalid("cron", "an expression that matches some day", cron.as_str())
        })?;
        let slot = format_ts(first);
        let ts = format_ts(now);
        sqlx::query(
            "INSERT INTO jobs (tenant_id, id, cron, time_zone, action, slot, next_run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $7, $4, $5, $5, $6, $6) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, \
                 action = excluded.action, enabled = 1, \
                 slot = CASE WHEN jobs.cron = excluded.cron AND jobs.time_zone = excluded.time_zone AND jobs.enabled = 1 \
                             THEN jobs.slot ELSE excluded.slot END, \
                 next_run_at = CASE WHEN jobs.cron = excluded.cron AND jobs.time_zone = excluded.time_zone AND jobs.enabled = 1 \
                             THEN jobs.next_run_at ELSE excluded.next_run_at END, \
                 updated_at = excluded.updated_at",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(cron.as_str())
        .bind(action.to_string())
        .bind(&slot)
        .bind(&ts)
        .bind(cron.time_zone().as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Stops a job from running (a retired default): it stays listed,
    /// disabled. Returns whether it was enabled.
    pub async fn disable(&self, id: &str) -> Result<bool, AppError> {
        let r = sqlx::query(
            "UPDATE jobs SET enabled = 0, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND enabled = 1",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// One job, for `promptsales jobs run`.
    pub async fn get(&self, id: &str) -> Result<JobRow, AppError> {
        self.list()
            .await?
            .into_iter()
            .find(|j| j.id == id)
            .ok_or_else(|| AppError::not_found("job", id))
    }

    /// Runs a job's action once now, outside its schedule (its next slot is
    /// unchanged), and records the run under a slot of its own.
    pub async fn run_now(
        &self,
        id: &str,
        owner: &str,
        action: &dyn JobAction,
    ) -> Result<(Claimed, Result<Value, String>), AppError> {
        let job = self.get(id).await?;
        let started = Utc::now();
        let c = Claimed {
            source: "job",
            id: job.id,
            slot: format!("manual-{}", format_ts(started)),
            cron: None,
            time_zone: job.time_zone,
            action: job.action,
            attempts: 0,
            max_attempts: 1,
        };
        let outcome = action.run(&c).await;
        // Only the job_runs row is written: the job's own row keeps its
        // schedule (its lease is not ours).
        self.complete(&c, owner, started, &outcome).await?;
        Ok((c, outcome))
    }

    /// Adds one-off jobs due at `at` in one transaction (benchmarks, tests,
    /// "run this now").
    pub async fn add_once_many(
        &self,
        jobs: &[(String, Value)],
        at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let ts = format_ts(at);
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        for (id, action) in jobs {
            sqlx::query(
                "INSERT INTO jobs (tenant_id, id, cron, action, slot, next_run_at, created_at, updated_at) \
                 VALUES ($1, $2, NULL, $3, $4, $4, $5, $5) ON CONFLICT (tenant_id, id) DO NOTHING",
            )
            .bind(self.tenant.as_str())
            .bind(id)
            .bind(action.to_string())
            .bind(&ts)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<JobRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, cron, time_zone, action, next_run_at, enabled, last_run_at, last_error FROM jobs \
             WHERE tenant_id = $1 ORDER BY id LIMIT 2000",
        )
        .bind(self.tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let action: String = r.try_get("action")?;
                Ok(JobRow {
                    id: r.try_get("id")?,
                    cron: r.try_get("cron")?,
                    time_zone: r.try_get("time_zone")?,
                    action: serde_json::from_str(&action).unwrap_or(Value::Null),
                    next_run_at: r.try_get("next_run_at")?,
                    enabled: r.try_get::<i64, _>("enabled")? != 0,
                    last_run_at: r.try_get("last_run_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(AppError::from)
    }

    /// How many slots of `job` completed (tests and the demo report).
    pub async fn completed_slots(&self, job: &str) -> Result<i64, AppError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM job_runs WHERE tenant_id = $1 AND job_id = $2")
                .bind(self.tenant.as_str())
                .bind(job)
                .fetch_one(self.db.pool())
                .await?;
        Ok(row.try_get("n")?)
    }

    /// Claims up to `limit` due jobs for `owner` until `lease`.
    pub async fn claim_jobs(
        &self,
        owner: &str,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Claimed>, AppError> {
        let now = Utc::now();
        let until = format_ts(now + chrono::Duration::from_std(lease).unwrap_or_default());
        let sql = match self.db.backend() {
            Backend::Postgres => CLAIM_JOBS_PG,
            Backend::Sqlite => CLAIM_JOBS_SQLITE,
        };
        let rows = sqlx::query(sql)
            .bind(self.tenant.as_str())
            .bind(owner)
            .bind(&until)
            .bind(format_ts(now))
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let action: String = r.try_get("action")?;
                Ok(Claimed {
                    source: "job",
                    id: r.try_get("id")?,
                    slot: r.try_get("slot")?,
                    cron: r.try_get("cron")?,
                    time_zone: r.try_get("time_zone")?,
                    action: serde_json::from_str(&action).unwrap_or(Value::Null),
                    attempts: r.try_get("attempts")?,
                    max_attempts: r.try_get("max_attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(AppError::from)
    }

    /// Whether this slot already completed (a replica that lost its lease
    /// finished it): then it is not run again.
    pub async fn slot_done(&self, c: &Claimed) -> Result<bool, AppError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM job_runs WHERE tenant_id = $1 AND job_id = $2 AND slot = $3",
        )
        .bind(self.tenant.as_str())
        .bind(format!("{}:{}", c.source, c.id))
        .bind(&c.slot)
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Records a finished slot and moves the job on (next cron slot, a
    /// retry with backoff, or disabled when one-off), in one transaction.
    pub async fn complete(
        &self,
        c: &Claimed,
        owner: &str,
        started: DateTime<Utc>,
        outcome: &Result<Value, String>,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        let ts = format_ts(now);
        let mut tx = self.db.pool().begin().await?;
        let final_attempt = c.attempts + 1 >= c.max_attempts;
        if outcome.is_ok() || final_attempt {
            let (status, error, output) = match outcome {
                Ok(v) => ("succeeded", None, Some(v.to_string())),
                Err(e) => ("failed", Some(e.clone()), None),
            };
            sqlx::query(
                "INSERT INTO job_runs (tenant_id, job_id, slot, runner, status, error, output, started_at, finished_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9) ON CONFLICT (tenant_id, job_id, slot) DO NOTHING",
            )
            .bind(self.tenant.as_str())
            .bind(format!("{}:{}", c.source, c.id))
            .bind(&c.slot)
            .bind(owner)
            .bind(status)
            .bind(error)
            .bind(output)
            .bind(format_ts(started))
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
        }
        if c.source == "agenda" {
            let (status, due) = match outcome {
                Ok(_) => ("done", c.slot.clone()),
                Err(_) if final_attempt || c.attempts >= TASK_MAX_ATTEMPTS => {
                    ("failed", c.slot.clone())
                }
                Err(_) => ("pending", format_ts(now + backoff(c.attempts))),
            };
            sqlx::query(
                "UPDATE agenda_tasks SET status = $3, due_at = $4, last_error = $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(self.tenant.as_str())
            .bind(&c.id)
            .bind(status)
            .bind(due)
            .bind(outcome.as_ref().err())
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
        } else {
            match outcome {
                Err(e) if !final_attempt => {
                    sqlx::query(
                        "UPDATE jobs SET attempts = attempts + 1, next_run_at = $4, last_error = $5, \
                                lease_owner = NULL, lease_until = NULL, updated_at = $6 \
                         WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3",
                    )
                    .bind(self.tenant.as_str())
                    .bind(&c.id)
                    .bind(owner)
                    .bind(format_ts(now + backoff(c.attempts)))
                    .bind(e)
                    .bind(&ts)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {
                    // Next slot after both the finished one and now: a
                    // scheduler that was down does not replay every
                    // missed slot.
                    let next = match &c.cron {
                        Some(expr) => Cron::parse_zoned(expr, &c.time_zone)
                            .ok()
                            .and_then(|cr| {
                                let after =
                                    parse_ts("slot", &c.slot).map(|s| s.max(now)).unwrap_or(now);
                                cr.next_after(after)
                            })
                            .map(format_ts),
                        None => None,
                    };
                    sqlx::query(
                        "UPDATE jobs SET attempts = 0, slot = COALESCE($4, slot), next_run_at = COALESCE($4, next_run_at), \
                                enabled = $5, last_error = $6, last_run_at = $7, lease_owner = NULL, lease_until = NULL, updated_at = $7 \
                         WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3",
                    )
                    .bind(self.tenant.as_str())
                    .bind(&c.id)
                    .bind(owner)
                    .bind(next.as_deref())
                    .bind(i64::from(next.is_some()))
                    .bind(outcome.as_ref().err())
                    .bind(&ts)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims due agenda tasks (campaign metric syncs, pacing checks…).
    pub async fn claim_tasks(&self, lease: Duration, limit: i64) -> Result<Vec<Claimed>, AppError> {
        let now = Utc::now();
        let stale = format_ts(now - chrono::Duration::from_std(lease).unwrap_or_default());
        let sql = match self.db.backend() {
            Backend::Postgres => CLAIM_TASKS_PG,
            Backend::Sqlite => CLAIM_TASKS_SQLITE,
        };
        let rows = sqlx::query(sql)
            .bind(self.tenant.as_str())
            .bind(format_ts(now))
            .bind(stale)
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                let kind: String = r.try_get("kind")?;
                let campaign: Option<String> = r.try_get("campaign_id")?;
                Ok(Claimed {
                    source: "agenda",
                    id: r.try_get("id")?,
                    slot: r.try_get("due_at")?,
                    cron: None,
                    time_zone: "UTC".into(),
                    action: json!({
                        "task": kind,
                        "campaign_id": campaign,
                        "payload": serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
                    }),
                    attempts: r.try_get::<i64, _>("attempts")? - 1,
                    max_attempts: TASK_MAX_ATTEMPTS,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(AppError::from)
    }
}

fn backoff(attempts: i64) -> chrono::Duration {
    chrono::Duration::seconds(30 << attempts.clamp(0, 8))
}

/// One replica of the scheduler.
pub struct Scheduler {
    pub store: JobStore,
    pub owner: String,
    pub lease: Duration,
    pub batch: i64,
    pub concurrency: usize,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy)]
pub struct TickReport {
    pub ran: usize,
    pub failed: usize,
    pub already_done: usize,
}

impl Scheduler {
    pub fn new(store: JobStore, owner: &str) -> Self {
        Self {
            store,
            owner: owner.to_owned(),
            lease: Duration::from_secs(300),
            batch: 32,
            concurrency: 8,
        }
    }

    /// Claims what is due and runs it; returns what happened.
    pub async fn tick(&self, action: &dyn JobAction) -> Result<TickReport, AppError> {
        let mut claimed = self
            .store
            .claim_jobs(&self.owner, self.lease, self.batch)
            .await?;
        claimed.extend(self.store.claim_tasks(self.lease, self.batch).await?);
        let results = futures::stream::iter(claimed.iter())
            .map(|c| async move {
                if self.store.slot_done(c).await? {
                    self.store
                        .complete(
                            c,
                            &self.owner,
                            Utc::now(),
                            &Ok(json!({"already_done": true})),
                        )
                        .await?;
                    return Ok::<_, AppError>((true, true));
                }
                let started = Utc::now();
                let outcome = action.run(c).await;
                if let Err(e) = &outcome {
                    tracing::warn!(job = %c.id, slot = %c.slot, error = %e, "job failed");
                }
                self.store
                    .complete(c, &self.owner, started, &outcome)
                    .await?;
                Ok((outcome.is_ok(), false))
            })
            .buffer_unordered(self.concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        let mut report = TickReport::default();
        for r in results {
            match r? {
                (_, true) => report.already_done += 1,
                (true, false) => report.ran += 1,
                (false, false) => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Runs passes until cancelled, polling every `idle` when nothing is due.
    pub async fn run(
        &self,
        action: &dyn JobAction,
        idle: Duration,
        cancel: CancellationToken,
    ) -> Result<(), AppError> {
        while !cancel.is_cancelled() {
            let started = Instant::now();
            let r = match self.tick(action).await {
                Ok(r) => r,
                Err(e) => {
                    // The database may come back: log and keep polling.
                    tracing::warn!(error = %e, "scheduler pass failed");
                    TickReport::default()
                }
            };
            if r.ran + r.failed + r.already_done > 0 {
                tracing::info!(
                    ran = r.ran,
                    failed = r.failed,
                    skipped = r.already_done,
                    ms = started.elapsed().as_millis() as u64,
                    "scheduler pass"
                );
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = cancel.cancelled() => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use promptsales_shared::testing::backends;

    struct Counting(Mutex<BTreeMap<String, u32>>);

    impl JobAction for Counting {
        fn run<'a>(&'a self, job: &'a Claimed) -> BoxFuture<'a, Result<Value, String>> {
            Box::pin(async move {
                *self
                    .0
                    .lock()
                    .unwrap()
                    .entry(job.idempotency_key())
                    .or_default() += 1;
                if job.action["fail"].as_bool() == Some(true) {
                    return Err("asked to fail".into());
                }
                Ok(json!({"ok": true}))
            })
        }
    }

    #[tokio::test]
    async fn jobs_run_once_retry_and_reschedule_on_both_backends() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let store = JobStore::new(t.db.clone(), TenantId::from_trusted("t1".into()));
            let jobs: Vec<(String, Value)> = (0..40)
                .map(|i| (format!("j{i:03}"), json!({"n": i})))
                .collect();
            store
                .add_once_many(&jobs, Utc::now() - chrono::Duration::seconds(1))
                .await
                .unwrap();
            store
                .add_once_many(
                    &[("bad".into(), json!({"fail": true}))],
                    Utc::now() - chrono::Duration::seconds(1),
                )
                .await
                .unwrap();
            let cron = Cron::parse("* * * * *").unwrap();
            store
                .upsert_periodic("every-minute", &cron, &json!({"tool": "x.y"}))
                .await
                .unwrap();
            let a = Scheduler::new(store.clone(), "a");
            let b = Scheduler::new(store.clone(), "b");
            let action = Counting(Mutex::new(BTreeMap::new()));
            let (ra, rb) = tokio::join!(a.tick(&action), b.tick(&action));
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            // A second pass of each finds the rest (batch 32).
            let (ra2, rb2) = tokio::join!(a.tick(&action), b.tick(&action));
            let total = ra.ran + rb.ran + ra2.unwrap().ran + rb2.unwrap().ran;
            assert_eq!(total, 40, "{}", t.label());
            let counts = action.0.lock().unwrap().clone();
            assert!(
                counts.values().all(|n| *n == 1),
                "{}: {counts:?}",
                t.label()
            );
            // The failing job was retried later, not now; the periodic one is
            // not due yet.
            assert_eq!(counts.get("job/bad/".to_owned().as_str()), None);
            let listed = store.list().await.unwrap();
            let bad = listed.iter().find(|j| j.id == "bad").unwrap();
            assert!(
                bad.enabled && bad.last_error.as_deref() == Some("asked to fail"),
                "{bad:?}"
            );
            let periodic = listed.iter().find(|j| j.id == "every-minute").unwrap();
            assert!(periodic.next_run_at > now_ts());
            assert_eq!(store.completed_slots("job:j000").await.unwrap(), 1);
            // Nothing is due any more.
            let r = a.tick(&action).await.unwrap();
            assert_eq!(r.ran + r.failed, 0, "{}", t.label());
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn agenda_tasks_are_claimed_when_due_but_not_reviews() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let runs = crate::pipeline::store::RunStore::new(t.db.clone());
            let past = format_ts(Utc::now() - chrono::Duration::minutes(1));
            let future = format_ts(Utc::now() + chrono::Duration::hours(1));
            runs.schedule_task(
                &tenant,
                "due",
                Some("cmp_1"),
                "sync_metrics",
                &past,
                &json!({}),
            )
            .await
            .unwrap();
            runs.schedule_task(
                &tenant,
                "later",
                Some("cmp_1"),
                "sync_metrics",
                &future,
                &json!({}),
            )
            .await
            .unwrap();
            runs.schedule_task(&tenant, "review", None, "reply_review", &past, &json!({}))
                .await
                .unwrap();
            let store = JobStore::new(t.db.clone(), tenant);
            let s = Scheduler::new(store, "a");
            let action = Counting(Mutex::new(BTreeMap::new()));
            let r = s.tick(&action).await.unwrap();
            assert_eq!(r.ran, 1, "{}", t.label());
            let keys: Vec<String> = action.0.lock().unwrap().keys().cloned().collect();
            assert_eq!(keys.len(), 1);
            assert!(keys[0].starts_with("agenda/due/"), "{keys:?}");
            assert_eq!(s.tick(&action).await.unwrap().ran, 0);
            t.cleanup().await;
        }
    }
}
