//! PromptCRM: leads, their interactions, sellers and closed sales. The
//! schema, the shared types and the read paths of other contexts are in
//! `crm-read`; this crate is the server: service, store, MCP layer, the
//! WhatsApp connector and webhook, and the `rotate-key` command.

pub mod connector;
#[cfg(test)]
mod fake_graph;
pub use promptsales_shared::crypto;
pub mod domain;
pub mod mcp;
pub mod rotate;
mod sentiment;
pub mod service;
pub mod store;
pub mod templates;
pub mod webhook;

pub use mcp::CrmServer;
pub use service::CrmService;
