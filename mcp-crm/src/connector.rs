//! Channel connectors for `send_message`: the WhatsApp Cloud API over
//! `reqwest` when configured, otherwise a sandbox that records the message
//! without sending it.

use std::time::Duration;

use promptsales_shared::AppError;
use serde_json::json;

use crate::domain::ContactChannel;

/// WhatsApp Cloud API settings (`PROMPTSALES_WHATSAPP_*`).
#[derive(Debug, Clone)]
pub struct WhatsappConfig {
    /// e.g. `https://graph.facebook.com`.
    pub base_url: String,
    /// Graph API version, e.g. `v21.0`.
    pub version: String,
    pub phone_number_id: String,
    pub token: String,
}

impl WhatsappConfig {
    /// Settings from the environment: live sending needs both
    /// `PROMPTSALES_WHATSAPP_TOKEN` and `PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID`.
    pub fn from_env() -> Option<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let token = var("PROMPTSALES_WHATSAPP_TOKEN")?;
        let phone_number_id = var("PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID")?;
        Some(Self {
            base_url: var("PROMPTSALES_WHATSAPP_API_BASE")
                .unwrap_or_else(|| "https://graph.facebook.com".into())
                .trim_end_matches('/')
                .to_owned(),
            version: var("PROMPTSALES_WHATSAPP_API_VERSION").unwrap_or_else(|| "v21.0".into()),
            phone_number_id,
            token,
        })
    }
}

/// What a send produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// True when nothing left the building (sandbox).
    pub sandbox: bool,
    /// The provider's message id (`wamid.…`), when sent for real.
    pub provider_message_id: Option<String>,
}

/// Sends messages on direct channels.
#[derive(Debug, Clone)]
pub struct Connector {
    whatsapp: Option<WhatsappConfig>,
    http: reqwest::Client,
}

impl Default for Connector {
    fn default() -> Self {
        Self::sandbox()
    }
}

impl Connector {
    /// Records messages without sending them.
    pub fn sandbox() -> Self {
        Self {
            whatsapp: None,
            http: reqwest::Client::new(),
        }
    }

    pub fn with_whatsapp(cfg: Option<WhatsappConfig>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Self {
            whatsapp: cfg,
            http,
        }
    }

    /// Whether `channel` sends for real.
    pub fn is_live(&self, channel: ContactChannel) -> bool {
        channel == ContactChannel::Whatsapp && self.whatsapp.is_some()
    }

    /// Sends `text` to `to` (E.164 phone or email address).
    pub async fn send(
        &self,
        channel: ContactChannel,
        to: &str,
        text: &str,
    ) -> Result<Receipt, AppError> {
        let Some(wa) = self
            .whatsapp
            .as_ref()
            .filter(|_| channel == ContactChannel::Whatsapp)
        else {
            return Ok(Receipt {
                sandbox: true,
                provider_message_id: None,
            });
        };
        let url = format!(
            "{}/{}/{}/messages",
            wa.base_url, wa.version, wa.phone_number_id
        );
        let body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.trim_start_matches('+'),
            "type": "text",
            "text": { "preview_url": false, "body": text },
        });
        let resp = self
            .http
            .post(&url)
            .bearer_auth(&wa.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                // reqwest's words carry the API URL (with the phone number
                // id); they stay in the log.
                tracing::warn!(error = %e, "WhatsApp Cloud API unreachable");
                AppError::Unavailable(
                    "WhatsApp could not be reached; the message was not sent, retry later".into(),
                )
            })?;
        let status = resp.status();
        let value: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
        if !status.is_success() {
            // The provider's own message may quote the request; the client
            // gets the status and what to do, the log gets the details.
            let why = value["error"]["message"]
                .as_str()
                .unwrap_or("no error message");
            tracing::warn!(
                status = status.as_u16(),
                provider_error = why,
                "WhatsApp refused a message"
            );
            return Err(AppError::Unavailable(refusal(status.as_u16())));
        }
        let id = value["messages"][0]["id"].as_str().map(str::to_owned);
        if id.is_none() {
            tracing::warn!(response = %value, "WhatsApp answered without a message id");
            return Err(AppError::Unavailable(
                "WhatsApp accepted the request but returned no message id; check the log before retrying".into(),
            ));
        }
        Ok(Receipt {
            sandbox: false,
            provider_message_id: id,
        })
    }
}

/// What a client is told about a refused send, by HTTP status.
fn refusal(status: u16) -> String {
    match status {
        401 | 403 => format!(
            "WhatsApp rejected this server's credentials (HTTP {status}): the message was not sent; \
             check PROMPTSALES_WHATSAPP_TOKEN and PROMPTSALES_WHATSAPP_PHONE_NUMBER_ID"
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
        headers: HeaderMap,
        Json(body): Json<serde_json::Value>,
    ) -> (StatusCode, Json<serde_json::Value>) {
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
        let c = Connector::with_whatsapp(Some(cfg(&base, "tok")));
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
    async fn provider_errors_are_reported_and_sandbox_sends_nothing() {
        let (base, seen) = start().await;
        let c = Connector::with_whatsapp(Some(cfg(&base, "wrong")));
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
        let c = Connector::with_whatsapp(Some(cfg("http://127.0.0.1:9", "tok")));
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
}
