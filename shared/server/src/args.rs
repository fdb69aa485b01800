//! Tool arguments against the tool's published input schema. A closed
//! vocabulary is an `enum` (or `oneOf` of `const`s) in the schema, so a
//! host sees the allowed values; a value outside it is answered here as an
//! `isError` result naming the argument and the values — the model can
//! correct the call — instead of a JSON-RPC deserialisation error. The same
//! module keeps published schemas to the JSON Schema formats clients know.

use promptsales_shared::AppError;
use serde_json::{Map, Value};

type JsonObject = Map<String, Value>;

/// The formats JSON Schema 2020-12 defines; schemars also emits `uint32`,
/// `int64`, `double`… which validators such as Ajv warn about.
const KNOWN_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Removes every `format` a standard validator would not know, at any depth
/// (the numeric range stays in `minimum`/`maximum`).
pub fn sanitize_schema(schema: &mut JsonObject) {
    let unknown = matches!(schema.get("format"), Some(Value::String(f)) if !KNOWN_FORMATS.contains(&f.as_str()));
    if unknown {
        schema.remove("format");
    }
    for v in schema.values_mut() {
        sanitize_value(v);
    }
}

fn sanitize_value(v: &mut Value) {
    match v {
        Value::Object(o) => sanitize_schema(o),
        Value::Array(items) => items.iter_mut().for_each(sanitize_value),
        _ => {}
    }
}

/// Checks every closed-vocabulary value in `args` against `schema`;
/// `Err` is the sentence for the caller, e.g.
/// ``invalid `status`: expected one of draft, active, got "live"``.
/// Vocabulary matching ignores case and surrounding spaces, as the
/// servers' parsers do.
pub fn check_vocabulary(schema: &JsonObject, args: &JsonObject) -> Result<(), String> {
    let root = schema;
    let props = schema.get("properties").and_then(Value::as_object);
    for (name, value) in args {
        if let Some(s) = props.and_then(|p| p.get(name)) {
            check(root, s, value, name)?;
        }
    }
    Ok(())
}

/// What a (sub)schema says of a value.
enum Verdict {
    Ok,
    /// Not one of these values.
    Outside(Vec<String>),
    /// Not even of the schema's type (serde reports those).
    OtherType,
}

fn check(root: &JsonObject, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    match verdict(root, schema, value, path, 0)? {
        Verdict::Ok | Verdict::OtherType => Ok(()),
        Verdict::Outside(allowed) => Err(AppError::invalid(
            path,
            format!("one of {}", allowed.join(", ")),
            match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        )
        .to_string()),
    }
}

fn resolve<'a>(root: &'a JsonObject, schema: &'a Value) -> &'a Value {
    let target = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| {
            r.strip_prefix("#/$defs/")
                .map(|n| ("$defs", n))
                .or_else(|| r.strip_prefix("#/definitions/").map(|n| ("definitions", n)))
        })
        .and_then(|(defs, name)| root.get(defs)?.get(name));
    target.unwrap_or(schema)
}

fn same_word(allowed: &Value, value: &Value) -> bool {
    match (allowed, value) {
        (Value::String(a), Value::String(v)) => a.eq_ignore_ascii_case(v.trim()),
        (a, v) => a == v,
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `Err` for a violation deeper down (already a sentence); `Outside` when
/// this very value is not among the allowed ones.
fn verdict(
    root: &JsonObject,
    schema: &Value,
    value: &Value,
    path: &str,
    depth: usize,
) -> Result<Verdict, String> {
    // Schemas are trees the servers generate; the bound only guards a
    // recursive `$ref`.
    if depth > 32 {
        return Ok(Verdict::Ok);
    }
    let schema = resolve(root, schema);
    if !type_matches(schema, value) {
        return Ok(Verdict::OtherType);
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if value.is_null() || allowed.iter().any(|a| same_word(a, value)) {
            return Ok(Verdict::Ok);
        }
        return Ok(Verdict::Outside(
            allowed.iter().filter(|a| !a.is_null()).map(shown).collect(),
        ));
    }
    if let Some(c) = schema.get("const") {
        return Ok(if same_word(c, value) {
            Verdict::Ok
        } else {
            Verdict::Outside(vec![shown(c)])
        });
    }
    for key in ["oneOf", "anyOf"] {
        let Some(branches) = schema.get(key).and_then(Value::as_array) else {
            continue;
        };
        let mut allowed = Vec::new();
        // (whether the branch's discriminating consts match the value, why not)
        let mut errors: Vec<(bool, String)> = Vec::new();
        for b in branches {
            match verdict(root, b, value, path, depth + 1) {
                Ok(Verdict::Ok) => return Ok(Verdict::Ok),
                Ok(Verdict::Outside(v)) => allowed.extend(v),
                Ok(Verdict::OtherType) => {}
                Err(why) => errors.push((tag_matches(root, b, value), why)),
            }
        }
        // A tagged union: the branch the value chose by its tag explains.
        if let Some((_, why)) = errors.iter().find(|(chosen, _)| *chosen) {
            return Err(why.clone());
        }
        if !allowed.is_empty() {
            return Ok(Verdict::Outside(allowed));
        }
        if !errors.is_empty() {
            // No branch's tag matched: name the tag and every allowed value.
            if let Some((tag, values)) = tag_of(root, branches) {
                let got = value.get(&tag).map(shown).unwrap_or_default();
                return Err(AppError::invalid(
                    &format!("{path}.{tag}"),
                    format!("one of {}", values.join(", ")),
                    got,
                )
                .to_string());
            }
            return Err(errors.swap_remove(0).1);
        }
        return Ok(Verdict::OtherType);
    }
    match value {
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    if let Verdict::Outside(allowed) =
                        verdict(root, item_schema, item, path, depth + 1)?
                    {
                        return Err(AppError::invalid(
                            path,
                            format!("a list of {}", allowed.join(", ")),
                            shown(item),
                        )
                        .to_string());
                    }
                }
            }
        }
        Value::Object(fields) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, v) in fields {
                    if let Some(s) = props.get(name) {
                        check(root, s, v, &format!("{path}.{name}"))?;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(Verdict::Ok)
}

/// The `const` a branch's property requires (a tagged union's tag).
fn const_of<'a>(root: &'a JsonObject, prop: &'a Value) -> Option<&'a Value> {
    let prop = resolve(root, prop);
    prop.get("const").or_else(|| {
        prop.get("enum")
            .and_then(Value::as_array)
            .filter(|e| e.len() == 1)
            .and_then(|e| e.first())
    })
}

/// Whether every tag (`const` property) of `branch` matches `value`, and it
/// has at least one.
fn tag_matches(root: &JsonObject, branch: &Value, value: &Value) -> bool {
    let branch = resolve(root, branch);
    let Some(props) = branch.get("properties").and_then(Value::as_object) else {
        return false;
    };
    let mut tags = props
        .iter()
        .filter_map(|(k, p)| const_of(root, p).map(|c| (k, c)))
        .peekable();
    tags.peek().is_some() && tags.all(|(k, c)| value.get(k).is_some_and(|v| same_word(c, v)))
}

/// The property every branch tags with a `const`, and the tags.
fn tag_of(root: &JsonObject, branches: &[Value]) -> Option<(String, Vec<String>)> {
    let first = resolve(root, branches.first()?)
        .get("properties")?
        .as_object()?;
    first.keys().find_map(|name| {
        let values: Option<Vec<String>> = branches
            .iter()
            .map(|b| {
                let p = resolve(root, b).get("properties")?.get(name)?;
                const_of(root, p).map(shown)
            })
            .collect();
        values.map(|v| (name.clone(), v))
    })
}

/// Whether `value` has one of the schema's `type`s (no `type`: any).
fn type_matches(schema: &Value, value: &Value) -> bool {
    let one = |t: &str| match t {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    };
    match schema.get("type") {
        Some(Value::String(t)) => one(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

/// The sentence for arguments rmcp could not deserialise although they
/// passed the vocabulary check (a missing field, a wrong type).
pub fn deserialize_message(rpc_message: &str) -> String {
    let detail = rpc_message
        .strip_prefix("failed to deserialize parameters: ")
        .unwrap_or(rpc_message);
    format!("invalid arguments: {detail}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    fn schema() -> JsonObject {
        obj(json!({
            "type": "object",
            "properties": {
                "status": {"$ref": "#/$defs/Status"},
                "stage": {"anyOf": [{"$ref": "#/$defs/Stage"}, {"type": "null"}]},
                "channels": {"type": "array", "items": {"$ref": "#/$defs/Channel"}},
                "spec": {"type": "object", "properties": {"grain": {"type": ["string", "null"], "enum": ["day", "week", null]}}},
                "free": {"type": "string"},
                "n": {"type": "integer", "format": "uint32", "minimum": 0}
            },
            "$defs": {
                "Status": {"type": "string", "enum": ["draft", "active"]},
                "Stage": {"oneOf": [{"const": "iql", "description": "new"}, {"const": "mql"}]},
                "Channel": {"type": "string", "enum": ["meta", "email"]}
            }
        }))
    }

    #[test]
    fn values_inside_the_vocabulary_pass_in_any_case() {
        let args = obj(json!({
            "status": " Active ", "stage": "mql", "channels": ["meta", "EMAIL"],
            "spec": {"grain": "week"}, "free": "anything", "n": 3
        }));
        assert_eq!(check_vocabulary(&schema(), &args), Ok(()));
        let nulls = obj(json!({"stage": null, "spec": {"grain": null}}));
        assert_eq!(check_vocabulary(&schema(), &nulls), Ok(()));
    }

    #[test]
    fn a_value_outside_names_the_argument_and_the_choices() {
        let e = check_vocabulary(&schema(), &obj(json!({"status": "live"}))).unwrap_err();
        assert_eq!(
            e,
            "invalid `status`: expected one of draft, active, got \"live\""
        );
        let e = check_vocabulary(&schema(), &obj(json!({"stage": "hot"}))).unwrap_err();
        assert!(e.contains("`stage`") && e.contains("iql, mql"), "{e}");
        let e = check_vocabulary(&schema(), &obj(json!({"channels": ["meta", "myspace"]})))
            .unwrap_err();
        assert!(
            e.contains("`channels`") && e.contains("meta, email") && e.contains("myspace"),
            "{e}"
        );
        let e = check_vocabulary(&schema(), &obj(json!({"spec": {"grain": "hour"}}))).unwrap_err();
        assert!(e.contains("`spec.grain`") && e.contains("day, week"), "{e}");
    }

    #[test]
    fn tagged_unions_are_judged_by_the_branch_the_tag_chose() {
        let schema = obj(json!({
            "type": "object",
            "properties": {"time_range": {"oneOf": [
                {"type": "object", "properties": {
                    "type": {"type": "string", "const": "absolute"},
                    "from": {"type": "string"}}},
                {"type": "object", "properties": {
                    "type": {"type": "string", "const": "relative"},
                    "period": {"type": "string", "enum": ["last_month", "this_year"]}}}
            ]}}
        }));
        let ok = obj(json!({"time_range": {"type": "relative", "period": "last_month"}}));
        assert_eq!(check_vocabulary(&schema, &ok), Ok(()));
        let ok = obj(json!({"time_range": {"type": "absolute", "from": "2026-01-01"}}));
        assert_eq!(check_vocabulary(&schema, &ok), Ok(()));
        let bad = obj(json!({"time_range": {"type": "relative", "period": "someday"}}));
        let e = check_vocabulary(&schema, &bad).unwrap_err();
        assert!(
            e.contains("`time_range.period`") && e.contains("last_month, this_year"),
            "{e}"
        );
        let bad = obj(json!({"time_range": {"type": "sometime"}}));
        let e = check_vocabulary(&schema, &bad).unwrap_err();
        assert!(
            e.contains("`time_range.type`") && e.contains("absolute, relative"),
            "{e}"
        );
    }

    #[test]
    fn unknown_formats_are_removed_known_ones_kept() {
        let mut s = schema();
        s.insert("x".into(), json!({"type": "string", "format": "date"}));
        sanitize_schema(&mut s);
        assert!(s["properties"]["n"].get("format").is_none());
        assert_eq!(s["properties"]["n"]["minimum"], 0);
        assert_eq!(s["x"]["format"], "date");
    }
}
