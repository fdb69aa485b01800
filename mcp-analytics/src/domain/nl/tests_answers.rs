//! Answers that say what they mean: filters named by client, campaign or
//! product name, a missing member named, both languages.

use serde_json::{Value, json};

use super::*;
use crate::domain::spec::QuerySpec;

fn names() -> NameIndex {
    NameIndex {
        clients: vec![("cli_001".into(), "Café Andino".into())],
        ..NameIndex::default()
    }
}

fn spec(v: Value) -> QuerySpec {
    serde_json::from_value(v).unwrap_or_default()
}

fn cols(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_client_filter_is_named() {
    let s = spec(
        json!({"metrics": ["revenue"], "filters": [{"field": "client", "op": "eq", "value": "cli_001"}],
        "time_range": {"type": "relative", "period": "last_month"}}),
    );
    let rows = vec![vec![json!("COP"), json!(1000.0)]];
    let c = cols(&["currency", "revenue"]);
    let en = answer_sentence_named(Language::En, &s, &c, &rows, None, &names());
    assert!(
        en.contains("for Café Andino") && !en.contains("cli_001"),
        "{en}"
    );
    let es = answer_sentence_named(Language::Es, &s, &c, &rows, None, &names());
    assert!(
        es.contains("de Café Andino") && !es.contains("cli_001"),
        "{es}"
    );
}

#[test]
fn a_missing_campaign_is_named_not_a_dash() {
    let s = spec(json!({"metrics": ["leads"], "dimensions": ["campaign"]}));
    let rows = vec![
        vec![json!("cmp_1"), json!("Spring"), json!(5)],
        vec![Value::Null, Value::Null, json!(3)],
    ];
    let c = cols(&["campaign", "campaign_name", "leads"]);
    let en = answer_sentence(Language::En, &s, &c, &rows, None);
    assert!(en.contains("no campaign") && !en.contains('—'), "{en}");
    let es = answer_sentence(Language::Es, &s, &c, &rows, None);
    assert!(es.contains("sin campaña") && !es.contains('—'), "{es}");
}

#[test]
fn money_takes_its_currencys_decimals() {
    let m = crate::domain::semantic::Metric::Revenue;
    let v = serde_json::json!(14_440_421.03);
    assert_eq!(
        super::answer::format_metric(Language::En, m, &v, Some("CLP")),
        "14,440,421 CLP"
    );
    assert_eq!(
        super::answer::format_metric(Language::Es, m, &v, Some("USD")),
        "14.440.421,03 USD"
    );
}

#[test]
fn a_ranking_without_a_reporting_currency_ranks_each_currency_and_says_so() {
    let s = spec(json!({"metrics": ["revenue"], "dimensions": ["client"],
        "order_by": [{"field": "revenue", "direction": "desc"}], "limit": 1}));
    // The query ranks within each currency: its rows come currency by currency.
    let rows = vec![
        vec![
            json!("cli_002"),
            json!("Hotel Sol"),
            json!("ARS"),
            json!(154_000_000.0),
        ],
        vec![
            json!("cli_001"),
            json!("Café Andino"),
            json!("COP"),
            json!(264_000_000.0),
        ],
    ];
    let c = cols(&["client", "client_name", "currency", "revenue"]);
    let en = answer_sentence(Language::En, &s, &c, &rows, None);
    assert!(en.contains("the highest in each currency"), "{en}");
    assert!(
        en.contains("ARS: Hotel Sol (154,000,000.00 ARS); COP: Café Andino (264,000,000 COP)"),
        "{en}"
    );
    assert!(en.contains("\"in USD\""), "{en}");
    let es = answer_sentence(Language::Es, &s, &c, &rows, None);
    assert!(es.contains("el mayor de cada moneda"), "{es}");
    assert!(es.contains("«en USD»"), "{es}");
    // One currency: an ordinary winner.
    let one = answer_sentence(Language::En, &s, &c, &rows[1..], None);
    assert!(
        one.starts_with("Café Andino had the highest revenue"),
        "{one}"
    );
}

#[test]
fn a_cost_per_lead_unknown_across_currencies_says_how_to_get_it() {
    let s = spec(json!({"metrics": ["spend", "cpl"], "dimensions": ["client"]}));
    let c = cols(&["client", "client_name", "currency", "spend", "cpl"]);
    let rows = vec![
        vec![
            json!("cli_001"),
            json!("Café Andino"),
            json!("COP"),
            json!(9000.0),
            Value::Null,
        ],
        vec![
            json!("cli_001"),
            json!("Café Andino"),
            json!("USD"),
            json!(20.0),
            Value::Null,
        ],
        vec![
            json!("cli_002"),
            json!("Hotel Sol"),
            json!("ARS"),
            json!(500.0),
            json!(25.0),
        ],
    ];
    let en = answer_sentence(Language::En, &s, &c, &rows, None);
    assert!(
        en.contains("spent in several currencies") && en.contains("\"in USD\""),
        "{en}"
    );
    let es = answer_sentence(Language::Es, &s, &c, &rows, None);
    assert!(es.contains("varias monedas"), "{es}");
    // A null CPL of a one-currency group (no leads) gets no such hint.
    let plain = answer_sentence(Language::En, &s, &c, &rows[2..], None);
    assert!(!plain.contains("several currencies"), "{plain}");
    let none = vec![vec![
        json!("cli_002"),
        json!("Hotel Sol"),
        json!("ARS"),
        json!(500.0),
        Value::Null,
    ]];
    assert!(!answer_sentence(Language::En, &s, &c, &none, None).contains("several"));
}
