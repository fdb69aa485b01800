//! `mcp-content`: the content MCP server binary.

use clap::Parser;
use promptsales_catalog::CatalogReader;
use promptsales_server::app::Runtime;
use promptsales_server::server::{Readiness, ServeArgs, run};
use promptsales_shared::config::CommonArgs;

#[derive(Parser)]
#[command(name = "mcp-content", version, about = "PromptContent MCP server")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    images: mcp_content::config::ImageArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = Runtime::start("mcp-content", &cli.common).await?;
    let images = cli.images.resolve(rt.config.llm.as_ref())?;
    // The only context this server migrates; the catalog is only read
    // (client names for completion, time zones and content plans), after
    // checking its schema version.
    let db = rt.own(&content_read::MIGRATIONS).await?;
    let catalog = rt.read(&promptsales_catalog::SCHEMA).await?;
    let auditor = rt.auditor(&db);
    let svc = mcp_content::ContentService::new(mcp_content::store::ContentStore::new(db.clone()))
        .with_catalog(CatalogReader::new(catalog.clone()))
        .with_cache(rt.cache.clone())
        .with_llm(rt.config.llm.clone())
        .with_images(images, rt.config.data_dir.clone());
    let server = mcp_content::ContentServer::new(
        svc,
        auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?
    .with_catalog(CatalogReader::new(catalog.clone()));
    let readiness = Readiness {
        dbs: vec![db, catalog],
        cache: Some(rt.cache.clone()),
        ..Default::default()
    };
    run(
        "mcp-content",
        &cli.serve,
        readiness,
        Some(auditor),
        move || server.clone(),
    )
    .await?;
    Ok(())
}
