//! Questions as people type them: courtesy, verbs, everyday money words,
//! typos, lower-case codes, "<product> sales", comparisons, trends and cost
//! superlatives, each mapped to a whole spec; and the refusals that stay.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::*;

fn names() -> NameIndex {
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    NameIndex {
        campaigns: vec![s("cmp_00003", "Holiday Lead Gen 2026")],
        clients: vec![s("cli_001", "Café Andino"), s("cli_005", "TecnoHogar")],
        products: vec![s("prd_0002", "Teeth Whitening")],
        cities: vec!["Bogotá".into(), "Lima".into()],
    }
}

fn ask(q: &str) -> Result<Value, String> {
    parse_at(q, &names(), NaiveDate::from_ymd_opt(2026, 11, 15))
        .map(|p| serde_json::to_value(&p.spec).unwrap_or_default())
        .map_err(|e| e.to_string())
}

fn rel(p: &str) -> Value {
    json!({"type": "relative", "period": p})
}

#[test]
fn typed_questions_map_to_whole_specs() {
    let eq = |f: &str, v: &str| json!([{"field": f, "op": "eq", "value": v}]);
    let cases: Vec<(&str, Value)> = vec![
        (
            "hi, what was our revenue last month?",
            json!({"metrics": ["revenue"], "time_range": rel("last_month")}),
        ),
        (
            "hey there, how much revenue came in last month",
            json!({"metrics": ["revenue"], "time_range": rel("last_month")}),
        ),
        (
            "how much money did we bring in last quarter",
            json!({"metrics": ["revenue"], "time_range": rel("last_quarter")}),
        ),
        (
            "how much did Café Andino generate this year",
            json!({"metrics": ["revenue"], "filters": eq("client", "cli_001"), "time_range": rel("this_year")}),
        ),
        (
            "cuánto facturó TecnoHogar el mes pasado",
            json!({"metrics": ["revenue"], "filters": eq("client", "cli_005"), "time_range": rel("last_month")}),
        ),
        (
            "cuánto gastaron en facebook este año",
            json!({"metrics": ["spend"], "filters": eq("channel", "meta"), "time_range": rel("this_year")}),
        ),
        (
            "cuánta lana entró este año",
            json!({"metrics": ["revenue"], "time_range": rel("this_year")}),
        ),
        (
            "buenos días, me podrías decir las ventas por canal por favor",
            json!({"metrics": ["revenue"], "dimensions": ["channel"]}),
        ),
        (
            "revenue in mx last month",
            json!({"metrics": ["revenue"], "filters": eq("country", "MX"), "time_range": rel("last_month")}),
        ),
        (
            "Teeth Whitening sales last month",
            json!({"metrics": ["sales_count"], "filters": eq("product", "prd_0002"), "time_range": rel("last_month")}),
        ),
        (
            "revenue this month same month last year",
            json!({"metrics": ["revenue"], "time_range": rel("this_month"), "compare_to": "same_period_last_year"}),
        ),
        (
            "ventas del mes pasado frente al mismo mes del año pasado",
            json!({"metrics": ["revenue"], "time_range": rel("last_month"), "compare_to": "same_period_last_year"}),
        ),
        (
            "revenue in Q3 2026 vs Q2 2026",
            json!({"metrics": ["revenue"], "time_range": {"type": "quarter", "quarter": 3, "year": 2026}, "compare_to": "previous_period"}),
        ),
        (
            "tendencia de ventas este año",
            json!({"metrics": ["revenue"], "dimensions": ["month"], "time_range": rel("this_year")}),
        ),
        (
            "leads trending last month",
            json!({"metrics": ["leads"], "dimensions": ["day"], "time_range": rel("last_month")}),
        ),
        (
            "which channel has the cheapest leads",
            json!({"metrics": ["cpl"], "dimensions": ["channel"], "order_by": [{"field": "cpl", "direction": "asc"}], "limit": 1}),
        ),
        (
            "most expensive clicks by channel",
            json!({"metrics": ["cpc"], "dimensions": ["channel"], "order_by": [{"field": "cpc", "direction": "desc"}]}),
        ),
        (
            "revnue by chanel last month",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "time_range": rel("last_month")}),
        ),
        (
            "ventsa por canal",
            json!({"metrics": ["revenue"], "dimensions": ["channel"]}),
        ),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        let mut want = want;
        for (k, v) in [
            ("dimensions", json!([])),
            ("filters", json!([])),
            ("order_by", json!([])),
        ] {
            want.as_object_mut().map(|o| o.entry(k).or_insert(v));
        }
        match ask(q) {
            Ok(got) if got == want => {}
            other => failures.push(format!("{q}\n  got  {other:?}\n  want {want}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unknown_things_stay_refused() {
    for q in [
        "revenue in Narnia",
        "forecast revenue next month",
        "revenue by hour",
        "what is our profit margin",
        "are sales up?",
        "revenue last month vs Q2",
        "hola",
        "gracias",
    ] {
        assert!(ask(q).is_err(), "{q} answered: {:?}", ask(q));
    }
    let e = ask("revenue last month vs Q2").unwrap_err();
    assert!(e.contains("previous period"), "{e}");
}

fn follow(q: &str, context: &Value) -> Result<Value, String> {
    let c: crate::domain::spec::QuerySpec =
        serde_json::from_value(context.clone()).map_err(|e| e.to_string())?;
    parse_followup(q, &names(), NaiveDate::from_ymd_opt(2026, 11, 15), Some(&c))
        .map(|p| serde_json::to_value(&p.spec).unwrap_or_default())
        .map_err(|e| e.to_string())
}

#[test]
fn follow_ups_replace_what_they_name_and_keep_the_rest() {
    let prev = ask("revenue by channel in Colombia last quarter").unwrap();
    let mx = follow("¿y en México?", &prev).unwrap();
    assert_eq!(
        mx["filters"],
        json!([{"field": "country", "op": "eq", "value": "MX"}])
    );
    assert_eq!(mx["dimensions"], json!(["channel"]));
    assert_eq!(mx["time_range"], rel("last_quarter"));
    assert_eq!(mx["metrics"], json!(["revenue"]));

    let by = follow(
        "and by country?",
        &ask("leads in Mexico last month").unwrap(),
    )
    .unwrap();
    assert_eq!(by["dimensions"], json!(["country"]));
    assert_eq!(by["filters"][0]["value"], "MX");

    let ly = follow("same for last year", &prev).unwrap();
    assert_eq!(ly["time_range"], rel("last_year"));
    assert_eq!(ly["filters"][0]["value"], "CO");

    let top = ask("top 3 channels by revenue last month").unwrap();
    let spend = follow("and spend?", &top).unwrap();
    assert_eq!(spend["metrics"], json!(["spend"]));
    assert_eq!(
        spend["order_by"],
        json!([]),
        "no order on a metric no longer asked"
    );
    let es = follow("¿y el trimestre pasado?", &top).unwrap();
    assert_eq!(es["limit"], 3);
    assert_eq!(es["time_range"], rel("last_quarter"));

    // Without context a follow-up is a fresh question: no metric, refused.
    assert!(ask("¿y en México?").is_err());
    // A follow-up still refuses what it does not know.
    assert!(follow("and in Narnia?", &prev).is_err());
}

#[test]
fn a_whole_new_question_is_not_a_follow_up() {
    let prev = ask("revenue by channel in Colombia last quarter").unwrap();
    let fresh = follow("leads by country this year", &prev).unwrap();
    assert_eq!(fresh, ask("leads by country this year").unwrap());
}

#[test]
fn and_inside_a_question_is_no_follow_up() {
    let prev = ask("revenue by channel in Colombia last quarter").unwrap();
    let q = "revenue and spend by country last month";
    assert_eq!(follow(q, &prev).unwrap(), ask(q).unwrap());
    let what = follow("what about spend?", &prev).unwrap();
    assert_eq!(what["metrics"], json!(["spend"]));
    assert_eq!(what["filters"][0]["value"], "CO");
}

#[test]
fn everyday_words_of_the_measured_set() {
    for q in [
        "hi team, could you pull conversions by channel this month",
        "hola, ¿puedes mostrarme las conversiones por canal este mes?",
        "¿cuánta feria juntamos este año?",
        "impresiones a lo largo del tiempo en 2026",
    ] {
        assert!(ask(q).is_ok(), "{q}: {:?}", ask(q));
    }
}

#[test]
fn a_currency_phrase_sets_the_reporting_currency_and_nothing_else() {
    let en = ask("top 5 clients by revenue this year in USD").unwrap();
    assert_eq!(en["currency"], "USD");
    assert_eq!(en["dimensions"], json!(["client"]));
    assert_eq!(en["filters"], json!([]), "{en}");
    let es = ask("¿ventas por cliente en pesos colombianos el mes pasado?").unwrap();
    assert_eq!(es["currency"], "COP");
    assert_eq!(es["filters"], json!([]), "{es}");
    // Without one the spec names none; a follow-up keeps the conversation's.
    let plain = ask("revenue by channel last quarter").unwrap();
    assert!(plain.get("currency").is_none_or(Value::is_null), "{plain}");
    let mx = follow("¿y en México?", &en).unwrap();
    assert_eq!(mx["currency"], "USD");
    // A country is not a currency: "en México" stays a filter.
    assert_eq!(mx["filters"][0]["value"], "MX");
}

#[test]
fn money_going_out_is_spend_and_who_ranks_clients() {
    let spend_on_google = |p: &str| {
        json!({"metrics": ["spend"], "filters": [{"field": "channel", "op": "eq", "value": "google_ads"}],
               "time_range": rel(p)})
    };
    let top_spender = |p: &str| {
        json!({"metrics": ["spend"], "dimensions": ["client"], "limit": 1,
               "order_by": [{"field": "spend", "direction": "desc"}], "time_range": rel(p)})
    };
    for (q, want) in [
        (
            "how much money went into google ads last month",
            spend_on_google("last_month"),
        ),
        (
            "cuánta plata se fue en google ads el mes pasado",
            spend_on_google("last_month"),
        ),
        ("who spent the most last month", top_spender("last_month")),
        ("¿quién gastó más el mes pasado?", top_spender("last_month")),
    ] {
        let got = ask(q).unwrap();
        for k in [
            "metrics",
            "dimensions",
            "filters",
            "order_by",
            "limit",
            "time_range",
        ] {
            if let Some(w) = want.get(k) {
                assert_eq!(&got[k], w, "{q}: {k} in {got}");
            }
        }
    }
    // Money that came in stays revenue; a "who" without a ranking is no grouping.
    assert_eq!(
        ask("how much money came in last month").unwrap()["metrics"],
        json!(["revenue"])
    );
    assert_eq!(
        ask("who spent money last month").unwrap()["dimensions"],
        json!([])
    );
}
