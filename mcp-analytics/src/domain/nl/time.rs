//! Time and comparison phrases of BRIEF §5 in English and Spanish, turned
//! into [`TimeRange`] and [`Compare`] without resolving dates (the executor
//! resolves against `as_of`), plus the labels sentences use for them.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

use super::Language;
use super::lexicon::{MONTH_NAMES_EN, MONTH_NAMES_ES};
use super::patterns::{Cap, Pattern};
use crate::domain::period::{Compare, RelativePeriod, TimeRange};

/// What a time phrase means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeTag {
    Rel(RelativePeriod),
    /// "last N days/weeks": N × the factor.
    Days(u32),
    /// "last N months": N × 30 days (noted).
    Months,
    /// "last N years": N × 365 days (noted).
    Years,
    /// A fixed number of days ("the past week").
    Fixed(u32),
    MonthBare,
    MonthYear,
    QuarterYear,
    QuarterBare,
    Year,
    IsoRange,
    IsoSingle,
    DayRange,
    DaySingle,
}

/// A time phrase turned into a range.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeOut {
    /// The range and a note when it is an approximation or an assumption.
    Range(TimeRange, Option<String>),
    /// The phrase has no year and no `as_of` is known to supply one.
    NeedsYear,
    /// Not a real date ("October 45").
    Invalid,
}

pub static TIME_TABLE: LazyLock<Vec<(Pattern, TimeTag)>> = LazyLock::new(|| {
    use RelativePeriod::*;
    use TimeTag::*;
    let rows: &[(&str, TimeTag)] = &[
        ("today|hoy", Rel(Today)),
        ("yesterday|ayer", Rel(Yesterday)),
        ("this|current week", Rel(ThisWeek)),
        ("week to date", Rel(ThisWeek)),
        ("wtd", Rel(ThisWeek)),
        ("esta semana", Rel(ThisWeek)),
        ("semana actual|corriente", Rel(ThisWeek)),
        ("semana en curso", Rel(ThisWeek)),
        ("lo que va de|del la? semana", Rel(ThisWeek)),
        ("last|previous|prior week", Rel(LastWeek)),
        ("semana pasada|anterior", Rel(LastWeek)),
        ("pasada semana", Rel(LastWeek)),
        ("this|current month", Rel(ThisMonth)),
        ("month to date", Rel(ThisMonth)),
        ("mtd", Rel(ThisMonth)),
        ("este mes", Rel(ThisMonth)),
        ("mes actual|corriente", Rel(ThisMonth)),
        ("mes en curso", Rel(ThisMonth)),
        ("lo que va de|del mes", Rel(ThisMonth)),
        ("last|previous|prior month", Rel(LastMonth)),
        ("mes pasado|anterior", Rel(LastMonth)),
        ("pasado mes", Rel(LastMonth)),
        ("this|current quarter", Rel(ThisQuarter)),
        ("quarter to date", Rel(ThisQuarter)),
        ("qtd", Rel(ThisQuarter)),
        ("este trimestre", Rel(ThisQuarter)),
        ("trimestre actual|corriente", Rel(ThisQuarter)),
        ("trimestre en curso", Rel(ThisQuarter)),
        ("lo que va de|del trimestre", Rel(ThisQuarter)),
        ("last|previous|prior quarter", Rel(LastQuarter)),
        ("trimestre pasado|anterior", Rel(LastQuarter)),
        ("pasado trimestre", Rel(LastQuarter)),
        ("this|current year", Rel(ThisYear)),
        ("year to date", Rel(ThisYear)),
        ("ytd", Rel(ThisYear)),
        ("este ano", Rel(ThisYear)),
        ("ano actual|corriente", Rel(ThisYear)),
        ("ano en curso", Rel(ThisYear)),
        ("lo que va de|del ano", Rel(ThisYear)),
        ("last|previous|prior year", Rel(LastYear)),
        ("ano pasado|anterior", Rel(LastYear)),
        ("pasado ano", Rel(LastYear)),
        ("last|past|previous|prior|trailing <n> days|day", Days(1)),
        ("<n> days|day", Days(1)),
        ("ultimos|ultimas|pasados|pasadas <n> dias|dia", Days(1)),
        ("<n> ultimos|pasados dias", Days(1)),
        ("<n> dias", Days(1)),
        ("last|past|previous|prior|trailing <n> weeks|week", Days(7)),
        ("<n> weeks", Days(7)),
        ("ultimas|pasadas <n> semanas|semana", Days(7)),
        ("<n> ultimas|pasadas semanas", Days(7)),
        ("<n> semanas", Days(7)),
        ("last|past|previous|prior|trailing <n> months|month", Months),
        ("<n> months", Months),
        ("ultimos|pasados <n> meses|mes", Months),
        ("<n> ultimos|pasados meses", Months),
        ("<n> meses", Months),
        ("last|past|previous|prior|trailing <n> years|year", Years),
        ("ultimos|pasados <n> anos|ano", Years),
        ("past|last|trailing week", Fixed(7)),
        ("ultima semana", Fixed(7)),
        ("past|trailing month", Fixed(30)),
        ("ultimo mes", Fixed(30)),
        ("past|trailing year", Fixed(365)),
        ("ultimo ano", Fixed(365)),
        ("<month>", MonthBare),
        ("last|past <month>", MonthBare),
        ("<month> pasado", MonthBare),
        ("pasado <month>", MonthBare),
        ("<month> de|del|of? <year>", MonthYear),
        ("<ym>", MonthYear),
        ("<q> de|del|of? <year>", QuarterYear),
        ("<year> <q>", QuarterYear),
        ("<qy>", QuarterYear),
        ("<ord> quarter|trimestre de|del|of? <year>", QuarterYear),
        ("quarter|trimestre <ord> de|del|of? <year>", QuarterYear),
        ("<q>", QuarterBare),
        ("<ord> quarter|trimestre", QuarterBare),
        ("quarter|trimestre <ord>", QuarterBare),
        ("<year>", Year),
        ("year|ano <year>", Year),
        (
            "between|from|entre|desde|del|de el? <date> and|to|through|thru|until|till|y|al|a|hasta el? <date>",
            IsoRange,
        ),
        (
            "<date> and|to|through|thru|until|till|y|al|a|hasta el? <date>",
            IsoRange,
        ),
        ("<date> <date>", IsoRange),
        ("<date>", IsoSingle),
        (
            "del|desde|entre|de? el? <n> al|hasta|y|a el? <n> de <month> de|del? <year>?",
            DayRange,
        ),
        (
            "del|desde|entre|de? el? <n> de <month> al|hasta|y|a el? <n> de <month> de|del? <year>?",
            DayRange,
        ),
        (
            "between|from <month> <n> and|to|through|until|till <month>? <n> <year>?",
            DayRange,
        ),
        (
            "between|from <n> <month> and|to|through|until|till <n> <month> <year>?",
            DayRange,
        ),
        ("<n> de <month> de|del? <year>?", DaySingle),
        ("<month> <n> <year>?", DaySingle),
        ("<n> <month> <year>?", DaySingle),
    ];
    rows.iter().map(|(p, t)| (Pattern::new(p), *t)).collect()
});

struct Caps {
    ns: Vec<u64>,
    months: Vec<u32>,
    years: Vec<i32>,
    dates: Vec<NaiveDate>,
    ym: Option<(i32, u32)>,
    quarter: Option<u32>,
    qy: Option<(u32, i32)>,
}

fn caps(c: &[Cap]) -> Caps {
    let mut out = Caps {
        ns: vec![],
        months: vec![],
        years: vec![],
        dates: vec![],
        ym: None,
        quarter: None,
        qy: None,
    };
    for cap in c {
        match *cap {
            Cap::N(n) => out.ns.push(n),
            Cap::Month(m) => out.months.push(m),
            Cap::Year(y) => out.years.push(y),
            Cap::Date(d) => out.dates.push(d),
            Cap::YearMonth(y, m) => out.ym = Some((y, m)),
            Cap::Quarter(q) | Cap::Ord(q) => out.quarter = Some(q),
            Cap::QuarterYear(q, y) => out.qy = Some((q, y)),
            Cap::Value(_) | Cap::Dim(..) => {}
        }
    }
    out
}

fn days(n: u64) -> Option<u32> {
    u32::try_from(n).ok().filter(|d| *d > 0)
}

/// Turns a matched time phrase into a range.
pub fn build(tag: TimeTag, c: &[Cap], as_of: Option<NaiveDate>) -> TimeOut {
    let c = caps(c);
    let range = |t: TimeRange| TimeOut::Range(t, None);
    let noted = |t: TimeRange, note: String| TimeOut::Range(t, Some(note));
    let n = c.ns.first().copied();
    match tag {
        TimeTag::Rel(period) => range(TimeRange::Relative { period }),
        TimeTag::Days(factor) => match n.and_then(|n| days(n.saturating_mul(u64::from(factor)))) {
            Some(d) => range(TimeRange::LastNDays { days: d }),
            None => TimeOut::Invalid,
        },
        TimeTag::Months => {
            match n.and_then(|n| days(if n == 12 { 365 } else { n.saturating_mul(30) })) {
                Some(d) => noted(
                    TimeRange::LastNDays { days: d },
                    format!(
                        "the last {} months taken as the last {d} days",
                        n.unwrap_or(0)
                    ),
                ),
                None => TimeOut::Invalid,
            }
        }
        TimeTag::Years => match n.and_then(|n| days(n.saturating_mul(365))) {
            Some(d) => noted(
                TimeRange::LastNDays { days: d },
                format!(
                    "the last {} years taken as the last {d} days",
                    n.unwrap_or(0)
                ),
            ),
            None => TimeOut::Invalid,
        },
        TimeTag::Fixed(d) => {
            let t = TimeRange::LastNDays { days: d };
            if d == 7 {
                range(t)
            } else {
                noted(t, format!("taken as the last {d} days"))
            }
        }
        TimeTag::MonthBare => match c.months.first() {
            Some(m) => range(TimeRange::Month {
                month: *m,
                year: None,
            }),
            None => TimeOut::Invalid,
        },
        TimeTag::MonthYear => match (c.ym, c.months.first(), c.years.first()) {
            (Some((y, m)), _, _) | (None, Some(&m), Some(&y)) => range(TimeRange::Month {
                month: m,
                year: Some(y),
            }),
            _ => TimeOut::Invalid,
        },
        TimeTag::QuarterYear => match (c.qy, c.quarter, c.years.first()) {
            (Some((q, y)), _, _) | (None, Some(q), Some(&y)) => range(TimeRange::Quarter {
                quarter: q,
                year: y,
            }),
            _ => TimeOut::Invalid,
        },
        TimeTag::QuarterBare => match (c.quarter, as_of) {
            (Some(q), Some(as_of)) => {
                let start_month = (q - 1) * 3 + 1;
                let year = if start_month > as_of.month() {
                    as_of.year() - 1
                } else {
                    as_of.year()
                };
                noted(
                    TimeRange::Quarter { quarter: q, year },
                    format!("Q{q} without a year taken as Q{q} {year}"),
                )
            }
            (Some(_), None) => TimeOut::NeedsYear,
            _ => TimeOut::Invalid,
        },
        TimeTag::Year => match c.years.first() {
            Some(y) => range(TimeRange::Year { year: *y }),
            None => TimeOut::Invalid,
        },
        TimeTag::IsoRange => match c.dates.as_slice() {
            [from, to] => range(TimeRange::Absolute {
                from: *from,
                to: *to,
            }),
            _ => TimeOut::Invalid,
        },
        TimeTag::IsoSingle => match c.dates.first() {
            Some(d) => range(TimeRange::Absolute { from: *d, to: *d }),
            None => TimeOut::Invalid,
        },
        TimeTag::DayRange | TimeTag::DaySingle => {
            let (Some(&d1), Some(&m1)) = (c.ns.first(), c.months.first()) else {
                return TimeOut::Invalid;
            };
            let (d2, m2) = if tag == TimeTag::DayRange {
                match (c.ns.get(1), c.months.last()) {
                    (Some(&d2), Some(&m2)) => (d2, m2),
                    _ => return TimeOut::Invalid,
                }
            } else {
                (d1, m1)
            };
            let ymd = |y: i32, m: u32, d: u64| {
                u32::try_from(d)
                    .ok()
                    .and_then(|d| NaiveDate::from_ymd_opt(y, m, d))
            };
            let (year, note) = match (c.years.first(), as_of) {
                (Some(y), _) => (*y, None),
                (None, Some(a)) => {
                    let y = match ymd(a.year(), m2, d2) {
                        Some(end) if end > a => a.year() - 1,
                        _ => a.year(),
                    };
                    (y, Some(format!("date without a year taken in {y}")))
                }
                (None, None) => return TimeOut::NeedsYear,
            };
            match (ymd(year, m1, d1), ymd(year, m2, d2)) {
                (Some(from), Some(to)) if from <= to => {
                    let t = TimeRange::Absolute { from, to };
                    match note {
                        Some(n) => noted(t, n),
                        None => range(t),
                    }
                }
                _ => TimeOut::Invalid,
            }
        }
    }
}

/// The calendar unit a comparison phrase names, which decides the range
/// assumed when the question names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Period,
}

impl Unit {
    /// The current period of this unit.
    pub fn current(self) -> RelativePeriod {
        match self {
            Unit::Day => RelativePeriod::Today,
            Unit::Week => RelativePeriod::ThisWeek,
            Unit::Month | Unit::Period => RelativePeriod::ThisMonth,
            Unit::Quarter => RelativePeriod::ThisQuarter,
            Unit::Year => RelativePeriod::ThisYear,
        }
    }
}

pub static COMPARE_TABLE: LazyLock<Vec<(Pattern, (Compare, Unit))>> = LazyLock::new(|| {
    use Compare::*;
    const CONN: &str = "vs|versus|v|against|contra|compared|comparing|comparado|comparada|comparados|comparadas|\
        comparando|frente|respecto|relative|comparison|comparacion|compare|comparar|comparalo";
    const LINK: &str = "to|with|con|a|al|contra|against|de|del?";
    const ART: &str = "the|el|la|los|las|lo?";
    let targets: &[(&str, (Compare, Unit))] = &[
        (
            "previous|prior|preceding|last|past period",
            (PreviousPeriod, Unit::Period),
        ),
        ("period before", (PreviousPeriod, Unit::Period)),
        (
            "periodo|period anterior|previo|pasado|precedente",
            (PreviousPeriod, Unit::Period),
        ),
        ("previous|prior", (PreviousPeriod, Unit::Period)),
        (
            "previous|prior|preceding|last month",
            (PreviousPeriod, Unit::Month),
        ),
        ("month before", (PreviousPeriod, Unit::Month)),
        ("mes anterior|pasado|previo", (PreviousPeriod, Unit::Month)),
        (
            "previous|prior|preceding|last week",
            (PreviousPeriod, Unit::Week),
        ),
        ("week before", (PreviousPeriod, Unit::Week)),
        (
            "semana anterior|pasada|previa",
            (PreviousPeriod, Unit::Week),
        ),
        (
            "previous|prior|preceding|last quarter",
            (PreviousPeriod, Unit::Quarter),
        ),
        ("quarter before", (PreviousPeriod, Unit::Quarter)),
        (
            "trimestre anterior|pasado|previo",
            (PreviousPeriod, Unit::Quarter),
        ),
        ("previous|prior day", (PreviousPeriod, Unit::Day)),
        ("day before", (PreviousPeriod, Unit::Day)),
        ("yesterday|ayer", (PreviousPeriod, Unit::Day)),
        ("dia anterior", (PreviousPeriod, Unit::Day)),
        (
            "previous|prior|preceding|last|past year",
            (SamePeriodLastYear, Unit::Year),
        ),
        ("year before", (SamePeriodLastYear, Unit::Year)),
        (
            "ano anterior|pasado|previo",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "same period|time of? the? last|previous|prior year",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "same period|time a year ago",
            (SamePeriodLastYear, Unit::Year),
        ),
        ("a year ago", (SamePeriodLastYear, Unit::Year)),
        (
            "mismo periodo del|de ano anterior|pasado",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "mismo periodo hace un ano",
            (SamePeriodLastYear, Unit::Year),
        ),
        ("hace un ano", (SamePeriodLastYear, Unit::Year)),
        (
            "same month|quarter|week|day|period of? the? last|previous|prior year",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "same month|quarter|week|day a year ago|earlier",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "mismo|misma mes|trimestre|semana|dia|periodo del|de ano pasado|anterior",
            (SamePeriodLastYear, Unit::Year),
        ),
    ];
    let mut out: Vec<(Pattern, (Compare, Unit))> = targets
        .iter()
        .map(|(t, v)| (Pattern::new(&format!("{CONN} {LINK} {ART} {t}")), *v))
        .collect();
    let alone: &[(&str, (Compare, Unit))] = &[
        ("period over period", (PreviousPeriod, Unit::Period)),
        ("month over month", (PreviousPeriod, Unit::Month)),
        ("mom", (PreviousPeriod, Unit::Month)),
        ("mes contra mes", (PreviousPeriod, Unit::Month)),
        ("week over week", (PreviousPeriod, Unit::Week)),
        ("semana contra semana", (PreviousPeriod, Unit::Week)),
        ("quarter over quarter", (PreviousPeriod, Unit::Quarter)),
        ("qoq", (PreviousPeriod, Unit::Quarter)),
        ("year over year", (SamePeriodLastYear, Unit::Year)),
        ("yoy", (SamePeriodLastYear, Unit::Year)),
        (
            "interanual|interanuales|interanualmente",
            (SamePeriodLastYear, Unit::Year),
        ),
        ("ano contra ano", (SamePeriodLastYear, Unit::Year)),
        ("same period last year", (SamePeriodLastYear, Unit::Year)),
        (
            "the? same month|quarter|week|day|period of? the? last|previous|prior year",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "the? same month|quarter|week|day a year ago|earlier",
            (SamePeriodLastYear, Unit::Year),
        ),
        (
            "el|la? mismo|misma mes|trimestre|semana|dia|periodo del|de ano pasado|anterior",
            (SamePeriodLastYear, Unit::Year),
        ),
        ("ano contra ano|vs ano", (SamePeriodLastYear, Unit::Year)),
        (
            "compared with|to the? previous|prior|preceding month|quarter|week|period",
            (PreviousPeriod, Unit::Period),
        ),
        (
            "mismo periodo del ano pasado|anterior",
            (SamePeriodLastYear, Unit::Year),
        ),
    ];
    out.extend(alone.iter().map(|(t, v)| (Pattern::new(t), *v)));
    out
});

fn relative_label(p: RelativePeriod, language: Language) -> &'static str {
    use RelativePeriod::*;
    match (language, p) {
        (Language::En, Today) => "today",
        (Language::En, Yesterday) => "yesterday",
        (Language::En, ThisWeek) => "this week",
        (Language::En, LastWeek) => "last week",
        (Language::En, ThisMonth) => "this month",
        (Language::En, LastMonth) => "last month",
        (Language::En, ThisQuarter) => "this quarter",
        (Language::En, LastQuarter) => "last quarter",
        (Language::En, ThisYear) => "this year",
        (Language::En, LastYear) => "last year",
        (Language::Es, Today) => "hoy",
        (Language::Es, Yesterday) => "ayer",
        (Language::Es, ThisWeek) => "esta semana",
        (Language::Es, LastWeek) => "la semana pasada",
        (Language::Es, ThisMonth) => "este mes",
        (Language::Es, LastMonth) => "el mes pasado",
        (Language::Es, ThisQuarter) => "este trimestre",
        (Language::Es, LastQuarter) => "el trimestre pasado",
        (Language::Es, ThisYear) => "este año",
        (Language::Es, LastYear) => "el año pasado",
    }
}

const ORDINALS_ES: [&str; 4] = ["primer", "segundo", "tercer", "cuarto"];

/// A time range as the words that follow a subject in a sentence: "last
/// month", "in October 2025", "in the last 30 days" / "el mes pasado", "en
/// octubre de 2025", "en los últimos 30 días". The parser reads every label
/// back to the same range.
pub fn describe_time(language: Language, t: &TimeRange) -> String {
    let month_name = |m: u32| {
        let i = (m.clamp(1, 12) - 1) as usize;
        match language {
            Language::En => MONTH_NAMES_EN[i],
            Language::Es => MONTH_NAMES_ES[i],
        }
    };
    match (language, t) {
        (_, TimeRange::Relative { period }) => relative_label(*period, language).to_owned(),
        (Language::En, TimeRange::LastNDays { days }) => {
            format!(
                "in the last {days} {}",
                if *days == 1 { "day" } else { "days" }
            )
        }
        (Language::Es, TimeRange::LastNDays { days }) => {
            format!(
                "en los últimos {days} {}",
                if *days == 1 { "día" } else { "días" }
            )
        }
        (Language::En, TimeRange::Month { month, year: None }) => {
            format!("in {}", month_name(*month))
        }
        (
            Language::En,
            TimeRange::Month {
                month,
                year: Some(y),
            },
        ) => format!("in {} {y}", month_name(*month)),
        (Language::Es, TimeRange::Month { month, year: None }) => {
            format!("en {}", month_name(*month))
        }
        (
            Language::Es,
            TimeRange::Month {
                month,
                year: Some(y),
            },
        ) => format!("en {} de {y}", month_name(*month)),
        (Language::En, TimeRange::Quarter { quarter, year }) => format!("in Q{quarter} {year}"),
        (Language::Es, TimeRange::Quarter { quarter, year }) => {
            let ord = ORDINALS_ES
                .get((*quarter as usize).wrapping_sub(1))
                .copied()
                .unwrap_or("");
            format!("en el {ord} trimestre de {year}")
        }
        (Language::En, TimeRange::Year { year }) => format!("in {year}"),
        (Language::Es, TimeRange::Year { year }) => format!("en {year}"),
        (Language::En, TimeRange::Absolute { from, to }) if from == to => format!("on {from}"),
        (Language::Es, TimeRange::Absolute { from, to }) if from == to => format!("el {from}"),
        (Language::En, TimeRange::Absolute { from, to }) => format!("between {from} and {to}"),
        (Language::Es, TimeRange::Absolute { from, to }) => format!("entre el {from} y el {to}"),
    }
}

/// How a comparison reads in a sentence: "the previous period" / "el periodo anterior".
pub fn describe_compare(language: Language, c: Compare) -> &'static str {
    match (language, c) {
        (Language::En, Compare::PreviousPeriod) => "the previous period",
        (Language::En, Compare::SamePeriodLastYear) => "the same period last year",
        (Language::Es, Compare::PreviousPeriod) => "el periodo anterior",
        (Language::Es, Compare::SamePeriodLastYear) => "el mismo periodo del año anterior",
    }
}
