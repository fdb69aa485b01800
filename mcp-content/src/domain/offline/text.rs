//! Word-level helpers of the offline engine: capitals, title case, hashtags,
//! URL slugs and the GSM-7 transliteration of Spanish accents.

use super::super::channels::graphemes;

/// `s` with its first letter in upper case.
pub fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// English title case for ad headlines (short function words stay lower).
pub(super) fn title_case(s: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to",
        "vs", "with",
    ];
    s.split(' ')
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i > 0 && SMALL.contains(&lower.as_str()) {
                lower
            } else if w.chars().skip(1).any(char::is_uppercase) {
                w.to_owned()
            } else {
                cap(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A hashtag from a phrase: words joined in camel case, letters and digits only.
pub fn hashtag(phrase: &str) -> Option<String> {
    let body: String = phrase
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(cap)
        .collect();
    (graphemes(&body).len() >= 2).then(|| format!("#{body}"))
}

/// A URL path segment: lower-case ASCII words joined by hyphens.
pub(super) fn slug(phrase: &str, max: usize) -> Option<String> {
    let folded: String = phrase
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    let mut out = String::new();
    for w in folded.split_whitespace() {
        let next = if out.is_empty() {
            w.to_owned()
        } else {
            format!("{out}-{w}")
        };
        if next.len() > max {
            break;
        }
        out = next;
    }
    // A cut phrase must not end on a function word ("cafe-de").
    const STOP: &[&str] = &[
        "a", "an", "and", "de", "del", "el", "en", "for", "la", "las", "los", "of", "or", "para",
        "the", "to", "with", "y", "con",
    ];
    while let Some((head, last)) = out.rsplit_once('-') {
        if STOP.contains(&last) {
            out = head.to_owned();
        } else {
            break;
        }
    }
    (!out.is_empty() && !STOP.contains(&out.as_str())).then_some(out)
}

/// (é, ñ, ü, ¡ and ¿ are in GSM-7 and stay).
pub fn gsm_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' => 'a',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            'Á' => 'A',
            'Í' => 'I',
            'Ó' => 'O',
            'Ú' => 'U',
            c => c,
        })
        .collect()
}
