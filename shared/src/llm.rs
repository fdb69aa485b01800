//! Access to an OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM,
//! LM Studio) through `async-openai`; absent configuration means offline.

use async_openai::Client;
use async_openai::config::OpenAIConfig;

use crate::config::ConfigError;

/// A configured endpoint.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
}

impl LlmConfig {
    /// The LLM is on when a base URL or an API key is given; the model
    /// then defaults to `gpt-4o-mini`.
    pub fn resolve(
        base_url: Option<&str>,
        api_key: Option<&str>,
        model: Option<&str>,
    ) -> Result<Option<Self>, ConfigError> {
        if base_url.is_none() && api_key.is_none() {
            return Ok(None);
        }
        let base_url = base_url.unwrap_or("https://api.openai.com/v1");
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "PROMPTSALES_LLM_BASE_URL",
                flag: "llm-base-url",
                expected: "an http:// or https:// URL ending in /v1".into(),
                got: base_url.into(),
            });
        }
        Ok(Some(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.unwrap_or("none").to_owned(),
            model: model.unwrap_or("gpt-4o-mini").to_owned(),
        }))
    }

    /// A client for this endpoint.
    pub fn client(&self) -> Client<OpenAIConfig> {
        Client::with_config(
            OpenAIConfig::new()
                .with_api_base(&self.base_url)
                .with_api_key(&self.api_key),
        )
    }
}
