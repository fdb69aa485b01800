//! The delta pipeline end to end on every backend: incremental,
//! idempotent and atomic per batch; plus the grains and an ignored
//! benchmark of full and delta syncs.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use ads_read::AdsImport;
use ads_read::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};
use chrono::NaiveDate;
use crm_read::CrmImport;
use crm_read::domain::{Lead, LeadId, LeadStage, Sale, SaleId};
use promptsales_catalog::{CatalogWriter, Client, Product};
use promptsales_shared::config::DbConfig;
use promptsales_shared::db::{BulkUpsert, Db};
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, ProductId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::upsert::{WH_AD_DAILY, WH_LEADS, WH_SALES};
use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn iso_weeks_months_quarters_and_years() {
    // 2026-01-01 is a Thursday: week 1 of 2026 runs Mon 2025-12-29 to
    // Sun 2026-01-04.
    assert_eq!(iso_week(day(2025, 12, 29)), "2026-W01");
    assert_eq!(iso_week(day(2026, 1, 1)), "2026-W01");
    assert_eq!(iso_week(day(2026, 1, 4)), "2026-W01");
    assert_eq!(iso_week(day(2026, 1, 5)), "2026-W02");
    // 2027-01-01 is a Friday: it closes 2026's 53rd week.
    assert_eq!(iso_week(day(2026, 12, 28)), "2026-W53");
    assert_eq!(iso_week(day(2027, 1, 1)), "2026-W53");
    assert_eq!(iso_week(day(2027, 1, 4)), "2027-W01");
    // 2021-01-03 is a Sunday still in 2020-W53.
    assert_eq!(iso_week(day(2021, 1, 3)), "2020-W53");
    for (d, q) in [
        (day(2026, 1, 1), "2026-Q1"),
        (day(2026, 3, 31), "2026-Q1"),
        (day(2026, 4, 1), "2026-Q2"),
        (day(2026, 6, 30), "2026-Q2"),
        (day(2026, 7, 1), "2026-Q3"),
        (day(2026, 9, 30), "2026-Q3"),
        (day(2026, 10, 1), "2026-Q4"),
        (day(2026, 12, 31), "2026-Q4"),
    ] {
        assert_eq!(quarter(d), q, "{d}");
    }
    assert_eq!(month(day(2026, 3, 9)), "2026-03");
    assert_eq!(year(day(2026, 3, 9)), "2026");
    assert_eq!(
        grains(day(2027, 1, 1)),
        Grains {
            date: "2027-01-01".into(),
            week: "2026-W53".into(),
            month: "2027-01".into(),
            quarter: "2027-Q1".into(),
            year: "2027".into(),
        }
    );
}

/// Tool handlers run on a multi-threaded runtime: the futures must be
/// `Send`. This compiles only if they are.
#[test]
fn sync_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn check(s: &Syncer, t: &TenantId) {
        send(&s.run(t, None));
        send(&s.status(t));
        send(&s.data_version(t));
    }
    let _ = check;
}

/// `sync_status` shows `sync_runs.error` to clients: driver text and SQL
/// stay in the log, other errors keep their sentence.
#[test]
fn recorded_errors_do_not_leak_internal_details() {
    let e =
        AppError::Internal("database: error returned from database: relation \"wh_leads\"".into());
    let kept = recorded_error(&e, "run_1_leads", SourceTable::Leads);
    assert!(
        !kept.contains("wh_leads") && !kept.contains("database:"),
        "{kept}"
    );
    assert!(kept.contains("run_1_leads"), "{kept}");
    let e = AppError::Conflict("ad row `x` refers to campaign `cmp_1`".into());
    assert_eq!(
        recorded_error(&e, "run_1_ad_daily", SourceTable::AdDaily),
        e.to_string()
    );
}

#[test]
fn warehouse_upserts_compare_every_column() {
    for t in SourceTable::ALL {
        let spec = t.warehouse();
        assert_eq!(&spec.columns[..2], ["tenant_id", "id"]);
        assert_eq!(spec.update, &spec.columns[2..], "{}", spec.table);
    }
}

// --- fixtures -------------------------------------------------------

fn client(id: &str, country: &str) -> Client {
    Client {
        id: ClientId::parse(id).unwrap(),
        name: format!("Client {id}"),
        industry: "retail".into(),
        country: Country::parse(country).unwrap(),
        time_zone: promptsales_shared::domain::TimeZone::of_country(
            Country::parse(country).unwrap(),
        ),
    }
}

fn product(id: &str, client: &str, currency: &str) -> Product {
    Product {
        id: ProductId::parse(id).unwrap(),
        client_id: ClientId::parse(client).unwrap(),
        name: format!("Product {id}"),
        category: "plans".into(),
        unit_price_cents: 10_000,
        currency: Currency::parse(currency).unwrap(),
    }
}

fn campaign(id: &str, client: &str, objective: Objective, currency: &str) -> Campaign {
    Campaign {
        id: CampaignId::parse(id).unwrap(),
        client_id: ClientId::parse(client).unwrap(),
        name: format!("Campaign {id}"),
        objective,
        status: CampaignStatus::Active,
        budget_cents: 1_000_000,
        currency: Currency::parse(currency).unwrap(),
        start_date: day(2026, 1, 1),
        end_date: day(2027, 1, 31),
        channels: vec![Channel::Meta, Channel::GoogleAds],
        countries: vec![Country::parse("CO").unwrap()],
    }
}

fn campaigns() -> Vec<Campaign> {
    vec![
        campaign("cmp_1", "cli_1", Objective::Leads, "COP"),
        campaign("cmp_2", "cli_1", Objective::Sales, "COP"),
        campaign("cmp_3", "cli_2", Objective::Awareness, "MXN"),
    ]
}

fn ad_rows() -> Vec<AdDaily> {
    let mut out = Vec::new();
    for (cmp, country) in [("cmp_1", "CO"), ("cmp_2", "CO"), ("cmp_3", "MX")] {
        for date in [
            day(2026, 1, 1),
            day(2026, 3, 31),
            day(2026, 12, 31),
            day(2027, 1, 1),
        ] {
            for channel in [Channel::Meta, Channel::GoogleAds] {
                out.push(AdDaily {
                    date,
                    campaign_id: CampaignId::parse(cmp).unwrap(),
                    channel,
                    country: Country::parse(country).unwrap(),
                    impressions: 1_000,
                    reach: 700,
                    clicks: 40,
                    spend_cents: 25_000,
                    conversions: 3,
                });
            }
        }
    }
    out
}

fn lead(id: &str, client: &str, campaign: Option<&str>, created: &str) -> Lead {
    Lead {
        id: LeadId::parse(id).unwrap(),
        client_id: ClientId::parse(client).unwrap(),
        campaign_id: campaign.map(str::to_owned),
        channel: Channel::Meta,
        country: Country::parse("CO").unwrap(),
        city: Some("Bogotá".into()),
        stage: LeadStage::Mql,
        score: 40,
        seller_id: None,
        created_at: ts(created),
    }
}

fn leads() -> Vec<Lead> {
    vec![
        lead("lead_1", "cli_1", Some("cmp_1"), "2026-03-02T10:00:00Z"),
        lead("lead_2", "cli_1", Some("cmp_1"), "2026-03-03T10:00:00Z"),
        lead("lead_3", "cli_1", Some("cmp_2"), "2026-06-30T12:00:00Z"),
        lead("lead_4", "cli_2", Some("cmp_3"), "2026-07-01T00:00:00Z"),
        // 23:30 in Bogotá on New Year's Eve is 2027-01-01 in UTC.
        lead("lead_5", "cli_1", None, "2026-12-31T23:30:00-05:00"),
        lead("lead_6", "cli_2", None, "2026-01-01T00:00:00Z"),
    ]
}

#[allow(clippy::too_many_arguments)]
fn sale(
    id: &str,
    client: &str,
    lead: Option<&str>,
    campaign: Option<&str>,
    product: Option<&str>,
    amount_cents: i64,
    currency: &str,
    closed: &str,
) -> Sale {
    Sale {
        id: SaleId::parse(id).unwrap(),
        client_id: ClientId::parse(client).unwrap(),
        lead_id: lead.map(|l| LeadId::parse(l).unwrap()),
        campaign_id: campaign.map(str::to_owned),
        product_id: product.map(|p| ProductId::parse(p).unwrap()),
        channel: Channel::Web,
        country: Country::parse("CO").unwrap(),
        city: None,
        amount_cents,
        currency: Currency::parse(currency).unwrap(),
        closed_at: ts(closed),
    }
}

fn sales() -> Vec<Sale> {
    vec![
        sale(
            "sale_1",
            "cli_1",
            Some("lead_1"),
            Some("cmp_1"),
            Some("prd_1"),
            150_000,
            "COP",
            "2026-03-10T15:00:00Z",
        ),
        sale(
            "sale_2",
            "cli_1",
            Some("lead_3"),
            Some("cmp_2"),
            Some("prd_1"),
            99_000,
            "COP",
            "2026-07-02T15:00:00Z",
        ),
        sale(
            "sale_3",
            "cli_2",
            None,
            Some("cmp_3"),
            Some("prd_2"),
            45_050,
            "MXN",
            "2026-12-31T20:00:00-06:00",
        ),
        sale(
            "sale_4",
            "cli_2",
            None,
            None,
            None,
            10_000,
            "MXN",
            "2026-05-05T09:00:00Z",
        ),
    ]
}

// --- environment ----------------------------------------------------

struct Env {
    tenant: TenantId,
    core: Db,
    ads_db: Db,
    crm_db: Db,
    catalog: CatalogWriter,
    ads: AdsImport,
    crm: CrmImport,
    wh: Db,
}

impl Env {
    /// Every context migrated as its owner would (tests may), the sources
    /// written through their import writers and read through their readers.
    async fn open(cfg: DbConfig) -> Env {
        let core = Db::migrate(&cfg, &promptsales_catalog::MIGRATIONS)
            .await
            .unwrap();
        let ads = Db::migrate(&cfg, &ads_read::MIGRATIONS).await.unwrap();
        let crm = Db::migrate(&cfg, &crm_read::MIGRATIONS).await.unwrap();
        let wh = Db::migrate(&cfg, &analytics_read::MIGRATIONS)
            .await
            .unwrap();
        Env {
            tenant: TenantId::parse("acme").unwrap(),
            catalog: CatalogWriter::new(core.clone()),
            ads: AdsImport::new(ads.clone()),
            crm: CrmImport::new(crm.clone()),
            core,
            ads_db: ads,
            crm_db: crm,
            wh,
        }
    }

    fn syncer(&self) -> Syncer {
        Syncer::new(
            Sources::new(self.core.clone(), self.ads_db.clone(), self.crm_db.clone()),
            self.wh.clone(),
        )
    }

    async fn seed(&self) {
        let t = &self.tenant;
        for c in [client("cli_1", "CO"), client("cli_2", "MX")] {
            self.catalog.upsert_client(t, &c).await.unwrap();
        }
        for p in [
            product("prd_1", "cli_1", "COP"),
            product("prd_2", "cli_2", "MXN"),
        ] {
            self.catalog.upsert_product(t, &p).await.unwrap();
        }
        self.ads.upsert_campaigns(t, &campaigns()).await.unwrap();
        self.ads.upsert_ad_daily(t, &ad_rows()).await.unwrap();
        self.crm.upsert_leads(t, &leads()).await.unwrap();
        self.crm.upsert_sales(t, &sales()).await.unwrap();
    }

    /// Every warehouse row of the tenant, as text, table by table.
    async fn snapshot(&self) -> Vec<(&'static str, Vec<Vec<String>>)> {
        let mut out = Vec::new();
        for (name, sql) in [
            (
                "wh_clients",
                "SELECT * FROM wh_clients WHERE tenant_id = $1 ORDER BY id",
            ),
            (
                "wh_products",
                "SELECT * FROM wh_products WHERE tenant_id = $1 ORDER BY id",
            ),
            (
                "wh_campaigns",
                "SELECT * FROM wh_campaigns WHERE tenant_id = $1 ORDER BY id",
            ),
            (
                "wh_ad_daily",
                "SELECT * FROM wh_ad_daily WHERE tenant_id = $1 ORDER BY id",
            ),
            (
                "wh_leads",
                "SELECT * FROM wh_leads WHERE tenant_id = $1 ORDER BY id",
            ),
            (
                "wh_sales",
                "SELECT * FROM wh_sales WHERE tenant_id = $1 ORDER BY id",
            ),
            (
                "sync_watermarks",
                "SELECT * FROM sync_watermarks WHERE tenant_id = $1 ORDER BY source_table",
            ),
            ("wh_state", "SELECT * FROM wh_state WHERE tenant_id = $1"),
        ] {
            let rows = sqlx::query(sql)
                .bind(self.tenant.as_str())
                .fetch_all(self.wh.pool())
                .await
                .unwrap();
            out.push((name, rows.iter().map(cells).collect()));
        }
        out
    }

    async fn wh_row(&self, table: &str, id: &str) -> Vec<String> {
        let snap = self.snapshot().await;
        let (_, rows) = snap.iter().find(|(n, _)| *n == table).unwrap();
        rows.iter()
            .find(|r| r[1] == format!("{:?}", Some(id)))
            .unwrap_or_else(|| panic!("{table} has no row {id}"))
            .clone()
    }
}

fn cells(r: &AnyRow) -> Vec<String> {
    (0..r.len())
        .map(|i| {
            if let Ok(v) = r.try_get::<Option<String>, _>(i) {
                format!("{v:?}")
            } else if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
                format!("{v:?}")
            } else {
                panic!("column {i} is neither text nor integer")
            }
        })
        .collect()
}

fn col(table: &'static BulkUpsert, name: &str) -> usize {
    table.columns.iter().position(|c| *c == name).unwrap()
}

fn by_table(r: &SyncReport) -> HashMap<&str, (u64, u64)> {
    r.tables
        .iter()
        .map(|t| (t.table.as_str(), (t.rows_read, t.rows_written)))
        .collect()
}

fn only(r: &SyncReport, table: &str, read: u64, written: u64) {
    for t in &r.tables {
        let want = if t.table == table {
            (read, written)
        } else {
            (0, 0)
        };
        assert_eq!((t.rows_read, t.rows_written), want, "{}: {r:?}", t.table);
    }
}

// --- the scenario ---------------------------------------------------

async fn exercise(env: &Env) {
    let t = &env.tenant;
    env.seed().await;
    let syncer = env.syncer();
    assert_eq!(syncer.data_version(t).await.unwrap(), (0, None));

    // (a) The first sync reads and writes everything.
    let seen = Mutex::new(Vec::new());
    let cb = |p: SyncProgress| seen.lock().unwrap().push(p);
    let r1 = syncer.run(t, Some(&cb)).await.unwrap();
    let want = [
        ("clients", 2),
        ("products", 2),
        ("campaigns", 3),
        ("ad_daily", 24),
        ("leads", 6),
        ("sales", 4),
    ];
    let got = by_table(&r1);
    for (table, n) in want {
        assert_eq!(got[table], (n, n), "{table}: {r1:?}");
    }
    let tables: Vec<&str> = r1.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(
        tables,
        [
            "clients",
            "products",
            "campaigns",
            "ad_daily",
            "leads",
            "sales"
        ]
    );
    assert!(r1.changed);
    assert_eq!(r1.data_version, 1);
    assert!(r1.tables.iter().all(|t| t.watermark_before.is_none()));
    assert!(r1.tables.iter().all(|t| t.watermark_after.is_some()));
    let snap = env.snapshot().await;
    for ((name, rows), (_, n)) in snap.iter().zip(want) {
        assert_eq!(rows.len() as u64, n, "{name}");
    }
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 6, "{seen:?}");
        let last = seen.last().unwrap();
        assert_eq!(
            (last.table, last.table_index, last.table_count),
            ("sales", 6, 6)
        );
        assert_eq!((last.rows_read, last.rows_written), (4, 4));
    }
    let (version, synced) = syncer.data_version(t).await.unwrap();
    assert_eq!(version, 1);
    assert!(synced.is_some());

    // Facts carry their campaign's client, objective and currency and
    // every time grain.
    let ad = env.wh_row("wh_ad_daily", "cmp_3:2027-01-01:meta:MX").await;
    let a = |c: &str| ad[col(&WH_AD_DAILY, c)].clone();
    assert_eq!(a("date"), "Some(\"2027-01-01\")");
    assert_eq!(a("week"), "Some(\"2026-W53\")");
    assert_eq!(a("month"), "Some(\"2027-01\")");
    assert_eq!(a("quarter"), "Some(\"2027-Q1\")");
    assert_eq!(a("year"), "Some(\"2027\")");
    assert_eq!(a("client_id"), "Some(\"cli_2\")");
    assert_eq!(a("objective"), "Some(\"awareness\")");
    assert_eq!(a("currency"), "Some(\"MXN\")");
    assert_eq!(a("spend_cents"), "Some(25000)");
    let l5 = env.wh_row("wh_leads", "lead_5").await;
    assert_eq!(l5[col(&WH_LEADS, "date")], "Some(\"2027-01-01\")");
    assert_eq!(l5[col(&WH_LEADS, "week")], "Some(\"2026-W53\")");
    assert_eq!(l5[col(&WH_LEADS, "campaign_id")], "None");
    assert_eq!(l5[col(&WH_LEADS, "objective")], "None");
    let l3 = env.wh_row("wh_leads", "lead_3").await;
    assert_eq!(l3[col(&WH_LEADS, "objective")], "Some(\"sales\")");
    assert_eq!(l3[col(&WH_LEADS, "quarter")], "Some(\"2026-Q2\")");
    let s3 = env.wh_row("wh_sales", "sale_3").await;
    assert_eq!(s3[col(&WH_SALES, "date")], "Some(\"2027-01-01\")");
    assert_eq!(s3[col(&WH_SALES, "objective")], "Some(\"awareness\")");
    assert_eq!(s3[col(&WH_SALES, "lead_id")], "None");
    assert_eq!(s3[col(&WH_SALES, "amount_cents")], "Some(45050)");
    let s4 = env.wh_row("wh_sales", "sale_4").await;
    assert_eq!(s4[col(&WH_SALES, "objective")], "None");
    assert_eq!(s4[col(&WH_SALES, "product_id")], "None");

    // (b) Nothing changed at the source: nothing read, nothing written,
    // same version.
    let r2 = syncer.run(t, None).await.unwrap();
    assert!(
        r2.tables
            .iter()
            .all(|t| t.rows_read == 0 && t.rows_written == 0)
    );
    assert!(!r2.changed);
    assert_eq!(r2.data_version, 1);
    for (a, b) in r1.tables.iter().zip(&r2.tables) {
        assert_eq!(b.watermark_before, a.watermark_after);
        assert_eq!(b.watermark_after, a.watermark_after);
    }
    assert_eq!(env.snapshot().await[..6], snap[..6]);

    // Re-sending identical source rows does not move their updated_at,
    // so the sync still reads nothing.
    env.crm.upsert_sales(t, &sales()).await.unwrap();
    env.ads.upsert_ad_daily(t, &ad_rows()).await.unwrap();
    let r = syncer.run(t, None).await.unwrap();
    assert!(!r.changed, "{r:?}");
    assert!(r.tables.iter().all(|t| t.rows_read == 0));

    // (c) One sale's amount changes: one row read, one row written, and
    // nothing else in the warehouse moves.
    let before = env.snapshot().await;
    let mut s = sales();
    s[1].amount_cents = 123_400;
    env.crm.upsert_sales(t, &s).await.unwrap();
    let r3 = syncer.run(t, None).await.unwrap();
    only(&r3, "sales", 1, 1);
    assert!(r3.changed);
    assert_eq!(r3.data_version, 2);
    let after = env.snapshot().await;
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        match *name {
            "wh_sales" => {
                assert_eq!(a.len(), b.len());
                let diff: Vec<(&Vec<String>, &Vec<String>)> =
                    b.iter().zip(a).filter(|(x, y)| x != y).collect();
                assert_eq!(diff.len(), 1, "{diff:?}");
                let (old, new) = diff[0];
                assert_eq!(new[1], "Some(\"sale_2\")");
                let amount = col(&WH_SALES, "amount_cents");
                assert_eq!(new[amount], "Some(123400)");
                let mut old = old.clone();
                old[amount] = new[amount].clone();
                assert_eq!(&old, new, "only the amount changed");
            }
            "sync_watermarks" => {
                assert_eq!(a.len(), b.len());
                let diff: Vec<_> = b.iter().zip(a).filter(|(x, y)| x != y).collect();
                assert_eq!(diff.len(), 1);
                assert_eq!(diff[0].1[1], "Some(\"sales\")");
            }
            "wh_state" => assert_ne!(a, b),
            _ => assert_eq!(a, b, "{name}"),
        }
    }

    // A campaign's new objective reaches its ad rows, leads and sales in
    // the same transaction.
    let mut c = campaigns();
    c[1].objective = Objective::Traffic;
    env.ads.upsert_campaigns(t, &c).await.unwrap();
    let r = syncer.run(t, None).await.unwrap();
    // 1 campaign + 8 ad rows + lead_3 + sale_2.
    only(&r, "campaigns", 1, 11);
    let ad = env
        .wh_row("wh_ad_daily", "cmp_2:2026-03-31:google_ads:CO")
        .await;
    assert_eq!(ad[col(&WH_AD_DAILY, "objective")], "Some(\"traffic\")");
    let l3 = env.wh_row("wh_leads", "lead_3").await;
    assert_eq!(l3[col(&WH_LEADS, "objective")], "Some(\"traffic\")");
    let s2 = env.wh_row("wh_sales", "sale_2").await;
    assert_eq!(s2[col(&WH_SALES, "objective")], "Some(\"traffic\")");

    // A lead that names a campaign the warehouse does not know yet gets
    // no objective; when the campaign arrives, the lead gets its.
    let late = lead("lead_7", "cli_1", Some("cmp_9"), "2026-08-01T00:00:00Z");
    env.crm
        .upsert_leads(t, std::slice::from_ref(&late))
        .await
        .unwrap();
    only(&syncer.run(t, None).await.unwrap(), "leads", 1, 1);
    let l7 = env.wh_row("wh_leads", "lead_7").await;
    assert_eq!(l7[col(&WH_LEADS, "objective")], "None");
    env.ads
        .upsert_campaigns(t, &[campaign("cmp_9", "cli_1", Objective::Leads, "COP")])
        .await
        .unwrap();
    only(&syncer.run(t, None).await.unwrap(), "campaigns", 1, 2);
    let l7 = env.wh_row("wh_leads", "lead_7").await;
    assert_eq!(l7[col(&WH_LEADS, "objective")], "Some(\"leads\")");

    // (d) An ad row whose campaign the warehouse does not know fails the
    // run: the warehouse and the watermarks stay as they were, and the
    // run records why.
    sqlx::query("DELETE FROM wh_campaigns WHERE tenant_id = $1 AND id = 'cmp_1'")
        .bind(t.as_str())
        .execute(env.wh.pool())
        .await
        .unwrap();
    let mut rows = ad_rows();
    rows[0].clicks += 1;
    env.ads.upsert_ad_daily(t, &rows[..1]).await.unwrap();
    let before = env.snapshot().await;
    let e = syncer.run(t, None).await.unwrap_err().to_string();
    assert!(e.contains("cmp_1"), "{e}");
    assert_eq!(env.snapshot().await, before);
    let status = syncer.status(t).await.unwrap();
    let ad_status = &status.tables[3];
    assert_eq!(ad_status.table, "ad_daily");
    let run = ad_status.last_run.as_ref().unwrap();
    assert!(run.error.as_deref().unwrap().contains("cmp_1"), "{run:?}");
    assert!(run.finished_at.is_some());
    assert_eq!((run.rows_read, run.rows_written), (0, 0));
    assert_eq!(run.watermark_before, run.watermark_after);
    assert_eq!(run.watermark_before, ad_status.watermark);
    assert!(status.tables[2].last_run.as_ref().unwrap().error.is_none());
    // Leads and sales were not attempted after the failure, and say so.
    for skipped in &status.tables[4..] {
        let r = skipped.last_run.as_ref().unwrap();
        assert!(r.id.ends_with(&format!("_{}", skipped.table)), "{r:?}");
        assert_eq!(r.error.as_deref(), Some("skipped: `ad_daily` failed first"));
        assert_eq!((r.rows_read, r.rows_written), (0, 0));
        assert_eq!(r.watermark_after, skipped.watermark);
    }

    // Once the campaign is synced again, the pending ad row follows.
    let mut c = campaigns();
    c[0].name = "Campaign cmp_1, renamed".into();
    c[1].objective = Objective::Traffic;
    env.ads.upsert_campaigns(t, &c).await.unwrap();
    let r = syncer.run(t, None).await.unwrap();
    assert_eq!(by_table(&r)["campaigns"], (1, 1));
    assert_eq!(by_table(&r)["ad_daily"], (1, 1));
    let ad = env.wh_row("wh_ad_daily", &rows[0].key()).await;
    assert_eq!(ad[col(&WH_AD_DAILY, "clicks")], "Some(41)");

    // A batch that fails after its writes leaves nothing behind: with
    // batches of 2, the first batch of three changed leads commits and
    // moves the watermark, the second rolls back whole.
    let mut l = leads();
    for i in [0, 1, 4] {
        l[i].stage = LeadStage::Customer;
    }
    env.crm.upsert_leads(t, &l).await.unwrap();
    let version = syncer.data_version(t).await.unwrap().0;
    let before = env.snapshot().await;
    let mut failing = env.syncer().with_batch_size(2);
    failing.fail_at = Some((SourceTable::Leads, 1));
    let e = failing.run(t, None).await.unwrap_err().to_string();
    assert!(e.contains("injected failure in batch 1 of leads"), "{e}");
    assert_eq!(
        env.snapshot().await,
        before,
        "a failed first batch changes nothing"
    );
    assert_eq!(syncer.data_version(t).await.unwrap().0, version);

    failing.fail_at = Some((SourceTable::Leads, 2));
    let e = failing.run(t, None).await.unwrap_err().to_string();
    assert!(e.contains("injected failure in batch 2 of leads"), "{e}");
    let stage = col(&WH_LEADS, "stage");
    for (id, want) in [
        ("lead_1", "customer"),
        ("lead_2", "customer"),
        ("lead_5", "mql"),
    ] {
        let row = env.wh_row("wh_leads", id).await;
        assert_eq!(row[stage], format!("{:?}", Some(want)), "{id}");
    }
    let status = syncer.status(t).await.unwrap();
    let leads_status = &status.tables[4];
    assert!(
        leads_status
            .watermark
            .as_deref()
            .unwrap()
            .ends_with("|lead_2")
    );
    let run = leads_status.last_run.as_ref().unwrap();
    assert_eq!((run.rows_read, run.rows_written), (2, 2));
    assert_eq!(run.watermark_after, leads_status.watermark);
    assert!(run.error.as_deref().unwrap().contains("injected"));
    // The committed batch changed the warehouse, so the version moved.
    assert_eq!(status.data_version, version + 1);
    let r = syncer.run(t, None).await.unwrap();
    only(&r, "leads", 1, 1);
    let row = env.wh_row("wh_leads", "lead_5").await;
    assert_eq!(row[stage], "Some(\"customer\")");

    // An unreachable source fails the run the same way.
    let closed = env.ads_db.clone();
    closed.close().await;
    let before = env.snapshot().await;
    let e = syncer.run(t, None).await.unwrap_err();
    assert!(matches!(e, AppError::Unavailable(_)), "{e}");
    assert_eq!(env.snapshot().await, before);
    let status = syncer.status(t).await.unwrap();
    let run = status.tables[2].last_run.as_ref().unwrap();
    assert!(run.error.is_some(), "{run:?}");
    assert!(status.tables.iter().all(|t| t.watermark.is_some()));
}

fn config(url: String, schema_prefix: String) -> DbConfig {
    DbConfig::new(url, schema_prefix)
}

#[tokio::test]
async fn delta_sync_is_incremental_idempotent_and_atomic_on_every_backend() {
    for t in promptsales_shared::testing::backends(&analytics_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let env = Env::open(t.config.clone()).await;
        exercise(&env).await;
        env.wh.close().await;
        t.cleanup().await;
    }
}

/// Timing of a full and a 1 % delta sync over a seeded data set (not run
/// by default; release build recommended):
///
/// ```text
/// PROMPTSALES_DATA_DIR=DIR promptsales seed --campaigns 5000 --days 365
/// PROMPTSALES_SYNC_BENCH_DIR=DIR cargo test --release -p mcp-analytics --lib \
///     sync::tests::bench_sync -- --ignored --nocapture
/// ```
///
/// Reads the SQLite files of DIR (tenant `PROMPTSALES_TENANT`, default
/// `default`) and syncs into a fresh warehouse in a temporary directory.
/// With `PROMPTSALES_SYNC_BENCH_URL=postgres://…` (and the seed's
/// `PROMPTSALES_SCHEMA_PREFIX`) it reads PostgreSQL instead and syncs
/// into a schema of its own, dropped afterwards. It then changes 1 % of
/// the campaigns, ad rows, leads and sales in the source and syncs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: needs PROMPTSALES_SYNC_BENCH_DIR or PROMPTSALES_SYNC_BENCH_URL"]
async fn bench_sync() {
    let whdir = tempfile::tempdir().unwrap();
    let (src, whcfg, drop_wh) = if let Ok(url) = std::env::var("PROMPTSALES_SYNC_BENCH_URL") {
        let prefix = std::env::var("PROMPTSALES_SCHEMA_PREFIX").unwrap_or_default();
        let wh_prefix = format!("{prefix}benchwh{}_", std::process::id());
        let drop = format!("DROP SCHEMA IF EXISTS \"{wh_prefix}analytics\" CASCADE");
        (
            config(url.clone(), prefix),
            config(url, wh_prefix),
            Some(drop),
        )
    } else if let Ok(dir) = std::env::var("PROMPTSALES_SYNC_BENCH_DIR") {
        let wh = format!("sqlite://{}/wh.db", whdir.path().display());
        (
            config(format!("sqlite://{dir}/promptsales.db"), String::new()),
            config(wh, String::new()),
            None,
        )
    } else {
        eprintln!("set PROMPTSALES_SYNC_BENCH_DIR or PROMPTSALES_SYNC_BENCH_URL");
        return;
    };
    let tenant = std::env::var("PROMPTSALES_TENANT").unwrap_or_else(|_| "default".into());
    let tenant = TenantId::parse(&tenant).unwrap();
    // The seeded sources are read as the server reads them; the 1 %
    // change below goes through the import writers.
    let core = Db::open_reader(&src, &promptsales_catalog::SCHEMA)
        .await
        .unwrap();
    let ads_db = Db::open_reader(&src, &ads_read::SCHEMA).await.unwrap();
    let crm_db = Db::open_reader(&src, &crm_read::SCHEMA).await.unwrap();
    let sources = Sources::new(core, ads_db.clone(), crm_db.clone());
    let ads_import = AdsImport::new(ads_db);
    let crm_import = CrmImport::new(crm_db);
    let wh = Db::migrate(&whcfg, &analytics_read::MIGRATIONS)
        .await
        .unwrap();
    let syncer = Syncer::new(sources.clone(), wh);
    let print = |label: &str, r: &SyncReport| {
        eprintln!(
            "{label}: {} ms, data_version {}",
            r.duration_ms, r.data_version
        );
        for t in &r.tables {
            eprintln!(
                "  {:<10} read {:>8}  written {:>8}",
                t.table, t.rows_read, t.rows_written
            );
        }
    };
    let full = syncer.run(&tenant, None).await.unwrap();
    print("full sync", &full);
    let rows: u64 = full.tables.iter().map(|t| t.rows_read).sum();
    eprintln!(
        "  {rows} rows, {:.0} rows/s",
        rows as f64 * 1000.0 / full.duration_ms.max(1) as f64
    );
    let none = syncer.run(&tenant, None).await.unwrap();
    print("no-change sync", &none);

    // 1 % of each changing table.
    let pct = |n: u64| i64::try_from(n.div_ceil(100)).unwrap();
    let n = |t: &str| full.tables.iter().find(|x| x.table == t).unwrap().rows_read;
    let started = Instant::now();
    let mut cmps: Vec<Campaign> = sources
        .ads
        .campaigns_changed_since(&tenant, None, pct(n("campaigns")))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.row)
        .collect();
    for c in &mut cmps {
        c.name = match c.name.strip_suffix(" *") {
            Some(s) => s.to_owned(),
            None => format!("{} *", c.name),
        };
    }
    ads_import.upsert_campaigns(&tenant, &cmps).await.unwrap();
    let mut ads: Vec<AdDaily> = sources
        .ads
        .ad_daily_changed_since(&tenant, None, pct(n("ad_daily")))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.row)
        .collect();
    for a in &mut ads {
        a.spend_cents += 1;
    }
    ads_import.upsert_ad_daily(&tenant, &ads).await.unwrap();
    let mut leads: Vec<Lead> = sources
        .crm
        .leads_changed_since(&tenant, None, pct(n("leads")))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.row)
        .collect();
    for l in &mut leads {
        l.stage = if l.stage == LeadStage::Lost {
            LeadStage::Iql
        } else {
            LeadStage::Lost
        };
    }
    crm_import.upsert_leads(&tenant, &leads).await.unwrap();
    let mut sales: Vec<Sale> = sources
        .crm
        .sales_changed_since(&tenant, None, pct(n("sales")))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.row)
        .collect();
    for s in &mut sales {
        s.amount_cents += 1;
    }
    crm_import.upsert_sales(&tenant, &sales).await.unwrap();
    eprintln!("changed 1 % of the sources in {:?}", started.elapsed());
    let delta = syncer.run(&tenant, None).await.unwrap();
    print("1 % delta sync", &delta);
    if let Some(drop) = drop_wh {
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(syncer.warehouse().pool())
            .await
            .unwrap();
    }
}

/// The service checks `analytics:write` itself (the scheduler and any
/// other entry point go through it): without it nothing runs and no
/// `sync_runs` row is written. Two tenants share every database; each
/// syncs, lists and counts only its own rows, and the same question,
/// cached for one, is answered from the other's data for the other.
#[tokio::test]
async fn sync_needs_analytics_write_and_tenants_stay_apart() {
    use promptsales_catalog::CatalogReader;
    use promptsales_server::auth::Principal;
    use promptsales_shared::cache::Cache;
    use promptsales_shared::config::CacheConfig;

    use crate::domain::semantic::Metric;
    use crate::domain::spec::QuerySpec;
    use crate::service::AnalyticsService;

    for t in promptsales_shared::testing::backends(&analytics_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let env = Env::open(t.config.clone()).await;
        env.seed().await;
        // Tenant B reuses A's ids with its own names and one lead only.
        let b = TenantId::parse("globex").unwrap();
        let mut secret = client("cli_1", "ES");
        secret.name = "Globex Secret".into();
        env.catalog.upsert_client(&b, &secret).await.unwrap();
        env.ads
            .upsert_campaigns(&b, &[campaign("cmp_1", "cli_1", Objective::Leads, "EUR")])
            .await
            .unwrap();
        env.crm
            .upsert_leads(
                &b,
                &[lead(
                    "lead_1",
                    "cli_1",
                    Some("cmp_1"),
                    "2026-03-02T10:00:00Z",
                )],
            )
            .await
            .unwrap();
        let cache = Cache::from_config(&CacheConfig {
            redis_url: None,
            prefix: "t".into(),
            default_ttl: std::time::Duration::from_secs(60),
        });
        let svc = AnalyticsService::new(
            CatalogReader::new(env.core.clone()),
            env.wh.clone(),
            env.syncer(),
            cache,
            None,
        );
        let runs = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sync_runs")
                .fetch_one(env.wh.pool())
                .await
                .unwrap()
        };

        let reader = Principal::new("rita", env.tenant.clone(), ["analytics:read"]);
        let e = svc.sync(&reader, None).await.unwrap_err();
        assert!(
            matches!(e, AppError::PermissionDenied(_)) && e.to_string().contains("analytics:write"),
            "{e}"
        );
        assert_eq!(
            runs().await,
            0,
            "{}: a refused sync runs nothing",
            t.label()
        );

        let a_writer = Principal::new("wes", env.tenant.clone(), ["analytics:write"]);
        let b_writer = Principal::new("gus", b.clone(), ["analytics:write"]);
        assert!(svc.sync(&a_writer, None).await.unwrap().changed);
        assert!(svc.sync(&b_writer, None).await.unwrap().changed);
        for tenant in [&env.tenant, &b] {
            let ids: Vec<String> = svc
                .list_clients(tenant)
                .await
                .unwrap()
                .clients
                .iter()
                .map(|c| format!("{}:{}", c.id, c.name))
                .collect();
            let want = if *tenant == b {
                vec!["cli_1:Globex Secret".to_owned()]
            } else {
                vec![
                    "cli_1:Client cli_1".to_owned(),
                    "cli_2:Client cli_2".to_owned(),
                ]
            };
            assert_eq!(ids, want, "{}", t.label());
        }
        assert!(svc.list_products(&b, Some("cli_2")).await.is_err());
        let leads = QuerySpec {
            metrics: vec![Metric::Leads],
            ..Default::default()
        };
        let as_of = Some(day(2026, 11, 15));
        for _ in 0..2 {
            let a = svc
                .query_metrics(&env.tenant, leads.clone(), as_of)
                .await
                .unwrap();
            let bb = svc.query_metrics(&b, leads.clone(), as_of).await.unwrap();
            assert_eq!(a.rows[0][0].as_f64(), Some(6.0), "{}", t.label());
            assert_eq!(bb.rows[0][0].as_f64(), Some(1.0), "{}", t.label());
            assert_eq!((a.rows.len(), bb.rows.len()), (1, 1));
        }
        let a = svc.ask(&env.tenant, "leads", as_of, None).await.unwrap();
        assert!(a.result.cached, "warm for A");
        let bb = svc.ask(&b, "leads", as_of, None).await.unwrap();
        assert_eq!(bb.result.rows[0][0].as_f64(), Some(1.0), "{}", t.label());
        let b_runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_runs WHERE tenant_id = $1")
            .bind(b.as_str())
            .fetch_one(env.wh.pool())
            .await
            .unwrap();
        assert!(b_runs > 0 && b_runs < runs().await);
        env.wh.close().await;
        t.cleanup().await;
    }
}
