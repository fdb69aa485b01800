//! The phrase banks of the offline engine: the brief's facts as hooks,
//! statements, offers, audience lines, calls to action, hashtags and emoji,
//! in English and Spanish, per tone.

use super::super::brief::{Brief, Tone};
use super::text::{cap, hashtag};
use super::{Rng, rotate};

/// The brief's facts, phrased per language and tone.
pub(super) struct Facts<'a> {
    pub(super) b: &'a Brief,
    pub(super) en: bool,
    pub(super) name: String,
}

impl<'a> Facts<'a> {
    pub(super) fn new(b: &'a Brief) -> Self {
        let name = if super::super::channels::graphemes(&b.product).len() <= 40 {
            b.product.clone()
        } else {
            b.short_name()
        };
        Self {
            b,
            en: b.language == super::super::Language::En,
            name,
        }
    }
}

impl Facts<'_> {
    /// The product as copy names it: the whole name up to 40 characters,
    /// else its short form (see `Brief::short_name`).
    pub(super) fn p(&self) -> &str {
        &self.name
    }

    /// The offer without marks around the whole of it, for templates to punctuate.
    pub(super) fn offer(&self) -> Option<&str> {
        self.b.offer.as_deref()
    }

    /// The keywords with their proper capitals.
    pub(super) fn keywords(&self) -> Vec<String> {
        self.b
            .keywords
            .iter()
            .map(|k| self.b.proper_keyword(k))
            .collect()
    }

    pub(super) fn l<'s>(&self, en: &'s str, es: &'s str) -> &'s str {
        if self.en { en } else { es }
    }

    pub(super) fn calm(&self) -> bool {
        self.b.tone == Tone::Professional
    }

    /// Sentence end for an enthusiastic line: "!" (with Spanish "¡") unless
    /// the tone is professional.
    pub(super) fn exclaim(&self, s: &str) -> String {
        let s = s.trim_end_matches(['.', '!']);
        if s.ends_with('?') || s.ends_with('…') {
            return s.to_owned();
        }
        if self.calm() {
            format!("{s}.")
        } else if self.en {
            format!("{s}!")
        } else {
            format!("¡{s}!")
        }
    }

    pub(super) fn hooks(&self) -> Vec<String> {
        let p = self.p();
        let mut v = Vec::new();
        if let Some(b) = self.b.benefit.as_ref().filter(|_| !self.b.verb_benefit()) {
            if self.en {
                v.push(format!("Looking for {b}?"));
                v.push(format!("Ready for {b}?"));
            } else {
                v.push(format!("¿Buscas {b}?"));
                v.push(format!("¿Te imaginas {b}?"));
            }
        } else if let Some(b) = &self.b.benefit {
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

    pub(super) fn statements(&self) -> Vec<String> {
        let p = self.p();
        let noun = !self.b.verb_benefit();
        match &self.b.benefit {
            Some(b) if noun && self.en => vec![
                format!("{p} brings you {b}."),
                format!("With {p}, enjoy {b}."),
                format!("{}, from {p}.", cap(b)),
            ],
            Some(b) if noun => vec![
                format!("{p} te trae {b}."),
                format!("Con {p}, disfruta de {b}."),
                format!("{}, de la mano de {p}.", cap(b)),
            ],
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
    pub(super) fn closers(&self) -> Vec<String> {
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
    pub(super) fn follow_up(&self, before: &str, rng: &mut Rng, i: u32) -> String {
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
    pub(super) fn audience_after(&self, before: &str, rng: &mut Rng, i: u32) -> String {
        match &self.b.audience {
            Some(a) if before.contains(a.as_str()) => String::new(),
            _ => rotate(&self.audience_lines(), rng, i).unwrap_or_default(),
        }
    }

    /// The facts `said` does not mention yet, as list items.
    pub(super) fn unsaid(&self, said: &str) -> Vec<String> {
        let b = self.b;
        let mut v = Vec::new();
        if let Some(x) = &b.benefit
            && !said.contains(x.as_str())
        {
            v.push(cap(x));
        }
        if let Some(o) = self.offer()
            && !said.contains(o)
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

    pub(super) fn audience_lines(&self) -> Vec<String> {
        match &self.b.audience {
            Some(a) if self.en => vec![
                format!("Made for {a}."),
                format!("Designed with {a} in mind."),
            ],
            Some(a) => vec![format!("Pensado para {a}."), format!("Hecho para {a}.")],
            None => vec![],
        }
    }

    pub(super) fn offer_lines(&self) -> Vec<String> {
        match self.offer() {
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

    /// The call to action for a button (25 characters): the brief's when
    /// it fits, else the objective's standard one.
    pub(super) fn button(&self) -> String {
        let cta = cap(self.cta());
        if super::super::channels::graphemes(&cta).len() <= 25 {
            cta
        } else {
            super::super::brief::default_cta(self.b.objective, self.b.language).to_owned()
        }
    }

    pub(super) fn cta(&self) -> &str {
        &self.b.call_to_action
    }

    pub(super) fn cta_line(&self, with_url: bool) -> String {
        let cta = cap(self.cta());
        match (&self.b.url, with_url) {
            (Some(u), true) => format!("{cta}: {u}"),
            _ if cta.ends_with('?') => cta,
            _ => format!("{}.", cta.trim_end_matches(['.', '!'])),
        }
    }

    pub(super) fn hashtags(&self, n: usize) -> Vec<String> {
        let mut tags: Vec<String> = self.keywords().iter().filter_map(|k| hashtag(k)).collect();
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

    pub(super) fn emoji(&self, rng: &mut Rng) -> Option<&'static str> {
        let pool: &[&str] = match self.b.tone {
            Tone::Professional => return None,
            Tone::Playful => &["✨", "🎉", "🙌", "😍", "🚀"],
            Tone::Bold => &["🔥", "⚡", "💥"],
            Tone::Friendly => &["👉", "✨", "🙌"],
        };
        Some(pool[rng.below(pool.len())])
    }
}
