//! `promptsales backup` / `restore`: every context's database into one directory (SQLite's online `VACUUM INTO`; `pg_dump` custom format per schema on PostgreSQL) with a manifest of row counts that a restore checks.

use std::path::{Path, PathBuf};

use promptsales_shared::config::DbConfig;
use promptsales_shared::db::{Backend, Db, DbError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::migrate::contexts;

/// The manifest written beside the files.
pub const MANIFEST: &str = "backup.json";

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{context}: {source}")]
    Sql {
        context: &'static str,
        source: sqlx::Error,
    },
    #[error("{0}")]
    Io(String),
    #[error("{tool} failed for the {context} context: {detail}")]
    Tool {
        tool: &'static str,
        context: &'static str,
        detail: String,
    },
    #[error("the backup in {0} has no {MANIFEST}: not a promptsales backup")]
    NoManifest(String),
    #[error("the backup was taken on {found}; this deployment runs {expected}")]
    Backend { found: String, expected: String },
    #[error("restored {context}.{table} has {found} rows, the backup had {expected}")]
    Mismatch {
        context: String,
        table: String,
        expected: i64,
        found: i64,
    },
}

/// One context's file and its tables' row counts when it was taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextBackup {
    pub context: String,
    pub file: String,
    pub tables: Vec<(String, i64)>,
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub created_at: String,
    pub backend: String,
    pub contexts: Vec<ContextBackup>,
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> BackupError {
    BackupError::Io(format!("{what} {}: {e}", path.display()))
}

/// Maps a query's error to the context it ran in.
fn sql_err(db: &Db) -> impl Fn(sqlx::Error) -> BackupError + Copy + '_ {
    move |source| BackupError::Sql {
        context: db.context(),
        source,
    }
}

/// A PostgreSQL/SQLite identifier, quoted (names come from the database's
/// own catalogue, never from a caller).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every table of a context with its row count (names from the database's
/// own catalogue, quoted; nothing from a caller).
async fn table_counts(db: &Db) -> Result<Vec<(String, i64)>, BackupError> {
    let sql = sql_err(db);
    let names: Vec<String> = match db.backend() {
        Backend::Sqlite => sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(db.pool())
        .await
        .map_err(sql)?,
        Backend::Postgres => sqlx::query(
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
        .fetch_all(db.pool())
        .await
        .map_err(sql)?,
    }
    .iter()
    .map(|r| r.try_get::<String, _>("name"))
    .collect::<Result<_, _>>()
    .map_err(sql)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let quoted = quote_ident(&name);
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {quoted}"
        )))
        .fetch_one(db.pool())
        .await
        .map_err(sql)?;
        out.push((name, n));
    }
    Ok(out)
}

/// The PostgreSQL schema a context's pool works in.
async fn schema_of(db: &Db) -> Result<String, BackupError> {
    sqlx::query_scalar("SELECT CAST(current_schema() AS TEXT)")
        .fetch_one(db.pool())
        .await
        .map_err(sql_err(db))
}

async fn run(tool: &'static str, context: &'static str, args: &[&str]) -> Result<(), BackupError> {
    let out = tokio::process::Command::new(tool)
        .args(args)
        .output()
        .await
        .map_err(|e| BackupError::Tool {
            tool,
            context,
            detail: format!("cannot run it ({e}); install the PostgreSQL client tools"),
        })?;
    if !out.status.success() {
        return Err(BackupError::Tool {
            tool,
            context,
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

/// Backs every context up into `dir` (created if missing) and writes the
/// manifest. Safe while servers run: `VACUUM INTO` and `pg_dump` read a
/// consistent snapshot.
pub async fn backup(cfg: &DbConfig, dir: &Path) -> Result<Manifest, BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
    let mut backend = None;
    let mut contexts_out = Vec::new();
    for m in contexts() {
        let db = Db::open_unmigrated(cfg, m.context).await?;
        backend = Some(db.backend());
        let tables = table_counts(&db).await?;
        let file = match db.backend() {
            Backend::Sqlite => {
                let file = format!("{}.sqlite", m.context);
                let target = dir.join(&file);
                if target.exists() {
                    std::fs::remove_file(&target).map_err(|e| io("cannot replace", &target, e))?;
                }
                sqlx::query("VACUUM INTO $1")
                    .bind(target.to_string_lossy().into_owned())
                    .execute(db.pool())
                    .await
                    .map_err(sql_err(&db))?;
                file
            }
            Backend::Postgres => {
                let file = format!("{}.dump", m.context);
                let target = dir.join(&file);
                let target = target.to_string_lossy();
                let schema = schema_of(&db).await?;
                run(
                    "pg_dump",
                    m.context,
                    &[
                        "--format=custom",
                        "--no-owner",
                        "--schema",
                        &schema,
                        "--file",
                        &target,
                        "--dbname",
                        cfg.url_for(m.context),
                    ],
                )
                .await?;
                file
            }
        };
        db.close().await;
        contexts_out.push(ContextBackup {
            context: m.context.to_owned(),
            file,
            tables,
        });
    }
    let manifest = Manifest {
        created_at: chrono::Utc::now().to_rfc3339(),
        backend: backend.map(backend_name).unwrap_or("sqlite").to_owned(),
        contexts: contexts_out,
    };
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| BackupError::Io(format!("manifest: {e}")))?;
    std::fs::write(&path, text).map_err(|e| io("cannot write", &path, e))?;
    Ok(manifest)
}

/// Restores every context from `dir` over the current databases, then
/// checks each table's row count against the manifest. Stop the servers
/// first: a SQLite file is replaced, a PostgreSQL schema dropped and
/// recreated.
pub async fn restore(cfg: &DbConfig, dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| BackupError::NoManifest(dir.display().to_string()))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| BackupError::Io(format!("{}: {e}", path.display())))?;
    for m in contexts() {
        let Some(c) = manifest.contexts.iter().find(|c| c.context == m.context) else {
            continue;
        };
        let db = Db::open_unmigrated(cfg, m.context).await?;
        let here = backend_name(db.backend());
        if here != manifest.backend {
            return Err(BackupError::Backend {
                found: manifest.backend.clone(),
                expected: here.to_owned(),
            });
        }
        let source: PathBuf = dir.join(&c.file);
        match db.backend() {
            Backend::Sqlite => {
                let target = PathBuf::from(db.location());
                db.close().await;
                for suffix in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", target.display()));
                    if side.exists() {
                        std::fs::remove_file(&side).map_err(|e| io("cannot remove", &side, e))?;
                    }
                }
                std::fs::copy(&source, &target).map_err(|e| io("cannot restore", &source, e))?;
            }
            Backend::Postgres => {
                let schema = schema_of(&db).await?;
                // Drop the schema whole so objects created after the
                // backup go too; pg_restore recreates it.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {} CASCADE",
                    quote_ident(&schema)
                )))
                .execute(db.pool())
                .await
                .map_err(sql_err(&db))?;
                db.close().await;
                run(
                    "pg_restore",
                    m.context,
                    &[
                        "--no-owner",
                        "--exit-on-error",
                        "--dbname",
                        cfg.url_for(m.context),
                        &source.to_string_lossy(),
                    ],
                )
                .await?;
            }
        }
        let db = Db::open_unmigrated(cfg, m.context).await?;
        let now = table_counts(&db).await?;
        db.close().await;
        for (table, expected) in &c.tables {
            let found = now.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n);
            if found != *expected {
                return Err(BackupError::Mismatch {
                    context: c.context.clone(),
                    table: table.clone(),
                    expected: *expected,
                    found,
                });
            }
        }
    }
    Ok(manifest)
}
