//! Paid placements of the offline engine: Google Ads responsive search ads
//! and Meta/Instagram feed ads.

use super::super::channels::Placement;
use super::super::copy::Fields;
use super::facts::Facts;
use super::text::{cap, slug, title_case};
use super::{Rng, assemble, field_fits, pick_many, rotate};

pub(super) fn google_ads(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let p = f.p();
    let b = f.b;
    let mut groups: Vec<Vec<String>> = Vec::new();
    let short = b.short_name();
    let mut names = vec![
        p.to_owned(),
        format!("{} {p}", f.l("Discover", "Descubre")),
        format!("{} {p}", f.l("Try", "Prueba")),
    ];
    if short != p {
        names.push(short.clone());
        names.push(format!("{} {short}", f.l("Try", "Prueba")));
    }
    groups.push(names);
    let keywords = f.keywords();
    groups.push(keywords.iter().map(|k| cap(k)).collect());
    groups.push(b.offer.iter().map(|o| cap(o)).collect());
    groups.push(b.benefit.iter().map(|x| cap(x)).collect());
    groups.push(vec![cap(f.cta())]);
    if let Some(a) = &b.audience {
        groups.push(vec![
            format!("{} {a}", f.l("For", "Para")),
            format!("{p} {} {a}", f.l("for", "para")),
        ]);
    }
    let mut firsts = Vec::new();
    let mut rest = Vec::new();
    for g in &groups {
        if let Some(first) = rotate(g, rng, i) {
            rest.extend(g.iter().filter(|c| **c != first).cloned());
            firsts.push(first);
        }
    }
    rng.shuffle(&mut rest);
    firsts.extend(rest);
    let fallbacks: &[&str] = if f.en {
        &[
            "Shop Now",
            "Learn More",
            "See How It Works",
            "Get Started Today",
        ]
    } else {
        &[
            "Compra ahora",
            "Descubre más",
            "Mira cómo funciona",
            "Empieza hoy",
        ]
    };
    let mut headlines = pick_many(Placement::GoogleAds, "headline", firsts, 10, 3, fallbacks);
    if f.en {
        let mut keep: Vec<&str> = vec![p, short.as_str()];
        keep.extend(keywords.iter().map(String::as_str));
        headlines = headlines.iter().map(|h| title_case(h, &keep)).collect();
    }

    let stmts = f.statements();
    let offers = f.offer_lines();
    let auds = f.audience_lines();
    let hooks = f.hooks();
    let s = |v: &Vec<String>, rng: &mut Rng| rotate(v, rng, i).unwrap_or_default();
    let cta = f.cta_line(false);
    let hook = s(&hooks, rng);
    let aud_after_hook = f.audience_after(&hook, rng, i);
    let named = |x: &str| format!("{short}: {x}.");
    let combos = [
        vec![s(&stmts, rng), cta.clone()],
        vec![s(&offers, rng), s(&stmts, rng), cta.clone()],
        vec![hook, aud_after_hook, cta.clone()],
        vec![s(&auds, rng), s(&offers, rng), cta.clone()],
        vec![f.offer().map(named).unwrap_or_default(), cta.clone()],
        vec![
            b.benefit.as_deref().map(named).unwrap_or_default(),
            cta.clone(),
        ],
    ];
    // A description that is only the call to action says nothing.
    let mut descs: Vec<String> = combos
        .iter()
        .map(|c| assemble(c, " ", Placement::GoogleAds, "description"))
        .filter(|d| d.trim() != cta.trim())
        .collect();
    let k = (i as usize) % descs.len().max(1);
    descs.rotate_left(k);
    let desc_fallbacks: [&str; 0] = [];
    let descriptions = pick_many(
        Placement::GoogleAds,
        "description",
        descs,
        4,
        2,
        &desc_fallbacks,
    );

    let mut fields: Fields = headlines
        .into_iter()
        .map(|h| ("headline".to_owned(), h))
        .collect();
    fields.extend(
        descriptions
            .into_iter()
            .map(|d| ("description".to_owned(), d)),
    );
    let path_src: Vec<&str> = b.keywords.iter().map(String::as_str).chain([p]).collect();
    let mut paths: Vec<String> = Vec::new();
    for src in path_src {
        if let Some(s) = slug(src, 15)
            && !paths.contains(&s)
            && paths.len() < 2
        {
            paths.push(s);
        }
    }
    fields.extend(paths.into_iter().map(|p| ("path".to_owned(), p)));
    fields
}

pub(super) fn meta(f: &Facts, rng: &mut Rng, i: u32, channel: Placement) -> Fields {
    let hooks = f.hooks();
    let stmts = f.statements();
    let offers = f.offer_lines();
    let auds = f.audience_lines();
    let hook = rotate(&hooks, rng, i).unwrap_or_default();
    let stmt = rotate(&stmts, rng, i).unwrap_or_default();
    let offer = rotate(&offers, rng, i).unwrap_or_default();
    let aud = rotate(&auds, rng, i).unwrap_or_default();
    let cta = f.cta_line(false);
    let mut order = match i % 3 {
        0 => {
            let after = f.follow_up(&hook, rng, i);
            let aud = f.audience_after(&hook, rng, i);
            vec![hook, after, offer, aud, cta]
        }
        1 if !offer.is_empty() => vec![offer, stmt, aud, cta],
        _ => vec![stmt, aud, offer, cta],
    };
    if let Some(e) = f.emoji(rng)
        && let Some(first) = order.first_mut()
    {
        first.push(' ');
        first.push_str(e);
    }
    let fit = field_fits(channel, "primary_text");
    let mut primary = assemble(&order, " ", channel, "primary_text");
    if channel == Placement::Instagram {
        let tags = f.hashtags(3);
        if !tags.is_empty() {
            let with = format!("{primary}\n\n{}", tags.join(" "));
            if fit(&with) {
                primary = with;
            }
        }
    }
    let p = f.p().to_owned();
    let b = f.b;
    let mut heads = vec![p.clone()];
    heads.extend(b.offer.iter().map(|o| cap(o)));
    heads.extend(b.benefit.iter().map(|x| cap(x)));
    heads.push(format!("{}: {p}", f.cta()));
    let mut heads = pick_many(channel, "headline", heads, 8, 1, &[]);
    let k = i as usize % heads.len().max(1);
    heads.rotate_left(k);
    // A line of its own, never the call to action alone.
    let mut descs: Vec<String> = b
        .audience
        .iter()
        .map(|a| format!("{} {a}", f.l("For", "Para")))
        .collect();
    descs.extend(b.offer.iter().map(|o| cap(o)));
    descs.extend(b.benefit.iter().map(|x| cap(x)));
    descs.push(b.short_name());
    let mut descs = pick_many(channel, "description", descs, 4, 1, &[]);
    let k = i as usize % descs.len().max(1);
    descs.rotate_left(k);
    // The headline and the description never say the same thing: when
    // one line fits only as the description, the headline is another.
    let same = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
    let (headline, description) = heads
        .iter()
        .find_map(|h| {
            descs
                .iter()
                .find(|d| !same(h, d))
                .map(|d| (h.clone(), d.clone()))
        })
        .unwrap_or_else(|| {
            (
                heads.first().cloned().unwrap_or_default(),
                descs.first().cloned().unwrap_or_default(),
            )
        });
    vec![
        ("primary_text".into(), primary),
        ("headline".into(), headline),
        ("description".into(), description),
    ]
}
