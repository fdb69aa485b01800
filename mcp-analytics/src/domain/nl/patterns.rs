//! A small phrase-pattern matcher over folded words. A pattern is written
//! as space-separated elements: `last|past` (alternatives), `the?`
//! (optional), `<n>` (a typed slot), `@campaigns` (must follow but is not
//! consumed). Tokens already claimed by an earlier phase never match, so
//! each word of a question is understood once.

use chrono::NaiveDate;

use super::lexicon::{DIM_TABLE, MONTHS, NUMERALS, ORDINALS};
use super::normalize::{Token, tokenize};
use crate::domain::semantic::Dimension;

/// Typed slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A whole number, in digits or words.
    N,
    /// A four-digit year from 1900 to 2100.
    Year,
    /// An ISO date `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM`.
    YearMonth,
    /// A month name.
    Month,
    /// `q3` or `t3`.
    Quarter,
    /// `q3-2026`.
    QuarterYear,
    /// An ordinal from first to fourth (or a digit 1–4).
    Ord,
    /// A number with optional decimals.
    Value,
    /// A one-word, non-time dimension name.
    Dim,
}

#[derive(Debug, Clone)]
enum Atom {
    Word(String),
    Slot(Slot),
}

#[derive(Debug, Clone)]
struct Elem {
    alts: Vec<Atom>,
    optional: bool,
    look: bool,
}

/// A compiled phrase pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    elems: Vec<Elem>,
}

/// A value captured by a slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cap {
    N(u64),
    Year(i32),
    Date(NaiveDate),
    YearMonth(i32, u32),
    Month(u32),
    Quarter(u32),
    QuarterYear(u32, i32),
    Ord(u32),
    Value(f64),
    Dim(Dimension, bool),
}

impl Pattern {
    /// Compiles the pattern syntax described in the module docs.
    pub fn new(spec: &str) -> Pattern {
        let elems = spec
            .split_whitespace()
            .map(|e| {
                let (e, look) = match e.strip_prefix('@') {
                    Some(rest) => (rest, true),
                    None => (e, false),
                };
                let (body, optional) = match e.strip_suffix('?') {
                    Some(b) if !b.is_empty() => (b, true),
                    _ => (e, false),
                };
                let alts = body
                    .split('|')
                    .map(|a| match a {
                        "<n>" => Atom::Slot(Slot::N),
                        "<year>" => Atom::Slot(Slot::Year),
                        "<date>" => Atom::Slot(Slot::Date),
                        "<ym>" => Atom::Slot(Slot::YearMonth),
                        "<month>" => Atom::Slot(Slot::Month),
                        "<q>" => Atom::Slot(Slot::Quarter),
                        "<qy>" => Atom::Slot(Slot::QuarterYear),
                        "<ord>" => Atom::Slot(Slot::Ord),
                        "<value>" => Atom::Slot(Slot::Value),
                        "<dim>" => Atom::Slot(Slot::Dim),
                        w => Atom::Word(w.to_owned()),
                    })
                    .collect();
                Elem {
                    alts,
                    optional,
                    look,
                }
            })
            .collect();
        Pattern { elems }
    }

    /// A literal phrase, folded and split like a question.
    pub fn phrase(text: &str) -> Pattern {
        Pattern {
            elems: tokenize(text)
                .into_iter()
                .map(|t| Elem {
                    alts: vec![Atom::Word(t.text)],
                    optional: false,
                    look: false,
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.elems.is_empty()
    }

    /// The word of a one-word literal pattern.
    pub fn single_word(&self) -> Option<&str> {
        match self.elems.as_slice() {
            [e] if e.alts.len() == 1 && !e.optional => match &e.alts[0] {
                Atom::Word(w) => Some(w.as_str()),
                Atom::Slot(_) => None,
            },
            _ => None,
        }
    }
}

/// What claimed a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Name,
    Hint,
    Compare,
    MetricFilter,
    Rank,
    Time,
    Objective,
    Metric,
    Channel,
    Country,
    City,
    Group,
    Dim,
    Negation,
}

/// A pattern found in the question: tokens `start..end` and its captures.
#[derive(Debug, Clone)]
pub struct Hit<T> {
    pub start: usize,
    pub end: usize,
    pub caps: Vec<Cap>,
    pub tag: T,
}

/// The question being parsed and which words are already understood.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub toks: Vec<Token>,
    pub used: Vec<Option<Use>>,
    /// The question is typed in capitals: capitals mean nothing then.
    pub allcaps: bool,
}

type Found = (usize, usize, Vec<Cap>);

impl Ctx {
    pub fn new(toks: Vec<Token>) -> Ctx {
        let letters: Vec<char> = toks
            .iter()
            .flat_map(|t| t.orig.chars())
            .filter(|c| c.is_alphabetic())
            .collect();
        let upper = letters.iter().filter(|c| c.is_uppercase()).count();
        let allcaps = letters.len() >= 6 && upper * 10 >= letters.len() * 7;
        let used = vec![None; toks.len()];
        Ctx {
            toks,
            used,
            allcaps,
        }
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn free(&self, i: usize) -> bool {
        i < self.toks.len() && self.used[i].is_none()
    }

    pub fn text(&self, i: usize) -> &str {
        self.toks.get(i).map(|t| t.text.as_str()).unwrap_or("")
    }

    pub fn used_as(&self, i: usize) -> Option<Use> {
        self.used.get(i).copied().flatten()
    }

    pub fn mark(&mut self, start: usize, end: usize, u: Use) {
        for i in start..end.min(self.used.len()) {
            self.used[i] = Some(u);
        }
    }

    /// Original words `start..end` joined by spaces.
    pub fn orig(&self, start: usize, end: usize) -> String {
        let end = end.min(self.len());
        self.toks[start.min(end)..end]
            .iter()
            .map(|t| t.orig.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn slot(&self, slot: Slot, i: usize) -> Option<Cap> {
        let t = self.text(i);
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        match slot {
            Slot::N => {
                if digits(t) && t.len() <= 12 {
                    t.parse().ok().map(Cap::N)
                } else {
                    NUMERALS
                        .iter()
                        .find(|(w, _)| *w == t)
                        .map(|(_, n)| Cap::N(*n))
                }
            }
            Slot::Year => {
                let y: i32 = if t.len() == 4 && digits(t) {
                    t.parse().ok()?
                } else {
                    return None;
                };
                (1900..=2100).contains(&y).then_some(Cap::Year(y))
            }
            Slot::Date => {
                let parts: Vec<&str> = t.split('-').collect();
                match parts.as_slice() {
                    [y, m, d] if y.len() == 4 && digits(y) && digits(m) && digits(d) => {
                        NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
                            .map(Cap::Date)
                    }
                    _ => None,
                }
            }
            Slot::YearMonth => {
                let parts: Vec<&str> = t.split('-').collect();
                match parts.as_slice() {
                    [y, m] if y.len() == 4 && digits(y) && digits(m) && m.len() <= 2 => {
                        let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
                        ((1..=12).contains(&m) && (1900..=2100).contains(&y))
                            .then_some(Cap::YearMonth(y, m))
                    }
                    _ => None,
                }
            }
            Slot::Month => {
                let m = MONTHS.iter().find(|(w, _)| *w == t).map(|(_, m)| *m)?;
                if t == "may" {
                    // "may" is a month only where a month is expected.
                    let prev = i.checked_sub(1).map(|j| self.text(j)).unwrap_or("");
                    let next = self.text(i + 1);
                    let capital = !self.allcaps && self.toks[i].orig.starts_with('M');
                    let placed = matches!(
                        prev,
                        "in" | "during"
                            | "of"
                            | "for"
                            | "since"
                            | "until"
                            | "from"
                            | "to"
                            | "en"
                            | "de"
                            | "del"
                    );
                    if !(capital || placed || (next.len() == 4 && digits(next))) {
                        return None;
                    }
                }
                Some(Cap::Month(m))
            }
            Slot::Quarter => quarter_word(t).map(Cap::Quarter),
            Slot::QuarterYear => {
                let (q, y) = t.split_once('-')?;
                let q = quarter_word(q)?;
                let y: i32 = if y.len() == 4 && digits(y) {
                    y.parse().ok()?
                } else {
                    return None;
                };
                Some(Cap::QuarterYear(q, y))
            }
            Slot::Ord => match t {
                "1" | "2" | "3" | "4" => t.parse().ok().map(Cap::Ord),
                _ => ORDINALS
                    .iter()
                    .find(|(w, _)| *w == t)
                    .map(|(_, n)| Cap::Ord(*n)),
            },
            Slot::Value => parse_value(t).map(Cap::Value),
            Slot::Dim => DIM_TABLE
                .iter()
                .find(|(p, (d, _))| !d.is_time() && p.single_word() == Some(t))
                .map(|(_, (d, plural))| Cap::Dim(*d, *plural)),
        }
    }

    fn atom(&self, a: &Atom, i: usize) -> Option<Option<Cap>> {
        match a {
            Atom::Word(w) => (self.text(i) == w).then_some(None),
            Atom::Slot(s) => self.slot(*s, i).map(Some),
        }
    }

    /// Longest match of `elems` from `pos`: (end, end of the consumed part, captures).
    fn go(&self, elems: &[Elem], pos: usize, core_end: usize, caps: &[Cap]) -> Option<Found> {
        let Some((first, rest)) = elems.split_first() else {
            return Some((pos, core_end, caps.to_vec()));
        };
        let mut best: Option<Found> = None;
        let mut consider = |r: Option<Found>| {
            if let Some(r) = r
                && best.as_ref().is_none_or(|b| r.0 > b.0)
            {
                best = Some(r);
            }
        };
        if self.free(pos) {
            for alt in &first.alts {
                if let Some(cap) = self.atom(alt, pos) {
                    let mut c = caps.to_vec();
                    c.extend(cap);
                    let ce = if first.look { core_end } else { pos + 1 };
                    consider(self.go(rest, pos + 1, ce, &c));
                }
            }
        }
        if first.optional {
            consider(self.go(rest, pos, core_end, caps));
        }
        best
    }

    /// The pattern at `pos`: (start, end) of the consumed words and captures.
    pub fn match_at(&self, pat: &Pattern, pos: usize) -> Option<Found> {
        let lead = pat.elems.iter().take_while(|e| e.look).count();
        for (k, e) in pat.elems[..lead].iter().enumerate() {
            if !self.free(pos + k) || !e.alts.iter().any(|a| self.atom(a, pos + k).is_some()) {
                return None;
            }
        }
        let start = pos + lead;
        let (_, end, caps) = self.go(&pat.elems[lead..], start, start, &[])?;
        (end > start).then_some((start, end, caps))
    }

    /// Every match of every pattern of `table`, at every position.
    pub fn scan<T: Clone>(&self, table: &[(Pattern, T)]) -> Vec<Hit<T>> {
        let mut hits = Vec::new();
        for pos in 0..self.len() {
            if !self.free(pos) {
                continue;
            }
            for (p, tag) in table {
                if let Some((start, end, caps)) = self.match_at(p, pos) {
                    hits.push(Hit {
                        start,
                        end,
                        caps,
                        tag: tag.clone(),
                    });
                }
            }
        }
        hits
    }
}

/// Longest matches first, then leftmost; keeps the ones that do not overlap
/// and returns them in question order.
pub fn pick<T>(mut hits: Vec<Hit<T>>) -> Vec<Hit<T>> {
    hits.sort_by_key(|h| (std::cmp::Reverse(h.end - h.start), h.start));
    let mut kept: Vec<Hit<T>> = Vec::new();
    for h in hits {
        if kept.iter().all(|k| h.end <= k.start || h.start >= k.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

fn quarter_word(t: &str) -> Option<u32> {
    let mut c = t.chars();
    let (Some('q' | 't'), Some(d @ '1'..='4'), None) = (c.next(), c.next(), c.next()) else {
        return None;
    };
    d.to_digit(10)
}

/// "2.5", "2,5", "1,000", "1.234.567,89" → a number.
pub fn parse_value(t: &str) -> Option<f64> {
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let dots = t.matches('.').count();
    let commas = t.matches(',').count();
    let s: String = match (dots, commas) {
        (0, 0) => t.to_owned(),
        (_, 0) if dots > 1 => t.replace('.', ""),
        (1, 0) => t.to_owned(),
        (0, 1) => {
            let after = t.split(',').nth(1).unwrap_or("");
            if after.len() == 3 {
                t.replace(',', "")
            } else {
                t.replace(',', ".")
            }
        }
        (0, _) => t.replace(',', ""),
        _ => {
            // Both: the last separator is the decimal one.
            let last_dot = t.rfind('.').unwrap_or(0);
            let last_comma = t.rfind(',').unwrap_or(0);
            if last_comma > last_dot {
                t.replace('.', "").replace(',', ".")
            } else {
                t.replace(',', "")
            }
        }
    };
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(s: &str) -> Ctx {
        Ctx::new(tokenize(s))
    }

    #[test]
    fn optional_and_alternative_elements_match_longest() {
        let c = ctx("los ultimos 30 dias");
        let p = Pattern::new("los? ultimos|ultimas <n> dias|dia");
        assert_eq!(c.match_at(&p, 0), Some((0, 4, vec![Cap::N(30)])));
        assert_eq!(c.match_at(&p, 1), Some((1, 4, vec![Cap::N(30)])));
    }

    #[test]
    fn lookahead_elements_are_not_consumed() {
        let c = ctx("awareness campaigns");
        let p = Pattern::new("awareness @campaigns");
        assert_eq!(c.match_at(&p, 0), Some((0, 1, vec![])));
        let c = ctx("campanas de ventas");
        let p = Pattern::new("@campanas de ventas");
        assert_eq!(c.match_at(&p, 0), Some((1, 3, vec![])));
    }

    #[test]
    fn slots_capture_typed_values() {
        let c = ctx("q3-2026 2026-03-01 2025-10 tercer 2.5 october");
        assert_eq!(
            c.slot(Slot::QuarterYear, 0),
            Some(Cap::QuarterYear(3, 2026))
        );
        assert!(matches!(c.slot(Slot::Date, 1), Some(Cap::Date(_))));
        assert_eq!(c.slot(Slot::YearMonth, 2), Some(Cap::YearMonth(2025, 10)));
        assert_eq!(c.slot(Slot::Ord, 3), Some(Cap::Ord(3)));
        assert_eq!(c.slot(Slot::Value, 4), Some(Cap::Value(2.5)));
        assert_eq!(c.slot(Slot::Month, 5), Some(Cap::Month(10)));
        assert_eq!(ctx("revenue may drop").slot(Slot::Month, 1), None);
        assert_eq!(
            ctx("revenue in may").slot(Slot::Month, 2),
            Some(Cap::Month(5))
        );
    }

    #[test]
    fn values_accept_both_decimal_conventions() {
        assert_eq!(parse_value("1,000"), Some(1000.0));
        assert_eq!(parse_value("2,5"), Some(2.5));
        assert_eq!(parse_value("1.234.567,89"), Some(1234567.89));
        assert_eq!(parse_value("1,234.5"), Some(1234.5));
        assert_eq!(parse_value("abc"), None);
    }

    #[test]
    fn pick_prefers_longest_then_leftmost() {
        let c = ctx("retorno de la inversion publicitaria");
        let table = vec![
            (Pattern::phrase("retorno de la inversion"), 1),
            (Pattern::phrase("retorno de la inversion publicitaria"), 2),
            (Pattern::phrase("inversion"), 3),
        ];
        let hits = pick(c.scan(&table));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].tag, 2);
    }
}
