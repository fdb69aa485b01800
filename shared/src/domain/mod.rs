//! Vocabulary every bounded context speaks: ids, channels, countries, money.

mod channel;
mod country;
mod ids;
mod money;
mod time_zone;

pub use channel::Channel;
pub use country::{COUNTRY_NAMES, Country};
pub use ids::{ClientId, ProductId, TenantId, validate_id};
pub use money::{Currency, Money, display_decimals, format_cents, format_money, parse_cents};
pub use time_zone::TimeZone;

/// A required, trimmed, bounded free-text field.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, crate::AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(crate::AppError::invalid(
            field,
            format!("non-empty text of at most {max} characters"),
            value,
        ));
    }
    Ok(v.to_owned())
}

/// Parses a value of a closed vocabulary, naming the field and the allowed
/// values when it fails. Every enum of the data model goes through this.
pub trait Vocabulary: Sized + Copy + 'static {
    /// Every member, in canonical order.
    const ALL: &'static [Self];
    /// The canonical, lower-case wire name.
    fn as_str(self) -> &'static str;

    fn parse_field(field: &str, value: &str) -> Result<Self, crate::AppError> {
        let wanted = value.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == wanted)
            .ok_or_else(|| {
                crate::AppError::invalid(
                    field,
                    format!(
                        "one of {}",
                        Self::ALL
                            .iter()
                            .map(|m| m.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    value,
                )
            })
    }
}

/// Declares a closed vocabulary enum with its wire names, `Display`,
/// `FromStr`, serde, and a JSON Schema that is an inline string `enum` of
/// the wire names (so a tool's input schema lists the allowed values where
/// the argument is, without a `$ref`). Deserialising ignores case and
/// surrounding spaces, like [`Vocabulary::parse_field`].
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $vis:vis enum $name:ident ($field:literal) { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        $vis enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "enum": [$($wire),+]
                })
            }
        }
        impl $crate::domain::Vocabulary for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }
        }
        impl $name {
            /// The canonical wire name.
            pub fn as_str(self) -> &'static str {
                <Self as $crate::domain::Vocabulary>::as_str(self)
            }
            /// Parses the wire name, or says which values are allowed.
            pub fn parse(value: &str) -> Result<Self, $crate::AppError> {
                <Self as $crate::domain::Vocabulary>::parse_field($field, value)
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::AppError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

/// A page of results with an opaque cursor for the next one.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Page size: default 50, at most 500.
pub fn page_limit(limit: Option<u32>) -> Result<i64, crate::AppError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(i64::from(n)),
        Some(n) => Err(crate::AppError::invalid(
            "limit",
            "a page size from 1 to 500",
            n.to_string(),
        )),
    }
}
