//! What a client's plan counts: the campaigns that spend (active, or held
//! by a launch) and the people who worked on its campaigns this month.

use ads_read::rows::campaign_from_row;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};

use super::AdsStore;
use crate::domain::{Campaign, CampaignId};

impl AdsStore {
    /// The client's campaigns that spend or are about to (active, or
    /// approved and claimed by a launch), `except` left out.
    pub async fn client_spending(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        except: Option<&CampaignId>,
    ) -> Result<Vec<Campaign>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, name, objective, status, budget_cents, currency, start_date, end_date, \
             channels, countries FROM campaigns WHERE tenant_id = $1 AND client_id = $2 \
             AND (status = 'active' OR (status = 'approved' AND launch_claim_key IS NOT NULL)) \
             AND id <> $3 ORDER BY id",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(except.map_or("", |c| c.as_str()).to_owned())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(campaign_from_row).collect()
    }

    /// People who moved the client's campaigns since `since` (RFC 3339):
    /// the seats the plan counts.
    pub async fn client_seats_since(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        since: &str,
    ) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(DISTINCT e.actor) FROM campaign_events e \
             JOIN campaigns c ON c.tenant_id = e.tenant_id AND c.id = e.campaign_id \
             WHERE e.tenant_id = $1 AND c.client_id = $2 AND e.at >= $3",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(since)
        .fetch_one(self.db.pool())
        .await?)
    }
}
