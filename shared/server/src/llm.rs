//! Access to an OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM,
//! LM Studio) through `async-openai`; absent configuration means offline.
//! Every client has a connect and a total timeout: a stuck model must not
//! hold a tool call (or the agent) forever.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
pub use promptsales_shared::config::LlmConfig;

/// Longest wait for one completion.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for the configured endpoint, with timeouts.
pub fn client(cfg: &LlmConfig) -> Client<OpenAIConfig> {
    let config = OpenAIConfig::new()
        .with_api_base(&cfg.base_url)
        .with_api_key(&cfg.api_key);
    let client = Client::with_config(config);
    match reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
    {
        Ok(http) => client.with_http_client(http),
        Err(e) => {
            tracing::warn!(error = %e, "LLM HTTP client without timeouts");
            client
        }
    }
}
