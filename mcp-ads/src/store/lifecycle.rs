//! Campaign lifecycle state: plans, events, launches (idempotency keys),
//! publications, segments, change sets and attached assets.

use std::sync::atomic::{AtomicU64, Ordering};

use ads_read::rows::campaign_from_row;
use promptsales_shared::AppError;
use promptsales_shared::db::{is_unique_violation, json_list};
use promptsales_shared::domain::{Channel, Currency, TenantId};
use promptsales_shared::time::{format_date, now_ts, parse_date};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::AdsStore;
use crate::domain::plan::{Audience, CampaignPlan, Event, Publication, Segment};
use crate::domain::{Campaign, CampaignId, CampaignStatus};

/// A new unique id with `prefix`: time-ordered, unique within the process
/// and, through the nanoseconds, across processes.
pub fn new_id(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{:x}{:04x}{:04x}",
        nanos,
        std::process::id() & 0xffff,
        n & 0xffff
    )
}

/// A campaign with everything it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRecord {
    pub campaign: Campaign,
    pub plan: CampaignPlan,
    pub audience: Audience,
    pub created_by: Option<String>,
    pub updated_at: String,
}

/// What a launch's idempotency key found.
#[derive(Debug, Clone, PartialEq)]
pub enum LaunchClaim {
    /// The key is new and now ours.
    Claimed,
    /// A launch with this key already ran: its stored result.
    Done { campaign_id: String, result: String },
    /// A launch with this key is still running.
    Running { campaign_id: String },
}

/// A stored change set.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSetRow {
    pub id: String,
    pub campaign_id: String,
    pub status: String,
    pub proposal: String,
    pub created_by: String,
    pub created_at: String,
    pub applied_by: Option<String>,
    pub applied_at: Option<String>,
    pub rolled_back_by: Option<String>,
    pub rolled_back_at: Option<String>,
}

fn json_of<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("encode: {e}")))
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(
    what: &str,
    s: &str,
) -> Result<T, AppError> {
    if s.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(s).map_err(|e| AppError::Internal(format!("stored {what}: {e}")))
}

const SELECT_RECORD: &str = "SELECT id, client_id, name, objective, status, budget_cents, currency, \
     start_date, end_date, channels, countries, plan, audience, created_by, updated_at \
     FROM campaigns WHERE tenant_id = $1 AND id = $2";

fn record_from_row(r: &AnyRow) -> Result<CampaignRecord, AppError> {
    Ok(CampaignRecord {
        campaign: campaign_from_row(r)?,
        plan: parse_json("plan", &r.try_get::<String, _>("plan")?)?,
        audience: parse_json("audience", &r.try_get::<String, _>("audience")?)?,
        created_by: r.try_get("created_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn publication_from_row(r: &AnyRow) -> Result<Publication, AppError> {
    let launched: Option<String> = r.try_get("launched_on")?;
    Ok(Publication {
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        platform: r.try_get("platform")?,
        sandbox: r.try_get::<i64, _>("sandbox")? != 0,
        state: r.try_get("state")?,
        external_ids: parse_json("external_ids", &r.try_get::<String, _>("external_ids")?)?,
        budget_cents: r.try_get("budget_cents")?,
        error: r.try_get("error")?,
        retryable: r.try_get::<i64, _>("retryable")? != 0,
        launched_on: launched
            .map(|d| parse_date("launched_on", &d))
            .transpose()?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn change_set_from_row(r: &AnyRow) -> Result<ChangeSetRow, AppError> {
    Ok(ChangeSetRow {
        id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        status: r.try_get("status")?,
        proposal: r.try_get("proposal")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        applied_by: r.try_get("applied_by")?,
        applied_at: r.try_get("applied_at")?,
        rolled_back_by: r.try_get("rolled_back_by")?,
        rolled_back_at: r.try_get("rolled_back_at")?,
    })
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    campaign: &str,
    from: Option<CampaignStatus>,
    m: &Move<'_>,
    at: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO campaign_events (tenant_id, id, campaign_id, at, actor, action, from_status, \
         to_status, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $4, $4)",
    )
    .bind(tenant.as_str())
    .bind(new_id("evt_"))
    .bind(campaign)
    .bind(at)
    .bind(m.actor)
    .bind(m.action)
    .bind(from.map(|s| s.as_str()))
    .bind(m.to.as_str())
    .bind(m.note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A change set's move: `id` from status `from` to `to` by `actor`.
#[derive(Debug, Clone, Copy)]
pub struct Settle<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub actor: &'a str,
}

/// A lifecycle move to record with a state change.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub from: CampaignStatus,
    pub to: CampaignStatus,
    pub note: Option<&'a str>,
}

impl AdsStore {
    /// Inserts a new campaign with its plan and audience and the `create`
    /// event, in one transaction. Conflict when the id exists.
    pub async fn create_campaign(
        &self,
        tenant: &TenantId,
        c: &Campaign,
        plan: &CampaignPlan,
        audience: &Audience,
        actor: &str,
    ) -> Result<(), AppError> {
        c.validate()?;
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let r = sqlx::query(
            "INSERT INTO campaigns (tenant_id, id, client_id, name, objective, status, budget_cents, \
             currency, start_date, end_date, channels, countries, audience, plan, created_by, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        )
        .bind(tenant.as_str())
        .bind(c.id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.name.as_str())
        .bind(c.objective.as_str())
        .bind(c.status.as_str())
        .bind(c.budget_cents)
        .bind(c.currency.as_str())
        .bind(format_date(c.start_date))
        .bind(format_date(c.end_date))
        .bind(json_list(&c.channels))
        .bind(json_list(&c.countries))
        .bind(json_of(audience)?)
        .bind(json_of(plan)?)
        .bind(actor)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::Conflict(format!(
                    "campaign `{}` already exists; pick another id or update it",
                    c.id
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let m = Move {
            actor,
            action: "create",
            from: c.status,
            to: c.status,
            note: None,
        };
        insert_event(&mut tx, tenant, c.id.as_str(), None, &m, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_record(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
    ) -> Result<CampaignRecord, AppError> {
        let row = sqlx::query(SELECT_RECORD)
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| AppError::not_found("campaign", id.as_str()))?;
        record_from_row(&row)
    }

    /// Rewrites an editable campaign (plan and audience included) if it is
    /// still in `expected` status and unchanged since `updated_at`;
    /// records `mv` when the status changes. Conflict otherwise.
    pub async fn save_campaign(
        &self,
        tenant: &TenantId,
        c: &Campaign,
        plan: &CampaignPlan,
        audience: &Audience,
        expected: CampaignStatus,
        mv: Option<Move<'_>>,
    ) -> Result<(), AppError> {
        c.validate()?;
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE campaigns SET client_id = $3, name = $4, objective = $5, status = $6, \
             budget_cents = $7, currency = $8, start_date = $9, end_date = $10, channels = $11, \
             countries = $12, audience = $13, plan = $14, updated_at = $15 \
             WHERE tenant_id = $1 AND id = $2 AND status = $16",
        )
        .bind(tenant.as_str())
        .bind(c.id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.name.as_str())
        .bind(c.objective.as_str())
        .bind(c.status.as_str())
        .bind(c.budget_cents)
        .bind(c.currency.as_str())
        .bind(format_date(c.start_date))
        .bind(format_date(c.end_date))
        .bind(json_list(&c.channels))
        .bind(json_list(&c.countries))
        .bind(json_of(audience)?)
        .bind(json_of(plan)?)
        .bind(now.as_str())
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "campaign `{}` changed status meanwhile (expected {expected}); read it again",
                c.id
            )));
        }
        if let Some(m) = mv {
            insert_event(&mut tx, tenant, c.id.as_str(), Some(m.from), &m, &now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves a campaign `from → to` only if it is still in `from`; records
    /// the event (and, for approve/reject, the approval columns) in the
    /// same transaction.
    pub async fn transition(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        m: Move<'_>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let decision = matches!(m.action, "approve" | "reject");
        let n = if decision {
            sqlx::query(
                "UPDATE campaigns SET status = $3, approved_by = $4, approved_at = $5, approval_note = $6, \
                 updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = $7",
            )
            .bind(tenant.as_str())
            .bind(id.as_str())
            .bind(m.to.as_str())
            .bind(m.actor)
            .bind(now.as_str())
            .bind(m.note)
            .bind(m.from.as_str())
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE campaigns SET status = $3, updated_at = $4 \
                 WHERE tenant_id = $1 AND id = $2 AND status = $5",
            )
            .bind(tenant.as_str())
            .bind(id.as_str())
            .bind(m.to.as_str())
            .bind(now.as_str())
            .bind(m.from.as_str())
            .execute(&mut *tx)
            .await?
        }
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "campaign `{id}` is no longer {}: another call changed it; read it again",
                m.from
            )));
        }
        insert_event(&mut tx, tenant, id.as_str(), Some(m.from), &m, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The campaign's lifecycle events, oldest first.
    pub async fn events(&self, tenant: &TenantId, id: &CampaignId) -> Result<Vec<Event>, AppError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, from_status, to_status, note FROM campaign_events \
             WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY at, id",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Stores the plan of a campaign (budget changes of a change set) with
    /// its total, in one statement.
    pub async fn set_plan(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        plan: &CampaignPlan,
    ) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE campaigns SET plan = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(json_of(plan)?)
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Takes an idempotency key for a launch, or reports what it already did.
    pub async fn claim_launch(
        &self,
        tenant: &TenantId,
        key: &str,
        campaign: &CampaignId,
        actor: &str,
    ) -> Result<LaunchClaim, AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO launches (tenant_id, idempotency_key, campaign_id, actor, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'running', $5, $5)",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(campaign.as_str())
        .bind(actor)
        .bind(now.as_str())
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => Ok(LaunchClaim::Claimed),
            Err(e) if is_unique_violation(&e) => {
                let row = sqlx::query(
                    "SELECT campaign_id, status, result FROM launches WHERE tenant_id = $1 AND idempotency_key = $2",
                )
                .bind(tenant.as_str())
                .bind(key)
                .fetch_one(self.db.pool())
                .await?;
                let campaign_id: String = row.try_get("campaign_id")?;
                let status: String = row.try_get("status")?;
                let result: Option<String> = row.try_get("result")?;
                Ok(match (status.as_str(), result) {
                    ("done", Some(result)) => LaunchClaim::Done {
                        campaign_id,
                        result,
                    },
                    _ => LaunchClaim::Running { campaign_id },
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records the outcome of a claimed launch.
    pub async fn finish_launch(
        &self,
        tenant: &TenantId,
        key: &str,
        result: &str,
    ) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE launches SET status = 'done', result = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND idempotency_key = $2",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(result)
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Releases a claimed key whose launch stopped before touching any
    /// platform (refused by the person or a cap), so it can be used again.
    pub async fn release_launch(&self, tenant: &TenantId, key: &str) -> Result<(), AppError> {
        sqlx::query("DELETE FROM launches WHERE tenant_id = $1 AND idempotency_key = $2 AND status = 'running'")
            .bind(tenant.as_str())
            .bind(key)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Inserts or replaces a channel's publication.
    pub async fn save_publication(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
        p: &Publication,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO publications (tenant_id, campaign_id, channel, platform, sandbox, state, external_ids, \
             budget_cents, error, retryable, launched_on, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             ON CONFLICT (tenant_id, campaign_id, channel) DO UPDATE SET platform = excluded.platform, \
             sandbox = excluded.sandbox, state = excluded.state, external_ids = excluded.external_ids, \
             budget_cents = excluded.budget_cents, error = excluded.error, retryable = excluded.retryable, \
             launched_on = excluded.launched_on, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .bind(p.channel.as_str())
        .bind(p.platform.as_str())
        .bind(i64::from(p.sandbox))
        .bind(p.state.as_str())
        .bind(json_of(&p.external_ids)?)
        .bind(p.budget_cents)
        .bind(p.error.as_deref())
        .bind(i64::from(p.retryable))
        .bind(p.launched_on.map(format_date))
        .bind(now.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn publications(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
    ) -> Result<Vec<Publication>, AppError> {
        let rows = sqlx::query(
            "SELECT channel, platform, sandbox, state, external_ids, budget_cents, error, retryable, \
             launched_on, updated_at FROM publications WHERE tenant_id = $1 AND campaign_id = $2 ORDER BY channel",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(publication_from_row).collect()
    }

    /// Ids of the tenant's active campaigns (what `sync_metrics` pulls).
    pub async fn active_campaign_ids(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<CampaignId>, AppError> {
        let rows = sqlx::query(
            "SELECT id FROM campaigns WHERE tenant_id = $1 AND status = 'active' ORDER BY id",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(CampaignId::from_trusted(r.try_get("id")?)))
            .collect()
    }

    /// Active campaigns in `currency` other than `except`: their budgets
    /// and flights (for the tenant's daily spend cap).
    pub async fn active_in_currency(
        &self,
        tenant: &TenantId,
        currency: Currency,
        except: &CampaignId,
    ) -> Result<Vec<Campaign>, AppError> {
        let rows = sqlx::query(
            "SELECT id, client_id, name, objective, status, budget_cents, currency, start_date, end_date, \
             channels, countries FROM campaigns WHERE tenant_id = $1 AND status = 'active' \
             AND currency = $2 AND id <> $3",
        )
        .bind(tenant.as_str())
        .bind(currency.as_str())
        .bind(except.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(campaign_from_row).collect()
    }

    pub async fn save_segment(&self, tenant: &TenantId, s: &Segment) -> Result<(), AppError> {
        let now = now_ts();
        let r = sqlx::query(
            "INSERT INTO segments (tenant_id, id, name, client_id, definition, matched, reachable, suppressed, \
             without_consent, computed_at, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(tenant.as_str())
        .bind(s.id.as_str())
        .bind(s.name.as_str())
        .bind(s.client_id.as_deref())
        .bind(json_of(&s.definition)?)
        .bind(s.matched)
        .bind(s.reachable)
        .bind(s.suppressed)
        .bind(s.without_consent)
        .bind(s.computed_at.as_str())
        .bind(s.created_by.as_str())
        .bind(now.as_str())
        .execute(self.db.pool())
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(AppError::Conflict(format!(
                "a segment named {:?} already exists; choose another name",
                s.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_segment(&self, tenant: &TenantId, id: &str) -> Result<Segment, AppError> {
        let r = sqlx::query(
            "SELECT id, name, client_id, definition, matched, reachable, suppressed, without_consent, \
             computed_at, created_by FROM segments WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("segment", id))?;
        Ok(Segment {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            client_id: r.try_get("client_id")?,
            definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
                .map_err(|e| AppError::Internal(format!("stored segment: {e}")))?,
            matched: r.try_get("matched")?,
            reachable: r.try_get("reachable")?,
            suppressed: r.try_get("suppressed")?,
            without_consent: r.try_get("without_consent")?,
            computed_at: r.try_get("computed_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    pub async fn insert_change_set(
        &self,
        tenant: &TenantId,
        id: &str,
        campaign: &CampaignId,
        proposal: &str,
        actor: &str,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO change_sets (tenant_id, id, campaign_id, status, proposal, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'proposed', $4, $5, $6, $6)",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(campaign.as_str())
        .bind(proposal)
        .bind(actor)
        .bind(now.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn get_change_set(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<ChangeSetRow, AppError> {
        let r = sqlx::query(
            "SELECT id, campaign_id, status, proposal, created_by, created_at, applied_by, applied_at, \
             rolled_back_by, rolled_back_at FROM change_sets WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("change set", id))?;
        change_set_from_row(&r)
    }

    /// The campaign's most recently applied change set still in force.
    pub async fn latest_applied_change_set(
        &self,
        tenant: &TenantId,
        campaign: &str,
    ) -> Result<Option<String>, AppError> {
        let r = sqlx::query(
            "SELECT id FROM change_sets WHERE tenant_id = $1 AND campaign_id = $2 AND status = 'applied' \
             ORDER BY applied_at DESC, id DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(campaign)
        .fetch_optional(self.db.pool())
        .await?;
        r.map(|r| r.try_get::<String, _>("id"))
            .transpose()
            .map_err(Into::into)
    }

    /// Moves a change set `from → to` and writes the campaign's new plan in
    /// one transaction; Conflict if someone else moved it first.
    pub async fn settle_change_set(
        &self,
        tenant: &TenantId,
        m: &Settle<'_>,
        campaign: &CampaignId,
        plan: &CampaignPlan,
        budget_cents: i64,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let Settle {
            id,
            from,
            to,
            actor,
        } = *m;
        let q = if to == "applied" {
            "UPDATE change_sets SET status = $3, applied_by = $4, applied_at = $5, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2 AND status = $6"
        } else {
            "UPDATE change_sets SET status = $3, rolled_back_by = $4, rolled_back_at = $5, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2 AND status = $6"
        };
        let n = sqlx::query(q)
            .bind(tenant.as_str())
            .bind(id)
            .bind(to)
            .bind(actor)
            .bind(now.as_str())
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!(
                "change set `{id}` is no longer {from}; read it again"
            )));
        }
        sqlx::query(
            "UPDATE campaigns SET plan = $3, budget_cents = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .bind(json_of(plan)?)
        .bind(budget_cents)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
        for a in &plan.allocations {
            sqlx::query(
                "UPDATE publications SET budget_cents = $4, updated_at = $5 \
                 WHERE tenant_id = $1 AND campaign_id = $2 AND channel = $3",
            )
            .bind(tenant.as_str())
            .bind(campaign.as_str())
            .bind(a.channel.as_str())
            .bind(a.budget_cents)
            .bind(now.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Attaches an asset to a campaign channel (re-attaching updates the
    /// version).
    pub async fn attach_asset(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
        asset: &str,
        channel: Channel,
        version: i64,
        actor: &str,
    ) -> Result<(), AppError> {
        let now = now_ts();
        sqlx::query(
            "INSERT INTO campaign_assets (tenant_id, campaign_id, asset_id, channel, version, attached_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (tenant_id, campaign_id, asset_id, channel) \
             DO UPDATE SET version = excluded.version, attached_by = excluded.attached_by, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .bind(asset)
        .bind(channel.as_str())
        .bind(version)
        .bind(actor)
        .bind(now.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Assets attached to a campaign: (asset, channel, version).
    pub async fn assets(
        &self,
        tenant: &TenantId,
        campaign: &CampaignId,
    ) -> Result<Vec<(String, Channel, i64)>, AppError> {
        let rows = sqlx::query(
            "SELECT asset_id, channel, version FROM campaign_assets WHERE tenant_id = $1 AND campaign_id = $2 \
             ORDER BY channel, asset_id",
        )
        .bind(tenant.as_str())
        .bind(campaign.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("asset_id")?,
                    Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    r.try_get("version")?,
                ))
            })
            .collect()
    }
}
