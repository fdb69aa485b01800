//! Opens every context's repository the CLI writes through.

use mcp_ads::store::AdsStore;
use mcp_crm::store::CrmStore;
use promptsales_shared::AppError;
use promptsales_shared::app::Runtime;
use promptsales_shared::catalog::store::CatalogStore;
use promptsales_shared::db::DbError;
use promptsales_shared::domain::TenantId;

/// The repositories of the sub-companies, each on its own database.
#[derive(Clone, Debug)]
pub struct Stores {
    pub tenant: TenantId,
    pub catalog: CatalogStore,
    pub ads: AdsStore,
    pub crm: CrmStore,
}

impl Stores {
    pub async fn open(rt: &Runtime) -> Result<Self, DbError> {
        let ads = rt.open(&mcp_ads::MIGRATIONS).await?;
        let crm = rt.open(&mcp_crm::MIGRATIONS).await?;
        Ok(Self {
            tenant: rt.config.tenant.clone(),
            catalog: rt.catalog.clone(),
            ads: AdsStore::new(ads),
            crm: CrmStore::new(crm),
        })
    }

    /// Row counts of every table, read back from the databases.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>, AppError> {
        let mut all = self.catalog.counts(&self.tenant).await?;
        all.extend(self.ads.counts(&self.tenant).await?);
        all.extend(self.crm.counts(&self.tenant).await?);
        Ok(all)
    }
}
