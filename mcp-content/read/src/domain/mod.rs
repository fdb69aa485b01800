//! Pure types and rules of the content library: no I/O.

mod asset;
pub mod channels;
pub mod copy;
mod fit;
mod rights;

pub use asset::{
    Action, Asset, AssetFormat, AssetId, AssetStatus, AssetVersion, Decision, FieldValue, Language,
    MAX_BODY_CHARS, MAX_TITLE_CHARS, NewAsset, transition,
};
pub use channels::{CHANNELS, Placement};
pub use fit::fit_reasons;
pub use rights::UsageRights;
