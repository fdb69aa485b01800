//! The defect checker: what makes a variant unusable whatever its wording, checked on every variant of both engines.
//!
//! Every check reads the variant against the brief it was written from, so
//! the brief's own facts (the product name, an offer, a URL) are never held
//! against the copy; what the templates or a model added is.

use std::fmt;

use serde::Serialize;

use super::Language;
use super::brief::{Brief, verb_phrase};
use super::channels::{Placement, strip_emoji};
use super::copy::{Fields, violations};
use super::offline::gsm_fold;
use super::seo::{fold, sentences};
use super::words::claims;

/// One objective defect of a variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "defect", rename_all = "snake_case")]
pub enum Defect {
    /// A `¡` or `¿` never closed, or (Spanish) a `!` or `?` never opened.
    UnbalancedMarks { field: String, text: String },
    /// `¡¡`, `¿¿`, `!!`, `??` or `..`.
    DoubledMark { field: String, mark: String },
    /// The offer or benefit started but not finished (it must be whole or absent).
    CutPhrase { field: String, fact: String },
    /// A name or keyword without its capitals, or a sentence opening in lower case.
    BadCapitalisation {
        field: String,
        found: String,
        expected: String,
    },
    /// The variant never names the product (nor its short name).
    MissingProductOrBrand,
    /// A description or main text that is only the call to action.
    OnlyCallToAction { field: String },
    /// The same sentence twice in one field, or the same value twice.
    RepeatedSentence { field: String, sentence: String },
    /// Template text (greeting, opt-out, disclaimer…) in the other language.
    WrongLanguage { field: String, text: String },
    /// A noun-phrase benefit put where a verb must follow ("helps you fresh beans").
    Grammar { field: String, phrase: String },
    /// Punctuation left hanging: `,.`, ` .`, a field ending on `,` or `:`.
    DanglingPunctuation { field: String, text: String },
    /// The channel table's limits (length, count, emoji, '!').
    OverLimit { detail: String },
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnbalancedMarks { field, text } => {
                write!(f, "`{field}` has an unpaired ¡/¿ or !/?: {text:?}")
            }
            Self::DoubledMark { field, mark } => write!(f, "`{field}` doubles {mark:?}"),
            Self::CutPhrase { field, fact } => write!(
                f,
                "`{field}` cuts the {fact} short: use it whole or leave it out"
            ),
            Self::BadCapitalisation {
                field,
                found,
                expected,
            } => write!(f, "`{field}` writes {found:?} where {expected:?} is meant"),
            Self::MissingProductOrBrand => write!(f, "the variant never names the product"),
            Self::OnlyCallToAction { field } => {
                write!(f, "`{field}` is only the call to action")
            }
            Self::RepeatedSentence { field, sentence } => {
                write!(f, "`{field}` repeats {sentence:?}")
            }
            Self::WrongLanguage { field, text } => {
                write!(f, "`{field}` has {text:?} in the wrong language")
            }
            Self::Grammar { field, phrase } => write!(
                f,
                "`{field}` puts the benefit where a verb must follow: {phrase:?}"
            ),
            Self::DanglingPunctuation { field, text } => {
                write!(f, "`{field}` has dangling punctuation: {text:?}")
            }
            Self::OverLimit { detail } => write!(f, "{detail}"),
        }
    }
}

/// Fields whose text must say more than the call to action.
const MAIN_TEXT: &[&str] = &[
    "description",
    "primary_text",
    "caption",
    "post",
    "body",
    "text",
    "subheadline",
    "preheader",
];

/// Every defect of `fields` (one variant of `channel`) written from `brief`.
pub fn defects(fields: &Fields, brief: &Brief, channel: Placement) -> Vec<Defect> {
    let mut out: Vec<Defect> = violations(channel, fields)
        .into_iter()
        .map(|detail| Defect::OverLimit { detail })
        .collect();
    let es = brief.language == Language::Es;
    let short = brief.short_name();
    let names = [brief.product.as_str(), short.as_str()];
    let all = fields
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if !names.iter().any(|n| contains_phrase(&all, n)) {
        out.push(Defect::MissingProductOrBrand);
    }
    for (k, (name, text)) in fields.iter().enumerate() {
        let field = name.as_str();
        let masked = mask(text, brief);
        marks(field, &masked, es, &mut out);
        for d in ["¡¡", "¿¿", "!!", "??"] {
            if masked.replace(' ', "").contains(d) {
                out.push(Defect::DoubledMark {
                    field: field.into(),
                    mark: d.into(),
                });
            }
        }
        if masked.contains("..") && !masked.contains("...") {
            out.push(Defect::DoubledMark {
                field: field.into(),
                mark: "..".into(),
            });
        }
        dangling(field, &masked, &mut out);
        for (fact, what) in [
            (brief.offer.as_deref(), "offer"),
            (brief.benefit.as_deref(), "benefit"),
        ] {
            if let Some(fact) = fact
                && cut(text, fact)
            {
                out.push(Defect::CutPhrase {
                    field: field.into(),
                    fact: what.into(),
                });
            }
        }
        capitals(field, text, &masked, brief, &mut out);
        // A fact that happens to read like the call to action is a fact.
        let says_a_fact = names
            .iter()
            .copied()
            .chain(brief.offer.as_deref())
            .chain(brief.benefit.as_deref())
            .chain(brief.audience.as_deref())
            .any(|n| contains_phrase(text, n));
        if MAIN_TEXT.contains(&field) && only_cta(text, brief) && !says_a_fact {
            out.push(Defect::OnlyCallToAction {
                field: field.into(),
            });
        }
        repeated(field, &masked, &mut out);
        if fields[..k]
            .iter()
            .any(|(n, t)| n == name && fold(t).trim() == fold(text).trim())
        {
            out.push(Defect::RepeatedSentence {
                field: field.into(),
                sentence: text.clone(),
            });
        }
        language(field, &masked, &fact_words(brief), brief.language, &mut out);
        if let Some(b) = &brief.benefit
            && !verb_phrase(b, brief.language)
        {
            let frames: &[&str] = if es {
                &[
                    "ayuda a ",
                    "puedes ",
                    "fácil de ",
                    "quieres ",
                    "pudieras ",
                    "hora de ",
                    "forma de ",
                ]
            } else {
                &[
                    "helps you ",
                    "you can ",
                    "way to ",
                    "want to ",
                    "could ",
                    "time to ",
                    "they ",
                    "simple to ",
                ]
            };
            let t = fold(text);
            let fb = fold(b);
            if let Some(fr) = frames.iter().find(|fr| t.contains(&format!("{fr}{fb}"))) {
                out.push(Defect::Grammar {
                    field: field.into(),
                    phrase: format!("{}{b}", fr),
                });
            }
        }
    }
    out
}

/// The defects of a variant the client's brand was applied to: a
/// preferred term may rewrite a word of the offer or benefit ("cup" →
/// "brew"), which is the brand's choice, not a cut; every other check holds.
pub fn defects_after_brand(fields: &Fields, brief: &Brief, channel: Placement) -> Vec<Defect> {
    defects(fields, brief, channel)
        .into_iter()
        .filter(|d| !matches!(d, Defect::CutPhrase { .. }))
        .collect()
}

/// Words of `s`, lower case, accents folded (GSM folding included), marks dropped.
fn norm_words(s: &str) -> Vec<String> {
    fold(&gsm_fold(s))
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn find_seq(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `text` contains `phrase` word for word (any case, accents folded).
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let n = norm_words(phrase);
    n.is_empty() || find_seq(&norm_words(text), &n)
}

/// Whether `text` starts `fact` (two words or more) without finishing it.
fn cut(text: &str, fact: &str) -> bool {
    let f = norm_words(fact);
    if f.len() < 3 {
        return false;
    }
    let t = norm_words(text);
    if find_seq(&t, &f) {
        return false;
    }
    // Its first three words (two of a three-word fact), then not the rest.
    let head = (f.len() - 1).min(3);
    find_seq(&t, &f[..head])
}

/// `text` with the brief's facts made inert for the punctuation checks:
/// the product and URL replaced by a capitalised placeholder, sentence
/// marks inside the other facts removed (an "e.g." in a benefit is the
/// brief's, not a sentence end).
fn mask(text: &str, brief: &Brief) -> String {
    let mut t = text.to_owned();
    if let Some(u) = &brief.url {
        t = t.replace(u.as_str(), "Url");
    }
    let short = brief.short_name();
    for name in [brief.product.as_str(), short.as_str()] {
        for form in [
            name.to_owned(),
            strip_emoji(name),
            gsm_fold(&strip_emoji(name)),
        ] {
            t = replace_whole(&t, &form, "Pn");
        }
    }
    for fact in [
        brief.benefit.as_deref(),
        brief.offer.as_deref(),
        brief.audience.as_deref(),
    ]
    .into_iter()
    .flatten()
    .chain(brief.keywords.iter().map(String::as_str))
    {
        let inner = fact.trim_end_matches(['.', '!', '?', '…']);
        let inert: String = inner
            .chars()
            .map(|c| {
                if matches!(c, '.' | '…' | ':') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        if inert != inner {
            t = t.replace(inner, &inert);
            t = t.replace(&gsm_fold(inner), &gsm_fold(&inert));
        }
    }
    t
}

/// The brief's own phrases as word lists (its facts may be in any language).
fn fact_words(brief: &Brief) -> Vec<Vec<String>> {
    [
        brief.benefit.as_deref(),
        brief.offer.as_deref(),
        brief.audience.as_deref(),
        Some(brief.call_to_action.as_str()),
        Some(brief.product.as_str()),
    ]
    .into_iter()
    .flatten()
    .chain(brief.keywords.iter().map(String::as_str))
    .map(norm_words)
    .filter(|w| !w.is_empty())
    .collect()
}

/// `words` without every run that is one of the brief's phrases.
fn without_facts(words: Vec<String>, facts: &[Vec<String>]) -> Vec<String> {
    let mut out = words;
    for f in facts {
        let mut i = 0;
        while i + f.len() <= out.len() {
            if out[i..i + f.len()] == f[..] {
                out.drain(i..i + f.len());
            } else {
                i += 1;
            }
        }
    }
    out
}

/// `text` with every whole-word occurrence of `what` replaced.
fn replace_whole(text: &str, what: &str, with: &str) -> String {
    if what.is_empty() {
        return text.to_owned();
    }
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(what) {
        let (before, after) = (&rest[..i], &rest[i + what.len()..]);
        let prev = out
            .chars()
            .next_back()
            .filter(|_| before.is_empty())
            .or(before.chars().next_back());
        out.push_str(before);
        if edge(prev) && edge(after.chars().next()) {
            out.push_str(with);
        } else {
            out.push_str(what);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn marks(field: &str, text: &str, es: bool, out: &mut Vec<Defect>) {
    let mut open: Vec<char> = Vec::new();
    let mut bad = false;
    for c in text.chars() {
        match c {
            '¡' | '¿' => open.push(c),
            '!' | '?' => {
                let opener = if c == '!' { '¡' } else { '¿' };
                if open.last() == Some(&opener) {
                    open.pop();
                } else if es {
                    bad = true;
                }
            }
            _ => {}
        }
    }
    if bad || !open.is_empty() {
        out.push(Defect::UnbalancedMarks {
            field: field.into(),
            text: text.into(),
        });
    }
}

fn dangling(field: &str, text: &str, out: &mut Vec<Defect>) {
    let squeezed: String = text
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let bad_pairs = [
        ",.", ",!", ",?", ";.", ":.", ", .", " .", " ,", " :", " ;", ".,", "()", "¡!", "¿?",
    ];
    let end_bad = squeezed
        .lines()
        .last()
        .map(str::trim_end)
        .is_some_and(|l| l.ends_with([',', ';', ':', '(', '-', '—', '¡', '¿']));
    if let Some(p) = bad_pairs.iter().find(|p| squeezed.contains(*p)) {
        out.push(Defect::DanglingPunctuation {
            field: field.into(),
            text: (*p).into(),
        });
    } else if end_bad {
        out.push(Defect::DanglingPunctuation {
            field: field.into(),
            text: squeezed
                .chars()
                .rev()
                .take(12)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
        });
    }
}

fn capitals(field: &str, text: &str, masked: &str, brief: &Brief, out: &mut Vec<Defect>) {
    // The product in its own capitals wherever it is named.
    if let Some(found) = case_variant(text, &brief.product) {
        out.push(Defect::BadCapitalisation {
            field: field.into(),
            found,
            expected: brief.product.clone(),
        });
    }
    // A keyword's proper capitals are never lowered.
    for k in &brief.keywords {
        let proper = brief.proper_keyword(k);
        if proper == brief.product {
            continue;
        }
        if let Some(found) = lowered(text, &proper) {
            out.push(Defect::BadCapitalisation {
                field: field.into(),
                found,
                expected: proper,
            });
        }
    }
    // Sentences open with a capital (or a digit, a hashtag, a placeholder).
    if field == "path" {
        return;
    }
    for line in masked.lines() {
        let line = line.trim_start_matches(['-', '•', '*', ' ', '#', '>']);
        for s in sentences(line) {
            let first = s.chars().find(|c| c.is_alphanumeric());
            if first.is_some_and(char::is_lowercase)
                && !s.trim_start().starts_with(['#', '{', '@'])
                && !s.contains("://")
            {
                out.push(Defect::BadCapitalisation {
                    field: field.into(),
                    found: s.chars().take(30).collect(),
                    expected: "a sentence opening with a capital".into(),
                });
                return;
            }
        }
    }
}

/// Occurrences of `phrase` (any case) in `text` whose capitals differ.
fn case_variant(text: &str, phrase: &str) -> Option<String> {
    // A name all in lower case ("año") may open a sentence with a capital;
    // one with capitals of its own ("eBay") is written as it is.
    let plain = !phrase.chars().any(char::is_uppercase);
    occurrences(text, phrase).find(|o| {
        o != phrase
            && gsm_fold(o) != gsm_fold(phrase)
            && !(plain && gsm_fold(o) == gsm_fold(&super::offline::cap(phrase)))
    })
}

/// An occurrence of `proper` in `text` with one of its capitals lowered.
fn lowered(text: &str, proper: &str) -> Option<String> {
    occurrences(text, proper).find(|o| {
        o.chars()
            .zip(proper.chars())
            .any(|(a, b)| b.is_uppercase() && a.is_lowercase())
    })
}

fn occurrences<'t>(text: &'t str, phrase: &str) -> impl Iterator<Item = String> + 't {
    let lower = text.to_lowercase();
    let needle = phrase.to_lowercase();
    let same_len = lower.len() == text.len() && !needle.is_empty();
    let mut found = Vec::new();
    if same_len {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&needle) {
            let s = from + pos;
            let e = s + needle.len();
            let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            if edge(lower[..s].chars().next_back()) && edge(lower[e..].chars().next()) {
                found.push(text[s..e].to_owned());
            }
            from = e;
        }
    }
    found.into_iter()
}

/// Standard calls to action of both languages, besides the brief's own.
const CTAS: &[&str] = &[
    "shop now",
    "learn more",
    "see how it works",
    "get started today",
    "find out more",
    "compra ahora",
    "descubre mas",
    "mira como funciona",
    "empieza hoy",
    "informate",
    "get your quote",
    "pide tu cotizacion",
    "tell us what you think",
    "cuentanos que opinas",
];

/// Whether `text` says nothing but calls to action (and the URL).
fn only_cta(text: &str, brief: &Brief) -> bool {
    let mut rest = text.to_owned();
    if let Some(u) = &brief.url {
        rest = rest.replace(u.as_str(), " ");
    }
    let mut w = norm_words(&rest).join(" ");
    let own = norm_words(&brief.call_to_action).join(" ");
    for c in std::iter::once(own.as_str()).chain(CTAS.iter().copied()) {
        if !c.is_empty() {
            w = w.replace(c, " ");
        }
    }
    w.split_whitespace().next().is_none()
}

fn repeated(field: &str, text: &str, out: &mut Vec<Defect>) {
    let mut seen: Vec<Vec<String>> = Vec::new();
    for s in sentences(text) {
        let n = norm_words(&s);
        if n.len() < 2 {
            continue;
        }
        if seen.contains(&n) {
            out.push(Defect::RepeatedSentence {
                field: field.into(),
                sentence: s,
            });
            return;
        }
        seen.push(n);
    }
}

/// Sentences whose words (the brief's facts left out) are all of the
/// other language: a greeting, an opt-out or a disclaimer left untranslated.
fn language(
    field: &str,
    masked: &str,
    facts: &[Vec<String>],
    lang: Language,
    out: &mut Vec<Defect>,
) {
    for s in sentences(masked) {
        let words = without_facts(norm_words(&s.replace('\'', "")), facts);
        let (en, es) = claims(&words);
        let (ours, theirs) = match lang {
            Language::En => (en, es),
            Language::Es => (es, en),
        };
        if theirs >= 1 && ours == 0 && theirs * 2 >= words.len().min(4) {
            out.push(Defect::WrongLanguage {
                field: field.into(),
                text: s,
            });
            return;
        }
    }
}

#[cfg(test)]
mod tests;
