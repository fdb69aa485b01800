//! Natural language → [`QuerySpec`]: a deterministic bilingual (English and
//! Spanish) parser that ignores accents and case, and the one-sentence
//! answers in the question's language. Pure: no I/O, no clock.
//!
//! A question it cannot map fully is a [`NotUnderstood`] saying what was
//! understood and offering rephrasings this parser accepts: never a guess.

mod answer;
pub mod currency;
mod everyday;
mod lexicon;
mod names;
mod normalize;
mod parser;
mod patterns;
mod per_currency;
mod time;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use promptsales_shared::vocabulary;
use serde::Serialize;

use crate::domain::spec::QuerySpec;

pub use answer::{answer_sentence, answer_sentence_named, format_number, metric_label};
pub use normalize::normalize;
pub use time::{describe_compare, describe_time};

vocabulary! {
    /// The language a question is asked in; answers and suggestions use it.
    pub enum Language("language") {
        En => "en",
        Es => "es",
    }
}

/// English unless a caller says otherwise.
impl Default for Language {
    fn default() -> Self {
        Language::En
    }
}

/// Campaign, client and product names the parser may recognise, as
/// `(id, name)` pairs, and the cities the facts hold (as stored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NameIndex {
    pub campaigns: Vec<(String, String)>,
    pub clients: Vec<(String, String)>,
    pub products: Vec<(String, String)>,
    pub cities: Vec<String>,
}

/// A question mapped to a spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    pub spec: QuerySpec,
    pub language: Language,
    /// Short notes of what was read: "metric: revenue", "country: MX (México)",
    /// "time: last quarter", plus any assumption made.
    pub understood: Vec<String>,
}

/// A question the parser cannot map, with what it did understand and 2–3
/// rephrasings it would accept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotUnderstood {
    pub language: Language,
    pub reason: String,
    pub understood: Vec<String>,
    pub suggestions: Vec<String>,
}

impl std::fmt::Display for NotUnderstood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)?;
        if !self.suggestions.is_empty() {
            let lead = match self.language {
                Language::En => " Try:",
                Language::Es => " Prueba:",
            };
            write!(f, "{lead} \"{}\"", self.suggestions.join("\", \""))?;
        }
        Ok(())
    }
}

impl std::error::Error for NotUnderstood {}

/// Maps a question to a spec. Phrases that need a reference date to pick a
/// year ("Q3" alone, "del 1 al 15 de marzo") are refused; use [`parse_at`]
/// when `as_of` is known.
pub fn parse(question: &str, names: &NameIndex) -> Result<Parsed, NotUnderstood> {
    parser::parse(question, names, None, None)
}

/// [`parse`] with the answer's `as_of`, which only supplies the year of a
/// quarter or date typed without one (the latest one not in the future).
/// Relative periods stay relative: the executor resolves them.
pub fn parse_at(
    question: &str,
    names: &NameIndex,
    as_of: Option<NaiveDate>,
) -> Result<Parsed, NotUnderstood> {
    parser::parse(question, names, as_of, None)
}

/// [`parse_at`] as a follow-up of the previous answer's spec: "¿y en
/// México?", "and by channel?", "same for last year" replace the filter,
/// grouping or period they name and keep the rest. Without `context` the
/// question is read as a fresh one.
pub fn parse_followup(
    question: &str,
    names: &NameIndex,
    as_of: Option<NaiveDate>,
    context: Option<&QuerySpec>,
) -> Result<Parsed, NotUnderstood> {
    parser::parse(question, names, as_of, context)
}

/// English or Spanish, from the words and the spelling (¿, ñ, accents).
/// Undecided questions are English.
pub fn detect_language(question: &str) -> Language {
    const ES: &[&str] = &[
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
        "que",
        "cual",
        "cuales",
        "cuanto",
        "cuanta",
        "cuantos",
        "cuantas",
        "por",
        "para",
        "con",
        "en",
        "y",
        "es",
        "son",
        "fue",
        "fueron",
        "mes",
        "semana",
        "ano",
        "trimestre",
        "pasado",
        "pasada",
        "ultimos",
        "ultimas",
        "hoy",
        "ayer",
        "este",
        "esta",
        "ventas",
        "ingresos",
        "gasto",
        "gastos",
        "canal",
        "canales",
        "campana",
        "campanas",
        "pais",
        "paises",
        "mejor",
        "mejores",
        "peor",
        "peores",
        "mayor",
        "menor",
        "nos",
        "dio",
        "tuvo",
        "dame",
        "dime",
        "muestrame",
        "cada",
        "segun",
        "comparado",
        "frente",
        "hola",
        "clics",
        "alcance",
        "prospectos",
        "facturacion",
        "inversion",
        "tasa",
        "ticket",
        "promedio",
        "retorno",
        "cliente",
        "clientes",
        "producto",
        "productos",
        "ciudad",
        "objetivo",
        "diario",
        "mensual",
        "semanal",
        "anual",
        "entre",
        "desde",
        "hasta",
        "contra",
        "mas",
        "menos",
        "todos",
        "como",
        "donde",
        "cuando",
        "hemos",
        "tuvimos",
        "vendimos",
        "gastamos",
        "invertimos",
        "numero",
        "cantidad",
        "impresiones",
        "conversiones",
        "dias",
        "meses",
        "anos",
        "nuestro",
        "nuestra",
        "nuestros",
        "nuestras",
        "sentido",
        "vida",
        "quiero",
        "cuenta",
        "escribe",
        "escribeme",
        "poema",
        "empleados",
        "tenemos",
        "signo",
        "zodiacal",
        "borra",
        "elimina",
        "todas",
    ];
    const EN: &[&str] = &[
        "the",
        "of",
        "by",
        "what",
        "which",
        "how",
        "much",
        "many",
        "did",
        "was",
        "were",
        "is",
        "are",
        "last",
        "this",
        "month",
        "week",
        "year",
        "quarter",
        "revenue",
        "sales",
        "spend",
        "spent",
        "channel",
        "channels",
        "campaign",
        "campaigns",
        "country",
        "countries",
        "best",
        "worst",
        "top",
        "show",
        "me",
        "give",
        "per",
        "for",
        "each",
        "from",
        "and",
        "in",
        "with",
        "our",
        "we",
        "get",
        "got",
        "have",
        "has",
        "had",
        "total",
        "clicks",
        "reach",
        "between",
        "compared",
        "to",
        "over",
        "during",
        "past",
        "today",
        "yesterday",
        "hello",
        "hi",
        "please",
        "product",
        "products",
        "client",
        "clients",
        "city",
        "cost",
        "rate",
        "average",
        "number",
        "days",
        "months",
        "weeks",
        "years",
        "write",
        "poem",
        "weather",
        "employees",
        "meaning",
        "life",
        "delete",
        "all",
        "do",
        "you",
        "a",
        "bottom",
        "highest",
        "lowest",
        "versus",
        "than",
        "more",
        "most",
        "least",
        "on",
        "by",
        "vs",
    ];
    let mut es = 0usize;
    let mut en = 0usize;
    if question.contains(['¿', '¡', 'ñ', 'Ñ']) {
        es += 3;
    }
    es += question
        .chars()
        .filter(|c| "áéíóúÁÉÍÓÚ".contains(*c))
        .count()
        .min(2);
    for t in normalize::tokenize(question) {
        let w = t.text.as_str();
        es += usize::from(ES.contains(&w));
        en += usize::from(EN.contains(&w));
    }
    if es > en { Language::Es } else { Language::En }
}
#[cfg(test)]
mod tests_answers;
#[cfg(test)]
mod tests_typed;
