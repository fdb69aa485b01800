//! `mcp-crm`: the CRM MCP server binary. It migrates only the crm context
//! (its audit log included) and reads the catalog (`core`: clients' time
//! zones and plans) after checking its version. `mcp-crm rotate-key` moves
//! the personal data and the connections' credentials to a new key.

use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mcp_crm::crypto::{self, Crypto};
use promptsales_server::app::Runtime;
use promptsales_server::server::{Readiness, ServeArgs, Transport, run_with_routes};
use promptsales_shared::audit::{AuditEntry, AuditLog, Intent};
use promptsales_shared::config::CommonArgs;
use promptsales_shared::db::{Backend, Db};
use promptsales_shared::scope::Scope;

#[derive(Parser)]
#[command(name = "mcp-crm", version, about = "PromptCRM MCP server")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Re-encrypt every lead's personal data under PROMPTSALES_ENCRYPTION_KEY
    /// (reading values still under PROMPTSALES_ENCRYPTION_KEY_OLD, or in an
    /// older format) and rebuild the blind indexes, in batches; idempotent
    /// and resumable. Needs the `admin` scope (PROMPTSALES_SCOPES=admin).
    RotateKey {
        /// Leads per batch (one transaction each).
        #[arg(long, default_value_t = mcp_crm::rotate::DEFAULT_BATCH)]
        batch: i64,
    },
}

/// The keys of this process: the current one, and the previous one while a
/// rotation is unfinished.
fn keys(rt: &Runtime, db: &Db) -> anyhow::Result<Crypto> {
    let key = crypto::resolve_key(
        std::env::var(crypto::KEY_VAR).ok().as_deref(),
        db.backend() == Backend::Postgres,
        &rt.config.data_dir,
    )?;
    let mut c = Crypto::new(&key).context("encryption key")?;
    if let Some(old) = crypto::parse_old_key(std::env::var(crypto::OLD_KEY_VAR).ok().as_deref())? {
        c = c.with_previous(&old).context("previous encryption key")?;
        if c.has_previous() {
            tracing::info!(
                key_id = c.key_id(),
                "{} set: values under the previous key are read until `mcp-crm rotate-key` moves them",
                crypto::OLD_KEY_VAR
            );
        }
    }
    Ok(c)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = Runtime::start("mcp-crm", &cli.common).await?;
    let db = rt.own(&crm_read::MIGRATIONS).await?;
    if let Some(Command::RotateKey { batch }) = cli.command {
        return rotate_key(&rt, &db, batch).await;
    }
    let catalog = rt.read(&promptsales_catalog::SCHEMA).await?;
    let auditor = rt.auditor(&db);
    let crypto = keys(&rt, &db)?;
    // Clients' own numbers (connections) and the environment's default
    // account (the single-client shortcut) reach the same API.
    // A Graph version below the floor stops the server here, naming the
    // variable, rather than failing the first send.
    let default = mcp_crm::connector::WhatsappConfig::from_env()
        .map_err(anyhow::Error::msg)?
        .map(|c| mcp_crm::connector::WhatsappAccount {
            phone_number_id: c.phone_number_id,
            token: c.token,
            waba_id: c.waba_id,
        });
    let api = mcp_crm::connector::WhatsappApi::from_env().map_err(anyhow::Error::msg)?;
    let connector = mcp_crm::connector::Connector::new(api, default)?;
    let svc = mcp_crm::CrmService::new(mcp_crm::store::CrmStore::new(db.clone()), crypto)
        .with_connector(connector)
        .with_llm(rt.config.llm.clone())
        .with_catalog(promptsales_catalog::CatalogReader::new(catalog.clone()));
    let hook = mcp_crm::webhook::WebhookConfig::from_env().map_err(anyhow::Error::msg)?;
    if cli.serve.transport == Transport::Http {
        tracing::info!(
            path = mcp_crm::webhook::PATH,
            default_number = hook.is_some(),
            "WhatsApp webhook: clients' connected numbers, and the environment's default number when configured"
        );
    }
    let routes = mcp_crm::webhook::router(
        svc.clone(),
        rt.cache.clone(),
        rt.config.tenant.clone(),
        hook,
    );
    let server = mcp_crm::CrmServer::new(
        svc,
        auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
    let readiness = Readiness {
        dbs: vec![db, catalog],
        cache: Some(rt.cache.clone()),
        ..Default::default()
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

/// `rotate-key`: checks the local actor holds `admin`, leaves an intent
/// row in the audit log, rotates, completes the row and prints the report
/// (JSON); an unfinished rotation exits non-zero.
async fn rotate_key(rt: &Runtime, db: &Db, batch: i64) -> anyhow::Result<()> {
    let who = rt.local_principal();
    who.require(Scope::Admin)
        .map_err(|e| anyhow::anyhow!("rotate-key: {e} (run it with PROMPTSALES_SCOPES=admin)"))?;
    let crypto = keys(rt, db)?;
    if !crypto.has_previous() {
        tracing::info!(
            "{} not set: values in older formats are re-encrypted under the current key",
            crypto::OLD_KEY_VAR
        );
    }
    let log = AuditLog::new(db.clone());
    let tenant = who.tenant.to_string();
    let mut entry = AuditEntry {
        actor: &who.subject,
        tenant: &tenant,
        server: "mcp-crm",
        tool: "cli:rotate-key",
        outcome: "running",
        error_kind: None,
        error_ref: None,
        latency_us: 0,
    };
    let intent = log
        .begin(&entry, &Intent::default())
        .await
        .context("rotate-key: the audit log cannot record the rotation; nothing was done")?;
    let started = Instant::now();
    let store = mcp_crm::store::CrmStore::new(db.clone());
    let result = mcp_crm::rotate::rotate(&store, &crypto, batch).await;
    entry.latency_us = started.elapsed().as_micros() as i64;
    entry.outcome = match &result {
        Ok(r) if r.complete() => "ok",
        _ => "tool_error",
    };
    entry.error_kind = match &result {
        Ok(r) if r.complete() => None,
        Ok(_) => Some("unfinished"),
        Err(e) => Some(e.kind()),
    };
    if let Err(e) = log.finish(intent, &entry).await {
        tracing::warn!(error = %e, "rotate-key: audit row not completed");
    }
    let report = result.context("rotate-key")?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.complete() {
        anyhow::bail!(
            "rotate-key: {} lead(s) failed and {} changed during the run; fix what the log names and run it again (it resumes)",
            report.failed,
            report.changed_during_run
        );
    }
    Ok(())
}
