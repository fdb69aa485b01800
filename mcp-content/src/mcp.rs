//! The MCP surface of the content context: thin tools over [`ContentService`].

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Page, TenantId};
use promptsales_shared::server::{Auditor, ServeError, Toolset, call_tool_audited, filter_router};
use rmcp::handler::server::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::Asset;
use crate::service::{AssetQuery, AssetView, ContentService};

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[Toolset {
    name: "library",
    description: "Find and inspect assets of the content library",
    tools: &["list_assets", "get_asset"],
}];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetAssetParams {
    /// Asset id, e.g. `ast_3f9a0c1b2d4e`.
    pub asset_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListAssetsParams {
    /// Only this client's assets.
    pub client_id: Option<String>,
    /// Only assets made for this campaign.
    pub campaign_id: Option<String>,
    /// Only assets for this channel: google_ads, meta, instagram, tiktok,
    /// linkedin, email, sms, whatsapp, influencer, web or organic.
    pub channel: Option<String>,
    /// Only assets in this status: draft, approved, rejected or archived.
    pub status: Option<String>,
    /// Only assets in this language: en or es.
    pub language: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

/// The content MCP server.
#[derive(Clone)]
pub struct ContentServer {
    svc: ContentService,
    tenant: TenantId,
    tools: Arc<ToolRouter<Self>>,
    auditor: Auditor,
}

#[tool_router]
impl ContentServer {
    /// A server exposing the tools `toolsets`/`read_only` allow.
    pub fn new(
        svc: ContentService,
        tenant: TenantId,
        auditor: Auditor,
        toolsets: &[String],
        read_only: bool,
    ) -> Result<Self, ServeError> {
        let tools = filter_router(Self::tool_router(), TOOLSETS, toolsets, read_only)?;
        Ok(Self {
            svc,
            tenant,
            tools: Arc::new(tools),
            auditor,
        })
    }

    #[tool(
        description = "Get one asset of the content library: client, campaign, channel, format, language, body, version, approval status and usage rights, plus usable_on: the channels its usage rights allow right now.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_asset(
        &self,
        Parameters(p): Parameters<GetAssetParams>,
    ) -> Result<Json<AssetView>, AppError> {
        let now = Utc::now().trunc_subsecs(6);
        self.svc
            .get_asset_view(&self.tenant, &p.asset_id, now)
            .await
            .map(Json)
    }

    #[tool(
        description = "List assets of the content library, optionally by client, campaign, channel, status and language, 50 per page by default; pass next_cursor to continue.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_assets(
        &self,
        Parameters(p): Parameters<ListAssetsParams>,
    ) -> Result<Json<Page<Asset>>, AppError> {
        let query = AssetQuery {
            client_id: p.client_id.as_deref(),
            campaign_id: p.campaign_id.as_deref(),
            channel: p.channel.as_deref(),
            status: p.status.as_deref(),
            language: p.language.as_deref(),
        };
        self.svc
            .list_assets(&self.tenant, &query, p.cursor.as_deref(), p.limit)
            .await
            .map(Json)
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for ContentServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "mcp-content",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "PromptContent: the agency's library of copy and creative. Every asset has \
                 versions, an approval status (draft, approved, rejected, archived) and \
                 optional usage rights (licence, owner, expiry, allowed channels).",
            )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        call_tool_audited(self, &self.tools, &self.auditor, request, context).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use promptsales_shared::catalog::audit::AuditLog;
    use promptsales_shared::config::DbConfig;
    use promptsales_shared::db::Db;
    use promptsales_shared::domain::{Channel, ClientId};
    use rmcp::ServiceExt;
    use serde_json::json;

    use super::*;
    use crate::domain::{AssetFormat, Language, NewAsset, UsageRights};
    use crate::store::ContentStore;

    fn object(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap()
    }

    /// The tools over a real MCP session (in-memory pipe), on SQLite.
    #[tokio::test]
    async fn tools_answer_over_mcp_and_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = DbConfig {
            url: format!("sqlite://{}/t.db", dir.path().display()),
            schema_prefix: String::new(),
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        };
        let core = Db::open(&cfg, &promptsales_shared::catalog::MIGRATIONS)
            .await
            .unwrap();
        let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
        let tenant = TenantId::parse("default").unwrap();
        let svc = ContentService::new(ContentStore::new(db));
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
                },
            )
            .await
            .unwrap();
        let auditor = Auditor::spawn(AuditLog::new(core.clone()), "mcp-content", "default");
        let server = ContentServer::new(svc, tenant, auditor.clone(), &[], true).unwrap();

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
        assert_eq!(names, ["get_asset", "list_assets"]);
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

        client.cancel().await.unwrap();
        auditor.flush().await;
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE tool IN ('get_asset', 'list_assets')",
        )
        .fetch_one(core.pool())
        .await
        .unwrap();
        assert_eq!(audited, 4);
    }

    #[tokio::test]
    async fn unknown_toolsets_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = DbConfig {
            url: format!("sqlite://{}/t.db", dir.path().display()),
            schema_prefix: String::new(),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        };
        let core = Db::open(&cfg, &promptsales_shared::catalog::MIGRATIONS)
            .await
            .unwrap();
        let db = Db::open(&cfg, &crate::MIGRATIONS).await.unwrap();
        let auditor = Auditor::spawn(AuditLog::new(core), "mcp-content", "default");
        let svc = ContentService::new(ContentStore::new(db));
        let tenant = TenantId::parse("default").unwrap();
        let err = ContentServer::new(
            svc.clone(),
            tenant.clone(),
            auditor.clone(),
            &["campaigns".into()],
            false,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("library"), "{err}");
        assert!(ContentServer::new(svc, tenant, auditor, &["library".into()], false).is_ok());
    }
}
