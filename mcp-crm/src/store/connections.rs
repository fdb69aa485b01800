//! The connections registry: each client's own platform account per
//! channel (WhatsApp: the phone-number id with its sealed access token,
//! app secret and verify token), its state and the last test.

use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::now_ts;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::CrmStore;

/// A connection as stored (credentials still sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow {
    pub client_id: ClientId,
    /// `whatsapp`.
    pub channel: String,
    /// The platform account: WhatsApp's phone-number id.
    pub account_id: String,
    pub token_enc: Option<String>,
    pub app_secret_enc: Option<String>,
    pub verify_token_enc: Option<String>,
    /// The WhatsApp Business Account the number belongs to (templates).
    pub waba_id: Option<String>,
    pub enabled: bool,
    /// `untested`, `ok` or `failed`.
    pub status: String,
    pub status_detail: Option<String>,
    pub tested_at: Option<String>,
    pub updated_by: String,
    pub updated_at: String,
}

/// One sealed credential column being rewritten (key rotation).
#[derive(Debug, Clone)]
pub struct ResealedConnection {
    pub tenant: String,
    pub client_id: String,
    pub channel: String,
    /// The row's version when read.
    pub updated_at: String,
    pub token_enc: Option<String>,
    pub app_secret_enc: Option<String>,
    pub verify_token_enc: Option<String>,
}

fn from_row(r: &AnyRow) -> Result<ConnectionRow, AppError> {
    Ok(ConnectionRow {
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        channel: r.try_get("channel")?,
        account_id: r.try_get("account_id")?,
        token_enc: r.try_get("token_enc")?,
        app_secret_enc: r.try_get("app_secret_enc")?,
        verify_token_enc: r.try_get("verify_token_enc")?,
        waba_id: r.try_get("waba_id")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        status: r.try_get("status")?,
        status_detail: r.try_get("status_detail")?,
        tested_at: r.try_get("tested_at")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl CrmStore {
    /// Creates or replaces a client's connection on a channel; its test
    /// state starts again. An account already connected for another client
    /// is a conflict (a delivery must route to one client).
    pub async fn save_connection(
        &self,
        tenant: &TenantId,
        c: &ConnectionRow,
    ) -> Result<(), AppError> {
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT client_id FROM connections WHERE tenant_id = $1 AND channel = $2 \
             AND account_id = $3 AND client_id <> $4",
        )
        .bind(tenant.as_str())
        .bind(c.channel.clone())
        .bind(c.account_id.clone())
        .bind(c.client_id.as_str())
        .fetch_optional(self.db().pool())
        .await?;
        if let Some(other) = taken {
            return Err(AppError::Conflict(format!(
                "{} account `{}` is already connected for client `{other}`: one account routes to one client",
                c.channel, c.account_id
            )));
        }
        let now = now_ts();
        sqlx::query(
            "INSERT INTO connections (tenant_id, client_id, channel, account_id, token_enc, \
             app_secret_enc, verify_token_enc, enabled, status, status_detail, tested_at, \
             updated_by, created_at, updated_at, waba_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'untested', NULL, NULL, $9, $10, $10, $11) \
             ON CONFLICT (tenant_id, client_id, channel) DO UPDATE SET \
             account_id = excluded.account_id, token_enc = excluded.token_enc, \
             app_secret_enc = excluded.app_secret_enc, verify_token_enc = excluded.verify_token_enc, \
             enabled = excluded.enabled, status = 'untested', status_detail = NULL, tested_at = NULL, \
             waba_id = excluded.waba_id, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str().to_owned())
        .bind(c.client_id.as_str().to_owned())
        .bind(c.channel.clone())
        .bind(c.account_id.clone())
        .bind(c.token_enc.clone())
        .bind(c.app_secret_enc.clone())
        .bind(c.verify_token_enc.clone())
        .bind(i32::from(c.enabled))
        .bind(c.updated_by.clone())
        .bind(now)
        .bind(c.waba_id.clone())
        .execute(self.db().pool())
        .await
        .map_err(|e| {
            if promptsales_shared::db::is_unique_violation(&e) {
                AppError::Conflict(format!(
                    "{} account `{}` was just connected for another client",
                    c.channel, c.account_id
                ))
            } else {
                AppError::from(e)
            }
        })?;
        Ok(())
    }

    /// A client's connection on a channel.
    pub async fn connection(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        channel: &str,
    ) -> Result<Option<ConnectionRow>, AppError> {
        let row = sqlx::query(
            "SELECT client_id, channel, account_id, token_enc, app_secret_enc, waba_id, \
             verify_token_enc, enabled, status, status_detail, tested_at, updated_by, updated_at \
             FROM connections WHERE tenant_id = $1 AND client_id = $2 AND channel = $3",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(channel.to_owned())
        .fetch_optional(self.db().pool())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The connection of a platform account (a webhook delivery names it).
    pub async fn connection_by_account(
        &self,
        tenant: &TenantId,
        channel: &str,
        account_id: &str,
    ) -> Result<Option<ConnectionRow>, AppError> {
        let row = sqlx::query(
            "SELECT client_id, channel, account_id, token_enc, app_secret_enc, waba_id, \
             verify_token_enc, enabled, status, status_detail, tested_at, updated_by, updated_at \
             FROM connections WHERE tenant_id = $1 AND channel = $2 AND account_id = $3",
        )
        .bind(tenant.as_str())
        .bind(channel.to_owned())
        .bind(account_id.to_owned())
        .fetch_optional(self.db().pool())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every connection of the tenant (of one client when given), by
    /// client and channel.
    pub async fn connections(
        &self,
        tenant: &TenantId,
        client: Option<&ClientId>,
    ) -> Result<Vec<ConnectionRow>, AppError> {
        let rows = sqlx::query(
            "SELECT client_id, channel, account_id, token_enc, app_secret_enc, waba_id, \
             verify_token_enc, enabled, status, status_detail, tested_at, updated_by, updated_at \
             FROM connections WHERE tenant_id = $1 AND ($2 IS NULL OR client_id = $2) \
             ORDER BY client_id, channel",
        )
        .bind(tenant.as_str())
        .bind(client.map(|c| c.as_str().to_owned()))
        .fetch_all(self.db().pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Records the outcome of a connection test.
    pub async fn set_connection_status(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        channel: &str,
        ok: bool,
        detail: &str,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "UPDATE connections SET status = $4, status_detail = $5, tested_at = $6 \
             WHERE tenant_id = $1 AND client_id = $2 AND channel = $3",
        )
        .bind(tenant.as_str().to_owned())
        .bind(client.as_str().to_owned())
        .bind(channel.to_owned())
        .bind(if ok { "ok" } else { "failed" })
        .bind(detail.to_owned())
        .bind(now)
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    /// Every connection of every tenant with its sealed credentials (key
    /// rotation: a rotation is the deployment's).
    pub async fn sealed_connections(&self) -> Result<Vec<(String, ConnectionRow)>, AppError> {
        let rows = sqlx::query(
            "SELECT tenant_id, client_id, channel, account_id, token_enc, app_secret_enc, waba_id, \
             verify_token_enc, enabled, status, status_detail, tested_at, updated_by, updated_at \
             FROM connections ORDER BY tenant_id, client_id, channel",
        )
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("tenant_id")?, from_row(r)?)))
            .collect()
    }

    /// Rewrites a connection's sealed credentials if it did not change
    /// since it was read; `false` when it did (left for the next run).
    pub async fn reseal_connection(&self, c: &ResealedConnection) -> Result<bool, AppError> {
        let n = sqlx::query(
            "UPDATE connections SET token_enc = $4, app_secret_enc = $5, verify_token_enc = $6 \
             WHERE tenant_id = $1 AND client_id = $2 AND channel = $3 AND updated_at = $7",
        )
        .bind(c.tenant.clone())
        .bind(c.client_id.clone())
        .bind(c.channel.clone())
        .bind(c.token_enc.clone())
        .bind(c.app_secret_enc.clone())
        .bind(c.verify_token_enc.clone())
        .bind(c.updated_at.clone())
        .execute(self.db().pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}
