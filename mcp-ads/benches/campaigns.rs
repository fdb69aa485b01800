//! `get_campaign_performance`, `get_campaign` and `list_campaigns` over
//! 50,000 campaigns (10× the PromptSales requirement) with daily delivery,
//! on SQLite and — when `TEST_DATABASE_URL` is set — on PostgreSQL.
//! Prints p50/p95/p99 and calls per second per scenario.
//!
//! `cargo bench -p mcp-ads --bench campaigns` (`ADS_BENCH_CAMPAIGNS`,
//! `ADS_BENCH_CALLS` override the sizes).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mcp_ads::AdsService;
use mcp_ads::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};
use mcp_ads::store::AdsStore;
use promptsales_shared::bench::{Figures, print_table, summarise};
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, TenantId};

const STATUSES: [CampaignStatus; 4] = [
    CampaignStatus::Active,
    CampaignStatus::Paused,
    CampaignStatus::Completed,
    CampaignStatus::Draft,
];

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

async fn seed(store: &AdsStore, tenant: &TenantId, n: usize) {
    let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let countries = [Country::parse("CO").unwrap(), Country::parse("MX").unwrap()];
    let mut batch = Vec::with_capacity(5_000);
    let mut days = Vec::with_capacity(50_000);
    for i in 0..n {
        let id = CampaignId::parse(&format!("cmp_{i:06}")).unwrap();
        batch.push(Campaign {
            id: id.clone(),
            client_id: ClientId::parse(&format!("cli_{:03}", i % 240)).unwrap(),
            name: format!("Campaign {i}"),
            objective: Objective::Leads,
            status: STATUSES[i % 4],
            budget_cents: 1_000_000 + (i as i64 % 97) * 10_000,
            currency: Currency::parse("USD").unwrap(),
            start_date: start,
            end_date: start + chrono::Duration::days(29),
            channels: vec![Channel::Meta, Channel::GoogleAds],
            countries: vec![countries[i % 2]],
        });
        // Five days on two channels per campaign.
        for d in 0..5 {
            for ch in [Channel::Meta, Channel::GoogleAds] {
                days.push(AdDaily {
                    date: start + chrono::Duration::days(d),
                    campaign_id: id.clone(),
                    channel: ch,
                    country: countries[i % 2],
                    impressions: 1_000 + (i as i64 % 500),
                    reach: 800,
                    clicks: 30 + d,
                    spend_cents: 20_000 + d * 100,
                    conversions: 2,
                });
            }
        }
        if batch.len() == 5_000 {
            store
                .import()
                .upsert_campaigns(tenant, &batch)
                .await
                .unwrap();
            store.import().upsert_ad_daily(tenant, &days).await.unwrap();
            batch.clear();
            days.clear();
        }
    }
    if !batch.is_empty() {
        store
            .import()
            .upsert_campaigns(tenant, &batch)
            .await
            .unwrap();
        store.import().upsert_ad_daily(tenant, &days).await.unwrap();
    }
}

async fn measure<F, Fut>(scenario: String, calls: usize, mut f: F) -> Figures
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..calls / 10 {
        f(i).await;
    }
    let mut lat = Vec::with_capacity(calls);
    let wall = Instant::now();
    for i in 0..calls {
        let t = Instant::now();
        f(i).await;
        lat.push(t.elapsed());
    }
    summarise(scenario, lat, wall.elapsed().max(Duration::from_nanos(1)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env_usize("ADS_BENCH_CAMPAIGNS", 50_000);
    let calls = env_usize("ADS_BENCH_CALLS", 2_000);
    let tenant = TenantId::parse("bench").unwrap();
    let mut rows = Vec::new();
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let label = t.label();
        let store = AdsStore::new(t.db.clone());
        let seeded = Instant::now();
        seed(&store, &tenant, n).await;
        // Production tables have planner statistics (autovacuum / SQLite
        // ANALYZE); a freshly bulk-loaded one does not until analysed.
        sqlx::query("ANALYZE").execute(t.db.pool()).await.unwrap();
        eprintln!(
            "{label}: seeded {n} campaigns and {} daily rows in {:.1?}",
            n * 10,
            seeded.elapsed()
        );
        let svc = AdsService::new(store);

        let mut rng = Lcg(42);
        let ids: Vec<String> = (0..calls)
            .map(|_| format!("cmp_{:06}", rng.next(n)))
            .collect();
        let s = &svc;
        let tn = &tenant;
        rows.push(
            measure(
                format!("{label}: get_campaign_performance ({n} campaigns)"),
                calls,
                |i| {
                    let id = ids[i % ids.len()].clone();
                    async move {
                        let r = s.performance(tn, &id, None, None, false).await.unwrap();
                        assert_eq!(r.daily.len(), 5);
                    }
                },
            )
            .await,
        );
        rows.push(
            measure(format!("{label}: get_campaign (full view)"), calls, |i| {
                let id = ids[i % ids.len()].clone();
                async move {
                    s.view(tn, &id).await.unwrap();
                }
            })
            .await,
        );
        rows.push(
            measure(
                format!("{label}: list_campaigns by status, page of 50 from a cursor"),
                calls,
                |i| {
                    let cursor = ids[i % ids.len()].clone();
                    async move {
                        s.list_filtered(
                            tn,
                            None,
                            Some(CampaignStatus::Active),
                            None,
                            None,
                            None,
                            Some(&cursor),
                            Some(50),
                        )
                        .await
                        .unwrap();
                    }
                },
            )
            .await,
        );
        rows.push(
            measure(format!("{label}: list_campaigns by client"), calls, |i| {
                let client = format!("cli_{:03}", i % 240);
                async move {
                    let p = s
                        .list_filtered(tn, Some(&client), None, None, None, None, None, Some(50))
                        .await
                        .unwrap();
                    assert!(!p.items.is_empty());
                }
            })
            .await,
        );
        t.cleanup().await;
    }
    print_table(&rows);
}
