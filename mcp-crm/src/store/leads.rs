//! Leads as the server keeps them: the full record with encrypted
//! personal data, registration with blind-index dedupe per client, the
//! same person's leads across clients, profile updates, scores, sources
//! and the stage history.

use chrono::{DateTime, Utc};
use crm_read::rows::lead_from_row;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Country, Page, TenantId};
use promptsales_shared::sql::Sql;
use promptsales_shared::time::{format_ts, now_ts, parse_ts};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CrmStore, new_id};
use crate::domain::{Lead, LeadId, LeadStage, SellerId};

/// Filters of `search_leads`; every one that is set must match.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub stage: Option<LeadStage>,
    pub country: Option<Country>,
    pub channel: Option<Channel>,
    pub campaign_id: Option<String>,
    pub client_id: Option<ClientId>,
    pub seller_id: Option<SellerId>,
    /// Only leads scoring at least this much.
    pub min_score: Option<i32>,
    /// Only leads scoring at most this much.
    pub max_score: Option<i32>,
    /// Only leads created at or after this instant (RFC 3339 text).
    pub created_from: Option<String>,
    /// Only leads created before this instant (RFC 3339 text).
    pub created_to: Option<String>,
}

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

/// A lead of the same person (same email or phone blind index), of any
/// client.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct PersonLead {
    pub lead_id: LeadId,
    pub client_id: ClientId,
    /// `email` and/or `phone`: what they share.
    pub matched_on: Vec<String>,
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

impl CrmStore {
    pub async fn get_lead(&self, tenant: &TenantId, id: &LeadId) -> Result<Lead, AppError> {
        let row = sqlx::query(
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at \
             FROM leads WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("lead", id.as_str()))?;
        lead_from_row(&row)
    }

    /// Leads by id, keyset-paginated. The statement holds only the filters
    /// that are set, so each search walks the index that fits it.
    pub async fn search_leads(
        &self,
        tenant: &TenantId,
        filter: &LeadFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<Lead>, AppError> {
        let mut q = Sql::new(
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at FROM leads WHERE tenant_id = ",
        );
        q.text_arg(tenant.as_str());
        if let Some(v) = filter.stage {
            q.push(" AND stage = ").text_arg(v.as_str());
        }
        if let Some(v) = filter.country {
            q.push(" AND country = ").text_arg(v.as_str());
        }
        if let Some(v) = filter.channel {
            q.push(" AND channel = ").text_arg(v.as_str());
        }
        if let Some(v) = &filter.campaign_id {
            q.push(" AND campaign_id = ").text_arg(v.clone());
        }
        if let Some(v) = &filter.client_id {
            q.push(" AND client_id = ").text_arg(v.as_str());
        }
        if let Some(v) = &filter.seller_id {
            q.push(" AND seller_id = ").text_arg(v.as_str());
        }
        if let Some(v) = filter.min_score {
            q.push(" AND score >= ").int_arg(i64::from(v));
        }
        if let Some(v) = filter.max_score {
            q.push(" AND score <= ").int_arg(i64::from(v));
        }
        if let Some(v) = &filter.created_from {
            q.push(" AND created_at >= ").text_arg(v.clone());
        }
        if let Some(v) = &filter.created_to {
            q.push(" AND created_at < ").text_arg(v.clone());
        }
        if let Some(c) = cursor {
            q.push(" AND id > ").text_arg(c);
        }
        q.push(" ORDER BY id LIMIT ").int_arg(limit + 1);
        let rows = q.query().fetch_all(self.db.pool()).await?;
        let mut items = rows
            .iter()
            .map(lead_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|l| l.id.as_str().to_owned())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

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

    /// The lead of `client` holding one of these email or phone blind
    /// indexes (several while a key rotation is unfinished), email first.
    /// Another client's lead of the same person is not a match: each
    /// client keeps its own lead.
    pub async fn find_by_contact(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        email_hashes: &[String],
        phone_hashes: &[String],
    ) -> Result<Option<(LeadId, &'static str)>, AppError> {
        for (hashes, col, sql) in [
            (
                email_hashes,
                "email",
                "SELECT id FROM leads WHERE tenant_id = $1 AND client_id = $2 AND email_hash = $3",
            ),
            (
                phone_hashes,
                "phone",
                "SELECT id FROM leads WHERE tenant_id = $1 AND client_id = $2 AND phone_hash = $3",
            ),
        ] {
            for h in hashes {
                let id: Option<String> = sqlx::query_scalar(sql)
                    .bind(tenant.as_str())
                    .bind(client.as_str())
                    .bind(h.clone())
                    .fetch_optional(self.db().pool())
                    .await?;
                if let Some(id) = id {
                    return Ok(Some((LeadId::from_trusted(id), col)));
                }
            }
        }
        Ok(None)
    }

    /// Every lead of the tenant, whatever its client, holding one of these
    /// email or phone blind indexes: the same person's leads (GDPR), with
    /// what matched, by lead id.
    pub async fn leads_of_person(
        &self,
        tenant: &TenantId,
        email_hashes: &[String],
        phone_hashes: &[String],
    ) -> Result<Vec<PersonLead>, AppError> {
        let mut found: Vec<PersonLead> = Vec::new();
        for (hashes, col, sql) in [
            (
                email_hashes,
                "email",
                "SELECT id, client_id FROM leads WHERE tenant_id = $1 AND email_hash = $2",
            ),
            (
                phone_hashes,
                "phone",
                "SELECT id, client_id FROM leads WHERE tenant_id = $1 AND phone_hash = $2",
            ),
        ] {
            for h in hashes {
                let rows = sqlx::query(sql)
                    .bind(tenant.as_str())
                    .bind(h.clone())
                    .fetch_all(self.db().pool())
                    .await?;
                for r in &rows {
                    let id = LeadId::from_trusted(r.try_get("id")?);
                    match found.iter_mut().find(|p| p.lead_id == id) {
                        Some(p) => {
                            if !p.matched_on.iter().any(|m| m == col) {
                                p.matched_on.push(col.to_owned());
                            }
                        }
                        None => found.push(PersonLead {
                            lead_id: id,
                            client_id: ClientId::from_trusted(r.try_get("client_id")?),
                            matched_on: vec![col.to_owned()],
                        }),
                    }
                }
            }
        }
        found.sort_by(|a, b| a.lead_id.cmp(&b.lead_id));
        Ok(found)
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
    /// (never overwriting, and never taking a contact held by another lead
    /// of the same client).
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
                 (SELECT 1 FROM leads o WHERE o.tenant_id = $1 AND o.client_id = $5 AND o.email_hash = $4)",
            ),
            (
                &row.phone_enc,
                &row.phone_hash,
                "UPDATE leads SET phone_enc = $3, phone_hash = $4 WHERE tenant_id = $1 AND id = $2 \
                 AND phone_hash IS NULL AND erased_at IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM leads o WHERE o.tenant_id = $1 AND o.client_id = $5 AND o.phone_hash = $4)",
            ),
        ] {
            if let (Some(enc), Some(hash)) = (enc, hash) {
                sqlx::query(sql)
                    .bind(tenant.as_str().to_owned())
                    .bind(id.as_str().to_owned())
                    .bind(enc.clone())
                    .bind(hash.clone())
                    .bind(row.lead.client_id.as_str().to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Updates profile fields given as `Some` (contact details encrypted);
    /// a contact already held by another lead of the same client is a
    /// conflict (another client's lead of the same person is not).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_profile(
        &self,
        tenant: &TenantId,
        client: &ClientId,
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
                "SELECT id FROM leads WHERE tenant_id = $1 AND email_hash = $2 AND id <> $3 AND client_id = $4",
            ),
            (
                &phone_hash,
                "phone",
                "SELECT id FROM leads WHERE tenant_id = $1 AND phone_hash = $2 AND id <> $3 AND client_id = $4",
            ),
        ] {
            if let Some(h) = hash {
                let other: Option<String> = sqlx::query_scalar(sql)
                    .bind(tenant.as_str().to_owned())
                    .bind(h.clone())
                    .bind(id.as_str().to_owned())
                    .bind(client.as_str().to_owned())
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

    /// Lead counts and average score per stage, of one client or all.
    pub async fn pipeline(
        &self,
        tenant: &TenantId,
        client: Option<&ClientId>,
    ) -> Result<Vec<(LeadStage, i64, f64)>, AppError> {
        let rows = sqlx::query(
            "SELECT stage, CAST(COUNT(*) AS BIGINT) AS n, AVG(CAST(score AS DOUBLE PRECISION)) AS avg_score \
             FROM leads WHERE tenant_id = $1 AND ($2 IS NULL OR client_id = $2) GROUP BY stage",
        )
        .bind(tenant.as_str())
        .bind(client.map(|c| c.as_str().to_owned()))
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
