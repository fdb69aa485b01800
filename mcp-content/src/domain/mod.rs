//! Pure types and rules of the content context: no I/O.

mod asset;
pub mod brand;
pub mod brief;
pub mod channels;
pub mod copy;
mod fit;
pub mod offline;
mod rights;
pub mod seo;
pub mod visual;

pub use asset::{
    Action, Asset, AssetFormat, AssetId, AssetStatus, AssetVersion, Decision, FieldValue, Language,
    MAX_BODY_CHARS, MAX_TITLE_CHARS, NewAsset, transition,
};
pub use channels::{CHANNELS, Placement};
pub use fit::fit_reasons;
pub use rights::UsageRights;
