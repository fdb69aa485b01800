//! Leads through the funnel: registration with dedupe, profile updates,
//! the 360° view, search, stage moves and scoring.

use chrono::Utc;
use promptsales_shared::AppError;
use promptsales_shared::domain::{
    Channel, ClientId, Country, Page, TenantId, page_limit, validate_id,
};
use promptsales_shared::time::{format_ts, parse_ts};
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, contacts, json, rank_stage, short_text};
use crate::crypto::Field;
use crate::domain::scoring::{self, Language, MessageFacts, ScoreInput, ScoreReason};
use crate::domain::{
    Interaction, Lead, LeadId, LeadStage, Sale, SellerId, normalise_email, normalise_phone,
};
use crate::store::{
    AssignmentRecord, LeadFilter, LeadSource, NewLeadRow, Permission, StageChange, new_id,
};
use promptsales_catalog::LimitKind;

/// `search_leads` arguments; every one is optional, and the open ones
/// (ids, country, dates) are checked by [`CrmService::search_leads`].
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub stage: Option<LeadStage>,
    pub country: Option<String>,
    pub channel: Option<Channel>,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub seller_id: Option<String>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// `register_lead` arguments.
#[derive(Debug, Clone)]
pub struct NewLead {
    pub client_id: String,
    pub channel: Channel,
    pub country: String,
    pub city: Option<String>,
    pub campaign_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub language: Option<Language>,
}

/// `update_lead` arguments: only fields given change.
#[derive(Debug, Clone, Default)]
pub struct LeadUpdate {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub language: Option<Language>,
    pub city: Option<String>,
    pub country: Option<String>,
}

/// A lead with its decrypted contact details and profile.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LeadProfile {
    #[serde(flatten)]
    pub lead: Lead,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    /// `en` or `es`, when known.
    pub language: Option<String>,
    pub lost_reason: Option<String>,
    /// Last predicted probability of becoming a customer.
    pub intent_probability: Option<f64>,
    /// True once personal data was erased (GDPR).
    pub erased: bool,
}

/// What `register_lead` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Registration {
    /// True when a new lead was created.
    pub created: bool,
    /// The existing lead this registration was merged into, if a repeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<LeadId>,
    /// `email` or `phone`: what identified the repeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_on: Option<String>,
    pub lead: LeadProfile,
}

/// A score with its explanation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoreCard {
    pub lead_id: LeadId,
    /// 0-100.
    pub score: i32,
    pub reasons: Vec<ScoreReason>,
    /// The stage after scoring.
    pub stage: LeadStage,
    /// Set when this scoring moved the lead (IQL → MQL at 40, → SQL at 70).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoted_to: Option<LeadStage>,
}

/// The 360° view of a lead.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Lead360 {
    pub profile: LeadProfile,
    pub score: ScoreCard,
    pub sources: Vec<LeadSource>,
    pub stage_history: Vec<StageChange>,
    pub interactions: Vec<Interaction>,
    pub sales: Vec<Sale>,
    pub contact_permissions: Vec<Permission>,
    /// Every assignment to a seller, with any capacity override.
    pub assignments: Vec<AssignmentRecord>,
}

impl CrmService {
    /// Registers a person as a lead of the client, or merges the
    /// registration into the client's lead that already has their email or
    /// phone (concurrent repeats included: the unique blind indexes per
    /// client decide, and the loser merges). The same person registering
    /// for another client is a new lead of that client. A new lead counts
    /// against the client's `leads_stored` limit; a merge is free.
    pub async fn register_lead(
        &self,
        tenant: &TenantId,
        actor: &str,
        input: NewLead,
    ) -> Result<Registration, AppError> {
        self.register(tenant, actor, input, true).await
    }

    /// [`CrmService::register_lead`]; `enforce_plan` false for a person
    /// who wrote to us in a verified message (the message must not be
    /// lost to a full plan; the lead still counts).
    pub(super) async fn register(
        &self,
        tenant: &TenantId,
        actor: &str,
        input: NewLead,
        enforce_plan: bool,
    ) -> Result<Registration, AppError> {
        let client_id = ClientId::parse(&input.client_id)?;
        let channel = input.channel;
        let country = Country::parse(&input.country)?;
        let email = input
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(normalise_email)
            .transpose()?;
        let phone = input
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(|p| normalise_phone(p, country))
            .transpose()?;
        if email.is_none() && phone.is_none() {
            return Err(AppError::invalid(
                "email",
                "an email or a phone (at least one identifies the person)",
                "",
            ));
        }
        let name = short_text("name", input.name)?;
        let lead = Lead {
            id: LeadId::from_trusted(new_id(LeadId::PREFIX)),
            client_id,
            campaign_id: input
                .campaign_id
                .as_deref()
                .map(|c| validate_id("campaign_id", c))
                .transpose()?,
            channel,
            country,
            city: short_text("city", input.city)?,
            stage: LeadStage::Iql,
            score: 0,
            seller_id: None,
            created_at: Utc::now(),
        };
        lead.validate()?;
        let company = short_text("company", input.company)?;
        let product_interest = short_text("product_interest", input.product_interest)?;
        // A new lead has no messages yet: its score is its fit, which stays
        // below the MQL threshold, so no promotion can be due.
        let (score, reasons) = scoring::score(&ScoreInput {
            country,
            company: company.clone(),
            product_interest: product_interest.clone(),
            messages: Vec::new(),
            now: Utc::now(),
        });
        let mut lead = lead;
        lead.score = score;
        let t = tenant.as_str();
        let email_hash = email
            .as_ref()
            .map(|e| self.crypto.blind_index(t, "email", e));
        let phone_hash = phone
            .as_ref()
            .map(|p| self.crypto.blind_index(t, "phone", p));
        let id = lead.id.clone();
        let mut row = NewLeadRow {
            name_enc: self.seal(tenant, &id, "name_enc", name.as_deref())?,
            email_enc: self.seal(tenant, &id, "email_enc", email.as_deref())?,
            phone_enc: self.seal(tenant, &id, "phone_enc", phone.as_deref())?,
            email_hash: email_hash.clone(),
            phone_hash: phone_hash.clone(),
            company,
            product_interest,
            language: input.language.map(|l| l.as_str().to_owned()),
            score_reasons: Some(json(&reasons)?),
            lead,
        };
        // Every blind index the person may be stored under: the current
        // key's, then (while a key rotation is unfinished) the previous
        // key's, which rows not yet rotated still carry.
        let candidates = |kind: &str, v: &Option<String>, current: &Option<String>| {
            let mut all: Vec<String> = current.iter().cloned().collect();
            if let Some(v) = v {
                all.extend(self.crypto.previous_blind_indexes(t, kind, v));
            }
            all
        };
        let emails = candidates("email", &email, &email_hash);
        let phones = candidates("phone", &phone, &phone_hash);
        // Beyond the plan's leads, only a repeat (a merge) goes through.
        let quota = if enforce_plan {
            match self
                .check_quota(tenant, &row.lead.client_id, LimitKind::LeadsStored, None)
                .await
            {
                Ok(()) => None,
                Err(e @ AppError::Quota(_)) => Some(e),
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        // Insert-or-find: the unique blind indexes decide who is first (also
        // across processes); a conflicting insert writes nothing, and the
        // person is then found and merged. Most registrations are new
        // people, so trying the insert first saves two look-ups (unless a
        // rotation is unfinished: the unique index cannot see old indexes,
        // or the plan is full: only a merge may go through).
        for attempt in 0..3 {
            let look_first = attempt == 0 && (self.crypto.has_previous() || quota.is_some());
            if !look_first && self.store.insert_new_lead(tenant, &row, actor).await? {
                return Ok(Registration {
                    created: true,
                    duplicate_of: None,
                    matched_on: None,
                    lead: LeadProfile {
                        lead: row.lead.clone(),
                        name: name.clone(),
                        email: email.clone(),
                        phone: phone.clone(),
                        company: row.company.clone(),
                        product_interest: row.product_interest.clone(),
                        language: row.language.clone(),
                        lost_reason: None,
                        intent_probability: None,
                        erased: false,
                    },
                });
            }
            let client = row.lead.client_id.clone();
            if let Some((existing, matched)) = self
                .store
                .find_by_contact(tenant, &client, &emails, &phones)
                .await?
            {
                // The details fill the existing row: seal them for it.
                row.name_enc = self.seal(tenant, &existing, "name_enc", name.as_deref())?;
                row.email_enc = self.seal(tenant, &existing, "email_enc", email.as_deref())?;
                row.phone_enc = self.seal(tenant, &existing, "phone_enc", phone.as_deref())?;
                self.store.merge_into(tenant, &existing, &row).await?;
                let rec = self.store.lead_record(tenant, &existing).await?;
                return Ok(Registration {
                    created: false,
                    duplicate_of: Some(existing),
                    matched_on: Some(matched.into()),
                    lead: self.profile(tenant, &rec)?,
                });
            }
            if let Some(refusal) = quota {
                return Err(refusal);
            }
            // The holder was erased or changed between the two steps: retry.
        }
        Err(AppError::Unavailable(
            "register_lead: the lead kept changing concurrently; retry".into(),
        ))
    }

    pub async fn update_lead(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        u: LeadUpdate,
    ) -> Result<LeadProfile, AppError> {
        let rec = self.record(tenant, id).await?;
        let id = rec.lead.id.clone();
        let country = u.country.as_deref().map(Country::parse).transpose()?;
        let t = tenant.as_str();
        let email = u
            .email
            .as_deref()
            .map(normalise_email)
            .transpose()?
            .map(|e| -> Result<_, AppError> {
                Ok((
                    self.crypto
                        .encrypt(Field::lead(t, id.as_str(), "email_enc"), &e)?,
                    self.crypto.blind_index(t, "email", &e),
                ))
            })
            .transpose()?;
        let phone = u
            .phone
            .as_deref()
            .map(|p| normalise_phone(p, country.unwrap_or(rec.lead.country)))
            .transpose()?
            .map(|p| -> Result<_, AppError> {
                Ok((
                    self.crypto
                        .encrypt(Field::lead(t, id.as_str(), "phone_enc"), &p)?,
                    self.crypto.blind_index(t, "phone", &p),
                ))
            })
            .transpose()?;
        let name = short_text("name", u.name)?;
        self.store
            .update_profile(
                tenant,
                &rec.lead.client_id,
                &id,
                self.seal(tenant, &id, "name_enc", name.as_deref())?,
                email,
                phone,
                short_text("company", u.company)?,
                short_text("product_interest", u.product_interest)?,
                u.language.map(|l| l.as_str().to_owned()),
                short_text("city", u.city)?,
                country,
            )
            .await?;
        self.rescore(tenant, &id, actor).await?;
        let rec = self.store.lead_record(tenant, &id).await?;
        self.profile(tenant, &rec)
    }

    /// The 360° view: profile, score with reasons, sources, stage history,
    /// interactions, sales and the ledger state of the contacts.
    pub async fn get_lead(&self, tenant: &TenantId, id: &str) -> Result<Lead360, AppError> {
        let rec = self.record(tenant, id).await?;
        let id = rec.lead.id.clone();
        let reasons: Vec<ScoreReason> = rec
            .score_reasons
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        Ok(Lead360 {
            score: ScoreCard {
                lead_id: id.clone(),
                score: rec.lead.score,
                reasons,
                stage: rec.lead.stage,
                promoted_to: None,
            },
            sources: self.store.sources(tenant, &id).await?,
            stage_history: self.store.stage_history(tenant, &id).await?,
            interactions: self.store.interactions_of(tenant, &id).await?,
            sales: self.sales_of(tenant, &id).await?,
            contact_permissions: self.store.permissions(tenant, &contacts(&rec)).await?,
            assignments: self.store.assignments_of(tenant, &id).await?,
            profile: self.profile(tenant, &rec)?,
        })
    }

    pub(super) async fn sales_of(
        &self,
        tenant: &TenantId,
        id: &LeadId,
    ) -> Result<Vec<Sale>, AppError> {
        self.store.sales_of_lead(tenant, id).await
    }

    pub async fn search_leads(
        &self,
        tenant: &TenantId,
        query: &LeadQuery,
    ) -> Result<Page<Lead>, AppError> {
        let filter = lead_filter(query)?;
        let cursor = query
            .cursor
            .as_deref()
            .map(|c| {
                LeadId::parse(c).map_err(|_| {
                    AppError::invalid("cursor", "a cursor returned by a previous page", c)
                })
            })
            .transpose()?;
        self.store
            .search_leads(
                tenant,
                &filter,
                cursor.as_ref().map(|c| c.as_str()),
                page_limit(query.limit)?,
            )
            .await
    }

    /// Moves a lead forward in the funnel (iql → mql → sql → customer; a
    /// lost lead may be reopened to an open stage). `lost` is `mark_lost`'s.
    pub async fn advance_stage(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        to: LeadStage,
        reason: Option<String>,
    ) -> Result<Lead360, AppError> {
        let rec = self.record(tenant, id).await?;
        let from = rec.lead.stage;
        if to == LeadStage::Lost {
            return Err(AppError::invalid(
                "stage",
                "iql, mql, sql or customer (use mark_lost with a reason to lose a lead)",
                to.as_str(),
            ));
        }
        let ok = if from == LeadStage::Lost {
            to != LeadStage::Customer
        } else {
            rank_stage(to) > rank_stage(from)
        };
        if !ok {
            return Err(AppError::Conflict(format!(
                "lead `{}` cannot move from {from} to {to}: stages only move forward (iql → mql → sql → customer); a lost lead can be reopened to iql, mql or sql",
                rec.lead.id
            )));
        }
        let reason = short_text("reason", reason)?.unwrap_or_else(|| "moved by hand".into());
        self.store
            .change_stage(tenant, &rec.lead.id, from, to, &reason, actor, None)
            .await?;
        self.get_lead(tenant, rec.lead.id.as_str()).await
    }

    pub async fn mark_lost(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        reason: &str,
    ) -> Result<Lead360, AppError> {
        let rec = self.record(tenant, id).await?;
        let reason = short_text("reason", Some(reason.to_owned()))?
            .ok_or_else(|| AppError::invalid("reason", "why the lead was lost (required)", ""))?;
        if matches!(rec.lead.stage, LeadStage::Lost | LeadStage::Customer) {
            return Err(AppError::Conflict(format!(
                "lead `{}` is already {}",
                rec.lead.id, rec.lead.stage
            )));
        }
        self.store
            .change_stage(
                tenant,
                &rec.lead.id,
                rec.lead.stage,
                LeadStage::Lost,
                &reason,
                actor,
                Some(&reason),
            )
            .await?;
        self.get_lead(tenant, rec.lead.id.as_str()).await
    }

    pub async fn score_lead(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
    ) -> Result<ScoreCard, AppError> {
        let id = LeadId::parse(id)?;
        self.rescore(tenant, &id, actor).await
    }

    /// Recomputes the score, stores it with its reasons and promotes the
    /// stage when a threshold is crossed.
    pub(super) async fn rescore(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        actor: &str,
    ) -> Result<ScoreCard, AppError> {
        let rec = self.store.lead_record(tenant, id).await?;
        let messages = self
            .store
            .interactions_of(tenant, id)
            .await?
            .into_iter()
            .map(|i| MessageFacts {
                at: i.at,
                direction: i.direction,
                text: i.text,
                sentiment: i.sentiment,
            })
            .collect();
        let (score, reasons) = scoring::score(&ScoreInput {
            country: rec.lead.country,
            company: rec.company.clone(),
            product_interest: rec.product_interest.clone(),
            messages,
            now: Utc::now(),
        });
        self.store
            .set_score(tenant, id, score, &json(&reasons)?)
            .await?;
        let mut stage = rec.lead.stage;
        let target = scoring::qualified_stage(stage, score);
        let mut promoted = None;
        // One step at a time (iql → mql → sql), so the history shows each
        // threshold crossed.
        while let Some(to) = target.filter(|t| rank_stage(*t) > rank_stage(stage)) {
            let to = if stage == LeadStage::Iql {
                LeadStage::Mql
            } else {
                to
            };
            let threshold = if to == LeadStage::Sql {
                scoring::SQL_THRESHOLD
            } else {
                scoring::MQL_THRESHOLD
            };
            let why = format!("score {score} reached the {to} threshold ({threshold})");
            match self
                .store
                .change_stage(tenant, id, stage, to, &why, actor, None)
                .await
            {
                Ok(()) => {
                    stage = to;
                    promoted = Some(to);
                }
                // Moved concurrently: the other move stands.
                Err(AppError::Conflict(_)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(ScoreCard {
            lead_id: id.clone(),
            score,
            reasons,
            stage,
            promoted_to: promoted,
        })
    }

    /// Leads and average score per stage, of one client or all.
    pub async fn pipeline(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
    ) -> Result<serde_json::Value, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        let rows = self.store.pipeline(tenant, client.as_ref()).await?;
        let stages: Vec<serde_json::Value> = [
            LeadStage::Iql,
            LeadStage::Mql,
            LeadStage::Sql,
            LeadStage::Customer,
            LeadStage::Lost,
        ]
        .iter()
        .map(|s| {
            let (n, avg) = rows
                .iter()
                .find(|r| r.0 == *s)
                .map_or((0, 0.0), |r| (r.1, r.2));
            serde_json::json!({ "stage": s, "leads": n, "avg_score": (avg * 10.0).round() / 10.0 })
        })
        .collect();
        Ok(serde_json::json!({
            "client_id": client,
            "stages": stages,
            "thresholds": { "mql": scoring::MQL_THRESHOLD, "sql": scoring::SQL_THRESHOLD },
        }))
    }
}

/// Checks and types the filters of a lead search.
fn lead_filter(q: &LeadQuery) -> Result<LeadFilter, AppError> {
    for (field, v) in [("min_score", q.min_score), ("max_score", q.max_score)] {
        if let Some(s) = v
            && !Lead::SCORE_RANGE.contains(&s)
        {
            return Err(AppError::invalid(
                field,
                "a score from 0 to 100",
                s.to_string(),
            ));
        }
    }
    let bound = |field: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
        v.as_deref()
            .map(|s| {
                let s = s.trim();
                if let Ok(d) = promptsales_shared::time::parse_date(field, s) {
                    Ok(format!(
                        "{}T00:00:00",
                        promptsales_shared::time::format_date(d)
                    ))
                } else {
                    parse_ts(field, s).map(format_ts).map_err(|_| {
                        AppError::invalid(field, "a date (YYYY-MM-DD) or an RFC 3339 time", s)
                    })
                }
            })
            .transpose()
    };
    Ok(LeadFilter {
        stage: q.stage,
        country: q.country.as_deref().map(Country::parse).transpose()?,
        channel: q.channel,
        campaign_id: q
            .campaign_id
            .as_deref()
            .map(|c| validate_id("campaign_id", c))
            .transpose()?,
        client_id: q.client_id.as_deref().map(ClientId::parse).transpose()?,
        seller_id: q.seller_id.as_deref().map(SellerId::parse).transpose()?,
        min_score: q.min_score,
        max_score: q.max_score,
        created_from: bound("created_from", &q.created_from)?,
        created_to: bound("created_to", &q.created_to)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_parsed_at_the_boundary() {
        let q = LeadQuery {
            stage: Some(LeadStage::Sql),
            country: Some("co".into()),
            channel: Some(Channel::Meta),
            campaign_id: Some(" cmp_1 ".into()),
            client_id: Some("cli_1".into()),
            seller_id: Some("sel_1".into()),
            min_score: Some(40),
            created_from: Some("2026-03-01".into()),
            ..Default::default()
        };
        let f = lead_filter(&q).unwrap();
        assert_eq!(f.stage, Some(LeadStage::Sql));
        assert_eq!(f.country.map(|c| c.to_string()).as_deref(), Some("CO"));
        assert_eq!(f.channel, Some(Channel::Meta));
        assert_eq!(f.campaign_id.as_deref(), Some("cmp_1"));
        assert_eq!(f.min_score, Some(40));
        assert_eq!(f.created_from.as_deref(), Some("2026-03-01T00:00:00"));
    }

    /// Stages and channels are typed: their wrong values are refused when
    /// the arguments are read (see the `mcp::leads` tests).
    #[test]
    fn bad_filters_name_the_argument() {
        for (q, field) in [
            (
                LeadQuery {
                    country: Some("Colombia".into()),
                    ..Default::default()
                },
                "country",
            ),
            (
                LeadQuery {
                    min_score: Some(101),
                    ..Default::default()
                },
                "min_score",
            ),
            (
                LeadQuery {
                    seller_id: Some("a b".into()),
                    ..Default::default()
                },
                "seller_id",
            ),
            (
                LeadQuery {
                    created_to: Some("yesterday".into()),
                    ..Default::default()
                },
                "created_to",
            ),
        ] {
            let e = lead_filter(&q).unwrap_err().to_string();
            assert!(e.contains(&format!("`{field}`")), "{field}: {e}");
        }
    }
}
