//! Mailchimp Marketing API v3: a regular campaign to the configured
//! audience list, saved unsent with its content; launch sends it (or
//! schedules it at the start date). Delivery from the campaign report.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::http::by_status;
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret, count_of,
};
use crate::domain::benchmarks::Platform;

const P: &str = "mailchimp";
const HINT: &str = "PROMPTSALES_MAILCHIMP_API_KEY (key-dc, e.g. abc123-us21)";

/// The API of the key's data centre (its suffix: `…-us21`), unless the
/// deployment points elsewhere (`PROMPTSALES_MAILCHIMP_BASE_URL`).
pub fn base_url_for(api_key: &str, configured: Option<String>) -> String {
    configured.unwrap_or_else(|| {
        let dc = api_key.rsplit_once('-').map_or("us1", |(_, dc)| dc);
        // The data centre names a host: letters and digits only.
        let dc: String = dc.chars().filter(char::is_ascii_alphanumeric).collect();
        format!("https://{dc}.api.mailchimp.com")
    })
}

/// Mailchimp settings (`PROMPTSALES_MAILCHIMP_*`, or a client's connection).
#[derive(Debug, Clone)]
pub struct MailchimpConfig {
    pub base_url: String,
    pub api_key: Secret,
    pub list_id: String,
    pub from_name: String,
    pub reply_to: String,
}

impl MailchimpConfig {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Vec<String>> {
        let key = env("PROMPTSALES_MAILCHIMP_API_KEY");
        let list = env("PROMPTSALES_MAILCHIMP_LIST_ID");
        let reply = env("PROMPTSALES_MAILCHIMP_REPLY_TO");
        match (key, list, reply) {
            (Some(api_key), Some(list_id), Some(reply_to)) => {
                let ep = super::Endpoints::from_lookup(env);
                Ok(Self {
                    base_url: base_url_for(&api_key, ep.mailchimp_base),
                    api_key: Secret::new(api_key),
                    list_id,
                    from_name: ep.mailchimp_from_name,
                    reply_to,
                })
            }
            (k, l, r) => Err([
                k.is_none().then_some("PROMPTSALES_MAILCHIMP_API_KEY"),
                l.is_none().then_some("PROMPTSALES_MAILCHIMP_LIST_ID"),
                r.is_none().then_some("PROMPTSALES_MAILCHIMP_REPLY_TO"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect()),
        }
    }
}

/// The Mailchimp client.
#[derive(Debug, Clone)]
pub struct Mailchimp {
    cfg: MailchimpConfig,
    http: Http,
}

/// Plain text → minimal HTML paragraphs (escaped).
fn html_of(text: &str) -> String {
    let esc = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    esc.split("\n\n")
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
        .collect()
}

impl Mailchimp {
    pub fn new(cfg: MailchimpConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn call(&self, step: &str, method: &'static str, path: &str) -> Call {
        // Basic auth with any user name and the API key as the password.
        Call::new(step, method, format!("{}/3.0/{path}", self.cfg.base_url)).auth(Auth::Basic(
            "anystring".into(),
            self.cfg.api_key.expose().to_owned(),
        ))
    }

    fn create_call(&self, req: &PublishRequest) -> Call {
        self.call("create campaign (unsent)", "POST", "campaigns")
            .json(json!({
                "type": "regular",
                "recipients": {"list_id": self.cfg.list_id},
                "settings": {
                    "subject_line": req.subject.clone().unwrap_or_else(|| req.name.clone()),
                    "title": format!("{} [{}]", req.name, req.campaign_id),
                    "from_name": self.cfg.from_name,
                    "reply_to": self.cfg.reply_to
                }
            }))
    }

    fn content_call(&self, id: &str, message: &str) -> Call {
        self.call("set content", "PUT", &format!("campaigns/{id}/content"))
            .json(json!({"plain_text": message, "html": html_of(message)}))
    }

    fn send_call(&self, id: &str, start: NaiveDate) -> Call {
        if start > chrono::Utc::now().date_naive() {
            self.call(
                "schedule send at the start date",
                "POST",
                &format!("campaigns/{id}/actions/schedule"),
            )
            .json(json!({"schedule_time": format!("{start}T09:00:00+00:00")}))
        } else {
            self.call("send", "POST", &format!("campaigns/{id}/actions/send"))
        }
    }

    fn message<'r>(&self, req: &'r PublishRequest) -> Result<&'r str, ConnectorError> {
        req.message.as_deref().ok_or_else(|| ConnectorError::Missing {
            platform: P,
            message: "email needs a message: set `message` (and `subject`) with update_campaign before launching".into(),
        })
    }
}

impl Connector for Mailchimp {
    fn platform(&self) -> Platform {
        Platform::Mailchimp
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        vec![
            self.create_call(req),
            self.content_call(
                "<id from step 1>",
                req.message.as_deref().unwrap_or_default(),
            ),
            self.send_call("<id from step 1>", req.start),
        ]
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let message = self.message(req)?;
            let body = self
                .http
                .send(P, HINT, &self.create_call(req), by_status)
                .await?;
            let id = body
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ConnectorError::unexpected(P, "no `id` in the answer", &body))?;
            self.http
                .send(P, HINT, &self.content_call(&id, message), by_status)
                .await?;
            Ok(ExternalIds::from([("campaign".to_owned(), id)]))
        })
    }

    fn enable<'a>(&'a self, req: &'a PublishRequest, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let id = ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            self.http
                .send(P, HINT, &self.send_call(id, req.start), by_status)
                .await
                .map(|_| ())
        })
    }

    fn pause<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let id = ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            // Only a scheduled send can be held back; a sent email cannot.
            let call = self.call(
                "unschedule",
                "POST",
                &format!("campaigns/{id}/actions/unschedule"),
            );
            match self.http.send(P, HINT, &call, by_status).await {
                Ok(_) => Ok(()),
                Err(ConnectorError::Http { status: 400, .. }) => Err(ConnectorError::Unsupported {
                    platform: P,
                    message: "the email was already sent; it cannot be paused".into(),
                }),
                Err(e) => Err(e),
            }
        })
    }

    fn resume<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            Err(ConnectorError::Unsupported {
                platform: P,
                message: "an unscheduled email is resumed by launching a new email campaign".into(),
            })
        })
    }

    fn set_budget<'a>(&'a self, _ids: &'a ExternalIds, _b: i64, _d: i64) -> BoxFut<'a, ()> {
        // Email has no media budget on the platform: the plan records it.
        Box::pin(async move { Ok(()) })
    }

    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async move {
            let call = self
                .call(
                    "read the audience",
                    "GET",
                    &format!("lists/{}", self.cfg.list_id),
                )
                .query("fields", "id,name,stats.member_count");
            let body = self.http.send(P, HINT, &call, by_status).await?;
            Ok(format!(
                "audience {} ({}, {} members)",
                self.cfg.list_id,
                body.get("name").and_then(Value::as_str).unwrap_or("?"),
                count_of(body.pointer("/stats/member_count").unwrap_or(&Value::Null))
            ))
        })
    }

    fn fetch_daily<'a>(
        &'a self,
        target: &'a MetricsTarget,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BoxFut<'a, Vec<DailyMetrics>> {
        Box::pin(async move {
            let id = target
                .ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            let body = self
                .http
                .send(
                    P,
                    HINT,
                    &self.call("read report", "GET", &format!("reports/{id}")),
                    by_status,
                )
                .await?;
            let sent_on = body
                .get("send_time")
                .and_then(Value::as_str)
                .and_then(|t| NaiveDate::parse_from_str(t.get(..10).unwrap_or(t), "%Y-%m-%d").ok());
            let Some(day) = sent_on.filter(|d| *d >= from && *d <= to) else {
                return Ok(Vec::new());
            };
            let sent = count_of(body.get("emails_sent").unwrap_or(&Value::Null));
            Ok(vec![DailyMetrics {
                date: day,
                country: None,
                impressions: sent,
                reach: count_of(body.pointer("/opens/unique_opens").unwrap_or(&Value::Null))
                    .min(sent),
                clicks: count_of(body.pointer("/clicks/clicks_total").unwrap_or(&Value::Null))
                    .min(sent),
                spend_cents: 0,
                conversions: count_of(
                    body.pointer("/ecommerce/total_orders")
                        .unwrap_or(&Value::Null),
                ),
                value_cents: (body
                    .pointer("/ecommerce/total_revenue")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
                    * 100.0)
                    .round() as i64,
            }])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_escaped_paragraphs() {
        assert_eq!(
            html_of("Hola <b>\n\nCompra"),
            "<p>Hola &lt;b&gt;</p><p>Compra</p>"
        );
    }
}
