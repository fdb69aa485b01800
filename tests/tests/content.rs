//! mcp-content through a real MCP client: generation within channel limits in
//! English and Spanish, the asset library (versions, approvals with scopes
//! and four eyes, rights, usability), brand guidelines, SEO, visual briefs,
//! resources, prompts and completion — over stdio and HTTP (real signed
//! tokens), on SQLite and on PostgreSQL + Redis; the LLM and image engines
//! against a local fake OpenAI-compatible server. The scope matrix, four
//! eyes and the limits of outbound calls are in `content_trust.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use promptsales_tests::{Backend, Era, HttpServer, command, stdio_client_env, tokens};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, GetPromptRequestParams, ReadResourceRequestParams,
    ResourceContents,
};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientLifecycleMode, Peer, RoleClient, serve_client_with_lifecycle};
use serde_json::{Value, json};

type Client = Peer<RoleClient>;

async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap()
}

async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = call(client, tool, args).await;
    assert_ne!(r.is_error, Some(true), "{tool}: {:?}", r.content);
    r.structured_content.unwrap()
}

async fn err(client: &Client, tool: &str, args: Value) -> String {
    let r = call(client, tool, args).await;
    assert_eq!(r.is_error, Some(true), "{tool} should fail: {r:?}");
    format!("{:?}", r.content)
}

async fn resource(client: &Client, uri: &str) -> Value {
    let r = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap();
    match &r.contents[0] {
        ResourceContents::TextResourceContents { text, .. } => serde_json::from_str(text).unwrap(),
        other => panic!("{uri}: {other:?}"),
    }
}

fn brief(lang: &str, channels: &[&str], variants: u32) -> Value {
    let en = lang == "en";
    json!({
        "client_id": "cli_001",
        "product": if en { "Andes Cold Brew" } else { "Café Andino Orgánico" },
        "benefit": if en { "start the day with a smoother cup" } else { "empezar el día con un café más suave" },
        "offer": if en { "20% off your first order" } else { "20 % de descuento en tu primer pedido" },
        "audience": if en { "home baristas" } else { "amantes del café de especialidad" },
        "channels": channels,
        "language": lang,
        "keywords": if en { json!(["cold brew coffee"]) } else { json!(["café orgánico"]) },
        "url": "https://andino.example/cafe",
        "variants": variants,
    })
}

const ALL: [&str; 10] = [
    "google_ads",
    "meta",
    "instagram",
    "tiktok",
    "linkedin",
    "x",
    "email",
    "sms",
    "whatsapp",
    "web",
];

/// Every field of every variant is within its limit; variants of a channel differ.
fn assert_within_limits(g: &Value, expected: usize) {
    let variants = g["variants"].as_array().unwrap();
    assert_eq!(variants.len(), expected);
    for v in variants {
        for f in v["fields"].as_array().unwrap() {
            assert!(
                f["length"].as_u64() <= f["max"].as_u64(),
                "{} {}: {f}",
                v["channel"],
                f["name"]
            );
            assert!(!f["text"].as_str().unwrap().is_empty());
        }
    }
    for ch in ALL {
        let texts: Vec<String> = variants
            .iter()
            .filter(|v| v["channel"] == ch)
            .map(|v| v["fields"].to_string())
            .collect();
        for w in texts.windows(2) {
            assert_ne!(w[0], w[1], "{ch}: variants differ");
        }
    }
}

fn variant<'a>(g: &'a Value, channel: &str) -> &'a Value {
    g["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["channel"] == channel)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generation_library_brand_seo_and_resources_over_stdio() {
    for backend in Backend::all() {
        // Ana writes; Maria, another person, decides (four eyes).
        let client = stdio_client_env(
            "mcp-content",
            &backend,
            &[],
            &[
                ("PROMPTSALES_SCOPES", "content:read,content:write"),
                ("PROMPTSALES_ACTOR", "ana"),
            ],
            Era::Initialize,
        )
        .await;
        let maria = stdio_client_env(
            "mcp-content",
            &backend,
            &[],
            &[
                ("PROMPTSALES_SCOPES", "content:read,content:approve"),
                ("PROMPTSALES_ACTOR", "maria"),
            ],
            Era::Initialize,
        )
        .await;
        let label = backend.label;

        // Generation in both languages, every channel, within the limits.
        let en = ok(&client, "generate_content", brief("en", &ALL, 3)).await;
        assert_eq!(en["engine"], "offline", "{label}");
        assert_within_limits(&en, 30);
        let es = ok(&client, "generate_content", brief("es", &ALL, 2)).await;
        assert_within_limits(&es, 20);
        let es_text = es.to_string();
        assert!(es_text.contains('¿') && es_text.contains('¡') && es_text.contains("más"));
        let sms = variant(&es, "sms");
        assert!(sms["fields"][0]["encoding"].is_string(), "{sms}");
        let same = ok(&client, "generate_content", brief("es", &ALL, 2)).await;
        assert_eq!(
            same["variants"][0]["fields"], es["variants"][0]["fields"],
            "deterministic for the same brief"
        );

        // Saved as drafts at version 1.
        let sms_id = variant(&en, "sms")["asset_id"].as_str().unwrap().to_owned();
        let a = ok(&client, "get_asset", json!({ "asset_id": sms_id })).await;
        assert_eq!(a["asset"]["status"], "draft");
        assert_eq!(a["asset"]["version"], 1);
        assert_eq!(a["asset"]["placement"], "sms");
        assert_eq!(a["asset"]["created_by"], "ana");
        let listed = ok(
            &client,
            "list_assets",
            json!({ "client_id": "cli_001", "channel": "sms", "limit": 2 }),
        )
        .await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
        assert!(listed["next_cursor"].is_string());
        let xs = ok(
            &client,
            "list_assets",
            json!({ "placement": "x", "limit": 100 }),
        )
        .await;
        let xs = xs["items"].as_array().unwrap();
        assert_eq!(xs.len(), 7, "3 English and twice 2 Spanish X posts");
        assert!(
            xs.iter()
                .all(|a| a["channel"] == "organic" && a["placement"] == "x")
        );

        // Bad briefs name the field.
        for (field, patch) in [
            ("channels", json!({ "channels": ["fax"] })),
            ("language", json!({ "language": "fr" })),
            ("product", json!({ "product": "  " })),
            ("variants", json!({ "variants": 0 })),
            ("variants", json!({ "variants": 21 })),
            ("product", json!({ "product": "x".repeat(121) })),
            ("benefit", json!({ "benefit": "y".repeat(161) })),
        ] {
            let mut b = brief("en", &["x"], 1);
            for (k, v) in patch.as_object().unwrap() {
                b[k] = v.clone();
            }
            let e = err(&client, "generate_content", b).await;
            assert!(e.contains(&format!("`{field}`")), "{field}: {e}");
        }

        // Revisions: over the limit refused; a valid one is version 2, history kept.
        let e = err(
            &client,
            "revise_asset",
            json!({ "asset_id": sms_id, "body": "ú".repeat(71) }),
        )
        .await;
        assert!(e.contains("fields") && e.contains("limit is 70"), "{e}");
        let text = "Andes Cold Brew: 20% off your first order. Shop now: https://andino.example/cafe Reply STOP to opt out";
        let r = ok(
            &client,
            "revise_asset",
            json!({ "asset_id": sms_id, "body": text, "expected_version": 1, "note": "shorter" }),
        )
        .await;
        assert_eq!(r["version"], 2);
        assert_eq!(r["status"], "draft");
        let e = err(
            &client,
            "revise_asset",
            json!({ "asset_id": sms_id, "body": text, "expected_version": 1 }),
        )
        .await;
        assert!(e.contains("version 2"), "{e}");
        let versions = ok(
            &client,
            "list_asset_versions",
            json!({ "asset_id": sms_id }),
        )
        .await;
        let versions = versions["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1]["note"], "shorter");
        assert_eq!(versions[1]["created_by"], "ana");

        // Approval: who, when, note; approving twice conflicts.
        let unusable = ok(
            &client,
            "check_asset_usability",
            json!({ "asset_id": sms_id, "channel": "sms", "from": "2026-12-01", "to": "2026-12-31" }),
        )
        .await;
        assert_eq!(unusable["usable"], false);
        assert!(unusable["reasons"][0].as_str().unwrap().contains("draft"));
        let e = err(&client, "approve_asset", json!({ "asset_id": sms_id })).await;
        assert!(e.contains("content:approve") && e.contains("ana"), "{e}");
        let a = ok(
            &maria,
            "approve_asset",
            json!({ "asset_id": sms_id, "note": "legal ok" }),
        )
        .await;
        assert_eq!(a["status"], "approved");
        assert_eq!(a["decision"]["by"], "maria");
        assert_eq!(a["decision"]["note"], "legal ok");
        assert_eq!(a["edited_by"], "ana");
        let e = err(&maria, "approve_asset", json!({ "asset_id": sms_id })).await;
        assert!(e.contains("already approved"), "{e}");
        let usable = ok(
            &client,
            "check_asset_usability",
            json!({ "asset_id": sms_id, "channel": "sms", "from": "2026-12-01", "to": "2026-12-31" }),
        )
        .await;
        assert_eq!(usable["usable"], true, "{usable}");
        assert_eq!(usable["version"], 2);
        let wrong = ok(
            &client,
            "check_asset_usability",
            json!({ "asset_id": sms_id, "channel": "google_ads", "from": "2026-12-01", "to": "2026-12-31" }),
        )
        .await;
        assert_eq!(wrong["usable"], false);
        assert!(
            wrong["reasons"]
                .to_string()
                .contains("does not fit google_ads")
        );

        // Rights: expiring inside the flight, or another channel only.
        ok(
            &client,
            "set_usage_rights",
            json!({ "asset_id": sms_id, "rights": {
                "licence": "LIC-7", "owner": "Andes Coffee Co.",
                "expires_at": "2026-12-15T00:00:00Z", "allowed_channels": ["sms", "whatsapp"] } }),
        )
        .await;
        let expired = ok(
            &client,
            "check_asset_usability",
            json!({ "asset_id": sms_id, "channel": "sms", "from": "2026-12-01", "to": "2026-12-31" }),
        )
        .await;
        assert_eq!(expired["usable"], false);
        assert!(
            expired["reasons"][0].as_str().unwrap().contains("expired"),
            "{expired}"
        );
        let before = ok(
            &client,
            "check_asset_usability",
            json!({ "asset_id": sms_id, "channel": "sms", "from": "2026-12-01", "to": "2026-12-14" }),
        )
        .await;
        assert_eq!(before["usable"], true, "{before}");
        let other = ok(
            &client,
            "check_asset_usability",
            json!({ "asset_id": sms_id, "channel": "email", "from": "2026-12-01", "to": "2026-12-14" }),
        )
        .await;
        assert!(
            other["reasons"]
                .to_string()
                .contains("allow only sms, whatsapp"),
            "{other}"
        );
        let e = err(
            &client,
            "check_asset_usability",
            json!({ "asset_id": "ast_nope", "channel": "sms" }),
        )
        .await;
        assert!(e.contains("not found"), "{e}");

        // Reject needs a note; archive is final.
        let e = err(&maria, "reject_asset", json!({ "asset_id": sms_id })).await;
        assert!(e.contains("`note`"), "{e}");
        let r = ok(
            &maria,
            "reject_asset",
            json!({ "asset_id": sms_id, "note": "offer ended" }),
        )
        .await;
        assert_eq!(r["status"], "rejected");
        ok(&client, "archive_asset", json!({ "asset_id": sms_id })).await;
        let e = err(
            &client,
            "revise_asset",
            json!({ "asset_id": sms_id, "body": "new" }),
        )
        .await;
        assert!(e.contains("archived"), "{e}");

        // Brand guidelines: applied by generation, checked by score_content.
        ok(
            &client,
            "set_brand_guidelines",
            json!({
                "client_id": "cli_001",
                "voice": "warm, expert",
                "banned_words": ["cheap"],
                "required_disclaimers": ["Terms apply."],
                "preferred_terms": [{ "avoid": "cup", "prefer": "brew" }]
            }),
        )
        .await;
        let mut b = brief("en", &["email", "x"], 1);
        b["offer"] = json!("a cheap trial box");
        let g = ok(&client, "generate_content", b).await;
        let email = variant(&g, "email");
        let body = email["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "body")
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(body.contains("Terms apply."), "{body}");
        assert!(
            body.contains("smoother brew") && !body.contains("smoother cup"),
            "{body}"
        );
        assert!(
            email["brand_violations"]
                .to_string()
                .contains("banned_word"),
            "{email}"
        );
        let s = ok(
            &client,
            "score_content",
            json!({ "client_id": "cli_001", "text": "Cheap coffee for you.", "language": "en", "channel": "x" }),
        )
        .await;
        assert!(s["brand_violations"].to_string().contains("cheap"), "{s}");
        assert!(s["limit_violations"].as_array().unwrap().is_empty());
        let s = ok(
            &client,
            "score_content",
            json!({ "text": "€".repeat(81), "language": "es", "channel": "sms" }),
        )
        .await;
        assert!(
            s["limit_violations"][0]
                .as_str()
                .unwrap()
                .contains("limit is 160"),
            "{s}"
        );
        let brand = resource(&client, "content://brand/cli_001").await;
        assert_eq!(
            brand["brand"]["guidelines"]["banned_words"],
            json!(["cheap"])
        );

        // SEO: better after than before, FAQPage JSON-LD.
        let web_id = variant(&es, "web")["asset_id"].as_str().unwrap().to_owned();
        let seo = ok(
            &client,
            "optimize_for_search",
            json!({ "asset_id": web_id, "keywords": ["café orgánico", "café de especialidad"] }),
        )
        .await;
        assert!(
            seo["after"]["score"].as_u64() > seo["before"]["score"].as_u64(),
            "{seo}"
        );
        assert!(seo["optimized"]["title"].as_str().unwrap().chars().count() <= 60);
        assert!(
            seo["optimized"]["meta_description"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= 155
        );
        assert_eq!(seo["optimized"]["faq_json_ld"]["@type"], "FAQPage");
        assert_eq!(seo["after"]["readability"]["formula"], "fernandez_huerta");

        // Visual brief: art direction; no endpoint, so no images.
        let v = ok(
            &client,
            "generate_visual_brief",
            json!({ "client_id": "cli_001", "product": "Andes Cold Brew", "channels": ["instagram", "tiktok"],
                     "language": "en", "offer": "20% off", "generate_images": true }),
        )
        .await;
        assert_eq!(v["items"][0]["aspect_ratio"], "4:5");
        assert_eq!(v["items"][1]["medium"], "video");
        assert!(v["items"][0]["image"].is_null());
        assert!(
            v["notes"][0]
                .as_str()
                .unwrap()
                .contains("PROMPTSALES_IMAGE_BASE_URL")
        );

        // Resources, templates, prompts, completion.
        let channels = resource(&client, "content://channels").await;
        assert_eq!(channels["channels"][0]["fields"][0]["max"], 30);
        let asset = resource(&client, &format!("content://assets/{web_id}")).await;
        assert_eq!(asset["asset"]["id"], json!(web_id));
        let v1 = resource(&client, &format!("content://assets/{sms_id}/versions/1")).await;
        assert_eq!(v1["version"], 1);
        let templates = client.list_all_resource_templates().await.unwrap();
        assert_eq!(templates.len(), 4);
        assert!(
            templates
                .iter()
                .any(|t| t.uri_template == "content://usage/{client_id}")
        );
        let prompts = client.list_all_prompts().await.unwrap();
        let mut names: Vec<&str> = prompts.iter().map(|p| p.name.as_ref()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["ad_copy", "email_campaign", "seo_article", "social_post"]
        );
        let p = client
            .get_prompt(
                GetPromptRequestParams::new("social_post").with_arguments(
                    json!({ "client_id": "cli_001", "product": "Andes Cold Brew", "channel": "instagram" })
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
            )
            .await
            .unwrap();
        assert!(format!("{:?}", p.messages).contains("generate_content"));
        let c = client
            .complete_prompt_simple("social_post", "channel", "in")
            .await
            .unwrap();
        assert_eq!(c, ["instagram"]);
        let c = client
            .complete_prompt_simple("ad_copy", "client_id", "cli_0")
            .await
            .unwrap();
        assert!(c.contains(&"cli_001".to_owned()), "{c:?}");
        client.cancel().await.unwrap();
        maria.cancel().await.unwrap();
    }
}

/// A call the token's scopes do not open: over a 2026-07-28 session the
/// HTTP gate answers 403 `insufficient_scope` before dispatch; over an
/// `initialize` session the tool result names the scope and the caller.
async fn refused(client: &Client, era: Era, tool: &str, args: Value) -> String {
    let r = client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await;
    match (era, r) {
        (Era::Stateless, Err(e)) => e.to_string(),
        (Era::Initialize, Ok(r)) if r.is_error == Some(true) => format!("{:?}", r.content),
        (era, other) => panic!("{tool} over {era:?} should be refused: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_needs_the_scope_over_http() {
    for backend in Backend::all() {
        let srv = HttpServer::start_env("mcp-content", &backend, &[], &tokens::env()).await;
        let writer = tokens::mint("copywriter", "default", &["content:read", "content:write"]);
        let approver = tokens::mint("maria", "default", &["content:read", "content:approve"]);
        for era in Era::ALL {
            let w = srv.client_with_token(era, &writer).await;
            let g = ok(&w, "generate_content", brief("es", &["x"], 1)).await;
            let id = g["variants"][0]["asset_id"].as_str().unwrap().to_owned();
            let a = ok(&w, "get_asset", json!({ "asset_id": id })).await;
            assert_eq!(a["asset"]["status"], "draft");
            assert_eq!(a["asset"]["created_by"], "copywriter");
            let e = refused(&w, era, "approve_asset", json!({ "asset_id": id })).await;
            match era {
                Era::Initialize => assert!(
                    e.contains("content:approve") && e.contains("copywriter"),
                    "{e}"
                ),
                // The gate's 403 `insufficient_scope`, as the client reports it.
                Era::Stateless => assert!(e.to_lowercase().contains("insufficient scope"), "{e}"),
            }
            w.cancel().await.unwrap();

            let m = srv.client_with_token(era, &approver).await;
            let a = ok(&m, "approve_asset", json!({ "asset_id": id, "note": "ok" })).await;
            assert_eq!(a["decision"]["by"], "maria");
            // Resources, templates and completion over HTTP too.
            let asset = resource(&m, &format!("content://assets/{id}")).await;
            assert_eq!(asset["asset"]["status"], "approved");
            let channels = resource(&m, "content://channels").await;
            assert_eq!(channels["channels"].as_array().unwrap().len(), 10);
            let c = m
                .complete_prompt_simple("ad_copy", "channel", "g")
                .await
                .unwrap();
            assert_eq!(c, ["google_ads"]);
            m.cancel().await.unwrap();
        }
        assert!(srv.terminate().await.success());
    }
}

#[derive(Clone, Default)]
struct Fake {
    chat_calls: Arc<AtomicUsize>,
    repairs: Arc<AtomicUsize>,
    images: Arc<AtomicUsize>,
}

fn tool_answer(arguments: String) -> Value {
    json!({
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
                    "function": {"name": "write_copy", "arguments": arguments}
                }]
            }
        }],
        "usage": {"prompt_tokens": 700, "completion_tokens": 90, "total_tokens": 790}
    })
}

async fn completions(State(f): State<Fake>, body: axum::Json<Value>) -> axum::Json<Value> {
    f.chat_calls.fetch_add(1, Ordering::SeqCst);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let last = messages
        .last()
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let brief = messages
        .get(1)
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    if brief.contains("Broken") {
        return axum::Json(tool_answer("{\"variants\": \"not a list\"".into()));
    }
    let repair = last.contains("Fix these problems");
    if repair {
        f.repairs.fetch_add(1, Ordering::SeqCst);
    }
    // A stubborn model repeats its over-long post.
    let repair = repair && !brief.contains("Stubborn");
    let post = if repair {
        "Cold brew, smoother mornings. Andes Cold Brew: 20% off your first order. Shop now: https://andino.example/cafe".to_owned()
    } else {
        format!("{} too long", "Smooth ".repeat(45))
    };
    let arguments = json!({"variants": [
        {"channel": "x", "variant": 0, "fields": [{"name": "post", "text": post}]},
        {"channel": "sms", "variant": 0, "fields": [{"name": "text", "text": "Andes Cold Brew: 20% off your first order. Shop now: https://andino.example/cafe Reply STOP to opt out"}]}
    ]});
    axum::Json(tool_answer(arguments.to_string()))
}

/// A 1×1 PNG.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

async fn images(State(f): State<Fake>, body: axum::Json<Value>) -> axum::Json<Value> {
    f.images.fetch_add(1, Ordering::SeqCst);
    assert!(body["prompt"].as_str().unwrap().contains("no text"));
    axum::Json(json!({"created": 1, "data": [{"b64_json": PNG_B64}]}))
}

#[tokio::test]
async fn llm_engine_repairs_once_caches_and_falls_back_and_images_are_stored() {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/images/generations", post(images))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://127.0.0.1:{port}/v1");

    let backend = Backend::sqlite();
    let client = stdio_client_env(
        "mcp-content",
        &backend,
        &[],
        &[
            ("PROMPTSALES_LLM_BASE_URL", base.as_str()),
            ("PROMPTSALES_LLM_API_KEY", "test-key"),
            ("PROMPTSALES_LLM_MODEL", "fake-model"),
            ("PROMPTSALES_IMAGE_BASE_URL", base.as_str()),
        ],
        Era::Initialize,
    )
    .await;

    // Over the limit first: one repair round-trip, then within limits.
    let mut b = brief("en", &["x", "sms"], 1);
    b["product"] = json!("Andes Cold Brew");
    let g = ok(&client, "generate_content", b.clone()).await;
    assert_eq!(g["engine"], "llm", "{g}");
    assert_eq!(fake.chat_calls.load(Ordering::SeqCst), 2);
    assert_eq!(fake.repairs.load(Ordering::SeqCst), 1);
    assert!(g["notes"][0].as_str().unwrap().contains("repair"), "{g}");
    assert_within_limits(&g, 2);
    let x = variant(&g, "x");
    assert!(
        x["fields"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Cold brew, smoother")
    );
    assert_eq!(g["usage"]["completion_tokens"], 180);

    // The same brief again: cached, no tokens spent.
    let again = ok(&client, "generate_content", b).await;
    assert_eq!(again["cached"], true);
    assert_eq!(again["usage"]["prompt_tokens"], 0);
    assert_eq!(fake.chat_calls.load(Ordering::SeqCst), 2);

    // Still over the limit after the repair: refused (never cut mid-phrase,
    // never returned over it) and written by the offline engine.
    let mut stubborn = brief("en", &["x", "sms"], 1);
    stubborn["product"] = json!("Stubborn Brew");
    let g = ok(&client, "generate_content", stubborn).await;
    assert_eq!(g["engine"], "llm");
    assert_eq!(fake.chat_calls.load(Ordering::SeqCst), 4);
    assert_within_limits(&g, 2);
    let x = variant(&g, "x");
    let note = x["notes"][0].as_str().unwrap();
    assert!(
        note.contains("refused the model's x variant 0")
            && note.contains("offline engine wrote it"),
        "{x}"
    );
    assert!(
        x["fields"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Stubborn Brew"),
        "{x}"
    );
    assert!(
        g["notes"][0]
            .as_str()
            .unwrap()
            .contains("what was still wrong was refused"),
        "{g}"
    );

    // Malformed output: the offline engine answers and says why.
    let mut broken = brief("en", &["x"], 1);
    broken["product"] = json!("Broken Brew");
    let g = ok(&client, "generate_content", broken).await;
    assert_eq!(g["engine"], "offline");
    assert!(
        g["notes"][0]
            .as_str()
            .unwrap()
            .contains("LLM engine failed"),
        "{g}"
    );
    assert_within_limits(&g, 1);

    // Images: generated, checked to be an image, stored in the data dir as an asset.
    let v = ok(
        &client,
        "generate_visual_brief",
        json!({ "client_id": "cli_001", "product": "Andes Cold Brew", "channels": ["instagram", "tiktok"],
                 "language": "en", "generate_images": true }),
    )
    .await;
    assert_eq!(
        fake.images.load(Ordering::SeqCst),
        1,
        "video is direction only"
    );
    let image = &v["items"][0]["image"];
    let path = image["path"].as_str().unwrap();
    assert!(
        path.starts_with(&backend.dir.path().display().to_string()),
        "{path}"
    );
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    let a = ok(
        &client,
        "get_asset",
        json!({ "asset_id": image["asset_id"] }),
    )
    .await;
    assert_eq!(a["asset"]["format"], "image");
    assert_eq!(a["asset"]["body"], json!(path));
    client.cancel().await.unwrap();
}

/// A client that lends its model through MCP sampling.
#[derive(Clone, Default)]
struct Sampler {
    calls: Arc<AtomicUsize>,
}

#[allow(deprecated)]
impl rmcp::ClientHandler for Sampler {
    fn get_info(&self) -> rmcp::model::ClientConfig {
        rmcp::model::ClientConfig::new(
            rmcp::model::ClientCapabilities::builder()
                .enable_sampling()
                .build(),
            rmcp::model::Implementation::new("sampling-test", "1.0"),
        )
    }

    async fn create_message(
        &self,
        params: rmcp::model::CreateMessageRequestParams,
        _context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::CreateMessageResult, rmcp::ErrorData> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let system = params.system_prompt.unwrap_or_default();
        assert!(
            system.contains("JSON Schema") && system.contains("x: post"),
            "{system}"
        );
        let copy = json!({"variants": [{"channel": "x", "variant": 0, "fields": [
            {"name": "post", "text": "Smoother mornings start with Andes Cold Brew. 20% off your first order: https://andino.example/cafe"}
        ]}]});
        Ok(rmcp::model::CreateMessageResult::new(
            rmcp::model::SamplingMessage::assistant_text(format!("```json\n{copy}\n```")),
            "client-model".into(),
        ))
    }
}

#[tokio::test]
async fn the_clients_model_writes_copy_through_sampling() {
    let backend = Backend::sqlite();
    let (transport, _stderr) = TokioChildProcess::builder(command("mcp-content", &backend))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let sampler = Sampler::default();
    let client =
        serve_client_with_lifecycle(sampler.clone(), transport, ClientLifecycleMode::Initialize)
            .await
            .unwrap();
    let g = ok(&client, "generate_content", brief("en", &["x"], 1)).await;
    assert_eq!(g["engine"], "sampling", "{g}");
    assert_eq!(sampler.calls.load(Ordering::SeqCst), 1);
    assert!(
        g["variants"][0]["fields"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Smoother mornings")
    );
    assert_within_limits(&g, 1);
    // An explicit offline request never asks the client.
    let mut b = brief("en", &["x"], 1);
    b["engine"] = json!("offline");
    let g = ok(&client, "generate_content", b).await;
    assert_eq!(g["engine"], "offline");
    assert_eq!(sampler.calls.load(Ordering::SeqCst), 1);
    client.cancel().await.unwrap();

    // A client without sampling asked for it explicitly: a clear error.
    let plain = stdio_client_env("mcp-content", &backend, &[], &[], Era::Initialize).await;
    let mut b = brief("en", &["x"], 1);
    b["engine"] = json!("sampling");
    let e = err(&plain, "generate_content", b).await;
    assert!(e.contains("does not offer MCP sampling"), "{e}");
    plain.cancel().await.unwrap();
}
