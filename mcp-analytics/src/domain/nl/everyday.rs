//! How people type questions beyond the lexicon: the reviewed list of words
//! that carry no meaning (greetings, politeness), verbs of getting, selling
//! and spending, everyday money words, trend words and cost superlatives,
//! and the typo correction towards known words.
//!
//! Review rule for [`COURTESY`]: a word goes in only if it can never name a
//! metric, a dimension, a place, a channel, a period or a campaign, client
//! or product; an unknown word stays a refusal.

use std::collections::HashSet;
use std::sync::LazyLock;

use promptsales_shared::domain::COUNTRY_NAMES;

use super::lexicon::{CHANNEL_ALIASES, FILLER, GRAIN_ADJECTIVES, MONTHS};
use super::normalize::fold;
use crate::domain::semantic::{DIMENSIONS, METRICS, Metric};

/// Greetings, politeness and chatter in English and Spanish (folded).
pub const COURTESY: &[&str] = &[
    // English
    "hi",
    "hello",
    "hey",
    "there",
    "good",
    "morning",
    "afternoon",
    "evening",
    "howdy",
    "thanks",
    "thx",
    "cheers",
    "ok",
    "okay",
    "quick",
    "question",
    "kindly",
    "possibly",
    "mind",
    "wondering",
    "wonder",
    "curious",
    "tell",
    "share",
    "roughly",
    "approximately",
    "exactly",
    "actually",
    "really",
    "folks",
    "team",
    "guys",
    "quickly",
    "please",
    "pls",
    "plz",
    "break",
    "broke",
    "down",
    "sum",
    "altogether",
    "overall",
    // Spanish
    "hola",
    "buenas",
    "buenos",
    "buen",
    "dia",
    "dias",
    "tardes",
    "noches",
    "oye",
    "porfa",
    "porfis",
    "porfavor",
    "gracias",
    "podrias",
    "puedes",
    "podria",
    "podrian",
    "pueden",
    "pudieras",
    "decir",
    "decirme",
    "dimelo",
    "gustaria",
    "encantaria",
    "pregunta",
    "rapida",
    "consulta",
    "aproximadamente",
    "exactamente",
    "realmente",
    "equipo",
    "chicos",
    "saber",
    "sabes",
    "desglosa",
    "desglosar",
    "desglosame",
    "detalle",
    "detallado",
    "mostrarme",
    "ensenarme",
    "pasame",
    "darme",
    "traeme",
    "tiempo",
    "mismo",
    "misma",
    "pull",
    "pulls",
];

/// Verbs that say money came in: without a metric word, revenue.
pub const REVENUE_VERBS: &[&str] = &[
    "came",
    "come",
    "comes",
    "coming",
    "brought",
    "bring",
    "brings",
    "bringing",
    "took",
    "take",
    "pulled",
    "generate",
    "generated",
    "generates",
    "make",
    "made",
    "makes",
    "making",
    "earn",
    "earned",
    "earns",
    "earning",
    "sold",
    "sell",
    "sells",
    "selling",
    "billed",
    "bill",
    "invoiced",
    "grossed",
    "gross",
    "rake",
    "raked",
    "facturo",
    "facturamos",
    "facturaron",
    "facturado",
    "facturar",
    "factura",
    "facturan",
    "vendio",
    "vendieron",
    "vender",
    "vendido",
    "vendemos",
    "venden",
    "vende",
    "vendimos",
    "ingreso",
    "ingresaron",
    "ingresamos",
    "ingresado",
    "entro",
    "entraron",
    "entrado",
    "gano",
    "ganamos",
    "ganaron",
    "ganado",
    "hicimos",
    "hizo",
    "hicieron",
    "generaron",
    "genero",
    "generamos",
    "recaudo",
    "recaudamos",
    "recaudaron",
    "cobramos",
    "cobro",
    "cobraron",
    "juntamos",
    "junto",
    "juntaron",
    "sacamos",
    "saco",
    "sacaron",
];

/// Verbs that say money went out: without a metric word, spend.
pub const SPEND_VERBS: &[&str] = &[
    "spent",
    "spend",
    "spends",
    "spending",
    "invested",
    "invest",
    "invests",
    "paid",
    "pay",
    "paying",
    "burned",
    "burnt",
    "burn",
    "gasto",
    "gastaron",
    "gastamos",
    "gastado",
    "gastar",
    "gastan",
    "gastas",
    "invertimos",
    "invirtio",
    "invirtieron",
    "invertido",
    "invertir",
    "pagamos",
    "pago",
    "pagaron",
    "pagado",
    "metimos",
    "metieron",
];

/// Two-word phrases of money going out ("went into", "se fue"): spend.
pub const SPEND_PAIRS: &[(&str, &str)] = &[
    ("went", "into"),
    ("went", "to"),
    ("went", "on"),
    ("go", "into"),
    ("goes", "into"),
    ("gone", "into"),
    ("put", "into"),
    ("poured", "into"),
    ("sunk", "into"),
    ("se", "fue"),
    ("se", "fueron"),
    ("se", "va"),
    ("se", "gasto"),
    ("se", "invirtio"),
    ("pusimos", "en"),
    ("metimos", "en"),
];

/// Everyday and regional words for money ("plata", "lana", "feria", "guita").
pub const MONEY_WORDS: &[&str] = &[
    "money", "cash", "dough", "bucks", "moolah", "dinero", "plata", "lana", "feria", "pasta",
    "guita", "varo", "billete", "billetes", "lucas", "luca", "biyuyo", "chavos", "pisto", "reales",
    "platica", "platita", "dinerito",
];

/// Trend words: the question wants a time grain.
pub const TREND_WORDS: &[&str] = &[
    "trend",
    "trends",
    "trending",
    "trended",
    "evolution",
    "evolved",
    "evolving",
    "progression",
    "tendencia",
    "tendencias",
    "evolucion",
    "evoluciono",
    "evolucionado",
    "historico",
    "historica",
    "trayectoria",
    "largo",
];

/// Two-word trend phrases.
pub const TREND_PAIRS: &[(&str, &str)] = &[
    ("over", "time"),
    ("through", "time"),
    ("el", "tiempo"),
    ("del", "tiempo"),
];

/// Cost adjectives: `true` when they mean expensive.
pub const COST_ADJECTIVES: &[(&str, bool)] = &[
    ("cheapest", false),
    ("cheaper", false),
    ("cheap", false),
    ("inexpensive", false),
    ("barato", false),
    ("barata", false),
    ("baratos", false),
    ("baratas", false),
    ("economico", false),
    ("economica", false),
    ("economicos", false),
    ("economicas", false),
    ("expensive", true),
    ("priciest", true),
    ("pricey", true),
    ("pricier", true),
    ("costliest", true),
    ("caro", true),
    ("cara", true),
    ("caros", true),
    ("caras", true),
    ("costoso", true),
    ("costosa", true),
    ("costosos", true),
    ("costosas", true),
];

/// What a cost adjective is about: the count it prices.
pub fn cost_metric(noun: &str) -> Option<Metric> {
    match noun {
        "lead" | "leads" | "prospecto" | "prospectos" | "prospect" | "prospects" => {
            Some(Metric::Cpl)
        }
        "click" | "clicks" | "clic" | "clics" => Some(Metric::Cpc),
        "conversion" | "conversions" | "conversiones" | "acquisition" | "acquisitions"
        | "adquisicion" | "adquisiciones" => Some(Metric::Cpa),
        _ => None,
    }
}

/// Words the parser may skip when nothing else claimed them.
pub fn skippable(word: &str) -> bool {
    FILLER.contains(word)
        || COURTESY.contains(&word)
        || REVENUE_VERBS.contains(&word)
        || SPEND_VERBS.contains(&word)
        || MONEY_WORDS.contains(&word)
}

/// Every word a typo may be corrected to: each word of every synonym,
/// alias, name of a country or month, and the everyday lists that mean
/// something (not filler or courtesy).
static KNOWN: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut v: HashSet<String> = HashSet::new();
    let mut add = |s: &str| {
        for w in fold(s).split(|c: char| !c.is_alphanumeric()) {
            if !w.is_empty() {
                v.insert(w.to_owned());
            }
        }
    };
    for m in METRICS {
        m.synonyms_en
            .iter()
            .chain(m.synonyms_es)
            .for_each(|s| add(s));
    }
    for d in DIMENSIONS {
        d.synonyms_en
            .iter()
            .chain(d.synonyms_es)
            .for_each(|s| add(s));
    }
    CHANNEL_ALIASES.iter().for_each(|(s, _)| add(s));
    for (_, en, es) in COUNTRY_NAMES {
        add(en);
        add(es);
    }
    MONTHS.iter().for_each(|(s, _)| add(s));
    GRAIN_ADJECTIVES.iter().for_each(|(s, _)| add(s));
    // Filler and courtesy are no targets: "hour" must not become "your".
    for list in [REVENUE_VERBS, SPEND_VERBS, MONEY_WORDS, TREND_WORDS] {
        list.iter().for_each(|s| add(s));
    }
    COST_ADJECTIVES.iter().for_each(|(s, _)| add(s));
    for w in [
        "pasado",
        "pasada",
        "anterior",
        "ultimo",
        "ultimos",
        "ultimas",
        "semana",
        "trimestre",
        "quarter",
        "month",
        "week",
        "year",
        "ano",
        "previous",
        "yesterday",
        "today",
        "ayer",
        "hoy",
        "mejor",
        "mejores",
        "peor",
        "peores",
        "best",
        "worst",
        "highest",
        "lowest",
        "top",
        "bottom",
        "compared",
        "comparado",
        "versus",
    ] {
        add(w);
    }
    v
});

/// Whether a folded word is known as typed.
pub fn is_known(word: &str) -> bool {
    KNOWN.contains(word) || skippable(word)
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent
/// transpositions ("ventsa" → "ventas" is one edit).
pub fn damerau(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Edits a misspelling of this length may have: none under four letters
/// (too many short words are one edit apart), one up to seven, two from
/// eight on.
pub fn allowed_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The one known word `word` is a misspelling of, if exactly one word is
/// nearest; `None` when it is known, too far from everything, ambiguous,
/// or as close to a word of `names` (which the name matcher handles).
pub fn correct(word: &str, names: &HashSet<String>) -> Option<&'static str> {
    if is_known(word) || word.chars().any(|c| !c.is_alphabetic()) {
        return None;
    }
    let allowed = allowed_edits(word.chars().count());
    if allowed == 0 {
        return None;
    }
    let mut best: Option<(usize, Vec<&'static str>)> = None;
    for k in KNOWN.iter() {
        if k.chars().count().abs_diff(word.chars().count()) > allowed || k.chars().count() < 4 {
            continue;
        }
        let dist = damerau(word, k);
        if dist > allowed {
            continue;
        }
        match &mut best {
            Some((bd, ks)) if *bd == dist => ks.push(k.as_str()),
            Some((bd, _)) if *bd < dist => {}
            _ => best = Some((dist, vec![k.as_str()])),
        }
    }
    let (dist, ks) = best?;
    let near_name = names
        .iter()
        .any(|n| n.chars().count() >= 4 && damerau(word, n) <= dist);
    if near_name {
        return None;
    }
    if let [only] = ks.as_slice() {
        return Some(only);
    }
    // A tie is broken only by a transposition, which keeps every letter
    // ("ventsa" is "ventas", not "venta").
    let sorted = |w: &str| {
        let mut c: Vec<char> = w.chars().collect();
        c.sort_unstable();
        c
    };
    let same: Vec<&&str> = ks.iter().filter(|k| sorted(k) == sorted(word)).collect();
    if let [only] = same.as_slice() {
        return Some(**only);
    }
    // Or when every candidate means the same ("impresions": "impressions"
    // and "impresiones" are one metric).
    let meanings: Vec<Option<String>> = ks.iter().map(|k| meaning(k)).collect();
    if meanings[0].is_some() && meanings.iter().all(|m| *m == meanings[0]) {
        return ks.iter().min().copied();
    }
    None
}

/// What a one-word synonym names: a metric, a dimension or a channel.
fn meaning(word: &str) -> Option<String> {
    let is = |s: &&str| fold(s) == word;
    if let Some(m) = METRICS
        .iter()
        .find(|m| m.synonyms_en.iter().chain(m.synonyms_es).any(is))
    {
        return Some(format!("metric {}", m.name.as_str()));
    }
    if let Some(d) = DIMENSIONS
        .iter()
        .find(|d| d.synonyms_en.iter().chain(d.synonyms_es).any(is))
    {
        return Some(format!("dimension {}", d.name.as_str()));
    }
    CHANNEL_ALIASES
        .iter()
        .find(|(a, _)| is(a))
        .map(|(_, c)| format!("channel {}", c.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrects_only_unambiguous_near_misses() {
        let none = HashSet::new();
        assert_eq!(damerau("ventsa", "ventas"), 1);
        assert_eq!(correct("revnue", &none), Some("revenue"));
        assert_eq!(correct("ventsa", &none), Some("ventas"));
        assert_eq!(correct("chanel", &none), Some("channel"));
        assert_eq!(correct("revenue", &none), None);
        assert_eq!(correct("narnia", &none), None);
        assert_eq!(correct("profit", &none), None);
        assert_eq!(correct("mx", &none), None);
        let names: HashSet<String> = ["tecnohogar".to_owned()].into();
        assert_eq!(correct("tecnohogr", &names), None);
    }

    #[test]
    fn courtesy_never_names_anything() {
        for w in COURTESY {
            assert!(
                !super::super::lexicon::CHANNEL_ALIASES
                    .iter()
                    .any(|(a, _)| a == w),
                "{w} is a channel"
            );
            assert!(
                !METRICS.iter().any(|m| m
                    .synonyms_en
                    .iter()
                    .chain(m.synonyms_es)
                    .any(|s| fold(s) == *w)),
                "{w} is a metric"
            );
        }
    }
}
