//! Key rotation at SQL level: leads' sealed personal data read in keyset
//! batches, and each lead rewritten with its new ciphertexts and blind
//! indexes together with the ledger and inbound rows keyed by its old
//! indexes, so a contact's consent and suppressions follow it.

use promptsales_shared::AppError;
use sqlx::Row;

use super::CrmStore;

/// A lead's personal data as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedLead {
    pub tenant: String,
    pub id: String,
    /// The row's version when read: a lead changed since is left for the
    /// next run.
    pub updated_at: String,
    pub name_enc: Option<String>,
    pub email_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub email_hash: Option<String>,
    pub phone_hash: Option<String>,
}

/// A lead sealed again under the new key.
#[derive(Debug, Clone)]
pub struct ResealedLead {
    pub before: SealedLead,
    pub name_enc: Option<String>,
    pub email_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub email_hash: Option<String>,
    pub phone_hash: Option<String>,
}

/// What a batch of rewrites changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Leads rewritten.
    pub leads: u64,
    /// Leads changed since they were read (left for the next run).
    pub changed: u64,
    pub ledger_events: u64,
    pub permissions: u64,
    /// Permissions merged into a row the new index already had.
    pub permissions_merged: u64,
    pub inbound: u64,
}

impl Rewritten {
    pub fn add(&mut self, o: &Rewritten) {
        self.leads += o.leads;
        self.changed += o.changed;
        self.ledger_events += o.ledger_events;
        self.permissions += o.permissions;
        self.permissions_merged += o.permissions_merged;
        self.inbound += o.inbound;
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

impl CrmStore {
    /// Up to `limit` leads holding personal data, after `(tenant, id)` in
    /// key order (every tenant: a rotation is the deployment's).
    pub async fn sealed_leads_after(
        &self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<Vec<SealedLead>, AppError> {
        let (t, id) = after.unwrap_or(("", ""));
        let rows = sqlx::query(
            "SELECT tenant_id, id, updated_at, name_enc, email_enc, phone_enc, email_hash, phone_hash \
             FROM leads WHERE (tenant_id > $1 OR (tenant_id = $1 AND id > $2)) \
             AND (name_enc IS NOT NULL OR email_enc IS NOT NULL OR phone_enc IS NOT NULL) \
             ORDER BY tenant_id, id LIMIT $3",
        )
        .bind(t.to_owned())
        .bind(id.to_owned())
        .bind(limit)
        .fetch_all(self.db().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SealedLead {
                    tenant: r.try_get("tenant_id")?,
                    id: r.try_get("id")?,
                    updated_at: r.try_get("updated_at")?,
                    name_enc: r.try_get("name_enc")?,
                    email_enc: r.try_get("email_enc")?,
                    phone_enc: r.try_get("phone_enc")?,
                    email_hash: r.try_get("email_hash")?,
                    phone_hash: r.try_get("phone_hash")?,
                })
            })
            .collect()
    }

    /// Rewrites the leads of a batch in one transaction (all or nothing).
    pub async fn rewrite_sealed(&self, batch: &[ResealedLead]) -> Result<Rewritten, AppError> {
        let mut tx = self.db().pool().begin().await?;
        let mut total = Rewritten::default();
        for lead in batch {
            total.add(&rewrite_one(&mut tx, lead).await?);
        }
        tx.commit().await?;
        Ok(total)
    }

    /// Distinct contacts in the ledger whose index no lead holds (erased
    /// people, or contacts a rotation could not reach): their entries
    /// keep the index they were written under.
    pub async fn ledger_contacts_without_lead(&self) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT DISTINCT tenant_id, contact_hash \
             FROM contact_permissions p WHERE NOT EXISTS (SELECT 1 FROM leads l \
             WHERE l.tenant_id = p.tenant_id AND (l.email_hash = p.contact_hash \
             OR l.phone_hash = p.contact_hash))) orphans",
        )
        .fetch_one(self.db().pool())
        .await?)
    }
}

async fn rewrite_one(tx: &mut Tx<'_>, r: &ResealedLead) -> Result<Rewritten, AppError> {
    let b = &r.before;
    let n = sqlx::query(
        "UPDATE leads SET name_enc = $3, email_enc = $4, phone_enc = $5, email_hash = $6, \
         phone_hash = $7 WHERE tenant_id = $1 AND id = $2 AND updated_at = $8",
    )
    .bind(b.tenant.clone())
    .bind(b.id.clone())
    .bind(r.name_enc.clone())
    .bind(r.email_enc.clone())
    .bind(r.phone_enc.clone())
    .bind(r.email_hash.clone())
    .bind(r.phone_hash.clone())
    .bind(b.updated_at.clone())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let mut out = Rewritten::default();
    if n == 0 {
        out.changed = 1;
        return Ok(out);
    }
    out.leads = 1;
    for (old, new) in [
        (&b.email_hash, &r.email_hash),
        (&b.phone_hash, &r.phone_hash),
    ] {
        if let (Some(old), Some(new)) = (old, new)
            && old != new
        {
            out.add(&reindex(tx, &b.tenant, old, new).await?);
        }
    }
    Ok(out)
}

/// Moves the ledger and inbound rows of a contact from its old index to
/// its new one.
async fn reindex(
    tx: &mut Tx<'_>,
    tenant: &str,
    old: &str,
    new: &str,
) -> Result<Rewritten, AppError> {
    let mut out = Rewritten::default();
    for (sql, counter) in [
        (
            "UPDATE consent_events SET contact_hash = $3 WHERE tenant_id = $1 AND contact_hash = $2",
            0,
        ),
        (
            "UPDATE webhook_messages SET contact_hash = $3 WHERE tenant_id = $1 AND contact_hash = $2",
            1,
        ),
    ] {
        let n = sqlx::query(sql)
            .bind(tenant.to_owned())
            .bind(old.to_owned())
            .bind(new.to_owned())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if counter == 0 {
            out.ledger_events += n;
        } else {
            out.inbound += n;
        }
    }
    let olds = sqlx::query(
        "SELECT channel, consent, suppressed, source, actor, updated_at FROM contact_permissions \
         WHERE tenant_id = $1 AND contact_hash = $2",
    )
    .bind(tenant.to_owned())
    .bind(old.to_owned())
    .fetch_all(&mut **tx)
    .await?;
    for o in &olds {
        let channel: String = o.try_get("channel")?;
        let existing = sqlx::query(
            "SELECT consent, suppressed, source, actor, updated_at FROM contact_permissions \
             WHERE tenant_id = $1 AND contact_hash = $2 AND channel = $3",
        )
        .bind(tenant.to_owned())
        .bind(new.to_owned())
        .bind(channel.clone())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(e) = existing else {
            sqlx::query(
                "UPDATE contact_permissions SET contact_hash = $3 \
                 WHERE tenant_id = $1 AND contact_hash = $2 AND channel = $4",
            )
            .bind(tenant.to_owned())
            .bind(old.to_owned())
            .bind(new.to_owned())
            .bind(channel)
            .execute(&mut **tx)
            .await?;
            out.permissions += 1;
            continue;
        };
        // Both indexes have a state (the contact was written to under the
        // new key before its lead was rotated): an opt-out on either side
        // stands; otherwise the newer change wins.
        let (o_at, e_at): (String, String) = (o.try_get("updated_at")?, e.try_get("updated_at")?);
        let newer = if o_at > e_at { o } else { &e };
        let older = if o_at > e_at { &e } else { o };
        let consent: Option<String> = newer
            .try_get::<Option<String>, _>("consent")?
            .or(older.try_get("consent")?);
        let suppressed =
            o.try_get::<i64, _>("suppressed")? != 0 || e.try_get::<i64, _>("suppressed")? != 0;
        sqlx::query(
            "UPDATE contact_permissions SET consent = $4, suppressed = $5, source = $6, actor = $7, \
             updated_at = $8 WHERE tenant_id = $1 AND contact_hash = $2 AND channel = $3",
        )
        .bind(tenant.to_owned())
        .bind(new.to_owned())
        .bind(channel.clone())
        .bind(consent)
        .bind(i32::from(suppressed))
        .bind(newer.try_get::<String, _>("source")?)
        .bind(newer.try_get::<String, _>("actor")?)
        .bind(newer.try_get::<String, _>("updated_at")?)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "DELETE FROM contact_permissions WHERE tenant_id = $1 AND contact_hash = $2 AND channel = $3",
        )
        .bind(tenant.to_owned())
        .bind(old.to_owned())
        .bind(channel)
        .execute(&mut **tx)
        .await?;
        out.permissions_merged += 1;
    }
    Ok(out)
}
