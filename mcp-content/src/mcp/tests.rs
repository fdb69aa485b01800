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
    let local = Principal::new("local", tenant.clone(), ["content:read"]);
    let auditor = Auditor::spawn(AuditLog::new(db.clone()), "mcp-content", local, 90);
    let server = ContentServer::new(svc, auditor.clone(), &[], true).unwrap();

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
            "score_content",
            "usage"
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
    let svc = ContentService::new(ContentStore::new(db.clone()));
    let tenant = TenantId::parse("default").unwrap();
    let local = Principal::new("local", tenant.clone(), Vec::<String>::new());
    let auditor = Auditor::spawn(AuditLog::new(db), "mcp-content", local, 90);
    let err = ContentServer::new(svc.clone(), auditor.clone(), &["campaigns".into()], false)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("library"), "{err}");
    assert!(ContentServer::new(svc, auditor, &["library".into()], false).is_ok());
}

/// A server on `db` whose stdio caller is `local`, and a client of it.
async fn session(
    db: &Db,
    local: Principal,
    toolsets: &[String],
) -> (rmcp::service::RunningService<rmcp::RoleClient, ()>, Auditor) {
    let svc = ContentService::new(ContentStore::new(db.clone()));
    let auditor = Auditor::spawn(AuditLog::new(db.clone()), "mcp-content", local, 90);
    let server = ContentServer::new(svc, auditor.clone(), toolsets, false).unwrap();
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    (().serve(client_io).await.unwrap(), auditor)
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

/// Every tool declares its scope; the call is refused without it and
/// changes nothing; resources declare, check and audit `content:read`
/// and follow their toolset.
#[tokio::test]
async fn scopes_are_declared_checked_and_resources_follow_their_toolsets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DbConfig::new(format!("sqlite://{}/t.db", dir.path().display()), "");
    let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
    let tenant = TenantId::parse("default").unwrap();

    for t in ContentServer::toolsets() {
        for tool in t.router.list_all() {
            let scope = promptsales_server::call::declared_scope(&tool);
            assert!(scope.is_some(), "{} declares a scope", tool.name);
        }
    }
    let reader = Principal::new("rita", tenant.clone(), ["content:read"]);
    let (client, auditor) = session(&db, reader, &[]).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "audit_query"));
    let brief = json!({"client_id": "cli_1", "product": "Andes Cold Brew",
        "benefit": "a smoother cup", "channels": ["x"], "language": "en", "variants": 1});
    let r = client
        .call_tool(CallToolRequestParams::new("generate_content").with_arguments(object(brief)))
        .await
        .unwrap();
    assert_eq!(r.is_error, Some(true));
    let text = format!("{:?}", r.content);
    assert!(
        text.contains("content:write") && text.contains("rita"),
        "{text}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM content_assets").await, 0);
    let r = client
        .call_tool(
            CallToolRequestParams::new("approve_asset")
                .with_arguments(object(json!({"asset_id": "ast_1"}))),
        )
        .await
        .unwrap();
    assert!(format!("{:?}", r.content).contains("content:approve"));
    let r = client
        .call_tool(CallToolRequestParams::new("audit_query").with_arguments(object(json!({}))))
        .await
        .unwrap();
    assert!(format!("{:?}", r.content).contains("`admin`"));

    // Resources publish their scope and are read with it.
    let listed = client.list_all_resources().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].meta.as_ref().unwrap().0["promptsales/scope"],
        json!("content:read")
    );
    let templates = client.list_all_resource_templates().await.unwrap();
    assert_eq!(templates.len(), 4);
    assert!(templates.iter().all(|t| t.meta.is_some()));
    client
        .read_resource(ReadResourceRequestParams::new(resources::CHANNELS_URI))
        .await
        .unwrap();
    client.cancel().await.unwrap();

    // Without content:read a resource is refused, and the refusal audited.
    let stranger = Principal::new("sam", tenant.clone(), ["content:write"]);
    let (client, _) = session(&db, stranger, &[]).await;
    let e = client
        .read_resource(ReadResourceRequestParams::new(resources::CHANNELS_URI))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("content:read") && e.contains("sam"), "{e}");
    client.cancel().await.unwrap();
    auditor.flush().await;
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT actor, tool, outcome, error_kind FROM audit_log \
         WHERE tool LIKE 'resource:%' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            (
                "rita".into(),
                "resource:content://channels".into(),
                "ok".into(),
                None
            ),
            (
                "sam".into(),
                "resource:content://channels".into(),
                "protocol_error".into(),
                Some("permission_denied".into())
            ),
        ]
    );

    // Only the approval toolset: no resources listed or served.
    let reader = Principal::new("rita", tenant, ["content:read"]);
    let (client, _) = session(&db, reader, &["approval".into()]).await;
    assert!(client.list_all_resources().await.unwrap().is_empty());
    assert!(
        client
            .list_all_resource_templates()
            .await
            .unwrap()
            .is_empty()
    );
    let e = client
        .read_resource(ReadResourceRequestParams::new(resources::CHANNELS_URI))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown resource"), "{e}");
    client.cancel().await.unwrap();
}
