//! Google Ads API over REST: a campaign budget and a search campaign
//! created PAUSED, ENABLED at launch; delivery from `googleAds:searchStream`.
//! Access tokens are either given (they expire within the hour) or, with
//! an OAuth client and a refresh token, fetched and refreshed by
//! [`TokenSource`]: before they expire, and once more when Google refuses
//! one mid-run.

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::http::by_status;
use super::oauth::{GOOGLE_TOKEN_URL, RefreshConfig, TokenSource};
use super::{
    Auth, BoxFut, Call, Connector, ConnectorError, DailyMetrics, ExternalIds, Http, Lookup,
    MetricsTarget, PublishRequest, Secret, count_of,
};
use crate::domain::Objective;
use crate::domain::benchmarks::Platform;

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
        match (dev, auth, cid) {
            (Some(developer_token), Some(auth), Some(c)) => Ok(Self {
                base_url: ep.google_base,
                api_version: ep.google_version,
                developer_token: Secret::new(developer_token),
                auth,
                customer_id: digits(&c),
                login_customer_id: env("PROMPTSALES_GOOGLE_ADS_LOGIN_CUSTOMER_ID")
                    .map(|l| digits(&l)),
            }),
            (d, t, c) => Err([
                d.is_none()
                    .then_some("PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN"),
                t.is_none().then_some("PROMPTSALES_GOOGLE_ADS_ACCESS_TOKEN"),
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
pub const API_VERSION: &str = "v21";
pub const TOKEN_URL: &str = GOOGLE_TOKEN_URL;

/// The Google Ads REST client.
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

    /// Sends `call` with a valid access token; when Google refuses a
    /// refreshed token (it expired or was revoked mid-run), refreshes it
    /// once and sends again.
    async fn send(&self, call: &Call) -> Result<Value, ConnectorError> {
        let source = match &self.cfg.auth {
            GoogleAuth::Token(_) => return self.http.send(P, HINT, call, by_status).await,
            GoogleAuth::Refresh(s) => s,
        };
        let with = |token: &Secret| {
            let mut c = call.clone();
            c.auth = Auth::Bearer(token.expose().to_owned());
            c
        };
        let token = source.token(&self.http, None).await?;
        match self.http.send(P, HINT, &with(&token), by_status).await {
            Err(ConnectorError::Unauthorized { status: 401, .. }) => {
                tracing::info!(platform = P, step = %call.step, "access token refused mid-run; refreshing it once");
                let token = source.token(&self.http, Some(&token)).await?;
                self.http.send(P, HINT, &with(&token), by_status).await
            }
            other => other,
        }
    }

    fn budget_call(&self, req: &PublishRequest) -> Call {
        self.call(
            "create campaign budget",
            "campaignBudgets:mutate",
            json!({"operations": [{"create": {
                "name": format!("{} [{}] budget {}", req.name, req.channel, req.campaign_id),
                // Micros of the account currency: cents × 10,000.
                "amountMicros": (req.daily_budget_cents * 10_000).to_string(),
                "deliveryMethod": "STANDARD",
                "explicitlyShared": false
            }}]}),
        )
    }

    fn campaign_call(&self, req: &PublishRequest, budget: &str) -> Call {
        let bidding = match req.objective {
            Objective::Awareness | Objective::Traffic => json!({"targetSpend": {}}),
            Objective::Leads | Objective::Sales => json!({"maximizeConversions": {}}),
        };
        let mut create = json!({
            "name": format!("{} [{}] {}", req.name, req.channel, req.campaign_id),
            "status": "PAUSED",
            "advertisingChannelType": "SEARCH",
            "campaignBudget": budget,
            "networkSettings": {
                "targetGoogleSearch": true,
                "targetSearchNetwork": true,
                "targetContentNetwork": false
            },
            "containsEuPoliticalAdvertising": "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING",
            "startDate": req.start.format("%Y%m%d").to_string(),
            "endDate": req.end.format("%Y%m%d").to_string()
        });
        if let (Some(obj), Some(b)) = (create.as_object_mut(), bidding.as_object()) {
            obj.extend(b.clone());
        }
        self.call(
            "create campaign (paused)",
            "campaigns:mutate",
            json!({"operations": [{"create": create}]}),
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
}

fn resource_name(body: &Value) -> Result<String, ConnectorError> {
    body.pointer("/results/0/resourceName")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ConnectorError::unexpected(P, "no results[0].resourceName in the answer", body)
        })
}

impl Connector for GoogleAds {
    fn platform(&self) -> Platform {
        Platform::GoogleAds
    }

    fn plan(&self, req: &PublishRequest) -> Vec<Call> {
        vec![
            self.budget_call(req),
            self.campaign_call(req, "<campaignBudgets resource name from step 1>"),
            self.status_call("<campaigns resource name from step 2>", "ENABLED"),
        ]
    }

    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        Box::pin(async move {
            let b = self.send(&self.budget_call(req)).await?;
            let budget = resource_name(&b)?;
            let c = self.send(&self.campaign_call(req, &budget)).await?;
            let campaign = resource_name(&c)?;
            Ok(ExternalIds::from([
                ("budget".to_owned(), budget),
                ("campaign".to_owned(), campaign),
            ]))
        })
    }

    fn enable<'a>(&'a self, _req: &'a PublishRequest, ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.set_status(ids, "ENABLED")
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
            let call = self.call(
                "update campaign budget",
                "campaignBudgets:mutate",
                json!({"operations": [{
                    "update": {"resourceName": budget, "amountMicros": (daily * 10_000).to_string()},
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
            Ok(format!(
                "customer {} ({}, {}){}",
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
