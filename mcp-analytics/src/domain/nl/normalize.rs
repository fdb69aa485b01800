//! Text folding for the question parser: lower case, accents stripped,
//! punctuation turned into word breaks; digits, ISO dates and decimals kept.

/// One word of a question: its folded text and its original spelling (the
/// spelling decides whether "US" is a country or a pronoun).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub orig: String,
}

/// Appends `c` lower-cased and without accents (á→a, ñ→n, ü→u, ß→ss…).
pub fn fold_char(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        let r = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ª' => "a",
            'ç' | 'ć' | 'č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
            'ñ' | 'ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'º' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            _ => {
                out.push(l);
                continue;
            }
        };
        out.push_str(r);
    }
}

/// `s` folded character by character (no tokenising).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits a question into folded words. `-`, `.` and `,` survive only
/// between two digits (dates, decimals); an apostrophe joins its word
/// ("don't" → "dont") and a possessive "'s" is dropped; `%` is a word.
pub fn tokenize(s: &str) -> Vec<Token> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut text = String::new();
    let mut orig = String::new();
    let flush = |text: &mut String, orig: &mut String, toks: &mut Vec<Token>| {
        if !text.is_empty() {
            toks.push(Token {
                text: std::mem::take(text),
                orig: std::mem::take(orig),
            });
        }
        text.clear();
        orig.clear();
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let between_digits =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        if is_word(c) {
            fold_char(c, &mut text);
            orig.push(c);
        } else if matches!(c, '-' | '.' | ',') && between_digits && !text.is_empty() {
            text.push(c);
            orig.push(c);
        } else if matches!(c, '\'' | '’' | '`') && !text.is_empty() && next.is_some_and(is_word) {
            if matches!(next, Some('s' | 'S')) && !chars.get(i + 2).is_some_and(|c| is_word(*c)) {
                // Possessive or "what's": drop the "'s".
                i += 2;
                continue;
            }
        } else if c == '%' {
            flush(&mut text, &mut orig, &mut toks);
            toks.push(Token {
                text: "%".into(),
                orig: "%".into(),
            });
        } else {
            flush(&mut text, &mut orig, &mut toks);
        }
        i += 1;
    }
    flush(&mut text, &mut orig, &mut toks);
    toks
}

/// The folded question as one string: the form caches key on.
pub fn normalize(question: &str) -> String {
    tokenize(question)
        .into_iter()
        .map(|t| t.text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Edit distance between two strings, by characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Whether two folded words are the same allowing typos: exact, or for
/// words of five or more letters one edit (two from eight letters on).
/// Numbers must match exactly.
pub fn similar(a: &str, b: &str) -> Option<usize> {
    if a == b {
        return Some(0);
    }
    if a.chars().any(|c| c.is_ascii_digit()) || b.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la < 5 || lb < 5 {
        return None;
    }
    let allowed = if la.min(lb) >= 8 { 2 } else { 1 };
    if la.abs_diff(lb) > allowed {
        return None;
    }
    let d = levenshtein(a, b);
    (d <= allowed).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(
            normalize("¿Qué canal nos dio el MEJOR ROAS en México?"),
            "que canal nos dio el mejor roas en mexico"
        );
        assert_eq!(normalize("Año, niño, pingüino!"), "ano nino pinguino");
        assert_eq!(
            words("between 2026-03-01 and 2026-03-15"),
            ["between", "2026-03-01", "and", "2026-03-15"]
        );
        assert_eq!(
            words("ROAS above 2.5 or 3,5%"),
            ["roas", "above", "2.5", "or", "3,5", "%"]
        );
        assert_eq!(
            words("e-mail EE.UU. what's Andino's"),
            ["e", "mail", "ee", "uu", "what", "andino"]
        );
        assert_eq!(words("cmp_00042 Q3-2026"), ["cmp_00042", "q3-2026"]);
    }

    #[test]
    fn keeps_the_original_spelling() {
        let t = tokenize("sales in the US");
        assert_eq!(t[3].orig, "US");
        assert_eq!(t[3].text, "us");
    }

    #[test]
    fn typo_tolerance_depends_on_length() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(similar("andino", "andno"), Some(1));
        assert_eq!(similar("patagonia", "patagnoia"), Some(2));
        assert_eq!(similar("cafe", "cafa"), None);
        assert_eq!(similar("2025", "2026"), None);
    }
}
