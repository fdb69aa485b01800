//! The part of the agenda a person works through: reply reviews and alerts (a platform token about to expire), which the scheduler never claims; listed oldest first and closed by hand.

use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::now_ts;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

/// Agenda kinds a person handles.
pub const FOR_PEOPLE: &[&str] = &["reply_review", crate::alerts::EXPIRY_KIND];

/// One task as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub due_at: String,
    pub campaign_id: Option<String>,
    pub payload: Value,
}

/// The agenda of one tenant.
#[derive(Debug, Clone)]
pub struct Agenda {
    db: Db,
    tenant: TenantId,
}

impl Agenda {
    pub fn new(db: Db, tenant: TenantId) -> Self {
        Self { db, tenant }
    }

    /// Tasks for people, pending ones (all with `all`), oldest first.
    pub async fn for_people(&self, all: bool) -> Result<Vec<Task>, AppError> {
        let rows = sqlx::query(
            "SELECT id, kind, status, due_at, campaign_id, payload FROM agenda_tasks \
             WHERE tenant_id = $1 AND kind IN ($2, $3) AND ($4 = 1 OR status = 'pending') \
             ORDER BY due_at, id LIMIT 500",
        )
        .bind(self.tenant.as_str())
        .bind(FOR_PEOPLE[0])
        .bind(FOR_PEOPLE[1])
        .bind(i64::from(all))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(Task {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    status: r.try_get("status")?,
                    due_at: r.try_get("due_at")?,
                    campaign_id: r.try_get("campaign_id")?,
                    payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(AppError::from)
    }

    /// Marks a person's task done.
    pub async fn done(&self, id: &str) -> Result<(), AppError> {
        let r = sqlx::query(
            "UPDATE agenda_tasks SET status = 'done', updated_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'pending'",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(now_ts())
        .execute(self.db.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Err(AppError::not_found("pending agenda task", id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use promptsales_shared::testing::backends;
    use serde_json::json;

    use super::*;
    use crate::pipeline::store::RunStore;

    #[tokio::test]
    async fn people_see_their_tasks_once_and_close_them() {
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let tenant = TenantId::from_trusted("t1".into());
            let runs = RunStore::new(t.db.clone());
            let payload = json!({"message": "renew the token"});
            for _ in 0..2 {
                runs.schedule_task(
                    &tenant,
                    "a1",
                    None,
                    "connection_expiry",
                    &now_ts(),
                    &payload,
                )
                .await
                .unwrap();
            }
            runs.schedule_task(
                &tenant,
                "s1",
                Some("cmp_1"),
                "sync_metrics",
                &now_ts(),
                &json!({}),
            )
            .await
            .unwrap();
            let agenda = Agenda::new(t.db.clone(), tenant.clone());
            let listed = agenda.for_people(false).await.unwrap();
            assert_eq!(listed.len(), 1, "{}: {listed:?}", t.label());
            assert_eq!(listed[0].payload["message"], "renew the token");
            agenda.done("a1").await.unwrap();
            assert!(agenda.for_people(false).await.unwrap().is_empty());
            assert_eq!(agenda.for_people(true).await.unwrap().len(), 1);
            assert!(agenda.done("a1").await.is_err());
            t.cleanup().await;
        }
    }
}
