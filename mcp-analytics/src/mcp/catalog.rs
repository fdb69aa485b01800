//! The `catalog` toolset: the agency's clients and their products, read
//! from the `core` context.

use promptsales_server::ToolError;
use promptsales_server::call::needs;
use promptsales_shared::scope::Scope;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::AnalyticsServer;
use crate::service::{ClientList, ProductList};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListProductsParams {
    /// Only this client's products, e.g. `cli_001`.
    pub client_id: Option<String>,
}

#[tool_router(router = catalog_tools, vis = "pub(super)")]
impl AnalyticsServer {
    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "List the agency's clients: id, name, industry and country (ISO code), by id.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_clients(&self) -> Result<Json<ClientList>, ToolError> {
        Ok(Json(self.svc.list_clients(&self.tenant).await?))
    }

    #[tool(
        meta = needs(Scope::AnalyticsRead),
        description = "List products (id, client, name, category, unit price in hundredths of its ISO-4217 currency), optionally of one client, by id.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn list_products(
        &self,
        Parameters(p): Parameters<ListProductsParams>,
    ) -> Result<Json<ProductList>, ToolError> {
        Ok(Json(
            self.svc
                .list_products(&self.tenant, p.client_id.as_deref())
                .await?,
        ))
    }
}
