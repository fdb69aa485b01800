//! Twilio Programmable Messaging: nothing exists on Twilio before launch
//! (publishing checks the message and recipients); launch sends one SMS per
//! recipient with `POST /2010-04-01/Accounts/{sid}/Messages.json`, each
//! with a `StatusCallback` when a public URL is configured, and never
//! retries a POST that may have been delivered.
//!
//! Documentation followed (Twilio):
//! - Message resource, create (`To`, `From` or `MessagingServiceSid`,
//!   `Body`, `StatusCallback`):
//!   <https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource>.
//! - Outbound message status callbacks (`MessageSid`, `MessageStatus`,
//!   `ErrorCode`; queued → sent → delivered / undelivered / failed):
//!   <https://www.twilio.com/docs/messaging/guides/track-outbound-message-status>.
//! - Webhook security (`X-Twilio-Signature`: HMAC-SHA1 with the auth token
//!   over the full URL and the POST parameters sorted by name, base64):
//!   <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.
//! - Errors and retries: a 5xx or a timeout after the request was sent
//!   does not say whether the message was created, and the Messages API
//!   offers no idempotency key, so only a request that certainly never
//!   reached Twilio (connection refused) or a 429 is sent again:
//!   <https://www.twilio.com/docs/usage/twilios-response> and
//!   <https://www.twilio.com/docs/api/errors>.

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;

use super::http::by_status;
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Limits, Lookup,
    MetricsTarget, PublishRequest, RetryPolicy, Secret,
};
use crate::domain::benchmarks::Platform;
use crate::webhook::STATUS_CALLBACK_VAR;

const P: &str = "twilio";
const HINT: &str = "PROMPTSALES_TWILIO_ACCOUNT_SID and PROMPTSALES_TWILIO_AUTH_TOKEN";
/// Tries in all for a send that certainly did not reach Twilio.
const MAX_SAFE_ATTEMPTS: u32 = 3;
/// First wait before such a retry; doubles each time.
const SAFE_RETRY_DELAY: Duration = Duration::from_millis(200);

/// The last four digits of a number: enough to tell recipients apart in
/// an error, without repeating personal data.
pub fn masked(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let tail = digits.len().saturating_sub(4);
    format!("…{}", &digits[tail..])
}

/// The default Twilio endpoint.
pub const BASE_URL: &str = "https://api.twilio.com";

/// Twilio settings (`PROMPTSALES_TWILIO_*`, or a client's connection).
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: Secret,
    /// Sender: an E.164 number or a Messaging Service SID (`MG…`).
    pub from: String,
}

impl TwilioConfig {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Vec<String>> {
        let sid = env("PROMPTSALES_TWILIO_ACCOUNT_SID");
        let token = env("PROMPTSALES_TWILIO_AUTH_TOKEN");
        let from = env("PROMPTSALES_TWILIO_FROM");
        match (sid, token, from) {
            (Some(account_sid), Some(auth_token), Some(from)) => Ok(Self {
                base_url: super::Endpoints::from_lookup(env).twilio_base,
                account_sid,
                auth_token: Secret::new(auth_token),
                from,
            }),
            (s, t, f) => Err([
                s.is_none().then_some("PROMPTSALES_TWILIO_ACCOUNT_SID"),
                t.is_none().then_some("PROMPTSALES_TWILIO_AUTH_TOKEN"),
                f.is_none().then_some("PROMPTSALES_TWILIO_FROM"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect()),
        }
    }
}

/// The Twilio client.
#[derive(Debug, Clone)]
pub struct Twilio {
    cfg: TwilioConfig,
    /// Reads (the account check): the shared client with its retries.
    http: Http,
    /// Message POSTs: one attempt each; [`Twilio::send_one`] decides what
    /// may be sent again.
    post: Http,
    /// Where Twilio reports each message's status, when configured.
    status_callback: Option<String>,
}

/// A callback URL Twilio can call: absolute http(s), or none.
fn callback_url(v: Option<String>) -> Option<String> {
    let v = v?.trim().to_owned();
    if v.starts_with("https://") || v.starts_with("http://") {
        Some(v)
    } else {
        tracing::warn!(
            var = STATUS_CALLBACK_VAR,
            "not an http(s) URL; SMS are sent without status callbacks"
        );
        None
    }
}

impl Twilio {
    /// A client; status callbacks go to `PROMPTSALES_TWILIO_STATUS_CALLBACK_URL`
    /// when set (the deployment's public URL, the same for every client).
    pub fn new(cfg: TwilioConfig, http: Http) -> Self {
        Self {
            cfg,
            http,
            post: Http::new(
                RetryPolicy {
                    max_attempts: 1,
                    base_delay: Duration::ZERO,
                    max_delay: Duration::ZERO,
                },
                Limits::default(),
            ),
            status_callback: callback_url(std::env::var(STATUS_CALLBACK_VAR).ok()),
        }
    }

    /// The same client with `url` as the status callback (`None`: none).
    pub fn with_status_callback(mut self, url: Option<String>) -> Self {
        self.status_callback = callback_url(url);
        self
    }

    /// The same client with other bounds on message POSTs (tests).
    pub fn with_post_limits(mut self, limits: Limits) -> Self {
        self.post = Http::new(
            RetryPolicy {
                max_attempts: 1,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
            },
            limits,
        );
        self
    }

    /// Sends one SMS. Sent again only when it certainly did not reach
    /// Twilio (the connection failed) or Twilio said 429 (not created);
    /// a 5xx, a timeout or a broken answer after the request left leaves
    /// the outcome unknown, and a retry could deliver it twice.
    async fn send_one(&self, to: &str, body: &str) -> Result<Value, ConnectorError> {
        let call = self.message_call(to, body);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let unknown = |what: String| ConnectorError::Http {
                platform: P,
                status: 0,
                message: format!(
                    "outcome unknown for the SMS to {}: {what}, after the request was sent, so \
                     Twilio may have sent it; it was not retried (that could send it twice) — check \
                     the Messages log in Twilio before sending to this number again",
                    masked(to)
                ),
                retryable: false,
            };
            match self.post.send(P, HINT, &call, by_status).await {
                Ok(v) => return Ok(v),
                Err(
                    ConnectorError::Transport {
                        reason: "the connection failed",
                        ..
                    }
                    | ConnectorError::RateLimited { .. },
                ) if attempt < MAX_SAFE_ATTEMPTS => {
                    let wait = SAFE_RETRY_DELAY.saturating_mul(2u32.pow(attempt - 1));
                    tracing::info!(platform = P, attempt, "SMS not accepted; sending again");
                    tokio::time::sleep(wait).await;
                }
                Err(ConnectorError::Http {
                    status, message, ..
                }) if status >= 500 => {
                    return Err(unknown(format!(
                        "Twilio answered HTTP {status} ({message})"
                    )));
                }
                Err(ConnectorError::Transport {
                    reason: reason @ ("the request timed out" | "the request failed"),
                    ..
                }) => return Err(unknown(reason.to_owned())),
                Err(ConnectorError::Protocol { detail, .. }) => {
                    return Err(unknown(format!("the answer could not be read ({detail})")));
                }
                Err(other) => return Err(other),
            }
        }
    }

    fn message_call(&self, to: &str, body: &str) -> Call {
        let sender = if self.cfg.from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        Call::new(
            format!("send SMS to {to}"),
            "POST",
            format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                self.cfg.base_url, self.cfg.account_sid
            ),
        )
        .auth(Auth::Basic(
            self.cfg.account_sid.clone(),
            self.cfg.auth_token.expose().to_owned(),
        ))
        .form(
            [
                ("To".to_owned(), to.to_owned()),
                (sender.to_owned(), self.cfg.from.clone()),
                ("Body".to_owned(), body.to_owned()),
            ]
            .into_iter()
            .chain(
                self.status_callback
                    .iter()
                    .map(|u| ("StatusCallback".to_owned(), u.clone())),
            )
            .collect(),
        )
    }

    fn check<'r>(&self, req: &'r PublishRequest) -> Result<&'r str, ConnectorError> {
        let msg = req
            .message
            .as_deref()
            .ok_or_else(|| ConnectorError::Missing {
                platform: P,
                message: "sms needs a message: set `message` with update_campaign before launching"
                    .into(),
            })?;
        if req.recipients.is_empty() {
            return Err(ConnectorError::Missing {
                platform: P,
                message: "sms needs recipients: set `sms_recipients` (E.164 numbers) with update_campaign".into(),
            });
        }
        Ok(msg)
    }
}

impl Connector for Twilio {
    fn platform(&self) -> Platform {
        Platform::Twilio
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        let msg = req.message.clone().unwrap_or_default();
        req.recipients
            .iter()
            .map(|to| self.message_call(to, &msg))
            .collect()
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            self.check(req)?;
            Ok(ExternalIds::from([
                ("account".to_owned(), self.cfg.account_sid.clone()),
                ("recipients".to_owned(), req.recipients.len().to_string()),
            ]))
        })
    }

    fn enable<'a>(&'a self, req: &'a PublishRequest, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let msg = self.check(req)?;
            for (i, to) in req.recipients.iter().enumerate() {
                let body = self.send_one(to, msg).await.map_err(|e| match e {
                    ConnectorError::Http {
                        platform,
                        status,
                        message,
                        retryable,
                    } => ConnectorError::Http {
                        platform,
                        status,
                        message: format!(
                            "{message} (after {i} of {} messages were accepted)",
                            req.recipients.len()
                        ),
                        retryable,
                    },
                    other => other,
                })?;
                if body.get("sid").and_then(Value::as_str).is_none() {
                    return Err(ConnectorError::unexpected(
                        P,
                        "no message `sid` in the answer",
                        &body,
                    ));
                }
            }
            Ok(())
        })
    }

    fn pause<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            Err(ConnectorError::Unsupported {
                platform: P,
                message: "SMS are sent at launch; there is nothing left to pause".into(),
            })
        })
    }

    fn resume<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            Err(ConnectorError::Unsupported {
                platform: P,
                message: "SMS are sent at launch; there is nothing to resume".into(),
            })
        })
    }

    fn set_budget<'a>(&'a self, _ids: &'a ExternalIds, _b: i64, _d: i64) -> BoxFut<'a, ()> {
        // SMS cost is per message; there is no budget object on Twilio.
        Box::pin(async move { Ok(()) })
    }

    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async move {
            let call = Call::new(
                "read the account",
                "GET",
                format!(
                    "{}/2010-04-01/Accounts/{}.json",
                    self.cfg.base_url, self.cfg.account_sid
                ),
            )
            .auth(Auth::Basic(
                self.cfg.account_sid.clone(),
                self.cfg.auth_token.expose().to_owned(),
            ));
            let body = self.http.send(P, HINT, &call, by_status).await?;
            Ok(format!(
                "account {} ({}, {}), sender {}",
                self.cfg.account_sid,
                body.get("friendly_name")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                body.get("status").and_then(Value::as_str).unwrap_or("?"),
                self.cfg.from
            ))
        })
    }

    fn fetch_daily<'a>(
        &'a self,
        _target: &'a MetricsTarget,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> BoxFut<'a, Vec<DailyMetrics>> {
        // Twilio has no campaign object to report on: sends are recorded by
        // the launch itself.
        Box::pin(async move { Ok(Vec::new()) })
    }
}
