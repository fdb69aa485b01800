//! The lease a runner holds on a run between steps, so two processes never drive one run, and the takeover of runs whose runner crashed.

use std::time::Duration;

use chrono::Utc;
use promptsales_shared::AppError;
use promptsales_shared::time::format_ts;

use super::Runner;

/// How long a runner holds a run between steps before another may take it.
const LEASE: Duration = Duration::from_secs(120);

impl Runner<'_> {
    pub(super) async fn lease(&self, run_id: &str, force: bool) -> Result<(), AppError> {
        let until = format_ts(Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default());
        if self
            .store
            .lease_run(&self.tenant, run_id, &self.owner, &until, force)
            .await?
        {
            return Ok(());
        }
        // A holder that was a process on this machine which no longer
        // exists crashed: its lease is taken over at once.
        let holder = self.store.run_lease_owner(&self.tenant, run_id).await?;
        if holder.as_deref().is_some_and(owner_is_dead)
            && self
                .store
                .lease_run(&self.tenant, run_id, &self.owner, &until, true)
                .await?
        {
            tracing::warn!(run_id, holder = ?holder, "took over the run of a process that is gone");
            Ok(())
        } else {
            Err(AppError::Conflict(format!(
                "run {run_id} is being run by another process right now; if that process \
                 crashed, resume with --force"
            )))
        }
    }
}

/// This machine's name, the first part of a lease owner.
pub(super) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty() && !h.contains(':'))
        .unwrap_or_else(|| "local".into())
}

/// Whether a lease owner (`host:pid:…`) was a process on this machine that
/// has exited. Unknown means alive: only the lease's expiry frees it then.
pub(super) fn owner_is_dead(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == host_name()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}
