//! The LLM engine of `ask` against a local fake OpenAI-compatible server:
//! the request carries the QuerySpec function, the answer comes from the
//! model's arguments, repeated questions spend no tokens, and unusable
//! output falls back to the deterministic parser. An endpoint that fails
//! (5xx echoing the request, or refusing connections) costs the answer
//! nothing, and neither its address nor its key reaches the client or the
//! server's log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::process::Stdio;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use promptsales_tests::{Backend, Client, Era, command, stdio_client};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

#[derive(Clone, Default)]
struct Fake {
    calls: Arc<AtomicUsize>,
    bad_requests: Arc<AtomicUsize>,
}

async fn completions(
    State(f): State<Fake>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    f.calls.fetch_add(1, Ordering::SeqCst);
    let question = body["messages"][1]["content"].as_str().unwrap_or("");
    if body["model"] == "outage-model" {
        // A proxy's error page quoting the request, credentials included.
        let echo = format!(
            "upstream failed for http://{}/v1/chat/completions with {}",
            headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        );
        return (StatusCode::BAD_GATEWAY, echo).into_response();
    }
    let auth_ok =
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer test-key");
    let tool = &body["tools"][0]["function"];
    let schema_ok =
        tool["name"] == "query_metrics" && tool["parameters"]["properties"]["metrics"].is_object();
    if !(auth_ok && schema_ok) {
        f.bad_requests.fetch_add(1, Ordering::SeqCst);
    }
    let arguments = if question.contains("broken") {
        json!({"metrics": ["profit"]}).to_string()
    } else {
        json!({
            "metrics": ["leads"],
            "dimensions": ["channel"],
            "time_range": {"type": "relative", "period": "last_month"}
        })
        .to_string()
    };
    axum::Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "fake-model",
        "choices": [{
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "query_metrics", "arguments": arguments}
                }]
            }
        }],
        "usage": {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940}
    }))
    .into_response()
}

#[tokio::test]
async fn llm_engine_translates_caches_and_falls_back() {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut backend = Backend::sqlite();
    backend.vars.push((
        "PROMPTSALES_LLM_BASE_URL".into(),
        format!("http://127.0.0.1:{port}/v1"),
    ));
    backend
        .vars
        .push(("PROMPTSALES_LLM_API_KEY".into(), "test-key".into()));
    backend
        .vars
        .push(("PROMPTSALES_LLM_MODEL".into(), "fake-model".into()));
    let client = stdio_client("mcp-analytics", &backend, &[], Era::Initialize).await;
    let ask = |q: &str| {
        CallToolRequestParams::new("ask").with_arguments(
            json!({"question": q, "as_of": "2026-11-15"})
                .as_object()
                .unwrap()
                .clone(),
        )
    };

    let q = "cuéntame cuántos interesados nos llegaron por cada canal durante el mes pasado";
    let r = client.call_tool(ask(q)).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{r:?}");
    let v = r.structured_content.unwrap();
    assert_eq!(v["engine"], "llm");
    assert_eq!(v["language"], "es");
    assert_eq!(v["columns"], json!(["channel", "leads"]));
    assert_eq!(
        v["time_range"],
        json!({"from": "2026-10-01", "to": "2026-10-31"})
    );
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);

    // Same question, different spacing and case: no new tokens spent.
    let again = client
        .call_tool(ask(&format!("  {}  ", q.to_uppercase())))
        .await
        .unwrap();
    assert_eq!(again.structured_content.unwrap()["engine"], "llm");
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        1,
        "the translation was cached"
    );

    // Unusable model output: the deterministic parser answers, and says so.
    let r = client
        .call_tool(ask("broken: leads by channel last month"))
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{r:?}");
    let v = r.structured_content.unwrap();
    assert!(
        v["engine"].as_str().unwrap().starts_with("deterministic"),
        "{v}"
    );
    assert!(v["understood"].to_string().contains("LLM"), "{v}");
    assert_eq!(
        fake.bad_requests.load(Ordering::SeqCst),
        0,
        "auth header and function schema sent"
    );
    client.cancel().await.unwrap();
}

/// `mcp-analytics` over stdio with its log captured.
async fn with_log(backend: &Backend) -> (Client, tokio::task::JoinHandle<String>) {
    let (transport, stderr) = TokioChildProcess::builder(command("mcp-analytics", backend))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = stderr.unwrap();
    let log = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });
    (().serve(transport).await.unwrap(), log)
}

fn llm_backend(base_url: &str, key: &str, model: &str) -> Backend {
    let mut backend = Backend::sqlite();
    backend
        .vars
        .push(("PROMPTSALES_LLM_BASE_URL".into(), base_url.into()));
    backend
        .vars
        .push(("PROMPTSALES_LLM_API_KEY".into(), key.into()));
    backend
        .vars
        .push(("PROMPTSALES_LLM_MODEL".into(), model.into()));
    backend
}

#[tokio::test]
async fn a_failing_endpoint_leaks_neither_its_address_nor_its_key() {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The fake answers 502 to this model, quoting the request.
    for (base, key, model) in [
        (
            format!("http://127.0.0.1:{port}/v1"),
            "sk-outage-key-0123456789",
            "outage-model",
        ),
        (
            format!("http://127.0.0.1:{closed}/v1"),
            "sk-closed-key-0123456789",
            "fake-model",
        ),
    ] {
        let backend = llm_backend(&base, key, model);
        let (client, log) = with_log(&backend).await;
        let r = client
            .call_tool(
                CallToolRequestParams::new("ask").with_arguments(
                    json!({"question": "leads by channel last month", "as_of": "2026-11-15"})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
            )
            .await
            .unwrap();
        assert_ne!(r.is_error, Some(true), "{r:?}");
        let answer = serde_json::to_string(&r).unwrap();
        assert!(
            answer.contains("LLM engine was unreachable"),
            "the deterministic parser answered and says why: {answer}"
        );
        client.cancel().await.unwrap();
        let log = tokio::time::timeout(Duration::from_secs(15), log)
            .await
            .unwrap()
            .unwrap();
        assert!(log.contains("LLM request failed"), "{log}");
        for (what, text) in [("answer", &answer), ("log", &log)] {
            for secret in [key, "127.0.0.1:", base.as_str()] {
                assert!(!text.contains(secret), "{what} shows {secret}: {text}");
            }
        }
    }
    assert!(
        fake.calls.load(Ordering::SeqCst) >= 1,
        "the outage was called"
    );
}
