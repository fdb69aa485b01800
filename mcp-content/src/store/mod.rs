//! Repository of the content context (`content_assets`,
//! `content_asset_versions`, `content_brand_guidelines`, `content_usage`), one file per
//! aggregate. Asset rows are read with `content-read`'s mapping, the one
//! other contexts use too.

mod assets;
mod brand;
mod import;
mod lifecycle;
mod usage;

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};
use promptsales_shared::AppError;
use promptsales_shared::db::{Db, json_list};
use promptsales_shared::domain::TenantId;
use promptsales_shared::time::format_ts;

use crate::domain::{AssetId, FieldValue, UsageRights};

pub use assets::AssetFilter;
pub use lifecycle::Revision;
pub use usage::{Bill, Charge, Over};

/// How many fresh ids `create_asset` tries before giving up.
const ID_ATTEMPTS: usize = 4;

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

fn fields_json(fields: Option<&Vec<FieldValue>>) -> Option<String> {
    fields.and_then(|f| serde_json::to_string(f).ok())
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
mod tests;
