//! The LLM engine of `ask` against a local fake OpenAI-compatible server:
//! the request carries the QuerySpec function, the answer comes from the
//! model's arguments, repeated questions spend no tokens, and unusable
//! output falls back to the deterministic parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use promptsales_tests::{Backend, Era, stdio_client};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Fake {
    calls: Arc<AtomicUsize>,
    bad_requests: Arc<AtomicUsize>,
}

async fn completions(
    State(f): State<Fake>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> axum::Json<Value> {
    f.calls.fetch_add(1, Ordering::SeqCst);
    let auth_ok =
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer test-key");
    let tool = &body["tools"][0]["function"];
    let schema_ok =
        tool["name"] == "query_metrics" && tool["parameters"]["properties"]["metrics"].is_object();
    if !(auth_ok && schema_ok) {
        f.bad_requests.fetch_add(1, Ordering::SeqCst);
    }
    let question = body["messages"][1]["content"].as_str().unwrap_or("");
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
