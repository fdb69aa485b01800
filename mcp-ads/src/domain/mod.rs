//! Pure types and rules of the ads context: no I/O.

mod campaign;
mod performance;

pub use campaign::{Campaign, CampaignId, CampaignStatus, Objective};
pub use performance::AdDaily;
