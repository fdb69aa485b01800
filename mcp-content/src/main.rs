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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = Runtime::start("mcp-content", &cli.common).await?;
    let db = rt.open(&mcp_content::MIGRATIONS).await?;
    let svc = mcp_content::ContentService::new(mcp_content::store::ContentStore::new(db.clone()));
    let server = mcp_content::ContentServer::new(
        svc,
        rt.config.tenant.clone(),
        rt.auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
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
