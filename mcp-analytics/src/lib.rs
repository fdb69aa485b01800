//! PromptSales portal data: the warehouse, its delta pipeline and its questions.

pub mod domain;
pub mod llm;
pub mod mcp;
pub mod query;
pub mod report;
pub mod service;
pub mod sync;

use promptsales_shared::db::Migrations;
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Migrations of the `analytics` context.
pub static MIGRATIONS: Migrations = Migrations {
    context: "analytics",
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

pub use mcp::AnalyticsServer;
pub use service::AnalyticsService;

/// Opens the warehouse and the documented read paths of the sources (the
/// ads and CRM stores, the shared catalogue) and builds the service.
pub async fn open(
    rt: &promptsales_shared::app::Runtime,
) -> Result<AnalyticsService, promptsales_shared::db::DbError> {
    let warehouse = rt.open(&MIGRATIONS).await?;
    let ads = mcp_ads::store::AdsStore::new(rt.open(&mcp_ads::MIGRATIONS).await?);
    let crm = mcp_crm::store::CrmStore::new(rt.open(&mcp_crm::MIGRATIONS).await?);
    let syncer = sync::Syncer::new(
        sync::Sources {
            catalog: rt.catalog.clone(),
            ads,
            crm,
        },
        warehouse.clone(),
    );
    Ok(AnalyticsService::new(
        rt.catalog.clone(),
        warehouse,
        syncer,
        rt.cache.clone(),
        rt.config.llm.clone(),
    ))
}
