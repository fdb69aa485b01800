//! `promptsales bench analytics`: latency percentiles and throughput of
//! `ask` and `query_metrics`, cached and uncached, through MCP over
//! streamable HTTP with concurrent sessions, plus full and delta sync times
//! through the server's `sync` tool. Prints a table; asserts nothing. (The
//! in-process figures are `mcp-analytics`'s own cargo bench.)

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use promptsales_shared::AppError;
use promptsales_shared::delta::Watermark;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientLifecycleMode, serve_client_with_lifecycle};
use serde_json::{Value, json};

pub use promptsales_shared::bench::{Figures, print_table, summarise};

use crate::client::{Endpoint, HubConfig, ServerSpec};
use crate::stores::Stores;
use crate::sync::{SYNC_TIMEOUT, SyncReport};

const QUESTIONS: &[&str] = &[
    "revenue by channel last quarter",
    "¿qué canal nos dio el mejor ROAS en México el trimestre pasado?",
    "leads by country last month",
    "gasto por canal este año",
    "top 5 campaigns by revenue last quarter",
];

/// A typical dashboard query: spend, revenue and ROAS by channel for the
/// last quarter (tens of rows over ~150k ad rows and their sales).
fn spec() -> Value {
    json!({
        "metrics": ["spend", "revenue", "roas"],
        "dimensions": ["channel"],
        "time_range": {"type": "relative", "period": "last_quarter"}
    })
}

/// A running `mcp-analytics --transport http` next to this binary.
pub struct Server {
    child: tokio::process::Child,
    pub url: String,
}

impl Server {
    /// Starts the server on `port` with `env` (the command's configuration,
    /// see [`crate::client::config::forwarded_env`]).
    pub async fn start(
        port: u16,
        result_cache: bool,
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let bin: PathBuf = exe.with_file_name("mcp-analytics");
        let mut cmd = tokio::process::Command::new(&bin);
        cmd.args([
            "--transport",
            "http",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--sync-interval-secs",
            "0",
        ]);
        if !result_cache {
            cmd.arg("--no-result-cache");
        }
        let child = cmd
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PROMPTSALES_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{base}/healthz")).send().await
                && r.status().is_success()
            {
                return Ok(Self {
                    child,
                    url: format!("{base}/mcp"),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("mcp-analytics did not answer on {base}")
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// Runs the warehouse sync through this server's `sync` tool.
    pub async fn sync(&self) -> anyhow::Result<SyncReport> {
        let hub = crate::sync::connect(HubConfig {
            servers: vec![ServerSpec {
                name: "analytics".into(),
                endpoint: Endpoint::Http {
                    url: self.url.clone(),
                    token: None,
                },
                env: Vec::new(),
            }],
            call_timeout: SYNC_TIMEOUT,
            max_restarts: 1,
            http: crate::client::config::http_client(None)?,
        })
        .await?;
        let report = crate::sync::sync(&hub).await;
        hub.shutdown().await;
        report
    }
}

/// Latencies through MCP over HTTP with `sessions` concurrent clients,
/// each making `per_session` calls; `cached` says which server `url` is
/// (one with or one without the result cache).
pub async fn over_http(
    url: &str,
    sessions: usize,
    per_session: usize,
    tool: &'static str,
    cached: bool,
    as_of: NaiveDate,
) -> anyhow::Result<Figures> {
    let mut clients = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        let t = StreamableHttpClientTransport::from_uri(url.to_owned());
        let c = serve_client_with_lifecycle(
            (),
            t,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
            },
        )
        .await?;
        clients.push(Arc::new(c));
    }
    // Warm the cache for the cached scenario.
    let args_for = |i: usize, _s: usize| -> Value {
        let day = as_of;
        match tool {
            "ask" => json!({"question": QUESTIONS[i % QUESTIONS.len()], "as_of": day.to_string()}),
            _ => json!({"spec": spec(), "as_of": day.to_string()}),
        }
    };
    if cached {
        for i in 0..QUESTIONS.len() {
            let a = args_for(i, 0);
            clients[0]
                .call_tool(
                    CallToolRequestParams::new(tool)
                        .with_arguments(a.as_object().cloned().unwrap_or_default()),
                )
                .await?;
        }
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (s, c) in clients.iter().enumerate() {
        let c = c.clone();
        let calls: Vec<Value> = (0..per_session).map(|i| args_for(i, s)).collect();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(calls.len());
            for a in calls {
                let t = Instant::now();
                let r = c
                    .call_tool(
                        CallToolRequestParams::new(tool)
                            .with_arguments(a.as_object().cloned().unwrap_or_default()),
                    )
                    .await;
                match r {
                    Ok(r) if r.is_error != Some(true) => {}
                    Ok(r) => {
                        let text = r
                            .content
                            .first()
                            .and_then(|c| c.as_text())
                            .map(|t| t.text.clone());
                        return Err(anyhow::anyhow!(
                            "{tool} answered an error: {}",
                            text.unwrap_or_default()
                        ));
                    }
                    Err(e) => return Err(anyhow::anyhow!("{tool} failed: {e}")),
                }
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let wall = start.elapsed();
    for c in clients {
        if let Ok(c) = Arc::try_unwrap(c) {
            let _ = c.cancel().await;
        }
    }
    Ok(summarise(
        format!(
            "{tool} HTTP {} {} session{}",
            if cached { "cached" } else { "uncached" },
            sessions,
            if sessions == 1 { "" } else { "s" }
        ),
        lat,
        wall,
    ))
}

/// Changes 1 % of the ad rows and sales at the source (one more conversion,
/// one more cent), for the delta-sync measurement, through the ads' and
/// CRM's readers and import writers. Returns rows changed.
pub async fn touch_one_percent(stores: &Stores) -> Result<u64, AppError> {
    let t = &stores.tenant;
    let mut changed = 0;
    let mut after: Option<Watermark> = None;
    let mut batch = Vec::new();
    let mut i = 0u64;
    loop {
        let page = stores
            .ads_read
            .ad_daily_changed_since(t, after.as_ref(), 20_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(Watermark {
            updated_at: last.updated_at.clone(),
            id: last.id.clone(),
        });
        for c in page {
            i += 1;
            if i.is_multiple_of(100) {
                let mut row = c.row;
                row.conversions += 1;
                batch.push(row);
            }
        }
    }
    changed += stores.ads.upsert_ad_daily(t, &batch).await?;
    let mut after: Option<Watermark> = None;
    let mut sales = Vec::new();
    let mut i = 0u64;
    loop {
        let page = stores
            .crm_read
            .sales_changed_since(t, after.as_ref(), 20_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(Watermark {
            updated_at: last.updated_at.clone(),
            id: last.id.clone(),
        });
        for c in page {
            i += 1;
            if i.is_multiple_of(100) {
                let mut s = c.row;
                s.amount_cents += 1;
                sales.push(s);
            }
        }
    }
    changed += stores.crm.upsert_sales(t, &sales).await?;
    Ok(changed)
}
