//! The compiler and executor: a [`ValidSpec`] becomes one parameterised
//! `GROUP BY` per fact table (the same SQL on SQLite and PostgreSQL), whose
//! base aggregates are merged by dimension key; ratios are then computed
//! from the summed parts, comparisons joined, filters, order and limit
//! applied. No text from a user or a model is ever part of the SQL: column
//! names come from the semantic tables, values are bound.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Currency, TenantId};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Row};

use crate::domain::period::Resolved;
use crate::domain::semantic::{Base, Dimension, Fact, Formula, Metric, Unit};
use crate::domain::spec::{Direction, FilterOp, SortKey, ValidSpec};
use crate::fx::{Conversion, Converter, Rates};

mod combine;

/// One compiled statement with its bound values (for display and reuse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub fact: Fact,
    pub sql: String,
    pub params: Vec<String>,
}

impl Statement {
    /// The statement followed by its parameters, as shown to users.
    pub fn display(&self) -> String {
        format!(
            "{};\n-- params: {}",
            self.sql,
            serde_json::to_string(&self.params).unwrap_or_default()
        )
    }
}

/// Whether results must be split by currency: any money metric, or a ratio
/// of money amounts, is meaningless across currencies.
pub fn needs_currency(metrics: &[Metric]) -> bool {
    metrics
        .iter()
        .any(|m| m.def().unit == Unit::Money || matches!(m, Metric::Roas | Metric::Roi))
}

/// The bound values and `WHERE` terms shared by every statement: tenant,
/// dates and dimension filters.
fn where_clause(
    spec: &ValidSpec,
    fact: Fact,
    range: Option<&Resolved>,
    tenant: &TenantId,
) -> (Vec<String>, Vec<String>) {
    let mut params = vec![tenant.as_str().to_owned()];
    let mut wheres = vec!["tenant_id = $1".to_owned()];
    if let Some(r) = range {
        params.push(r.from.to_string());
        wheres.push(format!("date >= ${}", params.len()));
        params.push(r.to.to_string());
        wheres.push(format!("date <= ${}", params.len()));
    }
    for f in &spec.dim_filters {
        let col = f.dimension.def().column(fact).unwrap_or("NULL");
        let mut ph = Vec::new();
        for v in &f.values {
            params.push(v.clone());
            ph.push(format!("${}", params.len()));
        }
        if f.negate {
            // NOT IN drops NULLs; a row with no campaign is not "in" the
            // excluded campaigns, so keep it.
            wheres.push(format!(
                "({col} IS NULL OR {col} NOT IN ({}))",
                ph.join(", ")
            ));
        } else {
            wheres.push(format!("{col} IN ({})", ph.join(", ")));
        }
    }
    (wheres, params)
}

/// `SELECT` and `GROUP BY` terms of the requested dimensions.
fn dimension_terms(spec: &ValidSpec, fact: Fact) -> (Vec<String>, Vec<String>) {
    let mut select = Vec::new();
    let mut group = Vec::new();
    for (i, d) in spec.dimensions.iter().enumerate() {
        // Validation guarantees every fact read has every requested column.
        let col = d.def().column(fact).unwrap_or("NULL");
        select.push(format!("{col} AS d{i}"));
        group.push(col.to_owned());
    }
    (select, group)
}

fn assemble(select: &[String], fact: Fact, wheres: &[String], group: &[String]) -> String {
    let mut sql = format!(
        "SELECT {} FROM {} WHERE {}",
        select.join(", "),
        fact.table(),
        wheres.join(" AND ")
    );
    if !group.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&group.join(", "));
    }
    sql
}

/// Compiles the statement reading `fact` over `range` for `spec`.
pub fn compile(
    spec: &ValidSpec,
    fact: Fact,
    range: Option<&Resolved>,
    tenant: &TenantId,
) -> Statement {
    let (mut select, mut group) = dimension_terms(spec, fact);
    if split_by_currency(spec, fact) {
        select.push("currency AS cur".to_owned());
        group.push("currency".to_owned());
        // Converted amounts need their day: each is converted at its own
        // date's rate.
        if spec.currency.is_some() {
            select.push("date AS fx_date".to_owned());
            group.push("date".to_owned());
        }
    }
    for b in bases_of(spec, fact) {
        select.push(format!("{} AS {}", b.sql(), b.alias()));
    }
    let (wheres, params) = where_clause(spec, fact, range, tenant);
    Statement {
        fact,
        sql: assemble(&select, fact, &wheres, &group),
        params,
    }
}

/// Lead counts by dimension and stage.
pub fn compile_funnel(spec: &ValidSpec, tenant: &TenantId) -> Statement {
    let (mut select, mut group) = dimension_terms(spec, Fact::Leads);
    select.push("stage AS stage".to_owned());
    select.push("CAST(COUNT(*) AS BIGINT) AS n".to_owned());
    group.push("stage".to_owned());
    let (wheres, params) = where_clause(spec, Fact::Leads, spec.range.as_ref(), tenant);
    Statement {
        fact: Fact::Leads,
        sql: assemble(&select, Fact::Leads, &wheres, &group),
        params,
    }
}

/// Runs [`compile_funnel`]'s statement: a stage reached implies the earlier
/// ones (a customer was an SQL and an MQL), lost leads count as leads only.
pub async fn execute_funnel(db: &Db, spec: &ValidSpec, st: &Statement) -> Result<Table, AppError> {
    let mut q = sqlx::query(AssertSqlSafe(st.sql.clone()));
    for p in &st.params {
        q = q.bind(p.clone());
    }
    let rows = q.fetch_all(db.pool()).await?;
    // leads, mql, sql, customers, lost
    let mut groups: BTreeMap<Vec<Option<String>>, [i64; 5]> = BTreeMap::new();
    for r in rows {
        let mut dims = Vec::new();
        for i in 0..spec.dimensions.len() {
            dims.push(r.try_get::<Option<String>, _>(i)?);
        }
        let stage: String = r.try_get("stage")?;
        let n: i64 = r.try_get("n")?;
        let g = groups.entry(dims).or_default();
        g[0] += n;
        match stage.as_str() {
            "mql" => g[1] += n,
            "sql" => {
                g[1] += n;
                g[2] += n;
            }
            "customer" => {
                g[1] += n;
                g[2] += n;
                g[3] += n;
            }
            "lost" => g[4] += n,
            _ => {}
        }
    }
    if groups.is_empty() && spec.dimensions.is_empty() {
        groups.insert(Vec::new(), [0; 5]);
    }
    let rate = |a: i64, b: i64| {
        if b == 0 {
            Value::Null
        } else {
            num(Some(a as f64 / b as f64))
        }
    };
    let mut columns: Vec<String> = spec
        .dimensions
        .iter()
        .map(|d| d.as_str().to_owned())
        .collect();
    for c in [
        "leads",
        "mql",
        "sql",
        "customers",
        "lost",
        "mql_rate",
        "sql_rate",
        "customer_rate",
        "overall_rate",
    ] {
        columns.push(c.to_owned());
    }
    let rows = groups
        .into_iter()
        .map(|(dims, g)| {
            let mut row: Vec<Value> = dims
                .into_iter()
                .map(|d| d.map(Value::String).unwrap_or(Value::Null))
                .collect();
            row.extend(g.iter().map(|n| Value::from(*n)));
            row.push(rate(g[1], g[0]));
            row.push(rate(g[2], g[1]));
            row.push(rate(g[3], g[2]));
            row.push(rate(g[3], g[0]));
            row
        })
        .collect();
    Ok(Table {
        columns,
        rows,
        statements: vec![st.clone()],
        notes: Vec::new(),
        conversion: None,
    })
}

fn bases_of(spec: &ValidSpec, fact: Fact) -> Vec<Base> {
    let mut b: Vec<Base> = spec
        .metrics
        .iter()
        .flat_map(|m| m.def().bases())
        .filter(|b| b.fact() == fact)
        .collect();
    b.sort();
    b.dedup();
    b
}

/// Group key: dimension values then currency.
pub type Key = (Vec<Option<String>>, Option<String>);

/// Summed base aggregates of one group (money in cents, possibly converted
/// and so fractional). A base that is absent is unknown, not zero.
pub type Sums = HashMap<Base, f64>;

/// Whether `fact` is read per currency: it adds money to a spec that
/// reports money. A fact that only counts (leads, or sales when only their
/// number is asked) is never split by currency, so its counts belong to
/// the whole group — BRIEF §5's full outer join of the two facts.
pub fn split_by_currency(spec: &ValidSpec, fact: Fact) -> bool {
    needs_currency(&spec.metrics) && bases_of(spec, fact).iter().any(|b| b.is_money())
}

/// One row of one fact's `GROUP BY`.
struct RawRow {
    dims: Vec<Option<String>>,
    currency: Option<String>,
    date: Option<String>,
    values: Vec<(Base, i64)>,
}

async fn run_statement(db: &Db, st: &Statement, spec: &ValidSpec) -> Result<Vec<RawRow>, AppError> {
    // Built above from the semantic tables and counts only.
    let mut q = sqlx::query(AssertSqlSafe(st.sql.clone()));
    for p in &st.params {
        q = q.bind(p.clone());
    }
    let rows = q.fetch_all(db.pool()).await?;
    let bases = bases_of(spec, st.fact);
    let split = split_by_currency(spec, st.fact);
    let dated = split && spec.currency.is_some();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut dims = Vec::with_capacity(spec.dimensions.len());
        for i in 0..spec.dimensions.len() {
            dims.push(r.try_get::<Option<String>, _>(i)?);
        }
        let currency = if split {
            r.try_get::<Option<String>, _>("cur")?
        } else {
            None
        };
        let date = if dated {
            r.try_get::<Option<String>, _>("fx_date")?
        } else {
            None
        };
        let mut values = Vec::with_capacity(bases.len());
        for b in &bases {
            let v: Option<i64> = r.try_get(b.alias())?;
            values.push((*b, v.unwrap_or(0)));
        }
        out.push(RawRow {
            dims,
            currency,
            date,
            values,
        });
    }
    Ok(out)
}

fn money(cents: f64) -> f64 {
    (cents).round() / 100.0
}

/// The metric's value for one group; `None` when undefined (zero
/// denominator, or a part that is unknown for the group).
pub fn metric_value(m: Metric, s: &Sums) -> Option<f64> {
    let g = |b: Base| s.get(&b).copied();
    let def = m.def();
    match def.formula {
        Formula::Base { base } => {
            let v = g(base)?;
            Some(if base.is_money() { money(v) } else { v })
        }
        Formula::Ratio {
            numerator,
            denominator,
        } => {
            let den = g(denominator)?;
            let num = g(numerator)?;
            if den == 0.0 {
                return None;
            }
            Some(match def.unit {
                // cents per unit → money rounded to cents
                Unit::Money => money(num / den),
                _ => num / den,
            })
        }
        Formula::Roi => {
            let spend = g(Base::SpendCents)?;
            let revenue = g(Base::RevenueCents)?;
            if spend == 0.0 {
                None
            } else {
                Some((revenue - spend) / spend)
            }
        }
    }
}

fn num(v: Option<f64>) -> Value {
    v.and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The tabular result of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub statements: Vec<Statement>,
    /// What a reader must know to read the rows right (currency splits,
    /// rankings within a currency).
    pub notes: Vec<String>,
    /// The conversion to the reporting currency, when there was one.
    pub conversion: Option<Conversion>,
}

/// Readable names of campaigns, clients and products, by id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub campaigns: HashMap<String, String>,
    pub clients: HashMap<String, String>,
    pub products: HashMap<String, String>,
}

impl Names {
    fn of(&self, d: Dimension) -> Option<&HashMap<String, String>> {
        match d {
            Dimension::Campaign => Some(&self.campaigns),
            Dimension::Client => Some(&self.clients),
            Dimension::Product => Some(&self.products),
            _ => None,
        }
    }
}

/// Every fact's rows over `range`.
async fn fetch(
    db: &Db,
    tenant: &TenantId,
    spec: &ValidSpec,
    range: Option<&Resolved>,
    statements: &mut Vec<Statement>,
) -> Result<Vec<(Fact, Vec<RawRow>)>, AppError> {
    let mut out = Vec::new();
    for fact in &spec.facts {
        let st = compile(spec, *fact, range, tenant);
        out.push((*fact, run_statement(db, &st, spec).await?));
        statements.push(st);
    }
    Ok(out)
}

/// The converter for the spec's reporting currency, with the tenant's
/// rates of every currency the rows hold.
async fn converter(
    db: &Db,
    tenant: &TenantId,
    spec: &ValidSpec,
    fetched: &[&Vec<(Fact, Vec<RawRow>)>],
) -> Result<Option<Converter>, AppError> {
    let Some(to) = spec.currency else {
        return Ok(None);
    };
    let mut currencies = BTreeSet::new();
    for rows in fetched.iter().flat_map(|f| f.iter()) {
        for r in &rows.1 {
            if let Some(c) = &r.currency {
                currencies.insert(Currency::parse_field("currency", c)?);
            }
        }
    }
    let rates = Rates::load(db, tenant, &currencies, to).await?;
    Ok(Some(Converter::new(rates, to)))
}

fn group(
    spec: &ValidSpec,
    fetched: Vec<(Fact, Vec<RawRow>)>,
    conv: Option<&mut Converter>,
) -> Result<(BTreeMap<Key, Sums>, bool), AppError> {
    let mut groups = BTreeMap::new();
    let mut conv = conv;
    for (fact, rows) in fetched {
        combine::fold(spec, fact, rows, &mut groups, conv.as_deref_mut())?;
    }
    Ok(combine::rows(spec, groups))
}

fn passes(op: FilterOp, v: f64, x: f64) -> bool {
    match op {
        FilterOp::Gt => v > x,
        FilterOp::Gte => v >= x,
        FilterOp::Lt => v < x,
        FilterOp::Lte => v <= x,
        FilterOp::Eq => (v - x).abs() < 1e-9,
        FilterOp::In | FilterOp::NotIn => true,
    }
}

/// Runs a validated spec against the warehouse.
pub async fn execute(
    db: &Db,
    tenant: &TenantId,
    spec: &ValidSpec,
    names: &Names,
) -> Result<Table, AppError> {
    let mut statements = Vec::new();
    let mut notes = Vec::new();
    let cur_rows = fetch(db, tenant, spec, spec.range.as_ref(), &mut statements).await?;
    let prev_rows = match &spec.compare {
        Some((_, prev)) => Some(fetch(db, tenant, spec, Some(prev), &mut statements).await?),
        None => None,
    };
    let mut fetched = vec![&cur_rows];
    fetched.extend(prev_rows.as_ref());
    let mut conv = converter(db, tenant, spec, &fetched).await?;
    let (current, several) = group(spec, cur_rows, conv.as_mut())?;
    let previous = match prev_rows {
        Some(p) => Some(group(spec, p, conv.as_mut())?.0),
        None => None,
    };
    let conversion = conv.map(Converter::finish).transpose()?;
    if several {
        let unsplit: Vec<&str> = spec
            .metrics
            .iter()
            .filter(|m| {
                m.def()
                    .bases()
                    .iter()
                    .any(|b| !split_by_currency(spec, b.fact()))
            })
            .map(|m| m.as_str())
            .collect();
        if !unsplit.is_empty() {
            notes.push(format!(
                "{} cannot be split by currency: they are null where a group has amounts in \
                 several currencies; set a reporting currency (`currency`) to get them",
                unsplit.join(", ")
            ));
        }
    }

    struct Out {
        key: Key,
        values: Vec<Option<f64>>,
        prev: Vec<Option<f64>>,
    }
    let mut out: Vec<Out> = current
        .iter()
        .map(|(k, s)| {
            let values = spec.metrics.iter().map(|m| metric_value(*m, s)).collect();
            let prev = match &previous {
                Some(p) => spec
                    .metrics
                    .iter()
                    .map(|m| p.get(k).and_then(|s| metric_value(*m, s)))
                    .collect(),
                None => Vec::new(),
            };
            Out {
                key: k.clone(),
                values,
                prev,
            }
        })
        .collect();

    // A question with no dimension returns one row even when nothing matched.
    // With a reporting currency the one row is in it, at zero.
    if out.is_empty()
        && spec.dimensions.is_empty()
        && (!needs_currency(&spec.metrics) || spec.currency.is_some())
    {
        let empty: Sums = spec
            .facts
            .iter()
            .flat_map(|f| bases_of(spec, *f))
            .map(|b| (b, 0.0))
            .collect();
        out.push(Out {
            key: (Vec::new(), spec.currency.map(|c| c.as_str().to_owned())),
            values: spec
                .metrics
                .iter()
                .map(|m| metric_value(*m, &empty))
                .collect(),
            prev: match &previous {
                Some(_) => spec
                    .metrics
                    .iter()
                    .map(|m| metric_value(*m, &empty))
                    .collect(),
                None => Vec::new(),
            },
        });
    }

    out.retain(|o| {
        spec.metric_filters.iter().all(|f| {
            let i = spec
                .metrics
                .iter()
                .position(|m| *m == f.metric)
                .unwrap_or(0);
            o.values[i].is_some_and(|v| passes(f.op, v, f.value))
        })
    });

    // Ranked questions rank real members: no null dimension or value.
    let ranked = spec.limit.is_some() && !spec.order_by.is_empty();
    if ranked {
        out.retain(|o| {
            o.key.0.iter().all(Option::is_some)
                && spec.order_by.iter().all(|(k, _)| match k {
                    SortKey::Metric(m) => {
                        let i = spec.metrics.iter().position(|x| x == m).unwrap_or(0);
                        o.values[i].is_some()
                    }
                    SortKey::Dimension(_) => true,
                })
        });
    }

    // Order: explicit keys, else the time grain ascending, else the first
    // metric descending; ties by dimension values for a stable answer.
    let order: Vec<(SortKey, Direction)> = if !spec.order_by.is_empty() {
        spec.order_by.clone()
    } else if let Some(t) = spec.dimensions.iter().find(|d| d.is_time()) {
        vec![(SortKey::Dimension(*t), Direction::Asc)]
    } else {
        vec![(SortKey::Metric(spec.metrics[0]), Direction::Desc)]
    };
    // Amounts in different currencies cannot be ranked against each other:
    // without a reporting currency a ranking by a metric ranks within each
    // currency (limit included) and says so.
    let currencies: BTreeSet<&Option<String>> = out.iter().map(|o| &o.key.1).collect();
    let per_currency = needs_currency(&spec.metrics)
        && spec.currency.is_none()
        && currencies.len() > 1
        && order.iter().any(|(k, _)| matches!(k, SortKey::Metric(_)));
    if per_currency {
        notes.push(format!(
            "ranked within each currency ({}): amounts in different currencies are not \
             comparable without a reporting currency (`currency`)",
            currencies
                .iter()
                .map(|c| c.as_deref().unwrap_or("none"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.sort_by(|a, b| {
        if per_currency {
            let o = a.key.1.cmp(&b.key.1);
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        for (k, dir) in &order {
            let ord = match k {
                SortKey::Metric(m) => {
                    let i = spec.metrics.iter().position(|x| x == m).unwrap_or(0);
                    // Nulls last whatever the direction.
                    match (a.values[i], b.values[i]) {
                        (Some(x), Some(y)) => {
                            let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                            if *dir == Direction::Desc {
                                o.reverse()
                            } else {
                                o
                            }
                        }
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    }
                }
                SortKey::Dimension(d) => {
                    let i = spec.dimensions.iter().position(|x| x == d).unwrap_or(0);
                    let o = a.key.0[i].cmp(&b.key.0[i]);
                    if *dir == Direction::Desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        a.key.cmp(&b.key)
    });
    if let Some(l) = spec.limit {
        if per_currency {
            let mut taken: HashMap<Option<String>, u32> = HashMap::new();
            out.retain(|o| {
                let n = taken.entry(o.key.1.clone()).or_default();
                *n += 1;
                *n <= l
            });
        } else {
            out.truncate(l as usize);
        }
    }

    let cur = needs_currency(&spec.metrics);
    let mut columns = Vec::new();
    for d in &spec.dimensions {
        columns.push(d.as_str().to_owned());
        if names.of(*d).is_some() {
            columns.push(format!("{}_name", d.as_str()));
        }
    }
    if cur {
        columns.push("currency".to_owned());
    }
    for m in &spec.metrics {
        columns.push(m.as_str().to_owned());
        if spec.compare.is_some() {
            columns.push(format!("{}_previous", m.as_str()));
            columns.push(format!("{}_change_pct", m.as_str()));
        }
    }
    let rows = out
        .into_iter()
        .map(|o| {
            let mut row = Vec::with_capacity(columns.len());
            for (i, d) in spec.dimensions.iter().enumerate() {
                let v = o.key.0[i].clone();
                if let Some(map) = names.of(*d) {
                    let name = v.as_ref().and_then(|id| map.get(id)).cloned();
                    row.push(v.map(Value::String).unwrap_or(Value::Null));
                    row.push(name.map(Value::String).unwrap_or(Value::Null));
                } else {
                    row.push(v.map(Value::String).unwrap_or(Value::Null));
                }
            }
            if cur {
                row.push(o.key.1.clone().map(Value::String).unwrap_or(Value::Null));
            }
            for (i, _) in spec.metrics.iter().enumerate() {
                row.push(num(o.values[i]));
                if spec.compare.is_some() {
                    let p = o.prev.get(i).copied().flatten();
                    row.push(num(p));
                    let change = match (o.values[i], p) {
                        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p * 100.0),
                        _ => None,
                    };
                    row.push(num(change));
                }
            }
            row
        })
        .collect();
    Ok(Table {
        columns,
        rows,
        statements,
        notes,
        conversion,
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod db_tests;
