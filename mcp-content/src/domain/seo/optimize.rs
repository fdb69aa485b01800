//! `optimize`: a page rewritten for search and answer engines that keeps the name, reads no worse and says nothing twice.

use serde_json::json;

use super::{
    META_MAX, SeoPage, TITLE_MAX, covered, field, fold, readability, sentences, strip_markdown,
    words,
};
use crate::domain::Language;
use crate::domain::channels::{graphemes, trim_to_fit};
use crate::domain::offline::cap;

/// Splits sentences longer than 20 words at a clause boundary (`;`, `, and`,
/// `, but`, `, y`, `, pero`, ` — `) so each reads in one breath.
pub fn split_long_sentences(text: &str, language: Language) -> String {
    let joins: &[&str] = match language {
        Language::En => &["; ", ", and ", ", but ", ", so ", " — "],
        Language::Es => &["; ", ", y ", ", pero ", ", así que ", " — "],
    };
    text.lines()
        .map(|line| {
            let mut out: Vec<String> = Vec::new();
            for s in sentences(line) {
                if words(&s).len() <= 20 {
                    out.push(s);
                    continue;
                }
                let mut rest = s.clone();
                let mut parts = Vec::new();
                for j in joins {
                    if let Some(i) = rest.find(j) {
                        let (a, b) = rest.split_at(i);
                        let tail = b[j.len()..].to_owned();
                        if words(a).len() >= 5 && words(&tail).len() >= 5 {
                            parts.push(format!("{}.", a.trim_end_matches([',', ';'])));
                            rest = cap(&tail);
                        }
                    }
                }
                parts.push(rest);
                out.extend(parts);
            }
            if out.is_empty() {
                line.to_owned()
            } else {
                out.join(" ")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `keyword` as the page spells it when the page gives it capitals of its
/// own past the first letter ("Hotel Boutique Cartagena" for "hotel
/// boutique cartagena"), else with a capital first letter.
fn spelled(keyword: &str, text: &str) -> String {
    let n = graphemes(keyword).len();
    let key = fold(keyword);
    let chars: Vec<char> = text.chars().collect();
    for start in 0..chars.len() {
        if start > 0 && chars[start - 1].is_alphanumeric() {
            continue;
        }
        let cand: String = chars[start..]
            .iter()
            .take(keyword.chars().count())
            .collect();
        if fold(&cand) != key || graphemes(&cand).len() != n {
            continue;
        }
        let end = start + cand.chars().count();
        if chars.get(end).is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        if cand.chars().skip(1).any(char::is_uppercase) {
            return cand;
        }
    }
    cap(keyword)
}

/// The title: the primary keyword with the title's head (the brand or
/// product, before any `:`/`|`/`—`) kept; when both cannot share 60
/// characters the head wins (a title without its brand is worse than one
/// without the keyword).
fn title_for(base: &str, head: &str, keyword: Option<&str>) -> String {
    let base = base.trim_end_matches(['.', '!', '?']).trim();
    let fit = |t: &str| graphemes(t).len() <= TITLE_MAX;
    let k = match keyword {
        Some(k) if covered(base, &[k.to_owned()]).is_empty() => k,
        _ if fit(base) => return base.to_owned(),
        _ if fit(head) && !head.is_empty() => return head.to_owned(),
        _ => return trim_to_fit(base, &field(TITLE_MAX)),
    };
    if head.is_empty() {
        return trim_to_fit(k, &field(TITLE_MAX));
    }
    [
        format!("{k}: {base}"),
        format!("{k} | {head}"),
        format!("{head}: {k}"),
    ]
    .into_iter()
    .find(|t| fit(t))
    .unwrap_or_else(|| {
        if fit(head) {
            head.to_owned()
        } else {
            trim_to_fit(head, &field(TITLE_MAX))
        }
    })
}

/// A greeting or lead-in line ("Hi there,", "Hola:", "¡Hola, {{1}}!") is
/// not content: it never goes into the summary.
fn greeting(s: &str) -> bool {
    const HELLO: &[&str] = &[
        "hi", "hello", "hey", "dear", "hola", "estimado", "estimada", "querido", "querida",
        "buenas", "buenos",
    ];
    let w = words(s);
    let opens = w.first().is_some_and(|f| HELLO.contains(&fold(f).as_str()));
    (w.len() <= 4 && (s.trim_end().ends_with([',', ':']) || opens))
        || (w.len() <= 3 && s.contains("{{"))
}

/// `body` without the sentences `said` (already in the summary) and its
/// greeting (a page does not greet after its summary): a line all of whose
/// sentences were said goes; a line with some keeps the others.
fn without(body: &str, said: &[String]) -> String {
    let said: Vec<String> = said.iter().map(|s| fold(s)).collect();
    let mut out: Vec<String> = Vec::new();
    for line in body.lines() {
        let plain = strip_markdown(line);
        let ss = sentences(&plain);
        let kept: Vec<&String> = ss
            .iter()
            .filter(|s| !said.contains(&fold(s)) && !greeting(s))
            .collect();
        if kept.len() == ss.len() {
            out.push(line.to_owned());
        } else if !kept.is_empty() {
            out.push(
                kept.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
    }
    let mut text = out.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_owned()
}

/// The optimised page for `title`/`body` and `keywords`.
pub fn optimize(title: &str, body: &str, keywords: &[String], language: Language) -> SeoPage {
    let en = language == Language::En;
    let plain = strip_markdown(body);
    let all_sentences = sentences(&plain);
    let context = format!("{title}\n{plain}");
    let proper: Vec<String> = keywords.iter().map(|k| spelled(k, &context)).collect();
    let base_title = if title.trim().is_empty() {
        all_sentences
            .iter()
            .find(|s| !greeting(s))
            .cloned()
            .unwrap_or_default()
    } else {
        title.trim().to_owned()
    };
    let head = base_title
        .split([':', '|', '—'])
        .next()
        .unwrap_or(&base_title)
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .to_owned();
    let new_title = title_for(&base_title, &head, proper.first().map(String::as_str));
    // Summary units: sentences (greetings left out, a trailing comma or
    // colon closed as a full stop, never ",."), a question joined to the
    // sentence answering it; each with the sentences it came from.
    let mut units: Vec<(String, Vec<String>)> = Vec::new();
    let mut pending: Option<String> = None;
    for s in all_sentences.iter().filter(|s| !greeting(s)) {
        let closed = if s.ends_with(['.', '!', '?', '…']) {
            s.clone()
        } else {
            format!("{}.", s.trim_end_matches([',', ';', ':', ' ']))
        };
        if closed.ends_with('?') {
            pending = Some(s.clone());
            continue;
        }
        match pending.take() {
            Some(q) => units.push((format!("{q} {closed}"), vec![q, s.clone()])),
            None => units.push((closed, vec![s.clone()])),
        }
    }
    // Answer-first: the units that carry the most keywords, in text order,
    // at most three and 60 words, each once.
    let mut ranked: Vec<(usize, usize)> = units
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (covered(s, keywords).len(), i))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut picked: Vec<usize> = Vec::new();
    let mut n_words = 0;
    for (_, i) in ranked {
        let w = words(&units[i].0).len();
        let dup = picked
            .iter()
            .any(|p| fold(&units[*p].0) == fold(&units[i].0));
        if picked.len() < 3 && n_words + w <= 60 && !dup {
            picked.push(i);
            n_words += w;
        }
    }
    picked.sort_unstable();
    let summary = picked
        .iter()
        .map(|i| units[*i].0.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let said: Vec<String> = picked.iter().flat_map(|i| units[*i].1.clone()).collect();
    let summary = split_long_sentences(&summary, language);
    // Meta description: the summary's whole sentences that fit.
    let meta = {
        let mut m = String::new();
        for s in sentences(&summary) {
            let next = if m.is_empty() {
                s.clone()
            } else {
                format!("{m} {s}")
            };
            if graphemes(&next).len() <= META_MAX {
                m = next;
            }
        }
        if m.is_empty() {
            m = trim_to_fit(&summary, &field(META_MAX));
        }
        m
    };
    // Body: the summary first, then the text without what it already said.
    // Readability never drops: when the rewrite reads worse than the
    // original, the better text is kept.
    let rest = split_long_sentences(&without(body, &said), language);
    let rewritten = match (summary.trim().is_empty(), rest.trim().is_empty()) {
        (true, _) => rest,
        (false, true) => summary.clone(),
        (false, false) => format!("{summary}\n\n{rest}"),
    };
    let before = readability(body, language).score;
    let new_body = [
        rewritten,
        split_long_sentences(&without(body, &[]), language),
        split_long_sentences(body, language),
    ]
    .into_iter()
    .find(|b| readability(b, language).score >= before)
    .unwrap_or_else(|| body.to_owned());
    // FAQ: one question per keyword (spelled as the page spells it),
    // answered by the sentences naming it.
    let mut faq = Vec::new();
    for (k, spelled) in keywords.iter().zip(&proper).take(5) {
        let answer: Vec<&str> = all_sentences
            .iter()
            .filter(|s| {
                !covered(s, std::slice::from_ref(k)).is_empty() && !s.ends_with('?') && !greeting(s)
            })
            .take(2)
            .map(String::as_str)
            .collect();
        let answer = if answer.is_empty() {
            summary.clone()
        } else {
            answer.join(" ")
        };
        let q = if en {
            format!("What should I know about {spelled}?")
        } else {
            format!("¿Qué debo saber sobre {spelled}?")
        };
        faq.push(json!({
            "@type": "Question",
            "name": q,
            "acceptedAnswer": {"@type": "Answer", "text": answer}
        }));
    }
    if faq.is_empty() {
        let q = if en {
            format!("What is {head}?")
        } else {
            format!("¿Qué es {head}?")
        };
        faq.push(json!({
            "@type": "Question",
            "name": q,
            "acceptedAnswer": {"@type": "Answer", "text": summary}
        }));
    }
    SeoPage {
        title: new_title,
        meta_description: meta,
        summary,
        body: new_body,
        faq_json_ld: json!({
            "@context": "https://schema.org",
            "@type": "FAQPage",
            "inLanguage": language.as_str(),
            "mainEntity": faq
        }),
    }
}

#[cfg(test)]
mod tests;
