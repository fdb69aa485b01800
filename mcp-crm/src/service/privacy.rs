//! GDPR data-subject requests: export everything held on a person, or
//! erase their personal data while keeping anonymised facts. A person may
//! be a lead of several clients: both requests find every lead of the same
//! person (same email or phone blind index, across clients) and say so;
//! an erasure erases them all unless asked for the one lead only. Both
//! need the `crm:gdpr` scope, checked here so every entry point is
//! covered.

use chrono::{DateTime, Utc};
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::scope::Scope;
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, LeadProfile, LedgerState};
use crate::domain::scoring::ScoreReason;
use crate::domain::{Interaction, LeadId, Sale};
use crate::store::{LeadRecord, LeadSource, OutboundMessage, PersonLead, StageChange};

/// How many times the search for the person's leads follows the contacts
/// of leads it found (a lead sharing the email of one and the phone of
/// another).
const LINK_ROUNDS: usize = 3;

/// Everything held on one lead.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LeadData {
    pub profile: LeadProfile,
    pub score_reasons: Vec<ScoreReason>,
    pub sources: Vec<LeadSource>,
    pub stage_history: Vec<StageChange>,
    pub interactions: Vec<Interaction>,
    pub messages: Vec<OutboundMessage>,
    pub sales: Vec<Sale>,
    pub consent: LedgerState,
}

/// Another lead of the same person (another client's, usually).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LinkedLead {
    /// `email` and/or `phone`: what identifies them as the same person.
    pub matched_on: Vec<String>,
    #[serde(flatten)]
    pub data: LeadData,
}

/// Everything held on a person: the lead asked about, and every other
/// lead of the same person.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GdprExport {
    pub exported_at: DateTime<Utc>,
    #[serde(flatten)]
    pub lead: LeadData,
    /// The same person's other leads (of other clients), in full.
    pub same_person: Vec<LinkedLead>,
    /// Says how many leads of how many clients the person has.
    pub notice: String,
}

/// One lead an erasure reached.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErasedLead {
    pub lead_id: LeadId,
    pub client_id: ClientId,
    /// `email` and/or `phone`: why it is the same person.
    pub matched_on: Vec<String>,
    /// False when it had already been erased, or was left (`only_this_lead`).
    pub erased: bool,
}

/// What an erasure removed and kept.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Erasure {
    pub lead_id: LeadId,
    /// False when the lead had already been erased.
    pub erased: bool,
    /// The same person's other leads, and whether each was erased too.
    pub same_person: Vec<ErasedLead>,
    /// Says what happened to the person's other leads.
    pub notice: String,
    pub removed: Vec<String>,
    pub kept: Vec<String>,
}

impl CrmService {
    /// Every blind index the lead's contacts may be stored under: its own,
    /// and while a key rotation is unfinished the previous key's.
    fn person_indexes(
        &self,
        tenant: &TenantId,
        rec: &LeadRecord,
    ) -> Result<(Vec<String>, Vec<String>), AppError> {
        let p = self.profile(tenant, rec)?;
        let t = tenant.as_str();
        let all = |kind: &str, hash: &Option<String>, plain: &Option<String>| {
            let mut v: Vec<String> = hash.iter().cloned().collect();
            if let Some(plain) = plain {
                v.extend(self.crypto.previous_blind_indexes(t, kind, plain));
            }
            v
        };
        Ok((
            all("email", &rec.email_hash, &p.email),
            all("phone", &rec.phone_hash, &p.phone),
        ))
    }

    /// The person's other leads, whatever their client: those sharing an
    /// email or phone index with this lead, or with a lead found so.
    async fn same_person(
        &self,
        tenant: &TenantId,
        rec: &LeadRecord,
    ) -> Result<Vec<PersonLead>, AppError> {
        let (mut emails, mut phones) = self.person_indexes(tenant, rec)?;
        let mut found: Vec<PersonLead> = Vec::new();
        for round in 0..LINK_ROUNDS {
            let leads = self.store.leads_of_person(tenant, &emails, &phones).await?;
            let mut grew = false;
            for l in leads {
                if l.lead_id == rec.lead.id {
                    continue;
                }
                match found.iter_mut().find(|f| f.lead_id == l.lead_id) {
                    // What a lead shares with this one is the first
                    // round's; later rounds match it on its own contacts.
                    Some(_) if round > 0 => {}
                    Some(f) => {
                        for m in l.matched_on {
                            if !f.matched_on.contains(&m) {
                                f.matched_on.push(m);
                            }
                        }
                    }
                    None => {
                        let other = self.store.lead_record(tenant, &l.lead_id).await?;
                        let (e, p) = self.person_indexes(tenant, &other)?;
                        for h in e {
                            if !emails.contains(&h) {
                                emails.push(h);
                                grew = true;
                            }
                        }
                        for h in p {
                            if !phones.contains(&h) {
                                phones.push(h);
                                grew = true;
                            }
                        }
                        found.push(l);
                    }
                }
            }
            if !grew {
                break;
            }
        }
        found.sort_by(|a, b| a.lead_id.cmp(&b.lead_id));
        Ok(found)
    }

    async fn lead_data(&self, tenant: &TenantId, rec: &LeadRecord) -> Result<LeadData, AppError> {
        let id = &rec.lead.id;
        Ok(LeadData {
            score_reasons: rec
                .score_reasons
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or_default(),
            sources: self.store.sources(tenant, id).await?,
            stage_history: self.store.stage_history(tenant, id).await?,
            interactions: self.store.interactions_of(tenant, id).await?,
            messages: self.store.outbound_of(tenant, id).await?,
            sales: self.sales_of(tenant, id).await?,
            consent: self.ledger_state(tenant, rec).await?,
            profile: self.profile(tenant, rec)?,
        })
    }

    /// Everything held on the person behind a lead, their leads of other
    /// clients included.
    pub async fn gdpr_export_lead(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<GdprExport, AppError> {
        who.require(Scope::CrmGdpr)?;
        let tenant = &who.tenant;
        let rec = self.record(tenant, id).await?;
        let links = self.same_person(tenant, &rec).await?;
        let mut same_person = Vec::new();
        for l in &links {
            let other = self.store.lead_record(tenant, &l.lead_id).await?;
            same_person.push(LinkedLead {
                matched_on: l.matched_on.clone(),
                data: self.lead_data(tenant, &other).await?,
            });
        }
        Ok(GdprExport {
            exported_at: Utc::now(),
            notice: notice(&rec, &links, "exported with it"),
            lead: self.lead_data(tenant, &rec).await?,
            same_person,
        })
    }

    /// Erases the person's personal data: this lead and (unless
    /// `only_this_lead`) every other lead of the same person, in one
    /// transaction.
    pub async fn gdpr_erase_lead(
        &self,
        who: &Principal,
        id: &str,
        only_this_lead: bool,
    ) -> Result<Erasure, AppError> {
        who.require(Scope::CrmGdpr)?;
        let tenant = &who.tenant;
        let rec = self.record(tenant, id).await?;
        // Found before erasing: erasure removes the indexes that link them.
        let links = self.same_person(tenant, &rec).await?;
        let mut ids = vec![rec.lead.id.clone()];
        if !only_this_lead {
            ids.extend(links.iter().map(|l| l.lead_id.clone()));
        }
        let erased = self.store.erase_leads(tenant, &ids, &who.subject).await?;
        let done = |id: &LeadId| ids.iter().zip(&erased).any(|(i, e)| i == id && *e);
        let same_person: Vec<ErasedLead> = links
            .iter()
            .map(|l| ErasedLead {
                lead_id: l.lead_id.clone(),
                client_id: l.client_id.clone(),
                matched_on: l.matched_on.clone(),
                erased: done(&l.lead_id),
            })
            .collect();
        Ok(Erasure {
            lead_id: rec.lead.id.clone(),
            erased: done(&rec.lead.id),
            notice: notice(
                &rec,
                &links,
                if only_this_lead {
                    "left as they were (only_this_lead)"
                } else {
                    "erased with it"
                },
            ),
            same_person,
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
                "suppressions in the consent ledger (keyed by blind index) so an opt-out is honoured for every client",
            ]
            .map(String::from)
            .to_vec(),
        })
    }
}

/// "The same person is also a lead of 1 other client (…): exported with it."
fn notice(rec: &LeadRecord, links: &[PersonLead], what: &str) -> String {
    if links.is_empty() {
        return format!(
            "no other lead shares this person's email or phone: lead `{}` of client `{}` is all we hold",
            rec.lead.id, rec.lead.client_id
        );
    }
    let mut clients: Vec<&str> = links.iter().map(|l| l.client_id.as_str()).collect();
    clients.sort_unstable();
    clients.dedup();
    let leads: Vec<String> = links
        .iter()
        .map(|l| {
            format!(
                "{} (client {}, same {})",
                l.lead_id,
                l.client_id,
                l.matched_on.join(" and ")
            )
        })
        .collect();
    format!(
        "the same person is also {} other lead(s) of {} client(s): {}; {what}",
        links.len(),
        clients.len(),
        leads.join(", ")
    )
}
