//! The PromptSales shared kernel: configuration, databases, cache, LLM access,
//! telemetry, errors, the common vocabulary and the one server launcher.

pub mod app;
pub mod auth;
pub mod bench;
pub mod cache;
pub mod catalog;
pub mod config;
pub mod db;
pub mod delta;
pub mod domain;
pub mod error;
pub mod llm;
pub mod server;
pub mod telemetry;
pub mod testing;
pub mod time;

pub use error::AppError;
