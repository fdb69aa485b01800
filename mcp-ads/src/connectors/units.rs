//! Money in each platform's units, from one table: amounts are stored in
//! hundredths of the campaign's currency everywhere else; each platform
//! wants its own (Meta's per-currency offset, Google's micros, TikTok's
//! decimal major units).

use promptsales_shared::domain::Currency;

/// Currencies Meta counts in whole units (offset 1, "Currencies" in the
/// Marketing API reference:
/// <https://developers.facebook.com/docs/marketing-api/currencies>); every
/// other currency has offset 100 (amounts in cents).
const META_OFFSET_1: &[&str] = &[
    "CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND",
];

/// Meta's offset for `currency`: how many of Meta's units make one major
/// unit (1 or 100).
pub fn meta_offset(currency: Currency) -> i64 {
    if META_OFFSET_1.contains(&currency.as_str()) {
        1
    } else {
        100
    }
}

/// Hundredths → Meta's integer units for `currency` (a budget of
/// 3,000,000.00 COP is `3000000`; 12.34 USD is `1234`). Rounded down to a
/// whole unit where Meta counts whole units, so Meta never spends more
/// than the plan.
pub fn to_meta(cents: i64, currency: Currency) -> i64 {
    cents.saturating_mul(meta_offset(currency)) / 100
}

/// Meta's integer units for `currency` → hundredths.
pub fn from_meta(units: i64, currency: Currency) -> i64 {
    units.saturating_mul(100) / meta_offset(currency)
}

/// Hundredths → micros (one millionth of a major unit), as Google Ads'
/// `amount_micros` wants them.
pub fn to_micros(cents: i64) -> i64 {
    cents.saturating_mul(10_000)
}

/// Micros → hundredths (rounded to the nearest).
pub fn from_micros(micros: i64) -> i64 {
    (micros + micros.signum() * 5_000) / 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(s: &str) -> Currency {
        Currency::parse(s).unwrap()
    }

    #[test]
    fn meta_counts_pesos_and_yen_whole_and_dollars_in_cents() {
        // 3,000,000.00 COP stored as hundredths goes out as whole pesos.
        assert_eq!(to_meta(300_000_000, cur("COP")), 3_000_000);
        assert_eq!(to_meta(1_234, cur("USD")), 1_234);
        assert_eq!(to_meta(50_000, cur("JPY")), 500);
        // A fraction of a whole unit is never sent up.
        assert_eq!(to_meta(199, cur("CLP")), 1);
        assert_eq!(from_meta(3_000_000, cur("COP")), 300_000_000);
        assert_eq!(from_meta(1_234, cur("EUR")), 1_234);
    }

    #[test]
    fn micros_round_trip() {
        assert_eq!(to_micros(1_234), 12_340_000);
        assert_eq!(from_micros(12_345_000), 1_235);
        assert_eq!(from_micros(-12_345_000), -1_235);
    }
}
