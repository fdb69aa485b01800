//! `mcp-crm`: the CRM MCP server binary. It migrates only the crm context
//! (its audit log included) and reads no other context.

use anyhow::Context;
use clap::Parser;
use promptsales_server::app::Runtime;
use promptsales_server::server::{Readiness, ServeArgs, Transport, run_with_routes};
use promptsales_shared::config::CommonArgs;
use promptsales_shared::db::Backend;

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
    let db = rt.own(&crm_read::MIGRATIONS).await?;
    let auditor = rt.auditor(&db);
    let key = mcp_crm::crypto::resolve_key(
        std::env::var(mcp_crm::crypto::KEY_VAR).ok().as_deref(),
        db.backend() == Backend::Postgres,
        &rt.config.data_dir,
    )?;
    let crypto = mcp_crm::crypto::Crypto::new(&key).context("encryption key")?;
    let connector = mcp_crm::connector::Connector::with_whatsapp(
        mcp_crm::connector::WhatsappConfig::from_env(),
    );
    let svc = mcp_crm::CrmService::new(mcp_crm::store::CrmStore::new(db.clone()), crypto)
        .with_connector(connector)
        .with_llm(rt.config.llm.clone());
    let hook = mcp_crm::webhook::WebhookConfig::from_env().map_err(anyhow::Error::msg)?;
    if hook.is_some() && cli.serve.transport == Transport::Http {
        tracing::info!(path = mcp_crm::webhook::PATH, "WhatsApp webhook enabled");
    }
    let routes = mcp_crm::webhook::router(
        svc.clone(),
        rt.cache.clone(),
        rt.config.tenant.clone(),
        hook,
    );
    let server = mcp_crm::CrmServer::new(
        svc,
        rt.local_principal(),
        auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
    let readiness = Readiness {
        dbs: vec![db],
        cache: Some(rt.cache.clone()),
    };
    run_with_routes(
        "mcp-crm",
        &cli.serve,
        readiness,
        Some(auditor),
        move || server.clone(),
        routes,
    )
    .await?;
    Ok(())
}
