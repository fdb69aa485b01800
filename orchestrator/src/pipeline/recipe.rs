//! Recipes: declarative pipelines (TOML) of parameters and steps — tool calls with templated arguments, conditions, loops, retries, approval gates — validated before a run starts.

use std::collections::{BTreeMap, BTreeSet};

use promptsales_shared::AppError;
use promptsales_shared::scope::Scope;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The built-in recipes, embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "launch-campaign",
        include_str!("../../recipes/launch-campaign.toml"),
    ),
    (
        "weekly-report",
        include_str!("../../recipes/weekly-report.toml"),
    ),
    (
        "lead-nurture",
        include_str!("../../recipes/lead-nurture.toml"),
    ),
];

/// Tools the runner itself provides (not MCP servers): `agenda.schedule`
/// adds an agenda task; `run.check` fails the run with its `message` unless
/// one of its `any_of` values is truthy; `run.creative_waivers` turns the
/// approver's waiver `note` into the per-channel `waivers` of
/// `ads.approve_campaign` — the channels of `campaign_id` still without a
/// usable creative (none without a note); `run.digest` turns a
/// `crm.follow_ups_due` answer (`digest`) into the `text` a seller reads.
pub const INTERNAL_TOOLS: &[&str] = &[
    "agenda.schedule",
    "run.check",
    "run.creative_waivers",
    "run.digest",
];

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub params: BTreeMap<String, ParamSpec>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    #[serde(default)]
    pub required: bool,
    pub default: Option<Value>,
    #[serde(default)]
    pub description: String,
}

/// A gate: the run stops here until a person with `scope` (and
/// `orchestrator:approve`) approves.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// What the approver is asked (templated).
    pub summary: String,
    /// A privileged scope; legacy names (`pipelines:approve`) read as their
    /// current scope.
    #[serde(default = "default_scope", deserialize_with = "gate_scope")]
    pub scope: Scope,
    /// What the approver reads besides the summary, taken when the gate
    /// opens.
    pub review: Option<ReviewSpec>,
}

/// A gate's review: the campaign (read with `ads.get_campaign`: plan in
/// major units, caps, waivers) and the creatives' copy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSpec {
    /// Template: the campaign's id.
    pub campaign_id: Option<String>,
    /// Template: the creatives drafted before the gate (each with
    /// `asset_id`, `channel` and `fields`).
    pub creatives: Option<String>,
}

fn default_scope() -> Scope {
    Scope::AdsApprove
}

fn gate_scope<'de, D: Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
    let raw = String::deserialize(d)?;
    crate::scopes::parse_scope("gate.scope", &raw).map_err(serde::de::Error::custom)
}

/// What a failing call does to the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// The run fails (default).
    #[default]
    Fail,
    /// The step (or loop item) is recorded as skipped and the run goes on.
    Skip,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    /// Namespaced tool (`ads.launch_campaign`) or an internal one.
    pub tool: Option<String>,
    #[serde(default = "empty_object")]
    pub args: Value,
    pub gate: Option<Gate>,
    /// Template; the step is skipped when it renders falsy.
    pub when: Option<String>,
    /// Template; the step is skipped when it renders truthy.
    pub unless: Option<String>,
    /// Template rendering an array: the tool is called once per item
    /// (`{{item}}`, `{{index}}`), each call recorded on its own.
    pub for_each: Option<String>,
    /// Extra attempts after a transient failure (server down, timeout).
    #[serde(default)]
    pub retries: u32,
    pub timeout_secs: Option<u64>,
    /// `approver`: call as the person who passed the last gate (with
    /// only the scope the tool declares); `starter`: call as the person who
    /// started the run (only an everyday scope), whoever continues it —
    /// so the approver never becomes the last editor of what they approve.
    #[serde(rename = "as")]
    pub as_: Option<String>,
    /// Argument that receives the step's idempotency key (default:
    /// `idempotency_key` when the tool declares it).
    pub idempotency_arg: Option<String>,
    #[serde(default)]
    pub on_error: OnError,
    /// Template printed after the step succeeds (`{{output…}}`).
    pub print: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl Recipe {
    /// Parses and checks a recipe file.
    pub fn parse(source: &str) -> Result<Recipe, AppError> {
        let doc = super::toml::parse(source)
            .map_err(|e| AppError::invalid("recipe", "a TOML recipe", e.to_string()))?;
        let recipe: Recipe = serde_json::from_value(doc).map_err(|e| {
            AppError::invalid("recipe", "name, params and [[steps]]", e.to_string())
        })?;
        recipe.validate()?;
        Ok(recipe)
    }

    /// A built-in recipe by name.
    pub fn builtin(name: &str) -> Option<(&'static str, Recipe)> {
        let (_, src) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Recipe::parse(src).ok().map(|r| (*src, r))
    }

    fn validate(&self) -> Result<(), AppError> {
        if self.steps.is_empty() {
            return Err(AppError::invalid("steps", "at least one step", "none"));
        }
        let mut seen = BTreeSet::new();
        for s in &self.steps {
            if s.id.is_empty()
                || !s
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(AppError::invalid(
                    "steps.id",
                    "letters, digits, '_' or '-'",
                    &s.id,
                ));
            }
            match (&s.tool, &s.gate) {
                (Some(t), None)
                    if t.split_once('.')
                        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty()) => {}
                (Some(t), None) => {
                    return Err(AppError::invalid(
                        &format!("steps.{}.tool", s.id),
                        "a namespaced tool such as `ads.launch_campaign`",
                        t,
                    ));
                }
                (None, Some(g)) => {
                    // Anyone who may only read or write could pass a gate
                    // on an everyday scope: that is no approval.
                    if !g.scope.is_privileged() {
                        return Err(AppError::invalid(
                            &format!("steps.{}.gate.scope", s.id),
                            "a privileged scope such as ads:approve, content:approve or \
                             orchestrator:approve",
                            g.scope.as_str(),
                        ));
                    }
                    if s.for_each.is_some() {
                        return Err(AppError::invalid(
                            &format!("steps.{}.for_each", s.id),
                            "no loop on a gate",
                            "for_each",
                        ));
                    }
                }
                _ => {
                    return Err(AppError::invalid(
                        &format!("steps.{}", s.id),
                        "exactly one of `tool` or `gate`",
                        "both or neither",
                    ));
                }
            }
            if let Some(a) = &s.as_ {
                if a != "approver" && a != "starter" {
                    return Err(AppError::invalid(
                        &format!("steps.{}.as", s.id),
                        "`approver` or `starter`",
                        a,
                    ));
                }
                if s.tool
                    .as_deref()
                    .is_some_and(|t| INTERNAL_TOOLS.contains(&t))
                {
                    return Err(AppError::invalid(
                        &format!("steps.{}.as", s.id),
                        "no `as` on a tool the runner provides itself",
                        a,
                    ));
                }
            }
            // Templates may only read steps that ran before.
            for text in s.templates() {
                for referenced in referenced_steps(&text) {
                    if !seen.contains(&referenced) {
                        return Err(AppError::invalid(
                            &format!("steps.{}", s.id),
                            "references to earlier steps only",
                            format!("steps.{referenced}"),
                        ));
                    }
                }
            }
            if !seen.insert(s.id.clone()) {
                return Err(AppError::invalid("steps.id", "unique step ids", &s.id));
            }
        }
        Ok(())
    }

    /// Parameters with defaults applied; a missing required one is an
    /// error naming it and saying what it is for.
    pub fn bind_params(&self, given: &Value) -> Result<Value, AppError> {
        let given = match given {
            Value::Null => serde_json::Map::new(),
            Value::Object(m) => m.clone(),
            other => {
                return Err(AppError::invalid(
                    "params",
                    "a JSON object",
                    other.to_string(),
                ));
            }
        };
        for k in given.keys() {
            if !self.params.contains_key(k) {
                return Err(AppError::invalid(
                    &format!("params.{k}"),
                    format!(
                        "one of {}",
                        self.params.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    k,
                ));
            }
        }
        let mut out = serde_json::Map::new();
        for (name, spec) in &self.params {
            match given.get(name).cloned().or_else(|| spec.default.clone()) {
                Some(v) => {
                    out.insert(name.clone(), v);
                }
                None if spec.required => {
                    return Err(AppError::invalid(
                        &format!("params.{name}"),
                        if spec.description.is_empty() {
                            "a value (required)".to_owned()
                        } else {
                            format!("{} (required)", spec.description)
                        },
                        "nothing",
                    ));
                }
                None => {
                    out.insert(name.clone(), Value::Null);
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// Every namespaced MCP tool the recipe calls.
    pub fn tools(&self) -> BTreeSet<String> {
        self.steps
            .iter()
            .filter_map(|s| s.tool.clone())
            .filter(|t| !INTERNAL_TOOLS.contains(&t.as_str()))
            .collect()
    }
}

impl Step {
    fn templates(&self) -> Vec<String> {
        let mut out = vec![self.args.to_string()];
        out.extend(self.when.clone());
        out.extend(self.unless.clone());
        out.extend(self.for_each.clone());
        if let Some(g) = &self.gate {
            out.push(g.summary.clone());
            if let Some(r) = &g.review {
                out.extend(r.campaign_id.clone());
                out.extend(r.creatives.clone());
            }
        }
        out
    }
}

fn referenced_steps(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("steps.") {
        let before_ok = i == 0
            || !rest[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let after = &rest[i + 6..];
        let id: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if before_ok && !id.is_empty() {
            out.push(id.clone());
        }
        rest = &after[id.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtins_parse_and_validate() {
        for (name, src) in BUILTIN {
            let r = Recipe::parse(src).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&r.name, name);
        }
        let (_, launch) = Recipe::builtin("launch-campaign").unwrap();
        let tools = launch.tools();
        for t in [
            "content.generate_content",
            "content.optimize_for_search",
            "content.approve_asset",
            "ads.generate_campaign",
            "ads.attach_content",
            "ads.plan_budget",
            "ads.submit_for_approval",
            "ads.approve_campaign",
            "ads.launch_campaign",
        ] {
            assert!(tools.contains(t), "launch-campaign does not call {t}");
        }
        assert!(launch.steps.iter().any(|s| s.gate.is_some()));
    }

    #[test]
    fn bad_recipes_are_refused_with_the_reason() {
        let e = Recipe::parse("name = \"x\"\n[[steps]]\nid = \"a\"\ntool = \"nodot\"").unwrap_err();
        assert!(e.to_string().contains("steps.a.tool"), "{e}");
        let e = Recipe::parse(
            "name = \"x\"\n[[steps]]\nid = \"a\"\ntool = \"ads.x\"\nargs = { id = \"{{steps.b.output}}\" }\n[[steps]]\nid = \"b\"\ntool = \"ads.y\"",
        )
        .unwrap_err();
        assert!(e.to_string().contains("steps.b"), "{e}");
        let e = Recipe::parse("name = \"x\"\n[[steps]]\nid = \"a\"\ntool = \"ads.x\"\n[[steps]]\nid = \"a\"\ntool = \"ads.y\"").unwrap_err();
        assert!(e.to_string().contains("unique"), "{e}");
        let e = Recipe::parse("name = \"x\"\n[[steps]]\nid = \"a\"\ntool = \"ads.x\"\nbogus = 1")
            .unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }

    #[test]
    fn gate_scopes_are_typed_privileged_and_legacy_names_map() {
        let gate = |scope: &str| {
            Recipe::parse(&format!(
                "name = \"x\"\n[[steps]]\nid = \"g\"\ngate = {{ summary = \"ok?\", scope = \"{scope}\" }}"
            ))
        };
        let r = gate("pipelines:approve").unwrap();
        assert_eq!(
            r.steps[0].gate.as_ref().unwrap().scope,
            Scope::OrchestratorApprove
        );
        assert_eq!(
            gate("content:approve").unwrap().steps[0]
                .gate
                .as_ref()
                .unwrap()
                .scope,
            Scope::ContentApprove
        );
        let e = gate("ads:everything").unwrap_err().to_string();
        assert!(e.contains("gate.scope") && e.contains("ads:approve"), "{e}");
        let e = gate("ads:read").unwrap_err().to_string();
        assert!(
            e.contains("steps.g.gate.scope") && e.contains("privileged"),
            "{e}"
        );
        let (_, launch) = Recipe::builtin("launch-campaign").unwrap();
        let g = launch.steps.iter().find_map(|s| s.gate.as_ref()).unwrap();
        assert_eq!(g.scope, Scope::AdsApprove);
    }

    #[test]
    fn params_get_defaults_and_required_ones_are_named() {
        let (_, r) = Recipe::builtin("launch-campaign").unwrap();
        let e = r.bind_params(&json!({})).unwrap_err();
        assert!(e.to_string().contains("params."), "{e}");
        let e = r.bind_params(&json!({"nope": 1})).unwrap_err();
        assert!(e.to_string().contains("params.nope"), "{e}");
    }
}
