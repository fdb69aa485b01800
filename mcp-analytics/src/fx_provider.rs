//! Daily exchange rates from an Open Exchange Rates–style JSON API, stored
//! in `fx_rates` for the reporting currency.
//!
//! Follows <https://docs.openexchangerates.org/reference/historical-json>
//! (`GET /historical/YYYY-MM-DD.json?app_id=…&base=…&symbols=A,B` answers
//! `{"base": "USD", "timestamp": …, "rates": {"COP": 4012.5}}`) and
//! <https://docs.openexchangerates.org/reference/errors> (errors are
//! `{"error": true, "status": 401, "message": "invalid_app_id",
//! "description": "…"}`). The base URL is configurable so tests, mirrors and
//! compatible providers can stand in.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use analytics_read::FxRate;
use chrono::{Duration as Days, NaiveDate};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Currency, TenantId};
use serde::{Deserialize, Serialize};

/// The provider's base URL (e.g. `https://openexchangerates.org/api`).
pub const URL_ENV: &str = "PROMPTSALES_FX_URL";
/// The provider's key (Open Exchange Rates' App ID).
pub const APP_ID_ENV: &str = "PROMPTSALES_FX_APP_ID";
/// The base the rates are quoted against (default USD: the only base of
/// Open Exchange Rates' free plan).
pub const BASE_ENV: &str = "PROMPTSALES_FX_BASE";
/// Days fetched by one refresh at most (one request per day).
pub const MAX_DAYS: i64 = 366;
/// Days a first refresh back-fills: the converter's fallback window.
pub const FIRST_DAYS: i64 = crate::fx::FALLBACK_DAYS;

/// A configured provider and the base it quotes against.
#[derive(Debug, Clone)]
pub struct FxSource {
    pub provider: OpenExchangeRates,
    pub base: Currency,
}

impl FxSource {
    /// From [`URL_ENV`], [`APP_ID_ENV`] and [`BASE_ENV`]: `None` when no URL
    /// is set (no provider; rates come from imports); a URL without a key,
    /// or a base that is not ISO 4217, stops the start naming the variable.
    pub fn from_env() -> Result<Option<Self>, AppError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let Some(url) = var(URL_ENV) else {
            return Ok(None);
        };
        let Some(key) = var(APP_ID_ENV) else {
            return Err(AppError::invalid(
                APP_ID_ENV,
                format!("the rate provider's key, required when {URL_ENV} is set"),
                "",
            ));
        };
        let base = match var(BASE_ENV) {
            Some(b) => Currency::parse_field(BASE_ENV, &b)?,
            None => Currency::parse_field(BASE_ENV, "USD")?,
        };
        Ok(Some(Self {
            provider: OpenExchangeRates::new(&url, &key)?,
            base,
        }))
    }
}

/// What a refresh did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FxRefresh {
    /// `refreshed`, or `not_configured` (no provider: nothing fetched).
    pub status: FxRefreshStatus,
    pub provider: Option<String>,
    pub base: Option<Currency>,
    /// The currencies fetched: those of the tenant's sales and ad spend,
    /// and the reporting currency.
    pub currencies: Vec<Currency>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Rates written or changed (a repeated refresh writes none).
    pub rates_written: u64,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FxRefreshStatus {
    Refreshed,
    UpToDate,
    NotConfigured,
}

/// The days a refresh fetches: `from`/`to` when given; otherwise from the
/// day after the provider's last stored day (or a week back the first
/// time) to yesterday — today's rates are not final until the day ends.
pub fn window(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    last: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Option<(NaiveDate, NaiveDate)>, AppError> {
    let yesterday = today - Days::days(1);
    let to = to.unwrap_or(yesterday);
    if to >= today {
        return Err(AppError::invalid(
            "to",
            format!("a past day (before {today}): a day's rates are final once it ends"),
            to.to_string(),
        ));
    }
    let explicit = from.is_some();
    let from = match (from, last) {
        (Some(f), _) => f,
        (None, Some(l)) => l + Days::days(1),
        (None, None) => to - Days::days(FIRST_DAYS - 1),
    };
    if from > to {
        // Bounds the wrong way round are an error; a provider already up
        // to date is not.
        if explicit {
            return Err(AppError::invalid(
                "from",
                format!("a date on or before {to}"),
                from.to_string(),
            ));
        }
        return Ok(None);
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::invalid(
            "from",
            format!("at most {MAX_DAYS} days before `to` ({to}) per refresh"),
            from.to_string(),
        ));
    }
    Ok(Some((from, to)))
}

/// Why rates could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider's own documented error (`message` such as
    /// `invalid_app_id`, `not_allowed`, `invalid_base`).
    #[error("the rate provider refused ({status} {message}): {description}")]
    Refused {
        status: u16,
        message: String,
        description: String,
    },
    #[error("the rate provider is unreachable: {0}")]
    Unreachable(String),
    #[error("the rate provider answered something unreadable: {0}")]
    Unreadable(String),
}

impl From<ProviderError> for AppError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Refused { status, .. } if status == 401 || status == 403 => {
                AppError::PermissionDenied(e.to_string())
            }
            ProviderError::Refused { .. } => AppError::Conflict(e.to_string()),
            _ => AppError::Unavailable(e.to_string()),
        }
    }
}

/// A source of one day's rates for a base and a set of currencies.
pub trait RateProvider: Send + Sync {
    /// A short name recorded as the rates' `source`.
    fn name(&self) -> &str;

    fn historical(
        &self,
        date: NaiveDate,
        base: Currency,
        symbols: &[Currency],
    ) -> impl Future<Output = Result<Vec<FxRate>, ProviderError>> + Send;
}

/// An Open Exchange Rates–style HTTP client.
#[derive(Debug, Clone)]
pub struct OpenExchangeRates {
    http: reqwest::Client,
    base_url: String,
    app_id: String,
}

impl OpenExchangeRates {
    /// `base_url` such as `https://openexchangerates.org/api`; `app_id` the
    /// account's key.
    pub fn new(base_url: &str, app_id: &str) -> Result<Self, AppError> {
        if app_id.trim().is_empty() {
            return Err(AppError::invalid(
                "app_id",
                "the rate provider's App ID",
                "",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| AppError::Internal(format!("http client: {e}")))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            app_id: app_id.to_owned(),
        })
    }
}

#[derive(Deserialize)]
struct RatesBody {
    base: String,
    rates: HashMap<String, f64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    status: Option<u16>,
    message: String,
    #[serde(default)]
    description: String,
}

impl RateProvider for OpenExchangeRates {
    fn name(&self) -> &str {
        "openexchangerates"
    }

    async fn historical(
        &self,
        date: NaiveDate,
        base: Currency,
        symbols: &[Currency],
    ) -> Result<Vec<FxRate>, ProviderError> {
        let mut url = reqwest::Url::parse(&format!("{}/historical/{date}.json", self.base_url))
            .map_err(|e| ProviderError::Unreachable(format!("base URL: {e}")))?;
        let list = symbols
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",");
        url.query_pairs_mut()
            .append_pair("app_id", &self.app_id)
            .append_pair("base", base.as_str())
            .append_pair("symbols", &list);
        let resp = self
            .http
            .get(url)
            .send()
            .await
            // The URL carries the key: say what failed, not where.
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => ProviderError::Refused {
                    status: e.status.unwrap_or(status.as_u16()),
                    message: e.message,
                    description: e.description,
                },
                Err(_) => ProviderError::Refused {
                    status: status.as_u16(),
                    message: "http_error".into(),
                    description: String::from_utf8_lossy(&body).chars().take(200).collect(),
                },
            });
        }
        let parsed: RatesBody =
            serde_json::from_slice(&body).map_err(|e| ProviderError::Unreadable(e.to_string()))?;
        if parsed.base != base.as_str() {
            return Err(ProviderError::Unreadable(format!(
                "asked for base {base}, got {}",
                parsed.base
            )));
        }
        let mut out = Vec::new();
        for c in symbols {
            if *c == base {
                continue;
            }
            let Some(rate) = parsed.rates.get(c.as_str()) else {
                return Err(ProviderError::Unreadable(format!("no {c} rate for {date}")));
            };
            out.push(
                FxRate::new(date, base, *c, *rate)
                    .map_err(|e| ProviderError::Unreadable(e.to_string()))?,
            );
        }
        Ok(out)
    }
}

/// Fetches and stores the rates of `symbols` against `base` for every day
/// from `from` to `to`; returns the number of rates written. Meant for the
/// scheduler (yesterday's rates each morning) and for back-filling.
pub async fn refresh<P: RateProvider>(
    db: &Db,
    tenant: &TenantId,
    provider: &P,
    base: Currency,
    symbols: &[Currency],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, AppError> {
    if to < from {
        return Err(AppError::invalid(
            "to",
            format!("a date on or after {from}"),
            to.to_string(),
        ));
    }
    let mut written = 0;
    for day in from.iter_days().take_while(|d| *d <= to) {
        let rates = provider.historical(day, base, symbols).await?;
        written += analytics_read::upsert_fx_rates(db, tenant, &rates, provider.name()).await?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use axum::extract::{Path, Query};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::{Json, Router, routing::get};
    use serde_json::json;

    use super::*;

    /// A fake that enforces what the documentation says: an App ID is
    /// required and must be valid, only USD is a base on this plan, dates
    /// are `YYYY-MM-DD.json`.
    async fn historical(
        Path(file): Path<String>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let err = |status: StatusCode, message: &str, description: &str| {
            (
                status,
                Json(
                    json!({"error": true, "status": status.as_u16(), "message": message,
                            "description": description}),
                ),
            )
                .into_response()
        };
        let Some(day) = file
            .strip_suffix(".json")
            .and_then(|d| d.parse::<NaiveDate>().ok())
        else {
            return err(
                StatusCode::NOT_FOUND,
                "not_found",
                "Client requested a non-existent resource/route",
            );
        };
        match q.get("app_id").map(String::as_str) {
            None | Some("") => {
                return err(
                    StatusCode::UNAUTHORIZED,
                    "missing_app_id",
                    "No App ID provided.",
                );
            }
            Some("good-key") => {}
            Some(_) => {
                return err(
                    StatusCode::UNAUTHORIZED,
                    "invalid_app_id",
                    "Invalid App ID provided.",
                );
            }
        }
        if q.get("base").is_some_and(|b| b != "USD") {
            return err(
                StatusCode::FORBIDDEN,
                "not_allowed",
                "Changing the API `base` currency is available for Developer, Enterprise and Unlimited plan clients.",
            );
        }
        let bump = f64::from(day.format("%d").to_string().parse::<u8>().unwrap_or(0));
        Json(json!({
            "disclaimer": "Usage subject to terms",
            "license": "https://openexchangerates.org/license",
            "timestamp": 1_767_225_600,
            "base": "USD",
            "rates": {"COP": 4000.0 + bump, "MXN": 17.0, "CLP": 900.0}
        }))
        .into_response()
    }

    async fn fake() -> String {
        let app = Router::new().route("/api/historical/{file}", get(historical));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/api")
    }

    fn c(s: &str) -> Currency {
        Currency::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_continues_from_the_last_day_up_to_yesterday() {
        let today = d("2026-03-10");
        // First time: a week back, ending yesterday.
        assert_eq!(
            window(None, None, None, today).unwrap(),
            Some((d("2026-03-03"), d("2026-03-09")))
        );
        // Then from the day after the provider's last day.
        assert_eq!(
            window(None, None, Some(d("2026-03-07")), today).unwrap(),
            Some((d("2026-03-08"), d("2026-03-09")))
        );
        // Up to date: nothing to fetch, not an error.
        assert_eq!(
            window(None, None, Some(d("2026-03-09")), today).unwrap(),
            None
        );
        // Back-fill: explicit bounds win over the last day.
        assert_eq!(
            window(
                Some(d("2026-01-01")),
                Some(d("2026-01-31")),
                Some(d("2026-03-09")),
                today
            )
            .unwrap(),
            Some((d("2026-01-01"), d("2026-01-31")))
        );
        let e = window(None, Some(today), None, today).unwrap_err();
        assert!(e.to_string().contains("to"), "{e}");
        let e = window(Some(d("2026-03-05")), Some(d("2026-03-01")), None, today).unwrap_err();
        assert!(e.to_string().contains("from"), "{e}");
        let e = window(Some(d("2024-01-01")), None, None, today).unwrap_err();
        assert!(e.to_string().contains("366"), "{e}");
    }

    #[tokio::test]
    async fn reads_a_day_and_reports_the_documented_errors() {
        let url = fake().await;
        let p = OpenExchangeRates::new(&url, "good-key").unwrap();
        let rates = p
            .historical(d("2026-03-02"), c("USD"), &[c("COP"), c("MXN")])
            .await
            .unwrap();
        assert_eq!(rates.len(), 2);
        assert_eq!((rates[0].currency, rates[0].rate), (c("COP"), 4002.0));

        let bad = OpenExchangeRates::new(&url, "stolen").unwrap();
        let e = bad
            .historical(d("2026-03-02"), c("USD"), &[c("COP")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("401 invalid_app_id"), "{e}");
        assert!(matches!(AppError::from(e), AppError::PermissionDenied(_)));

        let e = p
            .historical(d("2026-03-02"), c("EUR"), &[c("COP")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not_allowed"), "{e}");

        let e = p
            .historical(d("2026-03-02"), c("USD"), &[c("PEN")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no PEN rate"), "{e}");
        assert!(OpenExchangeRates::new(&url, " ").is_err());
    }

    #[tokio::test]
    async fn refresh_stores_every_day_on_both_backends() {
        let url = fake().await;
        let p = OpenExchangeRates::new(&url, "good-key").unwrap();
        let tenant = TenantId::parse("t1").unwrap();
        for b in promptsales_shared::testing::backends(&analytics_read::MIGRATIONS)
            .await
            .unwrap()
        {
            let n = refresh(
                &b.db,
                &tenant,
                &p,
                c("USD"),
                &[c("COP"), c("CLP")],
                d("2026-03-01"),
                d("2026-03-03"),
            )
            .await
            .unwrap();
            assert_eq!(n, 6, "{}", b.label());
            let stored = analytics_read::fx_rates_for(&b.db, &tenant, &[c("COP")])
                .await
                .unwrap();
            assert_eq!(stored.len(), 3, "{}", b.label());
            assert_eq!(stored[2].rate, 4003.0, "{}", b.label());
            b.cleanup().await;
        }
    }
}
