//! The asset row mapping: the one reading of `content_assets` rows, shared
//! by [`crate::AssetReader`] and the content server's store so the two
//! cannot drift apart.

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Channel, ClientId, TenantId};
use promptsales_shared::time::parse_ts;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::{
    Asset, AssetFormat, AssetId, AssetStatus, Decision, FieldValue, Language, Placement,
    UsageRights,
};

/// `SELECT <every asset column> FROM content_assets <rest>`, as one static
/// string (sqlx takes only `&'static str` SQL).
#[macro_export]
macro_rules! select_assets {
    ($rest:literal) => {
        concat!(
            "SELECT id, client_id, campaign_id, channel, format, language, title, body, \
             version, status, licence, rights_owner, rights_expires_at, allowed_channels, \
             placement, fields, decided_by, decided_at, decision_note, created_by, \
             (SELECT v.created_by FROM content_asset_versions v \
               WHERE v.tenant_id = content_assets.tenant_id AND v.asset_id = content_assets.id \
                 AND v.version = content_assets.version) AS edited_by, \
             created_at, updated_at FROM content_assets ",
            $rest
        )
    };
}

/// A value our own table holds that does not parse is a fault of the
/// database, not of the caller: internal, whatever the parser said.
fn stored(e: AppError) -> AppError {
    match e {
        AppError::Internal(_) => e,
        other => AppError::Internal(format!("stored value: {other}")),
    }
}

fn rights_from_row(r: &AnyRow) -> Result<Option<UsageRights>, AppError> {
    let Some(licence) = r.try_get::<Option<String>, _>("licence")? else {
        return Ok(None);
    };
    let channels: Vec<String> = serde_json::from_str(
        &r.try_get::<Option<String>, _>("allowed_channels")?
            .unwrap_or_else(|| "[]".to_owned()),
    )
    .map_err(|e| AppError::Internal(format!("asset allowed_channels: {e}")))?;
    Ok(Some(UsageRights {
        licence,
        owner: r
            .try_get::<Option<String>, _>("rights_owner")?
            .unwrap_or_default(),
        expires_at: r
            .try_get::<Option<String>, _>("rights_expires_at")?
            .map(|t| parse_ts("rights_expires_at", &t))
            .transpose()
            .map_err(stored)?,
        allowed_channels: channels
            .iter()
            .map(|c| Channel::parse(c))
            .collect::<Result<_, _>>()
            .map_err(stored)?,
    }))
}

/// The `fields` column: generated copy's structured fields, as JSON.
pub fn fields_from(raw: Option<String>) -> Result<Option<Vec<FieldValue>>, AppError> {
    raw.map(|f| {
        serde_json::from_str(&f).map_err(|e| AppError::Internal(format!("asset fields: {e}")))
    })
    .transpose()
}

/// The `decided_by`/`decided_at`/`decision_note` columns of an asset or a
/// version row in `status`.
pub fn decision_from_row(r: &AnyRow, status: AssetStatus) -> Result<Option<Decision>, AppError> {
    let Some(by) = r.try_get::<Option<String>, _>("decided_by")? else {
        return Ok(None);
    };
    let at = r
        .try_get::<Option<String>, _>("decided_at")?
        .map(|t| parse_ts("decided_at", &t))
        .transpose()
        .map_err(stored)?;
    Ok(at.map(|at| Decision {
        status,
        by,
        at,
        note: r
            .try_get::<Option<String>, _>("decision_note")
            .ok()
            .flatten(),
    }))
}

/// The status column of an asset or version row.
pub fn status_from_row(r: &AnyRow) -> Result<AssetStatus, AppError> {
    AssetStatus::parse(&r.try_get::<String, _>("status")?).map_err(stored)
}

/// Time columns are fixed-width RFC 3339 text.
pub fn ts_from_row(r: &AnyRow, column: &str) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    parse_ts(column, &r.try_get::<String, _>(column)?).map_err(stored)
}

/// An asset from a row of [`select_assets!`].
pub fn asset_from_row(r: &AnyRow) -> Result<Asset, AppError> {
    let status = status_from_row(r)?;
    Ok(Asset {
        id: AssetId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        campaign_id: r.try_get("campaign_id")?,
        channel: Channel::parse(&r.try_get::<String, _>("channel")?).map_err(stored)?,
        format: AssetFormat::parse(&r.try_get::<String, _>("format")?).map_err(stored)?,
        language: Language::parse(&r.try_get::<String, _>("language")?).map_err(stored)?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        version: r.try_get("version")?,
        status,
        rights: rights_from_row(r)?,
        placement: r
            .try_get::<Option<String>, _>("placement")?
            .map(|p| Placement::parse(&p))
            .transpose()
            .map_err(stored)?,
        fields: fields_from(r.try_get("fields")?)?,
        decision: match status {
            AssetStatus::Approved | AssetStatus::Rejected => decision_from_row(r, status)?,
            _ => None,
        },
        created_by: r.try_get("created_by")?,
        edited_by: r.try_get("edited_by")?,
        created_at: ts_from_row(r, "created_at")?,
        updated_at: ts_from_row(r, "updated_at")?,
    })
}

/// One asset of `tenant` at its current version; NotFound when there is none.
pub async fn get_asset(db: &Db, tenant: &TenantId, id: &AssetId) -> Result<Asset, AppError> {
    let row = sqlx::query(select_assets!("WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("asset", id.as_str()))?;
    asset_from_row(&row)
}
