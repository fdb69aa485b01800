//! The LLM engine: an OpenAI-compatible model (through `async-openai`) gets
//! the semantic model, `as_of` and one function whose parameters are the
//! QuerySpec JSON schema. Its arguments are parsed and validated like any
//! spec; anything else is an error the caller answers by falling back to
//! the deterministic parser.

use async_openai::types::chat::{ChatCompletionMessageToolCalls, CreateChatCompletionRequest};
use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::config::LlmConfig;
use serde_json::json;

use crate::domain::semantic::model;
use crate::domain::spec::QuerySpec;

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
    let response = promptsales_server::llm::client(cfg)
        .chat()
        .create(request)
        .await
        .map_err(|e| {
            // The endpoint and the client's words stay in the log.
            tracing::warn!(endpoint = %cfg.base_url, error = %e, "LLM request failed");
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
