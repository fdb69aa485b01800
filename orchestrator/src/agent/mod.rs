//! The agent: instructions in English or Spanish become tool calls and pipeline runs, planned deterministically or by an OpenAI-compatible model over the discovered tools.

pub mod confirm;
pub mod llm;
pub mod planner;
