//! Phase 2, intent and metrics: the metrics asked for, filters on a
//! metric's value ("ROAS above 2"), rankings ("top 5", "the best") and
//! campaign objectives.

use super::{DimPick, MetricFilterHit, Problem, RankHit, Ranking, Source, State, dedup};
use crate::domain::nl::lexicon::{
    Cue, METRIC_FILTER_TABLE, METRIC_TABLE, OBJECTIVE_TABLE, RANK_TABLE, RankTag,
};
use crate::domain::nl::patterns::{Cap, Hit, Use, pick};
use crate::domain::semantic::{Metric, Unit as MetricUnit};
use crate::domain::spec::{Direction, MAX_LIMIT};

impl State<'_> {
    pub(super) fn metric_filter_phrases(&mut self) {
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

    pub(super) fn ranking_phrases(&mut self) {
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

    pub(super) fn objectives(&mut self) {
        for h in pick(self.ctx.scan(&OBJECTIVE_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Objective);
            self.objectives.push(h.tag);
        }
    }

    pub(super) fn metrics(&mut self) {
        for h in pick(self.ctx.scan(&METRIC_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Metric);
            self.metric_hits.push((h.start, h.tag));
        }
    }

    pub(super) fn metric_end(&self, start: usize) -> usize {
        (start..self.ctx.len())
            .take_while(|&i| self.ctx.used_as(i) == Some(Use::Metric))
            .last()
            .map_or(start, |i| i + 1)
    }

    pub(super) fn attach_metric_filters(&mut self) {
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

    pub(super) fn metrics_list(&self) -> Vec<Metric> {
        dedup(self.metric_hits.iter().map(|(_, m)| *m))
    }

    pub(super) fn rank(&mut self, metrics: &[Metric], dims: &[DimPick]) {
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
}
