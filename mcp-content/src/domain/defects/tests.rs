//! The defects issue 15 found, each written as the variant that showed it.

use super::*;
use crate::domain::brief::BriefInput;

fn seed_es() -> Brief {
    BriefInput {
        client_id: "cli_018".into(),
        product: "Hotel Boutique Cartagena".into(),
        benefit: Some("café de origen recién tostado".into()),
        offer: Some("¡2 noches al precio de 1 hasta el 15 de diciembre!".into()),
        audience: Some("parejas que viajan a Cartagena".into()),
        channels: vec![Placement::Sms],
        language: Language::Es,
        keywords: vec!["hotel boutique cartagena".into()],
        url: Some("https://hotelboutique.example/cartagena".into()),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

fn f(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(n, t)| ((*n).into(), (*t).into()))
        .collect()
}

fn kinds(d: &[Defect]) -> Vec<&'static str> {
    d.iter()
        .map(|d| match d {
            Defect::UnbalancedMarks { .. } => "marks",
            Defect::DoubledMark { .. } => "doubled",
            Defect::CutPhrase { .. } => "cut",
            Defect::BadCapitalisation { .. } => "caps",
            Defect::MissingProductOrBrand => "missing",
            Defect::OnlyCallToAction { .. } => "only_cta",
            Defect::RepeatedSentence { .. } => "repeated",
            Defect::WrongLanguage { .. } => "language",
            Defect::Grammar { .. } => "grammar",
            Defect::DanglingPunctuation { .. } => "dangling",
            Defect::OverLimit { .. } => "over",
        })
        .collect()
}

#[test]
fn the_brief_keeps_its_offer_whole_and_balanced() {
    let b = seed_es();
    assert_eq!(
        b.offer.as_deref(),
        Some("2 noches al precio de 1 hasta el 15 de diciembre")
    );
    assert_eq!(
        b.proper_keyword("hotel boutique cartagena"),
        "Hotel Boutique Cartagena"
    );
}

#[test]
fn the_issue_s_sms_is_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[(
            "text",
            "Hotel Boutique Cartagena: ¡¡2 noches al precio Compra ahora",
        )]),
        &b,
        Placement::Sms,
    );
    let k = kinds(&d);
    assert!(k.contains(&"doubled"), "{d:?}");
    assert!(k.contains(&"marks"), "{d:?}");
    assert!(k.contains(&"cut"), "{d:?}");
}

#[test]
fn an_unclosed_inverted_mark_is_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[(
            "post",
            "Hotel Boutique Cartagena. Aprovecha: ¡2 noches al precio de 1 hasta el 15 de diciembre. Compra ahora.",
        )]),
        &b,
        Placement::X,
    );
    assert_eq!(kinds(&d), ["marks"], "{d:?}");
}

#[test]
fn lower_case_keywords_and_sentences_are_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[
            ("headline", "Hotel boutique cartagena"),
            ("headline", "Reserva hoy"),
            ("headline", "Compra ahora"),
            (
                "description",
                "¿Buscas hotel boutique cartagena? Reserva hoy.",
            ),
            ("description", "Hotel Boutique Cartagena. compra ahora."),
        ]),
        &b,
        Placement::GoogleAds,
    );
    assert_eq!(kinds(&d), ["caps", "caps", "caps"], "{d:?}");
    assert!(
        d.iter()
            .any(|x| x.to_string().contains("\"compra ahora.\"")),
        "{d:?}"
    );
}

#[test]
fn a_description_that_is_only_the_call_to_action_is_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[
            ("headline", "Hotel Boutique Cartagena"),
            ("headline", "Reserva hoy"),
            ("headline", "Compra ahora"),
            ("description", "Compra ahora."),
            (
                "description",
                "Descubre más: https://hotelboutique.example/cartagena",
            ),
        ]),
        &b,
        Placement::GoogleAds,
    );
    assert_eq!(kinds(&d), ["only_cta", "only_cta"], "{d:?}");
}

#[test]
fn a_variant_that_never_names_the_product_is_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[(
            "caption",
            "¡2 noches al precio de 1 hasta el 15 de diciembre! Compra ahora.",
        )]),
        &b,
        Placement::Tiktok,
    );
    assert_eq!(kinds(&d), ["missing"], "{d:?}");
}

#[test]
fn greetings_in_the_wrong_language_and_dangling_marks_are_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[
            ("subject", "Hotel Boutique Cartagena"),
            ("preheader", "Hotel Boutique Cartagena te espera."),
            (
                "body",
                "Hi there,.\n\nHotel Boutique Cartagena te espera.\n\nTerms apply.",
            ),
        ]),
        &b,
        Placement::Email,
    );
    let k = kinds(&d);
    assert!(k.contains(&"dangling"), "{d:?}");
    assert!(k.contains(&"language"), "{d:?}");
}

#[test]
fn a_noun_benefit_after_a_verb_frame_is_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[(
            "caption",
            "Hotel Boutique Cartagena te ayuda a café de origen recién tostado.",
        )]),
        &b,
        Placement::Tiktok,
    );
    assert_eq!(kinds(&d), ["grammar"], "{d:?}");
}

#[test]
fn a_repeated_sentence_is_refused() {
    let b = seed_es();
    let d = defects(
        &f(&[(
            "caption",
            "Hotel Boutique Cartagena te espera. Reserva hoy. Hotel Boutique Cartagena te espera.",
        )]),
        &b,
        Placement::Tiktok,
    );
    assert_eq!(kinds(&d), ["repeated"], "{d:?}");
}

#[test]
fn clean_copy_passes() {
    let b = seed_es();
    let d = defects(
        &f(&[(
            "text",
            "Hotel Boutique Cartagena: ¡2 noches al precio de 1 hasta el 15 de diciembre! Compra ahora: https://hotelboutique.example/cartagena Responde BAJA",
        )]),
        &b,
        Placement::Sms,
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn keywords_take_proper_capitals_from_the_brief_only() {
    let b = seed_es();
    // A proper noun the audience capitalises; a run of the product's words.
    assert_eq!(
        b.proper_keyword("hoteles en cartagena"),
        "hoteles en Cartagena"
    );
    assert_eq!(b.proper_keyword("boutique cartagena"), "Boutique Cartagena");
    let en = BriefInput {
        client_id: "cli_023".into(),
        product: "Green Coffee Co. Origin Coffee 500 g".into(),
        channels: vec![Placement::Web],
        keywords: vec!["organic coffee subscription".into()],
        ..Default::default()
    }
    .parse()
    .unwrap();
    // One common word of a title-case name is not a proper noun.
    assert_eq!(
        en.proper_keyword("organic coffee subscription"),
        "organic coffee subscription"
    );
    assert_eq!(
        en.proper_keyword("origin coffee beans"),
        "Origin Coffee beans"
    );
}
