//! Access to an OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM,
//! LM Studio) through `async-openai`; absent configuration means offline.

use async_openai::Client;
use async_openai::config::OpenAIConfig;
pub use promptsales_shared::config::LlmConfig;

/// A client for the configured endpoint.
pub fn client(cfg: &LlmConfig) -> Client<OpenAIConfig> {
    Client::with_config(
        OpenAIConfig::new()
            .with_api_base(&cfg.base_url)
            .with_api_key(&cfg.api_key),
    )
}
