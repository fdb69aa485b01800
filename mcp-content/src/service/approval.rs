//! The `approval` toolset's use case: approve or reject the current version
//! — with the `content:approve` scope, and never by the asset's creator or
//! the author of that version (four eyes).

use chrono::{SubsecRound, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::scope::Scope;

use super::ContentService;
use crate::domain::{Action, Asset, AssetId, Decision, transition};

impl ContentService {
    /// Approves or rejects the current version, recording who, when and
    /// why. Checked here, whatever the entry point: the `content:approve`
    /// scope, and four eyes — the decision is refused to the asset's creator
    /// and to the author of its current version. The store applies it only
    /// if the asset is still at the version read, so a revision racing the
    /// decision (a new editor) makes it a conflict, never a self-approval.
    pub async fn decide(
        &self,
        who: &Principal,
        id: &str,
        action: Action,
        note: Option<String>,
    ) -> Result<Asset, AppError> {
        who.require(Scope::ContentApprove)?;
        let tenant = &who.tenant;
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        let to = transition(current.status, action)?;
        current.may_be_decided_by(&who.subject)?;
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
            by: who.subject.clone(),
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

#[cfg(test)]
mod tests {
    use promptsales_shared::domain::{Channel, ClientId, TenantId};

    use super::*;
    use crate::domain::{AssetFormat, AssetStatus, Language, NewAsset};
    use crate::store::ContentStore;

    fn person(name: &str, scopes: &[&str]) -> Principal {
        Principal::new(
            name,
            TenantId::parse("agency_a").unwrap(),
            scopes.iter().copied(),
        )
    }

    async fn exercise(svc: ContentService) {
        let ana = person("ana", &["content:read", "content:write", "content:approve"]);
        let maria = person(
            "maria",
            &["content:read", "content:write", "content:approve"],
        );
        let bob = person("bob", &["content:read", "content:write"]);
        let carla = person("carla", &["content:approve"]);
        let asset = svc
            .create_asset(
                &ana.tenant,
                &NewAsset {
                    client_id: ClientId::parse("cli_1").unwrap(),
                    campaign_id: None,
                    channel: Channel::Email,
                    format: AssetFormat::Email,
                    language: Language::En,
                    title: Some("Welcome".into()),
                    body: "Hello!".into(),
                    rights: None,
                    created_by: Some(ana.subject.clone()),
                    placement: None,
                    fields: None,
                },
            )
            .await
            .unwrap();
        let id = asset.id.as_str();
        assert_eq!(asset.created_by.as_deref(), Some("ana"));

        // The scope, whatever the entry point.
        let e = svc
            .decide(&bob, id, Action::Approve, None)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("content:approve") && e.to_string().contains("bob"),
            "{e}"
        );
        // The creator decides nothing about her own asset.
        for action in [Action::Approve, Action::Reject] {
            let e = svc
                .decide(&ana, id, action, Some("fine".into()))
                .await
                .unwrap_err();
            assert_eq!(e.kind(), "permission_denied");
            assert!(e.to_string().contains("ana created it"), "{e}");
        }
        // Edit, then approve: the last editor may not either.
        let revised = svc
            .revise_asset(
                &maria.tenant,
                &maria.subject,
                id,
                Some(1),
                None,
                Some("Hello again!".into()),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(revised.edited_by.as_deref(), Some("maria"));
        assert_eq!(revised.created_by.as_deref(), Some("ana"));
        let e = svc
            .decide(&maria, id, Action::Approve, None)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("maria wrote its current version"),
            "{e}"
        );
        let unchanged = svc.get_asset(&ana.tenant, id).await.unwrap();
        assert_eq!(unchanged, revised, "refused decisions change nothing");
        // A third person decides.
        let approved = svc
            .decide(&carla, id, Action::Approve, Some("legal ok".into()))
            .await
            .unwrap();
        assert_eq!(approved.status, AssetStatus::Approved);
        assert_eq!(approved.decision.map(|d| d.by).as_deref(), Some("carla"));
    }

    #[tokio::test]
    async fn four_eyes_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(ContentService::new(ContentStore::new(t.db.clone()))).await;
            t.cleanup().await;
        }
    }
}
