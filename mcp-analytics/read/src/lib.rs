//! The analytics context as other contexts see it: the warehouse's schema
//! (so `promptsales migrate` can migrate it without linking the analytics
//! server) and how fresh the warehouse is. No MCP: the server is
//! `mcp-analytics`.

pub mod fx;

pub use fx::{FxRate, currencies_in_use, fx_rates_for, last_rate_date, upsert_fx_rates};

use promptsales_shared::AppError;
use promptsales_shared::db::{Db, Migrations, ReadSchema};
use promptsales_shared::domain::TenantId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `analytics` context (run only by its owner:
/// `mcp-analytics` at start, or `promptsales migrate`).
pub static MIGRATIONS: Migrations = Migrations {
    context: "analytics",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// What [`freshness`] needs: `wh_state` exists from version 2; the audit
/// log of version 3 and the plan usage counters of version 4 are the
/// owner's alone.
pub static SCHEMA: ReadSchema = ReadSchema {
    migrations: &MIGRATIONS,
    min_version: 2,
};

/// How fresh the warehouse is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Freshness {
    /// When the last sync finished (RFC 3339), if ever.
    pub last_synced_at: Option<String>,
    /// Bumped by every sync that changed data.
    pub data_version: i64,
}

/// The tenant's warehouse version and last sync: version 0 and no sync
/// before the first one.
pub async fn freshness(warehouse: &Db, tenant: &TenantId) -> Result<Freshness, AppError> {
    let row = sqlx::query("SELECT data_version, last_synced_at FROM wh_state WHERE tenant_id = $1")
        .bind(tenant.as_str())
        .fetch_optional(warehouse.pool())
        .await?;
    match row {
        None => Ok(Freshness {
            last_synced_at: None,
            data_version: 0,
        }),
        Some(r) => Ok(Freshness {
            last_synced_at: r.try_get("last_synced_at")?,
            data_version: r.try_get("data_version")?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use promptsales_shared::db::Backend;

    use super::*;

    #[test]
    fn both_backends_ship_the_same_versions() {
        assert_eq!(
            MIGRATIONS.versions(Backend::Sqlite),
            MIGRATIONS.versions(Backend::Postgres)
        );
        assert!(SCHEMA.min_version <= MIGRATIONS.latest());
    }

    #[tokio::test]
    async fn a_warehouse_never_synced_is_version_zero() {
        let tenant = TenantId::parse("acme").unwrap();
        for t in promptsales_shared::testing::backends(&MIGRATIONS)
            .await
            .unwrap()
        {
            let f = freshness(&t.db, &tenant).await.unwrap();
            assert_eq!(
                (f.data_version, f.last_synced_at),
                (0, None),
                "{}",
                t.label()
            );
            sqlx::query(
                "INSERT INTO wh_state (tenant_id, data_version, last_synced_at) \
                 VALUES ($1, 3, '2026-11-15T10:00:00.000000Z')",
            )
            .bind(tenant.as_str())
            .execute(t.db.pool())
            .await
            .unwrap();
            let f = freshness(&t.db, &tenant).await.unwrap();
            assert_eq!(f.data_version, 3);
            assert_eq!(
                f.last_synced_at.as_deref(),
                Some("2026-11-15T10:00:00.000000Z")
            );
            t.cleanup().await;
        }
    }
}
