//! The LLM engines: copy from a model — an OpenAI-compatible chat endpoint
//! (one forced function call) or the MCP client's own model (sampling, JSON
//! text) — validated against the channel table with one repair round-trip;
//! and images from an OpenAI-compatible images endpoint.

use std::future::Future;
use std::pin::Pin;

use async_openai::types::chat::{ChatCompletionMessageToolCalls, CreateChatCompletionRequest};
use base64::Engine as _;
use promptsales_shared::AppError;
use promptsales_shared::config::LlmConfig;
use promptsales_shared::domain::Vocabulary;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::brand::BrandGuidelines;
use crate::domain::brief::Brief;
use crate::domain::copy::{Fields, violations};
use crate::domain::{Language, Placement};

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
                g.required_disclaimers.join(" "),
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
#[derive(Debug, Clone)]
pub struct ChatEndpoint(pub LlmConfig);

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
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
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
    }))
    .map_err(|e| AppError::Internal(format!("chat request: {e}")))?;
    let response = promptsales_server::llm::client(cfg)
        .chat()
        .create(request)
        .await
        .map_err(|e| {
            // The endpoint's URL and the client's error text (which may
            // quote the key or the endpoint's answer) stay in the log.
            tracing::warn!(endpoint = %cfg.base_url, error = %e, "LLM endpoint failed");
            AppError::Unavailable("the LLM endpoint did not answer usefully; retry later".into())
        })?;
    if let Some(u) = &response.usage {
        usage.prompt_tokens += u.prompt_tokens;
        usage.completion_tokens += u.completion_tokens;
    }
    response
        .choices
        .iter()
        .filter_map(|c| c.message.tool_calls.as_ref())
        .flatten()
        .find_map(|t| match t {
            ChatCompletionMessageToolCalls::Function(f) if f.function.name == "write_copy" => {
                Some(f.function.arguments.clone())
            }
            _ => None,
        })
        .or_else(|| {
            // Some servers answer with JSON content instead of a tool call.
            response
                .choices
                .first()
                .and_then(|c| c.message.content.clone())
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

/// Every problem of `variants` against the brief: missing variants and
/// limit violations, one line each.
pub fn problems(brief: &Brief, variants: &[(Placement, u32, Fields)]) -> Vec<String> {
    let mut out = Vec::new();
    for p in &brief.channels {
        for i in 0..brief.variants {
            match variants.iter().find(|(c, n, _)| c == p && *n == i) {
                None => out.push(format!("{p} variant {i} is missing")),
                Some((_, _, fields)) => out.extend(
                    violations(*p, fields)
                        .into_iter()
                        .map(|v| format!("variant {i}: {v}")),
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

/// An OpenAI-compatible images endpoint.
#[derive(Clone)]
pub struct ImageConfig {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
}

/// The key never reaches a log line through `{:?}`.
impl std::fmt::Debug for ImageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .finish()
    }
}

/// Why the image endpoint failed: the detail (URL, status, body, driver
/// text) goes to the log; the caller learns only that it may retry.
fn image_unavailable(what: &str, detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(%detail, "image endpoint: {what}");
    AppError::Unavailable(format!("the image endpoint {what}; retry later"))
}

/// Generates one image for `prompt`; returns its bytes (checked to be a
/// PNG, JPEG or WebP) and the kind.
pub async fn generate_image(
    cfg: &ImageConfig,
    prompt: &str,
    size: &str,
) -> Result<(Vec<u8>, &'static str), AppError> {
    let http = reqwest::Client::new();
    let url = format!("{}/images/generations", cfg.base_url.trim_end_matches('/'));
    let resp = http
        .post(&url)
        .bearer_auth(&cfg.api_key)
        .json(&json!({"model": cfg.model, "prompt": prompt, "size": size, "n": 1}))
        .send()
        .await
        .map_err(|e| image_unavailable("is unreachable", format!("{url}: {e}")))?;
    let status = resp.status();
    if !status.is_success() {
        let text = resp.text().await.unwrap_or_default();
        return Err(image_unavailable(
            &format!("answered {}", status.as_u16()),
            format!("{url}: {}", text.chars().take(200).collect::<String>()),
        ));
    }
    let body: Value = resp.json().await.map_err(|e| {
        image_unavailable("answered something other than JSON", format!("{url}: {e}"))
    })?;
    let item = &body["data"][0];
    let bytes = if let Some(b64) = item["b64_json"].as_str() {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| image_unavailable("returned bad base64", format!("{url}: {e}")))?
    } else if let Some(link) = item["url"].as_str() {
        // A download link may be signed: it is never shown to the caller.
        http.get(link)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| image_unavailable("returned a link that could not be downloaded", e))?
            .bytes()
            .await
            .map_err(|e| image_unavailable("returned a link that could not be downloaded", e))?
            .to_vec()
    } else {
        return Err(image_unavailable("returned neither b64_json nor url", &url));
    };
    let kind = crate::domain::visual::image_kind(&bytes).ok_or_else(|| {
        image_unavailable(
            &format!(
                "returned {} bytes that are not a PNG, JPEG or WebP image",
                bytes.len()
            ),
            &url,
        )
    })?;
    Ok((bytes, kind))
}
