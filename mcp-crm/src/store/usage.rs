//! What a client uses of its crm plan: leads stored, seats (active sellers
//! working for it) and messages sent in a period.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::format_ts;

use super::CrmStore;
use crate::domain::SellerId;

impl CrmStore {
    /// The client's leads holding personal data (an erased lead keeps
    /// only anonymised facts and no longer counts).
    pub async fn leads_stored(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM leads WHERE tenant_id = $1 AND client_id = $2 \
             AND erased_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .fetch_one(self.db().pool())
        .await?)
    }

    /// Active sellers working for the client, `except` one (the seller
    /// being saved).
    pub async fn active_seats(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        except: Option<&SellerId>,
    ) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sellers WHERE tenant_id = $1 AND client_id = $2 \
             AND active = 1 AND id <> $3",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(except.map_or(String::new(), |s| s.as_str().to_owned()))
        .fetch_one(self.db().pool())
        .await?)
    }

    /// Messages sent (sandboxed ones included: they were sent as far as
    /// the plan is concerned) to the client's leads in `[from, to)`.
    pub async fn messages_sent(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbound_messages m JOIN leads l \
             ON l.tenant_id = m.tenant_id AND l.id = m.lead_id \
             WHERE m.tenant_id = $1 AND l.client_id = $2 AND m.at >= $3 AND m.at < $4",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(format_ts(from))
        .bind(format_ts(to))
        .fetch_one(self.db().pool())
        .await?)
    }
}
