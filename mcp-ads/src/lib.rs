//! PromptAds: campaigns from goal to launch, and their daily performance.
//! The schema, the shared types and the read API other contexts use live
//! in `ads-read`; this crate is the service, the platform connectors, the
//! MCP layer and the binary.

pub mod caps;
pub mod connectors;
pub mod domain;
pub mod mcp;
pub mod readers;
pub mod service;
pub mod store;
pub mod webhook;

pub use mcp::AdsServer;
pub use service::AdsService;
