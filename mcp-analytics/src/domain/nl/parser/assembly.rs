//! Phase 5, assembly: the phases' findings checked together and turned
//! into a validated spec, with the notes of what was understood.

use promptsales_shared::domain::Channel;

use super::{DimPick, Problem, Source, State, dedup};
use crate::domain::nl::lexicon::country_display;
use crate::domain::nl::time::{self, describe_time};
use crate::domain::nl::{Language, NotUnderstood, Parsed};
use crate::domain::period::{Compare, TimeRange};
use crate::domain::semantic::Dimension;
use crate::domain::spec::{Direction, Field, OrderBy, QuerySpec};

impl State<'_> {
    pub(super) fn finish(mut self) -> Result<Parsed, NotUnderstood> {
        let mut problems = std::mem::take(&mut self.problems);
        self.context_metrics();
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
        self.context_dims(&mut dims);
        self.rank(&metrics, &dims);
        if !self.metric_filters.is_empty() && dims.is_empty() {
            problems.push(Problem::FilterNeedsDim);
        }
        problems.append(&mut self.problems);
        self.dims = dims.clone();
        if !problems.is_empty() {
            return Err(self.refuse(problems));
        }

        let mut time_range = ranges
            .into_iter()
            .next()
            .or_else(|| self.context.and_then(|c| c.time_range.clone()));
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
        let mut spec = QuerySpec {
            metrics: metrics.clone(),
            dimensions: dims.iter().map(|d| d.dim).collect(),
            filters: self.filters(),
            time_range,
            compare_to: compare_to.map(|(c, _)| c),
            order_by: self
                .ranking
                .map(|r| {
                    vec![OrderBy {
                        field: Field::Metric(r.metric),
                        direction: r.direction,
                    }]
                })
                .unwrap_or_default(),
            limit: self.ranking.and_then(|r| r.limit),
            currency: None,
        };
        self.context_rest(&mut spec);
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

    /// Notes of what was read, in a fixed order.
    pub(super) fn understood(&self, spec: Option<&QuerySpec>) -> Vec<String> {
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
}
