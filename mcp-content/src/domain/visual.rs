//! Art direction for images and video: format and aspect ratio per channel, scene, overlay copy within limits, alt text.

use promptsales_shared::AppError;
use serde::{Deserialize, Serialize};

use super::Language;
use super::brief::{MAX_FACT, MAX_PRODUCT, Tone, verb_phrase};
use super::channels::{FieldSpec, Placement, Unit, strip_emoji, trim_to_fit};
use super::offline::cap;

/// Longest alt text (screen readers and Meta's field both stop around 125).
pub const ALT_MAX: usize = 125;

/// A channel's visual format.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct VisualSpec {
    pub channel: Placement,
    /// image or video.
    pub medium: &'static str,
    pub aspect_ratio: &'static str,
    pub width: u32,
    pub height: u32,
    /// Longest text overlay, in characters (keep text light: platforms
    /// penalise text-heavy creative).
    pub overlay_max: usize,
    /// Where to keep text and logos clear of the platform's UI.
    pub safe_zone: &'static str,
    /// Size requested from an image endpoint (OpenAI sizes).
    pub generation_size: &'static str,
}

/// Visual formats; SMS carries no media and has none.
pub const VISUALS: &[VisualSpec] = &[
    VisualSpec {
        channel: Placement::GoogleAds,
        medium: "image",
        aspect_ratio: "1.91:1",
        width: 1200,
        height: 628,
        overlay_max: 0,
        safe_zone: "No text in the image: Google adds the headlines; keep the product centred so square crops work.",
        generation_size: "1536x1024",
    },
    VisualSpec {
        channel: Placement::Meta,
        medium: "image",
        aspect_ratio: "4:5",
        width: 1080,
        height: 1350,
        overlay_max: 40,
        safe_zone: "Keep text and logo within the central 80%; text light (Meta favours little text).",
        generation_size: "1024x1536",
    },
    VisualSpec {
        channel: Placement::Instagram,
        medium: "image",
        aspect_ratio: "4:5",
        width: 1080,
        height: 1350,
        overlay_max: 40,
        safe_zone: "Keep the top and bottom 250 px clear if reused as a 9:16 story.",
        generation_size: "1024x1536",
    },
    VisualSpec {
        channel: Placement::Tiktok,
        medium: "video",
        aspect_ratio: "9:16",
        width: 1080,
        height: 1920,
        overlay_max: 40,
        safe_zone: "Keep text out of the bottom 20% and right 15% (caption and buttons); 9-15 s, hook in the first 2 s, sound on.",
        generation_size: "1024x1536",
    },
    VisualSpec {
        channel: Placement::Linkedin,
        medium: "image",
        aspect_ratio: "1.91:1",
        width: 1200,
        height: 627,
        overlay_max: 60,
        safe_zone: "Leave a clean margin of 60 px; professional, uncluttered.",
        generation_size: "1536x1024",
    },
    VisualSpec {
        channel: Placement::X,
        medium: "image",
        aspect_ratio: "16:9",
        width: 1600,
        height: 900,
        overlay_max: 40,
        safe_zone: "Keep the subject centred: the timeline crops the edges.",
        generation_size: "1536x1024",
    },
    VisualSpec {
        channel: Placement::Email,
        medium: "image",
        aspect_ratio: "2:1",
        width: 1200,
        height: 600,
        overlay_max: 50,
        safe_zone: "Shown at 600 px wide; the email must read with images off, so repeat the overlay in the copy.",
        generation_size: "1536x1024",
    },
    VisualSpec {
        channel: Placement::Whatsapp,
        medium: "image",
        aspect_ratio: "1.91:1",
        width: 800,
        height: 418,
        overlay_max: 40,
        safe_zone: "Template header image: small on phones, so one subject and large text only.",
        generation_size: "1536x1024",
    },
    VisualSpec {
        channel: Placement::Web,
        medium: "image",
        aspect_ratio: "16:9",
        width: 1920,
        height: 1080,
        overlay_max: 70,
        safe_zone: "Keep the left 40% calm for the headline on desktop; the subject must survive a 4:5 mobile crop.",
        generation_size: "1536x1024",
    },
];

/// What a caller asks art direction for.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisualBriefInput {
    /// Client the creative is for, e.g. `cli_001`.
    pub client_id: String,
    /// Campaign, if any.
    pub campaign_id: Option<String>,
    /// Product or service shown.
    pub product: String,
    /// The main benefit to show, e.g. `a smoother cup in the morning`.
    pub benefit: Option<String>,
    /// The offer for the overlay, e.g. `20% off`.
    pub offer: Option<String>,
    /// Who should see themselves in it, e.g. `home baristas`.
    pub audience: Option<String>,
    /// Channels to direct for, at least one (SMS carries no media).
    pub channels: Vec<Placement>,
    /// The language of the overlay and alt text.
    pub language: Language,
    /// How the creative feels (default friendly).
    pub tone: Option<Tone>,
    /// Visual style notes, e.g. `natural light, earthy colours`.
    pub style: Option<String>,
    /// Generate the images too, when an image endpoint is configured.
    #[serde(default)]
    pub generate_images: bool,
}

/// An empty English request, for building one field by field.
impl Default for VisualBriefInput {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            campaign_id: None,
            product: String::new(),
            benefit: None,
            offer: None,
            audience: None,
            channels: Vec::new(),
            language: Language::En,
            tone: None,
            style: None,
            generate_images: false,
        }
    }
}

/// Art direction for one channel.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisualDirection {
    pub channel: Placement,
    pub medium: String,
    pub aspect_ratio: String,
    pub width: u32,
    pub height: u32,
    pub scene: String,
    pub composition: String,
    pub mood: String,
    /// Text to set on the creative (empty when the channel wants none).
    pub overlay: String,
    pub overlay_max: usize,
    pub safe_zone: String,
    /// Alt text, at most 125 characters.
    pub alt_text: String,
    /// Prompt for an image model (English; no text in the image: overlays
    /// are set in design so they stay sharp and translatable).
    pub image_prompt: String,
    pub generation_size: String,
}

fn bounded(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match v.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")) {
        Some(s) if s.chars().count() > max => Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
            s,
        )),
        Some(s) if s.is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn spec_field(max: usize) -> FieldSpec {
    FieldSpec {
        name: "overlay",
        max,
        unit: Unit::Graphemes,
        min_count: 1,
        max_count: 1,
        emoji: false,
        exclamation: true,
        purpose: "",
    }
}

/// Art direction for every channel of `input` (SMS is refused: it carries no media).
pub fn directions(input: &VisualBriefInput) -> Result<Vec<VisualDirection>, AppError> {
    let product = bounded("product", Some(&input.product), MAX_PRODUCT)?.ok_or_else(|| {
        AppError::invalid("product", "the product or service shown", &input.product)
    })?;
    let language = input.language;
    let tone = input.tone.unwrap_or(Tone::Friendly);
    let benefit = bounded("benefit", input.benefit.as_deref(), MAX_FACT)?;
    let offer = bounded("offer", input.offer.as_deref(), MAX_FACT)?;
    let audience = bounded("audience", input.audience.as_deref(), MAX_FACT)?;
    let style = bounded("style", input.style.as_deref(), MAX_FACT)?;
    if input.channels.is_empty() {
        return Err(AppError::invalid("channels", "at least one channel", "[]"));
    }
    let en = language == Language::En;
    let mut out = Vec::new();
    for &p in &input.channels {
        let Some(v) = VISUALS.iter().find(|v| v.channel == p) else {
            return Err(AppError::invalid(
                "channels",
                "a channel that shows images or video (SMS carries text only)",
                p.as_str(),
            ));
        };
        let who = audience.clone().unwrap_or_else(|| "a customer".into());
        let mood = match tone {
            Tone::Friendly => "warm, approachable, natural light",
            Tone::Professional => "clean, confident, neutral palette, soft daylight",
            Tone::Bold => "high contrast, saturated colour, dynamic angle",
            Tone::Playful => "bright colours, candid moment, a touch of humour",
        };
        let mood = match &style {
            Some(s) => format!("{mood}; {s}"),
            None => mood.to_owned(),
        };
        // The image prompt is English: an English verb phrase completes
        // "the moment they …"; any other benefit (a noun phrase, or the
        // brief's Spanish) is quoted as what the picture shows.
        let moment = benefit.as_ref().map(|b| {
            if en && verb_phrase(b, Language::En) {
                format!("the moment they {b}")
            } else {
                format!("the benefit \"{b}\" plain to see")
            }
        });
        let scene = match (&moment, v.medium) {
            (Some(m), "video") => format!(
                "Vertical video: {who} using {product} in a real setting; the first 2 s show {m}; end on the product and the call to action."
            ),
            (Some(m), _) => format!(
                "{cap_who} with {product} in a real, everyday setting, showing {m}.",
                cap_who = cap(&who)
            ),
            (None, "video") => format!(
                "Vertical video: {who} discovering {product}; close-ups of the product in use; end on the product."
            ),
            (None, _) => format!(
                "{cap_who} with {product} in a real, everyday setting; the product in sharp focus.",
                cap_who = cap(&who)
            ),
        };
        let composition = match v.aspect_ratio {
            "9:16" => "Full-bleed vertical; subject in the upper two thirds; product at eye level.",
            "4:5" | "1:1" => {
                "Subject centred, product in the foreground in sharp focus, soft background."
            }
            _ => "Wide frame: subject on the right third, calm space on the left for copy.",
        };
        let overlay = if v.overlay_max == 0 {
            String::new()
        } else {
            let source = offer
                .clone()
                .or_else(|| benefit.clone().map(|b| cap(&b)))
                .unwrap_or_else(|| product.clone());
            trim_to_fit(&strip_emoji(&cap(&source)), &spec_field(v.overlay_max))
        };
        let alt = if en {
            match &benefit {
                Some(b) if verb_phrase(b, language) => {
                    format!("{} with {product}, to {b}", cap(&who))
                }
                Some(b) => format!("{} with {product}: {b}", cap(&who)),
                None => format!("{} with {product}", cap(&who)),
            }
        } else {
            let quien = audience.clone().unwrap_or_else(|| "una persona".into());
            match &benefit {
                Some(b) if verb_phrase(b, language) => {
                    format!("{} con {product}, para {b}", cap(&quien))
                }
                Some(b) => format!("{} con {product}: {b}", cap(&quien)),
                None => format!("{} con {product}", cap(&quien)),
            }
        };
        let alt_text = trim_to_fit(&strip_emoji(&alt), &spec_field(ALT_MAX));
        let image_prompt = format!(
            "Advertising photograph, {ar} aspect ratio. {scene} Mood: {mood}. {composition} \
             Photorealistic, no text, no logos, no watermarks.",
            ar = v.aspect_ratio
        );
        out.push(VisualDirection {
            channel: p,
            medium: v.medium.into(),
            aspect_ratio: v.aspect_ratio.into(),
            width: v.width,
            height: v.height,
            scene,
            composition: composition.into(),
            mood,
            overlay,
            overlay_max: v.overlay_max,
            safe_zone: v.safe_zone.into(),
            alt_text,
            image_prompt,
            generation_size: v.generation_size.into(),
        });
    }
    Ok(out)
}

/// The image type of `bytes` from its signature (png, jpeg, webp), if any.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> VisualBriefInput {
        VisualBriefInput {
            client_id: "cli_1".into(),
            product: "Café Andino".into(),
            benefit: Some("empezar el día con energía".into()),
            offer: Some("20 % de descuento en tu primer pedido de café de especialidad".into()),
            audience: Some("amantes del café".into()),
            channels: vec![
                Placement::Instagram,
                Placement::Tiktok,
                Placement::GoogleAds,
            ],
            language: Language::Es,
            ..Default::default()
        }
    }

    #[test]
    fn directions_follow_the_channel_formats() {
        let d = directions(&input()).unwrap();
        assert_eq!(d[0].aspect_ratio, "4:5");
        assert_eq!(d[1].medium, "video");
        assert_eq!(d[2].overlay, "");
        assert!(d[0].overlay.chars().count() <= 40, "{}", d[0].overlay);
        assert!(
            d[0].alt_text
                .starts_with("Amantes del café con Café Andino"),
            "{}",
            d[0].alt_text
        );
        assert!(d.iter().all(|x| x.alt_text.chars().count() <= ALT_MAX));
        assert!(d[0].image_prompt.contains("no text"));
    }

    /// Issue 15: "at the moment they café de origen recién tostado".
    #[test]
    fn a_noun_benefit_is_never_put_after_a_verb_frame() {
        let mut i = input();
        i.benefit = Some("café de origen recién tostado".into());
        for d in directions(&i).unwrap() {
            assert!(!d.scene.contains("they café"), "{}", d.scene);
            assert!(
                d.scene.contains("\"café de origen recién tostado\""),
                "{}",
                d.scene
            );
            assert!(!d.alt_text.contains("para café"), "{}", d.alt_text);
        }
        let mut i = input();
        i.language = Language::En;
        i.benefit = Some("start the day with a smoother cup".into());
        let d = directions(&i).unwrap();
        assert!(
            d[0].scene.contains("the moment they start the day"),
            "{}",
            d[0].scene
        );
    }

    #[test]
    fn sms_and_bad_input_are_refused() {
        let mut i = input();
        i.channels = vec![Placement::Sms];
        assert!(
            directions(&i)
                .unwrap_err()
                .to_string()
                .contains("`channels`")
        );
        let mut i = input();
        i.product = " ".into();
        assert!(
            directions(&i)
                .unwrap_err()
                .to_string()
                .contains("`product`")
        );
    }

    #[test]
    fn image_signatures() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(image_kind(b"not an image"), None);
    }
}
