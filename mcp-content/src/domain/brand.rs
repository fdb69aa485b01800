//! A client's brand guidelines and the check every generation and `score_content` runs.

use promptsales_shared::AppError;
use promptsales_shared::domain::ClientId;
use serde::{Deserialize, Serialize};

use super::Language;
use super::words::language_of;

/// Most entries per list, and the longest entry.
const MAX_ENTRIES: usize = 100;
const MAX_ENTRY: usize = 300;
const MAX_VOICE: usize = 1000;

/// A term to avoid and the one to use instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PreferredTerm {
    /// What not to write, e.g. `cheap` / `barato`.
    pub avoid: String,
    /// What to write instead, e.g. `affordable` / `accesible`.
    pub prefer: String,
}

/// How a client's copy must sound and what it must or must not say.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BrandGuidelines {
    /// The brand voice in a few words, e.g. `warm, expert, never pushy`.
    #[serde(default)]
    pub voice: String,
    /// Words or phrases that must never appear: any case or accent, and any
    /// inflection (`cheap` also bans `cheaper`, `cheapest`; `barato` also
    /// `baratas`, `baratísimo`).
    #[serde(default)]
    pub banned_words: Vec<String>,
    /// Sentences long-form copy (email, web, LinkedIn, WhatsApp) must carry,
    /// e.g. `Terms apply.` / `Aplican términos y condiciones.`; each goes
    /// only into copy in its own language (told by its words; one whose
    /// language cannot be told goes into both).
    #[serde(default)]
    pub required_disclaimers: Vec<String>,
    /// Terms replaced by the brand's preferred ones in generated copy (never
    /// inside the product name or a keyword).
    #[serde(default)]
    pub preferred_terms: Vec<PreferredTerm>,
}

/// One breach of the guidelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BrandViolation {
    /// banned_word, missing_disclaimer or avoided_term.
    pub rule: String,
    /// The word, disclaimer or term concerned.
    pub term: String,
    /// What to do about it.
    pub message: String,
}

fn clean_list(field: &str, v: &[String]) -> Result<Vec<String>, AppError> {
    if v.len() > MAX_ENTRIES {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_ENTRIES} entries"),
            v.len().to_string(),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for e in v {
        let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
        if e.is_empty() {
            return Err(AppError::invalid(field, "non-empty entries", "\"\""));
        }
        if e.chars().count() > MAX_ENTRY {
            return Err(AppError::invalid(
                field,
                format!("entries of at most {MAX_ENTRY} characters"),
                e,
            ));
        }
        if !out.iter().any(|o| o.to_lowercase() == e.to_lowercase()) {
            out.push(e);
        }
    }
    Ok(out)
}

impl BrandGuidelines {
    /// Trims, bounds and dedupes every list; errors name the field.
    pub fn normalized(self) -> Result<Self, AppError> {
        let voice = self.voice.split_whitespace().collect::<Vec<_>>().join(" ");
        if voice.chars().count() > MAX_VOICE {
            return Err(AppError::invalid(
                "voice",
                format!("at most {MAX_VOICE} characters"),
                voice,
            ));
        }
        let mut preferred = Vec::new();
        if self.preferred_terms.len() > MAX_ENTRIES {
            return Err(AppError::invalid(
                "preferred_terms",
                format!("at most {MAX_ENTRIES} entries"),
                self.preferred_terms.len().to_string(),
            ));
        }
        for t in self.preferred_terms {
            let avoid = clean_list("preferred_terms.avoid", &[t.avoid])?;
            let prefer = clean_list("preferred_terms.prefer", &[t.prefer])?;
            if let (Some(avoid), Some(prefer)) =
                (avoid.into_iter().next(), prefer.into_iter().next())
            {
                preferred.push(PreferredTerm { avoid, prefer });
            }
        }
        Ok(Self {
            voice,
            banned_words: clean_list("banned_words", &self.banned_words)?,
            required_disclaimers: clean_list("required_disclaimers", &self.required_disclaimers)?,
            preferred_terms: preferred,
        })
    }

    /// Replaces avoided terms by preferred ones (whole words, any case; the
    /// first letter's case follows the replaced word), never inside one of
    /// the `keep` phrases (the product name, the keywords).
    pub fn apply_preferred(&self, text: &str, keep: &[&str]) -> String {
        let mut out = text.to_owned();
        for t in &self.preferred_terms {
            out = replace_word(&out, &t.avoid, &t.prefer, keep);
        }
        out
    }

    /// The required disclaimers for copy in `language` (all of them when
    /// the language is not known).
    pub fn disclaimers(&self, language: Option<Language>) -> Vec<&String> {
        self.required_disclaimers
            .iter()
            .filter(|d| match (language, language_of(d)) {
                (Some(l), Some(of)) => l == of,
                _ => true,
            })
            .collect()
    }

    /// Every breach in `text`. `long_form` says whether the text is a whole
    /// piece that must carry the required disclaimers (those of `language`);
    /// `keep` are the phrases preferred terms do not apply to.
    pub fn check(
        &self,
        text: &str,
        long_form: bool,
        language: Option<Language>,
        keep: &[&str],
    ) -> Vec<BrandViolation> {
        let mut out = Vec::new();
        for w in &self.banned_words {
            if let Some(found) = find_banned(text, w) {
                out.push(BrandViolation {
                    rule: "banned_word".into(),
                    term: w.clone(),
                    message: if fold(&found) == fold(w) {
                        format!("remove the banned word \"{w}\"")
                    } else {
                        format!("remove \"{found}\" (a form of the banned word \"{w}\")")
                    },
                });
            }
        }
        let unkept = blank(text, keep);
        for t in &self.preferred_terms {
            if find_word(&unkept, &t.avoid).is_some() {
                out.push(BrandViolation {
                    rule: "avoided_term".into(),
                    term: t.avoid.clone(),
                    message: format!("write \"{}\" instead of \"{}\"", t.prefer, t.avoid),
                });
            }
        }
        if long_form {
            let folded = fold(text);
            for d in self.disclaimers(language) {
                if !folded.contains(&fold(d)) {
                    out.push(BrandViolation {
                        rule: "missing_disclaimer".into(),
                        term: d.clone(),
                        message: format!("add the required disclaimer \"{d}\""),
                    });
                }
            }
        }
        out
    }
}

/// `text` with the `keep` phrases (any case) blanked out, byte lengths kept.
fn blank(text: &str, keep: &[&str]) -> String {
    let mut out = text.to_owned();
    for k in keep.iter().filter(|k| !k.trim().is_empty()) {
        let mut from = 0;
        while let Some((s, e)) = find_word(&out[from..], k).map(|(s, e)| (s + from, e + from)) {
            let spaces = " ".repeat(e - s);
            out.replace_range(s..e, &spaces);
            from = e;
        }
    }
    out
}

/// Lower case without accents: what banned words are compared in.
fn plain(s: &str) -> String {
    super::seo::fold(s)
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'è' | 'ê' | 'ë' => 'e',
            'ì' | 'î' | 'ï' => 'i',
            'ò' | 'ô' | 'ö' => 'o',
            'ù' | 'û' => 'u',
            c => c,
        })
        .collect()
}

/// The forms a word may be the inflection of: itself, and without a degree
/// ending — English `-er`/`-est` (`cheapest` → `cheap`, `biggest` → `big`,
/// `happiest` → `happy`, `nicest` → `nice`), adverbs (`-ly`, `-mente`) and
/// the Spanish absolute superlative `-ísimo` (`baratísimo` → `barato`,
/// `riquísimo` → `rico`): Snowball leaves these to a lemmatiser.
fn bases(w: &str) -> Vec<String> {
    let mut out = vec![w.to_owned()];
    for suffix in ["est", "er"] {
        if let Some(b) = w.strip_suffix(suffix).filter(|b| b.chars().count() >= 3) {
            out.push(b.to_owned());
            out.push(format!("{b}e"));
            if let Some(y) = b.strip_suffix('i') {
                out.push(format!("{y}y"));
            }
            let cs: Vec<char> = b.chars().collect();
            if cs.len() >= 2 && cs[cs.len() - 1] == cs[cs.len() - 2] {
                out.push(cs[..cs.len() - 1].iter().collect());
            }
        }
    }
    // Adverbs: "cheaply" → "cheap", "easily" → "easy", "baratamente" → "barata".
    for (suffix, base) in [("ily", "y"), ("ly", ""), ("mente", "")] {
        if let Some(b) = w.strip_suffix(suffix).filter(|b| b.chars().count() >= 3) {
            out.push(format!("{b}{base}"));
        }
    }
    for (sup, base) in [
        ("quisim", "c"),
        ("guisim", "g"),
        ("cisim", "z"),
        ("isim", ""),
    ] {
        if let Some(i) = w.find(sup)
            && i >= 2
        {
            let rest = &w[i + sup.len()..];
            if matches!(rest, "o" | "a" | "os" | "as") {
                out.push(format!("{}{base}{rest}", &w[..i]));
                out.push(format!("{}{base}o", &w[..i]));
            }
        }
    }
    out
}

/// Snowball stems (English and Spanish: copy of either language may carry
/// a banned word of the other) of a lower-case, accent-free word. See
/// <https://snowballstem.org/algorithms/> and the `rust-stemmers` crate,
/// whose algorithms expect lower-case input.
fn stems(w: &str) -> [String; 2] {
    use rust_stemmers::{Algorithm, Stemmer};
    thread_local! {
        static EN: Stemmer = Stemmer::create(Algorithm::English);
        static ES: Stemmer = Stemmer::create(Algorithm::Spanish);
    }
    [
        EN.with(|s| s.stem(w).into_owned()),
        ES.with(|s| s.stem(w).into_owned()),
    ]
}

/// Whether `word` (from copy) is a form of `banned` (one word).
fn same_word(word: &str, banned: &str) -> bool {
    if word == banned {
        return true;
    }
    // Stems of two letters or fewer match too much ("a", "de").
    let target = stems(banned);
    bases(word).iter().any(|b| {
        b == banned
            || stems(b)
                .iter()
                .zip(&target)
                .any(|(x, t)| x == t && t.chars().count() >= 3)
    })
}

/// The first run of words in `text` that is a form of the banned phrase
/// (each word any inflection of the banned one, any case or accent).
pub fn find_banned(text: &str, banned: &str) -> Option<String> {
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let want: Vec<String> = plain(banned)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if want.is_empty() {
        return None;
    }
    tokens.windows(want.len()).find_map(|run| {
        run.iter()
            .zip(&want)
            .all(|(t, w)| same_word(&plain(t), w))
            .then(|| run.join(" "))
    })
}

/// Lower case with spaces collapsed, for containment checks.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Byte range of the first whole-word, case-insensitive occurrence of `word`.
pub fn find_word(text: &str, word: &str) -> Option<(usize, usize)> {
    let lower = text.to_lowercase();
    let needle = word.to_lowercase();
    // Lower-casing can change byte lengths (rare); then fall back to no match
    // rather than slicing at the wrong place.
    if lower.len() != text.len() || needle.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = lower[..start].chars().next_back();
        let after = lower[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return Some((start, end));
        }
        from = start + lower[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

fn replace_word(text: &str, avoid: &str, prefer: &str, keep: &[&str]) -> String {
    let mut out = text.to_owned();
    let mut guard = 0;
    // Kept phrases are blanked in a shadow copy: an avoided word inside
    // one is not found, elsewhere it is replaced in both.
    let mut shadow = blank(&out, keep);
    while let Some((s, e)) = find_word(&shadow, avoid) {
        let upper = out[s..].chars().next().is_some_and(char::is_uppercase);
        let rep = if upper {
            super::offline::cap(prefer)
        } else {
            prefer.to_owned()
        };
        out.replace_range(s..e, &rep);
        shadow.replace_range(s..e, &rep);
        guard += 1;
        if guard > 50 || find_word(&rep, avoid).is_some() {
            break;
        }
    }
    out
}

/// Guidelines as stored for a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClientBrand {
    pub client_id: ClientId,
    pub guidelines: BrandGuidelines,
    /// Who set them last.
    pub updated_by: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g() -> BrandGuidelines {
        BrandGuidelines {
            voice: " warm,   expert ".into(),
            banned_words: vec!["cheap".into(), "garantizado".into(), "Cheap".into()],
            required_disclaimers: vec!["Terms apply.".into()],
            preferred_terms: vec![PreferredTerm {
                avoid: "clients".into(),
                prefer: "members".into(),
            }],
        }
        .normalized()
        .unwrap()
    }

    #[test]
    fn banned_words_match_whole_words_in_any_case() {
        let g = g();
        assert_eq!(g.banned_words.len(), 2);
        let v = g.check("A CHEAP trick, resultado GARANTIZADO.", false, None, &[]);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(
            g.check("Cheapskate? No: cheaply made.", false, None, &[])
                .len()
                == 1
        );
        assert!(g.check("Nothing banned here.", false, None, &[]).is_empty());
    }

    /// Issue 15: "cheapest" passed a ban on "cheap".
    #[test]
    fn banned_words_match_every_inflection_in_both_languages_without_accents() {
        let g = BrandGuidelines {
            banned_words: vec!["cheap".into(), "barato".into(), "garantía total".into()],
            ..Default::default()
        }
        .normalized()
        .unwrap();
        for (text, banned) in [
            ("The cheapest rooms in town", "cheap"),
            ("Even cheaper than before", "cheap"),
            ("CHEAP", "cheap"),
            ("Precios baratísimos", "barato"),
            ("Habitaciones baratas", "barato"),
            ("Lo más BARATO", "barato"),
            ("con garantias totales", "garantía total"),
        ] {
            let v = g.check(text, false, None, &[]);
            assert_eq!(v.len(), 1, "{text}: {v:?}");
            assert_eq!(v[0].term, banned, "{text}");
        }
        for text in [
            "Chapter one",
            "Una barra de chocolate",
            "Garantía de devolución",
        ] {
            assert!(g.check(text, false, None, &[]).is_empty(), "{text}");
        }
        assert_eq!(
            find_banned("Los precios más baratísimos", "barato").as_deref(),
            Some("baratísimos")
        );
    }

    /// Issue 15: an English brief got the Spanish disclaimer.
    #[test]
    fn disclaimers_go_to_copy_in_their_language() {
        let g = BrandGuidelines {
            required_disclaimers: vec![
                "Terms apply.".into(),
                "Aplican términos y condiciones.".into(),
                "© 2026 Hotel Boutique Cartagena".into(),
            ],
            ..Default::default()
        }
        .normalized()
        .unwrap();
        let en: Vec<&str> = g
            .disclaimers(Some(Language::En))
            .iter()
            .map(|d| d.as_str())
            .collect();
        assert_eq!(en, ["Terms apply.", "© 2026 Hotel Boutique Cartagena"]);
        let es: Vec<&str> = g
            .disclaimers(Some(Language::Es))
            .iter()
            .map(|d| d.as_str())
            .collect();
        assert_eq!(
            es,
            [
                "Aplican términos y condiciones.",
                "© 2026 Hotel Boutique Cartagena"
            ]
        );
        let v = g.check("Hello. Terms apply.", true, Some(Language::En), &[]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(g.check("Hello", false, Some(Language::En), &[]).is_empty());
        assert!(
            g.check(
                "Hola. Aplican términos y condiciones. © 2026 Hotel Boutique Cartagena",
                true,
                Some(Language::Es),
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn preferred_terms_replace_and_are_reported() {
        let g = g();
        assert_eq!(
            g.apply_preferred("Clients love it; clients stay.", &[]),
            "Members love it; members stay."
        );
        assert_eq!(
            g.check("our clients", false, None, &[])[0].rule,
            "avoided_term"
        );
    }

    /// Issue 15: a preferred term rewrote a keyword.
    #[test]
    fn preferred_terms_never_rewrite_keywords_or_product_names() {
        let g = BrandGuidelines {
            preferred_terms: vec![
                PreferredTerm {
                    avoid: "hotel".into(),
                    prefer: "alojamiento".into(),
                },
                PreferredTerm {
                    avoid: "cheap".into(),
                    prefer: "affordable".into(),
                },
            ],
            ..Default::default()
        }
        .normalized()
        .unwrap();
        let keep = [
            "Hotel Boutique Cartagena",
            "hotel boutique cartagena",
            "cheap flights",
        ];
        assert_eq!(
            g.apply_preferred(
                "Hotel Boutique Cartagena: el hotel para ti. Busca hotel boutique cartagena y cheap flights, not a cheap stay.",
                &keep
            ),
            "Hotel Boutique Cartagena: el alojamiento para ti. Busca hotel boutique cartagena y cheap flights, not a affordable stay."
        );
        assert!(
            g.check(
                "Hotel Boutique Cartagena y cheap flights",
                false,
                None,
                &keep
            )
            .is_empty()
        );
    }

    #[test]
    fn bad_lists_name_the_field() {
        let e = BrandGuidelines {
            banned_words: vec!["  ".into()],
            ..Default::default()
        }
        .normalized()
        .unwrap_err()
        .to_string();
        assert!(e.contains("`banned_words`"), "{e}");
    }
}
