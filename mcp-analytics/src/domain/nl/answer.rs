//! One sentence in the question's language summarising a result: totals,
//! the winner of a ranking, or the first rows of a breakdown, with numbers
//! formatted the English or the Spanish way.

use promptsales_shared::domain::Channel;
use serde_json::Value;

use super::lexicon::{channel_display, country_display};
use super::time::{describe_compare, describe_time};
use super::{Language, NameIndex, per_currency};
use crate::domain::period::Compare;
use crate::domain::semantic::{Dimension, Metric, Unit};
use crate::domain::spec::{Direction, Field, FilterOp, FilterValue, QuerySpec};

/// Rows listed in a sentence before "and N more".
const LISTED: usize = 5;

/// A metric as a sentence names it ("revenue", "ingresos", "ROAS"). The
/// parser reads every label back to its metric.
pub fn metric_label(language: Language, m: Metric) -> &'static str {
    match (language, m) {
        (Language::En, Metric::Revenue) => "revenue",
        (Language::En, Metric::SalesCount) => "number of sales",
        (Language::En, Metric::Aov) => "average order value",
        (Language::En, Metric::Spend) => "spend",
        (Language::En, Metric::Impressions) => "impressions",
        (Language::En, Metric::Reach) => "reach",
        (Language::En, Metric::Clicks) => "clicks",
        (Language::En, Metric::Conversions) => "conversions",
        (Language::En, Metric::Leads) => "leads",
        (Language::En, Metric::Ctr) => "CTR",
        (Language::En, Metric::Cpc) => "CPC",
        (Language::En, Metric::Cpa) => "CPA",
        (Language::En, Metric::Cpl) => "CPL",
        (Language::En, Metric::ConversionRate) => "conversion rate",
        (Language::En, Metric::Roas) => "ROAS",
        (Language::En, Metric::Roi) => "ROI",
        (Language::Es, Metric::Revenue) => "ingresos",
        (Language::Es, Metric::SalesCount) => "número de ventas",
        (Language::Es, Metric::Aov) => "ticket promedio",
        (Language::Es, Metric::Spend) => "gasto",
        (Language::Es, Metric::Impressions) => "impresiones",
        (Language::Es, Metric::Reach) => "alcance",
        (Language::Es, Metric::Clicks) => "clics",
        (Language::Es, Metric::Conversions) => "conversiones",
        (Language::Es, Metric::Leads) => "leads",
        (Language::Es, Metric::Ctr) => "CTR",
        (Language::Es, Metric::Cpc) => "CPC",
        (Language::Es, Metric::Cpa) => "CPA",
        (Language::Es, Metric::Cpl) => "CPL",
        (Language::Es, Metric::ConversionRate) => "tasa de conversión",
        (Language::Es, Metric::Roas) => "ROAS",
        (Language::Es, Metric::Roi) => "ROI",
    }
}

/// Spanish grammar of a metric noun: (feminine, plural).
fn es_gender(m: Metric) -> (bool, bool) {
    match m {
        Metric::Revenue | Metric::Clicks | Metric::Leads => (false, true),
        Metric::Impressions | Metric::Conversions => (true, true),
        Metric::ConversionRate => (true, false),
        _ => (false, false),
    }
}

fn es_article(m: Metric) -> &'static str {
    match es_gender(m) {
        (false, false) => "el",
        (true, false) => "la",
        (false, true) => "los",
        (true, true) => "las",
    }
}

fn en_plural(m: Metric) -> bool {
    matches!(
        m,
        Metric::Impressions | Metric::Clicks | Metric::Conversions | Metric::Leads
    )
}

fn dim_noun(language: Language, d: Dimension, plural: bool) -> &'static str {
    let (en, en_pl, es, es_pl) = match d {
        Dimension::Campaign => ("campaign", "campaigns", "campaña", "campañas"),
        Dimension::Client => ("client", "clients", "cliente", "clientes"),
        Dimension::Channel => ("channel", "channels", "canal", "canales"),
        Dimension::Country => ("country", "countries", "país", "países"),
        Dimension::City => ("city", "cities", "ciudad", "ciudades"),
        Dimension::Product => ("product", "products", "producto", "productos"),
        Dimension::Objective => ("objective", "objectives", "objetivo", "objetivos"),
        Dimension::Day => ("day", "days", "día", "días"),
        Dimension::Week => ("week", "weeks", "semana", "semanas"),
        Dimension::Month => ("month", "months", "mes", "meses"),
        Dimension::Quarter => ("quarter", "quarters", "trimestre", "trimestres"),
        Dimension::Year => ("year", "years", "año", "años"),
    };
    match (language, plural) {
        (Language::En, false) => en,
        (Language::En, true) => en_pl,
        (Language::Es, false) => es,
        (Language::Es, true) => es_pl,
    }
}

fn es_dim_feminine(d: Dimension) -> bool {
    matches!(d, Dimension::Campaign | Dimension::City | Dimension::Week)
}

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `v` with `decimals` decimals and thousands grouped: 1,234.50 / 1.234,50.
pub fn format_number(language: Language, v: f64, decimals: usize) -> String {
    let (group, point) = match language {
        Language::En => (',', '.'),
        Language::Es => ('.', ','),
    };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

fn percent(language: Language, v: f64, decimals: usize) -> String {
    match language {
        Language::En => format!("{}%", format_number(language, v, decimals)),
        Language::Es => format!("{} %", format_number(language, v, decimals)),
    }
}

/// A metric value for a sentence: money in its currency's decimals, counts
/// whole, ratios (CTR, conversion rate) as percentages, ROAS/ROI with two
/// decimals.
pub(super) fn format_metric(
    language: Language,
    m: Metric,
    v: &Value,
    currency: Option<&str>,
) -> String {
    let Some(x) = v.as_f64() else {
        return match language {
            Language::En => "n/a".into(),
            Language::Es => "sin dato".into(),
        };
    };
    match m.def().format {
        // ISO 4217 minor units decide the decimals: CLP, JPY, KRW (and
        // COP, whose centavos do not circulate) show none.
        "money" => match currency {
            Some(c) => {
                let decimals = promptsales_shared::domain::Currency::parse(c).map_or(2, |c| {
                    promptsales_shared::domain::display_decimals(c) as usize
                });
                format!("{} {c}", format_number(language, x, decimals))
            }
            None => format_number(language, x, 2),
        },
        "integer" => format_number(language, x, 0),
        "percent" => percent(language, x * 100.0, 2),
        _ => format_number(language, x, 2),
    }
}

struct Table<'a> {
    columns: &'a [String],
}

impl Table<'_> {
    fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    fn cell<'r>(&self, row: &'r [Value], name: &str) -> Option<&'r Value> {
        self.col(name).and_then(|i| row.get(i))
    }

    fn currency<'r>(&self, row: &'r [Value]) -> Option<&'r str> {
        self.cell(row, "currency").and_then(Value::as_str)
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn dim_value(language: Language, t: &Table<'_>, row: &[Value], d: Dimension) -> String {
    let es = language == Language::Es;
    let Some(v) = t.cell(row, d.as_str()) else {
        return String::new();
    };
    if v.is_null() {
        return missing_member(language, d).to_owned();
    }
    let named = |col: &str| {
        t.cell(row, col)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match d {
        Dimension::Campaign => named("campaign_name").unwrap_or_else(|| text_of(v)),
        Dimension::Client => named("client_name").unwrap_or_else(|| text_of(v)),
        Dimension::Product => named("product_name").unwrap_or_else(|| text_of(v)),
        Dimension::Country => v
            .as_str()
            .map(|c| country_display(c, es))
            .unwrap_or_else(|| text_of(v)),
        Dimension::Channel => v
            .as_str()
            .and_then(|c| Channel::parse(c).ok())
            .map(|c| channel_display(c, es).to_owned())
            .unwrap_or_else(|| text_of(v)),
        Dimension::Objective => match (language, v.as_str()) {
            (Language::Es, Some("awareness")) => "reconocimiento".into(),
            (Language::Es, Some("traffic")) => "tráfico".into(),
            (Language::Es, Some("sales")) => "ventas".into(),
            _ => text_of(v),
        },
        _ => text_of(v),
    }
}

/// What a row without a member of `d` is called: rows of facts with no
/// campaign (organic sales, leads from a form) are a group of their own.
fn missing_member(language: Language, d: Dimension) -> &'static str {
    match (language, d) {
        (Language::En, Dimension::Campaign) => "no campaign",
        (Language::Es, Dimension::Campaign) => "sin campaña",
        (Language::En, Dimension::Product) => "no product",
        (Language::Es, Dimension::Product) => "sin producto",
        (Language::En, Dimension::City) => "no city",
        (Language::Es, Dimension::City) => "sin ciudad",
        (Language::En, Dimension::Objective) => "no objective (no campaign)",
        (Language::Es, Dimension::Objective) => "sin objetivo (sin campaña)",
        (Language::En, _) => "not recorded",
        (Language::Es, _) => "sin dato",
    }
}

/// "up 12.3% (+1,234.00 USD) vs the previous period" / "un 12,3 % más
/// (+1.234,00 USD) que el periodo anterior": the change in percent and,
/// when known, in the metric's own units.
fn change(
    language: Language,
    compare: Compare,
    v: Option<&Value>,
    abs: Option<String>,
) -> Option<String> {
    let v = v?;
    let abs = abs.map(|a| format!(" ({a})")).unwrap_or_default();
    let what = describe_compare(language, compare);
    Some(match (language, v.as_f64()) {
        (Language::En, None) => format!("with no data for {what} to compare"),
        (Language::Es, None) => format!("sin datos de {what} para comparar"),
        (Language::En, Some(x)) if x > 0.0 => {
            format!("up {}{abs} vs {what}", percent(language, x, 1))
        }
        (Language::En, Some(x)) if x < 0.0 => {
            format!("down {}{abs} vs {what}", percent(language, -x, 1))
        }
        (Language::En, Some(_)) => format!("unchanged vs {what}"),
        (Language::Es, Some(x)) if x > 0.0 => {
            format!("un {} más{abs} que {what}", percent(language, x, 1))
        }
        (Language::Es, Some(x)) if x < 0.0 => {
            format!("un {} menos{abs} que {what}", percent(language, -x, 1))
        }
        (Language::Es, Some(_)) => {
            let what = what.strip_prefix("el ").unwrap_or(what);
            format!("sin cambios respecto al {what}")
        }
    })
}

/// A short signed change for lists: "+12.3%".
fn short_change(language: Language, v: Option<&Value>) -> Option<String> {
    let x = v?.as_f64()?;
    let sign = if x > 0.0 {
        "+"
    } else if x < 0.0 {
        "-"
    } else {
        "±"
    };
    Some(format!("{sign}{}", percent(language, x.abs(), 1)))
}

/// Places, channels, objectives, cities and the clients, campaigns and
/// products filtered on (by name), as words of a sentence.
fn filters_phrase(language: Language, spec: &QuerySpec, names: &NameIndex) -> String {
    let name_of = |list: &[(String, String)], id: &str| {
        list.iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
    };
    let es = language == Language::Es;
    let and = if es { " y " } else { " and " };
    let mut out = String::new();
    for f in &spec.filters {
        let values: Vec<String> = match &f.value {
            FilterValue::Text(t) => vec![t.clone()],
            FilterValue::List(l) => l.clone(),
            FilterValue::Number(_) => continue,
        };
        let shown: Vec<String> = match f.field.as_str() {
            "country" => values.iter().map(|c| country_display(c, es)).collect(),
            "channel" => values
                .iter()
                .map(|c| {
                    Channel::parse(c)
                        .map(|c| channel_display(c, es).to_owned())
                        .unwrap_or_else(|_| c.clone())
                })
                .collect(),
            "objective" | "city" => values.clone(),
            "client" => values.iter().map(|v| name_of(&names.clients, v)).collect(),
            "campaign" => values
                .iter()
                .map(|v| name_of(&names.campaigns, v))
                .collect(),
            "product" => values.iter().map(|v| name_of(&names.products, v)).collect(),
            _ => continue,
        };
        let list = shown.join(and);
        let negate = f.op == FilterOp::NotIn;
        let piece = match (f.field.as_str(), language, negate) {
            ("country", Language::En, false) => format!(" in {list}"),
            ("country", Language::En, true) => format!(" outside {list}"),
            ("country", Language::Es, false) => format!(" en {list}"),
            ("country", Language::Es, true) => format!(" fuera de {list}"),
            ("channel", Language::En, false) => format!(" on {list}"),
            ("channel", Language::En, true) => format!(" excluding {list}"),
            ("channel", Language::Es, false) => format!(" en {list}"),
            ("channel", Language::Es, true) => format!(" sin {list}"),
            ("city", Language::En, false) => format!(" in {list}"),
            ("city", Language::En, true) => format!(" outside {list}"),
            ("city", Language::Es, false) => format!(" en {list}"),
            ("city", Language::Es, true) => format!(" fuera de {list}"),
            ("client", Language::En, false) => format!(" for {list}"),
            ("client", Language::En, true) => format!(" excluding {list}"),
            ("client", Language::Es, false) => format!(" de {list}"),
            ("client", Language::Es, true) => format!(" sin {list}"),
            ("campaign", Language::En, false) => format!(" for the campaign {list}"),
            ("campaign", Language::En, true) => format!(" excluding the campaign {list}"),
            ("campaign", Language::Es, false) => format!(" de la campaña {list}"),
            ("campaign", Language::Es, true) => format!(" sin la campaña {list}"),
            ("product", Language::En, false) => format!(" for {list}"),
            ("product", Language::En, true) => format!(" excluding {list}"),
            ("product", Language::Es, false) => format!(" de {list}"),
            ("product", Language::Es, true) => format!(" sin {list}"),
            (_, Language::En, _) => format!(" for {list} campaigns"),
            (_, Language::Es, _) => format!(" en campañas de {list}"),
        };
        out.push_str(&piece);
    }
    out
}

/// "el mes pasado" → "del mes pasado", "en octubre" → "de octubre".
fn es_of_time(label: &str) -> String {
    let l = label.strip_prefix("en ").unwrap_or(label);
    if let Some(rest) = l.strip_prefix("el ") {
        format!("del {rest}")
    } else if l.starts_with("entre ") {
        l.to_owned()
    } else {
        format!("de {l}")
    }
}

fn join_list(language: Language, items: &[String], more: usize) -> String {
    let (and, more_word) = match language {
        Language::En => (" and ", "more"),
        Language::Es => (" y ", "más"),
    };
    if more > 0 {
        return format!("{}{and}{more} {more_word}", items.join(", "));
    }
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{and}{last}", init.join(", ")),
    }
}

/// One sentence in `language` summarising the first rows of a result.
/// `columns` are canonical names; a `currency` column and `*_name` columns
/// are used when present; `<metric>_change_pct` columns are mentioned.
/// Without `time_label` the spec's time range is described.
pub fn answer_sentence(
    language: Language,
    spec: &QuerySpec,
    columns: &[String],
    rows: &[Vec<Value>],
    time_label: Option<&str>,
) -> String {
    answer_sentence_named(
        language,
        spec,
        columns,
        rows,
        time_label,
        &NameIndex::default(),
    )
}

/// [`answer_sentence`] naming the clients, campaigns and products filtered
/// on from `names` instead of by id.
pub fn answer_sentence_named(
    language: Language,
    spec: &QuerySpec,
    columns: &[String],
    rows: &[Vec<Value>],
    time_label: Option<&str>,
    names: &NameIndex,
) -> String {
    let s = sentence(language, spec, columns, rows, time_label, names);
    if !unknown_across_currencies(spec, &Table { columns }, rows) {
        return s;
    }
    let hint = match language {
        Language::En => {
            " Where a group spent in several currencies its cost per lead or sale is n/a: \
             ask in one currency (e.g. \"in USD\") to get it."
        }
        Language::Es => {
            " Donde un grupo gastó en varias monedas su costo por lead o por venta queda sin \
             dato: pregunta en una moneda (p. ej. «en USD») para obtenerlo."
        }
    };
    format!("{s}{hint}")
}

/// Whether a money metric is null because its group's amounts are in
/// several currencies (the group's rows repeat with different currencies
/// and counts of the other fact are not known per currency).
fn unknown_across_currencies(spec: &QuerySpec, t: &Table<'_>, rows: &[Vec<Value>]) -> bool {
    if spec.currency.is_some() {
        return false;
    }
    let group = |r: &[Value]| -> String {
        spec.dimensions
            .iter()
            .map(|d| {
                t.cell(r, d.as_str())
                    .map(Value::to_string)
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\u{1f}")
    };
    let mut currencies: std::collections::HashMap<
        String,
        std::collections::BTreeSet<Option<&str>>,
    > = std::collections::HashMap::new();
    for r in rows {
        currencies
            .entry(group(r))
            .or_default()
            .insert(t.currency(r));
    }
    rows.iter().any(|r| {
        currencies.get(&group(r)).is_some_and(|c| c.len() > 1)
            && spec.metrics.iter().any(|m| {
                crate::query::needs_currency(&[*m])
                    && t.cell(r, m.as_str()).is_some_and(Value::is_null)
            })
    })
}

fn sentence(
    language: Language,
    spec: &QuerySpec,
    columns: &[String],
    rows: &[Vec<Value>],
    time_label: Option<&str>,
    names: &NameIndex,
) -> String {
    let t = Table { columns };
    let es = language == Language::Es;
    // A bare date label ("2026-07-01 – 2026-09-30") gets a preposition.
    let time = time_label
        .map(|l| match language {
            _ if !l.starts_with(|c: char| c.is_ascii_digit()) => l.to_owned(),
            Language::En => format!("for {l}"),
            Language::Es => format!("en {l}"),
        })
        .or_else(|| spec.time_range.as_ref().map(|r| describe_time(language, r)));
    let time_sp = time.as_ref().map(|s| format!(" {s}")).unwrap_or_default();
    let filters = filters_phrase(language, spec, names);
    let labels: Vec<String> = spec
        .metrics
        .iter()
        .map(|m| metric_label(language, *m).to_owned())
        .collect();
    let and = if es { " y " } else { " and " };
    let dims = &spec.dimensions;
    let by = if dims.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = dims.iter().map(|d| dim_noun(language, *d, false)).collect();
        format!(" {} {}", if es { "por" } else { "by" }, names.join(and))
    };
    let Some(&first_metric) = spec.metrics.first() else {
        return String::new();
    };

    if rows.is_empty() {
        return match language {
            Language::En => format!(
                "No data matched {}{by}{filters}{time_sp}.",
                labels.join(and)
            ),
            Language::Es => format!(
                "No hay datos para {}{by}{filters}{time_sp}.",
                labels.join(and)
            ),
        };
    }

    let value = |row: &[Value], m: Metric| {
        let v = t.cell(row, m.as_str()).unwrap_or(&Value::Null);
        format_metric(language, m, v, t.currency(row))
    };
    let change_cell = |row: &'_ [Value], m: Metric| -> Option<Value> {
        t.cell(row, &format!("{}_change_pct", m.as_str())).cloned()
    };
    // The change in the metric's own units: "+1,234.00 USD".
    let abs_change = |row: &'_ [Value], m: Metric| -> Option<String> {
        let now = t.cell(row, m.as_str())?.as_f64()?;
        let before = t.cell(row, &format!("{}_previous", m.as_str()))?.as_f64()?;
        let d = now - before;
        let sign = if d < 0.0 { "-" } else { "+" };
        let shown = format_metric(language, m, &Value::from(d.abs()), t.currency(row));
        Some(format!("{sign}{shown}"))
    };

    // Totals: one row per currency.
    if dims.is_empty() {
        let mut parts = Vec::new();
        for (i, m) in spec.metrics.iter().enumerate() {
            let values: Vec<String> = rows.iter().map(|r| value(r, *m)).collect();
            let mut v = join_list(language, &values, 0);
            if let (Some(c), [row]) = (spec.compare_to, rows)
                && let Some(ch) = change(
                    language,
                    c,
                    change_cell(row, *m).as_ref(),
                    abs_change(row, *m),
                )
            {
                v = format!("{v}, {ch}");
            }
            let label = metric_label(language, *m);
            let part = match (language, i) {
                (Language::En, 0) => {
                    let subject = match &time {
                        Some(s) => format!("{}{filters} {s}", capitalize(label)),
                        None => format!("{}{filters} (all time)", capitalize(label)),
                    };
                    format!(
                        "{subject} {} {v}",
                        if en_plural(*m) { "were" } else { "was" }
                    )
                }
                (Language::En, _) => {
                    format!("{label} {} {v}", if en_plural(*m) { "were" } else { "was" })
                }
                (Language::Es, i) => {
                    let verb = if es_gender(*m).1 { "fueron" } else { "fue" };
                    let art = es_article(*m);
                    if i == 0 {
                        let when = match &time {
                            Some(s) => format!(" {}", es_of_time(s)),
                            None => " (todo el histórico)".to_owned(),
                        };
                        format!("{} {label}{when}{filters} {verb} {v}", capitalize(art))
                    } else {
                        format!("{art} {label} {verb} {v}")
                    }
                }
            };
            parts.push(part);
        }
        return format!("{}.", parts.join("; "));
    }

    let shown = &rows[..rows.len().min(LISTED)];
    let more = rows.len() - shown.len();
    let key = |row: &[Value]| {
        dims.iter()
            .map(|d| dim_value(language, &t, row, *d))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let item_values = |row: &[Value], with_labels: bool| {
        let mut vals: Vec<String> = spec
            .metrics
            .iter()
            .map(|m| {
                let v = value(row, *m);
                if with_labels {
                    format!("{} {v}", metric_label(language, *m))
                } else {
                    v
                }
            })
            .collect();
        if spec.compare_to.is_some()
            && let Some(c) = short_change(language, change_cell(row, first_metric).as_ref())
        {
            vals.push(c);
        }
        vals.join(", ")
    };
    let single = spec.metrics.len() == 1;

    if let Some(order) = spec.order_by.first() {
        let m = spec
            .metrics
            .iter()
            .copied()
            .find(|m| order.field == Field::Metric(*m))
            .unwrap_or(first_metric);
        let high = order.direction == Direction::Desc;
        let count_metric = m.def().unit == Unit::Count;
        let label = metric_label(language, m);
        let rank_dim = dims
            .iter()
            .copied()
            .find(|d| !d.is_time())
            .unwrap_or(dims[0]);
        // Without a reporting currency the rows are ranked within each
        // currency (the query's rule): say so, currency by currency.
        let currencies = rows
            .iter()
            .map(|r| t.currency(r))
            .collect::<std::collections::BTreeSet<_>>();
        if spec.currency.is_none() && currencies.len() > 1 {
            let mut groups: Vec<per_currency::Ranked> = Vec::new();
            for r in rows {
                let cur = t.currency(r).unwrap_or("—").to_owned();
                if groups.last().is_none_or(|g| g.currency != cur) {
                    groups.push(per_currency::Ranked {
                        currency: cur,
                        items: Vec::new(),
                        more: 0,
                    });
                }
                if let Some(g) = groups.last_mut() {
                    if g.items.len() < LISTED {
                        g.items
                            .push(format!("{} ({})", key(r), item_values(r, !single)));
                    } else {
                        g.more += 1;
                    }
                }
            }
            let subject = match language {
                Language::En => format!(
                    "{} by {label}{filters}{time_sp}",
                    dim_noun(language, rank_dim, true)
                ),
                Language::Es => format!(
                    "{} por {label}{filters}{time_sp}",
                    dim_noun(language, rank_dim, true)
                ),
            };
            let head = per_currency::Head {
                subject: &subject,
                high,
                limit: spec.limit,
            };
            return per_currency::sentence(language, &head, &groups);
        }
        if spec.limit == Some(1) || rows.len() == 1 {
            let row = &rows[0];
            let mut v = value(row, m);
            if let Some(c) = spec.compare_to
                && let Some(ch) = change(
                    language,
                    c,
                    change_cell(row, m).as_ref(),
                    abs_change(row, m),
                )
            {
                v = format!("{v}, {ch}");
            }
            let winner = key(row);
            return match language {
                Language::En => {
                    let sup = match (count_metric, high) {
                        (true, true) => format!(
                            "the most {}",
                            if m == Metric::SalesCount {
                                "sales"
                            } else {
                                label
                            }
                        ),
                        (true, false) => format!(
                            "the fewest {}",
                            if m == Metric::SalesCount {
                                "sales"
                            } else {
                                label
                            }
                        ),
                        (false, true) => format!("the highest {label}"),
                        (false, false) => format!("the lowest {label}"),
                    };
                    format!("{winner} had {sup}{filters}{time_sp}: {v}.")
                }
                Language::Es => {
                    let sup = if count_metric {
                        let noun = if m == Metric::SalesCount {
                            "ventas"
                        } else {
                            label
                        };
                        format!(
                            "la {} cantidad de {noun}",
                            if high { "mayor" } else { "menor" }
                        )
                    } else {
                        let plural = es_gender(m).1;
                        let adj = match (high, plural) {
                            (true, false) => "mayor",
                            (true, true) => "mayores",
                            (false, false) => "menor",
                            (false, true) => "menores",
                        };
                        format!("{} {adj} {label}", es_article(m))
                    };
                    format!("{winner} tuvo {sup}{filters}{time_sp}: {v}.")
                }
            };
        }
        let items: Vec<String> = shown
            .iter()
            .map(|r| format!("{} ({})", key(r), item_values(r, !single)))
            .collect();
        let list = join_list(language, &items, more);
        let n = spec.limit.map(|l| (l as usize).min(rows.len()));
        return match (language, n) {
            (Language::En, Some(n)) => format!(
                "{} {n} {} by {label}{filters}{time_sp}: {list}.",
                if high { "Top" } else { "Bottom" },
                dim_noun(language, rank_dim, true)
            ),
            (Language::En, None) => format!(
                "{} by {label}{filters}{time_sp}, {} first: {list}.",
                capitalize(dim_noun(language, rank_dim, true)),
                if high { "highest" } else { "lowest" }
            ),
            (Language::Es, Some(n)) => {
                let art = if es_dim_feminine(rank_dim) {
                    "Las"
                } else {
                    "Los"
                };
                let how = if count_metric {
                    format!("{} {label}", if high { "más" } else { "menos" })
                } else {
                    let plural = es_gender(m).1;
                    let adj = match (high, plural) {
                        (true, false) => "mayor",
                        (true, true) => "mayores",
                        (false, false) => "menor",
                        (false, true) => "menores",
                    };
                    format!("{adj} {label}")
                };
                format!(
                    "{art} {n} {} con {how}{filters}{time_sp}: {list}.",
                    dim_noun(language, rank_dim, true)
                )
            }
            (Language::Es, None) => format!(
                "{} por {label}{filters}{time_sp}, de {}: {list}.",
                capitalize(dim_noun(language, rank_dim, true)),
                if high {
                    "mayor a menor"
                } else {
                    "menor a mayor"
                }
            ),
        };
    }

    let items: Vec<String> = shown
        .iter()
        .map(|r| {
            if single {
                format!("{} {}", key(r), item_values(r, false))
            } else {
                format!("{} ({})", key(r), item_values(r, true))
            }
        })
        .collect();
    let list = join_list(language, &items, more);
    let subject = capitalize(&labels.join(and));
    format!("{subject}{by}{filters}{time_sp}: {list}.")
}
