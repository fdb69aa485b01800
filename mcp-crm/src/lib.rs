//! PromptCRM: leads, their interactions, sellers and closed sales.

pub mod connector;
pub mod crypto;
pub mod domain;
pub mod mcp;
pub mod read;
mod sentiment;
pub mod service;
#[cfg(test)]
mod service_tests;
mod sql;
pub mod store;
pub mod webhook;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `crm` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "crm",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

pub use mcp::CrmServer;
pub use service::CrmService;
