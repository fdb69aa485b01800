//! PromptSales portal data: the warehouse, its delta pipeline and its questions.

pub mod mcp;
pub mod service;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `analytics` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "analytics",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

pub use mcp::AnalyticsServer;
pub use service::AnalyticsService;
