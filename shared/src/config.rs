//! One typed configuration from CLI flags and environment variables. Every
//! value is parsed at start-up; a bad one stops the process with a message
//! naming the variable, the flag and what was expected.

use std::path::PathBuf;
use std::time::Duration;

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::TenantId;

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
    /// `on` (default): each server migrates the context it owns at start;
    /// `off`: it only checks that `promptsales migrate` already has.
    #[arg(long, env = "PROMPTSALES_MIGRATE", global = true)]
    pub migrate: Option<String>,
    /// Prefix for PostgreSQL schema names (tests isolate themselves with it).
    #[arg(long, env = "PROMPTSALES_SCHEMA_PREFIX", global = true)]
    pub schema_prefix: Option<String>,
    /// Maximum connections per bounded-context pool.
    #[arg(long, env = "PROMPTSALES_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<String>,
    /// How long to wait for a pooled connection, in milliseconds.
    #[arg(long, env = "PROMPTSALES_DB_ACQUIRE_TIMEOUT_MS", global = true)]
    pub db_acquire_timeout_ms: Option<String>,
    /// How long an unused pooled connection stays open, in milliseconds
    /// (lower it when many processes share one PostgreSQL).
    #[arg(long, env = "PROMPTSALES_DB_IDLE_TIMEOUT_MS", global = true)]
    pub db_idle_timeout_ms: Option<String>,
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
    /// Scopes of the local actor, comma-separated (e.g. `ads:approve`);
    /// unset: every `:read` and `:write` scope, nothing privileged.
    #[arg(long, env = "PROMPTSALES_SCOPES", global = true)]
    pub scopes: Option<String>,
    /// Days audit rows are kept (default 90).
    #[arg(long, env = "PROMPTSALES_AUDIT_RETENTION_DAYS", global = true)]
    pub audit_retention_days: Option<String>,
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
    /// `DATABASE_URL`: where every context lives unless overridden.
    pub url: String,
    /// `<CONTEXT>_DATABASE_URL` overrides (`CRM_DATABASE_URL`…), by
    /// lower-case context name: a context in its own database.
    pub overrides: BTreeMap<String, String>,
    pub schema_prefix: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub idle_timeout: Duration,
    /// Whether the owner migrates its context at start (`PROMPTSALES_MIGRATE`).
    pub migrate: bool,
}

impl DbConfig {
    /// Every context at `url`, migrations on, 4 connections: tests and benches.
    pub fn new(url: impl Into<String>, schema_prefix: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            overrides: BTreeMap::new(),
            schema_prefix: schema_prefix.into(),
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            migrate: true,
        }
    }

    /// The URL of one context: its override, else `DATABASE_URL`.
    pub fn url_for(&self, context: &str) -> &str {
        self.overrides.get(context).unwrap_or(&self.url)
    }

    /// The SQLite file of a context, `None` on PostgreSQL. An override names
    /// the file itself; the shared URL gets one sibling file per context.
    pub fn sqlite_file(&self, context: &str) -> Option<PathBuf> {
        match self.overrides.get(context) {
            Some(u) if u.starts_with("sqlite:") => Some(PathBuf::from(sqlite_path(u))),
            Some(_) => None,
            None if self.url.starts_with("sqlite:") => {
                Some(crate::db::sqlite_context_file(&self.url, context))
            }
            None => None,
        }
    }
}

/// The path of a `sqlite:` URL, without scheme and query.
pub fn sqlite_path(url: &str) -> &str {
    let raw = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    raw.split('?').next().unwrap_or(raw)
}

/// Per-context database URLs from the environment: `CRM_DATABASE_URL`
/// and the like (`TEST_DATABASE_URL`, the test harness's, is not one).
fn context_overrides(
    vars: impl Iterator<Item = (String, String)>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for (k, v) in vars {
        let Some(ctx) = k.strip_suffix("_DATABASE_URL") else {
            continue;
        };
        if ctx.is_empty() || ctx == "TEST" || v.trim().is_empty() {
            continue;
        }
        let v = v.trim();
        if !is_database_url(v) {
            return Err(ConfigError {
                var: "<CONTEXT>_DATABASE_URL",
                flag: "database-url",
                expected: format!("{k} to be sqlite://FILE or postgres://USER@HOST:PORT/DB"),
                got: v.to_owned(),
            });
        }
        out.insert(ctx.to_ascii_lowercase(), v.to_owned());
    }
    Ok(out)
}

fn is_database_url(u: &str) -> bool {
    u.starts_with("sqlite:") || u.starts_with("postgres://") || u.starts_with("postgresql://")
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
    pub scopes: BTreeSet<String>,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// Days the audit retention job keeps rows.
    pub audit_retention_days: u32,
    pub llm: Option<LlmConfig>,
}

/// A configured OpenAI-compatible endpoint (the client is built by the
/// server crate; absent configuration means offline).
#[derive(Clone)]
pub struct LlmConfig {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
}

/// The key never reaches a log line.
impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &crate::redact::url(&self.base_url))
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .finish()
    }
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
            return Err(ConfigError::new(
                "PROMPTSALES_LLM_BASE_URL",
                "llm-base-url",
                "an http:// or https:// URL ending in /v1",
                base_url,
            ));
        }
        Ok(Some(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.unwrap_or("none").to_owned(),
            model: model.unwrap_or("gpt-4o-mini").to_owned(),
        }))
    }
}

/// Parses a comma- or space-separated scope list; `Err` carries the first
/// malformed scope.
pub fn parse_scopes(raw: &str) -> Result<BTreeSet<String>, String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
            {
                Ok(s.to_owned())
            } else {
                Err(s.to_owned())
            }
        })
        .collect()
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
            Some(u) if is_database_url(u) => u.to_owned(),
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
        let idle_ms = parse_range(
            &self.db_idle_timeout_ms,
            "PROMPTSALES_DB_IDLE_TIMEOUT_MS",
            "db-idle-timeout-ms",
            100,
            3_600_000,
            300_000,
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
        // Unset: every read and everyday write (a person at their own
        // machine), nothing privileged; set (even empty): exactly those.
        let scopes = match &self.scopes {
            None => crate::scope::Scope::local_default()
                .map(|s| s.as_str().to_owned())
                .collect(),
            Some(raw) => {
                let bad = |b: &str| {
                    ConfigError::new(
                        "PROMPTSALES_SCOPES",
                        "scopes",
                        &format!(
                            "comma-separated scopes, each one of {}",
                            <crate::scope::Scope as crate::domain::Vocabulary>::ALL
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        b,
                    )
                };
                let set = parse_scopes(raw).map_err(|b| bad(&b))?;
                if let Some(unknown) = set.iter().find(|s| crate::scope::Scope::parse(s).is_err()) {
                    return Err(bad(unknown));
                }
                set
            }
        };
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
        let migrate = match non_empty(&self.migrate).unwrap_or("on") {
            "on" | "true" | "1" => true,
            "off" | "false" | "0" => false,
            other => {
                return Err(ConfigError::new(
                    "PROMPTSALES_MIGRATE",
                    "migrate",
                    "on or off",
                    other,
                ));
            }
        };
        Ok(Config {
            data_dir,
            db: DbConfig {
                url,
                overrides: context_overrides(std::env::vars())?,
                schema_prefix,
                max_connections,
                acquire_timeout: Duration::from_millis(acquire_ms),
                idle_timeout: Duration::from_millis(idle_ms),
                migrate,
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
            audit_retention_days: parse_range(
                &self.audit_retention_days,
                "PROMPTSALES_AUDIT_RETENTION_DAYS",
                "audit-retention-days",
                1,
                36_500,
                90,
            )? as u32,
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
