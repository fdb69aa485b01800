//! Pure types and rules of analytics: the semantic model, the query spec and
//! its validation, time ranges, and the natural-language parser.

pub mod nl;
pub mod period;
pub mod semantic;
pub mod spec;
