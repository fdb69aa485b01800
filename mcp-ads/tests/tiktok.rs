//! TikTok against a stricter local fake: each v1.3 object is checked for
//! the fields the reference requires (ad group placements, locations,
//! total budget with a start/end schedule, goal and billing valid for the
//! objective; ad identity, text, landing page and an uploaded media id),
//! answering HTTP 200 with TikTok's `code` (40002 for bad parameters).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mcp_ads::connectors::{Connector, ConnectorError, Connectors, Creative, PublishRequest};
use mcp_ads::domain::Objective;
use promptsales_shared::domain::{Channel, Country, Currency};
use serde_json::{Value, json};

type Seen = Arc<Mutex<Vec<(String, Value)>>>;

fn ok(data: Value) -> Value {
    json!({"code": 0, "message": "OK", "request_id": "r1", "data": data})
}

fn bad(msg: &str) -> Value {
    json!({"code": 40002, "message": msg, "request_id": "r1", "data": {}})
}

fn answer(path: &str, b: &Value) -> Value {
    let svc = path.trim_start_matches("/open_api/v1.3/");
    match svc {
        "advertiser/info/" => {
            ok(json!({"list": [{"name": "Andes", "currency": "COP", "status": "STATUS_ENABLE"}]}))
        }
        "file/video/ad/upload/"
            if b["upload_type"] == "UPLOAD_BY_URL" && b["video_url"].is_string() =>
        {
            ok(json!([{"video_id": "v-1"}]))
        }
        "campaign/create/"
            if b["operation_status"] == "DISABLE"
                && b["objective_type"].is_string()
                && b["advertiser_id"].is_string() =>
        {
            ok(json!({"campaign_id": "c-1"}))
        }
        "adgroup/create/" => {
            let goal_ok = matches!(
                (b["optimization_goal"].as_str(), b["billing_event"].as_str()),
                (Some("CLICK"), Some("CPC"))
                    | (Some("REACH"), Some("CPM"))
                    | (Some("CONVERT"), Some("OCPM"))
            );
            let ok_fields = goal_ok
                && b["campaign_id"] == "c-1"
                && b["placement_type"] == "PLACEMENT_TYPE_NORMAL"
                && b["placements"].as_array().is_some_and(|p| !p.is_empty())
                && b["location_ids"].as_array().is_some_and(|p| !p.is_empty())
                && b["budget_mode"] == "BUDGET_MODE_TOTAL"
                && b["budget"].is_f64()
                && b["schedule_type"] == "SCHEDULE_START_END"
                && b["schedule_start_time"]
                    .as_str()
                    .is_some_and(|t| t.len() == 19)
                && b["schedule_end_time"]
                    .as_str()
                    .is_some_and(|t| t.len() == 19)
                && b["bid_type"].is_string()
                && b["operation_status"] == "DISABLE";
            if ok_fields {
                ok(json!({"adgroup_id": "g-1"}))
            } else {
                bad("adgroup: required field missing or invalid")
            }
        }
        "ad/create/" => {
            let c = &b["creatives"][0];
            let f = c["identity_id"].is_string()
                && c["identity_type"].is_string()
                && c["ad_text"].is_string()
                && c["call_to_action"].is_string()
                && c["landing_page_url"].is_string()
                && c["video_id"] == "v-1"
                && b["adgroup_id"] == "g-1";
            if f {
                ok(json!({"ad_ids": ["a-1"]}))
            } else {
                bad("ad: required field missing")
            }
        }
        s if s.ends_with("status/update/") && b["operation_status"] == "ENABLE" => ok(json!({})),
        _ => bad("unknown call or missing fields"),
    }
}

async fn handle(State(seen): State<Seen>, uri: Uri, body: Bytes) -> Response {
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    seen.lock()
        .unwrap()
        .push((uri.path().to_owned(), b.clone()));
    axum::Json(answer(uri.path(), &b)).into_response()
}

async fn start() -> (Seen, String) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (seen, base)
}

fn tiktok(base: &str, identity: bool) -> Arc<dyn Connector> {
    let mut m: HashMap<&str, &str> = HashMap::from([
        ("PROMPTSALES_TIKTOK_ACCESS_TOKEN", "tt-token"),
        ("PROMPTSALES_TIKTOK_ADVERTISER_ID", "700"),
        ("PROMPTSALES_TIKTOK_BASE_URL", base),
    ]);
    if identity {
        m.insert("PROMPTSALES_TIKTOK_IDENTITY_ID", "id-9");
        m.insert("PROMPTSALES_TIKTOK_IDENTITY_TYPE", "CUSTOMIZED_USER");
    }
    Connectors::from_lookup(&|k| m.get(k).map(|v| (*v).to_owned())).for_channel(Channel::Tiktok)
}

fn req() -> PublishRequest {
    PublishRequest {
        campaign_id: "cmp_1".into(),
        name: "Moda".into(),
        objective: Objective::Traffic,
        channel: Channel::Tiktok,
        countries: vec![Country::parse("CO").unwrap()],
        currency: Currency::parse("COP").unwrap(),
        budget_cents: 300_000_000,
        daily_budget_cents: 10_000_000,
        start: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
        end: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
        subject: None,
        message: None,
        recipients: vec![],
        landing_url: Some("https://moda.example/rebajas".into()),
        creative: Some(Creative {
            body: "Rebajas de diciembre".into(),
            media_url: Some("https://moda.example/clip.mp4".into()),
            ..Creative::default()
        }),
    }
}

#[tokio::test]
async fn a_launch_creates_campaign_ad_group_and_ad_then_enables_them() {
    let (seen, base) = start().await;
    let c = tiktok(&base, true);
    let r = req();
    let ids = c.publish_paused(&r).await.unwrap();
    c.enable(&r, &ids).await.unwrap();
    assert_eq!(
        (
            ids["campaign"].as_str(),
            ids["adgroup"].as_str(),
            ids["ad"].as_str()
        ),
        ("c-1", "g-1", "a-1")
    );
    let s = seen.lock().unwrap().clone();
    let g = &s[3].1;
    // 3,000,000.00 COP for the flight, in major units; Colombia's GeoNames id.
    assert_eq!(g["budget"], 3_000_000.0);
    assert_eq!(g["location_ids"], json!(["3686110"]));
    assert_eq!(g["schedule_start_time"], "2026-12-10 00:00:00");
    assert_eq!(s.len(), 8, "info, upload, 3 creates, 3 status updates");
}

#[tokio::test]
async fn a_currency_mismatch_and_missing_parts_are_refused_before_any_object() {
    let (seen, base) = start().await;
    let mut r = req();
    r.currency = Currency::parse("USD").unwrap();
    let e = tiktok(&base, true).publish_paused(&r).await.unwrap_err();
    assert!(
        e.to_string().contains("COP") && e.to_string().contains("USD"),
        "{e}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    let c = tiktok(&base, false);
    let mut r = req();
    r.landing_url = None;
    if let Some(cr) = r.creative.as_mut() {
        cr.media_url = None;
    }
    let said = c.missing(&r).join(" | ");
    for want in ["video or image", "identity", "landing URL"] {
        assert!(said.contains(want), "{want}: {said}");
    }
    r.creative = None;
    assert!(c.missing(&r).iter().any(|m| m.contains("approved ad copy")));
    let e = c.publish_paused(&r).await.unwrap_err();
    assert!(matches!(e, ConnectorError::Missing { .. }), "{e:?}");
    assert_eq!(seen.lock().unwrap().len(), 1, "nothing more was sent");
}
