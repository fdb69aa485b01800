//! The asset aggregate: assets and their versions — creation (one or a
//! batch, all or none), reads and keyset-paginated lists.

use promptsales_shared::AppError;
use promptsales_shared::db::is_unique_violation;
use promptsales_shared::domain::{Channel, ClientId, Page, TenantId};
use sqlx::Row;
use sqlx::any::AnyRow;

use content_read::rows::{
    asset_from_row, decision_from_row, fields_from, status_from_row, ts_from_row,
};
use content_read::select_assets;

use super::usage::{Bill, Over};
use super::{ContentStore, ID_ATTEMPTS, fields_json, new_asset_id, now_stored, rights_columns};
use crate::domain::{Asset, AssetId, AssetStatus, AssetVersion, Language, NewAsset, Placement};
use promptsales_shared::time::format_ts;

/// Filters of `list_assets`.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub client_id: Option<ClientId>,
    pub campaign_id: Option<String>,
    pub channel: Option<Channel>,
    pub status: Option<AssetStatus>,
    pub language: Option<Language>,
    /// Generated copy written for this placement (e.g. `x`).
    pub placement: Option<Placement>,
}

fn version_from_row(r: &AnyRow) -> Result<AssetVersion, AppError> {
    let status = status_from_row(r)?;
    Ok(AssetVersion {
        asset_id: AssetId::from_trusted(r.try_get("asset_id")?),
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        status,
        created_at: ts_from_row(r, "created_at")?,
        created_by: r.try_get("created_by")?,
        fields: fields_from(r.try_get("fields")?)?,
        note: r.try_get("note")?,
        decision: decision_from_row(r, status)?,
    })
}

impl ContentStore {
    /// Creates a draft asset at version 1, and its version row, in one
    /// transaction; returns it as stored.
    pub async fn create_asset(&self, tenant: &TenantId, new: &NewAsset) -> Result<Asset, AppError> {
        let author = new.author()?;
        for _ in 0..ID_ATTEMPTS {
            let asset = new.clone().into_asset(new_asset_id(), now_stored())?;
            match self.insert_new(tenant, &asset, author.as_deref()).await {
                Ok(()) => return Ok(asset),
                Err(e) if is_unique_violation(&e) => {
                    tracing::debug!(id = %asset.id, "generated asset id taken; retrying");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal(format!(
            "no free asset id after {ID_ATTEMPTS} attempts"
        )))
    }

    /// Creates several draft assets in one transaction: all or none.
    pub async fn create_assets(
        &self,
        tenant: &TenantId,
        news: &[NewAsset],
    ) -> Result<Vec<Asset>, AppError> {
        match self.create_assets_billed(tenant, news, None).await? {
            Ok(assets) => Ok(assets),
            Err(over) => Err(AppError::Internal(format!(
                "an unbilled creation was refused by {}",
                over.kind
            ))),
        }
    }

    /// [`create_assets`](Self::create_assets) with the plan usage they
    /// cost charged in the same transaction: a refused charge (`Err(Over)`)
    /// writes no asset and no usage.
    pub async fn create_assets_billed(
        &self,
        tenant: &TenantId,
        news: &[NewAsset],
        bill: Option<&Bill<'_>>,
    ) -> Result<Result<Vec<Asset>, Over>, AppError> {
        let mut assets = Vec::with_capacity(news.len());
        for n in news {
            assets.push((
                n.clone().into_asset(new_asset_id(), now_stored())?,
                n.author()?,
            ));
        }
        for _ in 0..ID_ATTEMPTS {
            let mut tx = self.db.pool().begin().await?;
            if let Some(bill) = bill
                && let Some(over) = super::usage::charge(&mut tx, tenant, bill).await?
            {
                return Ok(Err(over));
            }
            let mut clash = false;
            for (a, author) in &assets {
                match insert_asset(&mut tx, tenant, a, author.as_deref()).await {
                    Ok(()) => {}
                    Err(e) if is_unique_violation(&e) => {
                        clash = true;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !clash {
                tx.commit().await?;
                return Ok(Ok(assets.into_iter().map(|(a, _)| a).collect()));
            }
            drop(tx);
            for (a, _) in &mut assets {
                a.id = new_asset_id();
            }
        }
        Err(AppError::Internal(format!(
            "no free asset ids after {ID_ATTEMPTS} attempts"
        )))
    }

    async fn insert_new(
        &self,
        tenant: &TenantId,
        a: &Asset,
        author: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.pool().begin().await?;
        insert_asset(&mut tx, tenant, a, author).await?;
        tx.commit().await
    }

    /// One asset at its current version (`content-read`'s query and mapping).
    pub async fn get_asset(&self, tenant: &TenantId, id: &AssetId) -> Result<Asset, AppError> {
        content_read::rows::get_asset(&self.db, tenant, id).await
    }

    /// Assets by id, keyset-paginated.
    pub async fn list_assets(
        &self,
        tenant: &TenantId,
        filter: &AssetFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<Asset>, AppError> {
        let rows = sqlx::query(select_assets!(
            "WHERE tenant_id = $1 \
               AND ($2 IS NULL OR client_id = $2) \
               AND ($3 IS NULL OR campaign_id = $3) \
               AND ($4 IS NULL OR channel = $4) \
               AND ($5 IS NULL OR status = $5) \
               AND ($6 IS NULL OR language = $6) \
               AND ($7 IS NULL OR id > $7) \
               AND ($8 IS NULL OR placement = $8) \
             ORDER BY id LIMIT $9"
        ))
        .bind(tenant.as_str())
        .bind(filter.client_id.as_ref().map(|c| c.as_str().to_owned()))
        .bind(filter.campaign_id.clone())
        .bind(filter.channel.map(|c| c.as_str()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.language.map(|l| l.as_str()))
        .bind(cursor.map(str::to_owned))
        .bind(filter.placement.map(|p| p.as_str()))
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(asset_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|a| a.id.as_str().to_owned())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every stored version of an asset, oldest first; not found when the
    /// asset does not exist.
    pub async fn asset_versions(
        &self,
        tenant: &TenantId,
        id: &AssetId,
    ) -> Result<Vec<AssetVersion>, AppError> {
        let rows = sqlx::query(
            "SELECT asset_id, version, title, body, status, created_by, created_at, fields, note, \
             decided_by, decided_at, decision_note FROM content_asset_versions WHERE tenant_id = $1 AND asset_id = $2 \
             ORDER BY version",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_all(self.db.pool())
        .await?;
        if rows.is_empty() {
            // An asset always has its version 1: none means no such asset.
            return Err(AppError::not_found("asset", id.as_str()));
        }
        rows.iter().map(version_from_row).collect()
    }
}

/// Inserts asset `a` at its version and that version's row.
async fn insert_asset(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    a: &Asset,
    author: Option<&str>,
) -> Result<(), sqlx::Error> {
    {
        let (licence, owner, expires, channels) = rights_columns(a.rights.as_ref());
        let created = format_ts(a.created_at);
        let fields = fields_json(a.fields.as_ref());
        sqlx::query(
            "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, \
             language, title, body, version, status, licence, rights_owner, rights_expires_at, \
             allowed_channels, created_by, created_at, updated_at, placement, fields) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19)",
        )
        .bind(tenant.as_str())
        .bind(a.id.as_str())
        .bind(a.client_id.as_str())
        .bind(a.campaign_id.as_deref())
        .bind(a.channel.as_str())
        .bind(a.format.as_str())
        .bind(a.language.as_str())
        .bind(a.title.as_deref())
        .bind(a.body.as_str())
        .bind(a.version)
        .bind(a.status.as_str())
        .bind(licence)
        .bind(owner)
        .bind(expires)
        .bind(channels)
        .bind(author)
        .bind(created.as_str())
        .bind(a.placement.map(|p| p.as_str()))
        .bind(fields.as_deref())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO content_asset_versions (tenant_id, asset_id, version, title, body, \
             status, created_by, created_at, updated_at, fields) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
        )
        .bind(tenant.as_str())
        .bind(a.id.as_str())
        .bind(a.version)
        .bind(a.title.as_deref())
        .bind(a.body.as_str())
        .bind(a.status.as_str())
        .bind(author)
        .bind(created.as_str())
        .bind(fields.as_deref())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
