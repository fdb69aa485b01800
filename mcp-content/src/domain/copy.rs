//! Copy variants as field lists: measuring, validating and trimming them against the channel table.

use serde::{Deserialize, Serialize};

use super::Language;
use super::channels::{
    FieldSpec, Placement, SmsEncoding, Unit, fits, measure, sms_length, strip_emoji, trim_to_fit,
};

/// Why fields break a channel's format: shared with `content-read`'s fit check.
pub use content_read::domain::copy::violations;

/// One field of a variant, measured against its limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CopyField {
    pub name: String,
    pub text: String,
    /// Length in `unit`s.
    pub length: usize,
    /// The limit that applies (70 for a UCS-2 SMS).
    pub max: usize,
    pub unit: Unit,
    /// SMS only: gsm7 or ucs2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<SmsEncoding>,
}

/// A variant's fields, unmeasured: (field name, text).
pub type Fields = Vec<(String, String)>;

/// Makes `fields` obey the format by cutting, never by padding: unknown
/// fields and extra values are dropped, forbidden emoji and '!' removed,
/// over-long values trimmed at a word boundary. Returns what was changed.
pub fn enforce(channel: Placement, fields: Fields) -> (Fields, Vec<String>) {
    let spec = channel.spec();
    let mut notes = Vec::new();
    let mut out: Fields = Vec::new();
    for (name, text) in fields {
        let Some(f) = spec.field(&name) else {
            notes.push(format!("dropped unknown field `{name}`"));
            continue;
        };
        if out.iter().filter(|(n, _)| *n == name).count() >= f.max_count {
            notes.push(format!("dropped an extra `{name}`"));
            continue;
        }
        let cleaned = clean_for(&text, f);
        if cleaned.is_empty() {
            notes.push(format!("dropped an empty `{name}`"));
            continue;
        }
        let trimmed = trim_to_fit(&cleaned, f);
        if trimmed != text {
            notes.push(format!(
                "trimmed `{name}` to fit {} {}",
                f.max,
                f.unit.as_str()
            ));
        }
        out.push((name, trimmed));
    }
    (out, notes)
}

/// `text` with what the field forbids removed and spaces tidied.
pub fn clean_for(text: &str, f: &FieldSpec) -> String {
    let mut t = if f.emoji {
        text.trim().to_owned()
    } else {
        // An emoji gone leaves no space before the punctuation after it.
        let mut t = strip_emoji(text);
        for p in [" :", " ,", " .", " ;", " !", " ?"] {
            t = t.replace(p, &p[1..]);
        }
        t
    };
    if !f.exclamation {
        t = t.replace(['!', '¡'], "");
        t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    t
}

/// Measures every field.
pub fn measured(channel: Placement, fields: &[(String, String)]) -> Vec<CopyField> {
    let spec = channel.spec();
    fields
        .iter()
        .filter_map(|(name, text)| {
            let f = spec.field(name)?;
            let (length, max) = measure(text, f.unit, f.max);
            Some(CopyField {
                name: name.clone(),
                text: text.clone(),
                length,
                max,
                unit: f.unit,
                encoding: (f.unit == Unit::Sms).then(|| sms_length(text).2),
            })
        })
        .collect()
}

/// Whether every field of `fields` fits (used by property tests and the LLM path).
pub fn all_fit(channel: Placement, fields: &[(String, String)]) -> bool {
    let spec = channel.spec();
    fields
        .iter()
        .all(|(n, t)| spec.field(n).is_some_and(|f| fits(t, f)))
}

fn label(name: &str, language: Language) -> &'static str {
    match (name, language) {
        ("headline", Language::En) => "Headline",
        ("headline", Language::Es) => "Título",
        ("description", Language::En) => "Description",
        ("description", Language::Es) => "Descripción",
        ("path", _) => "Path",
        ("primary_text", Language::En) => "Primary text",
        ("primary_text", Language::Es) => "Texto principal",
        ("subject", Language::En) => "Subject",
        ("subject", Language::Es) => "Asunto",
        ("preheader", _) => "Preheader",
        ("header", Language::En) => "Header",
        ("header", Language::Es) => "Encabezado",
        ("footer", Language::En) => "Footer",
        ("footer", Language::Es) => "Pie",
        ("button", Language::En) => "Button",
        ("button", Language::Es) => "Botón",
        ("subheadline", Language::En) => "Subheadline",
        ("subheadline", Language::Es) => "Subtítulo",
        ("cta", _) => "CTA",
        _ => "",
    }
}

/// The title and body an asset stores for a variant: the main field as the
/// body for single-text formats, otherwise one labelled line per short
/// field and the long text after a blank line.
pub fn render(
    channel: Placement,
    fields: &[(String, String)],
    language: Language,
) -> (Option<String>, String) {
    let get = |n: &str| {
        fields
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, t)| t.clone())
    };
    match channel {
        Placement::Tiktok => (None, get("caption").unwrap_or_default()),
        Placement::X => (None, get("post").unwrap_or_default()),
        Placement::Sms => (None, get("text").unwrap_or_default()),
        Placement::Linkedin => (get("hook"), get("post").unwrap_or_default()),
        Placement::Email => {
            let body = format!(
                "{}: {}\nPreheader: {}\n\n{}",
                label("subject", language),
                get("subject").unwrap_or_default(),
                get("preheader").unwrap_or_default(),
                get("body").unwrap_or_default()
            );
            (get("subject"), body)
        }
        _ => {
            let long = match channel {
                Placement::Meta | Placement::Instagram => Some("primary_text"),
                Placement::Whatsapp | Placement::Web => Some("body"),
                _ => None,
            };
            let mut lines = Vec::new();
            let mut counts = std::collections::HashMap::new();
            for (name, text) in fields {
                if Some(name.as_str()) == long {
                    continue;
                }
                let n = counts.entry(name.as_str()).or_insert(0);
                *n += 1;
                let repeated = channel.spec().field(name).is_some_and(|f| f.max_count > 1);
                if repeated {
                    lines.push(format!("{} {}: {text}", label(name, language), n));
                } else {
                    lines.push(format!("{}: {text}", label(name, language)));
                }
            }
            let mut body = lines.join("\n");
            if let Some(l) = long.and_then(get) {
                body = format!("{l}\n\n{body}");
            }
            let title = get("headline").or_else(|| get("header"));
            (title, body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: &str, t: &str) -> (String, String) {
        (n.into(), t.into())
    }

    #[test]
    fn enforce_cuts_to_the_format() {
        let (fields, notes) = enforce(
            Placement::Sms,
            vec![
                f("text", &"¡Oferta única para ti! ".repeat(6)),
                f("text", "again"),
                f("nope", "x"),
            ],
        );
        assert_eq!(fields.len(), 1);
        assert!(all_fit(Placement::Sms, &fields));
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn render_labels_short_fields() {
        let (title, body) = render(
            Placement::Meta,
            &[
                f("primary_text", "Long text."),
                f("headline", "Head"),
                f("description", "Desc"),
            ],
            Language::Es,
        );
        assert_eq!(title.as_deref(), Some("Head"));
        assert_eq!(body, "Long text.\n\nTítulo: Head\nDescripción: Desc");
    }
}
