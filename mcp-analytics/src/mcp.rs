//! The MCP surface of the analytics context: thin tools over [`AnalyticsService`].

use std::sync::Arc;

use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
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

use crate::service::{AnalyticsService, ClientList, ProductList};

/// Tool groups for `--toolsets`.
pub const TOOLSETS: &[Toolset] = &[Toolset {
    name: "catalog",
    description: "The agency's clients and their products",
    tools: &["list_clients", "list_products"],
}];

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListProductsParams {
    /// Only this client's products, e.g. `cli_001`.
    pub client_id: Option<String>,
}

/// The analytics MCP server.
#[derive(Clone)]
pub struct AnalyticsServer {
    svc: AnalyticsService,
    tenant: TenantId,
    tools: Arc<ToolRouter<Self>>,
    auditor: Auditor,
}

#[tool_router]
impl AnalyticsServer {
    /// A server exposing the tools `toolsets`/`read_only` allow.
    pub fn new(
        svc: AnalyticsService,
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
        description = "List the agency's clients: id, name, industry and country (ISO code), by id.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_clients(&self) -> Result<Json<ClientList>, AppError> {
        self.svc.list_clients(&self.tenant).await.map(Json)
    }

    #[tool(
        description = "List products (id, client, name, category, unit price in hundredths of its ISO-4217 currency), optionally of one client, by id.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_products(
        &self,
        Parameters(p): Parameters<ListProductsParams>,
    ) -> Result<Json<ProductList>, AppError> {
        self.svc
            .list_products(&self.tenant, p.client_id.as_deref())
            .await
            .map(Json)
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for AnalyticsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "mcp-analytics",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "PromptSales analytics: the agency's portal data. Catalogue tools list \
                 clients and products; prices are hundredths (unit_price_cents) of the \
                 product's ISO-4217 currency.",
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
    use promptsales_shared::catalog::model::{Client, Product};
    use promptsales_shared::catalog::store::CatalogStore;
    use promptsales_shared::config::DbConfig;
    use promptsales_shared::db::Db;
    use promptsales_shared::domain::{ClientId, Country, Currency, ProductId};
    use rmcp::ServiceExt;
    use serde_json::json;

    use super::*;

    fn object(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap()
    }

    fn config(url: String, schema_prefix: String) -> DbConfig {
        DbConfig {
            url,
            schema_prefix,
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        }
    }

    /// Migrates both contexts, seeds the catalogue, and drives the tools
    /// through a real MCP session (in-memory pipe).
    async fn exercise(cfg: &DbConfig) -> (Db, Db) {
        let core = Db::open(cfg, &promptsales_shared::catalog::MIGRATIONS)
            .await
            .unwrap();
        let analytics = Db::open(cfg, &crate::MIGRATIONS).await.unwrap();
        // The sync tables exist and take a watermark.
        sqlx::query(
            "INSERT INTO sync_watermarks (tenant_id, source_table, updated_at, last_id) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind("default")
        .bind("crm.sales")
        .bind("2026-03-01T00:00:00.000000Z")
        .bind("sale_1")
        .execute(analytics.pool())
        .await
        .unwrap();

        let tenant = TenantId::parse("default").unwrap();
        let catalog = CatalogStore::new(core.clone());
        for (id, name, country) in [("cli_2", "Beta", "MX"), ("cli_1", "Alfa", "CO")] {
            catalog
                .upsert_client(
                    &tenant,
                    &Client {
                        id: ClientId::parse(id).unwrap(),
                        name: name.into(),
                        industry: "retail".into(),
                        country: Country::parse(country).unwrap(),
                    },
                )
                .await
                .unwrap();
        }
        for (id, client) in [("prd_1", "cli_1"), ("prd_2", "cli_2"), ("prd_3", "cli_1")] {
            catalog
                .upsert_product(
                    &tenant,
                    &Product {
                        id: ProductId::parse(id).unwrap(),
                        client_id: ClientId::parse(client).unwrap(),
                        name: format!("Product {id}"),
                        category: "snacks".into(),
                        unit_price_cents: 1_250,
                        currency: Currency::parse("USD").unwrap(),
                    },
                )
                .await
                .unwrap();
        }

        let auditor = Auditor::spawn(AuditLog::new(core.clone()), "mcp-analytics", "default");
        let server = AnalyticsServer::new(
            AnalyticsService::new(catalog),
            tenant,
            auditor.clone(),
            &["catalog".into()],
            true,
        )
        .unwrap();
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
        assert_eq!(names, ["list_clients", "list_products"]);
        for t in &tools {
            let schema = t.output_schema.as_ref().unwrap();
            assert_eq!(schema.get("type"), Some(&json!("object")), "{}", t.name);
        }

        let call = |name: &'static str, args: serde_json::Value| {
            let client = &client;
            async move {
                client
                    .call_tool(CallToolRequestParams::new(name).with_arguments(object(args)))
                    .await
                    .unwrap()
            }
        };
        let r = client
            .call_tool(CallToolRequestParams::new("list_clients"))
            .await
            .unwrap();
        assert_ne!(r.is_error, Some(true), "{:?}", r.content);
        let s = r.structured_content.unwrap();
        let ids: Vec<&str> = s["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["cli_1", "cli_2"]);
        assert_eq!(s["clients"][0]["country"], json!("CO"));

        let r = call("list_products", json!({})).await;
        assert_eq!(
            r.structured_content.unwrap()["products"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        let r = call("list_products", json!({ "client_id": "cli_1" })).await;
        let s = r.structured_content.unwrap();
        let ids: Vec<&str> = s["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["prd_1", "prd_3"]);
        assert_eq!(s["products"][0]["unit_price_cents"], json!(1_250));

        let r = call("list_products", json!({ "client_id": "cli_404" })).await;
        assert_eq!(r.is_error, Some(true));
        assert!(format!("{:?}", r.content).contains("cli_404"));
        let r = call("list_products", json!({ "client_id": "bad id!" })).await;
        assert_eq!(r.is_error, Some(true));
        assert!(format!("{:?}", r.content).contains("client_id"));

        client.cancel().await.unwrap();
        auditor.flush().await;
        let audited: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE server = 'mcp-analytics'")
                .fetch_one(core.pool())
                .await
                .unwrap();
        assert_eq!(audited, 5);
        (core, analytics)
    }

    #[tokio::test]
    async fn catalog_tools_answer_over_mcp_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(
            format!("sqlite://{}/t.db", dir.path().display()),
            String::new(),
        );
        let (core, analytics) = exercise(&cfg).await;
        core.close().await;
        analytics.close().await;
    }

    /// Runs only when `TEST_DATABASE_URL` names a PostgreSQL database; uses
    /// schemas of its own and drops them afterwards.
    #[tokio::test]
    async fn catalog_tools_answer_over_mcp_on_postgres() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            return;
        };
        if url.trim().is_empty() {
            return;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let prefix = format!("t{}{}_", std::process::id(), nanos);
        let (core, analytics) = exercise(&config(url, prefix.clone())).await;
        for (db, context) in [(&core, "core"), (&analytics, "analytics")] {
            let drop = format!("DROP SCHEMA \"{prefix}{context}\" CASCADE");
            sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                .execute(db.pool())
                .await
                .unwrap();
            db.close().await;
        }
    }

    #[tokio::test]
    async fn write_free_server_keeps_every_tool_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(
            format!("sqlite://{}/t.db", dir.path().display()),
            String::new(),
        );
        let core = Db::open(&cfg, &promptsales_shared::catalog::MIGRATIONS)
            .await
            .unwrap();
        let auditor = Auditor::spawn(AuditLog::new(core.clone()), "mcp-analytics", "default");
        let svc = AnalyticsService::new(CatalogStore::new(core));
        let tenant = TenantId::parse("default").unwrap();
        let all =
            AnalyticsServer::new(svc.clone(), tenant.clone(), auditor.clone(), &[], false).unwrap();
        let ro =
            AnalyticsServer::new(svc.clone(), tenant.clone(), auditor.clone(), &[], true).unwrap();
        assert_eq!(all.tools.list_all().len(), 2);
        assert_eq!(ro.tools.list_all().len(), 2);
        let err = AnalyticsServer::new(svc, tenant, auditor, &["library".into()], false)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("catalog"), "{err}");
    }
}
