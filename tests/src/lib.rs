//! Harness for the cross-crate tests: finds the built binaries, prepares a
//! backend (SQLite in a temp dir, or PostgreSQL + Redis with a private schema
//! prefix), and starts servers over stdio or streamable HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rmcp::model::ProtocolVersion;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientLifecycleMode, RoleClient, serve_client_with_lifecycle};
use tempfile::TempDir;

/// The four MCP server binaries.
pub const SERVERS: &[&str] = &["mcp-ads", "mcp-crm", "mcp-content", "mcp-analytics"];

/// The workspace root (the `tests` package lives one level below it).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The package of each binary.
fn package_of(bin: &str) -> &str {
    match bin {
        "promptsales" => "orchestrator",
        other => other,
    }
}

/// Directories of the workspace packages `package` is built from (itself
/// and its path dependencies, transitively), from `cargo metadata`.
fn source_dirs(package: &str) -> Vec<PathBuf> {
    static META: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let meta = META.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(workspace_root())
            .output()
            .expect("cargo metadata");
        assert!(out.status.success(), "cargo metadata failed");
        serde_json::from_slice(&out.stdout).expect("cargo metadata JSON")
    });
    let packages = meta["packages"].as_array().expect("packages");
    let dir_of = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["manifest_path"].as_str())
            .map(|m| PathBuf::from(m).parent().unwrap().to_path_buf())
    };
    let mut todo = vec![package.to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    let mut dirs = Vec::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(p) = packages.iter().find(|p| p["name"] == name.as_str()) else {
            continue;
        };
        dirs.extend(dir_of(&name));
        for d in p["dependencies"].as_array().into_iter().flatten() {
            if d.get("path").is_some() && d["kind"].is_null() {
                todo.push(d["name"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    dirs
}

/// The newest modification time of the files a package's binary is built
/// from: `Cargo.toml`, `src/`, `migrations/` and `recipes/` of the package
/// and of its path dependencies.
fn newest_source(package: &str) -> Option<(std::time::SystemTime, PathBuf)> {
    fn walk(dir: &std::path::Path, best: &mut Option<(std::time::SystemTime, PathBuf)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, best);
            } else if let Ok(m) = e.metadata().and_then(|m| m.modified())
                && best.as_ref().is_none_or(|(t, _)| m > *t)
            {
                *best = Some((m, path));
            }
        }
    }
    let mut best = None;
    for dir in source_dirs(package) {
        let manifest = dir.join("Cargo.toml");
        if let Ok(m) = std::fs::metadata(&manifest).and_then(|m| m.modified())
            && best.as_ref().is_none_or(|(t, _)| m > *t)
        {
            best = Some((m, manifest));
        }
        for sub in ["src", "migrations", "recipes"] {
            walk(&dir.join(sub), &mut best);
        }
    }
    best
}

/// Directory holding the workspace's built binaries (next to the test's own
/// executable, which lives in `<target>/<profile>/deps`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .to_path_buf()
}

/// Path of a workspace binary; fails with the command that builds it when
/// it is missing or older than any of its sources (a test against a stale
/// binary proves nothing).
pub fn bin(name: &str) -> PathBuf {
    static CHECKED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests",
        p.display()
    );
    let mut checked = CHECKED.lock().unwrap();
    if !checked.iter().any(|c| c == name) {
        let built = std::fs::metadata(&p).and_then(|m| m.modified()).unwrap();
        if let Some((newest, file)) = newest_source(package_of(name)) {
            assert!(
                newest <= built,
                "{} is older than {}: run `cargo build --workspace --bins` before the tests",
                p.display(),
                file.display()
            );
        }
        checked.push(name.to_owned());
    }
    p
}

/// Which databases and cache a test runs against.
pub struct Backend {
    pub label: &'static str,
    pub vars: Vec<(String, String)>,
    pub schema_prefix: Option<String>,
    pub dir: TempDir,
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}{}_{}_{}_",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 100_000
    )
}

impl Backend {
    /// SQLite in a fresh directory, every context migrated.
    pub fn sqlite() -> Self {
        Self::sqlite_unmigrated().migrated()
    }

    /// SQLite in a fresh directory where nothing is migrated yet.
    pub fn sqlite_unmigrated() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Backend {
            label: "sqlite",
            vars: vec![(
                "PROMPTSALES_DATA_DIR".into(),
                dir.path().display().to_string(),
            )],
            schema_prefix: None,
            dir,
        }
    }

    /// Runs `promptsales migrate` on the backend, as a deployment's Job
    /// does before its servers start (servers that read other contexts
    /// refuse to start on an unmigrated one).
    pub fn migrated(self) -> Self {
        let mut cmd = std::process::Command::new(bin("promptsales"));
        for (k, _) in std::env::vars() {
            if k.starts_with("PROMPTSALES_") || k.ends_with("DATABASE_URL") || k == "REDIS_URL" {
                cmd.env_remove(k);
            }
        }
        let out = cmd
            .arg("migrate")
            .envs(self.vars.iter().cloned())
            .env("PROMPTSALES_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promptsales migrate on {}: {}",
            self.label,
            String::from_utf8_lossy(&out.stderr)
        );
        self
    }

    /// PostgreSQL + Redis from `TEST_DATABASE_URL` / `TEST_REDIS_URL`, with
    /// a private schema and cache prefix so tests run in parallel; every
    /// context migrated.
    pub fn postgres() -> Option<Self> {
        Self::postgres_unmigrated().map(Self::migrated)
    }

    /// [`Backend::postgres`] where nothing is migrated yet.
    pub fn postgres_unmigrated() -> Option<Self> {
        let url = std::env::var("TEST_DATABASE_URL").ok();
        let redis = std::env::var("TEST_REDIS_URL").ok();
        match (url, redis) {
            (Some(u), Some(r)) => Some(Self::postgres_at(u, r)),
            _ if std::env::var_os("CI").is_some() => {
                panic!("CI is set but TEST_DATABASE_URL / TEST_REDIS_URL are missing")
            }
            _ => {
                eprintln!("TEST_DATABASE_URL/TEST_REDIS_URL unset: PostgreSQL + Redis leg skipped");
                None
            }
        }
    }

    /// An unmigrated PostgreSQL + Redis backend on the given servers (a
    /// test's private PostgreSQL), with private schemas and cache prefix.
    pub fn postgres_at(url: String, redis: String) -> Self {
        let prefix = unique("t");
        let dir = tempfile::tempdir().unwrap();
        Backend {
            label: "postgres",
            vars: vec![
                (
                    "PROMPTSALES_DATA_DIR".into(),
                    dir.path().display().to_string(),
                ),
                ("DATABASE_URL".into(), url),
                ("PROMPTSALES_SCHEMA_PREFIX".into(), prefix.clone()),
                ("REDIS_URL".into(), redis),
                ("PROMPTSALES_CACHE_PREFIX".into(), prefix.clone()),
                // Tests run servers side by side; each holds a pool per
                // context it owns or reads. Small pools that let go of idle
                // connections within a second, and patience when the
                // server is full, keep two tests at once under PostgreSQL's
                // default 100 connections.
                ("PROMPTSALES_DB_MAX_CONNECTIONS".into(), "3".into()),
                ("PROMPTSALES_DB_IDLE_TIMEOUT_MS".into(), "1000".into()),
                ("PROMPTSALES_DB_ACQUIRE_TIMEOUT_MS".into(), "30000".into()),
                // mcp-crm refuses PostgreSQL without a key (no embedded default).
                (
                    "PROMPTSALES_ENCRYPTION_KEY".into(),
                    "8f4c2a9e1b7d3f6a0c5e9b2d4f8a1c3e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a".into(),
                ),
            ],
            schema_prefix: Some(prefix),
            dir,
        }
    }

    /// The same configuration as the binaries get, for in-process access
    /// to the databases (fixtures, SQL-level checks).
    pub fn common_args(&self) -> promptsales_shared::config::CommonArgs {
        let get = |k: &str| {
            self.vars
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        promptsales_shared::config::CommonArgs {
            data_dir: get("PROMPTSALES_DATA_DIR"),
            migrate: get("PROMPTSALES_MIGRATE"),
            database_url: get("DATABASE_URL"),
            schema_prefix: get("PROMPTSALES_SCHEMA_PREFIX"),
            redis_url: get("REDIS_URL"),
            cache_prefix: get("PROMPTSALES_CACHE_PREFIX"),
            db_max_connections: get("PROMPTSALES_DB_MAX_CONNECTIONS"),
            db_acquire_timeout_ms: get("PROMPTSALES_DB_ACQUIRE_TIMEOUT_MS"),
            db_idle_timeout_ms: get("PROMPTSALES_DB_IDLE_TIMEOUT_MS"),
            log: Some("warn".into()),
            ..Default::default()
        }
    }

    /// SQLite always; PostgreSQL + Redis when configured (required in CI);
    /// every context migrated.
    pub fn all() -> Vec<Self> {
        let mut v = vec![Self::sqlite()];
        v.extend(Self::postgres());
        v
    }

    /// [`Backend::all`] where nothing is migrated yet.
    pub fn all_unmigrated() -> Vec<Self> {
        let mut v = vec![Self::sqlite_unmigrated()];
        v.extend(Self::postgres_unmigrated());
        v
    }
}

impl Drop for Backend {
    /// Drops the test's PostgreSQL schemas (best effort: `.ci/run` also
    /// sweeps any left by an interrupted run).
    fn drop(&mut self) {
        let (Some(prefix), Some(url)) = (
            self.schema_prefix.as_ref(),
            self.vars
                .iter()
                .find(|(k, _)| k == "DATABASE_URL")
                .map(|(_, v)| v),
        ) else {
            return;
        };
        // The prefix is generated above from digits and '_'.
        let sql = format!(
            "DO $$ DECLARE s text; BEGIN \
               FOR s IN SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '{prefix}') \
               LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END $$"
        );
        let _ = std::process::Command::new("psql")
            .args(["-q", "-d", url, "-c", &sql])
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A command for a workspace binary with the backend's environment and
/// no inherited PromptSales variables.
pub fn command(name: &str, backend: &Backend) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin(name));
    for (k, _) in std::env::vars() {
        if k.starts_with("PROMPTSALES_") || k.ends_with("DATABASE_URL") || k == "REDIS_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(backend.vars.iter().cloned());
    cmd.env("PROMPTSALES_LOG", "warn");
    cmd
}

pub type Client = RunningService<RoleClient, ()>;

/// Calls a tool: `Ok(structuredContent)`, or `Err(error text)` for an
/// `isError` result; a protocol error or a success without structured
/// content fails the test.
pub async fn call_tool(
    client: &rmcp::service::Peer<RoleClient>,
    tool: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let r = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().cloned().unwrap_or_default()),
        )
        .await
        .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"));
    let text = r
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default();
    if r.is_error == Some(true) {
        Err(text)
    } else {
        Ok(r.structured_content
            .unwrap_or_else(|| panic!("{tool}: no structured content")))
    }
}

/// [`call_tool`] that must succeed: its structured content.
pub async fn tool_ok(
    client: &rmcp::service::Peer<RoleClient>,
    tool: &str,
    args: serde_json::Value,
) -> serde_json::Value {
    call_tool(client, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool}({args}): {e}"))
}

/// [`call_tool`] that must be refused: the error text.
pub async fn tool_err(
    client: &rmcp::service::Peer<RoleClient>,
    tool: &str,
    args: serde_json::Value,
) -> String {
    match call_tool(client, tool, args.clone()).await {
        Err(e) => e,
        Ok(v) => panic!("{tool}({args}) should fail, got {v}"),
    }
}

/// Which protocol era a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `initialize` handshake (2025 and earlier).
    Initialize,
    /// 2026-07-28 `server/discover`, stateless requests.
    Stateless,
}

impl Era {
    pub const ALL: [Era; 2] = [Era::Initialize, Era::Stateless];
    fn mode(self) -> ClientLifecycleMode {
        match self {
            Era::Initialize => ClientLifecycleMode::Initialize,
            Era::Stateless => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        }
    }
}

/// Spawns a server over stdio and connects a real rmcp client to it.
pub async fn stdio_client(name: &str, backend: &Backend, args: &[&str], era: Era) -> Client {
    stdio_client_env(name, backend, args, &[], era).await
}

/// [`stdio_client`] with extra environment variables (actor, scopes,
/// connector URLs…).
pub async fn stdio_client_env(
    name: &str,
    backend: &Backend,
    args: &[&str],
    envs: &[(&str, &str)],
    era: Era,
) -> Client {
    let cmd = command(name, backend).configure(|c| {
        c.args(args);
        c.envs(envs.iter().copied());
    });
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    serve_client_with_lifecycle((), transport, era.mode())
        .await
        .unwrap_or_else(|e| panic!("{name} over stdio ({era:?}): {e}"))
}

/// A real rmcp client of the streamable HTTP endpoint `url` (a server or
/// a load balancer in front of several).
pub async fn http_client(url: &str, era: Era) -> Result<Client, String> {
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    serve_client_with_lifecycle((), transport, era.mode())
        .await
        .map_err(|e| e.to_string())
}

/// A loopback TCP port free at the time of the call.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Waits until `{base}/healthz` answers 200 through `http` (30 s at most).
pub async fn wait_healthy(http: &reqwest::Client, base: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not answer {base}/healthz in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A server running over streamable HTTP on a free loopback port.
pub struct HttpServer {
    pub child: tokio::process::Child,
    pub base: String,
}

impl HttpServer {
    pub async fn start(name: &str, backend: &Backend, args: &[&str]) -> Self {
        Self::start_env(name, backend, args, &[]).await
    }

    /// [`HttpServer::start`] with extra environment variables.
    pub async fn start_env(
        name: &str,
        backend: &Backend,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Self {
        Self::start_logged(name, backend, args, envs, Stdio::inherit()).await
    }

    /// [`HttpServer::start_env`] writing the server's log (stderr) to `stderr`.
    pub async fn start_logged(
        name: &str,
        backend: &Backend,
        args: &[&str],
        envs: &[(&str, &str)],
        stderr: Stdio,
    ) -> Self {
        Self::start_at(name, backend, args, envs, stderr, free_port()).await
    }

    /// [`HttpServer::start_logged`] on a given loopback port (a replica
    /// restarted where its load balancer expects it).
    pub async fn start_at(
        name: &str,
        backend: &Backend,
        args: &[&str],
        envs: &[(&str, &str)],
        stderr: Stdio,
        port: u16,
    ) -> Self {
        let bind = format!("127.0.0.1:{port}");
        let mut cmd = command(name, backend);
        // A subcommand (`promptsales mcp`) comes before the launcher flags.
        let sub = args.iter().take_while(|a| !a.starts_with('-')).count();
        cmd.args(&args[..sub])
            .args(["--transport", "http", "--bind", &bind])
            .args(&args[sub..])
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true);
        let child = cmd.spawn().unwrap();
        let base = format!("http://{bind}");
        wait_healthy(&reqwest::Client::new(), &base, name).await;
        HttpServer { child, base }
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    pub async fn client(&self, era: Era) -> Client {
        http_client(&self.mcp_url(), era)
            .await
            .unwrap_or_else(|e| panic!("HTTP client ({era:?}): {e}"))
    }

    /// A client sending `Authorization: Bearer <token>` on every request.
    pub async fn client_with_token(&self, era: Era, token: &str) -> Client {
        let config = StreamableHttpClientTransportConfig::with_uri(self.mcp_url())
            .auth_header(token.to_owned());
        let transport = StreamableHttpClientTransport::from_config(config);
        serve_client_with_lifecycle((), transport, era.mode())
            .await
            .unwrap_or_else(|e| panic!("HTTP client with token ({era:?}): {e}"))
    }

    /// Sends SIGTERM and returns the exit status (within 15 s).
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("server did not stop within 15 s of SIGTERM")
            .unwrap()
    }
}

/// Bearer tokens as the deployment's authorization server would mint them:
/// servers started with [`tokens::env`] accept tokens from [`tokens::mint`].
pub mod tokens {
    use promptsales_server::auth::{Mint, mint_hs256};

    pub const SECRET: &str = "test-secret-test-secret-test-secret!";
    pub const ISSUER: &str = "https://auth.promptsales.test";
    /// The resource every test server is told it is (`aud`).
    pub const AUDIENCE: &str = "https://mcp.promptsales.test/mcp";

    /// Environment turning bearer-token authentication on.
    pub fn env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("PROMPTSALES_JWT_SECRET", SECRET),
            ("PROMPTSALES_JWT_ISSUER", ISSUER),
            ("PROMPTSALES_JWT_AUDIENCE", AUDIENCE),
        ]
    }

    /// A valid token for `subject` in `tenant` with `scopes`, for 10 minutes.
    pub fn mint(subject: &str, tenant: &str, scopes: &[&str]) -> String {
        mint_with(Mint {
            issuer: ISSUER,
            audience: AUDIENCE,
            subject,
            tenant: Some(tenant),
            scopes,
            ttl_secs: 600,
        })
    }

    /// A token with any claims (expired, foreign issuer, no tenant…).
    pub fn mint_with(m: Mint<'_>) -> String {
        mint_hs256(SECRET, &m).expect("sign a test token")
    }
}

/// The `X-Hub-Signature-256` value Meta sends with a webhook delivery:
/// `sha256=` and the hex HMAC-SHA256 of the body under the app secret.
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, app_secret.as_bytes());
    format!(
        "sha256={}",
        hex::encode(aws_lc_rs::hmac::sign(&key, body).as_ref())
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn meta_signatures_are_rfc_4231_hmacs() {
        // RFC 4231 test case 2, in Meta's header form.
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"Jefe");
        let tag = aws_lc_rs::hmac::sign(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag.as_ref()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(super::meta_signature("Jefe", b"x").starts_with("sha256="));
    }
}
