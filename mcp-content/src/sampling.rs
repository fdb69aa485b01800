//! The MCP client's own model as a copy engine, through sampling.
//!
//! Sampling is deprecated by SEP-2577 (and unavailable to 2026-07-28
//! clients), but it is still how a client of the initialize era lends its
//! model; this module is the one place that uses it.
#![allow(deprecated)]

use promptsales_shared::AppError;
use rmcp::model::{CreateMessageRequestParams, SamplingMessage};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};

use crate::llm::{CopyModel, ModelFuture, Turn};

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
            let result = self.peer.create_message(params).await.map_err(|e| {
                // The transport's words stay in the log.
                tracing::warn!(error = %e, "MCP sampling failed");
                AppError::Unavailable(
                    "the client's model did not answer through MCP sampling".into(),
                )
            })?;
            let text = result
                .message
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect::<Vec<_>>()
                .join("");
            Ok((text, crate::llm::Usage::default()))
        })
    }
}
