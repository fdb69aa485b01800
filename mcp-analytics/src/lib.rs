//! PromptSales portal data: the warehouse, its delta pipeline and its questions.

pub mod domain;
pub mod fx;
pub mod fx_provider;
pub mod llm;
pub mod mcp;
pub mod query;
pub mod report;
pub mod service;
pub mod sync;
pub mod usage;

pub use mcp::AnalyticsServer;
pub use service::AnalyticsService;

use promptsales_server::app::Runtime;
use promptsales_shared::db::DbError;

/// Opens the warehouse (the one context this server owns and migrates) and
/// the sources it reads through their read crates — the catalogue, ads and
/// CRM databases, never migrated here — and builds the service.
pub async fn open(rt: &Runtime) -> Result<AnalyticsService, DbError> {
    let warehouse = rt.own(&analytics_read::MIGRATIONS).await?;
    let sources = sync::Sources::new(
        rt.read(&promptsales_catalog::SCHEMA).await?,
        rt.read(&ads_read::SCHEMA).await?,
        rt.read(&crm_read::SCHEMA).await?,
    );
    let catalog = sources.catalog.clone();
    let syncer = sync::Syncer::new(sources, warehouse.clone());
    Ok(AnalyticsService::new(
        catalog,
        warehouse,
        syncer,
        rt.cache.clone(),
        rt.config.llm.clone(),
    ))
}
