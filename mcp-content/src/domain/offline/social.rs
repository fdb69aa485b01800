//! Organic social placements of the offline engine: TikTok captions,
//! LinkedIn posts and X posts.

use super::super::channels::Placement;
use super::super::copy::Fields;
use super::facts::Facts;
use super::{Rng, assemble, field_fits, rotate};

pub(super) fn tiktok(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let fit = field_fits(Placement::Tiktok, "caption");
    let mut first = rotate(&f.statements(), rng, i).unwrap_or_default();
    if let Some(e) = f.emoji(rng) {
        first = format!("{first} {e}");
    }
    let second = if i.is_multiple_of(2) {
        rotate(&f.offer_lines(), rng, i).unwrap_or_default()
    } else {
        rotate(&f.hooks(), rng, i).unwrap_or_default()
    };
    let parts = vec![first, second, f.cta_line(false)];
    let mut caption = assemble(&parts, " ", Placement::Tiktok, "caption");
    for t in f.hashtags(2) {
        let with = format!("{caption} {t}");
        if fit(&with) {
            caption = with;
        }
    }
    vec![("caption".into(), caption)]
}

pub(super) fn linkedin(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let hook_fit = field_fits(Placement::Linkedin, "hook");
    let hooks: Vec<String> = f.hooks().into_iter().filter(|h| hook_fit(h)).collect();
    let hook = rotate(&hooks, rng, i).unwrap_or_else(|| f.p().to_owned());
    let mut paras = vec![hook.clone()];
    let stmt = f.follow_up(&hook, rng, i);
    let aud = f.audience_after(&hook, rng, i);
    paras.push(format!("{stmt} {aud}").trim().to_owned());
    let bl = f.unsaid(&paras.join(" "));
    if bl.len() >= 2 {
        let head = f.l("What you get:", "Lo que obtienes:");
        let list: Vec<String> = bl.iter().map(|x| format!("• {x}")).collect();
        paras.push(format!("{head}\n{}", list.join("\n")));
    } else if let Some(o) = rotate(&f.offer_lines(), rng, i) {
        paras.push(o);
    }
    paras.push(f.cta_line(true));
    let tags = f.hashtags(3);
    if !tags.is_empty() {
        paras.push(tags.join(" "));
    }
    let post = assemble(&paras, "\n\n", Placement::Linkedin, "post");
    vec![("hook".into(), hook), ("post".into(), post)]
}

pub(super) fn x_post(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let fit = field_fits(Placement::X, "post");
    let mut first = rotate(&f.hooks(), rng, i).unwrap_or_default();
    if let Some(e) = f.emoji(rng) {
        first = format!("{first} {e}");
    }
    let second = f.follow_up(&first, rng, i);
    let parts = vec![
        first,
        second,
        rotate(&f.offer_lines(), rng, i).unwrap_or_default(),
        f.cta_line(true),
    ];
    let mut post = assemble(&parts, " ", Placement::X, "post");
    for t in f.hashtags(2) {
        let with = format!("{post} {t}");
        if fit(&with) {
            post = with;
        }
    }
    vec![("post".into(), post)]
}
