//! Use cases of the CRM context, one file per toolset: leads (registration
//! with dedupe per client, scoring and stages), conversations
//! (interactions, replies from the client's knowledge, sending through the
//! client's connection), verified inbound WhatsApp messages, the consent
//! ledger, sellers and the morning digest, sales, purchase intent, GDPR
//! (the person's leads across clients), the connections registry and the
//! client's plan (quotas and usage). Arguments arrive typed (closed
//! vocabularies are enums); open values (ids, countries, currencies,
//! texts, dates) are checked here, and so are the privileged scopes
//! (`crm:send`, `crm:consent`, `crm:gdpr`, `admin`), whatever the entry
//! point.

#[cfg(test)]
mod client_tests;
mod connections;
mod consent;
mod conversations;
mod delivery;
#[cfg(test)]
mod delivery_tests;
mod follow_ups;
mod inbound;
mod intent;
mod leads;
mod plans;
mod privacy;
mod sales;
mod sellers;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trust_tests;

use std::collections::HashSet;

use promptsales_catalog::CatalogReader;
use promptsales_server::llm::LlmConfig;
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use serde::Serialize;

pub use connections::{
    ConnectionChannel, ConnectionList, ConnectionTest, ConnectionView, Credentials, EnvDefault,
    NewConnection, WhatsappRoute,
};
pub use consent::LedgerState;
pub use conversations::{LoggedInteraction, ReplyDraft, SendResult};
pub use follow_ups::{DigestGroup, FollowUpItem, FollowUpQuery, FollowUps};
pub use inbound::{WEBHOOK_ACTOR, WhatsappInbound, message_key};
pub use intent::{Factor, IntentPrediction, ModelInfo};
pub use leads::{Lead360, LeadProfile, LeadQuery, LeadUpdate, NewLead, Registration, ScoreCard};
pub use privacy::{ErasedLead, Erasure, GdprExport, LeadData, LinkedLead};
pub use sales::SaleRecorded;
pub use sellers::{
    AssignRequest, Assignment, Revenue, SellerFigures, SellerInput, SellerMetrics, SellerView,
};

use crate::connector::Connector;
use crate::crypto::{Crypto, Field};
use crate::domain::{ContactChannel, LeadId, LeadStage};
use crate::store::{CrmStore, LeadRecord};

/// Longest free-text field (names, companies, products, sources).
const MAX_SHORT_TEXT: usize = 200;
/// Longest message or interaction text.
const MAX_TEXT: usize = 10_000;

/// The CRM use cases, over one store.
#[derive(Clone, Debug)]
pub struct CrmService {
    store: CrmStore,
    crypto: Crypto,
    connector: Connector,
    llm: Option<LlmConfig>,
    /// The agency's clients and plans (read, never written): time zones,
    /// names and the crm plan each client is on. Without it nothing is
    /// limited and every client's zone is UTC.
    catalog: Option<CatalogReader>,
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

fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("encode JSON: {e}")))
}

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
            catalog: None,
        }
    }

    /// Reads clients and plans from this catalog (time zones, quotas).
    pub fn with_catalog(mut self, catalog: CatalogReader) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Sends through `connector` instead of the sandbox.
    pub fn with_connector(mut self, connector: Connector) -> Self {
        self.connector = connector;
        self
    }

    /// Scores sentiment with this LLM (the lexicon stays the fallback).
    pub fn with_llm(mut self, llm: Option<LlmConfig>) -> Self {
        self.llm = llm;
        self
    }

    pub fn store(&self) -> &CrmStore {
        &self.store
    }

    pub fn crypto(&self) -> &Crypto {
        &self.crypto
    }

    /// A lead's profile with its contact details decrypted.
    fn profile(&self, tenant: &TenantId, r: &LeadRecord) -> Result<LeadProfile, AppError> {
        let (t, id) = (tenant.as_str(), r.lead.id.as_str());
        let open = |column: &str, v: &Option<String>| {
            self.crypto
                .decrypt_opt(Field::lead(t, id, column), v.as_deref())
        };
        Ok(LeadProfile {
            lead: r.lead.clone(),
            name: open("name_enc", &r.name_enc)?,
            email: open("email_enc", &r.email_enc)?,
            phone: open("phone_enc", &r.phone_enc)?,
            company: r.company.clone(),
            product_interest: r.product_interest.clone(),
            language: r.language.clone(),
            lost_reason: r.lost_reason.clone(),
            intent_probability: r.intent_probability,
            erased: r.erased_at.is_some(),
        })
    }

    /// Encrypts a lead's contact columns for row `id` (each ciphertext is
    /// bound to its tenant, row and column).
    fn seal(
        &self,
        tenant: &TenantId,
        id: &LeadId,
        column: &str,
        v: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        self.crypto
            .encrypt_opt(Field::lead(tenant.as_str(), id.as_str(), column), v)
    }

    async fn record(&self, tenant: &TenantId, id: &str) -> Result<LeadRecord, AppError> {
        let id = LeadId::parse(id)?;
        self.store.lead_record(tenant, &id).await
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
