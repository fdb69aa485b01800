//! IANA time zones (through `chrono-tz`): each client's schedules, digests
//! and month boundaries are in its own zone.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::Country;
use crate::AppError;

/// An IANA time zone such as `America/Bogota`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::UTC);

    /// Parses an IANA name, naming `field` when it is not one.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, AppError> {
        value
            .trim()
            .parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| {
                AppError::invalid(
                    field,
                    "an IANA time zone such as America/Bogota or Europe/Madrid",
                    value,
                )
            })
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        Self::parse_field("time_zone", value)
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    /// The zone most of a country's people live in: the default for a
    /// client until one is set (countries not listed get UTC).
    pub fn of_country(country: Country) -> TimeZone {
        use chrono_tz::*;
        TimeZone(match country.as_str() {
            "AR" => America::Argentina::Buenos_Aires,
            "BO" => America::La_Paz,
            "BR" => America::Sao_Paulo,
            "CA" => America::Toronto,
            "CL" => America::Santiago,
            "CO" => America::Bogota,
            "CR" => America::Costa_Rica,
            "CU" => America::Havana,
            "DE" => Europe::Berlin,
            "DO" => America::Santo_Domingo,
            "EC" => America::Guayaquil,
            "ES" => Europe::Madrid,
            "FR" => Europe::Paris,
            "GB" => Europe::London,
            "GT" => America::Guatemala,
            "HN" => America::Tegucigalpa,
            "IT" => Europe::Rome,
            "MX" => America::Mexico_City,
            "NI" => America::Managua,
            "PA" => America::Panama,
            "PE" => America::Lima,
            "PR" => America::Puerto_Rico,
            "PT" => Europe::Lisbon,
            "PY" => America::Asuncion,
            "SV" => America::El_Salvador,
            "US" => America::New_York,
            "UY" => America::Montevideo,
            "VE" => America::Caracas,
            _ => UTC,
        })
    }
}

impl std::fmt::Display for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for TimeZone {
    type Error = AppError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TimeZone> for String {
    fn from(t: TimeZone) -> String {
        t.as_str().to_owned()
    }
}

impl schemars::JsonSchema for TimeZone {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An IANA time zone, e.g. America/Bogota",
            "examples": ["America/Bogota", "America/Mexico_City", "Europe/Madrid"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_parse_and_countries_have_their_zone() {
        assert_eq!(
            TimeZone::parse("America/Bogota").unwrap().as_str(),
            "America/Bogota"
        );
        let e = TimeZone::parse("Mars/Olympus").unwrap_err().to_string();
        assert!(e.contains("time_zone") && e.contains("IANA"), "{e}");
        let co = Country::parse("CO").unwrap();
        assert_eq!(TimeZone::of_country(co).as_str(), "America/Bogota");
        let v: TimeZone = serde_json::from_str("\"Europe/Madrid\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"Europe/Madrid\"");
    }
}
