//! TikTok Business API v1.3: campaign → ad group → ad that deliver,
//! created DISABLE after checking the advertiser's currency, the creative's
//! media uploaded by URL first, all set ENABLE in the launch's last step;
//! delivery from the integrated report.
//!
//! Followed (v1.3 reference, <https://business-api.tiktok.com/portal/docs>):
//! "Create a campaign" (`campaign/create/`), "Create an ad group"
//! (`adgroup/create/`: placements, `location_ids`, `budget_mode` and
//! `budget` in the advertiser currency's major units, `schedule_type`
//! SCHEDULE_START_END, optimisation goal and billing event per objective,
//! `bid_type`), "Create an ad" (`ad/create/`: identity, `ad_text`,
//! `call_to_action`, `landing_page_url`, `video_id`/`image_ids`), "Upload
//! an image"/"Upload a video" (`file/image/ad/upload/`,
//! `file/video/ad/upload/` with `upload_type` UPLOAD_BY_URL), the
//! `*/status/update/` endpoints, "Get advertiser info" (currency), and the
//! return codes (HTTP 200 with `code`: 0 success, 40001 no permission,
//! 40002 bad parameters, 40100 rate limit, 40102/40104/40105 token
//! problems, 5xxxx server side).

mod structure;

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::http::{Verdict, verdict_of_status};
use super::{
    BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret, cents_of, count_of, major_units,
};
use crate::domain::benchmarks::Platform;
use structure::Media;

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
    /// The identity ads speak as, and its type.
    pub identity_id: Option<String>,
    pub identity_type: Option<String>,
    /// The pixel leads and sales ad groups optimise for.
    pub pixel_id: Option<String>,
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
                identity_id: env("PROMPTSALES_TIKTOK_IDENTITY_ID"),
                identity_type: env("PROMPTSALES_TIKTOK_IDENTITY_TYPE"),
                pixel_id: env("PROMPTSALES_TIKTOK_PIXEL_ID"),
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
        Some(40100 | 40133 | 51021) => Verdict::RateLimited(retry_after),
        Some(40001 | 40102 | 40104 | 40105) => Verdict::Unauthorized,
        Some(c) if c >= 50000 => Verdict::ServerError,
        _ => Verdict::Fail { retryable: false },
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

    fn post(&self, step: &str, path: &str, body: Value) -> Call {
        self.call(step, "POST", path).json(body)
    }

    fn currency_call(&self) -> Call {
        self.call("read the advertiser", "GET", "advertiser/info/")
            .query(
                "advertiser_ids",
                json!([self.cfg.advertiser_id]).to_string(),
            )
            .query("fields", json!(["name", "currency", "status"]).to_string())
    }

    fn upload_call(&self, url: &str) -> Call {
        if structure::is_video(url) {
            self.post(
                "upload the video by URL",
                "file/video/ad/upload/",
                json!({"advertiser_id": self.cfg.advertiser_id, "upload_type": "UPLOAD_BY_URL", "video_url": url}),
            )
        } else {
            self.post(
                "upload the image by URL",
                "file/image/ad/upload/",
                json!({"advertiser_id": self.cfg.advertiser_id, "upload_type": "UPLOAD_BY_URL", "image_url": url}),
            )
        }
    }

    /// The status updates of the launch's last step (campaign first: an
    /// ad group cannot run under a disabled campaign).
    fn status_calls(&self, ids: &ExternalIds, status: &str) -> Vec<Call> {
        let id = |k: &str| {
            ids.get(k)
                .cloned()
                .unwrap_or_else(|| format!("<{k} id from its step>"))
        };
        let mut out = vec![self.post(
            &format!("set campaign {status}"),
            "campaign/status/update/",
            json!({"advertiser_id": self.cfg.advertiser_id, "campaign_ids": [id("campaign")], "operation_status": status}),
        )];
        if ids.is_empty() || ids.contains_key("adgroup") {
            out.push(self.post(
                &format!("set ad group {status}"),
                "adgroup/status/update/",
                json!({"advertiser_id": self.cfg.advertiser_id, "adgroup_ids": [id("adgroup")], "operation_status": status}),
            ));
        }
        if ids.is_empty() || ids.contains_key("ad") {
            out.push(self.post(
                &format!("set ad {status}"),
                "ad/status/update/",
                json!({"advertiser_id": self.cfg.advertiser_id, "ad_ids": [id("ad")], "operation_status": status}),
            ));
        }
        out
    }

    fn set_status<'a>(&'a self, ids: &'a ExternalIds, status: &'static str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            if !ids.contains_key("campaign") {
                return Err(ConnectorError::protocol(
                    P,
                    "publication has no campaign id",
                ));
            }
            for call in self.status_calls(ids, status) {
                self.http.send(P, HINT, &call, judge).await?;
            }
            Ok(())
        })
    }

    async fn send(&self, call: &Call) -> Result<Value, ConnectorError> {
        self.http.send(P, HINT, call, judge).await
    }

    /// Refuses a campaign whose currency is not the advertiser's.
    async fn check_currency(&self, req: &PublishRequest) -> Result<(), ConnectorError> {
        let body = self.send(&self.currency_call()).await?;
        let cur = body
            .pointer("/data/list/0/currency")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectorError::unexpected(P, "no data.list[0].currency", &body))?;
        if cur != req.currency.as_str() {
            return Err(ConnectorError::Unsupported {
                platform: P,
                message: format!(
                    "advertiser {} pays in {cur} but the campaign is in {}: launch it from an \
                     advertiser in {} or plan the campaign in {cur}",
                    self.cfg.advertiser_id, req.currency, req.currency
                ),
            });
        }
        Ok(())
    }
}

/// An id TikTok answers as a string or a number.
fn id_at(body: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| {
        body.pointer(p).and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
    })
}

fn need_id(body: &Value, pointers: &[&str], what: &str) -> Result<String, ConnectorError> {
    id_at(body, pointers).ok_or_else(|| ConnectorError::unexpected(P, what, body))
}

impl Connector for Tiktok {
    fn platform(&self) -> Platform {
        Platform::Tiktok
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        let media = req
            .creative
            .as_ref()
            .and_then(|c| c.media_url.clone())
            .unwrap_or_default();
        let placeholder = if structure::is_video(&media) {
            Media::Video("<video_id from the upload>".into())
        } else {
            Media::Image("<image_id from the upload>".into())
        };
        let mut calls = vec![
            self.currency_call(),
            self.upload_call(&media),
            self.post(
                "create campaign (disabled)",
                "campaign/create/",
                structure::campaign(&self.cfg, req),
            ),
            self.post(
                "create ad group (disabled)",
                "adgroup/create/",
                structure::ad_group(&self.cfg, req, "<campaign_id from its step>"),
            ),
            self.post(
                "create ad (disabled)",
                "ad/create/",
                structure::ad(&self.cfg, req, "<adgroup_id from its step>", &placeholder),
            ),
        ];
        calls.extend(self.status_calls(&ExternalIds::new(), "ENABLE"));
        calls
    }

    fn missing(&self, req: &PublishRequest) -> Vec<String> {
        structure::missing(&self.cfg, req)
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let lacks = self.missing(req);
            if !lacks.is_empty() {
                return Err(ConnectorError::Missing {
                    platform: P,
                    message: format!("cannot build a TikTok ad: {}", lacks.join("; ")),
                });
            }
            self.check_currency(req).await?;
            let url = req
                .creative
                .as_ref()
                .and_then(|c| c.media_url.clone())
                .unwrap_or_default();
            let up = self.send(&self.upload_call(&url)).await?;
            let media = if structure::is_video(&url) {
                Media::Video(need_id(
                    &up,
                    &["/data/0/video_id", "/data/video_id"],
                    "no data.video_id in the upload answer",
                )?)
            } else {
                Media::Image(need_id(
                    &up,
                    &["/data/image_id", "/data/0/image_id"],
                    "no data.image_id in the upload answer",
                )?)
            };
            let mut ids = ExternalIds::new();
            let c = self
                .send(&self.post(
                    "create campaign (disabled)",
                    "campaign/create/",
                    structure::campaign(&self.cfg, req),
                ))
                .await?;
            let campaign = need_id(
                &c,
                &["/data/campaign_id"],
                "no data.campaign_id in the answer",
            )?;
            ids.insert("campaign".into(), campaign.clone());
            let g = self
                .send(&self.post(
                    "create ad group (disabled)",
                    "adgroup/create/",
                    structure::ad_group(&self.cfg, req, &campaign),
                ))
                .await?;
            let adgroup = need_id(
                &g,
                &["/data/adgroup_id"],
                "no data.adgroup_id in the answer",
            )?;
            ids.insert("adgroup".into(), adgroup.clone());
            let a = self
                .send(&self.post(
                    "create ad (disabled)",
                    "ad/create/",
                    structure::ad(&self.cfg, req, &adgroup, &media),
                ))
                .await?;
            let ad = need_id(&a, &["/data/ad_ids/0"], "no data.ad_ids in the answer")?;
            ids.insert("ad".into(), ad);
            Ok(ids)
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
            // The budget lives in the ad group; older publications kept it
            // on the campaign.
            let call = match (ids.get("adgroup"), ids.get("campaign")) {
                (Some(g), _) => self.post(
                    "update ad group budget",
                    "adgroup/update/",
                    json!({"advertiser_id": self.cfg.advertiser_id, "adgroup_id": g, "budget": major_units(budget).parse::<f64>().unwrap_or(0.0)}),
                ),
                (None, Some(c)) => self.post(
                    "update campaign budget",
                    "campaign/update/",
                    json!({"advertiser_id": self.cfg.advertiser_id, "campaign_id": c, "budget": major_units(budget).parse::<f64>().unwrap_or(0.0)}),
                ),
                _ => return Err(ConnectorError::protocol(P, "publication has no campaign id")),
            };
            self.send(&call).await.map(|_| ())
        })
    }

    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async move {
            let call = self.currency_call();
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
