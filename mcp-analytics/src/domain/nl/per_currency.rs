//! The sentence of a ranking by money with no reporting currency: amounts
//! in different currencies are never compared, so each currency is ranked
//! on its own and the sentence says so and how to rank them together.

use super::Language;
use super::answer::capitalize;

/// One currency's ranked members, already formatted ("Hotel Sol (1.200 COP)"),
/// and how many more the result holds in that currency.
pub(super) struct Ranked {
    pub currency: String,
    pub items: Vec<String>,
    pub more: usize,
}

/// What is ranked: "clients by revenue last month" / "clientes por
/// ingresos del mes pasado" (filters and time included), the direction and
/// the limit applied within each currency.
pub(super) struct Head<'a> {
    pub subject: &'a str,
    pub high: bool,
    pub limit: Option<u32>,
}

pub(super) fn sentence(language: Language, head: &Head<'_>, groups: &[Ranked]) -> String {
    let (and, more_word) = match language {
        Language::En => (" and ", "more"),
        Language::Es => (" y ", "más"),
    };
    let lists: Vec<String> = groups
        .iter()
        .map(|g| {
            let mut list = g.items.join(", ");
            if g.more > 0 {
                list = format!("{list}{and}{} {more_word}", g.more);
            }
            format!("{}: {list}", g.currency)
        })
        .collect();
    let lists = lists.join("; ");
    let n = groups.len();
    match language {
        Language::En => {
            let order = match (head.limit, head.high) {
                (Some(1), true) => "the highest in each currency".to_owned(),
                (Some(1), false) => "the lowest in each currency".to_owned(),
                (Some(l), true) => format!("the top {l} in each currency"),
                (Some(l), false) => format!("the bottom {l} in each currency"),
                (None, true) => "highest first within each currency".to_owned(),
                (None, false) => "lowest first within each currency".to_owned(),
            };
            format!(
                "{}, {order} — amounts in {n} currencies are not compared without a reporting \
                 currency — {lists}. Ask in one currency (e.g. \"in USD\") to rank them together.",
                capitalize(head.subject)
            )
        }
        Language::Es => {
            let order = match (head.limit, head.high) {
                (Some(1), true) => "el mayor de cada moneda".to_owned(),
                (Some(1), false) => "el menor de cada moneda".to_owned(),
                (Some(l), true) => format!("los {l} primeros de cada moneda"),
                (Some(l), false) => format!("los {l} últimos de cada moneda"),
                (None, true) => "de mayor a menor dentro de cada moneda".to_owned(),
                (None, false) => "de menor a mayor dentro de cada moneda".to_owned(),
            };
            format!(
                "{}, {order} — los importes en {n} monedas no se comparan sin una moneda de \
                 reporte — {lists}. Pregunta en una moneda (p. ej. «en USD») para ordenarlos juntos.",
                capitalize(head.subject)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<Ranked> {
        vec![
            Ranked {
                currency: "ARS".into(),
                items: vec!["Hotel Sol (1,000 ARS)".into()],
                more: 0,
            },
            Ranked {
                currency: "COP".into(),
                items: vec!["Café Andino (9,000 COP)".into(), "Uni (5,000 COP)".into()],
                more: 2,
            },
        ]
    }

    #[test]
    fn says_it_ranks_within_each_currency_and_how_to_rank_together() {
        let head = Head {
            subject: "clients by revenue last month",
            high: true,
            limit: Some(2),
        };
        let s = sentence(Language::En, &head, &groups());
        assert_eq!(
            s,
            "Clients by revenue last month, the top 2 in each currency — amounts in 2 currencies \
             are not compared without a reporting currency — ARS: Hotel Sol (1,000 ARS); COP: \
             Café Andino (9,000 COP), Uni (5,000 COP) and 2 more. Ask in one currency (e.g. \
             \"in USD\") to rank them together."
        );
        let head = Head {
            subject: "clientes por ingresos del mes pasado",
            high: false,
            limit: None,
        };
        let s = sentence(Language::Es, &head, &groups());
        assert!(
            s.starts_with(
                "Clientes por ingresos del mes pasado, de menor a mayor dentro de cada moneda"
            ),
            "{s}"
        );
        assert!(
            s.contains("COP: Café Andino (9,000 COP), Uni (5,000 COP) y 2 más"),
            "{s}"
        );
        assert!(s.ends_with("«en USD») para ordenarlos juntos."), "{s}");
    }
}
