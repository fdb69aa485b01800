//! The `core` bounded context of the shared kernel: the agency's clients and
//! their products (reference data every sub-company points at) and the audit
//! log every server writes.

pub mod audit;
pub mod model;
pub mod store;

use sqlx::migrate::Migrator;

use crate::db::Migrations;

static SQLITE: Migrator = sqlx::migrate!("./migrations/core/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/core/postgres");

/// Migrations of the `core` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "core",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};
