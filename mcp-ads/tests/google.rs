//! Google Ads against a stricter local fake: only an allow-list of API
//! versions is served (others answer Google's 404), every object is
//! checked for the fields the v24+ reference requires (budget micros in
//! the currency's billable unit, paused objects, `startDateTime` rather
//! than the removed `startDate`, responsive search ad limits, keywords,
//! geo target constants), and errors come back in Google's documented
//! `GoogleAdsFailure` shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mcp_ads::connectors::{
    Connector, ConnectorError, Connectors, Creative, GoogleAdsConfig, PublishRequest,
};
use mcp_ads::domain::Objective;
use promptsales_shared::domain::{Channel, Country, Currency};
use serde_json::{Value, json};

/// Versions Google serves (v21 sunset 2026-08-05, v22 2026-10-07).
const SERVED: &[&str] = &["v24", "v25", "v26"];

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<(String, Value)>>>,
    currency: Arc<Mutex<String>>,
    /// Replies used once each before the checks, by service suffix.
    script: Arc<Mutex<Vec<(String, u16, Value)>>>,
}

fn failure(
    status: u16,
    grpc: &str,
    kind: &str,
    code: &str,
    msg: &str,
    extra: Value,
) -> (u16, Value) {
    (
        status,
        json!({"error": {"code": status, "message": "Request contains an invalid argument.", "status": grpc,
            "details": [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
                "errors": [{"errorCode": {kind: code}, "message": msg, "details": extra}], "requestId": "req-1"}]}}),
    )
}

fn bad(msg: &str) -> (u16, Value) {
    failure(
        400,
        "INVALID_ARGUMENT",
        "fieldError",
        "REQUIRED",
        msg,
        json!({}),
    )
}

fn unit_of(currency: &str) -> i64 {
    if ["JPY", "CLP", "KRW", "PYG"].contains(&currency) {
        1_000_000
    } else {
        10_000
    }
}

fn created(cid: &str, kind: &str, n: usize) -> (u16, Value) {
    let results: Vec<Value> = (0..n)
        .map(|i| json!({"resourceName": format!("customers/{cid}/{kind}/{}", 100 + i)}))
        .collect();
    (200, json!({ "results": results }))
}

/// Google's checks of each service, from the reference.
fn answer(f: &Fake, version: &str, cid: &str, service: &str, b: &Value) -> (u16, Value) {
    if !SERVED.contains(&version) {
        return (
            404,
            json!({"error": {"code": 404, "message": format!("Method not found: google.ads.googleads.{version}.services is not served."), "status": "NOT_FOUND"}}),
        );
    }
    let creates: Vec<&Value> = b["operations"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x.get("create")).collect())
        .unwrap_or_default();
    match service {
        "googleAds:search" => (
            200,
            json!({"results": [{"customer": {"resourceName": format!("customers/{cid}"), "currencyCode": *f.currency.lock().unwrap()}}]}),
        ),
        "campaignBudgets:mutate" => {
            let c = creates[0];
            let micros: i64 = c["amountMicros"]
                .as_str()
                .and_then(|m| m.parse().ok())
                .unwrap_or(-1);
            let unit = unit_of(&f.currency.lock().unwrap());
            if micros <= 0 || micros % unit != 0 {
                return failure(
                    400,
                    "INVALID_ARGUMENT",
                    "campaignBudgetError",
                    "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                    "The budget amount must be a multiple of the minimum currency unit.",
                    json!({}),
                );
            }
            if c["name"].as_str().is_none() {
                return bad("campaign_budget.name is required");
            }
            created(cid, "campaignBudgets", 1)
        }
        "campaigns:mutate" => {
            let Some(c) = creates.first() else {
                return (
                    200,
                    json!({"results": [{"resourceName": b["operations"][0]["update"]["resourceName"]}]}),
                );
            };
            for gone in ["startDate", "endDate"] {
                if c.get(gone).is_some() {
                    return (
                        400,
                        json!({"error": {"code": 400, "message": format!("Invalid JSON payload received. Unknown name \"{gone}\" at 'operations[0].create': Cannot find field."), "status": "INVALID_ARGUMENT"}}),
                    );
                }
            }
            let ok = c["status"] == "PAUSED"
                && c["advertisingChannelType"] == "SEARCH"
                && c["campaignBudget"]
                    .as_str()
                    .is_some_and(|x| x.contains("/campaignBudgets/"))
                && c["networkSettings"]["targetGoogleSearch"] == true
                && c["containsEuPoliticalAdvertising"].is_string()
                && c["startDateTime"].as_str().is_some_and(|d| d.len() == 19)
                && c["endDateTime"].as_str().is_some_and(|d| d.len() == 19)
                && (c.get("targetSpend").is_some() || c.get("maximizeConversions").is_some());
            if !ok {
                return bad(
                    "campaign: status PAUSED, SEARCH, budget, network settings, EU political declaration, start/end date time and a bidding strategy are required",
                );
            }
            created(cid, "campaigns", 1)
        }
        "adGroups:mutate" => {
            let c = creates[0];
            if c["status"] != "PAUSED"
                || !c["campaign"]
                    .as_str()
                    .is_some_and(|x| x.contains("/campaigns/"))
                || c["name"].as_str().is_none()
            {
                return bad("ad_group.campaign, name and status PAUSED are required");
            }
            created(cid, "adGroups", 1)
        }
        "adGroupAds:mutate" => {
            let c = creates[0];
            let rsa = &c["ad"]["responsiveSearchAd"];
            let h = rsa["headlines"].as_array().cloned().unwrap_or_default();
            let d = rsa["descriptions"].as_array().cloned().unwrap_or_default();
            let len_ok = |v: &[Value], n: usize| {
                v.iter()
                    .all(|x| x["text"].as_str().is_some_and(|t| t.chars().count() <= n))
            };
            if !(3..=15).contains(&h.len())
                || !(2..=4).contains(&d.len())
                || !len_ok(&h, 30)
                || !len_ok(&d, 90)
            {
                return failure(
                    400,
                    "INVALID_ARGUMENT",
                    "adError",
                    "TOO_FEW_HEADLINES",
                    "A responsive search ad needs 3-15 headlines (30) and 2-4 descriptions (90).",
                    json!({}),
                );
            }
            if c["ad"]["finalUrls"].as_array().is_none_or(|u| u.is_empty())
                || c["status"] != "PAUSED"
                || !c["adGroup"]
                    .as_str()
                    .is_some_and(|x| x.contains("/adGroups/"))
            {
                return bad("ad.final_urls, ad_group and status PAUSED are required");
            }
            created(cid, "adGroupAds", 1)
        }
        "adGroupCriteria:mutate" => {
            let ok = !creates.is_empty()
                && creates.iter().all(|c| {
                    c["keyword"]["text"].as_str().is_some_and(|t| !t.is_empty())
                        && ["EXACT", "PHRASE", "BROAD"]
                            .contains(&c["keyword"]["matchType"].as_str().unwrap_or(""))
                        && c["adGroup"]
                            .as_str()
                            .is_some_and(|x| x.contains("/adGroups/"))
                });
            if !ok {
                return bad("keyword.text, keyword.match_type and ad_group are required");
            }
            created(cid, "adGroupCriteria", creates.len())
        }
        "campaignCriteria:mutate" => {
            let ok = !creates.is_empty()
                && creates.iter().all(|c| {
                    c["location"]["geoTargetConstant"]
                        .as_str()
                        .and_then(|g| g.strip_prefix("geoTargetConstants/"))
                        .is_some_and(|id| id.parse::<u32>().is_ok())
                        && c["campaign"]
                            .as_str()
                            .is_some_and(|x| x.contains("/campaigns/"))
                });
            if !ok {
                return bad("location.geo_target_constant and campaign are required");
            }
            created(cid, "campaignCriteria", creates.len())
        }
        "googleAds:mutate" => {
            let ops = b["mutateOperations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if ops.is_empty()
                || !ops.iter().all(|o| {
                    o.as_object()
                        .and_then(|m| m.values().next())
                        .is_some_and(|v| v["updateMask"] == "status")
                })
            {
                return bad("mutate_operations with status updates are required");
            }
            (
                200,
                json!({"mutateOperationResponses": ops.iter().map(|_| json!({})).collect::<Vec<_>>()}),
            )
        }
        _ => (
            404,
            json!({"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}),
        ),
    }
}

async fn handle(State(f): State<Fake>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    f.seen.lock().unwrap().push((path.clone(), b.clone()));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (version, cid, service) = (
        parts[0],
        parts.get(2).copied().unwrap_or(""),
        parts.last().copied().unwrap_or(""),
    );
    let scripted = {
        let mut s = f.script.lock().unwrap();
        s.iter()
            .position(|(k, _, _)| path.ends_with(k.as_str()))
            .map(|i| s.remove(i))
    };
    let (status, v) = if let Some((_, st, v)) = scripted {
        (st, v)
    } else if headers.get("developer-token").is_none()
        || !headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| h.starts_with("Bearer "))
    {
        failure(
            401,
            "UNAUTHENTICATED",
            "authenticationError",
            "NOT_ADS_USER",
            "missing credentials",
            json!({}),
        )
    } else {
        answer(&f, version, cid, service, &b)
    };
    (StatusCode::from_u16(status).unwrap(), axum::Json(v)).into_response()
}

async fn start(currency: &str) -> (Fake, String) {
    let fake = Fake::default();
    *fake.currency.lock().unwrap() = currency.to_owned();
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

fn vars(base: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = [
        ("PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN", "dev-tok"),
        ("PROMPTSALES_GOOGLE_ADS_ACCESS_TOKEN", "ya29.token"),
        ("PROMPTSALES_GOOGLE_ADS_CUSTOMER_ID", "123-456-7890"),
        ("PROMPTSALES_GOOGLE_ADS_BASE_URL", base),
        ("PROMPTSALES_CONNECTOR_BACKOFF_MS", "5"),
        ("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS", "3"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        m.insert((*k).to_owned(), (*v).to_owned());
    }
    m
}

fn google(base: &str, extra: &[(&str, &str)]) -> Arc<dyn Connector> {
    let m = vars(base, extra);
    Connectors::from_lookup(&|k| m.get(k).cloned()).for_channel(Channel::GoogleAds)
}

fn req() -> PublishRequest {
    PublishRequest {
        campaign_id: "cmp_1".into(),
        name: "Spring".into(),
        objective: Objective::Leads,
        channel: Channel::GoogleAds,
        countries: vec![Country::parse("CO").unwrap(), Country::parse("MX").unwrap()],
        currency: Currency::parse("USD").unwrap(),
        budget_cents: 310_000,
        daily_budget_cents: 10_000,
        start: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
        end: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
        subject: None,
        message: None,
        recipients: vec![],
        landing_url: Some("https://andes.example/mba".into()),
        creative: Some(Creative {
            asset_id: "ast_1".into(),
            version: 2,
            headlines: vec![
                "MBA Andes".into(),
                "Estudia a tu ritmo".into(),
                "Becas hasta 30%".into(),
            ],
            descriptions: vec![
                "Clases en línea y presenciales en Bogotá.".into(),
                "Inscripciones abiertas para 2027.".into(),
            ],
            body: String::new(),
            media_url: None,
            keywords: vec!["mba bogota".into(), "mba en linea".into()],
        }),
    }
}

#[tokio::test]
async fn a_search_launch_creates_every_object_that_delivers_then_enables_them_at_once() {
    let (fake, base) = start("USD").await;
    let c = google(&base, &[]);
    let r = req();
    assert!(c.missing(&r).is_empty(), "{:?}", c.missing(&r));
    let ids = c.publish_paused(&r).await.unwrap();
    c.enable(&r, &ids).await.unwrap();
    let seen = fake.seen.lock().unwrap().clone();
    let services: Vec<&str> = seen
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        services,
        [
            "googleAds:search",
            "campaignBudgets:mutate",
            "campaigns:mutate",
            "adGroups:mutate",
            "adGroupAds:mutate",
            "adGroupCriteria:mutate",
            "campaignCriteria:mutate",
            "googleAds:mutate"
        ]
    );
    // The default version is served (an expired default fails here).
    assert!(
        seen.iter()
            .all(|(p, _)| p.starts_with("/v26/customers/1234567890/")),
        "{seen:?}"
    );
    assert_eq!(
        seen[0].1["query"],
        "SELECT customer.currency_code FROM customer"
    );
    let camp = &seen[2].1["operations"][0]["create"];
    assert_eq!(camp["startDateTime"], "2026-12-10 00:00:00");
    assert_eq!(camp["endDateTime"], "2027-01-10 23:59:59");
    assert!(camp.get("maximizeConversions").is_some());
    let ad = &seen[4].1["operations"][0]["create"]["ad"];
    assert_eq!(ad["finalUrls"], json!(["https://andes.example/mba"]));
    assert_eq!(
        ad["responsiveSearchAd"]["headlines"][2]["text"],
        "Becas hasta 30%"
    );
    let kw: Vec<&str> = seen[5].1["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["create"]["keyword"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(kw, ["mba bogota", "mba en linea"]);
    let geo: Vec<&str> = seen[6].1["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o["create"]["location"]["geoTargetConstant"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(geo, ["geoTargetConstants/2170", "geoTargetConstants/2484"]);
    let ops = seen[7].1["mutateOperations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(
        ops[2]["campaignOperation"]["update"]["resourceName"],
        ids["campaign"]
    );
    assert_eq!(ops[0]["adGroupAdOperation"]["update"]["status"], "ENABLED");
    for k in [
        "budget",
        "campaign",
        "ad_group",
        "ad",
        "keywords",
        "locations",
    ] {
        assert!(ids.contains_key(k), "{k}: {ids:?}");
    }
}

#[tokio::test]
async fn whole_unit_currencies_get_budgets_in_whole_units() {
    let (fake, base) = start("CLP").await;
    let c = google(&base, &[]);
    let mut r = req();
    r.currency = Currency::parse("CLP").unwrap();
    // 25,000.50 CLP a day: Google bills whole pesos.
    r.daily_budget_cents = 2_500_050;
    c.publish_paused(&r).await.unwrap();
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(
        seen[1].1["operations"][0]["create"]["amountMicros"],
        "25000000000"
    );
}

#[tokio::test]
async fn a_currency_mismatch_is_refused_naming_both_before_any_object() {
    let (fake, base) = start("COP").await;
    let e = google(&base, &[]).publish_paused(&req()).await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("COP") && text.contains("USD"), "{text}");
    assert_eq!(
        fake.seen.lock().unwrap().len(),
        1,
        "only the currency was read"
    );
}

#[tokio::test]
async fn versions_below_the_floor_are_refused_and_unserved_ones_fail_with_googles_404() {
    let (fake, base) = start("USD").await;
    let m = vars(&base, &[("PROMPTSALES_GOOGLE_ADS_API_VERSION", "v21")]);
    let why = GoogleAdsConfig::from_lookup(&|k| m.get(k).cloned()).unwrap_err();
    assert!(
        why[0].contains("PROMPTSALES_GOOGLE_ADS_API_VERSION")
            && why[0].contains("v21")
            && why[0].contains("v24"),
        "{why:?}"
    );
    // The registry leaves Google in the sandbox and says why.
    let reg = Connectors::from_lookup(&|k| m.get(k).cloned());
    let st = reg
        .status()
        .iter()
        .find(|s| s.platform == "google_ads")
        .unwrap();
    assert!(
        st.mode == "sandbox" && st.missing[0].contains("below the oldest"),
        "{st:?}"
    );
    // A version past the floor that Google does not serve: its own 404.
    let c = google(&base, &[("PROMPTSALES_GOOGLE_ADS_API_VERSION", "v27")]);
    let e = c.publish_paused(&req()).await.unwrap_err();
    assert!(
        matches!(
            e,
            ConnectorError::Http {
                status: 404,
                retryable: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("API version v27"), "{e}");
    assert_eq!(fake.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn quota_errors_wait_googles_delay_and_auth_errors_refuse_credentials() {
    let (fake, base) = start("USD").await;
    let (st, quota) = failure(
        429,
        "RESOURCE_EXHAUSTED",
        "quotaError",
        "RESOURCE_EXHAUSTED",
        "Too many requests.",
        json!({"quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": "Requests per account", "retryDelay": "0.01s"}}),
    );
    fake.script
        .lock()
        .unwrap()
        .push(("campaignBudgets:mutate".into(), st, quota));
    let c = google(&base, &[]);
    c.publish_paused(&req()).await.unwrap();
    let budgets = fake
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.ends_with("campaignBudgets:mutate"))
        .count();
    assert_eq!(budgets, 2, "retried once after the delay");

    let (st, auth) = failure(
        401,
        "UNAUTHENTICATED",
        "authenticationError",
        "OAUTH_TOKEN_EXPIRED",
        "The OAuth token has expired.",
        json!({}),
    );
    fake.script
        .lock()
        .unwrap()
        .push(("googleAds:search".into(), st, auth));
    let e = c.publish_paused(&req()).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("OAUTH_TOKEN_EXPIRED") && !e.to_string().contains("ya29.token"),
        "{e}"
    );

    let (st, denied) = failure(
        403,
        "PERMISSION_DENIED",
        "authorizationError",
        "USER_PERMISSION_DENIED",
        "User doesn't have permission to access customer.",
        json!({}),
    );
    fake.script
        .lock()
        .unwrap()
        .push(("googleAds:search".into(), st, denied));
    let e = c.publish_paused(&req()).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Unauthorized { status: 403, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn request_errors_name_googles_code_and_are_not_retried() {
    let (fake, base) = start("USD").await;
    let c = google(&base, &[]);
    let mut r = req();
    // Sent as is (the check is skipped by asking Google directly): a
    // headline over 30 characters is refused by the fake's ad checks.
    if let Some(cr) = r.creative.as_mut() {
        cr.headlines[0] = "Un titular demasiado largo para Google".into();
    }
    assert!(
        c.missing(&r).iter().any(|m| m.contains("over 30")),
        "{:?}",
        c.missing(&r)
    );
    let e = c.publish_paused(&r).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Missing { .. }),
        "refused before any call: {e:?}"
    );
    assert!(fake.seen.lock().unwrap().is_empty());
    let (st, v) = bad("campaign.name is required");
    fake.script
        .lock()
        .unwrap()
        .push(("campaigns:mutate".into(), st, v));
    let e = c.publish_paused(&req()).await.unwrap_err();
    assert!(
        !e.retryable() && e.to_string().contains("fieldError REQUIRED"),
        "{e}"
    );
}

#[test]
fn missing_names_what_a_search_campaign_lacks() {
    let m = vars("http://127.0.0.1:9", &[]);
    let c = Connectors::from_lookup(&|k| m.get(k).cloned()).for_channel(Channel::GoogleAds);
    let mut r = req();
    r.creative = None;
    assert!(
        c.missing(&r)[0].contains("approved ad copy"),
        "{:?}",
        c.missing(&r)
    );
    let mut r = req();
    if let Some(cr) = r.creative.as_mut() {
        cr.headlines.truncate(2);
        cr.descriptions.truncate(1);
        cr.keywords.clear();
    }
    r.landing_url = None;
    r.countries.push(Country::parse("JP").unwrap());
    let said = c.missing(&r).join(" | ");
    for want in [
        "3 to 15 headlines",
        "2 to 4 descriptions",
        "keywords",
        "landing URL",
        "country JP",
    ] {
        assert!(said.contains(want), "{want}: {said}");
    }
}

#[tokio::test]
async fn a_static_token_is_accepted_with_a_warning() {
    let (_fake, base) = start("USD").await;
    let said = google(&base, &[]).check().await.unwrap();
    assert!(
        said.contains("warning") && said.contains("refresh token"),
        "{said}"
    );
}
