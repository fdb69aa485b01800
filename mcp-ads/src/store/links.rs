//! Audience segments and the content assets attached to campaigns.

use promptsales_shared::AppError;
use promptsales_shared::db::is_unique_violation;
use promptsales_shared::domain::{Channel, TenantId};
use promptsales_shared::time::now_ts;
use sqlx::Row;

use super::AdsStore;
use super::lifecycle::json_of;
use crate::domain::CampaignId;
use crate::domain::plan::Segment;

impl AdsStore {
    pub async fn save_segment(&self, tenant: &TenantId, s: &Segment) -> Result<(), AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO segments (tenant_id, id, name, client_id, definition, matched, reachable, suppressed, \
             without_consent, computed_at, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(tenant.as_str())
        .bind(s.id.as_str())
        .bind(s.name.as_str())
        .bind(s.client_id.as_deref())
        .bind(json_of(&s.definition)?)
        .bind(s.matched)
        .bind(s.reachable)
        .bind(s.suppressed)
        .bind(s.without_consent)
        .bind(s.computed_at.as_str())
        .bind(s.created_by.as_str())
        .bind(now.as_str())
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(AppError::Conflict(format!(
                "a segment named {:?} already exists; choose another name",
                s.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_segment(&self, tenant: &TenantId, id: &str) -> Result<Segment, AppError> {
        let r = sqlx::query(
            "SELECT id, name, client_id, definition, matched, reachable, suppressed, without_consent, \
             computed_at, created_by FROM segments WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("segment", id))?;
        Ok(Segment {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            client_id: r.try_get("client_id")?,
            definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
                .map_err(|e| AppError::Internal(format!("stored segment: {e}")))?,
            matched: r.try_get("matched")?,
            reachable: r.try_get("reachable")?,
            suppressed: r.try_get("suppressed")?,
            without_consent: r.try_get("without_consent")?,
            computed_at: r.try_get("computed_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    /// Attaches an asset to campaign channels (`(channel, version)` each;
    /// re-attaching updates the version) and records `actor` as the
    /// campaign's last editor, all in one transaction.
    pub async fn attach_assets(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
        asset: &str,
        channels: &[(Channel, i64)],
        actor: &str,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        for (channel, version) in channels {
            sqlx::query(
                "INSERT INTO campaign_assets (tenant_id, campaign_id, asset_id, channel, version, attached_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (tenant_id, campaign_id, asset_id, channel) \
                 DO UPDATE SET version = excluded.version, attached_by = excluded.attached_by, updated_at = excluded.updated_at",
            )
            .bind(tenant.as_str())
            .bind(campaign.as_str())
            .bind(asset)
            .bind(channel.as_str())
            .bind(*version)
            .bind(actor)
            .bind(now.as_str())
            .execute(&mut *tx)
            .await?;
        }
        // What runs is part of what is approved: attaching edits the campaign.
        sqlx::query(
            "UPDATE campaigns SET last_edited_by = $3, last_edited_at = $4, updated_at = $4 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .bind(actor)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Assets attached to a campaign: (asset, channel, version).
    pub async fn assets(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
    ) -> Result<Vec<(String, Channel, i64)>, AppError> {
        let rows = sqlx::query(
            "SELECT asset_id, channel, version FROM campaign_assets WHERE tenant_id = $1 AND campaign_id = $2 \
             ORDER BY channel, asset_id",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("asset_id")?,
                    Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    r.try_get("version")?,
                ))
            })
            .collect()
    }
}
