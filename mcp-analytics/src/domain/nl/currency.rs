//! The reporting-currency phrase of a question ("in USD", "en dólares",
//! "en pesos colombianos"), for the parser to set `QuerySpec.currency`.

use promptsales_shared::domain::Currency;

/// Words that introduce a currency: "in USD", "into euros", "en soles",
/// "convertido a dólares" ("a" only before a currency's name, never a code).
const INTRO: &[&str] = &["in", "into", "en"];

/// Names of currencies, English and Spanish (regional ones included), as
/// accent-free lower-case words. Longest first wins, so "dólares
/// canadienses" is CAD and not USD. A bare "pesos" names no currency: it is
/// the money of eight countries.
const NAMES: &[(&[&str], &str)] = &[
    (&["us", "dollars"], "USD"),
    (&["us", "dollar"], "USD"),
    (&["u", "s", "dollars"], "USD"),
    (&["american", "dollars"], "USD"),
    (&["dollars"], "USD"),
    (&["dollar"], "USD"),
    (&["us$"], "USD"),
    (&["dolares", "estadounidenses"], "USD"),
    (&["dolares", "americanos"], "USD"),
    (&["dolares"], "USD"),
    (&["dolar"], "USD"),
    (&["canadian", "dollars"], "CAD"),
    (&["dolares", "canadienses"], "CAD"),
    (&["colombian", "pesos"], "COP"),
    (&["pesos", "colombianos"], "COP"),
    (&["mexican", "pesos"], "MXN"),
    (&["pesos", "mexicanos"], "MXN"),
    (&["chilean", "pesos"], "CLP"),
    (&["pesos", "chilenos"], "CLP"),
    (&["argentine", "pesos"], "ARS"),
    (&["argentinian", "pesos"], "ARS"),
    (&["pesos", "argentinos"], "ARS"),
    (&["uruguayan", "pesos"], "UYU"),
    (&["pesos", "uruguayos"], "UYU"),
    (&["peruvian", "soles"], "PEN"),
    (&["soles", "peruanos"], "PEN"),
    (&["soles"], "PEN"),
    (&["brazilian", "reais"], "BRL"),
    (&["reais"], "BRL"),
    (&["reals"], "BRL"),
    (&["reales", "brasilenos"], "BRL"),
    (&["reales"], "BRL"),
    (&["euros"], "EUR"),
    (&["euro"], "EUR"),
    (&["quetzales"], "GTQ"),
    (&["quetzals"], "GTQ"),
    (&["colones", "costarricenses"], "CRC"),
    (&["colones"], "CRC"),
    (&["yen"], "JPY"),
    (&["yenes"], "JPY"),
    (&["won"], "KRW"),
    (&["pounds", "sterling"], "GBP"),
    (&["british", "pounds"], "GBP"),
    (&["pounds"], "GBP"),
    (&["libras", "esterlinas"], "GBP"),
    (&["libras"], "GBP"),
];

/// Codes accepted in lower case after "in"/"en"; any other ISO code must be
/// written in capitals, so "in all countries" never means Albanian lek.
const LOWER_CASE_CODES: &[&str] = &[
    "usd", "eur", "cop", "mxn", "clp", "ars", "pen", "brl", "gtq", "crc", "uyu", "gbp", "cad",
    "jpy", "krw",
];

fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'ñ' => 'n',
        c => c,
    }
}

/// Words of the question as written and folded (lower case, no accents).
/// The words of `question` with their byte spans: (span, raw, folded).
fn words(question: &str) -> Vec<((usize, usize), String, String)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '$';
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in question
        .char_indices()
        .chain(std::iter::once((question.len(), ' ')))
    {
        match (start, is_word(c)) {
            (None, true) => start = Some(i),
            (Some(b), false) => {
                let w = &question[b..i];
                out.push((
                    (b, i),
                    w.to_owned(),
                    w.to_lowercase().chars().map(fold).collect(),
                ));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The currency named at the start of `folded`, and how many words name it.
fn name_at(folded: &[&str]) -> Option<(&'static str, usize)> {
    NAMES
        .iter()
        .filter(|(ws, _)| folded.starts_with(ws))
        .max_by_key(|(ws, _)| ws.len())
        .map(|(ws, code)| (*code, ws.len()))
}

/// The currency a question asks money to be reported in, if it names one
/// after "in", "into", "en" (or "a" before a name): "in USD", "in euros",
/// "en dólares", "en pesos colombianos", "convertido a reales".
pub fn currency_phrase(question: &str) -> Option<Currency> {
    split_currency_phrase(question).map(|(c, _)| c)
}

/// The currency phrase of `question` and the question without it, so the
/// rest is read as if the phrase were not there.
pub fn split_currency_phrase(question: &str) -> Option<(Currency, String)> {
    let ws = words(question);
    let folded: Vec<&str> = ws.iter().map(|(_, _, f)| f.as_str()).collect();
    for i in 0..folded.len().saturating_sub(1) {
        let intro = folded[i];
        let rest = &folded[i + 1..];
        let found = if let Some((code, n)) =
            name_at(rest).filter(|_| INTRO.contains(&intro) || intro == "a")
        {
            Currency::parse(code).ok().map(|c| (c, n))
        } else if INTRO.contains(&intro) {
            let (raw, low) = (&ws[i + 1].1, rest[0]);
            let capitals = raw.len() == 3 && raw.chars().all(|c| c.is_ascii_uppercase());
            (capitals || LOWER_CASE_CODES.contains(&low))
                .then(|| Currency::parse(low).ok())
                .flatten()
                .map(|c| (c, 1))
        } else {
            None
        };
        if let Some((c, n)) = found {
            let (from, to) = (ws[i].0.0, ws[i + n].0.1);
            let rest = format!("{} {}", &question[..from], &question[to..]);
            return Some((c, rest.trim().to_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(q: &str) -> Option<String> {
        currency_phrase(q).map(|c| c.as_str().to_owned())
    }

    #[test]
    fn the_phrase_is_taken_out_of_the_question() {
        let (c, rest) =
            split_currency_phrase("¿Ventas por cliente en pesos colombianos este año?").unwrap();
        assert_eq!(c.as_str(), "COP");
        assert_eq!(rest, "¿Ventas por cliente   este año?");
        let (c, rest) = split_currency_phrase("top 5 clients by revenue in USD").unwrap();
        assert_eq!(
            (c.as_str(), rest.as_str()),
            ("USD", "top 5 clients by revenue")
        );
    }

    #[test]
    fn english_phrases_name_the_currency() {
        for (q, want) in [
            ("total revenue last month in USD", "USD"),
            ("top 5 clients by revenue this year in usd", "USD"),
            ("revenue by client in US dollars", "USD"),
            ("spend in dollars by channel", "USD"),
            ("revenue in Colombian pesos", "COP"),
            ("cost per lead in mexican pesos", "MXN"),
            ("sales in Chilean pesos", "CLP"),
            ("revenue in euros", "EUR"),
            ("revenue in Canadian dollars", "CAD"),
            ("ROAS by client converted into reais", "BRL"),
            ("spend in soles", "PEN"),
            ("revenue in JPY", "JPY"),
            ("what was revenue in GBP?", "GBP"),
        ] {
            assert_eq!(code(q).as_deref(), Some(want), "{q}");
        }
    }

    #[test]
    fn spanish_and_regional_names_name_the_currency() {
        for (q, want) in [
            ("¿cuánto vendimos el mes pasado en dólares?", "USD"),
            ("ingresos por cliente en pesos colombianos", "COP"),
            ("gasto en pesos mexicanos por canal", "MXN"),
            ("ventas en pesos chilenos este año", "CLP"),
            ("facturación en pesos argentinos", "ARS"),
            ("costo por lead en soles", "PEN"),
            ("ingresos en reales", "BRL"),
            ("ventas en euros", "EUR"),
            ("ingresos en quetzales", "GTQ"),
            ("gasto en colones", "CRC"),
            ("ingresos convertidos a dólares", "USD"),
            ("ventas en dólares canadienses", "CAD"),
            ("ventas en DOLARES ESTADOUNIDENSES", "USD"),
            ("ingresos en cop", "COP"),
        ] {
            assert_eq!(code(q).as_deref(), Some(want), "{q}");
        }
    }

    #[test]
    fn no_currency_is_guessed() {
        for q in [
            "revenue in all countries",
            "ventas en todos los países",
            "revenue in Mexico last month",
            "ingresos en pesos",
            "revenue in october",
            "ventas en la campaña de verano",
            "leads in the last 7 days",
            "how many dollars did we make",
            "",
        ] {
            assert_eq!(code(q), None, "{q}");
        }
    }
}
