//! The tools over a real MCP session (in-memory pipe), on SQLite.

use promptsales_shared::audit::AuditLog;
use promptsales_shared::config::DbConfig;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, ClientId};
use rmcp::ServiceExt;
use serde_json::json;

use super::*;
use crate::domain::{AssetFormat, Language, NewAsset, UsageRights};
use crate::store::ContentStore;
use promptsales_shared::domain::TenantId;

fn object(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().unwrap()
}

/// The tools over a real MCP session (in-memory pipe), on SQLite.
#[tokio::test]
async fn tools_answer_over_mcp_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DbConfig::new(format!("sqlite://{}/t.db", dir.path().display()), "");
    let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
    let tenant = TenantId::parse("default").unwrap();
    let svc = ContentService::new(ContentStore::new(db.clone()));
    let asset = svc
        .create_asset(
            &tenant,
            &NewAsset {
                client_id: ClientId::parse("cli_1").unwrap(),
                campaign_id: None,
                channel: Channel::Email,
                format: AssetFormat::Email,
                language: Language::En,
                title: Some("Welcome".into()),
                body: "Hello!".into(),
                rights: Some(UsageRights {
                    licence: "internal".into(),
                    owner: "Agency".into(),
                    expires_at: None,
                    allowed_channels: vec![Channel::Email, Channel::Sms],
                }),
                created_by: None,
                placement: None,
                fields: None,
            },
        )
        .await
        .unwrap();
    // Audit rows go into the content database: the server's own.
    let auditor = Auditor::spawn(AuditLog::new(db.clone()), "mcp-content", "default");
    let local = Principal::new("local", tenant.clone(), Vec::<String>::new());
    let server = ContentServer::new(svc, local, auditor.clone(), &[], true).unwrap();

    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = ().serve(client_io).await.unwrap();

    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "check_asset_usability",
            "get_asset",
            "get_brand_guidelines",
            "list_asset_versions",
            "list_assets",
            "optimize_for_search",
            "score_content"
        ]
    );
    for t in &tools {
        assert!(t.output_schema.is_some(), "{} has an output schema", t.name);
    }

    let r = client
        .call_tool(
            CallToolRequestParams::new("get_asset")
                .with_arguments(object(json!({ "asset_id": asset.id.as_str() }))),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true));
    let s = r.structured_content.unwrap();
    assert_eq!(s["asset"]["id"], json!(asset.id.as_str()));
    assert_eq!(s["asset"]["rights"]["licence"], json!("internal"));
    assert_eq!(s["usable_on"], json!(["email", "sms"]));

    let r = client
        .call_tool(
            CallToolRequestParams::new("list_assets")
                .with_arguments(object(json!({ "channel": "email", "limit": 10 }))),
        )
        .await
        .unwrap();
    let s = r.structured_content.unwrap();
    assert_eq!(s["items"].as_array().unwrap().len(), 1);

    let r = client
        .call_tool(
            CallToolRequestParams::new("list_assets")
                .with_arguments(object(json!({ "status": "published" }))),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    let text = format!("{:?}", r.content);
    assert!(
        text.contains("status") && text.contains("archived"),
        "{text}"
    );

    let r = client
        .call_tool(
            CallToolRequestParams::new("get_asset")
                .with_arguments(object(json!({ "asset_id": "ast_nope" }))),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));

    // Closed vocabularies are enums in the published schemas, matched
    // ignoring case, and a value outside them is named before the tool runs.
    let list = tools.iter().find(|t| t.name == "list_assets").unwrap();
    let props = &list.input_schema["properties"];
    assert!(
        props["placement"].to_string().contains("\"whatsapp\""),
        "{props}"
    );
    assert!(props["language"].to_string().contains("\"es\""), "{props}");
    let r = client
        .call_tool(
            CallToolRequestParams::new("list_assets")
                .with_arguments(object(json!({ "channel": " EMAIL ", "language": "En" }))),
        )
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{:?}", r.content);
    assert_eq!(
        r.structured_content.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = client
        .call_tool(
            CallToolRequestParams::new("check_asset_usability").with_arguments(object(
                json!({ "asset_id": asset.id.as_str(), "channel": "myspace" }),
            )),
        )
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    let text = format!("{:?}", r.content);
    assert!(
        text.contains("`channel`") && text.contains("myspace") && text.contains("email"),
        "{text}"
    );
    let r = client
        .call_tool(
            CallToolRequestParams::new("check_asset_usability").with_arguments(object(
                json!({ "asset_id": asset.id.as_str(), "channel": "sms", "from": "2026-01-01" }),
            )),
        )
        .await
        .unwrap();
    let s = r.structured_content.unwrap();
    assert_eq!(s["usable"], json!(false), "a draft is not usable: {s}");
    assert!(s["reasons"].to_string().contains("not approved"), "{s}");

    client.cancel().await.unwrap();
    auditor.flush().await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE tool IN ('get_asset', 'list_assets')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 5);
}

#[tokio::test]
async fn unknown_toolsets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DbConfig::new(format!("sqlite://{}/t.db", dir.path().display()), "");
    let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
    let auditor = Auditor::spawn(AuditLog::new(db.clone()), "mcp-content", "default");
    let svc = ContentService::new(ContentStore::new(db));
    let tenant = TenantId::parse("default").unwrap();
    let local = Principal::new("local", tenant.clone(), Vec::<String>::new());
    let err = ContentServer::new(
        svc.clone(),
        local.clone(),
        auditor.clone(),
        &["campaigns".into()],
        false,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("library"), "{err}");
    assert!(ContentServer::new(svc, local, auditor, &["library".into()], false).is_ok());
}
