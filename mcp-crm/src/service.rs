//! Use cases of the CRM context: registration with dedupe, scoring and
//! stages, interactions and replies, the consent ledger, sellers, sales,
//! purchase intent and GDPR.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{
    Channel, ClientId, Country, Currency, Page, ProductId, TenantId, page_limit, parse_cents,
    validate_id,
};
use promptsales_shared::time::{format_ts, parse_ts};
use schemars::JsonSchema;
use serde::Serialize;

use crate::connector::Connector;
use crate::crypto::Crypto;
use crate::domain::intent::{Example, FEATURES, IntentModel};
use crate::domain::scoring::{
    self, BUY_WORDS, DEMO_WORDS, Language, MessageFacts, PRICING_WORDS, ScoreInput, ScoreReason,
};
use crate::domain::{
    ConsentKind, ContactChannel, Direction, Interaction, InteractionId, Lead, LeadId, LeadStage,
    Sale, SaleId, Seller, SellerId, normalise_email, normalise_phone,
};
use crate::store::{
    CrmStore, KbEntry, LeadFilter, LeadRecord, LeadSource, LedgerEvent, NewLeadRow,
    OutboundMessage, Permission, StageChange, new_id,
};

/// Longest free-text field (names, companies, products, sources).
const MAX_SHORT_TEXT: usize = 200;
/// Longest message or interaction text.
const MAX_TEXT: usize = 10_000;
/// Leads the intent model trains on at most (the most recent).
const TRAIN_LIMIT: i64 = 50_000;
/// A model older than this is retrained before predicting.
const MODEL_MAX_AGE_HOURS: i64 = 24;

/// Raw `search_leads` arguments as a caller sends them; every one is
/// optional and checked by [`CrmService::search_leads`].
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub stage: Option<String>,
    pub country: Option<String>,
    pub channel: Option<String>,
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

/// Raw `register_lead` arguments.
#[derive(Debug, Clone, Default)]
pub struct NewLead {
    pub client_id: String,
    pub channel: String,
    pub country: String,
    pub city: Option<String>,
    pub campaign_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub language: Option<String>,
}

/// Raw `update_lead` arguments: only fields given change.
#[derive(Debug, Clone, Default)]
pub struct LeadUpdate {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub product_interest: Option<String>,
    pub language: Option<String>,
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
}

/// A logged interaction and the score it led to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoggedInteraction {
    pub interaction: Interaction,
    /// Where the sentiment came from: `lexicon` or `llm`.
    pub sentiment_source: String,
    pub score: ScoreCard,
    /// Set when the text was an opt-out keyword (STOP, BAJA…) and the
    /// channel was suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opted_out: Option<ContactChannel>,
}

/// A drafted reply for a person to review; never sent by itself.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReplyDraft {
    pub lead_id: LeadId,
    pub language: String,
    pub draft: String,
    /// Knowledge-base entries the draft draws on.
    pub kb_entries: Vec<String>,
    /// The inbound interaction answered, if any.
    pub in_reply_to: Option<InteractionId>,
    /// Always false: send it with `send_message` after review.
    pub sent: bool,
}

/// A sent (or sandbox-recorded) message.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SendResult {
    pub message_id: String,
    pub lead_id: LeadId,
    pub channel: ContactChannel,
    /// True when nothing was actually sent (no live connector).
    pub sandbox: bool,
    pub provider_message_id: Option<String>,
    pub interaction_id: InteractionId,
    /// What allowed the send: `consent` or `whatsapp_service_window`.
    pub allowed_by: String,
}

/// The ledger state of a lead's contacts after a change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LedgerState {
    pub lead_id: LeadId,
    pub permissions: Vec<Permission>,
    pub history: Vec<LedgerEvent>,
}

/// What `assign_lead` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Assignment {
    pub lead_id: LeadId,
    pub seller_id: SellerId,
    pub seller_name: String,
    pub strategy: String,
    /// The seller's open leads including this one.
    pub open_leads: i64,
    pub capacity: i32,
}

/// Revenue in one currency.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Revenue {
    pub currency: String,
    pub amount_cents: i64,
}

/// One seller's figures.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SellerFigures {
    /// Leaderboard position, 1 = best (most customers, then conversion).
    pub rank: usize,
    pub seller_id: SellerId,
    pub name: String,
    pub active: bool,
    pub capacity: i32,
    pub leads_held: i64,
    pub open_leads: i64,
    pub customers: i64,
    pub lost: i64,
    /// customers / (customers + lost), when any lead was decided.
    pub conversion_rate: Option<f64>,
    /// Average minutes from a lead's first message (or creation) to our
    /// first reply.
    pub avg_first_response_minutes: Option<f64>,
    pub revenue: Vec<Revenue>,
}

/// Seller metrics, best first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SellerMetrics {
    pub leaderboard: Vec<SellerFigures>,
}

/// One morning alert.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FollowUp {
    pub lead_id: LeadId,
    /// `unanswered_inbound` or `hot_without_contact`.
    pub kind: String,
    pub stage: LeadStage,
    pub score: i32,
    pub seller_id: Option<SellerId>,
    /// Hours since the lead's unanswered message, or since our last contact.
    pub waiting_hours: Option<i64>,
    pub detail: String,
}

/// The alerts a sales manager wants each morning.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FollowUps {
    pub due: Vec<FollowUp>,
}

/// A recorded sale and the lead's stage after it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SaleRecorded {
    pub sale: Sale,
    pub lead_stage: LeadStage,
}

/// One factor of a prediction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Factor {
    pub feature: String,
    pub description: String,
    pub value: f64,
    /// Contribution to the log-odds; positive raises the probability.
    pub contribution: f64,
}

/// Summary of the tenant's intent model.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelInfo {
    /// AUC on the held-out quarter of the tenant's leads (0.5 = chance).
    pub auc: f64,
    pub trained_at: DateTime<Utc>,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Share of customers among the training leads.
    pub base_rate: f64,
    pub features: Vec<String>,
    /// True when this call (re)trained the model.
    pub retrained: bool,
}

/// A purchase-intent prediction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IntentPrediction {
    pub lead_id: LeadId,
    /// Probability of becoming a customer, 0-1 (class-balanced: 0.5 is
    /// neutral).
    pub probability: f64,
    pub top_factors: Vec<Factor>,
    pub model: ModelInfo,
}

/// Everything held on a person.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GdprExport {
    pub exported_at: DateTime<Utc>,
    pub profile: LeadProfile,
    pub score_reasons: Vec<ScoreReason>,
    pub sources: Vec<LeadSource>,
    pub stage_history: Vec<StageChange>,
    pub interactions: Vec<Interaction>,
    pub messages: Vec<OutboundMessage>,
    pub sales: Vec<Sale>,
    pub consent: LedgerState,
}

/// What an erasure removed and kept.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Erasure {
    pub lead_id: LeadId,
    /// False when the lead had already been erased.
    pub erased: bool,
    pub removed: Vec<String>,
    pub kept: Vec<String>,
}

/// The CRM use cases, over one store.
#[derive(Clone, Debug)]
pub struct CrmService {
    store: CrmStore,
    crypto: Crypto,
    connector: Connector,
    llm: Option<promptsales_shared::llm::LlmConfig>,
}

fn short_text(field: &str, v: Option<String>) -> Result<Option<String>, AppError> {
    let Some(v) = v else { return Ok(None) };
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > MAX_SHORT_TEXT || t.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "1-200 characters without control characters",
            v,
        ));
    }
    Ok(Some(t.to_owned()))
}

fn message_text(v: &str) -> Result<String, AppError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(AppError::invalid("text", "a non-empty text", v));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(AppError::invalid(
            "text",
            "at most 10000 characters",
            format!("{} characters", t.chars().count()),
        ));
    }
    Ok(t.to_owned())
}

fn language(v: Option<String>) -> Result<Option<String>, AppError> {
    v.map(|l| Language::parse(&l).map(|l| l.as_str().to_owned()))
        .transpose()
}

fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Spanish-speaking markets: where we write Spanish unless told otherwise.
const SPANISH_MARKETS: &[&str] = &[
    "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "ES", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "UY", "VE",
];

/// Inbound texts that mean "stop messaging me".
const OPT_OUT_WORDS: &[&str] = &[
    "stop",
    "unsubscribe",
    "baja",
    "cancelar suscripción",
    "cancelar suscripcion",
    "no más mensajes",
    "no mas mensajes",
];

fn rank_stage(s: LeadStage) -> u8 {
    match s {
        LeadStage::Iql => 0,
        LeadStage::Mql => 1,
        LeadStage::Sql => 2,
        LeadStage::Customer => 3,
        LeadStage::Lost => 4,
    }
}

impl CrmService {
    pub fn new(store: CrmStore, crypto: Crypto) -> Self {
        Self {
            store,
            crypto,
            connector: Connector::sandbox(),
            llm: None,
        }
    }

    /// Sends through `connector` instead of the sandbox.
    pub fn with_connector(mut self, connector: Connector) -> Self {
        self.connector = connector;
        self
    }

    /// Scores sentiment with this LLM (the lexicon stays the fallback).
    pub fn with_llm(mut self, llm: Option<promptsales_shared::llm::LlmConfig>) -> Self {
        self.llm = llm;
        self
    }

    pub fn store(&self) -> &CrmStore {
        &self.store
    }

    pub fn crypto(&self) -> &Crypto {
        &self.crypto
    }

    fn profile(&self, r: &LeadRecord) -> Result<LeadProfile, AppError> {
        Ok(LeadProfile {
            lead: r.lead.clone(),
            name: self.crypto.decrypt_opt(r.name_enc.as_deref())?,
            email: self.crypto.decrypt_opt(r.email_enc.as_deref())?,
            phone: self.crypto.decrypt_opt(r.phone_enc.as_deref())?,
            company: r.company.clone(),
            product_interest: r.product_interest.clone(),
            language: r.language.clone(),
            lost_reason: r.lost_reason.clone(),
            intent_probability: r.intent_probability,
            erased: r.erased_at.is_some(),
        })
    }

    fn encrypt_opt(&self, v: &Option<String>) -> Result<Option<String>, AppError> {
        v.as_deref().map(|s| self.crypto.encrypt(s)).transpose()
    }

    async fn record(&self, tenant: &TenantId, id: &str) -> Result<LeadRecord, AppError> {
        let id = LeadId::parse(id)?;
        self.store.lead_record(tenant, &id).await
    }

    // ---- leads -------------------------------------------------------

    /// Registers a person, or merges the registration into the lead that
    /// already has their email or phone (concurrent repeats included: the
    /// unique blind indexes decide, and the loser merges).
    pub async fn register_lead(
        &self,
        tenant: &TenantId,
        actor: &str,
        input: NewLead,
    ) -> Result<Registration, AppError> {
        let client_id = ClientId::parse(&input.client_id)?;
        let channel = Channel::parse(&input.channel)?;
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
        let row = NewLeadRow {
            name_enc: self.encrypt_opt(&name)?,
            email_enc: self.encrypt_opt(&email)?,
            phone_enc: self.encrypt_opt(&phone)?,
            email_hash: email_hash.clone(),
            phone_hash: phone_hash.clone(),
            company,
            product_interest,
            language: language(input.language)?,
            score_reasons: Some(json(&reasons)?),
            lead,
        };
        // Insert-or-find: the unique blind indexes decide who is first (also
        // across processes); a conflicting insert writes nothing, and the
        // person is then found and merged. Most registrations are new
        // people, so trying the insert first saves two look-ups.
        for _ in 0..3 {
            if self.store.insert_new_lead(tenant, &row, actor).await? {
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
            if let Some((existing, matched)) = self
                .store
                .find_by_contact(tenant, email_hash.as_deref(), phone_hash.as_deref())
                .await?
            {
                self.store.merge_into(tenant, &existing, &row).await?;
                let rec = self.store.lead_record(tenant, &existing).await?;
                return Ok(Registration {
                    created: false,
                    duplicate_of: Some(existing),
                    matched_on: Some(matched.into()),
                    lead: self.profile(&rec)?,
                });
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
                    self.crypto.encrypt(&e)?,
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
                    self.crypto.encrypt(&p)?,
                    self.crypto.blind_index(t, "phone", &p),
                ))
            })
            .transpose()?;
        let name = short_text("name", u.name)?;
        self.store
            .update_profile(
                tenant,
                &id,
                self.encrypt_opt(&name)?,
                email,
                phone,
                short_text("company", u.company)?,
                short_text("product_interest", u.product_interest)?,
                language(u.language)?,
                short_text("city", u.city)?,
                country,
            )
            .await?;
        self.rescore(tenant, &id, actor).await?;
        let rec = self.store.lead_record(tenant, &id).await?;
        self.profile(&rec)
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
            profile: self.profile(&rec)?,
        })
    }

    async fn sales_of(&self, tenant: &TenantId, id: &LeadId) -> Result<Vec<Sale>, AppError> {
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
        to: &str,
        reason: Option<String>,
    ) -> Result<Lead360, AppError> {
        let rec = self.record(tenant, id).await?;
        let to = LeadStage::parse(to)?;
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

    // ---- scoring -----------------------------------------------------

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
    async fn rescore(
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

    // ---- interactions ------------------------------------------------

    async fn sentiment(&self, text: &str) -> (f64, &'static str) {
        if let Some(llm) = &self.llm
            && let Some(s) = crate::sentiment::llm_sentiment(llm, text).await
        {
            return (s, "llm");
        }
        (scoring::lexicon_sentiment(text), "lexicon")
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn log_interaction(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        channel: &str,
        direction: &str,
        text: &str,
        at: Option<&str>,
    ) -> Result<LoggedInteraction, AppError> {
        let rec = self.record(tenant, id).await?;
        let channel = Channel::parse(channel)?;
        let direction = Direction::parse(direction)?;
        let text = message_text(text)?;
        let at = at
            .map(|a| parse_ts("at", a))
            .transpose()?
            .unwrap_or_else(Utc::now);
        self.add_interaction(tenant, actor, &rec, channel, direction, text, at, None)
            .await
    }

    /// Stores an interaction (with sentiment), applies opt-out keywords and
    /// re-scores. `id` makes the write idempotent (webhook redeliveries).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn add_interaction(
        &self,
        tenant: &TenantId,
        actor: &str,
        rec: &LeadRecord,
        channel: Channel,
        direction: Direction,
        text: String,
        at: DateTime<Utc>,
        id: Option<InteractionId>,
    ) -> Result<LoggedInteraction, AppError> {
        if rec.erased_at.is_some() {
            return Err(AppError::Conflict(format!(
                "lead `{}` was erased (GDPR): nothing more is recorded about them",
                rec.lead.id
            )));
        }
        let (sentiment, source) = if direction == Direction::In {
            let (s, src) = self.sentiment(&text).await;
            (Some(s), src)
        } else {
            (None, "none")
        };
        let interaction = Interaction {
            id: id.unwrap_or_else(|| InteractionId::from_trusted(new_id(InteractionId::PREFIX))),
            lead_id: rec.lead.id.clone(),
            at,
            channel,
            direction,
            text,
            sentiment,
        };
        self.store.add_interaction(tenant, &interaction).await?;
        let mut opted_out = None;
        let lowered = interaction.text.trim().to_lowercase();
        let lowered = lowered.trim_end_matches(['.', '!']);
        if direction == Direction::In && OPT_OUT_WORDS.contains(&lowered) {
            let ch = match channel {
                Channel::Whatsapp => ContactChannel::Whatsapp,
                Channel::Sms => ContactChannel::Sms,
                Channel::Email => ContactChannel::Email,
                _ => ContactChannel::All,
            };
            for (_, hash) in hashes_for(rec, ch) {
                self.store
                    .record_ledger(
                        tenant,
                        &hash,
                        ch,
                        ConsentKind::Suppressed,
                        &format!("opt-out keyword in an inbound {channel} message"),
                        Some(&rec.lead.id),
                        at,
                    )
                    .await?;
            }
            opted_out = Some(ch);
        }
        let score = self.rescore(tenant, &rec.lead.id, actor).await?;
        Ok(LoggedInteraction {
            interaction,
            sentiment_source: source.into(),
            score,
            opted_out,
        })
    }

    pub async fn upsert_kb_entry(
        &self,
        tenant: &TenantId,
        entry: KbEntry,
    ) -> Result<KbEntry, AppError> {
        let id = validate_id("entry_id", &entry.id)?;
        let language = Language::parse(&entry.language)?.as_str().to_owned();
        let topic = short_text("topic", Some(entry.topic))?
            .ok_or_else(|| AppError::invalid("topic", "a topic of 1-200 characters", ""))?;
        let answer = message_text(&entry.answer)
            .map_err(|_| AppError::invalid("answer", "an answer of 1-10000 characters", ""))?;
        let mut keywords = Vec::new();
        for k in entry.keywords {
            let k = short_text("keywords", Some(k))?;
            keywords.extend(k.map(|k| k.to_lowercase()));
        }
        let e = KbEntry {
            id,
            language,
            topic,
            keywords,
            answer,
        };
        self.store.upsert_kb(tenant, &e).await?;
        Ok(e)
    }

    pub async fn knowledge_base(&self, tenant: &TenantId) -> Result<Vec<KbEntry>, AppError> {
        self.store.list_kb(tenant).await
    }

    /// Drafts a reply in the lead's language from the knowledge base and
    /// the last inbound message; a person reviews and sends it.
    pub async fn suggest_reply(&self, tenant: &TenantId, id: &str) -> Result<ReplyDraft, AppError> {
        let rec = self.record(tenant, id).await?;
        let interactions = self.store.interactions_of(tenant, &rec.lead.id).await?;
        let last_in = interactions
            .iter()
            .rev()
            .find(|i| i.direction == Direction::In);
        let lang = rec
            .language
            .as_deref()
            .and_then(|l| Language::parse(l).ok())
            .or_else(|| last_in.and_then(|i| scoring::detect_language(&i.text)))
            .unwrap_or(if SPANISH_MARKETS.contains(&rec.lead.country.as_str()) {
                Language::Es
            } else {
                Language::En
            });
        let kb = self.store.list_kb(tenant).await?;
        let question = last_in.map(|i| i.text.to_lowercase()).unwrap_or_default();
        let mut ranked: Vec<(usize, &KbEntry)> = kb
            .iter()
            .filter(|e| e.language == lang.as_str())
            .map(|e| {
                let hits = e
                    .keywords
                    .iter()
                    .filter(|k| !k.is_empty() && question.contains(k.as_str()))
                    .count();
                (hits, e)
            })
            .filter(|(h, _)| *h > 0)
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        ranked.truncate(2);
        let name = self
            .crypto
            .decrypt_opt(rec.name_enc.as_deref())?
            .and_then(|n| n.split_whitespace().next().map(str::to_owned));
        let answers: Vec<&str> = ranked.iter().map(|(_, e)| e.answer.as_str()).collect();
        let draft = match lang {
            Language::Es => {
                let hello = name.map_or("Hola".to_owned(), |n| format!("Hola {n}"));
                let body = if answers.is_empty() {
                    "Con gusto te ayudamos con tu consulta; un asesor te confirma los detalles hoy mismo.".to_owned()
                } else {
                    answers.join("\n\n")
                };
                format!(
                    "{hello}, gracias por escribirnos.\n\n{body}\n\n¿Te parece si agendamos una llamada corta para revisar los detalles?"
                )
            }
            Language::En => {
                let hello = name.map_or("Hi".to_owned(), |n| format!("Hi {n}"));
                let body = if answers.is_empty() {
                    "Happy to help with your question; an advisor will confirm the details today."
                        .to_owned()
                } else {
                    answers.join("\n\n")
                };
                format!(
                    "{hello}, thanks for reaching out.\n\n{body}\n\nWould a short call this week work to go over the details?"
                )
            }
        };
        Ok(ReplyDraft {
            lead_id: rec.lead.id.clone(),
            language: lang.as_str().into(),
            draft,
            kb_entries: ranked.iter().map(|(_, e)| e.id.clone()).collect(),
            in_reply_to: last_in.map(|i| i.id.clone()),
            sent: false,
        })
    }

    // ---- consent ledger and sending ----------------------------------

    /// Records consent given or withdrawn for a channel of the lead's
    /// contact (email for `email`, phone for `sms`/`whatsapp`).
    pub async fn record_consent(
        &self,
        tenant: &TenantId,
        id: &str,
        channel: &str,
        granted: bool,
        source: &str,
    ) -> Result<LedgerState, AppError> {
        let rec = self.record(tenant, id).await?;
        let channel = ContactChannel::parse(channel)?;
        if channel == ContactChannel::All {
            return Err(AppError::invalid(
                "channel",
                "email, sms or whatsapp (consent is given per channel)",
                "all",
            ));
        }
        let source = short_text("source", Some(source.to_owned()))?.ok_or_else(|| {
            AppError::invalid("source", "where the consent came from (required)", "")
        })?;
        let hashes = hashes_for(&rec, channel);
        if hashes.is_empty() {
            return Err(AppError::Conflict(format!(
                "lead `{}` has no {} on record for {channel}",
                rec.lead.id,
                if channel == ContactChannel::Email {
                    "email"
                } else {
                    "phone"
                }
            )));
        }
        let kind = if granted {
            ConsentKind::ConsentGranted
        } else {
            ConsentKind::ConsentWithdrawn
        };
        for (_, h) in &hashes {
            self.store
                .record_ledger(
                    tenant,
                    h,
                    channel,
                    kind,
                    &source,
                    Some(&rec.lead.id),
                    Utc::now(),
                )
                .await?;
        }
        self.ledger_state(tenant, &rec).await
    }

    /// Suppresses (opt-out) a channel or `all` for the lead's contacts, or
    /// lifts a suppression with `lift`.
    pub async fn suppress(
        &self,
        tenant: &TenantId,
        id: &str,
        channel: Option<&str>,
        source: &str,
        lift: bool,
    ) -> Result<LedgerState, AppError> {
        let rec = self.record(tenant, id).await?;
        let channel = channel
            .map(ContactChannel::parse)
            .transpose()?
            .unwrap_or(ContactChannel::All);
        let source = short_text("source", Some(source.to_owned()))?.ok_or_else(|| {
            AppError::invalid(
                "source",
                "why or where the opt-out came from (required)",
                "",
            )
        })?;
        let hashes = hashes_for(&rec, channel);
        if hashes.is_empty() {
            return Err(AppError::Conflict(format!(
                "lead `{}` has no contact details on record for {channel}",
                rec.lead.id
            )));
        }
        let kind = if lift {
            ConsentKind::Unsuppressed
        } else {
            ConsentKind::Suppressed
        };
        for (_, h) in &hashes {
            self.store
                .record_ledger(
                    tenant,
                    h,
                    channel,
                    kind,
                    &source,
                    Some(&rec.lead.id),
                    Utc::now(),
                )
                .await?;
        }
        self.ledger_state(tenant, &rec).await
    }

    async fn ledger_state(
        &self,
        tenant: &TenantId,
        rec: &LeadRecord,
    ) -> Result<LedgerState, AppError> {
        let c = contacts(rec);
        Ok(LedgerState {
            lead_id: rec.lead.id.clone(),
            permissions: self.store.permissions(tenant, &c).await?,
            history: self.store.ledger_events(tenant, &c).await?,
        })
    }

    /// Sends a message after checking the ledger: a suppressed contact or
    /// one without consent is refused with the reason (WhatsApp also
    /// allows replies within 24 h of the lead's last WhatsApp message).
    pub async fn send_message(
        &self,
        tenant: &TenantId,
        id: &str,
        channel: &str,
        text: &str,
    ) -> Result<SendResult, AppError> {
        let rec = self.record(tenant, id).await?;
        let channel = ContactChannel::parse(channel)?;
        if channel == ContactChannel::All {
            return Err(AppError::invalid(
                "channel",
                "email, sms or whatsapp",
                "all",
            ));
        }
        let text = message_text(text)?;
        if rec.erased_at.is_some() {
            return Err(AppError::Conflict(format!(
                "refused: lead `{}` was erased (GDPR) and has no contact details",
                rec.lead.id
            )));
        }
        let uses_email = channel == ContactChannel::Email;
        let (enc, hash) = if uses_email {
            (rec.email_enc.as_deref(), rec.email_hash.as_deref())
        } else {
            (rec.phone_enc.as_deref(), rec.phone_hash.as_deref())
        };
        let (Some(enc), Some(_)) = (enc, hash) else {
            return Err(AppError::Conflict(format!(
                "refused: lead `{}` has no {} for {channel}",
                rec.lead.id,
                if uses_email { "email" } else { "phone number" }
            )));
        };
        let perms = self.store.permissions(tenant, &contacts(&rec)).await?;
        if let Some(p) = perms
            .iter()
            .find(|p| p.suppressed && (p.channel == channel || p.channel == ContactChannel::All))
        {
            return Err(AppError::Conflict(format!(
                "refused: the contact is suppressed on {} since {} (source: {})",
                p.channel,
                format_ts(p.updated_at),
                p.source
            )));
        }
        let label = if uses_email { "email" } else { "phone" };
        let consent = perms
            .iter()
            .find(|p| p.contact == label && p.channel == channel)
            .and_then(|p| p.consent.clone());
        let allowed_by = if consent.as_deref() == Some("granted") {
            "consent"
        } else if channel == ContactChannel::Whatsapp
            && self
                .store
                .interactions_of(tenant, &rec.lead.id)
                .await?
                .iter()
                .any(|i| {
                    i.direction == Direction::In
                        && i.channel == Channel::Whatsapp
                        && Utc::now() - i.at < Duration::hours(24)
                })
        {
            "whatsapp_service_window"
        } else {
            return Err(AppError::Conflict(format!(
                "refused: no consent for {channel} on record for lead `{}` ({}); record_consent first",
                rec.lead.id,
                match consent.as_deref() {
                    Some("withdrawn") => "consent was withdrawn",
                    _ => "never given",
                }
            )));
        };
        let to = self.crypto.decrypt(enc)?;
        let receipt = self.connector.send(channel, &to, &text).await?;
        let now = Utc::now();
        let msg = OutboundMessage {
            id: new_id("msg_"),
            channel,
            text: text.clone(),
            sandbox: receipt.sandbox,
            provider_message_id: receipt.provider_message_id.clone(),
            at: now,
        };
        let interaction = Interaction {
            id: InteractionId::from_trusted(new_id(InteractionId::PREFIX)),
            lead_id: rec.lead.id.clone(),
            at: now,
            channel: match channel {
                ContactChannel::Email => Channel::Email,
                ContactChannel::Sms => Channel::Sms,
                _ => Channel::Whatsapp,
            },
            direction: Direction::Out,
            text,
            sentiment: None,
        };
        self.store
            .record_outbound(tenant, &rec.lead.id, &msg, &interaction)
            .await?;
        Ok(SendResult {
            message_id: msg.id,
            lead_id: rec.lead.id.clone(),
            channel,
            sandbox: receipt.sandbox,
            provider_message_id: receipt.provider_message_id,
            interaction_id: interaction.id,
            allowed_by: allowed_by.into(),
        })
    }

    // ---- sellers -----------------------------------------------------

    pub async fn list_sellers(
        &self,
        tenant: &TenantId,
        active_only: bool,
    ) -> Result<Vec<Seller>, AppError> {
        let mut sellers = self.store.list_sellers(tenant).await?;
        if active_only {
            sellers.retain(|s| s.active);
        }
        Ok(sellers)
    }

    pub async fn upsert_seller(
        &self,
        tenant: &TenantId,
        id: Option<&str>,
        name: &str,
        capacity: i32,
        active: bool,
        countries: &[String],
    ) -> Result<Seller, AppError> {
        let seller = Seller {
            id: match id {
                Some(i) => SellerId::parse(i)?,
                None => SellerId::from_trusted(new_id(SellerId::PREFIX)),
            },
            name: name.trim().to_owned(),
            active,
            capacity,
        };
        seller.validate()?;
        let countries = countries
            .iter()
            .map(|c| Country::parse_field("countries", c))
            .collect::<Result<Vec<_>, _>>()?;
        self.store.save_seller(tenant, &seller, &countries).await?;
        Ok(seller)
    }

    pub async fn assign_lead(
        &self,
        tenant: &TenantId,
        id: &str,
        strategy: &str,
        seller_id: Option<&str>,
    ) -> Result<Assignment, AppError> {
        let rec = self.record(tenant, id).await?;
        let loads = self.store.seller_loads(tenant).await?;
        let has_room = |l: &&crate::store::SellerLoad| {
            l.seller.active && l.open_leads < i64::from(l.seller.capacity)
        };
        let (chosen, strategy) = if let Some(s) = seller_id {
            let s = SellerId::parse(s)?;
            let l = loads
                .iter()
                .find(|l| l.seller.id == s)
                .ok_or_else(|| AppError::not_found("seller", s.as_str()))?;
            if !l.seller.active {
                return Err(AppError::Conflict(format!(
                    "seller `{s}` is not taking new leads (inactive)"
                )));
            }
            (l, "explicit")
        } else {
            match strategy.trim().to_ascii_lowercase().as_str() {
                "round_robin" => {
                    let mut c: Vec<_> = loads.iter().filter(has_room).collect();
                    // Never assigned first, then the longest since their last lead.
                    c.sort_by(|a, b| {
                        a.last_assigned_at
                            .cmp(&b.last_assigned_at)
                            .then(a.seller.id.cmp(&b.seller.id))
                    });
                    (
                        *c.first().ok_or_else(|| {
                            AppError::Conflict(
                                "no active seller has room for another lead (all at capacity)"
                                    .into(),
                            )
                        })?,
                        "round_robin",
                    )
                }
                "least_loaded" => (
                    loads
                        .iter()
                        .filter(has_room)
                        .min_by(|a, b| {
                            a.open_leads
                                .cmp(&b.open_leads)
                                .then(a.seller.id.cmp(&b.seller.id))
                        })
                        .ok_or_else(|| {
                            AppError::Conflict(
                                "no active seller has room for another lead (all at capacity)"
                                    .into(),
                            )
                        })?,
                    "least_loaded",
                ),
                "by_country" => {
                    let country = rec.lead.country.as_str();
                    (
                        loads
                            .iter()
                            .filter(has_room)
                            .filter(|l| l.countries.iter().any(|c| c == country))
                            .min_by(|a, b| {
                                a.open_leads
                                    .cmp(&b.open_leads)
                                    .then(a.seller.id.cmp(&b.seller.id))
                            })
                            .ok_or_else(|| {
                                AppError::Conflict(format!(
                                    "no active seller with room covers {country}: add it to a seller's countries with upsert_seller"
                                ))
                            })?,
                        "by_country",
                    )
                }
                other => {
                    return Err(AppError::invalid(
                        "strategy",
                        "one of round_robin, least_loaded, by_country (or pass seller_id)",
                        other,
                    ));
                }
            }
        };
        self.store
            .assign(tenant, &rec.lead.id, &chosen.seller.id)
            .await?;
        let was_theirs = rec.lead.seller_id.as_ref() == Some(&chosen.seller.id);
        let open = matches!(
            rec.lead.stage,
            LeadStage::Iql | LeadStage::Mql | LeadStage::Sql
        );
        Ok(Assignment {
            lead_id: rec.lead.id.clone(),
            seller_id: chosen.seller.id.clone(),
            seller_name: chosen.seller.name.clone(),
            strategy: strategy.into(),
            open_leads: chosen.open_leads + i64::from(open && !was_theirs),
            capacity: chosen.seller.capacity,
        })
    }

    pub async fn seller_metrics(&self, tenant: &TenantId) -> Result<SellerMetrics, AppError> {
        let sellers = self.store.list_sellers(tenant).await?;
        let activity = self.store.seller_activity(tenant).await?;
        let mut rows: Vec<SellerFigures> = sellers
            .into_iter()
            .map(|s| {
                let a = activity.get(s.id.as_str()).cloned().unwrap_or_default();
                let decided = a.customers + a.lost;
                let mut revenue: Vec<Revenue> = a
                    .revenue
                    .iter()
                    .map(|(c, v)| Revenue {
                        currency: c.clone(),
                        amount_cents: *v,
                    })
                    .collect();
                revenue.sort_by(|x, y| x.currency.cmp(&y.currency));
                SellerFigures {
                    rank: 0,
                    seller_id: s.id,
                    name: s.name,
                    active: s.active,
                    capacity: s.capacity,
                    leads_held: a.leads_held,
                    open_leads: a.open_leads,
                    customers: a.customers,
                    lost: a.lost,
                    conversion_rate: (decided > 0).then(|| a.customers as f64 / decided as f64),
                    avg_first_response_minutes: (a.responses > 0)
                        .then(|| a.response_minutes_sum / a.responses as f64),
                    revenue,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.customers
                .cmp(&a.customers)
                .then(
                    b.conversion_rate
                        .unwrap_or(0.0)
                        .total_cmp(&a.conversion_rate.unwrap_or(0.0)),
                )
                .then(a.seller_id.cmp(&b.seller_id))
        });
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        Ok(SellerMetrics { leaderboard: rows })
    }

    pub async fn follow_ups_due(
        &self,
        tenant: &TenantId,
        unanswered_hours: Option<u32>,
        hot_score: Option<i32>,
        quiet_days: Option<u32>,
        limit: Option<u32>,
    ) -> Result<FollowUps, AppError> {
        let hours = i64::from(unanswered_hours.unwrap_or(24));
        let hot = hot_score.unwrap_or(scoring::SQL_THRESHOLD);
        if !Lead::SCORE_RANGE.contains(&hot) {
            return Err(AppError::invalid(
                "hot_score",
                "a score from 0 to 100",
                hot.to_string(),
            ));
        }
        let quiet = i64::from(quiet_days.unwrap_or(3));
        let limit = page_limit(limit)?;
        let now = Utc::now();
        let rows = self.store.contact_times(tenant, hot, limit * 4).await?;
        let mut due = Vec::new();
        for r in rows {
            let last_in = r
                .last_in
                .as_deref()
                .map(|s| parse_ts("at", s))
                .transpose()?;
            let last_out = r
                .last_out
                .as_deref()
                .map(|s| parse_ts("at", s))
                .transpose()?;
            if let Some(i) = last_in
                && last_out.is_none_or(|o| o < i)
                && now - i >= Duration::hours(hours)
            {
                let waited = (now - i).num_hours();
                due.push(FollowUp {
                    lead_id: r.id.clone(),
                    kind: "unanswered_inbound".into(),
                    stage: r.stage,
                    score: r.score,
                    seller_id: r.seller_id.clone(),
                    waiting_hours: Some(waited),
                    detail: format!("their last message has waited {waited} h for a reply"),
                });
                continue;
            }
            if r.score >= hot && last_out.is_none_or(|o| now - o >= Duration::days(quiet)) {
                due.push(FollowUp {
                    lead_id: r.id,
                    kind: "hot_without_contact".into(),
                    stage: r.stage,
                    score: r.score,
                    seller_id: r.seller_id,
                    waiting_hours: last_out.map(|o| (now - o).num_hours()),
                    detail: match last_out {
                        None => format!("score {} and never contacted", r.score),
                        Some(o) => format!(
                            "score {} and no contact for {} days",
                            r.score,
                            (now - o).num_days()
                        ),
                    },
                });
            }
        }
        // Unanswered messages first (longest wait first), then hot leads.
        due.sort_by(|a, b| {
            (a.kind != "unanswered_inbound")
                .cmp(&(b.kind != "unanswered_inbound"))
                .then(
                    b.waiting_hours
                        .unwrap_or(i64::MAX)
                        .cmp(&a.waiting_hours.unwrap_or(i64::MAX)),
                )
                .then(b.score.cmp(&a.score))
        });
        due.truncate(limit as usize);
        Ok(FollowUps { due })
    }

    // ---- sales -------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn record_sale(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        amount: &str,
        currency: &str,
        product_id: Option<&str>,
        campaign_id: Option<&str>,
        closed_at: Option<&str>,
    ) -> Result<SaleRecorded, AppError> {
        let rec = self.record(tenant, id).await?;
        let amount_cents = parse_cents("amount", amount)?;
        if amount_cents <= 0 {
            return Err(AppError::invalid("amount", "a positive amount", amount));
        }
        let sale = Sale {
            id: SaleId::from_trusted(new_id(SaleId::PREFIX)),
            client_id: rec.lead.client_id.clone(),
            lead_id: Some(rec.lead.id.clone()),
            campaign_id: match campaign_id {
                Some(c) => Some(validate_id("campaign_id", c)?),
                None => rec.lead.campaign_id.clone(),
            },
            product_id: product_id.map(ProductId::parse).transpose()?,
            channel: rec.lead.channel,
            country: rec.lead.country,
            city: rec.lead.city.clone(),
            amount_cents,
            currency: Currency::parse(currency)?,
            closed_at: closed_at
                .map(|c| parse_ts("closed_at", c))
                .transpose()?
                .unwrap_or_else(Utc::now),
        };
        sale.validate()?;
        self.store
            .upsert_sales(tenant, std::slice::from_ref(&sale))
            .await?;
        if rec.lead.stage != LeadStage::Customer {
            self.store
                .change_stage(
                    tenant,
                    &rec.lead.id,
                    rec.lead.stage,
                    LeadStage::Customer,
                    &format!("sale {} recorded", sale.id),
                    actor,
                    None,
                )
                .await?;
        }
        Ok(SaleRecorded {
            sale,
            lead_stage: LeadStage::Customer,
        })
    }

    // ---- purchase intent ---------------------------------------------

    fn features(r: &crate::store::IntentRow) -> Vec<f64> {
        vec![
            f64::from(r.score),
            r.inbound as f64,
            r.outbound as f64,
            r.avg_sentiment,
            f64::from(u8::from(scoring::mentions(&r.texts, PRICING_WORDS))),
            f64::from(u8::from(scoring::mentions(&r.texts, DEMO_WORDS))),
            f64::from(u8::from(scoring::mentions(&r.texts, BUY_WORDS))),
            f64::from(u8::from(r.channel.is_paid())),
            f64::from(u8::from(r.has_company)),
            f64::from(u8::from(r.has_product)),
            f64::from(u8::from(r.has_seller)),
        ]
    }

    /// Trains the tenant's model on its own history and stores it.
    pub async fn train_intent_model(&self, tenant: &TenantId) -> Result<ModelInfo, AppError> {
        let rows = self.store.intent_rows(tenant, None, TRAIN_LIMIT).await?;
        let examples: Vec<Example> = rows
            .iter()
            .map(|r| Example {
                key: r.id.clone(),
                x: Self::features(r),
                y: r.stage == LeadStage::Customer,
            })
            .collect();
        let total = self.store.lead_count(tenant).await?.max(0) as usize;
        let model = IntentModel::train(&examples, total)
            .map_err(|e| AppError::Conflict(format!("cannot train the intent model: {e}")))?;
        self.store.save_model(tenant, &json(&model)?).await?;
        Ok(Self::info(&model, Utc::now(), true))
    }

    fn info(m: &IntentModel, trained_at: DateTime<Utc>, retrained: bool) -> ModelInfo {
        ModelInfo {
            auc: m.auc,
            trained_at,
            train_rows: m.train_rows,
            test_rows: m.test_rows,
            base_rate: m.base_rate,
            features: FEATURES.iter().map(|(n, _)| (*n).to_owned()).collect(),
            retrained,
        }
    }

    /// The model, retrained first when missing or stale (older than a day,
    /// or the tenant grew by more than a fifth since).
    async fn current_model(&self, tenant: &TenantId) -> Result<(IntentModel, ModelInfo), AppError> {
        let total = self.store.lead_count(tenant).await?.max(0) as usize;
        if let Some((at, raw)) = self.store.load_model(tenant).await?
            && let Ok(m) = serde_json::from_str::<IntentModel>(&raw)
            && Utc::now() - at < Duration::hours(MODEL_MAX_AGE_HOURS)
            && total * 5 <= m.leads_seen * 6
        {
            let info = Self::info(&m, at, false);
            return Ok((m, info));
        }
        self.train_intent_model(tenant).await?;
        let (at, raw) = self
            .store
            .load_model(tenant)
            .await?
            .ok_or_else(|| AppError::Internal("intent model missing after training".into()))?;
        let m: IntentModel =
            serde_json::from_str(&raw).map_err(|e| AppError::Internal(e.to_string()))?;
        let info = Self::info(&m, at, true);
        Ok((m, info))
    }

    pub async fn predict_purchase_intent(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<IntentPrediction, AppError> {
        let rec = self.record(tenant, id).await?;
        let (model, info) = self.current_model(tenant).await?;
        let row = self
            .store
            .intent_rows(tenant, Some(&rec.lead.id), 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("lead", rec.lead.id.as_str()))?;
        let x = Self::features(&row);
        let probability = model.predict(&x);
        let mut factors: Vec<Factor> = model
            .contributions(&x)
            .into_iter()
            .zip(FEATURES)
            .zip(&x)
            .map(|((c, (name, desc)), v)| Factor {
                feature: (*name).into(),
                description: (*desc).into(),
                value: *v,
                contribution: c,
            })
            .collect();
        factors.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        factors.truncate(3);
        self.store
            .set_intent(tenant, &rec.lead.id, probability)
            .await?;
        Ok(IntentPrediction {
            lead_id: rec.lead.id.clone(),
            probability,
            top_factors: factors,
            model: info,
        })
    }

    // ---- GDPR --------------------------------------------------------

    pub async fn gdpr_export_lead(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<GdprExport, AppError> {
        let rec = self.record(tenant, id).await?;
        let lead_id = rec.lead.id.clone();
        Ok(GdprExport {
            exported_at: Utc::now(),
            score_reasons: rec
                .score_reasons
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or_default(),
            sources: self.store.sources(tenant, &lead_id).await?,
            stage_history: self.store.stage_history(tenant, &lead_id).await?,
            interactions: self.store.interactions_of(tenant, &lead_id).await?,
            messages: self.store.outbound_of(tenant, &lead_id).await?,
            sales: self.sales_of(tenant, &lead_id).await?,
            consent: self.ledger_state(tenant, &rec).await?,
            profile: self.profile(&rec)?,
        })
    }

    pub async fn gdpr_erase_lead(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
    ) -> Result<Erasure, AppError> {
        let rec = self.record(tenant, id).await?;
        let erased = self.store.erase_lead(tenant, &rec.lead.id, actor).await?;
        Ok(Erasure {
            lead_id: rec.lead.id.clone(),
            erased,
            removed: [
                "name, email and phone (encrypted values and their blind indexes)",
                "city, company, product interest, lost reason, score reasons, stage-change reasons",
                "text of interactions and sent messages",
                "city on the lead's sales",
            ]
            .map(String::from)
            .to_vec(),
            kept: [
                "lead id, client, campaign, channel, country, stage, score and dates (anonymised facts)",
                "sales amounts, currencies, products and dates (analytics totals unchanged)",
                "interaction dates, channels, directions and sentiment",
                "suppressions in the consent ledger (keyed by blind index) so an opt-out is honoured",
            ]
            .map(String::from)
            .to_vec(),
        })
    }

    // ---- resources ---------------------------------------------------

    /// Leads and average score per stage.
    pub async fn pipeline(&self, tenant: &TenantId) -> Result<serde_json::Value, AppError> {
        let rows = self.store.pipeline(tenant).await?;
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
            "stages": stages,
            "thresholds": { "mql": scoring::MQL_THRESHOLD, "sql": scoring::SQL_THRESHOLD },
        }))
    }
}

/// The lead's contacts as (label, blind index) pairs.
fn contacts(r: &LeadRecord) -> Vec<(&'static str, &str)> {
    let mut v = Vec::new();
    if let Some(h) = r.email_hash.as_deref() {
        v.push(("email", h));
    }
    if let Some(h) = r.phone_hash.as_deref() {
        v.push(("phone", h));
    }
    v
}

/// The contacts a ledger entry for `channel` applies to.
fn hashes_for(r: &LeadRecord, channel: ContactChannel) -> Vec<(&'static str, String)> {
    let mut seen = HashSet::new();
    contacts(r)
        .into_iter()
        .filter(|(label, _)| match channel.uses_email() {
            Some(true) => *label == "email",
            Some(false) => *label == "phone",
            None => true,
        })
        .filter(|(_, h)| seen.insert(h.to_string()))
        .map(|(l, h)| (l, h.to_owned()))
        .collect()
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
        stage: q.stage.as_deref().map(LeadStage::parse).transpose()?,
        country: q.country.as_deref().map(Country::parse).transpose()?,
        channel: q.channel.as_deref().map(Channel::parse).transpose()?,
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
            stage: Some("SQL".into()),
            country: Some("co".into()),
            channel: Some("meta".into()),
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

    #[test]
    fn bad_filters_name_the_argument() {
        for (q, field) in [
            (
                LeadQuery {
                    stage: Some("hot".into()),
                    ..Default::default()
                },
                "stage",
            ),
            (
                LeadQuery {
                    country: Some("Colombia".into()),
                    ..Default::default()
                },
                "country",
            ),
            (
                LeadQuery {
                    channel: Some("myspace".into()),
                    ..Default::default()
                },
                "channel",
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
