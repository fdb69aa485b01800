//! The period performance report in Markdown: totals with the change vs the
//! previous period, top and bottom campaigns, channel and country mix. Every
//! section is an ordinary query, so it shares the cache and the semantics.

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use serde_json::Value;

use crate::domain::nl::Language;
use crate::domain::period::{Compare, TimeRange};
use crate::domain::semantic::{Dimension, Metric};
use crate::domain::spec::{Direction, Field, Filter, FilterOp, FilterValue, OrderBy, QuerySpec};
use crate::service::{AnalyticsService, Period, QueryResult, ReportResult};

fn cell(v: &Value, column: &str) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.replace('|', "\\|"),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            let pct = column.ends_with("_change_pct");
            let ratio = [
                "ctr",
                "conversion_rate",
                "ctr_previous",
                "conversion_rate_previous",
            ]
            .contains(&column);
            if pct {
                format!("{x:+.1} %")
            } else if ratio {
                format!("{:.2} %", x * 100.0)
            } else if column.starts_with("roas") || column.starts_with("roi") {
                format!("{x:.2}")
            } else if x.fract() == 0.0 && x.abs() < 1e15 {
                group_thousands(&format!("{x:.0}"))
            } else {
                group_thousands(&format!("{x:.2}"))
            }
        }
        other => other.to_string(),
    }
}

fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", s));
    let (int, frac) = rest
        .split_once('.')
        .map(|(a, b)| (a, Some(b)))
        .unwrap_or((rest, None));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A Markdown table of a result, without id columns that have a name
/// column beside them.
pub fn md_table(r: &QueryResult) -> String {
    if r.rows.is_empty() {
        return "_No data in this period._\n".into();
    }
    let keep: Vec<usize> = (0..r.columns.len())
        .filter(|i| {
            let c = &r.columns[*i];
            !r.columns.contains(&format!("{c}_name"))
        })
        .collect();
    let mut s = String::new();
    s.push('|');
    for i in &keep {
        s.push_str(&format!(" {} |", r.columns[*i]));
    }
    s.push_str("\n|");
    for _ in &keep {
        s.push_str("---|");
    }
    s.push('\n');
    for row in &r.rows {
        s.push('|');
        for i in &keep {
            s.push_str(&format!(" {} |", cell(&row[*i], &r.columns[*i])));
        }
        s.push('\n');
    }
    s
}

/// Called after each report section with (step, total, section title).
pub type ReportProgress<'a> = &'a (dyn Fn(u32, u32, &str) + Send + Sync);

/// Builds the report in English; `progress(step, total, label)` is called
/// after each section.
pub async fn build(
    svc: &AnalyticsService,
    tenant: &TenantId,
    time_range: TimeRange,
    client_id: Option<&str>,
    as_of: NaiveDate,
    progress: Option<ReportProgress<'_>>,
) -> Result<ReportResult, AppError> {
    build_in(
        svc,
        tenant,
        time_range,
        client_id,
        as_of,
        progress,
        Language::En,
    )
    .await
}

/// [`build`] with its titles and sentences in `language`.
pub async fn build_in(
    svc: &AnalyticsService,
    tenant: &TenantId,
    time_range: TimeRange,
    client_id: Option<&str>,
    as_of: NaiveDate,
    progress: Option<ReportProgress<'_>>,
    language: Language,
) -> Result<ReportResult, AppError> {
    let es = language == Language::Es;
    let tr = |en: &'static str, es_text: &'static str| if es { es_text } else { en };
    let client = client_id.map(ClientId::parse).transpose()?;
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
        currency: None,
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
                if let Some(c) = &client {
                    md.push_str(&format!("Cliente: `{c}`. "));
                }
                md.push_str(&format!(
                    "Comparado con el periodo del {c}. Versión de datos {}, última sincronización {synced}. El dinero se muestra por moneda, nunca se suma entre monedas.\n\n",
                    r.freshness.data_version,
                ));
            } else {
                md.push_str(&format!("# Performance report: {p}\n\n"));
                if let Some(c) = &client {
                    md.push_str(&format!("Client: `{c}`. "));
                }
                md.push_str(&format!(
                    "Compared with {c}. Data version {}, last synced {synced}. Money is per currency, never summed across currencies.\n\n",
                    r.freshness.data_version,
                ));
            }
        }
        md.push_str(&format!("## {title}\n\n"));
        md.push_str(&md_table(&r));
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

    #[test]
    fn numbers_are_grouped_and_ratios_shown_as_percent() {
        assert_eq!(group_thousands("1234567.50"), "1,234,567.50");
        assert_eq!(group_thousands("-1000"), "-1,000");
        assert_eq!(cell(&serde_json::json!(0.0345), "ctr"), "3.45 %");
        assert_eq!(
            cell(&serde_json::json!(12.34), "revenue_change_pct"),
            "+12.3 %"
        );
        assert_eq!(cell(&serde_json::json!(3.14659), "roas"), "3.15");
        assert_eq!(cell(&Value::Null, "roas"), "—");
    }
}
