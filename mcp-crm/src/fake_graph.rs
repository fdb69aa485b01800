//! A stricter local fake of the WhatsApp Cloud API for tests: it accepts
//! only current Graph versions (an expired one answers Graph's documented
//! `#2635` error), requires the documented fields of text and template
//! messages, knows which templates are approved (132001 / 132000 errors
//! otherwise) and counts every request.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// Graph versions the fake serves: the current ones, not v21.0 or older.
pub const ALLOWED_VERSIONS: &[&str] = &["v22.0", "v23.0", "v24.0", "v25.0", "v26.0"];
/// The only token the fake accepts.
pub const TOKEN: &str = "tok";

/// What the fake saw: `(method, path, body)` per request.
pub type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

type Answer = (StatusCode, Json<Value>);

fn graph_error(status: StatusCode, code: i64, message: &str) -> Answer {
    (
        status,
        Json(json!({"error": {
            "message": message, "type": "OAuthException", "code": code,
            "fbtrace_id": "AbCdEf"
        }})),
    )
}

fn gate(version: &str, headers: &HeaderMap) -> Option<Answer> {
    if !ALLOWED_VERSIONS.contains(&version) {
        return Some(graph_error(
            StatusCode::BAD_REQUEST,
            2635,
            "(#2635) You are calling a deprecated version of the Graph API. Please update to the latest version.",
        ));
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {TOKEN}")) {
        return Some(graph_error(
            StatusCode::UNAUTHORIZED,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        ));
    }
    None
}

/// The approved templates: `(name, language, body)`.
const APPROVED: &[(&str, &str, &str)] = &[
    (
        "follow_up",
        "es",
        "Hola {{1}}, ¿seguimos con tu cotización?",
    ),
    ("welcome", "en_US", "Welcome to our store!"),
];

async fn send(
    State(seen): State<Seen>,
    Path((version, phone)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Answer {
    seen.lock().unwrap().push((
        "POST".into(),
        format!("{version}/{phone}/messages"),
        body.clone(),
    ));
    if let Some(refused) = gate(&version, &headers) {
        return refused;
    }
    let bad = |m: &str| graph_error(StatusCode::BAD_REQUEST, 100, m);
    if body["messaging_product"] != "whatsapp" {
        return bad("(#100) The parameter messaging_product is required.");
    }
    let Some(to) = body["to"]
        .as_str()
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
    else {
        return bad("(#100) Param to must be a phone number without + or spaces");
    };
    match body["type"].as_str() {
        Some("text") => {
            if body["text"]["body"].as_str().is_none_or(str::is_empty) {
                return bad("(#100) The parameter text['body'] is required.");
            }
        }
        Some("template") => {
            let t = &body["template"];
            let (Some(name), Some(lang)) = (t["name"].as_str(), t["language"]["code"].as_str())
            else {
                return bad(
                    "(#100) The parameters template['name'] and template['language']['code'] are required.",
                );
            };
            let Some((_, _, text)) = APPROVED.iter().find(|(n, l, _)| *n == name && *l == lang)
            else {
                return graph_error(
                    StatusCode::NOT_FOUND,
                    132001,
                    "(#132001) Template name does not exist in the translation",
                );
            };
            let expected = crate::templates::placeholders(text);
            let given = t["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["type"] == "body")
                .map(|c| c["parameters"].as_array().map_or(0, Vec::len))
                .sum::<usize>();
            if expected != given {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                );
            }
        }
        _ => return bad("(#100) Param type must be one of {text, template, …}"),
    }
    let n = seen.lock().unwrap().len();
    (
        StatusCode::OK,
        Json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.TEST{n}"), "message_status": "accepted"}]
        })),
    )
}

async fn list_templates(
    State(seen): State<Seen>,
    Path((version, waba)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    seen.lock().unwrap().push((
        "GET".into(),
        format!("{version}/{waba}/message_templates"),
        Value::Null,
    ));
    if let Some(refused) = gate(&version, &headers) {
        return refused;
    }
    let mut data: Vec<Value> = APPROVED
        .iter()
        .map(|(n, l, b)| {
            json!({"name": n, "language": l, "status": "APPROVED", "category": "MARKETING",
            "id": "1", "components": [{"type": "BODY", "text": b}]})
        })
        .collect();
    data.push(
        json!({"name": "not_yet", "language": "es", "status": "PENDING", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "x"}]}),
    );
    (
        StatusCode::OK,
        Json(json!({"data": data, "paging": {"cursors": {"before": "a", "after": "b"}}})),
    )
}

async fn number(
    State(seen): State<Seen>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    seen.lock()
        .unwrap()
        .push(("GET".into(), format!("{version}/{id}"), Value::Null));
    if let Some(refused) = gate(&version, &headers) {
        return refused;
    }
    (
        StatusCode::OK,
        Json(
            json!({"display_phone_number": "+57 300 000 0000", "verified_name": "Café", "id": id}),
        ),
    )
}

/// Starts the fake: its base URL and what it saw.
pub async fn start() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/{version}/{id}/messages", post(send))
        .route("/{version}/{id}/message_templates", get(list_templates))
        .route("/{version}/{id}", get(number))
        .with_state(seen.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}
