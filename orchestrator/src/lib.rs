//! The `promptsales` agent and CLI: migrates every context, seeds and
//! imports data through each context's read crate (never its server),
//! connects to the four MCP servers as their client, runs durable pipelines
//! with approval gates, schedules jobs and plans instructions.

pub mod agenda;
pub mod agent;
pub mod alerts;
pub mod app;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod client;
pub mod dataset;
pub mod demo;
pub mod digest;
pub mod import;
pub mod mcp;
pub mod migrate;
pub mod pipeline;
pub mod rotate;
pub mod scheduler;
pub mod scopes;
pub mod seed;
pub mod stores;
pub mod sync;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `orchestrator` context (agenda, runs, approvals, jobs).
pub static MIGRATIONS: Migrations = Migrations {
    context: "orchestrator",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};
