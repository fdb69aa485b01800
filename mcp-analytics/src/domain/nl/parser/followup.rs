//! Follow-ups: a question read against the previous answer's spec keeps
//! what it does not name (metrics, groupings, filters on other fields, the
//! period, the comparison, the order) and replaces what it names.

use super::{DimPick, Source, State};
use crate::domain::nl::patterns::Use;
use crate::domain::spec::{Field, QuerySpec};

/// Words that open a follow-up ("and by channel?", "¿y en México?",
/// "what about spend?", "same for last year").
const OPENERS: &[&str] = &[
    "and", "y", "e", "also", "tambien", "same", "mismo", "misma", "igual", "now", "ahora", "then",
    "entonces", "but", "pero", "only", "solo", "just",
];

impl State<'_> {
    /// Whether the question refines the previous one: it opens like a
    /// follow-up or names no metric. A whole new question is read fresh.
    pub(super) fn follows_up(&self) -> bool {
        let first = self.ctx.text(0);
        let opener = (OPENERS.contains(&first) && self.ctx.used_as(0) != Some(Use::Compare))
            || (matches!(first, "what" | "how" | "que" | "como") && self.ctx.text(1) == "about");
        opener || self.metric_hits.is_empty()
    }

    /// No metric named: the previous question's metrics.
    pub(super) fn context_metrics(&mut self) {
        let Some(c) = self.context else { return };
        if self.metric_hits.is_empty() && !c.metrics.is_empty() {
            self.metric_hits
                .extend(c.metrics.iter().map(|m| (usize::MAX, *m)));
            self.notes
                .push("follow-up: metrics of the previous question".to_owned());
        }
    }

    /// No grouping named: the previous question's groupings.
    pub(super) fn context_dims(&mut self, dims: &mut Vec<DimPick>) {
        let Some(c) = self.context else { return };
        if dims.is_empty() && !c.dimensions.is_empty() {
            dims.extend(c.dimensions.iter().map(|d| DimPick {
                pos: usize::MAX,
                dim: *d,
                source: Source::Cue,
                plural: true,
            }));
            self.notes
                .push("follow-up: groupings of the previous question".to_owned());
        }
    }

    /// Filters on fields the follow-up does not filter, the comparison and
    /// the order of the previous question (the order only while it still
    /// ranks by something the new spec has).
    pub(super) fn context_rest(&mut self, spec: &mut QuerySpec) {
        let Some(c) = self.context else { return };
        let named: Vec<Field> = spec.filters.iter().map(|f| f.field).collect();
        let kept: Vec<_> = c
            .filters
            .iter()
            .filter(|f| !named.contains(&f.field))
            .cloned()
            .collect();
        spec.filters.splice(0..0, kept);
        if spec.compare_to.is_none() && self.compares.is_empty() {
            spec.compare_to = c.compare_to;
        }
        if spec.order_by.is_empty() {
            let still = c.order_by.iter().all(|o| match o.field {
                Field::Metric(m) => spec.metrics.contains(&m),
                Field::Dimension(d) => spec.dimensions.contains(&d),
            });
            if still && !spec.dimensions.is_empty() {
                spec.order_by = c.order_by.clone();
                spec.limit = c.limit;
            }
        }
    }
}
