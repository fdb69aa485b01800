//! Each client's platform accounts: one row per client and channel, the
//! credentials as a sealed value this module stores and returns but never
//! opens (the service holds the key).

use promptsales_shared::AppError;
use promptsales_shared::db::is_unique_violation;
use promptsales_shared::domain::{Channel, ClientId, TenantId};
use promptsales_shared::time::now_ts;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::AdsStore;
use super::lifecycle::{json_of, parse_json};
use crate::connectors::Account;

/// A stored connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow {
    pub id: String,
    pub client_id: ClientId,
    pub channel: Channel,
    pub platform: String,
    pub account: Account,
    /// The secrets, sealed (`promptsales_shared::crypto`, bound to this
    /// row's `credentials` column).
    pub credentials: Option<String>,
    /// Which secrets the sealed value holds (names only).
    pub secret_names: Vec<String>,
    pub expires_at: Option<String>,
    pub tested_at: Option<String>,
    pub test_ok: Option<bool>,
    pub test_detail: Option<String>,
    pub created_by: String,
    pub updated_by: String,
    pub created_at: String,
    pub updated_at: String,
}

fn row_of(r: &AnyRow) -> Result<ConnectionRow, AppError> {
    Ok(ConnectionRow {
        id: r.try_get("id")?,
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        platform: r.try_get("platform")?,
        account: parse_json("connection account", &r.try_get::<String, _>("account")?)?,
        credentials: r.try_get("credentials")?,
        secret_names: parse_json(
            "connection secret names",
            &r.try_get::<String, _>("secret_names")?,
        )?,
        expires_at: r.try_get("expires_at")?,
        tested_at: r.try_get("tested_at")?,
        test_ok: r.try_get::<Option<i64>, _>("test_ok")?.map(|v| v != 0),
        test_detail: r.try_get("test_detail")?,
        created_by: r.try_get("created_by")?,
        updated_by: r.try_get("updated_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl AdsStore {
    /// The client's connection for `channel`, if any.
    pub async fn connection(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        channel: Channel,
    ) -> Result<Option<ConnectionRow>, AppError> {
        sqlx::query(
            "SELECT id, client_id, channel, platform, account, credentials, secret_names, \
             expires_at, tested_at, test_ok, test_detail, created_by, updated_by, created_at, updated_at \
             FROM connections WHERE tenant_id = $1 AND client_id = $2 AND channel = $3",
        )
            .bind(tenant.as_str())
            .bind(client.as_str())
            .bind(channel.as_str())
            .fetch_optional(self.db.pool())
            .await?
            .as_ref()
            .map(row_of)
            .transpose()
    }

    /// A connection by id, if it still exists.
    pub async fn connection_by_id(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ConnectionRow>, AppError> {
        sqlx::query(
            "SELECT id, client_id, channel, platform, account, credentials, secret_names, \
             expires_at, tested_at, test_ok, test_detail, created_by, updated_by, created_at, updated_at \
             FROM connections WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(row_of)
        .transpose()
    }

    /// The tenant's connections, optionally of one client and/or channel,
    /// by client then channel.
    pub async fn list_connections(
        &self,
        tenant: &TenantId,
        client: Option<&ClientId>,
        channel: Option<Channel>,
    ) -> Result<Vec<ConnectionRow>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, channel, platform, account, credentials, secret_names, \
             expires_at, tested_at, test_ok, test_detail, created_by, updated_by, created_at, updated_at \
             FROM connections WHERE tenant_id = $1 AND ($2 IS NULL OR client_id = $2) \
             AND ($3 IS NULL OR channel = $3) ORDER BY client_id, channel",
        )
        .bind(tenant.as_str())
        .bind(client.map(|c| c.as_str().to_owned()))
        .bind(channel.map(|c| c.as_str().to_owned()))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(row_of).collect()
    }

    /// Stores a new connection; Conflict when the client already has one
    /// for the channel (set concurrently).
    pub async fn insert_connection(
        &self,
        tenant: &TenantId,
        c: &ConnectionRow,
    ) -> Result<(), AppError> {
        let r = sqlx::query(
            "INSERT INTO connections (tenant_id, id, client_id, channel, platform, account, credentials, \
             secret_names, expires_at, created_by, updated_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $11)",
        )
        .bind(tenant.as_str())
        .bind(c.id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.channel.as_str())
        .bind(c.platform.as_str())
        .bind(json_of(&c.account)?)
        .bind(c.credentials.as_deref())
        .bind(json_of(&c.secret_names)?)
        .bind(c.expires_at.as_deref())
        .bind(c.updated_by.as_str())
        .bind(c.updated_at.as_str())
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(AppError::Conflict(format!(
                "client {} got a {} connection meanwhile; read it with list_connections and set it again",
                c.client_id, c.channel
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Rewrites a connection's account, credentials and expiry if nobody
    /// changed it since `seen` (its `updated_at`); the last test is cleared
    /// (it tested what was there before).
    pub async fn update_connection(
        &self,
        tenant: &TenantId,
        c: &ConnectionRow,
        seen: &str,
    ) -> Result<(), AppError> {
        let n = sqlx::query(
            "UPDATE connections SET account = $3, credentials = $4, secret_names = $5, expires_at = $6, \
             updated_by = $7, updated_at = $8, tested_at = NULL, test_ok = NULL, test_detail = NULL \
             WHERE tenant_id = $1 AND id = $2 AND updated_at = $9",
        )
        .bind(tenant.as_str())
        .bind(c.id.as_str())
        .bind(json_of(&c.account)?)
        .bind(c.credentials.as_deref())
        .bind(json_of(&c.secret_names)?)
        .bind(c.expires_at.as_deref())
        .bind(c.updated_by.as_str())
        .bind(c.updated_at.as_str())
        .bind(seen)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "connection {} changed meanwhile; read it with list_connections and set it again",
                c.id
            )));
        }
        Ok(())
    }

    /// Records the outcome of `test_connection` (the connection's version,
    /// `updated_at`, is kept: nothing it holds changed).
    pub async fn record_connection_test(
        &self,
        tenant: &TenantId,
        id: &str,
        ok: bool,
        detail: &str,
    ) -> Result<String, AppError> {
        let at = now_ts();
        sqlx::query(
            "UPDATE connections SET tested_at = $3, test_ok = $4, test_detail = $5 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(at.as_str())
        .bind(i64::from(ok))
        .bind(detail)
        .execute(self.db.pool())
        .await?;
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use promptsales_shared::db::Db;

    use super::*;

    fn row(id: &str, client: &str, channel: Channel) -> ConnectionRow {
        ConnectionRow {
            id: id.into(),
            client_id: ClientId::parse(client).unwrap(),
            channel,
            platform: "meta".into(),
            account: Account {
                ad_account_id: Some("77".into()),
                ..Account::default()
            },
            credentials: Some("v2:kid:sealed".into()),
            secret_names: vec!["access_token".into()],
            expires_at: Some("2026-05-01T00:00:00.000000Z".into()),
            tested_at: None,
            test_ok: None,
            test_detail: None,
            created_by: "ana".into(),
            updated_by: "ana".into(),
            created_at: "2026-04-01T00:00:00.000000Z".into(),
            updated_at: "2026-04-01T00:00:00.000000Z".into(),
        }
    }

    async fn exercise(db: Db) {
        let store = AdsStore::new(db);
        let t = TenantId::parse("t1").unwrap();
        let a = row("con_a", "cli_1", Channel::Meta);
        store.insert_connection(&t, &a).await.unwrap();
        let e = store
            .insert_connection(&t, &row("con_b", "cli_1", Channel::Meta))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "conflict");
        store
            .insert_connection(&t, &row("con_c", "cli_2", Channel::Meta))
            .await
            .unwrap();
        let got = store
            .connection(&t, &ClientId::parse("cli_1").unwrap(), Channel::Meta)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, a);
        let other = TenantId::parse("t2").unwrap();
        assert!(
            store
                .connection_by_id(&other, "con_a")
                .await
                .unwrap()
                .is_none()
        );

        let at = store
            .record_connection_test(&t, "con_a", false, "refused")
            .await
            .unwrap();
        let tested = store.connection_by_id(&t, "con_a").await.unwrap().unwrap();
        assert_eq!(
            (
                tested.test_ok,
                tested.tested_at.as_deref(),
                tested.updated_at.as_str()
            ),
            (Some(false), Some(at.as_str()), a.updated_at.as_str())
        );

        let mut b = tested.clone();
        b.account.page_id = Some("55".into());
        b.updated_at = "2026-04-02T00:00:00.000000Z".into();
        store
            .update_connection(&t, &b, &a.updated_at)
            .await
            .unwrap();
        // A second writer that read the old version is refused.
        let e = store
            .update_connection(&t, &b, &a.updated_at)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "conflict");
        let now = store.connection_by_id(&t, "con_a").await.unwrap().unwrap();
        assert_eq!(now.account.page_id.as_deref(), Some("55"));
        assert_eq!(now.test_ok, None, "the old test no longer says anything");

        let all = store.list_connections(&t, None, None).await.unwrap();
        assert_eq!(all.len(), 2);
        let one = store
            .list_connections(&t, Some(&ClientId::parse("cli_2").unwrap()), None)
            .await
            .unwrap();
        assert_eq!(one[0].id, "con_c");
    }

    #[tokio::test]
    async fn connections_on_every_backend() {
        for t in promptsales_shared::testing::backends(&ads_read::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
