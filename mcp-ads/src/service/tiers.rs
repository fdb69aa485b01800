//! The client's ads plan (subscription tier): `active_campaigns` and
//! `monthly_ad_spend` (planned spend this calendar month, in the client's
//! time zone and the plan's currency) are checked before a launch or a
//! resume; `usage` reports them with `seats` (people who moved the
//! client's campaigns this month).

use chrono::{DateTime, NaiveDate, Utc};
use promptsales_catalog::plan::{self, QuotaCheck, month_window};
use promptsales_catalog::{LimitKind, Plan, SubCompany, Usage, UsageLine};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Currency, TenantId, TimeZone};
use promptsales_shared::time::format_ts;

use super::AdsService;
use crate::domain::Campaign;

/// The days of the month window in the zone: first and last.
fn month_days(
    tz: TimeZone,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>, NaiveDate, NaiveDate) {
    let (start, next) = month_window(tz, now);
    let first = start.with_timezone(&tz.tz()).date_naive();
    let last = (next - chrono::Duration::seconds(1))
        .with_timezone(&tz.tz())
        .date_naive();
    (start, next, first, last)
}

/// What `c` plans to spend between `first` and `last` (inclusive): its
/// budget spread evenly over its flight, for the days of the flight in
/// the window.
pub fn planned_in(c: &Campaign, first: NaiveDate, last: NaiveDate) -> i64 {
    let flight = (c.end_date - c.start_date).num_days() + 1;
    let from = c.start_date.max(first);
    let to = c.end_date.min(last);
    let overlap = (to - from).num_days() + 1;
    if flight <= 0 || overlap <= 0 {
        return 0;
    }
    let v = i128::from(c.budget_cents) * i128::from(overlap) / i128::from(flight);
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl AdsService {
    /// The client's ads plan and time zone (no catalog: no plan, UTC).
    pub(crate) async fn plan_of(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<(Option<Plan>, TimeZone), AppError> {
        let Some(cat) = &self.catalog else {
            return Ok((None, TimeZone::UTC));
        };
        let c = cat.get_client(tenant, client).await?;
        let plan = cat.plan_of(tenant, client, SubCompany::Ads).await?;
        Ok((plan, c.time_zone))
    }

    /// Refuses to make `c` spend (launch, resume) beyond the client's plan:
    /// one more active campaign, and its planned spend this month, each
    /// with the numbers and when the month resets.
    pub(crate) async fn check_tiers(
        &self,
        tenant: &TenantId,
        c: &Campaign,
    ) -> Result<(), AppError> {
        let (Some(plan), tz) = self.plan_of(tenant, &c.client_id).await? else {
            return Ok(());
        };
        let now = Utc::now();
        let others = self
            .store
            .client_spending(tenant, &c.client_id, Some(&c.id))
            .await?;
        plan::check(&QuotaCheck {
            client: c.client_id.as_str(),
            plan: Some(&plan),
            kind: LimitKind::ActiveCampaigns,
            used: others.len() as i64,
            adding: 1,
            currency: None,
            time_zone: tz,
            now,
        })?;
        if let Some(limit) = plan.limit(LimitKind::MonthlyAdSpend) {
            let (_, _, first, last) = month_days(tz, now);
            let used = others
                .iter()
                .filter(|o| Some(o.currency) == limit.currency)
                .map(|o| planned_in(o, first, last))
                .sum();
            plan::check(&QuotaCheck {
                client: c.client_id.as_str(),
                plan: Some(&plan),
                kind: LimitKind::MonthlyAdSpend,
                used,
                adding: planned_in(c, first, last),
                currency: Some(c.currency),
                time_zone: tz,
                now,
            })?;
        }
        Ok(())
    }

    /// `usage`: the client's ads plan and what it uses of it now.
    pub async fn usage(&self, tenant: &TenantId, client_id: &str) -> Result<Usage, AppError> {
        let client = ClientId::parse(client_id)?;
        self.check_refs(tenant, &client, None).await?;
        let (plan, tz) = self.plan_of(tenant, &client).await?;
        let now = Utc::now();
        let (start, next, first, last) = month_days(tz, now);
        let spending = self.store.client_spending(tenant, &client, None).await?;
        let limit = |k: LimitKind| plan.as_ref().and_then(|p| p.limit(k)).cloned();
        let mut lines = vec![UsageLine {
            kind: LimitKind::ActiveCampaigns,
            used: spending.len() as i64,
            limit: limit(LimitKind::ActiveCampaigns).map(|l| l.value),
            currency: None,
            resets_at: None,
        }];
        // Spend per currency: never summed across currencies; the plan's
        // currency carries the limit (and a line even at zero).
        let money = limit(LimitKind::MonthlyAdSpend);
        let mut currencies: Vec<Currency> = spending.iter().map(|c| c.currency).collect();
        currencies.extend(money.as_ref().and_then(|l| l.currency));
        currencies.sort();
        currencies.dedup();
        for cur in currencies {
            lines.push(UsageLine {
                kind: LimitKind::MonthlyAdSpend,
                used: spending
                    .iter()
                    .filter(|c| c.currency == cur)
                    .map(|c| planned_in(c, first, last))
                    .sum(),
                limit: money
                    .as_ref()
                    .filter(|l| l.currency == Some(cur))
                    .map(|l| l.value),
                currency: Some(cur),
                resets_at: Some(format_ts(next)),
            });
        }
        lines.push(UsageLine {
            kind: LimitKind::Seats,
            used: self
                .store
                .client_seats_since(tenant, &client, &format_ts(start))
                .await?,
            limit: limit(LimitKind::Seats).map(|l| l.value),
            currency: None,
            resets_at: Some(format_ts(next)),
        });
        Ok(Usage {
            client_id: client.as_str().to_owned(),
            context: SubCompany::Ads,
            plan: plan.map(|p| p.id),
            time_zone: tz,
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use promptsales_shared::domain::{Channel, Country};

    use super::*;
    use crate::domain::{CampaignId, CampaignStatus, Objective};

    fn campaign(budget: i64, start: &str, end: &str) -> Campaign {
        Campaign {
            id: CampaignId::parse("cmp_1").unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            name: "x".into(),
            objective: Objective::Leads,
            status: CampaignStatus::Active,
            budget_cents: budget,
            currency: Currency::parse("USD").unwrap(),
            start_date: start.parse().unwrap(),
            end_date: end.parse().unwrap(),
            channels: vec![Channel::Meta],
            countries: vec![Country::parse("CO").unwrap()],
        }
    }

    #[test]
    fn the_months_share_of_a_flight_is_its_days_in_the_month() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // 20 days, 10 of them in April: half the budget.
        let c = campaign(2_000_000, "2026-04-21", "2026-05-10");
        assert_eq!(planned_in(&c, d("2026-04-01"), d("2026-04-30")), 1_000_000);
        assert_eq!(planned_in(&c, d("2026-06-01"), d("2026-06-30")), 0);
        assert_eq!(planned_in(&c, d("2026-01-01"), d("2026-12-31")), 2_000_000);
    }

    #[test]
    fn the_month_is_the_clients() {
        let tz = TimeZone::parse("America/Bogota").unwrap();
        let (_, _, first, last) = month_days(tz, "2026-05-01T03:00:00Z".parse().unwrap());
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("2026-04-01".into(), "2026-04-30".into())
        );
    }
}
