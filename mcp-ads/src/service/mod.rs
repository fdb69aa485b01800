//! Use cases of the ads context: the campaign lifecycle and approvals here;
//! drafting and budgets in [`planning`], launch and platform actions in
//! [`launch`], performance and optimisation in [`performance`], audiences
//! and content in [`links`].

mod launch;
mod links;
mod performance;
mod planning;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::NaiveDate;
use futures::future::BoxFuture;
use promptsales_shared::AppError;
use promptsales_shared::auth::Principal;
use promptsales_shared::catalog::store::CatalogStore;
use promptsales_shared::domain::{
    Channel, ClientId, Country, Currency, Page, ProductId, TenantId, page_limit,
};
use promptsales_shared::time::parse_date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use launch::{ChannelOutcome, Confirmation, LaunchResult, PlatformAction};
pub use links::{
    AssetCheck, AttachedAsset, AudienceQuery, AudienceSize, AudienceSource, ContentSource,
    SegmentRequest, SegmentResult,
};
pub use performance::{
    ChangeSetView, ChannelPerformance, DailyPoint, OptimizeRequest, PerformanceReport, SyncReport,
};
pub use planning::{BudgetPlan, GenerateRequest, PlanBudgetRequest};

use crate::caps::SpendCaps;
use crate::connectors::Connectors;
use crate::domain::budget::{self, Allocation, BudgetRules};
use crate::domain::generate::economics;
use crate::domain::plan::{Approval, Audience, CampaignPlan, Event, Publication};
use crate::domain::{Campaign, CampaignId, CampaignStatus, Objective};
use crate::store::{AdsStore, CampaignFilter, CampaignRecord, Move, new_id};

/// The ads use cases, over one store and the platform connectors.
#[derive(Clone)]
pub struct AdsService {
    store: AdsStore,
    connectors: Connectors,
    caps: SpendCaps,
    catalog: Option<CatalogStore>,
    audiences: Option<Arc<dyn AudienceSource>>,
    content: Option<Arc<dyn ContentSource>>,
}

impl std::fmt::Debug for AdsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdsService")
            .field("connectors", &self.connectors)
            .finish()
    }
}

/// A campaign with its plan, audience, approval, history and platforms.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CampaignView {
    #[serde(flatten)]
    pub campaign: Campaign,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// The latest approval decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    pub audience: Audience,
    pub plan: CampaignPlan,
    /// Each channel on its platform (after a launch).
    pub publications: Vec<Publication>,
    /// not_launched, launched, or partial (some channels failed and are
    /// retried by launching again with a new idempotency key).
    pub delivery_state: String,
    /// Statuses the campaign may move to next.
    pub allowed_next: Vec<CampaignStatus>,
    /// True when any channel runs on the sandbox connector.
    pub sandbox: bool,
    pub assets: Vec<AttachedAsset>,
    pub history: Vec<Event>,
}

/// Arguments of `create_campaign` / `update_campaign` (update: all optional).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct CampaignInput {
    /// Id to use (default: a new `cmp_…`); create only.
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub name: Option<String>,
    /// awareness, traffic, leads or sales.
    pub objective: Option<String>,
    /// Total budget in hundredths of `currency` (e.g. 1500000 = 15,000.00).
    pub budget_cents: Option<i64>,
    /// ISO-4217 code, e.g. COP, MXN, USD.
    pub currency: Option<String>,
    /// First day, YYYY-MM-DD.
    pub start_date: Option<String>,
    /// Last day, YYYY-MM-DD, on or after start_date.
    pub end_date: Option<String>,
    /// Canonical channel names: google_ads, meta, instagram, tiktok, linkedin, email, sms, whatsapp, influencer.
    pub channels: Option<Vec<String>>,
    /// ISO-3166 alpha-2 codes, e.g. ["CO", "MX"].
    pub countries: Option<Vec<String>>,
    /// Budget per channel; must sum to budget_cents. Default: planned from expected return.
    pub allocations: Option<Vec<AllocationInput>>,
    /// Who to reach, in words ("B2B decision makers in Bogotá").
    pub audience_hints: Option<Vec<String>>,
    /// A stored segment (segment_audience) to target.
    pub segment_id: Option<String>,
    pub product_id: Option<String>,
    /// Email subject (email channel).
    pub subject: Option<String>,
    /// Message text for email and SMS channels.
    pub message: Option<String>,
    /// E.164 numbers the SMS channel sends to.
    pub sms_recipients: Option<Vec<String>>,
    /// Where the ads send people: an https URL.
    pub landing_url: Option<String>,
}

/// One channel's budget in a hand-made plan.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct AllocationInput {
    pub channel: String,
    pub budget_cents: i64,
}

pub(crate) fn required<T>(field: &str, v: Option<T>, expected: &str) -> Result<T, AppError> {
    v.ok_or_else(|| AppError::invalid(field, expected, "nothing"))
}

pub(crate) fn parse_channels(raw: &[String]) -> Result<Vec<Channel>, AppError> {
    let mut out: Vec<Channel> = Vec::new();
    for r in raw {
        let c = Channel::parse(r)?;
        if !c.is_paid() {
            return Err(AppError::invalid(
                "channels",
                "channels that buy media or reach people (organic and web cannot be launched)",
                r,
            ));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid("channels", "at least one channel", "[]"));
    }
    Ok(out)
}

pub(crate) fn parse_countries(raw: &[String]) -> Result<Vec<Country>, AppError> {
    let mut out: Vec<Country> = Vec::new();
    for r in raw {
        let c = Country::parse_field("countries", r)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid(
            "countries",
            "at least one ISO-3166 alpha-2 code",
            "[]",
        ));
    }
    Ok(out)
}

fn parse_e164(raw: &[String]) -> Result<Vec<String>, AppError> {
    raw.iter()
        .map(|r| {
            let t = r.trim();
            let ok = t.starts_with('+')
                && (8..=16).contains(&t.len())
                && t[1..].bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(t.to_owned())
            } else {
                Err(AppError::invalid(
                    "sms_recipients",
                    "E.164 phone numbers such as +573001234567",
                    r,
                ))
            }
        })
        .collect()
}

fn parse_url(raw: &str) -> Result<String, AppError> {
    let t = raw.trim();
    let ok = t.len() <= 2000
        && t.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with('/') && !t.chars().any(char::is_whitespace)
        });
    if ok {
        Ok(t.to_owned())
    } else {
        Err(AppError::invalid("landing_url", "an https:// URL", raw))
    }
}

pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

impl AdsService {
    pub fn new(store: AdsStore) -> Self {
        Self {
            store,
            connectors: Connectors::sandbox_only(),
            caps: SpendCaps::default(),
            catalog: None,
            audiences: None,
            content: None,
        }
    }

    pub fn with_connectors(mut self, c: Connectors) -> Self {
        self.connectors = c;
        self
    }

    pub fn with_caps(mut self, caps: SpendCaps) -> Self {
        self.caps = caps;
        self
    }

    /// Checks client and product ids against the catalog.
    pub fn with_catalog(mut self, catalog: CatalogStore) -> Self {
        self.catalog = Some(catalog);
        self
    }

    pub fn with_audiences(mut self, a: Arc<dyn AudienceSource>) -> Self {
        self.audiences = Some(a);
        self
    }

    pub fn with_content(mut self, c: Arc<dyn ContentSource>) -> Self {
        self.content = Some(c);
        self
    }

    pub fn store(&self) -> &AdsStore {
        &self.store
    }

    pub fn connectors(&self) -> &Connectors {
        &self.connectors
    }

    pub async fn get_campaign(&self, tenant: &TenantId, id: &str) -> Result<Campaign, AppError> {
        let id = CampaignId::parse(id)?;
        self.store.get_campaign(tenant, &id).await
    }

    /// The full view of one campaign.
    pub async fn view(&self, tenant: &TenantId, id: &str) -> Result<CampaignView, AppError> {
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        self.view_of(tenant, rec).await
    }

    async fn view_of(
        &self,
        tenant: &TenantId,
        rec: CampaignRecord,
    ) -> Result<CampaignView, AppError> {
        let id = rec.campaign.id.clone();
        let (publications, history, assets) = futures::try_join!(
            self.store.publications(tenant, &id),
            self.store.events(tenant, &id),
            self.store.assets(tenant, &id),
        )?;
        let approval = history
            .iter()
            .rev()
            .find(|e| e.action == "approve" || e.action == "reject")
            .map(|e| Approval {
                decision: if e.action == "approve" {
                    "approved".into()
                } else {
                    "rejected".into()
                },
                by: e.actor.clone(),
                at: e.at.clone(),
                note: e.note.clone(),
            });
        let delivery_state = if publications.is_empty() {
            "not_launched"
        } else if publications.iter().any(|p| p.state == "failed") {
            "partial"
        } else {
            "launched"
        };
        Ok(CampaignView {
            allowed_next: rec.campaign.status.allowed_next().to_vec(),
            sandbox: publications.iter().any(|p| p.sandbox),
            delivery_state: delivery_state.into(),
            created_by: rec.created_by,
            approval,
            audience: rec.audience,
            plan: rec.plan,
            publications,
            assets: assets
                .into_iter()
                .map(|(asset_id, channel, version)| AttachedAsset {
                    asset_id,
                    channel,
                    version,
                })
                .collect(),
            history,
            campaign: rec.campaign,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn list_campaigns(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Campaign>, AppError> {
        self.list_filtered(tenant, client_id, status, None, None, None, cursor, limit)
            .await
    }

    /// Campaigns by id with every filter, keyset-paginated.
    #[allow(clippy::too_many_arguments)]
    pub async fn list_filtered(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
        status: Option<&str>,
        objective: Option<&str>,
        channel: Option<&str>,
        country: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Campaign>, AppError> {
        let filter = CampaignFilter {
            client_id: client_id.map(ClientId::parse).transpose()?,
            status: status.map(CampaignStatus::parse).transpose()?,
            objective: objective.map(Objective::parse).transpose()?,
            channel: channel.map(Channel::parse).transpose()?,
            country: country.map(Country::parse).transpose()?,
        };
        let cursor = cursor
            .map(|c| {
                CampaignId::parse(c).map_err(|_| {
                    AppError::invalid("cursor", "a cursor returned by a previous page", c)
                })
            })
            .transpose()?;
        self.store
            .list_campaigns(
                tenant,
                &filter,
                cursor.as_ref().map(|c| c.as_str()),
                page_limit(limit)?,
            )
            .await
    }

    async fn check_refs(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        product: Option<&str>,
    ) -> Result<(), AppError> {
        let Some(cat) = &self.catalog else {
            return Ok(());
        };
        if !cat.client_exists(tenant, client).await? {
            return Err(AppError::not_found("client", client.as_str()));
        }
        if let Some(p) = product {
            let pid = ProductId::parse(p)?;
            let prod = cat.get_product(tenant, &pid).await?;
            if prod.client_id != *client {
                return Err(AppError::invalid(
                    "product_id",
                    format!("a product of client {client}"),
                    p,
                ));
            }
        }
        Ok(())
    }

    /// Allocations from the caller, checked to sum to the budget, or
    /// planned from the benchmarks.
    fn allocations_for(
        &self,
        budget_cents: i64,
        currency: Currency,
        channels: &[Channel],
        given: Option<&[AllocationInput]>,
    ) -> Result<Vec<Allocation>, AppError> {
        match given {
            Some(list) => {
                let mut out = Vec::new();
                for a in list {
                    let c = Channel::parse(&a.channel)?;
                    if !channels.contains(&c) {
                        return Err(AppError::invalid(
                            "allocations",
                            format!(
                                "channels of the campaign ({})",
                                channels
                                    .iter()
                                    .map(|c| c.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            c.as_str(),
                        ));
                    }
                    if a.budget_cents < 0 {
                        return Err(AppError::invalid(
                            "allocations.budget_cents",
                            "zero or a positive amount",
                            a.budget_cents.to_string(),
                        ));
                    }
                    let e = economics(c, currency, None);
                    out.push(Allocation {
                        channel: c,
                        budget_cents: a.budget_cents,
                        share: a.budget_cents as f64 / budget_cents.max(1) as f64,
                        expected_roas: e.expected_roas,
                        reason: "set by hand".into(),
                    });
                }
                let sum: i64 = out.iter().map(|a| a.budget_cents).sum();
                if sum != budget_cents {
                    return Err(AppError::invalid(
                        "allocations",
                        format!("parts summing to budget_cents {budget_cents}"),
                        sum.to_string(),
                    ));
                }
                Ok(out)
            }
            None => {
                let outlooks: Vec<_> = channels
                    .iter()
                    .map(|c| economics(*c, currency, None).outlook())
                    .collect();
                let rules = BudgetRules {
                    floor_share: BudgetRules::default()
                        .floor_share
                        .min(1.0 / channels.len() as f64),
                    cap_share: BudgetRules::default()
                        .cap_share
                        .max(1.0 / channels.len() as f64),
                    ..BudgetRules::default()
                };
                budget::plan(budget_cents, &outlooks, rules)
            }
        }
    }

    /// Creates a draft (the caller is recorded as its creator).
    pub async fn create_campaign(
        &self,
        who: &Principal,
        input: CampaignInput,
    ) -> Result<CampaignView, AppError> {
        let tenant = &who.tenant;
        let id = match &input.campaign_id {
            Some(s) => CampaignId::parse(s)?,
            None => CampaignId::from_trusted(new_id(CampaignId::PREFIX)),
        };
        let client = ClientId::parse(&required(
            "client_id",
            input.client_id.clone(),
            "a client id",
        )?)?;
        let name = required("name", input.name.clone(), "a campaign name")?;
        let budget_cents = required(
            "budget_cents",
            input.budget_cents,
            "a positive amount in hundredths",
        )?;
        let c = Campaign {
            id,
            client_id: client,
            name: name_ok(&name)?,
            objective: Objective::parse(&required(
                "objective",
                input.objective.clone(),
                "awareness, traffic, leads or sales",
            )?)?,
            status: CampaignStatus::Draft,
            budget_cents: positive_budget(budget_cents)?,
            currency: Currency::parse(&required(
                "currency",
                input.currency.clone(),
                "an ISO-4217 code",
            )?)?,
            start_date: parse_date(
                "start_date",
                &required("start_date", input.start_date.clone(), "a date YYYY-MM-DD")?,
            )?,
            end_date: parse_date(
                "end_date",
                &required("end_date", input.end_date.clone(), "a date YYYY-MM-DD")?,
            )?,
            channels: parse_channels(&required(
                "channels",
                input.channels.clone(),
                "a list of channels",
            )?)?,
            countries: parse_countries(&required(
                "countries",
                input.countries.clone(),
                "a list of ISO-3166 codes",
            )?)?,
        };
        c.validate()?;
        self.caps.check_campaign(c.budget_cents, c.currency)?;
        self.check_refs(tenant, &c.client_id, input.product_id.as_deref())
            .await?;
        let plan = CampaignPlan {
            allocations: self.allocations_for(
                c.budget_cents,
                c.currency,
                &c.channels,
                input.allocations.as_deref(),
            )?,
            product_id: input.product_id.clone(),
            subject: input.subject.clone(),
            message: input.message.clone(),
            sms_recipients: parse_e164(input.sms_recipients.as_deref().unwrap_or_default())?,
            landing_url: input.landing_url.as_deref().map(parse_url).transpose()?,
            ..CampaignPlan::default()
        };
        let audience = self
            .audience_of(tenant, &input, Audience::default())
            .await?;
        self.store
            .create_campaign(tenant, &c, &plan, &audience, &who.subject)
            .await?;
        self.view(tenant, c.id.as_str()).await
    }

    async fn audience_of(
        &self,
        tenant: &TenantId,
        input: &CampaignInput,
        mut a: Audience,
    ) -> Result<Audience, AppError> {
        if let Some(h) = &input.audience_hints {
            a.hints = h
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(sid) = &input.segment_id {
            let seg = self.store.get_segment(tenant, sid).await?;
            a.segment_id = Some(seg.id);
            a.reachable = Some(seg.reachable);
        }
        Ok(a)
    }

    /// Edits a draft or rejected campaign; a rejected one returns to draft.
    pub async fn update_campaign(
        &self,
        who: &Principal,
        id: &str,
        input: CampaignInput,
    ) -> Result<CampaignView, AppError> {
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let before = rec.campaign.status;
        if !before.editable() {
            return Err(AppError::Conflict(format!(
                "campaign `{id}` is {before}: only draft or rejected campaigns can be edited; allowed next: {}",
                before
                    .allowed_next()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if input.campaign_id.is_some() {
            return Err(AppError::invalid(
                "campaign_id",
                "no new id (ids cannot change)",
                "a value",
            ));
        }
        let mut c = rec.campaign.clone();
        if let Some(v) = &input.client_id {
            c.client_id = ClientId::parse(v)?;
        }
        if let Some(v) = &input.name {
            c.name = name_ok(v)?;
        }
        if let Some(v) = &input.objective {
            c.objective = Objective::parse(v)?;
        }
        if let Some(v) = input.budget_cents {
            c.budget_cents = positive_budget(v)?;
        }
        if let Some(v) = &input.currency {
            c.currency = Currency::parse(v)?;
        }
        if let Some(v) = &input.start_date {
            c.start_date = parse_date("start_date", v)?;
        }
        if let Some(v) = &input.end_date {
            c.end_date = parse_date("end_date", v)?;
        }
        if let Some(v) = &input.channels {
            c.channels = parse_channels(v)?;
        }
        if let Some(v) = &input.countries {
            c.countries = parse_countries(v)?;
        }
        c.validate()?;
        self.caps.check_campaign(c.budget_cents, c.currency)?;
        let mut plan = rec.plan.clone();
        if let Some(p) = &input.product_id {
            plan.product_id = Some(p.clone());
        }
        self.check_refs(tenant, &c.client_id, plan.product_id.as_deref())
            .await?;
        let replan = input.allocations.is_some()
            || c.budget_cents != rec.campaign.budget_cents
            || c.channels != rec.campaign.channels
            || c.currency != rec.campaign.currency;
        if replan {
            plan.allocations = self.allocations_for(
                c.budget_cents,
                c.currency,
                &c.channels,
                input.allocations.as_deref(),
            )?;
            plan.kpis = None;
            plan.schedule.clear();
        }
        if input.subject.is_some() {
            plan.subject = input.subject.clone();
        }
        if input.message.is_some() {
            plan.message = input.message.clone();
        }
        if let Some(r) = &input.sms_recipients {
            plan.sms_recipients = parse_e164(r)?;
        }
        if let Some(u) = &input.landing_url {
            plan.landing_url = Some(parse_url(u)?);
        }
        let audience = self
            .audience_of(tenant, &input, rec.audience.clone())
            .await?;
        let mv = (before == CampaignStatus::Rejected).then_some(Move {
            actor: &who.subject,
            action: "revise",
            from: before,
            to: CampaignStatus::Draft,
            note: Some("edited after rejection"),
        });
        c.status = CampaignStatus::Draft;
        self.store
            .save_campaign(tenant, &c, &plan, &audience, before, mv)
            .await?;
        self.view(tenant, id.as_str()).await
    }

    /// Draft → pending_approval, after checking the campaign is complete.
    pub async fn submit(
        &self,
        who: &Principal,
        id: &str,
        note: Option<String>,
    ) -> Result<CampaignView, AppError> {
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let c = &rec.campaign;
        let to = c
            .status
            .transition(id.as_str(), CampaignStatus::PendingApproval)?;
        if c.end_date < today() {
            return Err(AppError::invalid(
                "end_date",
                format!("a date from today ({}) on: the flight is over", today()),
                c.end_date.to_string(),
            ));
        }
        let sum: i64 = rec.plan.allocations.iter().map(|a| a.budget_cents).sum();
        if sum != c.budget_cents {
            return Err(AppError::Conflict(format!(
                "campaign `{id}`: its channel budgets sum to {sum}, not its budget {}; run plan_budget with campaign_id first",
                c.budget_cents
            )));
        }
        self.store
            .transition(
                tenant,
                &id,
                Move {
                    actor: &who.subject,
                    action: "submit",
                    from: c.status,
                    to,
                    note: note.as_deref(),
                },
            )
            .await?;
        self.view(tenant, id.as_str()).await
    }

    /// pending_approval → approved (scope `ads:approve`; not by its creator).
    pub async fn approve(
        &self,
        who: &Principal,
        id: &str,
        note: Option<String>,
    ) -> Result<CampaignView, AppError> {
        who.require_scope("ads:approve")?;
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let to = rec
            .campaign
            .status
            .transition(id.as_str(), CampaignStatus::Approved)?;
        if rec.created_by.as_deref() == Some(who.subject.as_str()) {
            return Err(AppError::PermissionDenied(format!(
                "{} created campaign `{id}` and cannot approve it: another person with ads:approve must",
                who.subject
            )));
        }
        self.store
            .transition(
                tenant,
                &id,
                Move {
                    actor: &who.subject,
                    action: "approve",
                    from: rec.campaign.status,
                    to,
                    note: note.as_deref(),
                },
            )
            .await?;
        self.view(tenant, id.as_str()).await
    }

    /// pending_approval → rejected with a note saying why (scope `ads:approve`).
    pub async fn reject(
        &self,
        who: &Principal,
        id: &str,
        note: String,
    ) -> Result<CampaignView, AppError> {
        who.require_scope("ads:approve")?;
        if note.trim().is_empty() {
            return Err(AppError::invalid(
                "note",
                "why the campaign is rejected",
                "",
            ));
        }
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let to = rec
            .campaign
            .status
            .transition(id.as_str(), CampaignStatus::Rejected)?;
        self.store
            .transition(
                tenant,
                &id,
                Move {
                    actor: &who.subject,
                    action: "reject",
                    from: rec.campaign.status,
                    to,
                    note: Some(note.trim()),
                },
            )
            .await?;
        self.view(tenant, id.as_str()).await
    }
}

fn name_ok(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 {
        return Err(AppError::invalid("name", "1-200 characters", name));
    }
    Ok(n.to_owned())
}

fn positive_budget(v: i64) -> Result<i64, AppError> {
    if v <= 0 {
        return Err(AppError::invalid(
            "budget_cents",
            "a positive amount in hundredths of the currency",
            v.to_string(),
        ));
    }
    Ok(v)
}

/// Boxed future of the read-path adapters.
pub type ReadFut<'a, T> = BoxFuture<'a, Result<T, AppError>>;
