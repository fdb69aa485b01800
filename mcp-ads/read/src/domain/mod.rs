//! The ads types other contexts share: campaigns and their daily delivery.

mod campaign;
mod performance;

pub use campaign::{Campaign, CampaignId, CampaignStatus, Objective};
pub use performance::AdDaily;
