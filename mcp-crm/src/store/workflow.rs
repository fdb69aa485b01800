//! Repository of the CRM workflows: registration with blind-index dedupe,
//! stage history, the consent ledger, knowledge base, outbound messages,
//! seller loads, intent models and GDPR erasure.

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, Country, TenantId};
use promptsales_shared::time::{format_ts, now_ts, parse_ts};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CrmStore, lead_from_row};
use crate::domain::{
    ConsentKind, ContactChannel, Direction, Interaction, InteractionId, Lead, LeadId, LeadStage,
    Sale, Seller, SellerId,
};

/// Columns of [`LeadRecord`].
pub const RECORD_COLS: &str = "id, client_id, campaign_id, channel, country, city, stage, score, \
     seller_id, created_at, updated_at, name_enc, email_enc, phone_enc, email_hash, phone_hash, \
     company, product_interest, language, lost_reason, score_reasons, intent_probability, erased_at";

/// A lead with everything the CRM stores about it (personal data still
/// encrypted).
#[derive(Debug, Clone)]
pub struct LeadRecord {
    pub lead: Lead,
    pub updated_at: String,
    pub name_enc: Option<String>,
    pub email_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub email_hash: Option<String>,
    pub phone_hash: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub language: Option<String>,
    pub lost_reason: Option<String>,
    pub score_reasons: Option<String>,
    pub intent_probability: Option<f64>,
    pub erased_at: Option<String>,
}

pub fn record_from_row(r: &AnyRow) -> Result<LeadRecord, AppError> {
    Ok(LeadRecord {
        lead: lead_from_row(r)?,
        updated_at: r.try_get("updated_at")?,
        name_enc: r.try_get("name_enc")?,
        email_enc: r.try_get("email_enc")?,
        phone_enc: r.try_get("phone_enc")?,
        email_hash: r.try_get("email_hash")?,
        phone_hash: r.try_get("phone_hash")?,
        company: r.try_get("company")?,
        product_interest: r.try_get("product_interest")?,
        language: r.try_get("language")?,
        lost_reason: r.try_get("lost_reason")?,
        score_reasons: r.try_get("score_reasons")?,
        intent_probability: r.try_get("intent_probability")?,
        erased_at: r.try_get("erased_at")?,
    })
}

/// A new lead ready to insert (personal data already encrypted).
#[derive(Debug, Clone)]
pub struct NewLeadRow {
    pub lead: Lead,
    pub name_enc: Option<String>,
    pub email_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub email_hash: Option<String>,
    pub phone_hash: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub language: Option<String>,
    /// Reasons of the initial score (JSON).
    pub score_reasons: Option<String>,
}

/// One source a lead arrived from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LeadSource {
    pub channel: Channel,
    pub campaign_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// One stage change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct StageChange {
    pub from: Option<LeadStage>,
    pub to: LeadStage,
    pub reason: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The current ledger state of one contact on one channel.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Permission {
    /// `email` or `phone`: which contact detail this is about.
    pub contact: String,
    pub channel: ContactChannel,
    /// `granted`, `withdrawn`, or absent when never asked.
    pub consent: Option<String>,
    pub suppressed: bool,
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LedgerEvent {
    pub contact: String,
    pub channel: ContactChannel,
    pub kind: ConsentKind,
    pub source: String,
    pub at: DateTime<Utc>,
}

/// A knowledge-base answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KbEntry {
    pub id: String,
    /// `en` or `es`.
    pub language: String,
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
}

/// A seller with what assignment needs to know.
#[derive(Debug, Clone)]
pub struct SellerLoad {
    pub seller: Seller,
    pub countries: Vec<String>,
    pub open_leads: i64,
    pub last_assigned_at: Option<String>,
}

/// Per-seller activity figures.
#[derive(Debug, Clone, Default)]
pub struct SellerActivity {
    pub leads_held: i64,
    pub open_leads: i64,
    pub customers: i64,
    pub lost: i64,
    /// Sum and count of first-response delays, in minutes.
    pub response_minutes_sum: f64,
    pub responses: i64,
    /// Revenue per currency, in hundredths.
    pub revenue: Vec<(String, i64)>,
}

/// A lead whose follow-up is due, with its last contact times.
#[derive(Debug, Clone)]
pub struct ContactTimes {
    pub id: LeadId,
    pub stage: LeadStage,
    pub score: i32,
    pub seller_id: Option<SellerId>,
    pub last_in: Option<String>,
    pub last_out: Option<String>,
}

/// Features of a lead for the intent model, read in one pass.
#[derive(Debug, Clone)]
pub struct IntentRow {
    pub id: String,
    pub stage: LeadStage,
    pub score: i32,
    pub channel: Channel,
    pub has_company: bool,
    pub has_product: bool,
    pub has_seller: bool,
    pub inbound: i64,
    pub outbound: i64,
    pub avg_sentiment: f64,
    pub texts: String,
}

fn new_suffix() -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 8];
    // Without randomness, fall back to the clock: ids stay unique enough
    // for a retry and never panic.
    if SystemRandom::new().fill(&mut b).is_err() {
        let n = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        b = n.to_be_bytes();
    }
    hex::encode(b)
}

/// A fresh id with `prefix`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", new_suffix())
}

fn opt_ts(field: &str, v: Option<String>) -> Result<Option<DateTime<Utc>>, AppError> {
    v.map(|s| parse_ts(field, &s)).transpose()
}

impl CrmStore {
    /// The full record of a lead of this tenant.
    pub async fn lead_record(
        &self,
        tenant: &TenantId,
        id: &LeadId,
    ) -> Result<LeadRecord, AppError> {
        let row = sqlx::query(
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at, updated_at, name_enc, email_enc, phone_enc, email_hash, phone_hash, \
             company, product_interest, language, lost_reason, score_reasons, intent_probability, erased_at \
             FROM leads WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db().pool())
        .await?
        .ok_or_else(|| AppError::not_found("lead", id.as_str()))?;
        record_from_row(&row)
    }

    /// The lead holding this email or phone blind index, email first.
    pub async fn find_by_contact(
        &self,
        tenant: &TenantId,
        email_hash: Option<&str>,
        phone_hash: Option<&str>,
    ) -> Result<Option<(LeadId, &'static str)>, AppError> {
        for (hash, col, sql) in [
            (
                email_hash,
                "email",
                "SELECT id FROM leads WHERE tenant_id = $1 AND email_hash = $2",
            ),
            (
                phone_hash,
                "phone",
                "SELECT id FROM leads WHERE tenant_id = $1 AND phone_hash = $2",
            ),
        ] {
            let Some(h) = hash else { continue };
            let id: Option<String> = sqlx::query_scalar(sql)
                .bind(tenant.as_str())
                .bind(h.to_owned())
                .fetch_optional(self.db().pool())
                .await?;
            if let Some(id) = id {
                return Ok(Some((LeadId::from_trusted(id), col)));
            }
        }
        Ok(None)
    }

    /// Inserts a new lead with its first source and stage-history entry;
    /// `false` when its email or phone is already taken (someone registered
    /// the same person first), in which case nothing is written.
    pub async fn insert_new_lead(
        &self,
        tenant: &TenantId,
        row: &NewLeadRow,
        actor: &str,
    ) -> Result<bool, AppError> {
        let l = &row.lead;
        l.validate()?;
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO leads (tenant_id, id, client_id, campaign_id, channel, country, city, stage, \
             score, seller_id, name_enc, email_enc, phone_enc, email_hash, phone_hash, company, \
             product_interest, language, created_at, updated_at, score_reasons) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
             ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str().to_owned())
        .bind(l.id.as_str().to_owned())
        .bind(l.client_id.as_str().to_owned())
        .bind(l.campaign_id.clone())
        .bind(l.channel.as_str())
        .bind(l.country.as_str().to_owned())
        .bind(l.city.clone())
        .bind(l.stage.as_str())
        .bind(l.score)
        .bind(l.seller_id.as_ref().map(|s| s.as_str().to_owned()))
        .bind(row.name_enc.clone())
        .bind(row.email_enc.clone())
        .bind(row.phone_enc.clone())
        .bind(row.email_hash.clone())
        .bind(row.phone_hash.clone())
        .bind(row.company.clone())
        .bind(row.product_interest.clone())
        .bind(row.language.clone())
        .bind(format_ts(l.created_at))
        .bind(now.clone())
        .bind(row.score_reasons.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_source(
            &mut tx,
            tenant,
            &l.id,
            l.channel,
            l.campaign_id.as_deref(),
            &now,
        )
        .await?;
        insert_history(
            &mut tx,
            tenant,
            &l.id,
            None,
            l.stage,
            "registered",
            actor,
            &now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Merges a repeat registration into an existing lead: records the new
    /// source and fills contact details and profile fields the lead lacks
    /// (never overwriting, and never taking a contact held by another lead).
    pub async fn merge_into(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        row: &NewLeadRow,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        insert_source(
            &mut tx,
            tenant,
            id,
            row.lead.channel,
            row.lead.campaign_id.as_deref(),
            &now,
        )
        .await?;
        sqlx::query(
            "UPDATE leads SET name_enc = COALESCE(name_enc, $3), company = COALESCE(company, $4), \
             product_interest = COALESCE(product_interest, $5), language = COALESCE(language, $6), \
             city = COALESCE(city, $7), updated_at = $8 \
             WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL",
        )
        .bind(tenant.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(row.name_enc.clone())
        .bind(row.company.clone())
        .bind(row.product_interest.clone())
        .bind(row.language.clone())
        .bind(row.lead.city.clone())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?;
        for (enc, hash, sql) in [
            (
                &row.email_enc,
                &row.email_hash,
                "UPDATE leads SET email_enc = $3, email_hash = $4 WHERE tenant_id = $1 AND id = $2 \
                 AND email_hash IS NULL AND erased_at IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM leads o WHERE o.tenant_id = $1 AND o.email_hash = $4)",
            ),
            (
                &row.phone_enc,
                &row.phone_hash,
                "UPDATE leads SET phone_enc = $3, phone_hash = $4 WHERE tenant_id = $1 AND id = $2 \
                 AND phone_hash IS NULL AND erased_at IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM leads o WHERE o.tenant_id = $1 AND o.phone_hash = $4)",
            ),
        ] {
            if let (Some(enc), Some(hash)) = (enc, hash) {
                sqlx::query(sql)
                    .bind(tenant.as_str().to_owned())
                    .bind(id.as_str().to_owned())
                    .bind(enc.clone())
                    .bind(hash.clone())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Updates profile fields given as `Some` (contact details encrypted);
    /// a contact already held by another lead is a conflict.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_profile(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        name_enc: Option<String>,
        email: Option<(String, String)>,
        phone: Option<(String, String)>,
        company: Option<String>,
        product_interest: Option<String>,
        language: Option<String>,
        city: Option<String>,
        country: Option<Country>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let (email_enc, email_hash) = email.unzip();
        let (phone_enc, phone_hash) = phone.unzip();
        for (hash, what, sql) in [
            (
                &email_hash,
                "email",
                "SELECT id FROM leads WHERE tenant_id = $1 AND email_hash = $2 AND id <> $3",
            ),
            (
                &phone_hash,
                "phone",
                "SELECT id FROM leads WHERE tenant_id = $1 AND phone_hash = $2 AND id <> $3",
            ),
        ] {
            if let Some(h) = hash {
                let other: Option<String> = sqlx::query_scalar(sql)
                    .bind(tenant.as_str().to_owned())
                    .bind(h.clone())
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(other) = other {
                    return Err(AppError::Conflict(format!(
                        "{what} already belongs to lead `{other}`: update that lead instead"
                    )));
                }
            }
        }
        let n = sqlx::query(
            "UPDATE leads SET name_enc = COALESCE($3, name_enc), email_enc = COALESCE($4, email_enc), \
             email_hash = COALESCE($5, email_hash), phone_enc = COALESCE($6, phone_enc), \
             phone_hash = COALESCE($7, phone_hash), company = COALESCE($8, company), \
             product_interest = COALESCE($9, product_interest), language = COALESCE($10, language), \
             city = COALESCE($11, city), country = COALESCE($12, country), updated_at = $13 \
             WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL",
        )
        .bind(tenant.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(name_enc)
        .bind(email_enc)
        .bind(email_hash)
        .bind(phone_enc)
        .bind(phone_hash)
        .bind(company)
        .bind(product_interest)
        .bind(language)
        .bind(city)
        .bind(country.map(|c| c.as_str().to_owned()))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if promptsales_shared::db::is_unique_violation(&e) {
                AppError::Conflict("email or phone already belongs to another lead".into())
            } else {
                AppError::from(e)
            }
        })?
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "lead `{id}` was erased (GDPR) and cannot be updated"
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves a lead from `from` to `to` and records why; a lead that moved
    /// meanwhile is a conflict, so concurrent moves never interleave.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_stage(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        from: LeadStage,
        to: LeadStage,
        reason: &str,
        actor: &str,
        lost_reason: Option<&str>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let n = sqlx::query(
            "UPDATE leads SET stage = $3, lost_reason = $4, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2 AND stage = $6",
        )
        .bind(tenant.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(to.as_str())
        .bind(lost_reason.map(str::to_owned))
        .bind(now.clone())
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "lead `{id}` is no longer in stage {from}: read it again and retry"
            )));
        }
        insert_history(&mut tx, tenant, id, Some(from), to, reason, actor, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn stage_history(
        &self,
        tenant: &TenantId,
        id: &LeadId,
    ) -> Result<Vec<StageChange>, AppError> {
        let rows = sqlx::query(
            "SELECT from_stage, to_stage, reason, actor, at FROM lead_stage_history \
             WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StageChange {
                    from: r
                        .try_get::<Option<String>, _>("from_stage")?
                        .map(|s| LeadStage::parse(&s))
                        .transpose()?,
                    to: LeadStage::parse(&r.try_get::<String, _>("to_stage")?)?,
                    reason: r.try_get("reason")?,
                    actor: r.try_get("actor")?,
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    pub async fn sources(
        &self,
        tenant: &TenantId,
        id: &LeadId,
    ) -> Result<Vec<LeadSource>, AppError> {
        let rows = sqlx::query(
            "SELECT channel, campaign_id, at FROM lead_sources \
             WHERE tenant_id = $1 AND lead_id = $2 ORDER BY at, id",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LeadSource {
                    channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    campaign_id: r.try_get("campaign_id")?,
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

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
        rows.iter()
            .map(|r| {
                Ok(Interaction {
                    id: InteractionId::from_trusted(r.try_get("id")?),
                    lead_id: LeadId::from_trusted(r.try_get("lead_id")?),
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                    channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    direction: Direction::parse(&r.try_get::<String, _>("direction")?)?,
                    text: r.try_get("text")?,
                    sentiment: r.try_get("sentiment")?,
                })
            })
            .collect()
    }

    /// Stores a lead's score and its reasons (JSON).
    pub async fn set_score(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        score: i32,
        reasons_json: &str,
    ) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE leads SET score = $3, score_reasons = $4, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(score)
        .bind(reasons_json.to_owned())
        .bind(now_ts())
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    pub async fn set_intent(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        probability: f64,
    ) -> Result<(), AppError> {
        sqlx::query("UPDATE leads SET intent_probability = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .bind(probability)
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    /// Appends a ledger entry and updates the contact's current state, in
    /// one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_ledger(
        &self,
        tenant: &TenantId,
        contact_hash: &str,
        channel: ContactChannel,
        kind: ConsentKind,
        source: &str,
        lead_id: Option<&LeadId>,
        at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let at = format_ts(at);
        let mut tx = self.db().pool().begin().await?;
        sqlx::query(
            "INSERT INTO consent_events (tenant_id, id, contact_hash, channel, kind, source, lead_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant.as_str().to_owned())
        .bind(new_id("cev_"))
        .bind(contact_hash.to_owned())
        .bind(channel.as_str())
        .bind(kind.as_str())
        .bind(source.to_owned())
        .bind(lead_id.map(|l| l.as_str().to_owned()))
        .bind(at.clone())
        .execute(&mut *tx)
        .await?;
        let (consent, suppressed): (Option<&str>, Option<i32>) = match kind {
            ConsentKind::ConsentGranted => (Some("granted"), None),
            ConsentKind::ConsentWithdrawn => (Some("withdrawn"), None),
            ConsentKind::Suppressed => (None, Some(1)),
            ConsentKind::Unsuppressed => (None, Some(0)),
        };
        sqlx::query(
            "INSERT INTO contact_permissions (tenant_id, contact_hash, channel, consent, suppressed, source, updated_at) \
             VALUES ($1, $2, $3, $4, COALESCE($5, 0), $6, $7) \
             ON CONFLICT (tenant_id, contact_hash, channel) DO UPDATE SET \
             consent = COALESCE(excluded.consent, contact_permissions.consent), \
             suppressed = COALESCE($5, contact_permissions.suppressed), \
             source = excluded.source, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str().to_owned())
        .bind(contact_hash.to_owned())
        .bind(channel.as_str())
        .bind(consent)
        .bind(suppressed)
        .bind(source.to_owned())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Current ledger state of the given contacts (`(label, hash)` pairs).
    pub async fn permissions(
        &self,
        tenant: &TenantId,
        contacts: &[(&str, &str)],
    ) -> Result<Vec<Permission>, AppError> {
        let mut out = Vec::new();
        for (label, hash) in contacts {
            let rows = sqlx::query(
                "SELECT channel, consent, suppressed, source, updated_at FROM contact_permissions \
                 WHERE tenant_id = $1 AND contact_hash = $2 ORDER BY channel",
            )
            .bind(tenant.as_str())
            .bind((*hash).to_owned())
            .fetch_all(self.db().pool())
            .await?;
            for r in &rows {
                out.push(Permission {
                    contact: (*label).to_owned(),
                    channel: ContactChannel::parse(&r.try_get::<String, _>("channel")?)?,
                    consent: r.try_get("consent")?,
                    suppressed: r.try_get::<i64, _>("suppressed")? != 0,
                    source: r.try_get("source")?,
                    updated_at: parse_ts("updated_at", &r.try_get::<String, _>("updated_at")?)?,
                });
            }
        }
        Ok(out)
    }

    /// Ledger history of the given contacts, oldest first.
    pub async fn ledger_events(
        &self,
        tenant: &TenantId,
        contacts: &[(&str, &str)],
    ) -> Result<Vec<LedgerEvent>, AppError> {
        let mut out = Vec::new();
        for (label, hash) in contacts {
            let rows = sqlx::query(
                "SELECT channel, kind, source, at FROM consent_events \
                 WHERE tenant_id = $1 AND contact_hash = $2 ORDER BY at, id",
            )
            .bind(tenant.as_str())
            .bind((*hash).to_owned())
            .fetch_all(self.db().pool())
            .await?;
            for r in &rows {
                out.push(LedgerEvent {
                    contact: (*label).to_owned(),
                    channel: ContactChannel::parse(&r.try_get::<String, _>("channel")?)?,
                    kind: ConsentKind::parse(&r.try_get::<String, _>("kind")?)?,
                    source: r.try_get("source")?,
                    at: parse_ts("at", &r.try_get::<String, _>("at")?)?,
                });
            }
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    pub async fn upsert_kb(&self, tenant: &TenantId, e: &KbEntry) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO kb_entries (tenant_id, id, language, topic, keywords, answer, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, id) DO UPDATE SET \
             language = excluded.language, topic = excluded.topic, keywords = excluded.keywords, \
             answer = excluded.answer, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str().to_owned())
        .bind(e.id.clone())
        .bind(e.language.clone())
        .bind(e.topic.clone())
        .bind(serde_json::to_string(&e.keywords).map_err(|x| AppError::Internal(x.to_string()))?)
        .bind(e.answer.clone())
        .bind(now_ts())
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    pub async fn list_kb(&self, tenant: &TenantId) -> Result<Vec<KbEntry>, AppError> {
        let rows = sqlx::query(
            "SELECT id, language, topic, keywords, answer FROM kb_entries WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KbEntry {
                    id: r.try_get("id")?,
                    language: r.try_get("language")?,
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
            "INSERT INTO outbound_messages (tenant_id, id, lead_id, channel, text, sandbox, provider_message_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant.as_str().to_owned())
        .bind(msg.id.clone())
        .bind(lead.as_str().to_owned())
        .bind(msg.channel.as_str())
        .bind(msg.text.clone())
        .bind(i32::from(msg.sandbox))
        .bind(msg.provider_message_id.clone())
        .bind(format_ts(msg.at))
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
            "SELECT id, channel, text, sandbox, provider_message_id, at FROM outbound_messages \
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

    /// Sellers with their countries, open-lead load and last assignment.
    pub async fn seller_loads(&self, tenant: &TenantId) -> Result<Vec<SellerLoad>, AppError> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.active, s.capacity, s.countries, s.last_assigned_at, \
             (SELECT COUNT(*) FROM leads l WHERE l.tenant_id = s.tenant_id AND l.seller_id = s.id \
              AND l.stage IN ('iql', 'mql', 'sql')) AS open_leads \
             FROM sellers s WHERE s.tenant_id = $1 ORDER BY s.id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SellerLoad {
                    seller: Seller {
                        id: SellerId::from_trusted(r.try_get("id")?),
                        name: r.try_get("name")?,
                        active: r.try_get::<i64, _>("active")? != 0,
                        capacity: r.try_get("capacity")?,
                    },
                    countries: r
                        .try_get::<Option<String>, _>("countries")?
                        .and_then(|c| serde_json::from_str(&c).ok())
                        .unwrap_or_default(),
                    open_leads: r.try_get("open_leads")?,
                    last_assigned_at: r.try_get("last_assigned_at")?,
                })
            })
            .collect()
    }

    /// Creates or updates a seller with the countries they cover.
    pub async fn save_seller(
        &self,
        tenant: &TenantId,
        seller: &Seller,
        countries: &[Country],
    ) -> Result<(), AppError> {
        self.upsert_sellers(tenant, std::slice::from_ref(seller))
            .await?;
        sqlx::query("UPDATE sellers SET countries = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str().to_owned())
            .bind(seller.id.as_str().to_owned())
            .bind(promptsales_shared::db::json_list(countries))
            .execute(self.db().pool())
            .await?;
        Ok(())
    }

    /// Assigns a lead to a seller and stamps the seller's last assignment.
    pub async fn assign(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
        seller: &SellerId,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        sqlx::query(
            "UPDATE leads SET seller_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str().to_owned())
        .bind(lead.as_str().to_owned())
        .bind(seller.as_str().to_owned())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE sellers SET last_assigned_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str().to_owned())
            .bind(seller.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Activity of every seller: leads, outcomes, first-response delays
    /// and revenue per currency.
    pub async fn seller_activity(
        &self,
        tenant: &TenantId,
    ) -> Result<std::collections::HashMap<String, SellerActivity>, AppError> {
        let mut out: std::collections::HashMap<String, SellerActivity> = Default::default();
        let rows = sqlx::query(
            "SELECT seller_id, stage, CAST(COUNT(*) AS BIGINT) AS n FROM leads \
             WHERE tenant_id = $1 AND seller_id IS NOT NULL GROUP BY seller_id, stage",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let a = out.entry(r.try_get("seller_id")?).or_default();
            let n: i64 = r.try_get("n")?;
            a.leads_held += n;
            match LeadStage::parse(&r.try_get::<String, _>("stage")?)? {
                LeadStage::Customer => a.customers += n,
                LeadStage::Lost => a.lost += n,
                _ => a.open_leads += n,
            }
        }
        let rows = sqlx::query(
            "SELECT l.seller_id, l.created_at, \
             (SELECT MIN(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS first_in, \
             (SELECT MIN(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS first_out \
             FROM leads l WHERE l.tenant_id = $1 AND l.seller_id IS NOT NULL",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let Some(out_at) = opt_ts("first_out", r.try_get("first_out")?)? else {
                continue;
            };
            let start = match opt_ts("first_in", r.try_get("first_in")?)? {
                Some(i) if i <= out_at => i,
                _ => parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
            };
            let a = out.entry(r.try_get("seller_id")?).or_default();
            a.response_minutes_sum += (out_at - start).num_seconds().max(0) as f64 / 60.0;
            a.responses += 1;
        }
        let rows = sqlx::query(
            "SELECT l.seller_id, s.currency, CAST(SUM(s.amount_cents) AS BIGINT) AS amount FROM sales s \
             JOIN leads l ON l.tenant_id = s.tenant_id AND l.id = s.lead_id \
             WHERE s.tenant_id = $1 AND l.seller_id IS NOT NULL GROUP BY l.seller_id, s.currency",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        for r in &rows {
            let a = out.entry(r.try_get("seller_id")?).or_default();
            a.revenue
                .push((r.try_get("currency")?, r.try_get("amount")?));
        }
        Ok(out)
    }

    /// Open leads with their last inbound and outbound contact times, for
    /// the follow-up alerts: those with an inbound message newer than any
    /// reply, or scoring at least `hot_score`.
    pub async fn contact_times(
        &self,
        tenant: &TenantId,
        hot_score: i32,
        limit: i64,
    ) -> Result<Vec<ContactTimes>, AppError> {
        let rows = sqlx::query(
            "SELECT id, stage, score, seller_id, last_in, last_out FROM ( \
               SELECT l.id, l.stage, l.score, l.seller_id, \
               (SELECT MAX(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS last_in, \
               (SELECT MAX(i.at) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS last_out \
               FROM leads l WHERE l.tenant_id = $1 AND l.stage IN ('iql', 'mql', 'sql') AND l.erased_at IS NULL) t \
             WHERE (last_in IS NOT NULL AND (last_out IS NULL OR last_out < last_in)) OR score >= $2 \
             ORDER BY score DESC, id LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(hot_score)
        .bind(limit)
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ContactTimes {
                    id: LeadId::from_trusted(r.try_get("id")?),
                    stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
                    score: r.try_get("score")?,
                    seller_id: r
                        .try_get::<Option<String>, _>("seller_id")?
                        .map(SellerId::from_trusted),
                    last_in: r.try_get("last_in")?,
                    last_out: r.try_get("last_out")?,
                })
            })
            .collect()
    }

    /// Training rows for the intent model: the tenant's most recent leads
    /// (at most `limit`) with their interaction aggregates.
    pub async fn intent_rows(
        &self,
        tenant: &TenantId,
        only: Option<&LeadId>,
        limit: i64,
    ) -> Result<Vec<IntentRow>, AppError> {
        let mut q = crate::sql::Sql::new(
            "SELECT l.id, l.stage, l.score, l.channel, l.company, l.product_interest, l.seller_id, \
             (SELECT COUNT(*) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS inbound, \
             (SELECT COUNT(*) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'out') AS outbound, \
             (SELECT AVG(i.sentiment) FROM interactions i WHERE i.tenant_id = l.tenant_id AND i.lead_id = l.id AND i.direction = 'in') AS sentiment \
             FROM leads l WHERE l.tenant_id = ",
        );
        q.text_arg(tenant.as_str());
        if let Some(l) = only {
            q.push(" AND l.id = ").text_arg(l.as_str());
        }
        q.push(" ORDER BY l.created_at DESC, l.id LIMIT ")
            .int_arg(limit);
        let rows = q.query().fetch_all(self.db().pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            out.push(IntentRow {
                stage: LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
                score: r.try_get("score")?,
                channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
                has_company: r.try_get::<Option<String>, _>("company")?.is_some(),
                has_product: r
                    .try_get::<Option<String>, _>("product_interest")?
                    .is_some(),
                has_seller: r.try_get::<Option<String>, _>("seller_id")?.is_some(),
                inbound: r.try_get("inbound")?,
                outbound: r.try_get("outbound")?,
                avg_sentiment: r.try_get::<Option<f64>, _>("sentiment")?.unwrap_or(0.0),
                texts: String::new(),
                id,
            });
        }
        // Inbound texts (for keyword features) in one query per batch of
        // leads would need an IN list; a single ordered scan is cheaper.
        // One lead: an index seek; training: one scan of inbound texts.
        let texts = match only {
            Some(l) => {
                sqlx::query(
                    "SELECT lead_id, text FROM interactions WHERE tenant_id = $1 AND lead_id = $2 \
                     AND direction = 'in'",
                )
                .bind(tenant.as_str())
                .bind(l.as_str().to_owned())
                .fetch_all(self.db().pool())
                .await?
            }
            None => sqlx::query(
                "SELECT lead_id, text FROM interactions WHERE tenant_id = $1 AND direction = 'in'",
            )
            .bind(tenant.as_str())
            .fetch_all(self.db().pool())
            .await?,
        };
        let mut by_id: std::collections::HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        for r in &texts {
            let lead: String = r.try_get("lead_id")?;
            if let Some(i) = by_id.get_mut(&lead) {
                let t: String = r.try_get("text")?;
                out[*i].texts.push_str(&t);
                out[*i].texts.push('\n');
            }
        }
        Ok(out)
    }

    pub async fn lead_count(&self, tenant: &TenantId) -> Result<i64, AppError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_one(self.db().pool())
                .await?,
        )
    }

    pub async fn save_model(&self, tenant: &TenantId, model_json: &str) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO intent_models (tenant_id, trained_at, model) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET trained_at = excluded.trained_at, model = excluded.model",
        )
        .bind(tenant.as_str().to_owned())
        .bind(now_ts())
        .bind(model_json.to_owned())
        .execute(self.db().pool())
        .await?;
        Ok(())
    }

    pub async fn load_model(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<(DateTime<Utc>, String)>, AppError> {
        let row = sqlx::query("SELECT trained_at, model FROM intent_models WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(self.db().pool())
            .await?;
        row.map(|r| {
            Ok((
                parse_ts("trained_at", &r.try_get::<String, _>("trained_at")?)?,
                r.try_get("model")?,
            ))
        })
        .transpose()
    }

    /// Lead counts and average score per stage.
    pub async fn pipeline(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<(LeadStage, i64, f64)>, AppError> {
        let rows = sqlx::query(
            "SELECT stage, CAST(COUNT(*) AS BIGINT) AS n, AVG(CAST(score AS DOUBLE PRECISION)) AS avg_score \
             FROM leads WHERE tenant_id = $1 GROUP BY stage",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    LeadStage::parse(&r.try_get::<String, _>("stage")?)?,
                    r.try_get("n")?,
                    r.try_get::<Option<f64>, _>("avg_score")?.unwrap_or(0.0),
                ))
            })
            .collect()
    }

    /// Removes a lead's personal data, keeping anonymised facts (stage,
    /// score, country, channel, sales) so totals do not change: encrypted
    /// contact details and their blind indexes, city, company, free texts
    /// of interactions and messages. The ledger keeps its suppressions
    /// (keyed by blind index) so an opted-out person stays opted out.
    pub async fn erase_lead(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        actor: &str,
    ) -> Result<bool, AppError> {
        let now = now_ts();
        let mut tx = self.db().pool().begin().await?;
        let n = sqlx::query(
            "UPDATE leads SET name_enc = NULL, email_enc = NULL, phone_enc = NULL, email_hash = NULL, \
             phone_hash = NULL, city = NULL, company = NULL, product_interest = NULL, \
             lost_reason = NULL, score_reasons = NULL, erased_at = $3, updated_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL",
        )
        .bind(tenant.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for sql in [
            "UPDATE interactions SET text = '[erased]', updated_at = $3 WHERE tenant_id = $1 AND lead_id = $2",
            "UPDATE outbound_messages SET text = '[erased]' WHERE tenant_id = $1 AND lead_id = $2 AND $3 IS NOT NULL",
            "UPDATE sales SET city = NULL, updated_at = $3 WHERE tenant_id = $1 AND lead_id = $2 AND city IS NOT NULL",
            "UPDATE lead_stage_history SET reason = '[erased]' WHERE tenant_id = $1 AND lead_id = $2 AND $3 IS NOT NULL",
        ] {
            sqlx::query(sql)
                .bind(tenant.as_str().to_owned())
                .bind(id.as_str().to_owned())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO gdpr_erasures (tenant_id, lead_id, actor, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(actor.to_owned())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A lead's sales, oldest first.
    pub async fn sales_of_lead(
        &self,
        tenant: &TenantId,
        lead: &LeadId,
    ) -> Result<Vec<Sale>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, lead_id, campaign_id, product_id, channel, country, city, \
             amount_cents, currency, closed_at FROM sales WHERE tenant_id = $1 AND lead_id = $2 \
             ORDER BY closed_at, id",
        )
        .bind(tenant.as_str())
        .bind(lead.as_str())
        .fetch_all(self.db().pool())
        .await?;
        rows.iter().map(super::sale_from_row).collect()
    }
}

async fn insert_source(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    lead: &LeadId,
    channel: Channel,
    campaign: Option<&str>,
    now: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO lead_sources (tenant_id, id, lead_id, channel, campaign_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.as_str().to_owned())
    .bind(new_id("src_"))
    .bind(lead.as_str().to_owned())
    .bind(channel.as_str())
    .bind(campaign.map(str::to_owned))
    .bind(now.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    lead: &LeadId,
    from: Option<LeadStage>,
    to: LeadStage,
    reason: &str,
    actor: &str,
    now: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO lead_stage_history (tenant_id, id, lead_id, from_stage, to_stage, reason, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant.as_str().to_owned())
    .bind(new_id("stg_"))
    .bind(lead.as_str().to_owned())
    .bind(from.map(|f| f.as_str()))
    .bind(to.as_str())
    .bind(reason.to_owned())
    .bind(actor.to_owned())
    .bind(now.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_interaction(
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
