//! The one launcher every server binary calls: stdio or streamable HTTP
//! (both protocol eras), `--read-only`, `--toolsets`, health and readiness
//! probes, DNS-rebinding protection, body limits, TCP_NODELAY, graceful
//! shutdown, and an audit row for every tool call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use rmcp::handler::server::tool::ToolRouter;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, ServiceExt};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use promptsales_shared::cache::Cache;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;

use crate::args::sanitize_schema;
pub use crate::audit::Auditor;
use crate::auth::{AuthSettings, Gate, TokenVerifier};
pub use crate::call::{ToolServer, call_tool_audited, error_result};
use crate::call::{declared_scope, tool_scopes};

/// Transport selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    Stdio,
    Http,
}

/// Launcher flags shared by every server binary.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// `stdio` for local clients, `http` for streamable HTTP.
    #[arg(
        long,
        value_enum,
        default_value = "stdio",
        env = "PROMPTSALES_TRANSPORT"
    )]
    pub transport: Transport,
    /// Address to listen on in HTTP mode.
    #[arg(long, default_value = "127.0.0.1:8080", env = "PROMPTSALES_BIND")]
    pub bind: SocketAddr,
    /// Only list and allow tools annotated read-only.
    #[arg(long, env = "PROMPTSALES_READ_ONLY")]
    pub read_only: bool,
    /// Comma-separated toolsets to expose (default: all).
    #[arg(long, value_delimiter = ',', env = "PROMPTSALES_TOOLSETS")]
    pub toolsets: Vec<String>,
    /// Allowed `Host` values (DNS-rebinding protection); default loopback.
    #[arg(long, value_delimiter = ',', env = "PROMPTSALES_ALLOWED_HOSTS")]
    pub allowed_hosts: Vec<String>,
    /// Allowed browser `Origin`s (e.g. `https://app.example.com:443`);
    /// default loopback only. Requests without an Origin are accepted.
    #[arg(long, value_delimiter = ',', env = "PROMPTSALES_ALLOWED_ORIGINS")]
    pub allowed_origins: Vec<String>,
    /// Maximum request body in bytes.
    #[arg(long, default_value_t = 1_048_576, env = "PROMPTSALES_MAX_BODY_BYTES")]
    pub max_body_bytes: usize,
    /// HS256 secret of bearer tokens (≥ 32 bytes); turns OAuth on for HTTP.
    #[arg(long, env = "PROMPTSALES_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// PEM public key (RSA or EC) of RS256/ES256 bearer tokens; turns OAuth on.
    #[arg(long, env = "PROMPTSALES_JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<std::path::PathBuf>,
    /// Required `iss` of bearer tokens (required with authentication on).
    #[arg(long, env = "PROMPTSALES_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required `aud` of bearer tokens (default: `--public-url`; one of the
    /// two is required with authentication on).
    #[arg(long, env = "PROMPTSALES_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Public URL of this server, advertised as the OAuth protected resource.
    #[arg(long, env = "PROMPTSALES_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Authorization servers advertised to clients (comma-separated URLs).
    #[arg(long, value_delimiter = ',', env = "PROMPTSALES_AUTHORIZATION_SERVERS")]
    pub authorization_servers: Vec<String>,
    /// Serve HTTP without authentication on a non-loopback address.
    #[arg(long, env = "PROMPTSALES_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,
    /// PEM certificate chain (leaf first): with `--tls-key`, HTTP mode
    /// serves HTTPS, TLS 1.3 only.
    #[arg(long, env = "PROMPTSALES_TLS_CERT")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "PROMPTSALES_TLS_KEY")]
    pub tls_key: Option<std::path::PathBuf>,
    /// On SIGTERM, how long `/readyz` answers 503 `draining` while the
    /// server still serves, so the load balancer stops sending it new
    /// calls before its listener closes (HTTP only).
    #[arg(long, default_value_t = 0, env = "PROMPTSALES_DRAIN_DELAY_MS")]
    pub drain_delay_ms: u64,
}

impl ServeArgs {
    /// Token settings from the flags (reads the public key file).
    pub fn auth_settings(&self) -> Result<AuthSettings, ServeError> {
        let public_key_pem = match &self.jwt_public_key_file {
            None => None,
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                ServeError::Auth(format!(
                    "PROMPTSALES_JWT_PUBLIC_KEY_FILE: cannot read {}: {e}",
                    path.display()
                ))
            })?),
        };
        Ok(AuthSettings {
            hs256_secret: self.jwt_secret.clone().filter(|s| !s.is_empty()),
            public_key_pem,
            issuer: self.jwt_issuer.clone(),
            // The audience tokens must carry: configured, else this server's
            // public URL (its canonical resource URI, RFC 8707).
            audience: self
                .jwt_audience
                .clone()
                .or_else(|| self.public_url.clone()),
            resource_url: self.public_url.clone().or_else(|| {
                let scheme = if self.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                Some(format!("{scheme}://{}", self.bind))
            }),
            authorization_servers: self.authorization_servers.clone(),
        })
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            transport: Transport::Stdio,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            read_only: false,
            toolsets: Vec::new(),
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_body_bytes: 1_048_576,
            jwt_secret: None,
            jwt_public_key_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            public_url: None,
            authorization_servers: Vec::new(),
            allow_unauthenticated: false,
            tls_cert: None,
            tls_key: None,
            drain_delay_ms: 0,
        }
    }
}

/// A named group of a server's tools: one `#[tool_router]` block, in its
/// own file. The toolsets a server lists are the only place its tools are
/// named, so `--toolsets` and the router cannot disagree.
pub struct Toolset<S> {
    pub name: &'static str,
    pub description: &'static str,
    pub router: ToolRouter<S>,
}

impl<S> Toolset<S> {
    pub fn new(name: &'static str, description: &'static str, router: ToolRouter<S>) -> Self {
        Self {
            name,
            description,
            router,
        }
    }

    /// The names of this toolset's tools, sorted.
    pub fn tool_names(&self) -> Vec<String>
    where
        S: Send + Sync + 'static,
    {
        let mut v: Vec<String> = self
            .router
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        v.sort();
        v
    }
}

/// Errors of the launcher.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("unknown toolset {name:?}: this server has {available}")]
    UnknownToolset { name: String, available: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("MCP session failed: {0}")]
    Session(String),
    #[error("{0}")]
    Auth(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("tool {0:?} declares no scope (a bug in the server: add `meta = needs(Scope::…)`)")]
    UnscopedTool(String),
}

/// The router of the tools the flags allow: those of the selected toolsets
/// (all when none is selected) and, with `read_only`, only those annotated
/// `readOnlyHint: true` whose declared scope only reads (so a read-only
/// server lists nothing that exports personal data or administers).
/// Every tool must declare its scope. Published schemas keep to formats
/// clients know.
pub fn select_tools<S>(
    toolsets: Vec<Toolset<S>>,
    selected: &[String],
    read_only: bool,
) -> Result<ToolRouter<S>, ServeError>
where
    S: Send + Sync + 'static,
{
    for name in selected {
        if !toolsets.iter().any(|t| t.name == name) {
            return Err(ServeError::UnknownToolset {
                name: name.clone(),
                available: toolsets
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    for set in &toolsets {
        if let Some(t) = set
            .router
            .list_all()
            .into_iter()
            .find(|t| declared_scope(t).is_none())
        {
            return Err(ServeError::UnscopedTool(t.name.to_string()));
        }
    }
    let mut router = ToolRouter::new();
    for set in toolsets {
        if selected.is_empty() || selected.iter().any(|s| s == set.name) {
            router.merge(set.router);
        }
    }
    for route in router.map.values_mut() {
        let tool = &mut route.attr;
        sanitize_schema(std::sync::Arc::make_mut(&mut tool.input_schema));
        if let Some(out) = tool.output_schema.as_mut() {
            sanitize_schema(std::sync::Arc::make_mut(out));
        }
    }
    if read_only {
        for tool in router.list_all() {
            let read_only_tool = tool
                .annotations
                .as_ref()
                .and_then(|a| a.read_only_hint)
                .unwrap_or(false)
                && declared_scope(&tool).is_some_and(|s| s.is_read());
            if !read_only_tool {
                router.remove_route(&tool.name);
            }
        }
    }
    Ok(router)
}

/// Dependencies `/readyz` checks.
#[derive(Clone, Default)]
pub struct Readiness {
    pub dbs: Vec<Db>,
    pub cache: Option<Cache>,
    /// Set on SIGTERM: `/readyz` answers 503 from then on.
    pub draining: Arc<AtomicBool>,
}

impl Readiness {
    async fn report(&self) -> (bool, serde_json::Value) {
        if self.draining.load(Ordering::Relaxed) {
            return (false, json!({ "ready": false, "draining": true }));
        }
        let mut ok = true;
        let mut dbs = serde_json::Map::new();
        for db in &self.dbs {
            let up = db.ping().await;
            ok &= up;
            dbs.insert(
                db.context().to_owned(),
                json!(if up { "ok" } else { "unreachable" }),
            );
        }
        let cache = match &self.cache {
            Some(c) => {
                let up = c.ping().await;
                ok &= up;
                json!({ "backend": c.backend_name(), "status": if up { "ok" } else { "unreachable" }, "stats": c.stats() })
            }
            None => json!(null),
        };
        (ok, json!({ "ready": ok, "databases": dbs, "cache": cache }))
    }
}

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// How long a draining server waits for calls in flight before it
/// cancels its sessions anyway.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(10);

/// Resolves when the listener should close: on SIGINT/SIGTERM `/readyz`
/// turns 503 at once, the server keeps serving for `delay` (the load
/// balancer's health checks see it and send new calls elsewhere), then the
/// listener closes. The MCP sessions are cancelled only once no call is in
/// flight (at most [`IN_FLIGHT_GRACE`] later): cancelling earlier cuts a
/// stateless call short with an empty response.
async fn drain(draining: Arc<AtomicBool>, delay: Duration, cancel: CancellationToken) {
    shutdown_signal().await;
    draining.store(true, Ordering::Relaxed);
    tracing::info!(
        delay_ms = delay.as_millis() as u64,
        "signal received: draining (readyz answers 503)"
    );
    tokio::time::sleep(delay).await;
    tracing::info!("closing the listener; finishing the calls in flight");
    tokio::spawn(async move {
        let until = tokio::time::Instant::now() + IN_FLIGHT_GRACE;
        while crate::metrics::global().requests_in_flight() > 0
            && tokio::time::Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        cancel.cancel();
    });
}

/// Origins accepted when `--allowed-origins` is not given.
const LOOPBACK_ORIGINS: &[&str] = &["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// Builds the axum app serving MCP at `/mcp` (behind bearer-token
/// verification when `verifier` is set) plus `/healthz`, `/readyz`, the
/// OAuth protected-resource metadata and the server's `extra` routes.
pub fn http_app<S, F>(
    args: &ServeArgs,
    readiness: Readiness,
    cancel: CancellationToken,
    auth: Option<(Gate, AuthSettings)>,
    extra: Router,
    factory: F,
) -> Router
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let mut config = StreamableHttpServerConfig::default()
        // 2026-07-28 requests are always stateless; older clients keep
        // their `initialize` sessions.
        .with_legacy_session_mode(true)
        .with_json_response(true)
        .with_max_request_body_bytes(args.max_body_bytes)
        .with_cancellation_token(cancel);
    if !args.allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(args.allowed_hosts.clone());
    }
    // Browsers on loopback pages may call a local server; any other Origin
    // must be listed explicitly.
    let origins = if args.allowed_origins.is_empty() {
        LOOPBACK_ORIGINS.iter().map(|o| (*o).to_owned()).collect()
    } else {
        args.allowed_origins.clone()
    };
    config = config
        .with_allowed_origins(origins)
        .enforce_origin_validation();
    let mcp = StreamableHttpService::new(
        move || Ok(factory()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let mut mcp_routes = Router::new()
        .nest_service("/mcp", mcp)
        .layer(axum::middleware::from_fn(crate::metrics::track_in_flight));
    let mut app = Router::new();
    if let Some((gate, settings)) = auth {
        mcp_routes = mcp_routes.layer(axum::middleware::from_fn_with_state(
            gate,
            crate::auth::require_bearer,
        ));
        let metadata = crate::auth::resource_metadata(&settings);
        let serve_metadata = move || {
            let m = metadata.clone();
            async move { axum::Json(m) }
        };
        app = app
            .route(
                "/.well-known/oauth-protected-resource",
                get(serve_metadata.clone()),
            )
            .route(
                "/.well-known/oauth-protected-resource/mcp",
                get(serve_metadata),
            );
    }
    crate::metrics::global().watch(&readiness.dbs, readiness.cache.as_ref());
    app.route("/healthz", get(|| async { "ok" }))
        // Outside the bearer middleware: see `metrics` for why that is safe.
        .route("/metrics", get(crate::metrics::serve))
        .route(
            "/readyz",
            get(|State(r): State<Readiness>| async move {
                let (ok, body) = r.report().await;
                let code = if ok {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                (code, axum::Json(body)).into_response()
            }),
        )
        .with_state(readiness)
        .merge(mcp_routes)
        .merge(extra)
}

/// Runs a server until its client leaves (stdio) or a signal arrives.
pub async fn run<S, F>(
    name: &'static str,
    args: &ServeArgs,
    readiness: Readiness,
    auditor: Option<Auditor>,
    factory: F,
) -> Result<(), ServeError>
where
    S: ToolServer,
    F: Fn() -> S + Send + Sync + 'static,
{
    run_with_routes(name, args, readiness, auditor, factory, Router::new()).await
}

/// [`run`] with extra HTTP routes beside `/mcp` (webhooks); they are not
/// behind bearer-token auth and must authenticate their callers themselves.
pub async fn run_with_routes<S, F>(
    name: &'static str,
    args: &ServeArgs,
    readiness: Readiness,
    auditor: Option<Auditor>,
    factory: F,
    extra: Router,
) -> Result<(), ServeError>
where
    S: ToolServer,
    F: Fn() -> S + Send + Sync + 'static,
{
    match args.transport {
        Transport::Stdio => {
            tracing::info!(server = name, "serving MCP over stdio");
            let running = factory()
                .serve(rmcp::transport::stdio())
                .await
                .map_err(|e| ServeError::Session(e.to_string()))?;
            let token = running.cancellation_token();
            tokio::select! {
                r = running.waiting() => {
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "stdio session ended abnormally");
                    }
                }
                _ = shutdown_signal() => {
                    tracing::info!("signal received: closing the stdio session");
                    token.cancel();
                }
            }
        }
        Transport::Http => {
            // The runtime's tenant: tokens for another tenant are refused.
            let tenant = auditor
                .as_ref()
                .map(|a| a.local().tenant.clone())
                .unwrap_or_else(|| TenantId::from_trusted("default".into()));
            let tls = crate::tls::server_config(args.tls_cert.as_deref(), args.tls_key.as_deref())?;
            let settings = args.auth_settings()?;
            let verifier =
                TokenVerifier::from_settings(&settings, tenant).map_err(ServeError::Auth)?;
            if verifier.is_none() && !args.bind.ip().is_loopback() && !args.allow_unauthenticated {
                return Err(ServeError::Auth(format!(
                    "refusing to serve MCP on {} without authentication: set \
                     PROMPTSALES_JWT_SECRET or PROMPTSALES_JWT_PUBLIC_KEY_FILE, or pass \
                     --allow-unauthenticated behind a gateway that authenticates",
                    args.bind
                )));
            }
            if verifier.is_some() {
                tracing::info!(server = name, "bearer-token authentication on /mcp");
            }
            // The scope each tool declares, to refuse a call before dispatch.
            let tool_scopes = Arc::new(tool_scopes(factory().tools()));
            let auth = verifier.map(|v| {
                (
                    Gate {
                        verifier: Arc::new(v),
                        tool_scopes,
                    },
                    settings,
                )
            });
            let cancel = CancellationToken::new();
            let draining = readiness.draining.clone();
            let app = http_app(args, readiness, cancel.child_token(), auth, extra, factory);
            let listener = tokio::net::TcpListener::bind(args.bind)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: args.bind,
                    source,
                })?;
            let local = listener.local_addr().unwrap_or(args.bind);
            let shutdown = drain(draining, Duration::from_millis(args.drain_delay_ms), cancel);
            if let Some(tls) = tls {
                tracing::info!(server = name, addr = %local, "serving MCP over streamable HTTPS (TLS 1.3) at /mcp");
                let listener = crate::tls::TlsListener::new(listener, tls)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await?;
            } else {
                let listener = listener
                    // Without TCP_NODELAY Nagle's algorithm delays small JSON
                    // responses by ~40 ms against delayed-ACK clients.
                    .tap_io(|tcp| {
                        if let Err(e) = tcp.set_nodelay(true) {
                            tracing::debug!(error = %e, "set_nodelay failed");
                        }
                    });
                tracing::info!(server = name, addr = %local, "serving MCP over streamable HTTP at /mcp");
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await?;
            }
        }
    }
    if let Some(a) = auditor {
        // Bounded: a stuck database must not hold the process forever.
        let _ = tokio::time::timeout(Duration::from_secs(5), a.flush()).await;
    }
    // Blocking (the exporter's own thread), bounded by its export timeout.
    let _ = tokio::task::spawn_blocking(crate::telemetry::shutdown).await;
    tracing::info!(server = name, "stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use promptsales_shared::scope::Scope;
    use rmcp::service::RequestContext;
    use rmcp::{RoleServer, tool, tool_router};

    use super::*;
    use crate::auth::Principal;
    use crate::call::needs;

    #[derive(Clone)]
    struct Dummy;

    #[tool_router(router = set_a)]
    impl Dummy {
        #[tool(description = "reads", meta = needs(Scope::AdsRead), annotations(read_only_hint = true))]
        async fn look(&self) -> String {
            "seen".into()
        }
        #[tool(description = "writes", meta = needs(Scope::AdsWrite), annotations(read_only_hint = false))]
        async fn touch(&self) -> String {
            "done".into()
        }
        /// Tools see their caller through the request context.
        #[tool(description = "who", meta = needs(Scope::AdsRead), annotations(read_only_hint = true))]
        async fn whoami(&self, context: RequestContext<RoleServer>) -> String {
            let local = Principal::new(
                "local",
                TenantId::from_trusted("t".into()),
                Vec::<String>::new(),
            );
            Principal::of(&context, &local).subject
        }
    }

    #[tool_router(router = set_b)]
    impl Dummy {
        #[tool(description = "unannotated", meta = needs(Scope::CrmRead))]
        async fn other(&self) -> String {
            "?".into()
        }
    }

    fn sets() -> Vec<Toolset<Dummy>> {
        vec![
            Toolset::new("a", "", Dummy::set_a()),
            Toolset::new("b", "", Dummy::set_b()),
        ]
    }

    fn names(r: &ToolRouter<Dummy>) -> Vec<String> {
        let mut v: Vec<String> = r
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn toolsets_and_read_only_select_the_tools() {
        let all = select_tools(sets(), &[], false).unwrap();
        assert_eq!(names(&all), ["look", "other", "touch", "whoami"]);
        let a = select_tools(sets(), &["a".into()], false).unwrap();
        assert_eq!(names(&a), ["look", "touch", "whoami"]);
        let ro = select_tools(sets(), &[], true).unwrap();
        assert_eq!(
            names(&ro),
            ["look", "whoami"],
            "unannotated tools are not read-only"
        );
        let b_ro = select_tools(sets(), &["b".into()], true).unwrap();
        assert!(names(&b_ro).is_empty());
        assert_eq!(sets()[0].tool_names(), ["look", "touch", "whoami"]);
    }

    #[derive(Clone)]
    struct Loose;

    #[tool_router(router = loose_tools)]
    impl Loose {
        #[tool(description = "no scope", annotations(read_only_hint = true))]
        async fn anything(&self) -> String {
            "!".into()
        }
        #[tool(description = "exports", meta = needs(Scope::CrmGdpr), annotations(read_only_hint = true))]
        async fn export(&self) -> String {
            "!".into()
        }
    }

    #[test]
    fn every_tool_declares_a_scope_and_read_only_lists_only_reads() {
        let e = select_tools(
            vec![Toolset::new("x", "", Loose::loose_tools())],
            &[],
            false,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("anything") && e.contains("scope"), "{e}");
        let mut r = Loose::loose_tools();
        r.remove_route("anything");
        let ro = select_tools(vec![Toolset::new("x", "", r)], &[], true).unwrap();
        assert!(
            ro.list_all().is_empty(),
            "a read-only tool that needs crm:gdpr is not listed under --read-only"
        );
    }

    #[test]
    fn an_unknown_toolset_names_the_available_ones() {
        let e = select_tools(sets(), &["zzz".into()], false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("zzz") && e.contains("a, b"), "{e}");
    }
}
