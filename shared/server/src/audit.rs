//! The audit writer of a server: every tool call leaves a row in the
//! `audit_log` of the context it owns. Ordinary calls are batched off the
//! request path (a failed write is retried, not dropped); calls that spend,
//! send, delete or approve write a durable `intent` row before they act and
//! complete it after. Rows older than the retention period are pruned.

use std::sync::Arc;
use std::time::{Duration, Instant};

use promptsales_shared::audit::{AuditEntry, AuditLog, Intent};
use tokio::sync::{mpsc, oneshot};

use crate::auth::Principal;

/// How a call ended, for its audit row.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub outcome: &'static str,
    pub kind: Option<String>,
    pub reference: Option<String>,
}

struct OwnedAudit {
    actor: String,
    tenant: String,
    tool: String,
    outcome: Outcome,
    latency_us: i64,
}

enum AuditMsg {
    Entry(OwnedAudit),
    Flush(oneshot::Sender<()>),
}

/// Audit rows older than this many days are deleted (the default of
/// `PROMPTSALES_AUDIT_RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// Records every tool call in the audit log of the server's own context.
#[derive(Clone)]
pub struct Auditor {
    server: &'static str,
    local: Arc<Principal>,
    log: AuditLog,
    tx: mpsc::Sender<AuditMsg>,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("server", &self.server)
            .finish()
    }
}

/// Writes a batch, retrying with backoff for about a minute before giving
/// up on it (logged with the number of rows lost).
async fn write_batch(log: &AuditLog, entries: &[AuditEntry<'_>]) {
    let mut wait = Duration::from_millis(100);
    for attempt in 0..10 {
        match log.record_many(entries).await {
            Ok(()) => return,
            Err(err) if attempt < 9 => {
                tracing::warn!(error = %err, rows = entries.len(), attempt, "audit write failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(15));
            }
            Err(err) => {
                tracing::error!(error = %err, rows = entries.len(), "audit rows lost after retries");
            }
        }
    }
}

impl Auditor {
    /// Starts the writer task (and the retention job, hourly, deleting rows
    /// older than `retention_days`). `local` is recorded for calls without
    /// a verified principal (stdio) and is the one whose scopes they use.
    pub fn spawn(
        log: AuditLog,
        server: &'static str,
        local: Principal,
        retention_days: u32,
    ) -> Self {
        let (tx, mut rx) = mpsc::channel::<AuditMsg>(8192);
        let writer = log.clone();
        tokio::spawn(async move {
            let mut batch: Vec<OwnedAudit> = Vec::with_capacity(256);
            while let Some(msg) = rx.recv().await {
                let mut flushes = Vec::new();
                let mut push = |m: AuditMsg, batch: &mut Vec<OwnedAudit>| match m {
                    AuditMsg::Entry(e) => batch.push(e),
                    AuditMsg::Flush(done) => flushes.push(done),
                };
                push(msg, &mut batch);
                while batch.len() < 256 {
                    match rx.try_recv() {
                        Ok(m) => push(m, &mut batch),
                        Err(_) => break,
                    }
                }
                let entries: Vec<AuditEntry<'_>> = batch.iter().map(|e| e.entry(server)).collect();
                if !entries.is_empty() {
                    write_batch(&writer, &entries).await;
                }
                drop(entries);
                batch.clear();
                for done in flushes {
                    let _ = done.send(());
                }
            }
        });
        let pruner = log.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let before = (chrono::Utc::now()
                    - chrono::Duration::days(i64::from(retention_days)))
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                match pruner.prune(&before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        rows = n,
                        retention_days,
                        "audit rows past retention deleted"
                    ),
                    Err(e) => tracing::warn!(error = %e, "audit retention job failed"),
                }
            }
        });
        Self {
            server,
            local: Arc::new(local),
            log,
            tx,
        }
    }

    /// The principal of calls without a verified token (stdio).
    pub fn local(&self) -> &Principal {
        &self.local
    }

    /// The log itself (for `audit_query`).
    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    pub fn server(&self) -> &'static str {
        self.server
    }

    /// Waits until every entry sent so far is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(AuditMsg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Queues the row of a resource read or prompt (`name` such as
    /// `resource:crm://leads/lead_1`), batched like an ordinary tool call.
    pub async fn record_read(
        &self,
        who: &Principal,
        name: &str,
        result: Result<(), &crate::error::ToolError>,
        started: Instant,
    ) {
        let outcome = match result {
            Ok(()) => Outcome {
                outcome: "ok",
                kind: None,
                reference: None,
            },
            Err(e) => Outcome {
                outcome: "tool_error",
                kind: Some(e.kind().to_owned()),
                reference: e.reference().map(str::to_owned),
            },
        };
        self.record(who, name, outcome, started).await;
    }

    /// Queues the row of an ordinary call.
    pub(crate) async fn record(
        &self,
        who: &Principal,
        tool: &str,
        outcome: Outcome,
        started: Instant,
    ) {
        let entry = OwnedAudit {
            actor: who.subject.clone(),
            tenant: who.tenant.to_string(),
            tool: tool.to_owned(),
            outcome,
            latency_us: started.elapsed().as_micros() as i64,
        };
        if self.tx.send(AuditMsg::Entry(entry)).await.is_err() {
            tracing::warn!(tool, "audit writer stopped; row not written");
        }
    }

    /// Writes the intent row of a consequential call, durably, before it
    /// acts; `Err` means the call must not run.
    pub(crate) async fn begin(
        &self,
        who: &Principal,
        tool: &str,
        intent: &Intent,
    ) -> Result<i64, promptsales_shared::AppError> {
        let tenant = who.tenant.to_string();
        let entry = AuditEntry {
            actor: &who.subject,
            tenant: &tenant,
            server: self.server,
            tool,
            outcome: "running",
            error_kind: None,
            error_ref: None,
            latency_us: 0,
        };
        self.log.begin(&entry, intent).await
    }

    /// Completes an intent row (retried like a batch; a failure leaves the
    /// row as an intent, which `audit_query` shows as unfinished).
    pub(crate) async fn finish(
        &self,
        id: i64,
        who: &Principal,
        tool: &str,
        outcome: Outcome,
        started: Instant,
    ) {
        let tenant = who.tenant.to_string();
        let row = OwnedAudit {
            actor: who.subject.clone(),
            tenant,
            tool: tool.to_owned(),
            outcome,
            latency_us: started.elapsed().as_micros() as i64,
        };
        let entry = row.entry(self.server);
        let mut wait = Duration::from_millis(50);
        for attempt in 0..5 {
            match self.log.finish(id, &entry).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, id, attempt, "audit intent not completed; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
}

impl OwnedAudit {
    fn entry<'a>(&'a self, server: &'a str) -> AuditEntry<'a> {
        AuditEntry {
            actor: &self.actor,
            tenant: &self.tenant,
            server,
            tool: &self.tool,
            outcome: self.outcome.outcome,
            error_kind: self.outcome.kind.as_deref(),
            error_ref: self.outcome.reference.as_deref(),
            latency_us: self.latency_us,
        }
    }
}
