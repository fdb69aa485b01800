//! ISO-3166 alpha-2 country codes, with English and Spanish names for the
//! markets the agency works in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::AppError;

/// Every officially assigned ISO-3166-1 alpha-2 code.
const ISO_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ \
UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// (code, English name, Spanish name) for the markets PromptSales serves;
/// the natural-language layer matches these (accents ignored).
pub const COUNTRY_NAMES: &[(&str, &str, &str)] = &[
    ("AR", "Argentina", "Argentina"),
    ("BO", "Bolivia", "Bolivia"),
    ("BR", "Brazil", "Brasil"),
    ("CA", "Canada", "Canadá"),
    ("CL", "Chile", "Chile"),
    ("CO", "Colombia", "Colombia"),
    ("CR", "Costa Rica", "Costa Rica"),
    ("CU", "Cuba", "Cuba"),
    ("DE", "Germany", "Alemania"),
    ("DO", "Dominican Republic", "República Dominicana"),
    ("EC", "Ecuador", "Ecuador"),
    ("ES", "Spain", "España"),
    ("FR", "France", "Francia"),
    ("GB", "United Kingdom", "Reino Unido"),
    ("GT", "Guatemala", "Guatemala"),
    ("HN", "Honduras", "Honduras"),
    ("IT", "Italy", "Italia"),
    ("MX", "Mexico", "México"),
    ("NI", "Nicaragua", "Nicaragua"),
    ("PA", "Panama", "Panamá"),
    ("PE", "Peru", "Perú"),
    ("PR", "Puerto Rico", "Puerto Rico"),
    ("PT", "Portugal", "Portugal"),
    ("PY", "Paraguay", "Paraguay"),
    ("SV", "El Salvador", "El Salvador"),
    ("US", "United States", "Estados Unidos"),
    ("UY", "Uruguay", "Uruguay"),
    ("VE", "Venezuela", "Venezuela"),
];

/// An ISO-3166 alpha-2 code, upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// Parses a code (any case), naming `field` when it is not an ISO code.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, AppError> {
        let code = value.trim().to_ascii_uppercase();
        let known = code.len() == 2 && ISO_ALPHA2.split(' ').any(|c| c == code);
        if !known {
            return Err(AppError::invalid(
                field,
                "an ISO-3166 alpha-2 country code such as CO, MX, US or ES",
                value,
            ));
        }
        let b = code.as_bytes();
        Ok(Country([b[0], b[1]]))
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        Self::parse_field("country", value)
    }

    pub fn as_str(&self) -> &str {
        // Always two ASCII letters: checked at construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// English name where known, else the code.
    pub fn name_en(&self) -> &str {
        COUNTRY_NAMES
            .iter()
            .find(|(c, _, _)| *c == self.as_str())
            .map(|(_, en, _)| *en)
            .unwrap_or_else(|| self.as_str())
    }

    /// Spanish name where known, else the code.
    pub fn name_es(&self) -> &str {
        COUNTRY_NAMES
            .iter()
            .find(|(c, _, _)| *c == self.as_str())
            .map(|(_, _, es)| *es)
            .unwrap_or_else(|| self.as_str())
    }
}

impl TryFrom<String> for Country {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Country::parse(&value)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

impl schemars::JsonSchema for Country {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Country".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z]{2}$",
            "description": "ISO-3166 alpha-2 country code, e.g. CO, MX, US, ES"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_iso_codes_in_any_case() {
        assert_eq!(Country::parse("co").unwrap().as_str(), "CO");
        assert_eq!(Country::parse(" MX ").unwrap().name_es(), "México");
    }

    #[test]
    fn rejects_names_and_unknown_codes() {
        for bad in ["Colombia", "XX", "C", ""] {
            let err = Country::parse(bad).unwrap_err().to_string();
            assert!(err.contains("ISO-3166"), "{err}");
        }
    }

    #[test]
    fn every_named_country_is_a_valid_code() {
        for (code, _, _) in COUNTRY_NAMES {
            assert!(Country::parse(code).is_ok(), "{code}");
        }
    }
}
