//! The orchestrator's side of the one scope model: the scope names recipes
//! and stored approvals use, read as [`Scope`] (old names mapped), and a
//! refusal for a missing scope turned into a sentence telling the person
//! which scope it is and how to grant it.

use std::collections::BTreeSet;

use promptsales_shared::AppError;
use promptsales_shared::domain::Vocabulary;
use promptsales_shared::scope::Scope;

/// Names of the first scope vocabulary that recipes and approvals stored
/// before the one scope model may still carry, and the scope each became.
pub const LEGACY: &[(&str, Scope)] = &[("pipelines:approve", Scope::OrchestratorApprove)];

/// Reads a scope name as `field`: a current name (case and spaces ignored)
/// or a legacy one; anything else names the allowed values.
pub fn parse_scope(field: &str, raw: &str) -> Result<Scope, AppError> {
    let name = raw.trim().to_ascii_lowercase();
    if let Some((_, s)) = LEGACY.iter().find(|(old, _)| *old == name) {
        return Ok(*s);
    }
    Scope::ALL
        .iter()
        .copied()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| {
            AppError::invalid(
                field,
                format!(
                    "one of {}",
                    Scope::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                raw,
            )
        })
}

/// The scopes a refusal says are missing: every back-quoted scope name in
/// a "permission denied" or "needs the … scope" message.
pub fn missing_in(message: &str) -> Vec<Scope> {
    if !(message.contains("permission denied") || message.contains("needs the")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, part) in message.split('`').enumerate() {
        // Odd parts are the quoted ones.
        if i % 2 == 1
            && let Ok(s) = parse_scope("scope", part)
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

/// How the local actor gets `missing`, given what it holds: the whole
/// `PROMPTSALES_SCOPES` value to set, since setting it replaces the
/// default (every read and write scope).
pub fn grant_hint(missing: &[Scope], held: &BTreeSet<String>) -> String {
    let mut all: BTreeSet<&str> = held.iter().map(String::as_str).collect();
    all.extend(missing.iter().map(|s| s.as_str()));
    let names = missing
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    format!(
        "to grant {names}, run as someone who may: PROMPTSALES_SCOPES={} (or --scopes; it replaces \
         the default of every :read and :write scope, so list all you need), with \
         PROMPTSALES_ACTOR naming that person; over HTTP, the caller's token must carry it",
        all.into_iter().collect::<Vec<_>>().join(",")
    )
}

/// The sentence shown for an error: itself, plus how to grant the scope
/// it says is missing (when it says one is).
pub fn explain(message: &str, held: &BTreeSet<String>) -> String {
    let missing = missing_in(message);
    if missing.is_empty() {
        message.to_owned()
    } else {
        format!("{message}\n  {}", grant_hint(&missing, held))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn current_and_legacy_names_read_as_scopes() {
        assert_eq!(
            parse_scope("gate.scope", "ads:approve").unwrap(),
            Scope::AdsApprove
        );
        assert_eq!(
            parse_scope("gate.scope", " Pipelines:Approve ").unwrap(),
            Scope::OrchestratorApprove
        );
        let e = parse_scope("gate.scope", "ads:everything")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gate.scope") && e.contains("orchestrator:approve"),
            "{e}"
        );
    }

    #[test]
    fn refusals_name_the_scope_and_how_to_grant_it() {
        let held: BTreeSet<String> = ["ads:read".to_owned(), "ads:write".to_owned()].into();
        let m = "`ads.launch_campaign` failed: permission denied: this needs the `ads:launch` scope; local holds: ads:read, ads:write";
        assert_eq!(missing_in(m), [Scope::AdsLaunch]);
        let e = explain(m, &held);
        assert!(
            e.contains("PROMPTSALES_SCOPES=ads:launch,ads:read,ads:write"),
            "{e}"
        );
        // Other errors are left alone, tool names in quotes included.
        assert_eq!(
            explain("`crm.nope` failed: not found", &held),
            "`crm.nope` failed: not found"
        );
        assert!(missing_in("run `promptsales migrate` first").is_empty());
    }
}
