//! The catalog's read path: clients and products for every context that
//! points at them (ads validates ids, content completes names, analytics
//! syncs them). Read-only by construction.

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::delta::{Changed, Watermark, fetch_changed};
use promptsales_shared::domain::{ClientId, Country, Currency, ProductId, TenantId, TimeZone};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::model::{Client, Product};
use crate::plan::{Plan, SubCompany};

/// Reads the clients and products of one database.
#[derive(Clone, Debug)]
pub struct CatalogReader {
    db: Db,
}

pub(crate) fn client_from_row(r: &AnyRow) -> Result<Client, AppError> {
    Ok(Client {
        id: ClientId::from_trusted(r.try_get("id")?),
        name: r.try_get("name")?,
        industry: r.try_get("industry")?,
        country: Country::parse(&r.try_get::<String, _>("country")?)?,
        time_zone: TimeZone::parse(&r.try_get::<String, _>("time_zone")?)
            .map_err(|e| AppError::Internal(format!("stored client time zone: {e}")))?,
    })
}

fn plan_from_row(r: &AnyRow) -> Result<Plan, AppError> {
    let stored = |e: String| AppError::Internal(format!("stored plan: {e}"));
    Ok(Plan {
        id: r.try_get("id")?,
        context: SubCompany::parse(&r.try_get::<String, _>("context")?)
            .map_err(|e| stored(e.to_string()))?,
        name: r.try_get("name")?,
        limits: serde_json::from_str(&r.try_get::<String, _>("limits")?)
            .map_err(|e| stored(e.to_string()))?,
    })
}

pub(crate) fn product_from_row(r: &AnyRow) -> Result<Product, AppError> {
    Ok(Product {
        id: ProductId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        unit_price_cents: r.try_get("unit_price_cents")?,
        currency: Currency::parse(&r.try_get::<String, _>("currency")?)?,
    })
}

impl CatalogReader {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn get_client(&self, tenant: &TenantId, id: &ClientId) -> Result<Client, AppError> {
        let row = sqlx::query(
            "SELECT id, name, industry, country, time_zone FROM clients WHERE tenant_id = $1 AND id = $2",
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
            "SELECT id, name, industry, country, time_zone FROM clients WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(client_from_row).collect()
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
    /// Documented read path for the analytics sync: clients changed after
    /// `after` in `(updated_at, id)` order, at most `limit`.
    pub async fn clients_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Client>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, name, industry, country, time_zone, updated_at FROM clients \
             WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, name, industry, country, time_zone, updated_at FROM clients \
             WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, client_from_row))
            .collect()
    }
    /// Documented read path for the analytics sync: products (with their
    /// currency) changed after `after` in `(updated_at, id)` order.
    pub async fn products_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Product>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, client_id, name, category, unit_price_cents, currency, updated_at \
             FROM products WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, client_id, name, category, unit_price_cents, currency, updated_at \
             FROM products WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, product_from_row))
            .collect()
    }
    /// A plan by id.
    pub async fn plan(&self, tenant: &TenantId, id: &str) -> Result<Option<Plan>, AppError> {
        let row = sqlx::query(
            "SELECT id, context, name, limits FROM plans WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.to_owned())
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(plan_from_row).transpose()
    }

    /// Every plan of the tenant, optionally of one sub-company, by id.
    pub async fn list_plans(
        &self,
        tenant: &TenantId,
        context: Option<SubCompany>,
    ) -> Result<Vec<Plan>, AppError> {
        let rows = sqlx::query(
            "SELECT id, context, name, limits FROM plans \
             WHERE tenant_id = $1 AND ($2 IS NULL OR context = $2) ORDER BY id",
        )
        .bind(tenant.as_str())
        .bind(context.map(|c| c.as_str().to_owned()))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(plan_from_row).collect()
    }

    /// The plan a client is on at one sub-company, if any.
    pub async fn plan_of(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        context: SubCompany,
    ) -> Result<Option<Plan>, AppError> {
        let row = sqlx::query(
            "SELECT p.id, p.context, p.name, p.limits FROM client_plans c \
             JOIN plans p ON p.tenant_id = c.tenant_id AND p.id = c.plan_id \
             WHERE c.tenant_id = $1 AND c.client_id = $2 AND c.context = $3",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(context.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(plan_from_row).transpose()
    }

    /// A client's plan at `context` and its time zone; a client the catalog
    /// does not know has no plan and months in UTC (counted, unlimited).
    pub async fn plan_and_zone(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        context: SubCompany,
    ) -> Result<(Option<Plan>, TimeZone), AppError> {
        match self.get_client(tenant, client).await {
            Ok(c) => Ok((self.plan_of(tenant, client, context).await?, c.time_zone)),
            Err(AppError::NotFound { .. }) => Ok((None, TimeZone::UTC)),
            Err(e) => Err(e),
        }
    }

    /// Row counts per table, for reports and tests.
    pub async fn counts(&self, tenant: &TenantId) -> Result<Vec<(&'static str, i64)>, AppError> {
        Ok(self
            .db
            .tenant_counts(
                tenant.as_str(),
                &[
                    (
                        "clients",
                        "SELECT COUNT(*) FROM clients WHERE tenant_id = $1",
                    ),
                    (
                        "products",
                        "SELECT COUNT(*) FROM products WHERE tenant_id = $1",
                    ),
                ],
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::CatalogWriter;
    use promptsales_shared::db::Db;

    fn client(id: &str, name: &str) -> Client {
        Client {
            id: ClientId::parse(id).unwrap(),
            name: name.into(),
            industry: "retail".into(),
            country: Country::parse("CO").unwrap(),
            time_zone: TimeZone::parse("America/Bogota").unwrap(),
        }
    }

    fn product(id: &str, price: i64) -> Product {
        Product {
            id: ProductId::parse(id).unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            name: "Plan".into(),
            category: "software".into(),
            unit_price_cents: price,
            currency: Currency::parse("COP").unwrap(),
        }
    }

    async fn delta_readers(db: Db) {
        let store = CatalogReader::new(db.clone());
        let writer = CatalogWriter::new(db);
        let t = TenantId::parse("t1").unwrap();
        let other = TenantId::parse("t2").unwrap();
        for id in ["cli_2", "cli_1", "cli_3"] {
            writer.upsert_client(&t, &client(id, "A")).await.unwrap();
        }
        writer
            .upsert_client(&other, &client("cli_9", "Z"))
            .await
            .unwrap();

        // Keyset pages in (updated_at, id) order, strictly after the mark.
        let first = store.clients_changed_since(&t, None, 2).await.unwrap();
        assert_eq!(first.len(), 2);
        let mark = first[1].watermark();
        let rest = store
            .clients_changed_since(&t, Some(&mark), 10)
            .await
            .unwrap();
        assert_eq!(rest.len(), 1);
        let mut seen: Vec<&str> = first.iter().chain(&rest).map(|c| c.id.as_str()).collect();
        seen.sort_unstable();
        assert_eq!(seen, ["cli_1", "cli_2", "cli_3"]);
        assert_eq!(rest[0].row.id.as_str(), rest[0].id);
        let end = rest[0].watermark();
        assert!(
            store
                .clients_changed_since(&t, Some(&end), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // An unchanged upsert is not a change; a real one moves past the mark.
        let unchanged_id = first[0].id.clone();
        writer
            .upsert_client(&t, &client(&unchanged_id, "A"))
            .await
            .unwrap();
        assert!(
            store
                .clients_changed_since(&t, Some(&end), 10)
                .await
                .unwrap()
                .is_empty()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
        writer
            .upsert_client(&t, &client(&unchanged_id, "B"))
            .await
            .unwrap();
        let late = store
            .clients_changed_since(&t, Some(&end), 10)
            .await
            .unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].row.name, "B");

        // Products carry their currency.
        writer
            .upsert_product(&t, &product("prd_1", 100))
            .await
            .unwrap();
        let p = store.products_changed_since(&t, None, 10).await.unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].row, product("prd_1", 100));
        assert!(
            store
                .products_changed_since(&t, Some(&p[0].watermark()), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.products_changed_since(&t, None, 0).await.is_err());
        assert!(
            store
                .products_changed_since(&other, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    async fn plans(db: Db) {
        use crate::plan::{Limit, LimitKind};
        let reader = CatalogReader::new(db.clone());
        let writer = CatalogWriter::new(db);
        let t = TenantId::parse("t1").unwrap();
        writer
            .upsert_client(&t, &client("cli_1", "A"))
            .await
            .unwrap();
        let growth = Plan {
            id: "crm_growth".into(),
            context: SubCompany::Crm,
            name: "Growth".into(),
            limits: vec![Limit {
                kind: LimitKind::LeadsStored,
                value: 10_000,
                currency: None,
            }],
        };
        assert!(writer.upsert_plan(&t, &growth).await.unwrap());
        assert!(!writer.upsert_plan(&t, &growth).await.unwrap(), "unchanged");
        let cli = ClientId::parse("cli_1").unwrap();
        assert_eq!(
            reader.plan_of(&t, &cli, SubCompany::Crm).await.unwrap(),
            None
        );
        writer.assign_plan(&t, &cli, "crm_growth").await.unwrap();
        assert_eq!(
            reader.plan_of(&t, &cli, SubCompany::Crm).await.unwrap(),
            Some(growth.clone())
        );
        assert_eq!(
            reader.plan_of(&t, &cli, SubCompany::Ads).await.unwrap(),
            None
        );
        assert_eq!(
            reader
                .list_plans(&t, Some(SubCompany::Crm))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            reader
                .list_plans(&t, Some(SubCompany::Ads))
                .await
                .unwrap()
                .is_empty()
        );
        let e = writer
            .assign_plan(&t, &cli, "nope")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("plan") && e.contains("nope"), "{e}");
        let stored = reader.get_client(&t, &cli).await.unwrap();
        assert_eq!(stored.time_zone.as_str(), "America/Bogota");
    }

    #[tokio::test]
    async fn plans_are_stored_and_assigned_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            plans(t.db.clone()).await;
            t.cleanup().await;
        }
    }

    #[tokio::test]
    async fn delta_readers_walk_the_keyset_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            delta_readers(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
