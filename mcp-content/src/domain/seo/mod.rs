//! Search and answer-engine optimisation: syllables, readability, keyword coverage, title/meta, FAQ JSON-LD.
//!
//! Readability: Flesch reading ease for English
//! (206.835 − 1.015·words/sentence − 84.6·syllables/word) and
//! Fernández-Huerta for Spanish in Law's corrected form
//! (206.84 − 60·syllables/word − 1.02·words/sentence). Both read 0-100,
//! higher is easier; 60+ suits a general audience.

use serde::Serialize;
use serde_json::Value;

use super::Language;
use super::brand::find_word;
use super::channels::{FieldSpec, Unit, graphemes};

/// Longest SEO title and meta description, in characters.
pub const TITLE_MAX: usize = 60;
pub const META_MAX: usize = 155;

fn vowel_en(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// English syllables by vowel groups, with silent final `e` and `-ed`/`-es`.
pub fn syllables_en(word: &str) -> usize {
    let w: String = word
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if w.is_empty() {
        return 0;
    }
    if w.len() <= 3 {
        return 1;
    }
    let chars: Vec<char> = w.chars().collect();
    let mut groups = 0;
    let mut prev = false;
    for &c in &chars {
        let v = vowel_en(c);
        if v && !prev {
            groups += 1;
        }
        prev = v;
    }
    let n = chars.len();
    let ends = |s: &str| w.ends_with(s);
    let silent_e = ends("e") && !ends("le") && !ends("ee") && !ends("ye");
    let silent_ending = (ends("ed") || ends("es"))
        && n >= 3
        && !matches!(chars[n - 3], 't' | 'd' | 's' | 'x' | 'z' | 'c' | 'g');
    if (silent_e || silent_ending) && groups > 1 {
        groups -= 1;
    }
    groups.max(1)
}

fn strong_es(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'o' | 'á' | 'é' | 'ó')
}

fn vowel_es(c: char) -> bool {
    strong_es(c) || matches!(c, 'i' | 'u' | 'í' | 'ú' | 'ü')
}

/// Spanish syllables by vowel nuclei: two strong vowels (a, e, o) are a
/// hiatus, a stressed weak vowel (í, ú) breaks a diphthong, otherwise
/// adjacent vowels form one nucleus (diphthongs and triphthongs).
pub fn syllables_es(word: &str) -> usize {
    let chars: Vec<char> = word
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if chars.is_empty() {
        return 0;
    }
    let mut count = 0;
    let mut prev: Option<char> = None;
    for &c in &chars {
        if vowel_es(c) {
            match prev {
                Some(p) if vowel_es(p) => {
                    let hiatus = (strong_es(p) && strong_es(c))
                        || matches!(p, 'í' | 'ú')
                        || matches!(c, 'í' | 'ú');
                    if hiatus {
                        count += 1;
                    }
                }
                _ => count += 1,
            }
        }
        prev = Some(c);
    }
    count.max(1)
}

/// Words of a text: tokens with a letter, punctuation stripped.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect()
}

/// Sentences: split after `.`, `!`, `?`, `…` and at line breaks.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut cur = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            cur.push(c);
            if matches!(c, '.' | '!' | '?' | '…') && chars.peek().is_none_or(|n| n.is_whitespace())
            {
                if !words(&cur).is_empty() {
                    out.push(cur.trim().to_owned());
                }
                cur.clear();
            }
        }
        if !words(&cur).is_empty() {
            out.push(cur.trim().to_owned());
        }
    }
    out
}

/// Readability figures of a text.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Readability {
    /// flesch_reading_ease (en) or fernandez_huerta (es).
    pub formula: String,
    /// 0-100, higher is easier.
    pub score: f64,
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
    pub words_per_sentence: f64,
}

/// The language's readability score of `text` (Markdown marks ignored).
pub fn readability(text: &str, language: Language) -> Readability {
    let plain = strip_markdown(text);
    let ws = words(&plain);
    let ss = sentences(&plain).len().max(1);
    let syl: usize = ws
        .iter()
        .map(|w| match language {
            Language::En => syllables_en(w),
            Language::Es => syllables_es(w),
        })
        .sum();
    let nw = ws.len().max(1) as f64;
    let wps = nw / ss as f64;
    let spw = syl as f64 / nw;
    let (formula, raw) = match language {
        Language::En => ("flesch_reading_ease", 206.835 - 1.015 * wps - 84.6 * spw),
        Language::Es => ("fernandez_huerta", 206.84 - 60.0 * spw - 1.02 * wps),
    };
    Readability {
        formula: formula.into(),
        score: round1(raw.clamp(0.0, 100.0)),
        words: ws.len(),
        sentences: ss,
        syllables: syl,
        words_per_sentence: round1(wps),
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Text without Markdown emphasis, links' URLs, list marks and headings.
pub fn strip_markdown(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let l = line
            .trim_start()
            .trim_start_matches(['#', '-', '*', '•', '>'])
            .trim_start();
        let mut s = String::new();
        let mut rest = l;
        // [label](url) → label
        while let Some(open) = rest.find('[') {
            let Some(close) = rest[open..].find("](").map(|c| c + open) else {
                break;
            };
            let Some(end) = rest[close..].find(')').map(|e| e + close) else {
                break;
            };
            s.push_str(&rest[..open]);
            s.push_str(&rest[open + 1..close]);
            rest = &rest[end + 1..];
        }
        s.push_str(rest);
        out.push_str(&s.replace("**", "").replace('_', " "));
        out.push('\n');
    }
    out.trim().to_owned()
}

/// Lower case without Spanish accents, for keyword matching.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' | 'ü' => 'u',
            c => c,
        })
        .collect()
}

/// Which of `keywords` `text` contains (whole words, any case or accent).
pub fn covered<'k>(text: &str, keywords: &'k [String]) -> Vec<&'k str> {
    let t = fold(text);
    keywords
        .iter()
        .filter(|k| find_word(&t, &fold(k)).is_some())
        .map(String::as_str)
        .collect()
}

/// Scores of one version of a page.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SeoScores {
    pub title: String,
    pub title_length: usize,
    pub meta_description: String,
    pub meta_length: usize,
    /// Keywords found anywhere in the title, meta description or text.
    pub keywords_covered: Vec<String>,
    pub keywords_missing: Vec<String>,
    /// Share of keywords covered, 0-1.
    pub keyword_coverage: f64,
    /// Whether the primary keyword is in the title.
    pub keyword_in_title: bool,
    /// Whether the text opens with a short answer (≤ 60 words) naming the primary keyword.
    pub answer_first: bool,
    pub readability: Readability,
    /// 0-100: title 20, meta 20, coverage 30, readability 20, answer-first 10.
    pub score: u32,
}

/// An optimised page: title, meta, summary, body and FAQ JSON-LD.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SeoPage {
    pub title: String,
    pub meta_description: String,
    /// Answer-first paragraph an answer engine can quote.
    pub summary: String,
    /// Summary followed by the text, long sentences split.
    pub body: String,
    /// schema.org FAQPage as JSON-LD.
    pub faq_json_ld: Value,
}

fn field(max: usize) -> FieldSpec {
    FieldSpec {
        name: "seo",
        max,
        unit: Unit::Graphemes,
        min_count: 1,
        max_count: 1,
        emoji: true,
        exclamation: true,
        purpose: "",
    }
}

/// Scores a page given its parts.
pub fn score(
    title: &str,
    meta: &str,
    body: &str,
    keywords: &[String],
    language: Language,
) -> SeoScores {
    let all = format!("{title}\n{meta}\n{body}");
    let cov = covered(&all, keywords);
    let missing: Vec<String> = keywords
        .iter()
        .filter(|k| !cov.contains(&k.as_str()))
        .cloned()
        .collect();
    let coverage = if keywords.is_empty() {
        1.0
    } else {
        cov.len() as f64 / keywords.len() as f64
    };
    let primary = keywords.first();
    let in_title = primary.is_some_and(|k| !covered(title, std::slice::from_ref(k)).is_empty());
    let plain = strip_markdown(body);
    let first_para = plain.split("\n\n").next().unwrap_or("");
    let answer_first = words(first_para).len() <= 60
        && !words(first_para).is_empty()
        && primary.is_none_or(|k| !covered(first_para, std::slice::from_ref(k)).is_empty());
    let r = readability(body, language);
    let tl = graphemes(title).len();
    let ml = graphemes(meta).len();
    let mut s = 0.0;
    if tl > 0 && tl <= TITLE_MAX {
        s += if in_title || keywords.is_empty() {
            20.0
        } else {
            10.0
        };
    }
    if (50..=META_MAX).contains(&ml) {
        s += 20.0;
    } else if ml > 0 && ml <= META_MAX {
        s += 10.0;
    }
    s += 30.0 * coverage;
    s += 20.0 * (r.score / 60.0).min(1.0);
    if answer_first {
        s += 10.0;
    }
    SeoScores {
        title: title.to_owned(),
        title_length: tl,
        meta_description: meta.to_owned(),
        meta_length: ml,
        keywords_covered: cov.iter().map(|s| (*s).to_owned()).collect(),
        keywords_missing: missing,
        keyword_coverage: round1(coverage * 100.0) / 100.0,
        keyword_in_title: in_title,
        answer_first,
        readability: r,
        score: s.round() as u32,
    }
}

mod optimize;
pub use optimize::{optimize, split_long_sentences};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_syllables() {
        for (w, n) in [
            ("cat", 1),
            ("coffee", 2),
            ("smoother", 2),
            ("readability", 5),
            ("table", 2),
            ("wanted", 2),
            ("jumped", 1),
            ("make", 1),
            ("beautiful", 3),
        ] {
            assert_eq!(syllables_en(w), n, "{w}");
        }
    }

    #[test]
    fn spanish_syllables_follow_diphthongs_and_hiatus() {
        for (w, n) in [
            ("café", 2),
            ("orgánico", 4),
            ("ciudad", 2),
            ("día", 2),
            ("poeta", 3),
            ("aire", 2),
            ("buey", 1),
            ("país", 2),
            ("especialidad", 5),
            ("que", 1),
            ("murciélago", 4),
        ] {
            assert_eq!(syllables_es(w), n, "{w}");
        }
    }

    #[test]
    fn readability_prefers_short_sentences() {
        let easy = readability("The cat sat. It was warm. We went home.", Language::En);
        let hard = readability(
            "Notwithstanding considerable organisational complexity, comprehensive implementation necessitates extraordinary interdepartmental collaboration.",
            Language::En,
        );
        assert!(easy.score > 90.0, "{easy:?}");
        assert!(hard.score < 10.0, "{hard:?}");
        let es = readability("El café es suave. Lo tomamos cada día.", Language::Es);
        assert_eq!(es.formula, "fernandez_huerta");
        assert!(es.score > 70.0, "{es:?}");
    }

    #[test]
    fn optimisation_raises_the_score_and_emits_faq_json_ld() {
        let body = "Our roastery has been working with farmers in the Andes for years, and every bag we sell is roasted to order, so it arrives fresh. Cold brew coffee is smoother and less acidic than hot coffee; it is easy to make at home. Order today.";
        let kw = vec!["cold brew coffee".to_owned(), "organic coffee".to_owned()];
        let before = score("Our story", "", body, &kw, Language::En);
        let page = optimize("Our story", body, &kw, Language::En);
        let after = score(
            &page.title,
            &page.meta_description,
            &page.body,
            &kw,
            Language::En,
        );
        assert!(after.score > before.score, "{before:?}\n{after:?}");
        assert!(page.title.starts_with("Cold brew coffee"), "{}", page.title);
        assert!(graphemes(&page.title).len() <= TITLE_MAX);
        assert!(graphemes(&page.meta_description).len() <= META_MAX);
        assert!(after.answer_first);
        assert_eq!(page.faq_json_ld["@type"], "FAQPage");
        assert_eq!(
            page.faq_json_ld["mainEntity"].as_array().map(Vec::len),
            Some(2)
        );
        assert!(after.readability.words_per_sentence < before.readability.words_per_sentence);
    }

    #[test]
    fn markdown_is_stripped_for_scoring() {
        assert_eq!(
            strip_markdown("- **Hola** [aquí](https://x.y)"),
            "Hola aquí"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn title_and_meta_always_fit(
                title in "[a-zA-Záéíóúñ¿¡?!.:| ]{0,120}",
                body in "[a-zA-Záéíóúñ¿¡?!.,;\n 🎉]{0,600}",
                keywords in proptest::collection::vec("[a-záéíóú]{1,12}( [a-z]{1,10})?", 0..4),
                es in any::<bool>(),
            ) {
                let lang = if es { Language::Es } else { Language::En };
                let page = optimize(&title, &body, &keywords, lang);
                prop_assert!(graphemes(&page.title).len() <= TITLE_MAX, "{}", page.title);
                prop_assert!(graphemes(&page.meta_description).len() <= META_MAX, "{}", page.meta_description);
                let s = score(&page.title, &page.meta_description, &page.body, &keywords, lang);
                prop_assert!(s.score <= 100);
                prop_assert!((0.0..=100.0).contains(&s.readability.score));
            }
        }
    }
}
