//! Platform connectors: the [`Connector`] trait, the HTTP calls it makes,
//! and the registry that picks a real client or the sandbox: a client's
//! own account ([`Connectors::for_account`], built once per connection
//! version and kept, so an OAuth token is reused until it nears expiry),
//! else the environment's single account per platform, else the sandbox.

mod accounts;
mod google;
mod http;
mod mailchimp;
mod meta;
mod oauth;
mod sandbox;
mod tiktok;
mod twilio;
pub mod units;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use promptsales_shared::domain::{Channel, Country, Currency};
use serde::Serialize;

pub use accounts::{Account, Endpoints, Secrets, fields_of, missing};
pub use google::{GoogleAds, GoogleAdsConfig, GoogleAuth};
pub use http::{Auth, Body, Call, Http, Limits, PlannedCall, Reply, RetryPolicy, Secret, Verdict};
pub use mailchimp::{Mailchimp, MailchimpConfig};
pub use meta::{
    API_VERSION as META_API_VERSION, Meta, MetaConfig, version_problem as meta_version_problem,
};
pub use oauth::{REFRESH_MARGIN, RefreshConfig, TokenSource};
pub use sandbox::Sandbox;
pub use tiktok::{Tiktok, TiktokConfig};
pub use twilio::{Twilio, TwilioConfig};

use crate::domain::Objective;
use crate::domain::benchmarks::Platform;

/// A connector's future.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Result<T, ConnectorError>> + Send + 'a>>;

/// The platform's ids of what was created, e.g. `{"campaign": "123"}`.
pub type ExternalIds = BTreeMap<String, String>;

/// Why a platform call failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ConnectorError {
    /// Credentials refused (401/403 or the platform's auth error codes).
    #[error("{platform}: credentials refused (HTTP {status}): {message}; check {hint}")]
    Unauthorized {
        platform: &'static str,
        status: u16,
        message: String,
        hint: &'static str,
    },
    /// Still rate limited after every retry.
    #[error("{platform}: rate limited after {attempts} attempt(s): {message}")]
    RateLimited {
        platform: &'static str,
        attempts: u32,
        message: String,
    },
    /// Any other error answer.
    #[error("{platform}: HTTP {status}: {message}")]
    Http {
        platform: &'static str,
        status: u16,
        message: String,
        retryable: bool,
    },
    /// The platform could not be reached. Only the host is kept: request
    /// URLs may carry tokens in their query, and the HTTP client's own
    /// words stay in the server log.
    #[error("{platform}: cannot reach {host}: {reason}")]
    Transport {
        platform: &'static str,
        host: String,
        reason: &'static str,
    },
    /// The answer was not what the platform documents.
    #[error("{platform}: unexpected answer: {detail}")]
    Protocol {
        platform: &'static str,
        detail: String,
    },
    /// The platform cannot do this (e.g. pause an email already sent).
    #[error("{platform}: {message}")]
    Unsupported {
        platform: &'static str,
        message: String,
    },
    /// Something the launch needs is missing (a message for SMS…).
    #[error("{platform}: {message}")]
    Missing {
        platform: &'static str,
        message: String,
    },
}

impl ConnectorError {
    pub fn protocol(platform: &'static str, detail: impl Into<String>) -> Self {
        ConnectorError::Protocol {
            platform,
            detail: detail.into(),
        }
    }

    /// An answer without what the platform documents (`what`, e.g. "no
    /// `id` in the answer"). The body goes to the server log, in excerpt
    /// and with tokens masked (Meta's paging links carry one); the client
    /// learns only what was missing.
    pub fn unexpected(platform: &'static str, what: &str, body: &serde_json::Value) -> Self {
        tracing::warn!(platform, answer = %http::excerpt(body, &[]), "unexpected platform answer: {what}");
        Self::protocol(platform, what)
    }

    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            ConnectorError::RateLimited { .. } | ConnectorError::Transport { .. } => true,
            ConnectorError::Http { retryable, .. } => *retryable,
            _ => false,
        }
    }
}

/// What a channel of a campaign is published with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishRequest {
    pub campaign_id: String,
    pub name: String,
    pub objective: Objective,
    pub channel: Channel,
    pub countries: Vec<Country>,
    pub currency: Currency,
    /// This channel's budget for the whole flight, hundredths.
    pub budget_cents: i64,
    /// `budget_cents` spread evenly over the remaining flight.
    pub daily_budget_cents: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Email subject (email channel).
    pub subject: Option<String>,
    /// Message text (email and SMS channels).
    pub message: Option<String>,
    /// E.164 phone numbers (SMS channel).
    pub recipients: Vec<String>,
    /// Where ads send people (Meta link ads).
    pub landing_url: Option<String>,
    /// The approved copy this channel's ads are built from; None where the
    /// approver waived the channel's creative (then a platform that needs
    /// an ad refuses the launch before any call).
    pub creative: Option<Creative>,
}

/// The approved copy of one channel, in full, as a platform's ad needs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Creative {
    /// The content asset and version it came from.
    pub asset_id: String,
    pub version: i64,
    /// Short lines (Google responsive search ad headlines, Meta's title).
    pub headlines: Vec<String>,
    /// Longer lines (Google descriptions, Meta's description).
    pub descriptions: Vec<String>,
    /// The main text (Meta's primary text, TikTok's ad text).
    pub body: String,
    /// An image or video URL where the asset has one (Instagram needs it).
    pub media_url: Option<String>,
    /// Search keywords (Google Ads).
    pub keywords: Vec<String>,
}

/// Whose delivery to read.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsTarget {
    pub campaign_id: String,
    pub channel: Channel,
    pub ids: ExternalIds,
    pub countries: Vec<Country>,
    pub currency: Currency,
    pub daily_budget_cents: i64,
    pub launched_on: NaiveDate,
    pub end: NaiveDate,
}

/// One day of delivery as a platform reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyMetrics {
    pub date: NaiveDate,
    /// None when the platform has no country breakdown.
    pub country: Option<Country>,
    pub impressions: i64,
    pub reach: i64,
    pub clicks: i64,
    pub spend_cents: i64,
    pub conversions: i64,
    pub value_cents: i64,
}

/// A marketing platform: creates a channel's objects paused, enables,
/// pauses and resumes them, changes their budget and reads daily delivery.
pub trait Connector: Send + Sync {
    fn platform(&self) -> Platform;
    /// True for the sandbox stand-in.
    fn sandbox(&self) -> bool {
        false
    }
    /// Exactly the calls `publish_paused` then `enable` would make, with
    /// secrets redacted (dry runs).
    fn plan(&self, req: &PublishRequest) -> Vec<Call>;
    /// What `req` lacks for this platform to build objects that deliver
    /// (no page, no pixel, no image…), each said in a sentence; checked
    /// before any call, so a launch is refused whole.
    fn missing(&self, _req: &PublishRequest) -> Vec<String> {
        Vec::new()
    }
    /// Reads what the platform must confirm before anything is created
    /// (Meta: the ad account's currency equals the campaign's, the account
    /// is active). A launch runs it for every channel before creating
    /// anything, so a mismatch refuses the launch whole.
    fn preflight<'a>(&'a self, _req: &'a PublishRequest) -> BoxFut<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn publish_paused<'a>(&'a self, req: &'a PublishRequest) -> BoxFut<'a, ExternalIds>;
    fn enable<'a>(&'a self, req: &'a PublishRequest, ids: &'a ExternalIds) -> BoxFut<'a, ()>;
    fn pause<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()>;
    fn resume<'a>(&'a self, ids: &'a ExternalIds) -> BoxFut<'a, ()>;
    fn set_budget<'a>(
        &'a self,
        ids: &'a ExternalIds,
        budget_cents: i64,
        daily_budget_cents: i64,
    ) -> BoxFut<'a, ()>;
    fn fetch_daily<'a>(
        &'a self,
        target: &'a MetricsTarget,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BoxFut<'a, Vec<DailyMetrics>>;
    /// The platform's cheapest read of the account (`test_connection`):
    /// what it found, in a sentence.
    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        Box::pin(async { Ok("the sandbox: nothing real to check, nothing is sent".to_owned()) })
    }
}

/// Stands in for a client's connection that cannot be used (incomplete,
/// expired, unreadable): every call fails saying why, so a launch marks
/// the channel failed (retryable once the connection is fixed) and never
/// falls back to another account.
#[derive(Debug, Clone)]
pub struct Unusable {
    pub platform: Platform,
    pub reason: String,
}

impl Unusable {
    fn fail<T: Send + 'static>(&self) -> BoxFut<'_, T> {
        let e = ConnectorError::Missing {
            platform: self.platform.as_str(),
            message: self.reason.clone(),
        };
        Box::pin(async move { Err(e) })
    }
}

impl Connector for Unusable {
    fn platform(&self) -> Platform {
        self.platform
    }
    fn plan(&self, _req: &PublishRequest) -> Vec<Call> {
        Vec::new()
    }
    fn publish_paused<'a>(&'a self, _req: &'a PublishRequest) -> BoxFut<'a, ExternalIds> {
        self.fail()
    }
    fn enable<'a>(&'a self, _req: &'a PublishRequest, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.fail()
    }
    fn pause<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.fail()
    }
    fn resume<'a>(&'a self, _ids: &'a ExternalIds) -> BoxFut<'a, ()> {
        self.fail()
    }
    fn set_budget<'a>(&'a self, _ids: &'a ExternalIds, _b: i64, _d: i64) -> BoxFut<'a, ()> {
        self.fail()
    }
    fn fetch_daily<'a>(
        &'a self,
        _target: &'a MetricsTarget,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> BoxFut<'a, Vec<DailyMetrics>> {
        self.fail()
    }
    fn check<'a>(&'a self) -> BoxFut<'a, String> {
        self.fail()
    }
}

/// One platform's configuration state (for `ads://channels`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConnectorStatus {
    pub platform: String,
    /// `live` (credentials configured) or `sandbox`.
    pub mode: String,
    /// Base URL calls go to (live).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Variables still missing for a live connection.
    pub missing: Vec<String>,
}

/// A connector built for one version of a client's connection.
type Built = (String, Arc<dyn Connector>);

/// The connector for each platform: real clients where credentials are
/// configured (a client's own account, else the environment's), the
/// sandbox elsewhere.
#[derive(Clone)]
pub struct Connectors {
    live: HashMap<&'static str, Arc<dyn Connector>>,
    sandbox: Arc<Sandbox>,
    status: Vec<ConnectorStatus>,
    http: Http,
    endpoints: Endpoints,
    /// Connection id → (its version, its connector): kept so a refreshed
    /// OAuth token serves every call until it nears expiry.
    accounts: Arc<Mutex<HashMap<String, Built>>>,
}

impl std::fmt::Debug for Connectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connectors")
            .field("status", &self.status)
            .finish()
    }
}

/// Reads one configuration variable.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn retry_policy(env: Lookup<'_>) -> RetryPolicy {
    let ms = |k: &str, d: u64| {
        env(k)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(Duration::from_millis(d), Duration::from_millis)
    };
    RetryPolicy {
        max_attempts: env("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(4)
            .clamp(1, 10),
        base_delay: ms("PROMPTSALES_CONNECTOR_BACKOFF_MS", 500),
        max_delay: ms("PROMPTSALES_CONNECTOR_MAX_WAIT_MS", 30_000),
    }
}

/// Connect and total timeouts and the answer size cap of every platform
/// call: `PROMPTSALES_CONNECTOR_CONNECT_TIMEOUT_MS` (5000),
/// `PROMPTSALES_CONNECTOR_TIMEOUT_MS` (30000, per attempt, the answer
/// included) and `PROMPTSALES_CONNECTOR_MAX_RESPONSE_BYTES` (4 MiB).
fn limits(env: Lookup<'_>) -> Limits {
    let d = Limits::default();
    let num = |k: &str| env(k).and_then(|v| v.trim().parse::<u64>().ok());
    let ms = |k: &str, d: Duration| num(k).filter(|n| *n > 0).map_or(d, Duration::from_millis);
    Limits {
        connect_timeout: ms(
            "PROMPTSALES_CONNECTOR_CONNECT_TIMEOUT_MS",
            d.connect_timeout,
        ),
        total_timeout: ms("PROMPTSALES_CONNECTOR_TIMEOUT_MS", d.total_timeout),
        max_response_bytes: num("PROMPTSALES_CONNECTOR_MAX_RESPONSE_BYTES")
            .filter(|n| *n > 0)
            .map_or(d.max_response_bytes, |n| n as usize),
    }
}

impl Connectors {
    /// Sandbox everywhere.
    pub fn sandbox_only() -> Self {
        Self::from_lookup(&|_| None)
    }

    /// From the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(&|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// From any variable source (tests pass a map).
    pub fn from_lookup(env: Lookup<'_>) -> Self {
        let http = Http::new(retry_policy(env), limits(env));
        let mut live: HashMap<&'static str, Arc<dyn Connector>> = HashMap::new();
        let mut status = Vec::new();
        let mut add =
            |platform: Platform, made: Result<(Arc<dyn Connector>, String), Vec<String>>| match made
            {
                Ok((c, base)) => {
                    live.insert(platform.as_str(), c);
                    status.push(ConnectorStatus {
                        platform: platform.as_str().into(),
                        mode: "live".into(),
                        base_url: Some(base),
                        missing: Vec::new(),
                    });
                }
                Err(missing) => status.push(ConnectorStatus {
                    platform: platform.as_str().into(),
                    mode: "sandbox".into(),
                    base_url: None,
                    missing,
                }),
            };
        // Credentials with an expired Graph version: refused, and the
        // channel fails saying why rather than falling back to the sandbox.
        let endpoints = Endpoints::from_lookup(env);
        let mut refused_version = None;
        let meta = match MetaConfig::from_lookup(env) {
            Err(_)
                if env("PROMPTSALES_META_ACCESS_TOKEN").is_some()
                    && env("PROMPTSALES_META_AD_ACCOUNT_ID").is_some() =>
            {
                let why = meta::version_problem(&endpoints.meta_version).unwrap_or_default();
                refused_version = Some(why.clone());
                Ok((
                    Arc::new(Unusable {
                        platform: Platform::Meta,
                        reason: why,
                    }) as Arc<dyn Connector>,
                    endpoints.meta_base.clone(),
                ))
            }
            made => made.map(|c| {
                let base = c.base_url.clone();
                (
                    Arc::new(Meta::new(c, http.clone())) as Arc<dyn Connector>,
                    base,
                )
            }),
        };
        add(Platform::Meta, meta);
        add(
            Platform::GoogleAds,
            GoogleAdsConfig::from_lookup(env).map(|c| {
                let base = c.base_url.clone();
                (
                    Arc::new(GoogleAds::new(c, http.clone())) as Arc<dyn Connector>,
                    base,
                )
            }),
        );
        add(
            Platform::Tiktok,
            TiktokConfig::from_lookup(env).map(|c| {
                let base = c.base_url.clone();
                (
                    Arc::new(Tiktok::new(c, http.clone())) as Arc<dyn Connector>,
                    base,
                )
            }),
        );
        add(
            Platform::Mailchimp,
            MailchimpConfig::from_lookup(env).map(|c| {
                let base = c.base_url.clone();
                (
                    Arc::new(Mailchimp::new(c, http.clone())) as Arc<dyn Connector>,
                    base,
                )
            }),
        );
        add(
            Platform::Twilio,
            TwilioConfig::from_lookup(env).map(|c| {
                let base = c.base_url.clone();
                (
                    Arc::new(Twilio::new(c, http.clone())) as Arc<dyn Connector>,
                    base,
                )
            }),
        );
        if let Some(why) = refused_version
            && let Some(st) = status.iter_mut().find(|s| s.platform == "meta")
        {
            st.missing.push(why);
        }
        Self {
            live,
            sandbox: Arc::new(Sandbox),
            status,
            http,
            endpoints,
            accounts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The live client of a client's connection `id` at `version` (its
    /// `updated_at`): built on first use and kept until the connection
    /// changes. An incomplete one is [`Unusable`], saying what it lacks.
    pub fn for_account(
        &self,
        id: &str,
        version: &str,
        platform: Platform,
        account: &Account,
        secrets: &Secrets,
    ) -> Arc<dyn Connector> {
        if let Ok(cache) = self.accounts.lock()
            && let Some((v, c)) = cache.get(id)
            && v == version
        {
            return c.clone();
        }
        let lacks = missing(platform, account, &secrets.names());
        let expired = (platform == Platform::Meta)
            .then(|| meta::version_problem(&self.endpoints.meta_version))
            .flatten();
        let built: Arc<dyn Connector> = if let Some(why) = expired {
            Arc::new(Unusable {
                platform,
                reason: format!("connection {id} cannot be used: {why}"),
            })
        } else if !lacks.is_empty() {
            Arc::new(Unusable {
                platform,
                reason: format!(
                    "connection {id} is incomplete: set {} with set_connection",
                    lacks.join(", ")
                ),
            })
        } else {
            let http = self.http.clone();
            match accounts::build(&self.endpoints, platform, account, secrets) {
                Some(accounts::Built::Meta(c)) => Arc::new(Meta::new(c, http)),
                Some(accounts::Built::Google(c)) => Arc::new(GoogleAds::new(c, http)),
                Some(accounts::Built::Tiktok(c)) => Arc::new(Tiktok::new(c, http)),
                Some(accounts::Built::Mailchimp(c)) => Arc::new(Mailchimp::new(c, http)),
                Some(accounts::Built::Twilio(c)) => Arc::new(Twilio::new(c, http)),
                None => self.sandbox.clone(),
            }
        };
        if let Ok(mut cache) = self.accounts.lock() {
            cache.insert(id.to_owned(), (version.to_owned(), built.clone()));
        }
        built
    }

    /// The environment's account for `platform`, when configured.
    pub fn from_environment(&self, platform: Platform) -> Option<Arc<dyn Connector>> {
        self.live.get(platform.as_str()).cloned()
    }

    /// The sandbox stand-in.
    pub fn sandbox(&self) -> Arc<dyn Connector> {
        self.sandbox.clone()
    }

    /// The connector that launches `channel`.
    pub fn for_channel(&self, channel: Channel) -> Arc<dyn Connector> {
        let platform = Platform::of(channel);
        match self.live.get(platform.as_str()) {
            Some(c) => c.clone(),
            None => self.sandbox.clone(),
        }
    }

    /// The connector that published on `platform` (sandbox when `sandbox`).
    pub fn for_publication(&self, platform: &str, sandbox: bool) -> Arc<dyn Connector> {
        if sandbox {
            return self.sandbox.clone();
        }
        match self.live.get(platform) {
            Some(c) => c.clone(),
            None => self.sandbox.clone(),
        }
    }

    pub fn status(&self) -> &[ConnectorStatus] {
        &self.status
    }
}

/// Cents → the platform's decimal major units ("12.34").
pub(crate) fn major_units(cents: i64) -> String {
    promptsales_shared::domain::format_cents(cents)
}

/// A decimal amount in major units ("12.34", 12.3) → cents.
pub(crate) fn cents_of(v: &serde_json::Value) -> i64 {
    let f = match v {
        serde_json::Value::String(s) => s.trim().parse::<f64>().unwrap_or(0.0),
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    };
    (f * 100.0).round() as i64
}

/// A count sent as a string or a number.
pub(crate) fn count_of(v: &serde_json::Value) -> i64 {
    match v {
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(|f| f.round() as i64)
            .unwrap_or(0),
        serde_json::Value::Number(n) => n.as_f64().map(|f| f.round() as i64).unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_without_credentials_use_the_sandbox() {
        let c = Connectors::sandbox_only();
        assert!(c.for_channel(Channel::Meta).sandbox());
        assert!(c.status().iter().all(|s| s.mode == "sandbox"));
        let meta = c.status().iter().find(|s| s.platform == "meta").unwrap();
        assert!(
            meta.missing
                .contains(&"PROMPTSALES_META_ACCESS_TOKEN".to_owned())
        );
    }

    #[test]
    fn configured_platforms_go_live() {
        let env = |k: &str| match k {
            "PROMPTSALES_META_ACCESS_TOKEN" => Some("tok".to_owned()),
            "PROMPTSALES_META_AD_ACCOUNT_ID" => Some("123".to_owned()),
            _ => None,
        };
        let c = Connectors::from_lookup(&env);
        assert!(!c.for_channel(Channel::Instagram).sandbox());
        assert!(c.for_channel(Channel::Tiktok).sandbox());
    }

    #[test]
    fn amounts_parse_from_strings_and_numbers() {
        assert_eq!(cents_of(&serde_json::json!("12.345")), 1235);
        assert_eq!(cents_of(&serde_json::json!(3.1)), 310);
        assert_eq!(count_of(&serde_json::json!("42")), 42);
        assert_eq!(major_units(1234), "12.34");
    }
}
