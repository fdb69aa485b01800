//! String identifiers: imported data keeps its own ids, so ids are validated
//! strings rather than integers.

use crate::AppError;

/// An id is 1–64 characters of letters, digits, `_`, `-`, `.` or `:`; this
/// keeps ids safe to print, to log and to put in URLs.
pub fn validate_id(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(AppError::invalid(
            field,
            "an id of 1-64 characters: letters, digits, '_', '-', '.' or ':'",
            value,
        ))
    }
}

/// Declares a string id newtype that validates on parse.
#[macro_export]
macro_rules! string_id {
    ($(#[$meta:meta])* $vis:vis struct $name:ident($field:literal, $prefix:literal);) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        $vis struct $name(String);
        impl $name {
            /// Conventional prefix of generated ids.
            pub const PREFIX: &'static str = $prefix;
            pub fn parse(value: &str) -> Result<Self, $crate::AppError> {
                $crate::domain::validate_id($field, value).map(Self)
            }
            /// Wraps a value already validated (read back from our own tables).
            pub fn from_trusted(value: String) -> Self {
                Self(value)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id! {
    /// The agency account every row belongs to.
    pub struct TenantId("tenant", "");
}
string_id! {
    /// One of the agency's customers.
    pub struct ClientId("client_id", "cli_");
}
string_id! {
    /// A product a client sells.
    pub struct ProductId("product_id", "prd_");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_and_checked() {
        assert_eq!(ClientId::parse(" cli_001 ").unwrap().as_str(), "cli_001");
        let err = ClientId::parse("bad id; drop").unwrap_err().to_string();
        assert!(err.contains("client_id"), "{err}");
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse(&"x".repeat(65)).is_err());
    }
}
