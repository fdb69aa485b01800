//! The goal a brief states ("500 subscribers", "200 leads", "USD 40,000 in
//! sales", "ROAS 3", "50.000 visitas"), read in English and Spanish into a
//! metric and a target the forecast is measured against.

use promptsales_shared::vocabulary;
use serde::{Deserialize, Serialize};

use super::Objective;

vocabulary! {
    /// What a goal counts.
    ///
    /// - `conversions`: Leads, subscribers, sign-ups, sales counted one by one…
    /// - `clicks`: Clicks, visits, sessions.
    /// - `impressions`: Impressions, views.
    /// - `reach`: People reached.
    /// - `revenue`: Money from conversions, in the campaign currency.
    /// - `roas`: Revenue per unit of spend.
    pub enum GoalMetric("goal_metric") {
        Conversions => "conversions",
        Clicks => "clicks",
        Impressions => "impressions",
        Reach => "reach",
        Revenue => "revenue",
        Roas => "roas",
    }
}

/// A brief's goal as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Goal {
    /// The brief's words.
    pub text: String,
    pub metric: GoalMetric,
    /// The number the brief asks for (revenue in major units of the
    /// currency); absent when the brief names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// The brief's word for what it counts ("subscribers", "visitas").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// Words naming what a goal counts (lower case, accents removed).
const WORDS: &[(&str, GoalMetric)] = &[
    ("lead", GoalMetric::Conversions),
    ("subscri", GoalMetric::Conversions),
    ("suscri", GoalMetric::Conversions),
    ("sign-up", GoalMetric::Conversions),
    ("signup", GoalMetric::Conversions),
    ("registr", GoalMetric::Conversions),
    ("inscri", GoalMetric::Conversions),
    ("conversion", GoalMetric::Conversions),
    ("customer", GoalMetric::Conversions),
    ("cliente", GoalMetric::Conversions),
    ("contact", GoalMetric::Conversions),
    ("download", GoalMetric::Conversions),
    ("descarga", GoalMetric::Conversions),
    ("install", GoalMetric::Conversions),
    ("booking", GoalMetric::Conversions),
    ("reserva", GoalMetric::Conversions),
    ("sale", GoalMetric::Conversions),
    ("venta", GoalMetric::Conversions),
    ("purchase", GoalMetric::Conversions),
    ("compra", GoalMetric::Conversions),
    ("order", GoalMetric::Conversions),
    ("pedido", GoalMetric::Conversions),
    ("appointment", GoalMetric::Conversions),
    ("cita", GoalMetric::Conversions),
    ("demo", GoalMetric::Conversions),
    ("student", GoalMetric::Conversions),
    ("estudiante", GoalMetric::Conversions),
    ("alumno", GoalMetric::Conversions),
    ("matricula", GoalMetric::Conversions),
    ("member", GoalMetric::Conversions),
    ("miembro", GoalMetric::Conversions),
    ("socio", GoalMetric::Conversions),
    ("click", GoalMetric::Clicks),
    ("clic", GoalMetric::Clicks),
    ("visit", GoalMetric::Clicks),
    ("session", GoalMetric::Clicks),
    ("sesion", GoalMetric::Clicks),
    ("impression", GoalMetric::Impressions),
    ("impresion", GoalMetric::Impressions),
    ("view", GoalMetric::Impressions),
    ("vista", GoalMetric::Impressions),
    ("visualizacion", GoalMetric::Impressions),
    ("reproduccion", GoalMetric::Impressions),
    ("people", GoalMetric::Reach),
    ("persona", GoalMetric::Reach),
    ("reach", GoalMetric::Reach),
    ("alcance", GoalMetric::Reach),
    ("user", GoalMetric::Reach),
    ("usuario", GoalMetric::Reach),
    ("revenue", GoalMetric::Revenue),
    ("ingreso", GoalMetric::Revenue),
    ("facturacion", GoalMetric::Revenue),
];

/// Currency marks that make a number money.
const MONEY: &[&str] = &[
    "usd", "eur", "gbp", "cop", "mxn", "clp", "pen", "ars", "brl", "dollar", "dolar", "peso",
    "euro", "soles",
];

/// Multipliers written as words after a number.
const SCALE: &[(&str, f64)] = &[
    ("k", 1e3),
    ("mil", 1e3),
    ("thousand", 1e3),
    ("m", 1e6),
    ("mm", 1e6),
    ("million", 1e6),
    ("millones", 1e6),
    ("millon", 1e6),
];

/// Lower case without Spanish accents.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ö' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            c => c,
        })
        .collect()
}

/// A number as people write it: `500`, `1,000`, `1.000` (Spanish
/// thousands), `2,5`, `1.5k`, `10K`. Returns the value and the suffix left.
fn number(token: &str) -> Option<(f64, &str)> {
    let end = token
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
        .map_or(token.len(), |(i, _)| i);
    let (digits, rest) = token.split_at(end);
    let digits = digits.trim_end_matches(['.', ',']);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let groups: Vec<&str> = digits.split([',', '.']).collect();
    let value = if groups.len() == 1 {
        digits.parse().ok()?
    } else if groups[1..].iter().all(|g| g.len() == 3) {
        // Every group after the first has three digits: separators of
        // thousands, whichever the mark.
        groups.concat().parse().ok()?
    } else if groups.len() == 2 {
        format!("{}.{}", groups[0], groups[1]).parse().ok()?
    } else {
        return None;
    };
    Some((value, rest))
}

/// Reads the goal of `text`; without a number naming what it counts, the
/// metric follows the objective and there is no target.
pub fn parse(text: &str, objective: Objective) -> Goal {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            fold(w)
                .trim_matches(|c: char| {
                    !(c.is_alphanumeric() || matches!(c, '$' | '€' | '£' | '.' | ',' | '-' | '%'))
                })
                .trim_end_matches(['.', ','])
                .to_owned()
        })
        .collect();
    let raw: Vec<&str> = text.split_whitespace().collect();
    let is_money = |w: &str| {
        w.starts_with(['$', '€', '£'])
            || MONEY.iter().any(|m| {
                w == *m || w.strip_suffix('s') == Some(*m) || w.strip_suffix("es") == Some(*m)
            })
    };
    for (i, w) in words.iter().enumerate() {
        let stripped = w.trim_start_matches(['$', '€', '£']);
        let Some((mut value, rest)) = number(stripped) else {
            continue;
        };
        let mut next = i + 1;
        let scale = |s: &str| SCALE.iter().find(|(k, _)| *k == s).map(|(_, f)| *f);
        if let Some(f) = scale(rest) {
            value *= f;
        } else if !rest.is_empty() && rest != "x" {
            // "2026-03", "15h", "3%": not a goal figure.
            continue;
        } else if let Some(f) = words.get(next).and_then(|n| scale(n)) {
            value *= f;
            next += 1;
        }
        let before = &words[i.saturating_sub(2)..i];
        let after: Vec<(usize, &String)> = words.iter().enumerate().skip(next).take(3).collect();
        if before.iter().any(|b| b == "roas") || after.first().is_some_and(|(_, a)| *a == "roas") {
            return Goal {
                text: text.to_owned(),
                metric: GoalMetric::Roas,
                target: Some(value),
                unit: Some("ROAS".into()),
            };
        }
        let money = w != stripped
            || before.last().is_some_and(|b| is_money(b))
            || after.iter().take(2).any(|(_, a)| is_money(a));
        let named = after.iter().find_map(|(j, a)| {
            WORDS
                .iter()
                .find(|(k, _)| a.starts_with(k))
                .map(|(_, m)| (*j, *m))
        });
        let (metric, unit) = match (money, named) {
            (true, _) => (GoalMetric::Revenue, None),
            (false, Some((j, m))) => (
                m,
                raw.get(j).map(|r| {
                    r.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                        .to_owned()
                }),
            ),
            (false, None) => continue,
        };
        return Goal {
            text: text.to_owned(),
            metric,
            target: Some(value),
            unit,
        };
    }
    Goal {
        text: text.to_owned(),
        metric: match objective {
            Objective::Awareness => GoalMetric::Reach,
            Objective::Traffic => GoalMetric::Clicks,
            Objective::Leads | Objective::Sales => GoalMetric::Conversions,
        },
        target: None,
        unit: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(t: &str) -> (GoalMetric, Option<f64>, Option<String>) {
        let g = parse(t, Objective::Leads);
        (g.metric, g.target, g.unit)
    }

    #[test]
    fn counts_in_both_languages() {
        assert_eq!(
            goal("500 subscribers for the newsletter"),
            (
                GoalMetric::Conversions,
                Some(500.0),
                Some("subscribers".into())
            )
        );
        assert_eq!(
            goal("Conseguir 1.200 suscriptores antes de diciembre"),
            (
                GoalMetric::Conversions,
                Some(1200.0),
                Some("suscriptores".into())
            )
        );
        assert_eq!(goal("50.000 visitas a la web").1, Some(50_000.0));
        assert_eq!(goal("50.000 visitas a la web").0, GoalMetric::Clicks);
        assert_eq!(goal("reach 2 million people").1, Some(2_000_000.0));
        assert_eq!(goal("10k new leads in Q1").1, Some(10_000.0));
        assert_eq!(goal("200 leads for the MBA in Bogotá 2026").1, Some(200.0));
        assert_eq!(goal("2,5 mil registros").1, Some(2_500.0));
    }

    #[test]
    fn money_and_roas() {
        assert_eq!(
            goal("USD 40,000 in sales"),
            (GoalMetric::Revenue, Some(40_000.0), None)
        );
        assert_eq!(goal("$40,000 in sales").1, Some(40_000.0));
        assert_eq!(
            goal("ventas por 20 millones de pesos").1,
            Some(20_000_000.0)
        );
        assert_eq!(
            goal("ventas por 20 millones de pesos").0,
            GoalMetric::Revenue
        );
        assert_eq!(
            goal("a ROAS of 3"),
            (GoalMetric::Roas, Some(3.0), Some("ROAS".into()))
        );
        assert_eq!(goal("ROAS 4x en Black Friday").1, Some(4.0));
    }

    #[test]
    fn without_a_figure_the_objective_decides() {
        let g = parse("dar a conocer la marca en 2026", Objective::Awareness);
        assert_eq!((g.metric, g.target), (GoalMetric::Reach, None));
        assert_eq!(parse("vender más", Objective::Sales).target, None);
        assert_eq!(parse("up 30% in sign-ups", Objective::Leads).target, None);
    }
}
