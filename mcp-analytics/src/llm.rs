//! The LLM engine: an OpenAI-compatible model (through `async-openai`) gets
//! the semantic model, `as_of` and one function whose parameters are the
//! QuerySpec JSON schema. Its arguments are parsed and validated like any
//! spec; anything else is an error the caller answers by falling back to
//! the deterministic parser.

use async_openai::error::OpenAIError;
use async_openai::types::chat::{ChatCompletionMessageToolCalls, CreateChatCompletionRequest};
use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::config::LlmConfig;
use serde_json::json;

use crate::domain::semantic::model;
use crate::domain::spec::QuerySpec;

/// The longest a translation may take, retries included: as long as one
/// request may.
const DEADLINE: std::time::Duration = promptsales_server::llm::REQUEST_TIMEOUT;

/// Tokens the model spent on one translation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// Asks the model to fill a QuerySpec for `question`.
pub async fn translate(
    cfg: &LlmConfig,
    question: &str,
    as_of: NaiveDate,
) -> Result<(QuerySpec, Usage), AppError> {
    let schema = serde_json::to_value(schemars::schema_for!(QuerySpec))
        .map_err(|e| AppError::Internal(format!("QuerySpec schema: {e}")))?;
    let semantic = serde_json::to_string(&model())
        .map_err(|e| AppError::Internal(format!("semantic model: {e}")))?;
    let system = format!(
        "You translate marketing analytics questions (English or Spanish) into a QuerySpec by \
         calling the function query_metrics exactly once. Use only the metric and dimension names \
         of this semantic model: {semantic}. Today (as_of) is {as_of}. Prefer relative time ranges \
         (type relative / last_n_days / month / quarter / year) for relative phrases. For 'top N' \
         order by the metric descending with limit N; for 'worst N' ascending. Never invent names."
    );
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": cfg.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": question}
        ],
        "tools": [{
            "type": "function",
            "function": {
                "name": "query_metrics",
                "description": "Run a typed analytics query.",
                "parameters": schema
            }
        }],
        "tool_choice": {"type": "function", "function": {"name": "query_metrics"}}
    }))
    .map_err(|e| AppError::Internal(format!("chat request: {e}")))?;
    let client = promptsales_server::llm::client(cfg);
    // The client retries 5xx answers and refused connections, honouring any
    // `Retry-After`: one deadline bounds the whole translation.
    let response = tokio::time::timeout(DEADLINE, client.chat().create(request))
        .await
        .map_err(|_| {
            tracing::warn!(
                secs = DEADLINE.as_secs(),
                "LLM request failed: no answer in time"
            );
            AppError::Unavailable("the LLM endpoint did not answer".into())
        })?
        .map_err(|e| {
            // Neither the endpoint's address nor its key reach the log or
            // the client: only what kind of failure it was.
            tracing::warn!(error = %describe(cfg, e), "LLM request failed");
            AppError::Unavailable("the LLM endpoint did not answer".into())
        })?;
    let usage = response
        .usage
        .as_ref()
        .map(|u| Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
        })
        .unwrap_or_default();
    let arguments = response
        .choices
        .iter()
        .filter_map(|c| c.message.tool_calls.as_ref())
        .flatten()
        .find_map(|t| match t {
            ChatCompletionMessageToolCalls::Function(f) if f.function.name == "query_metrics" => {
                Some(f.function.arguments.clone())
            }
            _ => None,
        })
        .ok_or_else(|| AppError::Internal("the model did not call query_metrics".into()))?;
    let spec: QuerySpec = serde_json::from_str(&arguments).map_err(|e| {
        AppError::invalid(
            "llm.arguments",
            format!("a QuerySpec ({e})"),
            arguments.clone(),
        )
    })?;
    spec.validate(as_of)?;
    Ok((spec, usage))
}

/// A failed request as a log line: HTTP errors without their URL, API
/// errors by status, type and code (their message may quote the key), and
/// whatever remains with the configured endpoint and key blotted out.
fn describe(cfg: &LlmConfig, e: OpenAIError) -> String {
    let text = match e {
        OpenAIError::Reqwest(r) => {
            let kind = if r.is_timeout() {
                "timed out"
            } else if r.is_connect() {
                "connection failed"
            } else {
                "HTTP error"
            };
            format!("{kind}: {}", r.without_url())
        }
        OpenAIError::ApiError(a) => format!(
            "endpoint answered {} (type {}, code {})",
            a.status_code,
            a.api_error.r#type.as_deref().unwrap_or("-"),
            a.api_error.code.as_deref().unwrap_or("-")
        ),
        OpenAIError::JSONDeserialize(err, _) => format!("unreadable response: {err}"),
        other => other.to_string(),
    };
    redact(&text, cfg)
}

/// `text` without the endpoint's URL or key.
fn redact(text: &str, cfg: &LlmConfig) -> String {
    let mut out = text.to_owned();
    for secret in [cfg.api_key.as_str(), cfg.base_url.as_str()] {
        if secret.len() >= 4 {
            out = out.replace(secret, "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(base_url: &str) -> LlmConfig {
        LlmConfig {
            base_url: base_url.into(),
            api_key: "sk-secret-key-123".into(),
            model: "m".into(),
        }
    }

    #[test]
    fn failures_are_described_without_endpoint_or_key() {
        let c = cfg("http://user:pw@llm.internal:9/v1");
        let e = OpenAIError::InvalidArgument(
            "bad request to http://user:pw@llm.internal:9/v1 with sk-secret-key-123".into(),
        );
        let d = describe(&c, e);
        assert!(
            !d.contains("sk-secret") && !d.contains("llm.internal"),
            "{d}"
        );
        assert!(d.contains("<redacted>"), "{d}");
    }

    /// A refused connection: the reqwest error names the URL; the log line
    /// must not.
    #[tokio::test]
    async fn http_failures_lose_their_url() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let c = cfg(&format!("http://127.0.0.1:{port}/v1"));
        let e = translate(
            &c,
            "leads by channel",
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .await
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            !msg.contains("127.0.0.1") && !msg.contains("sk-secret"),
            "{msg}"
        );
        let r = promptsales_server::llm::client(&c)
            .chat()
            .create(
                serde_json::from_value(
                    json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
                )
                .unwrap(),
            )
            .await
            .unwrap_err();
        let d = describe(&c, r);
        assert!(d.starts_with("connection failed"), "{d}");
        assert!(
            !d.contains("127.0.0.1") && !d.contains(&port.to_string()),
            "{d}"
        );
    }
}
