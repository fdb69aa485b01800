//! Idempotent bulk upserts of assets (imports keep their ids).

use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, dedupe_last};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::format_ts;

use super::{ContentStore, now_stored, rights_columns};
use crate::domain::Asset;

const ASSETS: BulkUpsert = BulkUpsert {
    table: "content_assets",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "campaign_id",
        "channel",
        "format",
        "language",
        "title",
        "body",
        "version",
        "status",
        "licence",
        "rights_owner",
        "rights_expires_at",
        "allowed_channels",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &[
        "client_id",
        "campaign_id",
        "channel",
        "format",
        "language",
        "title",
        "body",
        "version",
        "status",
        "licence",
        "rights_owner",
        "rights_expires_at",
        "allowed_channels",
    ],
};

const VERSIONS: BulkUpsert = BulkUpsert {
    table: "content_asset_versions",
    columns: &[
        "tenant_id",
        "asset_id",
        "version",
        "title",
        "body",
        "status",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, asset_id, version",
    update: &["title", "body", "status"],
};

impl ContentStore {
    /// Inserts or updates assets by id (imports keep their ids), with a
    /// version row for each one's current version; returns how many rows
    /// changed. Unchanged rows are left alone, so re-imports change nothing.
    pub async fn upsert_assets(
        &self,
        tenant: &TenantId,
        assets: &[Asset],
    ) -> Result<u64, AppError> {
        for a in assets {
            a.validate()?;
        }
        let now = format_ts(now_stored());
        let rows = dedupe_last(assets, |a| a.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(ASSETS.max_rows()) {
            let mut q = sqlx::query(ASSETS.sql(chunk.len(), self.db.backend()));
            for a in chunk {
                let (licence, owner, expires, channels) = rights_columns(a.rights.as_ref());
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(a.id.as_str().to_owned())
                    .bind(a.client_id.as_str().to_owned())
                    .bind(a.campaign_id.clone())
                    .bind(a.channel.as_str())
                    .bind(a.format.as_str())
                    .bind(a.language.as_str())
                    .bind(a.title.clone())
                    .bind(a.body.clone())
                    .bind(a.version)
                    .bind(a.status.as_str())
                    .bind(licence)
                    .bind(owner)
                    .bind(expires)
                    .bind(channels)
                    .bind(format_ts(a.created_at))
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        for chunk in rows.chunks(VERSIONS.max_rows()) {
            let mut q = sqlx::query(VERSIONS.sql(chunk.len(), self.db.backend()));
            for a in chunk {
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(a.id.as_str().to_owned())
                    .bind(a.version)
                    .bind(a.title.clone())
                    .bind(a.body.clone())
                    .bind(a.status.as_str())
                    .bind(format_ts(a.updated_at))
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }
}
