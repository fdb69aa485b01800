//! Changes to an asset's life: revisions (optimistic on the version),
//! decisions and archiving (optimistic on the status), usage rights.

use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::format_ts;

use super::{ContentStore, fields_json, now_stored, rights_columns};
use crate::domain::{Asset, AssetId, AssetStatus, Decision, FieldValue, UsageRights};

/// A change to an asset's current version (revise) or status (decide).
#[derive(Debug, Clone)]
pub struct Revision {
    pub title: Option<String>,
    pub body: String,
    pub fields: Option<Vec<FieldValue>>,
    pub author: Option<String>,
    pub note: Option<String>,
}

impl ContentStore {
    /// Writes `rev` as the next version of asset `id`, which must still be
    /// at `expected_version` in a status `allowed` accepts; the new version
    /// is a draft. Returns the asset as stored.
    pub async fn revise(
        &self,
        tenant: &TenantId,
        id: &AssetId,
        expected_version: i32,
        rev: &Revision,
    ) -> Result<Asset, AppError> {
        let now = format_ts(now_stored());
        let fields = fields_json(rev.fields.as_ref());
        let mut tx = self.db.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE content_assets SET version = version + 1, title = $1, body = $2, fields = $3, \
             status = 'draft', decided_by = NULL, decided_at = NULL, decision_note = NULL, \
             updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND version = $7 AND status <> 'archived'",
        )
        .bind(rev.title.as_deref())
        .bind(rev.body.as_str())
        .bind(fields.as_deref())
        .bind(now.as_str())
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::Conflict(format!(
                "asset {} changed since version {expected_version} was read (or is archived); read it again and retry",
                id.as_str()
            )));
        }
        sqlx::query(
            "INSERT INTO content_asset_versions (tenant_id, asset_id, version, title, body, \
             status, created_by, created_at, updated_at, fields, note) \
             VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $7, $8, $9)",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(expected_version + 1)
        .bind(rev.title.as_deref())
        .bind(rev.body.as_str())
        .bind(rev.author.as_deref())
        .bind(now.as_str())
        .bind(fields.as_deref())
        .bind(rev.note.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_asset(tenant, id).await
    }

    /// Moves asset `id` (still at `version` in status `from`) to `to`,
    /// recording the decision on the asset and on that version.
    pub async fn set_status(
        &self,
        tenant: &TenantId,
        id: &AssetId,
        version: i32,
        from: AssetStatus,
        to: AssetStatus,
        decision: Option<&Decision>,
    ) -> Result<Asset, AppError> {
        let now = format_ts(now_stored());
        let by = decision.map(|d| d.by.clone());
        let at = decision.map(|d| format_ts(d.at));
        let note = decision.and_then(|d| d.note.clone());
        let mut tx = self.db.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE content_assets SET status = $1, decided_by = $2, decided_at = $3, \
             decision_note = $4, updated_at = $5 \
             WHERE tenant_id = $6 AND id = $7 AND version = $8 AND status = $9",
        )
        .bind(to.as_str())
        .bind(by.as_deref())
        .bind(at.as_deref())
        .bind(note.as_deref())
        .bind(now.as_str())
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(version)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::Conflict(format!(
                "asset {} changed while being {}; read it again and retry",
                id.as_str(),
                to.as_str()
            )));
        }
        sqlx::query(
            "UPDATE content_asset_versions SET status = $1, \
             decided_by = COALESCE($2, decided_by), decided_at = COALESCE($3, decided_at), \
             decision_note = COALESCE($4, decision_note), updated_at = $5 \
             WHERE tenant_id = $6 AND asset_id = $7 AND version = $8",
        )
        .bind(to.as_str())
        .bind(by.as_deref())
        .bind(at.as_deref())
        .bind(note.as_deref())
        .bind(now.as_str())
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_asset(tenant, id).await
    }

    /// Replaces (or with `None` clears) an asset's usage rights.
    pub async fn set_rights(
        &self,
        tenant: &TenantId,
        id: &AssetId,
        rights: Option<&UsageRights>,
    ) -> Result<Asset, AppError> {
        let (licence, owner, expires, channels) = rights_columns(rights);
        let changed = sqlx::query(
            "UPDATE content_assets SET licence = $1, rights_owner = $2, rights_expires_at = $3, \
             allowed_channels = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7",
        )
        .bind(licence)
        .bind(owner)
        .bind(expires)
        .bind(channels)
        .bind(format_ts(now_stored()))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::not_found("asset", id.as_str()));
        }
        self.get_asset(tenant, id).await
    }
}
