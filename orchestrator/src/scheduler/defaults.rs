//! The jobs `promptsales serve` keeps scheduled: the tenant's own on UTC (syncs, weekly reports, the platform-token expiry check) and, for every client, the morning follow-up digest on that client's wall clock.

use promptsales_catalog::Client;
use promptsales_shared::AppError;
use serde_json::{Value, json};

use super::{Cron, JobStore};

/// Tenant-wide jobs: (id, cron on UTC, action).
pub const TENANT_JOBS: &[(&str, &str, &str)] = &[
    (
        "analytics-sync",
        "*/15 * * * *",
        r#"{"tool": "analytics.sync"}"#,
    ),
    (
        "ads-sync-metrics",
        "0 * * * *",
        r#"{"tool": "ads.sync_metrics"}"#,
    ),
    (
        "weekly-reports",
        "0 7 * * 1",
        r#"{"recipe": "weekly-report"}"#,
    ),
    // Daily, after the day's rates are final: exchange rates for the
    // reporting currency (a no-op without a configured provider).
    (
        "fx-rates",
        "30 1 * * *",
        r#"{"tool": "analytics.refresh_fx_rates"}"#,
    ),
    // Daily: connections whose token expires within a week become an
    // agenda alert for a person (once per connection and expiry).
    (
        "connection-expiry",
        "0 6 * * *",
        r#"{"task": "check_connections"}"#,
    ),
];

/// Defaults of earlier versions that a newer one replaced: disabled when
/// the defaults are installed (the tenant-wide 08:00 UTC follow-ups became
/// each client's 08:00 in its own zone).
pub const RETIRED: &[&str] = &["follow-up-alerts"];

/// When each client's follow-up digest runs, on the client's clock.
pub const DIGEST_CRON: &str = "0 8 * * 1-5";
/// Leads a scheduled digest lists at most.
pub const DIGEST_LIMIT: u32 = 20;

/// The id of a client's follow-up digest job.
pub fn digest_job_id(client: &str) -> String {
    format!("follow-ups:{client}")
}

/// The digest job's action: the morning follow-ups of one client.
pub fn digest_action(client: &str, limit: u32) -> Value {
    json!({
        "recipe": "lead-nurture",
        "params": { "client_id": client, "limit": limit },
    })
}

/// One job to keep scheduled.
#[derive(Debug, Clone)]
pub struct DefaultJob {
    pub id: String,
    pub cron: Cron,
    pub action: Value,
}

/// Every default job: the tenant's, then one digest per client in the
/// client's `time_zone`.
pub fn default_jobs(clients: &[Client]) -> Result<Vec<DefaultJob>, AppError> {
    let mut out = Vec::with_capacity(TENANT_JOBS.len() + clients.len());
    for (id, cron, action) in TENANT_JOBS {
        out.push(DefaultJob {
            id: (*id).to_owned(),
            cron: Cron::parse(cron).map_err(|e| AppError::Internal(e.to_string()))?,
            action: serde_json::from_str(action)
                .map_err(|e| AppError::Internal(format!("default job {id}: {e}")))?,
        });
    }
    for c in clients {
        out.push(DefaultJob {
            id: digest_job_id(c.id.as_str()),
            cron: Cron::parse_in(DIGEST_CRON, c.time_zone)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            action: digest_action(c.id.as_str(), DIGEST_LIMIT),
        });
    }
    Ok(out)
}

/// Schedules every default job (a client whose zone changed is moved to
/// its new clock) and disables the retired ones; returns how many jobs
/// are kept.
pub async fn install(store: &JobStore, clients: &[Client]) -> Result<usize, AppError> {
    let jobs = default_jobs(clients)?;
    for j in &jobs {
        store.upsert_periodic(&j.id, &j.cron, &j.action).await?;
    }
    for id in RETIRED {
        store.disable(id).await?;
    }
    Ok(jobs.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use chrono::{DateTime, Utc};
    use promptsales_shared::domain::{ClientId, Country, TenantId};
    use promptsales_shared::testing::backends;

    use super::*;

    fn client(id: &str, country: &str) -> Client {
        Client::new(
            ClientId::parse(id).unwrap(),
            "X",
            "retail",
            Country::parse(country).unwrap(),
        )
    }

    #[test]
    fn each_client_gets_its_digest_on_its_own_clock() {
        let jobs = default_jobs(&[client("cli_001", "CO"), client("cli_002", "ES")]).unwrap();
        assert_eq!(jobs.len(), TENANT_JOBS.len() + 2);
        let co = jobs.iter().find(|j| j.id == "follow-ups:cli_001").unwrap();
        assert_eq!(co.cron.time_zone().as_str(), "America/Bogota");
        assert_eq!(co.action["params"]["client_id"], "cli_001");
        // Monday 30 November 2026: 08:00 in Bogotá is 13:00 UTC, in Madrid
        // (CET) 07:00 UTC.
        let monday: DateTime<Utc> = "2026-11-30T00:00:00Z".parse().unwrap();
        assert_eq!(
            co.cron.next_after(monday).unwrap().to_rfc3339(),
            "2026-11-30T13:00:00+00:00"
        );
        let es = jobs.iter().find(|j| j.id == "follow-ups:cli_002").unwrap();
        assert_eq!(
            es.cron.next_after(monday).unwrap().to_rfc3339(),
            "2026-11-30T07:00:00+00:00"
        );
        let sync = jobs.iter().find(|j| j.id == "analytics-sync").unwrap();
        assert_eq!(sync.cron.time_zone().as_str(), "UTC");
    }

    #[tokio::test]
    async fn install_moves_a_client_to_its_new_zone_and_retires_old_defaults() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let store = JobStore::new(t.db.clone(), TenantId::from_trusted("t1".into()));
            store
                .upsert_periodic(
                    "follow-up-alerts",
                    &Cron::parse("0 8 * * 1-5").unwrap(),
                    &json!({"recipe": "lead-nurture"}),
                )
                .await
                .unwrap();
            let mut c = client("cli_001", "CO");
            install(&store, std::slice::from_ref(&c)).await.unwrap();
            let listed = store.list().await.unwrap();
            let digest = listed
                .iter()
                .find(|j| j.id == "follow-ups:cli_001")
                .unwrap();
            assert_eq!(digest.time_zone, "America/Bogota", "{}", t.label());
            assert!(digest.next_run_at.contains("T13:00:00"), "{digest:?}");
            let retired = listed.iter().find(|j| j.id == "follow-up-alerts").unwrap();
            assert!(!retired.enabled);
            // The client moves to Madrid: its digest follows.
            c.time_zone = promptsales_shared::domain::TimeZone::parse("Europe/Madrid").unwrap();
            install(&store, std::slice::from_ref(&c)).await.unwrap();
            let digest = store.get("follow-ups:cli_001").await.unwrap();
            assert_eq!(digest.time_zone, "Europe/Madrid");
            assert!(
                digest.next_run_at.contains("T07:00:00")
                    || digest.next_run_at.contains("T06:00:00"),
                "{digest:?}"
            );
            t.cleanup().await;
        }
    }
}
