//! Channel connectors for `send_message`: the WhatsApp Cloud API over
//! `reqwest` with the client's own account (its connection) or the
//! environment's default account, otherwise a sandbox that records the
//! message without sending it; and the check `test_connection` runs. The
//! token travels only in the `Authorization` header; calls have connect
//! and total timeouts and a cap on the response read; neither the token
//! nor the URL reaches an error or a log line.

use std::time::Duration;

use promptsales_shared::AppError;
use serde_json::json;

use crate::domain::ContactChannel;

/// Time to establish a connection to the provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole call, response included.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// Most bytes of a provider response we read (a send answers in well
/// under 1 KiB; anything larger is not an answer we use).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The Cloud API's host and version when the environment names none.
const DEFAULT_BASE: &str = "https://graph.facebook.com";
const DEFAULT_VERSION: &str = "v21.0";

fn env_var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

/// Where the WhatsApp Cloud API is (`PROMPTSALES_WHATSAPP_API_BASE`,
/// `PROMPTSALES_WHATSAPP_API_VERSION`): every account is reached there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsappApi {
    /// e.g. `https://graph.facebook.com`.
    pub base_url: String,
    /// Graph API version, e.g. `v21.0`.
    pub version: String,
}

impl Default for WhatsappApi {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE.into(),
            version: DEFAULT_VERSION.into(),
        }
    }
}

impl WhatsappApi {
    pub fn from_env() -> Self {
        Self {
            base_url: env_var("PROMPTSALES_WHATSAPP_API_BASE")
                .unwrap_or_else(|| DEFAULT_BASE.into())
                .trim_end_matches('/')
                .to_owned(),
            version: env_var("PROMPTSALES_WHATSAPP_API_VERSION")
                .unwrap_or_else(|| DEFAULT_VERSION.into()),
        }
    }
}

/// A WhatsApp sender: a phone-number id and the token allowed to send
/// from it (a client's connection, or the environment's default).
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsappAccount {
    pub phone_number_id: String,
    pub token: String,
}

impl std::fmt::Debug for WhatsappAccount {
    /// The token never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappAccount")
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// WhatsApp Cloud API settings of the single-client shortcut
/// (`PROMPTSALES_WHATSAPP_*`): where the API is and the default account.
#[derive(Clone)]
pub struct WhatsappConfig {
    /// e.g. `https://graph.facebook.com`.
    pub base_url: String,
    /// Graph API version, e.g. `v21.0`.
    pub version: String,
    pub phone_number_id: String,
    pub token: String,
}

impl std::fmt::Debug for WhatsappConfig {
    /// The token never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl WhatsappConfig {
    /// Settings from the environment: the default account needs both
    /// `PROMPTSALES_WHATSAPP_TOKEN` and `PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID`.
    pub fn from_env() -> Option<Self> {
        let token = env_var("PROMPTSALES_WHATSAPP_TOKEN")?;
        let phone_number_id = env_var("PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID")?;
        let api = WhatsappApi::from_env();
        Some(Self {
            base_url: api.base_url,
            version: api.version,
            phone_number_id,
            token,
        })
    }

    fn split(self) -> (WhatsappApi, WhatsappAccount) {
        (
            WhatsappApi {
                base_url: self.base_url,
                version: self.version,
            },
            WhatsappAccount {
                phone_number_id: self.phone_number_id,
                token: self.token,
            },
        )
    }
}

/// What a send produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// True when nothing left the building (sandbox).
    pub sandbox: bool,
    /// The provider's message id (`wamid.…`), when sent for real.
    pub provider_message_id: Option<String>,
    /// The sender it went out from (WhatsApp phone-number id), when live.
    pub from: Option<String>,
}

/// Sends messages on direct channels.
#[derive(Debug, Clone, Default)]
pub struct Connector {
    api: WhatsappApi,
    /// The environment's account: senders without a connection use it.
    default: Option<WhatsappAccount>,
    /// Present when this process may reach the provider at all.
    http: Option<reqwest::Client>,
}

/// Why a provider call failed, in words safe for a log line: the kind of
/// failure only (reqwest's own text carries the URL).
fn failure_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else {
        "request failed"
    }
}

/// A provider answer read up to the size cap: status and JSON (`Null`
/// when over the cap or not JSON).
async fn read_capped(
    mut resp: reqwest::Response,
) -> Result<(reqwest::StatusCode, serde_json::Value), reqwest::Error> {
    let status = resp.status();
    let mut raw = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await? {
        if raw.len() + chunk.len() > MAX_RESPONSE_BYTES {
            truncated = true;
            break;
        }
        raw.extend_from_slice(&chunk);
    }
    let value = if truncated {
        tracing::warn!(
            status = status.as_u16(),
            limit = MAX_RESPONSE_BYTES,
            "WhatsApp response over the size cap; not read"
        );
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null)
    };
    Ok((status, value))
}

impl Connector {
    /// Records messages without sending them (no account is ever used).
    pub fn sandbox() -> Self {
        Self::default()
    }

    /// Reaches the Cloud API at `api`: clients' own accounts, and
    /// `default` (the environment's) for senders without one.
    pub fn new(api: WhatsappApi, default: Option<WhatsappAccount>) -> Result<Self, AppError> {
        Self::with_limits(api, default, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// Sends WhatsApp messages through the Cloud API when `cfg` is set
    /// (the single-client shortcut); a sandbox otherwise.
    pub fn with_whatsapp(cfg: Option<WhatsappConfig>) -> Result<Self, AppError> {
        match cfg {
            None => Ok(Self::sandbox()),
            Some(cfg) => {
                let (api, account) = cfg.split();
                Self::new(api, Some(account))
            }
        }
    }

    fn with_limits(
        api: WhatsappApi,
        default: Option<WhatsappAccount>,
        connect: Duration,
        total: Duration,
    ) -> Result<Self, AppError> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            // A redirect would carry the Authorization header elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                AppError::Internal(format!("WhatsApp HTTP client: {}", failure_kind(&e)))
            })?;
        Ok(Self {
            api,
            default,
            http: Some(http),
        })
    }

    /// Whether `channel` sends for real from the default account.
    pub fn is_live(&self, channel: ContactChannel) -> bool {
        channel == ContactChannel::Whatsapp && self.http.is_some() && self.default.is_some()
    }

    /// The default account's phone-number id, when there is one.
    pub fn default_sender(&self) -> Option<&str> {
        self.default.as_ref().map(|a| a.phone_number_id.as_str())
    }

    /// Sends `text` to `to` (E.164 phone or email address) from the
    /// default account.
    pub async fn send(
        &self,
        channel: ContactChannel,
        to: &str,
        text: &str,
    ) -> Result<Receipt, AppError> {
        self.send_from(None, channel, to, text).await
    }

    /// Sends `text` to `to` from `account` (a client's connection), or
    /// from the default account when `None`; a sandbox receipt when the
    /// channel has no live connector or no account applies.
    pub async fn send_from(
        &self,
        account: Option<&WhatsappAccount>,
        channel: ContactChannel,
        to: &str,
        text: &str,
    ) -> Result<Receipt, AppError> {
        let sandbox = Receipt {
            sandbox: true,
            provider_message_id: None,
            from: None,
        };
        if channel != ContactChannel::Whatsapp {
            return Ok(sandbox);
        }
        let (Some(http), Some(wa)) = (&self.http, account.or(self.default.as_ref())) else {
            return Ok(sandbox);
        };
        let url = format!(
            "{}/{}/{}/messages",
            self.api.base_url, self.api.version, wa.phone_number_id
        );
        let body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.trim_start_matches('+'),
            "type": "text",
            "text": { "preview_url": false, "body": text },
        });
        let unreachable = |e: &reqwest::Error| {
            tracing::warn!(failure = failure_kind(e), "WhatsApp Cloud API unreachable");
            AppError::Unavailable(
                "WhatsApp could not be reached; the message was not sent, retry later".into(),
            )
        };
        let resp = http
            .post(&url)
            .bearer_auth(&wa.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let (status, value) = read_capped(resp).await.map_err(|e| unreachable(&e))?;
        if !status.is_success() {
            // The provider's own message may quote the request; the client
            // gets the status and what to do, the log the provider's code.
            let code = value["error"]["code"].as_i64();
            tracing::warn!(
                status = status.as_u16(),
                provider_code = code,
                "WhatsApp refused a message"
            );
            return Err(AppError::Unavailable(refusal(status.as_u16())));
        }
        let id = value["messages"][0]["id"].as_str().map(str::to_owned);
        if id.is_none() {
            tracing::warn!(
                status = status.as_u16(),
                "WhatsApp answered without a message id"
            );
            return Err(AppError::Unavailable(
                "WhatsApp accepted the request but returned no message id; check the log before retrying".into(),
            ));
        }
        Ok(Receipt {
            sandbox: false,
            provider_message_id: id,
            from: Some(wa.phone_number_id.clone()),
        })
    }

    /// Checks that `account` can reach its number: reads the number's
    /// display name (`GET /{phone-number-id}`, token in the header).
    /// `Ok` with what the provider said, or `Err` with a sentence safe to
    /// show (status or failure kind, never the token or the URL).
    pub async fn check(&self, account: &WhatsappAccount) -> Result<String, String> {
        let Some(http) = &self.http else {
            return Err("this server runs without live connectors (sandbox)".into());
        };
        let url = format!(
            "{}/{}/{}",
            self.api.base_url, self.api.version, account.phone_number_id
        );
        let resp = http
            .get(&url)
            .query(&[("fields", "display_phone_number,verified_name")])
            .bearer_auth(&account.token)
            .send()
            .await
            .map_err(|e| format!("WhatsApp could not be reached ({})", failure_kind(&e)))?;
        let (status, value) = read_capped(resp)
            .await
            .map_err(|e| format!("WhatsApp answered badly ({})", failure_kind(&e)))?;
        if !status.is_success() {
            return Err(refusal(status.as_u16()));
        }
        let number = value["display_phone_number"].as_str().unwrap_or("?");
        let name = value["verified_name"].as_str().unwrap_or("?");
        Ok(format!("reached {number} ({name})"))
    }
}

/// What a client is told about a refused send, by HTTP status.
fn refusal(status: u16) -> String {
    match status {
        401 | 403 => format!(
            "WhatsApp rejected the sender's credentials (HTTP {status}): the message was not sent; \
             check the client's connection (list_connections, set_connection) or \
             PROMPTSALES_WHATSAPP_TOKEN and PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID"
        ),
        429 => format!(
            "WhatsApp is rate-limiting this number (HTTP {status}): the message was not sent, retry later"
        ),
        500.. => format!(
            "WhatsApp is unavailable (HTTP {status}): the message was not sent, retry later"
        ),
        _ => format!(
            "WhatsApp refused the message (HTTP {status}): check the recipient and the text; \
             details are in the server log"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Json;
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    use super::*;

    type Seen = Arc<Mutex<Vec<(String, String, serde_json::Value)>>>;

    async fn fake(
        State(seen): State<Seen>,
        Path((version, phone_id)): Path<(String, String)>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        Json(body): Json<serde_json::Value>,
    ) -> (StatusCode, Json<serde_json::Value>) {
        assert_eq!(
            uri.query(),
            None,
            "nothing, the token least, in the query string"
        );
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        seen.lock()
            .unwrap()
            .push((format!("{version}/{phone_id}"), auth.clone(), body.clone()));
        if auth != "Bearer tok" {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"message": "Invalid OAuth access token"}})),
            );
        }
        (
            StatusCode::OK,
            Json(
                json!({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}], "messages": [{"id": "wamid.TEST1"}]}),
            ),
        )
    }

    async fn start() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let app = axum::Router::new()
            .route("/{version}/{phone_id}/messages", post(fake))
            .route(
                "/{version}/{phone_id}",
                axum::routing::get(|headers: HeaderMap, Path((_, id)): Path<(String, String)>| async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer tok") {
                        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": 190}})));
                    }
                    (StatusCode::OK, Json(json!({"display_phone_number": "+57 300 000 0000", "verified_name": "Café", "id": id})))
                }),
            )
            .with_state(seen.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (format!("http://{addr}"), seen)
    }

    fn cfg(base: &str, token: &str) -> WhatsappConfig {
        WhatsappConfig {
            base_url: base.into(),
            version: "v21.0".into(),
            phone_number_id: "1055".into(),
            token: token.into(),
        }
    }

    #[tokio::test]
    async fn whatsapp_sends_the_documented_request() {
        let (base, seen) = start().await;
        let c = Connector::with_whatsapp(Some(cfg(&base, "tok"))).unwrap();
        assert!(c.is_live(ContactChannel::Whatsapp));
        let r = c
            .send(ContactChannel::Whatsapp, "+573001234567", "Hola Ana")
            .await
            .unwrap();
        assert_eq!(r.provider_message_id.as_deref(), Some("wamid.TEST1"));
        assert!(!r.sandbox);
        let seen = seen.lock().unwrap();
        let (path, auth, body) = &seen[0];
        assert_eq!(path, "v21.0/1055");
        assert_eq!(auth, "Bearer tok");
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["to"], "573001234567");
        assert_eq!(body["type"], "text");
        assert_eq!(body["text"]["body"], "Hola Ana");
    }

    #[tokio::test]
    async fn a_clients_account_sends_from_its_number_and_is_checked() {
        let (base, seen) = start().await;
        let api = WhatsappApi {
            base_url: base.clone(),
            version: "v21.0".into(),
        };
        // No default account: only a client's own connection sends.
        let c = Connector::new(api, None).unwrap();
        assert!(!c.is_live(ContactChannel::Whatsapp));
        let r = c
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap();
        assert!(r.sandbox && r.from.is_none());
        let account = WhatsappAccount {
            phone_number_id: "2077".into(),
            token: "tok".into(),
        };
        let r = c
            .send_from(
                Some(&account),
                ContactChannel::Whatsapp,
                "+573001234567",
                "Hola",
            )
            .await
            .unwrap();
        assert_eq!(r.from.as_deref(), Some("2077"));
        assert_eq!(seen.lock().unwrap()[0].0, "v21.0/2077");
        assert!(c.check(&account).await.unwrap().contains("Café"));
        let wrong = WhatsappAccount {
            phone_number_id: "2077".into(),
            token: "nope".into(),
        };
        let e = c.check(&wrong).await.unwrap_err();
        assert!(e.contains("401") && !e.contains("nope"), "{e}");
        assert!(!format!("{wrong:?}").contains("nope"));
        let e = Connector::sandbox().check(&account).await.unwrap_err();
        assert!(e.contains("sandbox"), "{e}");
    }

    #[tokio::test]
    async fn provider_errors_are_reported_and_sandbox_sends_nothing() {
        let (base, seen) = start().await;
        let c = Connector::with_whatsapp(Some(cfg(&base, "wrong"))).unwrap();
        let e = c
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("401") && e.contains("credentials"), "{e}");
        // Neither the provider's text nor the token reaches the client.
        assert!(!e.contains("Invalid OAuth") && !e.contains("wrong"), "{e}");
        let s = Connector::sandbox();
        let r = s
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap();
        assert!(r.sandbox && r.provider_message_id.is_none());
        // Email has no live connector: always sandboxed.
        let r = c.send(ContactChannel::Email, "a@b.co", "x").await.unwrap();
        assert!(r.sandbox);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_api_names_no_url() {
        let c = Connector::with_whatsapp(Some(cfg("http://127.0.0.1:9", "tok"))).unwrap();
        let e = c
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "unavailable");
        let e = e.to_string();
        assert!(!e.contains("127.0.0.1") && !e.contains("1055"), "{e}");
        assert!(refusal(503).contains("retry"));
        assert!(refusal(400).contains("HTTP 400"));
    }

    /// A provider that misbehaves: `/slow` never answers, `/huge` answers
    /// with more than the cap, `/echo` fails with the request in its text.
    async fn misbehaving() -> String {
        let app = axum::Router::new()
            .route(
                "/slow/v21.0/1055/messages",
                post(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route(
                "/huge/v21.0/1055/messages",
                post(|| async {
                    let pad = "x".repeat(MAX_RESPONSE_BYTES * 2);
                    Json(json!({"messages": [{"id": "wamid.BIG"}], "pad": pad}))
                }),
            )
            .route(
                "/echo/v21.0/1055/messages",
                post(|headers: HeaderMap| async move {
                    let auth = headers["authorization"].to_str().unwrap().to_owned();
                    (
                        StatusCode::BAD_GATEWAY,
                        Json(json!({"error": {"message": format!("upstream said {auth}"), "code": 1}})),
                    )
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn timeouts_size_caps_and_5xx_never_leak_the_token_or_the_url() {
        let base = misbehaving().await;
        let secret = "EAAG-secret-token";
        let limited = |path: &str| {
            let (api, account) = cfg(&format!("{base}/{path}"), secret).split();
            Connector::with_limits(
                api,
                Some(account),
                std::time::Duration::from_millis(200),
                std::time::Duration::from_millis(400),
            )
            .unwrap()
        };
        let started = std::time::Instant::now();
        let e = limited("slow")
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the total timeout holds"
        );
        assert_eq!(e.kind(), "unavailable");
        let huge = limited("huge")
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap_err();
        assert_eq!(
            huge.kind(),
            "unavailable",
            "an over-cap answer is not trusted"
        );
        let echo = limited("echo")
            .send(ContactChannel::Whatsapp, "+573001234567", "x")
            .await
            .unwrap_err();
        assert!(echo.to_string().contains("HTTP 502"), "{echo}");
        for err in [e, huge, echo] {
            let m = err.to_string();
            for leak in [secret, "127.0.0.1", "1055", "/messages"] {
                assert!(!m.contains(leak), "{leak} in {m}");
            }
        }
        let shown = format!("{:?}", cfg(&base, secret));
        assert!(
            !shown.contains(secret) && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
