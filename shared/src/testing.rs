//! Databases for tests of any context: a SQLite file in a fresh temporary
//! directory always, and a private PostgreSQL schema when
//! `TEST_DATABASE_URL` is set — which `CI` requires: there a missing URL is
//! an error, not a skipped backend.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::AssertSqlSafe;

use crate::config::DbConfig;
use crate::db::{Backend, Db, Migrations};

/// One migrated test database; call [`TestDb::cleanup`] when done.
pub struct TestDb {
    pub db: Db,
    pub config: DbConfig,
    dir: Option<PathBuf>,
}

fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 100_000
    )
}

fn config(url: String, schema_prefix: String) -> DbConfig {
    DbConfig::new(url, schema_prefix)
}

/// The kernel's own tests need only the audit table.
#[cfg(test)]
pub(crate) static AUDIT_ONLY: Migrations = Migrations {
    context: "audit",
    sqlite: &AUDIT_SQLITE,
    postgres: &AUDIT_POSTGRES,
};
#[cfg(test)]
static AUDIT_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/audit/sqlite");
#[cfg(test)]
static AUDIT_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/audit/postgres");

/// The backends to test `migrations` on, each migrated and private.
pub async fn backends(migrations: &Migrations) -> Result<Vec<TestDb>, String> {
    let dir = std::env::temp_dir().join(format!("promptsales-test-{}", unique()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
    let sqlite = config(format!("sqlite://{}/t.db", dir.display()), String::new());
    let mut out = vec![TestDb {
        db: Db::open(&sqlite, migrations)
            .await
            .map_err(|e| e.to_string())?,
        config: sqlite,
        dir: Some(dir),
    }];
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => {
            let pg = config(url, format!("t{}_", unique()));
            out.push(TestDb {
                db: Db::open(&pg, migrations).await.map_err(|e| e.to_string())?,
                config: pg,
                dir: None,
            });
        }
        None if std::env::var_os("CI").is_some() => {
            return Err("CI is set but TEST_DATABASE_URL is missing".into());
        }
        None => {}
    }
    Ok(out)
}

impl TestDb {
    pub fn label(&self) -> &'static str {
        match self.db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Opens (and migrates, as its owner would) another context beside
    /// this one, on the same backend and with the same isolation.
    pub async fn open(&self, migrations: &Migrations) -> Result<Db, String> {
        Db::open(&self.config, migrations)
            .await
            .map_err(|e| e.to_string())
    }

    /// Drops the private schemas or removes the temporary directory.
    pub async fn cleanup(self) {
        if self.db.backend() == Backend::Postgres {
            // The prefix was generated above from digits and '_'.
            let sql = format!(
                "DO $$ DECLARE s text; BEGIN \
                   FOR s IN SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '{}') \
                   LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END $$",
                self.config.schema_prefix
            );
            let _ = sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(self.db.pool())
                .await;
        }
        self.db.close().await;
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
