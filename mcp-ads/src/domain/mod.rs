//! Pure types and rules of the ads context: no I/O. Campaigns and daily
//! delivery are shared with other contexts through `ads-read`.

pub mod benchmarks;
pub mod budget;
pub mod display;
pub mod economics;
pub mod forecast;
pub mod generate;
pub mod goal;
pub mod metrics;
pub mod optimize;
pub mod plan;

pub use ads_read::domain::{AdDaily, Campaign, CampaignId, CampaignStatus, Objective};
