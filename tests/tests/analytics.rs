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

#[path = "analytics/evaluator.rs"]
mod evaluator;
use evaluator::*;

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
            && md.contains("## Channel mix")
            && md.contains("| channel | currency | spend | revenue | ROAS | leads | CTR |"),
        "{text}"
    );
    // In Spanish and in one currency: headers, numbers and the money note
    // follow, and the client is named, not shown by id.
    let (err, r, text) = call(
        client,
        "report",
        json!({"as_of": AS_OF, "language": "es", "currency": "USD", "client_id": "cli_001"}),
    )
    .await;
    let md = r["markdown"].as_str().unwrap_or("");
    let cli_001 = "Cliente: ";
    assert!(
        !err && md.contains("| canal |")
            && md.contains("| gasto | ingresos | ROAS | leads | CTR |")
            && md.contains("Dinero en USD: cada importe convertido")
            && md.contains(cli_001)
            && !md.contains("cli_001"),
        "{text}"
    );
    let money = has_spanish_amount(md);
    assert!(money, "Spanish numbers use a decimal comma: {md}");
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

/// Whether a Markdown table holds a Spanish-formatted amount ("1.234,56").
fn has_spanish_amount(md: &str) -> bool {
    md.split('|').any(|cell| {
        let c = cell.trim();
        let (int, frac) = c.split_once(',').unwrap_or((c, ""));
        frac.len() == 2
            && frac.chars().all(|ch| ch.is_ascii_digit())
            && !int.is_empty()
            && int.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
    })
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
