//! The sales team: sellers (optionally working for one client, a seat on
//! its plan), assignment within capacity (an override is explicit,
//! recorded and warned), and the leaderboard, per client or overall.

use chrono::Utc;
use promptsales_catalog::LimitKind;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Country, TenantId};
use schemars::JsonSchema;
use serde::Serialize;

use super::{CrmService, short_text};
use crate::domain::{AssignStrategy, LeadId, LeadStage, Seller, SellerId};
use crate::store::{AssignmentRecord, SellerLoad, new_id};

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
    /// Set when the seller's capacity was exceeded on purpose: why
    /// (recorded with the assignment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// What the person should know (a capacity exceeded).
    pub warnings: Vec<String>,
}

/// `assign_lead` arguments.
#[derive(Debug, Clone, Default)]
pub struct AssignRequest {
    pub strategy: Option<AssignStrategy>,
    /// Assign to this seller instead of using a strategy.
    pub seller_id: Option<String>,
    /// Assign to `seller_id` even beyond their capacity.
    pub override_capacity: bool,
    /// Why the capacity is exceeded (required with the override).
    pub reason: Option<String>,
}

/// `upsert_seller` arguments.
#[derive(Debug, Clone, Default)]
pub struct SellerInput {
    pub seller_id: Option<String>,
    pub name: String,
    pub capacity: i32,
    pub active: bool,
    pub countries: Vec<String>,
    /// The client the seller works for (a seat on its plan); `None`:
    /// every client.
    pub client_id: Option<String>,
}

/// A seller with the client they work for, the countries they cover and
/// their load.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SellerView {
    #[serde(flatten)]
    pub seller: Seller,
    /// The one client whose leads they take; absent: every client.
    pub client_id: Option<ClientId>,
    pub countries: Vec<String>,
    /// Open leads (iql, mql, sql) they hold now.
    pub open_leads: i64,
}

fn view(l: &SellerLoad) -> SellerView {
    SellerView {
        seller: l.seller.clone(),
        client_id: l.client_id.clone(),
        countries: l.countries.clone(),
        open_leads: l.open_leads,
    }
}

/// "Ana 40/40" for refusals and warnings.
fn load_text(l: &SellerLoad) -> String {
    format!(
        "{} ({}) {}/{}",
        l.seller.name, l.seller.id, l.open_leads, l.seller.capacity
    )
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
    /// The client the figures are about; absent: every client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    pub leaderboard: Vec<SellerFigures>,
}

impl CrmService {
    /// The sellers (of one client when given: those working for it and
    /// those serving every client), with their load.
    pub async fn list_sellers(
        &self,
        tenant: &TenantId,
        active_only: bool,
        client_id: Option<&str>,
    ) -> Result<Vec<SellerView>, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        let loads = self.store.seller_loads(tenant).await?;
        Ok(loads
            .iter()
            .filter(|l| !active_only || l.seller.active)
            .filter(|l| serves(l, client.as_ref()))
            .map(view)
            .collect())
    }

    /// Creates or updates a seller. Activating a seller of a client takes
    /// one of its plan's `seats`.
    pub async fn upsert_seller(
        &self,
        tenant: &TenantId,
        input: SellerInput,
    ) -> Result<SellerView, AppError> {
        let seller = Seller {
            id: match &input.seller_id {
                Some(i) => SellerId::parse(i)?,
                None => SellerId::from_trusted(new_id(SellerId::PREFIX)),
            },
            name: input.name.trim().to_owned(),
            active: input.active,
            capacity: input.capacity,
        };
        seller.validate()?;
        let countries = input
            .countries
            .iter()
            .map(|c| Country::parse_field("countries", c))
            .collect::<Result<Vec<_>, _>>()?;
        let client = input
            .client_id
            .as_deref()
            .map(ClientId::parse)
            .transpose()?;
        if let Some(c) = &client
            && seller.active
        {
            let before = self
                .store
                .seller_loads(tenant)
                .await?
                .into_iter()
                .find(|l| l.seller.id == seller.id);
            let had_seat = before
                .as_ref()
                .is_some_and(|b| b.seller.active && b.client_id.as_ref() == Some(c));
            if !had_seat {
                self.check_quota(tenant, c, LimitKind::Seats, Some(&seller.id))
                    .await?;
            }
        }
        self.store
            .save_seller(tenant, &seller, &countries, client.as_ref())
            .await?;
        let saved = self
            .store
            .seller_loads(tenant)
            .await?
            .into_iter()
            .find(|l| l.seller.id == seller.id)
            .ok_or_else(|| AppError::Internal("seller missing after save".into()))?;
        Ok(view(&saved))
    }

    /// Assigns a lead: to `seller_id`, or by strategy among the active
    /// sellers who take the lead's client and have room. A full seller is
    /// refused with the numbers unless `override_capacity` with a
    /// `reason`, which is recorded with the assignment and returned as a
    /// warning.
    pub async fn assign_lead(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        req: AssignRequest,
    ) -> Result<Assignment, AppError> {
        let rec = self.record(tenant, id).await?;
        let client = rec.lead.client_id.clone();
        let reason = short_text("reason", req.reason.clone())?;
        if req.override_capacity && req.seller_id.is_none() {
            return Err(AppError::invalid(
                "override",
                "an override of capacity names the seller (seller_id); strategies never exceed one",
                "true",
            ));
        }
        if req.override_capacity && reason.is_none() {
            return Err(AppError::invalid(
                "reason",
                "why the seller's capacity is exceeded (required with override: true)",
                "",
            ));
        }
        let open = matches!(
            rec.lead.stage,
            LeadStage::Iql | LeadStage::Mql | LeadStage::Sql
        );
        let loads = self.store.seller_loads(tenant).await?;
        // What this assignment adds to a seller's open leads.
        let adds = |l: &SellerLoad| open && rec.lead.seller_id.as_ref() != Some(&l.seller.id);
        let has_room = |l: &&SellerLoad| !adds(l) || l.open_leads < i64::from(l.seller.capacity);
        let takes = |l: &&SellerLoad| l.seller.active && serves(l, Some(&client));
        let mut override_reason = None;
        let (chosen, strategy) = if let Some(s) = &req.seller_id {
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
            if let Some(other) = l.client_id.as_ref().filter(|c| **c != client) {
                return Err(AppError::Conflict(format!(
                    "seller `{s}` works for client `{other}` only; lead `{}` is client `{client}`'s",
                    rec.lead.id
                )));
            }
            if !has_room(&l) {
                if !req.override_capacity {
                    return Err(AppError::Conflict(format!(
                        "seller {} is at capacity ({} open leads of {}): choose another seller, \
                         raise the capacity with upsert_seller, or pass override: true with a reason",
                        l.seller.id, l.open_leads, l.seller.capacity
                    )));
                }
                override_reason = reason.clone();
            }
            (l, "explicit")
        } else {
            let strategy = req.strategy.unwrap_or(AssignStrategy::LeastLoaded);
            let takers: Vec<&SellerLoad> = loads.iter().filter(takes).collect();
            let pool: Vec<&SellerLoad> = match strategy {
                AssignStrategy::ByCountry => {
                    let country = rec.lead.country.as_str();
                    let covering: Vec<&SellerLoad> = takers
                        .iter()
                        .copied()
                        .filter(|l| l.countries.iter().any(|c| c == country))
                        .collect();
                    if covering.is_empty() {
                        return Err(AppError::Conflict(format!(
                            "no active seller taking client `{client}`'s leads covers {country}: add it to a seller's countries with upsert_seller"
                        )));
                    }
                    covering
                }
                _ => takers,
            };
            if pool.is_empty() {
                return Err(AppError::Conflict(format!(
                    "no active seller takes client `{client}`'s leads: add one with upsert_seller"
                )));
            }
            let room: Vec<&SellerLoad> = pool.iter().copied().filter(|l| has_room(l)).collect();
            let chosen = match strategy {
                // Never assigned first, then the longest since their last lead.
                AssignStrategy::RoundRobin => room.iter().copied().min_by(|a, b| {
                    a.last_assigned_at
                        .cmp(&b.last_assigned_at)
                        .then(a.seller.id.cmp(&b.seller.id))
                }),
                AssignStrategy::LeastLoaded | AssignStrategy::ByCountry => {
                    room.iter().copied().min_by(|a, b| {
                        a.open_leads
                            .cmp(&b.open_leads)
                            .then(a.seller.id.cmp(&b.seller.id))
                    })
                }
            };
            let Some(chosen) = chosen else {
                let full: Vec<String> = pool.iter().map(|l| load_text(l)).collect();
                let covering = match strategy {
                    AssignStrategy::ByCountry => format!(" covering {}", rec.lead.country),
                    _ => String::new(),
                };
                return Err(AppError::Conflict(format!(
                    "no active seller{covering} has room for lead `{}` ({strategy}): {} at capacity; \
                     assign with seller_id and override: true and a reason to exceed one, or raise \
                     a capacity",
                    rec.lead.id,
                    full.join(", ")
                )));
            };
            (chosen, strategy.as_str())
        };
        let record = AssignmentRecord {
            seller_id: chosen.seller.id.clone(),
            strategy: strategy.to_owned(),
            open_leads: chosen.open_leads,
            capacity: chosen.seller.capacity,
            override_reason: override_reason.clone(),
            actor: actor.to_owned(),
            at: Utc::now(),
        };
        self.store.assign(tenant, &rec.lead.id, &record).await?;
        let open_leads = chosen.open_leads + i64::from(adds(chosen));
        let warnings = override_reason
            .iter()
            .map(|why| {
                format!(
                    "seller {} is now over capacity: {open_leads} open leads of {} (override by {actor}: {why})",
                    chosen.seller.id, chosen.seller.capacity
                )
            })
            .collect();
        Ok(Assignment {
            lead_id: rec.lead.id.clone(),
            seller_id: chosen.seller.id.clone(),
            seller_name: chosen.seller.name.clone(),
            strategy: strategy.into(),
            open_leads,
            capacity: chosen.seller.capacity,
            override_reason,
            warnings,
        })
    }

    /// The leaderboard, on one client's leads and sales when given (then
    /// only the sellers who take that client's leads).
    pub async fn seller_metrics(
        &self,
        tenant: &TenantId,
        client_id: Option<&str>,
    ) -> Result<SellerMetrics, AppError> {
        let client = client_id.map(ClientId::parse).transpose()?;
        let sellers: Vec<Seller> = self
            .store
            .seller_loads(tenant)
            .await?
            .into_iter()
            .filter(|l| serves(l, client.as_ref()))
            .map(|l| l.seller)
            .collect();
        let activity = self.store.seller_activity(tenant, client.as_ref()).await?;
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
        Ok(SellerMetrics {
            client_id: client,
            leaderboard: rows,
        })
    }
}

/// Whether the seller takes leads of `client` (every seller when `None`).
fn serves(l: &SellerLoad, client: Option<&ClientId>) -> bool {
    match (client, &l.client_id) {
        (None, _) | (_, None) => true,
        (Some(want), Some(theirs)) => want == theirs,
    }
}
