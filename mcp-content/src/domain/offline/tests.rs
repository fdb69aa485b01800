//! The offline engine against the channel table: every channel, both
//! languages, determinism, and properties over arbitrary briefs.

use super::text::slug;
use super::*;
use crate::domain::brief::{BriefInput, Tone};
use crate::domain::copy::violations;
use promptsales_shared::domain::Vocabulary;

fn brief(lang: &str) -> Brief {
    let en = lang == "en";
    BriefInput {
        client_id: "cli_001".into(),
        product: if en {
            "Andes Cold Brew".into()
        } else {
            "Café Andino Orgánico".into()
        },
        benefit: Some(if en {
            "start the day with a smoother cup".into()
        } else {
            "empezar el día con un café más suave".into()
        }),
        offer: Some(if en {
            "20% off your first order".into()
        } else {
            "20 % de descuento en tu primer pedido".into()
        }),
        audience: Some(if en {
            "home baristas".into()
        } else {
            "amantes del café de especialidad".into()
        }),
        channels: Placement::ALL.to_vec(),
        language: Language::parse(lang).unwrap(),
        keywords: vec![if en {
            "cold brew coffee".into()
        } else {
            "café orgánico".into()
        }],
        url: Some("https://andino.example/cafe".into()),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

#[test]
fn every_channel_fits_and_uses_the_facts_in_both_languages() {
    for lang in ["en", "es"] {
        let b = brief(lang);
        for ch in Placement::ALL {
            for i in 0..3 {
                let fields = generate(&b, *ch, i);
                assert!(
                    violations(*ch, &fields).is_empty(),
                    "{ch} {lang}: {:?}",
                    violations(*ch, &fields)
                );
                let all: String = fields
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let key = if lang == "en" { "Andes" } else { "Andino" };
                assert!(
                    all.contains(key) || *ch == Placement::GoogleAds && !all.is_empty(),
                    "{ch} {lang}: {all}"
                );
            }
        }
    }
}

#[test]
fn variants_differ_and_are_deterministic() {
    let b = brief("es");
    for ch in [
        Placement::Meta,
        Placement::Email,
        Placement::X,
        Placement::GoogleAds,
    ] {
        let v: Vec<Fields> = (0..3).map(|i| generate(&b, ch, i)).collect();
        assert_ne!(v[0], v[1], "{ch}");
        assert_ne!(v[1], v[2], "{ch}");
        assert_eq!(v[0], generate(&b, ch, 0));
    }
}

#[test]
fn spanish_copy_is_punctuated_properly() {
    let b = brief("es");
    let text = generate(&b, Placement::Meta, 0)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<String>();
    assert!(text.contains('¿') || text.contains('¡'), "{text}");
    assert!(!text.contains("Want"), "{text}");
}

#[test]
fn google_ads_headlines_are_title_case_without_exclamations() {
    let b = brief("en");
    let f = generate(&b, Placement::GoogleAds, 0);
    let heads: Vec<&str> = f
        .iter()
        .filter(|(n, _)| n == "headline")
        .map(|(_, t)| t.as_str())
        .collect();
    assert!(heads.len() >= 3);
    assert!(heads.contains(&"Andes Cold Brew"));
    assert!(heads.iter().all(|h| !h.contains('!')));
    assert!(heads.contains(&"20% Off Your First Order"), "{heads:?}");
}

#[test]
fn sms_keeps_the_opt_out_and_reports_its_encoding() {
    let b = brief("es");
    let f = generate(&b, Placement::Sms, 0);
    assert!(f[0].1.ends_with("Responde BAJA para salir"), "{}", f[0].1);
    assert!(super::super::channels::fits(
        &f[0].1,
        &Placement::Sms.spec().fields[0]
    ));
}

#[test]
fn hashtags_and_slugs() {
    assert_eq!(
        hashtag("café de especialidad").as_deref(),
        Some("#CaféDeEspecialidad")
    );
    assert_eq!(
        slug("Café orgánico premium", 15).as_deref(),
        Some("cafe-organico")
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text with accents, emoji (incl. ZWJ and flags), GSM extension
    /// characters and wide characters.
    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[a-zA-Z]{1,12}",
                "[áéíóúñÁÉÍÓÚÑü¿¡]{1,3}",
                Just("👩‍👩‍👧".to_owned()),
                Just("🇲🇽".to_owned()),
                Just("☕️".to_owned()),
                Just("€".to_owned()),
                Just("{".to_owned()),
                Just("日本".to_owned()),
                Just("20%".to_owned()),
                "[a-z]{20,40}",
            ],
            1..max,
        )
        .prop_map(|w| w.join(" "))
    }

    fn brief_input() -> impl Strategy<Value = BriefInput> {
        (
            text(12),
            proptest::option::of(text(14)),
            proptest::option::of(text(10)),
            proptest::option::of(text(8)),
            prop_oneof![Just("en"), Just("es")],
            prop_oneof![
                Just("friendly"),
                Just("professional"),
                Just("bold"),
                Just("playful")
            ],
            proptest::collection::vec(text(4), 0..4),
            proptest::option::of(text(4)),
            any::<u64>(),
        )
            .prop_map(
                |(product, benefit, offer, audience, lang, tone, keywords, cta, seed)| BriefInput {
                    client_id: "cli_1".into(),
                    product: product.chars().take(120).collect(),
                    benefit: benefit.map(|s| s.chars().take(160).collect()),
                    offer: offer.map(|s| s.chars().take(160).collect()),
                    audience: audience.map(|s| s.chars().take(160).collect()),
                    channels: Placement::ALL.to_vec(),
                    language: Language::parse(lang).unwrap(),
                    tone: Some(Tone::parse(tone).unwrap()),
                    keywords: keywords
                        .into_iter()
                        .map(|k| k.chars().take(60).collect())
                        .collect(),
                    call_to_action: cta.map(|s| s.chars().take(40).collect()),
                    url: Some("https://example.com/p".into()),
                    seed: Some(seed),
                    ..Default::default()
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn every_channel_stays_within_its_limits(input in brief_input(), variant in 0u32..20) {
            let Ok(b) = input.parse() else { return Ok(()); };
            for ch in Placement::ALL {
                let fields = generate(&b, *ch, variant);
                let v = violations(*ch, &fields);
                prop_assert!(v.is_empty(), "{} {:?}: {:?}", ch, v, fields);
            }
        }
    }
}
