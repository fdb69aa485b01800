//! PromptContent: channel copy, art direction, SEO and the asset library,
//! with versions, approval and usage rights. The library's schema, domain
//! types and read path live in `content-read`; this crate is the service,
//! the MCP layer and the binary.

pub mod config;
pub mod domain;
pub mod http;
pub mod llm;
pub mod mcp;
pub mod sampling;
pub mod service;
pub mod store;

/// Migrations of the `content` context (owned by this server).
pub use content_read::MIGRATIONS;

pub use mcp::ContentServer;
pub use service::ContentService;
