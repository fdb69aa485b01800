//! Reading an instruction: its language, accent-folded words and phrases, the leading verb after politeness.

use serde::Serialize;

/// Language of an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// `en` or `es` in this language.
    pub fn pick(self, en: &str, es: &str) -> String {
        match self {
            Lang::En => en.to_owned(),
            Lang::Es => es.to_owned(),
        }
    }
}

/// Lower-case, accents folded, for matching only. One char per char, so
/// char positions in the folded text are those of the original.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' | 'Ç' => 'c',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

pub fn words(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| {
            !(c.is_alphanumeric() || c == '_' || c == '@' || c == '.' || c == '+' || c == '-')
        })
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Plain word tokens (letters and digits only), for name matching.
pub fn tokens(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Byte offsets of `phrase` in `f` where it stands as whole words.
pub fn phrase_at(f: &str, phrase: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = f[from..].find(phrase) {
        let at = from + i;
        let end = at + phrase.len();
        let before_ok = !f[..at].ends_with(|c: char| c.is_alphanumeric());
        let after_ok = !f[end..].starts_with(|c: char| c.is_alphanumeric());
        if before_ok && after_ok {
            out.push(at);
        }
        from = end;
    }
    out
}

/// Whether `f` holds any of `phrases` as whole words.
pub fn has_any(f: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| !phrase_at(f, p).is_empty())
}

const ES_MARKERS: &[&str] = &[
    "el", "la", "los", "las", "de", "del", "para", "en", "que", "cuanto", "cuantos", "cuantas",
    "cual", "cuales", "genera", "lanza", "registra", "escribe", "redacta", "crea", "campana",
    "ventas", "mes", "pasado", "ano", "por", "con", "una", "un", "este", "esta", "quien", "donde",
    "como", "dame", "muestra", "semana", "ayuda", "pausa", "reanuda", "informe", "reporte",
    "llamo", "hoy", "envia", "manda", "semanal", "mensual", "vino", "quiero", "hola", "buenas",
];

const EN_MARKERS: &[&str] = &[
    "the", "of", "for", "in", "what", "how", "which", "was", "were", "is", "did", "last", "month",
    "write", "launch", "register", "a", "an", "this", "with", "show", "sales", "by", "help",
    "pause", "resume", "should", "call", "today", "send", "me", "weekly", "report", "came",
];

/// Spanish when it reads Spanish: ¿/¡/ñ, or more Spanish function words
/// than English ones (accents break a tie).
pub fn detect_lang(text: &str) -> Lang {
    if text.contains('¿') || text.contains('¡') || text.contains('ñ') {
        return Lang::Es;
    }
    let f = fold(text);
    let w = words(&f);
    let es = w
        .iter()
        .filter(|x| ES_MARKERS.contains(&x.as_str()))
        .count();
    let en = w
        .iter()
        .filter(|x| EN_MARKERS.contains(&x.as_str()))
        .count();
    let accents = text.chars().any(|c| "áéíóú".contains(c));
    if es > en || (es == en && accents) {
        Lang::Es
    } else {
        Lang::En
    }
}

/// "in Spanish" / "en inglés": the language asked for the output.
pub fn explicit_lang(f: &str) -> Option<Lang> {
    if ["in spanish", "en espanol", "en castellano", "in espanol"]
        .iter()
        .any(|p| f.contains(p))
    {
        Some(Lang::Es)
    } else if ["in english", "en ingles"].iter().any(|p| f.contains(p)) {
        Some(Lang::En)
    } else {
        None
    }
}

const POLITE: &[&str] = &[
    "please",
    "pls",
    "por favor",
    "hey",
    "hola",
    "ok",
    "okay",
    "can you",
    "could you",
    "would you",
    "puedes",
    "podrias",
    "quiero que",
    "i want you to",
    "i want to",
    "i'd like to",
    "quiero",
    "necesito",
    "i need to",
    "i need you to",
    "help me",
    "ayudame a",
    "let's",
    "vamos a",
    "me puedes",
    "me podrias",
];

/// The instruction's leading words after politeness ("please", "¿puedes…").
pub fn leading(f: &str) -> String {
    let mut s = f.trim().trim_start_matches(['¿', '¡']).trim().to_owned();
    loop {
        let before = s.clone();
        for p in POLITE {
            if let Some(rest) = s.strip_prefix(p)
                && (rest.is_empty() || rest.starts_with(|c: char| !c.is_alphanumeric()))
            {
                s = rest
                    .trim_start_matches([',', ' ', ':', '!', '.'])
                    .to_owned();
            }
        }
        if s == before {
            return s;
        }
    }
}

/// Whether `s` starts with one of `verbs` as a whole word.
pub fn starts_with_any(s: &str, verbs: &[&str]) -> bool {
    verbs.iter().any(|v| {
        s.strip_prefix(v)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| !c.is_alphanumeric()))
    })
}
