//! Phone numbers through libphonenumber (the `phonenumber` crate): every
//! national or international way of writing a number of a served market
//! becomes one valid E.164 number, or an `invalid `phone`` error. On top of
//! the library, the written forms its current metadata no longer strips:
//! `00` + country code (written like `+`), and Mexico's retired dialling
//! prefixes (`044`/`045` before a mobile, `01` long distance, the `1` after
//! `+52`), which people and old forms still use.

use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::{Mode, PhoneNumber};
use promptsales_shared::AppError;
use promptsales_shared::domain::Country;

/// Longest phone input we look at (formatting included).
const MAX_INPUT_CHARS: usize = 40;

/// A national example per served market, for the error message.
const EXAMPLES: &[(&str, &str)] = &[
    ("AR", "011 15-2345-6789"),
    ("BR", "(11) 96123-4567"),
    ("CL", "9 6123 4567"),
    ("CO", "300 123 4567"),
    ("ES", "612 34 56 78"),
    ("MX", "55 1234 5678"),
    ("PE", "912 345 678"),
    ("US", "(201) 555-0123"),
];

/// The number as E.164 text (`+573001234567`).
fn e164(n: &PhoneNumber) -> String {
    n.format().mode(Mode::E164).to_string()
}

/// `text` parsed for `region` when it is a valid number.
fn valid(region: Option<Id>, text: &str) -> Option<PhoneNumber> {
    phonenumber::parse(region, text)
        .ok()
        .filter(phonenumber::is_valid)
}

/// Mexico's retired forms, rewritten as the international number they
/// meant: `+52 1 55…` (the mobile `1`), and nationally `044`/`045` (mobile
/// from a landline / long distance), `01` (long distance) or `1` before
/// the ten digits.
fn mexican_legacy(digits: &str, international: bool) -> Option<String> {
    if international {
        let rest = digits.strip_prefix("521")?;
        return (rest.len() == 10).then(|| format!("+52{rest}"));
    }
    ["044", "045", "01", "1"].iter().find_map(|p| {
        digits
            .strip_prefix(p)
            .filter(|rest| rest.len() == 10)
            .map(|rest| format!("+52{rest}"))
    })
}

/// A phone number in E.164 (`+573001234567`), from any national form of
/// `country` (trunk prefixes, carrier codes, Argentina's `15` and `9`
/// mobile forms, Mexico's retired prefixes…) or any international form
/// (`+…` or `00…`). A number libphonenumber does not consider valid is an
/// `invalid `phone`` error saying what is expected.
pub fn normalise_phone(raw: &str, country: Country) -> Result<String, AppError> {
    let t = raw.trim();
    let region = Id::from_str(country.as_str()).ok();
    let bad = || {
        let example = EXAMPLES
            .iter()
            .find(|(c, _)| *c == country.as_str())
            .map_or(String::new(), |(_, e)| format!(", e.g. {e}"));
        AppError::invalid(
            "phone",
            match region {
                Some(_) => format!(
                    "a valid phone number: national for {country}{example}, or international starting with + or 00"
                ),
                None => format!(
                    "a valid international phone number starting with + or 00 (no numbering plan is known for {country})"
                ),
            },
            raw,
        )
    };
    let shape_ok = !t.is_empty()
        && t.chars().count() <= MAX_INPUT_CHARS
        && t.chars()
            .all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c))
        && !t.chars().skip(1).any(|c| c == '+');
    if !shape_ok {
        return Err(bad());
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let plus = t.starts_with('+');
    let double_zero = !plus && digits.starts_with("00");
    let mut candidates: Vec<(Option<Id>, String)> = Vec::new();
    if double_zero {
        // `00` + country code is how much of the world writes `+`; some
        // plans read `00x` as a carrier choice instead (Colombia's `005`),
        // so the international reading is tried first.
        candidates.push((None, format!("+{}", &digits[2..])));
    }
    // An international number is read without a region: given one, the
    // parser also applies that region's national prefix to it (with `US`,
    // the `1` of `+55 11 9…` would go).
    candidates.push((if plus { None } else { region }, t.to_owned()));
    if plus || double_zero {
        let intl = if plus { digits.as_str() } else { &digits[2..] };
        candidates.extend(mexican_legacy(intl, true).map(|c| (None, c)));
    } else if country.as_str() == "MX" {
        candidates.extend(mexican_legacy(&digits, false).map(|c| (None, c)));
    }
    candidates
        .iter()
        .find_map(|(r, text)| valid(*r, text))
        .map(|n| e164(&n))
        .ok_or_else(bad)
}

/// The country a valid E.164 number belongs to, when its numbering plan
/// names one.
pub fn country_of_phone(e164: &str) -> Option<Country> {
    let n = valid(None, e164)?;
    let id = n.country().id()?;
    Country::parse(id.as_ref()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    /// The phone matrix: each market's national and international ways of
    /// writing one number give the same valid E.164.
    #[test]
    fn every_written_form_of_a_served_market_is_one_e164() {
        let matrix: &[(&str, &str, &[&str])] = &[
            (
                "CO",
                "+573001234567",
                &[
                    "300 123 4567",
                    "(300) 123-4567",
                    "+57 300 123 4567",
                    "0057 300 123 4567",
                    "57 300 123 4567",
                    "03 300 123 4567",
                ],
            ),
            (
                "MX",
                "+525512345678",
                &[
                    "55 1234 5678",
                    "044 55 1234 5678",
                    "045 55 1234 5678",
                    "01 55 1234 5678",
                    "1 55 1234 5678",
                    "+52 1 55 1234 5678",
                    "+52 55 1234 5678",
                    "0052 1 55 1234 5678",
                    "+5215512345678",
                ],
            ),
            (
                "AR",
                "+5491123456789",
                &[
                    "011 15-2345-6789",
                    "11 15 2345 6789",
                    "9 11 2345 6789",
                    "+54 9 11 2345-6789",
                    "+54 11 15 2345 6789",
                    "0054 9 11 2345 6789",
                ],
            ),
            (
                "CL",
                "+56961234567",
                &["9 6123 4567", "+56 9 6123 4567", "0056 9 6123 4567"],
            ),
            (
                "PE",
                "+51912345678",
                &["912 345 678", "+51 912 345 678", "0051 912345678"],
            ),
            (
                "ES",
                "+34612345678",
                &["612 34 56 78", "+34 612 345 678", "0034 612345678"],
            ),
            (
                "US",
                "+12015550123",
                &[
                    "(201) 555-0123",
                    "201.555.0123",
                    "1 201 555 0123",
                    "+1 201-555-0123",
                ],
            ),
            (
                "BR",
                "+5511961234567",
                &[
                    "(11) 96123-4567",
                    "011 96123-4567",
                    "0 21 11 96123-4567",
                    "+55 11 96123-4567",
                    "0055 11 96123 4567",
                ],
            ),
        ];
        for (country, want, forms) in matrix {
            for form in *forms {
                assert_eq!(
                    normalise_phone(form, c(country)).as_deref().ok(),
                    Some(*want),
                    "{country} {form:?}"
                );
            }
            // An international form is the same whatever the lead's country.
            assert_eq!(normalise_phone(want, c("US")).unwrap(), *want);
            assert_eq!(country_of_phone(want), Some(c(country)), "{want}");
        }
        // Landlines too: Buenos Aires, Santiago, Lima.
        assert_eq!(
            normalise_phone("011 4321-1234", c("AR")).unwrap(),
            "+541143211234"
        );
        assert_eq!(
            normalise_phone("(2) 2123 4567", c("CL")).unwrap(),
            "+56221234567"
        );
        assert_eq!(
            normalise_phone("(01) 234 5678", c("PE")).unwrap(),
            "+5112345678"
        );
    }

    #[test]
    fn invalid_numbers_are_an_error_naming_the_field() {
        for (raw, country) in [
            ("call me", "CO"),
            ("12", "CO"),
            ("30055510", "CO"),
            ("+57 300 abc", "CO"),
            ("+1+2345678901", "CO"),
            ("+0123456789", "CO"),
            ("", "CO"),
            ("044 55 1234", "MX"),
            ("(201) 555-012", "US"),
            ("1".repeat(41).as_str(), "US"),
        ] {
            let e = normalise_phone(raw, c(country)).unwrap_err().to_string();
            assert!(e.starts_with("invalid `phone`"), "{raw:?}: {e}");
        }
        let e = normalise_phone("30055510", c("CO"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("300 123 4567"), "{e}");
    }

    #[test]
    fn countries_come_from_the_numbering_plan() {
        assert_eq!(country_of_phone("+573001234567"), Some(c("CO")));
        assert_eq!(country_of_phone("+5491123456789"), Some(c("AR")));
        assert_eq!(country_of_phone("+525512345678"), Some(c("MX")));
        assert_eq!(country_of_phone("+12015550123"), Some(c("US")));
        assert_eq!(country_of_phone("+59171234567"), Some(c("BO")));
        assert_eq!(country_of_phone("+5712"), None, "invalid");
    }
}
