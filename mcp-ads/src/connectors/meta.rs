//! Meta Marketing API (Graph API): a campaign, an ad set and (with a page,
//! message and landing URL) an ad per channel (Facebook placements for
//! `meta`, Instagram for `instagram`), created PAUSED and set ACTIVE at
//! launch; delivery from Insights. The token travels only in the
//! `Authorization: Bearer` header (Graph accepts it there), never in a
//! query string or form, so no URL we send or log carries it.

use std::time::Duration;

use chrono::NaiveDate;
use promptsales_shared::domain::{Channel, Country};
use serde_json::{Value, json};

use super::http::{Verdict, verdict_of_status};
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret, cents_of, count_of,
};
use crate::domain::Objective;
use crate::domain::benchmarks::Platform;

const P: &str = "meta";
const HINT: &str = "PROMPTSALES_META_ACCESS_TOKEN (a system-user token with ads_management)";

/// Meta settings (`PROMPTSALES_META_*`); `Debug` prints the token as `***`.
#[derive(Debug, Clone)]
pub struct MetaConfig {
    pub base_url: String,
    pub api_version: String,
    pub access_token: Secret,
    /// Ad account id without the `act_` prefix.
    pub ad_account_id: String,
    /// Facebook Page the ads speak as; with it (and a campaign message and
    /// landing URL) an ad is created in each ad set.
    pub page_id: Option<String>,
    /// Instagram account the `instagram` channel's ads speak as.
    pub instagram_user_id: Option<String>,
}

/// The default Graph endpoint and version.
pub const BASE_URL: &str = "https://graph.facebook.com";
pub const API_VERSION: &str = "v21.0";

impl MetaConfig {
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Vec<String>> {
        let token = env("PROMPTSALES_META_ACCESS_TOKEN");
        let account = env("PROMPTSALES_META_AD_ACCOUNT_ID");
        match (token, account) {
            (Some(access_token), Some(a)) => {
                let ep = super::Endpoints::from_lookup(env);
                Ok(Self {
                    base_url: ep.meta_base,
                    api_version: ep.meta_version,
                    access_token: Secret::new(access_token),
                    ad_account_id: a.trim_start_matches("act_").to_owned(),
                    page_id: env("PROMPTSALES_META_PAGE_ID"),
                    instagram_user_id: env("PROMPTSALES_META_INSTAGRAM_USER_ID"),
                })
            }
            (t, a) => Err([
                t.is_none().then_some("PROMPTSALES_META_ACCESS_TOKEN"),
                a.is_none().then_some("PROMPTSALES_META_AD_ACCOUNT_ID"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect()),
        }
    }
}

/// The Meta Marketing API client.
#[derive(Debug, Clone)]
pub struct Meta {
    cfg: MetaConfig,
    http: Http,
}

/// Meta signals throttling with error codes in 400s (4, 17, 32, 613,
/// 80000–80014) and bad tokens with code 190.
fn judge(status: u16, body: &Value, retry_after: Option<Duration>) -> Verdict {
    let code = body.pointer("/error/code").and_then(Value::as_i64);
    match code {
        Some(190) => Verdict::Unauthorized,
        Some(4 | 17 | 32 | 613) | Some(80_000..=80_014) if status >= 400 => {
            Verdict::RateLimited(retry_after)
        }
        _ => verdict_of_status(status, retry_after),
    }
}

fn objective(o: Objective) -> &'static str {
    match o {
        Objective::Awareness => "OUTCOME_AWARENESS",
        Objective::Traffic => "OUTCOME_TRAFFIC",
        Objective::Leads => "OUTCOME_LEADS",
        Objective::Sales => "OUTCOME_SALES",
    }
}

fn optimization_goal(o: Objective) -> &'static str {
    match o {
        Objective::Awareness => "REACH",
        Objective::Traffic => "LINK_CLICKS",
        Objective::Leads => "LEAD_GENERATION",
        Objective::Sales => "OFFSITE_CONVERSIONS",
    }
}

impl Meta {
    pub fn new(cfg: MetaConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.cfg.base_url, self.cfg.api_version, path)
    }

    fn bearer(&self) -> Auth {
        Auth::Bearer(self.cfg.access_token.expose().to_owned())
    }

    fn post(&self, step: &str, path: &str, fields: Vec<(String, String)>) -> Call {
        Call::new(step, "POST", self.url(path))
            .auth(self.bearer())
            .form(fields)
    }

    fn campaign_call(&self, req: &PublishRequest) -> Call {
        self.post(
            "create campaign (paused)",
            &format!("act_{}/campaigns", self.cfg.ad_account_id),
            vec![
                ("name".into(), format!("{} [{}]", req.name, req.channel)),
                ("objective".into(), objective(req.objective).into()),
                ("status".into(), "PAUSED".into()),
                ("special_ad_categories".into(), "[]".into()),
                ("buying_type".into(), "AUCTION".into()),
            ],
        )
    }

    fn adset_call(&self, req: &PublishRequest, campaign_id: &str) -> Call {
        let platforms = if req.channel == Channel::Instagram {
            json!(["instagram"])
        } else {
            json!(["facebook"])
        };
        let countries: Vec<&str> = req.countries.iter().map(Country::as_str).collect();
        let targeting = json!({
            "geo_locations": {"countries": countries},
            "publisher_platforms": platforms,
        });
        self.post(
            "create ad set (paused)",
            &format!("act_{}/adsets", self.cfg.ad_account_id),
            vec![
                (
                    "name".into(),
                    format!("{} [{}] ad set", req.name, req.channel),
                ),
                ("campaign_id".into(), campaign_id.into()),
                // Meta budgets are in the account currency's minor units.
                ("daily_budget".into(), req.daily_budget_cents.to_string()),
                ("billing_event".into(), "IMPRESSIONS".into()),
                (
                    "optimization_goal".into(),
                    optimization_goal(req.objective).into(),
                ),
                ("bid_strategy".into(), "LOWEST_COST_WITHOUT_CAP".into()),
                ("targeting".into(), targeting.to_string()),
                ("start_time".into(), format!("{}T00:00:00+0000", req.start)),
                ("end_time".into(), format!("{}T23:59:59+0000", req.end)),
                ("status".into(), "PAUSED".into()),
            ],
        )
    }

    /// The ad of an ad set, with an inline link creative, when the page,
    /// message and landing URL are all known.
    fn ad_call(&self, req: &PublishRequest, adset_id: &str) -> Option<Call> {
        let page = self.cfg.page_id.as_ref()?;
        let message = req.message.as_ref()?;
        let link = req.landing_url.as_ref()?;
        let mut spec = json!({
            "page_id": page,
            "link_data": {"message": message, "link": link}
        });
        if req.channel == Channel::Instagram
            && let (Some(ig), Some(obj)) = (&self.cfg.instagram_user_id, spec.as_object_mut())
        {
            obj.insert("instagram_user_id".into(), json!(ig));
        }
        let creative = json!({ "object_story_spec": spec });
        Some(self.post(
            "create ad (paused)",
            &format!("act_{}/ads", self.cfg.ad_account_id),
            vec![
                ("name".into(), format!("{} [{}] ad", req.name, req.channel)),
                ("adset_id".into(), adset_id.into()),
                ("creative".into(), creative.to_string()),
                ("status".into(), "PAUSED".into()),
            ],
        ))
    }

    fn status_call(&self, step: &str, object_id: &str, status: &str) -> Call {
        self.post(step, object_id, vec![("status".into(), status.into())])
    }

    fn set_status<'a>(&'a self, ids: &'a ExternalIds, status: &'static str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            for key in ["ad", "adset", "campaign"] {
                if let Some(id) = ids.get(key) {
                    let call = self.status_call(&format!("set {key} {status}"), id, status);
                    self.http.send(P, HINT, &call, judge).await?;
                }
            }
            Ok(())
        })
    }
}

/// `url` without the `name=…` parameters of its query.
fn without_query_param(url: &str, name: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

fn id_of(body: &Value) -> Result<String, ConnectorError> {
    body.get("id")
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .ok_or_else(|| ConnectorError::unexpected(P, "no `id` in the answer", body))
}

impl Connector for Meta {
    fn platform(&self) -> Platform {
        Platform::Meta
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        let mut calls = vec![
            self.campaign_call(req),
            self.adset_call(req, "<campaign id from step 1>"),
        ];
        if let Some(ad) = self.ad_call(req, "<ad set id from step 2>") {
            calls.push(ad);
            calls.push(self.status_call("set ad ACTIVE", "<ad id from step 3>", "ACTIVE"));
        }
        calls.push(self.status_call("set adset ACTIVE", "<ad set id from step 2>", "ACTIVE"));
        calls.push(self.status_call("set campaign ACTIVE", "<campaign id from step 1>", "ACTIVE"));
        calls
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let c = self
                .http
                .send(P, HINT, &self.campaign_call(req), judge)
                .await?;
            let campaign = id_of(&c)?;
            let a = self
                .http
                .send(P, HINT, &self.adset_call(req, &campaign), judge)
                .await?;
            let adset = id_of(&a)?;
            let mut ids = ExternalIds::from([
                ("campaign".to_owned(), campaign),
                ("adset".to_owned(), adset.clone()),
            ]);
            if let Some(call) = self.ad_call(req, &adset) {
                let ad = self.http.send(P, HINT, &call, judge).await?;
                ids.insert("ad".to_owned(), id_of(&ad)?);
            }
            Ok(ids)
        })
    }

    fn enable<'a>(&'a self, _req: &'a PublishRequest, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "ACTIVE")
    }

    fn pause<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "PAUSED")
    }

    fn resume<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "ACTIVE")
    }

    fn set_budget<'a>(&'a self, ids: &'a ExternalIds, _budget: i64, daily: i64) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let adset = ids
                .get("adset")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no ad set id"))?;
            let call = self.post(
                "set ad set daily budget",
                adset,
                vec![("daily_budget".into(), daily.to_string())],
            );
            self.http.send(P, HINT, &call, judge).await.map(|_| ())
        })
    }

    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async move {
            let call = Call::new(
                "read the ad account",
                "GET",
                self.url(&format!("act_{}", self.cfg.ad_account_id)),
            )
            .auth(self.bearer())
            .query("fields", "name,account_status,currency");
            let body = self.http.send(P, HINT, &call, judge).await?;
            let field = |k: &str| {
                body.get(k)
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .unwrap_or_else(|| "?".into())
            };
            Ok(format!(
                "ad account act_{} ({}, {}, account_status {})",
                self.cfg.ad_account_id,
                field("name"),
                field("currency"),
                field("account_status")
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
            let campaign = target
                .ids
                .get("campaign")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no campaign id"))?;
            let mut url = self.url(&format!("{campaign}/insights"));
            let mut out = Vec::new();
            let mut first = true;
            // Insights pages through `paging.next` (a full URL).
            loop {
                let mut call = Call::new("read insights", "GET", url.clone())
                    .auth(self.bearer())
                    .secret("access_token");
                if first {
                    call = call
                        .query(
                            "fields",
                            "impressions,reach,clicks,spend,actions,action_values",
                        )
                        .query("time_increment", "1")
                        .query("breakdowns", "country")
                        .query(
                            "time_range",
                            json!({"since": from.to_string(), "until": to.to_string()}).to_string(),
                        )
                        .query("limit", "500");
                }
                let body = self.http.send(P, HINT, &call, judge).await?;
                let rows = body.get("data").and_then(Value::as_array).ok_or_else(|| {
                    ConnectorError::unexpected(P, "no `data` in the insights answer", &body)
                })?;
                for r in rows {
                    let date = r
                        .get("date_start")
                        .and_then(Value::as_str)
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                        .ok_or_else(|| {
                            ConnectorError::protocol(P, "insight row without date_start")
                        })?;
                    let action_sum = |key: &str, value: fn(&Value) -> i64| -> i64 {
                        r.get(key)
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter(|x| {
                                        matches!(
                                            x.get("action_type").and_then(Value::as_str),
                                            Some(
                                                "lead"
                                                    | "purchase"
                                                    | "offsite_conversion.fb_pixel_purchase"
                                                    | "offsite_conversion.fb_pixel_lead"
                                            )
                                        )
                                    })
                                    .map(|x| value(x.get("value").unwrap_or(&Value::Null)))
                                    .sum()
                            })
                            .unwrap_or(0)
                    };
                    out.push(DailyMetrics {
                        date,
                        country: r
                            .get("country")
                            .and_then(Value::as_str)
                            .and_then(|c| Country::parse(c).ok()),
                        impressions: count_of(r.get("impressions").unwrap_or(&Value::Null)),
                        reach: count_of(r.get("reach").unwrap_or(&Value::Null)),
                        clicks: count_of(r.get("clicks").unwrap_or(&Value::Null)),
                        spend_cents: cents_of(r.get("spend").unwrap_or(&Value::Null)),
                        conversions: action_sum("actions", count_of),
                        value_cents: action_sum("action_values", cents_of),
                    });
                }
                match body.pointer("/paging/next").and_then(Value::as_str) {
                    Some(next) if !rows.is_empty() => {
                        // Graph's paging links embed a token: it is dropped
                        // (the header carries ours).
                        url = without_query_param(next, "access_token");
                        first = false;
                    }
                    _ => break,
                }
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_links_lose_their_token() {
        assert_eq!(
            without_query_param(
                "https://g/v21.0/1/insights?limit=5&access_token=EAAB&after=x",
                "access_token"
            ),
            "https://g/v21.0/1/insights?limit=5&after=x"
        );
        assert_eq!(
            without_query_param("https://g/x?access_token=EAAB", "access_token"),
            "https://g/x"
        );
        assert_eq!(
            without_query_param("https://g/x", "access_token"),
            "https://g/x"
        );
    }

    #[test]
    fn configs_and_calls_print_no_token() {
        let env = |k: &str| match k {
            "PROMPTSALES_META_ACCESS_TOKEN" => Some("EAAB-secret-token".to_owned()),
            "PROMPTSALES_META_AD_ACCOUNT_ID" => Some("act_1".to_owned()),
            _ => None,
        };
        let cfg = MetaConfig::from_lookup(&env).unwrap();
        let meta = Meta::new(
            cfg.clone(),
            Http::new(
                super::super::RetryPolicy {
                    max_attempts: 1,
                    base_delay: Duration::from_millis(1),
                    max_delay: Duration::from_millis(1),
                },
                super::super::Limits::default(),
            ),
        );
        let call = meta.status_call("set ACTIVE", "123", "ACTIVE");
        for shown in [format!("{cfg:?}"), format!("{meta:?}"), format!("{call:?}")] {
            assert!(!shown.contains("EAAB-secret-token"), "{shown}");
        }
        assert!(format!("{call:?}").contains("Bearer ***"));
        assert!(
            matches!(call.body, super::super::Body::Form(ref f) if f.iter().all(|(k, _)| k != "access_token"))
        );
        assert!(call.query.is_empty() && !call.url.contains("access_token"));
    }
}
