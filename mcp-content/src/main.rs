//! `mcp-content`: the content MCP server binary.

use clap::Parser;
use promptsales_shared::app::Runtime;
use promptsales_shared::config::CommonArgs;
use promptsales_shared::server::{Readiness, ServeArgs, run};

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
    let db = rt.open(&mcp_content::MIGRATIONS).await?;
    let svc = mcp_content::ContentService::new(mcp_content::store::ContentStore::new(db.clone()))
        .with_cache(rt.cache.clone())
        .with_llm(rt.config.llm.clone())
        .with_images(images, rt.config.data_dir.clone());
    let server = mcp_content::ContentServer::new(
        svc,
        rt.config.local_principal(),
        rt.auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?
    .with_catalog(rt.catalog.clone());
    let readiness = Readiness {
        dbs: vec![rt.core.clone(), db],
        cache: Some(rt.cache.clone()),
    };
    run(
        "mcp-content",
        &cli.serve,
        readiness,
        Some(rt.auditor.clone()),
        move || server.clone(),
    )
    .await?;
    Ok(())
}
