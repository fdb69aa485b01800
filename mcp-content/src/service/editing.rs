//! The `editing` toolset's use cases: revise, archive, usage rights.

use promptsales_shared::AppError;
use promptsales_shared::domain::{TenantId, required_text};

use super::{ContentService, field_values};
use crate::domain::channels::Placement;
use crate::domain::copy::{Fields, render, violations};
use crate::domain::{
    Action, Asset, AssetId, FieldValue, MAX_BODY_CHARS, MAX_TITLE_CHARS, UsageRights, transition,
};
use crate::store::Revision;

impl ContentService {
    /// Writes a new version of an asset. Generated copy is revised through
    /// its fields (or, for single-text formats, its body) and must fit its
    /// channel: nothing over a limit is stored.
    #[allow(clippy::too_many_arguments)]
    pub async fn revise_asset(
        &self,
        tenant: &TenantId,
        author: &str,
        id: &str,
        expected_version: Option<i32>,
        title: Option<String>,
        body: Option<String>,
        fields: Option<Vec<FieldValue>>,
        note: Option<String>,
    ) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        transition(current.status, Action::Revise)?;
        let version = expected_version.unwrap_or(current.version);
        if version != current.version {
            return Err(AppError::Conflict(format!(
                "asset {} is at version {}, not {version}: read it again and revise the current text",
                id.as_str(),
                current.version
            )));
        }
        let note = note
            .map(|n| n.trim().chars().take(1000).collect::<String>())
            .filter(|n| !n.is_empty());
        let rev = match current.placement {
            Some(p) => {
                let single = match p {
                    Placement::Sms => Some("text"),
                    Placement::X => Some("post"),
                    Placement::Tiktok => Some("caption"),
                    _ => None,
                };
                let fields: Fields = match (fields, body, single) {
                    (Some(f), _, _) => f.into_iter().map(|f| (f.name, f.text)).collect(),
                    (None, Some(b), Some(name)) => vec![(name.to_owned(), b)],
                    (None, _, _) => {
                        return Err(AppError::invalid(
                            "fields",
                            format!(
                                "the {p} fields ({}) of generated copy",
                                p.spec()
                                    .fields
                                    .iter()
                                    .map(|f| f.name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            "nothing",
                        ));
                    }
                };
                let fields: Fields = fields
                    .into_iter()
                    .map(|(n, t)| (n, t.trim().to_owned()))
                    .collect();
                let problems = violations(p, &fields);
                if !problems.is_empty() {
                    return Err(AppError::invalid(
                        "fields",
                        "copy within the channel's limits",
                        problems.join("; "),
                    ));
                }
                let (t, b) = render(p, &fields, current.language);
                Revision {
                    title: t,
                    body: b,
                    fields: Some(field_values(&fields)),
                    author: Some(author.to_owned()),
                    note,
                }
            }
            None => {
                let body =
                    body.ok_or_else(|| AppError::invalid("body", "the new text", "nothing"))?;
                let body = required_text("body", &body, MAX_BODY_CHARS)?;
                let title = match title {
                    Some(t) if !t.trim().is_empty() => {
                        Some(required_text("title", &t, MAX_TITLE_CHARS)?)
                    }
                    Some(_) => None,
                    None => current.title.clone(),
                };
                Revision {
                    title,
                    body,
                    fields: None,
                    author: Some(author.to_owned()),
                    note,
                }
            }
        };
        self.store.revise(tenant, &id, current.version, &rev).await
    }

    pub async fn archive(&self, tenant: &TenantId, id: &str) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let current = self.store.get_asset(tenant, &id).await?;
        let to = transition(current.status, Action::Archive)?;
        self.store
            .set_status(tenant, &id, current.version, current.status, to, None)
            .await
    }

    pub async fn set_rights(
        &self,
        tenant: &TenantId,
        id: &str,
        rights: Option<UsageRights>,
    ) -> Result<Asset, AppError> {
        let id = AssetId::parse(id)?;
        let rights = rights.map(UsageRights::normalized).transpose()?;
        self.store.set_rights(tenant, &id, rights.as_ref()).await
    }
}
