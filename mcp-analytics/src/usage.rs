//! The analytics plan of each client, enforced: questions (every `ask`
//! with a `client_id`, cached answers included — a question asked is a
//! question) and LLM tokens (what the LLM engine reports; the
//! deterministic parser spends none), counted per calendar month in the
//! client's time zone in `analytics_usage`. The plan comes from the
//! catalog; a client without one — or one the catalog does not know — is
//! unlimited but still counted. An `ask` without a client is agency-wide
//! and counts against no client.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use promptsales_catalog::plan;
use promptsales_catalog::{CatalogReader, LimitKind, SubCompany, Usage};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_shared::time::format_ts;
use sqlx::Row;

/// What an analytics plan limits here, in the order `usage` lists it.
const KINDS: [LimitKind; 2] = [LimitKind::QuestionsPerMonth, LimitKind::LlmTokensPerMonth];

/// A client's analytics plan and this month's counters, read once per
/// question.
#[derive(Debug, Clone)]
pub struct Meter(plan::Meter);

impl Deref for Meter {
    type Target = plan::Meter;
    fn deref(&self) -> &plan::Meter {
        &self.0
    }
}

impl Meter {
    /// The client's plan, zone and counters at `now`; a client the
    /// catalog does not know has no plan and months in UTC.
    pub async fn read(
        catalog: &CatalogReader,
        warehouse: &Db,
        tenant: &TenantId,
        client: &ClientId,
        now: DateTime<Utc>,
    ) -> Result<Meter, AppError> {
        let (plan, time_zone) = catalog
            .plan_and_zone(tenant, client, SubCompany::Analytics)
            .await?;
        let m = plan::Meter::new(client.clone(), plan, time_zone, now);
        let used = counters(warehouse, tenant, client, &m.period).await?;
        Ok(Meter(m.with_used(used)))
    }

    /// Whether the LLM may be asked: some of the month's tokens are left.
    pub fn tokens_left(&self) -> bool {
        self.check(
            LimitKind::LlmTokensPerMonth,
            self.used(LimitKind::LlmTokensPerMonth),
            1,
        )
        .is_ok()
    }

    /// Counts one question, atomically against the limit: refused with
    /// the numbers when the month's questions are used up (then nothing
    /// is counted).
    pub async fn charge_question(&self, warehouse: &Db, tenant: &TenantId) -> Result<(), AppError> {
        let kind = LimitKind::QuestionsPerMonth;
        match add(warehouse, tenant, self, kind, 1, self.limit(kind)).await? {
            None => Ok(()),
            Some(used) => match self.check(kind, used, 1) {
                Err(e) => Err(e),
                // The limit moved between reading the plan and counting.
                Ok(()) => Err(AppError::Conflict(
                    "the questions limit changed while this question ran; retry".into(),
                )),
            },
        }
    }

    /// Gives a question back: one that failed on our side (database or
    /// engine unavailable, internal error) is not the client's to pay.
    pub async fn refund_question(&self, warehouse: &Db, tenant: &TenantId) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE analytics_usage SET used = used - 1, updated_at = $5 \
             WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4 AND used > 0",
        )
        .bind(tenant.as_str())
        .bind(self.client.as_str())
        .bind(&self.period)
        .bind(LimitKind::QuestionsPerMonth.as_str())
        .bind(format_ts(Utc::now()))
        .execute(warehouse.pool())
        .await?;
        Ok(())
    }

    /// Records tokens the LLM spent, whatever the limit: they are gone.
    pub async fn record_tokens(
        &self,
        warehouse: &Db,
        tenant: &TenantId,
        tokens: i64,
    ) -> Result<(), AppError> {
        if tokens > 0 {
            add(
                warehouse,
                tenant,
                self,
                LimitKind::LlmTokensPerMonth,
                tokens,
                None,
            )
            .await?;
        }
        Ok(())
    }

    pub fn usage(&self) -> Usage {
        self.0.usage(SubCompany::Analytics, &KINDS)
    }
}

/// A client's counters of one month, by kind (absent: nothing used).
async fn counters(
    warehouse: &Db,
    tenant: &TenantId,
    client: &ClientId,
    period: &str,
) -> Result<Vec<(LimitKind, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT kind, used FROM analytics_usage \
         WHERE tenant_id = $1 AND client_id = $2 AND period = $3 ORDER BY kind",
    )
    .bind(tenant.as_str())
    .bind(client.as_str())
    .bind(period)
    .fetch_all(warehouse.pool())
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

/// Adds `amount` to one counter unless that would pass `limit` (one
/// conditional `UPDATE`, so concurrent questions in any replica cannot
/// pass it together); when refused, returns what the counter holds.
async fn add(
    warehouse: &Db,
    tenant: &TenantId,
    m: &Meter,
    kind: LimitKind,
    amount: i64,
    limit: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let now = format_ts(Utc::now());
    sqlx::query(
        "INSERT INTO analytics_usage (tenant_id, client_id, period, kind, used, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5) \
         ON CONFLICT (tenant_id, client_id, period, kind) DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(m.client.as_str())
    .bind(&m.period)
    .bind(kind.as_str())
    .bind(&now)
    .execute(warehouse.pool())
    .await?;
    let r = match limit {
        None => {
            sqlx::query(
                "UPDATE analytics_usage SET used = used + $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4",
            )
            .bind(tenant.as_str())
            .bind(m.client.as_str())
            .bind(&m.period)
            .bind(kind.as_str())
            .bind(amount)
            .bind(&now)
            .execute(warehouse.pool())
            .await?
        }
        Some(limit) => {
            sqlx::query(
                "UPDATE analytics_usage SET used = used + $5, updated_at = $6 \
                 WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4 \
                 AND used + $5 <= $7",
            )
            .bind(tenant.as_str())
            .bind(m.client.as_str())
            .bind(&m.period)
            .bind(kind.as_str())
            .bind(amount)
            .bind(&now)
            .bind(limit)
            .execute(warehouse.pool())
            .await?
        }
    };
    if r.rows_affected() > 0 {
        return Ok(None);
    }
    let used: i64 = sqlx::query_scalar(
        "SELECT used FROM analytics_usage \
         WHERE tenant_id = $1 AND client_id = $2 AND period = $3 AND kind = $4",
    )
    .bind(tenant.as_str())
    .bind(m.client.as_str())
    .bind(&m.period)
    .bind(kind.as_str())
    .fetch_one(warehouse.pool())
    .await?;
    Ok(Some(used))
}

#[cfg(test)]
mod tests {
    use promptsales_catalog::{CatalogWriter, Client, Limit, Plan};
    use promptsales_shared::domain::{Country, TimeZone};

    use super::*;

    fn plan(limits: &[(LimitKind, i64)]) -> Plan {
        Plan {
            id: "analytics_basic".into(),
            context: SubCompany::Analytics,
            name: "Basic".into(),
            limits: limits
                .iter()
                .map(|&(kind, value)| Limit {
                    kind,
                    value,
                    currency: None,
                })
                .collect(),
        }
    }

    #[test]
    fn months_are_counted_in_the_clients_zone() {
        let tz = TimeZone::parse("America/Mexico_City").unwrap();
        // 04:00 UTC on 1 March is still February in Mexico City (UTC-6).
        let (period, next) = plan::period_of(tz, "2027-03-01T04:00:00Z".parse().unwrap());
        assert_eq!(period, "2027-02");
        assert_eq!(next.to_rfc3339(), "2027-03-01T06:00:00+00:00");
    }

    async fn questions_are_counted(warehouse: Db, catalog: Db, label: &str) {
        let tenant = TenantId::parse("default").unwrap();
        let writer = CatalogWriter::new(catalog.clone());
        for (id, country) in [("cli_001", "CO"), ("cli_002", "MX")] {
            let c = Client::new(
                ClientId::parse(id).unwrap(),
                id,
                "retail",
                Country::parse(country).unwrap(),
            );
            writer.upsert_client(&tenant, &c).await.unwrap();
        }
        writer
            .upsert_plan(
                &tenant,
                &plan(&[
                    (LimitKind::QuestionsPerMonth, 6),
                    (LimitKind::LlmTokensPerMonth, 1000),
                ]),
            )
            .await
            .unwrap();
        let c1 = ClientId::parse("cli_001").unwrap();
        let c2 = ClientId::parse("cli_002").unwrap();
        writer
            .assign_plan(&tenant, &c1, "analytics_basic")
            .await
            .unwrap();
        let catalog = CatalogReader::new(catalog);
        let now = Utc::now();
        let meter = |c: &ClientId| {
            let (catalog, warehouse, tenant, c) = (
                catalog.clone(),
                warehouse.clone(),
                tenant.clone(),
                c.clone(),
            );
            async move {
                Meter::read(&catalog, &warehouse, &tenant, &c, now)
                    .await
                    .unwrap()
            }
        };

        // Eight questions at once against a limit of six: six counted.
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let m = meter(&c1);
                let (warehouse, tenant) = (warehouse.clone(), tenant.clone());
                tokio::spawn(async move { m.await.charge_question(&warehouse, &tenant).await })
            })
            .collect();
        let mut refusals = Vec::new();
        for c in calls {
            if let Err(e) = c.await.unwrap() {
                refusals.push(e);
            }
        }
        assert_eq!(refusals.len(), 2, "{label}");
        let e = refusals[0].to_string();
        assert!(
            e.contains("analytics questions this month for client cli_001 (plan Basic)")
                && e.contains("6 used + 1 requested > limit 6")
                && e.contains("America/Bogota"),
            "{label}: {e}"
        );
        let m = meter(&c1).await;
        assert_eq!(m.used(LimitKind::QuestionsPerMonth), 6, "{label}");
        // A question that failed on our side is given back.
        m.refund_question(&warehouse, &tenant).await.unwrap();
        m.charge_question(&warehouse, &tenant).await.unwrap();
        assert!(m.charge_question(&warehouse, &tenant).await.is_err());

        // Tokens are recorded past the limit (they are spent); then the
        // LLM is not asked again this month.
        assert!(m.tokens_left());
        m.record_tokens(&warehouse, &tenant, 1200).await.unwrap();
        let m = meter(&c1).await;
        assert!(!m.tokens_left(), "{label}");
        let u = serde_json::to_value(m.usage()).unwrap();
        assert_eq!(u["plan"], "analytics_basic");
        assert_eq!(u["context"], "analytics");
        assert_eq!(u["lines"][0]["kind"], "questions_per_month");
        assert_eq!(
            (
                u["lines"][0]["used"].as_i64(),
                u["lines"][0]["limit"].as_i64()
            ),
            (Some(6), Some(6))
        );
        assert_eq!(
            (
                u["lines"][1]["used"].as_i64(),
                u["lines"][1]["limit"].as_i64()
            ),
            (Some(1200), Some(1000))
        );

        // Another client: no plan, nothing limited, its own count.
        let m2 = meter(&c2).await;
        for _ in 0..10 {
            m2.charge_question(&warehouse, &tenant).await.unwrap();
        }
        let u = meter(&c2).await.usage();
        assert_eq!(
            (u.plan, u.lines[0].used, u.lines[0].limit),
            (None, 10, None)
        );
        assert_eq!(u.time_zone.as_str(), "America/Mexico_City");
        assert_eq!(meter(&c1).await.used(LimitKind::QuestionsPerMonth), 6);
        // A client the catalog does not know: no plan, months in UTC.
        let u = meter(&ClientId::parse("cli_404").unwrap()).await.usage();
        assert_eq!((u.plan, u.time_zone), (None, TimeZone::UTC));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn questions_are_counted_on_every_backend() {
        for t in promptsales_shared::testing::backends(&analytics_read::MIGRATIONS)
            .await
            .unwrap()
        {
            let catalog = t.open(&promptsales_catalog::MIGRATIONS).await.unwrap();
            questions_are_counted(t.db.clone(), catalog, t.label()).await;
            t.cleanup().await;
        }
    }
}
