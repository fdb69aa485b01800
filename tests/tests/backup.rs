//! `promptsales backup` / `restore` through the real binary on both backends: a backup taken while data is there, the data changed, the restore brings back every table's row count and the same rows; a directory that is no backup is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;

use orchestrator::stores::Stores;
use promptsales_tests::{Backend, command};

async fn ps(backend: &Backend, args: &[&str]) -> (bool, String) {
    let out = command("promptsales", backend)
        .args(args)
        .env("PROMPTSALES_ACTOR", "ops")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Row counts and a sample of rows (clients, a client's leads) as the
/// read crates see them.
async fn snapshot(b: &Backend) -> (Vec<(&'static str, i64)>, String) {
    let config = b.common_args().resolve().unwrap();
    let stores = Stores::open(&config).await.unwrap();
    let counts = stores.counts().await.unwrap();
    let clients = stores
        .catalog_read
        .list_clients(&stores.tenant)
        .await
        .unwrap();
    let leads: Vec<String> = stores
        .crm_read
        .leads_changed_since(&stores.tenant, None, 5)
        .await
        .unwrap()
        .into_iter()
        .map(|c| format!("{:?}", c.row))
        .collect();
    (counts, format!("{clients:?}\n{leads:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_brings_back_every_row_on_both_backends() {
    for backend in Backend::all() {
        let label = backend.label;
        let (ok, out) = ps(
            &backend,
            &["seed", "--clients", "2", "--campaigns", "4", "--days", "20"],
        )
        .await;
        assert!(ok, "{label}: {out}");
        let before = snapshot(&backend).await;
        assert!(before.0.iter().any(|(_, n)| *n > 0), "{label}");

        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nightly");
        let (ok, out) = ps(&backend, &["backup", "--out", target.to_str().unwrap()]).await;
        assert!(ok && out.contains("backup written"), "{label}: {out}");
        assert!(target.join("backup.json").exists(), "{label}");

        // More clients, campaigns and leads after the backup.
        let (ok, out) = ps(
            &backend,
            &[
                "seed",
                "--clients",
                "4",
                "--campaigns",
                "9",
                "--days",
                "30",
                "--seed",
                "9",
            ],
        )
        .await;
        assert!(ok, "{label}: {out}");
        assert_ne!(
            snapshot(&backend).await.0,
            before.0,
            "{label}: the data changed"
        );

        let (ok, out) = ps(&backend, &["restore", "--from", target.to_str().unwrap()]).await;
        assert!(ok && out.contains("row counts match"), "{label}: {out}");
        let after = snapshot(&backend).await;
        assert_eq!(after.0, before.0, "{label}: row counts");
        assert_eq!(after.1, before.1, "{label}: sampled rows");

        let (ok, out) = ps(
            &backend,
            &["restore", "--from", dir.path().to_str().unwrap()],
        )
        .await;
        assert!(
            !ok && out.contains("not a promptsales backup"),
            "{label}: {out}"
        );
    }
}
