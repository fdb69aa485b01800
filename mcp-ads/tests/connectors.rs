//! Every real connector against a local fake of its platform: method,
//! path, auth header and body of each request, request counts, and the
//! documented errors replayed (401, 429 with Retry-After, 5xx, 400);
//! tokens only in headers and never in what a failure says or logs (5xx,
//! timeouts), and answers bounded in time and size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mcp_ads::connectors::{
    Connector, ConnectorError, Connectors, Creative, ExternalIds, MetricsTarget, PublishRequest,
};
use mcp_ads::domain::Objective;
use promptsales_shared::domain::{Channel, Country, Currency};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, k: &str) -> &str {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn form(&self) -> HashMap<String, String> {
        self.body
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (dec(k), dec(v)))
            .collect()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

fn dec(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

type Reply = (u16, Option<u64>, Value);
type Script = Arc<Mutex<Vec<(String, VecDeque<Reply>)>>>;
type Fallback = Arc<Mutex<Option<fn(&str) -> Reply>>>;

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Path fragment → scripted replies, used before the default.
    script: Script,
    default: Fallback,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn script(&self, fragment: &str, replies: Vec<Reply>) {
        self.script
            .lock()
            .unwrap()
            .push((fragment.to_owned(), replies.into()));
    }
}

async fn handle(
    State(f): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    f.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or("").to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let scripted = {
        let mut s = f.script.lock().unwrap();
        s.iter_mut()
            .find(|(frag, q)| path.contains(frag.as_str()) && !q.is_empty())
            .and_then(|(_, q)| q.pop_front())
    };
    let (status, retry, body) =
        scripted.unwrap_or_else(|| (f.default.lock().unwrap().expect("default"))(&path));
    let mut r = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    if let Some(s) = retry {
        r.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    r
}

async fn start(default: fn(&str) -> Reply) -> (Fake, String) {
    let fake = Fake::default();
    *fake.default.lock().unwrap() = Some(default);
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

fn connectors(vars: &[(&str, &str)]) -> Connectors {
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    map.insert("PROMPTSALES_CONNECTOR_BACKOFF_MS".into(), "5".into());
    map.insert("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS".into(), "3".into());
    Connectors::from_lookup(&|k| map.get(k).cloned())
}

fn req(channel: Channel) -> PublishRequest {
    PublishRequest {
        campaign_id: "cmp_1".into(),
        name: "Spring".into(),
        objective: Objective::Leads,
        channel,
        countries: vec![Country::parse("CO").unwrap(), Country::parse("MX").unwrap()],
        currency: Currency::parse("USD").unwrap(),
        budget_cents: 310_000,
        daily_budget_cents: 10_000,
        start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        subject: Some("Hola".into()),
        message: Some("Compra hoy".into()),
        recipients: vec!["+573001112233".into(), "+525511112222".into()],
        landing_url: Some("https://andes.example/mba".into()),
        creative: Some(Creative {
            asset_id: "ast_001".into(),
            version: 1,
            headlines: vec!["MBA Andes".into(), "Estudia a tu ritmo".into()],
            descriptions: vec!["Clases en línea y presenciales en Bogotá.".into()],
            body: "Tu MBA en Los Andes, a tu ritmo.".into(),
            media_url: Some("https://andes.example/mba.jpg".into()),
            keywords: vec!["mba bogota".into(), "mba en linea".into()],
        }),
    }
}

fn target(channel: Channel, ids: ExternalIds) -> MetricsTarget {
    MetricsTarget {
        campaign_id: "cmp_1".into(),
        channel,
        ids,
        countries: vec![Country::parse("CO").unwrap()],
        currency: Currency::parse("USD").unwrap(),
        daily_budget_cents: 10_000,
        launched_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    }
}

fn meta_default(path: &str) -> Reply {
    if path.ends_with("/act_123") {
        (
            200,
            None,
            json!({"id": "act_123", "currency": "USD", "account_status": 1}),
        )
    } else if path.ends_with("/adcreatives") {
        (200, None, json!({"id": "450004"}))
    } else if path.ends_with("/ads") {
        (200, None, json!({"id": "340003"}))
    } else if path.ends_with("/campaigns") {
        (200, None, json!({"id": "120001"}))
    } else if path.ends_with("/adsets") {
        (200, None, json!({"id": "230002"}))
    } else if path.ends_with("/insights") {
        (
            200,
            None,
            json!({"data": [
            {"date_start": "2026-03-02", "date_stop": "2026-03-02", "country": "CO", "impressions": "1200", "reach": "900",
             "clicks": "31", "spend": "45.67", "actions": [{"action_type": "lead", "value": "4"}, {"action_type": "link_click", "value": "31"}],
             "action_values": [{"action_type": "lead", "value": "120.50"}]}
        ], "paging": {}}),
        )
    } else {
        (200, None, json!({"success": true}))
    }
}

async fn meta() -> (Fake, Arc<dyn Connector>) {
    let (fake, base) = start(meta_default).await;
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "act_123"),
        ("PROMPTSALES_META_PAGE_ID", "page9"),
        ("PROMPTSALES_META_INSTAGRAM_USER_ID", "ig7"),
        ("PROMPTSALES_META_LEAD_FORM_ID", "form5"),
        ("PROMPTSALES_META_BASE_URL", &base),
    ]);
    (fake, c.for_channel(Channel::Instagram))
}

#[tokio::test]
async fn meta_creates_paused_then_enables_and_reads_insights() {
    let (fake, c) = meta().await;
    assert!(!c.sandbox());
    let r = req(Channel::Instagram);
    let ids = c.publish_paused(&r).await.unwrap();
    assert_eq!(ids["campaign"], "120001");
    assert_eq!(ids["adset"], "230002");
    assert_eq!(ids["ad"], "340003");
    c.enable(&r, &ids).await.unwrap();
    let s = fake.seen();
    // Account read, campaign, ad set, creative, ad; then ad, ad set and
    // campaign set ACTIVE.
    assert_eq!(s.len(), 8);
    assert_eq!(
        (s[0].method.as_str(), s[0].path.as_str()),
        ("GET", "/v25.0/act_123")
    );
    assert_eq!(
        (s[1].method.as_str(), s[1].path.as_str()),
        ("POST", "/v25.0/act_123/campaigns")
    );
    let f = s[1].form();
    // The token travels only in the Authorization header.
    for x in &s {
        assert_eq!(x.header("authorization"), "Bearer meta-token");
        assert!(
            !x.body.contains("meta-token") && !x.query.contains("access_token"),
            "{x:?}"
        );
    }
    assert!(!f.contains_key("access_token"));
    assert_eq!(f["status"], "PAUSED");
    assert_eq!(f["objective"], "OUTCOME_LEADS");
    assert_eq!(f["special_ad_categories"], "[]");
    assert_eq!(f["is_adset_budget_sharing_enabled"], "false");
    assert_eq!(s[2].path, "/v25.0/act_123/adsets");
    let a = s[2].form();
    assert_eq!(a["campaign_id"], "120001");
    assert_eq!(a["daily_budget"], "10000");
    assert_eq!(a["status"], "PAUSED");
    let targeting: Value = serde_json::from_str(&a["targeting"]).unwrap();
    assert_eq!(targeting["geo_locations"]["countries"], json!(["CO", "MX"]));
    assert_eq!(targeting["publisher_platforms"], json!(["instagram"]));
    assert_eq!(s[3].path, "/v25.0/act_123/adcreatives");
    let story: Value = serde_json::from_str(&s[3].form()["object_story_spec"]).unwrap();
    assert_eq!(story["instagram_user_id"], "ig7");
    assert_eq!(
        story["link_data"]["picture"],
        "https://andes.example/mba.jpg"
    );
    assert_eq!(s[4].path, "/v25.0/act_123/ads");
    let enabled: Vec<(&str, &str)> = s[5..]
        .iter()
        .map(|x| (x.path.as_str(), x.body.as_str()))
        .collect();
    assert_eq!(
        enabled,
        [
            ("/v25.0/340003", "status=ACTIVE"),
            ("/v25.0/230002", "status=ACTIVE"),
            ("/v25.0/120001", "status=ACTIVE")
        ]
    );

    let rows = c
        .fetch_daily(
            &target(Channel::Instagram, ids),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
        )
        .await
        .unwrap();
    let q = &fake.seen()[8];
    assert_eq!(
        (q.method.as_str(), q.path.as_str()),
        ("GET", "/v25.0/120001/insights")
    );
    assert!(
        !q.query.contains("access_token") && q.query.contains("breakdowns=country"),
        "{}",
        q.query
    );
    assert_eq!(q.header("authorization"), "Bearer meta-token");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].spend_cents, 4567);
    assert_eq!(rows[0].conversions, 4);
    assert_eq!(rows[0].value_cents, 12050);
    assert_eq!(rows[0].country.unwrap().as_str(), "CO");
}

#[tokio::test]
async fn without_a_page_nothing_is_sent() {
    let (fake, base) = start(meta_default).await;
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "123"),
        ("PROMPTSALES_META_BASE_URL", &base),
    ])
    .for_channel(Channel::Meta);
    let r = req(Channel::Meta);
    assert!(
        c.missing(&r).iter().any(|m| m.contains("Facebook Page")),
        "{:?}",
        c.missing(&r)
    );
    let e = c.publish_paused(&r).await.unwrap_err();
    assert!(matches!(e, ConnectorError::Missing { .. }), "{e:?}");
    assert!(fake.seen().is_empty());
    let with_page = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "123"),
        ("PROMPTSALES_META_PAGE_ID", "page9"),
        ("PROMPTSALES_META_LEAD_FORM_ID", "form5"),
        ("PROMPTSALES_META_BASE_URL", &base),
    ])
    .for_channel(Channel::Meta);
    assert!(with_page.missing(&r).is_empty());
    assert_eq!(with_page.plan(&r).len(), 8);
}

#[tokio::test]
async fn a_refused_token_fails_at_once_and_is_not_retryable() {
    let (fake, c) = meta().await;
    fake.script("/act_123", vec![(401, None, json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}))]);
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    assert!(!e.retryable());
    assert!(
        e.to_string().contains("PROMPTSALES_META_ACCESS_TOKEN"),
        "{e}"
    );
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_then_succeed() {
    let (fake, c) = meta().await;
    fake.script(
        "/campaigns",
        vec![(
            429,
            Some(1),
            json!({"error": {"message": "User request limit reached", "code": 17}}),
        )],
    );
    let t = Instant::now();
    c.publish_paused(&req(Channel::Meta)).await.unwrap();
    // Retry-After: 1 was honoured (the backoff alone is 5 ms).
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    let paths: Vec<String> = fake.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/v25.0/act_123",
            "/v25.0/act_123/campaigns",
            "/v25.0/act_123/campaigns",
            "/v25.0/act_123/adsets",
            "/v25.0/act_123/adcreatives",
            "/v25.0/act_123/ads"
        ]
    );
}

#[tokio::test]
async fn server_errors_back_off_and_give_up_retryable() {
    let (fake, c) = meta().await;
    fake.script(
        "/campaigns",
        vec![
            (500, None, json!({"error": {"message": "boom"}})),
            (503, None, json!({})),
        ],
    );
    c.publish_paused(&req(Channel::Meta)).await.unwrap();
    assert_eq!(
        fake.seen().len(),
        7,
        "the account, two failures, the success, then ad set, creative and ad"
    );

    let (fake, c) = meta().await;
    fake.script(
        "/campaigns",
        vec![(500, None, json!({"error": {"message": "boom"}})); 5],
    );
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    assert!(e.retryable(), "{e:?}");
    assert_eq!(fake.seen().len(), 4, "the account, then max attempts");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (fake, c) = meta().await;
    fake.script(
        "/adsets",
        vec![(
            400,
            None,
            json!({"error": {"message": "Invalid parameter", "code": 100}}),
        )],
    );
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    assert!(!e.retryable());
    assert!(e.to_string().contains("Invalid parameter"), "{e}");
    assert_eq!(fake.seen().len(), 3);
}

/// What a failed call says reaches clients (tool results, stored launch
/// outcomes): never the token of a query string, the HTTP client's text or
/// a body the platform did not mean as a reason.
#[tokio::test]
async fn failures_say_what_the_platform_refused_without_secrets() {
    // A closed port: the insights URL carries the token in its query.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "act_123"),
        (
            "PROMPTSALES_META_BASE_URL",
            &format!("http://127.0.0.1:{port}"),
        ),
    ])
    .for_channel(Channel::Meta);
    let ids = ExternalIds::from([("campaign".to_owned(), "120001".to_owned())]);
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let e = c
        .fetch_daily(&target(Channel::Meta, ids), day, day)
        .await
        .unwrap_err();
    let shown = e.to_string();
    assert!(matches!(e, ConnectorError::Transport { .. }), "{e:?}");
    assert!(e.retryable());
    assert!(
        !shown.contains("meta-token")
            && !shown.contains("insights")
            && !shown.contains("error sending"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{shown}"
    );

    // A platform echoing the token in its reason; an answer without the
    // documented fields.
    let (fake, c) = meta().await;
    fake.script(
        "/campaigns",
        vec![(
            400,
            None,
            json!({"error": {"message": "token meta-token lacks ads_management", "code": 200}}),
        )],
    );
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("lacks ads_management") && !shown.contains("meta-token"),
        "{shown}"
    );
    fake.script(
        "/campaigns",
        vec![(
            200,
            None,
            json!({"paging": {"next": "https://g/x?access_token=meta-token"}}),
        )],
    );
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    let shown = e.to_string();
    assert!(matches!(e, ConnectorError::Protocol { .. }), "{e:?}");
    assert!(
        shown.contains("no `id`") && !shown.contains("meta-token") && !shown.contains("paging"),
        "{shown}"
    );
}

fn google_default(path: &str) -> Reply {
    let created = |kind: &str, id: u32| {
        (
            200,
            None,
            json!({"results": [{"resourceName": format!("customers/1234567890/{kind}/{id}")}]}),
        )
    };
    if path.ends_with("campaignBudgets:mutate") {
        created("campaignBudgets", 555)
    } else if path.ends_with("campaigns:mutate") {
        created("campaigns", 777)
    } else if path.ends_with("adGroups:mutate") {
        created("adGroups", 888)
    } else if path.ends_with("adGroupAds:mutate") {
        created("adGroupAds", 888_999)
    } else if path.ends_with("adGroupCriteria:mutate") {
        created("adGroupCriteria", 888_101)
    } else if path.ends_with("campaignCriteria:mutate") {
        created("campaignCriteria", 777_2170)
    } else if path.ends_with("googleAds:mutate") {
        (200, None, json!({"mutateOperationResponses": []}))
    } else if path.ends_with("googleAds:search") {
        (
            200,
            None,
            json!({"results": [{"customer": {"resourceName": "customers/1234567890", "currencyCode": "USD"}}]}),
        )
    } else {
        (
            200,
            None,
            json!([{"results": [
                {"segments": {"date": "2026-03-02"}, "metrics": {"impressions": "1000", "clicks": "60", "costMicros": "123450000", "conversions": 3.0, "conversionsValue": 250.5}}
            ]}]),
        )
    }
}

/// A search launch with the copy a responsive search ad needs.
fn google_req() -> PublishRequest {
    let mut r = req(Channel::GoogleAds);
    if let Some(c) = r.creative.as_mut() {
        c.headlines.push("Becas hasta 30%".into());
        c.descriptions
            .push("Inscripciones abiertas para 2026.".into());
    }
    r
}

#[tokio::test]
async fn google_ads_sends_developer_token_bearer_and_login_customer() {
    let (fake, base) = start(google_default).await;
    let c = connectors(&[
        ("PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN", "dev-tok"),
        ("PROMPTSALES_GOOGLE_ADS_ACCESS_TOKEN", "ya29.token"),
        ("PROMPTSALES_GOOGLE_ADS_CUSTOMER_ID", "123-456-7890"),
        ("PROMPTSALES_GOOGLE_ADS_LOGIN_CUSTOMER_ID", "999-000-1111"),
        ("PROMPTSALES_GOOGLE_ADS_BASE_URL", &base),
    ])
    .for_channel(Channel::GoogleAds);
    let r = google_req();
    let ids = c.publish_paused(&r).await.unwrap();
    c.enable(&r, &ids).await.unwrap();
    let s = fake.seen();
    assert_eq!(s.len(), 8);
    for x in &s {
        assert_eq!(x.method, "POST");
        assert_eq!(x.header("developer-token"), "dev-tok");
        assert_eq!(x.header("authorization"), "Bearer ya29.token");
        assert_eq!(x.header("login-customer-id"), "9990001111");
    }
    assert_eq!(s[0].path, "/v26/customers/1234567890/googleAds:search");
    assert_eq!(
        s[1].path,
        "/v26/customers/1234567890/campaignBudgets:mutate"
    );
    assert_eq!(
        s[1].json()["operations"][0]["create"]["amountMicros"],
        "100000000"
    );
    assert_eq!(s[2].path, "/v26/customers/1234567890/campaigns:mutate");
    let create = &s[2].json()["operations"][0]["create"];
    assert_eq!(create["status"], "PAUSED");
    assert_eq!(
        create["campaignBudget"],
        "customers/1234567890/campaignBudgets/555"
    );
    assert_eq!(create["advertisingChannelType"], "SEARCH");
    let upd = &s[7].json()["mutateOperations"][2]["campaignOperation"];
    assert_eq!(s[7].path, "/v26/customers/1234567890/googleAds:mutate");
    assert_eq!(upd["update"]["status"], "ENABLED");
    assert_eq!(
        upd["update"]["resourceName"],
        "customers/1234567890/campaigns/777"
    );
    assert_eq!(upd["updateMask"], "status");

    let rows = c
        .fetch_daily(
            &target(Channel::GoogleAds, ids),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
        )
        .await
        .unwrap();
    let q = &fake.seen()[8];
    assert_eq!(q.path, "/v26/customers/1234567890/googleAds:searchStream");
    assert!(
        q.json()["query"]
            .as_str()
            .unwrap()
            .contains("campaign.id = 777")
    );
    assert_eq!(
        (
            rows[0].impressions,
            rows[0].clicks,
            rows[0].spend_cents,
            rows[0].conversions,
            rows[0].value_cents
        ),
        (1000, 60, 12345, 3, 25050)
    );
}

fn tiktok_default(path: &str) -> Reply {
    let data = if path.ends_with("campaign/create/") {
        json!({"campaign_id": "1800111"})
    } else if path.ends_with("adgroup/create/") {
        json!({"adgroup_id": "1800222"})
    } else if path.ends_with("ad/create/") {
        json!({"ad_ids": ["1800333"]})
    } else if path.ends_with("file/image/ad/upload/") {
        json!({"image_id": "ad-site-i18n-sg/abc"})
    } else if path.ends_with("advertiser/info/") {
        json!({"list": [{"name": "Andes", "currency": "USD", "status": "STATUS_ENABLE"}]})
    } else {
        json!({})
    };
    (200, None, json!({"code": 0, "message": "OK", "data": data}))
}

#[tokio::test]
async fn tiktok_uses_access_token_and_reads_business_codes() {
    let (fake, base) = start(tiktok_default).await;
    let c = connectors(&[
        ("PROMPTSALES_TIKTOK_ACCESS_TOKEN", "tt-token"),
        ("PROMPTSALES_TIKTOK_ADVERTISER_ID", "700"),
        ("PROMPTSALES_TIKTOK_IDENTITY_ID", "id-9"),
        ("PROMPTSALES_TIKTOK_IDENTITY_TYPE", "CUSTOMIZED_USER"),
        ("PROMPTSALES_TIKTOK_PIXEL_ID", "px-1"),
        ("PROMPTSALES_TIKTOK_BASE_URL", &base),
    ])
    .for_channel(Channel::Tiktok);
    // 40100 is TikTok's rate limit inside a 200: retried.
    fake.script(
        "campaign/create/",
        vec![(
            200,
            None,
            json!({"code": 40100, "message": "Too many requests"}),
        )],
    );
    let r = req(Channel::Tiktok);
    let ids = c.publish_paused(&r).await.unwrap();
    c.enable(&r, &ids).await.unwrap();
    let s = fake.seen();
    let paths: Vec<&str> = s
        .iter()
        .map(|x| x.path.trim_start_matches("/open_api/v1.3/"))
        .collect();
    assert_eq!(
        paths,
        [
            "advertiser/info/",
            "file/image/ad/upload/",
            "campaign/create/",
            "campaign/create/",
            "adgroup/create/",
            "ad/create/",
            "campaign/status/update/",
            "adgroup/status/update/",
            "ad/status/update/"
        ]
    );
    assert_eq!(s[2].header("access-token"), "tt-token");
    let b = s[3].json();
    assert_eq!(b["advertiser_id"], "700");
    assert_eq!(b["operation_status"], "DISABLE");
    assert_eq!(b["objective_type"], "WEB_CONVERSIONS");
    assert_eq!(s[4].json()["budget"], 3100.0);
    assert_eq!(s[6].json()["operation_status"], "ENABLE");
    assert_eq!(s[6].json()["campaign_ids"], json!(["1800111"]));

    fake.script(
        "advertiser/info/",
        vec![(
            200,
            None,
            json!({"code": 40105, "message": "Access token is invalid"}),
        )],
    );
    let e = c.publish_paused(&r).await.unwrap_err();
    assert!(matches!(e, ConnectorError::Unauthorized { .. }), "{e:?}");
}

fn mailchimp_default(path: &str) -> Reply {
    if path.ends_with("/3.0/campaigns") {
        (200, None, json!({"id": "mc42", "status": "save"}))
    } else {
        (200, None, json!({}))
    }
}

#[tokio::test]
async fn mailchimp_uses_basic_auth_and_sends_after_content() {
    let (fake, base) = start(mailchimp_default).await;
    let c = connectors(&[
        ("PROMPTSALES_MAILCHIMP_API_KEY", "abc123-us21"),
        ("PROMPTSALES_MAILCHIMP_LIST_ID", "list9"),
        ("PROMPTSALES_MAILCHIMP_REPLY_TO", "hola@example.com"),
        ("PROMPTSALES_MAILCHIMP_BASE_URL", &base),
    ])
    .for_channel(Channel::Email);
    let mut r = req(Channel::Email);
    r.start = chrono::Utc::now().date_naive();
    let ids = c.publish_paused(&r).await.unwrap();
    c.enable(&r, &ids).await.unwrap();
    let s = fake.seen();
    let auth = "Basic YW55c3RyaW5nOmFiYzEyMy11czIx"; // anystring:abc123-us21
    assert!(s.iter().all(|x| x.header("authorization") == auth));
    assert_eq!(
        (s[0].method.as_str(), s[0].path.as_str()),
        ("POST", "/3.0/campaigns")
    );
    assert_eq!(s[0].json()["recipients"]["list_id"], "list9");
    assert_eq!(s[0].json()["settings"]["subject_line"], "Hola");
    assert_eq!(
        (s[1].method.as_str(), s[1].path.as_str()),
        ("PUT", "/3.0/campaigns/mc42/content")
    );
    assert_eq!(s[1].json()["plain_text"], "Compra hoy");
    assert_eq!(
        (s[2].method.as_str(), s[2].path.as_str()),
        ("POST", "/3.0/campaigns/mc42/actions/send")
    );

    let mut no_msg = req(Channel::Email);
    no_msg.message = None;
    let e = c.publish_paused(&no_msg).await.unwrap_err();
    assert!(e.to_string().contains("message"), "{e}");
    assert_eq!(fake.seen().len(), 3, "nothing sent without a message");
}

#[tokio::test]
async fn twilio_posts_one_form_per_recipient_with_basic_auth() {
    let (fake, base) = start(|_| (201, None, json!({"sid": "SM1", "status": "queued"}))).await;
    let c = connectors(&[
        ("PROMPTSALES_TWILIO_ACCOUNT_SID", "AC123"),
        ("PROMPTSALES_TWILIO_AUTH_TOKEN", "tw-secret"),
        ("PROMPTSALES_TWILIO_FROM", "+15005550006"),
        ("PROMPTSALES_TWILIO_BASE_URL", &base),
    ])
    .for_channel(Channel::Sms);
    let r = req(Channel::Sms);
    let ids = c.publish_paused(&r).await.unwrap();
    assert!(
        fake.seen().is_empty(),
        "nothing exists on Twilio before launch"
    );
    c.enable(&r, &ids).await.unwrap();
    let s = fake.seen();
    assert_eq!(s.len(), 2);
    for (x, to) in s.iter().zip(["+573001112233", "+525511112222"]) {
        assert_eq!(
            (x.method.as_str(), x.path.as_str()),
            ("POST", "/2010-04-01/Accounts/AC123/Messages.json")
        );
        assert_eq!(x.header("authorization"), "Basic QUMxMjM6dHctc2VjcmV0"); // AC123:tw-secret
        assert_eq!(
            x.header("content-type"),
            "application/x-www-form-urlencoded"
        );
        let f = x.form();
        assert_eq!(
            (f["To"].as_str(), f["From"].as_str(), f["Body"].as_str()),
            (to, "+15005550006", "Compra hoy")
        );
    }
    fake.script(
        "Messages.json",
        vec![(401, None, json!({"code": 20003, "message": "Authenticate"}))],
    );
    let e = c.enable(&r, &ids).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Unauthorized { .. }) && e.to_string().contains("Authenticate"),
        "{e}"
    );
}

#[tokio::test]
async fn dry_run_plans_show_the_calls_without_secrets() {
    let (_fake, c) = meta().await;
    let plan = c.plan(&req(Channel::Meta));
    assert_eq!(plan.len(), 8);
    let shown =
        serde_json::to_string(&plan.iter().map(|p| p.planned()).collect::<Vec<_>>()).unwrap();
    assert!(!shown.contains("meta-token"), "{shown}");
    assert!(
        shown.contains("\"status\":\"PAUSED\"") && shown.contains("/act_123/campaigns"),
        "{shown}"
    );
}

#[tokio::test]
async fn meta_paging_links_are_followed_without_their_token() {
    let (fake, base) = start(meta_default).await;
    let next =
        format!("{base}/v25.0/120001/insights?after=page2&access_token=meta-token&limit=500");
    fake.script(
        "/insights",
        vec![
            (
                200,
                None,
                json!({"data": [{"date_start": "2026-03-02", "impressions": "10"}],
                       "paging": {"next": next}}),
            ),
            (
                200,
                None,
                json!({"data": [{"date_start": "2026-03-03", "impressions": "20"}], "paging": {}}),
            ),
        ],
    );
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "act_123"),
        ("PROMPTSALES_META_BASE_URL", &base),
    ])
    .for_channel(Channel::Meta);
    let ids = ExternalIds::from([("campaign".to_owned(), "120001".to_owned())]);
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let rows = c
        .fetch_daily(&target(Channel::Meta, ids), day, day)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let s = fake.seen();
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].query, "after=page2&limit=500");
    for x in &s {
        assert_eq!(x.header("authorization"), "Bearer meta-token");
        assert!(!x.query.contains("access_token"), "{}", x.query);
    }
}

/// Log lines written while a test runs, to check none carries a secret.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A platform that answers after `delay` (timeouts) or with `size` bytes.
async fn slow_or_big(delay: Duration, size: usize) -> String {
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        let body = format!("{{\"id\": \"1\", \"pad\": \"{}\"}}", "x".repeat(size));
        ([("content-type", "application/json")], body)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Under 5xx answers that echo the token, timeouts and oversized answers,
/// neither the error (what reaches clients and stored outcomes) nor any
/// log line names the token, the request URL's path or the HTTP client's
/// words.
#[tokio::test(flavor = "current_thread")]
async fn tokens_stay_secret_under_server_errors_timeouts_and_huge_answers() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // 5xx, three times, each echoing the token as JSON and as a proxy page.
    let (fake, c) = meta().await;
    fake.script(
        "/campaigns",
        vec![
            (
                500,
                None,
                json!({"error": {"message": "upstream said: Bearer meta-token rejected"}}),
            ),
            (
                502,
                None,
                json!("<html>proxy 10.0.0.7 got Authorization: Bearer meta-token</html>"),
            ),
            (
                503,
                None,
                json!({"error": {"message": "token meta-token is throttled"}}),
            ),
        ],
    );
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    assert!(e.retryable(), "{e:?}");
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("meta-token"), "{shown}");
    assert!(
        shown.contains("503") && shown.contains("throttled"),
        "{shown}"
    );

    // A platform slower than the total timeout.
    let base = slow_or_big(Duration::from_secs(5), 10).await;
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "act_123"),
        ("PROMPTSALES_META_BASE_URL", &base),
        ("PROMPTSALES_CONNECTOR_TIMEOUT_MS", "200"),
        ("PROMPTSALES_META_PAGE_ID", "page9"),
        ("PROMPTSALES_META_LEAD_FORM_ID", "form5"),
        ("PROMPTSALES_CONNECTOR_MAX_ATTEMPTS", "1"),
    ])
    .for_channel(Channel::Meta);
    let t = Instant::now();
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let shown = format!("{e} {e:?}");
    assert!(
        matches!(e, ConnectorError::Transport { .. }) && shown.contains("timed out"),
        "{shown}"
    );
    assert!(
        !shown.contains("meta-token") && !shown.contains("act_123/campaigns"),
        "{shown}"
    );

    // An answer over the size cap is refused unread.
    let base = slow_or_big(Duration::ZERO, 64 * 1024).await;
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "act_123"),
        ("PROMPTSALES_META_BASE_URL", &base),
        ("PROMPTSALES_CONNECTOR_MAX_RESPONSE_BYTES", "4096"),
        ("PROMPTSALES_META_PAGE_ID", "page9"),
        ("PROMPTSALES_META_LEAD_FORM_ID", "form5"),
    ])
    .for_channel(Channel::Meta);
    let e = c.publish_paused(&req(Channel::Meta)).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Protocol { .. }) && e.to_string().contains("4096 bytes"),
        "{e:?}"
    );

    let logged = logs.text();
    assert!(!logged.is_empty(), "the failures were logged");
    assert!(!logged.contains("meta-token"), "{logged}");
    assert!(!logged.contains("act_123/campaigns"), "{logged}");
}

#[test]
fn configured_credentials_never_print() {
    let env = |k: &str| {
        Some(
            match k {
                "PROMPTSALES_META_ACCESS_TOKEN" => "meta-secret",
                "PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN" => "dev-secret",
                "PROMPTSALES_GOOGLE_ADS_ACCESS_TOKEN" => "ya29-secret",
                "PROMPTSALES_TIKTOK_ACCESS_TOKEN" => "tt-secret",
                "PROMPTSALES_MAILCHIMP_API_KEY" => "mc-secret-us21",
                "PROMPTSALES_TWILIO_AUTH_TOKEN" => "tw-secret",
                "PROMPTSALES_MAILCHIMP_REPLY_TO" => "a@b.example",
                "PROMPTSALES_TWILIO_FROM" => "+15005550006",
                "PROMPTSALES_GOOGLE_ADS_API_VERSION" => "v26",
                "PROMPTSALES_META_API_VERSION" => "v25.0",
                _ => "x1",
            }
            .to_owned(),
        )
    };
    let shown = format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        mcp_ads::connectors::MetaConfig::from_lookup(&env).unwrap(),
        mcp_ads::connectors::GoogleAdsConfig::from_lookup(&env).unwrap(),
        mcp_ads::connectors::TiktokConfig::from_lookup(&env).unwrap(),
        mcp_ads::connectors::MailchimpConfig::from_lookup(&env).unwrap(),
        mcp_ads::connectors::TwilioConfig::from_lookup(&env).unwrap(),
        Connectors::from_lookup(&env),
    );
    for secret in [
        "meta-secret",
        "dev-secret",
        "ya29-secret",
        "tt-secret",
        "mc-secret",
        "tw-secret",
    ] {
        assert!(!shown.contains(secret), "{secret}: {shown}");
    }
    assert!(shown.contains("***"), "{shown}");
}

fn token_answer(token: &str, expires_in: u64) -> Reply {
    (
        200,
        None,
        json!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/adwords"}),
    )
}

/// Google with the refresh-token flow against the fake's `/token`.
fn google_refreshing(base: &str) -> Arc<dyn Connector> {
    let token_url = format!("{base}/token");
    connectors(&[
        ("PROMPTSALES_GOOGLE_ADS_DEVELOPER_TOKEN", "dev-tok"),
        (
            "PROMPTSALES_GOOGLE_ADS_CLIENT_ID",
            "cid.apps.googleusercontent.com",
        ),
        (
            "PROMPTSALES_GOOGLE_ADS_CLIENT_SECRET",
            "oauth-client-secret",
        ),
        ("PROMPTSALES_GOOGLE_ADS_REFRESH_TOKEN", "1//refresh-secret"),
        ("PROMPTSALES_GOOGLE_OAUTH_TOKEN_URL", &token_url),
        ("PROMPTSALES_GOOGLE_ADS_CUSTOMER_ID", "123-456-7890"),
        ("PROMPTSALES_GOOGLE_ADS_BASE_URL", base),
    ])
    .for_channel(Channel::GoogleAds)
}

#[tokio::test]
async fn google_exchanges_its_refresh_token_once_and_again_when_refused_mid_run() {
    let (fake, base) = start(google_default).await;
    fake.script(
        "/token",
        vec![
            token_answer("ya29.first", 3600),
            token_answer("ya29.second", 3600),
        ],
    );
    // The campaign call finds the first token expired early (revoked,
    // clock skew): Google answers 401 UNAUTHENTICATED.
    fake.script(
        "campaigns:mutate",
        vec![(
            401,
            None,
            json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
        )],
    );
    let c = google_refreshing(&base);
    let r = google_req();
    let ids = c.publish_paused(&r).await.unwrap();
    c.enable(&r, &ids).await.unwrap();
    let s = fake.seen();
    let paths: Vec<&str> = s.iter().map(|x| x.path.as_str()).collect();
    let g = |svc: &str| format!("/v26/customers/1234567890/{svc}");
    assert_eq!(
        paths,
        [
            "/token".to_owned(),
            g("googleAds:search"),
            g("campaignBudgets:mutate"),
            g("campaigns:mutate"),
            "/token".to_owned(),
            g("campaigns:mutate"),
            g("adGroups:mutate"),
            g("adGroupAds:mutate"),
            g("adGroupCriteria:mutate"),
            g("campaignCriteria:mutate"),
            g("googleAds:mutate"),
        ]
    );
    // The exchange: a form with the OAuth client and the refresh token.
    let form = s[0].form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["client_id"], "cid.apps.googleusercontent.com");
    assert_eq!(form["client_secret"], "oauth-client-secret");
    assert_eq!(form["refresh_token"], "1//refresh-secret");
    assert_eq!(s[1].header("authorization"), "Bearer ya29.first");
    assert_eq!(s[3].header("authorization"), "Bearer ya29.first");
    // Refreshed once, then the new token serves every later call.
    assert!(
        s[5..]
            .iter()
            .all(|x| x.header("authorization") == "Bearer ya29.second")
    );
    assert!(
        s.iter()
            .skip(1)
            .all(|x| x.path == "/token" || x.header("developer-token") == "dev-tok")
    );
    // A dry run shows the exchange's result as a placeholder, masked.
    let planned =
        serde_json::to_string(&c.plan(&r).iter().map(|x| x.planned()).collect::<Vec<_>>()).unwrap();
    assert!(
        planned.contains("Bearer ***") && !planned.contains("ya29"),
        "{planned}"
    );
}

#[tokio::test]
async fn google_refreshes_a_token_before_it_expires() {
    let (fake, base) = start(google_default).await;
    // 61 s of life: usable now, within the minute's margin a second later.
    fake.script(
        "/token",
        vec![
            token_answer("ya29.short", 61),
            token_answer("ya29.next", 3600),
        ],
    );
    let c = google_refreshing(&base);
    let r = google_req();
    let ids = c.publish_paused(&r).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    c.pause(&ids).await.unwrap();
    let s = fake.seen();
    let tokens: Vec<&str> = s
        .iter()
        .filter(|x| x.path != "/token")
        .map(|x| x.header("authorization"))
        .collect();
    let mut want = vec!["Bearer ya29.short"; 7];
    want.push("Bearer ya29.next");
    assert_eq!(tokens, want);
    assert_eq!(s.iter().filter(|x| x.path == "/token").count(), 2);
    assert!(
        s.iter()
            .all(|x| x.method == "POST" && x.header("authorization") != "Bearer ")
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_fails_at_once_saying_so_without_secrets() {
    let (fake, base) = start(google_default).await;
    fake.script(
        "/token",
        vec![(
            400,
            None,
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
        )],
    );
    let c = google_refreshing(&base);
    let e = c.publish_paused(&google_req()).await.unwrap_err();
    assert!(matches!(e, ConnectorError::Unauthorized { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("invalid_grant") && text.contains("expired or revoked"),
        "{text}"
    );
    for secret in ["oauth-client-secret", "1//refresh-secret", "dev-tok"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert_eq!(fake.seen().len(), 1, "nothing reached Google Ads");
    assert!(!e.retryable());
}

#[tokio::test]
async fn a_clients_own_account_builds_its_connector_and_checks_cheaply() {
    use mcp_ads::connectors::{Account, Secrets};
    use mcp_ads::domain::benchmarks::Platform;
    let (fake, base) = start(|path| {
        if path.ends_with("googleAds:search") {
            (
                200,
                None,
                json!({"results": [{"customer": {"resourceName": "customers/1112223333", "id": "1112223333", "descriptiveName": "Clínica Dental Sonrisa", "currencyCode": "COP"}}]}),
            )
        } else {
            google_default(path)
        }
    })
    .await;
    fake.script("/token", vec![token_answer("ya29.client", 3600)]);
    let registry = connectors(&[
        ("PROMPTSALES_GOOGLE_ADS_BASE_URL", &base),
        (
            "PROMPTSALES_GOOGLE_OAUTH_TOKEN_URL",
            &format!("{base}/token"),
        ),
    ]);
    let account = Account {
        customer_id: Some("111-222-3333".into()),
        login_customer_id: Some("999-888-7777".into()),
        oauth_client_id: Some("agency.apps".into()),
        ..Account::default()
    };
    let secrets = Secrets {
        developer_token: Some("dev-agency".into()),
        oauth_client_secret: Some("agency-secret".into()),
        refresh_token: Some("1//client-refresh".into()),
        ..Secrets::default()
    };
    let c = registry.for_account("con_1", "v1", Platform::GoogleAds, &account, &secrets);
    assert!(!c.sandbox());
    let said = c.check().await.unwrap();
    assert_eq!(
        said,
        "customer 1112223333 (Clínica Dental Sonrisa, COP) through manager 9998887777"
    );
    let s = fake.seen();
    assert_eq!(s[1].path, "/v26/customers/1112223333/googleAds:search");
    assert_eq!(s[1].header("login-customer-id"), "9998887777");
    assert_eq!(s[1].header("authorization"), "Bearer ya29.client");
    // The same version is the same connector (its token is reused); an
    // incomplete account says what it lacks instead of calling anyone.
    let again = registry.for_account("con_1", "v1", Platform::GoogleAds, &account, &secrets);
    again.check().await.unwrap();
    assert_eq!(fake.seen().iter().filter(|x| x.path == "/token").count(), 1);
    let lacking = registry.for_account(
        "con_2",
        "v1",
        Platform::GoogleAds,
        &account,
        &Secrets::default(),
    );
    let e = lacking.check().await.unwrap_err().to_string();
    assert!(
        e.contains("incomplete") && e.contains("developer_token"),
        "{e}"
    );
}

#[tokio::test]
async fn each_platforms_check_is_its_cheapest_read() {
    let (fake, base) = start(|path| {
        if path.ends_with("advertiser/info/") {
            (
                200,
                None,
                json!({"code": 0, "message": "OK", "data": {"list": [{"name": "Moda Urbana", "currency": "COP", "status": "STATUS_ENABLE"}]}}),
            )
        } else if path.ends_with("/3.0/lists/list9") {
            (
                200,
                None,
                json!({"id": "list9", "name": "Clientes", "stats": {"member_count": 1200}}),
            )
        } else if path.ends_with("/Accounts/AC123.json") {
            (
                200,
                None,
                json!({"sid": "AC123", "friendly_name": "Agencia", "status": "active"}),
            )
        } else {
            (
                200,
                None,
                json!({"id": "act_123", "name": "Café Andino", "currency": "COP", "account_status": 1}),
            )
        }
    })
    .await;
    let c = connectors(&[
        ("PROMPTSALES_META_ACCESS_TOKEN", "meta-token"),
        ("PROMPTSALES_META_AD_ACCOUNT_ID", "act_123"),
        ("PROMPTSALES_META_BASE_URL", &base),
        ("PROMPTSALES_TIKTOK_ACCESS_TOKEN", "tt-token"),
        ("PROMPTSALES_TIKTOK_ADVERTISER_ID", "700"),
        ("PROMPTSALES_TIKTOK_BASE_URL", &base),
        ("PROMPTSALES_MAILCHIMP_API_KEY", "abc123-us21"),
        ("PROMPTSALES_MAILCHIMP_LIST_ID", "list9"),
        ("PROMPTSALES_MAILCHIMP_REPLY_TO", "hola@example.com"),
        ("PROMPTSALES_MAILCHIMP_BASE_URL", &base),
        ("PROMPTSALES_TWILIO_ACCOUNT_SID", "AC123"),
        ("PROMPTSALES_TWILIO_AUTH_TOKEN", "tw-secret"),
        ("PROMPTSALES_TWILIO_FROM", "+15005550006"),
        ("PROMPTSALES_TWILIO_BASE_URL", &base),
    ]);
    let said: Vec<String> = checks(vec![
        c.for_channel(Channel::Meta),
        c.for_channel(Channel::Tiktok),
        c.for_channel(Channel::Email),
        c.for_channel(Channel::Sms),
    ])
    .await;
    assert_eq!(
        said,
        [
            "ad account act_123 (Café Andino, COP, account_status 1)",
            "advertiser 700 (Moda Urbana, COP, STATUS_ENABLE)",
            "audience list9 (Clientes, 1200 members)",
            "account AC123 (Agencia, active), sender +15005550006",
        ]
    );
    let s = fake.seen();
    assert!(s.iter().all(|x| x.method == "GET"), "reads only");
    assert_eq!(s[0].path, "/v25.0/act_123");
    assert_eq!(s[0].header("authorization"), "Bearer meta-token");
    assert!(!s[0].query.contains("access_token"), "{}", s[0].query);
    assert_eq!(s[1].path, "/open_api/v1.3/advertiser/info/");
    assert!(s[1].query.contains("advertiser_ids"), "{}", s[1].query);
    assert_eq!(s[2].path, "/3.0/lists/list9");
    assert_eq!(s[3].path, "/2010-04-01/Accounts/AC123.json");
    // The sandbox has nothing to read and says so.
    let sandbox = Connectors::sandbox_only().for_channel(Channel::Meta);
    assert!(sandbox.check().await.unwrap().contains("sandbox"));
}

/// Each connector's check, one after the other.
async fn checks(cs: Vec<Arc<dyn Connector>>) -> Vec<String> {
    let mut out = Vec::new();
    for c in cs {
        out.push(c.check().await.unwrap());
    }
    out
}
