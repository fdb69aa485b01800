//! Phase 0 and the everyday phases: typo correction towards known words,
//! cost superlatives ("cheapest leads"), verbs and money words that imply
//! a metric, trend words as a time grain, "<product> sales" as a count,
//! lower-case country codes and a second period after "vs" as a comparison.

use std::collections::HashSet;

use promptsales_shared::domain::COUNTRY_NAMES;

use super::{DimPick, Problem, RankHit, Source, State};
use crate::domain::nl::everyday::{
    COST_ADJECTIVES, MONEY_WORDS, REVENUE_VERBS, SPEND_PAIRS, SPEND_VERBS, TREND_PAIRS,
    TREND_WORDS, correct, cost_metric,
};
use crate::domain::nl::lexicon::{Cue, RankTag, is_vocabulary};
use crate::domain::nl::normalize::fold;
use crate::domain::nl::patterns::Use;
use crate::domain::period::Compare;
use crate::domain::semantic::{Dimension, Metric};

/// Words that put two periods against each other ("Q3 vs Q2").
const VERSUS: &[&str] = &[
    "vs",
    "versus",
    "v",
    "against",
    "contra",
    "compared",
    "comparado",
    "comparada",
    "frente",
    "comparing",
    "comparando",
];

impl State<'_> {
    /// Corrections of the words no phase claimed ("revnue", "ventsa"):
    /// each to the one known word nearest, when no name is as near.
    pub(super) fn typo_fixes(&self) -> Vec<(usize, &'static str)> {
        let names: HashSet<String> = [
            &self.names.campaigns,
            &self.names.clients,
            &self.names.products,
        ]
        .into_iter()
        .flat_map(|v| v.iter())
        .flat_map(|(_, n)| {
            fold(n)
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect();
        self.unknown_at
            .iter()
            .filter_map(|&i| {
                let word = self.ctx.text(i);
                if names.contains(word) {
                    return None;
                }
                correct(word, &names).map(|w| (i, w))
            })
            .collect()
    }

    /// "cheapest leads" = lowest cost per lead; "most expensive clicks" =
    /// highest cost per click. Claims the adjective (and "most"/"least",
    /// "más"/"menos" before it) and the noun.
    pub(super) fn cost_superlatives(&mut self) {
        for i in 0..self.ctx.len() {
            if !self.ctx.free(i) {
                continue;
            }
            let Some(&(_, expensive)) =
                COST_ADJECTIVES.iter().find(|(w, _)| *w == self.ctx.text(i))
            else {
                continue;
            };
            let window = i.saturating_sub(3)..(i + 4).min(self.ctx.len());
            let Some((noun, metric)) = window
                .filter(|&j| j != i && self.ctx.free(j))
                .find_map(|j| cost_metric(self.ctx.text(j)).map(|m| (j, m)))
            else {
                continue;
            };
            let mut start = i;
            let mut high = expensive;
            if let Some(p) = i.checked_sub(1).filter(|&p| self.ctx.free(p)) {
                match self.ctx.text(p) {
                    "least" | "menos" => {
                        high = !high;
                        start = p;
                    }
                    "most" | "mas" | "the" => start = p,
                    _ => {}
                }
            }
            self.ctx.mark(start, i + 1, Use::Rank);
            self.ctx.mark(noun, noun + 1, Use::Metric);
            self.metric_hits.push((noun, metric));
            self.ranks.push(RankHit {
                end: noun.max(i) + 1,
                tag: RankTag::Cue(if high { Cue::High } else { Cue::Low }),
                n: None,
                dim_pos: None,
            });
        }
    }

    /// Without a metric word, a verb of spending means spend; one of
    /// selling or earning, or a money word, means revenue.
    pub(super) fn implied_metric(&mut self) {
        if !self.metric_hits.is_empty() {
            return;
        }
        let find = |s: &Self, list: &[&str]| {
            (0..s.ctx.len()).find(|&i| s.ctx.free(i) && list.contains(&s.ctx.text(i)))
        };
        // "money went into Google Ads", "se fue en", "pusimos en": money
        // going out is spend even though "money" alone reads as revenue.
        let outflow = (0..self.ctx.len()).find(|&i| {
            self.ctx.free(i)
                && self.ctx.free(i + 1)
                && SPEND_PAIRS
                    .iter()
                    .any(|(a, b)| self.ctx.text(i) == *a && self.ctx.text(i + 1) == *b)
        });
        let (pos, metric) = if let Some(p) = find(self, SPEND_VERBS).or(outflow) {
            (p, Metric::Spend)
        } else if let Some(p) = find(self, REVENUE_VERBS).or_else(|| find(self, MONEY_WORDS)) {
            (p, Metric::Revenue)
        } else {
            return;
        };
        self.ctx.mark(pos, pos + 1, Use::Metric);
        self.metric_hits.push((pos, metric));
        self.notes.push(format!(
            "'{}' read as {}",
            self.ctx.toks[pos].orig,
            metric.as_str()
        ));
    }

    /// "who spent the most", "¿quién vendió más?": a ranking whose subject
    /// is a person-like "who" ranks clients (the agency's accounts).
    pub(super) fn who(&mut self) {
        if self.ranks.is_empty() || !self.dims.is_empty() {
            return;
        }
        let Some(pos) = (0..self.ctx.len()).find(|&i| {
            self.ctx.free(i) && matches!(self.ctx.text(i), "who" | "whom" | "quien" | "quienes")
        }) else {
            return;
        };
        self.push_dim(pos, pos + 1, Dimension::Client, Source::Question, false);
        self.notes
            .push(format!("'{}' read as client", self.ctx.toks[pos].orig));
    }

    /// "trending", "over time", "tendencia": a time grain that fits the
    /// period (days up to a month, weeks up to half a year, else months).
    pub(super) fn trend(&mut self) {
        let mut found = None;
        for i in 0..self.ctx.len() {
            if !self.ctx.free(i) {
                continue;
            }
            if TREND_WORDS.contains(&self.ctx.text(i)) {
                found = Some((i, i + 1));
                break;
            }
            if TREND_PAIRS
                .iter()
                .any(|(a, b)| self.ctx.text(i) == *a && self.ctx.text(i + 1) == *b)
                && self.ctx.free(i + 1)
            {
                found = Some((i, i + 2));
                break;
            }
        }
        let Some((start, end)) = found else { return };
        self.ctx.mark(start, end, Use::Group);
        if self.dims.iter().any(|d| d.dim.is_time()) {
            return;
        }
        let days = self
            .times
            .first()
            .and_then(|(t, _)| self.check_date().and_then(|d| t.resolve(d).ok()))
            .map(|r| (r.to - r.from).num_days() + 1);
        let dim = match days {
            Some(n) if n <= 31 => Dimension::Day,
            Some(n) if n <= 183 => Dimension::Week,
            _ => Dimension::Month,
        };
        self.notes
            .push(format!("trend: grouped by {}", dim.as_str()));
        self.dims.push(DimPick {
            pos: start,
            dim,
            source: Source::Adjective,
            plural: false,
        });
    }

    /// "<product> sales" counts sales: the word "sales"/"ventas" next to a
    /// named product is the number of sales, not revenue.
    pub(super) fn product_sales(&mut self) {
        if !self.entities.iter().any(|e| e.kind == Dimension::Product) {
            return;
        }
        for hit in &mut self.metric_hits {
            if hit.1 == Metric::Revenue
                && matches!(self.ctx.text(hit.0), "sales" | "ventas" | "sale" | "venta")
                && self.ctx.used_as(hit.0 + 1) != Some(Use::Metric)
            {
                hit.1 = Metric::SalesCount;
            }
        }
    }

    /// A lower-case ISO code ("mx", "co") that is no word of the question's
    /// vocabulary is the country: never dropped.
    pub(super) fn lower_codes(&mut self) {
        for i in 0..self.ctx.len() {
            let orig = &self.ctx.toks[i].orig;
            if !self.ctx.free(i)
                || orig.len() != 2
                || !orig.chars().all(|c| c.is_ascii_lowercase())
                || is_vocabulary(self.ctx.text(i))
                || crate::domain::nl::everyday::skippable(self.ctx.text(i))
            {
                continue;
            }
            let up = orig.to_ascii_uppercase();
            if let Some((code, _, _)) = COUNTRY_NAMES.iter().find(|(c, _, _)| *c == up) {
                self.ctx.mark(i, i + 1, Use::Country);
                let neg = self.negated(i);
                self.countries.push((code, neg));
            }
        }
    }

    /// "Q3 vs Q2", "last month compared with September": a second period
    /// after a comparison word is the comparison when it is the previous
    /// period or the same period a year earlier; otherwise refused saying so.
    pub(super) fn versus_period(&mut self) {
        if self.times.len() != 2 || !self.compares.is_empty() {
            return;
        }
        let first_time = (0..self.ctx.len()).find(|&i| self.ctx.used_as(i) == Some(Use::Time));
        let Some(v) = (0..self.ctx.len()).find(|&i| {
            self.ctx.free(i)
                && VERSUS.contains(&self.ctx.text(i))
                && first_time.is_some_and(|f| f < i)
        }) else {
            return;
        };
        // Without the answer's date a month or quarter has no year to
        // compare by.
        let Some(d) = self.as_of else { return };
        let (a, b) = (self.times[0].0.clone(), self.times[1].0.clone());
        let (Ok(ra), Ok(rb)) = (a.resolve(d), b.resolve(d)) else {
            return;
        };
        let how = [Compare::PreviousPeriod, Compare::SamePeriodLastYear]
            .into_iter()
            .find(|c| {
                let p = ra.compared(*c);
                p.from == rb.from && p.to == rb.to
            });
        self.ctx.mark(v, v + 1, Use::Compare);
        if matches!(self.ctx.text(v + 1), "to" | "with" | "con" | "a" | "al")
            && self.ctx.free(v + 1)
        {
            self.ctx.mark(v + 1, v + 2, Use::Compare);
        }
        match how {
            Some(c) => {
                let text = self.times.remove(1).1;
                self.notes
                    .push(format!("'{text}' is the {} to compare with", c.as_str()));
                self.compares
                    .push((c, crate::domain::nl::time::Unit::Period));
            }
            None => {
                let other = self.times.remove(1).1;
                self.problems.push(Problem::Invalid(format!(
                    "'{}' can be compared only with the previous period or the same period a year earlier, not with '{other}'",
                    self.times[0].1
                )));
            }
        }
    }
}
