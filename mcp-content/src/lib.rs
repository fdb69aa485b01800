//! PromptContent: the asset library, with versions, approval and usage rights.

pub mod config;
pub mod domain;
pub mod llm;
pub mod mcp;
pub mod read;
pub mod sampling;
pub mod service;
pub mod store;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `content` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "content",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

pub use mcp::ContentServer;
pub use service::ContentService;
