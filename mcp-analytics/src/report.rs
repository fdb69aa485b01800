//! The period performance report in Markdown: totals with the change vs the
//! previous period, top and bottom campaigns, channel and country mix. Every
//! section is an ordinary query, so it shares the cache and the semantics.

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Currency, TenantId, display_decimals};
use serde_json::Value;

use crate::domain::nl::{Language, format_number, metric_label};
use crate::domain::period::{Compare, TimeRange};
use crate::domain::semantic::{Dimension, Metric};
use crate::domain::spec::{Direction, Field, Filter, FilterOp, FilterValue, OrderBy, QuerySpec};
use crate::fx::Conversion;
use crate::service::{AnalyticsService, Period, QueryResult, ReportResult};

/// The metric a column shows and how: the metric itself, its previous
/// value, or its change in percent.
fn column_metric(column: &str) -> Option<(Metric, &'static str)> {
    let (base, kind) = if let Some(b) = column.strip_suffix("_change_pct") {
        (b, "change")
    } else if let Some(b) = column.strip_suffix("_previous") {
        (b, "previous")
    } else {
        (column, "value")
    };
    Metric::parse(base).ok().map(|m| (m, kind))
}

/// A column's header in `language`: metric labels, dimension nouns.
fn column_label(language: Language, column: &str) -> String {
    let es = language == Language::Es;
    if let Some((m, kind)) = column_metric(column) {
        let label = metric_label(language, m);
        return match (kind, es) {
            ("change", false) => format!("{label} change"),
            ("change", true) => format!("cambio de {label}"),
            ("previous", false) => format!("{label} (previous)"),
            ("previous", true) => format!("{label} (anterior)"),
            _ => label.to_owned(),
        };
    }
    let es_name = match column {
        "campaign" => "campaña",
        "client" => "cliente",
        "channel" => "canal",
        "country" => "país",
        "city" => "ciudad",
        "product" => "producto",
        "objective" => "objetivo",
        "currency" => "moneda",
        "campaign_name" => "campaña",
        "client_name" => "cliente",
        "product_name" => "producto",
        other => other,
    };
    match (es, column.strip_suffix("_name")) {
        (true, _) => es_name.to_owned(),
        (false, Some(dim)) => dim.to_owned(),
        (false, None) => column.to_owned(),
    }
}

/// A cell in `language`'s number format: money in its currency's decimals
/// (CLP, JPY, KRW whole), counts whole, ratios as percentages.
fn cell(language: Language, v: &Value, column: &str, currency: Option<&str>) -> String {
    let x = match v {
        Value::Null => return "—".into(),
        Value::String(s) => return s.replace('|', "\\|"),
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        other => return other.to_string(),
    };
    let pct = |x: f64, decimals: usize, signed: bool| {
        let sign = match (signed, x > 0.0) {
            (true, true) => "+",
            _ => "",
        };
        let n = format_number(language, x, decimals);
        match language {
            Language::En => format!("{sign}{n}%"),
            Language::Es => format!("{sign}{n} %"),
        }
    };
    let Some((m, kind)) = column_metric(column) else {
        return format_number(language, x, if x.fract() == 0.0 { 0 } else { 2 });
    };
    if kind == "change" {
        return pct(x, 1, true);
    }
    match m.def().format {
        "money" => {
            let decimals = currency
                .and_then(|c| Currency::parse(c).ok())
                .map_or(2, |c| display_decimals(c) as usize);
            format_number(language, x, decimals)
        }
        "integer" => format_number(language, x, 0),
        "percent" => pct(x * 100.0, 2, false),
        _ => format_number(language, x, 2),
    }
}

/// A Markdown table of a result in `language`, without id columns that
/// have a name column beside them.
pub fn md_table(r: &QueryResult, language: Language) -> String {
    if r.rows.is_empty() {
        return match language {
            Language::En => "_No data in this period._\n".into(),
            Language::Es => "_Sin datos en este periodo._\n".into(),
        };
    }
    let keep: Vec<usize> = (0..r.columns.len())
        .filter(|i| {
            let c = &r.columns[*i];
            !r.columns.contains(&format!("{c}_name"))
        })
        .collect();
    let currency_col = r.columns.iter().position(|c| c == "currency");
    let mut s = String::new();
    s.push('|');
    for i in &keep {
        s.push_str(&format!(" {} |", column_label(language, &r.columns[*i])));
    }
    s.push_str("\n|");
    for _ in &keep {
        s.push_str("---|");
    }
    s.push('\n');
    for row in &r.rows {
        let currency = currency_col
            .and_then(|i| row.get(i))
            .and_then(Value::as_str)
            .or(r.conversion.as_ref().map(|c| c.currency.as_str()));
        s.push('|');
        for i in &keep {
            s.push_str(&format!(
                " {} |",
                cell(language, &row[*i], &r.columns[*i], currency)
            ));
        }
        s.push('\n');
    }
    s
}

/// How the report's money reads: per currency, or converted with the
/// dates of the rates used.
fn money_note(language: Language, conversion: Option<&Conversion>) -> String {
    let Some(c) = conversion else {
        return match language {
            Language::En => "Money is per currency, never summed across currencies.".into(),
            Language::Es => "El dinero se muestra por moneda, nunca se suma entre monedas.".into(),
        };
    };
    let dates = match (c.rates_from, c.rates_to) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => "—".into(),
    };
    match language {
        Language::En => format!(
            "Money in {}: each amount converted at the rate of its own day (rates of {dates}).",
            c.currency
        ),
        Language::Es => format!(
            "Dinero en {}: cada importe convertido a la tasa de su propio día (tasas del {dates}).",
            c.currency
        ),
    }
}

/// Called after each report section with (step, total, section title).
pub type ReportProgress<'a> = &'a (dyn Fn(u32, u32, &str) + Send + Sync);

/// Who and how a report is for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions<'a> {
    /// Only this client.
    pub client_id: Option<&'a str>,
    /// Titles, sentences and numbers in this language.
    pub language: Language,
    /// Money converted into this currency (else the tenant's reporting
    /// currency, else per currency).
    pub currency: Option<Currency>,
}

/// Builds the report; `progress(step, total, label)` is called after each
/// section.
pub async fn build(
    svc: &AnalyticsService,
    tenant: &TenantId,
    time_range: TimeRange,
    as_of: NaiveDate,
    progress: Option<ReportProgress<'_>>,
    opts: ReportOptions<'_>,
) -> Result<ReportResult, AppError> {
    let ReportOptions {
        client_id,
        language,
        currency,
    } = opts;
    let es = language == Language::Es;
    let tr = |en: &'static str, es_text: &'static str| if es { es_text } else { en };
    let client = client_id.map(ClientId::parse).transpose()?;
    // The client by name (an unknown id is refused here, not reported empty).
    let client_name = match &client {
        Some(c) => Some(svc.catalog().get_client(tenant, c).await?.name),
        None => None,
    };
    let scope: Vec<Filter> = client
        .iter()
        .map(|c| Filter {
            field: Field::Dimension(Dimension::Client),
            op: FilterOp::Eq,
            value: FilterValue::Text(c.as_str().to_owned()),
        })
        .collect();
    let q = |metrics: Vec<Metric>,
             dims: Vec<Dimension>,
             order: Option<(Metric, Direction)>,
             limit: Option<u32>,
             compare: bool| QuerySpec {
        metrics,
        dimensions: dims,
        filters: scope.clone(),
        time_range: Some(time_range.clone()),
        compare_to: compare.then_some(Compare::PreviousPeriod),
        order_by: order
            .map(|(f, d)| {
                vec![OrderBy {
                    field: Field::Metric(f),
                    direction: d,
                }]
            })
            .unwrap_or_default(),
        limit,
        currency,
    };
    let sections: Vec<(&str, QuerySpec)> = vec![
        (
            tr(
                "Totals vs the previous period",
                "Totales frente al periodo anterior",
            ),
            q(
                vec![
                    Metric::Revenue,
                    Metric::SalesCount,
                    Metric::Spend,
                    Metric::Roas,
                    Metric::Leads,
                    Metric::Cpl,
                    Metric::ConversionRate,
                ],
                vec![],
                None,
                None,
                true,
            ),
        ),
        (
            tr(
                "Top 5 campaigns by revenue",
                "Las 5 mejores campañas por ingresos",
            ),
            q(
                vec![Metric::Revenue, Metric::Spend, Metric::Roas],
                vec![Dimension::Campaign],
                Some((Metric::Revenue, Direction::Desc)),
                Some(5),
                false,
            ),
        ),
        (
            tr(
                "Bottom 5 campaigns by ROAS",
                "Las 5 peores campañas por ROAS",
            ),
            q(
                vec![Metric::Roas, Metric::Spend, Metric::Revenue],
                vec![Dimension::Campaign],
                Some((Metric::Roas, Direction::Asc)),
                Some(5),
                false,
            ),
        ),
        (
            tr("Channel mix", "Mezcla de canales"),
            q(
                vec![
                    Metric::Spend,
                    Metric::Revenue,
                    Metric::Roas,
                    Metric::Leads,
                    Metric::Ctr,
                ],
                vec![Dimension::Channel],
                None,
                None,
                false,
            ),
        ),
        (
            tr("Country mix", "Mezcla de países"),
            q(
                vec![Metric::Spend, Metric::Revenue, Metric::Leads],
                vec![Dimension::Country],
                None,
                None,
                false,
            ),
        ),
    ];
    let total = sections.len() as u32;
    let mut md = String::new();
    let mut period = None;
    let mut compared = None;
    for (i, (title, spec)) in sections.into_iter().enumerate() {
        let r = svc.query_metrics(tenant, spec, Some(as_of)).await?;
        if i == 0 {
            period = r.time_range;
            compared = r.compared_with;
            let p = r
                .time_range
                .map(|p| format!("{} {} {}", p.from, tr("to", "al"), p.to))
                .unwrap_or_default();
            let c = r
                .compared_with
                .map(|p| format!("{} {} {}", p.from, tr("to", "al"), p.to))
                .unwrap_or_default();
            let synced = r
                .freshness
                .last_synced_at
                .as_deref()
                .unwrap_or(tr("never", "nunca"));
            if es {
                md.push_str(&format!("# Informe de rendimiento: del {p}\n\n"));
                if let Some(n) = &client_name {
                    md.push_str(&format!("Cliente: {n}. "));
                }
                md.push_str(&format!(
                    "Comparado con el periodo del {c}. Versión de datos {}, última sincronización {synced}. {}\n\n",
                    r.freshness.data_version,
                    money_note(language, r.conversion.as_ref()),
                ));
            } else {
                md.push_str(&format!("# Performance report: {p}\n\n"));
                if let Some(n) = &client_name {
                    md.push_str(&format!("Client: {n}. "));
                }
                md.push_str(&format!(
                    "Compared with {c}. Data version {}, last synced {synced}. {}\n\n",
                    r.freshness.data_version,
                    money_note(language, r.conversion.as_ref()),
                ));
            }
        }
        md.push_str(&format!("## {title}\n\n"));
        md.push_str(&md_table(&r, language));
        md.push('\n');
        if let Some(p) = progress {
            p(i as u32 + 1, total, title);
        }
    }
    let freshness = svc.freshness(tenant).await?;
    let fallback = Period {
        from: as_of,
        to: as_of,
    };
    Ok(ReportResult {
        markdown: md,
        period: period.unwrap_or(fallback),
        compared_with: compared.unwrap_or(fallback),
        freshness,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_follow_the_language_and_the_currency() {
        let en = Language::En;
        let es = Language::Es;
        assert_eq!(
            cell(en, &json!(1_234_567.5), "revenue", Some("USD")),
            "1,234,567.50"
        );
        assert_eq!(
            cell(es, &json!(1_234_567.5), "revenue", Some("USD")),
            "1.234.567,50"
        );
        assert_eq!(
            cell(es, &json!(14_440_421.03), "spend", Some("CLP")),
            "14.440.421"
        );
        assert_eq!(cell(en, &json!(1000.0), "leads", None), "1,000");
        assert_eq!(cell(en, &json!(0.0345), "ctr", None), "3.45%");
        assert_eq!(cell(es, &json!(0.0345), "ctr", None), "3,45 %");
        assert_eq!(
            cell(en, &json!(12.34), "revenue_change_pct", None),
            "+12.3%"
        );
        assert_eq!(cell(es, &json!(-2.0), "revenue_change_pct", None), "-2,0 %");
        assert_eq!(cell(en, &json!(3.14659), "roas", None), "3.15");
        assert_eq!(cell(en, &Value::Null, "roas", None), "—");
        assert_eq!(column_label(es, "revenue_change_pct"), "cambio de ingresos");
        assert_eq!(column_label(es, "campaign_name"), "campaña");
        assert_eq!(column_label(en, "client_name"), "client");
    }
}
