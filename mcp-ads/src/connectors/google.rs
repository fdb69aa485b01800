//! Google Ads API over REST (v24+): a search campaign that serves —
//! budget, campaign, ad group, responsive search ad, keywords and one
//! location per country — created PAUSED after checking the customer's
//! currency, ENABLED in one atomic `googleAds:mutate` at launch; delivery
//! from `googleAds:searchStream`.
//!
//! Followed: versions and sunsets
//! (<https://developers.google.com/google-ads/api/docs/sunset-dates>, the
//! "v21 sunset reminder": v21 fails from 2026-08-05, v22 from 2026-10-07;
//! v26 is the latest active version); search campaigns
//! (<https://developers.google.com/google-ads/api/docs/campaigns/search-campaigns/getting-started>),
//! `Campaign` (v23 `start_date_time`/`end_date_time`,
//! `contains_eu_political_advertising`), `CampaignBudget.amount_micros` and
//! `CurrencyConstant.billable_unit_micros`, `ResponsiveSearchAdInfo`,
//! `AdGroupCriterion.keyword`, `CampaignCriterion.location` with the geo
//! target table (<https://developers.google.com/google-ads/api/data/geotargets>),
//! `GoogleAdsService.Mutate`, and the error model
//! (<https://developers.google.com/google-ads/api/docs/best-practices/error-types>).
//! Access tokens come from the OAuth refresh-token flow ([`TokenSource`]:
//! refreshed before they expire and once more when Google refuses one
//! mid-run), for a client's connection and the environment's account alike;
//! a static token is accepted with a warning.

mod errors;
mod structure;

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::oauth::{GOOGLE_TOKEN_URL, RefreshConfig, TokenSource};
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret, count_of,
};
use crate::domain::benchmarks::Platform;

use structure::budget_micros;

const P: &str = "google_ads";
const HINT: &str = "the Google Ads developer token and OAuth credentials (scope adwords) of the \
     client's connection, or PROMPTSALES_GOOGLE_ADS_*";
/// What a dry run shows where a refreshed token will go.
const FETCHED: &str = "<access token from the OAuth token endpoint>";

/// How calls get their access token.
#[derive(Debug, Clone)]
pub enum GoogleAuth {
    /// A token obtained elsewhere (it expires; nothing refreshes it).
    Token(Secret),
    /// The refresh-token flow, its token cached across calls.
    Refresh(Arc<TokenSource>),
}

impl GoogleAuth {
    /// The refresh-token flow.
    pub fn refresh(cfg: RefreshConfig) -> Self {
        GoogleAuth::Refresh(Arc::new(TokenSource::new(cfg)))
    }
}

/// Google Ads settings (`PROMPTSALES_GOOGLE_ADS_*`, or a client's
/// connection).
#[derive(Debug, Clone)]
pub struct GoogleAdsConfig {
    pub base_url: String,
    pub api_version: String,
    pub developer_token: Secret,
    pub auth: GoogleAuth,
    /// Customer id, digits only.
    pub customer_id: String,
    /// Manager account id when acting through one (`login-customer-id`).
    pub login_customer_id: Option<String>,
}

/// Digits only (`123-456-7890` → `1234567890`).
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl GoogleAdsConfig {
    /// From the environment: an access token, or a refresh token with the
    /// OAuth client (`PROMPTSALES_GOOGLE_ADS_CLIENT_ID`, `…_CLIENT_SECRET`,
    /// `…_REFRESH_TOKEN`; token endpoint `PROMPTSALES_GOOGLE_OAUTH_TOKEN_URL`).
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, Vec<String>> {
        let ep = super::Endpoints::from_lookup(env);
        let dev = env("PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN");
        let refresh = match (
            env("PROMPTSALES_GOOGLE_ADS_CLIENT_ID"),
            env("PROMPTSALES_GOOGLE_ADS_CLIENT_SECRET"),
            env("PROMPTSALES_GOOGLE_ADS_REFRESH_TOKEN"),
        ) {
            (Some(client_id), Some(secret), Some(refresh)) => {
                Some(GoogleAuth::refresh(RefreshConfig {
                    token_url: ep.google_token_url.clone(),
                    client_id,
                    client_secret: Secret::new(secret),
                    refresh_token: Secret::new(refresh),
                }))
            }
            _ => None,
        };
        let auth = refresh.or_else(|| {
            env("PROMPTSALES_GOOGLE_ADS_ACCESS_TOKEN").map(|t| GoogleAuth::Token(Secret::new(t)))
        });
        let cid = env("PROMPTSALES_GOOGLE_ADS_CUSTOMER_ID");
        let api_version = ep.google_version;
        if let Some(why) = version_refusal(&api_version) {
            return Err(vec![why]);
        }
        match (dev, auth, cid) {
            (Some(developer_token), Some(auth), Some(c)) => Ok(Self {
                base_url: ep.google_base,
                api_version,
                developer_token: Secret::new(developer_token),
                auth,
                customer_id: digits(&c),
                login_customer_id: env("PROMPTSALES_GOOGLE_ADS_LOGIN_CUSTOMER_ID")
                    .map(|l| digits(&l)),
            }),
            (d, t, c) => Err([
                d.is_none()
                    .then_some("PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN"),
                t.is_none().then_some(
                    "PROMPTSALES_GOOGLE_ADS_CLIENT_ID, _CLIENT_SECRET and _REFRESH_TOKEN (or PROMPTSALES_GOOGLE_ADS_ACCESS_TOKEN)",
                ),
                c.is_none().then_some("PROMPTSALES_GOOGLE_ADS_CUSTOMER_ID"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect()),
        }
    }
}

/// The default Google endpoints.
pub const BASE_URL: &str = "https://googleads.googleapis.com";
/// The latest active version when written (2026-12).
pub const API_VERSION: &str = "v26";
/// The oldest version configuration accepts: v21 was sunset on 2026-08-05,
/// v22 on 2026-10-07, and v23 follows within months.
pub const MIN_API_VERSION: u32 = 24;
pub const TOKEN_URL: &str = GOOGLE_TOKEN_URL;

/// Why `version` (`v24`) cannot be used, if it cannot.
pub fn version_refusal(version: &str) -> Option<String> {
    let major = version
        .trim()
        .strip_prefix('v')
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse::<u32>().ok());
    match major {
        Some(m) if m >= MIN_API_VERSION => None,
        Some(_) => Some(format!(
            "PROMPTSALES_GOOGLE_ADS_API_VERSION: {version} is below the oldest version served \
             (v{MIN_API_VERSION}; older versions are sunset and every request to them fails); \
             set v{MIN_API_VERSION} or newer (default {API_VERSION})"
        )),
        None => Some(format!(
            "PROMPTSALES_GOOGLE_ADS_API_VERSION: expected a version such as {API_VERSION}, got \"{version}\""
        )),
    }
}

/// The REST client.
#[derive(Debug, Clone)]
pub struct GoogleAds {
    cfg: GoogleAdsConfig,
    http: Http,
}

impl GoogleAds {
    pub fn new(cfg: GoogleAdsConfig, http: Http) -> Self {
        Self { cfg, http }
    }

    /// The token source, when this client refreshes its own tokens.
    pub fn token_source(&self) -> Option<&TokenSource> {
        match &self.cfg.auth {
            GoogleAuth::Refresh(s) => Some(s),
            GoogleAuth::Token(_) => None,
        }
    }

    /// A call to `service` of the customer. The bearer is the given token,
    /// or a placeholder where the token is fetched when sent ([`Self::send`]
    /// puts a fresh one in); dry runs show `***` either way.
    fn call(&self, step: &str, service: &str, body: Value) -> Call {
        let token = match &self.cfg.auth {
            GoogleAuth::Token(t) => t.expose(),
            GoogleAuth::Refresh(_) => FETCHED,
        };
        let mut c = Call::new(
            step,
            "POST",
            format!(
                "{}/{}/customers/{}/{service}",
                self.cfg.base_url, self.cfg.api_version, self.cfg.customer_id
            ),
        )
        .auth(Auth::Bearer(token.to_owned()))
        .header("developer-token", self.cfg.developer_token.expose())
        .secret("developer-token")
        .json(body);
        if let Some(login) = &self.cfg.login_customer_id {
            c = c.header("login-customer-id", login.clone());
        }
        c
    }

    /// One attempt series of `call`, Google's error answers read.
    async fn send_once(&self, call: &Call) -> Result<Value, ConnectorError> {
        let body = self.http.send(P, HINT, call, errors::judge).await?;
        match errors::failure(&body, &self.cfg.api_version) {
            Some(e) => Err(e),
            None => Ok(body),
        }
    }

    /// Sends `call` with a valid access token; when Google refuses a
    /// refreshed token (it expired or was revoked mid-run), refreshes it
    /// once and sends again. A version below the floor is refused unsent.
    async fn send(&self, call: &Call) -> Result<Value, ConnectorError> {
        if let Some(why) = version_refusal(&self.cfg.api_version) {
            return Err(ConnectorError::Unsupported {
                platform: P,
                message: why,
            });
        }
        let source = match &self.cfg.auth {
            GoogleAuth::Token(_) => return self.send_once(call).await,
            GoogleAuth::Refresh(s) => s,
        };
        let with = |token: &Secret| {
            let mut c = call.clone();
            c.auth = Auth::Bearer(token.expose().to_owned());
            c
        };
        let token = source.token(&self.http, None).await?;
        match self.send_once(&with(&token)).await {
            Err(ConnectorError::Unauthorized { status: 401, .. }) => {
                tracing::info!(platform = P, step = %call.step, "access token refused mid-run; refreshing it once");
                let token = source.token(&self.http, Some(&token)).await?;
                self.send_once(&with(&token)).await
            }
            other => other,
        }
    }

    fn currency_call(&self) -> Call {
        self.call(
            "read the customer's currency",
            "googleAds:search",
            json!({"query": "SELECT customer.currency_code FROM customer"}),
        )
    }

    /// The calls of a launch, in order; `ids` fills in the resource names
    /// created by earlier steps (placeholders in a dry run).
    fn create_calls(&self, req: &PublishRequest, ids: &ExternalIds) -> Vec<(&'static str, Call)> {
        let id = |k: &str| {
            ids.get(k)
                .cloned()
                .unwrap_or_else(|| format!("<{k} resource name from its step>"))
        };
        vec![
            (
                "budget",
                self.call(
                    "create campaign budget",
                    "campaignBudgets:mutate",
                    structure::budget(req),
                ),
            ),
            (
                "campaign",
                self.call(
                    "create search campaign (paused)",
                    "campaigns:mutate",
                    structure::campaign(req, &id("budget")),
                ),
            ),
            (
                "ad_group",
                self.call(
                    "create ad group (paused)",
                    "adGroups:mutate",
                    structure::ad_group(req, &id("campaign")),
                ),
            ),
            (
                "ad",
                self.call(
                    "create responsive search ad (paused)",
                    "adGroupAds:mutate",
                    structure::ad(req, &id("ad_group")),
                ),
            ),
            (
                "keywords",
                self.call(
                    "add keywords",
                    "adGroupCriteria:mutate",
                    structure::keywords(req, &id("ad_group")),
                ),
            ),
            (
                "locations",
                self.call(
                    "target one location per country",
                    "campaignCriteria:mutate",
                    structure::locations(req, &id("campaign")),
                ),
            ),
        ]
    }

    fn enable_call(&self, ids: &ExternalIds) -> Call {
        let id = |k: &str| {
            ids.get(k)
                .cloned()
                .unwrap_or_else(|| format!("<{k} resource name from its step>"))
        };
        self.call(
            "enable ad, ad group and campaign",
            "googleAds:mutate",
            structure::statuses(&id("ad"), &id("ad_group"), &id("campaign"), "ENABLED"),
        )
    }

    fn status_call(&self, campaign: &str, status: &str) -> Call {
        self.call(
            &format!("set campaign {status}"),
            "campaigns:mutate",
            json!({"operations": [{
                "update": {"resourceName": campaign, "status": status},
                "updateMask": "status"
            }]}),
        )
    }

    fn set_status<'a>(&'a self, ids: &'a ExternalIds, status: &'static str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let campaign = ids.get("campaign").ok_or_else(|| {
                ConnectorError::protocol(P, "publication has no campaign resource")
            })?;
            self.send(&self.status_call(campaign, status))
                .await
                .map(|_| ())
        })
    }

    /// Refuses a campaign whose currency is not the customer's: the
    /// amounts would be spent in the other currency.
    async fn check_currency(&self, req: &PublishRequest) -> Result<(), ConnectorError> {
        let body = self.send(&self.currency_call()).await?;
        let code = body
            .pointer("/results/0/customer/currencyCode")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ConnectorError::unexpected(P, "no results[0].customer.currencyCode", &body)
            })?;
        if code != req.currency.as_str() {
            return Err(ConnectorError::Unsupported {
                platform: P,
                message: format!(
                    "customer {} is billed in {code} but the campaign is in {}: launch it from \
                     an account in {} or plan the campaign in {code}",
                    self.cfg.customer_id, req.currency, req.currency
                ),
            });
        }
        Ok(())
    }
}

fn resource_names(body: &Value) -> Result<Vec<String>, ConnectorError> {
    let names: Vec<String> = body
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("resourceName").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err(ConnectorError::unexpected(
            P,
            "no results[].resourceName in the answer",
            body,
        ));
    }
    Ok(names)
}

impl Connector for GoogleAds {
    fn platform(&self) -> Platform {
        Platform::GoogleAds
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        let none = ExternalIds::new();
        let mut calls = vec![self.currency_call()];
        calls.extend(self.create_calls(req, &none).into_iter().map(|(_, c)| c));
        calls.push(self.enable_call(&none));
        calls
    }

    fn missing(&self, req: &PublishRequest) -> Vec<String> {
        let mut out: Vec<String> = version_refusal(&self.cfg.api_version).into_iter().collect();
        out.extend(structure::missing(req));
        out
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let lacks = self.missing(req);
            if !lacks.is_empty() {
                return Err(ConnectorError::Missing {
                    platform: P,
                    message: format!("cannot build a search campaign: {}", lacks.join("; ")),
                });
            }
            self.check_currency(req).await?;
            let mut ids = ExternalIds::new();
            // Each step needs the resource names of the ones before it.
            for step in 0..6 {
                let (key, call) = self.create_calls(req, &ids).swap_remove(step);
                let body = self.send(&call).await?;
                let names = resource_names(&body)?;
                match key {
                    "keywords" | "locations" => {
                        ids.insert(key.to_owned(), names.join(","));
                    }
                    _ => {
                        if let Some(first) = names.into_iter().next() {
                            ids.insert(key.to_owned(), first);
                        }
                    }
                }
            }
            Ok(ids)
        })
    }

    fn enable<'a>(&'a self, _req: &'a PublishRequest, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        Box::pin(async move {
            // Publications from before ad groups existed have only a campaign.
            if !ids.contains_key("ad") || !ids.contains_key("ad_group") {
                return self.set_status(ids, "ENABLED").await;
            }
            self.send(&self.enable_call(ids)).await.map(|_| ())
        })
    }

    fn pause<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "PAUSED")
    }

    fn resume<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "ENABLED")
    }

    fn set_budget<'a>(&'a self, ids: &'a ExternalIds, _budget: i64, daily: i64) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let budget = ids
                .get("budget")
                .ok_or_else(|| ConnectorError::protocol(P, "publication has no budget resource"))?;
            // The currency was checked equal to the customer's at launch.
            let body = self.send(&self.currency_call()).await?;
            let micros = body
                .pointer("/results/0/customer/currencyCode")
                .and_then(Value::as_str)
                .and_then(|c| promptsales_shared::domain::Currency::parse(c).ok())
                .map_or(super::units::to_micros(daily), |c| budget_micros(daily, c));
            let call = self.call(
                "update campaign budget",
                "campaignBudgets:mutate",
                json!({"operations": [{
                    "update": {"resourceName": budget, "amountMicros": micros.to_string()},
                    "updateMask": "amount_micros"
                }]}),
            );
            self.send(&call).await.map(|_| ())
        })
    }

    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async move {
            let call = self.call(
                "read the customer",
                "googleAds:search",
                json!({"query": "SELECT customer.id, customer.descriptive_name, customer.currency_code FROM customer LIMIT 1"}),
            );
            let body = self.send(&call).await?;
            let c = body.pointer("/results/0/customer").ok_or_else(|| {
                ConnectorError::unexpected(P, "no results[0].customer in the answer", &body)
            })?;
            let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
            let warning = match self.cfg.auth {
                GoogleAuth::Token(_) => {
                    "; warning: a static access token expires within the hour and nothing \
                     refreshes it: set the OAuth client id and secret and a refresh token"
                }
                GoogleAuth::Refresh(_) => "",
            };
            Ok(format!(
                "customer {} ({}, {}){}{warning}",
                self.cfg.customer_id,
                field("descriptiveName"),
                field("currencyCode"),
                self.cfg
                    .login_customer_id
                    .as_ref()
                    .map(|m| format!(" through manager {m}"))
                    .unwrap_or_default()
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
            let resource = target.ids.get("campaign").ok_or_else(|| {
                ConnectorError::protocol(P, "publication has no campaign resource")
            })?;
            // The numeric id is the last path segment; it is ours, not user text.
            let id: String = resource
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let query = format!(
                "SELECT segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, \
                 metrics.conversions, metrics.conversions_value FROM campaign \
                 WHERE campaign.id = {id} AND segments.date BETWEEN '{from}' AND '{to}'"
            );
            let call = self.call(
                "read metrics",
                "googleAds:searchStream",
                json!({ "query": query }),
            );
            let body = self.send(&call).await?;
            // searchStream answers an array of batches, each with `results`.
            let batches = body.as_array().ok_or_else(|| {
                ConnectorError::unexpected(P, "the searchStream answer is not an array", &body)
            })?;
            let mut out = Vec::new();
            for batch in batches {
                for r in batch
                    .get("results")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let date = r
                        .pointer("/segments/date")
                        .and_then(Value::as_str)
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                        .ok_or_else(|| ConnectorError::protocol(P, "row without segments.date"))?;
                    let m = r.get("metrics").cloned().unwrap_or(Value::Null);
                    let get = |k: &str| m.get(k).cloned().unwrap_or(Value::Null);
                    let impressions = count_of(&get("impressions"));
                    out.push(DailyMetrics {
                        date,
                        country: None,
                        impressions,
                        // Search reports no reach per day: impressions bound it.
                        reach: 0,
                        clicks: count_of(&get("clicks")),
                        spend_cents: count_of(&get("costMicros")) / 10_000,
                        conversions: count_of(&get("conversions")),
                        value_cents: (get("conversionsValue").as_f64().unwrap_or(0.0) * 100.0)
                            .round() as i64,
                    });
                }
            }
            Ok(out)
        })
    }
}
