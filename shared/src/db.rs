//! Database pools, one per bounded context, on SQLite (embedded default) or
//! PostgreSQL, through sqlx's `Any` driver so the same repository code and the
//! same parameterised SQL (`$1`, `$2`…) run on both.
//!
//! Isolation of contexts: on PostgreSQL each context has its own schema
//! (`crm`, `ads`… with an optional prefix), selected by `search_path`; on
//! SQLite each context has its own file beside the configured one
//! (`promptsales.db` → `promptsales-crm.db`). Either way a context's code
//! names its tables unqualified and cannot see another context's tables
//! except by opening that context's pool on purpose (a documented read path).
//!
//! Storage conventions (both backends): ids and enums are TEXT, money is
//! BIGINT hundredths, dates are `YYYY-MM-DD` TEXT, timestamps fixed-width
//! RFC 3339 UTC TEXT (see [`crate::time`]), so ordering and grouping agree.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, AssertSqlSafe, Executor};

use crate::config::DbConfig;

/// Which engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A bounded context's migrations for both backends.
pub struct Migrations {
    /// Context name: schema (PostgreSQL) or file suffix (SQLite).
    pub context: &'static str,
    pub sqlite: &'static Migrator,
    pub postgres: &'static Migrator,
}

/// Errors opening or migrating a database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the {context} database at {location}: {source}")]
    Connect {
        context: &'static str,
        location: String,
        source: sqlx::Error,
    },
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("migrations of the {context} database failed: {source}")]
    Migrate {
        context: &'static str,
        source: sqlx::migrate::MigrateError,
    },
}

/// A pool for one bounded context.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    context: &'static str,
    location: String,
}

impl Db {
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn context(&self) -> &'static str {
        self.context
    }
    /// Where the data lives (file path or schema), for logs and `/readyz`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// `SELECT 1` with a short timeout: used by `/readyz`.
    pub async fn ping(&self) -> bool {
        let q = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(tokio::time::timeout(Duration::from_secs(2), q).await, Ok(Ok(_)))
    }

    /// Opens the context's pool and brings its schema up to date.
    pub async fn open(cfg: &DbConfig, migrations: &Migrations) -> Result<Db, DbError> {
        let db = Self::open_unmigrated(cfg, migrations.context).await?;
        let migrator = match db.backend {
            Backend::Sqlite => migrations.sqlite,
            Backend::Postgres => migrations.postgres,
        };
        // Several processes may start at once on one SQLite file set (the
        // orchestrator spawns every server): a migration that loses the race
        // fails on "already exists" and succeeds when retried.
        let mut attempt = 0;
        loop {
            match migrator.run(&db.pool).await {
                Ok(()) => break,
                Err(e) if attempt < 4 => {
                    attempt += 1;
                    tracing::debug!(context = db.context, error = %e, attempt, "migration retry");
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(source) => {
                    return Err(DbError::Migrate {
                        context: migrations.context,
                        source,
                    });
                }
            }
        }
        Ok(db)
    }

    /// Opens a context's pool without touching its schema.
    pub async fn open_unmigrated(cfg: &DbConfig, context: &'static str) -> Result<Db, DbError> {
        install_default_drivers();
        let opts = AnyPoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(cfg.acquire_timeout)
            .idle_timeout(Duration::from_secs(300));
        if cfg.url.starts_with("sqlite:") {
            let file = sqlite_context_file(&cfg.url, context);
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            let location = file.display().to_string();
            let url = format!("sqlite://{location}?mode=rwc");
            let pool = opts
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                        Ok(())
                    }) as BoxFuture<'_, Result<(), sqlx::Error>>
                })
                .connect(&url)
                .await
                .map_err(|source| DbError::Connect {
                    context,
                    location: location.clone(),
                    source,
                })?;
            Ok(Db {
                pool,
                backend: Backend::Sqlite,
                context,
                location,
            })
        } else {
            // The schema name comes from configuration, checked to be an
            // identifier; it is the one name ever interpolated into SQL.
            let schema = format!("{}{}", cfg.schema_prefix, context);
            let location = format!("schema {schema}");
            let set_path = format!("SET search_path TO \"{schema}\"");
            let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
            let pool = opts
                .after_connect(move |conn, _| {
                    let set_path = set_path.clone();
                    Box::pin(async move {
                        sqlx::raw_sql(AssertSqlSafe(set_path))
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    }) as BoxFuture<'_, Result<(), sqlx::Error>>
                })
                .connect(&cfg.url)
                .await
                .map_err(|source| DbError::Connect {
                    context,
                    location: location.clone(),
                    source,
                })?;
            // Concurrent creators can race on the catalog; the schema
            // existing afterwards is all that matters.
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(create)).execute(&pool).await {
                tracing::debug!(error = %e, "create schema raced");
            }
            Ok(Db {
                pool,
                backend: Backend::Postgres,
                context,
                location,
            })
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `sqlite://dir/promptsales.db` + `crm` → `dir/promptsales-crm.db`.
pub fn sqlite_context_file(url: &str, context: &str) -> PathBuf {
    let raw = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let raw = raw.split('?').next().unwrap_or(raw);
    let path = Path::new(raw);
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("promptsales");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("db");
    path.with_file_name(format!("{stem}-{context}.{ext}"))
}

/// Turns a `sqlx` unique-constraint violation into `true`, so callers can
/// treat "someone else inserted it first" as a normal outcome.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_contexts_get_sibling_files() {
        assert_eq!(
            sqlite_context_file("sqlite://./data/promptsales.db", "crm"),
            PathBuf::from("./data/promptsales-crm.db")
        );
        assert_eq!(
            sqlite_context_file("sqlite:/tmp/x/ps.sqlite?mode=rwc", "ads"),
            PathBuf::from("/tmp/x/ps-ads.sqlite")
        );
    }
}
