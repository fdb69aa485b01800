//! PromptAds: campaigns from goal to launch, and their daily performance.

pub mod caps;
pub mod connectors;
pub mod domain;
pub mod mcp;
pub mod readers;
pub mod service;
pub mod store;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `ads` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "ads",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

pub use mcp::AdsServer;
pub use service::AdsService;
