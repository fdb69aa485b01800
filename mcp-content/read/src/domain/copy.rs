//! Copy as field lists against the channel table: what breaks a format.

use super::channels::{Placement, is_emoji, measure};

/// Why `fields` break `channel`'s format, one sentence per problem.
pub fn violations(channel: Placement, fields: &[(String, String)]) -> Vec<String> {
    let spec = channel.spec();
    let mut out = Vec::new();
    for (name, _) in fields {
        if spec.field(name).is_none() {
            out.push(format!(
                "{channel}: unknown field `{name}` (expected {})",
                spec.fields
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for f in spec.fields {
        let values: Vec<&str> = fields
            .iter()
            .filter(|(n, _)| n == f.name)
            .map(|(_, t)| t.as_str())
            .collect();
        if values.len() < f.min_count || values.len() > f.max_count {
            out.push(format!(
                "{channel}: `{}` takes {}-{} values, got {}",
                f.name,
                f.min_count,
                f.max_count,
                values.len()
            ));
        }
        for v in values {
            let (n, max) = measure(v, f.unit, f.max);
            if v.trim().is_empty() {
                out.push(format!("{channel}: `{}` is empty", f.name));
            } else if n > max {
                out.push(format!(
                    "{channel}: `{}` is {n} {} long, the limit is {max}: {v:?}",
                    f.name,
                    f.unit.as_str()
                ));
            }
            if !f.emoji && v.chars().any(is_emoji) {
                out.push(format!(
                    "{channel}: `{}` may not contain emoji: {v:?}",
                    f.name
                ));
            }
            if !f.exclamation && v.contains('!') {
                out.push(format!(
                    "{channel}: `{}` may not contain '!': {v:?}",
                    f.name
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: &str, t: &str) -> (String, String) {
        (n.into(), t.into())
    }

    #[test]
    fn violations_name_the_field_the_length_and_the_limit() {
        let v = violations(
            Placement::GoogleAds,
            &[
                f("headline", "A headline that is far too long to fit"),
                f("headline", "Ok!"),
                f("description", "Fine"),
                f("description", "Fine too 🎉"),
            ],
        );
        let all = v.join("\n");
        assert!(all.contains("`headline` takes 3-15 values, got 2"), "{all}");
        assert!(all.contains("limit is 30"), "{all}");
        assert!(all.contains("'!'"), "{all}");
        assert!(all.contains("emoji"), "{all}");
    }
}
