//! Repository of the content context (`content_assets`, `content_asset_versions`).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};
use promptsales_shared::AppError;
use promptsales_shared::db::{BulkUpsert, Db, dedupe_last, is_unique_violation, json_list};
use promptsales_shared::domain::{Channel, ClientId, Page, TenantId};
use promptsales_shared::time::{format_ts, parse_ts};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::brand::{BrandGuidelines, ClientBrand};
use crate::domain::{
    Asset, AssetFormat, AssetId, AssetStatus, AssetVersion, Decision, FieldValue, Language,
    NewAsset, Placement, UsageRights,
};

const ASSETS: BulkUpsert = BulkUpsert {
    table: "content_assets",
    columns: &[
        "tenant_id",
        "id",
        "client_id",
        "campaign_id",
        "channel",
        "format",
        "language",
        "title",
        "body",
        "version",
        "status",
        "licence",
        "rights_owner",
        "rights_expires_at",
        "allowed_channels",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, id",
    update: &[
        "client_id",
        "campaign_id",
        "channel",
        "format",
        "language",
        "title",
        "body",
        "version",
        "status",
        "licence",
        "rights_owner",
        "rights_expires_at",
        "allowed_channels",
    ],
};

const VERSIONS: BulkUpsert = BulkUpsert {
    table: "content_asset_versions",
    columns: &[
        "tenant_id",
        "asset_id",
        "version",
        "title",
        "body",
        "status",
        "created_at",
        "updated_at",
    ],
    key: "tenant_id, asset_id, version",
    update: &["title", "body", "status"],
};

/// `SELECT <every asset column> FROM content_assets <rest>`, as one static
/// string.
macro_rules! select_assets {
    ($rest:literal) => {
        concat!(
            "SELECT id, client_id, campaign_id, channel, format, language, title, body, \
             version, status, licence, rights_owner, rights_expires_at, allowed_channels, \
             placement, fields, decided_by, decided_at, decision_note, \
             created_at, updated_at FROM content_assets ",
            $rest
        )
    };
}

/// How many fresh ids `create_asset` tries before giving up.
const ID_ATTEMPTS: usize = 4;

/// Filters of `list_assets`.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub client_id: Option<ClientId>,
    pub campaign_id: Option<String>,
    pub channel: Option<Channel>,
    pub status: Option<AssetStatus>,
    pub language: Option<Language>,
    /// Generated copy written for this placement (e.g. `x`).
    pub placement: Option<Placement>,
}

/// A generated asset id: `ast_` and 12 lower-case hex digits, from a
/// per-process random hash key over the clock and a counter. Collisions are
/// unlikely and, when they happen, caught by the primary key and retried.
pub fn new_asset_id() -> AssetId {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_i64(Utc::now().timestamp_nanos_opt().unwrap_or_default());
    h.write_u32(std::process::id());
    AssetId::from_trusted(format!(
        "{}{:012x}",
        AssetId::PREFIX,
        h.finish() & 0xffff_ffff_ffff
    ))
}

/// Now, at the precision timestamps are stored with, so a value returned
/// from a write equals the one read back.
fn now_stored() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn rights_from_row(r: &AnyRow) -> Result<Option<UsageRights>, AppError> {
    let Some(licence) = r.try_get::<Option<String>, _>("licence")? else {
        return Ok(None);
    };
    let channels: Vec<String> = serde_json::from_str(
        &r.try_get::<Option<String>, _>("allowed_channels")?
            .unwrap_or_else(|| "[]".to_owned()),
    )
    .map_err(|e| AppError::Internal(format!("asset allowed_channels: {e}")))?;
    Ok(Some(UsageRights {
        licence,
        owner: r
            .try_get::<Option<String>, _>("rights_owner")?
            .unwrap_or_default(),
        expires_at: r
            .try_get::<Option<String>, _>("rights_expires_at")?
            .map(|t| parse_ts("rights_expires_at", &t))
            .transpose()?,
        allowed_channels: channels
            .iter()
            .map(|c| Channel::parse(c))
            .collect::<Result<_, _>>()?,
    }))
}

fn fields_from(raw: Option<String>) -> Result<Option<Vec<FieldValue>>, AppError> {
    raw.map(|f| {
        serde_json::from_str(&f).map_err(|e| AppError::Internal(format!("asset fields: {e}")))
    })
    .transpose()
}

fn fields_json(fields: Option<&Vec<FieldValue>>) -> Option<String> {
    fields.and_then(|f| serde_json::to_string(f).ok())
}

fn decision_from_row(r: &AnyRow, status: AssetStatus) -> Result<Option<Decision>, AppError> {
    let Some(by) = r.try_get::<Option<String>, _>("decided_by")? else {
        return Ok(None);
    };
    let at = r
        .try_get::<Option<String>, _>("decided_at")?
        .map(|t| parse_ts("decided_at", &t))
        .transpose()?;
    Ok(at.map(|at| Decision {
        status,
        by,
        at,
        note: r
            .try_get::<Option<String>, _>("decision_note")
            .ok()
            .flatten(),
    }))
}

fn asset_from_row(r: &AnyRow) -> Result<Asset, AppError> {
    let status = AssetStatus::parse(&r.try_get::<String, _>("status")?)?;
    Ok(Asset {
        id: AssetId::from_trusted(r.try_get("id")?),
        client_id: ClientId::from_trusted(r.try_get("client_id")?),
        campaign_id: r.try_get("campaign_id")?,
        channel: Channel::parse(&r.try_get::<String, _>("channel")?)?,
        format: AssetFormat::parse(&r.try_get::<String, _>("format")?)?,
        language: Language::parse(&r.try_get::<String, _>("language")?)?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        version: r.try_get("version")?,
        status,
        rights: rights_from_row(r)?,
        placement: r
            .try_get::<Option<String>, _>("placement")?
            .map(|p| Placement::parse(&p))
            .transpose()?,
        fields: fields_from(r.try_get("fields")?)?,
        decision: match status {
            AssetStatus::Approved | AssetStatus::Rejected => decision_from_row(r, status)?,
            _ => None,
        },
        created_at: parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
        updated_at: parse_ts("updated_at", &r.try_get::<String, _>("updated_at")?)?,
    })
}

fn version_from_row(r: &AnyRow) -> Result<AssetVersion, AppError> {
    let status = AssetStatus::parse(&r.try_get::<String, _>("status")?)?;
    Ok(AssetVersion {
        asset_id: AssetId::from_trusted(r.try_get("asset_id")?),
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        status,
        created_at: parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
        fields: fields_from(r.try_get("fields")?)?,
        note: r.try_get("note")?,
        decision: decision_from_row(r, status)?,
    })
}

/// A change to an asset's current version (revise) or status (decide).
#[derive(Debug, Clone)]
pub struct Revision {
    pub title: Option<String>,
    pub body: String,
    pub fields: Option<Vec<FieldValue>>,
    pub author: Option<String>,
    pub note: Option<String>,
}

/// The rights columns of an asset: licence, owner, expiry, channel list.
type RightsColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn rights_columns(rights: Option<&UsageRights>) -> RightsColumns {
    match rights {
        None => (None, None, None, None),
        Some(r) => (
            Some(r.licence.clone()),
            Some(r.owner.clone()),
            r.expires_at.map(format_ts),
            Some(json_list(&r.allowed_channels)),
        ),
    }
}

/// Access to the content tables of one database.
#[derive(Clone, Debug)]
pub struct ContentStore {
    db: Db,
}

impl ContentStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates a draft asset at version 1, and its version row, in one
    /// transaction; returns it as stored.
    pub async fn create_asset(&self, tenant: &TenantId, new: &NewAsset) -> Result<Asset, AppError> {
        let author = new.author()?;
        for _ in 0..ID_ATTEMPTS {
            let asset = new.clone().into_asset(new_asset_id(), now_stored())?;
            match self.insert_new(tenant, &asset, author.as_deref()).await {
                Ok(()) => return Ok(asset),
                Err(e) if is_unique_violation(&e) => {
                    tracing::debug!(id = %asset.id, "generated asset id taken; retrying");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal(format!(
            "no free asset id after {ID_ATTEMPTS} attempts"
        )))
    }

    /// Creates several draft assets in one transaction: all or none.
    pub async fn create_assets(
        &self,
        tenant: &TenantId,
        news: &[NewAsset],
    ) -> Result<Vec<Asset>, AppError> {
        let mut assets = Vec::with_capacity(news.len());
        for n in news {
            assets.push((
                n.clone().into_asset(new_asset_id(), now_stored())?,
                n.author()?,
            ));
        }
        for _ in 0..ID_ATTEMPTS {
            let mut tx = self.db.pool().begin().await?;
            let mut clash = false;
            for (a, author) in &assets {
                match insert_asset(&mut tx, tenant, a, author.as_deref()).await {
                    Ok(()) => {}
                    Err(e) if is_unique_violation(&e) => {
                        clash = true;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !clash {
                tx.commit().await?;
                return Ok(assets.into_iter().map(|(a, _)| a).collect());
            }
            drop(tx);
            for (a, _) in &mut assets {
                a.id = new_asset_id();
            }
        }
        Err(AppError::Internal(format!(
            "no free asset ids after {ID_ATTEMPTS} attempts"
        )))
    }

    async fn insert_new(
        &self,
        tenant: &TenantId,
        a: &Asset,
        author: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.pool().begin().await?;
        insert_asset(&mut tx, tenant, a, author).await?;
        tx.commit().await
    }

    /// Writes `rev` as the next version of asset `id`, which must still be
    /// at `expected_version` in a status `allowed` accepts; the new version
    /// is a draft. Returns the asset as stored.
    pub async fn revise(
        &self,
        tenant: &TenantId,
        id: &AssetId,
        expected_version: i32,
        rev: &Revision,
    ) -> Result<Asset, AppError> {
        let now = format_ts(now_stored());
        let fields = fields_json(rev.fields.as_ref());
        let mut tx = self.db.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE content_assets SET version = version + 1, title = $1, body = $2, fields = $3, \
             status = 'draft', decided_by = NULL, decided_at = NULL, decision_note = NULL, \
             updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6 AND version = $7 AND status <> 'archived'",
        )
        .bind(rev.title.as_deref())
        .bind(rev.body.as_str())
        .bind(fields.as_deref())
        .bind(now.as_str())
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::Conflict(format!(
                "asset {} changed since version {expected_version} was read (or is archived); read it again and retry",
                id.as_str()
            )));
        }
        sqlx::query(
            "INSERT INTO content_asset_versions (tenant_id, asset_id, version, title, body, \
             status, created_by, created_at, updated_at, fields, note) \
             VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $7, $8, $9)",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(expected_version + 1)
        .bind(rev.title.as_deref())
        .bind(rev.body.as_str())
        .bind(rev.author.as_deref())
        .bind(now.as_str())
        .bind(fields.as_deref())
        .bind(rev.note.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_asset(tenant, id).await
    }

    /// Moves asset `id` (still at `version` in status `from`) to `to`,
    /// recording the decision on the asset and on that version.
    pub async fn set_status(
        &self,
        tenant: &TenantId,
        id: &AssetId,
        version: i32,
        from: AssetStatus,
        to: AssetStatus,
        decision: Option<&Decision>,
    ) -> Result<Asset, AppError> {
        let now = format_ts(now_stored());
        let by = decision.map(|d| d.by.clone());
        let at = decision.map(|d| format_ts(d.at));
        let note = decision.and_then(|d| d.note.clone());
        let mut tx = self.db.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE content_assets SET status = $1, decided_by = $2, decided_at = $3, \
             decision_note = $4, updated_at = $5 \
             WHERE tenant_id = $6 AND id = $7 AND version = $8 AND status = $9",
        )
        .bind(to.as_str())
        .bind(by.as_deref())
        .bind(at.as_deref())
        .bind(note.as_deref())
        .bind(now.as_str())
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(version)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::Conflict(format!(
                "asset {} changed while being {}; read it again and retry",
                id.as_str(),
                to.as_str()
            )));
        }
        sqlx::query(
            "UPDATE content_asset_versions SET status = $1, \
             decided_by = COALESCE($2, decided_by), decided_at = COALESCE($3, decided_at), \
             decision_note = COALESCE($4, decision_note), updated_at = $5 \
             WHERE tenant_id = $6 AND asset_id = $7 AND version = $8",
        )
        .bind(to.as_str())
        .bind(by.as_deref())
        .bind(at.as_deref())
        .bind(note.as_deref())
        .bind(now.as_str())
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_asset(tenant, id).await
    }

    /// Replaces (or with `None` clears) an asset's usage rights.
    pub async fn set_rights(
        &self,
        tenant: &TenantId,
        id: &AssetId,
        rights: Option<&UsageRights>,
    ) -> Result<Asset, AppError> {
        let (licence, owner, expires, channels) = rights_columns(rights);
        let changed = sqlx::query(
            "UPDATE content_assets SET licence = $1, rights_owner = $2, rights_expires_at = $3, \
             allowed_channels = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7",
        )
        .bind(licence)
        .bind(owner)
        .bind(expires)
        .bind(channels)
        .bind(format_ts(now_stored()))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::not_found("asset", id.as_str()));
        }
        self.get_asset(tenant, id).await
    }

    /// A client's brand guidelines, if set.
    pub async fn brand(
        &self,
        tenant: &TenantId,
        client: &ClientId,
    ) -> Result<Option<ClientBrand>, AppError> {
        let row = sqlx::query(
            "SELECT voice, banned_words, required_disclaimers, preferred_terms, updated_by, \
             updated_at FROM content_brand_guidelines WHERE tenant_id = $1 AND client_id = $2",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        fn parse<T: serde::de::DeserializeOwned>(r: &AnyRow, col: &str) -> Result<T, AppError> {
            serde_json::from_str(&r.try_get::<String, _>(col)?)
                .map_err(|e| AppError::Internal(format!("brand guidelines {col}: {e}")))
        }
        Ok(Some(ClientBrand {
            client_id: client.clone(),
            guidelines: BrandGuidelines {
                voice: r.try_get("voice")?,
                banned_words: parse(&r, "banned_words")?,
                required_disclaimers: parse(&r, "required_disclaimers")?,
                preferred_terms: parse(&r, "preferred_terms")?,
            },
            updated_by: r.try_get("updated_by")?,
            updated_at: parse_ts("updated_at", &r.try_get::<String, _>("updated_at")?)?,
        }))
    }

    /// Sets a client's brand guidelines (replacing earlier ones).
    pub async fn set_brand(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        g: &BrandGuidelines,
        by: Option<&str>,
    ) -> Result<ClientBrand, AppError> {
        let at = now_stored();
        sqlx::query(
            "INSERT INTO content_brand_guidelines (tenant_id, client_id, voice, banned_words, \
             required_disclaimers, preferred_terms, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, client_id) DO UPDATE SET voice = excluded.voice, \
             banned_words = excluded.banned_words, required_disclaimers = excluded.required_disclaimers, \
             preferred_terms = excluded.preferred_terms, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(client.as_str())
        .bind(g.voice.as_str())
        .bind(json(&g.banned_words))
        .bind(json(&g.required_disclaimers))
        .bind(json(&g.preferred_terms))
        .bind(by)
        .bind(format_ts(at))
        .execute(self.db.pool())
        .await?;
        Ok(ClientBrand {
            client_id: client.clone(),
            guidelines: g.clone(),
            updated_by: by.map(str::to_owned),
            updated_at: at,
        })
    }

    /// Client ids with brand guidelines, for argument completion.
    pub async fn brand_clients(&self, tenant: &TenantId) -> Result<Vec<String>, AppError> {
        let rows = sqlx::query(
            "SELECT DISTINCT client_id FROM content_brand_guidelines WHERE tenant_id = $1 \
             UNION SELECT DISTINCT client_id FROM content_assets WHERE tenant_id = $1 \
             ORDER BY client_id LIMIT 500",
        )
        .bind(tenant.as_str())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("client_id")?))
            .collect()
    }
}

/// A list column as JSON.
fn json<T: serde::Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

/// Inserts asset `a` at its version and that version's row.
async fn insert_asset(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: &TenantId,
    a: &Asset,
    author: Option<&str>,
) -> Result<(), sqlx::Error> {
    {
        let (licence, owner, expires, channels) = rights_columns(a.rights.as_ref());
        let created = format_ts(a.created_at);
        let fields = fields_json(a.fields.as_ref());
        sqlx::query(
            "INSERT INTO content_assets (tenant_id, id, client_id, campaign_id, channel, format, \
             language, title, body, version, status, licence, rights_owner, rights_expires_at, \
             allowed_channels, created_by, created_at, updated_at, placement, fields) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19)",
        )
        .bind(tenant.as_str())
        .bind(a.id.as_str())
        .bind(a.client_id.as_str())
        .bind(a.campaign_id.as_deref())
        .bind(a.channel.as_str())
        .bind(a.format.as_str())
        .bind(a.language.as_str())
        .bind(a.title.as_deref())
        .bind(a.body.as_str())
        .bind(a.version)
        .bind(a.status.as_str())
        .bind(licence)
        .bind(owner)
        .bind(expires)
        .bind(channels)
        .bind(author)
        .bind(created.as_str())
        .bind(a.placement.map(|p| p.as_str()))
        .bind(fields.as_deref())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO content_asset_versions (tenant_id, asset_id, version, title, body, \
             status, created_by, created_at, updated_at, fields) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
        )
        .bind(tenant.as_str())
        .bind(a.id.as_str())
        .bind(a.version)
        .bind(a.title.as_deref())
        .bind(a.body.as_str())
        .bind(a.status.as_str())
        .bind(author)
        .bind(created.as_str())
        .bind(fields.as_deref())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

impl ContentStore {
    /// Inserts or updates assets by id (imports keep their ids), with a
    /// version row for each one's current version; returns how many rows
    /// changed. Unchanged rows are left alone, so re-imports change nothing.
    pub async fn upsert_assets(
        &self,
        tenant: &TenantId,
        assets: &[Asset],
    ) -> Result<u64, AppError> {
        for a in assets {
            a.validate()?;
        }
        let now = format_ts(now_stored());
        let rows = dedupe_last(assets, |a| a.id.clone());
        let mut changed = 0;
        let mut tx = self.db.pool().begin().await?;
        for chunk in rows.chunks(ASSETS.max_rows()) {
            let mut q = sqlx::query(ASSETS.sql(chunk.len(), self.db.backend()));
            for a in chunk {
                let (licence, owner, expires, channels) = rights_columns(a.rights.as_ref());
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(a.id.as_str().to_owned())
                    .bind(a.client_id.as_str().to_owned())
                    .bind(a.campaign_id.clone())
                    .bind(a.channel.as_str())
                    .bind(a.format.as_str())
                    .bind(a.language.as_str())
                    .bind(a.title.clone())
                    .bind(a.body.clone())
                    .bind(a.version)
                    .bind(a.status.as_str())
                    .bind(licence)
                    .bind(owner)
                    .bind(expires)
                    .bind(channels)
                    .bind(format_ts(a.created_at))
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        for chunk in rows.chunks(VERSIONS.max_rows()) {
            let mut q = sqlx::query(VERSIONS.sql(chunk.len(), self.db.backend()));
            for a in chunk {
                q = q
                    .bind(tenant.as_str().to_owned())
                    .bind(a.id.as_str().to_owned())
                    .bind(a.version)
                    .bind(a.title.clone())
                    .bind(a.body.clone())
                    .bind(a.status.as_str())
                    .bind(format_ts(a.updated_at))
                    .bind(now.clone());
            }
            changed += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    pub async fn get_asset(&self, tenant: &TenantId, id: &AssetId) -> Result<Asset, AppError> {
        let row = sqlx::query(select_assets!("WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| AppError::not_found("asset", id.as_str()))?;
        asset_from_row(&row)
    }

    /// Assets by id, keyset-paginated.
    pub async fn list_assets(
        &self,
        tenant: &TenantId,
        filter: &AssetFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<Asset>, AppError> {
        let rows = sqlx::query(select_assets!(
            "WHERE tenant_id = $1 \
               AND ($2 IS NULL OR client_id = $2) \
               AND ($3 IS NULL OR campaign_id = $3) \
               AND ($4 IS NULL OR channel = $4) \
               AND ($5 IS NULL OR status = $5) \
               AND ($6 IS NULL OR language = $6) \
               AND ($7 IS NULL OR id > $7) \
               AND ($8 IS NULL OR placement = $8) \
             ORDER BY id LIMIT $9"
        ))
        .bind(tenant.as_str())
        .bind(filter.client_id.as_ref().map(|c| c.as_str().to_owned()))
        .bind(filter.campaign_id.clone())
        .bind(filter.channel.map(|c| c.as_str()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.language.map(|l| l.as_str()))
        .bind(cursor.map(str::to_owned))
        .bind(filter.placement.map(|p| p.as_str()))
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(asset_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|a| a.id.as_str().to_owned())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every stored version of an asset, oldest first; not found when the
    /// asset does not exist.
    pub async fn asset_versions(
        &self,
        tenant: &TenantId,
        id: &AssetId,
    ) -> Result<Vec<AssetVersion>, AppError> {
        let rows = sqlx::query(
            "SELECT asset_id, version, title, body, status, created_by, created_at, fields, note, \
             decided_by, decided_at, decision_note FROM content_asset_versions WHERE tenant_id = $1 AND asset_id = $2 \
             ORDER BY version",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_all(self.db.pool())
        .await?;
        if rows.is_empty() {
            // An asset always has its version 1: none means no such asset.
            return Err(AppError::not_found("asset", id.as_str()));
        }
        rows.iter().map(version_from_row).collect()
    }

    /// Row counts per table.
    pub async fn counts(&self, tenant: &TenantId) -> Result<Vec<(&'static str, i64)>, AppError> {
        Ok(self
            .db
            .tenant_counts(
                tenant.as_str(),
                &[
                    (
                        "content_assets",
                        "SELECT COUNT(*) FROM content_assets WHERE tenant_id = $1",
                    ),
                    (
                        "content_asset_versions",
                        "SELECT COUNT(*) FROM content_asset_versions WHERE tenant_id = $1",
                    ),
                ],
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::domain::AssetFormat;

    fn new_asset(client: &str, campaign: Option<&str>, channel: Channel) -> NewAsset {
        NewAsset {
            client_id: ClientId::parse(client).unwrap(),
            campaign_id: campaign.map(str::to_owned),
            channel,
            format: AssetFormat::SocialPost,
            language: Language::Es,
            title: Some("Lanzamiento".into()),
            body: "¡Probá el nuevo sabor!".into(),
            rights: None,
            created_by: Some("ana".into()),
            placement: None,
            fields: None,
        }
    }

    async fn exercise(db: Db) {
        let store = ContentStore::new(db);
        let t = TenantId::parse("agency_a").unwrap();
        let other = TenantId::parse("agency_b").unwrap();

        // Create → get: what is returned is what is stored.
        let mut n = new_asset("cli_1", Some("cmp_1"), Channel::Instagram);
        n.rights = Some(UsageRights {
            licence: "stock-42".into(),
            owner: "Acme Photo".into(),
            expires_at: Some(parse_ts("e", "2030-01-01T00:00:00Z").unwrap()),
            allowed_channels: vec![Channel::Instagram, Channel::Meta],
        });
        let created = store.create_asset(&t, &n).await.unwrap();
        assert!(created.id.as_str().starts_with("ast_"));
        assert_eq!(created.id.as_str().len(), 16);
        assert_eq!(created.version, 1);
        assert_eq!(created.status, AssetStatus::Draft);
        let got = store.get_asset(&t, &created.id).await.unwrap();
        assert_eq!(got, created);
        assert_eq!(
            got.rights.as_ref().unwrap().allowed_channels,
            [Channel::Meta, Channel::Instagram]
        );
        // Tenants are isolated.
        let e = store.get_asset(&other, &created.id).await.unwrap_err();
        assert_eq!(e.kind(), "not_found");

        // Versions: the first one is written with the asset.
        let versions = store.asset_versions(&t, &created.id).await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].version, 1);
        assert_eq!(versions[0].body, created.body);
        assert_eq!(versions[0].created_by.as_deref(), Some("ana"));
        assert_eq!(versions[0].created_at, created.created_at);
        let missing = AssetId::parse("ast_missing").unwrap();
        assert_eq!(
            store.asset_versions(&t, &missing).await.unwrap_err().kind(),
            "not_found"
        );

        // Bad input is rejected before anything is written.
        let mut bad = new_asset("cli_1", None, Channel::Email);
        bad.body = "   ".into();
        let e = store.create_asset(&t, &bad).await.unwrap_err().to_string();
        assert!(e.contains("`body`"), "{e}");

        // More assets, then pagination in id order.
        for i in 0..4 {
            let ch = if i % 2 == 0 {
                Channel::Email
            } else {
                Channel::Meta
            };
            store
                .create_asset(&t, &new_asset("cli_2", None, ch))
                .await
                .unwrap();
        }
        store
            .create_asset(&other, &new_asset("cli_2", None, Channel::Email))
            .await
            .unwrap();
        let all = AssetFilter::default();
        let p1 = store.list_assets(&t, &all, None, 2).await.unwrap();
        assert_eq!(p1.items.len(), 2);
        let c1 = p1.next_cursor.clone().unwrap();
        let p2 = store.list_assets(&t, &all, Some(&c1), 2).await.unwrap();
        assert_eq!(p2.items.len(), 2);
        let c2 = p2.next_cursor.clone().unwrap();
        let p3 = store.list_assets(&t, &all, Some(&c2), 2).await.unwrap();
        assert_eq!(p3.items.len(), 1);
        assert!(p3.next_cursor.is_none());
        let ids: Vec<&str> = p1
            .items
            .iter()
            .chain(&p2.items)
            .chain(&p3.items)
            .map(|a| a.id.as_str())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "pages are in id order without repeats");
        assert_eq!(ids.len(), 5);

        // Filters.
        let by = |f: AssetFilter| {
            let store = store.clone();
            let t = t.clone();
            async move { store.list_assets(&t, &f, None, 50).await.unwrap().items }
        };
        let emails = by(AssetFilter {
            channel: Some(Channel::Email),
            ..Default::default()
        })
        .await;
        assert_eq!(emails.len(), 2);
        let campaign = by(AssetFilter {
            campaign_id: Some("cmp_1".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(campaign, std::slice::from_ref(&created));
        let client2 = by(AssetFilter {
            client_id: Some(ClientId::parse("cli_2").unwrap()),
            status: Some(AssetStatus::Draft),
            language: Some(Language::Es),
            ..Default::default()
        })
        .await;
        assert_eq!(client2.len(), 4);
        let english = by(AssetFilter {
            language: Some(Language::En),
            ..Default::default()
        })
        .await;
        assert!(english.is_empty());

        // Upserts keep imported ids and are idempotent.
        let mut imported = created.clone();
        imported.id = AssetId::parse("imp_001").unwrap();
        imported.version = 3;
        imported.status = AssetStatus::Approved;
        imported.rights = None;
        let one = std::slice::from_ref(&imported);
        assert_eq!(store.upsert_assets(&t, one).await.unwrap(), 2);
        assert_eq!(store.upsert_assets(&t, one).await.unwrap(), 0);
        let got = store.get_asset(&t, &imported.id).await.unwrap();
        assert_eq!(got.version, 3);
        assert_eq!(got.status, AssetStatus::Approved);
        assert_eq!(got.rights, None);
        let v = store.asset_versions(&t, &imported.id).await.unwrap();
        assert_eq!(v.iter().map(|v| v.version).collect::<Vec<_>>(), [3]);

        assert_eq!(
            store.counts(&t).await.unwrap(),
            [("content_assets", 6), ("content_asset_versions", 6)]
        );
        assert_eq!(
            store.counts(&other).await.unwrap(),
            [("content_assets", 1), ("content_asset_versions", 1)]
        );
    }

    #[test]
    fn generated_ids_have_the_prefix_and_twelve_hex_digits() {
        let a = new_asset_id();
        let b = new_asset_id();
        assert_ne!(a, b);
        let hex = a.as_str().strip_prefix("ast_").unwrap();
        assert_eq!(hex.len(), 12);
        assert!(
            hex.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert!(AssetId::parse(a.as_str()).is_ok());
    }

    /// Batch creation, optimistic revisions and decisions, rights, brand.
    async fn exercise_lifecycle(db: Db) {
        let store = ContentStore::new(db);
        let t = TenantId::parse("agency_a").unwrap();
        let mut a = new_asset("cli_9", None, Channel::Sms);
        a.placement = Some(Placement::Sms);
        a.fields = Some(vec![FieldValue {
            name: "text".into(),
            text: "Hola".into(),
        }]);
        let made = store
            .create_assets(&t, &[a.clone(), a.clone(), a])
            .await
            .unwrap();
        assert_eq!(made.len(), 3);
        let first = store.get_asset(&t, &made[0].id).await.unwrap();
        assert_eq!(first.placement, Some(Placement::Sms));
        assert_eq!(first.fields.as_ref().unwrap()[0].text, "Hola");

        let rev = Revision {
            title: None,
            body: "Hola de nuevo".into(),
            fields: Some(vec![FieldValue {
                name: "text".into(),
                text: "Hola de nuevo".into(),
            }]),
            author: Some("luis".into()),
            note: Some("más cálido".into()),
        };
        let v2 = store.revise(&t, &first.id, 1, &rev).await.unwrap();
        assert_eq!((v2.version, v2.status), (2, AssetStatus::Draft));
        // A stale version is a conflict, not a lost update.
        let e = store.revise(&t, &first.id, 1, &rev).await.unwrap_err();
        assert_eq!(e.kind(), "conflict");

        let at = now_stored();
        let d = Decision {
            status: AssetStatus::Approved,
            by: "maria".into(),
            at,
            note: Some("ok".into()),
        };
        let ok = store
            .set_status(
                &t,
                &first.id,
                2,
                AssetStatus::Draft,
                AssetStatus::Approved,
                Some(&d),
            )
            .await
            .unwrap();
        assert_eq!(ok.decision, Some(d.clone()));
        let e = store
            .set_status(
                &t,
                &first.id,
                2,
                AssetStatus::Draft,
                AssetStatus::Approved,
                Some(&d),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "conflict");
        let versions = store.asset_versions(&t, &first.id).await.unwrap();
        assert_eq!(versions[1].note.as_deref(), Some("más cálido"));
        assert_eq!(versions[1].created_by.as_deref(), Some("luis"));
        assert_eq!(
            versions[1].decision.as_ref().map(|d| d.by.as_str()),
            Some("maria")
        );
        assert_eq!(versions[0].decision, None);

        let rights = UsageRights {
            licence: "L".into(),
            owner: "O".into(),
            expires_at: None,
            allowed_channels: vec![Channel::Sms],
        };
        let r = store
            .set_rights(&t, &first.id, Some(&rights))
            .await
            .unwrap();
        assert_eq!(r.rights, Some(rights));
        let r = store.set_rights(&t, &first.id, None).await.unwrap();
        assert_eq!(r.rights, None);
        let missing = AssetId::parse("ast_missing").unwrap();
        assert_eq!(
            store
                .set_rights(&t, &missing, None)
                .await
                .unwrap_err()
                .kind(),
            "not_found"
        );

        let client = ClientId::parse("cli_9").unwrap();
        assert_eq!(store.brand(&t, &client).await.unwrap(), None);
        let g = BrandGuidelines {
            voice: "cálido".into(),
            banned_words: vec!["barato".into()],
            ..Default::default()
        };
        store.set_brand(&t, &client, &g, Some("ana")).await.unwrap();
        let g2 = BrandGuidelines {
            voice: "experto".into(),
            ..g
        };
        store
            .set_brand(&t, &client, &g2, Some("ana"))
            .await
            .unwrap();
        let got = store.brand(&t, &client).await.unwrap().unwrap();
        assert_eq!(got.guidelines, g2);
        let clients = store.brand_clients(&t).await.unwrap();
        assert!(clients.contains(&"cli_9".to_owned()), "{clients:?}");
        assert!(clients.is_sorted());
    }

    #[tokio::test]
    async fn store_creates_lists_and_versions_on_every_backend() {
        for t in promptsales_shared::testing::backends(&crate::MIGRATIONS)
            .await
            .unwrap()
        {
            exercise(t.db.clone()).await;
            exercise_lifecycle(t.db.clone()).await;
            t.cleanup().await;
        }
    }
}
