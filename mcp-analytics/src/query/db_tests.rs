//! The two-fact metrics and the reporting currency on a hand-checked tiny
//! warehouse, on SQLite and PostgreSQL.

use chrono::NaiveDate;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Currency, TenantId};
use serde_json::{Value, json};

use super::{Names, Table, execute};
use crate::domain::spec::QuerySpec;

const T: &str = "t1";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn c(s: &str) -> Currency {
    Currency::parse(s).unwrap()
}

async fn ad(db: &Db, id: &str, date: &str, campaign: &str, client: &str, cur: &str, cents: i64) {
    sqlx::query(
        "INSERT INTO wh_ad_daily (tenant_id, id, date, week, month, quarter, year, campaign_id, \
         client_id, objective, channel, country, currency, impressions, reach, clicks, \
         spend_cents, conversions) VALUES ($1, $2, $3, 'w', 'm', 'q', 'y', $4, $5, 'leads', \
         'meta', 'CO', $6, 1000, 900, 10, $7, 1)",
    )
    .bind(T)
    .bind(id)
    .bind(date)
    .bind(campaign)
    .bind(client)
    .bind(cur)
    .bind(cents)
    .execute(db.pool())
    .await
    .unwrap();
}

async fn lead(db: &Db, id: &str, client: &str, campaign: Option<&str>, cur: Option<&str>) {
    sqlx::query(
        "INSERT INTO wh_leads (tenant_id, id, date, week, month, quarter, year, campaign_id, \
         client_id, channel, country, stage, currency) VALUES ($1, $2, '2026-03-02', 'w', 'm', \
         'q', 'y', $3, $4, 'meta', 'CO', 'new', $5)",
    )
    .bind(T)
    .bind(id)
    .bind(campaign)
    .bind(client)
    .bind(cur)
    .execute(db.pool())
    .await
    .unwrap();
}

async fn sale(db: &Db, id: &str, date: &str, client: &str, cur: &str, cents: i64) {
    sqlx::query(
        "INSERT INTO wh_sales (tenant_id, id, date, week, month, quarter, year, client_id, \
         channel, country, amount_cents, currency) VALUES ($1, $2, $3, 'w', 'm', 'q', 'y', $4, \
         'meta', 'CO', $5, $6)",
    )
    .bind(T)
    .bind(id)
    .bind(date)
    .bind(client)
    .bind(cents)
    .bind(cur)
    .execute(db.pool())
    .await
    .unwrap();
}

/// Client c1 spends in COP, c2 in MXN, c3 never advertises. Leads without
/// a campaign count for their client (BRIEF §5: leads attributed to the
/// lead row). USD rates: 2 March COP 4000 and MXN 20, 3 March COP 4100;
/// MXN has no rate after 2 March (fallback), COP none after 3 March.
async fn fill(db: &Db) {
    ad(db, "a1", "2026-03-02", "k1", "c1", "COP", 4_000_000).await; // 40 000 COP = 10 USD
    ad(db, "a2", "2026-03-03", "k1", "c1", "COP", 8_200_000).await; // 82 000 COP = 20 USD
    ad(db, "a3", "2026-03-03", "k2", "c2", "MXN", 20_000).await; // 200 MXN = 10 USD (2 Mar rate)
    lead(db, "l1", "c1", Some("k1"), Some("COP")).await;
    lead(db, "l2", "c1", None, None).await;
    lead(db, "l3", "c2", Some("k2"), Some("MXN")).await;
    lead(db, "l4", "c2", None, None).await;
    lead(db, "l5", "c2", None, None).await;
    lead(db, "l6", "c3", None, None).await;
    sale(db, "s1", "2026-03-03", "c1", "COP", 12_300_000).await; // 123 000 COP = 30 USD
    sale(db, "s2", "2026-03-04", "c2", "MXN", 100_000).await; // 1 000 MXN = 50 USD (2 Mar rate)
    let tenant = TenantId::parse(T).unwrap();
    let rates = [
        ("2026-03-02", "COP", 4000.0),
        ("2026-03-03", "COP", 4100.0),
        ("2026-03-02", "MXN", 20.0),
    ]
    .map(|(day, cur, r)| analytics_read::FxRate::new(d(day), c("USD"), c(cur), r).unwrap());
    assert_eq!(
        analytics_read::upsert_fx_rates(db, &tenant, &rates, "test")
            .await
            .unwrap(),
        3
    );
}

async fn run(db: &Db, spec: Value) -> Result<Table, promptsales_shared::AppError> {
    let valid = serde_json::from_value::<QuerySpec>(spec)
        .unwrap()
        .validate(d("2026-03-31"))
        .unwrap();
    execute(db, &TenantId::parse(T).unwrap(), &valid, &Names::default()).await
}

fn col(t: &Table, name: &str) -> usize {
    t.columns.iter().position(|c| c == name).unwrap()
}

#[tokio::test]
async fn cost_per_lead_joins_spend_and_every_lead_of_the_group() {
    for b in promptsales_shared::testing::backends(&analytics_read::MIGRATIONS)
        .await
        .unwrap()
    {
        fill(&b.db).await;
        let t = run(
            &b.db,
            json!({"metrics": ["cpl", "spend", "leads"], "dimensions": ["client"],
                   "order_by": [{"field": "client", "direction": "asc"}]}),
        )
        .await
        .unwrap();
        assert_eq!(
            t.columns,
            ["client", "client_name", "currency", "cpl", "spend", "leads"],
            "{}",
            b.label()
        );
        // c1: 122 000 COP / 2 leads (one without a campaign); c2: 200 MXN /
        // 3 leads; c3: leads but no spend, so no cost per lead and no
        // currency — never a 0.00.
        assert_eq!(
            t.rows,
            vec![
                vec![
                    json!("c1"),
                    Value::Null,
                    json!("COP"),
                    json!(61000.0),
                    json!(122000.0),
                    json!(2.0)
                ],
                vec![
                    json!("c2"),
                    Value::Null,
                    json!("MXN"),
                    json!(66.67),
                    json!(200.0),
                    json!(3.0)
                ],
                vec![
                    json!("c3"),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    json!(1.0)
                ],
            ],
            "{}",
            b.label()
        );
        assert!(t.notes.is_empty(), "{:?}", t.notes);

        // Over all clients, spend is in two currencies and the leads cannot
        // be split between them: no guessed cost per lead, and a note.
        let t = run(&b.db, json!({"metrics": ["cpl"]})).await.unwrap();
        let (cur, cpl) = (col(&t, "currency"), col(&t, "cpl"));
        let got: Vec<(Value, Value)> = t
            .rows
            .iter()
            .map(|r| (r[cur].clone(), r[cpl].clone()))
            .collect();
        assert_eq!(
            got,
            vec![(json!("COP"), Value::Null), (json!("MXN"), Value::Null)],
            "{}",
            b.label()
        );
        assert!(
            t.notes[0].contains("cpl cannot be split by currency"),
            "{:?}",
            t.notes
        );

        // Conversion rate joins sales and leads: no currency at all.
        let t = run(
            &b.db,
            json!({"metrics": ["conversion_rate"], "dimensions": ["client"],
                                  "order_by": [{"field": "client", "direction": "asc"}]}),
        )
        .await
        .unwrap();
        assert_eq!(t.rows[0][2], json!(0.5), "{}", b.label());
        b.cleanup().await;
    }
}

#[tokio::test]
async fn a_reporting_currency_converts_each_day_and_ranks_clients_in_it() {
    for b in promptsales_shared::testing::backends(&analytics_read::MIGRATIONS)
        .await
        .unwrap()
    {
        fill(&b.db).await;
        // "Which client had the lowest cost per lead?" in USD: c2 (10 USD /
        // 3 leads) beats c1 (30 USD / 2); c3 has none and is not ranked.
        let t = run(
            &b.db,
            json!({"metrics": ["cpl"], "dimensions": ["client"], "currency": "USD",
                   "order_by": [{"field": "cpl", "direction": "asc"}], "limit": 5}),
        )
        .await
        .unwrap();
        assert_eq!(
            t.rows,
            vec![
                vec![json!("c2"), Value::Null, json!("USD"), json!(3.33)],
                vec![json!("c1"), Value::Null, json!("USD"), json!(15.0)],
            ],
            "{}",
            b.label()
        );
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        let conv = t.conversion.clone().unwrap();
        assert_eq!(conv.currency, c("USD"));
        assert_eq!(
            (conv.rates_from, conv.rates_to),
            (Some(d("2026-03-02")), Some(d("2026-03-03")))
        );
        assert!(conv.policy.contains("7 days"), "{}", conv.policy);

        // Revenue at each sale's day (MXN on 4 March falls back to 2 March):
        // 30 + 50 = 80 USD; ROAS from the converted sums, 80 / 40.
        let t = run(
            &b.db,
            json!({"metrics": ["revenue", "spend", "roas"], "currency": "USD"}),
        )
        .await
        .unwrap();
        assert_eq!(
            t.rows,
            vec![vec![json!("USD"), json!(80.0), json!(40.0), json!(2.0)]],
            "{}",
            b.label()
        );

        // Without a reporting currency the ranking is per currency, and says so.
        let t = run(
            &b.db,
            json!({"metrics": ["revenue"], "dimensions": ["client"],
                   "order_by": [{"field": "revenue", "direction": "desc"}], "limit": 1}),
        )
        .await
        .unwrap();
        assert_eq!(t.rows.len(), 2, "one top client per currency: {:?}", t.rows);
        assert!(
            t.notes[0].contains("ranked within each currency (COP, MXN)"),
            "{:?}",
            t.notes
        );
        assert!(t.conversion.is_none());

        // A COP sale 17 days after the last COP rate is refused, naming the
        // pair and the date.
        sale(&b.db, "s3", "2026-03-20", "c1", "COP", 100).await;
        let e = run(&b.db, json!({"metrics": ["revenue"], "currency": "USD"}))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("COP→USD") && e.contains("2026-03-20"), "{e}");
        b.cleanup().await;
    }
}
