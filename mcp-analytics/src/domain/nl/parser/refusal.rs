//! Refusals: why a question could not be mapped, in its language, with
//! rephrasings this parser accepts.

use promptsales_shared::domain::Vocabulary;

use super::{MAX_WORDS, Problem, State};
use crate::domain::nl::answer::metric_label;
use crate::domain::nl::time::describe_time;
use crate::domain::nl::{Language, NotUnderstood};
use crate::domain::period::TimeRange;
use crate::domain::semantic::Metric;
use crate::domain::spec::MAX_LIMIT;

impl State<'_> {
    pub(super) fn refuse(&self, problems: Vec<Problem>) -> NotUnderstood {
        let reason = problems
            .iter()
            .map(|p| reason(self.lang, p))
            .collect::<Vec<_>>()
            .join(" ");
        NotUnderstood {
            language: self.lang,
            reason,
            understood: self.understood(None),
            suggestions: self.suggestions(),
        }
    }

    /// Rephrasings this parser accepts, built from what was understood.
    pub(super) fn suggestions(&self) -> Vec<String> {
        let m = self
            .metrics_list()
            .first()
            .copied()
            .unwrap_or(Metric::Revenue);
        let label = metric_label(self.lang, m);
        let valid = |t: &TimeRange| self.check_date().is_some_and(|d| t.resolve(d).is_ok());
        let t = self
            .times
            .first()
            .filter(|(t, _)| valid(t))
            .map(|(t, _)| describe_time(self.lang, t));
        let has_time = t.is_some();
        let out = match self.lang {
            Language::En => {
                let t = t.unwrap_or_else(|| "last month".to_owned());
                vec![
                    format!("{label} by channel {t}"),
                    format!("top 5 campaigns by {label} {t}"),
                    if has_time || t == "this year" {
                        format!("{label} in Mexico {t}")
                    } else {
                        format!("{label} by month this year")
                    },
                ]
            }
            Language::Es => {
                let t = t.unwrap_or_else(|| "el mes pasado".to_owned());
                vec![
                    format!("{label} por canal {t}"),
                    format!("las 5 mejores campañas por {label} {t}"),
                    if has_time || t == "este año" {
                        format!("{label} en México {t}")
                    } else {
                        format!("{label} por mes este año")
                    },
                ]
            }
        };
        out.into_iter().map(|s| capitalize(&s)).collect()
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn reason(lang: Language, p: &Problem) -> String {
    let es = lang == Language::Es;
    let metric_names = Metric::ALL
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match p {
        Problem::Empty if es => "La pregunta está vacía.".into(),
        Problem::Empty => "The question is empty.".into(),
        Problem::TooLong if es => format!("La pregunta es demasiado larga (máximo {MAX_WORDS} palabras)."),
        Problem::TooLong => format!("The question is too long (at most {MAX_WORDS} words)."),
        Problem::Destructive(w) if es => format!(
            "Solo respondo preguntas sobre métricas (lectura): no puedo ejecutar '{w}' ni cambiar datos."
        ),
        Problem::Destructive(w) => format!("I only answer questions about metrics (read-only): I cannot '{w}' or change any data."),
        Problem::NoMetric if es => format!("No encontré una métrica en la pregunta (métricas: {metric_names})."),
        Problem::NoMetric => format!("I could not find a metric in the question (metrics: {metric_names})."),
        Problem::UnknownGroup(w) if es => format!(
            "No puedo agrupar por '{w}'; las dimensiones son campaña, cliente, canal, país, ciudad, producto, objetivo, día, semana, mes, trimestre y año."
        ),
        Problem::UnknownGroup(w) => format!(
            "I cannot group by '{w}'; the dimensions are campaign, client, channel, country, city, product, objective, day, week, month, quarter and year."
        ),
        Problem::UnknownWords(ws) if es => format!("No entendí: {}.", quoted(ws)),
        Problem::UnknownWords(ws) => format!("I did not understand: {}.", quoted(ws)),
        Problem::LimitTooLarge(n) if es => format!("Un ranking muestra como máximo {MAX_LIMIT} filas, no {n}."),
        Problem::LimitTooLarge(n) => format!("A ranking shows at most {MAX_LIMIT} rows, not {n}."),
        Problem::LimitZero if es => "Un ranking necesita al menos 1 fila.".into(),
        Problem::LimitZero => "A ranking needs at least 1 row.".into(),
        Problem::RankNeedsDim if es => {
            "Un ranking necesita qué ordenar: campañas, canales, países, productos o clientes.".into()
        }
        Problem::RankNeedsDim => {
            "A top/bottom ranking needs something to rank: campaigns, channels, countries, products or clients.".into()
        }
        Problem::FilterNeedsDim if es => {
            "Un filtro sobre el valor de una métrica necesita qué listar: campañas, canales, países, productos o clientes.".into()
        }
        Problem::FilterNeedsDim => {
            "A filter on a metric's value needs something to list: campaigns, channels, countries, products or clients.".into()
        }
        Problem::TwoTimes(ts) if es => format!(
            "La pregunta nombra más de un periodo ({}); pide uno y, para comparar, añade 'comparado con el periodo anterior' o 'comparado con el año pasado'.",
            quoted(ts)
        ),
        Problem::TwoTimes(ts) => format!(
            "The question names more than one period ({}); ask for one and, to compare, add 'vs the previous period' or 'vs last year'.",
            quoted(ts)
        ),
        Problem::TwoCompares if es => "Solo puedo comparar con un periodo a la vez.".into(),
        Problem::TwoCompares => "I can compare with one period at a time.".into(),
        Problem::TwoGrains(g) if es => format!(
            "Solo puedo agrupar por una unidad de tiempo a la vez ({}).",
            g.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Problem::TwoGrains(g) => format!(
            "I can group by one time unit at a time ({}).",
            g.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Problem::NeedsYear(t) if es => format!("'{t}' necesita un año (por ejemplo 'T3 2026' o '1 de marzo de 2026')."),
        Problem::NeedsYear(t) => format!("'{t}' needs a year (for example 'Q3 2026' or 'March 1 2026')."),
        Problem::Ambiguous(t, o) if es => format!("'{t}' coincide con varios nombres ({}); di cuál.", quoted(o)),
        Problem::Ambiguous(t, o) => format!("'{t}' matches several names ({}); say which one.", quoted(o)),
        Problem::TooBroad(t, n) if es => format!("'{t}' coincide con {n} nombres; sé más específico (máximo 100)."),
        Problem::TooBroad(t, n) => format!("'{t}' matches {n} names; be more specific (at most 100)."),
        Problem::OrphanNumber(t) if es => format!("No sé a qué métrica se aplica '{t}'."),
        Problem::OrphanNumber(t) => format!("I could not tell which metric '{t}' applies to."),
        Problem::Invalid(e) if es => format!("La pregunta lleva a una consulta no permitida: {e}"),
        Problem::Invalid(e) => format!("The question maps to a query that is not allowed: {e}"),
    }
}
