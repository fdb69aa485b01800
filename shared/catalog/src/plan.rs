//! Subscription plans: what each sub-company (content, ads, crm,
//! analytics) lets a client do, as data — limits per month (in the
//! client's time zone) or standing limits — and the one check every server
//! runs before it acts, with the numbers in its refusal.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone as _, Utc};
use promptsales_shared::domain::{ClientId, Currency, TimeZone, format_money};
use promptsales_shared::error::QuotaExceeded;
use promptsales_shared::{AppError, vocabulary};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// A sub-company of PromptSales: each sells its own plans.
    pub enum SubCompany("context") {
        Content => "content",
        Ads => "ads",
        Crm => "crm",
        Analytics => "analytics",
    }
}

vocabulary! {
    /// What a plan limits.
    pub enum LimitKind("kind") {
        GenerationsPerMonth => "generations_per_month",
        LlmTokensPerMonth => "llm_tokens_per_month",
        ActiveCampaigns => "active_campaigns",
        MonthlyAdSpend => "monthly_ad_spend",
        LeadsStored => "leads_stored",
        Seats => "seats",
        MessagesPerMonth => "messages_per_month",
        QuestionsPerMonth => "questions_per_month",
    }
}

impl LimitKind {
    /// Counted per calendar month in the client's time zone.
    pub fn monthly(self) -> bool {
        matches!(
            self,
            LimitKind::GenerationsPerMonth
                | LimitKind::LlmTokensPerMonth
                | LimitKind::MonthlyAdSpend
                | LimitKind::MessagesPerMonth
                | LimitKind::QuestionsPerMonth
        )
    }

    /// The sub-companies whose plans may carry this limit.
    pub fn allowed_in(self, context: SubCompany) -> bool {
        use LimitKind::*;
        match context {
            SubCompany::Content => matches!(self, GenerationsPerMonth | LlmTokensPerMonth | Seats),
            SubCompany::Ads => matches!(self, ActiveCampaigns | MonthlyAdSpend | Seats),
            SubCompany::Crm => matches!(self, LeadsStored | Seats | MessagesPerMonth),
            SubCompany::Analytics => {
                matches!(self, QuestionsPerMonth | LlmTokensPerMonth | Seats)
            }
        }
    }

    /// How a person reads it in a refusal.
    pub fn label(self) -> &'static str {
        match self {
            LimitKind::GenerationsPerMonth => "content generations this month",
            LimitKind::LlmTokensPerMonth => "LLM tokens this month",
            LimitKind::ActiveCampaigns => "active campaigns",
            LimitKind::MonthlyAdSpend => "ad spend under management this month",
            LimitKind::LeadsStored => "leads stored",
            LimitKind::Seats => "seats",
            LimitKind::MessagesPerMonth => "messages sent this month",
            LimitKind::QuestionsPerMonth => "analytics questions this month",
        }
    }
}

/// One limit of a plan. Money limits (`monthly_ad_spend`) are in
/// hundredths of `currency`, which they must name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Limit {
    pub kind: LimitKind,
    /// The most allowed (hundredths of `currency` for money).
    pub value: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// A plan of one sub-company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// e.g. `ads_growth`.
    pub id: String,
    pub context: SubCompany,
    /// e.g. "Growth".
    pub name: String,
    pub limits: Vec<Limit>,
}

impl Plan {
    /// Checks a plan before it is stored: limits that belong to its
    /// sub-company, once each, non-negative, money with a currency.
    pub fn validate(&self) -> Result<(), AppError> {
        promptsales_shared::domain::validate_id("plan_id", &self.id)?;
        promptsales_shared::domain::required_text("name", &self.name, 80)?;
        for (i, l) in self.limits.iter().enumerate() {
            if !l.kind.allowed_in(self.context) {
                return Err(AppError::invalid(
                    "limits",
                    format!("limits of a {} plan", self.context),
                    l.kind.as_str(),
                ));
            }
            if self.limits[..i].iter().any(|o| o.kind == l.kind) {
                return Err(AppError::invalid(
                    "limits",
                    "each kind once",
                    l.kind.as_str(),
                ));
            }
            if l.value < 0 {
                return Err(AppError::invalid(
                    "limits",
                    "a value of 0 or more",
                    l.value.to_string(),
                ));
            }
            let money = l.kind == LimitKind::MonthlyAdSpend;
            if money != l.currency.is_some() {
                return Err(AppError::invalid(
                    "limits",
                    "a currency on monthly_ad_spend and on nothing else",
                    l.kind.as_str(),
                ));
            }
        }
        Ok(())
    }

    pub fn limit(&self, kind: LimitKind) -> Option<&Limit> {
        self.limits.iter().find(|l| l.kind == kind)
    }
}

/// The calendar month containing `now` in `tz`: its start and the start
/// of the next one, as UTC instants.
pub fn month_window(tz: TimeZone, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = now.with_timezone(&tz.tz()).date_naive();
    let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1).unwrap_or(local);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let at = |d: NaiveDate| {
        tz.tz()
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(now, |t| t.with_timezone(&Utc))
    };
    (at(first), at(next))
}

/// One line of a client's usage of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct UsageLine {
    pub kind: LimitKind,
    pub used: i64,
    /// Absent when the plan does not limit it.
    pub limit: Option<i64>,
    /// Money lines: the currency of `used` and `limit` (hundredths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Monthly lines: when the count starts again (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<String>,
}

/// A client's use of one sub-company's plan (the `usage` tools).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Usage {
    pub client_id: String,
    pub context: SubCompany,
    /// None: no plan assigned, nothing is limited.
    pub plan: Option<String>,
    pub time_zone: TimeZone,
    pub lines: Vec<UsageLine>,
}

/// What a server knows when it checks a limit.
#[derive(Debug, Clone)]
pub struct QuotaCheck<'a> {
    pub client: &'a str,
    pub plan: Option<&'a Plan>,
    pub kind: LimitKind,
    /// Already used (this month, for monthly limits).
    pub used: i64,
    /// What this request adds.
    pub adding: i64,
    /// Money: the currency of `used`/`adding`.
    pub currency: Option<Currency>,
    pub time_zone: TimeZone,
    pub now: DateTime<Utc>,
}

fn shown(v: i64, currency: Option<Currency>) -> String {
    match currency {
        Some(c) => format_money(v, c),
        None => v.to_string(),
    }
}

/// `Ok` when the plan allows `used + adding` (or has no such limit);
/// otherwise the refusal with what, used, requested, limit and reset. A
/// money limit in another currency cannot be compared without a rate:
/// refused, saying so.
pub fn check(q: &QuotaCheck<'_>) -> Result<(), AppError> {
    let Some(plan) = q.plan else { return Ok(()) };
    let Some(limit) = plan.limit(q.kind) else {
        return Ok(());
    };
    if let (Some(have), Some(want)) = (q.currency, limit.currency)
        && have != want
    {
        return Err(AppError::Conflict(format!(
            "plan {} limits {} in {}; this is in {} and no exchange rate is configured to \
             compare them: ask for a plan in {} or a rate",
            plan.name,
            q.kind.label(),
            want.as_str(),
            have.as_str(),
            have.as_str()
        )));
    }
    if q.used.saturating_add(q.adding) <= limit.value {
        return Ok(());
    }
    let resets = q.kind.monthly().then(|| {
        let (_, next) = month_window(q.time_zone, q.now);
        format!(
            "{} {}",
            next.with_timezone(&q.time_zone.tz())
                .format("%Y-%m-%d %H:%M"),
            q.time_zone
        )
    });
    Err(QuotaExceeded {
        what: q.kind.label().to_owned(),
        client: q.client.to_owned(),
        plan: plan.name.clone(),
        used: shown(q.used, limit.currency),
        requested: shown(q.adding, limit.currency),
        limit: shown(limit.value, limit.currency),
        resets,
    }
    .into())
}

/// The month key of `now` in `tz` (`YYYY-MM`, the key of monthly
/// counters) and when the next month starts (UTC).
pub fn period_of(tz: TimeZone, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let (start, next) = month_window(tz, now);
    (
        start.with_timezone(&tz.tz()).format("%Y-%m").to_string(),
        next,
    )
}

/// A client's plan at one sub-company and this month's counters, read once
/// per call: what a server checks a request against and reports as usage.
#[derive(Debug, Clone)]
pub struct Meter {
    pub client: ClientId,
    pub plan: Option<Plan>,
    pub time_zone: TimeZone,
    pub now: DateTime<Utc>,
    /// The client's month, `YYYY-MM` in its zone: the counters' key.
    pub period: String,
    /// When the month turns (UTC).
    pub resets_at: DateTime<Utc>,
    used: Vec<(LimitKind, i64)>,
}

impl Meter {
    /// The meter of `client` at `now`; counters start empty
    /// ([`Meter::with_used`] fills them from the server's store).
    pub fn new(
        client: ClientId,
        plan: Option<Plan>,
        time_zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Meter {
        let (period, resets_at) = period_of(time_zone, now);
        Meter {
            client,
            plan,
            time_zone,
            now,
            period,
            resets_at,
            used: Vec::new(),
        }
    }

    /// This month's counters, by kind (absent: nothing used).
    pub fn with_used(mut self, used: Vec<(LimitKind, i64)>) -> Meter {
        self.used = used;
        self
    }

    pub fn used(&self, kind: LimitKind) -> i64 {
        self.used
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }

    pub fn limit(&self, kind: LimitKind) -> Option<i64> {
        self.plan
            .as_ref()
            .and_then(|p| p.limit(kind))
            .map(|l| l.value)
    }

    /// `Ok` when `adding` more of a count `kind` fits the plan; otherwise
    /// the refusal with what, used, requested, limit and the local reset.
    pub fn check(&self, kind: LimitKind, used: i64, adding: i64) -> Result<(), AppError> {
        check(&QuotaCheck {
            client: self.client.as_str(),
            plan: self.plan.as_ref(),
            kind,
            used,
            adding,
            currency: None,
            time_zone: self.time_zone,
            now: self.now,
        })
    }

    /// When the month turns, in the client's zone (`2027-01-01 00:00
    /// America/Bogota`).
    pub fn resets_local(&self) -> String {
        format!(
            "{} {}",
            self.resets_at
                .with_timezone(&self.time_zone.tz())
                .format("%Y-%m-%d %H:%M"),
            self.time_zone
        )
    }

    /// The `usage` report of the monthly counts `kinds` at `context`.
    pub fn usage(&self, context: SubCompany, kinds: &[LimitKind]) -> Usage {
        Usage {
            client_id: self.client.as_str().to_owned(),
            context,
            plan: self.plan.as_ref().map(|p| p.id.clone()),
            time_zone: self.time_zone,
            lines: kinds
                .iter()
                .map(|&kind| UsageLine {
                    kind,
                    used: self.used(kind),
                    limit: self.limit(kind),
                    currency: None,
                    resets_at: Some(self.resets_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            id: "ads_starter".into(),
            context: SubCompany::Ads,
            name: "Starter".into(),
            limits: vec![
                Limit {
                    kind: LimitKind::ActiveCampaigns,
                    value: 3,
                    currency: None,
                },
                Limit {
                    kind: LimitKind::MonthlyAdSpend,
                    value: 500_000,
                    currency: Some(Currency::parse("USD").unwrap()),
                },
            ],
        }
    }

    fn q(kind: LimitKind, used: i64, adding: i64, currency: Option<&str>) -> QuotaCheck<'static> {
        QuotaCheck {
            client: "cli_001",
            plan: None,
            kind,
            used,
            adding,
            currency: currency.map(|c| Currency::parse(c).unwrap()),
            time_zone: TimeZone::parse("America/Bogota").unwrap(),
            now: "2026-12-31T23:30:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn plans_validate_their_limits() {
        assert!(plan().validate().is_ok());
        let mut p = plan();
        p.limits.push(Limit {
            kind: LimitKind::LeadsStored,
            value: 1,
            currency: None,
        });
        assert!(p.validate().unwrap_err().to_string().contains("ads plan"));
        let mut p = plan();
        p.limits[1].currency = None;
        assert!(p.validate().is_err());
    }

    #[test]
    fn refusals_carry_what_used_limit_and_the_local_reset() {
        let p = plan();
        let mut c = q(LimitKind::ActiveCampaigns, 3, 1, None);
        c.plan = Some(&p);
        let e = check(&c).unwrap_err().to_string();
        assert!(
            e.contains("active campaigns") && e.contains("3 used") && e.contains("limit 3"),
            "{e}"
        );
        assert!(e.contains("does not reset"), "{e}");
        // 23:30 UTC on 31 December is still December in Bogotá (UTC-5).
        let mut c = q(LimitKind::MonthlyAdSpend, 450_000, 60_000, Some("USD"));
        c.plan = Some(&p);
        let e = check(&c).unwrap_err().to_string();
        assert!(
            e.contains("4,500.00 USD used + 600.00 USD requested > limit 5,000.00 USD"),
            "{e}"
        );
        assert!(e.contains("2027-01-01 00:00 America/Bogota"), "{e}");
        let mut c = q(LimitKind::MonthlyAdSpend, 0, 1, Some("COP"));
        c.plan = Some(&p);
        assert!(check(&c).unwrap_err().to_string().contains("exchange rate"));
        let mut c = q(LimitKind::ActiveCampaigns, 1, 1, None);
        c.plan = Some(&p);
        assert!(check(&c).is_ok());
        assert!(
            check(&q(LimitKind::ActiveCampaigns, 99, 1, None)).is_ok(),
            "no plan"
        );
    }

    #[test]
    fn months_are_the_clients() {
        let tz = TimeZone::parse("America/Bogota").unwrap();
        let (start, next) = month_window(tz, "2026-12-01T03:00:00Z".parse().unwrap());
        // 03:00 UTC on 1 December is 22:00 on 30 November in Bogotá.
        assert_eq!(start.to_rfc3339(), "2026-11-01T05:00:00+00:00");
        assert_eq!(next.to_rfc3339(), "2026-12-01T05:00:00+00:00");
    }
}
