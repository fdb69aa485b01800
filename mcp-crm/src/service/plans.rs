//! The client's crm plan, read from the catalog: `leads_stored`
//! (registering a new person; a repeat merges for free), `seats` (active
//! sellers working for the client) and `messages_per_month` (sends, in the
//! client's calendar month) are checked before the action with the numbers
//! in the refusal; `usage` reports them. Without a catalog or a plan
//! nothing is limited.

use std::collections::HashMap;

use chrono::Utc;
use promptsales_catalog::plan::{self, month_window};
use promptsales_catalog::{Client, LimitKind, Plan, QuotaCheck, SubCompany, Usage, UsageLine};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, Country, TenantId, TimeZone};
use promptsales_shared::time::format_ts;

use super::CrmService;
use crate::domain::SellerId;

impl CrmService {
    /// The client's crm plan, if the catalog assigns one.
    async fn crm_plan(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<Option<Plan>, AppError> {
        match &self.catalog {
            None => Ok(None),
            Some(c) => c.plan_of(tenant, client, SubCompany::Crm).await,
        }
    }

    /// The catalog's clients of the tenant, by id (none without a catalog).
    pub(super) async fn clients(
        &self,
        tenant: &TenantId,
    ) -> Result<HashMap<String, Client>, AppError> {
        let Some(c) = &self.catalog else {
            return Ok(HashMap::new());
        };
        Ok(c.list_clients(tenant)
            .await?
            .into_iter()
            .map(|c| (c.id.as_str().to_owned(), c))
            .collect())
    }

    /// The client's time zone (UTC for a client the catalog lacks).
    pub(super) async fn zone_of(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<TimeZone, AppError> {
        let Some(c) = &self.catalog else {
            return Ok(TimeZone::UTC);
        };
        match c.get_client(tenant, client).await {
            Ok(c) => Ok(c.time_zone),
            Err(AppError::NotFound { .. }) => Ok(TimeZone::UTC),
            Err(e) => Err(e),
        }
    }

    /// The client's country, when the catalog knows the client.
    pub async fn client_country(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<Option<Country>, AppError> {
        let Some(c) = &self.catalog else {
            return Ok(None);
        };
        match c.get_client(tenant, client).await {
            Ok(c) => Ok(Some(c.country)),
            Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What the client has used of `kind` now (this month, in its zone,
    /// for monthly limits); `except` leaves one seller out of the seats.
    async fn used(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        kind: LimitKind,
        zone: TimeZone,
        except: Option<&SellerId>,
    ) -> Result<i64, AppError> {
        match kind {
            LimitKind::LeadsStored => self.store.leads_stored(tenant, client).await,
            LimitKind::Seats => self.store.active_seats(tenant, client, except).await,
            LimitKind::MessagesPerMonth => {
                let (from, to) = month_window(zone, Utc::now());
                self.store.messages_sent(tenant, client, from, to).await
            }
            _ => Ok(0),
        }
    }

    /// `Ok` when the client's plan allows one more of `kind`; the quota
    /// refusal (what, used, requested, limit, reset) otherwise.
    pub(super) async fn check_quota(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        kind: LimitKind,
        except: Option<&SellerId>,
    ) -> Result<(), AppError> {
        let Some(plan) = self.crm_plan(tenant, client).await? else {
            return Ok(());
        };
        if plan.limit(kind).is_none() {
            return Ok(());
        }
        let zone = self.zone_of(tenant, client).await?;
        let used = self.used(tenant, client, kind, zone, except).await?;
        plan::check(&QuotaCheck {
            client: client.as_str(),
            plan: Some(&plan),
            kind,
            used,
            adding: 1,
            currency: None,
            time_zone: zone,
            now: Utc::now(),
        })
    }

    /// What the client uses of its crm plan: leads stored, seats and
    /// messages this month (with when the month resets in its zone).
    pub async fn usage(&self, tenant: &TenantId, client_id: &str) -> Result<Usage, AppError> {
        let client = ClientId::parse(client_id)?;
        let plan = self.crm_plan(tenant, &client).await?;
        let zone = self.zone_of(tenant, &client).await?;
        let (_, next) = month_window(zone, Utc::now());
        let mut lines = Vec::new();
        for kind in [
            LimitKind::LeadsStored,
            LimitKind::Seats,
            LimitKind::MessagesPerMonth,
        ] {
            lines.push(UsageLine {
                kind,
                used: self.used(tenant, &client, kind, zone, None).await?,
                limit: plan.as_ref().and_then(|p| p.limit(kind)).map(|l| l.value),
                currency: None,
                resets_at: kind.monthly().then(|| format_ts(next)),
            });
        }
        Ok(Usage {
            client_id: client.as_str().to_owned(),
            context: SubCompany::Crm,
            plan: plan.map(|p| p.id),
            time_zone: zone,
            lines,
        })
    }
}
