//! `ask` corroborated: a seeded data set, every expected answer computed
//! independently in plain Rust over the seeded rows (not through the query
//! compiler under test), compared with what `mcp-analytics` answers through a
//! real MCP client over stdio and streamable HTTP, on SQLite and on
//! PostgreSQL + Redis. Plus the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};

use ads_read::domain::{Campaign, Objective};
use chrono::{Datelike, NaiveDate};
use orchestrator::dataset::Dataset;
use orchestrator::seed::{SeedSpec, generate};
use orchestrator::stores::Stores;
use promptsales_shared::config::CommonArgs;
use promptsales_tests::{Backend, Client, Era, HttpServer, stdio_client, tokens};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-15";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

// ---- an independent evaluator over the seeded rows ------------------------

/// One fact row, whatever its table, with what questions can ask of it.
struct Row {
    fact: char, // 'a' ads, 'l' leads, 's' sales
    date: NaiveDate,
    campaign: Option<String>,
    client: String,
    channel: String,
    country: String,
    city: Option<String>,
    product: Option<String>,
    product_name: Option<String>,
    objective: Option<String>,
    currency: Option<String>,
    // impressions, reach, clicks, spend_cents, conversions, revenue_cents
    v: [i64; 6],
}

fn rows(ds: &Dataset) -> Vec<Row> {
    let camp: HashMap<&str, &Campaign> = ds.campaigns.iter().map(|c| (c.id.as_str(), c)).collect();
    let product_names: HashMap<&str, &str> = ds
        .products
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    let obj = |o: Objective| o.as_str().to_owned();
    let mut out = Vec::new();
    for a in &ds.ad_daily {
        let c = camp[a.campaign_id.as_str()];
        out.push(Row {
            fact: 'a',
            date: a.date,
            campaign: Some(a.campaign_id.as_str().into()),
            client: c.client_id.as_str().into(),
            channel: a.channel.as_str().into(),
            country: a.country.as_str().into(),
            city: None,
            product: None,
            product_name: None,
            objective: Some(obj(c.objective)),
            currency: Some(c.currency.as_str().into()),
            v: [
                a.impressions,
                a.reach,
                a.clicks,
                a.spend_cents,
                a.conversions,
                0,
            ],
        });
    }
    for l in &ds.leads {
        let c = l.campaign_id.as_deref().map(|id| camp[id]);
        out.push(Row {
            fact: 'l',
            date: l.created_at.date_naive(),
            campaign: l.campaign_id.clone(),
            client: l.client_id.as_str().into(),
            channel: l.channel.as_str().into(),
            country: l.country.as_str().into(),
            city: l.city.clone(),
            product: None,
            product_name: None,
            objective: c.map(|c| obj(c.objective)),
            currency: c.map(|c| c.currency.as_str().to_owned()),
            v: [0; 6],
        });
    }
    for s in &ds.sales {
        let c = s.campaign_id.as_deref().map(|id| camp[id]);
        out.push(Row {
            fact: 's',
            date: s.closed_at.date_naive(),
            campaign: s.campaign_id.clone(),
            client: s.client_id.as_str().into(),
            channel: s.channel.as_str().into(),
            country: s.country.as_str().into(),
            city: s.city.clone(),
            product: s.product_id.as_ref().map(|p| p.as_str().to_owned()),
            product_name: s
                .product_id
                .as_ref()
                .and_then(|p| product_names.get(p.as_str()))
                .map(|n| (*n).to_owned()),
            objective: c.map(|c| obj(c.objective)),
            currency: Some(s.currency.as_str().into()),
            v: [0, 0, 0, 0, 0, s.amount_cents],
        });
    }
    out
}

fn dim(r: &Row, name: &str) -> Option<String> {
    match name {
        "campaign" => r.campaign.clone(),
        "client" => Some(r.client.clone()),
        "channel" => Some(r.channel.clone()),
        "country" => Some(r.country.clone()),
        "city" => r.city.clone(),
        "product" => r.product.clone(),
        "objective" => r.objective.clone(),
        "day" => Some(r.date.to_string()),
        "week" => {
            let w = r.date.iso_week();
            Some(format!("{}-W{:02}", w.year(), w.week()))
        }
        "month" => Some(format!("{}-{:02}", r.date.year(), r.date.month())),
        "quarter" => Some(format!("{}-Q{}", r.date.year(), r.date.month0() / 3 + 1)),
        "year" => Some(r.date.year().to_string()),
        other => panic!("dimension {other}"),
    }
}

/// A result row: dimension values (and currency), then metric values.
type Line = (Vec<Option<String>>, Vec<Option<f64>>);

/// Per group: impressions, reach, clicks, spend, conversions, revenue, leads, sales.
type Acc = [f64; 8];

fn facts_of(metric: &str) -> &'static [char] {
    match metric {
        "revenue" | "sales_count" | "aov" => &['s'],
        "spend" | "impressions" | "reach" | "clicks" | "conversions" | "ctr" | "cpc" | "cpa" => {
            &['a']
        }
        "leads" => &['l'],
        "cpl" => &['a', 'l'],
        "conversion_rate" => &['l', 's'],
        "roas" | "roi" => &['a', 's'],
        m => panic!("metric {m}"),
    }
}

fn value(metric: &str, a: &Acc) -> Option<f64> {
    let div = |x: f64, y: f64| {
        if y == 0.0 || y.is_nan() || x.is_nan() {
            None
        } else {
            Some(x / y)
        }
    };
    let cents = |x: Option<f64>| x.map(|v| (v).round() / 100.0);
    match metric {
        "impressions" => Some(a[0]),
        "reach" => Some(a[1]),
        "clicks" => Some(a[2]),
        "spend" => Some(a[3] / 100.0),
        "conversions" => Some(a[4]),
        "revenue" => Some(a[5] / 100.0),
        "leads" => Some(a[6]),
        "sales_count" => Some(a[7]),
        "aov" => cents(div(a[5], a[7])),
        "ctr" => div(a[2], a[0]),
        "cpc" => cents(div(a[3], a[2])),
        "cpa" => cents(div(a[3], a[4])),
        "cpl" => cents(div(a[3], a[6])),
        "conversion_rate" => div(a[7], a[6]),
        "roas" => div(a[5], a[3]),
        "roi" => div(a[5] - a[3], a[3]),
        m => panic!("metric {m}"),
    }
}

fn money(metrics: &[&str]) -> bool {
    metrics.iter().any(|m| {
        [
            "revenue", "aov", "spend", "cpc", "cpa", "cpl", "roas", "roi",
        ]
        .contains(m)
    })
}

/// What a question must return.
struct Expect {
    q: &'static str,
    metrics: &'static [&'static str],
    dims: &'static [&'static str],
    range: Option<(&'static str, &'static str)>,
    filter: fn(&Row) -> bool,
    /// (metric, descending, n) for top/bottom questions.
    rank: Option<(&'static str, bool, usize)>,
    compare: Option<(&'static str, &'static str)>,
}

fn aggregate(
    all: &[Row],
    e: &Expect,
    range: Option<(&str, &str)>,
) -> BTreeMap<Vec<Option<String>>, Acc> {
    let facts: Vec<char> = e
        .metrics
        .iter()
        .flat_map(|m| facts_of(m).iter().copied())
        .collect();
    let mut groups: BTreeMap<Vec<Option<String>>, Acc> = BTreeMap::new();
    for r in all.iter().filter(|r| facts.contains(&r.fact)) {
        if let Some((from, to)) = range
            && (r.date < d(from) || r.date > d(to))
        {
            continue;
        }
        if !(e.filter)(r) {
            continue;
        }
        let mut key: Vec<Option<String>> = e.dims.iter().map(|n| dim(r, n)).collect();
        if money(e.metrics) {
            // BRIEF §5: only a fact that brings money is split by currency;
            // leads count for the whole group (placed below).
            key.push(if r.fact == 'l' {
                None
            } else {
                r.currency.clone()
            });
        }
        let a = groups.entry(key).or_insert([0.0; 8]);
        for (slot, v) in a.iter_mut().zip(r.v) {
            *slot += v as f64;
        }
        match r.fact {
            'l' => a[6] += 1.0,
            's' => a[7] += 1.0,
            _ => {}
        }
    }
    if money(e.metrics) && e.metrics.iter().any(|m| facts_of(m).contains(&'l')) {
        place_leads(&mut groups);
    }
    groups
}

/// The leads of a group (gathered under no currency) joined to its money
/// row: to the one currency the group spent in; unknown (NaN) when it spent
/// in several, as they cannot be split; left alone when it spent nothing.
fn place_leads(groups: &mut BTreeMap<Vec<Option<String>>, Acc>) {
    let lead_keys: Vec<Vec<Option<String>>> = groups
        .keys()
        .filter(|k| k.last().is_some_and(Option::is_none))
        .cloned()
        .collect();
    for lk in lead_keys {
        let dims = &lk[..lk.len() - 1];
        let money_rows: Vec<Vec<Option<String>>> = groups
            .keys()
            .filter(|k| k[..k.len() - 1] == *dims && k.last().is_some_and(Option::is_some))
            .cloned()
            .collect();
        if money_rows.is_empty() {
            // Leads and no spend: no currency to state a cost in.
            if let Some(a) = groups.get_mut(&lk) {
                a[3] = f64::NAN;
            }
            continue;
        }
        let leads = groups.remove(&lk).map_or(0.0, |a| a[6]);
        for k in &money_rows {
            if let Some(a) = groups.get_mut(k) {
                a[6] = if money_rows.len() == 1 {
                    a[6] + leads
                } else {
                    f64::NAN
                };
            }
        }
    }
}

fn expected(all: &[Row], e: &Expect) -> Vec<Line> {
    let mut cur = aggregate(all, e, e.range);
    // BRIEF §5: a question with no dimension returns one row, even when
    // nothing matched (money needs a currency to report, so not then).
    if cur.is_empty() && e.dims.is_empty() && !money(e.metrics) {
        cur.insert(Vec::new(), [0.0; 8]);
    }
    let prev = e.compare.map(|r| aggregate(all, e, Some(r)));
    let mut out: Vec<Line> = cur
        .iter()
        .map(|(k, a)| {
            let mut vals = Vec::new();
            for m in e.metrics {
                let v = value(m, a);
                vals.push(v);
                if let Some(p) = &prev {
                    let pv = p.get(k).and_then(|pa| value(m, pa));
                    vals.push(pv);
                    vals.push(match (v, pv) {
                        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p * 100.0),
                        _ => None,
                    });
                }
            }
            (k.clone(), vals)
        })
        .collect();
    if let Some((metric, desc, n)) = e.rank {
        let i = e.metrics.iter().position(|m| *m == metric).unwrap()
            * if prev.is_some() { 3 } else { 1 };
        out.retain(|(k, v)| k.iter().all(Option::is_some) && v[i].is_some());
        // Money without a reporting currency ranks within each currency
        // (the limit applies per currency).
        let currency_of = |l: &Line| {
            money(e.metrics)
                .then(|| l.0.last().cloned().flatten())
                .flatten()
        };
        out.sort_by(|a, b| {
            let o = a.1[i].partial_cmp(&b.1[i]).unwrap();
            let o = if desc { o.reverse() } else { o };
            currency_of(a)
                .cmp(&currency_of(b))
                .then(o)
                .then_with(|| a.0.cmp(&b.0))
        });
        let mut taken: BTreeMap<Option<String>, usize> = BTreeMap::new();
        out.retain(|l| {
            let t = taken.entry(currency_of(l)).or_default();
            *t += 1;
            *t <= n
        });
    }
    out
}

/// The tool's rows as (key, values), dropping `*_name` columns.
fn actual(result: &Value, e: &Expect) -> Result<Vec<Line>, String> {
    let columns: Vec<String> = result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut key_cols: Vec<String> = e.dims.iter().map(|s| s.to_string()).collect();
    if money(e.metrics) {
        key_cols.push("currency".into());
    }
    let mut val_cols = Vec::new();
    for m in e.metrics {
        val_cols.push(m.to_string());
        if e.compare.is_some() {
            val_cols.push(format!("{m}_previous"));
            val_cols.push(format!("{m}_change_pct"));
        }
    }
    if let Some(c) = key_cols
        .iter()
        .chain(&val_cols)
        .find(|c| !columns.contains(c))
    {
        return Err(format!(
            "{}: no column {c} in {columns:?}; query: {}",
            e.q, result["query"]
        ));
    }
    let idx = |c: &String| columns.iter().position(|x| x == c).unwrap_or(0);
    Ok(result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let key = key_cols
                .iter()
                .map(|c| row[idx(c)].as_str().map(str::to_owned))
                .collect();
            let vals = val_cols.iter().map(|c| row[idx(c)].as_f64()).collect();
            (key, vals)
        })
        .collect())
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

fn check(e: &Expect, result: &Value, all: &[Row], label: &str) -> Result<(), String> {
    let want = expected(all, e);
    let got = actual(result, e).map_err(|m| format!("[{label}] {m}"))?;
    let sort = |mut v: Vec<Line>| {
        if e.rank.is_none() {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        v
    };
    let (want, got) = (sort(want), sort(got));
    let wk: Vec<_> = want.iter().map(|r| &r.0).collect();
    let gk: Vec<_> = got.iter().map(|r| &r.0).collect();
    if wk != gk {
        return Err(format!(
            "[{label}] {}: groups differ\n  expected {wk:?}\n  got      {gk:?}\n  answer: {}\n  query: {}",
            e.q, result["answer"], result["query"]
        ));
    }
    for (w, g) in want.iter().zip(&got) {
        for (i, (a, b)) in w.1.iter().zip(&g.1).enumerate() {
            if !close(*a, *b) {
                return Err(format!(
                    "[{label}] {}: group {:?} value {i}: expected {a:?}, got {b:?}",
                    e.q, w.0
                ));
            }
        }
    }
    if result["answer"].as_str().unwrap_or("").is_empty() {
        return Err(format!("[{label}] {}: empty answer", e.q));
    }
    if !result["sql"].as_str().unwrap_or("").contains("SELECT") {
        return Err(format!("[{label}] {}: no SQL", e.q));
    }
    Ok(())
}

fn all(_: &Row) -> bool {
    true
}

macro_rules! q {
    ($q:literal, [$($m:literal),*], [$($d:literal),*], $range:expr) => {
        Expect { q: $q, metrics: &[$($m),*], dims: &[$($d),*], range: $range, filter: all, rank: None, compare: None }
    };
    ($q:literal, [$($m:literal),*], [$($d:literal),*], $range:expr, $filter:expr) => {
        Expect { q: $q, metrics: &[$($m),*], dims: &[$($d),*], range: $range, filter: $filter, rank: None, compare: None }
    };
}

#[path = "analytics/families.rs"]
mod families;

const LAST_MONTH: Option<(&str, &str)> = Some(("2026-10-01", "2026-10-31"));
const THIS_MONTH: Option<(&str, &str)> = Some(("2026-11-01", "2026-11-15"));
const LAST_QUARTER: Option<(&str, &str)> = Some(("2026-07-01", "2026-09-30"));
const THIS_QUARTER: Option<(&str, &str)> = Some(("2026-10-01", "2026-11-15"));
const THIS_YEAR: Option<(&str, &str)> = Some(("2026-01-01", "2026-11-15"));
const YEAR_2026: Option<(&str, &str)> = Some(("2026-01-01", "2026-12-31"));
const LAST_WEEK: Option<(&str, &str)> = Some(("2026-11-02", "2026-11-08"));
const LAST_30: Option<(&str, &str)> = Some(("2026-10-17", "2026-11-15"));

fn questions() -> Vec<Expect> {
    vec![
        q!(
            "What was our revenue last month?",
            ["revenue"],
            [],
            LAST_MONTH
        ),
        q!(
            "¿Cuánto vendimos el mes pasado?",
            ["revenue"],
            [],
            LAST_MONTH
        ),
        q!(
            "revenue by channel last quarter",
            ["revenue"],
            ["channel"],
            LAST_QUARTER
        ),
        q!(
            "ventas por país este año",
            ["revenue"],
            ["country"],
            THIS_YEAR
        ),
        q!(
            "number of sales by month in 2026",
            ["sales_count"],
            ["month"],
            YEAR_2026
        ),
        q!(
            "número de ventas por producto en octubre",
            ["sales_count"],
            ["product"],
            LAST_MONTH
        ),
        q!(
            "average order value by client last quarter",
            ["aov"],
            ["client"],
            LAST_QUARTER
        ),
        q!(
            "ticket promedio por ciudad el mes pasado",
            ["aov"],
            ["city"],
            LAST_MONTH
        ),
        q!(
            "ad spend by channel in the last 30 days",
            ["spend"],
            ["channel"],
            LAST_30
        ),
        q!(
            "gasto por objetivo este trimestre",
            ["spend"],
            ["objective"],
            THIS_QUARTER
        ),
        q!(
            "impressions by week last month",
            ["impressions"],
            ["week"],
            LAST_MONTH
        ),
        q!(
            "impresiones por día la semana pasada",
            ["impressions"],
            ["day"],
            LAST_WEEK
        ),
        q!(
            "reach by country in Q3 2026",
            ["reach"],
            ["country"],
            LAST_QUARTER
        ),
        q!(
            "alcance por canal en 2026",
            ["reach"],
            ["channel"],
            YEAR_2026
        ),
        q!(
            "clicks by campaign last month",
            ["clicks"],
            ["campaign"],
            LAST_MONTH
        ),
        q!(
            "clics por cliente el trimestre pasado",
            ["clicks"],
            ["client"],
            LAST_QUARTER
        ),
        q!(
            "conversions by channel this month",
            ["conversions"],
            ["channel"],
            THIS_MONTH
        ),
        q!(
            "conversiones por país la semana pasada",
            ["conversions"],
            ["country"],
            LAST_WEEK
        ),
        q!(
            "leads by channel last month",
            ["leads"],
            ["channel"],
            LAST_MONTH
        ),
        q!(
            "prospectos por ciudad en octubre",
            ["leads"],
            ["city"],
            LAST_MONTH
        ),
        q!(
            "CTR by channel last quarter",
            ["ctr"],
            ["channel"],
            LAST_QUARTER
        ),
        q!(
            "tasa de clics por país el mes pasado",
            ["ctr"],
            ["country"],
            LAST_MONTH
        ),
        q!(
            "cost per click by channel this year",
            ["cpc"],
            ["channel"],
            THIS_YEAR
        ),
        q!(
            "costo por clic por cliente en septiembre",
            ["cpc"],
            ["client"],
            Some(("2026-09-01", "2026-09-30"))
        ),
        q!(
            "CPA by channel last month",
            ["cpa"],
            ["channel"],
            LAST_MONTH
        ),
        q!(
            "costo por adquisición por objetivo el trimestre pasado",
            ["cpa"],
            ["objective"],
            LAST_QUARTER
        ),
        q!(
            "cost per lead by channel last quarter",
            ["cpl"],
            ["channel"],
            LAST_QUARTER
        ),
        q!(
            "costo por lead por país este año",
            ["cpl"],
            ["country"],
            THIS_YEAR
        ),
        q!(
            "conversion rate by channel last quarter",
            ["conversion_rate"],
            ["channel"],
            LAST_QUARTER
        ),
        q!(
            "tasa de conversión por mes en 2026",
            ["conversion_rate"],
            ["month"],
            YEAR_2026
        ),
        q!(
            "ROAS by channel in Mexico last quarter",
            ["roas"],
            ["channel"],
            LAST_QUARTER,
            |r| r.country == "MX"
        ),
        Expect {
            q: "¿Qué canal nos dio el mejor ROAS en México el trimestre pasado?",
            metrics: &["roas"],
            dims: &["channel"],
            range: LAST_QUARTER,
            filter: |r| r.country == "MX",
            rank: Some(("roas", true, 1)),
            compare: None,
        },
        q!("ROI by client last month", ["roi"], ["client"], LAST_MONTH),
        q!(
            "retorno de la inversión por canal este año",
            ["roi"],
            ["channel"],
            THIS_YEAR
        ),
        Expect {
            q: "top 5 campaigns by revenue last quarter",
            metrics: &["revenue"],
            dims: &["campaign"],
            range: LAST_QUARTER,
            filter: all,
            rank: Some(("revenue", true, 5)),
            compare: None,
        },
        Expect {
            q: "los 3 peores canales por ROAS el mes pasado",
            metrics: &["roas"],
            dims: &["channel"],
            range: LAST_MONTH,
            filter: all,
            rank: Some(("roas", false, 3)),
            compare: None,
        },
        Expect {
            q: "revenue this month vs last month",
            metrics: &["revenue"],
            dims: &[],
            range: THIS_MONTH,
            filter: all,
            rank: None,
            compare: Some(("2026-10-01", "2026-10-15")),
        },
        Expect {
            q: "ventas del trimestre pasado comparado con el año pasado",
            metrics: &["revenue"],
            dims: &[],
            range: LAST_QUARTER,
            filter: all,
            rank: None,
            compare: Some(("2025-07-01", "2025-09-30")),
        },
        Expect {
            q: "leads by channel last month compared to the previous period",
            metrics: &["leads"],
            dims: &["channel"],
            range: LAST_MONTH,
            filter: all,
            rank: None,
            compare: Some(("2026-09-01", "2026-09-30")),
        },
        q!(
            "leads from facebook last month",
            ["leads"],
            [],
            LAST_MONTH,
            |r| r.channel == "meta"
        ),
        q!(
            "leads de google por país en octubre",
            ["leads"],
            ["country"],
            LAST_MONTH,
            |r| r.channel == "google_ads"
        ),
        q!(
            "revenue by quarter in 2026",
            ["revenue"],
            ["quarter"],
            YEAR_2026
        ),
        q!("ingresos por año", ["revenue"], ["year"], None),
        q!(
            "spend by channel between 2026-03-01 and 2026-03-15",
            ["spend"],
            ["channel"],
            Some(("2026-03-01", "2026-03-15"))
        ),
        q!(
            "gasto entre el 2026-03-01 y el 2026-03-15",
            ["spend"],
            [],
            Some(("2026-03-01", "2026-03-15"))
        ),
        q!(
            "leads yesterday",
            ["leads"],
            [],
            Some(("2026-11-14", "2026-11-14"))
        ),
        q!(
            "prospectos de hoy",
            ["leads"],
            [],
            Some(("2026-11-15", "2026-11-15"))
        ),
        q!(
            "revenue by country in the last 7 days",
            ["revenue"],
            ["country"],
            Some(("2026-11-09", "2026-11-15"))
        ),
        q!(
            "ventas por canal en los últimos 90 días",
            ["revenue"],
            ["channel"],
            Some(("2026-08-18", "2026-11-15"))
        ),
        q!("revenue by client", ["revenue"], ["client"], None),
        q!(
            "ventas de Café Andino el mes pasado",
            ["revenue"],
            [],
            LAST_MONTH,
            |r| r.client == "cli_001"
        ),
        q!(
            "number of sales for campaign cmp_00012",
            ["sales_count"],
            [],
            None,
            |r| r.campaign.as_deref() == Some("cmp_00012")
        ),
        q!(
            "revenue in Colombia last year",
            ["revenue"],
            [],
            Some(("2025-01-01", "2025-12-31")),
            |r| r.country == "CO"
        ),
        q!(
            "clics en España este año",
            ["clicks"],
            [],
            THIS_YEAR,
            |r| r.country == "ES"
        ),
        q!(
            "email leads last quarter",
            ["leads"],
            [],
            LAST_QUARTER,
            |r| r.channel == "email"
        ),
        q!(
            "prospectos por correo el trimestre pasado",
            ["leads"],
            [],
            LAST_QUARTER,
            |r| r.channel == "email"
        ),
        q!(
            "revenue and spend by channel last month",
            ["revenue", "spend"],
            ["channel"],
            LAST_MONTH
        ),
        q!(
            "ingresos y gasto por mes este año",
            ["revenue", "spend"],
            ["month"],
            THIS_YEAR
        ),
        q!(
            "leads by objective this year",
            ["leads"],
            ["objective"],
            THIS_YEAR
        ),
        q!(
            "ventas por cliente en el tercer trimestre de 2026",
            ["revenue"],
            ["client"],
            LAST_QUARTER
        ),
    ]
}

const REFUSED: &[&str] = &[
    "what's the weather in Bogotá",
    "hola",
    "delete all campaigns",
    "revenue by colour",
    "¿cuál es el sentido de la vida?",
    "write me a poem",
    "show me the top 2000 campaigns by revenue",
    "ventas por signo zodiacal",
    "how many employees do we have",
    "¿quién ganó el partido de ayer?",
];

fn args(b: &Backend) -> CommonArgs {
    b.common_args()
}

async fn call(client: &Client, tool: &str, args: Value) -> (bool, Value, String) {
    let r = client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let text = r
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default();
    (
        r.is_error == Some(true),
        r.structured_content.unwrap_or(Value::Null),
        text,
    )
}

/// Spanish by its spelling or words (the core questions carry no tag).
fn spanish(q: &str) -> bool {
    q.contains(['¿', 'ñ', 'á', 'é', 'í', 'ó', 'ú'])
        || q.split_whitespace().any(|w| {
            matches!(
                w,
                "el" | "la"
                    | "los"
                    | "las"
                    | "por"
                    | "de"
                    | "del"
                    | "en"
                    | "ventas"
                    | "gasto"
                    | "ingresos"
                    | "prospectos"
                    | "clics"
                    | "alcance"
                    | "este"
            )
        })
}

/// Passed and asked, by (family, language).
type Tally = BTreeMap<(String, &'static str), (usize, usize)>;

fn count(t: &mut Tally, family: &str, es: bool, ok: bool) {
    let e = t
        .entry((family.to_owned(), if es { "es" } else { "en" }))
        .or_default();
    e.0 += usize::from(ok);
    e.1 += 1;
}

/// Every family's questions, the follow-ups and the refusals: failures of
/// the core questions and refusals are listed; the accuracy of each family
/// and language is returned.
async fn ask_all(client: &Client, all: &[Row], label: &str) -> (Tally, Vec<String>) {
    let mut failures = Vec::new();
    let mut misses = Vec::new();
    let mut t = Tally::new();
    for e in questions() {
        let (err, v, text) = call(client, "ask", json!({ "question": e.q, "as_of": AS_OF })).await;
        let r = if err {
            Err(format!("[{label}] refused {:?}: {text}", e.q))
        } else {
            check(&e, &v, all, label)
        };
        count(&mut t, "core", spanish(e.q), r.is_ok());
        failures.extend(r.err());
    }
    for c in families::cases() {
        let e = &c.e;
        let (err, v, text) = call(client, "ask", json!({ "question": e.q, "as_of": AS_OF })).await;
        let r = if err {
            Err(format!("[{label}] refused {:?}: {text}", e.q))
        } else {
            check(e, &v, all, label)
        };
        count(&mut t, c.family, c.es, r.is_ok());
        misses.extend(r.err());
    }
    for f in families::follow_ups() {
        let (err, first, text) = call(
            client,
            "ask",
            json!({ "question": f.first, "as_of": AS_OF }),
        )
        .await;
        let r = if err {
            Err(format!("[{label}] refused the first {:?}: {text}", f.first))
        } else {
            let args = json!({ "question": f.e.q, "as_of": AS_OF, "context": first["query"] });
            let (err, v, text) = call(client, "ask", args).await;
            if err {
                Err(format!("[{label}] refused follow-up {:?}: {text}", f.e.q))
            } else {
                check(&f.e, &v, all, label)
            }
        };
        count(&mut t, "follow_up", f.es, r.is_ok());
        misses.extend(r.err());
    }
    for q in REFUSED {
        let (err, _, text) = call(client, "ask", json!({ "question": q, "as_of": AS_OF })).await;
        let ok = err && text.contains("Try");
        count(&mut t, "refusal", spanish(q), ok);
        if !err {
            failures.push(format!(
                "[{label}] answered {q:?} instead of refusing: {text}"
            ));
        } else if !text.contains("Try") {
            failures.push(format!(
                "[{label}] refusal of {q:?} suggests nothing: {text}"
            ));
        }
    }
    for (family, es, q) in families::MUST_REFUSE {
        let (err, _, text) = call(client, "ask", json!({ "question": q, "as_of": AS_OF })).await;
        count(&mut t, "refusal", *es, err);
        if !err {
            failures.push(format!(
                "[{label}] answered {q:?} ({family}) instead of refusing: {text}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    (t, misses)
}

/// Prints accuracy by family and language; fails under the floor.
fn report_accuracy(t: &Tally, misses: &[String], label: &str) {
    let (mut ok, mut n) = (0, 0);
    println!("[{label}] accuracy by family and language:");
    for ((family, lang), (p, a)) in t {
        println!(
            "  {family:<12} {lang}  {p:>3}/{a:<3} {:>5.1}%",
            100.0 * *p as f64 / *a as f64
        );
        ok += p;
        n += a;
    }
    let es: usize = t
        .iter()
        .filter(|(k, _)| k.1 == "es")
        .map(|(_, v)| v.1)
        .sum();
    println!(
        "  total {ok}/{n} ({:.1}%), {es} in Spanish",
        100.0 * ok as f64 / n as f64
    );
    for m in misses {
        println!("  miss: {m}");
    }
    assert!(n >= 250, "{n} questions");
    assert!(2 * es >= n - 10, "{es} of {n} in Spanish");
    // The floor is the measured figure: a regression fails.
    assert!(
        ok >= ACCURACY_FLOOR,
        "[{label}] {ok}/{n} answered right, under the floor {ACCURACY_FLOOR}:\n{}",
        misses.join("\n")
    );
}

/// Questions answered right when this set was last measured (README).
const ACCURACY_FLOOR: usize = 286;

/// Closed vocabularies of `query_metrics` and `report` are checked against
/// the published schema: a value outside one is an `isError` naming the
/// argument's path and the allowed values; every kind of time range passes.
async fn typed_inputs(client: &Client) {
    let (err, _, text) = call(
        client,
        "query_metrics",
        json!({"spec": {"metrics": ["profit"]}, "as_of": AS_OF}),
    )
    .await;
    assert!(err, "{text}");
    assert!(
        text.contains("`spec.metrics`") && text.contains("roas") && text.contains("profit"),
        "{text}"
    );
    let (err, _, text) = call(
        client,
        "query_metrics",
        json!({"spec": {"metrics": ["leads"], "filters": [{"field": "colour", "op": "eq", "value": "red"}]}}),
    )
    .await;
    assert!(
        err && text.contains("`spec.filters.field`") && text.contains("country"),
        "{text}"
    );
    let (err, _, text) = call(
        client,
        "report",
        json!({"time_range": {"type": "relative", "period": "last_decade"}, "as_of": AS_OF}),
    )
    .await;
    assert!(
        err && text.contains("`time_range.period`") && text.contains("last_quarter"),
        "{text}"
    );
    // `report` speaks the language asked for; English by default.
    let (err, r, text) = call(client, "report", json!({"language": "es", "as_of": AS_OF})).await;
    let md = r["markdown"].as_str().unwrap_or("");
    assert!(
        !err && md.starts_with("# Informe de rendimiento: del 2026-10-01 al 2026-10-31")
            && md.contains("## Mezcla de canales")
            && md.contains("nunca se suma entre monedas"),
        "{text}"
    );
    let (err, r, text) = call(client, "report", json!({"as_of": AS_OF})).await;
    let md = r["markdown"].as_str().unwrap_or("");
    assert!(
        !err && md.starts_with("# Performance report: 2026-10-01 to 2026-10-31")
            && md.contains("## Channel mix"),
        "{text}"
    );
    for range in [
        json!({"type": "absolute", "from": "2026-01-01", "to": "2026-03-31"}),
        json!({"type": "relative", "period": "Last_Quarter"}),
        json!({"type": "last_n_days", "days": 30}),
        json!({"type": "month", "month": 10}),
        json!({"type": "quarter", "quarter": 3, "year": 2026}),
        json!({"type": "year", "year": 2026}),
    ] {
        let spec = json!({"metrics": ["Revenue"], "dimensions": ["CHANNEL"], "time_range": range});
        let (err, _, text) = call(
            client,
            "query_metrics",
            json!({"spec": spec, "as_of": AS_OF}),
        )
        .await;
        assert!(!err, "{range}: {text}");
    }
}

fn dataset() -> Dataset {
    generate(&SeedSpec {
        clients: 8,
        campaigns: 120,
        days: 420,
        seed: 5,
        as_of: d(AS_OF),
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_matches_independent_answers_on_both_backends_and_transports() {
    let ds = dataset();
    let all = rows(&ds);
    assert!(questions().len() >= 60, "{} questions", questions().len());
    for backend in Backend::all() {
        let config = args(&backend).resolve().unwrap();
        let stores = Stores::open(&config).await.unwrap();
        ds.write(&stores).await.unwrap();

        let client = stdio_client("mcp-analytics", &backend, &[], Era::Initialize).await;
        let (err, report, text) = call(&client, "sync", json!({})).await;
        assert!(!err, "sync: {text}");
        assert_eq!(report["changed"], true);
        let label = format!("{} stdio", backend.label);
        let (t, misses) = ask_all(&client, &all, &label).await;
        report_accuracy(&t, &misses, &label);

        // The same question twice: the second comes from the cache.
        let q = json!({ "question": "revenue by channel last quarter", "as_of": AS_OF });
        let (_, first, _) = call(&client, "ask", q.clone()).await;
        let (_, second, _) = call(&client, "ask", q).await;
        assert_eq!(second["cached"], true, "{second}");
        assert_eq!(first["rows"], second["rows"]);
        typed_inputs(&client).await;
        client.cancel().await.unwrap();

        // Over HTTP with a real signed token holding only `analytics:read`.
        let srv = HttpServer::start_env(
            "mcp-analytics",
            &backend,
            &["--sync-interval-secs", "0"],
            &tokens::env(),
        )
        .await;
        let token = tokens::mint("analyst@agency.example", "default", &["analytics:read"]);
        let client = srv.client_with_token(Era::Stateless, &token).await;
        let label = format!("{} http", backend.label);
        let (t, misses) = ask_all(&client, &all, &label).await;
        report_accuracy(&t, &misses, &label);
        client.cancel().await.unwrap();
        let client = srv.client_with_token(Era::Initialize, &token).await;
        let (err, _, text) = call(&client, "sync", json!({})).await;
        assert!(
            err && text.contains("analytics:write"),
            "a reader cannot sync: {text}"
        );
        client.cancel().await.unwrap();
        assert!(srv.terminate().await.success());
    }
}
