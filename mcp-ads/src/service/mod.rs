//! Use cases of the ads context: campaign views, lists and approvals (four
//! eyes, creatives or waivers) here; hand-made drafts in [`drafts`],
//! generated drafts and budgets in [`planning`], launches in [`launch`],
//! pause/resume/complete in [`platform`], performance and proposals in
//! [`performance`], change sets in [`change_sets`], audiences and content
//! in [`links`], what an approver reads in [`review`], each client's
//! platform accounts in [`connections`], its plan in [`tiers`].

mod change_sets;
#[cfg(test)]
mod client_tests;
mod connections;
mod drafts;
#[cfg(test)]
mod forecast_tests;
mod launch;
mod links;
mod performance;
mod planning;
mod platform;
mod review;
#[cfg(test)]
mod tests;
mod tiers;
#[cfg(test)]
mod trust_tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use futures::future::BoxFuture;
use promptsales_catalog::CatalogReader;
use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{
    Channel, ClientId, Country, Page, ProductId, TenantId, page_limit,
};
use promptsales_shared::scope::Scope;
use promptsales_shared::time::format_ts;
use schemars::JsonSchema;
use serde::Serialize;

pub use change_sets::{ChangeSetDecision, ChangeSetView};
pub use connections::{
    ConnectionList, ConnectionStatus, ConnectionTest, ConnectionView, EXPIRY_ALERT_DAYS,
    SetConnectionRequest, TestOutcome, open_sealed, view_of as connection_view,
};
pub use drafts::{AllocationInput, CampaignInput};
pub use launch::{ChannelOutcome, Confirmation, LaunchResult};
pub use links::{
    AssetCheck, AttachedAsset, AudienceQuery, AudienceSize, AudienceSource, ContentSource,
    SegmentRequest, SegmentResult,
};
pub use performance::{
    ChannelPerformance, DailyPoint, OptimizeRequest, PerformanceReport, SyncReport,
};
pub use planning::{BudgetPlan, GenerateRequest, PlanBudgetRequest};
pub use platform::{PlatformAction, PlatformMove};
pub use review::{
    ApprovalView, BudgetView, CapsView, ChannelBudgetView, ChannelCreatives, CreativeCopy,
    CreativeWaiver, budget_view, needs_creative,
};
pub use tiers::planned_in;

use crate::caps::{DEFAULT_CLAIM_TTL, SpendCaps};
use crate::connectors::Connectors;
use crate::domain::plan::{Approval, Audience, CampaignPlan, Event, Publication, Waiver};
use crate::domain::{Campaign, CampaignId, CampaignStatus, Objective};
use crate::store::{AdsStore, CampaignFilter, CampaignRecord, Move};

/// The ads use cases, over one store and the platform connectors.
#[derive(Clone)]
pub struct AdsService {
    store: AdsStore,
    connectors: Connectors,
    caps: SpendCaps,
    /// A launch claim not refreshed for this long is stale (its process
    /// died) and may be taken over.
    claim_ttl: Duration,
    catalog: Option<CatalogReader>,
    audiences: Option<Arc<dyn AudienceSource>>,
    content: Option<Arc<dyn ContentSource>>,
    /// Seals and opens connection credentials (None: no key; connections
    /// without credentials still work).
    crypto: Option<promptsales_shared::crypto::Crypto>,
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
    /// Who changed it last (update, plan, segment, content); with the
    /// creator, who may not approve it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_at: Option<String>,
    /// The launch running now, if any (a stale one can be taken over).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launching: Option<LaunchingView>,
    /// The latest approval decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    pub audience: Audience,
    pub plan: CampaignPlan,
    /// Each channel on its platform (after a launch).
    pub publications: Vec<Publication>,
    /// not_launched, launching (a launch holds the campaign), launched, or
    /// partial (some channels failed or were created but not enabled; they
    /// are finished by launching again with a new idempotency key).
    pub delivery_state: String,
    /// Statuses the campaign may move to next.
    pub allowed_next: Vec<CampaignStatus>,
    /// True when any channel runs on the sandbox connector.
    pub sandbox: bool,
    pub assets: Vec<AttachedAsset>,
    /// The budget plan in the currency's major units.
    pub budget_plan: review::BudgetView,
    /// Per channel: the attached creatives' copy and whether they may run,
    /// or the approver's waiver.
    pub creatives: Vec<review::ChannelCreatives>,
    /// The caps and the client's plan limits in force.
    pub caps: review::CapsView,
    /// Channels the approval let run without a creative.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
    pub history: Vec<Event>,
}

/// A launch holding a campaign.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LaunchingView {
    pub by: String,
    /// When the claim was last refreshed.
    pub since: String,
    /// True when it stopped refreshing (its process died): the next launch
    /// takes it over.
    pub stale: bool,
}

pub(crate) fn required<T>(field: &str, v: Option<T>, expected: &str) -> Result<T, AppError> {
    v.ok_or_else(|| AppError::invalid(field, expected, "nothing"))
}

/// A campaign's channels: paid ones only, each once, at least one.
pub(crate) fn check_channels(raw: &[Channel]) -> Result<Vec<Channel>, AppError> {
    let mut out: Vec<Channel> = Vec::new();
    for c in raw.iter().copied() {
        if !c.is_paid() {
            return Err(AppError::invalid(
                "channels",
                "channels that buy media or reach people (organic and web cannot be launched)",
                c.as_str(),
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

pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

impl AdsService {
    pub fn new(store: AdsStore) -> Self {
        Self {
            store,
            connectors: Connectors::sandbox_only(),
            caps: SpendCaps::default(),
            claim_ttl: DEFAULT_CLAIM_TTL,
            catalog: None,
            audiences: None,
            content: None,
            crypto: None,
        }
    }

    /// The key connection credentials are sealed with.
    pub fn with_crypto(mut self, c: promptsales_shared::crypto::Crypto) -> Self {
        self.crypto = Some(c);
        self
    }

    pub fn with_connectors(mut self, c: Connectors) -> Self {
        self.connectors = c;
        self
    }

    pub fn with_caps(mut self, caps: SpendCaps) -> Self {
        self.caps = caps;
        self
    }

    /// How long a launch claim stays valid without a refresh.
    pub fn with_launch_claim_ttl(mut self, ttl: Duration) -> Self {
        self.claim_ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// Claims last refreshed before this instant are stale.
    pub(crate) fn stale_before(&self) -> String {
        let ttl = chrono::Duration::from_std(self.claim_ttl).unwrap_or(chrono::Duration::MAX);
        format_ts(chrono::Utc::now() - ttl)
    }

    /// Checks client and product ids against the catalog.
    pub fn with_catalog(mut self, catalog: CatalogReader) -> Self {
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
        let creatives = self.creatives(tenant, &rec, &assets, &rec.waivers).await?;
        let caps = self.caps_view(tenant, &rec).await;
        let budget_plan = review::budget_view(&rec);
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
        let launching = rec.launch_claim.as_ref().map(|h| LaunchingView {
            by: h.by.clone(),
            since: h.at.clone(),
            stale: h.at < self.stale_before(),
        });
        let delivery_state = if launching.as_ref().is_some_and(|l| !l.stale) {
            "launching"
        } else if publications.is_empty() {
            "not_launched"
        } else if publications
            .iter()
            .any(|p| p.state == "failed" || launch::unfinished(p))
        {
            "partial"
        } else {
            "launched"
        };
        Ok(CampaignView {
            allowed_next: rec.campaign.status.allowed_next().to_vec(),
            sandbox: publications.iter().any(|p| p.sandbox),
            delivery_state: delivery_state.into(),
            created_by: rec.created_by,
            last_edited_by: rec.last_edited_by,
            last_edited_at: rec.last_edited_at,
            launching,
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
            budget_plan,
            creatives,
            caps,
            waivers: rec.waivers,
            history,
            campaign: rec.campaign,
        })
    }

    /// Campaigns by id with every filter, keyset-paginated.
    #[allow(clippy::too_many_arguments)]
    pub async fn list_filtered(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
        status: Option<CampaignStatus>,
        objective: Option<Objective>,
        channel: Option<Channel>,
        country: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Campaign>, AppError> {
        let filter = CampaignFilter {
            client_id: client_id.map(ClientId::parse).transpose()?,
            status,
            objective,
            channel,
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

    /// [`Self::approve_with`] without waivers.
    pub async fn approve(
        &self,
        who: &Principal,
        id: &str,
        note: Option<String>,
    ) -> Result<CampaignView, AppError> {
        self.approve_with(who, id, note, &[]).await
    }

    /// pending_approval → approved (scope `ads:approve`; four eyes: not
    /// by its creator, not by its last editor), only when every channel
    /// that needs a creative has a usable one or is waived in `waivers`
    /// (each with a note, recorded with the approval).
    pub async fn approve_with(
        &self,
        who: &Principal,
        id: &str,
        note: Option<String>,
        waivers: &[CreativeWaiver],
    ) -> Result<CampaignView, AppError> {
        who.require(Scope::AdsApprove)?;
        let tenant = &who.tenant;
        let id = CampaignId::parse(id)?;
        let rec = self.store.get_record(tenant, &id).await?;
        let to = rec
            .campaign
            .status
            .transition(id.as_str(), CampaignStatus::Approved)?;
        four_eyes_on_campaign(who, &rec)?;
        let waivers = self.waivers_for_approval(who, &rec, waivers).await?;
        // The store repeats the editor check in the conditional update, so
        // an edit between this read and the approval cannot slip through.
        self.store
            .approve_with_waivers(
                tenant,
                &id,
                Move {
                    actor: &who.subject,
                    action: "approve",
                    from: rec.campaign.status,
                    to,
                    note: note.as_deref(),
                },
                &waivers,
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
        who.require(Scope::AdsApprove)?;
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

/// Four eyes on a campaign: whoever created it or edited it last cannot
/// approve it.
pub(crate) fn four_eyes_on_campaign(who: &Principal, rec: &CampaignRecord) -> Result<(), AppError> {
    let id = &rec.campaign.id;
    let me = who.subject.as_str();
    let role = if rec.created_by.as_deref() == Some(me) {
        Some("created")
    } else if rec.last_edited_by.as_deref() == Some(me) {
        Some("last edited")
    } else {
        None
    };
    match role {
        None => Ok(()),
        Some(role) => Err(AppError::PermissionDenied(format!(
            "{me} {role} campaign `{id}` and cannot approve it (four eyes): another person with \
             ads:approve, who neither created nor last edited it, must (editors: {})",
            rec.editors().join(", ")
        ))),
    }
}

/// Boxed future of the read-path adapters.
pub type ReadFut<'a, T> = BoxFuture<'a, Result<T, AppError>>;
