//! The documented read paths of the CRM for other contexts: audience sizes
//! and reachable members under the consent and suppression ledger (mcp-ads
//! checks audiences before a campaign reaches people), and the delta reads
//! of leads and sales (the analytics sync). No personal data leaves through
//! here, only counts, ids and the anonymised lead and sale facts.

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::db::Db;
use promptsales_shared::delta::{Changed, Watermark, fetch_changed};
use promptsales_shared::domain::{Channel, Country, TenantId};
use promptsales_shared::time::format_date;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::Row;

use promptsales_shared::sql::Sql;

use crate::domain::{Lead, LeadStage, Sale};
use crate::rows::{lead_from_row, sale_from_row};

/// Which leads an audience is made of; every field set must match.
#[derive(Debug, Clone, Default)]
pub struct AudienceFilter {
    pub client_id: Option<String>,
    pub countries: Vec<Country>,
    pub stages: Vec<LeadStage>,
    pub min_score: Option<u8>,
    /// Channels the leads came from.
    pub source_channels: Vec<Channel>,
    /// Leads created or in contact on or after this day.
    pub active_since: Option<NaiveDate>,
    /// When set, only contacts that may be reached on this channel count as reachable
    /// (consent granted for email/sms/whatsapp and not suppressed; for paid-media channels: not suppressed on `all`).
    pub reach_channel: Option<Channel>,
}

/// Size of an audience under the ledger: `matched` = `reachable` +
/// `suppressed` + `without_consent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AudienceCount {
    /// Leads matching the filter (erased leads excluded).
    pub matched: u64,
    /// Leads that may be contacted on the reach channel.
    pub reachable: u64,
    /// Leads suppressed (opted out) for the reach channel or for all.
    pub suppressed: u64,
    /// Leads not suppressed but without consent (or without the contact
    /// detail) for a direct channel.
    pub without_consent: u64,
}

/// Reads of the crm tables of one database (opened with [`crate::SCHEMA`],
/// never migrated by the reader).
#[derive(Clone, Debug)]
pub struct CrmReader {
    db: Db,
}

/// The per-lead flags (`sup`, `ok`) and filters; `sup` = suppressed,
/// `ok` = consent present where the channel needs it.
fn audience_sql(tenant: &TenantId, f: &AudienceFilter, select: &'static str) -> Sql {
    let mut s = Sql::new(select);
    s.push(
        "FROM (SELECT l.id AS id, CASE WHEN EXISTS (SELECT 1 FROM contact_permissions p \
         WHERE p.tenant_id = l.tenant_id AND (p.contact_hash = l.email_hash OR p.contact_hash = l.phone_hash) \
         AND p.suppressed = 1 AND p.channel IN ('all', ",
    );
    let direct = f.reach_channel.and_then(|c| match c {
        Channel::Email => Some(("email", true)),
        Channel::Sms => Some(("sms", false)),
        Channel::Whatsapp => Some(("whatsapp", false)),
        _ => None,
    });
    s.text_arg(direct.map_or("all", |d| d.0));
    s.push(")) THEN 1 ELSE 0 END AS sup, ");
    match direct {
        None => {
            s.push("1 AS ok ");
        }
        Some((channel, email)) => {
            s.push(
                "CASE WHEN EXISTS (SELECT 1 FROM contact_permissions c WHERE c.tenant_id = l.tenant_id \
                 AND c.consent = 'granted' AND c.channel = ",
            );
            s.text_arg(channel);
            s.push(if email {
                " AND c.contact_hash = l.email_hash) THEN 1 ELSE 0 END AS ok "
            } else {
                " AND c.contact_hash = l.phone_hash) THEN 1 ELSE 0 END AS ok "
            });
        }
    }
    s.push("FROM leads l WHERE l.tenant_id = ");
    s.text_arg(tenant.as_str());
    s.push(" AND l.erased_at IS NULL");
    if let Some(c) = &f.client_id {
        s.push(" AND l.client_id = ").text_arg(c.clone());
    }
    if !f.countries.is_empty() {
        s.push(" AND l.country IN ")
            .list(f.countries.iter().map(|c| c.as_str().to_owned()));
    }
    if !f.stages.is_empty() {
        s.push(" AND l.stage IN ")
            .list(f.stages.iter().map(|c| c.as_str()));
    }
    if !f.source_channels.is_empty() {
        s.push(" AND l.channel IN ")
            .list(f.source_channels.iter().map(|c| c.as_str()));
    }
    if let Some(m) = f.min_score {
        s.push(" AND l.score >= ").int_arg(i64::from(m));
    }
    if let Some(d) = f.active_since {
        let day = format_date(d);
        s.push(" AND (l.created_at >= ").text_arg(day.clone());
        s.push(
            " OR EXISTS (SELECT 1 FROM interactions i WHERE i.tenant_id = l.tenant_id \
             AND i.lead_id = l.id AND i.at >= ",
        );
        s.text_arg(day);
        s.push("))");
    }
    s.push(") m ");
    s
}

/// One day's revenue of a client's sales attributed to its campaigns, per
/// channel, country and currency.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributedRevenue {
    pub date: NaiveDate,
    pub channel: Channel,
    pub country: Country,
    pub currency: promptsales_shared::domain::Currency,
    pub amount_cents: i64,
}

impl CrmReader {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The revenue of one client's sales attributed to a campaign, closed
    /// on or after `since`, per day, channel, country and currency: what an
    /// ads forecast reads as the client's real return. Never another
    /// client's.
    pub async fn attributed_revenue(
        &self,
        tenant: &TenantId,
        client_id: &str,
        since: NaiveDate,
    ) -> Result<Vec<AttributedRevenue>, AppError> {
        let rows = sqlx::query(
            "SELECT substr(closed_at, 1, 10) AS d, channel, country, currency, \
             CAST(SUM(amount_cents) AS BIGINT) AS amount \
             FROM sales WHERE tenant_id = $1 AND client_id = $2 AND campaign_id IS NOT NULL \
             AND closed_at >= $3 GROUP BY substr(closed_at, 1, 10), channel, country, currency",
        )
        .bind(tenant.as_str())
        .bind(client_id)
        .bind(format_date(since))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let d: String = r.try_get("d")?;
                Ok(AttributedRevenue {
                    date: NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map_err(|e| AppError::Internal(format!("sales.closed_at {d:?}: {e}")))?,
                    channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
                    country: Country::parse(&r.try_get::<String, _>("country")?)?,
                    currency: promptsales_shared::domain::Currency::parse(
                        &r.try_get::<String, _>("currency")?,
                    )?,
                    amount_cents: r.try_get("amount")?,
                })
            })
            .collect()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// How many leads match, and how many of them may be reached.
    pub async fn count_audience(
        &self,
        tenant: &TenantId,
        f: &AudienceFilter,
    ) -> Result<AudienceCount, AppError> {
        let s = audience_sql(
            tenant,
            f,
            "SELECT CAST(COUNT(*) AS BIGINT) AS matched, \
             CAST(COALESCE(SUM(sup), 0) AS BIGINT) AS suppressed, \
             CAST(COALESCE(SUM(CASE WHEN sup = 0 AND ok = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS without_consent ",
        );
        let row = s.query().fetch_one(self.db.pool()).await?;
        let get =
            |c: &str| -> Result<u64, AppError> { Ok(row.try_get::<i64, _>(c)?.max(0) as u64) };
        let matched = get("matched")?;
        let suppressed = get("suppressed")?;
        let without_consent = get("without_consent")?;
        Ok(AudienceCount {
            matched,
            reachable: matched.saturating_sub(suppressed + without_consent),
            suppressed,
            without_consent,
        })
    }

    /// Ids of reachable members, by id, at most `limit`.
    pub async fn audience_lead_ids(
        &self,
        tenant: &TenantId,
        f: &AudienceFilter,
        limit: usize,
    ) -> Result<Vec<String>, AppError> {
        let mut s = audience_sql(tenant, f, "SELECT id ");
        s.push("WHERE sup = 0 AND ok = 1 ORDER BY id LIMIT ")
            .int_arg(limit.min(i64::MAX as usize) as i64);
        let rows = s.query().fetch_all(self.db.pool()).await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("id").map_err(AppError::from))
            .collect()
    }

    /// Documented read path for the analytics sync: leads changed after
    /// `after` in `(updated_at, id)` order, at most `limit`. Personal data
    /// is not read.
    pub async fn leads_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Lead>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at, updated_at \
             FROM leads WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, client_id, campaign_id, channel, country, city, stage, score, \
             seller_id, created_at, updated_at \
             FROM leads WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, lead_from_row))
            .collect()
    }

    /// Documented read path for the analytics sync: sales changed after
    /// `after` in `(updated_at, id)` order, at most `limit`.
    pub async fn sales_changed_since(
        &self,
        tenant: &TenantId,
        after: Option<&Watermark>,
        limit: i64,
    ) -> Result<Vec<Changed<Sale>>, AppError> {
        let rows = fetch_changed(
            self.db.pool(),
            "SELECT id, client_id, lead_id, campaign_id, product_id, channel, country, city, \
             amount_cents, currency, closed_at, updated_at \
             FROM sales WHERE tenant_id = $1 ORDER BY updated_at, id LIMIT $2",
            "SELECT id, client_id, lead_id, campaign_id, product_id, channel, country, city, \
             amount_cents, currency, closed_at, updated_at \
             FROM sales WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) \
             ORDER BY updated_at, id LIMIT $4",
            tenant.as_str(),
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| Changed::from_row(r, sale_from_row))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::CrmImport;
    use crate::import::tests::{leads, sale};

    async fn delta_readers(db: Db) {
        let store = CrmImport::new(db.clone());
        let reader = CrmReader::new(db);
        let t = TenantId::parse("t3").unwrap();
        let other = TenantId::parse("t4").unwrap();
        store.upsert_leads(&t, &leads()).await.unwrap();
        let mut with_campaign = sale("sale_b", Some("lead_a"));
        with_campaign.campaign_id = Some("cmp_1".into());
        with_campaign.city = Some("Medellín".into());
        let sales = [sale("sale_a", None), with_campaign];
        store.upsert_sales(&t, &sales).await.unwrap();

        // Leads: keyset pages, the whole lead read back.
        let p1 = reader.leads_changed_since(&t, None, 2).await.unwrap();
        let ids: Vec<&str> = p1.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["lead_a", "lead_b"]);
        assert_eq!(p1[0].row, leads()[0]);
        let p2 = reader
            .leads_changed_since(&t, Some(&p1[1].watermark()), 2)
            .await
            .unwrap();
        assert_eq!(p2.len(), 1);
        assert_eq!(p2[0].row, leads()[2]);
        let lead_end = p2[0].watermark();

        // Sales, optional references included.
        let s = reader.sales_changed_since(&t, None, 10).await.unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].row, sales[0]);
        assert_eq!(s[1].row, sales[1]);
        let sale_end = s[1].watermark();
        assert!(
            reader
                .sales_changed_since(&t, Some(&sale_end), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Unchanged re-sends are invisible; a changed amount is one row.
        store.upsert_sales(&t, &sales).await.unwrap();
        store.upsert_leads(&t, &leads()).await.unwrap();
        assert!(
            reader
                .leads_changed_since(&t, Some(&lead_end), 10)
                .await
                .unwrap()
                .is_empty()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
        let mut dearer = sales[0].clone();
        dearer.amount_cents += 1;
        store
            .upsert_sales(&t, std::slice::from_ref(&dearer))
            .await
            .unwrap();
        let late = reader
            .sales_changed_since(&t, Some(&sale_end), 10)
            .await
            .unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].row, dearer);
        assert!(
            reader
                .sales_changed_since(&other, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn delta_reads_page_by_watermark_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            delta_readers(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
