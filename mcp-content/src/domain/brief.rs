//! A content brief: the facts copy is written from, parsed and bounded at the boundary.

use promptsales_shared::domain::{ClientId, Vocabulary, validate_id};
use promptsales_shared::{AppError, vocabulary};
use serde::{Deserialize, Serialize};

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
        let product = text("product", Some(&self.product), MAX_PRODUCT)?.ok_or_else(|| {
            AppError::invalid("product", "the product or service name", &self.product)
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
        let call_to_action = text("call_to_action", self.call_to_action.as_deref(), MAX_CTA)?
            .unwrap_or_else(|| default_cta(objective, language).to_owned());
        let mut brief = Brief {
            client_id,
            campaign_id,
            product,
            benefit: text("benefit", self.benefit.as_deref(), MAX_FACT)?
                .map(|b| b.trim_end_matches(['.', '!']).to_owned()),
            offer: text("offer", self.offer.as_deref(), MAX_FACT)?
                .map(|b| b.trim_end_matches(['.', '!']).to_owned()),
            audience: text("audience", self.audience.as_deref(), MAX_FACT)?,
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

impl Brief {
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
