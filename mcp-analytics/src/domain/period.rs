//! Time ranges: what a question says ("last month", "Q3 2026", "los últimos
//! 30 días") and what it means against `as_of` (BRIEF §5), including the
//! comparison periods.

use std::borrow::Cow;

use chrono::{Datelike, Duration, Months, NaiveDate};
use promptsales_shared::domain::Vocabulary;
use promptsales_shared::{AppError, vocabulary};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

vocabulary! {
    /// Calendar periods relative to `as_of`.
    pub enum RelativePeriod("period") {
        Today => "today",
        Yesterday => "yesterday",
        ThisWeek => "this_week",
        LastWeek => "last_week",
        ThisMonth => "this_month",
        LastMonth => "last_month",
        ThisQuarter => "this_quarter",
        LastQuarter => "last_quarter",
        ThisYear => "this_year",
        LastYear => "last_year",
    }
}

vocabulary! {
    /// What to compare a period with.
    pub enum Compare("compare_to") {
        PreviousPeriod => "previous_period",
        SamePeriodLastYear => "same_period_last_year",
    }
}

/// A time range as asked; resolved against `as_of` by [`TimeRange::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TimeRange {
    /// Inclusive dates, `YYYY-MM-DD`.
    Absolute { from: NaiveDate, to: NaiveDate },
    /// A calendar period relative to `as_of` (a current period runs to `as_of`).
    Relative { period: RelativePeriod },
    /// The `days` days ending on `as_of`.
    LastNDays { days: u32 },
    /// A month by number; without `year`, the latest one not in the future.
    Month { month: u32, year: Option<i32> },
    /// A calendar quarter.
    Quarter { quarter: u32, year: i32 },
    /// A calendar year.
    Year { year: i32 },
}

/// The wire names of [`TimeRange`]'s kinds, in declaration order.
const RANGE_TYPES: &[&str] = &[
    "absolute",
    "relative",
    "last_n_days",
    "month",
    "quarter",
    "year",
];

/// One object whose `type` (an inline enum) says which other fields apply,
/// rather than the `oneOf` of tagged objects the derive would publish: the
/// server's argument check (`promptsales_server::args`) descends into every
/// `oneOf` branch and stops at the first branch whose `type` constant
/// differs, so with a `oneOf` every kind but the first would be refused
/// before the tool ran. Serde still reads the tagged form exactly.
impl JsonSchema for TimeRange {
    fn schema_name() -> Cow<'static, str> {
        "TimeRange".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let periods: Vec<&str> = RelativePeriod::ALL.iter().map(|p| p.as_str()).collect();
        json_schema!({
            "type": "object",
            "description": "A time range; `type` says which fields apply. absolute: from and to; \
                relative: period; last_n_days: days; month: month and optionally year; \
                quarter: quarter and year; year: year.",
            "properties": {
                "type": {"type": "string", "enum": RANGE_TYPES},
                "from": {
                    "type": "string",
                    "format": "date",
                    "description": "absolute: the first day, YYYY-MM-DD."
                },
                "to": {
                    "type": "string",
                    "format": "date",
                    "description": "absolute: the last day (inclusive), YYYY-MM-DD."
                },
                "period": {
                    "type": "string",
                    "enum": periods,
                    "description": "relative: a calendar period relative to as_of (a current period runs to as_of)."
                },
                "days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 3660,
                    "description": "last_n_days: the number of days ending on as_of."
                },
                "month": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 12,
                    "description": "month: the month's number; without year, the latest such month not in the future."
                },
                "quarter": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 4,
                    "description": "quarter: the quarter's number."
                },
                "year": {
                    "type": "integer",
                    "description": "month (optional), quarter and year: the calendar year."
                }
            },
            "required": ["type"],
            "additionalProperties": false
        })
    }
}

/// The calendar unit a range stands for, which decides its previous period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    /// N days: the previous period is the N days before.
    Days,
}

/// Inclusive dates with their calendar meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Resolved {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub span: Span,
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    let m = (d.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(d.year(), m, 1).unwrap_or(d)
}

fn year_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d)
}

fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// Start of the calendar period `span` containing `d`.
fn start_of(span: Span, d: NaiveDate) -> NaiveDate {
    match span {
        Span::Day | Span::Days => d,
        Span::Week => week_start(d),
        Span::Month => month_start(d),
        Span::Quarter => quarter_start(d),
        Span::Year => year_start(d),
    }
}

/// The start of the period `steps` periods after the one starting at `start`.
fn shift(span: Span, start: NaiveDate, steps: i32) -> Option<NaiveDate> {
    let months = |n: i32| {
        if n >= 0 {
            start.checked_add_months(Months::new(n as u32))
        } else {
            start.checked_sub_months(Months::new(n.unsigned_abs()))
        }
    };
    match span {
        Span::Day | Span::Days => start.checked_add_signed(Duration::days(i64::from(steps))),
        Span::Week => start.checked_add_signed(Duration::weeks(i64::from(steps))),
        Span::Month => months(steps),
        Span::Quarter => months(steps * 3),
        Span::Year => months(steps * 12),
    }
}

fn end_of(span: Span, start: NaiveDate) -> NaiveDate {
    shift(span, start, 1)
        .and_then(|n| n.pred_opt())
        .unwrap_or(start)
}

fn date(y: i32, m: u32, d: u32, field: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| {
        AppError::invalid(field, "a real calendar date", format!("{y}-{m:02}-{d:02}"))
    })
}

impl TimeRange {
    /// The inclusive dates meant, relative to `as_of`.
    pub fn resolve(&self, as_of: NaiveDate) -> Result<Resolved, AppError> {
        let current = |span: Span| Resolved {
            from: start_of(span, as_of),
            to: as_of,
            span,
        };
        let previous = |span: Span| {
            let start = shift(span, start_of(span, as_of), -1).unwrap_or(as_of);
            Resolved {
                from: start,
                to: end_of(span, start),
                span,
            }
        };
        let r = match *self {
            TimeRange::Absolute { from, to } => {
                if to < from {
                    return Err(AppError::invalid(
                        "time_range.to",
                        format!("a date on or after from ({from})"),
                        to.to_string(),
                    ));
                }
                Resolved {
                    from,
                    to,
                    span: Span::Days,
                }
            }
            TimeRange::Relative { period } => match period {
                RelativePeriod::Today => current(Span::Day),
                RelativePeriod::Yesterday => previous(Span::Day),
                RelativePeriod::ThisWeek => current(Span::Week),
                RelativePeriod::LastWeek => previous(Span::Week),
                RelativePeriod::ThisMonth => current(Span::Month),
                RelativePeriod::LastMonth => previous(Span::Month),
                RelativePeriod::ThisQuarter => current(Span::Quarter),
                RelativePeriod::LastQuarter => previous(Span::Quarter),
                RelativePeriod::ThisYear => current(Span::Year),
                RelativePeriod::LastYear => previous(Span::Year),
            },
            TimeRange::LastNDays { days } => {
                if !(1..=3660).contains(&days) {
                    return Err(AppError::invalid(
                        "time_range.days",
                        "a number of days from 1 to 3660",
                        days.to_string(),
                    ));
                }
                Resolved {
                    from: as_of - Duration::days(i64::from(days) - 1),
                    to: as_of,
                    span: Span::Days,
                }
            }
            TimeRange::Month { month, year } => {
                if !(1..=12).contains(&month) {
                    return Err(AppError::invalid(
                        "time_range.month",
                        "a month from 1 to 12",
                        month.to_string(),
                    ));
                }
                let y = match year {
                    Some(y) => y,
                    // A bare month name is this year's, or last year's when
                    // it would lie in the future.
                    None if month > as_of.month() => as_of.year() - 1,
                    None => as_of.year(),
                };
                let from = date(y, month, 1, "time_range")?;
                Resolved {
                    from,
                    to: end_of(Span::Month, from),
                    span: Span::Month,
                }
            }
            TimeRange::Quarter { quarter, year } => {
                if !(1..=4).contains(&quarter) {
                    return Err(AppError::invalid(
                        "time_range.quarter",
                        "a quarter from 1 to 4",
                        quarter.to_string(),
                    ));
                }
                let from = date(year, (quarter - 1) * 3 + 1, 1, "time_range")?;
                Resolved {
                    from,
                    to: end_of(Span::Quarter, from),
                    span: Span::Quarter,
                }
            }
            TimeRange::Year { year } => {
                let from = date(year, 1, 1, "time_range.year")?;
                Resolved {
                    from,
                    to: end_of(Span::Year, from),
                    span: Span::Year,
                }
            }
        };
        Ok(r)
    }
}

impl Resolved {
    /// Number of days covered.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period to compare with (BRIEF §5): the same span of the calendar
    /// period before (1–15 Nov → 1–15 Oct; Q3 → Q2), the N days before for
    /// day counts, or the same dates a year earlier.
    pub fn compared(&self, how: Compare) -> Resolved {
        match how {
            Compare::SamePeriodLastYear => {
                let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
                Resolved {
                    from: back(self.from),
                    to: back(self.to),
                    span: self.span,
                }
            }
            Compare::PreviousPeriod => match self.span {
                Span::Days | Span::Day => {
                    let n = self.days();
                    Resolved {
                        from: self.from - Duration::days(n),
                        to: self.from - Duration::days(1),
                        span: self.span,
                    }
                }
                span => {
                    let start = shift(span, start_of(span, self.from), -1).unwrap_or(self.from);
                    let offset = (self.to - self.from).num_days();
                    let to = (start + Duration::days(offset)).min(end_of(span, start));
                    Resolved {
                        from: start,
                        to,
                        span,
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn r(t: TimeRange, as_of: &str) -> (String, String) {
        let x = t.resolve(d(as_of)).unwrap();
        (x.from.to_string(), x.to.to_string())
    }

    fn s(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    /// The published kinds are serde's tags, in order.
    #[test]
    fn the_schema_lists_every_kind_serde_reads() {
        let kinds = [
            TimeRange::Absolute {
                from: d("2026-01-01"),
                to: d("2026-01-02"),
            },
            TimeRange::Relative {
                period: RelativePeriod::Today,
            },
            TimeRange::LastNDays { days: 1 },
            TimeRange::Month {
                month: 1,
                year: None,
            },
            TimeRange::Quarter {
                quarter: 1,
                year: 2026,
            },
            TimeRange::Year { year: 2026 },
        ];
        let tags: Vec<String> = kinds
            .iter()
            .map(|k| {
                serde_json::to_value(k).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(tags, RANGE_TYPES);
        let schema = serde_json::to_value(schemars::schema_for!(TimeRange)).unwrap();
        assert_eq!(
            schema["properties"]["type"]["enum"],
            serde_json::json!(RANGE_TYPES)
        );
        assert_eq!(
            schema["properties"]["period"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            RelativePeriod::ALL.len()
        );
        let back: TimeRange =
            serde_json::from_value(serde_json::json!({"type": "relative", "period": "Last_Month"}))
                .unwrap();
        assert_eq!(
            back,
            TimeRange::Relative {
                period: RelativePeriod::LastMonth
            }
        );
    }

    #[test]
    fn relative_periods_follow_the_brief() {
        let rel = |p| TimeRange::Relative { period: p };
        assert_eq!(
            r(rel(RelativePeriod::LastMonth), "2026-11-15"),
            s("2026-10-01", "2026-10-31")
        );
        assert_eq!(
            r(rel(RelativePeriod::ThisMonth), "2026-11-15"),
            s("2026-11-01", "2026-11-15")
        );
        assert_eq!(
            r(rel(RelativePeriod::LastQuarter), "2026-11-15"),
            s("2026-07-01", "2026-09-30")
        );
        assert_eq!(
            r(rel(RelativePeriod::LastQuarter), "2026-02-10"),
            s("2025-10-01", "2025-12-31")
        );
        assert_eq!(
            r(rel(RelativePeriod::ThisYear), "2026-11-15"),
            s("2026-01-01", "2026-11-15")
        );
        assert_eq!(
            r(rel(RelativePeriod::LastYear), "2026-11-15"),
            s("2025-01-01", "2025-12-31")
        );
        assert_eq!(
            r(rel(RelativePeriod::LastWeek), "2026-11-25"),
            s("2026-11-16", "2026-11-22")
        );
        assert_eq!(
            r(rel(RelativePeriod::Yesterday), "2026-03-01"),
            s("2026-02-28", "2026-02-28")
        );
        assert_eq!(
            r(TimeRange::LastNDays { days: 30 }, "2026-11-15"),
            s("2026-10-17", "2026-11-15")
        );
    }

    #[test]
    fn bare_months_never_lie_in_the_future() {
        let m = |month| TimeRange::Month { month, year: None };
        assert_eq!(r(m(10), "2026-11-15"), s("2026-10-01", "2026-10-31"));
        assert_eq!(r(m(12), "2026-11-15"), s("2025-12-01", "2025-12-31"));
        assert_eq!(r(m(11), "2026-11-15"), s("2026-11-01", "2026-11-30"));
        assert_eq!(r(m(2), "2024-05-01"), s("2024-02-01", "2024-02-29"));
    }

    #[test]
    fn quarters_years_and_absolute_ranges() {
        assert_eq!(
            r(
                TimeRange::Quarter {
                    quarter: 3,
                    year: 2026
                },
                "2026-11-15"
            ),
            s("2026-07-01", "2026-09-30")
        );
        assert_eq!(
            r(TimeRange::Year { year: 2026 }, "2026-11-15"),
            s("2026-01-01", "2026-12-31")
        );
        let abs = TimeRange::Absolute {
            from: d("2026-03-01"),
            to: d("2026-03-15"),
        };
        assert_eq!(r(abs, "2026-11-15"), s("2026-03-01", "2026-03-15"));
        let bad = TimeRange::Absolute {
            from: d("2026-03-15"),
            to: d("2026-03-01"),
        };
        assert!(
            bad.resolve(d("2026-11-15"))
                .unwrap_err()
                .to_string()
                .contains("time_range.to")
        );
        assert!(
            TimeRange::Quarter {
                quarter: 5,
                year: 2026
            }
            .resolve(d("2026-01-01"))
            .is_err()
        );
    }

    #[test]
    fn previous_periods_keep_the_span() {
        let cmp = |t: TimeRange, as_of: &str, how| {
            let x = t.resolve(d(as_of)).unwrap().compared(how);
            (x.from.to_string(), x.to.to_string())
        };
        let this_month = TimeRange::Relative {
            period: RelativePeriod::ThisMonth,
        };
        assert_eq!(
            cmp(this_month.clone(), "2026-11-15", Compare::PreviousPeriod),
            s("2026-10-01", "2026-10-15")
        );
        assert_eq!(
            cmp(this_month, "2026-03-31", Compare::PreviousPeriod),
            s("2026-02-01", "2026-02-28")
        );
        let q3 = TimeRange::Quarter {
            quarter: 3,
            year: 2026,
        };
        assert_eq!(
            cmp(q3.clone(), "2026-11-15", Compare::PreviousPeriod),
            s("2026-04-01", "2026-06-30")
        );
        assert_eq!(
            cmp(q3, "2026-11-15", Compare::SamePeriodLastYear),
            s("2025-07-01", "2025-09-30")
        );
        assert_eq!(
            cmp(
                TimeRange::LastNDays { days: 7 },
                "2026-11-15",
                Compare::PreviousPeriod
            ),
            s("2026-11-02", "2026-11-08")
        );
        let last_month = TimeRange::Relative {
            period: RelativePeriod::LastMonth,
        };
        assert_eq!(
            cmp(last_month, "2026-11-15", Compare::PreviousPeriod),
            s("2026-09-01", "2026-09-30")
        );
        let leap = TimeRange::Absolute {
            from: d("2024-02-29"),
            to: d("2024-02-29"),
        };
        assert_eq!(
            cmp(leap, "2024-03-01", Compare::SamePeriodLastYear),
            s("2023-02-28", "2023-02-28")
        );
    }
}
