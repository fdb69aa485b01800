//! Timestamps and dates as they are stored: fixed-width UTC RFC 3339 text
//! (`2026-11-25T16:54:21.000000Z`) and `YYYY-MM-DD`, which sort the same as
//! text and as time on both backends.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::AppError;

/// Formats a timestamp the one way we store it.
pub fn format_ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Now, as stored.
pub fn now_ts() -> String {
    format_ts(Utc::now())
}

/// Parses an RFC 3339 timestamp (any offset) into UTC.
pub fn parse_ts(field: &str, value: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppError::invalid(
                field,
                "an RFC 3339 timestamp such as 2026-03-01T14:30:00Z",
                value,
            )
        })
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    let v = value.trim();
    if v.len() != 10 {
        return Err(AppError::invalid(field, "a date as YYYY-MM-DD", value));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "a date as YYYY-MM-DD", value))
}

/// Formats a date as stored.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let t = parse_ts("at", "2026-03-01T09:30:00-05:00").unwrap();
        assert_eq!(format_ts(t), "2026-03-01T14:30:00.000000Z");
        assert!(parse_ts("at", "2026-03-01").is_err());
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            format_date(parse_date("d", "2026-02-28").unwrap()),
            "2026-02-28"
        );
        for bad in ["2026-02-30", "2026-2-3", "03/01/2026", ""] {
            let err = parse_date("start_date", bad).unwrap_err().to_string();
            assert!(err.contains("start_date"), "{err}");
        }
    }
}
