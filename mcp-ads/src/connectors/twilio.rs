//! Twilio Programmable Messaging: nothing exists on Twilio before launch
//! (publishing checks the message and recipients); launch sends one SMS per
//! recipient with `POST /2010-04-01/Accounts/{sid}/Messages.json`.

use chrono::NaiveDate;
use serde_json::Value;

use super::http::by_status;
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret,
};
use crate::domain::benchmarks::Platform;

const P: &str = "twilio";
const HINT: &str = "PROMPTSALES_TWILIO_ACCOUNT_SID and PROMPTSALES_TWILIO_AUTH_TOKEN";

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
    http: Http,
}

impl Twilio {
    pub fn new(cfg: TwilioConfig, http: Http) -> Self {
        Self { cfg, http }
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
        .form(vec![
            ("To".into(), to.into()),
            (sender.into(), self.cfg.from.clone()),
            ("Body".into(), body.into()),
        ])
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
                let body = self
                    .http
                    .send(P, HINT, &self.message_call(to, msg), by_status)
                    .await
                    .map_err(|e| match e {
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
