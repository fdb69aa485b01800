//! TikTok Marketing API v1.3: a campaign with a total budget created
//! DISABLE, set ENABLE at launch; delivery from the integrated report.

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::http::{Verdict, verdict_of_status};
use super::{
    BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret, cents_of, count_of, major_units,
};
use crate::domain::Objective;
use crate::domain::benchmarks::Platform;

const P: &str = "tiktok";
const HINT: &str = "PROMPTSALES_TIKTOK_ACCESS_TOKEN (a long-term advertiser token)";

/// The default TikTok endpoint.
pub const BASE_URL: &str = "https://business-api.tiktok.com";

/// TikTok settings (`PROMPTSALES_TIKTOK_*`, or a client's connection).
#[derive(Debug, Clone)]
pub struct TiktokConfig {
    pub base_url: String,
    pub access_token: Secret,
    pub advertiser_id: String,
}

impl TiktokConfig {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Vec<String>> {
        match (
            env("PROMPTSALES_TIKTOK_ACCESS_TOKEN"),
            env("PROMPTSALES_TIKTOK_ADVERTISER_ID"),
        ) {
            (Some(access_token), Some(advertiser_id)) => Ok(Self {
                base_url: super::Endpoints::from_lookup(env).tiktok_base,
                access_token: Secret::new(access_token),
                advertiser_id,
            }),
            (t, a) => Err([
                t.is_none().then_some("PROMPTSALES_TIKTOK_ACCESS_TOKEN"),
                a.is_none().then_some("PROMPTSALES_TIKTOK_ADVERTISER_ID"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect()),
        }
    }
}

/// The TikTok Marketing API client.
#[derive(Debug, Clone)]
pub struct Tiktok {
    cfg: TiktokConfig,
    http: Http,
}

/// TikTok answers HTTP 200 with a business `code`: 0 is success, 40100 is
/// the rate limit, 40001/40104/40105 are token problems, 5xxxx server side.
fn judge(status: u16, body: &Value, retry_after: Option<Duration>) -> Verdict {
    if status != 200 {
        return verdict_of_status(status, retry_after);
    }
    match body.get("code").and_then(Value::as_i64) {
        Some(0) => Verdict::Ok,
        Some(40100) => Verdict::RateLimited(retry_after),
        Some(40001 | 40104 | 40105) => Verdict::Unauthorized,
        Some(c) if c >= 50000 => Verdict::ServerError,
        _ => Verdict::Fail { retryable: false },
    }
}

fn objective(o: Objective) -> &'static str {
    match o {
        Objective::Awareness => "REACH",
        Objective::Traffic => "TRAFFIC",
        Objective::Leads => "LEAD_GENERATION",
        Objective::Sales => "WEB_CONVERSIONS",
    }
}

impl Tiktok {
    pub fn new(cfg: TiktokConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn call(&self, step: &str, method: &'static str, path: &str) -> Call {
        Call::new(
            step,
            method,
            format!("{}/open_api/v1.3/{path}", self.cfg.base_url),
        )
        .header("Access-Token", self.cfg.access_token.expose())
        .secret("Access-Token")
    }

    fn create_call(&self, req: &PublishRequest) -> Call {
        self.call("create campaign (disabled)", "POST", "campaign/create/")
            .json(json!({
                "advertiser_id": self.cfg.advertiser_id,
                "campaign_name": format!("{} [{}] {}", req.name, req.channel, req.campaign_id),
                "objective_type": objective(req.objective),
                "budget_mode": "BUDGET_MODE_TOTAL",
                // Major units of the advertiser currency.
                "budget": major_units(req.budget_cents).parse::<f64>().unwrap_or(0.0),
                "operation_status": "DISABLE"
            }))
    }

    fn status_call(&self, campaign: &str, status: &str) -> Call {
        self.call(
            &format!("set campaign {status}"),
            "POST",
            "campaign/status/update/",
        )
        .json(json!({
            "advertiser_id": self.cfg.advertiser_id,
            "campaign_ids": [campaign],
            "operation_status": status
        }))
    }

    fn set_status<'a>(&'a self, ids: &'a ExternalIds, status: &'static str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let c = ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            self.http
                .send(P, HINT, &self.status_call(c, status), judge)
                .await
                .map(|_| ())
        })
    }
}

impl Connector for Tiktok {
    fn platform(&self) -> Platform {
        Platform::Tiktok
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        vec![
            self.create_call(req),
            self.status_call("<campaign_id from step 1>", "ENABLE"),
        ]
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let body = self
                .http
                .send(P, HINT, &self.create_call(req), judge)
                .await?;
            let id = body
                .pointer("/data/campaign_id")
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .or_else(|| v.as_i64().map(|n| n.to_string()))
                })
                .ok_or_else(|| {
                    ConnectorError::unexpected(P, "no data.campaign_id in the answer", &body)
                })?;
            Ok(ExternalIds::from([("campaign".to_owned(), id)]))
        })
    }

    fn enable<'a>(&'a self, _req: &'a PublishRequest, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "ENABLE")
    }

    fn pause<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "DISABLE")
    }

    fn resume<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "ENABLE")
    }

    fn set_budget<'a>(&'a self, ids: &'a ExternalIds, budget: i64, _daily: i64) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let c = ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            let call = self
                .call("update campaign budget", "POST", "campaign/update/")
                .json(json!({
                    "advertiser_id": self.cfg.advertiser_id,
                    "campaign_id": c,
                    "budget": major_units(budget).parse::<f64>().unwrap_or(0.0)
                }));
            self.http.send(P, HINT, &call, judge).await.map(|_| ())
        })
    }

    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async move {
            let call = self
                .call("read the advertiser", "GET", "advertiser/info/")
                .query(
                    "advertiser_ids",
                    json!([self.cfg.advertiser_id]).to_string(),
                )
                .query("fields", json!(["name", "currency", "status"]).to_string());
            let body = self.http.send(P, HINT, &call, judge).await?;
            let a = body.pointer("/data/list/0").ok_or_else(|| {
                ConnectorError::unexpected(P, "no data.list[0] in the advertiser answer", &body)
            })?;
            let field = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
            Ok(format!(
                "advertiser {} ({}, {}, {})",
                self.cfg.advertiser_id,
                field("name"),
                field("currency"),
                field("status")
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
            let c = target
                .ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            let call = self
                .call("read report", "GET", "report/integrated/get/")
                .query("advertiser_id", self.cfg.advertiser_id.clone())
                .query("report_type", "BASIC")
                .query("data_level", "AUCTION_CAMPAIGN")
                .query("dimensions", json!(["campaign_id", "stat_time_day"]).to_string())
                .query(
                    "metrics",
                    json!(["spend", "impressions", "reach", "clicks", "conversion"]).to_string(),
                )
                .query("start_date", from.to_string())
                .query("end_date", to.to_string())
                .query(
                    "filtering",
                    json!([{"field_name": "campaign_ids", "filter_type": "IN", "filter_value": json!([c]).to_string()}]).to_string(),
                )
                .query("page_size", "1000");
            let body = self.http.send(P, HINT, &call, judge).await?;
            let list = body
                .pointer("/data/list")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ConnectorError::unexpected(P, "no data.list in the report answer", &body)
                })?;
            let mut out = Vec::new();
            for r in list {
                let day = r
                    .pointer("/dimensions/stat_time_day")
                    .and_then(Value::as_str)
                    .and_then(|d| {
                        NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d").ok()
                    })
                    .ok_or_else(|| {
                        ConnectorError::protocol(P, "report row without stat_time_day")
                    })?;
                let m = r.get("metrics").cloned().unwrap_or(Value::Null);
                let get = |k: &str| m.get(k).cloned().unwrap_or(Value::Null);
                out.push(DailyMetrics {
                    date: day,
                    country: None,
                    impressions: count_of(&get("impressions")),
                    reach: count_of(&get("reach")),
                    clicks: count_of(&get("clicks")),
                    spend_cents: cents_of(&get("spend")),
                    conversions: count_of(&get("conversion")),
                    value_cents: 0,
                });
            }
            Ok(out)
        })
    }
}
