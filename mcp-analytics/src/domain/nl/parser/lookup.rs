//! Phase 1, lookup: the campaign, client and product names and ids the
//! question mentions, destructive verbs, and the words no phase claimed.

use super::{Entity, Problem, State};
use crate::domain::nl::everyday::skippable;
use crate::domain::nl::lexicon::DESTRUCTIVE;
use crate::domain::nl::names::{self, Found};
use crate::domain::nl::patterns::Use;

impl State<'_> {
    /// A verb that would change data, outside any name ("Drop Earrings").
    pub(super) fn destructive(&self) -> Option<String> {
        (0..self.ctx.len())
            .find(|&i| self.ctx.free(i) && DESTRUCTIVE.contains(&self.ctx.text(i)))
            .map(|i| self.ctx.toks[i].orig.clone())
    }

    pub(super) fn take_found(&mut self, found: Vec<Found>) {
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

    pub(super) fn names_full(&mut self) {
        self.prepared = names::prepared(self.names);
        let ids = names::ids(&self.ctx, &self.prepared);
        self.take_found(ids);
        let full = names::full(&self.ctx, &self.prepared);
        self.take_found(full);
    }

    pub(super) fn names_partial(&mut self) {
        let partial = names::partial(&self.ctx, &self.prepared);
        self.take_found(partial);
    }

    pub(super) fn leftover(&mut self) {
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
            if !skippable(self.ctx.text(i)) {
                unknown.push(self.ctx.toks[i].orig.clone());
                self.unknown_at.push(i);
            }
            i += 1;
        }
        if !unknown.is_empty() {
            self.problems.push(Problem::UnknownWords(unknown));
        }
    }
}
