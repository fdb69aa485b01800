//! `mcp-ads`: the ads MCP server binary. It migrates only the ads context
//! and reads CRM, content and the catalog through their read crates.

use std::sync::Arc;

use clap::Parser;
use content_read::AssetReader;
use crm_read::CrmReader;
use mcp_ads::readers::{ContentAssets, CrmAudiences};
use promptsales_catalog::CatalogReader;
use promptsales_server::app::Runtime;
use promptsales_server::server::{Readiness, ServeArgs, run};
use promptsales_shared::config::CommonArgs;

#[derive(Parser)]
#[command(name = "mcp-ads", version, about = "PromptAds MCP server")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = Runtime::start("mcp-ads", &cli.common).await?;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    // Caps and the production profile are checked before anything starts.
    let settings = mcp_ads::caps::AdsSettings::from_lookup(&env)?;
    let db = rt.own(&ads_read::MIGRATIONS).await?;
    let catalog = rt.read(&promptsales_catalog::SCHEMA).await?;
    let crm = rt.read(&crm_read::SCHEMA).await?;
    let content = rt.read(&content_read::SCHEMA).await?;
    let auditor = rt.auditor(&db);
    let svc = mcp_ads::AdsService::new(mcp_ads::store::AdsStore::new(db.clone()))
        .with_connectors(mcp_ads::connectors::Connectors::from_env())
        .with_caps(settings.caps)
        .with_launch_claim_ttl(settings.launch_claim_ttl)
        .with_catalog(CatalogReader::new(catalog.clone()))
        .with_audiences(Arc::new(CrmAudiences(CrmReader::new(crm))))
        .with_content(Arc::new(ContentAssets(AssetReader::new(content))));
    let server = mcp_ads::AdsServer::new(
        svc,
        auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
    let readiness = Readiness {
        dbs: vec![catalog, db],
        cache: Some(rt.cache.clone()),
    };
    run("mcp-ads", &cli.serve, readiness, Some(auditor), move || {
        server.clone()
    })
    .await?;
    Ok(())
}
