//! The parser's phases. Each phase claims the words it understands, in an
//! order that keeps phrases apart: names, comparisons, metric-value
//! filters, rankings, time, objectives, metrics, places and channels,
//! groupings. A word no phase claims and that is not filler makes the
//! question refused, so nothing the user said is silently dropped.
//!
//! One file per phase: `lookup` (names, destructive verbs, leftovers),
//! `intent` (metrics, metric filters, rankings, objectives), `filters`
//! (places, channels, cities), `dimensions` (groupings), `when` (time and
//! comparison), `assembly` (the spec) and `refusal` (what to say instead).

mod assembly;
mod colloquial;
mod dimensions;
mod filters;
mod followup;
mod intent;
mod lookup;
mod refusal;
mod when;

use crate::domain::nl::currency::split_currency_phrase;
use chrono::NaiveDate;
use promptsales_shared::domain::Channel;

use super::lexicon::RankTag;
use super::names::Prepared;
use super::normalize::tokenize;
use super::patterns::Ctx;
use super::time::Unit;
use super::{Language, NameIndex, NotUnderstood, Parsed, detect_language};
use crate::domain::period::{Compare, TimeRange};
use crate::domain::semantic::{Dimension, Metric};
use crate::domain::spec::{Direction, FilterOp, QuerySpec};

/// How a grouping was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// "by channel", "por país".
    Cue,
    /// "which channel", "qué canal".
    Question,
    /// "monthly", "mensual".
    Adjective,
    /// A dimension word a ranking refers to ("the best channel").
    Bare,
    /// Several values of one dimension were named ("Mexico and Colombia").
    Multi,
}

#[derive(Debug, Clone, Copy)]
struct DimPick {
    pos: usize,
    dim: Dimension,
    source: Source,
    plural: bool,
}

#[derive(Debug, Clone)]
struct Entity {
    kind: Dimension,
    ids: Vec<String>,
    label: String,
    typed: Option<String>,
}

#[derive(Debug, Clone)]
struct MetricFilterHit {
    start: usize,
    end: usize,
    op: FilterOp,
    value: f64,
    percent: bool,
    text: String,
}

#[derive(Debug, Clone, Copy)]
struct RankHit {
    end: usize,
    tag: RankTag,
    n: Option<u64>,
    dim_pos: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Ranking {
    metric: Metric,
    direction: Direction,
    limit: Option<u32>,
    flipped: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Problem {
    Empty,
    TooLong,
    Destructive(String),
    NoMetric,
    UnknownGroup(String),
    UnknownWords(Vec<String>),
    LimitTooLarge(u64),
    LimitZero,
    RankNeedsDim,
    FilterNeedsDim,
    TwoTimes(Vec<String>),
    TwoCompares,
    TwoGrains(Vec<Dimension>),
    NeedsYear(String),
    Ambiguous(String, Vec<String>),
    TooBroad(String, usize),
    OrphanNumber(String),
    Invalid(String),
}

struct State<'a> {
    lang: Language,
    ctx: Ctx,
    names: &'a NameIndex,
    prepared: std::sync::Arc<Prepared>,
    as_of: Option<NaiveDate>,
    metric_hits: Vec<(usize, Metric)>,
    dims: Vec<DimPick>,
    countries: Vec<(&'static str, bool)>,
    channels: Vec<(Channel, bool)>,
    objectives: Vec<&'static str>,
    entities: Vec<Entity>,
    city: Option<String>,
    mf_hits: Vec<MetricFilterHit>,
    metric_filters: Vec<(Metric, FilterOp, f64)>,
    times: Vec<(TimeRange, String)>,
    compares: Vec<(Compare, Unit)>,
    ranks: Vec<RankHit>,
    ranking: Option<Ranking>,
    notes: Vec<String>,
    problems: Vec<Problem>,
    /// Positions of the words no phase claimed.
    unknown_at: Vec<usize>,
    /// The previous answer's spec, when the question follows up on it.
    context: Option<&'a QuerySpec>,
}

/// Longest question read, in words.
const MAX_WORDS: usize = 80;

/// Maps a question to a spec (see [`super::parse_at`]). A question
/// refused for words it does not know is read once more with those words'
/// unambiguous misspellings corrected; the correction is noted.
pub fn parse(
    question: &str,
    names: &NameIndex,
    as_of: Option<NaiveDate>,
    context: Option<&QuerySpec>,
) -> Result<Parsed, NotUnderstood> {
    // "in USD", "en pesos colombianos": the reporting currency, read apart
    // so its words are not taken for filters or refused as unknown; a
    // follow-up keeps the conversation's currency.
    let (currency, rest) = match split_currency_phrase(question) {
        Some((c, rest)) => (Some(c), rest),
        None => (None, question.to_owned()),
    };
    let mut parsed = parse_words(&rest, names, as_of, context)?;
    let currency = currency.or_else(|| context.and_then(|c| c.currency));
    if let Some(c) = currency {
        parsed.spec.currency = Some(c);
        parsed.understood.push(format!("currency: {}", c.as_str()));
    }
    Ok(parsed)
}

fn parse_words(
    question: &str,
    names: &NameIndex,
    as_of: Option<NaiveDate>,
    context: Option<&QuerySpec>,
) -> Result<Parsed, NotUnderstood> {
    let lang = detect_language(question);
    let toks = tokenize(question);
    let mut s = State::new(lang, toks.clone(), names, as_of);
    if let Some(p) = s.run() {
        return Err(s.refuse(vec![p]));
    }
    s.context = context.filter(|_| s.follows_up());
    let fixes = s.typo_fixes();
    if fixes.is_empty() {
        return s.finish();
    }
    let mut fixed = toks;
    let mut notes = Vec::new();
    for (i, w) in fixes {
        notes.push(format!("read '{}' as '{w}'", fixed[i].orig));
        fixed[i].text = w.to_owned();
    }
    let mut again = State::new(lang, fixed, names, as_of);
    again.notes = notes;
    if again.run().is_some() {
        return s.finish();
    }
    again.context = context.filter(|_| again.follows_up());
    match again.finish() {
        Ok(p) => Ok(p),
        Err(_) => s.finish(),
    }
}

impl<'a> State<'a> {
    fn new(
        lang: Language,
        toks: Vec<super::normalize::Token>,
        names: &'a NameIndex,
        as_of: Option<NaiveDate>,
    ) -> State<'a> {
        State {
            lang,
            ctx: Ctx::new(toks),
            names,
            prepared: std::sync::Arc::default(),
            as_of,
            metric_hits: Vec::new(),
            dims: Vec::new(),
            countries: Vec::new(),
            channels: Vec::new(),
            objectives: Vec::new(),
            entities: Vec::new(),
            city: None,
            mf_hits: Vec::new(),
            metric_filters: Vec::new(),
            times: Vec::new(),
            compares: Vec::new(),
            ranks: Vec::new(),
            ranking: None,
            notes: Vec::new(),
            problems: Vec::new(),
            unknown_at: Vec::new(),
            context: None,
        }
    }

    /// Every phase in order; a problem that stops the question at once.
    fn run(&mut self) -> Option<Problem> {
        if self.ctx.len() == 0 {
            return Some(Problem::Empty);
        }
        if self.ctx.len() > MAX_WORDS {
            return Some(Problem::TooLong);
        }
        self.names_full();
        if let Some(w) = self.destructive() {
            return Some(Problem::Destructive(w));
        }
        self.compare();
        self.metric_filter_phrases();
        self.cost_superlatives();
        self.ranking_phrases();
        self.time();
        self.versus_period();
        self.objectives();
        self.metrics();
        self.implied_metric();
        self.attach_metric_filters();
        self.city();
        self.channels();
        self.countries();
        self.lower_codes();
        self.grouping();
        self.trend();
        self.who();
        self.bare_dims();
        self.names_partial();
        self.product_sales();
        self.leftover();
        None
    }
}

fn dedup<T: PartialEq + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
