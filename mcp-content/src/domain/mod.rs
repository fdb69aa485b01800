//! Pure types and rules of the content context: no I/O.

mod asset;
mod fit;
mod rights;

pub use asset::{
    Asset, AssetFormat, AssetId, AssetStatus, AssetVersion, Language, MAX_BODY_CHARS,
    MAX_TITLE_CHARS, NewAsset,
};
pub use fit::fit_reasons;
pub use rights::UsageRights;
