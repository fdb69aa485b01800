//! GDPR data-subject requests: export everything held on a person, or
//! erase their personal data while keeping anonymised facts. Both need the
//! `crm:gdpr` scope, checked here so every entry point is covered.

use chrono::{DateTime, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::scope::Scope;
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, LeadProfile, LedgerState};
use crate::domain::scoring::ScoreReason;
use crate::domain::{Interaction, LeadId, Sale};
use crate::store::{LeadSource, OutboundMessage, StageChange};

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

impl CrmService {
    pub async fn gdpr_export_lead(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<GdprExport, AppError> {
        who.require(Scope::CrmGdpr)?;
        let tenant = &who.tenant;
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
            profile: self.profile(tenant, &rec)?,
        })
    }

    pub async fn gdpr_erase_lead(&self, who: &Principal, id: &str) -> Result<Erasure, AppError> {
        who.require(Scope::CrmGdpr)?;
        let tenant = &who.tenant;
        let rec = self.record(tenant, id).await?;
        let erased = self
            .store
            .erase_lead(tenant, &rec.lead.id, &who.subject)
            .await?;
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
}
