//! `mcp-analytics`: the analytics MCP server binary.

use clap::Parser;
use promptsales_shared::app::Runtime;
use promptsales_shared::config::CommonArgs;
use promptsales_shared::server::{Readiness, ServeArgs, run};

#[derive(Parser)]
#[command(
    name = "mcp-analytics",
    version,
    about = "PromptSales analytics MCP server"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = Runtime::start("mcp-analytics", &cli.common).await?;
    let db = rt.open(&mcp_analytics::MIGRATIONS).await?;
    let svc = mcp_analytics::AnalyticsService::new(rt.catalog.clone());
    let server = mcp_analytics::AnalyticsServer::new(
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
        "mcp-analytics",
        &cli.serve,
        readiness,
        Some(rt.auditor.clone()),
        move || server.clone(),
    )
    .await?;
    Ok(())
}
