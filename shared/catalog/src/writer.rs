//! The catalog's writer: `promptsales import` and `seed` upsert the
//! agency's clients and products through it.

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;

use promptsales_shared::domain::ClientId;

use crate::model::{Client, Product};
use crate::plan::Plan;

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
            "INSERT INTO clients (tenant_id, id, name, industry, country, time_zone, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
             ON CONFLICT (tenant_id, id) DO UPDATE SET
               name = excluded.name, industry = excluded.industry,
               country = excluded.country, time_zone = excluded.time_zone,
               updated_at = excluded.updated_at
             WHERE clients.name <> excluded.name OR clients.industry <> excluded.industry
                OR clients.country <> excluded.country OR clients.time_zone <> excluded.time_zone",
        )
        .bind(tenant.as_str())
        .bind(c.id.as_str())
        .bind(&c.name)
        .bind(&c.industry)
        .bind(c.country.as_str())
        .bind(&now)
        .bind(c.time_zone.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Inserts or replaces a plan (validated); returns whether it changed.
    pub async fn upsert_plan(&self, tenant: &TenantId, p: &Plan) -> Result<bool, AppError> {
        p.validate()?;
        let limits = serde_json::to_string(&p.limits)
            .map_err(|e| AppError::Internal(format!("encode plan limits: {e}")))?;
        let r = sqlx::query(
            "INSERT INTO plans (tenant_id, id, context, name, limits, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (tenant_id, id) DO UPDATE SET
               context = excluded.context, name = excluded.name, limits = excluded.limits,
               updated_at = excluded.updated_at
             WHERE plans.context <> excluded.context OR plans.name <> excluded.name
                OR plans.limits <> excluded.limits",
        )
        .bind(tenant.as_str())
        .bind(p.id.clone())
        .bind(p.context.as_str())
        .bind(p.name.clone())
        .bind(limits)
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Puts a client on a plan of the plan's sub-company (replacing the one
    /// it had there).
    pub async fn assign_plan(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        plan_id: &str,
    ) -> Result<(), AppError> {
        let reader = crate::CatalogReader::new(self.db.clone());
        let plan = reader
            .plan(tenant, plan_id)
            .await?
            .ok_or_else(|| AppError::not_found("plan", plan_id))?;
        if !reader.client_exists(tenant, client).await? {
            return Err(AppError::not_found("client", client.as_str()));
        }
        sqlx::query(
            "INSERT INTO client_plans (tenant_id, client_id, context, plan_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (tenant_id, client_id, context) DO UPDATE SET
               plan_id = excluded.plan_id, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(plan.context.as_str())
        .bind(plan.id)
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        Ok(())
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
