//! Five-field cron expressions (minute hour day-of-month month day-of-week) with `*`, lists, ranges and steps, evaluated in UTC.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};

/// A parsed expression: the allowed values of each field as bit sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Both day fields restricted: a day matches either (cron's rule).
    day_or: bool,
    source: String,
}

/// An expression that is not valid five-field cron.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("cron {expr:?}: {reason}")]
pub struct CronError {
    pub expr: String,
    pub reason: String,
}

fn field(spec: &str, lo: u32, hi: u32, name: &str) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let restricted = spec != "*" && !spec.starts_with("*/");
    for part in spec.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<usize>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{name}: bad step {s:?}"))?,
            ),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (num(a, name)?, num(b, name)?)
        } else {
            let v = num(range, name)?;
            (v, if part.contains('/') { hi } else { v })
        };
        if a < lo || b > hi || a > b {
            return Err(format!("{name}: {part:?} is outside {lo}-{hi}"));
        }
        for v in (a..=b).step_by(step) {
            bits |= 1 << v;
        }
    }
    Ok((bits, restricted))
}

fn num(s: &str, name: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .map_err(|_| format!("{name}: {s:?} is not a number"))
}

impl Cron {
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let err = |reason: String| CronError {
            expr: expr.to_owned(),
            reason,
        };
        let parts: Vec<&str> = expr.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(err(format!(
                "expected 5 fields (minute hour day month weekday), got {}",
                parts.len()
            )));
        }
        let (minutes, _) = field(parts[0], 0, 59, "minute").map_err(err)?;
        let (hours, _) = field(parts[1], 0, 23, "hour").map_err(err)?;
        let (days, dr) = field(parts[2], 1, 31, "day of month").map_err(err)?;
        let (months, _) = field(parts[3], 1, 12, "month").map_err(err)?;
        let (mut weekdays, wr) = field(parts[4], 0, 7, "day of week").map_err(err)?;
        // 7 is Sunday too.
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays & !(1 << 7)) | 1;
        }
        Ok(Cron {
            minutes,
            hours,
            days,
            months,
            weekdays,
            day_or: dr && wr,
            source: expr.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn day_matches(&self, t: &DateTime<Utc>) -> bool {
        let d = self.days & (1 << t.day()) != 0;
        let w = self.weekdays & (1 << t.weekday().num_days_from_sunday()) != 0;
        if self.day_or { d || w } else { d && w }
    }

    /// The first matching minute strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut t = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        // Five years of minutes bounds expressions such as Feb 30 that
        // never match.
        let limit = after + Duration::days(366 * 5);
        while t <= limit {
            if self.months & (1 << t.month()) == 0 {
                let (y, m) = if t.month() == 12 {
                    (t.year() + 1, 1)
                } else {
                    (t.year(), t.month() + 1)
                };
                t = chrono::NaiveDate::from_ymd_opt(y, m, 1)?
                    .and_hms_opt(0, 0, 0)?
                    .and_utc();
                continue;
            }
            if !self.day_matches(&t) {
                t = (t.date_naive() + Duration::days(1))
                    .and_hms_opt(0, 0, 0)?
                    .and_utc();
                continue;
            }
            if self.hours & (1 << t.hour()) == 0 {
                t = t.with_minute(0)? + Duration::hours(1);
                continue;
            }
            if self.minutes & (1 << t.minute()) == 0 {
                t += Duration::minutes(1);
                continue;
            }
            return Some(t);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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
        assert_eq!(
            Cron::parse("0 0 30 2 *")
                .unwrap()
                .next_after(at("2026-01-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "a * * * *",
            "5-2 * * * *",
        ] {
            let e = Cron::parse(bad).unwrap_err();
            assert!(!e.reason.is_empty(), "{bad}");
        }
        assert!(Cron::parse("0 9 * * 1-5").is_ok());
    }
}
