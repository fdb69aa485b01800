//! One HTTP call to a platform, executed with retries: exponential backoff
//! on 5xx and on 429 (honouring `Retry-After`), never on other answers;
//! waits a platform announces (Meta's usage headers) when they fit the
//! configured longest wait, else fails at once saying when access returns;
//! within a connect and a total timeout, reading at most a capped number
//! of bytes of the answer.
//!
//! What a failed call says leaves the process (in tool results and stored
//! launch outcomes), so it is the platform's own reason with the call's
//! secrets masked, never the HTTP client's text or a URL with its query.
//! Secrets travel in headers (or, where a platform wants it, the body),
//! never in a query string we build; every answer is scrubbed of them
//! before anything reads, shows or logs it; and types holding them print
//! `***`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ConnectorError;

/// A credential from configuration: usable through [`Secret::expose`],
/// printed as `***` by `Debug` (so configs and calls can be logged).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How a call authenticates.
#[derive(Clone, PartialEq)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`.
    Basic(String, String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
            Auth::Basic(user, _) => write!(f, "Basic({user}, ***)"),
        }
    }
}

/// What a call sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
}

/// One platform request, built once and used both to send and to show in
/// a dry run. `Debug` prints it as a dry run would: secrets redacted.
#[derive(Clone, PartialEq)]
pub struct Call {
    /// What this step does.
    pub step: String,
    pub method: &'static str,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    pub body: Body,
    /// Header, query or form names whose values are secrets.
    pub secret_fields: Vec<&'static str>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.planned();
        f.debug_struct("Call")
            .field("step", &p.step)
            .field("method", &p.method)
            .field("url", &p.url)
            .field("headers", &p.headers)
            .field("body", &p.body)
            .finish()
    }
}

/// A call as shown in a dry run: secrets replaced by `***`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlannedCall {
    pub step: String,
    pub method: String,
    pub url: String,
    pub headers: serde_json::Map<String, Value>,
    pub body: Value,
}

impl Call {
    pub fn new(step: impl Into<String>, method: &'static str, url: String) -> Self {
        Self {
            step: step.into(),
            method,
            url,
            query: Vec::new(),
            headers: Vec::new(),
            auth: Auth::None,
            body: Body::None,
            secret_fields: Vec::new(),
        }
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> Self {
        self.body = Body::Form(fields);
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn secret(mut self, field: &'static str) -> Self {
        self.secret_fields.push(field);
        self
    }

    /// The secret values this call carries (auth, secret headers, query
    /// and form fields, and secret fields already in the URL, as in Meta's
    /// paging links), to mask wherever the call is described.
    fn secret_values(&self) -> Vec<&str> {
        let mut out: Vec<&str> = match &self.auth {
            Auth::None => Vec::new(),
            Auth::Bearer(t) => vec![t.as_str()],
            Auth::Basic(_, p) => vec![p.as_str()],
        };
        let mut all = pairs(&self.headers);
        all.extend(pairs(&self.query));
        if let Body::Form(f) = &self.body {
            all.extend(pairs(f));
        }
        if let Some((_, q)) = self.url.split_once('?') {
            all.extend(q.split('&').filter_map(|kv| kv.split_once('=')));
        }
        out.extend(
            all.into_iter()
                .filter(|(k, _)| self.secret_fields.contains(k))
                .map(|(_, v)| v),
        );
        // Very short values would mask ordinary words.
        out.retain(|v| v.len() >= 4);
        out
    }

    /// The call with secrets redacted.
    pub fn planned(&self) -> PlannedCall {
        let hide = |k: &str, v: &str| -> Value {
            if self.secret_fields.contains(&k) {
                Value::String("***".into())
            } else {
                Value::String(v.to_owned())
            }
        };
        let mut headers = serde_json::Map::new();
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(_) => {
                headers.insert("Authorization".into(), json!("Bearer ***"));
            }
            Auth::Basic(user, _) => {
                headers.insert("Authorization".into(), json!(format!("Basic {user}:***")));
            }
        }
        for (k, v) in &self.headers {
            headers.insert(k.clone(), hide(k, v));
        }
        let mut url = self.url.clone();
        if !self.query.is_empty() {
            let q: Vec<String> = self
                .query
                .iter()
                .map(|(k, v)| {
                    let v = if self.secret_fields.contains(&k.as_str()) {
                        "***"
                    } else {
                        v
                    };
                    format!("{k}={v}")
                })
                .collect();
            url = format!("{url}?{}", q.join("&"));
        }
        let body = match &self.body {
            Body::None => Value::Null,
            Body::Json(v) => v.clone(),
            Body::Form(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), hide(k, v)))
                    .collect(),
            ),
        };
        PlannedCall {
            step: self.step.clone(),
            method: self.method.to_owned(),
            url,
            headers,
            body,
        }
    }
}

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// Wait before the second try; doubles each time.
    pub base_delay: Duration,
    /// Longest single wait (also caps `Retry-After`).
    pub max_delay: Duration,
}

/// Bounds of every call: connecting, the whole exchange, and the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// From connecting to the last byte of the answer, per attempt.
    pub total_timeout: Duration,
    /// Answers longer than this are refused unread.
    pub max_response_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

/// How a platform answer is treated.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok,
    /// Try again after the wait (None: the backoff schedule).
    RateLimited(Option<Duration>),
    /// Throttled, and the platform says when access returns: waited for
    /// when within the policy's longest wait, else failed at once saying
    /// when (waiting longer would hold a launch for minutes).
    Blocked(Duration),
    ServerError,
    Unauthorized,
    /// Fail now.
    Fail {
        retryable: bool,
    },
}

/// The default reading of an HTTP status.
pub fn verdict_of_status(status: u16, retry_after: Option<Duration>) -> Verdict {
    match status {
        200..=299 => Verdict::Ok,
        401 | 403 => Verdict::Unauthorized,
        429 => Verdict::RateLimited(retry_after),
        500..=599 => Verdict::ServerError,
        408 => Verdict::Fail { retryable: true },
        _ => Verdict::Fail { retryable: false },
    }
}

/// The message a platform put in an error body (Meta/Google `error.message`,
/// Mailchimp `detail`, Twilio/TikTok `message`). A body without one (an
/// HTML page from a proxy, say) is not repeated: it goes to the log.
pub fn error_message(body: &Value) -> String {
    let pick = |v: &Value| v.as_str().map(str::to_owned);
    // Meta's `error_user_msg` says which field was refused and why.
    let meta_user = body.pointer("/error/error_user_msg").and_then(pick);
    body.pointer("/error/message")
        .and_then(pick)
        .map(|m| match meta_user {
            Some(u) if !m.contains(&u) => format!("{m}: {u}"),
            _ => m,
        })
        .or_else(|| body.get("detail").and_then(pick))
        .or_else(|| body.get("message").and_then(pick))
        .or_else(|| body.get("title").and_then(pick))
        .unwrap_or_else(|| {
            tracing::warn!(answer = %excerpt(body, &[]), "platform error without a message");
            "the platform gave no reason (its answer is in the server log)".into()
        })
}

/// `text` with every secret replaced by `***`.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if out.contains(s) {
            out = out.replace(s, "***");
        }
    }
    out
}

/// `access_token=…` values in `text` replaced by `***` (tokens in paging
/// links and echoed URLs).
fn mask_query_tokens(text: &str) -> String {
    const KEY: &str = "access_token=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(KEY) {
        out.push_str(&rest[..i + KEY.len()]);
        out.push_str("***");
        rest = &rest[i + KEY.len()..];
        let end = rest.find(['&', '"', '\'', ' ', '\\']).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A platform answer for the server log: at most 500 characters, secrets
/// and query tokens masked.
pub(crate) fn excerpt(body: &Value, secrets: &[&str]) -> String {
    let text = mask_query_tokens(&scrub(&body.to_string(), secrets));
    match text.char_indices().nth(500) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// `scheme://host[:port]` of a URL: what a transport error may name.
fn host_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in the authority (`user:pass@host`) stay out too.
    let host = host.rsplit('@').next().unwrap_or_default();
    if scheme.is_empty() {
        host.to_owned()
    } else {
        format!("{scheme}://{host}")
    }
}

/// The attempt ran past the total timeout.
fn timed_out(platform: &'static str, call: &Call, limit: Duration) -> ConnectorError {
    let host = host_of(&call.url);
    tracing::warn!(platform, %host, step = %call.step, limit_ms = limit.as_millis() as u64, "platform call timed out");
    ConnectorError::Transport {
        platform,
        host,
        reason: "the request timed out",
    }
}

/// A transport failure in plain words; the client's own text (which names
/// the full URL) goes to the log without the URL.
fn transport_error(platform: &'static str, call: &Call, e: reqwest::Error) -> ConnectorError {
    let reason = if e.is_timeout() {
        "the request timed out"
    } else if e.is_connect() {
        "the connection failed"
    } else {
        "the request failed"
    };
    let host = host_of(&call.url);
    tracing::warn!(platform, %host, step = %call.step, error = ?e.without_url(), "platform unreachable");
    ConnectorError::Transport {
        platform,
        host,
        reason,
    }
}

/// `application/x-www-form-urlencoded` encoding (spaces as `+`).
pub fn form_encode(fields: &[(String, String)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Borrowed name/value pairs.
fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The shared HTTP client of every connector.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    policy: RetryPolicy,
    limits: Limits,
}

/// An answer read within the limits.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    headers: reqwest::header::HeaderMap,
    text: String,
}

/// What a judge reads of an answer: status, body (scrubbed), headers.
pub struct Reply<'a> {
    pub status: u16,
    pub body: &'a Value,
    pub headers: &'a reqwest::header::HeaderMap,
    /// `Retry-After`, in seconds, when sent.
    pub retry_after: Option<Duration>,
}

impl Reply<'_> {
    /// A header as JSON (Meta's usage headers are JSON objects).
    pub fn json_header(&self, name: &str) -> Option<Value> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str(v).ok())
    }
}

/// "about 5 min" / "about 40 s": how long until access returns.
fn human(wait: Duration) -> String {
    let s = wait.as_secs();
    if s >= 120 {
        format!("about {} min", s.div_ceil(60))
    } else {
        format!("about {s} s")
    }
}

impl Http {
    pub fn new(policy: RetryPolicy, limits: Limits) -> Self {
        let client = reqwest::Client::builder()
            .timeout(limits.total_timeout)
            .connect_timeout(limits.connect_timeout)
            // Redirects could carry a request (and its headers) elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("promptsales-mcp-ads/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|e| {
                // Every attempt is also bounded by its own timer below.
                tracing::error!(error = %e, "HTTP client settings refused; using the defaults");
                reqwest::Client::new()
            });
        Self {
            client,
            policy,
            limits,
        }
    }

    /// One attempt: the request, then the answer read up to the size cap,
    /// all within the total timeout.
    async fn attempt(&self, platform: &'static str, call: &Call) -> Result<Answer, ConnectorError> {
        let max = self.limits.max_response_bytes;
        let exchange = async {
            let mut resp = self
                .request(call)
                .send()
                .await
                .map_err(|e| transport_error(platform, call, e))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let headers = resp.headers().clone();
            let too_large = || {
                tracing::warn!(platform, step = %call.step, max, "platform answer over the size cap; not read");
                ConnectorError::protocol(platform, format!("the answer exceeded {max} bytes"))
            };
            if resp.content_length().is_some_and(|n| n > max as u64) {
                return Err(too_large());
            }
            let mut body: Vec<u8> = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| transport_error(platform, call, e))?
            {
                if body.len() + chunk.len() > max {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Answer {
                status,
                retry_after,
                headers,
                text: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        match tokio::time::timeout(self.limits.total_timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(timed_out(platform, call, self.limits.total_timeout)),
        }
    }

    fn request(&self, call: &Call) -> reqwest::RequestBuilder {
        let method =
            reqwest::Method::from_bytes(call.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut rb = self.client.request(method, &call.url);
        if !call.query.is_empty() {
            rb = rb.query(&call.query);
        }
        for (k, v) in &call.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb = match &call.auth {
            Auth::None => rb,
            Auth::Bearer(t) => rb.bearer_auth(t),
            Auth::Basic(u, p) => rb.basic_auth(u, Some(p)),
        };
        match &call.body {
            Body::None => rb,
            Body::Json(v) => rb.json(v),
            Body::Form(f) => rb
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form_encode(f)),
        }
    }

    /// Sends `call`, retrying per the policy; `judge` may override the
    /// status reading from the body (platforms that signal errors in 200s
    /// or rate limits in 400s).
    pub async fn send(
        &self,
        platform: &'static str,
        hint: &'static str,
        call: &Call,
        judge: fn(u16, &Value, Option<Duration>) -> Verdict,
    ) -> Result<Value, ConnectorError> {
        self.send_with(platform, hint, call, |r: &Reply<'_>| {
            judge(r.status, r.body, r.retry_after)
        })
        .await
    }

    /// [`Http::send`] with a judge that also reads the answer's headers
    /// (Meta's `X-Business-Use-Case-Usage` and `X-Ad-Account-Usage`).
    pub async fn send_with(
        &self,
        platform: &'static str,
        hint: &'static str,
        call: &Call,
        judge: impl Fn(&Reply<'_>) -> Verdict,
    ) -> Result<Value, ConnectorError> {
        let secrets = call.secret_values();
        // Bodies are scrubbed on arrival: a platform (or a proxy) echoing a
        // credential cannot pass it on to a result, an error or a log line.
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let Answer {
                status,
                retry_after,
                headers,
                text,
            } = self.attempt(platform, call).await?;
            let text = mask_query_tokens(&scrub(&text, &secrets));
            let body: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            let verdict = judge(&Reply {
                status,
                body: &body,
                headers: &headers,
                retry_after,
            });
            let backoff = self
                .policy
                .base_delay
                .saturating_mul(2u32.saturating_pow(attempt - 1))
                .min(self.policy.max_delay);
            match verdict {
                Verdict::Ok => return Ok(body),
                Verdict::Unauthorized => {
                    return Err(ConnectorError::Unauthorized {
                        platform,
                        status,
                        message: error_message(&body),
                        hint,
                    });
                }
                Verdict::Fail { retryable } => {
                    return Err(ConnectorError::Http {
                        platform,
                        status,
                        message: error_message(&body),
                        retryable,
                    });
                }
                Verdict::RateLimited(wait) => {
                    if attempt >= self.policy.max_attempts {
                        return Err(ConnectorError::RateLimited {
                            platform,
                            attempts: attempt,
                            message: error_message(&body),
                        });
                    }
                    let wait = wait.unwrap_or(backoff).min(self.policy.max_delay);
                    tracing::info!(
                        platform,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "rate limited; waiting"
                    );
                    tokio::time::sleep(wait).await;
                }
                Verdict::Blocked(wait) => {
                    if wait > self.policy.max_delay || attempt >= self.policy.max_attempts {
                        let back = chrono::Utc::now()
                            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
                        return Err(ConnectorError::RateLimited {
                            platform,
                            attempts: attempt,
                            message: format!(
                                "{}; access returns in {} (around {} UTC)",
                                error_message(&body),
                                human(wait),
                                back.format("%Y-%m-%d %H:%M")
                            ),
                        });
                    }
                    tracing::info!(
                        platform,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "throttled; waiting the time the platform gave"
                    );
                    tokio::time::sleep(wait).await;
                }
                Verdict::ServerError => {
                    if attempt >= self.policy.max_attempts {
                        return Err(ConnectorError::Http {
                            platform,
                            status,
                            message: error_message(&body),
                            retryable: true,
                        });
                    }
                    tracing::info!(platform, attempt, status, "server error; backing off");
                    tokio::time::sleep(backoff).await;
                }
            }
        }
    }
}

/// The default judge: the HTTP status alone.
pub fn by_status(status: u16, _body: &Value, retry_after: Option<Duration>) -> Verdict {
    verdict_of_status(status, retry_after)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
