//! Pure types and rules of the ads context: no I/O.

pub mod benchmarks;
pub mod budget;
mod campaign;
pub mod generate;
pub mod metrics;
pub mod optimize;
mod performance;
pub mod plan;

pub use campaign::{Campaign, CampaignId, CampaignStatus, Objective};
pub use performance::AdDaily;
