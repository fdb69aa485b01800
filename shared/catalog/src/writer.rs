//! The catalog's writer: `promptsales import` and `seed` upsert the
//! agency's clients and products through it.

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;

use crate::model::{Client, Product};

/// Writes the clients and products of one database.
#[derive(Clone, Debug)]
pub struct CatalogWriter {
    db: Db,
}

impl CatalogWriter {
    pub fn new(db: Db) -> Self {
        Self { db }
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
}
