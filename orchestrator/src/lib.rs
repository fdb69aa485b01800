//! The `promptsales` agent and CLI: seeds and imports data through each
//! context's repositories, and (as it grows) chains the four MCP servers.

pub mod bench;
pub mod dataset;
pub mod import;
pub mod seed;
pub mod stores;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `orchestrator` context (agenda, runs).
pub static MIGRATIONS: Migrations = Migrations {
    context: "orchestrator",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};
