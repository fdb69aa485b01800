//! `promptsales migrate`: every context's migrations, in order, from one place — what a deployment runs (a Kubernetes Job) before starting the servers with `PROMPTSALES_MIGRATE=off`.

use promptsales_shared::config::DbConfig;
use promptsales_shared::db::{Db, DbError, Migrations};

/// Every context, in the order they are migrated: the catalogue the others
/// point at first, the agent's own last.
pub fn contexts() -> [&'static Migrations; 6] {
    [
        &promptsales_catalog::MIGRATIONS,
        &content_read::MIGRATIONS,
        &ads_read::MIGRATIONS,
        &crm_read::MIGRATIONS,
        &analytics_read::MIGRATIONS,
        &crate::MIGRATIONS,
    ]
}

/// One context brought up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub context: &'static str,
    /// File path (SQLite) or schema (PostgreSQL).
    pub location: String,
    /// The schema version it is at now.
    pub version: i64,
    /// The newest version this build ships (the database may be newer).
    pub latest: i64,
}

/// A context whose migration failed (the ones before it are done).
#[derive(Debug, thiserror::Error)]
#[error("migrating the {context} context failed: {source}")]
pub struct MigrateError {
    pub context: &'static str,
    #[source]
    pub source: DbError,
}

/// Migrates every context in order, reporting each as it is done; stops at
/// the first that fails. Per-context `<CTX>_DATABASE_URL`s are honoured by
/// `cfg`, and `PROMPTSALES_MIGRATE=off` does not apply: this is the step
/// that setting defers to.
pub async fn migrate_all(
    cfg: &DbConfig,
    mut done: impl FnMut(&Migrated),
) -> Result<Vec<Migrated>, MigrateError> {
    let mut all = Vec::new();
    for m in contexts() {
        let failed = |source| MigrateError {
            context: m.context,
            source,
        };
        let db = Db::migrate(cfg, m).await.map_err(failed)?;
        let version = db.schema_version().await;
        db.close().await;
        let migrated = Migrated {
            context: m.context,
            location: db.location().to_owned(),
            version: version.map_err(failed)?,
            latest: m.latest(),
        };
        done(&migrated);
        all.push(migrated);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use promptsales_shared::testing::backends;

    use super::*;

    #[test]
    fn contexts_are_distinct_and_the_catalogue_comes_first() {
        let names: Vec<&str> = contexts().iter().map(|m| m.context).collect();
        assert_eq!(
            names,
            ["core", "content", "ads", "crm", "analytics", "orchestrator"]
        );
    }

    #[tokio::test]
    async fn every_context_is_migrated_and_a_second_run_changes_nothing() {
        // Any context's fixture gives a private database configuration.
        for t in backends(&crate::MIGRATIONS).await.unwrap() {
            let mut seen = Vec::new();
            let first = migrate_all(&t.config, |m| seen.push(m.context))
                .await
                .unwrap();
            assert_eq!(seen.len(), 6, "{}", t.label());
            for m in &first {
                assert_eq!(m.version, m.latest, "{} {}", t.label(), m.context);
                assert!(m.version > 0);
            }
            // Distinct places: one file or schema per context.
            let mut locations: Vec<&str> = first.iter().map(|m| m.location.as_str()).collect();
            locations.sort();
            locations.dedup();
            assert_eq!(locations.len(), 6, "{locations:?}");
            // Servers started with migrations off now only check.
            for m in contexts() {
                let mut off = t.config.clone();
                off.migrate = false;
                Db::open(&off, m).await.unwrap().close().await;
            }
            let again = migrate_all(&t.config, |_| {}).await.unwrap();
            assert_eq!(again, first);
            t.cleanup().await;
        }
    }
}
