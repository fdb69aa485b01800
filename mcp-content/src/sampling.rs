//! The MCP client's own model as a copy engine, through sampling, with the
//! same total timeout as the LLM endpoint and a cap on the answer's size.
//!
//! Sampling is deprecated by SEP-2577 (and unavailable to 2026-07-28
//! clients), but it is still how a client of the initialize era lends its
//! model; this module is the one place that uses it.
#![allow(deprecated)]

use std::time::Duration;

use promptsales_shared::AppError;
use rmcp::model::{CreateMessageRequestParams, SamplingMessage};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};

use crate::llm::{CopyModel, ModelFuture, Turn};

/// Longest wait for the client's model (as for the LLM endpoint).
pub const SAMPLING_TIMEOUT: Duration = promptsales_server::llm::REQUEST_TIMEOUT;
/// Largest answer accepted from the client's model, in bytes.
pub const MAX_SAMPLING_BYTES: usize = 1024 * 1024;

/// The MCP client's own model, through sampling, when the client offers it.
pub struct ClientModel {
    peer: Peer<RoleServer>,
    name: String,
}

impl ClientModel {
    /// The client's model, if it declared the sampling capability.
    pub fn of(ctx: &RequestContext<RoleServer>) -> Option<Self> {
        let info = ctx.peer.peer_info()?;
        info.capabilities.sampling.as_ref()?;
        Some(Self {
            peer: ctx.peer.clone(),
            name: info.client_info.name.clone(),
        })
    }
}

impl CopyModel for ClientModel {
    fn id(&self) -> String {
        format!("sampling|{}", self.name)
    }

    fn engine(&self) -> &'static str {
        "sampling"
    }

    fn ask<'a>(&'a self, system: &'a str, turns: &'a [Turn]) -> ModelFuture<'a> {
        Box::pin(async move {
            let messages = turns
                .iter()
                .map(|t| {
                    if t.assistant {
                        SamplingMessage::assistant_text(t.text.clone())
                    } else {
                        SamplingMessage::user_text(t.text.clone())
                    }
                })
                .collect();
            // No tool calls through sampling: the JSON comes back as text.
            let system = format!(
                "{system}\n\nInstead of calling write_copy, reply with only its JSON argument \
                 (no prose, no code fence), matching this JSON Schema: {}",
                crate::llm::schema()
            );
            let params = CreateMessageRequestParams::new(messages, 4000).with_system_prompt(system);
            #[allow(deprecated)]
            let asked = self.peer.create_message(params);
            let result = tokio::time::timeout(SAMPLING_TIMEOUT, asked)
                .await
                .map_err(|_| {
                    tracing::warn!("MCP sampling timed out");
                    AppError::Unavailable(format!(
                        "the client's model did not answer through MCP sampling within {} s",
                        SAMPLING_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(|e| {
                    // The transport's words stay in the log.
                    tracing::warn!(error = %e, "MCP sampling failed");
                    AppError::Unavailable(
                        "the client's model did not answer through MCP sampling".into(),
                    )
                })?;
            let mut text = String::new();
            for t in result.message.content.iter().filter_map(|c| c.as_text()) {
                if text.len() + t.text.len() > MAX_SAMPLING_BYTES {
                    tracing::warn!(
                        limit = MAX_SAMPLING_BYTES,
                        "MCP sampling answer over the cap"
                    );
                    return Err(AppError::Unavailable(format!(
                        "the client's model answered with more than {} (the limit)",
                        crate::http::human_bytes(MAX_SAMPLING_BYTES)
                    )));
                }
                text.push_str(&t.text);
            }
            Ok((text, crate::llm::Usage::default()))
        })
    }
}
