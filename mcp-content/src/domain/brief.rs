//! A content brief: the facts copy is written from, parsed and bounded at the boundary.

use promptsales_shared::domain::{ClientId, Vocabulary, validate_id};
use promptsales_shared::{AppError, vocabulary};
use serde::{Deserialize, Serialize};

use super::channels::{FieldSpec, Unit, fits, graphemes};
use super::offline::{balance_marks, unwrap_marks};
use super::{Language, Placement};

/// Most variants one brief may ask for per channel.
pub const MAX_VARIANTS: u32 = 20;
/// Longest product name, in characters.
pub const MAX_PRODUCT: usize = 120;
/// Longest benefit, offer or audience, in characters.
pub const MAX_FACT: usize = 160;
/// Longest call to action, in characters.
pub const MAX_CTA: usize = 40;
/// Most keywords, and the longest one.
pub const MAX_KEYWORDS: usize = 10;
pub const MAX_KEYWORD: usize = 60;

vocabulary! {
    /// What the campaign wants people to do.
    pub enum Objective("objective") {
        Awareness => "awareness",
        Traffic => "traffic",
        Engagement => "engagement",
        Leads => "leads",
        Sales => "sales",
    }
}

vocabulary! {
    /// How the copy sounds.
    pub enum Tone("tone") {
        Friendly => "friendly",
        Professional => "professional",
        Bold => "bold",
        Playful => "playful",
    }
}

/// A brief as a caller sends it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BriefInput {
    /// Client the copy is for, e.g. `cli_001`; its brand guidelines apply.
    pub client_id: String,
    /// Campaign the copy is for, if any.
    pub campaign_id: Option<String>,
    /// Product or service name, as it should appear, e.g. `Café Andino Orgánico`.
    pub product: String,
    /// The main benefit as a phrase completing "helps you …" / "te ayuda a …",
    /// e.g. `start the day with a smoother cup` / `empezar el día con un café más suave`.
    pub benefit: Option<String>,
    /// The offer, if any, e.g. `20% off your first order` / `20 % de descuento en tu primer pedido`.
    pub offer: Option<String>,
    /// Who it is for, e.g. `home baristas` / `amantes del café de especialidad`.
    pub audience: Option<String>,
    /// What the campaign wants people to do (default sales).
    pub objective: Option<Objective>,
    /// Channels to write for, at least one.
    pub channels: Vec<Placement>,
    /// The language of the copy.
    pub language: Language,
    /// How the copy sounds (default friendly).
    pub tone: Option<Tone>,
    /// Search keywords to work in, most important first (at most 10).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Call to action, e.g. `Shop now` / `Compra ahora` (default from the objective).
    pub call_to_action: Option<String>,
    /// Landing page URL, used by X, SMS, WhatsApp and email.
    pub url: Option<String>,
    /// Variants per channel, 1-20 (default 3).
    pub variants: Option<u32>,
    /// Seed of the variation (default derived from the brief): the same
    /// brief and seed always give the same copy.
    pub seed: Option<u64>,
}

/// An empty English brief, for building one field by field.
impl Default for BriefInput {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            campaign_id: None,
            product: String::new(),
            benefit: None,
            offer: None,
            audience: None,
            objective: None,
            channels: Vec::new(),
            language: Language::En,
            tone: None,
            keywords: Vec::new(),
            call_to_action: None,
            url: None,
            variants: None,
            seed: None,
        }
    }
}

/// A validated brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    pub client_id: ClientId,
    pub campaign_id: Option<String>,
    pub product: String,
    pub benefit: Option<String>,
    pub offer: Option<String>,
    pub audience: Option<String>,
    pub objective: Objective,
    pub channels: Vec<Placement>,
    pub language: Language,
    pub tone: Tone,
    pub keywords: Vec<String>,
    pub call_to_action: String,
    pub url: Option<String>,
    pub variants: u32,
    pub seed: u64,
}

fn text(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    let Some(v) = v.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")) else {
        return Ok(None);
    };
    if v.is_empty() {
        return Ok(None);
    }
    let n = v.chars().count();
    if n > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters (got {n})"),
            v,
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(AppError::invalid(
            field,
            "text without control characters",
            v,
        ));
    }
    Ok(Some(v))
}

/// FNV-1a: a stable hash for seeds and cache keys (std's hasher is not
/// stable across processes).
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.as_bytes().iter().chain(std::iter::once(&0xffu8)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The default call to action of an objective.
pub fn default_cta(objective: Objective, language: Language) -> &'static str {
    match (objective, language) {
        (Objective::Sales, Language::En) => "Shop now",
        (Objective::Sales, Language::Es) => "Compra ahora",
        (Objective::Leads, Language::En) => "Get your quote",
        (Objective::Leads, Language::Es) => "Pide tu cotización",
        (Objective::Traffic, Language::En) => "Learn more",
        (Objective::Traffic, Language::Es) => "Descubre más",
        (Objective::Engagement, Language::En) => "Tell us what you think",
        (Objective::Engagement, Language::Es) => "Cuéntanos qué opinas",
        (Objective::Awareness, Language::En) => "See how it works",
        (Objective::Awareness, Language::Es) => "Mira cómo funciona",
    }
}

impl BriefInput {
    /// Parses and bounds every field; errors name the field.
    pub fn parse(&self) -> Result<Brief, AppError> {
        let client_id = ClientId::parse(&self.client_id)?;
        let campaign_id = self
            .campaign_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| validate_id("campaign_id", c))
            .transpose()?;
        // A name copy can say: at least one letter or digit (an emoji
        // alone disappears from every field that forbids emoji).
        let product = text("product", Some(&self.product), MAX_PRODUCT)?
            .filter(|p| p.chars().any(char::is_alphanumeric))
            .ok_or_else(|| {
                AppError::invalid(
                    "product",
                    "the product or service name, with a letter or digit",
                    &self.product,
                )
            })?;
        let language = self.language;
        let objective = self.objective.unwrap_or(Objective::Sales);
        let tone = self.tone.unwrap_or(Tone::Friendly);
        if self.channels.is_empty() {
            return Err(AppError::invalid(
                "channels",
                format!(
                    "at least one of {}",
                    Placement::ALL
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "[]",
            ));
        }
        let mut channels = Vec::new();
        for p in &self.channels {
            if !channels.contains(p) {
                channels.push(*p);
            }
        }
        if self.keywords.len() > MAX_KEYWORDS {
            return Err(AppError::invalid(
                "keywords",
                format!("at most {MAX_KEYWORDS} keywords"),
                self.keywords.len().to_string(),
            ));
        }
        let mut keywords = Vec::new();
        for k in &self.keywords {
            if let Some(k) = text("keywords", Some(k), MAX_KEYWORD)?
                && !keywords.contains(&k)
            {
                keywords.push(k);
            }
        }
        let variants = self.variants.unwrap_or(3);
        if !(1..=MAX_VARIANTS).contains(&variants) {
            return Err(AppError::invalid(
                "variants",
                format!("1 to {MAX_VARIANTS} variants per channel"),
                variants.to_string(),
            ));
        }
        let url = text("url", self.url.as_deref(), 300)?;
        if let Some(u) = &url
            && (!(u.starts_with("https://") || u.starts_with("http://")) || u.contains(' '))
        {
            return Err(AppError::invalid("url", "an http(s) URL", u));
        }
        // Marks that pair nothing in a fact would unbalance every line it
        // goes into: they are dropped here, once (the product name is a
        // name and stays as written).
        let es = language == Language::Es;
        let fact = |field: &str, v: Option<&str>, max: usize| -> Result<Option<String>, AppError> {
            Ok(text(field, v, max)?
                .map(|t| balance_marks(&t, es))
                .filter(|t| t.chars().any(char::is_alphanumeric)))
        };
        keywords = keywords
            .into_iter()
            .map(|k| balance_marks(&k, es))
            .filter(|k| k.chars().any(char::is_alphanumeric))
            .collect();
        keywords.dedup();
        let call_to_action = fact("call_to_action", self.call_to_action.as_deref(), MAX_CTA)?
            .map(|c| {
                c.trim_end_matches(['.', '!'])
                    .trim_start_matches('¡')
                    .to_owned()
            })
            .filter(|c| c.chars().any(char::is_alphanumeric))
            .unwrap_or_else(|| default_cta(objective, language).to_owned());
        let mut brief = Brief {
            client_id,
            campaign_id,
            product,
            benefit: fact("benefit", self.benefit.as_deref(), MAX_FACT)?
                .map(|b| unwrap_marks(&b).trim_end_matches(['.', '!']).to_owned()),
            offer: fact("offer", self.offer.as_deref(), MAX_FACT)?
                .map(|b| unwrap_marks(&b).trim_end_matches(['.', '!']).to_owned()),
            audience: fact("audience", self.audience.as_deref(), MAX_FACT)?
                .map(|a| a.trim_end_matches('.').to_owned()),
            objective,
            channels,
            language,
            tone,
            keywords,
            call_to_action,
            url,
            variants,
            seed: 0,
        };
        brief.seed = self.seed.unwrap_or_else(|| brief.fingerprint());
        Ok(brief)
    }
}

/// Function words a shortened name never ends on.
const CONNECTORS: &[&str] = &[
    "and", "or", "with", "for", "to", "the", "a", "an", "of", "in", "by", "y", "o", "con", "para",
    "de", "del", "el", "la", "los", "las", "un", "una", "en", "por", "&", "+",
];

/// Whether a benefit reads as a verb phrase ("start the day…" / "empezar el
/// día…"), the only kind that completes "helps you …" / "te ayuda a …";
/// anything else ("fresh roasted beans", "café de origen") is a noun phrase
/// and goes into noun frames ("enjoy …", "disfruta de …").
pub fn verb_phrase(benefit: &str, language: Language) -> bool {
    let Some(first) = benefit.split_whitespace().next() else {
        return false;
    };
    let w: String = first
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if w.is_empty() || !w.chars().all(char::is_alphabetic) {
        return false;
    }
    match language {
        // A Spanish verb phrase opens with an infinitive, clitics allowed
        // ("disfrutarlo", "relajarte").
        Language::Es => {
            let base = [
                "nos", "los", "las", "les", "se", "lo", "la", "le", "me", "te",
            ]
            .iter()
            .find_map(|c| w.strip_suffix(c).filter(|b| b.len() > 3))
            .unwrap_or(&w);
            ["ar", "er", "ir", "ír"].iter().any(|e| base.ends_with(e)) && base.chars().count() > 3
        }
        // English base verbs carry no ending: a gerund, a third person, a
        // participle, a plural or a determiner/adjective opens a noun phrase.
        Language::En => {
            const NOUNISH: &[&str] = &[
                "a",
                "an",
                "the",
                "your",
                "our",
                "their",
                "my",
                "his",
                "her",
                "its",
                "this",
                "that",
                "these",
                "those",
                "more",
                "less",
                "fresh",
                "free",
                "better",
                "best",
                "new",
                "great",
                "all",
                "every",
                "no",
                "some",
                "any",
                "each",
                "real",
                "premium",
                "quality",
                "delicious",
                "healthy",
                "fast",
                "easy",
                "smooth",
                "smoother",
                "one",
                "two",
                "three",
            ];
            !(NOUNISH.contains(&w.as_str())
                || w.ends_with("ing")
                || w.ends_with("ed")
                || (w.ends_with('s') && !w.ends_with("ss")))
        }
    }
}

impl Brief {
    /// Whether the benefit completes "helps you …" (see [`verb_phrase`]).
    pub fn verb_benefit(&self) -> bool {
        self.benefit
            .as_deref()
            .is_some_and(|b| verb_phrase(b, self.language))
    }

    /// The product as short placements name it: the whole name when it
    /// fits a Google Ads headline (30), else its part before a separator
    /// ("Hotel Boutique Cartagena — suites" → "Hotel Boutique Cartagena"),
    /// else its leading words that fit, never ending on a connector; a
    /// single word too long for that stays whole.
    pub fn short_name(&self) -> String {
        let spec = FieldSpec {
            name: "name",
            max: 30,
            unit: Unit::GoogleWidth,
            min_count: 1,
            max_count: 1,
            emoji: true,
            exclamation: true,
            purpose: "",
        };
        let p = self.product.as_str();
        if fits(p, &spec) {
            return p.to_owned();
        }
        for sep in [" — ", " – ", " - ", ": ", " | ", ", ", " (", " / "] {
            if let Some((head, _)) = p.split_once(sep)
                && !head.trim().is_empty()
                && fits(head.trim(), &spec)
            {
                return head.trim().to_owned();
            }
        }
        let mut words: Vec<&str> = Vec::new();
        for w in p.split_whitespace() {
            words.push(w);
            if !fits(&words.join(" "), &spec) {
                words.pop();
                break;
            }
        }
        while words.len() > 1
            && words.last().is_some_and(|w| {
                CONNECTORS.contains(&w.to_lowercase().as_str())
                    || !w.chars().any(char::is_alphanumeric)
            })
        {
            words.pop();
        }
        let short = words.join(" ");
        if short.is_empty() || graphemes(&short).len() < 3 {
            p.split_whitespace().next().unwrap_or(p).to_owned()
        } else {
            short
        }
    }

    /// A keyword with the capitals the brief gives its words: the product's
    /// own spelling when the keyword is the product, else each word as the
    /// facts write it when they capitalise it past their first word
    /// ("hotel boutique cartagena" with "Hotel Boutique Cartagena" →
    /// "Hotel Boutique Cartagena"; "café en bogotá" with an audience
    /// "viajeros en Bogotá" → "café en Bogotá").
    pub fn proper_keyword(&self, keyword: &str) -> String {
        let fold = super::seo::fold;
        if fold(keyword) == fold(&self.product) {
            return self.product.clone();
        }
        let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
        // Capitals past a fact's first word mark proper nouns ("viajeros en
        // Bogotá"); a product name is written in title case, so its
        // capitals count only for a run of two or more of its words
        // ("boutique cartagena"), never for one common word ("coffee").
        let mut proper: Vec<String> = Vec::new();
        for fact in [
            self.benefit.as_deref(),
            self.offer.as_deref(),
            self.audience.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            for w in fact.split_whitespace().skip(1).map(bare) {
                if w.chars().next().is_some_and(char::is_uppercase) {
                    proper.push(w);
                }
            }
        }
        let mut words: Vec<String> = keyword.split(' ').map(str::to_owned).collect();
        for w in words.iter_mut() {
            let core = bare(w);
            if let Some(p) = proper
                .iter()
                .find(|p| fold(p) == fold(&core) && !core.is_empty())
            {
                *w = w.replacen(&core, p, 1);
            }
        }
        let product: Vec<String> = self.product.split_whitespace().map(bare).collect();
        let folded: Vec<String> = words.iter().map(|w| fold(&bare(w))).collect();
        for len in (2..=product.len().min(words.len())).rev() {
            for ps in 0..=product.len() - len {
                let run: Vec<String> = product[ps..ps + len].iter().map(|w| fold(w)).collect();
                for ks in 0..=words.len() - len {
                    if folded[ks..ks + len] == run[..] {
                        for j in 0..len {
                            let core = bare(&words[ks + j]);
                            words[ks + j] = words[ks + j].replacen(&core, &product[ps + j], 1);
                        }
                    }
                }
            }
        }
        words.join(" ")
    }

    /// A stable fingerprint of everything that shapes the copy (not the seed).
    pub fn fingerprint(&self) -> u64 {
        let channels: Vec<&str> = self.channels.iter().map(|c| c.as_str()).collect();
        let mut parts = vec![
            self.client_id.as_str(),
            &self.product,
            self.benefit.as_deref().unwrap_or(""),
            self.offer.as_deref().unwrap_or(""),
            self.audience.as_deref().unwrap_or(""),
            self.objective.as_str(),
            self.language.as_str(),
            self.tone.as_str(),
            &self.call_to_action,
            self.url.as_deref().unwrap_or(""),
        ];
        parts.extend(channels);
        parts.extend(self.keywords.iter().map(String::as_str));
        stable_hash(&parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BriefInput {
        BriefInput {
            client_id: "cli_001".into(),
            product: "  Café   Andino ".into(),
            channels: vec![Placement::Sms, Placement::X, Placement::Sms],
            language: Language::Es,
            ..Default::default()
        }
    }

    #[test]
    fn parses_with_defaults() {
        let b = input().parse().unwrap();
        assert_eq!(b.product, "Café Andino");
        assert_eq!(b.channels, [Placement::Sms, Placement::X]);
        assert_eq!(b.variants, 3);
        assert_eq!(b.call_to_action, "Compra ahora");
        assert_eq!(b.tone, Tone::Friendly);
        assert_eq!(b.seed, input().parse().unwrap().seed);
    }

    #[test]
    fn bad_fields_are_named() {
        let err = |f: fn(&mut BriefInput)| {
            let mut i = input();
            f(&mut i);
            i.parse().unwrap_err().to_string()
        };
        assert!(err(|i| i.product = "  ".into()).contains("`product`"));
        assert!(err(|i| i.channels.clear()).contains("`channels`"));
        assert!(err(|i| i.variants = Some(0)).contains("`variants`"));
        assert!(err(|i| i.variants = Some(21)).contains("`variants`"));
        assert!(err(|i| i.product = "x".repeat(121)).contains("`product`"));
        assert!(err(|i| i.url = Some("example.com".into())).contains("`url`"));
        assert!(err(|i| i.keywords = vec!["k".into(); 11]).contains("`keywords`"));
    }

    /// Closed vocabularies are typed: a value outside them never becomes a
    /// brief (the server answers it before the tool runs, naming the field).
    #[test]
    fn vocabularies_are_checked_when_the_brief_is_read() {
        let read = |patch: serde_json::Value| {
            let mut v = serde_json::json!({
                "client_id": "cli_001", "product": "Café", "channels": ["sms"], "language": "es"
            });
            for (k, x) in patch.as_object().unwrap() {
                v[k] = x.clone();
            }
            serde_json::from_value::<BriefInput>(v).map_err(|e| e.to_string())
        };
        let ok = read(serde_json::json!({ "channels": [" SMS ", "x"], "tone": "Bold" })).unwrap();
        assert_eq!(ok.channels, [Placement::Sms, Placement::X]);
        assert_eq!(ok.tone, Some(Tone::Bold));
        assert!(
            read(serde_json::json!({ "channels": ["fax"] }))
                .unwrap_err()
                .contains("fax")
        );
        assert!(
            read(serde_json::json!({ "language": "fr" }))
                .unwrap_err()
                .contains("`language`")
        );
        assert!(
            read(serde_json::json!({ "tone": "sarcastic" }))
                .unwrap_err()
                .contains("`tone`")
        );
        assert!(
            read(serde_json::json!({ "objective": "fame" }))
                .unwrap_err()
                .contains("`objective`")
        );
    }
}
