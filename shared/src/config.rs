//! One typed configuration from CLI flags and environment variables. Every
//! value is parsed at start-up; a bad one stops the process with a message
//! naming the variable, the flag and what was expected.

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::TenantId;
use crate::llm::LlmConfig;

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{var} (--{flag}): expected {expected}, got {got:?}")]
pub struct ConfigError {
    pub var: &'static str,
    pub flag: &'static str,
    pub expected: String,
    pub got: String,
}

impl ConfigError {
    fn new(var: &'static str, flag: &'static str, expected: &str, got: &str) -> Self {
        Self {
            var,
            flag,
            expected: expected.to_owned(),
            got: got.to_owned(),
        }
    }
}

/// Flags shared by every binary; each also reads its environment variable.
/// Values stay strings here so that parsing errors can name the variable.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Directory for SQLite files and generated assets.
    #[arg(long, env = "PROMPTSALES_DATA_DIR", global = true)]
    pub data_dir: Option<String>,
    /// `sqlite://FILE` (default: a file in the data dir) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Prefix for PostgreSQL schema names (tests isolate themselves with it).
    #[arg(long, env = "PROMPTSALES_SCHEMA_PREFIX", global = true)]
    pub schema_prefix: Option<String>,
    /// Maximum connections per bounded-context pool.
    #[arg(long, env = "PROMPTSALES_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<String>,
    /// How long to wait for a pooled connection, in milliseconds.
    #[arg(long, env = "PROMPTSALES_DB_ACQUIRE_TIMEOUT_MS", global = true)]
    pub db_acquire_timeout_ms: Option<String>,
    /// `redis://HOST:PORT`; when absent the cache is in-process.
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// Prefix of every cache key (tests isolate themselves with it).
    #[arg(long, env = "PROMPTSALES_CACHE_PREFIX", global = true)]
    pub cache_prefix: Option<String>,
    /// Default cache time-to-live in seconds.
    #[arg(long, env = "PROMPTSALES_CACHE_TTL_SECS", global = true)]
    pub cache_ttl_secs: Option<String>,
    /// Tenant for stdio and CLI use (HTTP takes it from the token).
    #[arg(long, env = "PROMPTSALES_TENANT", global = true)]
    pub tenant: Option<String>,
    /// Who acts over stdio and in the CLI (HTTP takes it from the token).
    #[arg(long, env = "PROMPTSALES_ACTOR", global = true)]
    pub actor: Option<String>,
    /// Scopes of the local actor, comma-separated (e.g. `ads:approve`).
    #[arg(long, env = "PROMPTSALES_SCOPES", global = true)]
    pub scopes: Option<String>,
    /// `text` or `json` logs on stderr.
    #[arg(long, env = "PROMPTSALES_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Log filter, e.g. `info` or `mcp_crm=debug,info`.
    #[arg(long, env = "PROMPTSALES_LOG", global = true)]
    pub log: Option<String>,
    /// OpenAI-compatible base URL (OpenAI, Ollama, vLLM, LM Studio).
    #[arg(long, env = "PROMPTSALES_LLM_BASE_URL", global = true)]
    pub llm_base_url: Option<String>,
    /// API key for the LLM endpoint.
    #[arg(
        long,
        env = "PROMPTSALES_LLM_API_KEY",
        global = true,
        hide_env_values = true
    )]
    pub llm_api_key: Option<String>,
    /// Model name for the LLM endpoint.
    #[arg(long, env = "PROMPTSALES_LLM_MODEL", global = true)]
    pub llm_model: Option<String>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Database settings shared by every bounded context's pool.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub url: String,
    pub schema_prefix: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// Cache settings.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub redis_url: Option<String>,
    pub prefix: String,
    pub default_ttl: Duration,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub db: DbConfig,
    pub cache: CacheConfig,
    pub tenant: TenantId,
    /// The local actor (stdio, CLI) and its scopes.
    pub actor: String,
    pub scopes: std::collections::BTreeSet<String>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub llm: Option<LlmConfig>,
}

impl Config {
    /// The principal of stdio sessions and CLI commands.
    pub fn local_principal(&self) -> crate::auth::Principal {
        crate::auth::Principal {
            subject: self.actor.clone(),
            tenant: self.tenant.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_range(
    v: &Option<String>,
    var: &'static str,
    flag: &'static str,
    lo: u64,
    hi: u64,
    default: u64,
) -> Result<u64, ConfigError> {
    match non_empty(v) {
        None => Ok(default),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| {
                ConfigError::new(var, flag, &format!("an integer from {lo} to {hi}"), s)
            }),
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl CommonArgs {
    /// Checks and types every value.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(non_empty(&self.data_dir).unwrap_or("./promptsales-data"));
        let url = match non_empty(&self.database_url) {
            None => format!("sqlite://{}", data_dir.join("promptsales.db").display()),
            Some(u)
                if u.starts_with("sqlite:")
                    || u.starts_with("postgres://")
                    || u.starts_with("postgresql://") =>
            {
                u.to_owned()
            }
            Some(u) => {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    "database-url",
                    "sqlite://FILE or postgres://USER@HOST:PORT/DB",
                    u,
                ));
            }
        };
        let schema_prefix = match non_empty(&self.schema_prefix) {
            None => String::new(),
            Some(p) if is_identifier(p) => p.to_owned(),
            Some(p) => {
                return Err(ConfigError::new(
                    "PROMPTSALES_SCHEMA_PREFIX",
                    "schema-prefix",
                    "lower-case letters, digits and '_' (at most 40)",
                    p,
                ));
            }
        };
        let max_connections = parse_range(
            &self.db_max_connections,
            "PROMPTSALES_DB_MAX_CONNECTIONS",
            "db-max-connections",
            1,
            1000,
            10,
        )? as u32;
        let acquire_ms = parse_range(
            &self.db_acquire_timeout_ms,
            "PROMPTSALES_DB_ACQUIRE_TIMEOUT_MS",
            "db-acquire-timeout-ms",
            10,
            600_000,
            5_000,
        )?;
        let redis_url = match non_empty(&self.redis_url) {
            None => None,
            Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => {
                Some(u.to_owned())
            }
            Some(u) => {
                return Err(ConfigError::new(
                    "REDIS_URL",
                    "redis-url",
                    "redis://HOST:PORT[/DB]",
                    u,
                ));
            }
        };
        let ttl = parse_range(
            &self.cache_ttl_secs,
            "PROMPTSALES_CACHE_TTL_SECS",
            "cache-ttl-secs",
            1,
            86_400 * 30,
            300,
        )?;
        let tenant_raw = non_empty(&self.tenant).unwrap_or("default");
        let tenant = TenantId::parse(tenant_raw).map_err(|_| {
            ConfigError::new(
                "PROMPTSALES_TENANT",
                "tenant",
                "1-64 letters, digits, '_', '-', '.' or ':'",
                tenant_raw,
            )
        })?;
        let actor = non_empty(&self.actor).unwrap_or("local");
        if actor.len() > 128 || actor.chars().any(char::is_control) {
            return Err(ConfigError::new(
                "PROMPTSALES_ACTOR",
                "actor",
                "a name of at most 128 printable characters",
                actor,
            ));
        }
        let scopes =
            crate::auth::parse_scopes(non_empty(&self.scopes).unwrap_or("")).map_err(|bad| {
                ConfigError::new(
                    "PROMPTSALES_SCOPES",
                    "scopes",
                    "comma-separated scopes such as ads:approve,content:approve",
                    &bad,
                )
            })?;
        let log_format = match non_empty(&self.log_format).unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "PROMPTSALES_LOG_FORMAT",
                    "log-format",
                    "text or json",
                    other,
                ));
            }
        };
        let llm = LlmConfig::resolve(
            non_empty(&self.llm_base_url),
            non_empty(&self.llm_api_key),
            non_empty(&self.llm_model),
        )?;
        Ok(Config {
            data_dir,
            db: DbConfig {
                url,
                schema_prefix,
                max_connections,
                acquire_timeout: Duration::from_millis(acquire_ms),
            },
            cache: CacheConfig {
                redis_url,
                prefix: non_empty(&self.cache_prefix).unwrap_or("ps").to_owned(),
                default_ttl: Duration::from_secs(ttl),
            },
            tenant,
            actor: actor.to_owned(),
            scopes,
            log_format,
            log_filter: non_empty(&self.log).unwrap_or("info").to_owned(),
            llm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_embedded() {
        let c = CommonArgs::default().resolve().unwrap();
        assert!(c.db.url.starts_with("sqlite://"));
        assert!(c.db.url.ends_with("promptsales.db"));
        assert!(c.cache.redis_url.is_none());
        assert_eq!(c.tenant.as_str(), "default");
        assert!(c.llm.is_none());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let args = CommonArgs {
            db_max_connections: Some("lots".into()),
            ..Default::default()
        };
        let e = args.resolve().unwrap_err().to_string();
        assert!(e.contains("PROMPTSALES_DB_MAX_CONNECTIONS"), "{e}");
        assert!(e.contains("--db-max-connections"), "{e}");

        let args = CommonArgs {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        assert!(
            args.resolve()
                .unwrap_err()
                .to_string()
                .contains("DATABASE_URL")
        );

        let args = CommonArgs {
            redis_url: Some("localhost:6379".into()),
            ..Default::default()
        };
        assert!(
            args.resolve()
                .unwrap_err()
                .to_string()
                .contains("REDIS_URL")
        );

        let args = CommonArgs {
            schema_prefix: Some("Robert'); DROP".into()),
            ..Default::default()
        };
        assert!(
            args.resolve()
                .unwrap_err()
                .to_string()
                .contains("PROMPTSALES_SCHEMA_PREFIX")
        );
    }
}
