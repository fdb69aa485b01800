//! A client's brand guidelines and the check every generation and `score_content` runs.

use promptsales_shared::AppError;
use promptsales_shared::domain::ClientId;
use serde::{Deserialize, Serialize};

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
    /// Words or phrases that must never appear (whole words, any case).
    #[serde(default)]
    pub banned_words: Vec<String>,
    /// Sentences long-form copy (email, web, LinkedIn, WhatsApp) must carry,
    /// e.g. `Terms apply.` / `Aplican términos y condiciones.`
    #[serde(default)]
    pub required_disclaimers: Vec<String>,
    /// Terms replaced by the brand's preferred ones in generated copy.
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
    /// first letter's case follows the replaced word).
    pub fn apply_preferred(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for t in &self.preferred_terms {
            out = replace_word(&out, &t.avoid, &t.prefer);
        }
        out
    }

    /// Every breach in `text`. `long_form` says whether the text is a whole
    /// piece that must carry the required disclaimers.
    pub fn check(&self, text: &str, long_form: bool) -> Vec<BrandViolation> {
        let mut out = Vec::new();
        for w in &self.banned_words {
            if find_word(text, w).is_some() {
                out.push(BrandViolation {
                    rule: "banned_word".into(),
                    term: w.clone(),
                    message: format!("remove the banned word \"{w}\""),
                });
            }
        }
        for t in &self.preferred_terms {
            if find_word(text, &t.avoid).is_some() {
                out.push(BrandViolation {
                    rule: "avoided_term".into(),
                    term: t.avoid.clone(),
                    message: format!("write \"{}\" instead of \"{}\"", t.prefer, t.avoid),
                });
            }
        }
        if long_form {
            let folded = fold(text);
            for d in &self.required_disclaimers {
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

fn replace_word(text: &str, avoid: &str, prefer: &str) -> String {
    let mut out = text.to_owned();
    let mut guard = 0;
    while let Some((s, e)) = find_word(&out, avoid) {
        let upper = out[s..].chars().next().is_some_and(char::is_uppercase);
        let rep = if upper {
            super::offline::cap(prefer)
        } else {
            prefer.to_owned()
        };
        out.replace_range(s..e, &rep);
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
        let v = g.check("A CHEAP trick, resultado GARANTIZADO.", false);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(g.check("Cheapest prices", false).is_empty());
    }

    #[test]
    fn disclaimers_are_required_in_long_form_only() {
        let g = g();
        assert_eq!(g.check("Hello", true)[0].rule, "missing_disclaimer");
        assert!(g.check("Hello", false).is_empty());
        assert!(g.check("Hello. terms  apply.", true).is_empty());
    }

    #[test]
    fn preferred_terms_replace_and_are_reported() {
        let g = g();
        assert_eq!(
            g.apply_preferred("Clients love it; clients stay."),
            "Members love it; members stay."
        );
        assert_eq!(g.check("our clients", false)[0].rule, "avoided_term");
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
