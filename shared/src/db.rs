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

/// A bounded context's migrations for both backends. Only the context's
/// owner runs them (its server at start, or `promptsales migrate`); other
/// contexts read its schema through a [`ReadSchema`].
pub struct Migrations {
    /// Context name: schema (PostgreSQL) or file suffix (SQLite).
    pub context: &'static str,
    pub sqlite: &'static Migrator,
    pub postgres: &'static Migrator,
}

impl Migrations {
    fn for_backend(&self, backend: Backend) -> &'static Migrator {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    /// The newest version this build ships (the same on both backends,
    /// which a parity test keeps in step).
    pub fn latest(&self) -> i64 {
        self.sqlite.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The versions each backend ships, for the parity test.
    pub fn versions(&self, backend: Backend) -> Vec<(i64, String)> {
        self.for_backend(backend)
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }
}

/// What a reader of another context's data needs of that context's schema:
/// read crates export one, and their queries work on `min_version` or any
/// later version, so an older reader keeps working after the owner has
/// migrated further.
pub struct ReadSchema {
    pub migrations: &'static Migrations,
    /// The oldest schema version the read crate's queries work on.
    pub min_version: i64,
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
    #[error(
        "the {context} database ({location}) is at schema version {found}, older than the \
         {needed} this binary needs: run `promptsales migrate`"
    )]
    SchemaTooOld {
        context: &'static str,
        location: String,
        found: i64,
        needed: i64,
    },
    #[error("cannot read the schema version of the {context} database at {location}: {source}")]
    Version {
        context: &'static str,
        location: String,
        source: sqlx::Error,
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
        matches!(
            tokio::time::timeout(Duration::from_secs(2), q).await,
            Ok(Ok(_))
        )
    }

    /// Opens the context this process owns: migrates it to this build's
    /// version when `cfg.migrate` is on, otherwise only checks that someone
    /// (`promptsales migrate`) already has. A database migrated further by
    /// a newer build is accepted either way (rolling deployments).
    pub async fn open(cfg: &DbConfig, migrations: &Migrations) -> Result<Db, DbError> {
        if cfg.migrate {
            Self::migrate(cfg, migrations).await
        } else {
            let db = Self::open_unmigrated(cfg, migrations.context).await?;
            db.require_version(migrations.latest()).await?;
            Ok(db)
        }
    }

    /// Opens a context and runs its migrations: what the owner does at
    /// start and `promptsales migrate` does for every context.
    pub async fn migrate(cfg: &DbConfig, migrations: &Migrations) -> Result<Db, DbError> {
        let db = Self::open_unmigrated(cfg, migrations.context).await?;
        let shipped = migrations.for_backend(db.backend);
        let migrator = Migrator {
            migrations: shipped.migrations.clone(),
            // A newer replica may have applied migrations this build does
            // not know; they are additive, so this build still runs.
            ignore_missing: true,
            locking: shipped.locking,
            no_tx: shipped.no_tx,
            table_name: shipped.table_name.clone(),
            create_schemas: shipped.create_schemas.clone(),
        };
        // PostgreSQL serialises migrators with an advisory lock (sqlx);
        // SQLite has none, so two processes starting on one file take a
        // file lock beside it.
        let _guard = match db.backend {
            Backend::Sqlite => Some(lock_file(&db.location).await?),
            Backend::Postgres => None,
        };
        migrator
            .run(&db.pool)
            .await
            .map_err(|source| DbError::Migrate {
                context: migrations.context,
                source,
            })?;
        Ok(db)
    }

    /// Opens another context's database to read it through its read crate:
    /// never migrates, and fails with the command to run when the schema is
    /// older than the reader needs (newer is fine).
    pub async fn open_reader(cfg: &DbConfig, schema: &ReadSchema) -> Result<Db, DbError> {
        let context = schema.migrations.context;
        if let Some(file) = cfg.sqlite_file(context)
            && !file.exists()
        {
            return Err(DbError::SchemaTooOld {
                context,
                location: file.display().to_string(),
                found: 0,
                needed: schema.min_version,
            });
        }
        let db = Self::open_unmigrated(cfg, context).await?;
        db.require_version(schema.min_version).await?;
        Ok(db)
    }

    /// The newest successfully applied migration (0 for a schema never
    /// migrated).
    pub async fn schema_version(&self) -> Result<i64, DbError> {
        let err = |source| DbError::Version {
            context: self.context,
            location: self.location.clone(),
            source,
        };
        let exists: i64 = match self.backend {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres => sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            ),
        }
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        if exists == 0 {
            return Ok(0);
        }
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(err)?;
        Ok(v.unwrap_or(0))
    }

    async fn require_version(&self, needed: i64) -> Result<(), DbError> {
        let found = self.schema_version().await?;
        if found < needed {
            return Err(DbError::SchemaTooOld {
                context: self.context,
                location: self.location.clone(),
                found,
                needed,
            });
        }
        Ok(())
    }

    /// Opens a context's pool without touching its schema (creating the
    /// PostgreSQL schema, empty, when it does not exist).
    pub async fn open_unmigrated(cfg: &DbConfig, context: &'static str) -> Result<Db, DbError> {
        install_default_drivers();
        let opts = AnyPoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(cfg.acquire_timeout)
            .idle_timeout(cfg.idle_timeout);
        let url = cfg.url_for(context);
        if let Some(file) = cfg.sqlite_file(context) {
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
                .connect(url)
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

/// Takes an exclusive lock on `<file>.migrate.lock` (released when the
/// returned handle drops), so one process at a time migrates a SQLite file.
async fn lock_file(location: &str) -> Result<std::fs::File, DbError> {
    let path = PathBuf::from(format!("{location}.migrate.lock"));
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        f.lock()?;
        Ok::<_, std::io::Error>(f)
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r)
    .map_err(|source| DbError::DataDir {
        path: shown,
        source,
    })
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

/// Whether `e` means the database could not be reached or dropped the
/// connection (restart, failover, network) rather than refused the
/// statement: the call did nothing durable and may be redone.
///
/// PostgreSQL's class 08 (connection exception) and 57P01–57P03 (admin,
/// crash or cannot-connect-now shutdowns) are in this class; a statement
/// error never is.
pub fn is_connection_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
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

/// Keeps the last occurrence of each key, in input order: a batch upsert may
/// not touch one row twice on PostgreSQL, and "last one wins" is what a
/// re-sent row means.
pub fn dedupe_last<T, K: std::hash::Hash + Eq>(rows: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut last: std::collections::HashMap<K, usize> =
        std::collections::HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert(key(r), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &rows[i]).collect()
}

impl Db {
    /// Row counts of one tenant: each statement is a `SELECT COUNT(*) …
    /// WHERE tenant_id = $1` of this context's tables.
    pub async fn tenant_counts(
        &self,
        tenant: &str,
        statements: &[(&'static str, &'static str)],
    ) -> Result<Vec<(&'static str, i64)>, sqlx::Error> {
        let mut out = Vec::with_capacity(statements.len());
        for (name, sql) in statements {
            let n: i64 = sqlx::query_scalar(*sql)
                .bind(tenant.to_owned())
                .fetch_one(&self.pool)
                .await?;
            out.push((*name, n));
        }
        Ok(out)
    }
}

/// A list stored as a JSON array of its members' text forms (channels,
/// countries): one TEXT column, the same on both engines.
pub fn json_list<T: ToString>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(T::to_string).collect::<Vec<_>>()).to_string()
}

/// A multi-row upsert over fixed columns. The SQL is generated from these
/// constants and a row count only — never from data — so it is safe to
/// assert as SQL. Rows whose values did not change are left alone (their
/// `updated_at` does not move), which keeps re-imports and delta syncs
/// idempotent.
#[derive(Debug, Clone, Copy)]
pub struct BulkUpsert {
    pub table: &'static str,
    /// Insert columns, in bind order. When they include `updated_at`, it is
    /// overwritten whenever another column changes (and only then); tables
    /// without it (the analytics warehouse) are simply compared and updated.
    pub columns: &'static [&'static str],
    /// The conflict target, e.g. `tenant_id, id`.
    pub key: &'static str,
    /// Columns compared and overwritten on conflict.
    pub update: &'static [&'static str],
}

impl BulkUpsert {
    /// Largest batch that stays under both backends' bind-parameter limits.
    pub fn max_rows(&self) -> usize {
        (30_000 / self.columns.len()).max(1)
    }

    /// The statement for `rows` rows. SQLite gets anonymous `?`
    /// parameters: its lookup of numbered ones (`$N`) is linear per
    /// parameter, which makes a 30,000-parameter statement quadratic.
    pub fn sql(&self, rows: usize, backend: Backend) -> AssertSqlSafe<String> {
        let n = self.columns.len();
        let mut s = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        for r in 0..rows {
            if r > 0 {
                s.push_str(", ");
            }
            s.push('(');
            for c in 0..n {
                if c > 0 {
                    s.push_str(", ");
                }
                match backend {
                    Backend::Sqlite => s.push('?'),
                    Backend::Postgres => {
                        s.push('$');
                        s.push_str(&(r * n + c + 1).to_string());
                    }
                }
            }
            s.push(')');
        }
        let stamp = self.columns.contains(&"updated_at");
        let set: Vec<String> = self
            .update
            .iter()
            .chain(stamp.then_some(&"updated_at"))
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let changed: Vec<String> = self
            .update
            .iter()
            .map(|c| format!("{}.{c} IS DISTINCT FROM excluded.{c}", self.table))
            .collect();
        s.push_str(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
            self.key,
            set.join(", "),
            changed.join(" OR ")
        ));
        AssertSqlSafe(s)
    }
}

#[cfg(test)]
mod bulk_tests {
    use super::*;

    #[test]
    fn bulk_upsert_numbers_parameters_row_major() {
        let b = BulkUpsert {
            table: "t",
            columns: &["tenant_id", "id", "v", "created_at", "updated_at"],
            key: "tenant_id, id",
            update: &["v"],
        };
        let AssertSqlSafe(sql) = b.sql(2, Backend::Postgres);
        assert_eq!(
            sql,
            "INSERT INTO t (tenant_id, id, v, created_at, updated_at) VALUES ($1, $2, $3, $4, $5), \
             ($6, $7, $8, $9, $10) ON CONFLICT (tenant_id, id) DO UPDATE SET v = excluded.v, \
             updated_at = excluded.updated_at WHERE t.v IS DISTINCT FROM excluded.v"
        );
        let AssertSqlSafe(sql) = b.sql(1, Backend::Sqlite);
        assert!(sql.contains("VALUES (?, ?, ?, ?, ?) ON CONFLICT"), "{sql}");
        assert_eq!(b.max_rows(), 6000);
    }

    #[test]
    fn bulk_upsert_without_timestamps_sets_only_the_compared_columns() {
        let b = BulkUpsert {
            table: "wh",
            columns: &["tenant_id", "id", "v", "w"],
            key: "tenant_id, id",
            update: &["v", "w"],
        };
        let AssertSqlSafe(sql) = b.sql(1, Backend::Postgres);
        assert_eq!(
            sql,
            "INSERT INTO wh (tenant_id, id, v, w) VALUES ($1, $2, $3, $4) ON CONFLICT \
             (tenant_id, id) DO UPDATE SET v = excluded.v, w = excluded.w WHERE \
             wh.v IS DISTINCT FROM excluded.v OR wh.w IS DISTINCT FROM excluded.w"
        );
    }
}
