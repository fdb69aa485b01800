//! The read paths other contexts use: whether an asset may run on a
//! channel, and the copy a person reads before approving a campaign.
//!
//! `mcp-ads` calls [`AssetReader::usability`] before attaching an asset to a
//! campaign (and again at approval and launch): the answer says, one reason
//! per problem, why it may not. [`AssetReader::summary`] is the asset's copy
//! for approval views: title, an excerpt of the body and the named fields,
//! never who wrote or decided it.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, TenantId};
use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::{Asset, AssetFormat, AssetId, AssetStatus, FieldValue, Language, fit_reasons};

/// Longest body excerpt in an [`AssetSummary`], in characters.
pub const EXCERPT_CHARS: usize = 280;

/// Whether one asset may be used on one channel over a flight.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AssetUsability {
    pub asset_id: String,
    /// The asset's current version.
    pub version: i64,
    /// Its approval status: draft, approved, rejected or archived.
    pub status: String,
    pub channel: Channel,
    /// True when `reasons` is empty.
    pub usable: bool,
    /// Why it may not be used, one sentence per problem.
    pub reasons: Vec<String>,
}

/// The copy of an asset at its current version, as an approver reads it:
/// no personal data (authors and deciders are left out).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AssetSummary {
    pub asset_id: String,
    /// The agency client it was made for (a campaign of another client
    /// may not use it).
    pub client_id: String,
    pub version: i64,
    /// draft, approved, rejected or archived.
    pub status: AssetStatus,
    pub channel: Channel,
    pub format: AssetFormat,
    pub language: Language,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The body's first characters (at most 280, cut at a word, with `…`
    /// when cut).
    pub excerpt: String,
    /// Named fields of structured copy (headlines, subject…), each cut like
    /// the excerpt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldValue>,
}

/// The full copy of an asset at its current version, as a platform's ad
/// is built from it (launches): nothing cut, no personal data.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AssetCopy {
    pub asset_id: String,
    /// The agency client it was made for.
    pub client_id: String,
    pub version: i64,
    pub status: AssetStatus,
    pub format: AssetFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The whole body (for images and videos, their URL or description).
    pub body: String,
    /// Every named field, whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldValue>,
}

/// `text` cut to at most `max` characters, at a word boundary when one is
/// near, with `…` when anything was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return text.to_owned();
    };
    let head = &text[..cut];
    // A word boundary in the last fifth keeps words whole without losing much.
    let floor = head.len() * 4 / 5;
    let end = head
        .rfind(char::is_whitespace)
        .filter(|i| *i >= floor)
        .unwrap_or(head.len());
    format!("{}…", head[..end].trim_end())
}

/// Reads assets of the content database for other contexts.
#[derive(Clone, Debug)]
pub struct AssetReader {
    db: Db,
}

impl AssetReader {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// One asset at its current version; NotFound when the tenant has none
    /// with this id.
    pub async fn get_asset(&self, tenant: &TenantId, id: &AssetId) -> Result<Asset, AppError> {
        crate::rows::get_asset(&self.db, tenant, id).await
    }

    /// The asset's copy for an approval view; NotFound for an unknown asset.
    pub async fn summary(
        &self,
        tenant: &TenantId,
        asset_id: &str,
    ) -> Result<AssetSummary, AppError> {
        let id = AssetId::parse(asset_id)?;
        let a = self.get_asset(tenant, &id).await?;
        Ok(AssetSummary {
            asset_id: a.id.as_str().to_owned(),
            client_id: a.client_id.as_str().to_owned(),
            version: i64::from(a.version),
            status: a.status,
            channel: a.channel,
            format: a.format,
            language: a.language,
            title: a.title.clone(),
            excerpt: excerpt(&a.body, EXCERPT_CHARS),
            fields: a
                .fields
                .unwrap_or_default()
                .into_iter()
                .map(|f| FieldValue {
                    name: f.name,
                    text: excerpt(&f.text, EXCERPT_CHARS),
                })
                .collect(),
        })
    }

    /// The asset's whole copy for a launch (the summary cuts it); NotFound
    /// for an unknown asset.
    pub async fn copy(&self, tenant: &TenantId, asset_id: &str) -> Result<AssetCopy, AppError> {
        let id = AssetId::parse(asset_id)?;
        let a = self.get_asset(tenant, &id).await?;
        Ok(AssetCopy {
            asset_id: a.id.as_str().to_owned(),
            client_id: a.client_id.as_str().to_owned(),
            version: i64::from(a.version),
            status: a.status,
            format: a.format,
            title: a.title,
            body: a.body,
            fields: a.fields.unwrap_or_default(),
        })
    }

    /// NotFound for an unknown asset; usable only if approved, rights (when
    /// present) allow `channel` and do not expire before the end of `to`,
    /// and the asset fits `channel` (reasons say why not, one per problem).
    pub async fn usability(
        &self,
        tenant: &TenantId,
        asset_id: &str,
        channel: Channel,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AssetUsability, AppError> {
        if to < from {
            return Err(AppError::invalid(
                "to",
                format!("a date on or after from ({from})"),
                to.to_string(),
            ));
        }
        let id = AssetId::parse(asset_id)?;
        let asset = self.get_asset(tenant, &id).await?;
        let mut reasons = Vec::new();
        if asset.status != AssetStatus::Approved {
            reasons.push(format!(
                "asset {} is {}, not approved",
                asset.id.as_str(),
                asset.status.as_str()
            ));
        }
        // The rights must hold through the last moment of the flight's last day.
        let last_moment =
            to.and_time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or_default());
        if let Err(why) = asset.usable_on(channel, Utc.from_utc_datetime(&last_moment)) {
            reasons.push(why);
        }
        reasons.extend(fit_reasons(&asset, channel));
        Ok(AssetUsability {
            asset_id: asset.id.as_str().to_owned(),
            version: i64::from(asset.version),
            status: asset.status.as_str().to_owned(),
            channel,
            usable: reasons.is_empty(),
            reasons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promptsales_shared::db::Db;

    struct Row<'a> {
        id: &'a str,
        channel: &'a str,
        format: &'a str,
        status: &'a str,
        /// (licence, allowed channels JSON, expiry)
        rights: Option<(&'a str, &'a str, Option<&'a str>)>,
        placement: Option<&'a str>,
        fields: Option<&'a str>,
    }

    const ROW: Row<'static> = Row {
        id: "ast_1",
        channel: "email",
        format: "email",
        status: "approved",
        rights: None,
        placement: None,
        fields: None,
    };

    async fn insert(db: &Db, tenant: &str, r: Row<'_>) {
        let decided = (r.status == "approved").then_some("maria");
        sqlx::query(
            "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, \
             language, title, body, version, status, licence, rights_owner, rights_expires_at, \
             allowed_channels, created_by, created_at, updated_at, placement, fields, \
             decided_by, decided_at, decision_note) \
             VALUES ($1, $2, 'cli_1', NULL, $3, $4, 'es', 'Hola', 'Cuerpo', 2, $5, $6, $7, $8, \
             $9, 'ana', '2026-03-01T10:00:00.000000Z', '2026-03-02T10:00:00.000000Z', $10, $11, \
             $12, $13, 'ok')",
        )
        .bind(tenant)
        .bind(r.id)
        .bind(r.channel)
        .bind(r.format)
        .bind(r.status)
        .bind(r.rights.map(|x| x.0))
        .bind(r.rights.map(|_| "Acme Photo"))
        .bind(r.rights.and_then(|x| x.2))
        .bind(r.rights.map(|x| x.1))
        .bind(r.placement)
        .bind(r.fields)
        .bind(decided)
        .bind(decided.map(|_| "2026-03-02T10:00:00.000000Z"))
        .execute(db.pool())
        .await
        .unwrap();
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    async fn exercise(db: Db) {
        let t = TenantId::parse("agency_a").unwrap();
        let other = TenantId::parse("agency_b").unwrap();
        insert(&db, "agency_a", ROW).await;
        insert(
            &db,
            "agency_a",
            Row {
                id: "ast_draft",
                status: "draft",
                ..ROW
            },
        )
        .await;
        insert(
            &db,
            "agency_a",
            Row {
                id: "ast_rights",
                channel: "instagram",
                format: "image",
                rights: Some((
                    "stock-42",
                    r#"["instagram","meta"]"#,
                    Some("2026-06-30T00:00:00.000000Z"),
                )),
                ..ROW
            },
        )
        .await;
        insert(
            &db,
            "agency_a",
            Row {
                id: "ast_sms",
                channel: "sms",
                format: "sms",
                placement: Some("sms"),
                fields: Some(&format!(
                    r#"[{{"name":"text","text":"{}"}}]"#,
                    "x".repeat(200)
                )),
                ..ROW
            },
        )
        .await;
        let reader = AssetReader::new(db.clone());
        let (from, to) = (day("2026-06-01"), day("2026-06-29"));

        // The row mapping reads back every column.
        let a = reader
            .get_asset(&t, &AssetId::parse("ast_rights").unwrap())
            .await
            .unwrap();
        assert_eq!((a.version, a.status), (2, AssetStatus::Approved));
        let rights = a.rights.unwrap();
        assert_eq!(rights.allowed_channels, [Channel::Instagram, Channel::Meta]);
        assert_eq!(a.decision.map(|d| d.by), Some("maria".into()));
        assert_eq!(a.created_by.as_deref(), Some("ana"));
        assert_eq!(a.edited_by, None, "no version row: the editor is unknown");

        let ok = reader
            .usability(&t, "ast_1", Channel::Email, from, to)
            .await
            .unwrap();
        assert!(ok.usable && ok.reasons.is_empty(), "{ok:?}");
        assert_eq!((ok.version, ok.status.as_str()), (2, "approved"));

        let draft = reader
            .usability(&t, "ast_draft", Channel::Email, from, to)
            .await
            .unwrap();
        assert!(!draft.usable);
        assert_eq!(draft.reasons, ["asset ast_draft is draft, not approved"]);

        // Rights hold through the last day of the flight, on allowed channels.
        let fine = reader
            .usability(&t, "ast_rights", Channel::Meta, from, to)
            .await
            .unwrap();
        assert!(fine.usable, "{fine:?}");
        let late = reader
            .usability(
                &t,
                "ast_rights",
                Channel::Instagram,
                from,
                day("2026-06-30"),
            )
            .await
            .unwrap();
        assert!(
            late.reasons.iter().any(|r| r.contains("expired")),
            "{late:?}"
        );
        let elsewhere = reader
            .usability(&t, "ast_rights", Channel::Sms, from, to)
            .await
            .unwrap();
        assert_eq!(elsewhere.reasons.len(), 2, "{elsewhere:?}");
        assert!(elsewhere.reasons[0].contains("allow only instagram, meta"));
        assert!(elsewhere.reasons[1].contains("SMS carries text only"));

        // Copy fits only its own channel and within its limits.
        let wrong = reader
            .usability(&t, "ast_1", Channel::Tiktok, from, to)
            .await
            .unwrap();
        assert!(
            wrong.reasons[0].contains("does not fit tiktok"),
            "{wrong:?}"
        );
        let long = reader
            .usability(&t, "ast_sms", Channel::Sms, from, to)
            .await
            .unwrap();
        assert!(long.reasons[0].contains("limit is 160"), "{long:?}");

        let e = reader
            .usability(&t, "ast_1", Channel::Email, to, from)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`to`"), "{e}");
        // The copy an approver reads: title, excerpt, fields; nobody's name.
        let s = reader.summary(&t, "ast_sms").await.unwrap();
        assert_eq!((s.version, s.status), (2, AssetStatus::Approved));
        assert_eq!(s.title.as_deref(), Some("Hola"));
        assert_eq!(s.client_id, "cli_1");
        assert_eq!(s.excerpt, "Cuerpo");
        assert_eq!(s.fields.len(), 1);
        assert_eq!(
            (s.fields[0].name.as_str(), s.fields[0].text.len()),
            ("text", 200)
        );
        let shown = serde_json::to_string(&s).unwrap();
        assert!(
            !shown.contains("ana") && !shown.contains("maria"),
            "{shown}"
        );
        assert_eq!(
            reader.summary(&other, "ast_1").await.unwrap_err().kind(),
            "not_found"
        );

        let e = reader
            .usability(&other, "ast_1", Channel::Email, from, to)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "not_found");
        let e = reader
            .usability(&t, "bad id", Channel::Email, from, to)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`asset_id`"), "{e}");
    }

    #[tokio::test]
    async fn usability_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(t.db.clone()).await;
            t.cleanup().await;
        }
    }

    #[test]
    fn excerpts_cut_at_a_word_and_say_so() {
        assert_eq!(excerpt("  corto  ", 280), "corto");
        let long = "palabra ".repeat(60);
        let e = excerpt(&long, 280);
        assert!(e.ends_with("palabra…") && e.chars().count() <= 281, "{e}");
        let word = "x".repeat(300);
        assert_eq!(excerpt(&word, 10), format!("{}…", "x".repeat(10)));
        assert_eq!(excerpt("añoñoñoñoñ", 3), "año…");
    }

    #[test]
    fn the_reader_needs_a_schema_this_build_ships() {
        assert!(crate::SCHEMA.min_version <= crate::MIGRATIONS.latest());
        assert_eq!(crate::MIGRATIONS.context, "content");
    }
}
