//! The parser's phases. Each phase claims the words it understands, in an
//! order that keeps phrases apart: names, comparisons, metric-value
//! filters, rankings, time, objectives, metrics, places and channels,
//! groupings. A word no phase claims and that is not filler makes the
//! question refused, so nothing the user said is silently dropped.

use std::sync::LazyLock;

use chrono::NaiveDate;
use promptsales_shared::domain::{Channel, Vocabulary};

use super::answer::metric_label;
use super::lexicon::{
    CHANNEL_TABLE, COUNTRY_TABLE, Cue, DESTRUCTIVE, DIM_TABLE, FILLER, GRAIN_TABLE,
    METRIC_FILTER_TABLE, METRIC_TABLE, NEGATIONS, OBJECTIVE_TABLE, RANK_TABLE, RankTag,
    country_display, uppercase_country,
};
use super::names::{self, Found, Prepared};
use super::normalize::tokenize;
use super::patterns::{Cap, Ctx, Hit, Pattern, Use, pick};
use super::time::{self, TimeOut, Unit, describe_time};
use super::{Language, NameIndex, NotUnderstood, Parsed, detect_language};
use crate::domain::period::{Compare, TimeRange};
use crate::domain::semantic::{Dimension, Metric, Unit as MetricUnit};
use crate::domain::spec::{
    Direction, Filter, FilterOp, FilterValue, MAX_LIMIT, OrderBy, QuerySpec,
};

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

const ARTICLES: &[&str] = &[
    "the", "el", "la", "los", "las", "su", "sus", "our", "nuestro", "nuestra", "nuestros",
    "nuestras", "every", "each", "cada", "its", "their",
];

/// "by", "por", "broken down by"…: strong cues must be followed by a
/// dimension; weak ones ("each", "across") only group when they are.
static GROUP_CUES: LazyLock<Vec<(Pattern, bool)>> = LazyLock::new(|| {
    let rows: &[(&str, bool)] = &[
        ("by|per|por|segun", true),
        ("broken|break|split|grouped|segmented down? by", true),
        ("breakdown by|per|of", true),
        (
            "desglosado|desglosados|desglosada|desglosadas|agrupado|agrupados|agrupada|agrupadas|dividido|divididos|segmentado|segmentados por",
            true,
        ),
        ("desglose por|de", true),
        ("for each|every", true),
        ("por|para|en|de cada", true),
        ("by|in|per each", true),
        ("each|cada|across|every", false),
    ];
    rows.iter().map(|(p, s)| (Pattern::new(p), *s)).collect()
});

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

impl State<'_> {
    /// A verb that would change data, outside any name ("Drop Earrings").
    fn destructive(&self) -> Option<String> {
        (0..self.ctx.len())
            .find(|&i| self.ctx.free(i) && DESTRUCTIVE.contains(&self.ctx.text(i)))
            .map(|i| self.ctx.toks[i].orig.clone())
    }

    fn take_found(&mut self, found: Vec<Found>) {
        for f in found {
            match f {
                Found::Match {
                    start,
                    end,
                    kind,
                    ids,
                    label,
                    typed,
                    hint,
                } => {
                    self.ctx.mark(start, end, Use::Name);
                    if let Some(h) = hint {
                        self.ctx.mark(h, h + 1, Use::Hint);
                    }
                    self.entities.push(Entity {
                        kind,
                        ids,
                        label,
                        typed,
                    });
                }
                Found::Ambiguous {
                    start,
                    end,
                    text,
                    options,
                } => {
                    self.ctx.mark(start, end, Use::Name);
                    self.problems.push(Problem::Ambiguous(text, options));
                }
                Found::TooBroad {
                    start,
                    end,
                    text,
                    count,
                } => {
                    self.ctx.mark(start, end, Use::Name);
                    self.problems.push(Problem::TooBroad(text, count));
                }
            }
        }
    }

    fn names_full(&mut self) {
        self.prepared = names::prepared(self.names);
        let ids = names::ids(&self.ctx, &self.prepared);
        self.take_found(ids);
        let full = names::full(&self.ctx, &self.prepared);
        self.take_found(full);
    }

    fn names_partial(&mut self) {
        let partial = names::partial(&self.ctx, &self.prepared);
        self.take_found(partial);
    }

    fn compare(&mut self) {
        for h in pick(self.ctx.scan(&time::COMPARE_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Compare);
            self.compares.push(h.tag);
        }
    }

    fn metric_filter_phrases(&mut self) {
        for h in pick(self.ctx.scan(&METRIC_FILTER_TABLE)) {
            let Some(value) = h.caps.iter().find_map(|c| match c {
                Cap::Value(v) => Some(*v),
                _ => None,
            }) else {
                continue;
            };
            let percent = (h.start..h.end)
                .any(|i| matches!(self.ctx.text(i), "%" | "percent" | "pct" | "ciento"));
            self.ctx.mark(h.start, h.end, Use::MetricFilter);
            self.mf_hits.push(MetricFilterHit {
                start: h.start,
                end: h.end,
                op: h.tag,
                value,
                percent,
                text: self.ctx.orig(h.start, h.end),
            });
        }
    }

    fn ranking_phrases(&mut self) {
        let n_of = |h: &Hit<RankTag>| {
            h.caps.iter().find_map(|c| match c {
                Cap::N(n) => Some(*n),
                _ => None,
            })
        };
        let hits: Vec<Hit<RankTag>> = self
            .ctx
            .scan(&RANK_TABLE)
            .into_iter()
            .filter(|h| {
                h.tag != RankTag::NDim || !n_of(h).is_some_and(|n| (1900..=2100).contains(&n))
            })
            .collect();
        for h in pick(hits) {
            let n = n_of(&h);
            let (mark_end, dim_pos) = if h.tag == RankTag::NDim {
                (h.end - 1, Some(h.end - 1))
            } else {
                (h.end, None)
            };
            self.ctx.mark(h.start, mark_end, Use::Rank);
            self.ranks.push(RankHit {
                end: h.end,
                tag: h.tag,
                n,
                dim_pos,
            });
        }
    }

    fn time(&mut self) {
        let hits: Vec<Hit<TimeOut>> = self
            .ctx
            .scan(&time::TIME_TABLE)
            .into_iter()
            .filter_map(|h| {
                let out = time::build(h.tag, &h.caps, self.as_of);
                (out != TimeOut::Invalid).then_some(Hit {
                    start: h.start,
                    end: h.end,
                    caps: Vec::new(),
                    tag: out,
                })
            })
            .collect();
        for h in pick(hits) {
            self.ctx.mark(h.start, h.end, Use::Time);
            let text = self.ctx.orig(h.start, h.end);
            match h.tag {
                TimeOut::Range(t, note) => {
                    self.times.push((t, text));
                    self.notes.extend(note);
                }
                TimeOut::NeedsYear => self.problems.push(Problem::NeedsYear(text)),
                TimeOut::Invalid => {}
            }
        }
    }

    fn objectives(&mut self) {
        for h in pick(self.ctx.scan(&OBJECTIVE_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Objective);
            self.objectives.push(h.tag);
        }
    }

    fn metrics(&mut self) {
        for h in pick(self.ctx.scan(&METRIC_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Metric);
            self.metric_hits.push((h.start, h.tag));
        }
    }

    fn metric_end(&self, start: usize) -> usize {
        (start..self.ctx.len())
            .take_while(|&i| self.ctx.used_as(i) == Some(Use::Metric))
            .last()
            .map_or(start, |i| i + 1)
    }

    fn attach_metric_filters(&mut self) {
        for f in self.mf_hits.clone() {
            // The metric right before ("ROAS above 2") or right after ("more than 100 leads").
            let before = self
                .metric_hits
                .iter()
                .filter(|(s, _)| {
                    let e = self.metric_end(*s);
                    e <= f.start && f.start - e <= 3
                })
                .max_by_key(|(s, _)| *s);
            let after = self
                .metric_hits
                .iter()
                .filter(|(s, _)| *s >= f.end && *s - f.end <= 2)
                .min_by_key(|(s, _)| *s);
            match before.or(after) {
                Some(&(_, m)) => {
                    let value = if f.percent && m.def().unit == MetricUnit::Ratio {
                        f.value / 100.0
                    } else {
                        f.value
                    };
                    self.metric_filters.push((m, f.op, value));
                }
                None => self.problems.push(Problem::OrphanNumber(f.text)),
            }
        }
    }

    fn city(&mut self) {
        for i in 0..self.ctx.len() {
            if !self.ctx.free(i) || !matches!(self.ctx.text(i), "city" | "ciudad") {
                continue;
            }
            // Only "city of X" / "ciudad de X": "by city" is a grouping.
            let j = i + 1;
            if !(self.ctx.free(j) && matches!(self.ctx.text(j), "of" | "de")) {
                continue;
            }
            let mut j = j + 1;
            let start = j;
            while self.ctx.free(j)
                && !FILLER.contains(self.ctx.text(j))
                && !super::lexicon::is_vocabulary(self.ctx.text(j))
            {
                j += 1;
            }
            if j > start {
                self.city = Some(self.ctx.orig(start, j));
                self.ctx.mark(i, j, Use::City);
            }
        }
    }

    /// A negation word before `start` ("excluding Mexico", "sin Facebook").
    fn negated(&mut self, start: usize) -> bool {
        let mut j = start;
        while let Some(p) = j.checked_sub(1) {
            if self.ctx.free(p)
                && matches!(
                    self.ctx.text(p),
                    "the"
                        | "el"
                        | "la"
                        | "los"
                        | "las"
                        | "in"
                        | "en"
                        | "de"
                        | "del"
                        | "from"
                        | "on"
                        | "to"
                        | "a"
                        | "al"
                )
            {
                j = p;
            } else {
                break;
            }
        }
        match j.checked_sub(1) {
            Some(p) if self.ctx.free(p) && NEGATIONS.contains(&self.ctx.text(p)) => {
                self.ctx.mark(p, p + 1, Use::Negation);
                true
            }
            _ => false,
        }
    }

    fn hint_before(&mut self, start: usize, words: &[&str]) {
        if let Some(p) = start.checked_sub(1)
            && self.ctx.free(p)
            && words.contains(&self.ctx.text(p))
        {
            self.ctx.mark(p, start, Use::Hint);
        }
    }

    fn channels(&mut self) {
        for h in pick(self.ctx.scan(&CHANNEL_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Channel);
            let neg = self.negated(h.start);
            self.hint_before(h.start, &["channel", "canal"]);
            self.channels.push((h.tag, neg));
        }
    }

    fn countries(&mut self) {
        let mut hits = self.ctx.scan(&COUNTRY_TABLE);
        for (i, t) in self.ctx.toks.iter().enumerate() {
            // In a question typed in capitals only "USA", or "US" where a
            // place is expected ("IN THE US"), is a country.
            let placed = || {
                i.checked_sub(1).is_some_and(|p| {
                    matches!(
                        self.ctx.text(p),
                        "the" | "in" | "en" | "from" | "de" | "desde" | "los"
                    )
                })
            };
            let allowed = !self.ctx.allcaps || t.orig == "USA" || (t.orig == "US" && placed());
            if allowed
                && let Some(code) = uppercase_country(&t.orig)
                && self.ctx.free(i)
            {
                hits.push(Hit {
                    start: i,
                    end: i + 1,
                    caps: Vec::new(),
                    tag: code,
                });
            }
        }
        for h in pick(hits) {
            self.ctx.mark(h.start, h.end, Use::Country);
            let neg = self.negated(h.start);
            self.hint_before(h.start, &["country", "pais"]);
            self.countries.push((h.tag, neg));
        }
    }

    /// The longest dimension word at `pos`: (end, dimension, plural).
    fn dim_at(&self, pos: usize) -> Option<(usize, Dimension, bool)> {
        DIM_TABLE
            .iter()
            .filter_map(|(p, (d, plural))| {
                self.ctx
                    .match_at(p, pos)
                    .filter(|(s, _, _)| *s == pos)
                    .map(|(_, e, _)| (e, *d, *plural))
            })
            .max_by_key(|(e, _, _)| *e)
    }

    fn push_dim(&mut self, pos: usize, end: usize, dim: Dimension, source: Source, plural: bool) {
        self.ctx.mark(pos, end, Use::Dim);
        self.dims.push(DimPick {
            pos,
            dim,
            source,
            plural,
        });
    }

    fn skip_articles(&self, mut j: usize) -> usize {
        while self.ctx.free(j) && ARTICLES.contains(&self.ctx.text(j)) {
            j += 1;
        }
        j
    }

    fn grouping(&mut self) {
        for h in pick(self.ctx.scan(&GRAIN_TABLE)) {
            self.push_dim(h.start, h.end, h.tag, Source::Adjective, false);
        }
        for h in pick(self.ctx.scan(&GROUP_CUES)) {
            if (h.start..h.end).any(|i| !self.ctx.free(i)) {
                continue;
            }
            let j = self.skip_articles(h.end);
            if let Some((end, dim, plural)) = self.dim_at(j) {
                self.ctx.mark(h.start, j, Use::Group);
                self.push_dim(j, end, dim, Source::Cue, plural);
                // "by channel and country", "por canal y país".
                let mut k = end;
                while self.ctx.free(k) {
                    // A joining word, or none at all ("por canal, país").
                    let joined = matches!(self.ctx.text(k), "and" | "y" | "e");
                    let k2 = self.skip_articles(if joined { k + 1 } else { k });
                    let Some((e2, d2, p2)) = self.dim_at(k2) else {
                        break;
                    };
                    self.ctx.mark(k, k2, Use::Group);
                    self.push_dim(k2, e2, d2, Source::Cue, p2);
                    k = e2;
                }
            } else if h.tag && self.ctx.free(j) && !FILLER.contains(self.ctx.text(j)) {
                let end = (j..self.ctx.len())
                    .take_while(|&i| self.ctx.free(i) && !FILLER.contains(self.ctx.text(i)))
                    .take(3)
                    .last()
                    .map_or(j + 1, |i| i + 1);
                self.problems
                    .push(Problem::UnknownGroup(self.ctx.orig(j, end)));
                self.ctx.mark(h.start, end, Use::Group);
            }
        }
        // "which channel", "qué canal", "cuál fue la campaña".
        for i in 0..self.ctx.len() {
            if !self.ctx.free(i)
                || !matches!(
                    self.ctx.text(i),
                    "which" | "what" | "que" | "cual" | "cuales"
                )
            {
                continue;
            }
            let mut j = i + 1;
            let mut gap = 0;
            while gap < 3
                && j < self.ctx.len()
                && ((self.ctx.free(j)
                    && FILLER.contains(self.ctx.text(j))
                    && self.dim_at(j).is_none())
                    || matches!(self.ctx.used_as(j), Some(Use::Rank | Use::Objective)))
            {
                j += 1;
                gap += 1;
            }
            if let Some((end, dim, plural)) = self.dim_at(j) {
                self.push_dim(j, end, dim, Source::Question, plural);
            }
        }
    }

    fn bare_dims(&mut self) {
        // A ranking or a filter on a metric's value ("campaigns with more than
        // 100 leads") is about the members of the dimension it names.
        if (self.ranks.is_empty() && self.metric_filters.is_empty())
            || self.dims.iter().any(|d| !d.dim.is_time())
        {
            return;
        }
        let after_n = self
            .ranks
            .iter()
            .filter_map(|r| r.dim_pos)
            .find_map(|p| self.dim_at(p).map(|x| (p, x)));
        let first = || {
            (0..self.ctx.len()).find_map(|p| {
                self.dim_at(p)
                    .filter(|(_, d, _)| !d.is_time())
                    .map(|x| (p, x))
            })
        };
        if let Some((p, (end, dim, plural))) = after_n.or_else(first) {
            self.push_dim(p, end, dim, Source::Bare, plural);
        }
    }

    fn leftover(&mut self) {
        let mut unknown = Vec::new();
        let mut i = 0;
        while i < self.ctx.len() {
            if !self.ctx.free(i) {
                i += 1;
                continue;
            }
            if let Some((end, _, _)) = self.dim_at(i) {
                // A dimension word on its own ("revenue of our campaigns") changes nothing.
                self.ctx.mark(i, end, Use::Dim);
                i = end;
                continue;
            }
            if !FILLER.contains(self.ctx.text(i)) {
                unknown.push(self.ctx.toks[i].orig.clone());
            }
            i += 1;
        }
        if !unknown.is_empty() {
            self.problems.push(Problem::UnknownWords(unknown));
        }
    }

    fn metrics_list(&self) -> Vec<Metric> {
        dedup(self.metric_hits.iter().map(|(_, m)| *m))
    }

    fn dims_list(&self) -> Vec<DimPick> {
        let mut d = self.dims.clone();
        d.sort_by_key(|d| d.pos);
        let mut out: Vec<DimPick> = Vec::new();
        for x in d {
            if !out.iter().any(|o| o.dim == x.dim) {
                out.push(x);
            }
        }
        out
    }

    fn rank(&mut self, metrics: &[Metric], dims: &[DimPick]) {
        if self.ranks.is_empty() || metrics.is_empty() {
            return;
        }
        let n = self.ranks.iter().find_map(|r| r.n);
        let cue_hit = self
            .ranks
            .iter()
            .find(|r| matches!(r.tag, RankTag::CueN(_) | RankTag::Cue(_)))
            .copied();
        let cue = match cue_hit.map(|r| r.tag) {
            Some(RankTag::CueN(c) | RankTag::Cue(c)) => c,
            _ => Cue::High,
        };
        let limit = match n {
            Some(0) => {
                self.problems.push(Problem::LimitZero);
                return;
            }
            Some(n) if n > u64::from(MAX_LIMIT) => {
                self.problems.push(Problem::LimitTooLarge(n));
                return;
            }
            Some(n) => u32::try_from(n).ok(),
            None => None,
        };
        let Some(first) = dims.iter().find(|d| !d.dim.is_time()).or(dims.first()) else {
            if n.is_some() {
                self.problems.push(Problem::RankNeedsDim);
            }
            return;
        };
        let anchor = cue_hit.or(self.ranks.first().copied()).map_or(0, |r| r.end);
        let metric = self
            .metric_hits
            .iter()
            .filter(|(s, _)| *s >= anchor && *s - anchor <= 5)
            .min_by_key(|(s, _)| *s)
            .map_or(metrics[0], |(_, m)| *m);
        let lower_is_better = matches!(metric, Metric::Cpc | Metric::Cpa | Metric::Cpl);
        let (direction, flipped) = match cue {
            Cue::High => (Direction::Desc, false),
            Cue::Low => (Direction::Asc, false),
            Cue::Best if lower_is_better => (Direction::Asc, true),
            Cue::Best => (Direction::Desc, false),
            Cue::Worst if lower_is_better => (Direction::Desc, true),
            Cue::Worst => (Direction::Asc, false),
        };
        let limit = limit.or_else(|| {
            (matches!(first.source, Source::Question | Source::Bare)
                && !first.plural
                && cue_hit.is_some())
            .then_some(1)
        });
        self.ranking = Some(Ranking {
            metric,
            direction,
            limit,
            flipped,
        });
    }

    fn finish(mut self) -> Result<Parsed, NotUnderstood> {
        let mut problems = std::mem::take(&mut self.problems);
        let metrics = self.metrics_list();
        if metrics.is_empty() {
            problems.insert(0, Problem::NoMetric);
        }
        let ranges: Vec<TimeRange> = dedup(self.times.iter().map(|(t, _)| t.clone()));
        if ranges.len() > 1 {
            problems.push(Problem::TwoTimes(
                self.times.iter().map(|(_, s)| s.clone()).collect(),
            ));
        }
        let compares: Vec<Compare> = dedup(self.compares.iter().map(|(c, _)| *c));
        if compares.len() > 1 {
            problems.push(Problem::TwoCompares);
        }

        // Several values of a dimension: filter on all and show each.
        let mut dims = self.dims_list();
        let multi =
            |dims: &mut Vec<DimPick>, dim: Dimension, count: usize, notes: &mut Vec<String>| {
                if count > 1 && !dims.iter().any(|d| d.dim == dim) {
                    dims.push(DimPick {
                        pos: usize::MAX,
                        dim,
                        source: Source::Multi,
                        plural: true,
                    });
                    notes.push(format!(
                        "several {} values named: one row each",
                        dim.as_str()
                    ));
                }
            };
        let pos_countries: Vec<&str> = dedup(self.countries.iter().filter(|c| !c.1).map(|c| c.0));
        let pos_channels: Vec<Channel> = dedup(self.channels.iter().filter(|c| !c.1).map(|c| c.0));
        let objectives: Vec<&str> = dedup(self.objectives.iter().copied());
        multi(
            &mut dims,
            Dimension::Country,
            pos_countries.len(),
            &mut self.notes,
        );
        multi(
            &mut dims,
            Dimension::Channel,
            pos_channels.len(),
            &mut self.notes,
        );
        multi(
            &mut dims,
            Dimension::Objective,
            objectives.len(),
            &mut self.notes,
        );
        for kind in [Dimension::Campaign, Dimension::Client, Dimension::Product] {
            let named = self.entities.iter().filter(|e| e.kind == kind).count();
            multi(&mut dims, kind, named, &mut self.notes);
        }
        let grains: Vec<Dimension> = dims.iter().map(|d| d.dim).filter(|d| d.is_time()).collect();
        if grains.len() > 1 {
            problems.push(Problem::TwoGrains(grains));
        }
        self.rank(&metrics, &dims);
        if !self.metric_filters.is_empty() && dims.is_empty() {
            problems.push(Problem::FilterNeedsDim);
        }
        problems.append(&mut self.problems);
        self.dims = dims.clone();
        if !problems.is_empty() {
            return Err(self.refuse(problems));
        }

        let mut time_range = ranges.into_iter().next();
        let compare_to = self.compares.first().copied();
        if let (None, Some((c, unit))) = (&time_range, compare_to) {
            let t = TimeRange::Relative {
                period: unit.current(),
            };
            self.notes.push(format!(
                "no period named to compare: {} assumed, compared with {}",
                describe_time(Language::En, &t),
                time::describe_compare(Language::En, c)
            ));
            time_range = Some(t);
        }
        let spec = QuerySpec {
            metrics: metrics.clone(),
            dimensions: dims.iter().map(|d| d.dim).collect(),
            filters: self.filters(),
            time_range,
            compare_to: compare_to.map(|(c, _)| c),
            order_by: self
                .ranking
                .map(|r| {
                    vec![OrderBy {
                        field: r.metric.as_str().to_owned(),
                        direction: r.direction,
                    }]
                })
                .unwrap_or_default(),
            limit: self.ranking.and_then(|r| r.limit),
        };
        if let Some(d) = self.check_date()
            && let Err(e) = spec.validate(d)
        {
            return Err(self.refuse(vec![Problem::Invalid(e.to_string())]));
        }
        let understood = self.understood(Some(&spec));
        Ok(Parsed {
            spec,
            language: self.lang,
            understood,
        })
    }

    /// The date specs are checked against: `as_of`, or any fixed date (the
    /// checks that matter here do not depend on it).
    fn check_date(&self) -> Option<NaiveDate> {
        self.as_of.or_else(|| NaiveDate::from_ymd_opt(2026, 1, 1))
    }

    fn filters(&self) -> Vec<Filter> {
        let mut out = Vec::new();
        let mut push = |field: &str, pos: Vec<String>, neg: Vec<String>| {
            match pos.len() {
                0 => {}
                1 => out.push(Filter {
                    field: field.to_owned(),
                    op: FilterOp::Eq,
                    value: FilterValue::Text(pos[0].clone()),
                }),
                _ => out.push(Filter {
                    field: field.to_owned(),
                    op: FilterOp::In,
                    value: FilterValue::List(pos),
                }),
            }
            if !neg.is_empty() {
                out.push(Filter {
                    field: field.to_owned(),
                    op: FilterOp::NotIn,
                    value: FilterValue::List(neg),
                });
            }
        };
        let split = |items: Vec<(String, bool)>| {
            let pos = dedup(items.iter().filter(|i| !i.1).map(|i| i.0.clone()));
            let neg = dedup(items.iter().filter(|i| i.1).map(|i| i.0.clone()));
            (pos, neg)
        };
        let (p, n) = split(
            self.countries
                .iter()
                .map(|(c, n)| ((*c).to_owned(), *n))
                .collect(),
        );
        push("country", p, n);
        let (p, n) = split(
            self.channels
                .iter()
                .map(|(c, n)| (c.as_str().to_owned(), *n))
                .collect(),
        );
        push("channel", p, n);
        push(
            "objective",
            dedup(self.objectives.iter().map(|o| (*o).to_owned())),
            vec![],
        );
        for kind in [Dimension::Campaign, Dimension::Client, Dimension::Product] {
            let ids = dedup(
                self.entities
                    .iter()
                    .filter(|e| e.kind == kind)
                    .flat_map(|e| e.ids.iter().cloned()),
            );
            push(kind.as_str(), ids, vec![]);
        }
        if let Some(c) = &self.city {
            push("city", vec![c.clone()], vec![]);
        }
        for (m, op, v) in &self.metric_filters {
            out.push(Filter {
                field: m.as_str().to_owned(),
                op: *op,
                value: FilterValue::Number(*v),
            });
        }
        out
    }

    /// Notes of what was read, in a fixed order.
    fn understood(&self, spec: Option<&QuerySpec>) -> Vec<String> {
        let es = self.lang == Language::Es;
        let mut out = Vec::new();
        for m in self.metrics_list() {
            out.push(format!("metric: {}", m.as_str()));
        }
        for d in self.dims_list() {
            out.push(format!("group by: {}", d.dim.as_str()));
        }
        for (c, neg) in dedup(self.countries.iter().copied()) {
            let not = if neg { "not " } else { "" };
            out.push(format!("country: {not}{c} ({})", country_display(c, es)));
        }
        for (c, neg) in dedup(self.channels.iter().copied()) {
            let not = if neg { "not " } else { "" };
            out.push(format!("channel: {not}{}", c.as_str()));
        }
        for o in dedup(self.objectives.iter().copied()) {
            out.push(format!("objective: {o}"));
        }
        for e in &self.entities {
            let what = match e.ids.as_slice() {
                [id] if *id == e.label => id.clone(),
                [id] => format!("{id} ({})", e.label),
                ids => format!("{} ids ({})", ids.len(), e.label),
            };
            let typed = e
                .typed
                .as_ref()
                .map(|t| format!(", from '{t}'"))
                .unwrap_or_default();
            out.push(format!("{}: {what}{typed}", e.kind.as_str()));
        }
        if let Some(c) = &self.city {
            out.push(format!("city: {c}"));
        }
        for (m, op, v) in &self.metric_filters {
            out.push(format!("filter: {} {} {v}", m.as_str(), op.as_str()));
        }
        match spec.and_then(|s| s.time_range.as_ref()) {
            Some(t) => out.push(format!("time: {}", describe_time(Language::En, t))),
            None if spec.is_some() => out.push("time: all time".to_owned()),
            None => {
                for (t, _) in &self.times {
                    out.push(format!("time: {}", describe_time(Language::En, t)));
                }
            }
        }
        for c in dedup(self.compares.iter().map(|c| c.0)) {
            out.push(format!("compare: {}", c.as_str()));
        }
        if let Some(r) = self.ranking {
            let dir = match r.direction {
                Direction::Asc => "ascending",
                Direction::Desc => "descending",
            };
            let limit = r.limit.map(|l| format!(", limit {l}")).unwrap_or_default();
            let why = if r.flipped { " (lower is better)" } else { "" };
            out.push(format!("order: {} {dir}{why}{limit}", r.metric.as_str()));
        }
        out.extend(self.notes.iter().cloned());
        out
    }

    fn refuse(&self, problems: Vec<Problem>) -> NotUnderstood {
        let reason = problems
            .iter()
            .map(|p| reason(self.lang, p))
            .collect::<Vec<_>>()
            .join(" ");
        NotUnderstood {
            language: self.lang,
            reason,
            understood: self.understood(None),
            suggestions: self.suggestions(),
        }
    }

    /// Rephrasings this parser accepts, built from what was understood.
    fn suggestions(&self) -> Vec<String> {
        let m = self
            .metrics_list()
            .first()
            .copied()
            .unwrap_or(Metric::Revenue);
        let label = metric_label(self.lang, m);
        let valid = |t: &TimeRange| self.check_date().is_some_and(|d| t.resolve(d).is_ok());
        let t = self
            .times
            .first()
            .filter(|(t, _)| valid(t))
            .map(|(t, _)| describe_time(self.lang, t));
        let has_time = t.is_some();
        let out = match self.lang {
            Language::En => {
                let t = t.unwrap_or_else(|| "last month".to_owned());
                vec![
                    format!("{label} by channel {t}"),
                    format!("top 5 campaigns by {label} {t}"),
                    if has_time || t == "this year" {
                        format!("{label} in Mexico {t}")
                    } else {
                        format!("{label} by month this year")
                    },
                ]
            }
            Language::Es => {
                let t = t.unwrap_or_else(|| "el mes pasado".to_owned());
                vec![
                    format!("{label} por canal {t}"),
                    format!("las 5 mejores campañas por {label} {t}"),
                    if has_time || t == "este año" {
                        format!("{label} en México {t}")
                    } else {
                        format!("{label} por mes este año")
                    },
                ]
            }
        };
        out.into_iter().map(|s| capitalize(&s)).collect()
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn reason(lang: Language, p: &Problem) -> String {
    let es = lang == Language::Es;
    let metric_names = Metric::ALL
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match p {
        Problem::Empty if es => "La pregunta está vacía.".into(),
        Problem::Empty => "The question is empty.".into(),
        Problem::TooLong if es => format!("La pregunta es demasiado larga (máximo {MAX_WORDS} palabras)."),
        Problem::TooLong => format!("The question is too long (at most {MAX_WORDS} words)."),
        Problem::Destructive(w) if es => format!(
            "Solo respondo preguntas sobre métricas (lectura): no puedo ejecutar '{w}' ni cambiar datos."
        ),
        Problem::Destructive(w) => format!("I only answer questions about metrics (read-only): I cannot '{w}' or change any data."),
        Problem::NoMetric if es => format!("No encontré una métrica en la pregunta (métricas: {metric_names})."),
        Problem::NoMetric => format!("I could not find a metric in the question (metrics: {metric_names})."),
        Problem::UnknownGroup(w) if es => format!(
            "No puedo agrupar por '{w}'; las dimensiones son campaña, cliente, canal, país, ciudad, producto, objetivo, día, semana, mes, trimestre y año."
        ),
        Problem::UnknownGroup(w) => format!(
            "I cannot group by '{w}'; the dimensions are campaign, client, channel, country, city, product, objective, day, week, month, quarter and year."
        ),
        Problem::UnknownWords(ws) if es => format!("No entendí: {}.", quoted(ws)),
        Problem::UnknownWords(ws) => format!("I did not understand: {}.", quoted(ws)),
        Problem::LimitTooLarge(n) if es => format!("Un ranking muestra como máximo {MAX_LIMIT} filas, no {n}."),
        Problem::LimitTooLarge(n) => format!("A ranking shows at most {MAX_LIMIT} rows, not {n}."),
        Problem::LimitZero if es => "Un ranking necesita al menos 1 fila.".into(),
        Problem::LimitZero => "A ranking needs at least 1 row.".into(),
        Problem::RankNeedsDim if es => {
            "Un ranking necesita qué ordenar: campañas, canales, países, productos o clientes.".into()
        }
        Problem::RankNeedsDim => {
            "A top/bottom ranking needs something to rank: campaigns, channels, countries, products or clients.".into()
        }
        Problem::FilterNeedsDim if es => {
            "Un filtro sobre el valor de una métrica necesita qué listar: campañas, canales, países, productos o clientes.".into()
        }
        Problem::FilterNeedsDim => {
            "A filter on a metric's value needs something to list: campaigns, channels, countries, products or clients.".into()
        }
        Problem::TwoTimes(ts) if es => format!(
            "La pregunta nombra más de un periodo ({}); pide uno y, para comparar, añade 'comparado con el periodo anterior' o 'comparado con el año pasado'.",
            quoted(ts)
        ),
        Problem::TwoTimes(ts) => format!(
            "The question names more than one period ({}); ask for one and, to compare, add 'vs the previous period' or 'vs last year'.",
            quoted(ts)
        ),
        Problem::TwoCompares if es => "Solo puedo comparar con un periodo a la vez.".into(),
        Problem::TwoCompares => "I can compare with one period at a time.".into(),
        Problem::TwoGrains(g) if es => format!(
            "Solo puedo agrupar por una unidad de tiempo a la vez ({}).",
            g.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Problem::TwoGrains(g) => format!(
            "I can group by one time unit at a time ({}).",
            g.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Problem::NeedsYear(t) if es => format!("'{t}' necesita un año (por ejemplo 'T3 2026' o '1 de marzo de 2026')."),
        Problem::NeedsYear(t) => format!("'{t}' needs a year (for example 'Q3 2026' or 'March 1 2026')."),
        Problem::Ambiguous(t, o) if es => format!("'{t}' coincide con varios nombres ({}); di cuál.", quoted(o)),
        Problem::Ambiguous(t, o) => format!("'{t}' matches several names ({}); say which one.", quoted(o)),
        Problem::TooBroad(t, n) if es => format!("'{t}' coincide con {n} nombres; sé más específico (máximo 100)."),
        Problem::TooBroad(t, n) => format!("'{t}' matches {n} names; be more specific (at most 100)."),
        Problem::OrphanNumber(t) if es => format!("No sé a qué métrica se aplica '{t}'."),
        Problem::OrphanNumber(t) => format!("I could not tell which metric '{t}' applies to."),
        Problem::Invalid(e) if es => format!("La pregunta lleva a una consulta no permitida: {e}"),
        Problem::Invalid(e) => format!("The question maps to a query that is not allowed: {e}"),
    }
}
