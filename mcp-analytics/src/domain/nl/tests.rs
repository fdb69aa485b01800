//! Questions in English and Spanish mapped to whole specs, refusals with
//! usable suggestions, round trips of labels, and answer sentences.

use chrono::NaiveDate;
use promptsales_shared::domain::Vocabulary;
use serde_json::{Value, json};

use super::*;
use crate::domain::period::{RelativePeriod, TimeRange};
use crate::domain::semantic::{Dimension, Metric};
use crate::domain::spec::{Direction, FilterOp, FilterValue};

fn idx() -> NameIndex {
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    NameIndex {
        campaigns: vec![
            s("cmp_00001", "Black Friday Sales 2025"),
            s("cmp_00002", "Black Friday Sales 2025"),
            s("cmp_00003", "Holiday Lead Gen 2026"),
            s("cmp_00004", "Spring Awareness 2026"),
            s("cmp_00005", "Always-on Traffic 2026"),
            s("cmp_00006", "Black Friday Awareness 2026"),
        ],
        clients: vec![
            s("cli_001", "Café Andino"),
            s("cli_002", "Clínica Sonrisa Dental"),
            s("cli_005", "TecnoHogar"),
            s("cli_014", "Pet Paradise"),
            s("cli_015", "Cervecería Artesanal Patagonia"),
        ],
        products: vec![
            s("prd_0001", "Origin Coffee 500 g"),
            s("prd_0002", "Teeth Whitening"),
            s("prd_0003", "Smart TV 55\""),
            s("prd_0004", "Annual Membership"),
        ],
        cities: Vec::new(),
    }
}

fn spec(v: &Value) -> QuerySpec {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("bad expected spec {v}: {e}"))
}

fn rel(p: &str) -> Value {
    json!({"type": "relative", "period": p})
}

fn days(n: u32) -> Value {
    json!({"type": "last_n_days", "days": n})
}

fn eq(field: &str, v: &str) -> Value {
    json!({"field": field, "op": "eq", "value": v})
}

fn desc(field: &str) -> Value {
    json!([{"field": field, "direction": "desc"}])
}

fn asc(field: &str) -> Value {
    json!([{"field": field, "direction": "asc"}])
}

/// Parses every question and compares the whole spec and the language.
fn check(language: Language, cases: &[(&str, Value)]) {
    let names = idx();
    let mut failures = Vec::new();
    for (q, want) in cases {
        let want = spec(want);
        match parse(q, &names) {
            Ok(p) if p.spec == want && p.language == language => {}
            Ok(p) => failures.push(format!(
                "{q}\n   got  {} ({:?})\n   want {}",
                serde_json::to_string(&p.spec).unwrap_or_default(),
                p.language,
                serde_json::to_string(&want).unwrap_or_default()
            )),
            Err(e) => failures.push(format!("{q}\n   refused: {e} / {:?}", e.understood)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn english_cases() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Which channel gave us the best ROAS in Mexico last quarter?",
            json!({"metrics": ["roas"], "dimensions": ["channel"], "filters": [eq("country", "MX")],
                   "time_range": rel("last_quarter"), "order_by": desc("roas"), "limit": 1}),
        ),
        (
            "revenue by channel last month",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "time_range": rel("last_month")}),
        ),
        (
            "Top 5 campaigns by revenue this month",
            json!({"metrics": ["revenue"], "dimensions": ["campaign"], "time_range": rel("this_month"),
                   "order_by": desc("revenue"), "limit": 5}),
        ),
        (
            "bottom 3 countries by conversion rate this year",
            json!({"metrics": ["conversion_rate"], "dimensions": ["country"], "time_range": rel("this_year"),
                   "order_by": asc("conversion_rate"), "limit": 3}),
        ),
        (
            "How many sales did we close yesterday?",
            json!({"metrics": ["sales_count"], "time_range": rel("yesterday")}),
        ),
        (
            "average order value by product last year",
            json!({"metrics": ["aov"], "dimensions": ["product"], "time_range": rel("last_year")}),
        ),
        (
            "how much did we spend on Facebook in the last 30 days",
            json!({"metrics": ["spend"], "filters": [eq("channel", "meta")], "time_range": days(30)}),
        ),
        (
            "impressions and reach on TikTok this week",
            json!({"metrics": ["impressions", "reach"], "filters": [eq("channel", "tiktok")], "time_range": rel("this_week")}),
        ),
        (
            "clicks by day last 7 days",
            json!({"metrics": ["clicks"], "dimensions": ["day"], "time_range": days(7)}),
        ),
        (
            "conversions by objective in 2025",
            json!({"metrics": ["conversions"], "dimensions": ["objective"], "time_range": {"type": "year", "year": 2025}}),
        ),
        (
            "leads from Google by city over the past 2 weeks",
            json!({"metrics": ["leads"], "dimensions": ["city"], "filters": [eq("channel", "google_ads")], "time_range": days(14)}),
        ),
        (
            "CTR by week in October",
            json!({"metrics": ["ctr"], "dimensions": ["week"], "time_range": {"type": "month", "month": 10, "year": null}}),
        ),
        (
            "cost per click on LinkedIn in Q3 2026",
            json!({"metrics": ["cpc"], "filters": [eq("channel", "linkedin")], "time_range": {"type": "quarter", "quarter": 3, "year": 2026}}),
        ),
        (
            "CPA by campaign between 2026-03-01 and 2026-03-15",
            json!({"metrics": ["cpa"], "dimensions": ["campaign"],
                   "time_range": {"type": "absolute", "from": "2026-03-01", "to": "2026-03-15"}}),
        ),
        (
            "cost per lead by client this quarter",
            json!({"metrics": ["cpl"], "dimensions": ["client"], "time_range": rel("this_quarter")}),
        ),
        (
            "ROI by quarter in 2026",
            json!({"metrics": ["roi"], "dimensions": ["quarter"], "time_range": {"type": "year", "year": 2026}}),
        ),
        (
            "monthly revenue in Colombia this year",
            json!({"metrics": ["revenue"], "dimensions": ["month"], "filters": [eq("country", "CO")], "time_range": rel("this_year")}),
        ),
        (
            "yearly spend by channel",
            json!({"metrics": ["spend"], "dimensions": ["year", "channel"]}),
        ),
        (
            "revenue this month vs last month",
            json!({"metrics": ["revenue"], "time_range": rel("this_month"), "compare_to": "previous_period"}),
        ),
        (
            "spend last quarter compared to last year",
            json!({"metrics": ["spend"], "time_range": rel("last_quarter"), "compare_to": "same_period_last_year"}),
        ),
        (
            "leads year over year by channel",
            json!({"metrics": ["leads"], "dimensions": ["channel"], "time_range": rel("this_year"),
                   "compare_to": "same_period_last_year"}),
        ),
        (
            "revenue in the US last year",
            json!({"metrics": ["revenue"], "filters": [eq("country", "US")], "time_range": rel("last_year")}),
        ),
        (
            "revenue for us last month",
            json!({"metrics": ["revenue"], "time_range": rel("last_month")}),
        ),
        (
            "revenue of Café Andino in 2025",
            json!({"metrics": ["revenue"], "filters": [eq("client", "cli_001")], "time_range": {"type": "year", "year": 2025}}),
        ),
        (
            "ROAS for cafe andno by month",
            json!({"metrics": ["roas"], "dimensions": ["month"], "filters": [eq("client", "cli_001")]}),
        ),
        (
            "revenue for campaign Black Friday Sales 2025",
            json!({"metrics": ["revenue"], "filters": [{"field": "campaign", "op": "in", "value": ["cmp_00001", "cmp_00002"]}]}),
        ),
        (
            "leads for cmp_00003 last week",
            json!({"metrics": ["leads"], "filters": [eq("campaign", "cmp_00003")], "time_range": rel("last_week")}),
        ),
        (
            "revenue of Teeth Whitening in May 2026",
            json!({"metrics": ["revenue"], "filters": [eq("product", "prd_0002")],
                   "time_range": {"type": "month", "month": 5, "year": 2026}}),
        ),
        (
            "sales excluding Mexico by country last month",
            json!({"metrics": ["revenue"], "dimensions": ["country"],
                   "filters": [{"field": "country", "op": "not_in", "value": ["MX"]}], "time_range": rel("last_month")}),
        ),
        (
            "revenue in Spain and Portugal",
            json!({"metrics": ["revenue"], "dimensions": ["country"],
                   "filters": [{"field": "country", "op": "in", "value": ["ES", "PT"]}]}),
        ),
        (
            "the 3 worst campaigns by ROAS last month",
            json!({"metrics": ["roas"], "dimensions": ["campaign"], "time_range": rel("last_month"),
                   "order_by": asc("roas"), "limit": 3}),
        ),
        (
            "which campaign had the lowest CPA last quarter",
            json!({"metrics": ["cpa"], "dimensions": ["campaign"], "time_range": rel("last_quarter"),
                   "order_by": asc("cpa"), "limit": 1}),
        ),
        (
            "best channel by CPL this year",
            json!({"metrics": ["cpl"], "dimensions": ["channel"], "time_range": rel("this_year"),
                   "order_by": asc("cpl"), "limit": 1}),
        ),
        (
            "campaigns with ROAS above 2 last month",
            json!({"metrics": ["roas"], "dimensions": ["campaign"],
                   "filters": [{"field": "roas", "op": "gt", "value": 2.0}], "time_range": rel("last_month")}),
        ),
        (
            "channels with CTR over 1.5% this month",
            json!({"metrics": ["ctr"], "dimensions": ["channel"],
                   "filters": [{"field": "ctr", "op": "gt", "value": 0.015}], "time_range": rel("this_month")}),
        ),
        (
            "revenue from awareness campaigns by channel",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "filters": [eq("objective", "awareness")]}),
        ),
        (
            "email revenue today",
            json!({"metrics": ["revenue"], "filters": [eq("channel", "email")], "time_range": rel("today")}),
        ),
        (
            "WhatsApp leads this week",
            json!({"metrics": ["leads"], "filters": [eq("channel", "whatsapp")], "time_range": rel("this_week")}),
        ),
        (
            "number of sales in the city of Medellín",
            json!({"metrics": ["sales_count"], "filters": [eq("city", "Medellín")]}),
        ),
        (
            "revenue on 2026-03-05",
            json!({"metrics": ["revenue"], "time_range": {"type": "absolute", "from": "2026-03-05", "to": "2026-03-05"}}),
        ),
        (
            "revenue between March 1 and March 15, 2026",
            json!({"metrics": ["revenue"], "time_range": {"type": "absolute", "from": "2026-03-01", "to": "2026-03-15"}}),
        ),
        (
            "top ten products by number of sales in 2025",
            json!({"metrics": ["sales_count"], "dimensions": ["product"], "time_range": {"type": "year", "year": 2025},
                   "order_by": desc("sales_count"), "limit": 10}),
        ),
        (
            "spend by client broken down by channel",
            json!({"metrics": ["spend"], "dimensions": ["client", "channel"]}),
        ),
        (
            "revenue in October 2025 by channel",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "time_range": {"type": "month", "month": 10, "year": 2025}}),
        ),
        (
            "revenue per market this year",
            json!({"metrics": ["revenue"], "dimensions": ["country"], "time_range": rel("this_year")}),
        ),
        (
            "conversion rate for Instagram and Meta last month",
            json!({"metrics": ["conversion_rate"], "dimensions": ["channel"],
                   "filters": [{"field": "channel", "op": "in", "value": ["instagram", "meta"]}], "time_range": rel("last_month")}),
        ),
        (
            "ROI of TecnoHogar vs the previous period",
            json!({"metrics": ["roi"], "filters": [eq("client", "cli_005")], "time_range": rel("this_month"),
                   "compare_to": "previous_period"}),
        ),
        (
            "revenue in the third quarter of 2026",
            json!({"metrics": ["revenue"], "time_range": {"type": "quarter", "quarter": 3, "year": 2026}}),
        ),
        (
            "weekly clicks from adwords in the last 3 months",
            json!({"metrics": ["clicks"], "dimensions": ["week"], "filters": [eq("channel", "google_ads")], "time_range": days(90)}),
        ),
        (
            "ROAS this quarter versus the same period last year by channel",
            json!({"metrics": ["roas"], "dimensions": ["channel"], "time_range": rel("this_quarter"),
                   "compare_to": "same_period_last_year"}),
        ),
        (
            "spend on organic",
            json!({"metrics": ["spend"], "filters": [eq("channel", "organic")]}),
        ),
        (
            "sms leads in the UK last week",
            json!({"metrics": ["leads"], "filters": [eq("country", "GB"), eq("channel", "sms")], "time_range": rel("last_week")}),
        ),
        (
            "influencer spend in the United States this year",
            json!({"metrics": ["spend"], "filters": [eq("country", "US"), eq("channel", "influencer")], "time_range": rel("this_year")}),
        ),
        (
            "website revenue year to date",
            json!({"metrics": ["revenue"], "filters": [eq("channel", "web")], "time_range": rel("this_year")}),
        ),
    ]
}

fn spanish_cases() -> Vec<(&'static str, Value)> {
    vec![
        (
            "¿Qué canal nos dio el mejor ROAS en México el trimestre pasado?",
            json!({"metrics": ["roas"], "dimensions": ["channel"], "filters": [eq("country", "MX")],
                   "time_range": rel("last_quarter"), "order_by": desc("roas"), "limit": 1}),
        ),
        (
            "ventas por canal el mes pasado",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "time_range": rel("last_month")}),
        ),
        (
            "las 5 campañas con más ventas este mes",
            json!({"metrics": ["revenue"], "dimensions": ["campaign"], "time_range": rel("this_month"),
                   "order_by": desc("revenue"), "limit": 5}),
        ),
        (
            "los 3 peores canales por ROAS este año",
            json!({"metrics": ["roas"], "dimensions": ["channel"], "time_range": rel("this_year"),
                   "order_by": asc("roas"), "limit": 3}),
        ),
        (
            "¿Cuántas ventas cerramos ayer?",
            json!({"metrics": ["sales_count"], "time_range": rel("yesterday")}),
        ),
        (
            "ticket promedio por producto el año pasado",
            json!({"metrics": ["aov"], "dimensions": ["product"], "time_range": rel("last_year")}),
        ),
        (
            "¿Cuánto gastamos en Facebook en los últimos 30 días?",
            json!({"metrics": ["spend"], "filters": [eq("channel", "meta")], "time_range": days(30)}),
        ),
        (
            "impresiones y alcance en TikTok esta semana",
            json!({"metrics": ["impressions", "reach"], "filters": [eq("channel", "tiktok")], "time_range": rel("this_week")}),
        ),
        (
            "clics por día en los últimos siete días",
            json!({"metrics": ["clicks"], "dimensions": ["day"], "time_range": days(7)}),
        ),
        (
            "conversiones por objetivo en 2025",
            json!({"metrics": ["conversions"], "dimensions": ["objective"], "time_range": {"type": "year", "year": 2025}}),
        ),
        (
            "prospectos de Google por ciudad en las últimas 2 semanas",
            json!({"metrics": ["leads"], "dimensions": ["city"], "filters": [eq("channel", "google_ads")], "time_range": days(14)}),
        ),
        (
            "CTR por semana en octubre",
            json!({"metrics": ["ctr"], "dimensions": ["week"], "time_range": {"type": "month", "month": 10, "year": null}}),
        ),
        (
            "costo por clic en LinkedIn en el tercer trimestre de 2026",
            json!({"metrics": ["cpc"], "filters": [eq("channel", "linkedin")], "time_range": {"type": "quarter", "quarter": 3, "year": 2026}}),
        ),
        (
            "CPA por campaña entre el 2026-03-01 y el 2026-03-15",
            json!({"metrics": ["cpa"], "dimensions": ["campaign"],
                   "time_range": {"type": "absolute", "from": "2026-03-01", "to": "2026-03-15"}}),
        ),
        (
            "costo por lead por cliente este trimestre",
            json!({"metrics": ["cpl"], "dimensions": ["client"], "time_range": rel("this_quarter")}),
        ),
        (
            "retorno de la inversión por trimestre en 2026",
            json!({"metrics": ["roi"], "dimensions": ["quarter"], "time_range": {"type": "year", "year": 2026}}),
        ),
        (
            "retorno de la inversión publicitaria por canal",
            json!({"metrics": ["roas"], "dimensions": ["channel"]}),
        ),
        (
            "ingresos mensuales en Colombia este año",
            json!({"metrics": ["revenue"], "dimensions": ["month"], "filters": [eq("country", "CO")], "time_range": rel("this_year")}),
        ),
        (
            "gasto anual por canal",
            json!({"metrics": ["spend"], "dimensions": ["year", "channel"]}),
        ),
        (
            "ventas de este mes comparado con el mes anterior",
            json!({"metrics": ["revenue"], "time_range": rel("this_month"), "compare_to": "previous_period"}),
        ),
        (
            "ventas del trimestre pasado comparado con el año pasado",
            json!({"metrics": ["revenue"], "time_range": rel("last_quarter"), "compare_to": "same_period_last_year"}),
        ),
        (
            "prospectos por canal, interanual",
            json!({"metrics": ["leads"], "dimensions": ["channel"], "time_range": rel("this_year"),
                   "compare_to": "same_period_last_year"}),
        ),
        (
            "facturación en Estados Unidos el año pasado",
            json!({"metrics": ["revenue"], "filters": [eq("country", "US")], "time_range": rel("last_year")}),
        ),
        (
            "ventas en EE.UU. en lo que va del año",
            json!({"metrics": ["revenue"], "filters": [eq("country", "US")], "time_range": rel("this_year")}),
        ),
        (
            "ingresos de Café Andino en 2025",
            json!({"metrics": ["revenue"], "filters": [eq("client", "cli_001")], "time_range": {"type": "year", "year": 2025}}),
        ),
        (
            "ROI de cafe andno por mes",
            json!({"metrics": ["roi"], "dimensions": ["month"], "filters": [eq("client", "cli_001")]}),
        ),
        (
            "ventas de la campaña Black Friday Sales 2025",
            json!({"metrics": ["revenue"], "filters": [{"field": "campaign", "op": "in", "value": ["cmp_00001", "cmp_00002"]}]}),
        ),
        (
            "número de ventas del producto Teeth Whitening en mayo de 2026",
            json!({"metrics": ["sales_count"], "filters": [eq("product", "prd_0002")],
                   "time_range": {"type": "month", "month": 5, "year": 2026}}),
        ),
        (
            "ventas por país sin México el mes pasado",
            json!({"metrics": ["revenue"], "dimensions": ["country"],
                   "filters": [{"field": "country", "op": "not_in", "value": ["MX"]}], "time_range": rel("last_month")}),
        ),
        (
            "ventas en España y Portugal",
            json!({"metrics": ["revenue"], "dimensions": ["country"],
                   "filters": [{"field": "country", "op": "in", "value": ["ES", "PT"]}]}),
        ),
        (
            "las 3 peores campañas por ROAS el mes pasado",
            json!({"metrics": ["roas"], "dimensions": ["campaign"], "time_range": rel("last_month"),
                   "order_by": asc("roas"), "limit": 3}),
        ),
        (
            "¿Cuál campaña tuvo el menor CPA el trimestre anterior?",
            json!({"metrics": ["cpa"], "dimensions": ["campaign"], "time_range": rel("last_quarter"),
                   "order_by": asc("cpa"), "limit": 1}),
        ),
        (
            "el mejor canal por CPL este año",
            json!({"metrics": ["cpl"], "dimensions": ["channel"], "time_range": rel("this_year"),
                   "order_by": asc("cpl"), "limit": 1}),
        ),
        (
            "campañas con ROAS mayor a 2 el mes pasado",
            json!({"metrics": ["roas"], "dimensions": ["campaign"],
                   "filters": [{"field": "roas", "op": "gt", "value": 2.0}], "time_range": rel("last_month")}),
        ),
        (
            "canales con CTR superior al 1,5 % este mes",
            json!({"metrics": ["ctr"], "dimensions": ["channel"],
                   "filters": [{"field": "ctr", "op": "gt", "value": 0.015}], "time_range": rel("this_month")}),
        ),
        (
            "ingresos de las campañas de reconocimiento por canal",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "filters": [eq("objective", "awareness")]}),
        ),
        (
            "ingresos por correo hoy",
            json!({"metrics": ["revenue"], "filters": [eq("channel", "email")], "time_range": rel("today")}),
        ),
        (
            "leads de whatsapp esta semana",
            json!({"metrics": ["leads"], "filters": [eq("channel", "whatsapp")], "time_range": rel("this_week")}),
        ),
        (
            "número de ventas en la ciudad de Medellín",
            json!({"metrics": ["sales_count"], "filters": [eq("city", "Medellín")]}),
        ),
        (
            "ventas del 1 al 15 de marzo de 2026",
            json!({"metrics": ["revenue"], "time_range": {"type": "absolute", "from": "2026-03-01", "to": "2026-03-15"}}),
        ),
        (
            "los diez mejores productos por número de ventas en 2025",
            json!({"metrics": ["sales_count"], "dimensions": ["product"], "time_range": {"type": "year", "year": 2025},
                   "order_by": desc("sales_count"), "limit": 10}),
        ),
        (
            "gasto por cliente desglosado por canal",
            json!({"metrics": ["spend"], "dimensions": ["client", "channel"]}),
        ),
        (
            "ingresos en octubre de 2025 por canal",
            json!({"metrics": ["revenue"], "dimensions": ["channel"], "time_range": {"type": "month", "month": 10, "year": 2025}}),
        ),
        (
            "tasa de conversión en Instagram y Meta el mes pasado",
            json!({"metrics": ["conversion_rate"], "dimensions": ["channel"],
                   "filters": [{"field": "channel", "op": "in", "value": ["instagram", "meta"]}], "time_range": rel("last_month")}),
        ),
        (
            "ROI de TecnoHogar frente al periodo anterior",
            json!({"metrics": ["roi"], "filters": [eq("client", "cli_005")], "time_range": rel("this_month"),
                   "compare_to": "previous_period"}),
        ),
        (
            "ventas semanales del T3 2026",
            json!({"metrics": ["revenue"], "dimensions": ["week"], "time_range": {"type": "quarter", "quarter": 3, "year": 2026}}),
        ),
        (
            "alcance por mercado el año pasado",
            json!({"metrics": ["reach"], "dimensions": ["country"], "time_range": rel("last_year")}),
        ),
        (
            "ventas de la semana pasada por ciudad",
            json!({"metrics": ["revenue"], "dimensions": ["city"], "time_range": rel("last_week")}),
        ),
        (
            "facturación de hoy en el sitio web",
            json!({"metrics": ["revenue"], "filters": [eq("channel", "web")], "time_range": rel("today")}),
        ),
        (
            "gasto en influenciadores en Perú este trimestre",
            json!({"metrics": ["spend"], "filters": [eq("country", "PE"), eq("channel", "influencer")], "time_range": rel("this_quarter")}),
        ),
        (
            "mensajes de texto: prospectos por semana este mes",
            json!({"metrics": ["leads"], "dimensions": ["week"], "filters": [eq("channel", "sms")], "time_range": rel("this_month")}),
        ),
        (
            "número de ventas del año 2025 en Reino Unido",
            json!({"metrics": ["sales_count"], "filters": [eq("country", "GB")], "time_range": {"type": "year", "year": 2025}}),
        ),
        (
            "inversión de las campañas de tráfico en Costa Rica los últimos 3 meses",
            json!({"metrics": ["spend"], "filters": [eq("country", "CR"), eq("objective", "traffic")], "time_range": days(90)}),
        ),
    ]
}

#[test]
fn english_questions_map_to_whole_specs() {
    let cases = english_cases();
    assert!(cases.len() >= 40);
    check(Language::En, &cases);
}

#[test]
fn spanish_questions_map_to_whole_specs() {
    let cases = spanish_cases();
    assert!(cases.len() >= 40);
    check(Language::Es, &cases);
}

#[test]
fn both_tables_cover_every_metric_and_dimension() {
    for (lang, cases) in [("en", english_cases()), ("es", spanish_cases())] {
        let specs: Vec<QuerySpec> = cases.iter().map(|(_, v)| spec(v)).collect();
        for m in Metric::ALL {
            assert!(
                specs.iter().any(|s| s.metrics.contains(m)),
                "{lang}: no question for metric {m}"
            );
        }
        for d in Dimension::ALL {
            let grouped = specs.iter().any(|s| s.dimensions.contains(d));
            let filtered = specs
                .iter()
                .any(|s| s.filters.iter().any(|f| f.field == d.as_str()));
            assert!(grouped, "{lang}: no question grouping by {d}");
            if !d.is_time() {
                assert!(filtered, "{lang}: no question filtering on {d}");
            }
        }
        let periods: Vec<RelativePeriod> = specs
            .iter()
            .filter_map(|s| match &s.time_range {
                Some(TimeRange::Relative { period }) => Some(*period),
                _ => None,
            })
            .collect();
        for p in RelativePeriod::ALL {
            assert!(periods.contains(p), "{lang}: no question for {p}");
        }
        let kinds = |pred: fn(&TimeRange) -> bool| {
            specs
                .iter()
                .any(|s| s.time_range.as_ref().is_some_and(pred))
        };
        assert!(
            kinds(|t| matches!(t, TimeRange::LastNDays { .. })),
            "{lang}: last N days"
        );
        assert!(
            kinds(|t| matches!(t, TimeRange::Month { year: None, .. })),
            "{lang}: bare month"
        );
        assert!(
            kinds(|t| matches!(t, TimeRange::Month { year: Some(_), .. })),
            "{lang}: month and year"
        );
        assert!(
            kinds(|t| matches!(t, TimeRange::Quarter { .. })),
            "{lang}: quarter"
        );
        assert!(
            kinds(|t| matches!(t, TimeRange::Year { .. })),
            "{lang}: year"
        );
        assert!(
            kinds(|t| matches!(t, TimeRange::Absolute { .. })),
            "{lang}: absolute range"
        );
        assert!(
            specs
                .iter()
                .any(|s| s.compare_to == Some(crate::domain::period::Compare::PreviousPeriod))
        );
        assert!(
            specs
                .iter()
                .any(|s| s.compare_to == Some(crate::domain::period::Compare::SamePeriodLastYear))
        );
        assert!(
            specs.iter().any(|s| s.limit.is_some_and(|l| l > 1)),
            "{lang}: top N"
        );
        assert!(
            specs.iter().any(|s| s.time_range.is_none()),
            "{lang}: all time"
        );
    }
}

#[test]
fn every_spec_of_the_tables_validates() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    for (q, v) in english_cases().into_iter().chain(spanish_cases()) {
        spec(&v)
            .validate(as_of)
            .unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

const MUST_REFUSE: &[&str] = &[
    "what's the weather in Bogotá",
    "hola",
    "delete all campaigns",
    "revenue by colour",
    "¿cuál es el sentido de la vida?",
    "write me a poem",
    "show me the top 2000 campaigns by revenue",
    "",
    "   ¿?  ",
    "ventas por signo zodiacal",
    "how many employees do we have",
    "borra todas las campañas",
    "escríbeme un poema",
    "revenue in Narnia last month",
    "ventas por color",
    "top 5 revenue last month",
    "revenue in October vs September",
    "ingresos de octubre comparado con septiembre",
    "revenue by month and by week",
    "spend by product",
    "revenue in Q3",
    "ventas del tercer trimestre",
    "revenue above 2",
    "how are you?",
    "¿cuántos empleados tenemos?",
    "los 0 mejores canales por ventas",
    "revenue of Vinos del Sur",
    "tell me a joke about sales",
    "what is our profit margin",
    "update the budget of Café Andino",
    "ROAS for the last 5000 days",
    "are sales up?",
    "revenue by hour",
    "ventas por vendedor",
];

#[test]
fn must_refuse_questions_are_not_guessed() {
    let names = idx();
    for q in MUST_REFUSE {
        let Err(e) = parse(q, &names) else {
            panic!("{q:?} should be refused: {:?}", parse(q, &names));
        };
        assert!(!e.reason.is_empty(), "{q:?}");
        assert!(
            (2..=3).contains(&e.suggestions.len()),
            "{q:?}: {:?}",
            e.suggestions
        );
        for s in &e.suggestions {
            let ok = parse(s, &NameIndex::default());
            assert!(
                ok.is_ok(),
                "suggestion {s:?} for {q:?} does not parse: {ok:?}"
            );
            assert_eq!(
                detect_language(s),
                e.language,
                "suggestion {s:?} for {q:?} is not in the question's language"
            );
        }
    }
}

#[test]
fn refusals_say_what_was_understood_and_why() {
    let names = idx();
    let e = parse("revenue by colour last month", &names).unwrap_err();
    assert!(
        e.reason.contains("colour") && e.reason.contains("channel"),
        "{}",
        e.reason
    );
    assert!(
        e.understood.contains(&"metric: revenue".to_owned()),
        "{:?}",
        e.understood
    );
    assert!(
        e.understood.contains(&"time: last month".to_owned()),
        "{:?}",
        e.understood
    );
    assert!(
        e.suggestions[0].starts_with("Revenue by channel last month"),
        "{:?}",
        e.suggestions
    );

    let e = parse("ventas por signo zodiacal", &names).unwrap_err();
    assert_eq!(e.language, Language::Es);
    assert!(
        e.reason.contains("signo zodiacal") && e.reason.contains("canal"),
        "{}",
        e.reason
    );
    assert!(
        e.suggestions
            .iter()
            .all(|s| s.to_lowercase().contains("ingresos")),
        "{:?}",
        e.suggestions
    );

    let e = parse("show me the top 2000 campaigns by revenue", &names).unwrap_err();
    assert!(
        e.reason.contains("1000") && e.reason.contains("2000"),
        "{}",
        e.reason
    );

    let e = parse("delete all campaigns", &names).unwrap_err();
    assert!(e.reason.contains("read-only"), "{}", e.reason);

    let e = parse("hola", &names).unwrap_err();
    assert_eq!(e.language, Language::Es);
    assert!(e.reason.contains("métrica"), "{}", e.reason);

    let e = parse("what's the weather in Bogotá", &names).unwrap_err();
    assert_eq!(e.language, Language::En);
    assert!(e.reason.contains("weather"), "{}", e.reason);

    let e = parse("revenue in Q3", &names).unwrap_err();
    assert!(e.reason.contains("year"), "{}", e.reason);

    let e = parse("spend by product", &names).unwrap_err();
    assert!(e.reason.contains("product"), "{}", e.reason);

    let e = parse("revenue of Vinos", &names).unwrap_err();
    assert!(e.reason.contains("Vinos"), "{}", e.reason);

    let e = parse("revenue in October vs September", &names).unwrap_err();
    assert!(e.reason.contains("previous period"), "{}", e.reason);
    assert_eq!(e.to_string().matches("Try:").count(), 1);
}

#[test]
fn suggestions_keep_the_metric_and_period_understood() {
    let e = parse("ROAS by zodiac sign in Q3 2026", &idx()).unwrap_err();
    assert!(
        e.suggestions
            .iter()
            .all(|s| s.contains("ROAS") && s.contains("Q3 2026")),
        "{:?}",
        e.suggestions
    );
    for s in &e.suggestions {
        let p = parse(s, &NameIndex::default()).unwrap();
        assert_eq!(p.spec.metrics, vec![Metric::Roas], "{s}");
    }
    let e = parse(
        "tasa de conversión por horóscopo el trimestre pasado",
        &idx(),
    )
    .unwrap_err();
    for s in &e.suggestions {
        let p = parse(s, &NameIndex::default()).unwrap();
        assert_eq!(p.spec.metrics, vec![Metric::ConversionRate], "{s}");
        assert_eq!(
            p.spec.time_range,
            Some(TimeRange::Relative {
                period: RelativePeriod::LastQuarter
            }),
            "{s}"
        );
    }
}

#[test]
fn longest_metric_synonym_wins() {
    let m = |q: &str| parse(q, &NameIndex::default()).unwrap().spec.metrics;
    assert_eq!(m("número de ventas"), vec![Metric::SalesCount]);
    assert_eq!(m("ventas"), vec![Metric::Revenue]);
    assert_eq!(m("retorno de la inversión"), vec![Metric::Roi]);
    assert_eq!(
        m("retorno de la inversión publicitaria"),
        vec![Metric::Roas]
    );
    assert_eq!(m("tasa de conversión"), vec![Metric::ConversionRate]);
    assert_eq!(m("conversiones"), vec![Metric::Conversions]);
    assert_eq!(m("cost per click"), vec![Metric::Cpc]);
    assert_eq!(m("cost"), vec![Metric::Spend]);
    assert_eq!(m("ticket promedio"), vec![Metric::Aov]);
    assert_eq!(
        m("facturación, gasto e inversión"),
        vec![Metric::Revenue, Metric::Spend]
    );
    assert_eq!(
        m("clics, alcance y prospectos"),
        vec![Metric::Clicks, Metric::Reach, Metric::Leads]
    );
}

#[test]
fn every_metric_label_reads_back_to_its_metric() {
    for m in Metric::ALL {
        for lang in [Language::En, Language::Es] {
            let label = metric_label(lang, *m);
            let p = parse(label, &NameIndex::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(p.spec.metrics, vec![*m], "{label}");
        }
    }
}

#[test]
fn every_dimension_synonym_groups() {
    for d in crate::domain::semantic::DIMENSIONS {
        for s in d.synonyms_en {
            let p = parse(&format!("revenue by {s}"), &NameIndex::default())
                .unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.spec.dimensions, vec![d.name], "by {s}");
        }
        for s in d.synonyms_es {
            let p = parse(&format!("ventas por {s}"), &NameIndex::default())
                .unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.spec.dimensions, vec![d.name], "por {s}");
        }
    }
}

#[test]
fn time_labels_read_back_to_the_same_range() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let mut ranges: Vec<TimeRange> = RelativePeriod::ALL
        .iter()
        .map(|p| TimeRange::Relative { period: *p })
        .collect();
    ranges.extend([
        TimeRange::LastNDays { days: 30 },
        TimeRange::LastNDays { days: 1 },
        TimeRange::Month {
            month: 10,
            year: None,
        },
        TimeRange::Month {
            month: 5,
            year: Some(2025),
        },
        TimeRange::Quarter {
            quarter: 1,
            year: 2026,
        },
        TimeRange::Quarter {
            quarter: 4,
            year: 2025,
        },
        TimeRange::Year { year: 2024 },
        TimeRange::Absolute {
            from: d("2026-03-01"),
            to: d("2026-03-15"),
        },
        TimeRange::Absolute {
            from: d("2026-03-05"),
            to: d("2026-03-05"),
        },
    ]);
    for t in &ranges {
        for (lang, metric) in [(Language::En, "revenue"), (Language::Es, "ingresos")] {
            let q = format!("{metric} {}", describe_time(lang, t));
            let p = parse(&q, &NameIndex::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert_eq!(p.spec.time_range.as_ref(), Some(t), "{q}");
        }
    }
}

#[test]
fn time_phrase_families_in_both_languages() {
    let t = |q: &str| {
        parse(q, &NameIndex::default())
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .spec
            .time_range
    };
    let r = |p| Some(TimeRange::Relative { period: p });
    use RelativePeriod::*;
    assert_eq!(t("revenue today"), r(Today));
    assert_eq!(t("ingresos de hoy"), r(Today));
    assert_eq!(t("ventas de ayer"), r(Yesterday));
    assert_eq!(t("ventas de la semana pasada"), r(LastWeek));
    assert_eq!(t("ventas del mes anterior"), r(LastMonth));
    assert_eq!(t("ventas del trimestre anterior"), r(LastQuarter));
    assert_eq!(t("ventas en lo que va del año"), r(ThisYear));
    assert_eq!(t("revenue year to date"), r(ThisYear));
    assert_eq!(t("revenue month to date"), r(ThisMonth));
    assert_eq!(
        t("revenue in the past 90 days"),
        Some(TimeRange::LastNDays { days: 90 })
    );
    assert_eq!(
        t("revenue 45 days"),
        Some(TimeRange::LastNDays { days: 45 })
    );
    assert_eq!(
        t("ventas de los últimos 10 días"),
        Some(TimeRange::LastNDays { days: 10 })
    );
    assert_eq!(
        t("revenue last 2 weeks"),
        Some(TimeRange::LastNDays { days: 14 })
    );
    assert_eq!(
        t("ventas de las últimas tres semanas"),
        Some(TimeRange::LastNDays { days: 21 })
    );
    assert_eq!(
        t("ventas de los últimos 6 meses"),
        Some(TimeRange::LastNDays { days: 180 })
    );
    assert_eq!(
        t("revenue in the last 12 months"),
        Some(TimeRange::LastNDays { days: 365 })
    );
    assert_eq!(
        t("revenue in may"),
        Some(TimeRange::Month {
            month: 5,
            year: None
        })
    );
    assert_eq!(
        t("ventas de octubre"),
        Some(TimeRange::Month {
            month: 10,
            year: None
        })
    );
    assert_eq!(
        t("ventas de octubre de 2025"),
        Some(TimeRange::Month {
            month: 10,
            year: Some(2025)
        })
    );
    assert_eq!(
        t("revenue 2025-10"),
        Some(TimeRange::Month {
            month: 10,
            year: Some(2025)
        })
    );
    let q = |quarter, year| Some(TimeRange::Quarter { quarter, year });
    assert_eq!(t("revenue Q3 2026"), q(3, 2026));
    assert_eq!(t("revenue in Q3-2026"), q(3, 2026));
    assert_eq!(t("revenue 2026 Q4"), q(4, 2026));
    assert_eq!(t("ventas T3 2026"), q(3, 2026));
    assert_eq!(t("ventas del 3er trimestre de 2026"), q(3, 2026));
    assert_eq!(t("ventas del primer trimestre del 2025"), q(1, 2025));
    assert_eq!(t("revenue in the second quarter of 2026"), q(2, 2026));
    assert_eq!(t("revenue in 2025"), Some(TimeRange::Year { year: 2025 }));
    assert_eq!(
        t("ventas del año 2024"),
        Some(TimeRange::Year { year: 2024 })
    );
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let abs = |a, b| {
        Some(TimeRange::Absolute {
            from: d(a),
            to: d(b),
        })
    };
    assert_eq!(
        t("revenue from 2026-03-01 to 2026-03-15"),
        abs("2026-03-01", "2026-03-15")
    );
    assert_eq!(
        t("ventas del 2026-03-01 al 2026-03-15"),
        abs("2026-03-01", "2026-03-15")
    );
    assert_eq!(
        t("ventas desde el 2026-03-01 hasta el 2026-03-15"),
        abs("2026-03-01", "2026-03-15")
    );
    assert_eq!(
        t("ventas entre el 1 de marzo y el 15 de marzo de 2026"),
        abs("2026-03-01", "2026-03-15")
    );
    assert_eq!(
        t("revenue from March 1 to 15 2026"),
        abs("2026-03-01", "2026-03-15")
    );
    assert_eq!(
        t("ventas del 5 de marzo de 2026"),
        abs("2026-03-05", "2026-03-05")
    );
    assert_eq!(t("revenue by channel"), None);
}

#[test]
fn parse_at_supplies_missing_years_only() {
    let as_of = NaiveDate::from_ymd_opt(2026, 5, 10);
    let p = parse_at("revenue in Q3", &NameIndex::default(), as_of).unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Quarter {
            quarter: 3,
            year: 2025
        })
    );
    assert!(
        p.understood.iter().any(|u| u.contains("Q3 2025")),
        "{:?}",
        p.understood
    );
    let p = parse_at("ventas del segundo trimestre", &NameIndex::default(), as_of).unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Quarter {
            quarter: 2,
            year: 2026
        })
    );
    let p = parse_at("ventas del 1 al 15 de marzo", &NameIndex::default(), as_of).unwrap();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Absolute {
            from: d("2026-03-01"),
            to: d("2026-03-15")
        })
    );
    let p = parse_at("revenue last month", &NameIndex::default(), as_of).unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::LastMonth
        })
    );
}

#[test]
fn comparison_words_do_not_set_the_range() {
    let p = parse("revenue this month vs last month", &NameIndex::default()).unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::ThisMonth
        })
    );
    let p = parse("revenue vs last month", &NameIndex::default()).unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::ThisMonth
        })
    );
    assert!(
        p.understood.iter().any(|u| u.contains("assumed")),
        "{:?}",
        p.understood
    );
    let p = parse(
        "ventas comparado con el periodo anterior",
        &NameIndex::default(),
    )
    .unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::ThisMonth
        })
    );
    assert!(
        p.understood.iter().any(|u| u.contains("assumed")),
        "{:?}",
        p.understood
    );
    let p = parse("spend vs last quarter", &NameIndex::default()).unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::ThisQuarter
        })
    );
    let p = parse(
        "ingresos del mes pasado contra el mismo periodo del año pasado",
        &NameIndex::default(),
    )
    .unwrap();
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::LastMonth
        })
    );
    assert_eq!(
        p.spec.compare_to,
        Some(crate::domain::period::Compare::SamePeriodLastYear)
    );
}

#[test]
fn channel_aliases_map_to_canonical_channels() {
    let cases = [
        ("revenue from facebook", "meta"),
        ("revenue from FB", "meta"),
        ("revenue from meta ads", "meta"),
        ("revenue from google", "google_ads"),
        ("revenue from google ads", "google_ads"),
        ("revenue from adwords", "google_ads"),
        ("revenue from search", "google_ads"),
        ("revenue from instagram", "instagram"),
        ("revenue from ig", "instagram"),
        ("revenue from tiktok", "tiktok"),
        ("revenue from linkedin", "linkedin"),
        ("revenue from email", "email"),
        ("revenue from e-mail", "email"),
        ("ventas por correo electrónico", "email"),
        ("ventas del mailing", "email"),
        ("leads from the newsletter", "email"),
        ("revenue from sms", "sms"),
        ("ventas por mensajes de texto", "sms"),
        ("revenue from whatsapp", "whatsapp"),
        ("revenue from wa", "whatsapp"),
        ("revenue from influencers", "influencer"),
        ("ventas por influenciadores", "influencer"),
        ("revenue from the website", "web"),
        ("ventas del sitio web", "web"),
        ("revenue from organic", "organic"),
        ("ventas orgánicas", "organic"),
        ("leads from SEO", "organic"),
    ];
    for (q, ch) in cases {
        let p = parse(q, &NameIndex::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(p.spec.filters.len(), 1, "{q}");
        assert_eq!(p.spec.filters[0].field, "channel", "{q}");
        assert_eq!(p.spec.filters[0].value, FilterValue::Text(ch.into()), "{q}");
        assert!(p.spec.dimensions.is_empty(), "{q}");
    }
}

#[test]
fn countries_in_both_languages_and_the_us_pronoun() {
    let country = |q: &str| {
        let p = parse(q, &NameIndex::default()).unwrap_or_else(|e| panic!("{q}: {e}"));
        p.spec
            .filters
            .iter()
            .find(|f| f.field == "country")
            .map(|f| f.value.clone())
    };
    let text = |c: &str| Some(FilterValue::Text(c.into()));
    assert_eq!(country("ventas en México"), text("MX"));
    assert_eq!(country("revenue in mexico"), text("MX"));
    assert_eq!(country("ventas en Estados Unidos"), text("US"));
    assert_eq!(country("revenue in the United States"), text("US"));
    assert_eq!(country("revenue in the USA"), text("US"));
    assert_eq!(country("ventas en EEUU"), text("US"));
    assert_eq!(country("ventas en EE UU"), text("US"));
    assert_eq!(country("revenue in Spain"), text("ES"));
    assert_eq!(country("ventas en España"), text("ES"));
    assert_eq!(country("ventas en espana"), text("ES"));
    assert_eq!(country("revenue in Germany"), text("DE"));
    assert_eq!(country("ventas en Alemania"), text("DE"));
    assert_eq!(country("ventas en Brasil"), text("BR"));
    assert_eq!(country("ventas en Costa Rica"), text("CR"));
    assert_eq!(country("ventas en República Dominicana"), text("DO"));
    assert_eq!(country("revenue in the UK"), text("GB"));
    assert_eq!(country("ventas en Reino Unido"), text("GB"));
    assert_eq!(country("revenue in CO"), text("CO"));
    assert_eq!(country("show us revenue"), None);
    assert_eq!(country("give us revenue for us"), None);
    assert_eq!(country("REVENUE FOR US"), None);
    assert_eq!(country("GIVE US REVENUE"), None);
    assert_eq!(country("REVENUE IN THE US"), text("US"));
    assert_eq!(country("VENTAS EN MÉXICO"), text("MX"));
}

#[test]
fn names_match_fuzzily_without_accents_and_by_id() {
    let filter = |q: &str| {
        let p = parse(q, &idx()).unwrap_or_else(|e| panic!("{q}: {e}"));
        p.spec.filters
    };
    let eqf = |f: &str, v: &str| {
        vec![spec(&json!({"metrics": ["revenue"], "filters": [eq(f, v)]})).filters[0].clone()]
    };
    assert_eq!(filter("revenue of cafe andino"), eqf("client", "cli_001"));
    assert_eq!(filter("revenue of CAFÉ ANDINO"), eqf("client", "cli_001"));
    assert_eq!(filter("revenue of Cafe Andno"), eqf("client", "cli_001"));
    assert_eq!(
        filter("revenue of clinica sonrisa dental"),
        eqf("client", "cli_002")
    );
    assert_eq!(
        filter("revenue of Clínica Sonrisa Dentl"),
        eqf("client", "cli_002")
    );
    assert_eq!(
        filter("revenue of Cerveceria Artesanal Patagnia"),
        eqf("client", "cli_015")
    );
    assert_eq!(filter("revenue of tecno hogar"), eqf("client", "cli_005"));
    assert_eq!(filter("revenue of tecnohogar"), eqf("client", "cli_005"));
    assert_eq!(filter("revenue for cli_014"), eqf("client", "cli_014"));
    assert_eq!(filter("revenue for prd_0001"), eqf("product", "prd_0001"));
    assert_eq!(
        filter("revenue for cmp_00042"),
        eqf("campaign", "cmp_00042")
    );
    assert_eq!(
        filter("revenue of origin coffee 500 g"),
        eqf("product", "prd_0001")
    );
    assert_eq!(filter("ventas de Smart TV 55"), eqf("product", "prd_0003"));
    assert_eq!(
        filter("leads of Holiday Lead Gen 2026"),
        vec![
            spec(&json!({"metrics": ["leads"], "filters": [eq("campaign", "cmp_00003")]})).filters
                [0]
            .clone()
        ]
    );
    // The most specific name wins over the partial one.
    assert_eq!(
        filter("revenue of Black Friday Awareness 2026"),
        eqf("campaign", "cmp_00006")
    );
    // Part of a name: every campaign containing it.
    let f = filter("revenue of black friday campaigns");
    assert_eq!(f[0].op, FilterOp::In);
    assert_eq!(
        f[0].value,
        FilterValue::List(vec![
            "cmp_00001".into(),
            "cmp_00002".into(),
            "cmp_00006".into()
        ])
    );
    // Words of a name are not read as metrics, objectives or years.
    let p = parse("spend of Spring Awareness 2026 last month", &idx()).unwrap();
    assert_eq!(p.spec.metrics, vec![Metric::Spend]);
    assert_eq!(p.spec.filters, eqf("campaign", "cmp_00004"));
    assert_eq!(
        p.spec.time_range,
        Some(TimeRange::Relative {
            period: RelativePeriod::LastMonth
        })
    );
    // A name may contain words that are refused elsewhere.
    let mut names = idx();
    names
        .products
        .push(("prd_0200".into(), "Drop Earrings".into()));
    let p = parse("revenue of Drop Earrings", &names).unwrap();
    assert_eq!(p.spec.filters, eqf("product", "prd_0200"));
    assert!(parse("drop the revenue table", &names).is_err());
    // A one-word name is not taken from an ordinary word.
    let mut names = idx();
    names.clients.push(("cli_099".into(), "Web".into()));
    let p = parse("revenue from web", &names).unwrap();
    assert_eq!(p.spec.filters[0].field, "channel");
}

#[test]
fn ambiguous_or_too_broad_names_are_refused() {
    let mut names = idx();
    names
        .products
        .push(("prd_0100".into(), "Paradise Pack".into()));
    let e = parse("revenue of paradise", &names).unwrap_err();
    assert!(
        e.reason.contains("paradise") && e.reason.contains("Paradise Pack"),
        "{}",
        e.reason
    );
    // A kind word settles it.
    let p = parse("revenue of the product paradise", &names).unwrap();
    assert_eq!(p.spec.filters[0].field, "product");
    let mut many = NameIndex::default();
    for i in 0..150 {
        many.campaigns
            .push((format!("cmp_{i:05}"), format!("Holiday Sales {}", 1900 + i)));
    }
    let e = parse("revenue of holiday campaigns", &many).unwrap_err();
    assert!(e.reason.contains("150"), "{}", e.reason);
}

#[test]
fn ranking_rules() {
    let p = |q: &str| {
        parse(q, &NameIndex::default())
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .spec
    };
    let s = p("top 5 channels by revenue");
    assert_eq!(
        (s.limit, s.order_by[0].direction),
        (Some(5), Direction::Desc)
    );
    let s = p("los 3 peores países por ventas");
    assert_eq!(
        (s.limit, s.order_by[0].direction),
        (Some(3), Direction::Asc)
    );
    let s = p("las tres mejores campañas por ROAS");
    assert_eq!(
        (s.limit, s.order_by[0].direction),
        (Some(3), Direction::Desc)
    );
    let s = p("worst 2 products by revenue");
    assert_eq!(
        (s.limit, s.order_by[0].direction),
        (Some(2), Direction::Asc)
    );
    let s = p("¿qué país tiene la mayor tasa de conversión?");
    assert_eq!(
        (s.limit, s.order_by[0].direction),
        (Some(1), Direction::Desc)
    );
    let s = p("¿qué producto tuvo las menores ventas?");
    assert_eq!(
        (s.limit, s.order_by[0].direction),
        (Some(1), Direction::Asc)
    );
    // Plural "which channels" ranks them all.
    let s = p("which channels had the highest ROAS");
    assert_eq!((s.limit, s.order_by[0].direction), (None, Direction::Desc));
    // Best of a cost is its lowest; "highest" stays literal.
    assert_eq!(
        p("best campaign by CPA").order_by[0].direction,
        Direction::Asc
    );
    assert_eq!(
        p("worst campaign by CPC").order_by[0].direction,
        Direction::Desc
    );
    assert_eq!(
        p("campaign with the highest CPA").order_by[0].direction,
        Direction::Desc
    );
    // The metric named with the cue decides the order.
    let s = p("revenue and ROAS of the top 5 campaigns by ROAS");
    assert_eq!(s.order_by[0].field, "roas");
    let s = p("revenue and spend of the top 5 campaigns");
    assert_eq!(s.order_by[0].field, "revenue");
    // "más" and a question word.
    let s = p("¿en qué mes vendimos más?");
    assert_eq!(
        (s.dimensions.clone(), s.limit),
        (vec![Dimension::Month], Some(1))
    );
    assert!(parse("top 5 revenue last month", &NameIndex::default()).is_err());
    assert!(parse("top 1001 campaigns by revenue", &NameIndex::default()).is_err());
    assert_eq!(p("top 1000 campaigns by revenue").limit, Some(1000));
}

#[test]
fn grouping_lists_and_limits() {
    let dims = |q: &str| {
        parse(q, &NameIndex::default())
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .spec
            .dimensions
    };
    assert_eq!(
        dims("ingresos por canal, país"),
        vec![Dimension::Channel, Dimension::Country]
    );
    assert_eq!(
        dims("revenue by channel and country"),
        vec![Dimension::Channel, Dimension::Country]
    );
    assert_eq!(dims("revenue for each campaign"), vec![Dimension::Campaign]);
    assert_eq!(dims("ventas según el canal"), vec![Dimension::Channel]);
    assert_eq!(
        dims("ventas por tipo de campaña"),
        vec![Dimension::Objective]
    );
    assert_eq!(dims("daily revenue"), vec![Dimension::Day]);
    assert_eq!(dims("ventas mes a mes"), vec![Dimension::Month]);
    assert_eq!(dims("revenue of our campaigns"), vec![]);
    let long = format!("revenue {}", "and spend ".repeat(60));
    let e = parse(&long, &NameIndex::default()).unwrap_err();
    assert!(e.reason.contains("too long"), "{}", e.reason);
}

#[test]
fn questions_without_dimension_return_one_row_specs() {
    let p = parse("total revenue", &NameIndex::default()).unwrap();
    assert!(p.spec.dimensions.is_empty() && p.spec.order_by.is_empty() && p.spec.limit.is_none());
    assert!(p.understood.contains(&"time: all time".to_owned()));
}

#[test]
fn understood_notes_are_short_and_complete() {
    let p = parse(
        "¿qué canal nos dio el mejor ROAS en México el trimestre pasado?",
        &idx(),
    )
    .unwrap();
    assert_eq!(
        p.understood,
        vec![
            "metric: roas",
            "group by: channel",
            "country: MX (México)",
            "time: last quarter",
            "order: roas descending, limit 1"
        ]
    );
    let p = parse("ROI de cafe andno", &idx()).unwrap();
    assert!(
        p.understood
            .contains(&"client: cli_001 (Café Andino), from 'cafe andno'".to_owned()),
        "{:?}",
        p.understood
    );
    let p = parse("leads de los últimos 3 meses", &idx()).unwrap();
    assert!(
        p.understood.iter().any(|u| u.contains("90 days")),
        "{:?}",
        p.understood
    );
}

#[test]
fn detects_the_language() {
    assert_eq!(
        detect_language("¿qué canal nos dio el mejor ROAS?"),
        Language::Es
    );
    assert_eq!(detect_language("ventas por canal"), Language::Es);
    assert_eq!(detect_language("hola"), Language::Es);
    assert_eq!(detect_language("revenue by channel"), Language::En);
    assert_eq!(
        detect_language("what's the weather in Bogotá"),
        Language::En
    );
    assert_eq!(detect_language("ROAS"), Language::En);
    assert_eq!(detect_language(""), Language::En);
    assert_eq!(serde_json::to_value(Language::Es).unwrap(), json!("es"));
}

#[test]
fn normalize_is_the_cache_key() {
    assert_eq!(
        normalize("¿Qué  canal, nos dio el MEJOR ROAS?"),
        "que canal nos dio el mejor roas"
    );
    assert_eq!(
        normalize("Ventas   en MÉXICO"),
        normalize("ventas en mexico")
    );
}

fn cols(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| (*s).to_owned()).collect()
}

fn answer(lang: Language, q: &str, c: &[&str], rows: Vec<Vec<Value>>) -> String {
    let p = parse(q, &idx()).unwrap_or_else(|e| panic!("{q}: {e}"));
    assert_eq!(p.language, lang, "{q}");
    answer_sentence(p.language, &p.spec, &cols(c), &rows, None)
}

#[test]
fn answers_name_the_winner_in_both_languages() {
    let rows = vec![
        vec![json!("meta"), json!(3.4166)],
        vec![json!("google_ads"), json!(2.1)],
    ];
    assert_eq!(
        answer(
            Language::En,
            "which channel gave us the best ROAS in Mexico last quarter",
            &["channel", "roas"],
            rows.clone()
        ),
        "Meta had the highest ROAS in Mexico last quarter: 3.42."
    );
    assert_eq!(
        answer(
            Language::Es,
            "¿qué canal nos dio el mejor ROAS en México el trimestre pasado?",
            &["channel", "roas"],
            rows
        ),
        "Meta tuvo el mayor ROAS en México el trimestre pasado: 3,42."
    );
    let rows = vec![vec![
        json!("cmp_00003"),
        json!("Holiday Lead Gen 2026"),
        json!("USD"),
        json!(12.5),
    ]];
    assert_eq!(
        answer(
            Language::En,
            "which campaign had the lowest CPA last month",
            &["campaign", "campaign_name", "currency", "cpa"],
            rows.clone()
        ),
        "Holiday Lead Gen 2026 had the lowest CPA last month: 12.50 USD."
    );
    assert_eq!(
        answer(
            Language::Es,
            "¿qué campaña tuvo el menor CPA el mes pasado?",
            &["campaign", "campaign_name", "currency", "cpa"],
            rows
        ),
        "Holiday Lead Gen 2026 tuvo el menor CPA el mes pasado: 12,50 USD."
    );
    let rows = vec![vec![json!("CO"), json!(1520)]];
    assert_eq!(
        answer(
            Language::Es,
            "¿qué país trajo más prospectos este año?",
            &["country", "leads"],
            rows.clone()
        ),
        "Colombia tuvo la mayor cantidad de leads este año: 1.520."
    );
    assert_eq!(
        answer(
            Language::En,
            "which country brought the most leads this year",
            &["country", "leads"],
            rows
        ),
        "Colombia had the most leads this year: 1,520."
    );
}

#[test]
fn answers_give_totals_in_both_languages() {
    let rows = vec![vec![json!("COP"), json!(1234567.0)]];
    assert_eq!(
        answer(
            Language::En,
            "revenue last month",
            &["currency", "revenue"],
            rows.clone()
        ),
        "Revenue last month was 1,234,567 COP."
    );
    assert_eq!(
        answer(
            Language::Es,
            "ingresos del mes pasado",
            &["currency", "revenue"],
            rows
        ),
        "Los ingresos del mes pasado fueron 1.234.567 COP."
    );
    let rows = vec![
        vec![json!("COP"), json!(1000.0)],
        vec![json!("USD"), json!(50.5)],
    ];
    assert_eq!(
        answer(
            Language::En,
            "revenue in Colombia this year",
            &["currency", "revenue"],
            rows.clone()
        ),
        "Revenue in Colombia this year was 1,000 COP and 50.50 USD."
    );
    assert_eq!(
        answer(
            Language::Es,
            "ventas en octubre de 2025",
            &["currency", "revenue"],
            rows
        ),
        "Los ingresos de octubre de 2025 fueron 1.000 COP y 50,50 USD."
    );
    let rows = vec![vec![json!(0.0342), json!(1200)]];
    assert_eq!(
        answer(
            Language::En,
            "CTR and clicks on TikTok",
            &["ctr", "clicks"],
            rows.clone()
        ),
        "CTR on TikTok (all time) was 3.42%; clicks were 1,200."
    );
    assert_eq!(
        answer(
            Language::Es,
            "CTR y clics en TikTok en los últimos 30 días",
            &["ctr", "clicks"],
            rows
        ),
        "El CTR de los últimos 30 días en TikTok fue 3,42 %; los clics fueron 1.200."
    );
    let rows = vec![vec![Value::Null]];
    assert_eq!(
        answer(Language::En, "ROAS today", &["roas"], rows),
        "ROAS today was n/a."
    );
}

#[test]
fn answers_mention_the_change() {
    let c = [
        "currency",
        "revenue",
        "revenue_previous",
        "revenue_change_pct",
    ];
    let rows = vec![vec![
        json!("USD"),
        json!(1123.0),
        json!(1000.0),
        json!(12.3),
    ]];
    assert_eq!(
        answer(
            Language::En,
            "revenue this month vs last month",
            &c,
            rows.clone()
        ),
        "Revenue this month was 1,123.00 USD, up 12.3% (+123.00 USD) vs the previous period."
    );
    assert_eq!(
        answer(
            Language::Es,
            "ingresos de este mes comparado con el mes anterior",
            &c,
            rows
        ),
        "Los ingresos de este mes fueron 1.123,00 USD, un 12,3 % más (+123,00 USD) que el periodo anterior."
    );
    let rows = vec![vec![
        json!("USD"),
        json!(900.0),
        json!(1000.0),
        json!(-10.0),
    ]];
    assert_eq!(
        answer(
            Language::En,
            "revenue last quarter compared to last year",
            &c,
            rows.clone()
        ),
        "Revenue last quarter was 900.00 USD, down 10.0% (-100.00 USD) vs the same period last year."
    );
    assert_eq!(
        answer(
            Language::Es,
            "ventas del trimestre pasado comparado con el año pasado",
            &c,
            rows
        ),
        "Los ingresos del trimestre pasado fueron 900,00 USD, un 10,0 % menos (-100,00 USD) que el mismo periodo del año anterior."
    );
    let rows = vec![vec![json!("USD"), json!(900.0), json!(0.0), Value::Null]];
    assert!(
        answer(Language::En, "revenue vs last month", &c, rows)
            .contains("no data for the previous period")
    );
    let rows = vec![
        vec![
            json!("meta"),
            json!("USD"),
            json!(500.0),
            json!(400.0),
            json!(25.0),
        ],
        vec![
            json!("tiktok"),
            json!("USD"),
            json!(300.0),
            json!(400.0),
            json!(-25.0),
        ],
    ];
    assert_eq!(
        answer(
            Language::En,
            "revenue by channel this month vs last month",
            &[
                "channel",
                "currency",
                "revenue",
                "revenue_previous",
                "revenue_change_pct"
            ],
            rows
        ),
        "Revenue by channel this month: Meta 500.00 USD, +25.0% and TikTok 300.00 USD, -25.0%."
    );
}

#[test]
fn answers_list_rankings_and_breakdowns() {
    let c = ["campaign", "campaign_name", "currency", "revenue"];
    let rows = vec![
        vec![
            json!("cmp_1"),
            json!("Black Friday"),
            json!("USD"),
            json!(5000.0),
        ],
        vec![json!("cmp_2"), json!("Spring"), json!("USD"), json!(4000.0)],
        vec![json!("cmp_3"), Value::Null, json!("USD"), json!(3000.0)],
    ];
    assert_eq!(
        answer(
            Language::En,
            "top 3 campaigns by revenue last month",
            &c,
            rows.clone()
        ),
        "Top 3 campaigns by revenue last month: Black Friday (5,000.00 USD), Spring (4,000.00 USD) and cmp_3 (3,000.00 USD)."
    );
    assert_eq!(
        answer(
            Language::Es,
            "las 3 campañas con más ingresos el mes pasado",
            &c,
            rows.clone()
        ),
        "Las 3 campañas con mayores ingresos el mes pasado: Black Friday (5.000,00 USD), Spring (4.000,00 USD) y cmp_3 (3.000,00 USD)."
    );
    assert_eq!(
        answer(
            Language::En,
            "bottom 3 campaigns by revenue",
            &c,
            rows.clone()
        ),
        "Bottom 3 campaigns by revenue: Black Friday (5,000.00 USD), Spring (4,000.00 USD) and cmp_3 (3,000.00 USD)."
    );
    let rows: Vec<Vec<Value>> = ["MX", "CO", "PE", "CL", "AR", "US", "ES"]
        .iter()
        .enumerate()
        .map(|(i, c)| vec![json!(c), json!(100 - i as i64)])
        .collect();
    assert_eq!(
        answer(
            Language::En,
            "leads by country",
            &["country", "leads"],
            rows.clone()
        ),
        "Leads by country: Mexico 100, Colombia 99, Peru 98, Chile 97, Argentina 96 and 2 more."
    );
    assert_eq!(
        answer(
            Language::Es,
            "prospectos por país",
            &["country", "leads"],
            rows
        ),
        "Leads por país: México 100, Colombia 99, Perú 98, Chile 97, Argentina 96 y 2 más."
    );
    let rows = vec![vec![
        json!("2026-01"),
        json!("USD"),
        json!(10.0),
        json!(2.0),
    ]];
    assert_eq!(
        answer(
            Language::En,
            "revenue and spend by month",
            &["month", "currency", "revenue", "spend"],
            rows
        ),
        "Revenue and spend by month: 2026-01 (revenue 10.00 USD, spend 2.00 USD)."
    );
    let rows = vec![
        vec![json!("meta"), json!(0.05)],
        vec![json!("organic"), json!(0.02)],
    ];
    assert_eq!(
        answer(
            Language::Es,
            "tasa de conversión por canal",
            &["channel", "conversion_rate"],
            rows
        ),
        "Tasa de conversión por canal: Meta 5,00 % y Orgánico 2,00 %."
    );
}

#[test]
fn answers_say_when_nothing_matched() {
    assert_eq!(
        answer(
            Language::En,
            "revenue by channel in Mexico last month",
            &["channel", "revenue"],
            vec![]
        ),
        "No data matched revenue by channel in Mexico last month."
    );
    assert_eq!(
        answer(
            Language::Es,
            "ingresos por canal en México el mes pasado",
            &["channel", "revenue"],
            vec![]
        ),
        "No hay datos para ingresos por canal en México el mes pasado."
    );
}

#[test]
fn answers_use_the_time_label_given() {
    let p = parse("revenue last month", &idx()).unwrap();
    let s = answer_sentence(
        Language::En,
        &p.spec,
        &cols(&["currency", "revenue"]),
        &[vec![json!("USD"), json!(1.0)]],
        Some("in October 2026"),
    );
    assert_eq!(s, "Revenue in October 2026 was 1.00 USD.");
    let dates = Some("2026-10-01 – 2026-10-31");
    let s = answer_sentence(
        Language::En,
        &p.spec,
        &cols(&["currency", "revenue"]),
        &[vec![json!("USD"), json!(1.0)]],
        dates,
    );
    assert_eq!(s, "Revenue for 2026-10-01 – 2026-10-31 was 1.00 USD.");
    let s = answer_sentence(
        Language::Es,
        &p.spec,
        &cols(&["currency", "revenue"]),
        &[vec![json!("USD"), json!(1.0)]],
        dates,
    );
    assert_eq!(
        s,
        "Los ingresos de 2026-10-01 – 2026-10-31 fueron 1,00 USD."
    );
}

#[test]
fn a_large_catalogue_still_finds_the_one_name() {
    let mut names = NameIndex::default();
    for i in 0..3000 {
        names.campaigns.push((
            format!("cmp_{i:05}"),
            format!("Campaign Number {i} Awareness"),
        ));
    }
    for i in 0..300 {
        names
            .clients
            .push((format!("cli_{i:03}"), format!("Client Company {i}")));
    }
    for i in 0..1000 {
        names
            .products
            .push((format!("prd_{i:04}"), format!("Product Item {i}")));
    }
    let start = std::time::Instant::now();
    let p = parse(
        "revenue of Campaign Number 1234 Awareness by channel last month",
        &names,
    )
    .unwrap();
    assert_eq!(
        p.spec.filters[0].value,
        FilterValue::Text("cmp_01234".into())
    );
    // Generous bound for unoptimised test builds on a slow machine.
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
}
