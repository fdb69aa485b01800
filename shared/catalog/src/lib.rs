//! The `core` context: the agency's clients (with their time zones), their
//! products and their subscription plans at each sub-company, the
//! reference data every sub-company points at. Owned (migrated) by
//! `promptsales migrate` and the agent's own commands; servers read it
//! through [`CatalogReader`] after checking its version ([`SCHEMA`]).

pub mod model;
pub mod plan;
mod reader;
mod writer;

use promptsales_shared::db::{Migrations, ReadSchema};
use sqlx::migrate::Migrator;

pub use model::{Client, Product};
pub use plan::{Limit, LimitKind, Meter, Plan, QuotaCheck, SubCompany, Usage, UsageLine};
pub use reader::CatalogReader;
pub use writer::CatalogWriter;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `core` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "core",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// What [`CatalogReader`]'s queries need: time zones and plans (version 3).
pub static SCHEMA: ReadSchema = ReadSchema {
    migrations: &MIGRATIONS,
    min_version: 3,
};
