//! The MCP client layer: one connection per server (a spawned child over stdio or streamable HTTP), discovery, namespaced tools, bounded and cancellable calls, restarts after a crash.

pub mod config;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use promptsales_shared::scope::Scope;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientLifecycleMode, RoleClient, ServiceError, serve_client_with_lifecycle};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use config::{Endpoint, HubConfig, SERVERS, ServerSpec};

type Session = RunningService<RoleClient, ()>;

/// A discovered tool, under its namespaced name (`crm.register_lead`).
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub qualified: String,
    pub server: String,
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    pub read_only: bool,
    pub idempotent: bool,
    pub destructive: bool,
    /// The scope the tool declares (`_meta["promptsales/scope"]`).
    pub scope: Option<Scope>,
}

impl ToolInfo {
    fn from_tool(server: &str, t: &Tool) -> Self {
        let a = t.annotations.as_ref();
        Self {
            qualified: format!("{server}.{}", t.name),
            server: server.to_owned(),
            name: t.name.to_string(),
            description: t.description.as_deref().unwrap_or("").to_owned(),
            input_schema: Value::Object((*t.input_schema).clone()),
            read_only: a.and_then(|a| a.read_only_hint).unwrap_or(false),
            idempotent: a.and_then(|a| a.idempotent_hint).unwrap_or(false),
            destructive: a.and_then(|a| a.destructive_hint).unwrap_or(true),
            scope: promptsales_server::call::declared_scope(t),
        }
    }

    /// Why the agent must ask the person before calling this tool, if it
    /// must: it needs a privileged scope (spends, sends, approves, erases,
    /// administers), is annotated destructive, or declares no scope at all
    /// and may write (nothing to judge it by).
    pub fn consequence(&self) -> Option<String> {
        match self.scope {
            Some(s) if s.is_privileged() => Some(format!("it needs the privileged `{s}` scope")),
            _ if self.destructive && !self.read_only => {
                Some("it is annotated destructive (it changes or removes data)".into())
            }
            None if !self.read_only => Some("it declares no scope and may change data".into()),
            _ => None,
        }
    }

    /// True when the tool declares an `idempotency_key` argument.
    pub fn accepts_idempotency_key(&self) -> bool {
        self.input_schema
            .pointer("/properties/idempotency_key")
            .is_some()
    }
}

/// What a server exposes besides tools (names only, for listings).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Surface {
    pub tools: Vec<ToolInfo>,
    pub resources: Vec<String>,
    pub resource_templates: Vec<String>,
    pub prompts: Vec<String>,
}

/// Who a call runs as: the hub's own identity, or a person's (an approver)
/// for the calls only they may make.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Identity {
    pub actor: String,
    pub scopes: Vec<String>,
}

/// Why a tool call gave no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("unknown tool `{tool}`: {hint}")]
    UnknownTool { tool: String, hint: String },
    #[error("server `{server}` is unavailable: {reason}")]
    Unavailable { server: String, reason: String },
    #[error("`{tool}` timed out after {secs} s")]
    Timeout { tool: String, secs: u64 },
    #[error("`{tool}` was cancelled")]
    Cancelled { tool: String },
    /// The tool ran and answered `isError` (bad input, refused, conflict).
    #[error("`{tool}` failed: {message}")]
    Tool { tool: String, message: String },
}

impl CallError {
    /// Worth retrying: the server, not the request, was the problem.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Unavailable { .. } | CallError::Timeout { .. } => true,
            CallError::Tool { message, .. } => message.contains("temporarily unavailable"),
            _ => false,
        }
    }
}

/// Per-call options.
#[derive(Debug, Clone, Default)]
pub struct CallOpts {
    /// Run as this identity instead of the hub's own.
    pub identity: Option<Identity>,
    /// Overrides the hub's default timeout.
    pub timeout: Option<Duration>,
    /// Cancels the call when triggered.
    pub cancel: Option<CancellationToken>,
}

/// Anything that can run namespaced tools: the [`Hub`], or a fake in tests.
pub trait Tools: Send + Sync {
    /// Every tool, namespaced.
    fn tools(&self) -> Vec<ToolInfo>;
    /// Calls `qualified` with `args` (a JSON object).
    fn call<'a>(
        &'a self,
        qualified: &'a str,
        args: Value,
        opts: CallOpts,
    ) -> BoxFuture<'a, Result<Value, CallError>>;

    fn tool(&self, qualified: &str) -> Option<ToolInfo> {
        self.tools().into_iter().find(|t| t.qualified == qualified)
    }

    /// Lets go of what was opened to act as other people (an approver, a
    /// run's starter) and is not needed now — all but `keep`; the tools'
    /// own connections stay.
    fn release_identities<'a>(&'a self, keep: Option<&'a Identity>) -> BoxFuture<'a, ()> {
        let _ = keep;
        Box::pin(async {})
    }
}

/// The result a tool returned: its structured content, else its text
/// (parsed as JSON when it is JSON).
pub fn result_value(r: &CallToolResult) -> Value {
    if let Some(v) = &r.structured_content {
        return v.clone();
    }
    let text: Vec<&str> = r
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect();
    let joined = text.join("\n");
    serde_json::from_str(&joined).unwrap_or(Value::String(joined))
}

fn error_text(r: &CallToolResult) -> String {
    let text: Vec<&str> = r
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect();
    if text.is_empty() {
        r.structured_content
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_else(|| "no details".into())
    } else {
        text.join("\n")
    }
}

/// One live connection to a server under one identity.
struct Conn {
    spec: ServerSpec,
    /// The client of an HTTP endpoint (the hub's trust roots).
    http: reqwest::Client,
    identity: Option<Identity>,
    session: Mutex<Option<Session>>,
    pid: AtomicU32,
    restarts: AtomicU32,
    /// Calls under way on this connection.
    busy: AtomicU32,
}

impl Conn {
    async fn open(&self) -> Result<Session, String> {
        match &self.spec.endpoint {
            Endpoint::Stdio { program, args } => {
                // Reasons end up in run records MCP clients read: they name
                // the binary, the log has its path.
                let binary = program
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| self.spec.name.clone());
                if !program.exists() {
                    tracing::warn!(server = %self.spec.name, path = %program.display(), "server binary missing");
                    return Err(format!(
                        "{binary} does not exist in the servers directory: build it (`cargo build \
                         --bins`) or set PROMPTSALES_SERVERS_DIR / PROMPTSALES_{}_URL",
                        self.spec.name.to_uppercase()
                    ));
                }
                let identity = self.identity.clone();
                let env = self.spec.env.clone();
                let cmd = tokio::process::Command::new(program).configure(|c| {
                    c.args(args);
                    // The children inherit the database, cache and tenant
                    // environment; their logs stay quiet unless asked for.
                    if std::env::var_os("PROMPTSALES_SERVER_LOG").is_some() {
                        if let Ok(l) = std::env::var("PROMPTSALES_SERVER_LOG") {
                            c.env("PROMPTSALES_LOG", l);
                        }
                    } else {
                        c.env("PROMPTSALES_LOG", "warn");
                    }
                    c.env_remove("PROMPTSALES_TRANSPORT");
                    c.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    if let Some(id) = &identity {
                        c.env("PROMPTSALES_ACTOR", &id.actor);
                        c.env("PROMPTSALES_SCOPES", id.scopes.join(","));
                    }
                });
                let (transport, _) = TokioChildProcess::builder(cmd)
                    .stderr(Stdio::inherit())
                    .spawn()
                    .map_err(|e| {
                        tracing::warn!(server = %self.spec.name, path = %program.display(), error = %e, "cannot start server");
                        format!("cannot start {binary}: {}", e.kind())
                    })?;
                self.pid
                    .store(transport.id().unwrap_or(0), Ordering::Relaxed);
                serve_client_with_lifecycle((), transport, ClientLifecycleMode::Initialize)
                    .await
                    .map_err(|e| {
                        tracing::warn!(server = %self.spec.name, error = %e, "MCP handshake failed");
                        format!("{binary} did not complete the MCP handshake")
                    })
            }
            Endpoint::Http { url, token } => {
                if self.identity.is_some() {
                    return Err(format!(
                        "{} is reached over HTTP: calls as another person need that \
                         person's own token",
                        self.spec.name
                    ));
                }
                let mut cfg = StreamableHttpClientTransportConfig::with_uri(url.clone());
                if let Some(t) = token {
                    cfg = cfg.auth_header(t.clone());
                }
                serve_client_with_lifecycle(
                    (),
                    StreamableHttpClientTransport::with_client(self.http.clone(), cfg),
                    ClientLifecycleMode::Initialize,
                )
                .await
                .map_err(|e| {
                    // The transport's text carries the URL; the log keeps it.
                    tracing::warn!(server = %self.spec.name, url, error = %e, "cannot connect");
                    if e.to_string().contains("Auth required") {
                        format!("{} refused the connection: Auth required", self.spec.name)
                    } else if let Some(why) = certificate_problem(&e) {
                        format!(
                            "cannot connect to the {} server over HTTPS: {why}; set {} to the \
                             PEM file of the CA that signed its certificate",
                            self.spec.name,
                            config::CA_VAR
                        )
                    } else {
                        format!("cannot connect to the {} server over HTTP", self.spec.name)
                    }
                })
            }
        }
    }

    /// The live session's peer, (re)connecting with backoff when the
    /// previous one has closed.
    async fn peer(&self, max_restarts: u32) -> Result<rmcp::Peer<RoleClient>, CallError> {
        let mut guard = self.session.lock().await;
        if let Some(s) = guard.as_ref()
            && !s.is_closed()
            && !s.peer().is_transport_closed()
        {
            return Ok(s.peer().clone());
        }
        let had_session = guard.is_some();
        let mut last = String::new();
        for attempt in 0..=max_restarts {
            if attempt > 0 || had_session {
                let wait = Duration::from_millis(100u64 << attempt.min(6));
                tokio::time::sleep(wait).await;
            }
            match self.open().await {
                Ok(s) => {
                    if had_session {
                        let n = self.restarts.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(server = %self.spec.name, restarts = n, "server connection was lost; restarted it");
                        eprintln!(
                            "note: {} had stopped; restarted it (restart #{n})",
                            self.spec.name
                        );
                    }
                    let peer = s.peer().clone();
                    *guard = Some(s);
                    return Ok(peer);
                }
                Err(e) => {
                    tracing::warn!(server = %self.spec.name, attempt, error = %e, "connect failed");
                    last = e;
                    // A missing binary, a refused token or an untrusted
                    // certificate will not change by waiting.
                    if last.contains("does not exist")
                        || last.contains("Auth required")
                        || last.contains(config::CA_VAR)
                    {
                        break;
                    }
                }
            }
        }
        Err(CallError::Unavailable {
            server: self.spec.name.clone(),
            reason: last,
        })
    }

    async fn close(&self) {
        if let Some(mut s) = self.session.lock().await.take() {
            let _ = s.close_with_timeout(Duration::from_secs(3)).await;
        }
    }
}

/// The TLS verdict on the server's certificate when that is why a
/// connection failed (rustls says "invalid peer certificate: UnknownIssuer"
/// down the transport error's chain of causes; it names no URL or secret).
fn certificate_problem(e: &rmcp::service::ClientInitializeError) -> Option<String> {
    // rmcp keeps the transport's error, and the HTTP client's inside it,
    // in fields thiserror does not treat as sources: the walk steps into
    // them itself.
    let rmcp::service::ClientInitializeError::TransportError { error, .. } = e else {
        return None;
    };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(c) = cause {
        let text = c.to_string();
        if text.starts_with("invalid peer certificate") {
            return Some(text);
        }
        cause = match c.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
            Some(StreamableHttpError::Client(inner)) => Some(inner),
            _ => c.source(),
        };
    }
    None
}

/// Live connections by server and identity (`None`: the hub's own).
type Conns = BTreeMap<(String, Option<Identity>), Arc<Conn>>;

/// Connections to every configured server, their discovered surfaces and
/// the namespaced tool table.
pub struct Hub {
    config: HubConfig,
    conns: Mutex<Conns>,
    surfaces: BTreeMap<String, Surface>,
    /// Servers that could not be reached at start-up, with the reason.
    pub unavailable: Vec<(String, String)>,
}

impl Hub {
    /// Connects to every configured server (concurrently) and discovers
    /// what each exposes. A server that cannot be reached is recorded in
    /// [`Hub::unavailable`]; its tools are simply absent.
    pub async fn connect(config: HubConfig) -> Hub {
        let mut conns = BTreeMap::new();
        let mut pending = Vec::new();
        for spec in &config.servers {
            let conn = Arc::new(Conn {
                spec: spec.clone(),
                http: config.http.clone(),
                identity: None,
                session: Mutex::new(None),
                pid: AtomicU32::new(0),
                restarts: AtomicU32::new(0),
                busy: AtomicU32::new(0),
            });
            conns.insert((spec.name.clone(), None), conn.clone());
            pending.push(async move {
                let surface = match conn.peer(1).await {
                    Ok(peer) => discover(&conn.spec.name, &peer).await,
                    Err(e) => Err(e.to_string()),
                };
                (conn.spec.name.clone(), surface)
            });
        }
        let mut surfaces = BTreeMap::new();
        let mut unavailable = Vec::new();
        for (name, s) in futures::future::join_all(pending).await {
            match s {
                Ok(s) => {
                    surfaces.insert(name, s);
                }
                Err(e) => unavailable.push((name, e)),
            }
        }
        Hub {
            config,
            conns: Mutex::new(conns),
            surfaces,
            unavailable,
        }
    }

    /// What each reachable server exposes.
    pub fn surfaces(&self) -> &BTreeMap<String, Surface> {
        &self.surfaces
    }

    /// Process id of a spawned server's child (0 when not spawned).
    pub async fn pid(&self, server: &str) -> u32 {
        let conns = self.conns.lock().await;
        conns
            .get(&(server.to_owned(), None))
            .map_or(0, |c| c.pid.load(Ordering::Relaxed))
    }

    /// How many times a server was restarted after losing its connection.
    pub async fn restarts(&self, server: &str) -> u32 {
        let conns = self.conns.lock().await;
        conns
            .get(&(server.to_owned(), None))
            .map_or(0, |c| c.restarts.load(Ordering::Relaxed))
    }

    async fn conn(&self, server: &str, identity: Option<Identity>) -> Option<Arc<Conn>> {
        let mut conns = self.conns.lock().await;
        if let Some(c) = conns.get(&(server.to_owned(), identity.clone())) {
            return Some(c.clone());
        }
        let spec = conns.get(&(server.to_owned(), None))?.spec.clone();
        let c = Arc::new(Conn {
            spec,
            http: self.config.http.clone(),
            identity: identity.clone(),
            session: Mutex::new(None),
            pid: AtomicU32::new(0),
            restarts: AtomicU32::new(0),
            busy: AtomicU32::new(0),
        });
        conns.insert((server.to_owned(), identity), c.clone());
        Some(c)
    }

    async fn call_inner(
        &self,
        qualified: &str,
        args: Value,
        opts: CallOpts,
    ) -> Result<Value, CallError> {
        let Some(info) = Tools::tool(self, qualified) else {
            return Err(self.unknown(qualified));
        };
        let conn = self
            .conn(&info.server, opts.identity.clone())
            .await
            .ok_or_else(|| self.unknown(qualified))?;
        conn.busy.fetch_add(1, Ordering::SeqCst);
        let result = self.call_on(&conn, &info, qualified, args, opts).await;
        conn.busy.fetch_sub(1, Ordering::SeqCst);
        result
    }

    async fn call_on(
        &self,
        conn: &Conn,
        info: &ToolInfo,
        qualified: &str,
        args: Value,
        opts: CallOpts,
    ) -> Result<Value, CallError> {
        let timeout = opts.timeout.unwrap_or(self.config.call_timeout);
        let cancel = opts.cancel.clone().unwrap_or_default();
        let arguments = match args {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => {
                return Err(CallError::Tool {
                    tool: qualified.to_owned(),
                    message: format!("arguments must be a JSON object, got {other}"),
                });
            }
        };
        // A call that dies with its server is repeated on the restarted one
        // only when repeating cannot duplicate an effect.
        let repeatable = info.read_only || info.idempotent;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let peer = conn.peer(self.config.max_restarts).await?;
            let mut params = CallToolRequestParams::new(info.name.clone());
            params.arguments = arguments.clone();
            // Each attempt is a span whose trace the server continues
            // (`_meta.traceparent`, SEP-414).
            let span = tracing::info_span!(
                "mcp_call",
                tool = qualified,
                trace_id = tracing::field::Empty,
                span_id = tracing::field::Empty,
            );
            let ids =
                promptsales_server::trace::adopt(&span, &promptsales_server::trace::current());
            promptsales_server::trace::inject(&mut params, &ids);
            span.in_scope(|| tracing::debug!(attempt, "calling tool"));
            let outcome = tokio::select! {
                r = tokio::time::timeout(timeout, peer.call_tool(params).instrument(span)) => r,
                _ = cancel.cancelled() => {
                    return Err(CallError::Cancelled { tool: qualified.to_owned() });
                }
            };
            match outcome {
                Err(_) => {
                    return Err(CallError::Timeout {
                        tool: qualified.to_owned(),
                        secs: timeout.as_secs(),
                    });
                }
                Ok(Ok(r)) if r.is_error == Some(true) => {
                    return Err(CallError::Tool {
                        tool: qualified.to_owned(),
                        message: error_text(&r),
                    });
                }
                Ok(Ok(r)) => return Ok(result_value(&r)),
                Ok(Err(ServiceError::McpError(e))) => {
                    return Err(CallError::Tool {
                        tool: qualified.to_owned(),
                        message: e.message.to_string(),
                    });
                }
                Ok(Err(e)) => {
                    let lost = peer.is_transport_closed()
                        || matches!(
                            e,
                            ServiceError::TransportClosed | ServiceError::TransportSend(_)
                        );
                    if lost && repeatable && attempt <= 2 {
                        continue;
                    }
                    return Err(CallError::Unavailable {
                        server: info.server.clone(),
                        reason: if lost {
                            format!(
                                "the connection was lost during `{qualified}`; it will be restarted on the next call (the call may or may not have run)"
                            )
                        } else {
                            e.to_string()
                        },
                    });
                }
            }
        }
    }

    fn unknown(&self, qualified: &str) -> CallError {
        let server = qualified.split('.').next().unwrap_or("");
        let hint = match self.surfaces.get(server) {
            Some(s) => format!(
                "{server} offers {}",
                s.tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => match self.unavailable.iter().find(|(n, _)| n == server) {
                Some((_, why)) => format!("{server} is unavailable: {why}"),
                None => format!(
                    "no server named `{server}` (servers: {})",
                    self.surfaces.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            },
        };
        CallError::UnknownTool {
            tool: qualified.to_owned(),
            hint,
        }
    }

    /// Closes the idle connections opened to act as another identity than
    /// `keep` (each a child process holding database connections, so a run
    /// keeps at most the one its current step uses); a busy one stays.
    pub async fn release_identities(&self, keep: Option<&Identity>) {
        let idle: Vec<Arc<Conn>> = {
            let mut conns = self.conns.lock().await;
            let keys: Vec<(String, Option<Identity>)> = conns
                .iter()
                .filter(|((_, id), c)| {
                    id.is_some() && id.as_ref() != keep && c.busy.load(Ordering::SeqCst) == 0
                })
                .map(|(k, _)| k.clone())
                .collect();
            keys.iter().filter_map(|k| conns.remove(k)).collect()
        };
        for c in idle {
            c.close().await;
        }
    }

    /// Closes every session (children exit when their stdin closes).
    pub async fn shutdown(&self) {
        let conns: Vec<Arc<Conn>> = self.conns.lock().await.values().cloned().collect();
        for c in conns {
            c.close().await;
        }
    }
}

async fn discover(server: &str, peer: &rmcp::Peer<RoleClient>) -> Result<Surface, String> {
    let tools = peer
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list failed: {e}"))?;
    let caps = peer.peer_info().map(|i| i.capabilities.clone());
    let has_resources = caps.as_ref().is_some_and(|c| c.resources.is_some());
    let has_prompts = caps.as_ref().is_some_and(|c| c.prompts.is_some());
    let mut s = Surface {
        tools: tools
            .iter()
            .map(|t| ToolInfo::from_tool(server, t))
            .collect(),
        ..Surface::default()
    };
    if has_resources {
        if let Ok(r) = peer.list_all_resources().await {
            s.resources = r.iter().map(|r| r.uri.clone()).collect();
        }
        if let Ok(r) = peer.list_all_resource_templates().await {
            s.resource_templates = r.iter().map(|r| r.uri_template.clone()).collect();
        }
    }
    if has_prompts && let Ok(p) = peer.list_all_prompts().await {
        s.prompts = p.iter().map(|p| p.name.to_string()).collect();
    }
    Ok(s)
}

impl Tools for Hub {
    fn tools(&self) -> Vec<ToolInfo> {
        self.surfaces
            .values()
            .flat_map(|s| s.tools.iter().cloned())
            .collect()
    }

    fn tool(&self, qualified: &str) -> Option<ToolInfo> {
        let (server, _) = qualified.split_once('.')?;
        self.surfaces
            .get(server)?
            .tools
            .iter()
            .find(|t| t.qualified == qualified)
            .cloned()
    }

    fn call<'a>(
        &'a self,
        qualified: &'a str,
        args: Value,
        opts: CallOpts,
    ) -> BoxFuture<'a, Result<Value, CallError>> {
        Box::pin(self.call_inner(qualified, args, opts))
    }

    fn release_identities<'a>(&'a self, keep: Option<&'a Identity>) -> BoxFuture<'a, ()> {
        Box::pin(Hub::release_identities(self, keep))
    }
}
