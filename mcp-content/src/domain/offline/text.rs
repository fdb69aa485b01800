//! Word-level helpers of the offline engine: capitals, title case, hashtags,
//! URL slugs and the GSM-7 transliteration of Spanish accents.

use super::super::channels::graphemes;

/// `s` with its first letter in upper case: the first letter, past any
/// opening marks (`¡`, `¿`, quotes); a text that opens with a digit stays.
pub fn cap(s: &str) -> String {
    let Some((i, c)) = s.char_indices().find(|(_, c)| c.is_alphanumeric()) else {
        return s.to_owned();
    };
    if !c.is_lowercase() {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..i]);
    out.extend(c.to_uppercase());
    out.push_str(&s[i + c.len_utf8()..]);
    out
}

/// `s` without the marks that pair nothing: a `¡` or `¿` never closed, a
/// closer that closes the other kind and, in Spanish (`spanish`), a `!` or
/// `?` never opened — Spanish opens every exclamation and question (RAE,
/// *Ortografía* 2010, §3.4.3). Pairs may nest (`¡Hola, ¿qué tal?!`).
pub fn balance_marks(s: &str, spanish: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut keep = vec![true; chars.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '¡' | '¿' => open.push(i),
            '!' | '?' => {
                let opener = if c == '!' { '¡' } else { '¿' };
                match open.last() {
                    Some(&o) if chars[o] == opener => {
                        open.pop();
                    }
                    _ if spanish => keep[i] = false,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for o in open {
        keep[o] = false;
    }
    let out: String = chars
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(c, _)| *c)
        .collect();
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` without one pair of marks around the whole of it (`¡2x1!` → `2x1`),
/// so a template can punctuate it; other text is returned as is.
pub fn unwrap_marks(s: &str) -> &str {
    let t = s.trim();
    for (o, c) in [('¡', '!'), ('¿', '?')] {
        if let Some(inner) = t.strip_prefix(o).and_then(|r| r.strip_suffix(c))
            && balance_marks(inner, true) == inner.split_whitespace().collect::<Vec<_>>().join(" ")
            && !inner.trim().is_empty()
        {
            return inner.trim();
        }
    }
    t
}

/// English title case for ad headlines (short function words stay lower);
/// the `keep` phrases (product names, proper keywords) keep their own case.
pub(super) fn title_case(s: &str, keep: &[&str]) -> String {
    for k in keep.iter().filter(|k| !k.is_empty()) {
        if let Some(i) = s.find(k) {
            let (head, rest) = s.split_at(i);
            let tail = &rest[k.len()..];
            let head = if head.trim().is_empty() {
                head.to_owned()
            } else {
                format!("{} ", title_words(head.trim_end()))
            };
            let tail = if tail.trim().is_empty() {
                tail.to_owned()
            } else {
                format!(" {}", title_case(tail.trim_start(), keep))
            };
            return format!("{head}{k}{tail}");
        }
    }
    title_words(s)
}

fn title_words(s: &str) -> String {
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
