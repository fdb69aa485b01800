//! The sales team: sellers, assignment, the leaderboard and the morning
//! follow-up alerts.

use chrono::{Duration, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{Country, TenantId, page_limit};
use promptsales_shared::time::parse_ts;
use schemars::JsonSchema;
use serde::Serialize;

use super::CrmService;
use crate::domain::scoring;
use crate::domain::{AssignStrategy, Lead, LeadId, LeadStage, Seller, SellerId};
use crate::store::{SellerLoad, new_id};

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

impl CrmService {
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
        strategy: AssignStrategy,
        seller_id: Option<&str>,
    ) -> Result<Assignment, AppError> {
        let rec = self.record(tenant, id).await?;
        let loads = self.store.seller_loads(tenant).await?;
        let has_room =
            |l: &&SellerLoad| l.seller.active && l.open_leads < i64::from(l.seller.capacity);
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
            let chosen = match strategy {
                AssignStrategy::RoundRobin => {
                    let mut c: Vec<_> = loads.iter().filter(has_room).collect();
                    // Never assigned first, then the longest since their last lead.
                    c.sort_by(|a, b| {
                        a.last_assigned_at
                            .cmp(&b.last_assigned_at)
                            .then(a.seller.id.cmp(&b.seller.id))
                    });
                    *c.first().ok_or_else(|| {
                        AppError::Conflict(
                            "no active seller has room for another lead (all at capacity)".into(),
                        )
                    })?
                }
                AssignStrategy::LeastLoaded => loads
                    .iter()
                    .filter(has_room)
                    .min_by(|a, b| {
                        a.open_leads
                            .cmp(&b.open_leads)
                            .then(a.seller.id.cmp(&b.seller.id))
                    })
                    .ok_or_else(|| {
                        AppError::Conflict(
                            "no active seller has room for another lead (all at capacity)".into(),
                        )
                    })?,
                AssignStrategy::ByCountry => {
                    let country = rec.lead.country.as_str();
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
                            })?
                }
            };
            (chosen, strategy.as_str())
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
}
