//! Campaign lifecycle state: the campaign record with its plan, audience
//! and editors, conditional status moves with their events, and the
//! four-eyes rule of approvals.

use std::sync::atomic::{AtomicU64, Ordering};

use ads_read::rows::campaign_from_row;
use promptsales_shared::AppError;
use promptsales_shared::db::{is_unique_violation, json_list};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::{format_date, now_ts};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::AdsStore;
use crate::domain::plan::{Audience, CampaignPlan, Event, Waiver};
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

/// Who holds a campaign's launch claim, with which key, since when (the
/// time is refreshed while the launch runs).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchHold {
    pub key: String,
    pub by: String,
    pub at: String,
}

/// A campaign with everything it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRecord {
    pub campaign: Campaign,
    pub plan: CampaignPlan,
    pub audience: Audience,
    pub created_by: Option<String>,
    /// Who changed it last (update, plan, segment, content): with the
    /// creator, the people who may not approve it.
    pub last_edited_by: Option<String>,
    pub last_edited_at: Option<String>,
    /// The launch claim, when one is held (fresh or stale).
    pub launch_claim: Option<LaunchHold>,
    /// Channels the approval let run without a creative.
    pub waivers: Vec<Waiver>,
    pub updated_at: String,
}

impl CampaignRecord {
    /// The people who shaped the campaign: its creator and last editor.
    pub fn editors(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for e in [&self.created_by, &self.last_edited_by]
            .into_iter()
            .flatten()
        {
            if !v.contains(&e.as_str()) {
                v.push(e);
            }
        }
        v
    }
}

pub(super) fn json_of<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("encode: {e}")))
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned + Default>(
    what: &str,
    s: &str,
) -> Result<T, AppError> {
    if s.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(s).map_err(|e| AppError::Internal(format!("stored {what}: {e}")))
}

const SELECT_RECORD: &str = "SELECT id, client_id, name, objective, status, budget_cents, currency, \
     start_date, end_date, channels, countries, plan, audience, created_by, last_edited_by, \
     last_edited_at, launch_claim_key, launch_claimed_by, launch_claimed_at, creative_waivers, \
     updated_at FROM campaigns WHERE tenant_id = $1 AND id = $2";

fn record_from_row(r: &AnyRow) -> Result<CampaignRecord, AppError> {
    let key: Option<String> = r.try_get("launch_claim_key")?;
    let launch_claim = match key {
        Some(key) => Some(LaunchHold {
            key,
            by: r
                .try_get::<Option<String>, _>("launch_claimed_by")?
                .unwrap_or_default(),
            at: r
                .try_get::<Option<String>, _>("launch_claimed_at")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(CampaignRecord {
        campaign: campaign_from_row(r)?,
        plan: parse_json("plan", &r.try_get::<String, _>("plan")?)?,
        audience: parse_json("audience", &r.try_get::<String, _>("audience")?)?,
        created_by: r.try_get("created_by")?,
        last_edited_by: r.try_get("last_edited_by")?,
        last_edited_at: r.try_get("last_edited_at")?,
        launch_claim,
        waivers: parse_json(
            "creative waivers",
            &r.try_get::<String, _>("creative_waivers")?,
        )?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) async fn insert_event(
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

/// A lifecycle move to record with a state change.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub from: CampaignStatus,
    pub to: CampaignStatus,
    pub note: Option<&'a str>,
}

/// The status move of a campaign within an open transaction, only if it is
/// still in `m.from`, with its event. An approval also requires that the
/// approver is neither the creator nor the last editor, in the same
/// statement, so an edit racing the approval cannot slip through.
pub(super) async fn move_status(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    id: &CampaignId,
    m: &Move<'_>,
    now: &str,
) -> Result<(), AppError> {
    let decision = match m.action {
        // The approver is neither the creator nor the last editor.
        "approve" => Some(
            "UPDATE campaigns SET status = $3, approved_by = $4, approved_at = $5, approval_note = $6, \
             updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = $7 \
             AND COALESCE(created_by, '') <> $4 AND COALESCE(last_edited_by, '') <> $4",
        ),
        "reject" => Some(
            "UPDATE campaigns SET status = $3, approved_by = $4, approved_at = $5, approval_note = $6, \
             updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = $7",
        ),
        _ => None,
    };
    let n = match decision {
        Some(sql) => {
            sqlx::query(sql)
                .bind(tenant.as_str())
                .bind(id.as_str())
                .bind(m.to.as_str())
                .bind(m.actor)
                .bind(now)
                .bind(m.note)
                .bind(m.from.as_str())
                .execute(&mut **tx)
                .await?
        }
        None => {
            sqlx::query(
                "UPDATE campaigns SET status = $3, updated_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND status = $5",
            )
            .bind(tenant.as_str())
            .bind(id.as_str())
            .bind(m.to.as_str())
            .bind(now)
            .bind(m.from.as_str())
            .execute(&mut **tx)
            .await?
        }
    }
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(if m.action == "approve" {
            format!(
                "campaign `{id}` is no longer {} or was edited meanwhile (its creator and last editor cannot approve it); read it again",
                m.from
            )
        } else {
            format!(
                "campaign `{id}` is no longer {}: another call changed it; read it again",
                m.from
            )
        }));
    }
    insert_event(tx, tenant, id.as_str(), Some(m.from), m, now).await
}

impl AdsStore {
    /// Inserts a new campaign with its plan and audience and the `create`
    /// event, in one transaction; its creator is its first editor.
    /// Conflict when the id exists.
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
             last_edited_by, last_edited_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $16, $16)",
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
    /// still in `expected` status, recording `editor` as its last editor;
    /// records `mv` when the status changes. Conflict otherwise.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_campaign(
        &self,
        tenant: &TenantId,
        c: &Campaign,
        plan: &CampaignPlan,
        audience: &Audience,
        expected: CampaignStatus,
        editor: &str,
        mv: Option<Move<'_>>,
    ) -> Result<(), AppError> {
        c.validate()?;
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE campaigns SET client_id = $3, name = $4, objective = $5, status = $6, \
             budget_cents = $7, currency = $8, start_date = $9, end_date = $10, channels = $11, \
             countries = $12, audience = $13, plan = $14, updated_at = $15, last_edited_by = $17, \
             last_edited_at = $15 WHERE tenant_id = $1 AND id = $2 AND status = $16",
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
        .bind(editor)
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
    /// same transaction. An approval by the creator or the last editor
    /// changes nothing (Conflict).
    pub async fn transition(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        m: Move<'_>,
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        move_status(&mut tx, tenant, id, &m, &now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The approval (`m`, action `approve`) with the channels it waives:
    /// the status move, the waivers on the campaign and one
    /// `waive_creative` event per channel, in one transaction.
    pub async fn approve_with_waivers(
        &self,
        tenant: &TenantId,
        id: &CampaignId,
        m: Move<'_>,
        waivers: &[Waiver],
    ) -> Result<(), AppError> {
        let now = now_ts();
        let mut tx = self.db.pool().begin().await?;
        move_status(&mut tx, tenant, id, &m, &now).await?;
        sqlx::query("UPDATE campaigns SET creative_waivers = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .bind(json_of(&waivers)?)
            .execute(&mut *tx)
            .await?;
        for w in waivers {
            let note = format!("{}: {}", w.channel, w.note);
            let e = Move {
                actor: m.actor,
                action: "waive_creative",
                from: m.to,
                to: m.to,
                note: Some(&note),
            };
            insert_event(&mut tx, tenant, id.as_str(), Some(m.to), &e, &now).await?;
        }
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
}
