//! Channel connectors for `send_message`: the WhatsApp Cloud API over
//! `reqwest` with the client's own account (its connection) or the
//! environment's default account, otherwise a sandbox that records the
//! message without sending it; and the check `test_connection` runs. The
//! token travels only in the `Authorization` header; calls have connect
//! and total timeouts and a cap on the response read; neither the token
//! nor the URL reaches an error or a log line.
//!
//! Documentation followed (Meta, WhatsApp Business Platform):
//! - Cloud API messages, text and template objects:
//!   <https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages>
//!   and <https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates>
//!   — free text only inside the 24-hour customer-service window
//!   (<https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows>),
//!   a template (name, `language.code`, body parameters) outside it.
//! - Template listing: `GET /{waba-id}/message_templates`
//!   (<https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates>).
//! - Webhook `statuses[]` (sent, delivered, read, failed with `errors[]`):
//!   <https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components>.
//! - Error codes (131047 re-engagement, 132000/132001 template errors):
//!   <https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/>.
//! - Graph API versions (each lives about two years; v21.0 expires
//!   2027-01-21): <https://developers.facebook.com/docs/graph-api/changelog/versions>.

use std::sync::Arc;
use std::time::Duration;

use promptsales_shared::AppError;
use serde_json::json;

use crate::domain::ContactChannel;
use crate::templates::{self, ApprovedTemplate, TemplateChoice};

/// Time to establish a connection to the provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole call, response included.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// Most bytes of a provider response we read (a send answers in well
/// under 1 KiB; anything larger is not an answer we use).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The Cloud API's host and version when the environment names none.
const DEFAULT_BASE: &str = "https://graph.facebook.com";
/// A current Graph version (released 2026; Graph versions live about two
/// years). Upgrade by setting `PROMPTSALES_WHATSAPP_API_VERSION` after
/// reading the changelog, then move this default.
pub const DEFAULT_VERSION: &str = "v25.0";
/// The oldest version we accept: v21.0 expires on 2027-01-21, so anything
/// older than v22.0 would stop sending during the life of a deployment.
pub const MIN_VERSION: (u32, u32) = (22, 0);
/// How long an account's approved-template list is reused before it is
/// read again (approvals take minutes to hours; a send never waits on a
/// list older than this).
const TEMPLATE_TTL: Duration = Duration::from_secs(10 * 60);

fn env_var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

/// `vMAJOR.MINOR` as numbers, or why not.
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.strip_prefix('v')?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// A Graph version we may call: well-formed and not older than
/// [`MIN_VERSION`]; otherwise a sentence naming the variable.
pub fn check_version(v: &str) -> Result<String, String> {
    let v = v.trim();
    let Some(parsed) = parse_version(v) else {
        return Err(format!(
            "PROMPTSALES_WHATSAPP_API_VERSION: expected a Graph API version like `{DEFAULT_VERSION}`, got `{v}`"
        ));
    };
    if parsed < MIN_VERSION {
        return Err(format!(
            "PROMPTSALES_WHATSAPP_API_VERSION: `{v}` is older than v{}.{} (Meta expires Graph versions about two \
             years after release; v21.0 expires on 2027-01-21); use `{DEFAULT_VERSION}` or newer",
            MIN_VERSION.0, MIN_VERSION.1
        ));
    }
    Ok(v.to_owned())
}

/// Where the WhatsApp Cloud API is (`PROMPTSALES_WHATSAPP_API_BASE`,
/// `PROMPTSALES_WHATSAPP_API_VERSION`): every account is reached there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsappApi {
    /// e.g. `https://graph.facebook.com`.
    pub base_url: String,
    /// Graph API version, e.g. `v25.0` (see [`check_version`]).
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
    /// The API at `base_url`, at `version` if it passes [`check_version`].
    pub fn new(base_url: &str, version: &str) -> Result<Self, String> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            version: check_version(version)?,
        })
    }

    /// From the environment; a version below the floor is refused here,
    /// at configuration, not at the first send.
    pub fn from_env() -> Result<Self, String> {
        Self::new(
            &env_var("PROMPTSALES_WHATSAPP_API_BASE").unwrap_or_else(|| DEFAULT_BASE.into()),
            &env_var("PROMPTSALES_WHATSAPP_API_VERSION").unwrap_or_else(|| DEFAULT_VERSION.into()),
        )
    }
}

/// A WhatsApp sender: a phone-number id and the token allowed to send
/// from it (a client's connection, or the environment's default).
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsappAccount {
    pub phone_number_id: String,
    pub token: String,
    /// The WhatsApp Business Account the number belongs to: where its
    /// approved templates are listed. `None`: templates cannot be listed.
    pub waba_id: Option<String>,
}

impl std::fmt::Debug for WhatsappAccount {
    /// The token never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappAccount")
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"[redacted]")
            .field("waba_id", &self.waba_id)
            .finish()
    }
}

/// WhatsApp Cloud API settings of the single-client shortcut
/// (`PROMPTSALES_WHATSAPP_*`): where the API is and the default account.
#[derive(Clone)]
pub struct WhatsappConfig {
    /// e.g. `https://graph.facebook.com`.
    pub base_url: String,
    /// Graph API version, e.g. `v25.0`.
    pub version: String,
    pub phone_number_id: String,
    pub token: String,
    /// `PROMPTSALES_WHATSAPP_WABA_ID`: where the templates are listed.
    pub waba_id: Option<String>,
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
    /// `PROMPTSALES_WHATSAPP_TOKEN` and `PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID`;
    /// an expired version is an error naming the variable.
    pub fn from_env() -> Result<Option<Self>, String> {
        let (Some(token), Some(phone_number_id)) = (
            env_var("PROMPTSALES_WHATSAPP_TOKEN"),
            env_var("PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID"),
        ) else {
            return Ok(None);
        };
        let api = WhatsappApi::from_env()?;
        Ok(Some(Self {
            base_url: api.base_url,
            version: api.version,
            phone_number_id,
            token,
            waba_id: env_var("PROMPTSALES_WHATSAPP_WABA_ID"),
        }))
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
                waba_id: self.waba_id,
            },
        )
    }
}

/// What a send carries: free text (only inside the service window) or an
/// approved template with its body parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text(String),
    Template(TemplateChoice),
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
#[derive(Debug, Clone)]
pub struct Connector {
    api: WhatsappApi,
    /// The environment's account: senders without a connection use it.
    default: Option<WhatsappAccount>,
    /// Present when this process may reach the provider at all.
    http: Option<reqwest::Client>,
    /// Approved templates per WhatsApp Business Account (per connection).
    templates: moka::sync::Cache<String, Arc<Vec<ApprovedTemplate>>>,
}

impl Default for Connector {
    fn default() -> Self {
        Self {
            api: WhatsappApi::default(),
            default: None,
            http: None,
            templates: template_cache(),
        }
    }
}

fn template_cache() -> moka::sync::Cache<String, Arc<Vec<ApprovedTemplate>>> {
    moka::sync::Cache::builder()
        .max_capacity(1_000)
        .time_to_live(TEMPLATE_TTL)
        .build()
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
            templates: template_cache(),
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
        self.send_from(None, channel, to, &Content::Text(text.to_owned()))
            .await
    }

    /// The account a send from `account` (or the default) would use, when
    /// this process may reach the provider at all.
    pub fn live_account<'a>(
        &'a self,
        account: Option<&'a WhatsappAccount>,
    ) -> Option<&'a WhatsappAccount> {
        self.http.as_ref()?;
        account.or(self.default.as_ref())
    }

    /// The approved templates of `account`'s WhatsApp Business Account
    /// (or the default account's), read once per [`TEMPLATE_TTL`]:
    /// `Ok(None)` when there is nothing to ask (sandbox, or no WABA id).
    pub async fn approved_templates(
        &self,
        account: Option<&WhatsappAccount>,
    ) -> Result<Option<Arc<Vec<ApprovedTemplate>>>, AppError> {
        let (Some(http), Some(wa)) = (&self.http, self.live_account(account)) else {
            return Ok(None);
        };
        let Some(waba) = wa.waba_id.as_deref() else {
            return Ok(None);
        };
        if let Some(hit) = self.templates.get(waba) {
            return Ok(Some(hit));
        }
        let url = format!(
            "{}/{}/{}/message_templates",
            self.api.base_url, self.api.version, waba
        );
        let unreachable = |e: &reqwest::Error| {
            tracing::warn!(failure = failure_kind(e), "WhatsApp templates not listed");
            AppError::Unavailable(
                "WhatsApp's approved templates could not be listed; nothing was sent, retry later"
                    .into(),
            )
        };
        let resp = http
            .get(&url)
            .query(&[
                ("status", "APPROVED"),
                ("fields", "name,language,status,category,components"),
                ("limit", "250"),
            ])
            .bearer_auth(&wa.token)
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let (status, value) = read_capped(resp).await.map_err(|e| unreachable(&e))?;
        if !status.is_success() {
            let code = value["error"]["code"].as_i64();
            tracing::warn!(
                status = status.as_u16(),
                provider_code = code,
                "WhatsApp refused the template list"
            );
            return Err(AppError::Unavailable(format!(
                "WhatsApp's approved templates could not be listed: {}",
                refusal(status.as_u16(), code)
            )));
        }
        let list = Arc::new(templates::parse_list(&value));
        self.templates.insert(waba.to_owned(), list.clone());
        Ok(Some(list))
    }

    /// Sends `text` to `to` from `account` (a client's connection), or
    /// from the default account when `None`; a sandbox receipt when the
    /// channel has no live connector or no account applies.
    pub async fn send_from(
        &self,
        account: Option<&WhatsappAccount>,
        channel: ContactChannel,
        to: &str,
        content: &Content,
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
        let to = to.trim_start_matches('+');
        let body = match content {
            Content::Text(text) => json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": { "preview_url": false, "body": text },
            }),
            Content::Template(t) => {
                let parameters: Vec<_> = t
                    .parameters
                    .iter()
                    .map(|p| json!({"type": "text", "text": p}))
                    .collect();
                // A template without body variables takes no components.
                let components = if parameters.is_empty() {
                    json!([])
                } else {
                    json!([{ "type": "body", "parameters": parameters }])
                };
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": to,
                    "type": "template",
                    "template": {
                        "name": t.name,
                        "language": { "code": t.language },
                        "components": components,
                    },
                })
            }
        };
        let unreachable = |e: &reqwest::Error| {
            tracing::warn!(failure = failure_kind(e), "WhatsApp Cloud API unreachable");
            // Only a failed connection proves nothing left: after the
            // request was written, the message may exist, and a blind
            // retry could deliver it twice.
            AppError::Unavailable(if e.is_connect() {
                "WhatsApp could not be reached; the message was not sent, retry later".into()
            } else {
                format!(
                    "WhatsApp did not answer properly ({}) after the request was sent: the message \
                     may have gone out; it was not recorded as sent — check with the lead before \
                     sending it again",
                    failure_kind(e)
                )
            })
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
            return Err(AppError::Unavailable(refusal(status.as_u16(), code)));
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
            return Err(refusal(status.as_u16(), value["error"]["code"].as_i64()));
        }
        let number = value["display_phone_number"].as_str().unwrap_or("?");
        let name = value["verified_name"].as_str().unwrap_or("?");
        Ok(format!("reached {number} ({name})"))
    }
}

/// What a client is told about a refused call, by HTTP status and the
/// platform's documented error code (the provider's own text may quote
/// the request, so it stays in the log).
fn refusal(status: u16, code: Option<i64>) -> String {
    match code {
        Some(2635) | Some(12) => {
            return format!(
                "WhatsApp refused the API version (HTTP {status}, code {}): set \
                 PROMPTSALES_WHATSAPP_API_VERSION to a current version (default {DEFAULT_VERSION})",
                code.unwrap_or_default()
            );
        }
        Some(131047) => {
            return format!(
                "WhatsApp refused free text (HTTP {status}, code 131047 re-engagement): more than 24 h \
                 since the person last wrote; send an approved template"
            );
        }
        Some(c @ (132000 | 132001 | 132007 | 132012 | 132015 | 132016)) => {
            return format!(
                "WhatsApp refused the template (HTTP {status}, code {c}): check its name, language \
                 and parameters against the approved templates"
            );
        }
        _ => {}
    }
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
            "WhatsApp answered HTTP {status} after the request was sent: the message may or may \
             not have gone out; it was not recorded as sent — check with the lead before sending \
             it again"
        ),
        _ => format!(
            "WhatsApp refused the message (HTTP {status}{}): check the recipient and the text; \
             details are in the server log",
            code.map(|c| format!(", code {c}")).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
#[path = "connector_tests.rs"]
mod tests;
