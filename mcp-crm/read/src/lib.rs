//! The crm context as other contexts see it: its schema (migrations and
//! the version readers need), the lead, sale, seller and interaction
//! types, the audience and delta reads mcp-ads and the analytics sync use,
//! and the bulk import writer. No MCP: the server is `mcp-crm`.

pub mod domain;
mod import;
mod reader;
pub mod rows;

pub use import::{CrmImport, INTERACTIONS, LEADS, SALES, SELLERS};
pub use reader::{AttributedRevenue, AudienceCount, AudienceFilter, CrmReader};

use promptsales_shared::db::{Migrations, ReadSchema};
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `crm` context (run only by its owner: `mcp-crm` at
/// start, or `promptsales migrate`).
pub static MIGRATIONS: Migrations = Migrations {
    context: "crm",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// What readers of the crm database need: leads and sales with their delta
/// indexes exist from version 2, the consent ledger and the erasure
/// column the audience queries filter on from 3; later versions
/// (the audit log, 4; the ledger's actors and the verified inbound
/// messages, 5; dedupe per client, client-owned knowledge, assignments and
/// connections, 6) add nothing these queries touch.
pub static SCHEMA: ReadSchema = ReadSchema {
    migrations: &MIGRATIONS,
    min_version: 3,
};

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
}
