//! Sentiment from an OpenAI-compatible model when one is configured; any
//! failure falls back to the offline EN/ES lexicon (the caller's choice).

use async_openai::types::chat::CreateChatCompletionRequest;
use promptsales_server::llm::{LlmConfig, client};
use serde_json::json;

/// The model's sentiment of `text` from -1 to 1, or `None` when the call
/// or its answer was unusable.
pub async fn llm_sentiment(cfg: &LlmConfig, text: &str) -> Option<f64> {
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": cfg.model,
        "temperature": 0,
        "max_tokens": 8,
        "messages": [
            {"role": "system", "content": "Rate the sentiment of the customer's message (English or Spanish) towards the seller from -1 (very negative) to 1 (very positive). Answer with the number only."},
            {"role": "user", "content": text}
        ]
    }))
    .ok()?;
    let openai = client(cfg);
    let chat = openai.chat();
    let fut = chat.create(request);
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), fut)
        .await
        .ok()?
        .map_err(|e| tracing::warn!(error = %e, "LLM sentiment failed; using the lexicon"))
        .ok()?;
    let answer = response.choices.first()?.message.content.clone()?;
    parse_score(&answer)
}

/// The first number in `answer`, if it lies in -1..=1.
fn parse_score(answer: &str) -> Option<f64> {
    answer
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .find_map(|t| t.trim_end_matches('.').parse::<f64>().ok())
        .filter(|v| v.is_finite() && (-1.0..=1.0).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_from_the_answer() {
        assert_eq!(parse_score("0.8"), Some(0.8));
        assert_eq!(parse_score("Sentiment: -0.5."), Some(-0.5));
        assert_eq!(parse_score("3"), None);
        assert_eq!(parse_score("positive"), None);
    }

    #[tokio::test]
    async fn a_configured_model_scores_the_text() {
        use axum::routing::post;
        let app = axum::Router::new().route(
            "/v1/chat/completions",
            post(
                |axum::Json(req): axum::Json<serde_json::Value>| async move {
                    let text = req["messages"][1]["content"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned();
                    let score = if text.contains("terrible") {
                        "-0.8"
                    } else {
                        "0.7"
                    };
                    axum::Json(json!({
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": score}}]
                    }))
                },
            ),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let cfg = LlmConfig::resolve(Some(&base), Some("k"), Some("m"))
            .unwrap()
            .unwrap();
        assert_eq!(llm_sentiment(&cfg, "me encanta").await, Some(0.7));
        assert_eq!(llm_sentiment(&cfg, "terrible").await, Some(-0.8));
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_yields_none() {
        let cfg = LlmConfig::resolve(Some("http://127.0.0.1:9/v1"), Some("k"), None)
            .unwrap()
            .unwrap();
        assert_eq!(llm_sentiment(&cfg, "great").await, None);
    }
}
