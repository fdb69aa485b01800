//! `mcp-crm`: the CRM MCP server binary.

use clap::Parser;
use promptsales_shared::app::Runtime;
use promptsales_shared::config::CommonArgs;
use promptsales_shared::server::{Readiness, ServeArgs, run};

#[derive(Parser)]
#[command(name = "mcp-crm", version, about = "PromptCRM MCP server")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = Runtime::start("mcp-crm", &cli.common).await?;
    let db = rt.open(&mcp_crm::MIGRATIONS).await?;
    let svc = mcp_crm::CrmService::new(mcp_crm::store::CrmStore::new(db.clone()));
    let server = mcp_crm::CrmServer::new(
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
        "mcp-crm",
        &cli.serve,
        readiness,
        Some(rt.auditor.clone()),
        move || server.clone(),
    )
    .await?;
    Ok(())
}
