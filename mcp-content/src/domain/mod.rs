//! Pure types and rules of the content context: no I/O. The asset library's
//! types, the channel table and the fit rules live in `content-read` (other
//! contexts read them) and are re-exported here.

pub mod brand;
pub mod brief;
pub mod copy;
pub mod defects;
pub mod offline;
pub mod seo;
pub mod visual;
pub mod words;

pub use content_read::domain::channels;
pub use content_read::domain::{
    Action, Asset, AssetFormat, AssetId, AssetStatus, AssetVersion, CHANNELS, Decision, FieldValue,
    Language, MAX_BODY_CHARS, MAX_TITLE_CHARS, NewAsset, Placement, UsageRights, fit_reasons,
    transition,
};
