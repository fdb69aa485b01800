//! Meta Marketing API (Graph API): per channel a campaign, an ad set, an
//! ad creative and an ad, all created PAUSED and set ACTIVE in one last
//! step (`enable`); delivery from Insights. Facebook placements for `meta`,
//! Instagram for `instagram`. The token travels only in the
//! `Authorization: Bearer` header, never in a query string or form, so no
//! URL we send or log carries it.
//!
//! Followed (developers.facebook.com/docs/marketing-api/…):
//! - reference/ad-campaign-group (campaign: objective `OUTCOME_*`,
//!   `special_ad_categories`, `is_adset_budget_sharing_enabled` required
//!   from v24.0 when the budget is set on the ad set;
//!   bidding/guides/adset-budget-sharing);
//! - reference/ad-campaign (ad set: budget, billing event, optimisation
//!   goal per objective, targeting, schedule, `promoted_object`);
//! - reference/ad-creative and ad-creative-link-data (object story spec,
//!   call to action, `lead_gen_form_id`, `instagram_user_id`);
//! - reference/adgroup (ad);
//! - insights (`actions` and their aliases; amounts in major units);
//! - currencies (offsets: budgets and bids in the currency's minimum unit,
//!   `units::to_meta`);
//! - overview/rate-limiting (codes 4, 17, 32, 613, 80000–80014; the
//!   `X-Business-Use-Case-Usage` and `X-Ad-Account-Usage` headers);
//! - marketing-api/versions and graph-api/changelog (v21–v24 expired by
//!   2026-11-10; an expired version answers error 2635).

mod build;
mod insights;
mod limits;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::units::to_meta;
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret,
};
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
    /// Facebook Page every ad speaks as (required to launch).
    pub page_id: Option<String>,
    /// Instagram account the `instagram` channel's ads speak as (required
    /// to launch on Instagram).
    pub instagram_user_id: Option<String>,
    /// Pixel whose purchase event sales ad sets optimise for (required for
    /// the sales objective).
    pub pixel_id: Option<String>,
    /// Instant form leads ads collect with (required for the leads
    /// objective).
    pub lead_form_id: Option<String>,
}

/// The default Graph endpoint and version.
pub const BASE_URL: &str = "https://graph.facebook.com";
pub const API_VERSION: &str = "v25.0";
/// The oldest Graph major version still served: Meta's version history
/// lists v21–v24 as expired by 2026-11-10.
pub const MIN_MAJOR: u32 = 25;

/// Why `version` cannot be used (unreadable or expired), else None.
pub fn version_problem(version: &str) -> Option<String> {
    let major = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .and_then(|(major, minor)| {
            minor.parse::<u32>().ok()?;
            major.parse::<u32>().ok()
        });
    match major {
        None => Some(format!(
            "PROMPTSALES_META_API_VERSION must look like {API_VERSION}, got {version:?}"
        )),
        Some(m) if m < MIN_MAJOR => Some(format!(
            "PROMPTSALES_META_API_VERSION {version} has expired (Meta answers error 2635 for it); \
             use v{MIN_MAJOR}.0 or later (default {API_VERSION})"
        )),
        Some(_) => None,
    }
}

impl MetaConfig {
    /// From the environment; Err names what is missing or refused (an
    /// expired API version is refused here, not at launch).
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Vec<String>> {
        let token = env("PROMPTSALES_META_ACCESS_TOKEN");
        let account = env("PROMPTSALES_META_AD_ACCOUNT_ID");
        let ep = super::Endpoints::from_lookup(env);
        let version = version_problem(&ep.meta_version);
        match (token, account, version) {
            (Some(access_token), Some(a), None) => Ok(Self {
                base_url: ep.meta_base,
                api_version: ep.meta_version,
                access_token: Secret::new(access_token),
                ad_account_id: a.trim_start_matches("act_").to_owned(),
                page_id: env("PROMPTSALES_META_PAGE_ID"),
                instagram_user_id: env("PROMPTSALES_META_INSTAGRAM_USER_ID"),
                pixel_id: env("PROMPTSALES_META_PIXEL_ID"),
                lead_form_id: env("PROMPTSALES_META_LEAD_FORM_ID"),
            }),
            (t, a, v) => Err([
                t.is_none()
                    .then(|| "PROMPTSALES_META_ACCESS_TOKEN".to_owned()),
                a.is_none()
                    .then(|| "PROMPTSALES_META_AD_ACCOUNT_ID".to_owned()),
                v,
            ]
            .into_iter()
            .flatten()
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

    async fn send(&self, call: &Call) -> Result<Value, ConnectorError> {
        self.http.send_with(P, HINT, call, limits::judge).await
    }

    fn status_call(&self, step: &str, object_id: &str, status: &str) -> Call {
        self.post(step, object_id, vec![("status".into(), status.into())])
    }

    fn set_status<'a>(&'a self, ids: &'a ExternalIds, status: &'static str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            for key in ["ad", "adset", "campaign"] {
                if let Some(id) = ids.get(key) {
                    let call = self.status_call(&format!("set {key} {status}"), id, status);
                    self.send(&call).await?;
                }
            }
            Ok(())
        })
    }

    /// The ad account's currency, refused unless it is active (status 1).
    async fn account_currency(&self) -> Result<String, ConnectorError> {
        let body = self.send(&self.account_call()).await?;
        let currency = body
            .get("currency")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ConnectorError::unexpected(P, "no `currency` for the ad account", &body)
            })?
            .to_owned();
        match body.get("account_status").and_then(Value::as_i64) {
            Some(1) | None => Ok(currency),
            Some(s) => Err(ConnectorError::Unsupported {
                platform: P,
                message: format!(
                    "ad account act_{} is not active (account_status {s}); nothing was created",
                    self.cfg.ad_account_id
                ),
            }),
        }
    }

    fn refuse_missing(&self, req: &PublishRequest) -> Result<(), ConnectorError> {
        let lacks = self.lacks(req);
        if lacks.is_empty() {
            return Ok(());
        }
        Err(ConnectorError::Missing {
            platform: P,
            message: format!(
                "{} cannot launch: missing {}",
                req.channel,
                lacks.join("; ")
            ),
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

    fn missing(&self, req: &PublishRequest) -> Vec<String> {
        self.lacks(req)
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        vec![
            self.account_call(),
            self.campaign_call(req),
            self.adset_call(req, "<campaign id from step 2>"),
            self.creative_call(req),
            self.ad_call(req, "<ad set id from step 3>", "<creative id from step 4>"),
            self.status_call("set ad ACTIVE", "<ad id from step 5>", "ACTIVE"),
            self.status_call("set adset ACTIVE", "<ad set id from step 3>", "ACTIVE"),
            self.status_call("set campaign ACTIVE", "<campaign id from step 2>", "ACTIVE"),
        ]
    }

    fn preflight<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let currency = self.account_currency().await?;
            if currency != req.currency.as_str() {
                return Err(ConnectorError::Unsupported {
                    platform: P,
                    message: format!(
                        "ad account act_{} bills in {currency} but campaign {} is in {}; nothing was created \
                         (use an ad account in {} or plan the campaign in {currency})",
                        self.cfg.ad_account_id, req.campaign_id, req.currency, req.currency
                    ),
                });
            }
            Ok(())
        })
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            self.refuse_missing(req)?;
            self.preflight(req).await?;
            let c = self.send(&self.campaign_call(req)).await?;
            let campaign = id_of(&c)?;
            let mut ids = ExternalIds::from([("campaign".to_owned(), campaign.clone())]);
            let a = self.send(&self.adset_call(req, &campaign)).await?;
            let adset = id_of(&a)?;
            ids.insert("adset".to_owned(), adset.clone());
            let cr = self.send(&self.creative_call(req)).await?;
            let creative = id_of(&cr)?;
            ids.insert("creative".to_owned(), creative.clone());
            let ad = self.send(&self.ad_call(req, &adset, &creative)).await?;
            ids.insert("ad".to_owned(), id_of(&ad)?);
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
            // Meta's units depend on the account's currency (checked equal
            // to the campaign's at launch): read it rather than assume.
            let code = self.account_currency().await?;
            let currency = promptsales_shared::domain::Currency::parse(&code).map_err(|_| {
                ConnectorError::protocol(P, format!("unknown ad account currency {code:?}"))
            })?;
            let call = self.post(
                "set ad set daily budget",
                adset,
                vec![("daily_budget".into(), to_meta(daily, currency).to_string())],
            );
            self.send(&call).await.map(|_| ())
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
            let body = self.send(&call).await?;
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
                let body = self.send(&call).await?;
                let rows = body.get("data").and_then(Value::as_array).ok_or_else(|| {
                    ConnectorError::unexpected(P, "no `data` in the insights answer", &body)
                })?;
                for r in rows {
                    out.push(insights::row(r)?);
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
    use std::time::Duration;

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
        assert!(version_problem(API_VERSION).is_none());
        assert!(version_problem("v24.0").is_some_and(|m| m.contains("expired")));
        assert!(version_problem("25").is_some());
        assert!(
            matches!(call.body, super::super::Body::Form(ref f) if f.iter().all(|(k, _)| k != "access_token"))
        );
        assert!(call.query.is_empty() && !call.url.contains("access_token"));
    }
}
