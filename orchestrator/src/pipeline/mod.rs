//! Pipelines: recipes (TOML), their durable runs and the approval gates people decide.

pub mod recipe;
pub mod runner;
pub mod store;
pub mod template;
pub mod toml;

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;

use store::{Approval, ApprovalStatus, RunStore};

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

/// Approves or rejects a gate. Only a principal holding the gate's scope
/// may decide, never the person who started the run (four eyes), and a
/// rejection needs a note saying why.
pub async fn decide(
    store: &RunStore,
    who: &Principal,
    approval_id: &str,
    approve: bool,
    note: Option<&str>,
) -> Result<Approval, AppError> {
    let a = store.get_approval(&who.tenant, approval_id).await?;
    who.require_scope(&a.required_scope)?;
    let run = store.get_run(&who.tenant, &a.run_id).await?;
    if run.started_by == who.subject {
        return Err(AppError::PermissionDenied(format!(
            "{} started run {} and cannot approve its own gate; another approver must",
            who.subject, run.id
        )));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "the reason for the rejection",
            "",
        ));
    }
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
        )
        .await
}
