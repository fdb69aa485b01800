//! `mcp-ads`: the ads MCP server binary. It migrates only the ads context
//! and reads CRM, content and the catalog through their read crates; the
//! master key seals its clients' platform credentials.

use std::sync::Arc;

use clap::Parser;
use content_read::AssetReader;
use crm_read::CrmReader;
use mcp_ads::readers::{ContentAssets, CrmAudiences};
use promptsales_catalog::CatalogReader;
use promptsales_server::app::Runtime;
use promptsales_server::server::{Readiness, ServeArgs, Transport, run_with_routes};
use promptsales_shared::config::CommonArgs;
use promptsales_shared::crypto::{self, Crypto, KeyError};
use promptsales_shared::db::{Backend, Db};

#[derive(Parser)]
#[command(name = "mcp-ads", version, about = "PromptAds MCP server")]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    serve: ServeArgs,
}

/// The key that seals clients' platform credentials (the deployment's one
/// master key; the SQLite development key where none is set). Without a key
/// on PostgreSQL the server still starts: connections without credentials
/// work and `set_connection` says what to set. A malformed key stops it.
fn keys(rt: &Runtime, db: &Db) -> anyhow::Result<Option<Crypto>> {
    let env = |k: &str| std::env::var(k).ok();
    let key = match crypto::resolve_key(
        env(crypto::KEY_VAR).as_deref(),
        db.backend() == Backend::Postgres,
        &rt.config.data_dir,
    ) {
        Ok(k) => k,
        Err(KeyError::Missing) => {
            tracing::warn!(
                "{} is not set: client connections cannot hold credentials on this server",
                crypto::KEY_VAR
            );
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let mut c = Crypto::new(&key)?;
    if let Some(old) = crypto::parse_old_key(env(crypto::OLD_KEY_VAR).as_deref())? {
        c = c.with_previous(&old)?;
    }
    Ok(Some(c))
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
    let mut svc = mcp_ads::AdsService::new(mcp_ads::store::AdsStore::new(db.clone()))
        .with_connectors(mcp_ads::connectors::Connectors::from_env())
        .with_caps(settings.caps)
        .with_launch_claim_ttl(settings.launch_claim_ttl)
        .with_catalog(CatalogReader::new(catalog.clone()))
        .with_audiences(Arc::new(CrmAudiences(CrmReader::new(crm))))
        .with_content(Arc::new(ContentAssets(AssetReader::new(content))));
    let crypto = keys(&rt, &db)?;
    if let Some(c) = crypto.clone() {
        svc = svc.with_crypto(c);
    }
    // Twilio status callbacks: mounted when a public URL is configured
    // (Twilio signs that URL; without it no signature can be checked).
    let mut routes = axum::Router::new();
    if let Some(url) = env(mcp_ads::webhook::STATUS_CALLBACK_VAR) {
        let env_account = mcp_ads::connectors::TwilioConfig::from_lookup(&env)
            .ok()
            .map(|c| (c.account_sid, c.auth_token));
        let tokens = mcp_ads::webhook::ConfiguredTokens {
            env: env_account,
            store: mcp_ads::store::AdsStore::new(db.clone()),
            crypto,
            tenant: rt.config.tenant.clone(),
        };
        if cli.serve.transport == Transport::Http {
            tracing::info!(
                path = mcp_ads::webhook::PATH,
                "Twilio status callbacks: SMS carry StatusCallback and their statuses are recorded"
            );
        }
        routes =
            mcp_ads::webhook::router(db.clone(), rt.config.tenant.clone(), url, Arc::new(tokens));
    }
    let server = mcp_ads::AdsServer::new(
        svc,
        auditor.clone(),
        &cli.serve.toolsets,
        cli.serve.read_only,
    )?;
    let readiness = Readiness {
        dbs: vec![catalog, db],
        cache: Some(rt.cache.clone()),
        ..Default::default()
    };
    run_with_routes(
        "mcp-ads",
        &cli.serve,
        readiness,
        Some(auditor),
        move || server.clone(),
        routes,
    )
    .await?;
    Ok(())
}
