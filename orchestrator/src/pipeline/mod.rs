//! Pipelines: recipes (TOML), their durable runs and the approval gates people decide.

pub mod recipe;
pub mod review;
pub mod runner;
pub mod store;
pub mod template;
pub mod toml;

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::scope::Scope;

use store::{Approval, ApprovalStatus, Run, RunStore};

/// A recipe by built-in name or from a file path.
pub fn load_recipe(name_or_path: &str) -> Result<String, AppError> {
    if let Some((_, src)) = recipe::BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        return Ok((*src).to_owned());
    }
    let path = std::path::Path::new(name_or_path);
    if path.extension().is_some_and(|e| e == "toml") || path.exists() {
        return std::fs::read_to_string(path).map_err(|e| {
            AppError::invalid(
                "recipe",
                "a readable .toml file",
                format!("{name_or_path}: {e}"),
            )
        });
    }
    Err(AppError::invalid(
        "recipe",
        format!(
            "a built-in recipe ({}) or a path to a .toml recipe",
            recipe::BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        name_or_path,
    ))
}

/// Whether `who` may decide approval `a` of `run`: it needs
/// `orchestrator:approve` and the gate's own scope (e.g. `ads:approve`),
/// and is not the person who started the run (four eyes). Checked before a
/// person is asked to confirm, and again when the decision is recorded.
pub fn check_decider(who: &Principal, a: &Approval, run: &Run) -> Result<(), AppError> {
    let mut missing: Vec<Scope> = Vec::new();
    for s in [Scope::OrchestratorApprove, a.required_scope] {
        if !who.has_scope(s.as_str()) && !missing.contains(&s) {
            missing.push(s);
        }
    }
    if !missing.is_empty() {
        let held = if who.scopes.is_empty() {
            "none".to_owned()
        } else {
            who.scopes.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        return Err(AppError::PermissionDenied(format!(
            "deciding approval {} needs the {} scope{}; {} holds: {held}",
            a.id,
            missing
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" and "),
            if missing.len() > 1 { "s" } else { "" },
            who.subject
        )));
    }
    if run.started_by == who.subject {
        return Err(AppError::PermissionDenied(format!(
            "{} started run {} and cannot approve its own gate; another approver must",
            who.subject, run.id
        )));
    }
    Ok(())
}

/// Approves or rejects a gate. Only a principal holding
/// `orchestrator:approve` and the gate's scope may decide, never the person
/// who started the run (four eyes), and a rejection needs a note saying why.
/// The scopes the decider held are recorded: the steps after the gate that
/// run as the approver may use only those.
pub async fn decide(
    store: &RunStore,
    who: &Principal,
    approval_id: &str,
    approve: bool,
    note: Option<&str>,
) -> Result<Approval, AppError> {
    decide_waiving(store, who, approval_id, approve, note, None).await
}

/// [`decide`], with the approver's explicit waiver of missing creatives:
/// the reason a campaign may be approved and launched on channels that
/// have no approved creative. Only an approval carries one.
pub async fn decide_waiving(
    store: &RunStore,
    who: &Principal,
    approval_id: &str,
    approve: bool,
    note: Option<&str>,
    waiver: Option<&str>,
) -> Result<Approval, AppError> {
    let a = store.get_approval(&who.tenant, approval_id).await?;
    let run = store.get_run(&who.tenant, &a.run_id).await?;
    check_decider(who, &a, &run)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "the reason for the rejection",
            "",
        ));
    }
    let waiver = match waiver.map(str::trim) {
        None => None,
        Some("") => {
            return Err(AppError::invalid(
                "waiver",
                "why the campaign may run without approved creatives",
                "",
            ));
        }
        Some(_) if !approve => {
            return Err(AppError::invalid(
                "waiver",
                "a waiver only with an approval",
                "a rejection",
            ));
        }
        Some(w) => Some(w),
    };
    let status = if approve {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Rejected
    };
    let scopes: Vec<String> = who.scopes.iter().cloned().collect();
    store
        .decide(
            &who.tenant,
            approval_id,
            status,
            &who.subject,
            &scopes,
            note,
            waiver,
        )
        .await
}
