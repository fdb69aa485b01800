//! Drafting campaigns by hand: `create_campaign` and `update_campaign`,
//! their arguments and the checks of what a draft may hold.

use promptsales_server::auth::Principal;
use promptsales_shared::AppError;
use promptsales_shared::domain::{Channel, ClientId, Currency, TenantId};
use promptsales_shared::time::parse_date;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{AdsService, CampaignView, check_channels, parse_countries, required};
use crate::domain::budget::{self, Allocation, BudgetRules};
use crate::domain::economics::economics;
use crate::domain::plan::{Audience, CampaignPlan};
use crate::domain::{Campaign, CampaignId, CampaignStatus, Objective};
use crate::store::{Move, new_id};

/// Arguments of `create_campaign` / `update_campaign` (update: all optional).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct CampaignInput {
    /// Id to use (default: a new `cmp_…`); create only.
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub name: Option<String>,
    /// What the campaign is for.
    pub objective: Option<Objective>,
    /// Total budget in hundredths of `currency` (e.g. 1500000 = 15,000.00).
    pub budget_cents: Option<i64>,
    /// ISO-4217 code, e.g. COP, MXN, USD.
    pub currency: Option<String>,
    /// First day, YYYY-MM-DD.
    pub start_date: Option<String>,
    /// Last day, YYYY-MM-DD, on or after start_date.
    pub end_date: Option<String>,
    /// Channels to run on: those that buy media or reach people (organic
    /// and web cannot be launched).
    pub channels: Option<Vec<Channel>>,
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
    pub channel: Channel,
    pub budget_cents: i64,
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

impl AdsService {
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
                    let c = a.channel;
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
            objective: required(
                "objective",
                input.objective,
                "awareness, traffic, leads or sales",
            )?,
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
            channels: check_channels(&required(
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
        self.caps.check_campaign(c.budget_cents, 0, c.currency)?;
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
        if let Some(v) = input.objective {
            c.objective = v;
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
            c.channels = check_channels(v)?;
        }
        if let Some(v) = &input.countries {
            c.countries = parse_countries(v)?;
        }
        c.validate()?;
        self.caps
            .check_campaign(c.budget_cents, rec.campaign.budget_cents, c.currency)?;
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
            // Targets and the forecast were of the old split: plan_budget
            // with campaign_id makes them again.
            plan.kpis = None;
            plan.forecast = None;
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
            .save_campaign(tenant, &c, &plan, &audience, before, &who.subject, mv)
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
