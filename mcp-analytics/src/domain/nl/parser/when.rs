//! Phase 4, time and comparison: the period asked about and what to
//! compare it with.

use chrono::NaiveDate;

use super::{Problem, State};
use crate::domain::nl::patterns::{Hit, Use, pick};
use crate::domain::nl::time::{self, TimeOut};

impl State<'_> {
    pub(super) fn compare(&mut self) {
        for h in pick(self.ctx.scan(&time::COMPARE_TABLE)) {
            self.ctx.mark(h.start, h.end, Use::Compare);
            self.compares.push(h.tag);
        }
    }

    pub(super) fn time(&mut self) {
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

    /// The date specs are checked against: `as_of`, or any fixed date (the
    /// checks that matter here do not depend on it).
    pub(super) fn check_date(&self) -> Option<NaiveDate> {
        self.as_of.or_else(|| NaiveDate::from_ymd_opt(2026, 1, 1))
    }
}
