//! `follow_ups_due`, the morning digest: the open leads a seller should
//! follow up today — unanswered messages and hot leads gone quiet — with
//! the lead's name, the reason, the age and a priority, grouped per seller
//! and client, days counted in each client's time zone; a default limit
//! and a cursor to read on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId, TimeZone, page_limit};
use promptsales_shared::time::parse_ts;
use schemars::JsonSchema;
use serde::Serialize;

use super::CrmService;
use crate::crypto::Field;
use crate::domain::digest::{
    DigestKey, DigestRules, FollowUpReason, LeadTimes, Priority, age_text, evaluate,
};
use crate::domain::scoring;
use crate::domain::{Lead, LeadId, LeadStage, SellerId};

/// `follow_ups_due` arguments; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct FollowUpQuery {
    /// An inbound message unanswered this many hours is due (default 24).
    pub unanswered_hours: Option<u32>,
    /// Leads scoring at least this are hot (default 70).
    pub hot_score: Option<i32>,
    /// Hot leads without contact for this many days are due (default 3).
    pub quiet_days: Option<u32>,
    pub client_id: Option<String>,
    pub seller_id: Option<String>,
    /// Items per page, 1-500 (default 50).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One lead to follow up.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FollowUpItem {
    pub lead_id: LeadId,
    /// The lead's name (decrypted), when known.
    pub name: Option<String>,
    pub reason: FollowUpReason,
    pub priority: Priority,
    /// How long it has waited, e.g. `26 h` or `4 days`.
    pub age: String,
    pub age_hours: i64,
    /// Calendar days in the client's time zone (0 = today).
    pub age_days: i64,
    /// Since when: their unanswered message, our last contact, or the
    /// lead's creation when never contacted.
    pub since: DateTime<Utc>,
    pub stage: LeadStage,
    pub score: i32,
    /// One sentence for the seller.
    pub detail: String,
}

/// The items of one seller for one client.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DigestGroup {
    /// Absent for leads not assigned to anyone yet.
    pub seller_id: Option<SellerId>,
    pub seller_name: Option<String>,
    pub client_id: ClientId,
    pub client_name: Option<String>,
    /// The client's zone, where days are counted.
    pub time_zone: TimeZone,
    /// Today in that zone (YYYY-MM-DD).
    pub local_date: String,
    pub items: Vec<FollowUpItem>,
}

/// The morning digest, one page of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FollowUps {
    pub generated_at: DateTime<Utc>,
    /// Leads due in all (every page).
    pub total_due: usize,
    /// Items on this page.
    pub returned: usize,
    pub limit: i64,
    pub groups: Vec<DigestGroup>,
    /// Pass back as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl CrmService {
    /// The digest under the thresholds of `q`, grouped per seller (the
    /// unassigned last) and client, high priority and oldest wait first.
    pub async fn follow_ups_due(
        &self,
        tenant: &TenantId,
        q: &FollowUpQuery,
    ) -> Result<FollowUps, AppError> {
        let rules = DigestRules {
            unanswered_hours: i64::from(q.unanswered_hours.unwrap_or(24)),
            hot_score: q.hot_score.unwrap_or(scoring::SQL_THRESHOLD),
            quiet_days: i64::from(q.quiet_days.unwrap_or(3)),
        };
        if !Lead::SCORE_RANGE.contains(&rules.hot_score) {
            return Err(AppError::invalid(
                "hot_score",
                "a score from 0 to 100",
                rules.hot_score.to_string(),
            ));
        }
        let limit = page_limit(q.limit)?;
        let after = q
            .cursor
            .as_deref()
            .map(DigestKey::from_cursor)
            .transpose()?;
        let client = q.client_id.as_deref().map(ClientId::parse).transpose()?;
        let seller = q.seller_id.as_deref().map(SellerId::parse).transpose()?;
        let now = Utc::now();
        let clients = self.clients(tenant).await?;
        let zone = |c: &ClientId| {
            clients
                .get(c.as_str())
                .map_or(TimeZone::UTC, |c| c.time_zone)
        };
        let rows = self
            .store
            .contact_times(tenant, rules.hot_score, client.as_ref(), seller.as_ref())
            .await?;
        let ts =
            |field: &str, v: &Option<String>| v.as_deref().map(|t| parse_ts(field, t)).transpose();
        let mut due = Vec::new();
        for r in rows {
            let times = LeadTimes {
                score: r.score,
                created_at: parse_ts("created_at", &r.created_at)?,
                last_in: ts("last_in", &r.last_in)?,
                last_out: ts("last_out", &r.last_out)?,
            };
            if let Some(d) = evaluate(&times, &rules, zone(&r.client_id), now) {
                let key = DigestKey::new(
                    r.seller_id.as_ref().map(SellerId::as_str),
                    r.client_id.as_str(),
                    d.priority,
                    d.since,
                    r.id.as_str(),
                );
                due.push((key, r, d));
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        let total_due = due.len();
        let start = after
            .as_ref()
            .map_or(0, |k| due.partition_point(|(key, _, _)| key <= k));
        let page: Vec<_> = due.into_iter().skip(start).collect();
        let more = page.len() > limit as usize;
        let page: Vec<_> = page.into_iter().take(limit as usize).collect();
        let next_cursor = more
            .then(|| page.last().map(|(k, _, _)| k.cursor()))
            .flatten();
        let sellers: HashMap<String, String> = self
            .store
            .list_sellers(tenant)
            .await?
            .into_iter()
            .map(|s| (s.id.into_string(), s.name))
            .collect();
        let returned = page.len();
        let mut groups: Vec<DigestGroup> = Vec::new();
        for (_, r, d) in page {
            let name = self.crypto.decrypt_opt(
                Field::lead(tenant.as_str(), r.id.as_str(), "name_enc"),
                r.name_enc.as_deref(),
            )?;
            let item = FollowUpItem {
                lead_id: r.id.clone(),
                name,
                reason: d.reason,
                priority: d.priority,
                age: age_text(d.age_hours, d.age_days),
                age_hours: d.age_hours,
                age_days: d.age_days,
                since: d.since,
                stage: r.stage,
                score: r.score,
                detail: d.detail,
            };
            match groups.last_mut() {
                Some(g) if g.seller_id == r.seller_id && g.client_id == r.client_id => {
                    g.items.push(item);
                }
                _ => {
                    let tz = zone(&r.client_id);
                    groups.push(DigestGroup {
                        seller_name: r
                            .seller_id
                            .as_ref()
                            .and_then(|s| sellers.get(s.as_str()).cloned()),
                        seller_id: r.seller_id.clone(),
                        client_name: clients.get(r.client_id.as_str()).map(|c| c.name.clone()),
                        client_id: r.client_id.clone(),
                        time_zone: tz,
                        local_date: now
                            .with_timezone(&tz.tz())
                            .date_naive()
                            .format("%Y-%m-%d")
                            .to_string(),
                        items: vec![item],
                    });
                }
            }
        }
        Ok(FollowUps {
            generated_at: now,
            total_due,
            returned,
            limit,
            groups,
            next_cursor,
        })
    }
}
