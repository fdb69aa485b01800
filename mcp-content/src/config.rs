//! Settings of this server beyond the shared ones: the image endpoint.

use promptsales_shared::config::ConfigError;
use promptsales_shared::config::LlmConfig;

use crate::llm::ImageConfig;

/// Image generation flags; each also reads its environment variable.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ImageArgs {
    /// OpenAI-compatible images base URL (…/v1); images are off without it.
    #[arg(long, env = "PROMPTSALES_IMAGE_BASE_URL")]
    pub image_base_url: Option<String>,
    /// API key for the image endpoint (default: the LLM's key).
    #[arg(long, env = "PROMPTSALES_IMAGE_API_KEY", hide_env_values = true)]
    pub image_api_key: Option<String>,
    /// Image model (default gpt-image-1).
    #[arg(long, env = "PROMPTSALES_IMAGE_MODEL")]
    pub image_model: Option<String>,
}

impl ImageArgs {
    /// The endpoint, when a base URL is given.
    pub fn resolve(&self, llm: Option<&LlmConfig>) -> Result<Option<ImageConfig>, ConfigError> {
        let Some(base) = self.image_base_url.as_deref() else {
            return Ok(None);
        };
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ConfigError {
                var: "PROMPTSALES_IMAGE_BASE_URL",
                flag: "image-base-url",
                expected: "an http:// or https:// URL ending in /v1".into(),
                got: base.into(),
            });
        }
        Ok(Some(ImageConfig {
            base_url: base.trim_end_matches('/').to_owned(),
            api_key: self
                .image_api_key
                .clone()
                .or_else(|| llm.map(|l| l.api_key.clone()))
                .unwrap_or_else(|| "none".into()),
            model: self
                .image_model
                .clone()
                .unwrap_or_else(|| "gpt-image-1".into()),
        }))
    }
}
