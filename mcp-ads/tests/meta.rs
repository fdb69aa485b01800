//! The Meta connector against a local Graph API fake that enforces what
//! Meta documents: an allow-list of versions (others answer #2635 like an
//! expired version), the bearer token, the fields each object requires per
//! objective (code 100 with `error_user_msg` when one is missing), budgets
//! in whole units of the account currency's offset, and throttling with
//! the usage headers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mcp_ads::connectors::{
    Connector, ConnectorError, Connectors, Creative, ExternalIds, Http, Limits, META_API_VERSION,
    Meta, MetaConfig, MetricsTarget, PublishRequest, RetryPolicy, Secret,
};
use mcp_ads::domain::Objective;
use promptsales_shared::domain::{Channel, Country, Currency};
use serde_json::{Value, json};

/// Versions the fake serves; anything else is expired.
const SERVED: &[&str] = &["v25.0", "v26.0"];
const TOKEN: &str = "EAAB-meta-token";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    form: HashMap<String, String>,
}

/// A throttled answer: code, usage headers.
type Throttle = (i64, Vec<(&'static str, String)>);

#[derive(Clone, Default)]
struct Graph {
    seen: Arc<Mutex<Vec<Seen>>>,
    currency: Arc<Mutex<String>>,
    /// Campaign id → objective; ad set id → (campaign id, platforms).
    campaigns: Arc<Mutex<HashMap<String, String>>>,
    adsets: Arc<Mutex<HashMap<String, (String, Value)>>>,
    creatives: Arc<Mutex<HashMap<String, Value>>>,
    next: Arc<Mutex<u64>>,
    throttles: Arc<Mutex<Vec<Throttle>>>,
    insights: Arc<Mutex<Value>>,
}

fn offset(currency: &str) -> u64 {
    // Meta's currencies page: these count in whole units.
    if [
        "CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND",
    ]
    .contains(&currency)
    {
        1
    } else {
        100
    }
}

fn graph_error(status: u16, code: i64, message: &str, user_msg: Option<&str>) -> Response {
    let mut e = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AxYz123"});
    if let Some(u) = user_msg {
        e["error_user_title"] = json!("Invalid parameter");
        e["error_user_msg"] = json!(u);
        e["error_subcode"] = json!(1_487_390);
    }
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": e })),
    )
        .into_response()
}

/// A request Meta refuses as an invalid parameter (code 100), saying why.
struct Refused(String);

fn invalid(user_msg: &str) -> Refused {
    Refused(user_msg.to_owned())
}

fn form_of(body: &[u8]) -> HashMap<String, String> {
    url_decode_pairs(&String::from_utf8_lossy(body))
}

fn url_decode_pairs(s: &str) -> HashMap<String, String> {
    let dec = |x: &str| {
        let b = x.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&x[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    };
    s.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (dec(k), dec(v)))
        .collect()
}

fn goals(objective: &str) -> &'static [&'static str] {
    match objective {
        "OUTCOME_AWARENESS" => &["REACH", "IMPRESSIONS", "AD_RECALL_LIFT", "THRUPLAY"],
        "OUTCOME_TRAFFIC" => &["LINK_CLICKS", "LANDING_PAGE_VIEWS", "REACH", "IMPRESSIONS"],
        "OUTCOME_LEADS" => &["LEAD_GENERATION", "QUALITY_LEAD", "OFFSITE_CONVERSIONS"],
        "OUTCOME_SALES" => &["OFFSITE_CONVERSIONS", "VALUE", "LINK_CLICKS"],
        _ => &[],
    }
}

impl Graph {
    fn id(&self) -> String {
        let mut n = self.next.lock().unwrap();
        *n += 1;
        format!("{}", 120_000 + *n)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn posts(&self, suffix: &str) -> Vec<HashMap<String, String>> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == "POST" && s.path.ends_with(suffix))
            .map(|s| s.form)
            .collect()
    }

    fn campaign(&self, f: &HashMap<String, String>) -> Result<Value, Refused> {
        for k in ["name", "objective", "status", "special_ad_categories"] {
            if !f.contains_key(k) {
                return Err(invalid(&format!("The parameter {k} is required")));
            }
        }
        if goals(&f["objective"]).is_empty() {
            return Err(invalid("Objective is invalid; use an OUTCOME_ objective"));
        }
        let campaign_budget = f.contains_key("daily_budget") || f.contains_key("lifetime_budget");
        if !campaign_budget && !f.contains_key("is_adset_budget_sharing_enabled") {
            return Err(invalid(
                "Must specify True or False in is_adset_budget_sharing_enabled field if you are not using campaign budget",
            ));
        }
        let id = self.id();
        self.campaigns
            .lock()
            .unwrap()
            .insert(id.clone(), f["objective"].clone());
        Ok(json!({ "id": id }))
    }

    fn adset(&self, f: &HashMap<String, String>) -> Result<Value, Refused> {
        for k in [
            "name",
            "campaign_id",
            "billing_event",
            "optimization_goal",
            "targeting",
            "status",
            "start_time",
        ] {
            if !f.contains_key(k) {
                return Err(invalid(&format!("The parameter {k} is required")));
            }
        }
        let objective = self
            .campaigns
            .lock()
            .unwrap()
            .get(&f["campaign_id"])
            .cloned()
            .ok_or_else(|| invalid("campaign_id does not exist"))?;
        if !goals(&objective).contains(&f["optimization_goal"].as_str()) {
            return Err(invalid(&format!(
                "optimization_goal {} is not valid for objective {objective}",
                f["optimization_goal"]
            )));
        }
        let budget = f
            .get("daily_budget")
            .or_else(|| f.get("lifetime_budget"))
            .ok_or_else(|| invalid("An ad set needs a daily_budget or lifetime_budget"))?;
        // Budgets are integers in the currency's minimum unit (offset).
        let currency = self.currency.lock().unwrap().clone();
        let units: u64 = budget.parse().map_err(|_| {
            invalid(&format!(
                "Budget {budget} is not a whole number of {currency}'s units (offset {})",
                offset(&currency)
            ))
        })?;
        if units < offset(&currency) {
            return Err(invalid("The budget is below the minimum"));
        }
        let targeting: Value = serde_json::from_str(&f["targeting"])
            .map_err(|_| invalid("targeting is not valid JSON"))?;
        if targeting
            .pointer("/geo_locations/countries")
            .and_then(Value::as_array)
            .is_none_or(|c| c.is_empty())
        {
            return Err(invalid("targeting needs geo_locations"));
        }
        let promoted: Value = f
            .get("promoted_object")
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Null);
        match objective.as_str() {
            "OUTCOME_LEADS" if promoted.get("page_id").is_none() => {
                return Err(invalid(
                    "promoted_object with page_id is required for leads",
                ));
            }
            "OUTCOME_SALES"
                if promoted.get("pixel_id").is_none()
                    || promoted.get("custom_event_type").is_none() =>
            {
                return Err(invalid(
                    "promoted_object with pixel_id and custom_event_type is required for sales",
                ));
            }
            _ => {}
        }
        let id = self.id();
        self.adsets.lock().unwrap().insert(
            id.clone(),
            (
                f["campaign_id"].clone(),
                targeting["publisher_platforms"].clone(),
            ),
        );
        Ok(json!({ "id": id }))
    }

    fn creative(&self, f: &HashMap<String, String>) -> Result<Value, Refused> {
        let spec: Value = f
            .get("object_story_spec")
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| invalid("object_story_spec is required"))?;
        if spec.get("page_id").and_then(Value::as_str).is_none() {
            return Err(invalid("object_story_spec needs page_id"));
        }
        let link = spec.get("link_data").cloned().unwrap_or(Value::Null);
        for k in ["link", "message"] {
            if link.get(k).and_then(Value::as_str).is_none() {
                return Err(invalid(&format!("link_data needs {k}")));
            }
        }
        let id = self.id();
        self.creatives.lock().unwrap().insert(id.clone(), spec);
        Ok(json!({ "id": id }))
    }

    fn ad(&self, f: &HashMap<String, String>) -> Result<Value, Refused> {
        for k in ["name", "adset_id", "creative", "status"] {
            if !f.contains_key(k) {
                return Err(invalid(&format!("The parameter {k} is required")));
            }
        }
        let (campaign, platforms) = self
            .adsets
            .lock()
            .unwrap()
            .get(&f["adset_id"])
            .cloned()
            .ok_or_else(|| invalid("adset_id does not exist"))?;
        let creative_id = serde_json::from_str::<Value>(&f["creative"])
            .ok()
            .and_then(|c| c["creative_id"].as_str().map(str::to_owned))
            .ok_or_else(|| invalid("creative must name a creative_id"))?;
        let spec = self
            .creatives
            .lock()
            .unwrap()
            .get(&creative_id)
            .cloned()
            .ok_or_else(|| invalid("creative_id does not exist"))?;
        let objective = self.campaigns.lock().unwrap()[&campaign].clone();
        if objective == "OUTCOME_LEADS"
            && spec
                .pointer("/link_data/call_to_action/value/lead_gen_form_id")
                .is_none()
        {
            return Err(invalid(
                "Lead ads need a lead_gen_form_id in the call to action",
            ));
        }
        if platforms
            .as_array()
            .is_some_and(|p| p.contains(&json!("instagram")))
        {
            if spec.get("instagram_user_id").is_none() {
                return Err(invalid("Instagram placements need an instagram_user_id"));
            }
            if spec.pointer("/link_data/picture").is_none()
                && spec.pointer("/link_data/image_hash").is_none()
            {
                return Err(invalid("Instagram ads need an image"));
            }
        }
        Ok(json!({ "id": self.id() }))
    }
}

async fn handle(
    State(g): State<Graph>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let form = form_of(&body);
    g.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        form: form.clone(),
    });
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let version = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    if !SERVED.contains(&version) {
        return graph_error(
            400,
            2635,
            &format!(
                "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: {}.",
                SERVED[0]
            ),
            None,
        );
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}")
        || form.contains_key("access_token")
        || uri.query().unwrap_or("").contains("access_token")
    {
        return graph_error(400, 190, "Invalid OAuth access token.", None);
    }
    if let Some((code, hdrs)) = {
        let mut t = g.throttles.lock().unwrap();
        (!t.is_empty()).then(|| t.remove(0))
    } {
        let mut r = graph_error(400, code, "There have been too many calls", None);
        for (k, v) in hdrs {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        return r;
    }
    let answer = match (method.as_str(), rest) {
        ("GET", "act_123") => Ok(json!({
            "id": "act_123",
            "currency": g.currency.lock().unwrap().clone(),
            "account_status": 1
        })),
        ("POST", "act_123/campaigns") => g.campaign(&form),
        ("POST", "act_123/adsets") => g.adset(&form),
        ("POST", "act_123/adcreatives") => g.creative(&form),
        ("POST", "act_123/ads") => g.ad(&form),
        ("GET", r) if r.ends_with("/insights") => Ok(g.insights.lock().unwrap().clone()),
        ("POST", _) if !rest.contains('/') => match form.get("status").map(String::as_str) {
            Some("ACTIVE" | "PAUSED") => Ok(json!({"success": true})),
            _ => match form.get("daily_budget").map(|b| b.parse::<u64>()) {
                Some(Ok(_)) => Ok(json!({"success": true})),
                Some(Err(_)) => Err(invalid("Budget is not a whole number of units")),
                None => Err(invalid("Nothing to update")),
            },
        },
        _ => Err(invalid("Unsupported request")),
    };
    match answer {
        Ok(v) => axum::Json(v).into_response(),
        Err(Refused(why)) => graph_error(400, 100, "Invalid parameter", Some(&why)),
    }
}

async fn graph(currency: &str) -> (Graph, String) {
    let g = Graph::default();
    *g.currency.lock().unwrap() = currency.to_owned();
    let app = axum::Router::new().fallback(handle).with_state(g.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (g, base)
}

/// An ad set POST sent by hand, to see what the fake refuses.
async fn raw_adset(base: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let enc = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    reqwest::Client::new()
        .post(format!("{base}/v25.0/act_123/adsets"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn http(max_wait: Duration) -> Http {
    Http::new(
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: max_wait,
        },
        Limits::default(),
    )
}

fn config(base: &str) -> MetaConfig {
    MetaConfig {
        base_url: base.to_owned(),
        api_version: META_API_VERSION.to_owned(),
        access_token: Secret::new(TOKEN),
        ad_account_id: "123".into(),
        page_id: Some("page9".into()),
        instagram_user_id: Some("ig7".into()),
        pixel_id: Some("px3".into()),
        lead_form_id: Some("form5".into()),
    }
}

fn meta(cfg: MetaConfig) -> Meta {
    Meta::new(cfg, http(Duration::from_secs(3)))
}

fn req(channel: Channel, objective: Objective, currency: &str, daily_cents: i64) -> PublishRequest {
    PublishRequest {
        campaign_id: "cmp_1".into(),
        name: "Spring".into(),
        objective,
        channel,
        countries: vec![Country::parse("CO").unwrap()],
        currency: Currency::parse(currency).unwrap(),
        budget_cents: daily_cents * 30,
        daily_budget_cents: daily_cents,
        start: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2027, 3, 30).unwrap(),
        subject: None,
        message: None,
        recipients: Vec::new(),
        landing_url: Some("https://andes.example/mba".into()),
        creative: Some(Creative {
            asset_id: "ast_001".into(),
            version: 2,
            headlines: vec!["MBA Andes".into()],
            descriptions: vec!["Clases en Bogotá".into()],
            body: "Tu MBA en Los Andes, a tu ritmo.".into(),
            media_url: Some("https://andes.example/mba.jpg".into()),
            keywords: Vec::new(),
        }),
    }
}

#[tokio::test]
async fn a_cop_leads_campaign_reaches_meta_in_whole_pesos_paused_then_active() {
    let (g, base) = graph("COP").await;
    let c = meta(config(&base));
    // 3,000,000.00 COP a day, stored in hundredths.
    let r = req(Channel::Meta, Objective::Leads, "COP", 300_000_000);
    assert!(c.missing(&r).is_empty(), "{:?}", c.missing(&r));
    let ids = c.publish_paused(&r).await.unwrap();
    assert_eq!(
        ids.keys().map(String::as_str).collect::<Vec<_>>(),
        ["ad", "adset", "campaign", "creative"]
    );
    let adset = &g.posts("/adsets")[0];
    assert_eq!(adset["daily_budget"], "3000000");
    assert_eq!(adset["optimization_goal"], "LEAD_GENERATION");
    assert_eq!(adset["status"], "PAUSED");
    let promoted: Value = serde_json::from_str(&adset["promoted_object"]).unwrap();
    assert_eq!(promoted, json!({"page_id": "page9"}));
    let campaign = &g.posts("/campaigns")[0];
    assert_eq!(
        (
            campaign["objective"].as_str(),
            campaign["status"].as_str(),
            campaign["is_adset_budget_sharing_enabled"].as_str()
        ),
        ("OUTCOME_LEADS", "PAUSED", "false")
    );
    let story: Value =
        serde_json::from_str(&g.posts("/adcreatives")[0]["object_story_spec"]).unwrap();
    assert_eq!(story["page_id"], "page9");
    assert_eq!(
        story["link_data"]["call_to_action"]["value"]["lead_gen_form_id"],
        "form5"
    );
    assert_eq!(
        story["link_data"]["message"],
        "Tu MBA en Los Andes, a tu ritmo."
    );
    assert_eq!(story["link_data"]["name"], "MBA Andes");
    assert_eq!(story["link_data"]["description"], "Clases en Bogotá");
    assert!(story.get("instagram_user_id").is_none());
    assert_eq!(g.posts("/ads")[0]["status"], "PAUSED");
    // Nothing is active until enable, which sets ad, ad set, campaign.
    assert!(
        g.seen()
            .iter()
            .all(|s| s.form.get("status").is_none_or(|v| v == "PAUSED"))
    );
    c.enable(&r, &ids).await.unwrap();
    let active: Vec<String> = g
        .seen()
        .iter()
        .filter(|s| s.form.get("status").is_some_and(|v| v == "ACTIVE"))
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(
        active,
        [
            format!("/v25.0/{}", ids["ad"]),
            format!("/v25.0/{}", ids["adset"]),
            format!("/v25.0/{}", ids["campaign"])
        ]
    );
    // A budget change goes out in pesos too.
    c.set_budget(&ids, 0, 150_000_000).await.unwrap();
    let last = g.seen().pop().unwrap();
    assert_eq!(last.form["daily_budget"], "1500000");
}

#[tokio::test]
async fn the_fake_refuses_a_budget_that_is_not_whole_units() {
    let (g, base) = graph("COP").await;
    let c = meta(config(&base));
    let r = req(Channel::Meta, Objective::Traffic, "COP", 300_000_000);
    let ids = c.publish_paused(&r).await.unwrap();
    let refused = raw_adset(
        &base,
        &[
            ("name", "x"),
            ("campaign_id", ids["campaign"].as_str()),
            ("daily_budget", "3000000.50"),
            ("billing_event", "IMPRESSIONS"),
            ("optimization_goal", "LINK_CLICKS"),
            ("targeting", r#"{"geo_locations":{"countries":["CO"]}}"#),
            ("start_time", "2027-03-01T00:00:00+0000"),
            ("status", "PAUSED"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 400);
    let body: Value = serde_json::from_str(&refused.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 100);
    assert!(
        body["error"]["error_user_msg"]
            .as_str()
            .unwrap()
            .contains("whole number"),
        "{body}"
    );
    let _ = g;
}

#[tokio::test]
async fn an_account_in_another_currency_is_refused_before_anything_is_created() {
    let (g, base) = graph("USD").await;
    let c = meta(config(&base));
    let r = req(Channel::Meta, Objective::Leads, "COP", 300_000_000);
    let e = c.publish_paused(&r).await.unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("USD") && shown.contains("COP"), "{shown}");
    assert!(!e.retryable());
    assert_eq!(g.seen().len(), 1, "only the account was read");
    assert_eq!(g.seen()[0].method, "GET");
    // The same check is what a launch runs for every channel first.
    assert!(c.preflight(&r).await.is_err());
}

#[tokio::test]
async fn an_expired_version_is_refused_at_configuration_and_by_the_fake() {
    let (g, base) = graph("USD").await;
    // The old default.
    let env = |k: &str| match k {
        "PROMPTSALES_META_ACCESS_TOKEN" => Some(TOKEN.to_owned()),
        "PROMPTSALES_META_AD_ACCOUNT_ID" => Some("123".to_owned()),
        "PROMPTSALES_META_API_VERSION" => Some("v21.0".to_owned()),
        "PROMPTSALES_META_BASE_URL" => Some(base.clone()),
        _ => None,
    };
    let refused = MetaConfig::from_lookup(&env).unwrap_err();
    assert!(
        refused
            .iter()
            .any(|m| m.contains("v21.0") && m.contains("expired") && m.contains("v25.0")),
        "{refused:?}"
    );
    // With credentials, the channel fails saying why (never the sandbox).
    let all = Connectors::from_lookup(&env);
    let status = all.status().iter().find(|s| s.platform == "meta").unwrap();
    assert!(
        status.missing.iter().any(|m| m.contains("expired")),
        "{status:?}"
    );
    let c = all.for_channel(Channel::Meta);
    assert!(!c.sandbox());
    let r = req(Channel::Meta, Objective::Traffic, "USD", 10_000);
    let e = c.publish_paused(&r).await.unwrap_err().to_string();
    assert!(e.contains("expired") && e.contains("v25.0"), "{e}");
    assert!(g.seen().is_empty());

    // Forced past the configuration, Meta answers #2635 and nothing is created.
    let mut old = config(&base);
    old.api_version = "v21.0".into();
    let e = meta(old).publish_paused(&r).await.unwrap_err();
    assert!(
        matches!(e, ConnectorError::Http { status: 400, .. }) && !e.retryable(),
        "{e:?}"
    );
    assert!(e.to_string().contains("deprecated version"), "{e}");
    assert_eq!(g.seen().len(), 1);

    // The default is served.
    meta(config(&base)).publish_paused(&r).await.unwrap();
}

#[tokio::test]
async fn a_launch_lacking_what_meta_needs_says_so_before_any_call() {
    let (g, base) = graph("USD").await;
    let mut cfg = config(&base);
    cfg.page_id = None;
    cfg.lead_form_id = None;
    let c = meta(cfg);
    let leads = req(Channel::Meta, Objective::Leads, "USD", 10_000);
    let m = c.missing(&leads).join(" | ");
    assert!(
        m.contains("Facebook Page") && m.contains("lead form"),
        "{m}"
    );
    let e = c.publish_paused(&leads).await.unwrap_err();
    assert!(matches!(e, ConnectorError::Missing { .. }), "{e:?}");

    let mut cfg = config(&base);
    cfg.pixel_id = None;
    cfg.instagram_user_id = None;
    let c = meta(cfg);
    let sales = req(Channel::Meta, Objective::Sales, "USD", 10_000);
    assert!(c.missing(&sales).join(" ").contains("pixel"));
    let mut insta = req(Channel::Instagram, Objective::Traffic, "USD", 10_000);
    insta.creative.as_mut().unwrap().media_url = None;
    let m = c.missing(&insta).join(" | ");
    assert!(
        m.contains("Instagram account") && m.contains("image"),
        "{m}"
    );
    let mut no_link = req(Channel::Meta, Objective::Traffic, "USD", 10_000);
    no_link.landing_url = None;
    assert!(c.missing(&no_link).join(" ").contains("landing URL"));
    let mut waived = req(Channel::Meta, Objective::Traffic, "USD", 10_000);
    waived.creative = None;
    assert!(c.missing(&waived).join(" ").contains("approved creative"));
    assert!(g.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn each_objective_builds_what_the_fake_requires() {
    let (g, base) = graph("USD").await;
    let c = meta(config(&base));
    let mut made = Vec::new();
    for (channel, objective) in [
        (Channel::Meta, Objective::Awareness),
        (Channel::Meta, Objective::Traffic),
        (Channel::Meta, Objective::Sales),
        (Channel::Instagram, Objective::Leads),
    ] {
        let r = req(channel, objective, "USD", 10_000);
        let ids = c.publish_paused(&r).await.unwrap_or_else(|e| {
            panic!("{channel} {objective:?}: {e}");
        });
        assert!(ids.contains_key("ad"));
        made.push(ids);
    }
    let adsets = g.posts("/adsets");
    let goals: Vec<&str> = adsets
        .iter()
        .map(|a| a["optimization_goal"].as_str())
        .collect();
    assert_eq!(
        goals,
        [
            "REACH",
            "LINK_CLICKS",
            "OFFSITE_CONVERSIONS",
            "LEAD_GENERATION"
        ]
    );
    let sales: Value = serde_json::from_str(&adsets[2]["promoted_object"]).unwrap();
    assert_eq!(
        sales,
        json!({"pixel_id": "px3", "custom_event_type": "PURCHASE"})
    );
    assert_eq!(adsets[2]["daily_budget"], "10000", "USD in cents");
    let targeting: Value = serde_json::from_str(&adsets[3]["targeting"]).unwrap();
    assert_eq!(targeting["publisher_platforms"], json!(["instagram"]));
    let story: Value =
        serde_json::from_str(&g.posts("/adcreatives")[3]["object_story_spec"]).unwrap();
    assert_eq!(story["instagram_user_id"], "ig7");
    assert_eq!(
        story["link_data"]["picture"],
        "https://andes.example/mba.jpg"
    );

    // The fake's documented refusal: a sales ad set without its pixel.
    let refused = raw_adset(
        &base,
        &[
            ("name", "x"),
            ("campaign_id", made[2]["campaign"].as_str()),
            ("daily_budget", "10000"),
            ("billing_event", "IMPRESSIONS"),
            ("optimization_goal", "OFFSITE_CONVERSIONS"),
            ("targeting", r#"{"geo_locations":{"countries":["CO"]}}"#),
            ("start_time", "2027-03-01T00:00:00+0000"),
            ("status", "PAUSED"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 400);
    let body: Value = serde_json::from_str(&refused.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 100);
    assert!(
        body["error"]["error_user_msg"]
            .as_str()
            .unwrap()
            .contains("pixel_id"),
        "{body}"
    );
}

#[tokio::test]
async fn insights_count_each_conversion_once() {
    let (g, base) = graph("COP").await;
    *g.insights.lock().unwrap() = json!({"data": [
        {"date_start": "2027-03-02", "country": "CO", "impressions": "1200", "reach": "900",
         "clicks": "31", "spend": "45000.50",
         "actions": [
            {"action_type": "lead", "value": "4"},
            {"action_type": "offsite_conversion.fb_pixel_lead", "value": "4"},
            {"action_type": "omni_purchase", "value": "1"},
            {"action_type": "purchase", "value": "1"},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "1"},
            {"action_type": "link_click", "value": "31"}],
         "action_values": [
            {"action_type": "omni_purchase", "value": "120000"},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "120000"}]}
    ], "paging": {}});
    let c = meta(config(&base));
    let target = MetricsTarget {
        campaign_id: "cmp_1".into(),
        channel: Channel::Meta,
        ids: ExternalIds::from([("campaign".to_owned(), "120001".to_owned())]),
        countries: vec![Country::parse("CO").unwrap()],
        currency: Currency::parse("COP").unwrap(),
        daily_budget_cents: 300_000_000,
        launched_on: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2027, 3, 30).unwrap(),
    };
    let day = NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
    let rows = c.fetch_daily(&target, day, day).await.unwrap();
    assert_eq!(rows.len(), 1);
    // 4 leads and 1 purchase, not 8 and 3.
    assert_eq!(rows[0].conversions, 5);
    assert_eq!(rows[0].value_cents, 12_000_000);
    // Spend is a decimal in major units whatever the offset.
    assert_eq!(rows[0].spend_cents, 4_500_050);
}

#[tokio::test]
async fn throttling_waits_the_time_meta_gives_within_the_cap_else_says_when() {
    let (g, base) = graph("USD").await;
    g.throttles.lock().unwrap().push((
        80_004,
        vec![(
            "x-ad-account-usage",
            r#"{"acc_id_util_pct":100,"reset_time_duration":1}"#.to_owned(),
        )],
    ));
    let c = meta(config(&base));
    let r = req(Channel::Meta, Objective::Traffic, "USD", 10_000);
    let t = Instant::now();
    c.publish_paused(&r).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );

    let (g, base) = graph("USD").await;
    g.throttles.lock().unwrap().push((
        17,
        vec![(
            "x-business-use-case-usage",
            r#"{"123":[{"type":"ads_management","call_count":100,"total_cputime":30,"total_time":40,"estimated_time_to_regain_access":5}]}"#
                .to_owned(),
        )],
    ));
    // A cap of 2 s: five minutes is beyond it.
    let c = Meta::new(config(&base), http(Duration::from_secs(2)));
    let t = Instant::now();
    let e = c.publish_paused(&r).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(matches!(e, ConnectorError::RateLimited { .. }), "{e:?}");
    assert!(
        e.to_string().contains("access returns in about 5 min"),
        "{e}"
    );
    assert_eq!(g.seen().len(), 1, "no retry beyond the cap");
    assert!(!e.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_refused_token_is_unauthorized_whatever_the_status() {
    let (g, base) = graph("USD").await;
    let mut cfg = config(&base);
    cfg.access_token = Secret::new("EAAB-expired-token");
    let e = meta(cfg)
        .publish_paused(&req(Channel::Meta, Objective::Traffic, "USD", 10_000))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ConnectorError::Unauthorized { status: 400, .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains("EAAB-expired-token"));
    assert_eq!(g.seen().len(), 1);
}
