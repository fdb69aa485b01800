//! Money as integer hundredths plus an ISO-4217 currency: exact sums, no
//! floating-point drift, and mixing currencies is a type error at runtime.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::AppError;

/// Active ISO-4217 currency codes.
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD \
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD \
HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD \
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG \
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS \
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

/// An ISO-4217 currency code, upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse_field(field: &str, value: &str) -> Result<Self, AppError> {
        let code = value.trim().to_ascii_uppercase();
        if code.len() != 3 || !ISO_4217.split(' ').any(|c| c == code) {
            return Err(AppError::invalid(
                field,
                "an ISO-4217 currency code such as USD, COP, MXN or EUR",
                value,
            ));
        }
        let b = code.as_bytes();
        Ok(Currency([b[0], b[1], b[2]]))
    }

    pub fn parse(value: &str) -> Result<Self, AppError> {
        Self::parse_field("currency", value)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for Currency {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl schemars::JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z]{3}$",
            "description": "ISO-4217 currency code, e.g. USD, COP, MXN, EUR"
        })
    }
}

/// An amount in hundredths of the currency unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub cents: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(cents: i64, currency: Currency) -> Self {
        Self { cents, currency }
    }

    /// The amount as a JSON-friendly number (rounded to cents by construction).
    pub fn amount(&self) -> f64 {
        self.cents as f64 / 100.0
    }

    /// Adds two amounts of the same currency; different currencies are an
    /// error, never a sum.
    pub fn checked_add(self, other: Money) -> Result<Money, AppError> {
        if self.currency != other.currency {
            return Err(AppError::Conflict(format!(
                "cannot add {} to {}: amounts in different currencies are reported separately",
                other.currency, self.currency
            )));
        }
        Ok(Money::new(
            self.cents.saturating_add(other.cents),
            self.currency,
        ))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

/// Parses a decimal amount such as `1234`, `1234.5` or `1234.56` into
/// hundredths. At most two decimals; no exponents, no thousands separators.
pub fn parse_cents(field: &str, value: &str) -> Result<i64, AppError> {
    let bad = || {
        AppError::invalid(
            field,
            "a decimal amount with at most two decimals, e.g. 1250.50",
            value,
        )
    };
    let v = value.trim();
    let (neg, digits) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || frac.len() > 2 {
        return Err(bad());
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = int.parse().map_err(|_| bad())?;
    let frac_cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let cents = whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(frac_cents))
        .ok_or_else(bad)?;
    Ok(if neg { -cents } else { cents })
}

/// Formats hundredths as a plain decimal string (`1234.50`), the inverse of
/// [`parse_cents`]; used for CSV output.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

// Money as a person reads it: major units with the currency's own
// decimals and separators (`1.234.567 COP`, `1,234.50 USD`,
// `9.000,00 EUR`). Amounts are stored in hundredths of every currency (the
// schema's convention); the decimals shown are ISO 4217's minor units, read
// from the maintained `iso_currency` crate (CLP, JPY, KRW: none), capped at
// the two the storage holds.

/// Shown without decimals although ISO 4217 gives them two: the Colombian
/// peso, whose centavos no longer circulate and which nobody quotes.
const WHOLE_BY_USAGE: &[&str] = &["COP"];

/// Currencies written with `.` between thousands and `,` before decimals.
const DOT_GROUPS: &[&str] = &[
    "ARS", "BOB", "BRL", "CLP", "COP", "DKK", "EUR", "IDR", "ISK", "PYG", "TRY", "UYU", "VES",
];

/// Decimals a person sees for `currency` (0 or 2): ISO 4217's minor
/// units (unknown to the crate: 2), at most the two stored.
pub fn display_decimals(currency: Currency) -> u32 {
    if WHOLE_BY_USAGE.contains(&currency.as_str()) {
        return 0;
    }
    iso_currency::Currency::from_code(currency.as_str())
        .and_then(|c| c.exponent())
        .map_or(2, |e| u32::from(e.min(2)))
}

fn group(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// `cents` hundredths of `currency` in major units with its code:
/// `format_money(123_456_700, COP)` = `"1.234.567 COP"`. Whole-unit
/// currencies round half away from zero.
pub fn format_money(cents: i64, currency: Currency) -> String {
    let code = currency.as_str();
    let (thousands, decimal) = if DOT_GROUPS.contains(&code) {
        ('.', ',')
    } else {
        (',', '.')
    };
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let body = if display_decimals(currency) == 0 {
        let units = abs / 100 + u64::from(abs % 100 >= 50);
        group(&units.to_string(), thousands)
    } else {
        format!(
            "{}{decimal}{:02}",
            group(&(abs / 100).to_string(), thousands),
            abs % 100
        )
    };
    format!("{sign}{body} {code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_amounts_exactly() {
        assert_eq!(parse_cents("x", "1234").unwrap(), 123_400);
        assert_eq!(parse_cents("x", "1234.5").unwrap(), 123_450);
        assert_eq!(parse_cents("x", " 0.07 ").unwrap(), 7);
        assert_eq!(parse_cents("x", "-3.10").unwrap(), -310);
        for bad in [
            "",
            "1.234",
            "1e3",
            "1,000",
            "abc",
            ".5",
            "99999999999999999999",
        ] {
            let err = parse_cents("spend", bad).unwrap_err().to_string();
            assert!(err.contains("spend"), "{bad}: {err}");
        }
    }

    #[test]
    fn format_round_trips() {
        for c in [0, 7, 123_450, -310, 5] {
            assert_eq!(parse_cents("x", &format_cents(c)).unwrap(), c);
        }
    }

    #[test]
    fn mixed_currencies_do_not_add() {
        let usd = Currency::parse("usd").unwrap();
        let cop = Currency::parse("COP").unwrap();
        assert!(Money::new(1, usd).checked_add(Money::new(1, cop)).is_err());
        assert_eq!(
            Money::new(150, usd)
                .checked_add(Money::new(50, usd))
                .unwrap()
                .to_string(),
            "2.00 USD"
        );
    }

    #[test]
    fn unknown_currency_is_rejected() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("US").is_err());
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn each_currency_reads_as_its_people_write_it() {
        assert_eq!(format_money(123_456_700, cur("COP")), "1.234.567 COP");
        assert_eq!(format_money(123_456_750, cur("COP")), "1.234.568 COP");
        assert_eq!(format_money(99_900, cur("CLP")), "999 CLP");
        assert_eq!(format_money(123_450, cur("USD")), "1,234.50 USD");
        assert_eq!(format_money(900_000, cur("EUR")), "9.000,00 EUR");
        assert_eq!(format_money(123_456_789, cur("MXN")), "1,234,567.89 MXN");
        assert_eq!(format_money(-5, cur("USD")), "-0.05 USD");
        assert_eq!(format_money(0, cur("JPY")), "0 JPY");
        assert_eq!(display_decimals(cur("COP")), 0);
        assert_eq!(display_decimals(cur("PEN")), 2);
    }

    #[test]
    fn iso_4217_minor_units_decide_the_decimals() {
        // Exponent 0 in ISO 4217: no decimals, rounded half away from zero.
        assert_eq!(
            format_money(149_000_000_050, cur("CLP")),
            "1.490.000.001 CLP"
        );
        assert_eq!(format_money(1_234_500, cur("JPY")), "12,345 JPY");
        assert_eq!(format_money(-1_234_549, cur("KRW")), "-12,345 KRW");
        for c in ["CLP", "JPY", "KRW", "PYG", "VND", "XOF", "ISK"] {
            assert_eq!(display_decimals(cur(c)), 0, "{c}");
        }
        // Two decimals for most; three-decimal currencies show the two
        // hundredths the storage holds.
        for c in [
            "USD", "EUR", "MXN", "ARS", "PEN", "BRL", "GTQ", "CRC", "KWD",
        ] {
            assert_eq!(display_decimals(cur(c)), 2, "{c}");
        }
        assert_eq!(format_money(150_000, cur("BRL")), "1.500,00 BRL");
    }
}
