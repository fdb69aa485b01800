//! Phase 3b, dimensions: groupings asked for with a cue ("by channel"), a
//! question word ("which channel"), a grain adjective ("monthly") or a
//! ranking's subject.

use std::sync::LazyLock;

use super::{DimPick, Problem, Source, State};
use crate::domain::nl::lexicon::{DIM_TABLE, FILLER, GRAIN_TABLE};
use crate::domain::nl::patterns::{Pattern, Use, pick};
use crate::domain::semantic::Dimension;

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

impl State<'_> {
    /// The longest dimension word at `pos`: (end, dimension, plural).
    pub(super) fn dim_at(&self, pos: usize) -> Option<(usize, Dimension, bool)> {
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

    pub(super) fn push_dim(
        &mut self,
        pos: usize,
        end: usize,
        dim: Dimension,
        source: Source,
        plural: bool,
    ) {
        self.ctx.mark(pos, end, Use::Dim);
        self.dims.push(DimPick {
            pos,
            dim,
            source,
            plural,
        });
    }

    pub(super) fn skip_articles(&self, mut j: usize) -> usize {
        while self.ctx.free(j) && ARTICLES.contains(&self.ctx.text(j)) {
            j += 1;
        }
        j
    }

    pub(super) fn grouping(&mut self) {
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
                // A misspelt dimension ("chanel") may be corrected on a second reading.
                self.unknown_at.extend(j..end);
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

    pub(super) fn bare_dims(&mut self) {
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

    pub(super) fn dims_list(&self) -> Vec<DimPick> {
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
}
