//! Scheduler throughput: one-off jobs claimed and completed by two replicas on one database (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set); prints p50/p95/p99 of claim-to-completion and jobs per minute.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::BoxFuture;
use orchestrator::scheduler::{Claimed, JobAction, JobStore, Scheduler};
use promptsales_shared::bench::{Figures, print_table, summarise};
use promptsales_shared::domain::TenantId;
use promptsales_shared::testing::backends;
use serde_json::{Value, json};

/// Records how long after being due each job finished.
struct Timed(Mutex<Vec<Duration>>, Instant);

impl JobAction for Timed {
    fn run<'a>(&'a self, _job: &'a Claimed) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            self.0.lock().unwrap().push(self.1.elapsed());
            Ok(json!({"ok": true}))
        })
    }
}

async fn drain(s: &Scheduler, action: &Timed) -> usize {
    let mut done = 0;
    loop {
        let r = s.tick(action).await.unwrap();
        if r.ran + r.failed + r.already_done == 0 {
            return done;
        }
        done += r.ran;
    }
}

async fn scenario(label: &str, store: JobStore, jobs: usize) -> Figures {
    let batch: Vec<(String, Value)> = (0..jobs)
        .map(|i| (format!("bench-{i:06}"), json!({"n": i})))
        .collect();
    for chunk in batch.chunks(1000) {
        store
            .add_once_many(chunk, Utc::now() - chrono::Duration::seconds(1))
            .await
            .unwrap();
    }
    let started = Instant::now();
    let action = Timed(Mutex::new(Vec::with_capacity(jobs)), started);
    let a = Scheduler::new(store.clone(), "replica-a");
    let b = Scheduler::new(store.clone(), "replica-b");
    let (na, nb) = tokio::join!(drain(&a, &action), drain(&b, &action));
    let wall = started.elapsed();
    assert_eq!(na + nb, jobs, "every job ran exactly once");
    let lat = action.0.into_inner().unwrap();
    let mut f = summarise(format!("{label}: 2 replicas, {jobs} jobs"), lat, wall);
    f.per_sec = jobs as f64 / wall.as_secs_f64();
    println!(
        "{label}: {jobs} jobs in {:.2?} = {:.0} jobs/minute (a: {na}, b: {nb})",
        wall,
        f.per_sec * 60.0
    );
    f
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let jobs: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let mut rows = Vec::new();
    for t in backends(&orchestrator::MIGRATIONS).await.unwrap() {
        let store = JobStore::new(t.db.clone(), TenantId::from_trusted("bench".into()));
        rows.push(scenario(t.label(), store, jobs).await);
        t.cleanup().await;
    }
    println!("\nlatency = from the start of the run to each job's completion; calls/s = jobs/s");
    print_table(&rows);
}
