//! The ads context as other contexts see it: its schema (migrations and
//! the version readers need), the campaign and delivery types, the delta
//! and reference reads the analytics sync and the importers use, and the
//! bulk import writer. No MCP: the server is `mcp-ads`.

pub mod domain;
mod import;
mod reader;
pub mod rows;

pub use import::{AD_DAILY, AdsImport, CAMPAIGNS};
pub use reader::{AdsReader, CampaignRef};

use promptsales_shared::db::{Migrations, ReadSchema};
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `ads` context (run only by its owner: `mcp-ads` at
/// start, or `promptsales migrate`).
pub static MIGRATIONS: Migrations = Migrations {
    context: "ads",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// What readers of the ads database need: the campaign and `ad_daily`
/// tables with their delta indexes exist from version 2 and the list
/// indexes from 4; later versions (the audit log, 5; editors and launch
/// claims, 6; clients' connections, publications' connection and creative
/// waivers, 7) add nothing these queries touch.
pub static SCHEMA: ReadSchema = ReadSchema {
    migrations: &MIGRATIONS,
    min_version: 4,
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
