//! The content context as other contexts see it: its schema (migrations and
//! the version readers need), the asset library's domain types, and the
//! documented read paths, [`AssetReader::usability`],
//! [`AssetReader::summary`] and [`AssetReader::copy`] (the whole copy a
//! launch builds ads from). No MCP code.

pub mod domain;
mod reader;
pub mod rows;

use promptsales_shared::db::{Migrations, ReadSchema};
use sqlx::migrate::Migrator;

pub use reader::{AssetCopy, AssetReader, AssetSummary, AssetUsability, EXCERPT_CHARS, excerpt};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `content` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "content",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// What [`AssetReader`]'s queries need: the placement, fields and decision
/// columns of version 2.
pub static SCHEMA: ReadSchema = ReadSchema {
    migrations: &MIGRATIONS,
    min_version: 2,
};
