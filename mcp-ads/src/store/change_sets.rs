//! Optimisation change sets: proposed, applied and rolled back as a whole,
//! never by the person who proposed them.

use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::AdsStore;
use super::lifecycle::json_of;
use crate::domain::CampaignId;
use crate::domain::plan::CampaignPlan;

/// A stored change set.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSetRow {
    pub id: String,
    pub campaign_id: String,
    pub status: String,
    pub proposal: String,
    /// Its proposer: the one person who may not apply or roll it back.
    pub created_by: String,
    pub created_at: String,
    pub applied_by: Option<String>,
    pub applied_at: Option<String>,
    pub rolled_back_by: Option<String>,
    pub rolled_back_at: Option<String>,
}

/// A change set's move: `id` from status `from` to `to` by `actor`.
#[derive(Debug, Clone, Copy)]
pub struct Settle<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub actor: &'a str,
}

fn change_set_from_row(r: &AnyRow) -> Result<ChangeSetRow, AppError> {
    Ok(ChangeSetRow {
        id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        status: r.try_get("status")?,
        proposal: r.try_get("proposal")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        applied_by: r.try_get("applied_by")?,
        applied_at: r.try_get("applied_at")?,
        rolled_back_by: r.try_get("rolled_back_by")?,
        rolled_back_at: r.try_get("rolled_back_at")?,
    })
}

impl AdsStore {
    pub async fn insert_change_set(
        &self,
        tenant: &TenantId,
        id: &str,
        campaign: &CampaignId,
        proposal: &str,
        actor: &str,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO change_sets (tenant_id, id, campaign_id, status, proposal, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'proposed', $4, $5, $6, $6)",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(campaign.as_str())
        .bind(proposal)
        .bind(actor)
        .bind(now.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn get_change_set(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<ChangeSetRow, AppError> {
        let r = sqlx::query(
            "SELECT id, campaign_id, status, proposal, created_by, created_at, applied_by, applied_at, \
             rolled_back_by, rolled_back_at FROM change_sets WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("change set", id))?;
        change_set_from_row(&r)
    }

    /// The campaign's change sets that changed budgets (applied, or
    /// applied and rolled back), oldest first.
    pub async fn settled_change_sets(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
    ) -> Result<Vec<ChangeSetRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, campaign_id, status, proposal, created_by, created_at, applied_by, applied_at, \
             rolled_back_by, rolled_back_at FROM change_sets \
             WHERE tenant_id = $1 AND campaign_id = $2 AND status IN ('applied', 'rolled_back') \
             ORDER BY applied_at, id",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(change_set_from_row).collect()
    }

    /// The campaign's most recently applied change set still in force.
    pub async fn latest_applied_change_set(
        &self,
        tenant: &TenantId,
        campaign: &str,
    ) -> Result<Option<String>, AppError> {
        let r = sqlx::query(
            "SELECT id FROM change_sets WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'applied' \
             ORDER BY applied_at DESC, id DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(campaign)
        .fetch_optional(self.db.pool())
        .await?;
        r.map(|r| r.try_get::<String, _>("id"))
            .transpose()
            .map_err(Into::into)
    }

    /// Moves a change set `from → to` and writes the campaign's new plan in
    /// one transaction; Conflict if someone else moved it first or `actor`
    /// proposed it (four eyes, in the same statement).
    pub async fn settle_change_set(
        &self,
        tenant: &TenantId,
        m: &Settle<'_>,
        campaign: &CampaignId,
        plan: &CampaignPlan,
        budget_cents: i64,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let Settle {
            id,
            from,
            to,
            actor,
        } = *m;
        let q = if to == "applied" {
            "UPDATE change_sets SET status = $3, applied_by = $4, applied_at = $5, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2 AND status = $6 AND created_by <> $4"
        } else {
            "UPDATE change_sets SET status = $3, rolled_back_by = $4, rolled_back_at = $5, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2 AND status = $6 AND created_by <> $4"
        };
        let n = sqlx::query(q)
            .bind(tenant.as_str())
            .bind(id)
            .bind(to)
            .bind(actor)
            .bind(now.as_str())
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "change set `{id}` is no longer {from} (or its proposer is deciding it, which four eyes forbid); read it again"
            )));
        }
        sqlx::query(
            "UPDATE campaigns SET plan = $3, budget_cents = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .bind(json_of(plan)?)
        .bind(budget_cents)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
        for a in &plan.allocations {
            sqlx::query(
                "UPDATE publications SET budget_cents = $4, updated_at = $5 \
                 WHERE tenant_id = $1 AND campaign_id = $2 AND channel = $3",
            )
            .bind(tenant.as_str())
            .bind(campaign.as_str())
            .bind(a.channel.as_str())
            .bind(a.budget_cents)
            .bind(now.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
