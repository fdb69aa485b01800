//! The typed query every question becomes, and its validation. Only a
//! [`ValidSpec`] reaches the compiler, and nothing in it is text that will
//! be pasted into SQL: names are enums, values are bound parameters.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Country, Currency, Vocabulary};
use promptsales_shared::vocabulary;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::period::{Compare, Resolved, TimeRange};
use super::semantic::{Dimension, Fact, Metric};

/// Largest `limit` a query may ask for.
pub const MAX_LIMIT: u32 = 1000;

vocabulary! {
    /// Comparison of a filter.
    pub enum FilterOp("op") {
        Eq => "eq",
        In => "in",
        NotIn => "not_in",
        Gt => "gt",
        Gte => "gte",
        Lt => "lt",
        Lte => "lte",
    }
}

vocabulary! {
    /// Sort direction.
    pub enum Direction("direction") {
        Asc => "asc",
        Desc => "desc",
    }
}

/// What a filter or a sort key names: a metric or a dimension. On the
/// wire it is the name alone (metric and dimension names never collide),
/// and its schema is the closed list of those names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Metric(Metric),
    Dimension(Dimension),
}

impl Field {
    /// The canonical wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Metric(m) => m.as_str(),
            Field::Dimension(d) => d.as_str(),
        }
    }

    /// Parses a metric or dimension name (case and surrounding spaces
    /// ignored), or says which names are allowed.
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        if let Ok(d) = Dimension::parse(value) {
            return Ok(Field::Dimension(d));
        }
        if let Ok(m) = Metric::parse(value) {
            return Ok(Field::Metric(m));
        }
        Err(AppError::invalid(
            field,
            format!("one of {}", Self::names(true).join(", ")),
            value,
        ))
    }

    /// Every dimension (time grains only with `grains`), then every metric.
    fn names(grains: bool) -> Vec<&'static str> {
        Dimension::ALL
            .iter()
            .filter(|d| grains || !d.is_time())
            .map(|d| d.as_str())
            .chain(Metric::ALL.iter().map(|m| m.as_str()))
            .collect()
    }
}

impl From<Metric> for Field {
    fn from(m: Metric) -> Self {
        Field::Metric(m)
    }
}

impl From<Dimension> for Field {
    fn from(d: Dimension) -> Self {
        Field::Dimension(d)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <Cow<'de, str>>::deserialize(d)?;
        Field::parse("field", &raw).map_err(serde::de::Error::custom)
    }
}

/// Inline, like the vocabularies: the allowed names where the argument is.
impl JsonSchema for Field {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Field".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "enum": Field::names(true)})
    }
}

/// A filter's field: a metric, or a dimension that is not a time grain
/// (dates are filtered with `time_range`).
fn filter_field_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": Field::names(false),
        "description": "A dimension (not a time grain: dates go in time_range) or a metric."
    })
}

/// A filter value: text, a number, or a list of texts (for `in`/`not_in`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FilterValue {
    Number(f64),
    Text(String),
    List(Vec<String>),
}

/// `field op value`: on a dimension (`eq`, `in`, `not_in` with ids/codes)
/// or on a metric's value (`gt`, `gte`, `lt`, `lte`, `eq` with a number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// A dimension (not a time grain: dates go in `time_range`) or a metric.
    #[schemars(schema_with = "filter_field_schema")]
    pub field: Field,
    pub op: FilterOp,
    pub value: FilterValue,
}

/// Sort key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBy {
    /// A requested metric or dimension.
    pub field: Field,
    #[serde(default = "desc")]
    pub direction: Direction,
}

fn desc() -> Direction {
    Direction::Desc
}

/// A question in typed form.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// Metrics to compute, e.g. `["revenue", "roas"]`.
    pub metrics: Vec<Metric>,
    /// Group by these dimensions (at most one time grain).
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// No range means all time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// Adds `<metric>_previous` and `<metric>_change_pct` columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_to: Option<Compare>,
    #[serde(default)]
    pub order_by: Vec<OrderBy>,
    /// At most 1000 rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Report money in this currency, converted at each day's rate (the
    /// tenant's default reporting currency when omitted; without either,
    /// money is never summed across currencies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// A filter on a dimension, values normalised to the stored form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DimFilter {
    pub dimension: Dimension,
    pub negate: bool,
    pub values: Vec<String>,
}

/// A filter on a metric's value, applied after aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFilter {
    pub metric: Metric,
    pub op: FilterOp,
    pub value: f64,
}

/// A sort key resolved to a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Metric(Metric),
    Dimension(Dimension),
}

/// A spec that passed validation, with its time range resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSpec {
    pub metrics: Vec<Metric>,
    pub dimensions: Vec<Dimension>,
    pub dim_filters: Vec<DimFilter>,
    pub metric_filters: Vec<MetricFilter>,
    pub range: Option<Resolved>,
    pub compare: Option<(Compare, Resolved)>,
    pub order_by: Vec<(SortKey, Direction)>,
    pub limit: Option<u32>,
    /// Fact tables to read.
    pub facts: Vec<Fact>,
    /// The reporting currency money is converted to, if any.
    pub currency: Option<Currency>,
}

fn list(items: impl Iterator<Item = &'static str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn texts(field: &str, v: &FilterValue, op: FilterOp) -> Result<Vec<String>, AppError> {
    match (op, v) {
        (FilterOp::Eq, FilterValue::Text(t)) => Ok(vec![t.clone()]),
        (FilterOp::In | FilterOp::NotIn, FilterValue::List(l))
            if !l.is_empty() && l.len() <= 100 =>
        {
            Ok(l.clone())
        }
        (FilterOp::In | FilterOp::NotIn, FilterValue::Text(t)) => Ok(vec![t.clone()]),
        (FilterOp::Eq | FilterOp::In | FilterOp::NotIn, _) => Err(AppError::invalid(
            field,
            "a text value for eq, or a list of 1-100 texts for in/not_in",
            serde_json::to_string(v).unwrap_or_default(),
        )),
        _ => Err(AppError::invalid(
            field,
            "eq, in or not_in for a dimension (gt/gte/lt/lte apply to metrics)",
            op.as_str(),
        )),
    }
}

fn normalise(dim: Dimension, field: &str, raw: &str) -> Result<String, AppError> {
    let v = raw.trim();
    match dim {
        Dimension::Country => Ok(Country::parse_field(field, v)?.as_str().to_owned()),
        Dimension::Channel => Ok(Channel::parse_field(field, v)?.as_str().to_owned()),
        Dimension::Objective => {
            let allowed = ["awareness", "traffic", "leads", "sales"];
            let low = v.to_ascii_lowercase();
            if allowed.contains(&low.as_str()) {
                Ok(low)
            } else {
                Err(AppError::invalid(
                    field,
                    format!("one of {}", allowed.join(", ")),
                    v,
                ))
            }
        }
        Dimension::Campaign | Dimension::Client | Dimension::Product => {
            promptsales_shared::domain::validate_id(field, v)
        }
        Dimension::City => {
            if v.is_empty() || v.chars().count() > 100 {
                Err(AppError::invalid(field, "a city name", v))
            } else {
                Ok(v.to_owned())
            }
        }
        _ => Err(AppError::invalid(
            field,
            "a non-time dimension (use time_range for dates)",
            dim.as_str(),
        )),
    }
}

impl QuerySpec {
    /// Checks names, combinations and limits, and resolves the time range
    /// against `as_of`. Every message says what is allowed.
    pub fn validate(&self, as_of: NaiveDate) -> Result<ValidSpec, AppError> {
        if self.metrics.is_empty() {
            return Err(AppError::invalid(
                "metrics",
                format!(
                    "at least one of {}",
                    list(Metric::ALL.iter().map(|m| m.as_str()))
                ),
                "[]",
            ));
        }
        let mut seen = BTreeSet::new();
        for m in &self.metrics {
            if !seen.insert(*m) {
                return Err(AppError::invalid("metrics", "each metric once", m.as_str()));
            }
        }
        if self.metrics.len() > 12 {
            return Err(AppError::invalid(
                "metrics",
                "at most 12 metrics",
                self.metrics.len().to_string(),
            ));
        }
        let mut dims = BTreeSet::new();
        for d in &self.dimensions {
            if !dims.insert(*d) {
                return Err(AppError::invalid(
                    "dimensions",
                    "each dimension once",
                    d.as_str(),
                ));
            }
        }
        if self.dimensions.len() > 4 {
            return Err(AppError::invalid(
                "dimensions",
                "at most 4 dimensions",
                self.dimensions.len().to_string(),
            ));
        }
        let grains: Vec<_> = self.dimensions.iter().filter(|d| d.is_time()).collect();
        if grains.len() > 1 {
            return Err(AppError::invalid(
                "dimensions",
                "at most one time grain (day, week, month, quarter or year)",
                list(grains.iter().map(|d| d.as_str())),
            ));
        }

        let mut facts: Vec<Fact> = self.metrics.iter().flat_map(|m| m.def().facts()).collect();
        facts.sort();
        facts.dedup();

        let mut dim_filters = Vec::new();
        let mut metric_filters = Vec::new();
        for (i, f) in self.filters.iter().enumerate() {
            match f.field {
                Field::Dimension(dim) => {
                    let value_field = format!("filters[{i}].value");
                    let values = texts(&value_field, &f.value, f.op)?
                        .iter()
                        .map(|v| normalise(dim, &value_field, v))
                        .collect::<Result<Vec<_>, _>>()?;
                    dim_filters.push(DimFilter {
                        dimension: dim,
                        negate: f.op == FilterOp::NotIn,
                        values,
                    });
                }
                Field::Metric(metric) => {
                    let value = match (&f.value, f.op) {
                        (
                            FilterValue::Number(n),
                            FilterOp::Gt
                            | FilterOp::Gte
                            | FilterOp::Lt
                            | FilterOp::Lte
                            | FilterOp::Eq,
                        ) if n.is_finite() => *n,
                        _ => {
                            return Err(AppError::invalid(
                                &format!("filters[{i}]"),
                                "a metric compared with gt, gte, lt, lte or eq to a number",
                                serde_json::to_string(f).unwrap_or_default(),
                            ));
                        }
                    };
                    if !self.metrics.contains(&metric) {
                        return Err(AppError::invalid(
                            &format!("filters[{i}].field"),
                            "a metric that is also in metrics",
                            metric.as_str(),
                        ));
                    }
                    metric_filters.push(MetricFilter {
                        metric,
                        op: f.op,
                        value,
                    });
                }
            }
        }

        // Every fact read must be able to split and filter by what is asked.
        let needed: Vec<Dimension> = self
            .dimensions
            .iter()
            .copied()
            .chain(dim_filters.iter().map(|f| f.dimension))
            .collect();
        for m in &self.metrics {
            for fact in m.def().facts() {
                for d in &needed {
                    if d.def().column(fact).is_none() {
                        return Err(AppError::invalid(
                            "dimensions",
                            format!(
                                "dimensions that {} supports: {} has no {} (only {} can be split by it)",
                                m.as_str(),
                                match fact {
                                    Fact::Ads => "ad delivery",
                                    Fact::Leads => "a lead",
                                    Fact::Sales => "a sale",
                                },
                                d.as_str(),
                                match d {
                                    Dimension::Product => "revenue, sales_count and aov",
                                    Dimension::City => "lead and sales metrics",
                                    _ => "other metrics",
                                }
                            ),
                            d.as_str(),
                        ));
                    }
                }
            }
        }

        let range = self
            .time_range
            .as_ref()
            .map(|t| t.resolve(as_of))
            .transpose()?;
        let compare = match (self.compare_to, range) {
            (None, _) => None,
            (Some(c), Some(r)) => Some((c, r.compared(c))),
            (Some(c), None) => {
                return Err(AppError::invalid(
                    "compare_to",
                    "a time_range to compare (all time has no previous period)",
                    c.as_str(),
                ));
            }
        };

        let mut order_by = Vec::new();
        for (i, o) in self.order_by.iter().enumerate() {
            let key = match o.field {
                Field::Metric(m) if self.metrics.contains(&m) => SortKey::Metric(m),
                Field::Dimension(d) if self.dimensions.contains(&d) => SortKey::Dimension(d),
                Field::Metric(_) => {
                    return Err(AppError::invalid(
                        &format!("order_by[{i}].field"),
                        "a requested metric",
                        o.field.as_str(),
                    ));
                }
                Field::Dimension(_) => {
                    return Err(AppError::invalid(
                        &format!("order_by[{i}].field"),
                        "a requested dimension",
                        o.field.as_str(),
                    ));
                }
            };
            order_by.push((key, o.direction));
        }
        if let Some(l) = self.limit
            && !(1..=MAX_LIMIT).contains(&l)
        {
            return Err(AppError::invalid(
                "limit",
                format!("a row limit from 1 to {MAX_LIMIT}"),
                l.to_string(),
            ));
        }
        Ok(ValidSpec {
            metrics: self.metrics.clone(),
            dimensions: self.dimensions.clone(),
            dim_filters,
            metric_filters,
            range,
            compare,
            order_by,
            limit: self.limit,
            facts,
            currency: self.currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
    }

    fn spec(json: serde_json::Value) -> QuerySpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_full_spec_validates_and_normalises_filters() {
        let s = spec(serde_json::json!({
            "metrics": ["revenue", "roas"],
            "dimensions": ["channel", "month"],
            "filters": [
                {"field": "country", "op": "in", "value": ["mx", "co"]},
                {"field": "roas", "op": "gt", "value": 1.5}
            ],
            "time_range": {"type": "relative", "period": "last_quarter"},
            "compare_to": "previous_period",
            "order_by": [{"field": "roas"}],
            "limit": 10
        }));
        let v = s.validate(as_of()).unwrap();
        assert_eq!(v.dim_filters[0].values, vec!["MX", "CO"]);
        assert_eq!(v.metric_filters[0].value, 1.5);
        assert_eq!(v.facts, vec![Fact::Ads, Fact::Sales]);
        let (_, prev) = v.compare.unwrap();
        assert_eq!(prev.from.to_string(), "2026-04-01");
        assert_eq!(
            v.order_by,
            vec![(SortKey::Metric(Metric::Roas), Direction::Desc)]
        );
    }

    #[test]
    fn unknown_names_are_rejected_with_the_choices() {
        let e = serde_json::from_value::<QuerySpec>(serde_json::json!({"metrics": ["profit"]}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("profit"), "{e}");
        // Filter and sort fields are a closed vocabulary too: an unknown
        // name is refused with the choices before validation.
        let e = serde_json::from_value::<QuerySpec>(serde_json::json!(
            {"metrics": ["revenue"], "filters": [{"field": "colour", "op": "eq", "value": "red"}]}
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("colour") && e.contains("channel") && e.contains("roas"),
            "{e}"
        );
        let s = spec(
            serde_json::json!({"metrics": ["revenue"], "filters": [{"field": "month", "op": "eq", "value": "2026-01"}]}),
        );
        let e = s.validate(as_of()).unwrap_err().to_string();
        assert!(e.contains("time_range"), "{e}");
        let s = spec(serde_json::json!({"metrics": []}));
        assert!(
            s.validate(as_of())
                .unwrap_err()
                .to_string()
                .contains("revenue")
        );
    }

    #[test]
    fn fields_are_lenient_and_published_as_closed_lists() {
        let s = spec(serde_json::json!({
            "metrics": ["Revenue "],
            "filters": [{"field": " COUNTRY", "op": "EQ", "value": "mx"}],
            "order_by": [{"field": "revenue", "direction": "Asc"}]
        }));
        assert_eq!(s.filters[0].field, Field::Dimension(Dimension::Country));
        assert_eq!(s.order_by[0].field, "revenue");
        assert_eq!(
            serde_json::to_value(&s.filters[0]).unwrap()["field"],
            "country"
        );
        let schema = serde_json::to_value(schemars::schema_for!(QuerySpec)).unwrap();
        let filter = &schema["$defs"]["Filter"]["properties"];
        let fields = filter["field"]["enum"].as_array().unwrap();
        assert!(fields.contains(&"country".into()) && fields.contains(&"roas".into()));
        assert!(
            !fields.contains(&"month".into()),
            "time grains go in time_range"
        );
        assert!(
            filter["op"]["enum"]
                .as_array()
                .unwrap()
                .contains(&"not_in".into())
        );
        let order = &schema["$defs"]["OrderBy"]["properties"];
        let fields = order["field"]["enum"].as_array().unwrap();
        assert!(fields.contains(&"month".into()) && fields.contains(&"cpl".into()));
        assert_eq!(
            schema["properties"]["metrics"]["items"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            Metric::ALL.len()
        );
    }

    #[test]
    fn incompatible_combinations_are_explained() {
        let s = spec(serde_json::json!({"metrics": ["spend"], "dimensions": ["product"]}));
        let e = s.validate(as_of()).unwrap_err().to_string();
        assert!(e.contains("spend") && e.contains("product"), "{e}");
        let s = spec(
            serde_json::json!({"metrics": ["ctr"], "filters": [{"field": "city", "op": "eq", "value": "Lima"}]}),
        );
        assert!(s.validate(as_of()).is_err());
        let s = spec(serde_json::json!({"metrics": ["revenue"], "dimensions": ["month", "week"]}));
        assert!(
            s.validate(as_of())
                .unwrap_err()
                .to_string()
                .contains("one time grain")
        );
        let s = spec(serde_json::json!({"metrics": ["revenue"], "compare_to": "previous_period"}));
        assert!(
            s.validate(as_of())
                .unwrap_err()
                .to_string()
                .contains("compare_to")
        );
        let s =
            spec(serde_json::json!({"metrics": ["revenue"], "order_by": [{"field": "clicks"}]}));
        assert!(
            s.validate(as_of())
                .unwrap_err()
                .to_string()
                .contains("order_by[0]")
        );
    }

    #[test]
    fn limits_over_1000_are_refused() {
        let s = spec(serde_json::json!({"metrics": ["leads"], "limit": 1001}));
        let e = s.validate(as_of()).unwrap_err().to_string();
        assert!(e.contains("limit") && e.contains("1000"), "{e}");
    }

    #[test]
    fn bad_filter_values_name_the_filter() {
        let s = spec(
            serde_json::json!({"metrics": ["leads"], "filters": [{"field": "country", "op": "eq", "value": "Narnia"}]}),
        );
        let e = s.validate(as_of()).unwrap_err().to_string();
        assert!(
            e.contains("filters[0].value") && e.contains("ISO-3166"),
            "{e}"
        );
        let s = spec(
            serde_json::json!({"metrics": ["leads"], "filters": [{"field": "country", "op": "gt", "value": "MX"}]}),
        );
        assert!(s.validate(as_of()).is_err());
    }
}
