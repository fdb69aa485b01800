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
                let fields = generate(&b, *ch, i).unwrap();
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
        let v: Vec<Fields> = (0..3).map(|i| generate(&b, ch, i).unwrap()).collect();
        assert_ne!(v[0], v[1], "{ch}");
        assert_ne!(v[1], v[2], "{ch}");
        assert_eq!(v[0], generate(&b, ch, 0).unwrap());
    }
}

#[test]
fn spanish_copy_is_punctuated_properly() {
    let b = brief("es");
    let text = generate(&b, Placement::Meta, 0)
        .unwrap()
        .into_iter()
        .map(|(_, t)| t)
        .collect::<String>();
    assert!(text.contains('¿') || text.contains('¡'), "{text}");
    assert!(!text.contains("Want"), "{text}");
}

#[test]
fn google_ads_headlines_are_title_case_without_exclamations() {
    let b = brief("en");
    let f = generate(&b, Placement::GoogleAds, 0).unwrap();
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
    let f = generate(&b, Placement::Sms, 0).unwrap();
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
    use crate::domain::channels::fits;
    use crate::domain::defects::defects;
    use proptest::prelude::*;

    /// Words as briefs carry them: plain, capitalised, accented, numbers,
    /// emoji (ZWJ, flags, selectors), GSM extension and wide characters.
    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z]{1,10}",
            2 => "[A-Z][a-z]{1,9}",
            2 => prop_oneof![
                Just("café"), Just("Cartagena"), Just("niños"), Just("acción"), Just("Bogotá"),
                Just("año"), Just("diseño"), Just("más"), Just("über"), Just("crème"),
            ]
            .prop_map(str::to_owned),
            1 => prop_oneof![
                Just("👩‍👩‍👧"), Just("🇲🇽"), Just("☕️"), Just("€"), Just("20%"), Just("2x1"),
                Just("日本"), Just("{"), Just("50 %"), Just("#1"),
            ]
            .prop_map(str::to_owned),
            1 => "[a-z]{14,24}",
        ]
    }

    fn phrase(min: usize, max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(word(), min..max).prop_map(|w| w.join(" "))
    }

    /// An offer as people type it: plain, exclaimed (¡…! or a bare !) or asked (¿…?).
    fn offer() -> impl Strategy<Value = String> {
        (phrase(1, 10), 0u8..4).prop_map(|(o, m)| match m {
            0 => format!("¡{o}!"),
            1 => format!("¿{o}?"),
            2 => format!("{o}!"),
            _ => o,
        })
    }

    fn brief_input() -> impl Strategy<Value = BriefInput> {
        (
            phrase(1, 14),
            proptest::option::of(phrase(1, 12)),
            proptest::option::of(offer()),
            proptest::option::of(phrase(1, 8)),
            prop_oneof![Just("en"), Just("es")],
            prop_oneof![
                Just("friendly"),
                Just("professional"),
                Just("bold"),
                Just("playful")
            ],
            proptest::collection::vec(phrase(1, 4), 0..4),
            proptest::option::of(phrase(1, 4)),
            proptest::option::of("[a-z0-9/-]{0,30}"),
            any::<u64>(),
        )
            .prop_map(
                |(product, benefit, offer, audience, lang, tone, keywords, cta, path, seed)| {
                    BriefInput {
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
                        url: path.map(|p| format!("https://shop.example/{p}")),
                        seed: Some(seed),
                        ..Default::default()
                    }
                },
            )
    }

    /// The least an SMS must carry: the name, the call to action (with
    /// the URL) and the opt-out.
    fn sms_minimum_fits(b: &Brief) -> bool {
        let opt_out = if b.language == Language::En {
            "Reply STOP to opt out"
        } else {
            "Responde BAJA para salir"
        };
        let cta = match &b.url {
            Some(u) => format!("{}: {u}", cap(&b.call_to_action)),
            None => format!("{}.", cap(&b.call_to_action)),
        };
        let t = clean_for(
            &format!("{}: {cta} {opt_out}", b.short_name()),
            &Placement::Sms.spec().fields[0],
        );
        fits(&gsm_fold(&t), &Placement::Sms.spec().fields[0])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Issue 15's "done when": for arbitrary briefs in both languages no
        /// variant has a defect and every field fits its channel; the one
        /// refusal allowed is an SMS whose name, call to action, URL and
        /// opt-out cannot share one segment.
        #[test]
        fn no_variant_has_a_defect_and_every_field_fits(input in brief_input(), variant in 0u32..20) {
            let Ok(b) = input.parse() else { return Ok(()); };
            for ch in Placement::ALL {
                match generate(&b, *ch, variant) {
                    Ok(fields) => {
                        let v = violations(*ch, &fields);
                        prop_assert!(v.is_empty(), "{} {:?}: {:?}", ch, v, fields);
                        let d = defects(&fields, &b, *ch);
                        prop_assert!(d.is_empty(), "{} {:?}: {:?}", ch, d, fields);
                    }
                    Err(e) => prop_assert!(
                        *ch == Placement::Sms && !sms_minimum_fits(&b),
                        "{}: {} ({:?})", ch, e, b
                    ),
                }
            }
        }
    }
}

/// What no template can write cleanly is refused, naming the channel,
/// the variant and the defects, never returned cut or over the limit.
#[test]
fn an_sms_that_cannot_fit_is_a_clear_refusal() {
    let mut input = BriefInput {
        client_id: "cli_001".into(),
        product: "Café Andino Orgánico".into(),
        channels: vec![Placement::Sms],
        language: Language::Es,
        ..Default::default()
    };
    input.url = Some(format!("https://andino.example/{}", "a".repeat(150)));
    let b = input.parse().unwrap();
    let e = generate(&b, Placement::Sms, 0).unwrap_err();
    assert_eq!(e.channel, Placement::Sms);
    let msg = e.to_string();
    assert!(msg.contains("no sms variant 0 without defects"), "{msg}");
    assert!(msg.contains("limit"), "{msg}");
}
