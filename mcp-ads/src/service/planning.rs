//! Drafting campaigns from a goal and splitting budgets: the client's own
//! history blended with the channel benchmarks by how much of it there is,
//! a forecast with ranges, and the brief's goal measured against it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Country, Currency, TenantId};
use promptsales_shared::time::parse_date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdsService, CampaignView, check_channels, parse_countries, today};
use crate::domain::budget::{self, Allocation, BudgetRules};
use crate::domain::economics::{Day, Economics, History, economics};
use crate::domain::forecast::forecast as grounded;
use crate::domain::generate::{choose_channels, forecast, schedule};
use crate::domain::goal;
use crate::domain::plan::{Audience, CampaignPlan};
use crate::domain::{Campaign, CampaignId, CampaignStatus, Objective};
use crate::store::new_id;

/// Arguments of `generate_campaign`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct GenerateRequest {
    /// The goal in words ("200 leads for the MBA in Bogotá", "vender más zapatillas").
    pub goal: String,
    pub client_id: String,
    /// What the campaign is for (default: read from the goal).
    pub objective: Option<Objective>,
    pub product_id: Option<String>,
    /// Total budget, hundredths of `currency`.
    pub budget_cents: i64,
    pub currency: String,
    pub start_date: String,
    pub end_date: String,
    pub countries: Vec<String>,
    /// Who to reach, in words; steer the channel mix ("B2B", "jóvenes", "newsletter").
    #[serde(default)]
    pub audience_hints: Vec<String>,
    /// Force these channels instead of choosing.
    pub channels: Option<Vec<Channel>>,
    /// Campaign name (default: from the objective, product and dates).
    pub name: Option<String>,
    /// A stored segment to target.
    pub segment_id: Option<String>,
}

/// Arguments of `plan_budget`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PlanBudgetRequest {
    /// Plan this campaign (draft or rejected): its budget, currency,
    /// channels and countries unless given, and the plan is saved on it.
    pub campaign_id: Option<String>,
    /// Total, hundredths of the currency.
    pub budget_cents: Option<i64>,
    pub currency: Option<String>,
    /// Channels to split across (default: the campaign's).
    pub channels: Option<Vec<Channel>>,
    /// Countries whose history counts (default: all).
    pub countries: Option<Vec<String>>,
    /// The client whose own history the plan rests on (default: the
    /// campaign's); without one, the benchmarks alone.
    pub client_id: Option<String>,
    /// Least share per channel (default 0.05).
    pub floor_share: Option<f64>,
    /// Most share per channel (default 0.60).
    pub cap_share: Option<f64>,
    /// Share spread evenly for learning (default 0.10).
    pub exploration_share: Option<f64>,
}

/// A budget split.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BudgetPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    pub total_cents: i64,
    pub currency: Currency,
    pub rules: BudgetRules,
    /// One per channel; `budget_cents` sum to `total_cents` exactly.
    pub allocations: Vec<Allocation>,
    /// Sum of the allocations (always `total_cents`).
    pub allocated_cents: i64,
    /// The economics behind each expectation.
    pub economics: Vec<Economics>,
    /// True when the plan was saved on the campaign.
    pub saved: bool,
}

/// One channel's days (campaigns and countries summed) and countries.
type Gathered = (BTreeMap<Option<NaiveDate>, Day>, BTreeSet<String>);

/// How far back a forecast reads the client's own delivery: half a year
/// keeps seasons and recent prices in, older auctions out.
const HISTORY_DAYS: i64 = 180;

/// Objective from goal words (English and Spanish), leads by default.
fn objective_of(goal: &str) -> Objective {
    let g = goal.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| g.contains(w));
    if has(&[
        "sale", "sell", "revenue", "purchase", "venta", "vender", "compra", "ingreso",
    ]) {
        Objective::Sales
    } else if has(&["traffic", "visit", "tráfico", "trafico", "visita", "clic"]) {
        Objective::Traffic
    } else if has(&[
        "awareness",
        "brand",
        "reach",
        "alcance",
        "marca",
        "reconocimiento",
        "conocer",
    ]) {
        Objective::Awareness
    } else {
        Objective::Leads
    }
}

impl AdsService {
    /// The client's own daily delivery per channel in `currency` over the
    /// last [`HISTORY_DAYS`], in `countries` when it has any there, else in
    /// every country. No client, no history: another client's results are
    /// never evidence for this one.
    async fn channel_history(
        &self,
        tenant: &TenantId,
        client: Option<&str>,
        currency: Currency,
        countries: &[Country],
    ) -> Result<HashMap<Channel, History>, AppError> {
        let Some(client) = client else {
            return Ok(HashMap::new());
        };
        let since = today() - chrono::Duration::days(HISTORY_DAYS);
        let rows = self.store.client_history(tenant, client, since).await?;
        let local = rows
            .iter()
            .any(|r| r.currency == currency && countries.contains(&r.country));
        let mut by: HashMap<Channel, Gathered> = HashMap::new();
        for r in rows
            .iter()
            .filter(|r| r.currency == currency && (!local || countries.contains(&r.country)))
        {
            let (days, where_) = by.entry(r.channel).or_default();
            days.entry(r.day.date)
                .or_insert_with(|| Day {
                    date: r.day.date,
                    ..Day::default()
                })
                .add(&r.day);
            where_.insert(r.country.as_str().to_owned());
        }
        // Platforms rarely report conversion values; where a channel has
        // none, the CRM's sales attributed to the client's campaigns are its
        // real return (the ROAS an agency reports), on their closing day.
        if let Some(crm) = &self.audiences {
            let reported: BTreeSet<Channel> = by
                .iter()
                .filter(|(_, (days, _))| days.values().any(|d| d.value_cents > 0))
                .map(|(c, _)| *c)
                .collect();
            let sales = crm.attributed_revenue(tenant, client, since).await?;
            for s in sales.iter().filter(|s| {
                s.currency == currency
                    && !reported.contains(&s.channel)
                    && (!local || countries.contains(&s.country))
            }) {
                let Some((days, _)) = by.get_mut(&s.channel) else {
                    continue;
                };
                days.entry(Some(s.date))
                    .or_insert_with(|| Day {
                        date: Some(s.date),
                        ..Day::default()
                    })
                    .value_cents += s.amount_cents;
            }
        }
        Ok(by
            .into_iter()
            .map(|(c, (days, where_))| {
                (
                    c,
                    History {
                        days: days.into_values().collect(),
                        countries: where_.into_iter().collect(),
                    },
                )
            })
            .collect())
    }

    /// `plan_budget`: a split of a budget across channels, optionally
    /// saved on a draft campaign.
    pub async fn plan_budget(
        &self,
        who: &Principal,
        req: PlanBudgetRequest,
    ) -> Result<BudgetPlan, AppError> {
        let tenant = &who.tenant;
        let rec = match &req.campaign_id {
            Some(id) => Some(
                self.store
                    .get_record(tenant, &CampaignId::parse(id)?)
                    .await?,
            ),
            None => None,
        };
        let camp = rec.as_ref().map(|r| &r.campaign);
        let total = match (req.budget_cents, camp) {
            (Some(b), _) => b,
            (None, Some(c)) => c.budget_cents,
            (None, None) => {
                return Err(AppError::invalid(
                    "budget_cents",
                    "a positive amount (or campaign_id)",
                    "nothing",
                ));
            }
        };
        if total <= 0 {
            return Err(AppError::invalid(
                "budget_cents",
                "a positive amount in hundredths",
                total.to_string(),
            ));
        }
        let currency = match (&req.currency, camp) {
            (Some(c), _) => Currency::parse(c)?,
            (None, Some(c)) => c.currency,
            (None, None) => {
                return Err(AppError::invalid(
                    "currency",
                    "an ISO-4217 code (or campaign_id)",
                    "nothing",
                ));
            }
        };
        let channels = match (&req.channels, camp) {
            (Some(c), _) => check_channels(c)?,
            (None, Some(c)) => c.channels.clone(),
            (None, None) => {
                return Err(AppError::invalid(
                    "channels",
                    "a list of channels (or campaign_id)",
                    "nothing",
                ));
            }
        };
        let countries = match (&req.countries, camp) {
            (Some(c), _) => parse_countries(c)?,
            (None, Some(c)) => c.countries.clone(),
            (None, None) => Vec::new(),
        };
        let client = req
            .client_id
            .clone()
            .or_else(|| camp.map(|c| c.client_id.as_str().to_owned()));
        if let Some(c) = &client {
            ClientId::parse(c)?;
        }
        let d = BudgetRules::default();
        let n = channels.len() as f64;
        let rules = BudgetRules {
            floor_share: req.floor_share.unwrap_or(d.floor_share.min(1.0 / n)),
            cap_share: req.cap_share.unwrap_or(d.cap_share.max(1.0 / n)),
            exploration_share: req.exploration_share.unwrap_or(d.exploration_share),
        };
        let hist = self
            .channel_history(tenant, client.as_deref(), currency, &countries)
            .await?;
        let econ: Vec<Economics> = channels
            .iter()
            .map(|c| economics(*c, currency, hist.get(c)))
            .collect();
        let outlooks: Vec<_> = econ.iter().map(Economics::outlook).collect();
        let allocations = budget::plan(total, &outlooks, rules)?;
        let mut saved = false;
        if let Some(rec) = rec {
            let c = &rec.campaign;
            if !c.status.editable() {
                return Err(AppError::Conflict(format!(
                    "campaign `{}` is {}: its plan can change only while draft or rejected (use optimize_campaign and apply_change_set once live)",
                    c.id, c.status
                )));
            }
            self.caps.check_campaign(total, c.budget_cents, currency)?;
            let mut camp2 = c.clone();
            camp2.budget_cents = total;
            camp2.currency = currency;
            camp2.channels = channels.clone();
            let mut plan = rec.plan.clone();
            plan.allocations = allocations.clone();
            plan.outlooks = outlooks.clone();
            let econ = |ch: Channel| economics(ch, currency, hist.get(&ch));
            plan.kpis = Some(forecast(&allocations, &econ));
            plan.forecast = Some(grounded(
                &allocations,
                &econ,
                currency,
                goal::parse(plan.goal.as_deref().unwrap_or_default(), c.objective),
            ));
            plan.schedule = schedule(c.start_date, c.end_date, total);
            self.store
                .save_campaign(
                    tenant,
                    &camp2,
                    &plan,
                    &rec.audience,
                    c.status,
                    &who.subject,
                    None,
                )
                .await?;
            saved = true;
        }
        Ok(BudgetPlan {
            campaign_id: req.campaign_id.clone(),
            total_cents: total,
            currency,
            rules,
            allocated_cents: allocations.iter().map(|a| a.budget_cents).sum(),
            allocations,
            economics: econ,
            saved,
        })
    }

    /// `generate_campaign`: a complete draft from a goal.
    pub async fn generate(
        &self,
        who: &Principal,
        req: GenerateRequest,
    ) -> Result<CampaignView, AppError> {
        let tenant = &who.tenant;
        let goal = req.goal.trim();
        if goal.is_empty() {
            return Err(AppError::invalid(
                "goal",
                "what the campaign should achieve, in words",
                "",
            ));
        }
        let client = ClientId::parse(&req.client_id)?;
        let objective = req.objective.unwrap_or_else(|| objective_of(goal));
        if req.budget_cents <= 0 {
            return Err(AppError::invalid(
                "budget_cents",
                "a positive amount in hundredths",
                req.budget_cents.to_string(),
            ));
        }
        let currency = Currency::parse(&req.currency)?;
        let start = parse_date("start_date", &req.start_date)?;
        let end = parse_date("end_date", &req.end_date)?;
        if end < start {
            return Err(AppError::invalid(
                "end_date",
                format!("a date on or after start_date {start}"),
                end.to_string(),
            ));
        }
        if end < today() {
            return Err(AppError::invalid(
                "end_date",
                format!("a date from today ({}) on", today()),
                end.to_string(),
            ));
        }
        let countries = parse_countries(&req.countries)?;
        self.caps.check_campaign(req.budget_cents, 0, currency)?;
        self.check_refs(tenant, &client, req.product_id.as_deref())
            .await?;
        let hist = self
            .channel_history(tenant, Some(client.as_str()), currency, &countries)
            .await?;
        let econ = |c: Channel| economics(c, currency, hist.get(&c));
        let chosen = match &req.channels {
            Some(list) => check_channels(list)?
                .into_iter()
                .map(|c| {
                    let e = econ(c);
                    let reason = format!(
                        "requested; expected ROAS {:.2} ({}: {})",
                        e.expected_roas, e.source, e.evidence
                    );
                    (
                        e,
                        crate::domain::generate::ChannelChoice { channel: c, reason },
                    )
                })
                .collect(),
            None => choose_channels(
                objective,
                &req.audience_hints,
                req.budget_cents,
                currency,
                &econ,
            ),
        };
        let outlooks: Vec<_> = chosen.iter().map(|(e, _)| e.outlook()).collect();
        let n = outlooks.len() as f64;
        let d = BudgetRules::default();
        let rules = BudgetRules {
            floor_share: d.floor_share.min(1.0 / n),
            cap_share: d.cap_share.max(1.0 / n),
            ..d
        };
        let allocations = budget::plan(req.budget_cents, &outlooks, rules)?;
        let kpis = forecast(&allocations, &econ);
        let outlook = grounded(&allocations, &econ, currency, goal::parse(goal, objective));
        let product_name = match (&self.catalog, &req.product_id) {
            (Some(cat), Some(p)) => Some(
                cat.get_product(tenant, &promptsales_shared::domain::ProductId::parse(p)?)
                    .await?
                    .name,
            ),
            _ => None,
        };
        let name = req.name.clone().unwrap_or_else(|| {
            let what = product_name
                .clone()
                .unwrap_or_else(|| client.as_str().to_owned());
            let mut o = objective.as_str().to_owned();
            if let Some(f) = o.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            format!(
                "{o} — {what} — {} {}",
                countries
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                start.format("%Y-%m")
            )
        });
        let c = Campaign {
            id: CampaignId::from_trusted(new_id(CampaignId::PREFIX)),
            client_id: client,
            name,
            objective,
            status: CampaignStatus::Draft,
            budget_cents: req.budget_cents,
            currency,
            start_date: start,
            end_date: end,
            channels: chosen.iter().map(|(_, c)| c.channel).collect(),
            countries,
        };
        let plan = CampaignPlan {
            allocations,
            kpis: Some(kpis),
            schedule: schedule(start, end, req.budget_cents),
            channel_mix: chosen.iter().map(|(_, c)| c.clone()).collect(),
            outlooks,
            product_id: req.product_id.clone(),
            goal: Some(goal.to_owned()),
            forecast: Some(outlook),
            ..CampaignPlan::default()
        };
        let mut audience = Audience {
            hints: req.audience_hints.clone(),
            ..Audience::default()
        };
        if let Some(sid) = &req.segment_id {
            let seg = self.store.get_segment(tenant, sid).await?;
            audience.segment_id = Some(seg.id);
            audience.reachable = Some(seg.reachable);
        }
        self.store
            .create_campaign(tenant, &c, &plan, &audience, &who.subject)
            .await?;
        self.view(tenant, c.id.as_str()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_map_to_objectives_in_both_languages() {
        assert_eq!(
            objective_of("vender más zapatillas en Navidad"),
            Objective::Sales
        );
        assert_eq!(objective_of("200 leads for the MBA"), Objective::Leads);
        assert_eq!(objective_of("más tráfico a la web"), Objective::Traffic);
        assert_eq!(objective_of("dar a conocer la marca"), Objective::Awareness);
    }
}
