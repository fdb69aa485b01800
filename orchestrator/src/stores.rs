//! The contexts the admin commands (`seed`, `import`, `counts`, the bench's touch) write and read through each context's read crate — never its server.

use ads_read::{AdsImport, AdsReader};
use crm_read::{CrmImport, CrmReader};
use promptsales_catalog::{CatalogReader, CatalogWriter};
use promptsales_shared::AppError;
use promptsales_shared::config::Config;
use promptsales_shared::db::{Db, DbError};
use promptsales_shared::domain::TenantId;

/// The catalogue's, the ads' and the CRM's import writers and readers, each
/// on its own database.
#[derive(Clone, Debug)]
pub struct Stores {
    pub tenant: TenantId,
    pub catalog: CatalogWriter,
    pub catalog_read: CatalogReader,
    pub ads: AdsImport,
    pub ads_read: AdsReader,
    pub crm: CrmImport,
    pub crm_read: CrmReader,
    /// The analytics warehouse (its `fx_rates`).
    pub analytics: Db,
}

impl Stores {
    /// Opens the contexts these commands write, bringing each up to date
    /// first as `promptsales migrate` would ([`Db::open`]: migrated unless
    /// `PROMPTSALES_MIGRATE=off`, which only checks the version).
    pub async fn open(config: &Config) -> Result<Self, DbError> {
        let core = Db::open(&config.db, &promptsales_catalog::MIGRATIONS).await?;
        let ads = Db::open(&config.db, &ads_read::MIGRATIONS).await?;
        let crm = Db::open(&config.db, &crm_read::MIGRATIONS).await?;
        let analytics = Db::open(&config.db, &analytics_read::MIGRATIONS).await?;
        Ok(Self {
            tenant: config.tenant.clone(),
            catalog: CatalogWriter::new(core.clone()),
            catalog_read: CatalogReader::new(core),
            ads: AdsImport::new(ads.clone()),
            ads_read: AdsReader::new(ads),
            crm: CrmImport::new(crm.clone()),
            crm_read: CrmReader::new(crm),
            analytics,
        })
    }

    /// Row counts of every table, read back from the databases.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>, AppError> {
        let mut all = self.catalog_read.counts(&self.tenant).await?;
        all.extend(self.ads.counts(&self.tenant).await?);
        all.extend(self.crm.counts(&self.tenant).await?);
        Ok(all)
    }
}
