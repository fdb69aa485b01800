//! Joins the facts' aggregates over each group (BRIEF §5's full outer join):
//! amounts stay per currency (or are converted), counts of facts that carry
//! no money belong to the whole group.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::domain::Currency;

use super::{Key, RawRow, Sums, bases_of, needs_currency, split_by_currency};
use crate::domain::semantic::{Base, Fact};
use crate::domain::spec::ValidSpec;
use crate::fx::Converter;

/// The aggregates of one group of dimension values.
#[derive(Debug, Default, Clone)]
pub struct Group {
    /// Facts read per currency: their sums by currency code.
    by_cur: BTreeMap<Option<String>, Sums>,
    /// Facts that carry no money: their sums over the whole group.
    plain: Sums,
}

fn add(sums: &mut Sums, values: &[(Base, i64)], factor: f64) {
    for (b, v) in values {
        let v = if b.is_money() {
            *v as f64 * factor
        } else {
            *v as f64
        };
        *sums.entry(*b).or_default() += v;
    }
}

/// Adds one fact's rows to the groups, converting amounts when the spec
/// has a reporting currency (each row is one currency and one day then).
pub(super) fn fold(
    spec: &ValidSpec,
    fact: Fact,
    rows: Vec<RawRow>,
    groups: &mut BTreeMap<Vec<Option<String>>, Group>,
    mut conv: Option<&mut Converter>,
) -> Result<(), AppError> {
    let split = split_by_currency(spec, fact);
    for r in rows {
        let g = groups.entry(r.dims).or_default();
        if !split {
            add(&mut g.plain, &r.values, 1.0);
            continue;
        }
        match (conv.as_deref_mut(), spec.currency, &r.currency) {
            (Some(c), Some(to), Some(cur)) => {
                let from = Currency::parse_field("currency", cur)?;
                let day = r.date.as_deref().unwrap_or_default();
                let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map_err(|e| AppError::Internal(format!("fact date {day:?}: {e}")))?;
                let f = c.factor(from, date);
                add(
                    g.by_cur.entry(Some(to.as_str().to_owned())).or_default(),
                    &r.values,
                    f,
                );
            }
            _ => add(g.by_cur.entry(r.currency).or_default(), &r.values, 1.0),
        }
    }
    Ok(())
}

/// The rows of the result, keyed by dimension values and currency, and
/// whether some group had amounts in several currencies (its counts of
/// money-less facts are then unknown per currency).
pub(super) fn rows(
    spec: &ValidSpec,
    groups: BTreeMap<Vec<Option<String>>, Group>,
) -> (BTreeMap<Key, Sums>, bool) {
    let all: Vec<Base> = spec.facts.iter().flat_map(|f| bases_of(spec, *f)).collect();
    let split_bases: Vec<Base> = spec
        .facts
        .iter()
        .filter(|f| split_by_currency(spec, **f))
        .flat_map(|f| bases_of(spec, *f))
        .collect();
    let fill = |s: &mut Sums, bases: &[Base]| {
        for b in bases {
            s.entry(*b).or_insert(0.0);
        }
    };
    let reporting = spec.currency.map(|c| c.as_str().to_owned());
    let mut out = BTreeMap::new();
    let mut several = false;
    for (dims, g) in groups {
        if !needs_currency(&spec.metrics) {
            let mut s = g.plain;
            for v in g.by_cur.into_values() {
                for (b, x) in v {
                    *s.entry(b).or_default() += x;
                }
            }
            fill(&mut s, &all);
            out.insert((dims, None), s);
            continue;
        }
        match g.by_cur.len() {
            // Only money-less facts: their counts are known, the amounts
            // are not there at all (null, never a 0.00 in no currency).
            0 => {
                let mut s = g.plain;
                let counts: Vec<Base> = all.iter().copied().filter(|b| !b.is_money()).collect();
                fill(&mut s, &counts);
                out.insert((dims, reporting.clone()), s);
            }
            1 => {
                let (cur, mut s) = g.by_cur.into_iter().next().unwrap_or_default();
                s.extend(g.plain);
                fill(&mut s, &all);
                out.insert((dims, cur), s);
            }
            _ => {
                several = true;
                for (cur, mut s) in g.by_cur {
                    fill(&mut s, &split_bases);
                    out.insert((dims.clone(), cur), s);
                }
            }
        }
    }
    (out, several)
}
