//! Use cases of the analytics context.

use promptsales_shared::AppError;
use promptsales_shared::catalog::model::{Client, Product};
use promptsales_shared::catalog::store::CatalogStore;
use promptsales_shared::domain::{ClientId, TenantId};
use serde::Serialize;

/// Every client of the tenant.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClientList {
    pub clients: Vec<Client>,
}

/// Products of the tenant, or of one client.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProductList {
    pub products: Vec<Product>,
}

/// The analytics use cases. The catalogue (clients, products) is read
/// through the `core` context's documented read path.
#[derive(Clone, Debug)]
pub struct AnalyticsService {
    catalog: CatalogStore,
}

impl AnalyticsService {
    pub fn new(catalog: CatalogStore) -> Self {
        Self { catalog }
    }

    pub fn catalog(&self) -> &CatalogStore {
        &self.catalog
    }

    pub async fn list_clients(&self, tenant: &TenantId) -> Result<ClientList, AppError> {
        Ok(ClientList {
            clients: self.catalog.list_clients(tenant).await?,
        })
    }

    /// Products by id; with `client_id`, only that client's, and an unknown
    /// client is reported as not found rather than as an empty list.
    pub async fn list_products(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
    ) -> Result<ProductList, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        if let Some(c) = &client
            && !self.catalog.client_exists(tenant, c).await?
        {
            return Err(AppError::not_found("client", c.as_str()));
        }
        Ok(ProductList {
            products: self.catalog.list_products(tenant, client.as_ref()).await?,
        })
    }
}
