//! Observability from outside: `/metrics` of a real server after real calls
//! (counts by tool and outcome, latency, no tenant in any label), spans
//! exported to an OTLP/HTTP collector, and the orchestrator's trace carried
//! in `_meta.traceparent` into the server's JSON log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use promptsales_tests::{Backend, Era, HttpServer, bin_dir, command, tokens};
use rmcp::model::{CallToolRequestParams, RequestParamsMeta};
use serde_json::{Value, json};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN: &str = "00f067aa0ba902b7";

async fn scrape(base: &str) -> String {
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200, "/metrics needs no token");
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    r.text().await.unwrap()
}

/// The value of the sample `name{labels}` in an exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_calls_by_tool_and_outcome_and_name_no_tenant() {
    let backend = Backend::sqlite();
    let mut env = tokens::env();
    env.push(("PROMPTSALES_TENANT", "acme-tenant-7"));
    let server = HttpServer::start_env("mcp-analytics", &backend, &[], &env).await;
    let writer = tokens::mint(
        "ana@agency.example",
        "acme-tenant-7",
        &["analytics:read", "analytics:write"],
    );
    let reader = tokens::mint("bo@agency.example", "acme-tenant-7", &["analytics:read"]);
    for era in Era::ALL {
        let client = server.client_with_token(era, &writer).await;
        for tool in ["list_clients", "sync"] {
            let r = client
                .call_tool(CallToolRequestParams::new(tool))
                .await
                .unwrap();
            assert_ne!(r.is_error, Some(true), "{tool}: {r:?}");
        }
        // A dimension outside the vocabulary: a tool error.
        let r = client
            .call_tool(
                CallToolRequestParams::new("funnel").with_arguments(
                    json!({"dimensions": ["shoe_size"]})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
            )
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true));
        client.cancel().await.unwrap();
        // Without analytics:write: refused (by the HTTP gate for
        // 2026-07-28 requests, by the audited call otherwise).
        let client = server.client_with_token(era, &reader).await;
        let denied = client.call_tool(CallToolRequestParams::new("sync")).await;
        assert!(
            denied.is_err() || denied.as_ref().is_ok_and(|r| r.is_error == Some(true)),
            "{denied:?}"
        );
        // A name the server does not publish is counted under `unknown`.
        let _ = client
            .call_tool(CallToolRequestParams::new("no_such_tool_acme"))
            .await;
        client.cancel().await.unwrap();
    }
    let text = scrape(&server.base).await;
    let count = |tool: &str, outcome: &str| {
        sample(
            &text,
            &format!(
                "promptsales_tool_calls_total{{server=\"mcp-analytics\",tool=\"{tool}\",outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(count("list_clients", "ok"), Some(2.0), "{text}");
    assert_eq!(count("sync", "ok"), Some(2.0), "{text}");
    assert_eq!(count("funnel", "error"), Some(2.0), "{text}");
    assert_eq!(count("sync", "denied"), Some(2.0), "{text}");
    assert_eq!(count("unknown", "error"), Some(2.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "promptsales_tool_call_duration_seconds_count{server=\"mcp-analytics\",tool=\"list_clients\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "promptsales_http_requests_in_flight{server=\"mcp-analytics\"}"
        ),
        Some(0.0),
        "{text}"
    );
    let lag = sample(
        &text,
        "promptsales_sync_lag_seconds{server=\"mcp-analytics\"}",
    )
    .expect("lag after a sync");
    assert!((0.0..120.0).contains(&lag), "{lag}");
    assert!(
        text.contains(
            "promptsales_db_pool_connections{server=\"mcp-analytics\",context=\"analytics\"}"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "promptsales_cache_misses_total{server=\"mcp-analytics\",backend=\"memory\"}"
        ),
        "{text}"
    );
    for secret in ["acme", "ana@agency", "bo@agency", "no_such_tool"] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into /metrics:\n{text}"
        );
    }
    server.terminate().await;
}

/// What the fake collector received: content type and body of each POST.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

async fn collector() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((ct, body.to_vec()));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn message(line: &Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn spans_reach_an_otlp_collector_under_the_callers_trace() {
    let backend = Backend::sqlite();
    let (endpoint, got) = collector().await;
    let log = tempfile::NamedTempFile::new().unwrap();
    let server = HttpServer::start_logged(
        "mcp-analytics",
        &backend,
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("PROMPTSALES_LOG_FORMAT", "json"),
            ("PROMPTSALES_LOG", "info,promptsales_server=debug"),
        ],
        log.reopen().unwrap().into(),
    )
    .await;
    let client = server.client(Era::Initialize).await;
    let mut params = CallToolRequestParams::new("list_clients");
    params.set_traceparent(&format!("00-{TRACE_ID}-{PARENT_SPAN}-01"));
    let r = client.call_tool(params).await.unwrap();
    assert_ne!(r.is_error, Some(true));
    client.cancel().await.unwrap();
    let trace_bytes = hex::decode(TRACE_ID).unwrap();
    let parent_bytes = hex::decode(PARENT_SPAN).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = got.lock().unwrap().iter().any(|(ct, body)| {
            ct == "application/x-protobuf"
                && body.windows(16).any(|w| w == trace_bytes.as_slice())
                && body.windows(8).any(|w| w == parent_bytes.as_slice())
        });
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no OTLP protobuf export carrying trace {TRACE_ID} and parent {PARENT_SPAN}: {} requests",
            got.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.terminate().await;
    let stderr = std::fs::read_to_string(log.path()).unwrap();
    let line = json_lines(&stderr)
        .into_iter()
        .find(|l| message(l) == "tool call")
        .unwrap_or_else(|| panic!("no tool call line in:\n{stderr}"));
    assert_eq!(line["span"]["trace_id"], TRACE_ID, "{line}");
    assert_eq!(line["span"]["tool"], "list_clients", "{line}");
    let span_id = line["span"]["span_id"].as_str().unwrap_or_default();
    assert!(span_id.len() == 16 && span_id != PARENT_SPAN, "{line}");
}

#[tokio::test]
async fn the_orchestrators_trace_continues_in_the_servers_json_log() {
    let backend = Backend::sqlite();
    let out = command("promptsales", &backend)
        .arg("sync")
        .env("PROMPTSALES_ACTOR", "scheduler")
        .env("PROMPTSALES_SCOPES", "analytics:read,analytics:write")
        .env("PROMPTSALES_SERVERS_DIR", bin_dir())
        .env("PROMPTSALES_LOG_FORMAT", "json")
        .env("PROMPTSALES_LOG", "info,orchestrator=debug")
        .env("PROMPTSALES_SERVER_LOG", "info,promptsales_server=debug")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines = json_lines(&stderr);
    let sent = lines
        .iter()
        .find(|l| message(l) == "calling tool" && l["span"]["tool"] == json!("analytics.sync"))
        .unwrap_or_else(|| panic!("no client span in:\n{stderr}"));
    let trace_id = sent["span"]["trace_id"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32, "{sent}");
    let served = lines
        .iter()
        .find(|l| message(l) == "tool call" && l["span"]["tool"] == json!("sync"))
        .unwrap_or_else(|| panic!("no server line in:\n{stderr}"));
    assert_eq!(
        served["span"]["trace_id"].as_str(),
        Some(trace_id),
        "{served}"
    );
    assert_ne!(served["span"]["span_id"], sent["span"]["span_id"]);
    assert_eq!(served["fields"]["outcome"], "ok");
}
