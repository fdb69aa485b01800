//! Where each MCP server is: a binary spawned over stdio, or a streamable HTTP URL with a bearer token.

use std::path::PathBuf;
use std::time::Duration;

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

impl HubConfig {
    /// From the environment: `PROMPTSALES_SERVERS` (which servers, default
    /// all four), `PROMPTSALES_<NAME>_URL` / `PROMPTSALES_<NAME>_TOKEN`
    /// (HTTP instead of stdio), `PROMPTSALES_SERVERS_DIR`,
    /// `PROMPTSALES_CALL_TIMEOUT_SECS` (default 60).
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
        Ok(Self {
            servers,
            call_timeout,
            max_restarts: 5,
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
    fn bad_values_name_the_variable() {
        let e =
            HubConfig::from_lookup(&lookup(&[("PROMPTSALES_SERVERS", "crm,billing")])).unwrap_err();
        assert!(e.to_string().contains("PROMPTSALES_SERVERS"), "{e}");
        let e = HubConfig::from_lookup(&lookup(&[("PROMPTSALES_CRM_URL", "crm:80")])).unwrap_err();
        assert!(e.to_string().contains("PROMPTSALES_CRM_URL"), "{e}");
        let e =
            HubConfig::from_lookup(&lookup(&[("PROMPTSALES_CALL_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(e.to_string().contains("TIMEOUT"), "{e}");
    }
}
