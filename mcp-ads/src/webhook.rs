//! Twilio status callbacks (HTTP mode, beside `/mcp`): each SMS's status
//! and error code, accepted only with a valid `X-Twilio-Signature` under
//! the auth token of the account that sent it, recorded once per
//! (MessageSid, status), without the recipient's number.
//!
//! Twilio signs HMAC-SHA1(auth token, the full URL it called + every POST
//! parameter's name and value, sorted by name), base64
//! (<https://www.twilio.com/docs/usage/webhooks/webhooks-security>); the
//! parameters are those of an outbound message status callback
//! (<https://www.twilio.com/docs/messaging/guides/track-outbound-message-status>).

use std::sync::Arc;

use aws_lc_rs::hmac;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use futures::future::BoxFuture;
use promptsales_shared::AppError;
use promptsales_shared::crypto::Crypto;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, TenantId};
use promptsales_shared::time::now_ts;
use sqlx::Row;

use crate::connectors::Secret;
use crate::service::open_sealed;
use crate::store::AdsStore;

/// Path of the status-callback route; the public URL in
/// `PROMPTSALES_TWILIO_STATUS_CALLBACK_URL` must reach it.
pub const PATH: &str = "/webhooks/twilio/status";
/// The public URL Twilio posts each message's status to (this server's
/// [`PATH`], as the internet reaches it), sent as `StatusCallback`.
pub const STATUS_CALLBACK_VAR: &str = "PROMPTSALES_TWILIO_STATUS_CALLBACK_URL";

/// Where an account's auth token comes from.
pub trait AuthTokens: Send + Sync {
    /// The auth token of `account_sid`, or `None` when this server knows
    /// no such account.
    fn auth_token<'a>(
        &'a self,
        account_sid: &'a str,
    ) -> BoxFuture<'a, Result<Option<Secret>, AppError>>;
}

/// The environment's account, then the tenant's SMS connections (their
/// sealed credentials opened as the service opens them).
pub struct ConfiguredTokens {
    /// `PROMPTSALES_TWILIO_ACCOUNT_SID` and `…_AUTH_TOKEN`, when set.
    pub env: Option<(String, Secret)>,
    pub store: AdsStore,
    pub crypto: Option<Crypto>,
    pub tenant: TenantId,
}

impl AuthTokens for ConfiguredTokens {
    fn auth_token<'a>(
        &'a self,
        account_sid: &'a str,
    ) -> BoxFuture<'a, Result<Option<Secret>, AppError>> {
        Box::pin(async move {
            if let Some((sid, token)) = &self.env
                && sid == account_sid
            {
                return Ok(Some(token.clone()));
            }
            let rows = self
                .store
                .list_connections(&self.tenant, None, Some(Channel::Sms))
                .await?;
            let Some(row) = rows
                .iter()
                .find(|r| r.account.account_sid.as_deref() == Some(account_sid))
            else {
                return Ok(None);
            };
            let (Some(sealed), Some(crypto)) = (row.credentials.as_deref(), &self.crypto) else {
                return Ok(None);
            };
            let secrets = open_sealed(crypto, &self.tenant, row, sealed)?;
            Ok(secrets.auth_token.map(Secret::new))
        })
    }
}

#[derive(Clone)]
struct Hook {
    db: Db,
    tenant: TenantId,
    /// The URL Twilio was given (`StatusCallback`): what it signs.
    public_url: String,
    tokens: Arc<dyn AuthTokens>,
}

/// The status-callback route. `public_url` is the URL sent as
/// `StatusCallback`, exactly: behind a proxy the request's own URL differs,
/// and Twilio signs the one it called.
pub fn router(db: Db, tenant: TenantId, public_url: String, tokens: Arc<dyn AuthTokens>) -> Router {
    Router::new().route(PATH, post(receive)).with_state(Hook {
        db,
        tenant,
        public_url,
        tokens,
    })
}

/// The string Twilio signs: the URL, then each parameter's name and value
/// in order of name (then value, for repeated names).
fn signed_data(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    data
}

/// `X-Twilio-Signature` for `url` and `params` under `auth_token`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    // SHA-1 because Twilio's scheme is HMAC-SHA1; the key is the secret.
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token.as_bytes());
    let tag = hmac::sign(&key, signed_data(url, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Whether `header` is Twilio's signature of `url` and `params` (compared
/// in constant time).
pub fn signature_ok(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> bool {
    let Some(sig) = header.and_then(|h| {
        base64::engine::general_purpose::STANDARD
            .decode(h.trim())
            .ok()
    }) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token.as_bytes());
    hmac::verify(&key, signed_data(url, params).as_bytes(), &sig).is_ok()
}

/// The pairs of an `application/x-www-form-urlencoded` body.
fn form_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut url = reqwest::Url::parse("http://form.invalid/").ok()?;
    url.set_query(Some(text));
    Some(url.query_pairs().into_owned().collect())
}

/// One recorded status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsStatus {
    pub message_sid: String,
    pub status: String,
    pub error_code: Option<String>,
    /// The recipient's last four digits.
    pub to_last4: Option<String>,
}

/// The statuses recorded for `message_sid`, in the order received.
pub async fn statuses_of(
    db: &Db,
    tenant: &TenantId,
    message_sid: &str,
) -> Result<Vec<SmsStatus>, AppError> {
    let rows = sqlx::query(
        "SELECT message_sid, status, error_code, to_last4 FROM sms_statuses \
         WHERE tenant_id = $1 AND message_sid = $2 ORDER BY received_at, status",
    )
    .bind(tenant.as_str().to_owned())
    .bind(message_sid.to_owned())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SmsStatus {
                message_sid: r.try_get("message_sid")?,
                status: r.try_get("status")?,
                error_code: r.try_get("error_code")?,
                to_last4: r.try_get("to_last4")?,
            })
        })
        .collect()
}

/// Records one status; `false` when this (message, status) was known.
async fn record(
    db: &Db,
    tenant: &TenantId,
    account_sid: &str,
    s: &SmsStatus,
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "INSERT INTO sms_statuses (tenant_id, message_sid, status, account_sid, error_code, \
         to_last4, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, message_sid, status) DO NOTHING",
    )
    .bind(tenant.as_str().to_owned())
    .bind(s.message_sid.clone())
    .bind(s.status.clone())
    .bind(account_sid.to_owned())
    .bind(s.error_code.clone())
    .bind(s.to_last4.clone())
    .bind(now_ts())
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// A SID as Twilio writes them: two letters and 32 hex digits.
fn is_sid(v: &str, prefix: &str) -> bool {
    v.len() == 34 && v.starts_with(prefix) && v[2..].chars().all(|c| c.is_ascii_hexdigit())
}

async fn receive(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    let forbidden = || (StatusCode::FORBIDDEN, "invalid X-Twilio-Signature").into_response();
    let Some(params) = form_pairs(&body) else {
        return forbidden();
    };
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // The account names the token that must have signed the request.
    let Some(account) = get("AccountSid") else {
        return forbidden();
    };
    let token = match h.tokens.auth_token(account).await {
        Ok(Some(t)) => t,
        Ok(None) => return forbidden(),
        Err(e) => {
            tracing::warn!(error = %e, "Twilio auth token not read");
            return (StatusCode::SERVICE_UNAVAILABLE, "retry later").into_response();
        }
    };
    let sig = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    if !signature_ok(token.expose(), &h.public_url, &params, sig) {
        return forbidden();
    }
    let (Some(sid), Some(status)) = (get("MessageSid").or(get("SmsSid")), get("MessageStatus"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "MessageSid and MessageStatus are required",
        )
            .into_response();
    };
    if !(is_sid(sid, "SM") || is_sid(sid, "MM")) || status.len() > 32 {
        return (StatusCode::BAD_REQUEST, "not a message status callback").into_response();
    }
    let to_last4 = get("To").map(|to| {
        let digits: String = to.chars().filter(char::is_ascii_digit).collect();
        digits[digits.len().saturating_sub(4)..].to_owned()
    });
    let s = SmsStatus {
        message_sid: sid.to_owned(),
        status: status.to_owned(),
        error_code: get("ErrorCode")
            .filter(|c| !c.is_empty() && c.len() <= 10)
            .map(str::to_owned),
        to_last4,
    };
    match record(&h.db, &h.tenant, account, &s).await {
        Ok(new) => {
            if !new {
                tracing::debug!("duplicate Twilio status dropped");
            }
            if s.status == "failed" || s.status == "undelivered" {
                tracing::warn!(
                    status = %s.status,
                    error_code = s.error_code.as_deref().unwrap_or(""),
                    "an SMS was not delivered"
                );
            }
            (StatusCode::OK, "ok").into_response()
        }
        Err(e) => {
            // A 5xx makes Twilio try the callback again.
            tracing::warn!(error = %e, "Twilio status not stored");
            (StatusCode::SERVICE_UNAVAILABLE, "retry later").into_response()
        }
    }
}
