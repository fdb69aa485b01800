//! Content assets, their versions and their lifecycle states.

use chrono::{DateTime, Utc};
use promptsales_shared::domain::{Channel, ClientId, Vocabulary, required_text, validate_id};
use promptsales_shared::{AppError, string_id, vocabulary};
use serde::{Deserialize, Serialize};

use super::{Placement, UsageRights};

/// Longest asset body we accept, in characters.
pub const MAX_BODY_CHARS: usize = 50_000;
/// Longest asset title we accept, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest author name we accept, in characters.
const MAX_AUTHOR_CHARS: usize = 200;

string_id! {
    /// An asset id (`ast_…` when generated; imported ids are kept).
    pub struct AssetId("asset_id", "ast_");
}

vocabulary! {
    /// Where an asset is in its approval lifecycle.
    pub enum AssetStatus("status") {
        Draft => "draft",
        Approved => "approved",
        Rejected => "rejected",
        Archived => "archived",
    }
}

vocabulary! {
    /// The language an asset is written in.
    pub enum Language("language") {
        En => "en",
        Es => "es",
    }
}

vocabulary! {
    /// What kind of piece an asset is.
    pub enum AssetFormat("format") {
        AdCopy => "ad_copy",
        SocialPost => "social_post",
        Email => "email",
        Sms => "sms",
        WhatsappTemplate => "whatsapp_template",
        LandingSection => "landing_section",
        Image => "image",
        Video => "video",
    }
}

/// What a caller does to an asset's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
    Archive,
    Revise,
}

/// The status an asset moves to when `action` is taken in `from`, or why it
/// may not: approval and rejection are decisions on a draft (an approved
/// version may be rejected, a rejected one approved after all); a revision
/// is a new draft; archived assets are final.
pub fn transition(from: AssetStatus, action: Action) -> Result<AssetStatus, AppError> {
    use AssetStatus::*;
    let to = match action {
        Action::Approve => Approved,
        Action::Reject => Rejected,
        Action::Archive => Archived,
        Action::Revise => Draft,
    };
    match (from, action) {
        (Archived, _) => Err(AppError::Conflict(
            "the asset is archived: archived assets cannot change".into(),
        )),
        (Approved, Action::Approve) | (Rejected, Action::Reject) => Err(AppError::Conflict(
            format!("the asset's current version is already {}", from.as_str()),
        )),
        _ => Ok(to),
    }
}

/// One named field of structured copy (e.g. a Google Ads headline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldValue {
    pub name: String,
    pub text: String,
}

/// An approval decision: who approved or rejected a version, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decision {
    /// approved or rejected.
    pub status: AssetStatus,
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// An asset as stored: its current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Asset {
    pub id: AssetId,
    pub client_id: ClientId,
    /// The campaign the asset was made for, if any.
    pub campaign_id: Option<String>,
    pub channel: Channel,
    pub format: AssetFormat,
    pub language: Language,
    pub title: Option<String>,
    /// The text, or for images and videos a description or URL.
    pub body: String,
    /// Current version, from 1.
    pub version: i32,
    pub status: AssetStatus,
    /// Usage rights; absent for the agency's own, unrestricted work.
    pub rights: Option<UsageRights>,
    /// For generated copy: the placement it was written for (e.g. `x`).
    #[serde(default)]
    pub placement: Option<Placement>,
    /// For generated copy: its fields (headlines, subject…), checked
    /// against the channel table on every revision.
    #[serde(default)]
    pub fields: Option<Vec<FieldValue>>,
    /// The last approval decision on the current version.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// Who created the asset (generation records its caller); absent for
    /// imported assets of unknown origin.
    #[serde(default)]
    pub created_by: Option<String>,
    /// Who wrote the current version: the creator for version 1, the
    /// author of the last revision after that.
    #[serde(default)]
    pub edited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One stored version of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetVersion {
    pub asset_id: AssetId,
    pub version: i32,
    pub title: Option<String>,
    pub body: String,
    pub status: AssetStatus,
    pub created_at: DateTime<Utc>,
    /// Who wrote this version, when known.
    pub created_by: Option<String>,
    #[serde(default)]
    pub fields: Option<Vec<FieldValue>>,
    /// Why this version was written (revisions).
    #[serde(default)]
    pub note: Option<String>,
    /// The approval decision on this version, if any.
    #[serde(default)]
    pub decision: Option<Decision>,
}

/// What a caller supplies to create an asset; everything else (id, version
/// 1, status draft, timestamps) is decided on creation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAsset {
    pub client_id: ClientId,
    pub campaign_id: Option<String>,
    pub channel: Channel,
    pub format: AssetFormat,
    pub language: Language,
    pub title: Option<String>,
    pub body: String,
    pub rights: Option<UsageRights>,
    /// Author of the first version.
    pub created_by: Option<String>,
    pub placement: Option<Placement>,
    pub fields: Option<Vec<FieldValue>>,
}

/// A present optional text must be non-empty after trimming; blank means absent.
fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => required_text(field, v, max).map(Some),
    }
}

impl NewAsset {
    /// Validates and normalises the input into version 1 of a draft asset.
    pub fn into_asset(self, id: AssetId, now: DateTime<Utc>) -> Result<Asset, AppError> {
        let author = self.author()?;
        let asset = Asset {
            id,
            client_id: self.client_id,
            campaign_id: self
                .campaign_id
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| validate_id("campaign_id", c))
                .transpose()?,
            channel: self.channel,
            format: self.format,
            language: self.language,
            title: optional_text("title", self.title.as_deref(), MAX_TITLE_CHARS)?,
            body: required_text("body", &self.body, MAX_BODY_CHARS)?,
            version: 1,
            status: AssetStatus::Draft,
            rights: self.rights.map(UsageRights::normalized).transpose()?,
            placement: self.placement,
            fields: self.fields,
            decision: None,
            edited_by: author.clone(),
            created_by: author,
            created_at: now,
            updated_at: now,
        };
        asset.validate()?;
        Ok(asset)
    }

    /// The author, trimmed and bounded; blank means unknown.
    pub fn author(&self) -> Result<Option<String>, AppError> {
        optional_text("created_by", self.created_by.as_deref(), MAX_AUTHOR_CHARS)
    }
}

impl Asset {
    /// Rules every stored asset obeys.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.version < 1 {
            return Err(AppError::invalid(
                "version",
                "a version number from 1",
                self.version.to_string(),
            ));
        }
        if let Some(c) = &self.campaign_id {
            validate_id("campaign_id", c)?;
        }
        required_text("body", &self.body, MAX_BODY_CHARS)?;
        if let Some(t) = &self.title {
            required_text("title", t, MAX_TITLE_CHARS)?;
        }
        if self.updated_at < self.created_at {
            return Err(AppError::invalid(
                "updated_at",
                "a time on or after created_at",
                promptsales_shared::time::format_ts(self.updated_at),
            ));
        }
        Ok(())
    }

    /// Four eyes: a decision on the current version is taken by someone
    /// other than the asset's creator and the author of that version.
    /// `Err` is the sentence that tells the caller why not and what to do.
    pub fn may_be_decided_by(&self, who: &str) -> Result<(), AppError> {
        let who = who.trim();
        let same = |a: &Option<String>| a.as_deref().map(str::trim) == Some(who);
        let role = if same(&self.created_by) {
            "created it"
        } else if same(&self.edited_by) {
            "wrote its current version"
        } else {
            return Ok(());
        };
        Err(AppError::PermissionDenied(format!(
            "{who} {role} (asset {} version {}): approving or rejecting it needs someone other \
             than its creator and its last editor (four eyes); ask another approver",
            self.id.as_str(),
            self.version
        )))
    }

    /// Whether the asset's usage rights allow `channel` at `now` (always,
    /// when it has no recorded rights); the reason when they do not.
    pub fn usable_on(&self, channel: Channel, now: DateTime<Utc>) -> Result<(), String> {
        match &self.rights {
            None => Ok(()),
            Some(r) => r.usable_on(channel, now),
        }
    }

    /// Every channel the asset's usage rights allow at `now`, in canonical
    /// order.
    pub fn usable_channels(&self, now: DateTime<Utc>) -> Vec<Channel> {
        Channel::ALL
            .iter()
            .copied()
            .filter(|c| self.usable_on(*c, now).is_ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_shared::time::parse_ts;

    fn ts(s: &str) -> DateTime<Utc> {
        parse_ts("at", s).unwrap()
    }

    fn new_asset() -> NewAsset {
        NewAsset {
            client_id: ClientId::parse("cli_1").unwrap(),
            campaign_id: Some(" cmp_1 ".into()),
            channel: Channel::Instagram,
            format: AssetFormat::SocialPost,
            language: Language::Es,
            title: Some("  ".into()),
            body: "  ¡Nuevo sabor!  ".into(),
            rights: None,
            created_by: Some("ana".into()),
            placement: None,
            fields: None,
        }
    }

    #[test]
    fn new_assets_are_normalised_drafts_at_version_one() {
        let now = ts("2026-03-01T10:00:00Z");
        let a = new_asset()
            .into_asset(AssetId::parse("ast_1").unwrap(), now)
            .unwrap();
        assert_eq!(a.version, 1);
        assert_eq!(a.status, AssetStatus::Draft);
        assert_eq!(a.campaign_id.as_deref(), Some("cmp_1"));
        assert_eq!(a.title, None);
        assert_eq!(a.body, "¡Nuevo sabor!");
        assert_eq!(a.created_at, now);
        assert_eq!(a.updated_at, now);
        assert_eq!(a.created_by.as_deref(), Some("ana"));
        assert_eq!(a.edited_by.as_deref(), Some("ana"));
    }

    #[test]
    fn four_eyes_refuses_the_creator_and_the_last_editor() {
        let mut a = new_asset()
            .into_asset(AssetId::parse("ast_1").unwrap(), ts("2026-03-01T10:00:00Z"))
            .unwrap();
        let e = a.may_be_decided_by("ana").unwrap_err();
        assert_eq!(e.kind(), "permission_denied");
        let text = e.to_string();
        assert!(
            text.contains("ana created it") && text.contains("four eyes"),
            "{text}"
        );
        assert!(a.may_be_decided_by("maria").is_ok());
        // maria revises: now neither ana (creator) nor maria (editor) decides.
        a.edited_by = Some("maria".into());
        a.version = 2;
        let text = a.may_be_decided_by("maria").unwrap_err().to_string();
        assert!(
            text.contains("maria wrote its current version") && text.contains("version 2"),
            "{text}"
        );
        assert!(a.may_be_decided_by(" ana ").is_err());
        assert!(a.may_be_decided_by("bob").is_ok());
        // Unknown authors (imports) do not block anyone.
        a.created_by = None;
        a.edited_by = None;
        assert!(a.may_be_decided_by("ana").is_ok());
    }

    #[test]
    fn bad_inputs_are_rejected_by_field() {
        let id = AssetId::parse("ast_1").unwrap();
        let now = ts("2026-03-01T10:00:00Z");
        let mut n = new_asset();
        n.body = " ".into();
        let e = n.into_asset(id.clone(), now).unwrap_err().to_string();
        assert!(e.contains("`body`"), "{e}");

        let mut n = new_asset();
        n.campaign_id = Some("cmp 1; drop".into());
        let e = n.into_asset(id.clone(), now).unwrap_err().to_string();
        assert!(e.contains("`campaign_id`"), "{e}");

        let mut n = new_asset();
        n.title = Some("x".repeat(MAX_TITLE_CHARS + 1));
        let e = n.into_asset(id, now).unwrap_err().to_string();
        assert!(e.contains("`title`"), "{e}");
    }

    #[test]
    fn lifecycle_transitions() {
        use AssetStatus::*;
        assert_eq!(transition(Draft, Action::Approve).unwrap(), Approved);
        assert_eq!(transition(Draft, Action::Reject).unwrap(), Rejected);
        assert_eq!(transition(Approved, Action::Reject).unwrap(), Rejected);
        assert_eq!(transition(Rejected, Action::Approve).unwrap(), Approved);
        assert_eq!(transition(Approved, Action::Revise).unwrap(), Draft);
        assert_eq!(transition(Rejected, Action::Archive).unwrap(), Archived);
        assert_eq!(
            transition(Approved, Action::Approve).unwrap_err().kind(),
            "conflict"
        );
        for a in [
            Action::Approve,
            Action::Reject,
            Action::Archive,
            Action::Revise,
        ] {
            assert_eq!(transition(Archived, a).unwrap_err().kind(), "conflict");
        }
    }

    #[test]
    fn version_must_be_positive() {
        let mut a = new_asset()
            .into_asset(AssetId::parse("ast_1").unwrap(), ts("2026-03-01T10:00:00Z"))
            .unwrap();
        a.version = 0;
        assert!(a.validate().unwrap_err().to_string().contains("`version`"));
    }

    #[test]
    fn usable_channels_follow_the_rights() {
        let now = ts("2026-03-01T10:00:00Z");
        let mut a = new_asset()
            .into_asset(AssetId::parse("ast_1").unwrap(), now)
            .unwrap();
        assert_eq!(a.usable_channels(now).len(), Channel::ALL.len());

        a.rights = Some(UsageRights {
            licence: "L".into(),
            owner: "O".into(),
            expires_at: Some(ts("2026-04-01T00:00:00Z")),
            allowed_channels: vec![Channel::Instagram, Channel::Meta],
        });
        assert_eq!(
            a.usable_channels(now),
            vec![Channel::Meta, Channel::Instagram]
        );
        assert!(a.usable_channels(ts("2026-04-01T00:00:00Z")).is_empty());
        assert!(a.usable_on(Channel::Tiktok, now).is_err());
    }

    #[test]
    fn vocabularies_parse_from_wire_names() {
        assert_eq!(
            AssetFormat::parse("whatsapp_template").unwrap(),
            AssetFormat::WhatsappTemplate
        );
        assert_eq!(Language::parse("ES").unwrap(), Language::Es);
        let e = AssetStatus::parse("published").unwrap_err().to_string();
        assert!(e.contains("`status`") && e.contains("archived"), "{e}");
        assert_eq!(AssetId::PREFIX, "ast_");
    }
}
