//! Settings of this server beyond the shared ones: the image endpoint and
//! the limits of a call to it.

use std::time::Duration;

use promptsales_shared::config::ConfigError;
use promptsales_shared::config::LlmConfig;

use crate::http::{Limits, redacted_url};
use crate::llm::ImageConfig;

/// Longest wait for one image, by default (image models are slow).
pub const DEFAULT_IMAGE_TIMEOUT_SECS: u64 = 120;
/// Largest image accepted, by default.
pub const DEFAULT_IMAGE_MAX_BYTES: usize = 20 * 1024 * 1024;
/// Longest wait for the connection to the image endpoint.
const IMAGE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Image generation flags; each also reads its environment variable.
#[derive(clap::Args, Clone, Default)]
pub struct ImageArgs {
    /// OpenAI-compatible images base URL (…/v1); images are off without it.
    #[arg(long, env = "PROMPTSALES_IMAGE_BASE_URL", hide_env_values = true)]
    pub image_base_url: Option<String>,
    /// API key for the image endpoint (default: the LLM's key).
    #[arg(long, env = "PROMPTSALES_IMAGE_API_KEY", hide_env_values = true)]
    pub image_api_key: Option<String>,
    /// Image model (default gpt-image-1).
    #[arg(long, env = "PROMPTSALES_IMAGE_MODEL")]
    pub image_model: Option<String>,
    /// Longest wait for one image, download included, in seconds (1-600,
    /// default 120).
    #[arg(long, env = "PROMPTSALES_IMAGE_TIMEOUT_SECS")]
    pub image_timeout_secs: Option<String>,
    /// Largest image accepted, in bytes (1024-104857600, default 20 MiB).
    #[arg(long, env = "PROMPTSALES_IMAGE_MAX_BYTES")]
    pub image_max_bytes: Option<String>,
}

/// The key and URL credentials never reach a log line through `{:?}`.
impl std::fmt::Debug for ImageArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageArgs")
            .field(
                "image_base_url",
                &self.image_base_url.as_deref().map(redacted_url),
            )
            .field(
                "image_api_key",
                &self.image_api_key.as_ref().map(|_| "<redacted>"),
            )
            .field("image_model", &self.image_model)
            .field("image_timeout_secs", &self.image_timeout_secs)
            .field("image_max_bytes", &self.image_max_bytes)
            .finish()
    }
}

/// An optional whole number within `min..=max`, or the variable's error.
fn bounded(
    raw: Option<&str>,
    var: &'static str,
    flag: &'static str,
    min: u64,
    max: u64,
    default: u64,
) -> Result<u64, ConfigError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(default);
    };
    match raw.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError {
            var,
            flag,
            expected: format!("a whole number from {min} to {max}"),
            got: raw.into(),
        }),
    }
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
                got: redacted_url(base),
            });
        }
        let timeout = bounded(
            self.image_timeout_secs.as_deref(),
            "PROMPTSALES_IMAGE_TIMEOUT_SECS",
            "image-timeout-secs",
            1,
            600,
            DEFAULT_IMAGE_TIMEOUT_SECS,
        )?;
        let max_bytes = bounded(
            self.image_max_bytes.as_deref(),
            "PROMPTSALES_IMAGE_MAX_BYTES",
            "image-max-bytes",
            1024,
            100 * 1024 * 1024,
            DEFAULT_IMAGE_MAX_BYTES as u64,
        )?;
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
            limits: Limits {
                connect: IMAGE_CONNECT_TIMEOUT,
                total: Duration::from_secs(timeout),
                max_bytes: usize::try_from(max_bytes).unwrap_or(DEFAULT_IMAGE_MAX_BYTES),
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ImageArgs {
        ImageArgs {
            image_base_url: Some("https://bob:pw@images.example/v1?token=t0k3n".into()),
            image_api_key: Some("sk-image-secret".into()),
            ..Default::default()
        }
    }

    #[test]
    fn image_settings_have_limits_and_print_redacted() {
        let cfg = args().resolve(None).unwrap().unwrap();
        assert_eq!(cfg.limits.total, Duration::from_secs(120));
        assert_eq!(cfg.limits.max_bytes, 20 * 1024 * 1024);
        for printed in [format!("{:?}", args()), format!("{cfg:?}")] {
            assert!(
                !printed.contains("sk-image-secret")
                    && !printed.contains("pw@")
                    && !printed.contains("t0k3n"),
                "{printed}"
            );
            assert!(printed.contains("<redacted>"), "{printed}");
        }
        let llm = LlmConfig {
            base_url: "https://llm.example/v1".into(),
            api_key: "sk-llm-secret".into(),
            model: "m".into(),
        };
        let printed = format!("{:?}", crate::llm::ChatEndpoint(llm));
        assert!(!printed.contains("sk-llm-secret"), "{printed}");
    }

    #[test]
    fn image_limits_are_configurable_within_bounds() {
        let mut a = args();
        a.image_timeout_secs = Some("3".into());
        a.image_max_bytes = Some("2048".into());
        let cfg = a.resolve(None).unwrap().unwrap();
        assert_eq!(cfg.limits.total, Duration::from_secs(3));
        assert_eq!(cfg.limits.max_bytes, 2048);
        a.image_timeout_secs = Some("0".into());
        let e = a.resolve(None).unwrap_err();
        assert_eq!(e.var, "PROMPTSALES_IMAGE_TIMEOUT_SECS");
        a.image_timeout_secs = None;
        a.image_max_bytes = Some("lots".into());
        let e = a.resolve(None).unwrap_err();
        assert_eq!(e.var, "PROMPTSALES_IMAGE_MAX_BYTES");
        a.image_base_url = Some("ftp://user:pw@x".into());
        a.image_max_bytes = None;
        let e = a.resolve(None).unwrap_err();
        assert!(!e.got.contains("pw"), "{}", e.got);
    }
}
