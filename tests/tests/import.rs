//! BRIEF §4 import on both backends: round trip, idempotence, bad rows
//! reported one by one while the good ones land, and the scope its closing
//! sync needs named with how to grant it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ads_read::domain::CampaignId;
use chrono::NaiveDate;
use orchestrator::import::import_dir;
use orchestrator::seed::{SeedSpec, generate};
use orchestrator::stores::Stores;
use promptsales_tests::{Backend, command};

/// The import's writers and readers, as `promptsales import` opens them.
async fn stores(b: &Backend) -> Stores {
    let config = b.common_args().resolve().unwrap();
    Stores::open(&config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_round_trip_is_idempotent_on_both_backends() {
    let ds = generate(&SeedSpec {
        clients: 5,
        campaigns: 25,
        days: 60,
        seed: 11,
        as_of: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    })
    .unwrap();
    let csv = tempfile::tempdir().unwrap();
    ds.write_csv(csv.path()).unwrap();

    for backend in Backend::all() {
        let st = stores(&backend).await;
        let first = import_dir(&st, csv.path()).await.unwrap();
        assert!(first.rejected.is_empty(), "{:?}", first.rejected);
        let counts = st.counts().await.unwrap();
        let count = |t: &str| counts.iter().find(|(n, _)| *n == t).unwrap().1 as usize;
        assert_eq!(count("clients"), ds.clients.len());
        assert_eq!(count("products"), ds.products.len());
        assert_eq!(count("campaigns"), ds.campaigns.len());
        assert_eq!(count("ad_daily"), ds.ad_daily.len());
        assert_eq!(count("leads"), ds.leads.len());
        assert_eq!(count("sales"), ds.sales.len());
        for f in &first.files {
            assert_eq!(f.read, f.accepted, "{}", f.file);
            assert_eq!(
                f.changed, f.read,
                "{} first import writes every row",
                f.file
            );
        }

        // Read back: what went in is what comes out.
        let c = &ds.campaigns[3];
        let stored = st.ads_read.get_campaign(&st.tenant, &c.id).await.unwrap();
        assert_eq!(stored.name, c.name);
        assert_eq!(stored.budget_cents, c.budget_cents);
        assert_eq!(
            stored.channels,
            c.channels
                .iter()
                .copied()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        let l = &ds.leads[7];
        let lead = st
            .crm_read
            .leads_changed_since(&st.tenant, None, 1_000_000)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.row)
            .find(|x| x.id == l.id)
            .unwrap();
        assert_eq!(
            (lead.stage, lead.created_at, &lead.city),
            (l.stage, l.created_at, &l.city)
        );

        // Again: nothing changes.
        let second = import_dir(&st, csv.path()).await.unwrap();
        assert!(second.rejected.is_empty());
        for f in &second.files {
            assert_eq!(
                f.changed, 0,
                "{} changed on re-import ({})",
                f.file, backend.label
            );
        }
        assert_eq!(st.counts().await.unwrap(), counts);
    }
}

const BAD_AD_DAILY: &str =
    "date,campaign_id,channel,country,impressions,reach,clicks,spend,conversions
2026-03-01,cmp_ok,meta,CO,1000,800,20,15.50,2
2026-03-02,cmp_ok,meta,CO,1000,800,20
2026-02-30,cmp_ok,meta,CO,1000,800,20,15.50,2
2026-03-03,cmp_ok,myspace,CO,1000,800,20,15.50,2
2026-03-04,cmp_ok,meta,CO,1000,800,20,-3.00,2
2026-03-05,cmp_nope,meta,CO,1000,800,20,15.50,2
2026-03-06,cmp_ok,google_ads,MX,500,400,12,9.99,1
";

fn write_bad_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "client_id,name,industry,country\ncli_1,Café Andino,food_beverage,CO\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("campaigns.csv"),
        "campaign_id,client_id,name,objective,status,budget,currency,start_date,end_date\n\
         cmp_ok,cli_1,Launch,leads,active,5000.00,COP,2026-03-01,2026-03-31\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("ad_daily.csv"), BAD_AD_DAILY).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_each_reported_and_the_rest_imported() {
    let dir = write_bad_dir();
    for backend in Backend::all() {
        let st = stores(&backend).await;
        let report = import_dir(&st, dir.path()).await.unwrap();
        let got: Vec<(&str, u64)> = report.rejected.iter().map(|r| (r.file, r.line)).collect();
        assert_eq!(
            got,
            vec![
                ("ad_daily.csv", 3),
                ("ad_daily.csv", 4),
                ("ad_daily.csv", 5),
                ("ad_daily.csv", 6),
                ("ad_daily.csv", 7)
            ],
            "{:#?}",
            report.rejected
        );
        let reasons: Vec<&str> = report.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert!(
            reasons[0].contains("expected 9 columns, found 7"),
            "{}",
            reasons[0]
        );
        assert!(reasons[1].contains("`date`"), "{}", reasons[1]);
        assert!(
            reasons[2].contains("`channel`") && reasons[2].contains("myspace"),
            "{}",
            reasons[2]
        );
        assert!(reasons[3].contains("`spend`"), "{}", reasons[3]);
        assert!(
            reasons[4].contains("`campaign_id`") && reasons[4].contains("cmp_nope"),
            "{}",
            reasons[4]
        );
        let ad = report
            .files
            .iter()
            .find(|f| f.file == "ad_daily.csv")
            .unwrap();
        assert_eq!((ad.read, ad.accepted, ad.rejected), (7, 2, 5));
        let counts = st.counts().await.unwrap();
        assert!(counts.contains(&("ad_daily", 2)), "{counts:?}");
        assert!(counts.contains(&("campaigns", 1)), "{counts:?}");
        let c = st
            .ads_read
            .get_campaign(&st.tenant, &CampaignId::parse("cmp_ok").unwrap())
            .await
            .unwrap();
        assert_eq!(
            c.channels.len(),
            2,
            "channels derived from the accepted ad rows"
        );
    }
}

#[tokio::test]
async fn cli_import_exits_non_zero_and_prints_every_bad_row() {
    let dir = write_bad_dir();
    let backend = Backend::sqlite();
    let out = command("promptsales", &backend)
        .args(["import", "--dir"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in 3..=7 {
        assert!(err.contains(&format!("ad_daily.csv:{line}:")), "{err}");
    }
    assert!(err.contains("5 row(s) rejected"), "{err}");
}

#[tokio::test]
async fn cli_seed_prints_counts_that_match_the_database() {
    let backend = Backend::sqlite();
    let out = command("promptsales", &backend)
        .args([
            "seed",
            "--clients",
            "4",
            "--campaigns",
            "30",
            "--days",
            "90",
            "--seed",
            "3",
            "--as-of",
            "2026-11-01",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let counts = command("promptsales", &backend)
        .arg("counts")
        .output()
        .await
        .unwrap();
    let counts = String::from_utf8_lossy(&counts.stdout).to_string();
    assert!(!counts.trim().is_empty());
    let tail = printed.split("rows in the database now:").nth(1).unwrap();
    assert_eq!(tail.trim(), counts.trim());
}

/// The import writes through the read crates, then asks the analytics
/// server to sync; a local actor without `analytics:write` is told which
/// scope the sync needs and how to grant it (the rows stay imported).
#[tokio::test]
async fn cli_import_names_the_scope_its_sync_needs() {
    let backend = Backend::sqlite();
    let csv = tempfile::tempdir().unwrap();
    let out = command("promptsales", &backend)
        .args([
            "seed",
            "--clients",
            "1",
            "--campaigns",
            "2",
            "--days",
            "5",
            "--out",
        ])
        .arg(csv.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = command("promptsales", &backend)
        .args(["import", "--dir"])
        .arg(csv.path())
        .env("PROMPTSALES_SCOPES", "crm:write,ads:write")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`analytics:write`")
            && err.contains("PROMPTSALES_SCOPES=ads:write,analytics:write,crm:write"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("imported"), "{stdout}");
    // With the default local scopes (every read and write) it syncs.
    let out = command("promptsales", &backend)
        .args(["import", "--dir"])
        .arg(csv.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `clients.csv` may add an IANA `time_zone` column (BRIEF §4 otherwise
/// unchanged): a client's schedules and digests run on it; left empty, the
/// country's zone; a name that is not a zone is rejected, naming the column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_may_name_their_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "client_id,name,industry,country,time_zone\n\
         cli_1,Café Andino,food_beverage,CO,\n\
         cli_2,Hotel Teide,travel,ES,Atlantic/Canary\n\
         cli_3,Pet Paradise,pets,US,America/Los_Angeles\n\
         cli_4,Nowhere,travel,CO,Mars/Olympus\n",
    )
    .unwrap();
    for backend in Backend::all() {
        let st = stores(&backend).await;
        let report = import_dir(&st, dir.path()).await.unwrap();
        assert_eq!(report.rejected.len(), 1, "{:?}", report.rejected);
        assert_eq!(report.rejected[0].line, 5);
        assert!(
            report.rejected[0].reason.contains("`time_zone`")
                && report.rejected[0].reason.contains("Mars/Olympus"),
            "{}",
            report.rejected[0].reason
        );
        let zone = |id: &'static str| {
            let st = &st;
            async move {
                st.catalog_read
                    .get_client(
                        &st.tenant,
                        &promptsales_shared::domain::ClientId::parse(id).unwrap(),
                    )
                    .await
                    .unwrap()
                    .time_zone
                    .as_str()
            }
        };
        assert_eq!(zone("cli_1").await, "America/Bogota", "{}", backend.label);
        assert_eq!(zone("cli_2").await, "Atlantic/Canary");
        assert_eq!(zone("cli_3").await, "America/Los_Angeles");
    }
}
