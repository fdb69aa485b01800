//! Reports on demand: "send me the weekly report" / "informe semanal" → the `weekly-report` recipe; a month's report → `analytics.report` for that period — in the person's language.

use serde_json::{Map, Value, json};

use super::lang::{explicit_lang, has_any, starts_with_any};
use super::{Cx, Missing, Plan, resolve_client};

const REPORT_WORDS: &[&str] = &[
    "report",
    "reports",
    "reporte",
    "reportes",
    "informe",
    "informes",
    "resumen semanal",
    "resumen mensual",
    "weekly summary",
    "monthly summary",
];

/// Verbs of asking for something (a report is asked for, not asked about).
const ASKING: &[&str] = &[
    "send",
    "give",
    "show",
    "get",
    "generate",
    "prepare",
    "make",
    "run",
    "create",
    "email",
    "share",
    "envia",
    "enviame",
    "manda",
    "mandame",
    "dame",
    "muestra",
    "muestrame",
    "genera",
    "generame",
    "prepara",
    "preparame",
    "haz",
    "hazme",
    "saca",
    "sacame",
    "pasame",
    "comparte",
    "crea",
    "quiero",
    "necesito",
    "the",
    "el",
    "la",
    "my",
    "mi",
    "weekly",
    "monthly",
    "informe",
    "reporte",
    "report",
];

/// A report asked for: the word report/informe, with the instruction
/// opening by asking for it (or being only that: "informe semanal").
pub(super) fn is_report(f: &str, head: &str) -> bool {
    has_any(f, REPORT_WORDS) && (starts_with_any(head, ASKING) || f.split_whitespace().count() <= 4)
}

/// Which period: this or last month → `analytics.report` for it; anything
/// else (weekly, the default) → the `weekly-report` recipe.
fn month_period(f: &str) -> Option<&'static str> {
    if has_any(
        f,
        &["this month", "este mes", "mes actual", "month to date"],
    ) {
        Some("this_month")
    } else if has_any(
        f,
        &[
            "monthly",
            "mensual",
            "last month",
            "mes pasado",
            "ultimo mes",
            "previous month",
            "mes anterior",
        ],
    ) {
        Some("last_month")
    } else {
        None
    }
}

pub(super) fn plan(cx: &Cx) -> Plan {
    let mut m = Missing::new(cx.lang);
    let mut args = Map::new();
    if let Some(c) = resolve_client(cx, &mut m, None) {
        args.insert("client_id".into(), json!(c.id));
    }
    args.insert(
        "language".into(),
        json!(explicit_lang(cx.f).unwrap_or(cx.lang).code()),
    );
    let partial = match month_period(cx.f) {
        Some(period) => {
            args.insert(
                "time_range".into(),
                json!({"type": "relative", "period": period}),
            );
            Plan::Call {
                tool: "analytics.report".into(),
                args: Value::Object(args),
            }
        }
        None => Plan::Recipe {
            recipe: "weekly-report".into(),
            params: Value::Object(args),
        },
    };
    m.finish(partial)
}
