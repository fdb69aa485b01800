//! Where each MCP server is: a binary spawned over stdio, or a streamable HTTP(S) URL with a bearer token, and whom HTTPS trusts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use promptsales_shared::config::CommonArgs;

/// The four servers: namespace → binary name.
pub const SERVERS: &[(&str, &str)] = &[
    ("content", "mcp-content"),
    ("ads", "mcp-ads"),
    ("crm", "mcp-crm"),
    ("analytics", "mcp-analytics"),
];

/// How to reach one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Spawn this binary with `--transport stdio` (the default).
    Stdio { program: PathBuf, args: Vec<String> },
    /// Streamable HTTP at this `/mcp` URL, with an optional bearer token.
    Http { url: String, token: Option<String> },
}

/// One server the hub connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Tool namespace (`crm` in `crm.register_lead`).
    pub name: String,
    pub endpoint: Endpoint,
    /// Extra environment for a spawned child (on top of the inherited one).
    pub env: Vec<(String, String)>,
}

/// The hub's configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub servers: Vec<ServerSpec>,
    /// Bound of every tool call unless the call says otherwise.
    pub call_timeout: Duration,
    /// Restart attempts after a crash before a server counts as down.
    pub max_restarts: u32,
    /// The client of every HTTP endpoint (trusting `PROMPTSALES_TLS_CA`).
    pub http: reqwest::Client,
}

/// The variable naming extra trust roots (PEM) for HTTPS servers.
pub const CA_VAR: &str = "PROMPTSALES_TLS_CA";

/// The HTTP client of streamable HTTP servers: rmcp's default transport
/// client (no idle pooling, which stalls ~40 ms on delayed ACKs) that also
/// trusts the CA certificates in `ca` (a PEM file; the system's roots stay
/// trusted), so servers with certificates from a private CA are reached
/// over HTTPS. Redirects are not followed: a server that moved is
/// configured anew rather than replayed the bearer token elsewhere.
pub fn http_client(ca: Option<&Path>) -> Result<reqwest::Client, HubConfigError> {
    let mut builder = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = ca {
        let bad = |why: String| HubConfigError {
            var: CA_VAR.into(),
            expected: "a readable PEM file of CA certificates",
            got: format!("{} ({why})", path.display()),
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
        if roots.is_empty() {
            return Err(bad("no BEGIN CERTIFICATE section".into()));
        }
        builder = builder.tls_certs_merge(roots);
    }
    builder.build().map_err(|e| HubConfigError {
        var: CA_VAR.into(),
        expected: "CA certificates the TLS client accepts",
        got: e.to_string(),
    })
}

/// A configuration value the hub cannot use.
#[derive(Debug, thiserror::Error)]
#[error("{var}: expected {expected}, got {got:?}")]
pub struct HubConfigError {
    pub var: String,
    pub expected: &'static str,
    pub got: String,
}

/// Directory of the server binaries: `PROMPTSALES_SERVERS_DIR`, else the
/// directory of the running `promptsales` executable.
pub fn default_bin_dir(get: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = get("PROMPTSALES_SERVERS_DIR").filter(|d| !d.trim().is_empty()) {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The configuration this process was given by flag or variable, as the
/// variables a spawned server reads: a child sees the same databases, cache
/// and tenant as `promptsales --database-url … sync` did. Logging is left
/// to the hub (children stay quiet unless asked).
pub fn forwarded_env(args: &CommonArgs) -> Vec<(String, String)> {
    let CommonArgs {
        data_dir,
        database_url,
        migrate,
        schema_prefix,
        db_max_connections,
        db_acquire_timeout_ms,
        db_idle_timeout_ms,
        redis_url,
        cache_prefix,
        cache_ttl_secs,
        tenant,
        actor,
        scopes,
        audit_retention_days,
        log_format,
        log: _,
        llm_base_url,
        llm_api_key,
        llm_model,
    } = args;
    [
        ("PROMPTSALES_DATA_DIR", data_dir),
        ("DATABASE_URL", database_url),
        ("PROMPTSALES_MIGRATE", migrate),
        ("PROMPTSALES_SCHEMA_PREFIX", schema_prefix),
        ("PROMPTSALES_DB_MAX_CONNECTIONS", db_max_connections),
        ("PROMPTSALES_DB_ACQUIRE_TIMEOUT_MS", db_acquire_timeout_ms),
        ("PROMPTSALES_DB_IDLE_TIMEOUT_MS", db_idle_timeout_ms),
        ("REDIS_URL", redis_url),
        ("PROMPTSALES_CACHE_PREFIX", cache_prefix),
        ("PROMPTSALES_CACHE_TTL_SECS", cache_ttl_secs),
        ("PROMPTSALES_TENANT", tenant),
        ("PROMPTSALES_ACTOR", actor),
        ("PROMPTSALES_SCOPES", scopes),
        ("PROMPTSALES_AUDIT_RETENTION_DAYS", audit_retention_days),
        ("PROMPTSALES_LOG_FORMAT", log_format),
        ("PROMPTSALES_LLM_BASE_URL", llm_base_url),
        ("PROMPTSALES_LLM_API_KEY", llm_api_key),
        ("PROMPTSALES_LLM_MODEL", llm_model),
    ]
    .into_iter()
    .filter_map(|(var, v)| v.as_ref().map(|v| (var.to_owned(), v.clone())))
    .collect()
}

impl HubConfig {
    /// Spawned servers run as `actor` with exactly `scopes` — the local
    /// actor's resolved configuration, flags included — so a server never
    /// holds more than the person who started the command. (Calls as
    /// another identity, the approver at a gate, override both.)
    pub fn run_as<'a>(mut self, actor: &str, scopes: impl IntoIterator<Item = &'a String>) -> Self {
        let scopes = scopes
            .into_iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(",");
        for spec in &mut self.servers {
            spec.env
                .retain(|(k, _)| k != "PROMPTSALES_ACTOR" && k != "PROMPTSALES_SCOPES");
            spec.env
                .push(("PROMPTSALES_ACTOR".into(), actor.to_owned()));
            spec.env.push(("PROMPTSALES_SCOPES".into(), scopes.clone()));
        }
        self
    }

    /// From the environment: `PROMPTSALES_SERVERS` (which servers, default
    /// all four), `PROMPTSALES_<NAME>_URL` / `PROMPTSALES_<NAME>_TOKEN`
    /// (HTTP instead of stdio), `PROMPTSALES_SERVERS_DIR`,
    /// `PROMPTSALES_CALL_TIMEOUT_SECS` (default 60), `PROMPTSALES_TLS_CA`
    /// (extra trust roots for `https://` URLs).
    pub fn from_env() -> Result<Self, HubConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// [`HubConfig::from_env`] over any variable lookup (tests).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, HubConfigError> {
        let wanted: Option<Vec<String>> = get("PROMPTSALES_SERVERS")
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.split(',').map(|x| x.trim().to_owned()).collect());
        if let Some(w) = &wanted {
            for name in w {
                if !SERVERS.iter().any(|(n, _)| n == name) {
                    return Err(HubConfigError {
                        var: "PROMPTSALES_SERVERS".into(),
                        expected: "a comma-separated subset of content, ads, crm, analytics",
                        got: name.clone(),
                    });
                }
            }
        }
        let bin_dir = default_bin_dir(get);
        let mut servers = Vec::new();
        for (name, binary) in SERVERS {
            if let Some(w) = &wanted
                && !w.iter().any(|x| x == name)
            {
                continue;
            }
            let upper = name.to_uppercase();
            let url = get(&format!("PROMPTSALES_{upper}_URL")).filter(|u| !u.trim().is_empty());
            let endpoint = match url {
                Some(url) => {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(HubConfigError {
                            var: format!("PROMPTSALES_{upper}_URL"),
                            expected: "an http:// or https:// URL of the server's /mcp endpoint",
                            got: url,
                        });
                    }
                    Endpoint::Http {
                        url,
                        token: get(&format!("PROMPTSALES_{upper}_TOKEN"))
                            .filter(|t| !t.trim().is_empty()),
                    }
                }
                None => Endpoint::Stdio {
                    program: bin_dir.join(binary),
                    args: Vec::new(),
                },
            };
            servers.push(ServerSpec {
                name: (*name).to_owned(),
                endpoint,
                env: Vec::new(),
            });
        }
        let call_timeout = match get("PROMPTSALES_CALL_TIMEOUT_SECS").filter(|s| !s.is_empty()) {
            None => Duration::from_secs(60),
            Some(s) => s
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(Duration::from_secs)
                .ok_or(HubConfigError {
                    var: "PROMPTSALES_CALL_TIMEOUT_SECS".into(),
                    expected: "seconds from 1 to 3600",
                    got: s,
                })?,
        };
        let ca = get(CA_VAR)
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        Ok(Self {
            servers,
            call_timeout,
            max_restarts: 5,
            http: http_client(ca.as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_spawn_all_four_beside_the_binary_dir() {
        let c = HubConfig::from_lookup(&lookup(&[("PROMPTSALES_SERVERS_DIR", "/opt/ps")])).unwrap();
        assert_eq!(c.servers.len(), 4);
        assert_eq!(
            c.servers[2].endpoint,
            Endpoint::Stdio {
                program: PathBuf::from("/opt/ps/mcp-crm"),
                args: vec![]
            }
        );
        assert_eq!(c.call_timeout, Duration::from_secs(60));
    }

    #[test]
    fn http_url_and_token_per_server_and_subset() {
        let c = HubConfig::from_lookup(&lookup(&[
            ("PROMPTSALES_SERVERS", "ads, crm"),
            ("PROMPTSALES_ADS_URL", "https://ads.example.com/mcp"),
            ("PROMPTSALES_ADS_TOKEN", "tok"),
        ]))
        .unwrap();
        assert_eq!(c.servers.len(), 2);
        assert_eq!(
            c.servers[0].endpoint,
            Endpoint::Http {
                url: "https://ads.example.com/mcp".into(),
                token: Some("tok".into())
            }
        );
        assert!(matches!(c.servers[1].endpoint, Endpoint::Stdio { .. }));
    }

    #[test]
    fn given_configuration_is_forwarded_to_children_but_not_logging() {
        let args = CommonArgs {
            database_url: Some("sqlite://x.db".into()),
            tenant: Some("acme".into()),
            log: Some("debug".into()),
            ..CommonArgs::default()
        };
        assert_eq!(
            forwarded_env(&args),
            vec![
                ("DATABASE_URL".to_owned(), "sqlite://x.db".to_owned()),
                ("PROMPTSALES_TENANT".to_owned(), "acme".to_owned()),
            ]
        );
    }

    #[test]
    fn spawned_servers_run_as_the_local_actor_with_its_scopes() {
        let c = HubConfig::from_lookup(&lookup(&[]))
            .unwrap()
            .run_as("ana", &["ads:read".to_owned(), "crm:write".to_owned()]);
        for s in &c.servers {
            assert_eq!(
                s.env,
                vec![
                    ("PROMPTSALES_ACTOR".to_owned(), "ana".to_owned()),
                    (
                        "PROMPTSALES_SCOPES".to_owned(),
                        "ads:read,crm:write".to_owned()
                    ),
                ]
            );
        }
        // No scopes is an empty list, never "unset" (which would be the defaults).
        let c = HubConfig::from_lookup(&lookup(&[]))
            .unwrap()
            .run_as("bob", &[]);
        assert!(
            c.servers[0]
                .env
                .contains(&("PROMPTSALES_SCOPES".to_owned(), String::new()))
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e =
            HubConfig::from_lookup(&lookup(&[("PROMPTSALES_SERVERS", "crm,billing")])).unwrap_err();
        assert!(e.to_string().contains("PROMPTSALES_SERVERS"), "{e}");
        let e = HubConfig::from_lookup(&lookup(&[("PROMPTSALES_CRM_URL", "crm:80")])).unwrap_err();
        assert!(e.to_string().contains("PROMPTSALES_CRM_URL"), "{e}");
        let e =
            HubConfig::from_lookup(&lookup(&[("PROMPTSALES_CALL_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(e.to_string().contains("TIMEOUT"), "{e}");
        let e = HubConfig::from_lookup(&lookup(&[("PROMPTSALES_TLS_CA", "/nonexistent/ca.pem")]))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("PROMPTSALES_TLS_CA: expected a readable PEM file")
                && e.to_string().contains("/nonexistent/ca.pem"),
            "{e}"
        );
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "no certificate here\n").unwrap();
        let e = http_client(Some(&ca)).unwrap_err().to_string();
        assert!(
            e.starts_with("PROMPTSALES_TLS_CA:") && e.contains("no BEGIN CERTIFICATE"),
            "{e}"
        );
    }
}
