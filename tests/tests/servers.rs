//! Every server binary, driven by a real rmcp client: over stdio and
//! streamable HTTP, in both protocol eras, on SQLite and on PostgreSQL +
//! Redis; what clients see is snapshot-tested.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use promptsales_tests::{Backend, Client, Era, HttpServer, SERVERS, command, stdio_client};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

/// A read-only tool of each server that answers on an empty database.
fn probe(server: &str) -> (&'static str, Value) {
    match server {
        "mcp-ads" => ("list_campaigns", json!({ "limit": 5 })),
        "mcp-crm" => ("search_leads", json!({ "limit": 5 })),
        "mcp-content" => ("list_assets", json!({ "limit": 5 })),
        "mcp-analytics" => ("list_clients", json!({})),
        "promptsales" => ("list_runs", json!({})),
        other => panic!("unknown server {other}"),
    }
}

/// What a client sees of a server: tools, resources and prompts.
async fn surface(client: &Client) -> Value {
    let info = client.peer_info();
    let caps = info.as_ref().map(|i| i.capabilities.clone());
    let mut tools = client.list_all_tools().await.unwrap();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    let resources = match caps.as_ref().and_then(|c| c.resources.as_ref()) {
        Some(_) => json!(client.list_all_resources().await.unwrap()),
        None => Value::Null,
    };
    let prompts = match caps.as_ref().and_then(|c| c.prompts.as_ref()) {
        Some(_) => json!(client.list_all_prompts().await.unwrap()),
        None => Value::Null,
    };
    json!({ "tools": tools, "resources": resources, "prompts": prompts })
}

/// One snapshot per tool (a reviewer sees exactly which tool changed),
/// plus one for the resources and one for the prompts.
fn snapshot_surface(server: &str, surface: &Value) {
    for tool in surface["tools"].as_array().unwrap() {
        let name = tool["name"].as_str().unwrap();
        insta::assert_json_snapshot!(format!("{server}__tool__{name}"), tool);
    }
    insta::assert_json_snapshot!(format!("{server}__resources"), surface["resources"]);
    insta::assert_json_snapshot!(format!("{server}__prompts"), surface["prompts"]);
}

/// Every published input schema lists the values of each closed
/// vocabulary and uses only formats a JSON Schema validator knows.
fn check_schemas(server: &str, surface: &Value) {
    const KNOWN: &[&str] = &[
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "uri",
        "uuid",
        "hostname",
        "ipv4",
        "ipv6",
        "uri-reference",
        "regex",
    ];
    fn formats(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(f)) = o.get("format") {
                    out.push(f.clone());
                }
                o.values().for_each(|x| formats(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| formats(x, out)),
            _ => {}
        }
    }
    for tool in surface["tools"].as_array().unwrap() {
        let mut seen = Vec::new();
        formats(tool, &mut seen);
        for f in seen {
            assert!(
                KNOWN.contains(&f.as_str()),
                "{server}.{}: unknown JSON Schema format {f:?}",
                tool["name"]
            );
        }
    }
}

async fn call_probe(server: &str, client: &Client) {
    let (tool, args) = probe(server);
    let r = client
        .call_tool(
            CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{server}.{tool}: {r:?}");
    assert!(
        r.structured_content.is_some(),
        "{server}.{tool} gave no structured content"
    );
}

/// The four servers and the agent's own MCP server (`promptsales mcp`).
fn surfaces() -> Vec<(&'static str, &'static [&'static str])> {
    let mut v: Vec<(&str, &[&str])> = SERVERS.iter().map(|s| (*s, &[][..])).collect();
    v.push(("promptsales", &["mcp"]));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_both_eras_both_backends_and_snapshots() {
    for backend in Backend::all() {
        for (server, args) in surfaces() {
            let mut seen = Vec::new();
            for era in Era::ALL {
                let client = stdio_client(server, &backend, args, era).await;
                let s = surface(&client).await;
                check_schemas(server, &s);
                call_probe(server, &client).await;
                client.cancel().await.unwrap();
                seen.push(s);
            }
            assert_eq!(
                seen[0], seen[1],
                "{server}: eras disagree on {}",
                backend.label
            );
            if backend.label == "sqlite" {
                snapshot_surface(server, &seen[0]);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_both_eras_probes_and_clean_sigterm() {
    let http = reqwest::Client::new();
    for backend in Backend::all() {
        for server in SERVERS {
            let srv = HttpServer::start(server, &backend, &[]).await;
            let ready = http
                .get(format!("{}/readyz", srv.base))
                .send()
                .await
                .unwrap();
            let code = ready.status();
            let body: Value = ready.json().await.unwrap();
            assert!(
                code.is_success(),
                "{server} /readyz on {}: {body}",
                backend.label
            );
            assert_eq!(body["ready"], true);
            for era in Era::ALL {
                let client = srv.client(era).await;
                let tools = client.list_all_tools().await.unwrap();
                assert!(!tools.is_empty());
                // Over HTTP hosts see exactly what stdio publishes: the
                // same per-tool snapshots, enums and all.
                let listed = json!({ "tools": tools });
                check_schemas(server, &listed);
                if backend.label == "sqlite" {
                    for tool in listed["tools"].as_array().unwrap() {
                        let name = tool["name"].as_str().unwrap();
                        insta::assert_json_snapshot!(format!("{server}__tool__{name}"), tool);
                    }
                }
                call_probe(server, &client).await;
                client.cancel().await.unwrap();
            }
            let status = srv.terminate().await;
            assert!(
                status.success(),
                "{server} exited with {status} after SIGTERM"
            );
        }
    }
}

#[tokio::test]
async fn read_only_lists_only_read_only_tools() {
    let backend = Backend::sqlite();
    for server in SERVERS {
        let client = stdio_client(server, &backend, &["--read-only"], Era::Initialize).await;
        let tools = client.list_all_tools().await.unwrap();
        assert!(!tools.is_empty(), "{server} has read-only tools");
        for t in tools {
            let ro = t.annotations.as_ref().and_then(|a| a.read_only_hint);
            assert_eq!(
                ro,
                Some(true),
                "{server} listed {} under --read-only",
                t.name
            );
        }
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn unknown_toolset_fails_at_start_naming_the_choices() {
    let backend = Backend::sqlite();
    for server in SERVERS {
        let out = command(server, &backend)
            .args(["--toolsets", "no_such_set"])
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{server} started with a bad toolset");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no_such_set"), "{server}: {err}");
    }
}

#[tokio::test]
async fn bad_configuration_names_the_variable() {
    let backend = Backend::sqlite();
    let out = command("mcp-ads", &backend)
        .env("PROMPTSALES_DB_MAX_CONNECTIONS", "many")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PROMPTSALES_DB_MAX_CONNECTIONS"), "{err}");
}
