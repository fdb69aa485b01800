//! Delta reads for the analytics sync: a keyset position on
//! `(updated_at, id)` per source table ([`Watermark`]) and the rows changed
//! after it ([`Changed`]).
//!
//! Every source store exposes one documented read path per table,
//! `<table>_changed_since(tenant, after, limit)`, returning rows in
//! `(updated_at, id)` order strictly after `after`. Because upserts leave
//! unchanged rows' `updated_at` alone, re-reading from the last watermark
//! returns nothing when nothing changed, and a late update of an old row
//! moves it past the watermark so the next read picks it up.
//!
//! The readers use the row-value comparison `(updated_at, id) > ($2, $3)`,
//! the same predicate as `updated_at > $2 OR (updated_at = $2 AND id > $3)`
//! but one both engines turn into a single seek on the
//! `(tenant_id, updated_at, id)` index of each source table.

use std::fmt;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::AppError;

/// How far a source table has been read: the `updated_at` and id of the last
/// row taken. The next read resumes strictly after it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Watermark {
    pub updated_at: String,
    pub id: String,
}

impl Watermark {
    pub fn new(updated_at: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            updated_at: updated_at.into(),
            id: id.into(),
        }
    }

    /// Parses the `updated_at|id` text form written by [`fmt::Display`].
    /// Ids never contain `|` (see [`crate::domain::validate_id`]) and
    /// timestamps never do, so the split is unambiguous.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        match text.split_once('|') {
            Some((at, id)) if !at.is_empty() && !id.is_empty() => Ok(Self::new(at, id)),
            _ => Err(AppError::invalid(
                "watermark",
                "`updated_at|id`, e.g. 2026-03-01T14:30:00.000000Z|cmp_1",
                text,
            )),
        }
    }
}

/// `updated_at|id`, the form stored in `sync_runs` and shown to people.
impl fmt::Display for Watermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.updated_at, self.id)
    }
}

/// A source row read by a delta reader, with its keyset position.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<T> {
    pub row: T,
    /// The row's `updated_at` as stored.
    pub updated_at: String,
    /// The row's `id` column (for `ad_daily`, its natural key).
    pub id: String,
}

impl<T> Changed<T> {
    /// The watermark that resumes after this row.
    pub fn watermark(&self) -> Watermark {
        Watermark::new(self.updated_at.clone(), self.id.clone())
    }

    /// Reads `updated_at` and `id` from `r` and the row itself with `parse`.
    pub fn from_row(
        r: &AnyRow,
        parse: impl FnOnce(&AnyRow) -> Result<T, AppError>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            row: parse(r)?,
            updated_at: r.try_get("updated_at")?,
            id: r.try_get("id")?,
        })
    }
}

/// Runs a store's delta read: `first` (binds `$1` tenant, `$2` limit) when
/// there is no watermark yet, `next` (binds `$1` tenant, `$2` updated_at,
/// `$3` id, `$4` limit) after one. Both statements are the caller's
/// constants; only values are bound.
pub async fn fetch_changed(
    pool: &sqlx::AnyPool,
    first: &'static str,
    next: &'static str,
    tenant: &str,
    after: Option<&Watermark>,
    limit: i64,
) -> Result<Vec<AnyRow>, AppError> {
    if limit < 1 {
        return Err(AppError::invalid(
            "limit",
            "a positive row count",
            limit.to_string(),
        ));
    }
    let rows = match after {
        None => {
            sqlx::query(first)
                .bind(tenant.to_owned())
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Some(w) => {
            sqlx::query(next)
                .bind(tenant.to_owned())
                .bind(w.updated_at.clone())
                .bind(w.id.clone())
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_text_round_trips() {
        let w = Watermark::new("2026-03-01T14:30:00.000000Z", "cmp_1:2026-03-01:meta:CO");
        assert_eq!(
            w.to_string(),
            "2026-03-01T14:30:00.000000Z|cmp_1:2026-03-01:meta:CO"
        );
        assert_eq!(Watermark::parse(&w.to_string()).unwrap(), w);
        for bad in ["", "no-bar", "|id", "at|"] {
            assert!(Watermark::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn watermarks_order_by_time_then_id() {
        let a = Watermark::new("2026-03-01T00:00:00.000000Z", "b");
        let b = Watermark::new("2026-03-01T00:00:00.000000Z", "c");
        let c = Watermark::new("2026-03-02T00:00:00.000000Z", "a");
        assert!(a < b && b < c);
    }
}
