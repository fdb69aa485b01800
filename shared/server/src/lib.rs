//! The PromptSales server kit: what every MCP server and the agent share on
//! top of the kernel — the one launcher (stdio or streamable HTTP, both
//! protocol eras), toolsets, OAuth bearer tokens, the audited tool call,
//! the mapping of errors to MCP results, start-up, LLM clients,
//! telemetry, Prometheus metrics and trace context.

pub mod app;
pub mod args;
pub mod audit;
pub mod audit_tool;
pub mod auth;
pub mod call;
pub mod error;
pub mod llm;
pub mod metrics;
pub mod server;
pub mod telemetry;
pub mod tls;
pub mod trace;

pub use error::ToolError;
