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
use super::channels::{Placement, fits, trim_to_fit};
use super::copy::{Fields, clean_for, enforce};
use super::{Language, brief::stable_hash};
use facts::Facts;

pub use text::{cap, gsm_fold, hashtag};

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

/// Adds sentences in order while the result fits the field; when none
/// fits, the first one is trimmed to fit (so the field is never empty).
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
    if out.is_empty()
        && let Some(first) = parts.iter().find(|p| !p.trim().is_empty())
    {
        out = trim_to_fit(&clean_for(first, spec), spec);
    }
    out
}

/// Writes variant `index` of `channel` for `brief`; the result always fits
/// the channel table.
pub fn generate(brief: &Brief, channel: Placement, index: u32) -> Fields {
    let f = Facts {
        b: brief,
        en: brief.language == Language::En,
    };
    let seed = brief.seed ^ stable_hash(&[channel.as_str()]);
    let mut rng = Rng::new(seed);
    let fields = match channel {
        Placement::GoogleAds => ads::google_ads(&f, &mut rng, index),
        Placement::Meta | Placement::Instagram => ads::meta(&f, &mut rng, index, channel),
        Placement::Tiktok => social::tiktok(&f, &mut rng, index),
        Placement::Linkedin => social::linkedin(&f, &mut rng, index),
        Placement::X => social::x_post(&f, &mut rng, index),
        Placement::Email => messaging::email(&f, &mut rng, index),
        Placement::Sms => messaging::sms(&f, &mut rng, index),
        Placement::Whatsapp => messaging::whatsapp(&f, &mut rng, index),
        Placement::Web => web::web(&f, &mut rng, index),
    };
    fill_required(channel, enforce(channel, fields).0, brief)
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
            let t = trim_to_fit(&clean_for(c, spec), spec);
            if !t.is_empty()
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

/// Candidates cleaned for the field, the ones that fit first, deduplicated
/// case-insensitively; trimmed versions fill up to `min`.
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
    for c in candidates
        .iter()
        .map(String::as_str)
        .chain(fallbacks.iter().copied())
    {
        if out.len() >= min {
            break;
        }
        push(trim_to_fit(&clean_for(c, spec), spec), &mut out);
    }
    out
}

#[cfg(test)]
mod tests;
