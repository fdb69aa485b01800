//! Direct messages of the offline engine: email, SMS (one GSM-7 or UCS-2
//! segment, opt-out always included) and WhatsApp templates.

use super::super::brief::Tone;
use super::super::channels::{Placement, fits};
use super::super::copy::{Fields, clean_for};
use super::facts::Facts;
use super::text::{cap, gsm_fold};
use super::{Rng, assemble, field_fits, pick_many, rotate};

pub(super) fn email(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let p = f.p();
    let b = f.b;
    let mut subjects = Vec::new();
    if let Some(x) = &b.benefit {
        subjects.push(if b.verb_benefit() {
            f.l(&format!("Want to {x}?"), &format!("¿Quieres {x}?"))
                .to_owned()
        } else {
            f.l(&format!("Looking for {x}?"), &format!("¿Buscas {x}?"))
                .to_owned()
        });
    }
    if let Some(o) = &b.offer {
        subjects.push(format!("{}: {o}", p));
        subjects.push(cap(o));
    }
    subjects.push(f.l(&format!("Meet {p}"), &format!("Conoce {p}")).to_owned());
    let mut subjects = pick_many(Placement::Email, "subject", subjects, 6, 1, &[]);
    let k = i as usize % subjects.len().max(1);
    subjects.rotate_left(k);
    let mut subject = subjects.first().cloned().unwrap_or_default();
    if b.tone == Tone::Playful
        && let Some(e) = f.emoji(rng)
    {
        let with = format!("{subject} {e}");
        if field_fits(Placement::Email, "subject")(&with) {
            subject = with;
        }
    }
    let stmt = rotate(&f.statements(), rng, i).unwrap_or_default();
    let aud = rotate(&f.audience_lines(), rng, i).unwrap_or_default();
    let offer = rotate(&f.offer_lines(), rng, i).unwrap_or_default();
    let pre_parts = if i.is_multiple_of(2) {
        vec![stmt.clone(), offer.clone()]
    } else {
        vec![offer.clone(), aud.clone(), stmt.clone()]
    };
    let preheader = assemble(&pre_parts, " ", Placement::Email, "preheader");
    let greeting = match (f.en, f.calm()) {
        (true, true) => "Hello,",
        (true, false) => "Hi there,",
        (false, true) => "Hola:",
        (false, false) => "¡Hola!",
    };
    let hook = rotate(&f.hooks(), rng, i).unwrap_or_default();
    let after = f.follow_up(&hook, rng, i);
    let aud_after = f.audience_after(&hook, rng, i);
    let mut body = vec![
        greeting.to_owned(),
        hook,
        format!("{after} {aud_after}").trim().to_owned(),
    ];
    let bl = f.unsaid(&body.join(" "));
    if bl.len() >= 2 {
        body.push(
            bl.iter()
                .map(|x| format!("- {x}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    body.push(match &b.url {
        Some(u) => format!("**[{}]({u})**", f.cta()),
        None => format!("**{}**", f.cta_line(false)),
    });
    if let Some(o) = &b.offer
        && bl.len() < 2
    {
        body.push(
            f.l(&format!("P.S. {}.", cap(o)), &format!("P. D.: {}.", cap(o)))
                .to_owned(),
        );
    }
    let body = assemble(&body, "\n\n", Placement::Email, "body");
    vec![
        ("subject".into(), subject),
        ("preheader".into(), preheader),
        ("body".into(), body),
    ]
}

pub(super) fn sms(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let Some(spec) = Placement::Sms.spec().field("text") else {
        return Vec::new();
    };
    let b = f.b;
    let opt_out = f.l("Reply STOP to opt out", "Responde BAJA para salir");
    let tail = format!("{} {opt_out}", f.cta_line(true));
    let prefix = format!("{}:", b.short_name());
    let mut middles: Vec<String> = Vec::new();
    if let Some(o) = &b.offer {
        middles.push(f.exclaim(&cap(o)));
    }
    if let Some(x) = &b.benefit {
        middles.push(format!("{}.", cap(x)));
    }
    let k = i as usize % middles.len().max(1);
    middles.rotate_left(k);
    let _ = rng.next_u64();
    // Accents outside GSM-7 (á, í, ó, ú) turn the SMS into UCS-2 with 70
    // characters; when the whole message only fits as GSM-7, they are
    // transliterated, as SMS senders do. A fact that does not fit whole is
    // left out, never cut: the name, the call to action and the opt-out
    // always stay.
    middles.push(String::new());
    for m in &middles {
        let t = clean_for(&format!("{prefix} {m} {tail}"), spec);
        if fits(&t, spec) {
            return vec![("text".into(), t)];
        }
        let folded = gsm_fold(&t);
        if fits(&folded, spec) {
            return vec![("text".into(), folded)];
        }
    }
    vec![("text".into(), clean_for(&format!("{prefix} {tail}"), spec))]
}

pub(super) fn whatsapp(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let b = f.b;
    let mut headers: Vec<String> = b.offer.iter().map(|o| cap(o)).collect();
    headers.push(f.p().to_owned());
    let mut headers = pick_many(Placement::Whatsapp, "header", headers, 3, 1, &[]);
    let k = i as usize % headers.len().max(1);
    headers.rotate_left(k);
    let greeting = match (f.en, f.calm()) {
        (true, true) => "Hello {{1}},".to_owned(),
        (true, false) => format!("Hi {{{{1}}}}! {}", f.emoji(rng).unwrap_or("👋")),
        (false, true) => "Hola, {{1}}:".to_owned(),
        (false, false) => format!("¡Hola, {{{{1}}}}! {}", f.emoji(rng).unwrap_or("👋")),
    };
    let hook = rotate(&f.hooks(), rng, i).unwrap_or_default();
    let after = f.follow_up(&hook, rng, i);
    let aud = f.audience_after(&hook, rng, i);
    let parts = vec![
        greeting,
        hook,
        format!("{after} {aud}").trim().to_owned(),
        rotate(&f.offer_lines(), rng, i).unwrap_or_default(),
        f.cta_line(true),
    ];
    let body = assemble(&parts, "\n\n", Placement::Whatsapp, "body");
    vec![
        (
            "header".into(),
            headers.first().cloned().unwrap_or_default(),
        ),
        ("body".into(), body),
        (
            "footer".into(),
            f.l(
                "Reply STOP to unsubscribe",
                "Responde BAJA para no recibir más mensajes",
            )
            .to_owned(),
        ),
        ("button".into(), f.button()),
    ]
}
