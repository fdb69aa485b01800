//! Money as a person reads it: the kernel's formatting
//! (`promptsales_shared::domain::format_money`), re-exported for the views.

pub use promptsales_shared::domain::{display_decimals, format_money};
