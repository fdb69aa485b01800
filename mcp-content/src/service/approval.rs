//! The `approval` toolset's use case: approve or reject the current version.

use chrono::{SubsecRound, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;

use super::ContentService;
use crate::domain::{Action, Asset, AssetId, Decision, transition};

impl ContentService {
    /// Approves or rejects the current version (the caller has checked the
    /// scope), recording who, when and why.
    pub async fn decide(
        &self,
        tenant: &TenantId,
        by: &str,
        id: &str,
        action: Action,
        note: Option<String>,
    ) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        let to = transition(current.status, action)?;
        let note = note
            .map(|n| n.trim().chars().take(1000).collect::<String>())
            .filter(|n| !n.is_empty());
        if action == Action::Reject && note.is_none() {
            return Err(AppError::invalid(
                "note",
                "why the asset is rejected, so it can be fixed",
                "",
            ));
        }
        let decision = Decision {
            status: to,
            by: by.to_owned(),
            at: Utc::now().trunc_subsecs(6),
            note,
        };
        self.store
            .set_status(
                tenant,
                &id,
                current.version,
                current.status,
                to,
                Some(&decision),
            )
            .await
    }
}
