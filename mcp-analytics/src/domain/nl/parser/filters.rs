//! Phase 3a, filters: the places and channels named (with negations such
//! as "excluding Mexico"), a city, and the spec's filters built from them.

use super::{State, dedup};
use crate::domain::nl::lexicon::{
    CHANNEL_TABLE, COUNTRY_TABLE, FILLER, NEGATIONS, is_vocabulary, uppercase_country,
};
use crate::domain::nl::patterns::{Hit, Use, pick};
use crate::domain::semantic::Dimension;
use crate::domain::spec::{Field, Filter, FilterOp, FilterValue};

impl State<'_> {
    pub(super) fn city(&mut self) {
        self.known_city();
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
                && !is_vocabulary(self.ctx.text(j))
            {
                j += 1;
            }
            if j > start {
                self.city = Some(self.ctx.orig(start, j));
                self.ctx.mark(i, j, Use::City);
            }
        }
    }

    /// A city the facts hold, named whole ("leads in Bogotá", "ventas en
    /// Lima"): the longest match wins, before any partial client name
    /// ("Moda Urbana Bogotá") can claim the word.
    fn known_city(&mut self) {
        let cities: Vec<(Vec<String>, String)> = self
            .names
            .cities
            .iter()
            .map(|c| {
                let words = crate::domain::nl::normalize::tokenize(c)
                    .into_iter()
                    .map(|t| t.text)
                    .collect();
                (words, c.clone())
            })
            .collect();
        let mut i = 0;
        while i < self.ctx.len() {
            let hit = cities
                .iter()
                .filter(|(w, _)| {
                    !w.is_empty()
                        && w.iter()
                            .enumerate()
                            .all(|(k, x)| self.ctx.free(i + k) && self.ctx.text(i + k) == x)
                })
                .max_by_key(|(w, _)| w.len());
            match hit {
                Some((w, name)) if self.city.is_none() => {
                    let end = i + w.len();
                    self.city = Some(name.clone());
                    self.ctx.mark(i, end, Use::City);
                    self.hint_before(i, &["city", "ciudad"]);
                    i = end;
                }
                _ => i += 1,
            }
        }
    }

    /// A negation word before `start` ("excluding Mexico", "sin Facebook").
    pub(super) fn negated(&mut self, start: usize) -> bool {
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

    pub(super) fn hint_before(&mut self, start: usize, words: &[&str]) {
        if let Some(p) = start.checked_sub(1)
            && self.ctx.free(p)
            && words.contains(&self.ctx.text(p))
        {
            self.ctx.mark(p, start, Use::Hint);
        }
    }

    pub(super) fn channels(&mut self) {
        for h in pick(self.ctx.scan(&CHANNEL_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Channel);
            let neg = self.negated(h.start);
            self.hint_before(h.start, &["channel", "canal"]);
            self.channels.push((h.tag, neg));
        }
    }

    pub(super) fn countries(&mut self) {
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

    pub(super) fn filters(&self) -> Vec<Filter> {
        let mut out = Vec::new();
        let mut push = |dim: Dimension, pos: Vec<String>, neg: Vec<String>| {
            let field = Field::Dimension(dim);
            match pos.len() {
                0 => {}
                1 => out.push(Filter {
                    field,
                    op: FilterOp::Eq,
                    value: FilterValue::Text(pos[0].clone()),
                }),
                _ => out.push(Filter {
                    field,
                    op: FilterOp::In,
                    value: FilterValue::List(pos),
                }),
            }
            if !neg.is_empty() {
                out.push(Filter {
                    field,
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
        push(Dimension::Country, p, n);
        let (p, n) = split(
            self.channels
                .iter()
                .map(|(c, n)| (c.as_str().to_owned(), *n))
                .collect(),
        );
        push(Dimension::Channel, p, n);
        push(
            Dimension::Objective,
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
            push(kind, ids, vec![]);
        }
        if let Some(c) = &self.city {
            push(Dimension::City, vec![c.clone()], vec![]);
        }
        for (m, op, v) in &self.metric_filters {
            out.push(Filter {
                field: Field::Metric(*m),
                op: *op,
                value: FilterValue::Number(*v),
            });
        }
        out
    }
}
