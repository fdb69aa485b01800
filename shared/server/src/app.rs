//! Start-up common to every binary: configuration, telemetry, the cache,
//! the databases of the context a process owns and of those it reads, and
//! the audit writer.

use promptsales_shared::audit::AuditLog;
use promptsales_shared::cache::Cache;
use promptsales_shared::config::{CommonArgs, Config, ConfigError};
use promptsales_shared::db::{Db, DbError, Migrations, ReadSchema};

use crate::auth::Principal;
use crate::server::Auditor;

/// Why a process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What every server and the CLI share once started.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub server: &'static str,
    pub config: Config,
    pub cache: Cache,
}

impl Runtime {
    /// Resolves configuration, installs logging and opens the cache.
    pub async fn start(server: &'static str, args: &CommonArgs) -> Result<Self, StartError> {
        let config = args.resolve()?;
        crate::telemetry::init(config.log_format, &config.log_filter, server);
        crate::metrics::global().set_server(server);
        let cache = Cache::from_config(&config.cache);
        tracing::debug!(server, cache = cache.backend_name(), "runtime ready");
        Ok(Self {
            server,
            config,
            cache,
        })
    }

    /// The context this process owns: migrated at start unless
    /// `PROMPTSALES_MIGRATE=off`, which only checks its version.
    pub async fn own(&self, migrations: &Migrations) -> Result<Db, DbError> {
        let db = Db::open(&self.config.db, migrations).await?;
        tracing::debug!(server = self.server, context = migrations.context, db = %db.location(), "own context ready");
        Ok(db)
    }

    /// Another context, read through its read crate: never migrated here;
    /// an older schema than the reader needs stops the start with the
    /// command to run.
    pub async fn read(&self, schema: &ReadSchema) -> Result<Db, DbError> {
        Db::open_reader(&self.config.db, schema).await
    }

    /// The audit writer of this process, into the audit log of the
    /// context it owns.
    pub fn auditor(&self, own: &Db) -> Auditor {
        Auditor::spawn(
            AuditLog::new(own.clone()),
            self.server,
            self.local_principal(),
            self.config.audit_retention_days,
        )
    }

    /// Who acts over stdio and in the CLI.
    pub fn local_principal(&self) -> Principal {
        Principal::local(&self.config)
    }
}
