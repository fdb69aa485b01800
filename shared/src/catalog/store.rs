//! Repository of the `core` context: clients and products.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::model::{Client, Product};
use crate::AppError;
use crate::db::Db;
use crate::domain::{ClientId, Country, Currency, ProductId, TenantId};
use crate::time::now_ts;

/// Clients and products of one tenant.
#[derive(Clone, Debug)]
pub struct CatalogStore {
    db: Db,
}

fn client_from_row(r: &AnyRow) -> Result<Client, AppError> {
    Ok(Client {
        id: ClientId::from_trusted(r.try_get("id")?),
        name: r.try_get("name")?,
        industry: r.try_get("industry")?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
    })
}

fn product_from_row(r: &AnyRow) -> Result<Product, AppError> {
    Ok(Product {
        id: ProductId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        unit_price_cents: r.try_get("unit_price_cents")?,
        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
    })
}

impl CatalogStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Inserts or updates by id; returns whether a row changed.
    pub async fn upsert_client(&self, tenant: &TenantId, c: &Client) -> Result<bool, AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO clients (tenant_id, id, name, industry, country, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (tenant_id, id) DO UPDATE SET
               name = excluded.name, industry = excluded.industry,
               country = excluded.country, updated_at = excluded.updated_at
             WHERE clients.name <> excluded.name OR clients.industry <> excluded.industry
                OR clients.country <> excluded.country",
        )
        .bind(tenant.as_str())
        .bind(c.id.as_str())
        .bind(&c.name)
        .bind(&c.industry)
        .bind(c.country.as_str())
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn get_client(&self, tenant: &TenantId, id: &ClientId) -> Result<Client, AppError> {
        let row = sqlx::query(
            "SELECT id, name, industry, country FROM clients WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("client", id.as_str()))?;
        client_from_row(&row)
    }

    pub async fn client_exists(&self, tenant: &TenantId, id: &ClientId) -> Result<bool, AppError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM clients WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(id.as_str())
                .fetch_one(self.db.pool())
                .await?;
        Ok(n > 0)
    }

    pub async fn list_clients(&self, tenant: &TenantId) -> Result<Vec<Client>, AppError> {
        let rows = sqlx::query(
            "SELECT id, name, industry, country FROM clients WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(client_from_row).collect()
    }

    pub async fn upsert_product(&self, tenant: &TenantId, p: &Product) -> Result<bool, AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO products (tenant_id, id, client_id, name, category, unit_price_cents,
                                   currency, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             ON CONFLICT (tenant_id, id) DO UPDATE SET
               client_id = excluded.client_id, name = excluded.name,
               category = excluded.category, unit_price_cents = excluded.unit_price_cents,
               currency = excluded.currency, updated_at = excluded.updated_at
             WHERE products.client_id <> excluded.client_id OR products.name <> excluded.name
                OR products.category <> excluded.category
                OR products.unit_price_cents <> excluded.unit_price_cents
                OR products.currency <> excluded.currency",
        )
        .bind(tenant.as_str())
        .bind(p.id.as_str())
        .bind(p.client_id.as_str())
        .bind(&p.name)
        .bind(&p.category)
        .bind(p.unit_price_cents)
        .bind(p.currency.as_str())
        .bind(&now)
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn get_product(
        &self,
        tenant: &TenantId,
        id: &ProductId,
    ) -> Result<Product, AppError> {
        let row = sqlx::query(
            "SELECT id, client_id, name, category, unit_price_cents, currency
             FROM products WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("product", id.as_str()))?;
        product_from_row(&row)
    }

    pub async fn list_products(
        &self,
        tenant: &TenantId,
        client: Option<&ClientId>,
    ) -> Result<Vec<Product>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, name, category, unit_price_cents, currency
             FROM products WHERE tenant_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER BY id",
        )
        .bind(tenant.as_str())
        .bind(client.map(|c| c.as_str().to_owned()))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(product_from_row).collect()
    }

    /// Row counts per table, for reports and tests.
    pub async fn counts(&self, tenant: &TenantId) -> Result<Vec<(&'static str, i64)>, AppError> {
        let mut out = Vec::new();
        for (name, sql) in [
            (
                "clients",
                "SELECT COUNT(*) FROM clients WHERE tenant_id = $1",
            ),
            (
                "products",
                "SELECT COUNT(*) FROM products WHERE tenant_id = $1",
            ),
        ] {
            let n: i64 = sqlx::query_scalar(sql)
                .bind(tenant.as_str())
                .fetch_one(self.db.pool())
                .await?;
            out.push((name, n));
        }
        Ok(out)
    }
}
