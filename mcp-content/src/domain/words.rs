//! Words only one language's copy uses, and the language a short text (a disclaimer, a greeting) is in.

use super::Language;
use super::seo::fold;

/// Words only English template text uses (never Spanish), accents folded.
pub const EN_WORDS: &[&str] = &[
    "hi",
    "hello",
    "there",
    "the",
    "and",
    "you",
    "your",
    "with",
    "for",
    "reply",
    "stop",
    "opt",
    "out",
    "terms",
    "apply",
    "shop",
    "now",
    "learn",
    "more",
    "meet",
    "what",
    "made",
    "get",
    "here",
    "easier",
    "way",
    "want",
    "discover",
    "try",
    "dont",
    "miss",
    "right",
    "unsubscribe",
    "conditions",
    "offer",
    "valid",
    "while",
    "supplies",
    "last",
    "results",
    "may",
    "vary",
    "see",
    "to",
    "of",
    "in",
    "on",
    "at",
    "by",
    "an",
    "is",
    "are",
    "be",
    "any",
    "anytime",
    "all",
    "not",
    "we",
    "our",
    "it",
    "this",
    "that",
    "from",
    "as",
    "subject",
    "availability",
    "cancel",
    "only",
    "limited",
    "time",
    "each",
    "per",
    "free",
    "shipping",
    "included",
    "excluded",
    "prices",
];

/// Words only Spanish template text uses (never English), accents folded.
pub const ES_WORDS: &[&str] = &[
    "hola",
    "el",
    "los",
    "las",
    "del",
    "y",
    "con",
    "para",
    "tu",
    "tus",
    "te",
    "que",
    "es",
    "una",
    "por",
    "mas",
    "ahora",
    "responde",
    "baja",
    "salir",
    "aplican",
    "terminos",
    "condiciones",
    "compra",
    "descubre",
    "conoce",
    "prueba",
    "hecho",
    "pensado",
    "aprovecha",
    "quieres",
    "recibir",
    "oferta",
    "valida",
    "hasta",
    "agotar",
    "existencias",
    "resultados",
    "pueden",
    "variar",
    "sujeto",
    "disponibilidad",
    "de",
    "la",
    "en",
    "o",
    "un",
    "sin",
    "su",
    "sus",
    "cuando",
    "quieras",
    "cualquier",
    "momento",
    "cancela",
    "solo",
    "gratis",
    "tiempo",
    "limitado",
    "cada",
    "envio",
    "incluido",
    "precios",
    "vigente",
    "valido",
];

/// How many of `words` (lower case, folded) each language claims: (en, es).
pub fn claims(words: &[String]) -> (usize, usize) {
    let has = |list: &[&str], w: &str| list.contains(&w);
    (
        words.iter().filter(|w| has(EN_WORDS, w)).count(),
        words.iter().filter(|w| has(ES_WORDS, w)).count(),
    )
}

/// Lower-case, accent-folded words of `text`.
pub fn folded_words(text: &str) -> Vec<String> {
    fold(&text.replace('\'', ""))
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The language of a short text when its words say so clearly (one
/// language's words only, or twice the other's); None when unsure.
pub fn language_of(text: &str) -> Option<Language> {
    let (en, mut es) = claims(&folded_words(text));
    // Spanish spelling is a claim of its own: accents, ñ, ¿ and ¡.
    if text.chars().any(|c| "áéíóúñÁÉÍÓÚÑ¿¡".contains(c)) {
        es += 1;
    }
    if en > 0 && en >= 2 * es {
        Some(Language::En)
    } else if es > 0 && es >= 2 * en {
        Some(Language::Es)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disclaimers_and_greetings_have_a_language() {
        assert_eq!(language_of("Terms apply."), Some(Language::En));
        assert_eq!(
            language_of("Aplican términos y condiciones."),
            Some(Language::Es)
        );
        assert_eq!(language_of("Hi there,"), Some(Language::En));
        assert_eq!(language_of("¡Hola!"), Some(Language::Es));
        assert_eq!(language_of("Cancel anytime."), Some(Language::En));
        assert_eq!(language_of("Cancela cuando quieras."), Some(Language::Es));
        assert_eq!(language_of("Subject to availability."), Some(Language::En));
        assert_eq!(language_of("Sujeto a disponibilidad."), Some(Language::Es));
        assert_eq!(language_of("Andino 2x1"), None);
    }
}
