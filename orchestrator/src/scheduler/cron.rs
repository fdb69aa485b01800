//! Five-field cron expressions (minute hour day-of-month month day-of-week) evaluated on a time zone's wall clock, through the maintained `croner` crate (daylight-saving gaps and repeated hours included).

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};
use promptsales_shared::domain::TimeZone;

/// A parsed expression and the zone whose wall clock it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    pattern: croner::Cron,
    source: String,
    zone: TimeZone,
}

/// An expression that is not valid five-field cron.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("cron {expr:?}: {reason}")]
pub struct CronError {
    pub expr: String,
    pub reason: String,
}

impl Cron {
    /// An expression on UTC's clock (the tenant's default).
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        Self::parse_in(expr, TimeZone::UTC)
    }

    /// An expression on `zone`'s wall clock: `0 8 * * 1-5` in
    /// `America/Bogota` is 13:00 UTC on weekdays.
    pub fn parse_in(expr: &str, zone: TimeZone) -> Result<Cron, CronError> {
        let err = |reason: String| CronError {
            expr: expr.to_owned(),
            reason,
        };
        let fields = expr.split_whitespace().count();
        if fields != 5 {
            return Err(err(format!(
                "expected 5 fields (minute hour day month weekday), got {fields}"
            )));
        }
        // Exactly five fields (no seconds, no year); a day matches when
        // either day field does, as in every cron since Vixie's.
        let pattern = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(expr)
            .map_err(|e| err(e.to_string()))?;
        Ok(Cron {
            pattern,
            source: expr.split_whitespace().collect::<Vec<_>>().join(" "),
            zone,
        })
    }

    /// Parses a zone name and an expression in it (the jobs table's pair).
    pub fn parse_zoned(expr: &str, zone: &str) -> Result<Cron, CronError> {
        let zone = TimeZone::parse(zone).map_err(|e| CronError {
            expr: expr.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse_in(expr, zone)
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn time_zone(&self) -> TimeZone {
        self.zone
    }

    /// The first matching minute strictly after `after`, as a UTC instant.
    /// `None` for an expression that never matches (30 February).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.zone.tz());
        self.pattern
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

impl std::fmt::Display for Cron {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.source, self.zone)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    #[test]
    fn next_matches() {
        let c = Cron::parse("*/15 * * * *").unwrap();
        assert_eq!(
            c.next_after(at("2026-11-25T10:07:30Z")),
            Some(at("2026-11-25T10:15:00Z"))
        );
        assert_eq!(
            c.next_after(at("2026-11-25T10:45:00Z")),
            Some(at("2026-11-25T11:00:00Z"))
        );
        let c = Cron::parse("0 8 * * 1-5").unwrap();
        // Friday 2026-11-27 09:00 → Monday 2026-11-30 08:00.
        assert_eq!(
            c.next_after(at("2026-11-27T09:00:00Z")),
            Some(at("2026-11-30T08:00:00Z"))
        );
        let c = Cron::parse("30 7 * * 1").unwrap();
        assert_eq!(
            c.next_after(at("2026-11-25T00:00:00Z")),
            Some(at("2026-11-30T07:30:00Z"))
        );
        let c = Cron::parse("0 0 1 1,7 *").unwrap();
        assert_eq!(
            c.next_after(at("2026-11-25T00:00:00Z")),
            Some(at("2027-01-01T00:00:00Z"))
        );
        let c = Cron::parse("0 12 * * 7").unwrap();
        assert_eq!(
            c.next_after(at("2026-11-25T00:00:00Z")),
            Some(at("2026-11-29T12:00:00Z"))
        );
        // Day-of-month OR day-of-week when both are restricted.
        let c = Cron::parse("0 0 13 * 5").unwrap();
        assert_eq!(
            c.next_after(at("2026-11-25T00:00:00Z")),
            Some(at("2026-11-27T00:00:00Z"))
        );
        // A day that never comes: refused when parsed, or never due.
        if let Ok(c) = Cron::parse("0 0 30 2 *") {
            assert_eq!(c.next_after(at("2026-01-01T00:00:00Z")), None);
        }
    }

    #[test]
    fn bad_expressions_say_why() {
        for bad in [
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "a * * * *",
            "5-2 * * * *",
        ] {
            let e = Cron::parse(bad).unwrap_err();
            assert!(!e.reason.is_empty(), "{bad}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert!(Cron::parse("0 9 * * 1-5").is_ok());
        let e = Cron::parse_zoned("0 8 * * *", "Mars/Olympus").unwrap_err();
        assert!(e.reason.contains("IANA"), "{e}");
    }

    #[test]
    fn eight_in_bogota_is_one_pm_utc() {
        let c = Cron::parse_in("0 8 * * *", tz("America/Bogota")).unwrap();
        assert_eq!(
            c.next_after(at("2026-11-25T00:00:00Z")),
            Some(at("2026-11-25T13:00:00Z"))
        );
        // Just after 08:00 in Bogotá (13:00 UTC): tomorrow.
        assert_eq!(
            c.next_after(at("2026-11-25T13:00:00Z")),
            Some(at("2026-11-26T13:00:00Z"))
        );
        // Weekdays are Bogotá's: Friday 20:00 in Bogotá is already
        // Saturday in UTC, and the next run is Monday 08:00 there.
        let c = Cron::parse_in("0 8 * * 1-5", tz("America/Bogota")).unwrap();
        assert_eq!(
            c.next_after(at("2026-11-28T01:00:00Z")),
            Some(at("2026-11-30T13:00:00Z"))
        );
        assert_eq!(c.to_string(), "0 8 * * 1-5 (America/Bogota)");
    }

    #[test]
    fn madrid_follows_its_daylight_saving_time() {
        let c = Cron::parse_in("0 8 * * *", tz("Europe/Madrid")).unwrap();
        // Winter (CET, UTC+1): 07:00 UTC.
        assert_eq!(
            c.next_after(at("2026-01-15T12:00:00Z")),
            Some(at("2026-01-16T07:00:00Z"))
        );
        // Clocks go forward on Sunday 29 March 2026: Saturday is still
        // 07:00 UTC, Sunday already 06:00 UTC (CEST, UTC+2).
        assert_eq!(
            c.next_after(at("2026-03-27T12:00:00Z")),
            Some(at("2026-03-28T07:00:00Z"))
        );
        assert_eq!(
            c.next_after(at("2026-03-28T12:00:00Z")),
            Some(at("2026-03-29T06:00:00Z"))
        );
        // Back on Sunday 25 October 2026: 07:00 UTC again.
        assert_eq!(
            c.next_after(at("2026-10-24T12:00:00Z")),
            Some(at("2026-10-25T07:00:00Z"))
        );
        // 02:30 does not exist on 29 March in Madrid: the job still runs
        // once that day, right after the gap (03:00 CEST = 01:00 UTC).
        let c = Cron::parse_in("30 2 * * *", tz("Europe/Madrid")).unwrap();
        let next = c.next_after(at("2026-03-28T12:00:00Z")).unwrap();
        assert_eq!(next.date_naive().to_string(), "2026-03-29");
        let after = c.next_after(next).unwrap();
        assert_eq!(after, at("2026-03-30T00:30:00Z"));
        // 02:30 happens twice on 25 October: it runs once.
        let first = c.next_after(at("2026-10-24T12:00:00Z")).unwrap();
        let second = c.next_after(first).unwrap();
        assert_eq!(
            second.date_naive().to_string(),
            "2026-10-26",
            "{first} {second}"
        );
    }
}
