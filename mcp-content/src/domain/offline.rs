//! The offline engine: deterministic templates and rules that write channel copy from a brief's facts.
//!
//! Only the brief's facts are stated (product, benefit, offer, audience,
//! call to action, keywords, URL): no invented prices, dates or urgency.
//! Variation comes from a seeded generator, so the same brief and seed give
//! the same copy, and variant `i` starts from a different template than `i-1`.

use super::brief::{Brief, Tone};
use super::channels::{Placement, fits, graphemes, trim_to_fit};
use super::copy::{Fields, clean_for, enforce};
use super::{Language, brief::stable_hash};

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

/// `s` with its first letter in upper case.
pub fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// English title case for ad headlines (short function words stay lower).
fn title_case(s: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to",
        "vs", "with",
    ];
    s.split(' ')
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i > 0 && SMALL.contains(&lower.as_str()) {
                lower
            } else if w.chars().skip(1).any(char::is_uppercase) {
                w.to_owned()
            } else {
                cap(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A hashtag from a phrase: words joined in camel case, letters and digits only.
pub fn hashtag(phrase: &str) -> Option<String> {
    let body: String = phrase
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(cap)
        .collect();
    (graphemes(&body).len() >= 2).then(|| format!("#{body}"))
}

/// A URL path segment: lower-case ASCII words joined by hyphens.
fn slug(phrase: &str, max: usize) -> Option<String> {
    let folded: String = phrase
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    let mut out = String::new();
    for w in folded.split_whitespace() {
        let next = if out.is_empty() {
            w.to_owned()
        } else {
            format!("{out}-{w}")
        };
        if next.len() > max {
            break;
        }
        out = next;
    }
    // A cut phrase must not end on a function word ("cafe-de").
    const STOP: &[&str] = &[
        "a", "an", "and", "de", "del", "el", "en", "for", "la", "las", "los", "of", "or", "para",
        "the", "to", "with", "y", "con",
    ];
    while let Some((head, last)) = out.rsplit_once('-') {
        if STOP.contains(&last) {
            out = head.to_owned();
        } else {
            break;
        }
    }
    (!out.is_empty() && !STOP.contains(&out.as_str())).then_some(out)
}

/// The brief's facts, phrased per language and tone.
struct Facts<'a> {
    b: &'a Brief,
    en: bool,
}

impl Facts<'_> {
    fn p(&self) -> &str {
        &self.b.product
    }

    fn l<'s>(&self, en: &'s str, es: &'s str) -> &'s str {
        if self.en { en } else { es }
    }

    fn calm(&self) -> bool {
        self.b.tone == Tone::Professional
    }

    /// Sentence end for an enthusiastic line: "!" (with Spanish "¡") unless
    /// the tone is professional.
    fn exclaim(&self, s: &str) -> String {
        if self.calm() {
            format!("{s}.")
        } else if self.en {
            format!("{s}!")
        } else {
            format!("¡{s}!")
        }
    }

    fn hooks(&self) -> Vec<String> {
        let p = self.p();
        let mut v = Vec::new();
        if let Some(b) = &self.b.benefit {
            if self.en {
                v.push(format!("Want to {b}?"));
                v.push(format!("What if you could {b}?"));
                v.push(format!("Here's an easier way to {b}."));
            } else {
                v.push(format!("¿Quieres {b}?"));
                v.push(format!("¿Y si pudieras {b}?"));
                v.push(format!("Hay una forma más fácil de {b}."));
            }
            if self.b.tone == Tone::Bold {
                v.push(
                    self.l(
                        &format!("No more excuses: it's time to {b}."),
                        &format!("Se acabaron las excusas: es hora de {b}."),
                    )
                    .to_owned(),
                );
            }
        } else if self.en {
            v.push(format!("Meet {p}."));
            v.push(format!("Have you tried {p} yet?"));
            v.push(format!("Say hello to {p}."));
        } else {
            v.push(format!("Te presentamos {p}."));
            v.push(format!("¿Ya probaste {p}?"));
            v.push(format!("Conoce {p}."));
        }
        if let Some(a) = &self.b.audience
            && !self.calm()
        {
            v.push(self.exclaim(self.l(&format!("Calling all {a}"), &format!("Atención, {a}"))));
        }
        v
    }

    fn statements(&self) -> Vec<String> {
        let p = self.p();
        match &self.b.benefit {
            Some(b) if self.en => vec![
                format!("{p} helps you {b}."),
                format!("With {p}, you can {b}."),
                format!("{p} makes it simple to {b}."),
            ],
            Some(b) => vec![
                format!("{p} te ayuda a {b}."),
                format!("Con {p} puedes {b}."),
                format!("Con {p}, {b} es más sencillo."),
            ],
            None if self.en => vec![
                format!("Discover what {p} can do for you."),
                format!("{p} is ready when you are."),
            ],
            None => vec![
                format!("Descubre lo que {p} puede hacer por ti."),
                format!("{p} está listo cuando tú lo estés."),
            ],
        }
    }

    /// Short lines naming the product, for after a hook that already said the benefit.
    fn closers(&self) -> Vec<String> {
        let p = self.p();
        if self.en {
            vec![
                format!("{p} makes it easy."),
                format!("That's exactly what {p} is for."),
                format!("{p} gets you there."),
            ]
        } else {
            vec![
                format!("{p} lo hace posible."),
                format!("Para eso existe {p}."),
                format!("{p} te lo pone fácil."),
            ]
        }
    }

    /// A statement that does not repeat the benefit when `before` said it.
    fn follow_up(&self, before: &str, rng: &mut Rng, i: u32) -> String {
        let said = self
            .b
            .benefit
            .as_ref()
            .is_some_and(|b| before.contains(b.as_str()));
        let pool = if said {
            self.closers()
        } else {
            self.statements()
        };
        rotate(&pool, rng, i).unwrap_or_default()
    }

    /// An audience line, unless `before` already names the audience.
    fn audience_after(&self, before: &str, rng: &mut Rng, i: u32) -> String {
        match &self.b.audience {
            Some(a) if before.contains(a.as_str()) => String::new(),
            _ => rotate(&self.audience_lines(), rng, i).unwrap_or_default(),
        }
    }

    /// The facts `said` does not mention yet, as list items.
    fn unsaid(&self, said: &str) -> Vec<String> {
        let b = self.b;
        let mut v = Vec::new();
        if let Some(x) = &b.benefit
            && !said.contains(x.as_str())
        {
            v.push(cap(x));
        }
        if let Some(o) = &b.offer
            && !said.contains(o.as_str())
        {
            v.push(cap(o));
        }
        if let Some(a) = &b.audience
            && !said.contains(a.as_str())
        {
            v.push(format!("{} {a}", self.l("Made for", "Pensado para")));
        }
        v
    }

    fn audience_lines(&self) -> Vec<String> {
        match &self.b.audience {
            Some(a) if self.en => vec![
                format!("Made for {a}."),
                format!("Designed with {a} in mind."),
            ],
            Some(a) => vec![format!("Pensado para {a}."), format!("Hecho para {a}.")],
            None => vec![],
        }
    }

    fn offer_lines(&self) -> Vec<String> {
        match &self.b.offer {
            Some(o) if self.en => vec![
                self.exclaim(&cap(o)),
                format!("Right now: {o}."),
                format!("Don't miss it: {o}."),
            ],
            Some(o) => vec![
                self.exclaim(&cap(o)),
                format!("Ahora: {o}."),
                format!("Aprovecha: {o}."),
            ],
            None => vec![],
        }
    }

    fn cta(&self) -> &str {
        &self.b.call_to_action
    }

    fn cta_line(&self, with_url: bool) -> String {
        match (&self.b.url, with_url) {
            (Some(u), true) => format!("{}: {u}", self.cta()),
            _ => format!("{}.", self.cta().trim_end_matches(['.', '!'])),
        }
    }

    fn hashtags(&self, n: usize) -> Vec<String> {
        let mut tags: Vec<String> = self.b.keywords.iter().filter_map(|k| hashtag(k)).collect();
        if let Some(t) = hashtag(self.p()) {
            tags.push(t);
        }
        let mut seen = Vec::new();
        tags.retain(|t| {
            let k = t.to_lowercase();
            let new = !seen.contains(&k);
            seen.push(k);
            new
        });
        tags.truncate(n);
        tags
    }

    fn emoji(&self, rng: &mut Rng) -> Option<&'static str> {
        let pool: &[&str] = match self.b.tone {
            Tone::Professional => return None,
            Tone::Playful => &["✨", "🎉", "🙌", "😍", "🚀"],
            Tone::Bold => &["🔥", "⚡", "💥"],
            Tone::Friendly => &["👉", "✨", "🙌"],
        };
        Some(pool[rng.below(pool.len())])
    }
}

/// Picks the `i`-th item of a seeded rotation of `v` (None when empty).
fn rotate<T: Clone>(v: &[T], rng: &mut Rng, i: u32) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    let start = rng.below(v.len());
    Some(v[(start + i as usize) % v.len()].clone())
}

/// Adds sentences in order while the result fits the field; when none
/// fits, the first one is trimmed to fit (so the field is never empty).
fn assemble(parts: &[String], sep: &str, channel: Placement, name: &str) -> String {
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
        Placement::GoogleAds => google_ads(&f, &mut rng, index),
        Placement::Meta | Placement::Instagram => meta(&f, &mut rng, index, channel),
        Placement::Tiktok => tiktok(&f, &mut rng, index),
        Placement::Linkedin => linkedin(&f, &mut rng, index),
        Placement::X => x_post(&f, &mut rng, index),
        Placement::Email => email(&f, &mut rng, index),
        Placement::Sms => sms(&f, &mut rng, index),
        Placement::Whatsapp => whatsapp(&f, &mut rng, index),
        Placement::Web => web(&f, &mut rng, index),
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

fn field_fits(channel: Placement, name: &str) -> impl Fn(&str) -> bool {
    let spec = channel.spec().field(name);
    move |t: &str| spec.is_some_and(|f| fits(t, f))
}

/// Candidates cleaned for the field, the ones that fit first, deduplicated
/// case-insensitively; trimmed versions fill up to `min`.
fn pick_many(
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

fn google_ads(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let p = f.p();
    let b = f.b;
    let mut groups: Vec<Vec<String>> = Vec::new();
    groups.push(vec![
        p.to_owned(),
        format!("{} {p}", f.l("Discover", "Descubre")),
        format!("{} {p}", f.l("Try", "Prueba")),
    ]);
    groups.push(b.keywords.iter().map(|k| cap(k)).collect());
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
        headlines = headlines.iter().map(|h| title_case(h)).collect();
    }

    let stmts = f.statements();
    let offers = f.offer_lines();
    let auds = f.audience_lines();
    let hooks = f.hooks();
    let s = |v: &Vec<String>, rng: &mut Rng| rotate(v, rng, i).unwrap_or_default();
    let cta = f.cta_line(false);
    let hook = s(&hooks, rng);
    let aud_after_hook = f.audience_after(&hook, rng, i);
    let combos = [
        vec![s(&stmts, rng), cta.clone()],
        vec![s(&offers, rng), s(&stmts, rng), cta.clone()],
        vec![hook, aud_after_hook, cta.clone()],
        vec![s(&auds, rng), s(&offers, rng), cta.clone()],
    ];
    let mut descs: Vec<String> = combos
        .iter()
        .map(|c| assemble(c, " ", Placement::GoogleAds, "description"))
        .collect();
    let k = (i as usize) % descs.len();
    descs.rotate_left(k);
    let desc_fallbacks = [cta.as_str()];
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

fn meta(f: &Facts, rng: &mut Rng, i: u32, channel: Placement) -> Fields {
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
    let headline = heads.first().cloned().unwrap_or_default();
    let mut descs: Vec<String> = vec![cap(f.cta())];
    descs.extend(
        b.audience
            .iter()
            .map(|a| format!("{} {a}", f.l("For", "Para"))),
    );
    descs.extend(b.offer.iter().map(|o| cap(o)));
    descs.retain(|d| d.to_lowercase() != headline.to_lowercase());
    let mut descs = pick_many(
        channel,
        "description",
        descs,
        4,
        1,
        &[f.l("Learn more", "Descubre más")],
    );
    let k = i as usize % descs.len().max(1);
    descs.rotate_left(k);
    vec![
        ("primary_text".into(), primary),
        ("headline".into(), headline),
        (
            "description".into(),
            descs.first().cloned().unwrap_or_default(),
        ),
    ]
}

fn tiktok(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
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

fn linkedin(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
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

fn x_post(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
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

fn email(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let p = f.p();
    let b = f.b;
    let mut subjects = Vec::new();
    if let Some(x) = &b.benefit {
        subjects.push(
            f.l(&format!("Want to {x}?"), &format!("¿Quieres {x}?"))
                .to_owned(),
        );
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

fn sms(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let Some(spec) = Placement::Sms.spec().field("text") else {
        return Vec::new();
    };
    let b = f.b;
    let opt_out = f.l("Reply STOP to opt out", "Responde BAJA para salir");
    let tail = format!("{} {opt_out}", f.cta_line(true));
    let prefix = format!(
        "{}:",
        trim_to_fit(f.p(), &super::channels::FieldSpec { max: 30, ..*spec })
    );
    let mut middles: Vec<String> = Vec::new();
    if let Some(o) = &b.offer {
        middles.push(f.exclaim(&cap(o)));
    }
    if let Some(x) = &b.benefit {
        middles.push(
            f.l(&format!("{}.", cap(x)), &format!("{}.", cap(x)))
                .to_owned(),
        );
    }
    let k = i as usize % middles.len().max(1);
    middles.rotate_left(k);
    let _ = rng.next_u64();
    // Accents outside GSM-7 (á, í, ó, ú) turn the SMS into UCS-2 with 70
    // characters; when the whole message only fits as GSM-7, they are
    // transliterated, as SMS senders do.
    for m in &middles {
        let t = format!("{prefix} {m} {tail}");
        if fits(&t, spec) {
            return vec![("text".into(), t)];
        }
        let folded = gsm_fold(&t);
        if fits(&folded, spec) {
            return vec![("text".into(), folded)];
        }
    }
    // Nothing fits whole: shorten the message, keep the call to action and opt-out.
    let prefix = gsm_fold(&prefix);
    let tail = gsm_fold(&tail);
    let middles: Vec<String> = middles.iter().map(|m| gsm_fold(m)).collect();
    let budget_text = format!("{prefix} {tail}");
    if let Some(m) = middles.first() {
        for cut in (1..graphemes(m).len()).rev() {
            let shorter = trim_to_fit(
                m,
                &super::channels::FieldSpec {
                    max: cut,
                    unit: super::channels::Unit::Graphemes,
                    ..*spec
                },
            );
            let t = format!("{prefix} {shorter} {tail}");
            if fits(&t, spec) && !shorter.is_empty() {
                return vec![("text".into(), t)];
            }
        }
    }
    vec![("text".into(), trim_to_fit(&budget_text, spec))]
}

/// Replaces the Spanish letters GSM-7 lacks by their unaccented forms
/// (é, ñ, ü, ¡ and ¿ are in GSM-7 and stay).
pub fn gsm_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' => 'a',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            'Á' => 'A',
            'Í' => 'I',
            'Ó' => 'O',
            'Ú' => 'U',
            c => c,
        })
        .collect()
}

fn whatsapp(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
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
        ("button".into(), f.cta().to_owned()),
    ]
}

fn web(f: &Facts, rng: &mut Rng, i: u32) -> Fields {
    let p = f.p();
    let b = f.b;
    let mut heads = Vec::new();
    if let Some(x) = &b.benefit {
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
    if let Some(k) = b.keywords.first() {
        body.push(
            f.l(
                &format!("Looking for {k}? {p} is built for it."),
                &format!("¿Buscas {k}? {p} es justo lo que necesitas."),
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
        ("cta".into(), f.cta().to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::brief::BriefInput;
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
            channels: Placement::ALL
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            language: lang.into(),
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
                    |(product, benefit, offer, audience, lang, tone, keywords, cta, seed)| {
                        BriefInput {
                            client_id: "cli_1".into(),
                            product: product.chars().take(120).collect(),
                            benefit: benefit.map(|s| s.chars().take(160).collect()),
                            offer: offer.map(|s| s.chars().take(160).collect()),
                            audience: audience.map(|s| s.chars().take(160).collect()),
                            channels: Placement::ALL
                                .iter()
                                .map(|p| p.as_str().to_owned())
                                .collect(),
                            language: lang.into(),
                            tone: Some(tone.into()),
                            keywords: keywords
                                .into_iter()
                                .map(|k| k.chars().take(60).collect())
                                .collect(),
                            call_to_action: cta.map(|s| s.chars().take(40).collect()),
                            url: Some("https://example.com/p".into()),
                            seed: Some(seed),
                            ..Default::default()
                        }
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
}
