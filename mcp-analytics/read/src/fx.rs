//! The tenant's exchange rates (`fx_rates`): written by `promptsales import`,
//! `promptsales seed` and any rate provider; read by the analytics queries.

use chrono::{NaiveDate, SecondsFormat, Utc};
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{Currency, TenantId};
use sqlx::Row;

/// One day's rate: one unit of `base` buys `rate` units of `currency`.
#[derive(Debug, Clone, PartialEq)]
pub struct FxRate {
    pub date: NaiveDate,
    pub base: Currency,
    pub currency: Currency,
    pub rate: f64,
}

impl FxRate {
    /// A rate checked the way every writer needs it: positive and finite,
    /// and a currency quoted against itself only at 1.
    pub fn new(
        date: NaiveDate,
        base: Currency,
        currency: Currency,
        rate: f64,
    ) -> Result<Self, AppError> {
        if !rate.is_finite() || rate <= 0.0 {
            return Err(AppError::invalid(
                "rate",
                "a positive number of `currency` units per one unit of `base`",
                rate.to_string(),
            ));
        }
        if base == currency && (rate - 1.0).abs() > 1e-12 {
            return Err(AppError::invalid(
                "rate",
                "1 for a currency quoted against itself",
                rate.to_string(),
            ));
        }
        Ok(Self {
            date,
            base,
            currency,
            rate,
        })
    }
}

/// Writes (or overwrites) rates; `source` says where they came from
/// (`import`, `seed`, a provider's name). Returns the number of rows that
/// changed: a rate already stored with the same value and source is left
/// alone, so a repeated import changes nothing.
pub async fn upsert_fx_rates(
    db: &Db,
    tenant: &TenantId,
    rates: &[FxRate],
    source: &str,
) -> Result<u64, AppError> {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut tx = db.pool().begin().await?;
    let mut changed = 0;
    for r in rates {
        let res = sqlx::query(
            "INSERT INTO fx_rates (tenant_id, base, currency, date, rate, source, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, base, currency, date) \
             DO UPDATE SET rate = excluded.rate, source = excluded.source, \
             updated_at = excluded.updated_at \
             WHERE fx_rates.rate <> excluded.rate OR fx_rates.source <> excluded.source",
        )
        .bind(tenant.as_str())
        .bind(r.base.as_str())
        .bind(r.currency.as_str())
        .bind(r.date.to_string())
        .bind(r.rate)
        .bind(source)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        changed += res.rows_affected();
    }
    if changed > 0 {
        // Answers converted with the old rates are cached under the data
        // version: a new version retires them, whoever wrote the rates.
        sqlx::query("UPDATE wh_state SET data_version = data_version + 1 WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// The currencies the tenant's facts are in (ad spend and sales), the ones
/// a reporting currency needs rates for.
pub async fn currencies_in_use(db: &Db, tenant: &TenantId) -> Result<Vec<Currency>, AppError> {
    let rows = sqlx::query(
        "SELECT currency FROM wh_ad_daily WHERE tenant_id = $1 \
         UNION SELECT currency FROM wh_sales WHERE tenant_id = $1 ORDER BY 1",
    )
    .bind(tenant.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let c: String = r.try_get(0)?;
            Currency::parse_field("currency", &c)
        })
        .collect()
}

/// The last day `source` wrote a rate against `base` for, if ever.
pub async fn last_rate_date(
    db: &Db,
    tenant: &TenantId,
    base: Currency,
    source: &str,
) -> Result<Option<NaiveDate>, AppError> {
    let last: Option<String> = sqlx::query_scalar(
        "SELECT MAX(date) FROM fx_rates WHERE tenant_id = $1 AND base = $2 AND source = $3",
    )
    .bind(tenant.as_str())
    .bind(base.as_str())
    .bind(source)
    .fetch_one(db.pool())
    .await?;
    last.map(|d| {
        NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map_err(|e| AppError::Internal(format!("fx_rates.date {d:?}: {e}")))
    })
    .transpose()
}

/// Every stored rate of the tenant for `currencies` (any base), oldest
/// first. The table holds one row per currency and day, small enough to
/// read whole for the currencies a question touches.
pub async fn fx_rates_for(
    db: &Db,
    tenant: &TenantId,
    currencies: &[Currency],
) -> Result<Vec<FxRate>, AppError> {
    if currencies.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "SELECT base, currency, date, rate FROM fx_rates WHERE tenant_id = $1 AND currency IN (",
    );
    for i in 0..currencies.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("${}", i + 2));
    }
    sql.push_str(") ORDER BY date");
    // Only placeholders are formatted into the text; values are bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_str());
    for c in currencies {
        q = q.bind(c.as_str());
    }
    let mut out = Vec::new();
    for r in q.fetch_all(db.pool()).await? {
        let base: String = r.try_get("base")?;
        let currency: String = r.try_get("currency")?;
        let date: String = r.try_get("date")?;
        let rate: f64 = r.try_get("rate")?;
        let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
            .map_err(|e| AppError::Internal(format!("fx_rates.date {date:?}: {e}")))?;
        out.push(FxRate {
            date,
            base: Currency::parse_field("fx_rates.base", &base)?,
            currency: Currency::parse_field("fx_rates.currency", &currency)?,
            rate,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rewriting_the_same_rates_changes_nothing_on_both_backends() {
        let t = TenantId::parse("t1").unwrap();
        let usd = Currency::parse("USD").unwrap();
        let cop = Currency::parse("COP").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        for b in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            sqlx::query(
                "INSERT INTO wh_state (tenant_id, data_version, last_synced_at) VALUES ($1, 1, 'x')",
            )
            .bind(t.as_str())
            .execute(b.db.pool())
            .await
            .unwrap();
            let version = || crate::freshness(&b.db, &t);
            let r = [FxRate::new(day, usd, cop, 4000.25).unwrap()];
            assert_eq!(upsert_fx_rates(&b.db, &t, &r, "import").await.unwrap(), 1);
            assert_eq!(
                version().await.unwrap().data_version,
                2,
                "new rates retire cached answers"
            );
            assert_eq!(
                upsert_fx_rates(&b.db, &t, &r, "import").await.unwrap(),
                0,
                "{}",
                b.label()
            );
            assert_eq!(version().await.unwrap().data_version, 2, "nothing changed");
            let moved = [FxRate::new(day, usd, cop, 4001.0).unwrap()];
            assert_eq!(
                upsert_fx_rates(&b.db, &t, &moved, "import").await.unwrap(),
                1
            );
            assert_eq!(
                fx_rates_for(&b.db, &t, &[cop]).await.unwrap(),
                moved.to_vec()
            );
            assert_eq!(
                last_rate_date(&b.db, &t, usd, "import").await.unwrap(),
                Some(day)
            );
            assert_eq!(last_rate_date(&b.db, &t, usd, "seed").await.unwrap(), None);
            assert!(FxRate::new(day, usd, cop, 0.0).is_err());
            assert!(FxRate::new(day, usd, usd, 2.0).is_err());
            b.cleanup().await;
        }
    }
}
