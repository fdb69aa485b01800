//! The seed's subscription plans: Starter, Growth and Scale at each sub-company (ads plans in each client currency, since spend limits never mix currencies) and a realistic mix of them assigned to the seeded clients — never below what a client's seeded data already uses, with headroom.

use std::collections::BTreeMap;

use ads_read::domain::{Campaign, CampaignStatus};
use chrono::{Datelike, NaiveDate};
use crm_read::domain::Lead;
use promptsales_catalog::{Limit, LimitKind, Plan, SubCompany};
use promptsales_shared::domain::{ClientId, Currency};

/// The tiers, smallest first.
const TIERS: [(&str, &str); 3] = [
    ("starter", "Starter"),
    ("growth", "Growth"),
    ("scale", "Scale"),
];

/// Which tier each client would buy, before checking it fits its data
/// (most start small, some grow).
const MIX: [usize; 8] = [0, 1, 0, 2, 1, 0, 1, 0];

fn limit(kind: LimitKind, value: i64) -> Limit {
    Limit {
        kind,
        value,
        currency: None,
    }
}

/// `x` rounded to its two leading digits (7,384,211 → 7,400,000).
fn nice(x: f64) -> i64 {
    if x < 100.0 {
        return x.round().max(1.0) as i64;
    }
    let step = 10f64.powi(x.log10().floor() as i32 - 1);
    ((x / step).round() * step) as i64
}

/// Content: generations (variants) and LLM tokens a month, people
/// generating.
fn content(tier: usize) -> Plan {
    let (id, name) = TIERS[tier];
    let [gens, tokens, seats] = [
        [300, 1_000_000, 3],
        [2_000, 5_000_000, 8],
        [15_000, 40_000_000, 25],
    ][tier];
    Plan {
        id: format!("content_{id}"),
        context: SubCompany::Content,
        name: name.to_owned(),
        limits: vec![
            limit(LimitKind::GenerationsPerMonth, gens),
            limit(LimitKind::LlmTokensPerMonth, tokens),
            limit(LimitKind::Seats, seats),
        ],
    }
}

/// CRM: leads stored, active sellers, messages a month.
fn crm(tier: usize) -> Plan {
    let (id, name) = TIERS[tier];
    let [leads, seats, messages] = [
        [2_500, 10, 2_000],
        [25_000, 25, 20_000],
        [250_000, 100, 200_000],
    ][tier];
    Plan {
        id: format!("crm_{id}"),
        context: SubCompany::Crm,
        name: name.to_owned(),
        limits: vec![
            limit(LimitKind::LeadsStored, leads),
            limit(LimitKind::Seats, seats),
            limit(LimitKind::MessagesPerMonth, messages),
        ],
    }
}

/// Analytics: questions and LLM tokens a month, people asking.
fn analytics(tier: usize) -> Plan {
    let (id, name) = TIERS[tier];
    let [questions, tokens, seats] = [
        [500, 500_000, 3],
        [5_000, 5_000_000, 10],
        [50_000, 50_000_000, 40],
    ][tier];
    Plan {
        id: format!("analytics_{id}"),
        context: SubCompany::Analytics,
        name: name.to_owned(),
        limits: vec![
            limit(LimitKind::QuestionsPerMonth, questions),
            limit(LimitKind::LlmTokensPerMonth, tokens),
            limit(LimitKind::Seats, seats),
        ],
    }
}

/// Active campaigns and monthly ad spend in US dollars of each ads tier.
const ADS: [(i64, f64, i64); 3] = [(5, 10_000.0, 3), (20, 60_000.0, 8), (80, 400_000.0, 25)];

/// Ads, in one currency: active campaigns, the month's spend under
/// management (the dollar figure in that currency, rounded), people.
fn ads(tier: usize, currency: Currency, per_usd: f64) -> Plan {
    let (id, name) = TIERS[tier];
    let (active, usd, seats) = ADS[tier];
    Plan {
        id: format!("ads_{id}_{}", currency.as_str().to_lowercase()),
        context: SubCompany::Ads,
        name: format!("{name} ({})", currency.as_str()),
        limits: vec![
            limit(LimitKind::ActiveCampaigns, active),
            Limit {
                kind: LimitKind::MonthlyAdSpend,
                value: nice(usd * per_usd) * 100,
                currency: Some(currency),
            },
            limit(LimitKind::Seats, seats),
        ],
    }
}

/// A seeded client as its plans see it.
pub struct ClientUse {
    pub id: ClientId,
    pub currency: Currency,
    pub per_usd: f64,
}

/// The plans and who is on which: every tier of every sub-company (ads in
/// each client currency), each client on its mix tier or the smallest
/// that holds its data with headroom (half again its leads, two more
/// active campaigns, twice this month's planned spend).
pub fn plans(
    clients: &[ClientUse],
    campaigns: &[Campaign],
    leads: &[Lead],
    as_of: NaiveDate,
) -> (Vec<Plan>, Vec<(ClientId, String)>) {
    let mut plans: Vec<Plan> = (0..3)
        .flat_map(|t| [content(t), crm(t), analytics(t)])
        .collect();
    let mut currencies: BTreeMap<&str, (Currency, f64)> = BTreeMap::new();
    for c in clients {
        currencies.insert(c.currency.as_str(), (c.currency, c.per_usd));
    }
    for (cur, per_usd) in currencies.values() {
        plans.extend((0..3).map(|t| ads(t, *cur, *per_usd)));
    }
    let month = (as_of.year(), as_of.month());
    let mut assigned = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let mix = MIX[i % MIX.len()];
        let n_leads = leads.iter().filter(|l| l.client_id == c.id).count() as i64;
        let live: Vec<&Campaign> = campaigns
            .iter()
            .filter(|k| k.client_id == c.id && k.status != CampaignStatus::Completed)
            .collect();
        // A running campaign's budget spread evenly over its flight; the
        // part that falls in the seed's last month.
        let month_spend_usd: f64 = live
            .iter()
            .map(|k| {
                let days = (k.end_date - k.start_date).num_days() + 1;
                let in_month = (0..days)
                    .map(|d| k.start_date + chrono::Duration::days(d))
                    .filter(|d| (d.year(), d.month()) == month)
                    .count() as f64;
                k.budget_cents as f64 / 100.0 / c.per_usd * in_month / days.max(1) as f64
            })
            .sum();
        let crm_tier = (0..3)
            .find(|t| {
                crm(*t)
                    .limit(LimitKind::LeadsStored)
                    .is_some_and(|l| l.value * 2 >= n_leads * 3)
            })
            .unwrap_or(2)
            .max(mix);
        let ads_tier = (0..3)
            .find(|t| {
                let (active, usd, _) = ADS[*t];
                active >= live.len() as i64 + 2 && usd >= month_spend_usd * 2.0
            })
            .unwrap_or(2)
            .max(mix);
        let content_tier = mix;
        let analytics_tier = MIX[(i + 3) % MIX.len()];
        assigned.push((c.id.clone(), content(content_tier).id));
        assigned.push((c.id.clone(), crm(crm_tier).id));
        assigned.push((c.id.clone(), analytics(analytics_tier).id));
        assigned.push((c.id.clone(), ads(ads_tier, c.currency, c.per_usd).id));
    }
    (plans, assigned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_plan_is_valid_and_money_is_in_its_currency() {
        let cop = Currency::parse("COP").unwrap();
        let p = ads(1, cop, 4000.0);
        p.validate().unwrap();
        assert_eq!(p.id, "ads_growth_cop");
        let spend = p.limit(LimitKind::MonthlyAdSpend).unwrap();
        assert_eq!(spend.currency, Some(cop));
        assert_eq!(spend.value, 240_000_000 * 100);
        for t in 0..3 {
            content(t).validate().unwrap();
            crm(t).validate().unwrap();
            analytics(t).validate().unwrap();
        }
        assert_eq!(nice(7_384_211.0), 7_400_000);
        assert_eq!(nice(37.0), 37);
    }
}
