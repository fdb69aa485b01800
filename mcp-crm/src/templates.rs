//! WhatsApp message templates: the approved templates a WhatsApp Business
//! Account lists (`GET /{waba-id}/message_templates`), the caller's choice
//! (name, language, body parameters) checked against them, and the body a
//! lead actually receives, rendered for the timeline.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use promptsales_shared::AppError;

/// Most body parameters a template may take (Meta allows far fewer in
/// practice; this only bounds what a caller may send).
const MAX_PARAMETERS: usize = 50;
/// Longest body parameter we send (Meta's limit for a text parameter is
/// well under this; the platform answers 132005 beyond its own).
const MAX_PARAMETER_CHARS: usize = 1024;

/// A template the caller chose for a message outside WhatsApp's 24-hour
/// customer-service window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct TemplateChoice {
    /// The approved template's name, e.g. `follow_up_offer`.
    pub name: String,
    /// The template's language code as approved, e.g. `es` or `en_US`.
    pub language: String,
    /// Values of the body's `{{1}}`, `{{2}}`… in order (empty when the
    /// body has none).
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// An approved template as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApprovedTemplate {
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// The BODY component's text with its `{{n}}` placeholders.
    pub body: Option<String>,
    /// How many `{{n}}` placeholders the body has.
    pub body_parameters: usize,
}

impl ApprovedTemplate {
    /// `name (language, N parameters)`, for an error listing choices.
    pub fn label(&self) -> String {
        format!(
            "{} ({}, {} parameter{})",
            self.name,
            self.language,
            self.body_parameters,
            if self.body_parameters == 1 { "" } else { "s" }
        )
    }

    /// The body with the parameters in place: what the lead reads.
    pub fn render(&self, parameters: &[String]) -> Option<String> {
        let mut out = self.body.clone()?;
        for (i, p) in parameters.iter().enumerate() {
            out = out.replace(&format!("{{{{{}}}}}", i + 1), p);
        }
        Some(out)
    }
}

/// The number of distinct `{{n}}` placeholders in a template body.
pub fn placeholders(body: &str) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if let Ok(n) = after[..end].trim().parse::<u32>() {
            seen.insert(n);
        }
        rest = &after[end + 2..];
    }
    seen.len()
}

/// The approved templates in a `message_templates` answer (`data[]`);
/// templates in any other status are left out.
pub fn parse_list(value: &Value) -> Vec<ApprovedTemplate> {
    value["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["status"].as_str() == Some("APPROVED"))
        .filter_map(|t| {
            let body = t["components"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"].as_str() == Some("BODY"))
                .and_then(|c| c["text"].as_str())
                .map(str::to_owned);
            Some(ApprovedTemplate {
                name: t["name"].as_str()?.to_owned(),
                language: t["language"].as_str()?.to_owned(),
                category: t["category"].as_str().unwrap_or("").to_owned(),
                body_parameters: body.as_deref().map_or(0, placeholders),
                body,
            })
        })
        .collect()
}

/// The shape checks of a choice, before any list is read.
pub fn validate(choice: &TemplateChoice) -> Result<(), AppError> {
    let name_ok = !choice.name.is_empty()
        && choice.name.len() <= 512
        && choice
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name_ok {
        return Err(AppError::invalid(
            "template.name",
            "an approved template's name: lowercase letters, digits and underscores",
            choice.name.clone(),
        ));
    }
    let lang_ok = (2..=15).contains(&choice.language.len())
        && choice
            .language
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '_');
    if !lang_ok {
        return Err(AppError::invalid(
            "template.language",
            "the template's language code as approved, e.g. `es`, `en_US` or `pt_BR`",
            choice.language.clone(),
        ));
    }
    if choice.parameters.len() > MAX_PARAMETERS {
        return Err(AppError::invalid(
            "template.parameters",
            format!("at most {MAX_PARAMETERS} body parameters"),
            choice.parameters.len().to_string(),
        ));
    }
    if let Some(p) = choice
        .parameters
        .iter()
        .find(|p| p.trim().is_empty() || p.chars().count() > MAX_PARAMETER_CHARS)
    {
        return Err(AppError::invalid(
            "template.parameters",
            format!("each parameter 1-{MAX_PARAMETER_CHARS} characters, not blank"),
            p.chars().take(40).collect::<String>(),
        ));
    }
    Ok(())
}

/// The approved template `choice` names, with the right number of body
/// parameters; otherwise a clear error listing what is approved.
pub fn pick<'a>(
    approved: &'a [ApprovedTemplate],
    choice: &TemplateChoice,
) -> Result<&'a ApprovedTemplate, AppError> {
    let Some(t) = approved
        .iter()
        .find(|t| t.name == choice.name && t.language == choice.language)
    else {
        return Err(AppError::invalid(
            "template",
            format!(
                "one of the approved templates: {}",
                listing(approved).unwrap_or_else(|| "none is approved yet".into())
            ),
            format!("{} ({})", choice.name, choice.language),
        ));
    };
    if t.body_parameters != choice.parameters.len() {
        return Err(AppError::invalid(
            "template.parameters",
            format!(
                "{} body parameter(s) for template `{}` ({})",
                t.body_parameters, t.name, t.language
            ),
            choice.parameters.len().to_string(),
        ));
    }
    Ok(t)
}

/// The approved templates, one label each, or `None` when there are none.
pub fn listing(approved: &[ApprovedTemplate]) -> Option<String> {
    (!approved.is_empty()).then(|| {
        approved
            .iter()
            .map(ApprovedTemplate::label)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_approved_templates_are_listed_with_their_parameters() {
        let list = parse_list(&json!({"data": [
            {"name": "follow_up", "language": "es", "status": "APPROVED", "category": "MARKETING",
             "components": [{"type": "HEADER", "format": "TEXT", "text": "Hola"},
                            {"type": "BODY", "text": "Hola {{1}}, ¿seguimos con {{2}}? {{1}}"}]},
            {"name": "draft", "language": "es", "status": "PENDING", "components": []},
            {"name": "bare", "language": "en_US", "status": "APPROVED", "components": []}
        ]}));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].body_parameters, 2);
        assert_eq!(
            list[0].render(&["Ana".into(), "el plan".into()]).as_deref(),
            Some("Hola Ana, ¿seguimos con el plan? Ana")
        );
        assert_eq!(list[1].body_parameters, 0);
        let choice = |name: &str, params: &[&str]| TemplateChoice {
            name: name.into(),
            language: "es".into(),
            parameters: params.iter().map(|p| (*p).to_owned()).collect(),
        };
        assert!(pick(&list, &choice("follow_up", &["Ana", "x"])).is_ok());
        let e = pick(&list, &choice("follow_up", &["Ana"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("template.parameters") && e.contains('2'), "{e}");
        let e = pick(&list, &choice("draft", &[])).unwrap_err().to_string();
        assert!(
            e.contains("follow_up (es, 2 parameters)") && e.contains("bare (en_US"),
            "{e}"
        );
        assert!(validate(&choice("Bad Name", &[])).is_err());
        assert!(validate(&choice("ok", &[" "])).is_err());
        assert!(
            validate(&TemplateChoice {
                language: "e".into(),
                ..choice("ok", &[])
            })
            .is_err()
        );
    }
}
