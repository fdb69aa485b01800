//! The offline engine: deterministic templates and rules that write channel copy from a brief's facts.
//!
//! Only the brief's facts are stated (product, benefit, offer, audience,
//! call to action, keywords, URL): no invented prices, dates or urgency.
//! Variation comes from a seeded generator, so the same brief and seed give
//! the same copy, and variant `i` starts from a different template than `i-1`.

mod ads;
mod facts;
mod messaging;
mod social;
mod text;
mod web;

use super::brief::Brief;
use super::channels::{Placement, fits};
use super::copy::{Fields, clean_for};
use super::defects::{Defect, defects, defects_after_brand};
use super::{Language, brief::stable_hash};
use facts::Facts;

pub use text::{balance_marks, cap, gsm_fold, hashtag, unwrap_marks};

/// SplitMix64: small, fast and stable across platforms and releases.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Picks the `i`-th item of a seeded rotation of `v` (None when empty).
pub(super) fn rotate<T: Clone>(v: &[T], rng: &mut Rng, i: u32) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    let start = rng.below(v.len());
    Some(v[(start + i as usize) % v.len()].clone())
}

/// Adds sentences in order while the result fits the field. Nothing is
/// ever cut: a sentence that does not fit is left out, and a field left
/// empty is the defect checker's to refuse (another template is tried).
pub(super) fn assemble(parts: &[String], sep: &str, channel: Placement, name: &str) -> String {
    let Some(spec) = channel.spec().field(name) else {
        return String::new();
    };
    let mut out = String::new();
    for p in parts.iter().filter(|p| !p.trim().is_empty()) {
        let next = if out.is_empty() {
            p.clone()
        } else {
            format!("{out}{sep}{p}")
        };
        if fits(&next, spec) {
            out = next;
        }
    }
    out
}

/// How many seeded template draws a variant gets before the plain one.
const ATTEMPTS: u64 = 24;

/// Writes variant `index` of `channel` for `brief`: the first draw of the
/// templates the defect checker passes (`defects`), else the plain variant
/// built from the short name, the offer and the call to action; never a
/// variant with a defect. Nothing is cut to fit: a text that does not fit
/// is replaced by another template's.
pub fn generate(brief: &Brief, channel: Placement, index: u32) -> Result<Fields, CopyDefects> {
    generate_with(brief, channel, index, &|f| f)
}

/// [`generate`], with `finish` (the client's brand) applied to each draw
/// before it is checked.
pub fn generate_with(
    brief: &Brief,
    channel: Placement,
    index: u32,
    finish: &dyn Fn(Fields) -> Fields,
) -> Result<Fields, CopyDefects> {
    let f = Facts::new(brief);
    // A draw cleaned, checked, then branded and checked again.
    let accept = |fields: Fields| -> Result<Fields, Vec<Defect>> {
        let fields = fill_required(channel, cleaned(channel, fields), brief);
        let found = defects(&fields, brief, channel);
        if !found.is_empty() {
            return Err(found);
        }
        let branded = finish(fields);
        let found = defects_after_brand(&branded, brief, channel);
        if found.is_empty() {
            Ok(branded)
        } else {
            Err(found)
        }
    };
    let mut last = Vec::new();
    for attempt in 0..ATTEMPTS {
        // Attempt 0 is the variant's own draw; later ones re-seed it.
        let seed =
            brief.seed ^ stable_hash(&[channel.as_str()]) ^ attempt.wrapping_mul(0x9E37_79B9);
        let mut rng = Rng::new(seed);
        match accept(draw(&f, channel, &mut rng, index)) {
            Ok(fields) => return Ok(fields),
            Err(found) => last = found,
        }
    }
    let mut found = match accept(plain(&f, channel)) {
        Ok(fields) => return Ok(fields),
        Err(found) => found,
    };
    // The plain variant's defects, then the last draw's: what to fix.
    for d in last {
        if !found.contains(&d) {
            found.push(d);
        }
    }
    Err(CopyDefects {
        channel,
        variant: index,
        defects: found,
    })
}

fn draw(f: &Facts, channel: Placement, rng: &mut Rng, index: u32) -> Fields {
    match channel {
        Placement::GoogleAds => ads::google_ads(f, rng, index),
        Placement::Meta | Placement::Instagram => ads::meta(f, rng, index, channel),
        Placement::Tiktok => social::tiktok(f, rng, index),
        Placement::Linkedin => social::linkedin(f, rng, index),
        Placement::X => social::x_post(f, rng, index),
        Placement::Email => messaging::email(f, rng, index),
        Placement::Sms => messaging::sms(f, rng, index),
        Placement::Whatsapp => messaging::whatsapp(f, rng, index),
        Placement::Web => web::web(f, rng, index),
    }
}

/// What each field forbids removed (emoji, '!'), unknown and extra values
/// dropped; lengths untouched (the checker refuses what is over).
pub fn cleaned(channel: Placement, fields: Fields) -> Fields {
    let spec = channel.spec();
    let mut out: Fields = Vec::new();
    for (name, text) in fields {
        let Some(f) = spec.field(&name) else { continue };
        if out.iter().filter(|(n, _)| *n == name).count() >= f.max_count {
            continue;
        }
        let t = clean_for(&text, f);
        if !t.is_empty() {
            out.push((name, t));
        }
    }
    out
}

/// The plain variant: the short name with the offer (or benefit) and the
/// call to action, the fewest words each field can hold.
fn plain(f: &Facts, channel: Placement) -> Fields {
    let b = f.b;
    let short = b.short_name();
    let lead = f
        .offer()
        .map(|o| f.exclaim(&cap(o)))
        .or_else(|| b.benefit.as_ref().map(|x| format!("{}.", cap(x))));
    let sentence = |with_url: bool| {
        let mut parts = vec![format!("{short}.")];
        parts.extend(lead.clone());
        parts.push(f.cta_line(with_url));
        parts
    };
    let long = |name: &str, with_url: bool| {
        let s = sentence(with_url);
        let full = s.join(" ");
        if field_fits(channel, name)(&full) {
            full
        } else {
            format!("{} {}", s[0], s[s.len() - 1])
        }
    };
    let v = |n: &str, t: String| (n.to_owned(), t);
    match channel {
        Placement::GoogleAds => {
            let mut heads = vec![short.clone()];
            heads.extend(f.offer().map(cap));
            heads.push(cap(f.cta()));
            let standard: &[&str] = if f.en {
                &["Learn More", "Shop Now", "See How It Works"]
            } else {
                &["Descubre más", "Compra ahora", "Mira cómo funciona"]
            };
            let heads = pick_many(channel, "headline", heads, 15, 3, standard);
            let mut out: Fields = heads.into_iter().map(|h| v("headline", h)).collect();
            out.push(v("description", long("description", false)));
            out.push(v(
                "description",
                format!("{short}. {}", f.l("Learn more.", "Descubre más.")),
            ));
            out
        }
        Placement::Meta | Placement::Instagram => vec![
            v("primary_text", long("primary_text", false)),
            v("headline", short.clone()),
            v(
                "description",
                f.offer()
                    .map(cap)
                    .filter(|o| field_fits(channel, "description")(o))
                    .unwrap_or_else(|| short.clone()),
            ),
        ],
        Placement::Tiktok => vec![v("caption", long("caption", false))],
        Placement::X => vec![v("post", long("post", true))],
        Placement::Linkedin => vec![
            v("hook", format!("{short}.")),
            v("post", long("post", true)),
        ],
        Placement::Email => vec![
            v("subject", short.clone()),
            v("preheader", long("preheader", false)),
            v("body", long("body", true)),
        ],
        Placement::Sms => messaging::sms(f, &mut Rng::new(0), 0),
        Placement::Whatsapp => vec![
            v("header", short.clone()),
            v("body", long("body", true)),
            v(
                "footer",
                f.l(
                    "Reply STOP to unsubscribe",
                    "Responde BAJA para no recibir más mensajes",
                )
                .to_owned(),
            ),
            v("button", f.button()),
        ],
        Placement::Web => vec![
            v("headline", short.clone()),
            v("subheadline", long("subheadline", false)),
            v("body", long("body", false)),
            v("cta", f.button()),
        ],
    }
}

/// A variant for which no draw passed the defect checker.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyDefects {
    pub channel: Placement,
    pub variant: u32,
    pub defects: Vec<Defect>,
}

impl std::fmt::Display for CopyDefects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no {} variant {} without defects could be written from this brief ({})",
            self.channel,
            self.variant,
            self.defects
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

/// Fills fields still short of their minimum count (a product or call to
/// action made only of emoji, for a field that forbids them) with the
/// objective's standard calls to action.
fn fill_required(channel: Placement, mut fields: Fields, brief: &Brief) -> Fields {
    let en = brief.language == Language::En;
    let standard: [&str; 5] = if en {
        [
            "Shop now",
            "Learn more",
            "See how it works",
            "Get started today",
            "Find out more",
        ]
    } else {
        [
            "Compra ahora",
            "Descubre más",
            "Mira cómo funciona",
            "Empieza hoy",
            "Infórmate",
        ]
    };
    for spec in channel.spec().fields {
        let have = fields.iter().filter(|(n, _)| n == spec.name).count();
        if have >= spec.min_count {
            continue;
        }
        let candidates =
            std::iter::once(super::brief::default_cta(brief.objective, brief.language))
                .chain(standard);
        let mut missing = spec.min_count - have;
        for c in candidates {
            if missing == 0 {
                break;
            }
            let t = clean_for(c, spec);
            if !t.is_empty()
                && fits(&t, spec)
                && !fields
                    .iter()
                    .any(|(n, v)| n == spec.name && v.eq_ignore_ascii_case(&t))
            {
                fields.push((spec.name.to_owned(), t));
                missing -= 1;
            }
        }
    }
    fields
}

pub(super) fn field_fits(channel: Placement, name: &str) -> impl Fn(&str) -> bool {
    let spec = channel.spec().field(name);
    move |t: &str| spec.is_some_and(|f| fits(t, f))
}

/// Candidates cleaned for the field that fit, deduplicated
/// case-insensitively; the fallbacks fill up to `min` (nothing is cut).
pub(super) fn pick_many(
    channel: Placement,
    name: &str,
    candidates: Vec<String>,
    want: usize,
    min: usize,
    fallbacks: &[&str],
) -> Vec<String> {
    let Some(spec) = channel.spec().field(name) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let push = |t: String, out: &mut Vec<String>| {
        let key = t.to_lowercase();
        if !t.is_empty() && !out.iter().any(|o| o.to_lowercase() == key) {
            out.push(t);
        }
    };
    for c in &candidates {
        if out.len() >= want {
            break;
        }
        let c = clean_for(c, spec);
        if fits(&c, spec) {
            push(c, &mut out);
        }
    }
    for c in fallbacks {
        if out.len() >= min {
            break;
        }
        let c = clean_for(c, spec);
        if fits(&c, spec) {
            push(c, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests;
