//! The template language of recipe arguments: `{{path}}` takes a value from the run's context (`params.budget`, `steps.campaign.output.id`, `steps.content.output.*.assets.*.id` maps over arrays), `{{path?}}` is null when missing, `{{path ?? default}}` falls back; a string that is exactly one expression keeps the value's type, otherwise values are interpolated as text.

use serde_json::Value;

/// A template that could not be rendered.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("`{{{{{expr}}}}}`: {reason}")]
    Missing { expr: String, reason: String },
    #[error("unclosed `{{{{` in {0:?}")]
    Unclosed(String),
}

/// Renders every string inside `v` against `ctx`.
pub fn render(v: &Value, ctx: &Value) -> Result<Value, TemplateError> {
    Ok(match v {
        Value::String(s) => render_str(s, ctx)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render(i, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                out.insert(k.clone(), render(v, ctx)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn render_str(s: &str, ctx: &Value) -> Result<Value, TemplateError> {
    let trimmed = s.trim();
    if let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        && !inner.contains("{{")
        && !inner.contains("}}")
    {
        return eval(inner.trim(), ctx);
    }
    if !s.contains("{{") {
        return Ok(Value::String(s.to_owned()));
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::Unclosed(s.to_owned()))?;
        match eval(after[..end].trim(), ctx)? {
            Value::String(v) => out.push_str(&v),
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// Evaluates one expression: `path`, `path?` or `path ?? default`.
pub fn eval(expr: &str, ctx: &Value) -> Result<Value, TemplateError> {
    let (path, default) = match expr.split_once("??") {
        Some((p, d)) => (p.trim(), Some(d.trim())),
        None => (expr, None),
    };
    let (path, optional) = match path.strip_suffix('?') {
        Some(p) => (p.trim(), true),
        None => (path, false),
    };
    let segments: Vec<&str> = path.split('.').map(str::trim).collect();
    // The fallback is evaluated only when needed: it may name a step that
    // did not run because the primary value exists.
    match (lookup(ctx, &segments), default) {
        (Ok(v), Some(d)) if v.is_null() => parse_default(d, ctx),
        (Ok(v), _) => Ok(v),
        (Err(_), Some(d)) => parse_default(d, ctx),
        (Err(_), None) if optional => Ok(Value::Null),
        (Err(reason), None) => Err(TemplateError::Missing {
            expr: expr.to_owned(),
            reason,
        }),
    }
}

/// A default is a quoted string, a JSON literal, or another expression.
fn parse_default(raw: &str, ctx: &Value) -> Result<Value, TemplateError> {
    if let Some(s) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Ok(Value::String(s.to_owned()));
    }
    match serde_json::from_str(raw) {
        Ok(v) => Ok(v),
        Err(_) => eval(raw, ctx),
    }
}

fn lookup(v: &Value, path: &[&str]) -> Result<Value, String> {
    let Some((head, rest)) = path.split_first() else {
        return Ok(v.clone());
    };
    if head.is_empty() {
        return Err("empty path segment".into());
    }
    if *head == "*" {
        let Value::Array(items) = v else {
            return Err(format!("`*` needs an array, found {}", kind(v)));
        };
        let nested = rest.contains(&"*");
        let mut out = Vec::new();
        for item in items {
            match lookup(item, rest) {
                Ok(Value::Array(inner)) if nested => out.extend(inner),
                Ok(Value::Null) => {}
                Ok(x) => out.push(x),
                Err(_) => {}
            }
        }
        return Ok(Value::Array(out));
    }
    let next = match v {
        Value::Object(m) => m.get(*head),
        Value::Array(items) => head.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    };
    match next {
        Some(n) => lookup(n, rest),
        None => Err(format!("no `{head}` in {}", kind(v))),
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Object(m) => format!(
            "an object with {}",
            if m.is_empty() {
                "no keys".to_owned()
            } else {
                m.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        ),
        Value::Array(a) => format!("an array of {}", a.len()),
        Value::Null => "null".into(),
        other => format!("the value {other}"),
    }
}

/// Truthiness of a condition's value: null, false, 0, "", "false", [] and
/// {} are false.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !(s.is_empty() || s == "false" || s == "0"),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({
            "params": {"client_id": "cli_1", "budget": 5000, "channels": ["meta", "email"]},
            "steps": {
                "content": {"output": [
                    {"assets": [{"id": "a1"}, {"id": "a2"}]},
                    {"assets": [{"id": "a3"}]}
                ]},
                "campaign": {"output": {"campaign_id": "cmp_9"}}
            },
            "run": {"id": "run_1"}
        })
    }

    #[test]
    fn whole_expressions_keep_their_type() {
        let c = ctx();
        assert_eq!(
            render(&json!("{{params.budget}}"), &c).unwrap(),
            json!(5000)
        );
        assert_eq!(
            render(&json!({"ch": " {{ params.channels }} "}), &c).unwrap(),
            json!({"ch": ["meta", "email"]})
        );
        assert_eq!(
            render(&json!("{{steps.content.output.0.assets.1.id}}"), &c).unwrap(),
            json!("a2")
        );
    }

    #[test]
    fn wildcards_map_and_flatten() {
        let c = ctx();
        assert_eq!(
            render(&json!("{{steps.content.output.*.assets.*.id}}"), &c).unwrap(),
            json!(["a1", "a2", "a3"])
        );
    }

    #[test]
    fn interpolation_optional_and_default() {
        let c = ctx();
        assert_eq!(
            render(
                &json!("launch {{steps.campaign.output.campaign_id}} for {{params.client_id}}"),
                &c
            )
            .unwrap(),
            json!("launch cmp_9 for cli_1")
        );
        assert_eq!(render(&json!("{{params.tone?}}"), &c).unwrap(), Value::Null);
        assert_eq!(
            render(&json!("{{params.tone ?? 'friendly'}}"), &c).unwrap(),
            json!("friendly")
        );
        assert_eq!(render(&json!("{{params.n ?? 3}}"), &c).unwrap(), json!(3));
        assert_eq!(
            render(&json!("{{params.budget ?? 3}}"), &c).unwrap(),
            json!(5000)
        );
        assert_eq!(
            render(&json!("{{params.only ?? params.channels}}"), &c).unwrap(),
            json!(["meta", "email"])
        );
        // A fallback naming something absent is not evaluated when unused.
        assert_eq!(
            render(&json!("{{params.budget ?? steps.skipped.output.x}}"), &c).unwrap(),
            json!(5000)
        );
    }

    #[test]
    fn missing_values_are_errors_naming_the_expression() {
        let e = render(&json!("{{steps.campaign.output.id}}"), &ctx()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("steps.campaign.output.id"), "{msg}");
        assert!(msg.contains("campaign_id"), "{msg}");
        assert!(render(&json!("x {{params"), &ctx()).is_err());
    }

    #[test]
    fn truthiness() {
        assert!(!truthy(&json!(null)));
        assert!(!truthy(&json!([])));
        assert!(!truthy(&json!("false")));
        assert!(truthy(&json!(["a"])));
        assert!(truthy(&json!(1)));
    }
}
