//! The PromptSales shared kernel: configuration, databases and their
//! migrations, the cache, errors, time, the audit writer and the common
//! vocabulary. It knows no server's tables and links no MCP code, so the
//! read crates of every context can depend on it.

pub mod audit;
pub mod bench;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod db;
pub mod delta;
pub mod domain;
pub mod error;
pub mod redact;
pub mod scope;
pub mod sql;
pub mod testing;
pub mod time;

pub use error::AppError;
