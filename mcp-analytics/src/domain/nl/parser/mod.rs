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
mod dimensions;
mod filters;
mod intent;
mod lookup;
mod refusal;
mod when;

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
use crate::domain::spec::{Direction, FilterOp};

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
}

/// Longest question read, in words.
const MAX_WORDS: usize = 80;

/// Maps a question to a spec (see [`super::parse_at`]).
pub fn parse(
    question: &str,
    names: &NameIndex,
    as_of: Option<NaiveDate>,
) -> Result<Parsed, NotUnderstood> {
    let lang = detect_language(question);
    let mut s = State {
        lang,
        ctx: Ctx::new(tokenize(question)),
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
    };
    if s.ctx.len() == 0 {
        return Err(s.refuse(vec![Problem::Empty]));
    }
    if s.ctx.len() > MAX_WORDS {
        return Err(s.refuse(vec![Problem::TooLong]));
    }
    s.names_full();
    if let Some(w) = s.destructive() {
        return Err(s.refuse(vec![Problem::Destructive(w)]));
    }
    s.compare();
    s.metric_filter_phrases();
    s.ranking_phrases();
    s.time();
    s.objectives();
    s.metrics();
    s.attach_metric_filters();
    s.city();
    s.channels();
    s.countries();
    s.grouping();
    s.bare_dims();
    s.names_partial();
    s.leftover();
    s.finish()
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
