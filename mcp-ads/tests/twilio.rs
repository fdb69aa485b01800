//! Twilio SMS against a strict local fake of the Messages API: the fake
//! checks Basic auth and the documented required fields and answers with
//! Twilio's error shape; it counts requests, so a 5xx or a timeout after
//! sending is shown not to turn into a second SMS. The status-callback
//! route accepts only Twilio's signature and records each status once,
//! without the recipient's number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mcp_ads::connectors::{
    Connector, ConnectorError, Http, Limits, PublishRequest, RetryPolicy, Secret, Twilio,
    TwilioConfig,
};
use mcp_ads::domain::Objective;
use mcp_ads::store::AdsStore;
use mcp_ads::webhook::{self, ConfiguredTokens, signature};
use promptsales_shared::domain::{Channel, Country, Currency, TenantId};
use serde_json::json;

const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "tw-secret";
const CALLBACK: &str = "https://ads.example.com/webhooks/twilio/status";

/// How the fake answers a valid message POST.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Created,
    /// Twilio's 5xx: the message may or may not exist.
    ServerError,
    /// Never answers in time.
    Slow,
}

/// The form fields of each POST, in order.
type Posts = Arc<Mutex<Vec<Vec<(String, String)>>>>;

#[derive(Clone)]
struct Fake {
    mode: Arc<Mutex<Mode>>,
    posts: Posts,
}

fn twilio_error(status: u16, code: u32, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({
            "code": code, "message": message, "status": status,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}")
        })),
    )
        .into_response()
}

fn pairs(body: &[u8]) -> Vec<(String, String)> {
    let mut url = reqwest::Url::parse("http://x.invalid/").unwrap();
    url.set_query(Some(std::str::from_utf8(body).unwrap()));
    url.query_pairs().into_owned().collect()
}

async fn messages(State(f): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let form = pairs(&body);
    f.posts.lock().unwrap().push(form.clone());
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return twilio_error(401, 20003, "Authenticate");
    }
    match get("To") {
        None => return twilio_error(400, 21604, "A 'To' phone number is required."),
        Some(to) if !to.starts_with('+') || to.len() < 8 => {
            return twilio_error(400, 21211, "The 'To' number is not a valid phone number.");
        }
        _ => {}
    }
    if get("From").is_none() && get("MessagingServiceSid").is_none() {
        return twilio_error(
            400,
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required",
        );
    }
    if get("Body").is_none_or(|b| b.is_empty()) {
        return twilio_error(400, 21602, "Message body is required.");
    }
    if let Some(cb) = get("StatusCallback")
        && !cb.starts_with("https://")
        && !cb.starts_with("http://")
    {
        return twilio_error(400, 21609, "Invalid StatusCallback url");
    }
    let mode = *f.mode.lock().unwrap();
    match mode {
        Mode::Created => {
            let n = f.posts.lock().unwrap().len();
            (
                StatusCode::CREATED,
                axum::Json(json!({"sid": format!("SM{n:032x}"), "status": "queued",
                                   "account_sid": SID})),
            )
                .into_response()
        }
        Mode::ServerError => twilio_error(503, 20503, "Service Unavailable"),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            twilio_error(504, 20504, "late")
        }
    }
}

async fn serve_on(l: tokio::net::TcpListener, mode: Mode) -> Fake {
    let fake = Fake {
        mode: Arc::new(Mutex::new(mode)),
        posts: Arc::default(),
    };
    let app = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/{sid}/Messages.json",
            axum::routing::post(messages),
        )
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    fake
}

async fn start(mode: Mode) -> (Fake, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    (serve_on(l, mode).await, base)
}

fn twilio(base: &str) -> Twilio {
    let http = Http::new(
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        Limits::default(),
    );
    Twilio::new(
        TwilioConfig {
            base_url: base.into(),
            account_sid: SID.into(),
            auth_token: Secret::new(TOKEN),
            from: "+15005550006".into(),
        },
        http,
    )
}

fn sms() -> PublishRequest {
    PublishRequest {
        campaign_id: "cmp_1".into(),
        name: "Spring".into(),
        objective: Objective::Sales,
        channel: Channel::Sms,
        countries: vec![Country::parse("CO").unwrap()],
        currency: Currency::parse("USD").unwrap(),
        budget_cents: 10_000,
        daily_budget_cents: 1_000,
        start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        subject: None,
        message: Some("Compra hoy".into()),
        recipients: vec!["+573001112233".into(), "+525511112222".into()],
        landing_url: None,
        creative: None,
    }
}

#[tokio::test]
async fn a_twilio_5xx_is_not_retried_into_a_duplicate() {
    let (fake, base) = start(Mode::ServerError).await;
    let c = twilio(&base);
    let r = sms();
    let ids = c.publish_paused(&r).await.unwrap();
    let e = c.enable(&r, &ids).await.unwrap_err();
    let said = e.to_string();
    assert!(
        matches!(
            e,
            ConnectorError::Http {
                retryable: false,
                ..
            }
        ),
        "{said}"
    );
    assert!(
        said.contains("outcome unknown")
            && said.contains("HTTP 503")
            && said.contains("after 0 of 2"),
        "{said}"
    );
    assert!(!said.contains("+573001112233"), "no full number: {said}");
    assert_eq!(
        fake.posts.lock().unwrap().len(),
        1,
        "one POST: no retry, and the next recipient is not reached"
    );
}

#[tokio::test]
async fn a_timeout_after_sending_is_not_retried() {
    let (fake, base) = start(Mode::Slow).await;
    let c = twilio(&base).with_post_limits(Limits {
        connect_timeout: Duration::from_millis(200),
        total_timeout: Duration::from_millis(300),
        max_response_bytes: 64 * 1024,
    });
    let r = sms();
    let e = c.enable(&r, &Default::default()).await.unwrap_err();
    assert!(e.to_string().contains("outcome unknown"), "{e}");
    assert_eq!(fake.posts.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_sent_again_because_nothing_left() {
    // A port nobody listens on yet: the first attempt is refused before
    // any request is written, so sending again cannot duplicate it.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let l = tokio::net::TcpListener::bind(addr).await.unwrap();
        serve_on(l, Mode::Created).await
    });
    let c = twilio(&format!("http://{addr}"));
    let mut r = sms();
    r.recipients.truncate(1);
    c.enable(&r, &Default::default()).await.unwrap();
    let fake = late.await.unwrap();
    assert_eq!(fake.posts.lock().unwrap().len(), 1, "sent exactly once");
}

#[tokio::test]
async fn each_sms_carries_the_status_callback_when_configured() {
    let (fake, base) = start(Mode::Created).await;
    let r = sms();
    twilio(&base).enable(&r, &Default::default()).await.unwrap();
    twilio(&base)
        .with_status_callback(Some(CALLBACK.into()))
        .enable(&r, &Default::default())
        .await
        .unwrap();
    let posts = fake.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 4);
    let cb = |p: &Vec<(String, String)>| {
        p.iter()
            .find(|(k, _)| k == "StatusCallback")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(cb(&posts[0]), None, "no URL configured, none sent");
    assert_eq!(cb(&posts[2]).as_deref(), Some(CALLBACK));
    assert_eq!(cb(&posts[3]).as_deref(), Some(CALLBACK));
    // The fake's documented validation answers in Twilio's error shape.
    let mut bad = sms();
    bad.recipients = vec!["3001112233".into()];
    let e = twilio(&base)
        .enable(&bad, &Default::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("HTTP 400"), "{e}");
}

#[test]
fn the_signature_matches_twilios_documented_example() {
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(
        signature("12345", url, &params),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    let mut reordered = params.clone();
    reordered.reverse();
    assert!(webhook::signature_ok(
        "12345",
        url,
        &reordered,
        Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    ));
    assert!(!webhook::signature_ok(
        "other",
        url,
        &params,
        Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    ));
    assert!(!webhook::signature_ok("12345", url, &params, None));
}

fn form(params: &[(String, String)]) -> String {
    let mut url = reqwest::Url::parse("http://x.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(params.iter());
    url.query().unwrap_or_default().to_owned()
}

fn callback(sid: &str, status: &str, error: Option<&str>) -> Vec<(String, String)> {
    let mut p = vec![
        ("AccountSid".to_owned(), SID.to_owned()),
        ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ("From".to_owned(), "+15005550006".to_owned()),
        ("MessageSid".to_owned(), sid.to_owned()),
        ("MessageStatus".to_owned(), status.to_owned()),
        ("SmsSid".to_owned(), sid.to_owned()),
        ("SmsStatus".to_owned(), status.to_owned()),
        ("To".to_owned(), "+573001112233".to_owned()),
    ];
    if let Some(code) = error {
        p.push(("ErrorCode".to_owned(), code.to_owned()));
    }
    p
}

#[tokio::test]
async fn status_callbacks_are_verified_and_recorded_once_without_the_number() {
    for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
        .await
        .unwrap()
    {
        let tenant = TenantId::parse("sms").unwrap();
        let tokens = ConfiguredTokens {
            env: Some((SID.to_owned(), Secret::new(TOKEN))),
            store: AdsStore::new(t.db.clone()),
            crypto: None,
            tenant: tenant.clone(),
        };
        let app = webhook::router(
            t.db.clone(),
            tenant.clone(),
            CALLBACK.into(),
            Arc::new(tokens),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{}", l.local_addr().unwrap(), webhook::PATH);
        let server = tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let http = reqwest::Client::new();
        let post = async |params: &[(String, String)], sig: &str| {
            http.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-twilio-signature", sig)
                .body(form(params))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        let sid = format!("SM{:032x}", 7);
        let sent = callback(&sid, "sent", None);
        let failed = callback(&sid, "undelivered", Some("30003"));
        // Forged or signed with another token: 403 and nothing recorded.
        assert_eq!(post(&failed, "AAAA").await, 403);
        assert_eq!(
            post(&failed, &signature("other", CALLBACK, &failed)).await,
            403
        );
        let mut stranger = failed.clone();
        stranger[0].1 = "AC99999999999999999999999999999999".into();
        assert_eq!(
            post(&stranger, &signature(TOKEN, CALLBACK, &stranger)).await,
            403
        );
        // Signed over another URL (not the one Twilio was given): refused.
        assert_eq!(post(&failed, &signature(TOKEN, &url, &failed)).await, 403);
        assert!(
            webhook::statuses_of(&t.db, &tenant, &sid)
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(post(&sent, &signature(TOKEN, CALLBACK, &sent)).await, 200);
        for _ in 0..2 {
            assert_eq!(
                post(&failed, &signature(TOKEN, CALLBACK, &failed)).await,
                200
            );
        }
        let got = webhook::statuses_of(&t.db, &tenant, &sid).await.unwrap();
        let states: Vec<_> = got
            .iter()
            .map(|s| (s.status.as_str(), s.error_code.as_deref()))
            .collect();
        assert_eq!(
            states,
            [("sent", None), ("undelivered", Some("30003"))],
            "{}",
            t.label()
        );
        assert_eq!(got[1].to_last4.as_deref(), Some("2233"));
        // No column holds the full number.
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT account_sid, to_last4 FROM sms_statuses WHERE tenant_id = $1")
                .bind("sms")
                .fetch_all(t.db.pool())
                .await
                .unwrap();
        assert!(
            rows.iter()
                .all(|(_, to)| to.as_deref() != Some("+573001112233"))
        );
        server.abort();
        t.cleanup().await;
    }
}
