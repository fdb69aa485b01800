//! The LLM engines: copy from a model — an OpenAI-compatible chat endpoint
//! (one forced function call) or the MCP client's own model (sampling, JSON
//! text) — validated against the channel table with one repair round-trip;
//! and images from an OpenAI-compatible images endpoint. Both endpoints are
//! called through [`crate::http`]: timeouts, a size cap, no URL or key in
//! any error or log line.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use base64::Engine as _;
use promptsales_shared::AppError;
use promptsales_shared::config::LlmConfig;
use promptsales_shared::domain::Vocabulary;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::brand::BrandGuidelines;
use crate::domain::brief::Brief;
use crate::domain::copy::Fields;
use crate::domain::defects::defects;
use crate::domain::offline::cleaned;
use crate::domain::{Language, Placement};
use crate::http::{self, Failure, Limits};

/// Limits of one chat completion: the connect and total timeouts of every
/// LLM client (`promptsales_server::llm`), and an answer of at most 4 MiB
/// (200 variants of the longest format fit with room to spare).
pub const CHAT_LIMITS: Limits = Limits {
    connect: Duration::from_secs(5),
    total: promptsales_server::llm::REQUEST_TIMEOUT,
    max_bytes: 4 * 1024 * 1024,
};

/// What the chat endpoint is called in errors and logs (never its URL).
const CHAT: &str = "the LLM endpoint";
/// What the image endpoint is called in errors and logs (never its URL).
const IMAGES: &str = "the image endpoint";

/// Tokens spent.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// One variant as the model returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVariant {
    pub channel: String,
    pub variant: u32,
    pub fields: Vec<ModelField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelField {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
struct ModelOutput {
    variants: Vec<ModelVariant>,
}

/// What the model wrote, after at most one repair.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LlmCopy {
    /// (channel, variant index, fields), as returned (not yet trimmed).
    pub variants: Vec<(Placement, u32, Fields)>,
    /// Whether a repair round-trip was needed.
    pub repaired: bool,
    /// Problems left after the repair (the caller trims or refuses).
    pub remaining: Vec<String>,
    pub usage: Usage,
}

/// JSON Schema of the `write_copy` output.
pub fn schema() -> Value {
    let names: Vec<&str> = Placement::ALL.iter().map(|p| p.as_str()).collect();
    json!({
        "type": "object",
        "properties": {
            "variants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "channel": {"type": "string", "enum": names},
                        "variant": {"type": "integer", "minimum": 0},
                        "fields": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "text": {"type": "string"}
                                },
                                "required": ["name", "text"]
                            }
                        }
                    },
                    "required": ["channel", "variant", "fields"]
                }
            }
        },
        "required": ["variants"]
    })
}

fn system_prompt(brief: &Brief, brand: Option<&BrandGuidelines>) -> String {
    let mut formats = String::new();
    for p in &brief.channels {
        let spec = p.spec();
        formats.push_str(&format!("- {}: ", p.as_str()));
        let fs: Vec<String> = spec
            .fields
            .iter()
            .map(|f| {
                format!(
                    "{} ({}-{} values, max {} {}{}{})",
                    f.name,
                    f.min_count,
                    f.max_count,
                    f.max,
                    f.unit.as_str(),
                    if f.emoji { "" } else { ", no emoji" },
                    if f.exclamation { "" } else { ", no '!'" }
                )
            })
            .collect();
        formats.push_str(&fs.join("; "));
        formats.push_str(&format!(". {}\n", spec.notes));
    }
    let language = match brief.language {
        Language::En => "natural, idiomatic English".to_owned(),
        Language::Es => "natural, idiomatic Spanish (neutral Latin American), with correct accents and opening ¡ and ¿".to_owned(),
    };
    let brand = brand
        .map(|g| {
            format!(
                "Brand voice: {}. Never use: {}. Long-form pieces (email body, web body, LinkedIn post, WhatsApp body) must include: {}. Preferred terms: {}.",
                if g.voice.is_empty() { "not specified" } else { &g.voice },
                g.banned_words.join(", "),
                g.disclaimers(Some(brief.language))
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                g.preferred_terms
                    .iter()
                    .map(|t| format!("\"{}\" instead of \"{}\"", t.prefer, t.avoid))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default();
    format!(
        "You are a senior performance copywriter. Write {n} variant(s) per channel in {language}, \
         tone {tone}, by calling write_copy exactly once. State only the facts in the brief: no \
         invented prices, dates, statistics or urgency. Variants must differ in angle. Every field \
         must respect its limit exactly; counts are per unit (graphemes = visible characters; \
         google_width counts wide characters and emoji as 2; sms counts GSM-7 septets, or UTF-16 \
         units with a limit of 70 if any character is outside GSM-7). Formats:\n{formats}{brand}",
        n = brief.variants,
        tone = brief.tone.as_str(),
    )
}

fn user_prompt(brief: &Brief) -> String {
    json!({
        "product": brief.product,
        "benefit": brief.benefit,
        "offer": brief.offer,
        "audience": brief.audience,
        "objective": brief.objective.as_str(),
        "call_to_action": brief.call_to_action,
        "keywords": brief.keywords,
        "url": brief.url,
        "channels": brief.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "variants_per_channel": brief.variants,
    })
    .to_string()
}

/// One turn of a conversation with a copy model.
#[derive(Debug, Clone)]
pub struct Turn {
    pub assistant: bool,
    pub text: String,
}

/// What a model call returns: its raw `write_copy` JSON and the tokens spent.
pub type ModelFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(String, Usage), AppError>> + Send + 'a>>;

/// A model that writes copy.
pub trait CopyModel: Send + Sync {
    /// Identifies the model in cache keys.
    fn id(&self) -> String;
    /// The engine name reported to callers: `llm` or `sampling`.
    fn engine(&self) -> &'static str;
    /// Asks for the `write_copy` JSON.
    fn ask<'a>(&'a self, system: &'a str, turns: &'a [Turn]) -> ModelFuture<'a>;
}

/// The configured OpenAI-compatible endpoint.
#[derive(Clone)]
pub struct ChatEndpoint(pub LlmConfig);

/// No key, credentials or query string through `{:?}`.
impl std::fmt::Debug for ChatEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEndpoint")
            .field("base_url", &http::redacted_url(&self.0.base_url))
            .field("api_key", &"<redacted>")
            .field("model", &self.0.model)
            .finish()
    }
}

impl CopyModel for ChatEndpoint {
    fn id(&self) -> String {
        format!("{}|{}", self.0.base_url, self.0.model)
    }

    fn engine(&self) -> &'static str {
        "llm"
    }

    fn ask<'a>(&'a self, system: &'a str, turns: &'a [Turn]) -> ModelFuture<'a> {
        Box::pin(async move {
            let mut messages = vec![json!({"role": "system", "content": system})];
            messages.extend(turns.iter().map(|t| {
                json!({"role": if t.assistant { "assistant" } else { "user" }, "content": t.text})
            }));
            let mut usage = Usage::default();
            let raw = call(&self.0, messages, &mut usage).await?;
            Ok((raw, usage))
        })
    }
}

async fn call(
    cfg: &LlmConfig,
    messages: Vec<Value>,
    usage: &mut Usage,
) -> Result<String, AppError> {
    let request = json!({
        "model": cfg.model,
        "temperature": 0.7,
        "messages": messages,
        "tools": [{
            "type": "function",
            "function": {
                "name": "write_copy",
                "description": "Return the copy variants, one object per channel and variant.",
                "parameters": schema()
            }
        }],
        "tool_choice": {"type": "function", "function": {"name": "write_copy"}}
    });
    let client = http::client(&CHAT_LIMITS, CHAT)?;
    let url = format!("{}/chat/completions", cfg.base_url.trim_end_matches('/'));
    let body = http::post_json(&client, CHAT, &CHAT_LIMITS, &url, &cfg.api_key, &request)
        .await
        .map_err(|f| f.into_error(CHAT, &CHAT_LIMITS))?;
    let response: Value = serde_json::from_slice(&body).map_err(|e| {
        tracing::warn!(endpoint = CHAT, error = %e, "the chat answer is not JSON");
        AppError::Unavailable(format!(
            "{CHAT} answered something other than JSON; retry later"
        ))
    })?;
    read_completion(&response, usage)
}

/// The `write_copy` arguments of a chat completion (or, from servers that
/// answer with content instead of a tool call, the content), and its usage.
fn read_completion(response: &Value, usage: &mut Usage) -> Result<String, AppError> {
    let tokens = |k: &str| {
        response["usage"][k]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    usage.prompt_tokens += tokens("prompt_tokens");
    usage.completion_tokens += tokens("completion_tokens");
    let choices = response["choices"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    choices
        .iter()
        .filter_map(|c| c["message"]["tool_calls"].as_array())
        .flatten()
        .filter(|t| t["function"]["name"] == "write_copy")
        .find_map(|t| match &t["function"]["arguments"] {
            Value::String(s) => Some(s.clone()),
            // Some servers (Ollama) send the arguments as an object.
            Value::Object(o) => Some(Value::Object(o.clone()).to_string()),
            _ => None,
        })
        .or_else(|| {
            choices
                .first()
                .and_then(|c| c["message"]["content"].as_str())
                .map(str::to_owned)
        })
        .ok_or_else(|| AppError::NotUnderstood("the model returned no copy".into()))
}

/// Parses the model's arguments into variants of the brief's channels.
pub fn parse_output(raw: &str) -> Result<Vec<(Placement, u32, Fields)>, AppError> {
    // Text answers may wrap the JSON in a Markdown code fence.
    let raw = raw.trim();
    let raw = raw
        .strip_prefix("```json")
        .or_else(|| raw.strip_prefix("```"))
        .map(|r| r.trim_end().trim_end_matches("```"))
        .unwrap_or(raw);
    let out: ModelOutput = serde_json::from_str(raw).map_err(|e| {
        AppError::NotUnderstood(format!(
            "the model's output is not the write_copy JSON ({e})"
        ))
    })?;
    out.variants
        .into_iter()
        .map(|v| {
            let p = Placement::parse(&v.channel)?;
            Ok((
                p,
                v.variant,
                v.fields.into_iter().map(|f| (f.name, f.text)).collect(),
            ))
        })
        .collect()
}

/// Every problem of `variants` against the brief: missing variants, limit
/// violations and defects (`domain::defects`), one line each.
pub fn problems(brief: &Brief, variants: &[(Placement, u32, Fields)]) -> Vec<String> {
    let mut out = Vec::new();
    for p in &brief.channels {
        for i in 0..brief.variants {
            match variants.iter().find(|(c, n, _)| c == p && *n == i) {
                None => out.push(format!("{p} variant {i} is missing")),
                // Limits and the defect checker's findings, named, so the
                // repair round fixes them rather than guessing.
                Some((_, _, fields)) => out.extend(
                    defects(&cleaned(*p, fields.clone()), brief, *p)
                        .into_iter()
                        .map(|d| format!("{p} variant {i}: {d}")),
                ),
            }
        }
    }
    out
}

/// Asks the model for the brief's copy; sends violations back once.
/// Malformed output is an error (the caller falls back to the offline engine).
pub async fn write_copy(
    model: &dyn CopyModel,
    brief: &Brief,
    brand: Option<&BrandGuidelines>,
) -> Result<LlmCopy, AppError> {
    let system = system_prompt(brief, brand);
    let mut turns = vec![Turn {
        assistant: false,
        text: user_prompt(brief),
    }];
    let (raw, mut usage) = model.ask(&system, &turns).await?;
    let first = parse_output(&raw)?;
    let issues = problems(brief, &first);
    if issues.is_empty() {
        return Ok(LlmCopy {
            variants: first,
            repaired: false,
            remaining: Vec::new(),
            usage,
        });
    }
    turns.push(Turn {
        assistant: true,
        text: raw,
    });
    turns.push(Turn {
        assistant: false,
        text: format!(
            "Fix these problems and call write_copy again with every variant (keep what was fine):\n- {}",
            issues.join("\n- ")
        ),
    });
    let repaired = match model.ask(&system, &turns).await {
        Ok((raw, u)) => {
            usage.prompt_tokens += u.prompt_tokens;
            usage.completion_tokens += u.completion_tokens;
            // A broken repair keeps the first answer; the caller trims it.
            parse_output(&raw).unwrap_or(first)
        }
        Err(_) => first,
    };
    let remaining = problems(brief, &repaired);
    Ok(LlmCopy {
        variants: repaired,
        repaired: true,
        remaining,
        usage,
    })
}

/// An OpenAI-compatible images endpoint and the limits of a call to it.
#[derive(Clone)]
pub struct ImageConfig {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// Timeouts and the largest image accepted (`max_bytes`, decoded).
    pub limits: Limits,
}

/// The key never reaches a log line through `{:?}`, nor credentials or a
/// query string in the URL.
impl std::fmt::Debug for ImageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageConfig")
            .field("base_url", &http::redacted_url(&self.base_url))
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("limits", &self.limits)
            .finish()
    }
}

/// A refused answer of the image endpoint: what was wrong, for the caller;
/// the detail (never the URL or body text) for the log.
fn image_refused(what: &str, detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(endpoint = IMAGES, %detail, "image refused: {what}");
    AppError::Unavailable(format!("{IMAGES} {what}; nothing was stored"))
}

/// Generates one image for `prompt`; returns its bytes (checked to be a
/// PNG, JPEG or WebP of at most `limits.max_bytes`) and the kind. The JSON
/// answer may carry the image in base64 (a third larger), so it is capped
/// at that size; a download link is read under the image cap itself. The
/// whole call, download included, has `limits.total`.
pub async fn generate_image(
    cfg: &ImageConfig,
    prompt: &str,
    size: &str,
) -> Result<(Vec<u8>, &'static str), AppError> {
    let limits = cfg.limits;
    let deadline = tokio::time::Instant::now() + limits.total;
    let timed_out = || {
        AppError::Unavailable(format!(
            "{IMAGES} did not answer within {} s; nothing was stored, retry later",
            http::whole_seconds(limits.total)
        ))
    };
    // The cap a person configured is the one an error names, whatever
    // part of the answer passed it.
    let failed = |f: Failure| match f {
        Failure::TooLarge => AppError::Unavailable(format!(
            "{IMAGES} answered with more than {} (the image limit); nothing was stored",
            http::human_bytes(limits.max_bytes)
        )),
        Failure::TimedOut => timed_out(),
        other => other.into_error(IMAGES, &limits),
    };
    let work = async {
        let client = http::client(&limits, IMAGES)?;
        let url = format!("{}/images/generations", cfg.base_url.trim_end_matches('/'));
        let json_limits = Limits {
            max_bytes: limits.max_bytes / 3 * 4 + 64 * 1024,
            ..limits
        };
        let request = json!({"model": cfg.model, "prompt": prompt, "size": size, "n": 1});
        let body = http::post_json(&client, IMAGES, &json_limits, &url, &cfg.api_key, &request)
            .await
            .map_err(failed)?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|e| image_refused("answered something other than JSON", e))?;
        let item = &body["data"][0];
        let bytes = if let Some(b64) = item["b64_json"].as_str() {
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| image_refused("returned bad base64", e))?
        } else if let Some(link) = item["url"].as_str() {
            // What is left of the deadline, for the download.
            let left = Limits {
                total: deadline.saturating_duration_since(tokio::time::Instant::now()),
                ..limits
            };
            http::get(&client, IMAGES, &left, link)
                .await
                .map_err(failed)?
        } else {
            return Err(image_refused(
                "returned neither b64_json nor url",
                "no image",
            ));
        };
        if bytes.len() > limits.max_bytes {
            tracing::warn!(
                endpoint = IMAGES,
                bytes = bytes.len(),
                "image over the size cap"
            );
            return Err(failed(Failure::TooLarge));
        }
        let kind = crate::domain::visual::image_kind(&bytes).ok_or_else(|| {
            image_refused(
                &format!(
                    "returned {} bytes that are not a PNG, JPEG or WebP image",
                    bytes.len()
                ),
                "unknown signature",
            )
        })?;
        Ok((bytes, kind))
    };
    tokio::time::timeout_at(deadline, work)
        .await
        .unwrap_or_else(|_| {
            tracing::warn!(endpoint = IMAGES, "image generation timed out");
            Err(timed_out())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_give_the_write_copy_arguments_and_usage() {
        let mut usage = Usage::default();
        let as_text = json!({
            "choices": [{"message": {"tool_calls": [
                {"function": {"name": "other", "arguments": "{}"}},
                {"function": {"name": "write_copy", "arguments": "{\"variants\": []}"}}
            ]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}
        });
        assert_eq!(
            read_completion(&as_text, &mut usage).unwrap(),
            "{\"variants\": []}"
        );
        // Arguments as an object (Ollama), or content instead of a tool call.
        let as_object = json!({"choices": [{"message": {"tool_calls": [
            {"function": {"name": "write_copy", "arguments": {"variants": []}}}
        ]}}]});
        assert_eq!(
            read_completion(&as_object, &mut usage).unwrap(),
            "{\"variants\":[]}"
        );
        let content = json!({"choices": [{"message": {"content": "{\"variants\": []}"}}]});
        assert!(read_completion(&content, &mut usage).is_ok());
        assert_eq!(
            usage,
            Usage {
                prompt_tokens: 10,
                completion_tokens: 5
            }
        );
        let e = read_completion(&json!({"choices": []}), &mut usage).unwrap_err();
        assert_eq!(e.kind(), "not_understood");
    }

    /// The repair round names the defects, not only the limits.
    #[test]
    fn problems_name_the_defects_of_each_variant() {
        let brief = crate::domain::brief::BriefInput {
            client_id: "cli_022".into(),
            product: "Hotel Boutique Cartagena".into(),
            offer: Some("¡2 noches al precio de 1 hasta el 15 de diciembre!".into()),
            channels: vec![Placement::Sms],
            language: Language::Es,
            variants: Some(1),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let bad = vec![(
            Placement::Sms,
            0,
            vec![(
                "text".to_owned(),
                "Hotel Boutique Cartagena: ¡¡2 noches al precio Compra ahora".to_owned(),
            )],
        )];
        let p = problems(&brief, &bad).join("\n");
        assert!(p.contains("sms variant 0: `text` doubles"), "{p}");
        assert!(p.contains("cuts the offer short"), "{p}");
        let good = vec![(
            Placement::Sms,
            0,
            vec![(
                "text".to_owned(),
                "Hotel Boutique Cartagena: ¡2 noches al precio de 1 hasta el 15 de diciembre! Compra ahora. Responde BAJA para salir".to_owned(),
            )],
        )];
        assert!(
            problems(&brief, &good).is_empty(),
            "{:?}",
            problems(&brief, &good)
        );
    }

    #[tokio::test]
    async fn a_failing_chat_endpoint_leaves_no_key_or_url_in_the_error() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let cfg = LlmConfig {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            api_key: "sk-never-shown".into(),
            model: "m".into(),
        };
        let e = call(&cfg, Vec::new(), &mut Usage::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("the LLM endpoint is unreachable"), "{e}");
        assert!(
            !e.contains("sk-never-shown") && !e.contains(&port.to_string()),
            "{e}"
        );
    }
}
