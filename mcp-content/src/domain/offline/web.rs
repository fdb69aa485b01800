//! Landing page sections of the offline engine.

use super::super::channels::Placement;
use super::super::copy::Fields;
use super::facts::Facts;
use super::text::cap;
use super::{Rng, assemble, pick_many, rotate};

fn bullets(f: &Facts) -> Vec<String> {
    let b = f.b;
    let mut v = Vec::new();
    if let Some(x) = &b.benefit {
        v.push(cap(x));
    }
    if let Some(o) = &b.offer {
        v.push(cap(o));
    }
    if let Some(a) = &b.audience {
        v.push(format!("{} {a}", f.l("Made for", "Pensado para")));
    }
    v
}

pub(super) fn web(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let p = f.p();
    let b = f.b;
    let mut heads = Vec::new();
    if let Some(x) = b.benefit.as_ref().filter(|_| !b.verb_benefit()) {
        heads.push(format!("{p}: {x}"));
        heads.push(cap(x));
    } else if let Some(x) = &b.benefit {
        heads.push(
            f.l(
                &format!("{p}: the easier way to {x}"),
                &format!("{p}: la forma más fácil de {x}"),
            )
            .to_owned(),
        );
        heads.push(cap(x));
    }
    if let Some(a) = &b.audience {
        heads.push(format!("{p}, {} {a}", f.l("made for", "pensado para")));
    }
    heads.push(p.to_owned());
    let mut heads = pick_many(Placement::Web, "headline", heads, 6, 1, &[]);
    let k = i as usize % heads.len().max(1);
    heads.rotate_left(k);
    let sub_parts = vec![
        rotate(&f.statements(), rng, i).unwrap_or_default(),
        rotate(&f.audience_lines(), rng, i).unwrap_or_default(),
        rotate(&f.offer_lines(), rng, i).unwrap_or_default(),
    ];
    let sub = assemble(&sub_parts, " ", Placement::Web, "subheadline");
    let mut body = Vec::new();
    // The main keyword in a plain sentence, with its proper capitals
    // (never a bare search query turned into a question).
    let fold = super::super::seo::fold;
    if let Some(k) = f
        .keywords()
        .first()
        .filter(|k| fold(k) != fold(p) && fold(k) != fold(&b.product))
    {
        body.push(
            f.l(
                &format!("When it comes to {k}, {p} is built for you."),
                &format!("Si hablamos de {k}, {p} es justo lo que necesitas."),
            )
            .to_owned(),
        );
    } else {
        body.push(rotate(&f.hooks(), rng, i).unwrap_or_default());
    }
    let bl = bullets(f);
    if !bl.is_empty() {
        body.push(
            bl.iter()
                .map(|x| format!("- **{x}**"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    let body = assemble(&body, "\n\n", Placement::Web, "body");
    vec![
        (
            "headline".into(),
            heads.first().cloned().unwrap_or_default(),
        ),
        ("subheadline".into(), sub),
        ("body".into(), body),
        ("cta".into(), f.button()),
    ]
}
