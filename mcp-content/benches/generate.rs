//! Offline `generate_content` for 5 channels × 3 variants: the engine alone,
//! the service call (engine + brand check + saving 15 draft assets on SQLite),
//! and the same call through MCP over stdio. Prints p50/p95/p99 and throughput.

use std::time::Instant;

use mcp_content::ContentService;
use mcp_content::domain::brief::BriefInput;
use mcp_content::domain::{Language, Placement};
use mcp_content::service::EngineChoice;
use mcp_content::store::ContentStore;
use promptsales_shared::bench::{Figures, print_table, summarise};
use promptsales_shared::config::DbConfig;
use promptsales_shared::db::Db;
use promptsales_shared::domain::TenantId;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};

const RUNS: usize = 300;

fn brief(i: usize) -> BriefInput {
    BriefInput {
        client_id: "cli_001".into(),
        product: format!("Café Andino Orgánico {}", i % 7),
        benefit: Some("empezar el día con un café más suave".into()),
        offer: Some("20 % de descuento en tu primer pedido".into()),
        audience: Some("amantes del café de especialidad".into()),
        channels: vec![
            Placement::GoogleAds,
            Placement::Instagram,
            Placement::Email,
            Placement::Sms,
            Placement::X,
        ],
        language: if i.is_multiple_of(2) {
            Language::Es
        } else {
            Language::En
        },
        keywords: vec!["café orgánico".into()],
        url: Some("https://andino.example/cafe".into()),
        variants: Some(3),
        ..Default::default()
    }
}

fn engine_only() -> anyhow::Result<Figures> {
    let mut lat = Vec::with_capacity(RUNS);
    let wall = Instant::now();
    for i in 0..RUNS {
        let t = Instant::now();
        let b = brief(i).parse()?;
        let mut n = 0;
        for p in &b.channels {
            for v in 0..3 {
                n += mcp_content::domain::offline::generate(&b, *p, v).map_or(0, |f| f.len());
            }
        }
        assert!(n > 0);
        lat.push(t.elapsed());
    }
    Ok(summarise(
        "offline engine only, 5 channels × 3 variants".into(),
        lat,
        wall.elapsed(),
    ))
}

async fn service_call(dir: &std::path::Path) -> anyhow::Result<Figures> {
    let cfg = DbConfig::new(format!("sqlite://{}/bench.db", dir.display()), "");
    let db = Db::open(&cfg, &mcp_content::MIGRATIONS).await?;
    let svc = ContentService::new(ContentStore::new(db));
    let tenant = TenantId::parse("default")?;
    let mut lat = Vec::with_capacity(RUNS);
    let wall = Instant::now();
    for i in 0..RUNS {
        let t = Instant::now();
        let g = svc
            .generate_content(&tenant, "bench", &brief(i), EngineChoice::Offline, None)
            .await?;
        assert_eq!(g.variants.len(), 15);
        lat.push(t.elapsed());
    }
    Ok(summarise(
        "generate_content in-process (15 drafts saved, SQLite)".into(),
        lat,
        wall.elapsed(),
    ))
}

async fn over_stdio(dir: &std::path::Path) -> anyhow::Result<Figures> {
    let data = dir.join("stdio");
    // The server reads the catalog but never migrates it: `promptsales
    // migrate` does, here this bench.
    let core = DbConfig::new(
        format!("sqlite://{}", data.join("promptsales.db").display()),
        "",
    );
    Db::migrate(&core, &promptsales_catalog::MIGRATIONS)
        .await?
        .close()
        .await;
    let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-content")).configure(|c| {
        c.env("PROMPTSALES_DATA_DIR", &data)
            .env("PROMPTSALES_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL");
    });
    let transport = TokioChildProcess::new(cmd)?;
    let client = ().serve(transport).await?;
    let mut lat = Vec::with_capacity(RUNS);
    let wall = Instant::now();
    for i in 0..RUNS {
        let mut args = serde_json::to_value(brief(i))?;
        args["engine"] = "offline".into();
        let t = Instant::now();
        let r = client
            .call_tool(
                CallToolRequestParams::new("generate_content")
                    .with_arguments(args.as_object().cloned().unwrap_or_default()),
            )
            .await?;
        assert_ne!(r.is_error, Some(true), "{r:?}");
        lat.push(t.elapsed());
    }
    let f = summarise(
        "generate_content over MCP stdio (15 drafts saved, SQLite)".into(),
        lat,
        wall.elapsed(),
    );
    let _ = client.cancel().await;
    Ok(f)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let rows = vec![
        engine_only()?,
        service_call(dir.path()).await?,
        over_stdio(dir.path()).await?,
    ];
    println!("mcp-content generate_content, {RUNS} calls per scenario");
    print_table(&rows);
    Ok(())
}
