//! Start-up common to every binary: configuration, telemetry, cache, the
//! `core` database and the audit writer.

use crate::cache::Cache;
use crate::catalog::audit::AuditLog;
use crate::catalog::store::CatalogStore;
use crate::config::{CommonArgs, Config, ConfigError};
use crate::db::{Db, DbError};
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
    pub config: Config,
    pub cache: Cache,
    pub core: Db,
    pub catalog: CatalogStore,
    pub auditor: Auditor,
}

impl Runtime {
    /// Resolves configuration, installs logging, opens the cache and the
    /// `core` database (running its migrations).
    pub async fn start(server: &'static str, args: &CommonArgs) -> Result<Self, StartError> {
        let config = args.resolve()?;
        crate::telemetry::init(config.log_format, &config.log_filter);
        let cache = Cache::from_config(&config.cache);
        let core = Db::open(&config.db, &crate::catalog::MIGRATIONS).await?;
        let auditor = Auditor::spawn(AuditLog::new(core.clone()), server, config.tenant.as_str())
            .with_actor(&config.actor);
        tracing::debug!(server, db = %core.location(), cache = cache.backend_name(), "runtime ready");
        Ok(Self {
            catalog: CatalogStore::new(core.clone()),
            config,
            cache,
            core,
            auditor,
        })
    }

    /// Opens (and migrates) another bounded context's database.
    pub async fn open(&self, migrations: &crate::db::Migrations) -> Result<Db, DbError> {
        Db::open(&self.config.db, migrations).await
    }
}
