//! What each client used of its content plan (`content_usage`,
//! `content_usage_seats`): monthly counters, charged in the same
//! transaction as what they count, each with one conditional `UPDATE` so
//! that concurrent calls — in this process or another replica — cannot
//! pass a limit together.

use promptsales_catalog::LimitKind;
use promptsales_shared::AppError;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::format_ts;
use sqlx::Row;

use super::{ContentStore, now_stored};

/// One counter a call adds to, and the most the plan allows (none: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub kind: LimitKind,
    pub amount: i64,
    pub limit: Option<i64>,
}

/// What one call charges to its client's month.
#[derive(Debug, Clone)]
pub struct Bill<'a> {
    pub client: &'a ClientId,
    /// The month in the client's time zone, `YYYY-MM`.
    pub period: &'a str,
    pub charges: Vec<Charge>,
    /// The person acting and the plan's seat limit: their first generation
    /// of the month takes a seat.
    pub seat: Option<(&'a str, Option<i64>)>,
}

/// A charge a limit refused: what, and how much was used before this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Over {
    pub kind: LimitKind,
    pub used: i64,
}

/// Adds `amount` to one counter unless that would pass `limit`; then the
/// counter is left alone and what it holds is returned.
async fn add(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    client: &ClientId,
    period: &str,
    kind: LimitKind,
    amount: i64,
    limit: Option<i64>,
) -> Result<Option<Over>, sqlx::Error> {
    let now = format_ts(now_stored());
    sqlx::query(
        "INSERT INTO content_usage (tenant_id, client_id, period, kind, used, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5) \
         ON CONFLICT (tenant_id, client_id, period, kind) DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(client.as_str())
    .bind(period)
    .bind(kind.as_str())
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    let r = match limit {
        None => {
            sqlx::query(
                "UPDATE content_usage SET used = used + $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4",
            )
            .bind(tenant.as_str())
            .bind(client.as_str())
            .bind(period)
            .bind(kind.as_str())
            .bind(amount)
            .bind(&now)
            .execute(&mut *conn)
            .await?
        }
        Some(limit) => {
            sqlx::query(
                "UPDATE content_usage SET used = used + $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4 \
                 AND used + $5 <= $7",
            )
            .bind(tenant.as_str())
            .bind(client.as_str())
            .bind(period)
            .bind(kind.as_str())
            .bind(amount)
            .bind(&now)
            .bind(limit)
            .execute(&mut *conn)
            .await?
        }
    };
    if r.rows_affected() > 0 {
        return Ok(None);
    }
    let used: i64 = sqlx::query_scalar(
        "SELECT used FROM content_usage \
         WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4",
    )
    .bind(tenant.as_str())
    .bind(client.as_str())
    .bind(period)
    .bind(kind.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(Over { kind, used }))
}

/// Applies a bill inside `conn`'s transaction: the seat first (a person
/// already seated this month takes none), then each charge. The first
/// refusal stops it; the caller rolls the transaction back.
pub(super) async fn charge(
    conn: &mut sqlx::AnyConnection,
    tenant: &TenantId,
    bill: &Bill<'_>,
) -> Result<Option<Over>, sqlx::Error> {
    if let Some((actor, limit)) = bill.seat {
        let taken = sqlx::query(
            "INSERT INTO content_usage_seats (tenant_id, client_id, period, actor, first_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, client_id, period, actor) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(bill.client.as_str())
        .bind(bill.period)
        .bind(actor)
        .bind(format_ts(now_stored()))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if taken > 0
            && let Some(over) = add(
                conn,
                tenant,
                bill.client,
                bill.period,
                LimitKind::Seats,
                1,
                limit,
            )
            .await?
        {
            return Ok(Some(over));
        }
    }
    for c in &bill.charges {
        if let Some(over) = add(
            conn,
            tenant,
            bill.client,
            bill.period,
            c.kind,
            c.amount,
            c.limit,
        )
        .await?
        {
            return Ok(Some(over));
        }
    }
    Ok(None)
}

impl ContentStore {
    /// Charges a bill on its own (no assets): all its counters or none.
    pub async fn charge(
        &self,
        tenant: &TenantId,
        bill: &Bill<'_>,
    ) -> Result<Option<Over>, AppError> {
        let mut tx = self.db.pool().begin().await?;
        let over = charge(&mut tx, tenant, bill).await?;
        if over.is_none() {
            tx.commit().await?;
        }
        Ok(over)
    }

    /// Records what was spent whatever the limit (LLM tokens: the model
    /// has already used them).
    pub async fn record_usage(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        period: &str,
        kind: LimitKind,
        amount: i64,
    ) -> Result<(), AppError> {
        if amount <= 0 {
            return Ok(());
        }
        let mut conn = self.db.pool().acquire().await?;
        add(&mut conn, tenant, client, period, kind, amount, None).await?;
        Ok(())
    }

    /// A client's counters of one month, by kind (absent: nothing used).
    pub async fn usage(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        period: &str,
    ) -> Result<Vec<(LimitKind, i64)>, AppError> {
        let rows = sqlx::query(
            "SELECT kind, used FROM content_usage \
             WHERE tenant_id = $1 AND client_id = $2 AND period = $3 ORDER BY kind",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(period)
        .fetch_all(self.db.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let kind: String = r.try_get("kind")?;
            // A kind this version does not know is skipped, not fatal.
            if let Ok(k) = LimitKind::parse(&kind) {
                out.push((k, r.try_get::<i64, _>("used")?));
            }
        }
        Ok(out)
    }

    /// Whether `actor` already holds one of the client's seats this month.
    pub async fn has_seat(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        period: &str,
        actor: &str,
    ) -> Result<bool, AppError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM content_usage_seats \
             WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND actor = $4",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(period)
        .bind(actor)
        .fetch_one(self.db.pool())
        .await?;
        Ok(n > 0)
    }
}
