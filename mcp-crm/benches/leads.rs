//! Benchmark of `register_lead` (with dedupe) and `search_leads` at a large
//! lead count, on SQLite and — when `TEST_DATABASE_URL` is set — on
//! PostgreSQL. Base rows (encrypted, blind-indexed) are bulk-loaded first,
//! then registrations (80 % new people, 20 % repeats of loaded ones) run
//! from concurrent tasks and searches run with typical filters and cursors.
//!
//! Scale by environment: `CRM_BENCH_LEADS` (base rows, default 200000),
//! `CRM_BENCH_REGISTRATIONS` (default 4000), `CRM_BENCH_SEARCHES`
//! (default 1000), `CRM_BENCH_CONCURRENCY` (default 16), `CRM_BENCH_POOL`
//! (connections per pool, default 16).
//! Run: `cargo bench -p mcp-crm --bench leads`.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use crm_read::domain::LeadStage;
use mcp_crm::crypto::{Crypto, Field};
use mcp_crm::service::{CrmService, LeadQuery, NewLead};
use mcp_crm::store::CrmStore;
use promptsales_shared::bench::{Figures, print_table, summarise};
use promptsales_shared::db::{BulkUpsert, Db};
use promptsales_shared::domain::{Channel, TenantId};
use promptsales_shared::testing::backends;
use promptsales_shared::time::now_ts;

const COUNTRIES: &[&str] = &["CO", "MX", "AR", "PE", "CL", "US", "ES", "EC"];
const CHANNELS: &[&str] = &[
    "meta",
    "google_ads",
    "instagram",
    "tiktok",
    "web",
    "whatsapp",
];
const STAGES: &[&str] = &["iql", "iql", "iql", "mql", "mql", "sql", "customer", "lost"];

const BASE: BulkUpsert = BulkUpsert {
    table: "leads",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "campaign_id",
        "channel",
        "country",
        "stage",
        "score",
        "seller_id",
        "name_enc",
        "email_enc",
        "phone_enc",
        "email_hash",
        "phone_hash",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &["stage"],
};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic pseudo-random numbers (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

fn email(i: usize) -> String {
    format!("person{i}@example.com")
}

fn phone(i: usize) -> String {
    format!("+5730{:08}", i)
}

/// Loads `n` leads with encrypted contact details and blind indexes.
async fn bulk_load(db: &Db, crypto: &Crypto, tenant: &TenantId, n: usize) -> Duration {
    let started = Instant::now();
    let mut rng = Rng(42);
    let now = now_ts();
    let t = tenant.as_str();
    let per = BASE.max_rows().min(2000);
    let mut i = 0;
    while i < n {
        let rows = per.min(n - i);
        let mut tx = db.pool().begin().await.expect("begin");
        let mut q = sqlx::query(BASE.sql(rows, db.backend()));
        for k in i..i + rows {
            let e = email(k);
            let p = phone(k);
            let id = format!("lead_b{k:08}");
            let at = |column| Field::lead(t, &id, column);
            let (name_enc, email_enc, phone_enc) = (
                crypto
                    .encrypt(at("name_enc"), &format!("Person {k}"))
                    .expect("encrypt"),
                crypto.encrypt(at("email_enc"), &e).expect("encrypt"),
                crypto.encrypt(at("phone_enc"), &p).expect("encrypt"),
            );
            q = q
                .bind(t.to_owned())
                .bind(id.clone())
                .bind(format!("cli_{:03}", rng.next() % 24))
                .bind(format!("cmp_{:05}", rng.next() % 5000))
                .bind(rng.pick(CHANNELS))
                .bind(rng.pick(COUNTRIES))
                .bind(rng.pick(STAGES))
                .bind((rng.next() % 101) as i32)
                .bind(format!("sel_{:02}", rng.next() % 40))
                .bind(name_enc)
                .bind(email_enc)
                .bind(phone_enc)
                .bind(crypto.blind_index(t, "email", &e))
                .bind(crypto.blind_index(t, "phone", &p))
                .bind(format!(
                    "2026-{:02}-{:02}T10:00:00.000000Z",
                    1 + rng.next() % 11,
                    1 + rng.next() % 28
                ))
                .bind(now.clone());
        }
        q.execute(&mut *tx).await.expect("bulk insert");
        tx.commit().await.expect("commit");
        i += rows;
    }
    if db.backend() == promptsales_shared::db::Backend::Postgres {
        sqlx::query("ANALYZE leads")
            .execute(db.pool())
            .await
            .expect("analyze");
    }
    started.elapsed()
}

async fn registrations(
    svc: Arc<CrmService>,
    tenant: &TenantId,
    base: usize,
    total: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>, usize) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let svc = svc.clone();
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(1000 + w as u64);
            let mut lat = Vec::new();
            let mut dups = 0;
            for k in (w..total).step_by(concurrency) {
                // One in five is someone already loaded (a repeat).
                let who = if rng.next().is_multiple_of(5) {
                    (rng.next() as usize) % base.max(1)
                } else {
                    10_000_000 + k
                };
                let lead = NewLead {
                    client_id: "cli_001".into(),
                    channel: Channel::parse(rng.pick(CHANNELS)).expect("channel"),
                    country: "CO".into(),
                    city: None,
                    campaign_id: None,
                    name: Some(format!("Person {who}")),
                    email: Some(email(who)),
                    phone: Some(phone(who)),
                    company: None,
                    product_interest: None,
                    language: None,
                };
                let t0 = Instant::now();
                let r = svc
                    .register_lead(&tenant, "bench", lead)
                    .await
                    .expect("register");
                lat.push(t0.elapsed());
                dups += usize::from(!r.created);
            }
            (lat, dups)
        }));
    }
    let mut lat = Vec::new();
    let mut dups = 0;
    for t in tasks {
        let (l, d) = t.await.expect("task");
        lat.extend(l);
        dups += d;
    }
    (started.elapsed(), lat, dups)
}

async fn searches(svc: &CrmService, tenant: &TenantId, n: usize) -> (Duration, Vec<Duration>) {
    let mut rng = Rng(7);
    let mut lat = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let mut q = LeadQuery::default();
        match i % 8 {
            0 => q.stage = Some(LeadStage::parse(rng.pick(STAGES)).expect("stage")),
            1 => q.country = Some(rng.pick(COUNTRIES).into()),
            2 => {
                q.stage = Some(LeadStage::parse(rng.pick(STAGES)).expect("stage"));
                q.country = Some(rng.pick(COUNTRIES).into());
            }
            3 => q.min_score = Some(80),
            4 => {
                q.channel = Some(Channel::parse(rng.pick(CHANNELS)).expect("channel"));
                q.min_score = Some(50);
            }
            5 => q.seller_id = Some(format!("sel_{:02}", rng.next() % 40)),
            6 => q.campaign_id = Some(format!("cmp_{:05}", rng.next() % 5000)),
            _ => {
                q.stage = Some(LeadStage::Sql);
                q.created_from = Some("2026-06-01".into());
            }
        }
        let t0 = Instant::now();
        let page = svc.search_leads(tenant, &q).await.expect("search");
        // Every other search also reads the next page through its cursor.
        if i % 2 == 0
            && let Some(c) = page.next_cursor
        {
            q.cursor = Some(c);
            svc.search_leads(tenant, &q).await.expect("next page");
        }
        lat.push(t0.elapsed());
    }
    (started.elapsed(), lat)
}

#[tokio::main]
async fn main() {
    let base = env_usize("CRM_BENCH_LEADS", 200_000);
    let regs = env_usize("CRM_BENCH_REGISTRATIONS", 4_000);
    let n_search = env_usize("CRM_BENCH_SEARCHES", 1_000);
    let conc = env_usize("CRM_BENCH_CONCURRENCY", 16);
    let pool = env_usize("CRM_BENCH_POOL", 16) as u32;
    let crypto = Crypto::new(&[5u8; 32]).expect("key");
    let tenant = TenantId::parse("bench").expect("tenant");
    let mut rows: Vec<Figures> = Vec::new();
    for t in backends(&crm_read::MIGRATIONS).await.expect("databases") {
        let label = t.label();
        // The test pool is small; a server would run with a larger one.
        let cfg = promptsales_shared::config::DbConfig {
            max_connections: pool,
            ..t.config.clone()
        };
        let db = Db::open(&cfg, &crm_read::MIGRATIONS).await.expect("pool");
        let load = bulk_load(&db, &crypto, &tenant, base).await;
        println!(
            "{label}: bulk-loaded {base} leads in {:.1} s ({:.0} rows/s)",
            load.as_secs_f64(),
            base as f64 / load.as_secs_f64()
        );
        let svc = Arc::new(CrmService::new(CrmStore::new(db.clone()), crypto.clone()));
        let (wall, lat, dups) = registrations(svc.clone(), &tenant, base, regs, conc).await;
        rows.push(summarise(
            format!(
                "{label} register_lead at {base}+ leads (c={conc}, pool {pool}, {dups} repeats)"
            ),
            lat,
            wall,
        ));
        let (wall, lat) = searches(&svc, &tenant, n_search).await;
        rows.push(summarise(
            format!("{label} search_leads at {} leads", base + regs - dups),
            lat,
            wall,
        ));
        db.close().await;
        t.cleanup().await;
    }
    print_table(&rows);
}
