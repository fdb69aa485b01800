//! Issue 15's search optimisation, case by case: the name stays in the
//! title, readability never drops, nothing is said twice, keywords keep
//! their capitals.

use super::*;
use crate::domain::seo::score;

fn kw(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

/// Every sentence of `text` once (folded), lists and markdown ignored.
fn repeats(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for s in sentences(&strip_markdown(text)) {
        let f = fold(&s);
        if seen.contains(&f) {
            out.push(s);
        } else {
            seen.push(f);
        }
    }
    out
}

const EMAIL_ES: &str = "¡Hola!\n\n¿Te imaginas dos noches frente al mar?\n\nHotel Boutique Cartagena te espera en el centro histórico. Pensado para parejas que viajan a Cartagena.\n\n**[Reserva ahora](https://hotel.example/cartagena)**\n\nP. D.: 2 noches al precio de 1 hasta el 15 de diciembre.";

#[test]
fn the_title_keeps_the_name_and_the_keyword_with_its_capitals() {
    let page = optimize(
        "Hotel Boutique Cartagena",
        EMAIL_ES,
        &kw(&["hotel boutique cartagena", "centro histórico"]),
        Language::Es,
    );
    assert_eq!(page.title, "Hotel Boutique Cartagena");
    let page = optimize(
        "Hotel Boutique Cartagena",
        EMAIL_ES,
        &kw(&["hotel en el centro histórico"]),
        Language::Es,
    );
    assert!(
        page.title.contains("Hotel Boutique Cartagena"),
        "{}",
        page.title
    );
    assert!(
        page.title.contains("Hotel en el centro histórico"),
        "{}",
        page.title
    );
    // Too long together: the name wins over the keyword.
    let long = "una escapada romántica de fin de semana en la costa caribe";
    let page = optimize(
        "Hotel Boutique Cartagena: suites",
        EMAIL_ES,
        &kw(&[long]),
        Language::Es,
    );
    assert!(
        page.title.contains("Hotel Boutique Cartagena"),
        "{}",
        page.title
    );
    assert!(graphemes(&page.title).len() <= TITLE_MAX);
    let faq = page.faq_json_ld.to_string();
    assert!(!faq.contains("¿Buscas"), "{faq}");
    let page = optimize(
        "",
        EMAIL_ES,
        &kw(&["hotel boutique cartagena"]),
        Language::Es,
    );
    assert!(
        page.faq_json_ld
            .to_string()
            .contains("sobre Hotel Boutique Cartagena?"),
        "{}",
        page.faq_json_ld
    );
}

#[test]
fn the_summary_is_not_repeated_and_greetings_stay_out() {
    for (title, body, lang) in [
        ("Hotel Boutique Cartagena", EMAIL_ES, Language::Es),
        (
            "Andes Cold Brew",
            "Hi there,\n\nWant to start the day with a smoother cup?\n\nAndes Cold Brew makes it easy. Made for home baristas.\n\n**[Shop now](https://andes.example)**\n\nP.S. 20% off your first order.",
            Language::En,
        ),
    ] {
        let page = optimize(title, body, &kw(&["cold brew", "Cartagena"]), lang);
        assert!(
            repeats(&page.body).is_empty(),
            "{:?}\n{}",
            repeats(&page.body),
            page.body
        );
        for t in [&page.summary, &page.body, &page.meta_description] {
            assert!(!t.contains(",."), "{t}");
        }
        // No greeting in the summary, nor after it in the body.
        let opens_with_summary = page.body.starts_with(&page.summary);
        for t in [&page.summary, &page.meta_description]
            .into_iter()
            .chain(opens_with_summary.then_some(&page.body))
        {
            assert!(!t.contains("Hi there"), "{t}");
            assert!(!t.contains("¡Hola!"), "{t}");
        }
    }
}

#[test]
fn readability_never_drops() {
    // Short sentences already: a summary of the longest would read worse.
    let body = "We roast to order. Beans ship the same day. Cold brew coffee with notably sophisticated, extraordinarily complex chocolate characteristics is our speciality. Try it.";
    let keywords = kw(&["cold brew coffee"]);
    let before = score("Andes", "", body, &keywords, Language::En);
    let page = optimize("Andes", body, &keywords, Language::En);
    let after = score(
        &page.title,
        &page.meta_description,
        &page.body,
        &keywords,
        Language::En,
    );
    assert!(
        after.readability.score >= before.readability.score,
        "{} → {}",
        before.readability.score,
        after.readability.score
    );
    assert!(
        page.title.starts_with("Cold brew coffee") && page.title.contains("Andes"),
        "{}",
        page.title
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn the_rewrite_keeps_the_name_reads_no_worse_and_repeats_nothing(
            name in "[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8}){0,2}",
            body in proptest::collection::vec("[A-Z][a-z]{1,9}( [a-z]{1,12}){2,25}[.?!]", 1..8),
            keywords in proptest::collection::vec("[a-z]{3,9}( [a-z]{3,9})?", 1..3),
            es in any::<bool>(),
        ) {
            let lang = if es { Language::Es } else { Language::En };
            let body = body.join(" ");
            let page = optimize(&name, &body, &keywords, lang);
            prop_assert!(page.title.contains(&name), "{} / {}", page.title, name);
            let before = readability(&body, lang).score;
            let after = readability(&page.body, lang).score;
            prop_assert!(after >= before, "{} → {}", before, after);
            let input_repeats = repeats(&body);
            prop_assert!(
                repeats(&page.body).iter().all(|r| input_repeats.contains(r)),
                "{:?}", repeats(&page.body)
            );
        }
    }
}
