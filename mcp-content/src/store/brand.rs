//! Brand guidelines per client (`content_brand_guidelines`).

use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::{format_ts, parse_ts};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ContentStore, now_stored};
use crate::domain::brand::{BrandGuidelines, ClientBrand};

impl ContentStore {
    /// A client's brand guidelines, if set.
    pub async fn brand(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<Option<ClientBrand>, AppError> {
        let row = sqlx::query(
            "SELECT voice, banned_words, required_disclaimers, preferred_terms, updated_by, \
             updated_at FROM content_brand_guidelines WHERE tenant_id = $1 AND client_id = $2",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        fn parse<T: serde::de::DeserializeOwned>(r: &AnyRow, col: &str) -> Result<T, AppError> {
            serde_json::from_str(&r.try_get::<String, _>(col)?)
                .map_err(|e| AppError::Internal(format!("brand guidelines {col}: {e}")))
        }
        Ok(Some(ClientBrand {
            client_id: client.clone(),
            guidelines: BrandGuidelines {
                voice: r.try_get("voice")?,
                banned_words: parse(&r, "banned_words")?,
                required_disclaimers: parse(&r, "required_disclaimers")?,
                preferred_terms: parse(&r, "preferred_terms")?,
            },
            updated_by: r.try_get("updated_by")?,
            updated_at: parse_ts("updated_at", &r.try_get::<String, _>("updated_at")?)?,
        }))
    }

    /// Sets a client's brand guidelines (replacing earlier ones).
    pub async fn set_brand(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        g: &BrandGuidelines,
        by: Option<&str>,
    ) -> Result<ClientBrand, AppError> {
        let at = now_stored();
        sqlx::query(
            "INSERT INTO content_brand_guidelines (tenant_id, client_id, voice, banned_words, \
             required_disclaimers, preferred_terms, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, client_id) DO UPDATE SET voice = excluded.voice, \
             banned_words = excluded.banned_words, required_disclaimers = excluded.required_disclaimers, \
             preferred_terms = excluded.preferred_terms, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(g.voice.as_str())
        .bind(json(&g.banned_words))
        .bind(json(&g.required_disclaimers))
        .bind(json(&g.preferred_terms))
        .bind(by)
        .bind(format_ts(at))
        .execute(self.db.pool())
        .await?;
        Ok(ClientBrand {
            client_id: client.clone(),
            guidelines: g.clone(),
            updated_by: by.map(str::to_owned),
            updated_at: at,
        })
    }

    /// Client ids with brand guidelines, for argument completion.
    pub async fn brand_clients(&self, tenant: &TenantId) -> Result<Vec<String>, AppError> {
        let rows = sqlx::query(
            "SELECT DISTINCT client_id FROM content_brand_guidelines WHERE tenant_id = $1 \
             UNION SELECT DISTINCT client_id FROM content_assets WHERE tenant_id = $1 \
             ORDER BY client_id LIMIT 500",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("client_id")?))
            .collect()
    }
}

/// A list column as JSON.
fn json<T: serde::Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}
