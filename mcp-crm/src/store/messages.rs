//! Conversations: interactions with a lead, the knowledge base replies
//! are drafted from (each answer a client's, or explicitly tenant-wide),
//! and the messages we sent.

use chrono::{DateTime, Utc};
use crm_read::rows::interaction_from_row;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::{format_ts, now_ts, parse_ts};
use sqlx::Row;

use super::CrmStore;
use crate::domain::{ContactChannel, Interaction, Language, LeadId};

/// A knowledge-base answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KbEntry {
    pub id: String,
    /// The client whose leads this answer is for; `null` when the answer
    /// is tenant-wide (every client's leads may be told it).
    pub client_id: Option<ClientId>,
    /// The language of the answer; drafts in that language quote it.
    pub language: Language,
    pub topic: String,
    pub keywords: Vec<String>,
    pub answer: String,
}

/// A message we sent (or, in sandbox, recorded as sent).
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct OutboundMessage {
    pub id: String,
    pub channel: ContactChannel,
    pub text: String,
    pub sandbox: bool,
    pub provider_message_id: Option<String>,
    pub at: DateTime<Utc>,
    /// Where delivery stands: `accepted` (the platform took it), `sent`,
    /// `delivered`, `read`, `failed`, or `sandbox`; `null` on messages
    /// recorded before delivery was tracked.
    pub delivery_status: Option<String>,
    /// When the platform last reported on it.
    pub status_at: Option<DateTime<Utc>>,
    /// The platform's error code when delivery failed (e.g. `131047`).
    pub failure_code: Option<String>,
    /// The platform's reason when delivery failed.
    pub failure_reason: Option<String>,
    /// The approved template it went out as (outside the service window).
    pub template_name: Option<String>,
}

impl CrmStore {
    /// A lead's interactions, oldest first.
    pub async fn interactions_of(
        &self,
        tenant: &TenantId,
        id: &LeadId,
    ) -> Result<Vec<Interaction>, AppError> {
        let rows = sqlx::query(
            "SELECT id, lead_id, at, channel, direction, text, sentiment FROM interactions \
             WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter().map(interaction_from_row).collect()
    }

    /// Creates or replaces an answer; `false` (nothing written) when the
    /// id is taken by another client's answer or by a tenant-wide one (or
    /// a tenant-wide id by a client's): an answer never changes hands.
    pub async fn upsert_kb(&self, tenant: &TenantId, e: &KbEntry) -> Result<bool, AppError> {
        let n = sqlx::query(
            "INSERT INTO kb_entries (tenant_id, id, client_id, language, topic, keywords, answer, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, id) DO UPDATE SET \
             language = excluded.language, topic = excluded.topic, keywords = excluded.keywords, \
             answer = excluded.answer, updated_at = excluded.updated_at \
             WHERE COALESCE(kb_entries.client_id, '') = COALESCE(excluded.client_id, '')",
        )
        .bind(tenant.as_str().to_owned())
        .bind(e.id.clone())
        .bind(e.client_id.as_ref().map(|c| c.as_str().to_owned()))
        .bind(e.language.as_str())
        .bind(e.topic.clone())
        .bind(
            serde_json::to_string(&e.keywords)
                .map_err(|x| AppError::Internal(format!("encode kb keywords: {x}")))?,
        )
        .bind(e.answer.clone())
        .bind(now_ts())
        .execute(self.db().pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// The owner of an answer id: `Some(None)` for a tenant-wide answer,
    /// `None` when no answer has this id.
    pub async fn kb_owner(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<Option<ClientId>>, AppError> {
        let row = sqlx::query("SELECT client_id FROM kb_entries WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id.to_owned())
            .fetch_optional(self.db().pool())
            .await?;
        row.map(|r| {
            Ok(r.try_get::<Option<String>, _>("client_id")?
                .map(ClientId::from_trusted))
        })
        .transpose()
    }

    /// Answers by id: with `client`, that client's and the tenant-wide
    /// ones (what its leads may be told); without, the tenant-wide ones.
    pub async fn list_kb(
        &self,
        tenant: &TenantId,
        client: Option<&ClientId>,
    ) -> Result<Vec<KbEntry>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, language, topic, keywords, answer FROM kb_entries \
             WHERE tenant_id = $1 AND (client_id IS NULL OR client_id = $2) ORDER BY id",
        )
        .bind(tenant.as_str())
        .bind(client.map(|c| c.as_str().to_owned()))
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KbEntry {
                    id: r.try_get("id")?,
                    client_id: r
                        .try_get::<Option<String>, _>("client_id")?
                        .map(ClientId::from_trusted),
                    language: Language::parse(&r.try_get::<String, _>("language")?)?,
                    topic: r.try_get("topic")?,
                    keywords: serde_json::from_str(&r.try_get::<String, _>("keywords")?)
                        .unwrap_or_default(),
                    answer: r.try_get("answer")?,
                })
            })
            .collect()
    }

    /// Records a sent message and its outbound interaction together.
    pub async fn record_outbound(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
        msg: &OutboundMessage,
        interaction: &Interaction,
    ) -> Result<(), AppError> {
        interaction.validate()?;
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        sqlx::query(
            "INSERT INTO outbound_messages (tenant_id, id, lead_id, channel, text, sandbox, provider_message_id, at, \
             delivery_status, template_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant.as_str().to_owned())
        .bind(msg.id.clone())
        .bind(lead.as_str().to_owned())
        .bind(msg.channel.as_str())
        .bind(msg.text.clone())
        .bind(i32::from(msg.sandbox))
        .bind(msg.provider_message_id.clone())
        .bind(format_ts(msg.at))
        .bind(msg.delivery_status.clone())
        .bind(msg.template_name.clone())
        .execute(&mut *tx)
        .await?;
        insert_interaction(&mut tx, tenant, interaction, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn outbound_of(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
    ) -> Result<Vec<OutboundMessage>, AppError> {
        let rows = sqlx::query(
            "SELECT id, channel, text, sandbox, provider_message_id, at, delivery_status, status_at, \
             failure_code, failure_reason, template_name FROM outbound_messages \
             WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id",
        )
        .bind(tenant.as_str())
        .bind(lead.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboundMessage {
                    id: r.try_get("id")?,
                    channel: ContactChannel::parse(&r.try_get::<String, _>("channel")?)?,
                    text: r.try_get("text")?,
                    sandbox: r.try_get::<i64, _>("sandbox")? != 0,
                    provider_message_id: r.try_get("provider_message_id")?,
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                    delivery_status: r.try_get("delivery_status")?,
                    status_at: r
                        .try_get::<Option<String>, _>("status_at")?
                        .map(|t| parse_ts("status_at", &t))
                        .transpose()?,
                    failure_code: r.try_get("failure_code")?,
                    failure_reason: r.try_get("failure_reason")?,
                    template_name: r.try_get("template_name")?,
                })
            })
            .collect()
    }

    /// Adds one interaction (its lead must exist).
    pub async fn add_interaction(
        &self,
        tenant: &TenantId,
        i: &Interaction,
    ) -> Result<bool, AppError> {
        i.validate()?;
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let n = insert_interaction(&mut tx, tenant, i, &now).await?;
        tx.commit().await?;
        Ok(n > 0)
    }
}

pub(super) async fn insert_interaction(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    i: &Interaction,
    now: &str,
) -> Result<u64, AppError> {
    // A NULL float bound through the Any driver can leave PostgreSQL with a
    // mistyped cached statement; a missing sentiment is a literal instead.
    let sql = if i.sentiment.is_some() {
        "INSERT INTO interactions (tenant_id, id, lead_id, at, channel, direction, text, created_at, updated_at, sentiment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, id) DO NOTHING"
    } else {
        "INSERT INTO interactions (tenant_id, id, lead_id, at, channel, direction, text, created_at, updated_at, sentiment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL) ON CONFLICT (tenant_id, id) DO NOTHING"
    };
    let mut q = sqlx::query(sql)
        .bind(tenant.as_str().to_owned())
        .bind(i.id.as_str().to_owned())
        .bind(i.lead_id.as_str().to_owned())
        .bind(format_ts(i.at))
        .bind(i.channel.as_str())
        .bind(i.direction.as_str())
        .bind(i.text.clone())
        .bind(now.to_owned())
        .bind(now.to_owned());
    if let Some(s) = i.sentiment {
        q = q.bind(s);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}
