//! `mcp-ads`: the ads MCP server binary.

use std::sync::Arc;

use clap::Parser;
use mcp_ads::readers::{ContentAssets, CrmAudiences};
use mcp_content::read::AssetReader;
use mcp_crm::read::CrmReader;
use promptsales_shared::app::Runtime;
use promptsales_shared::config::CommonArgs;
use promptsales_shared::server::{Readiness, ServeArgs, run};

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
    let db = rt.open(&mcp_ads::MIGRATIONS).await?;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let caps = mcp_ads::caps::SpendCaps::from_lookup(&env)?;
    let svc = mcp_ads::AdsService::new(mcp_ads::store::AdsStore::new(db.clone()))
        .with_connectors(mcp_ads::connectors::Connectors::from_env())
        .with_caps(caps)
        .with_catalog(rt.catalog.clone())
        .with_audiences(Arc::new(CrmAudiences(CrmReader::new(
            rt.open(&mcp_crm::MIGRATIONS).await?,
        ))))
        .with_content(Arc::new(ContentAssets(AssetReader::new(
            rt.open(&mcp_content::MIGRATIONS).await?,
        ))));
    let server = mcp_ads::AdsServer::new(
        svc,
        rt.config.local_principal(),
        rt.auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
    let readiness = Readiness {
        dbs: vec![rt.core.clone(), db],
        cache: Some(rt.cache.clone()),
    };
    run(
        "mcp-ads",
        &cli.serve,
        readiness,
        Some(rt.auditor.clone()),
        move || server.clone(),
    )
    .await?;
    Ok(())
}
