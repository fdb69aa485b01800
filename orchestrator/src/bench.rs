//! `promptsales bench analytics`: latency percentiles and throughput of
//! `ask` and `query_metrics`, cached and uncached, in-process and through
//! MCP over streamable HTTP with concurrent sessions, plus full and delta
//! sync times. Prints a table; asserts nothing.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mcp_analytics::domain::spec::QuerySpec;
use mcp_analytics::service::AnalyticsService;
use promptsales_shared::AppError;
use promptsales_shared::domain::TenantId;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientLifecycleMode, serve_client_with_lifecycle};
use serde_json::{Value, json};

pub use promptsales_shared::bench::{Figures, print_table, summarise};

const QUESTIONS: &[&str] = &[
    "revenue by channel last quarter",
    "¿qué canal nos dio el mejor ROAS en México el trimestre pasado?",
    "leads by country last month",
    "gasto por canal este año",
    "top 5 campaigns by revenue last quarter",
];

/// A typical dashboard query: spend, revenue and ROAS by channel for the
/// last quarter (tens of rows over ~150k ad rows and their sales).
fn spec() -> QuerySpec {
    serde_json::from_value(json!({
        "metrics": ["spend", "revenue", "roas"],
        "dimensions": ["channel"],
        "time_range": {"type": "relative", "period": "last_quarter"}
    }))
    .unwrap_or_default()
}

/// In-process latencies, cached and with the result cache off.
pub async fn in_process(
    svc: &AnalyticsService,
    tenant: &TenantId,
    as_of: NaiveDate,
    n: usize,
) -> Result<Vec<Figures>, AppError> {
    let mut out = Vec::new();
    // Warm the cache for the cached runs (and the name index for all).
    for q in QUESTIONS {
        svc.ask(tenant, q, Some(as_of), None).await?;
    }
    svc.query_metrics(tenant, spec(), Some(as_of)).await?;
    let uncached_svc = svc.without_result_cache();
    for cached in [false, true] {
        let svc = if cached { svc } else { &uncached_svc };
        let mut lat = Vec::with_capacity(n);
        let start = Instant::now();
        for i in 0..n {
            let day = as_of;
            let q = QUESTIONS[i % QUESTIONS.len()];
            let t = Instant::now();
            svc.ask(tenant, q, Some(day), None).await?;
            lat.push(t.elapsed());
        }
        out.push(summarise(
            format!(
                "ask in-process {}",
                if cached { "cached" } else { "uncached" }
            ),
            lat,
            start.elapsed(),
        ));
        let mut lat = Vec::with_capacity(n);
        let start = Instant::now();
        for _ in 0..n {
            let day = as_of;
            let t = Instant::now();
            svc.query_metrics(tenant, spec(), Some(day)).await?;
            lat.push(t.elapsed());
        }
        out.push(summarise(
            format!(
                "query_metrics in-process {}",
                if cached { "cached" } else { "uncached" }
            ),
            lat,
            start.elapsed(),
        ));
    }
    Ok(out)
}

/// A running `mcp-analytics --transport http` next to this binary.
pub struct Server {
    child: tokio::process::Child,
    pub url: String,
}

impl Server {
    pub async fn start(port: u16, result_cache: bool) -> anyhow::Result<Self> {
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

/// Changes 1 % of the ad rows and sales at the source (conversions + 1, amount
/// + 1 cent), for the delta-sync measurement. Returns rows changed.
pub async fn touch_one_percent(stores: &crate::stores::Stores) -> Result<u64, AppError> {
    let t = &stores.tenant;
    let mut changed = 0;
    let mut after: Option<promptsales_shared::delta::Watermark> = None;
    let mut batch = Vec::new();
    let mut i = 0u64;
    loop {
        let page = stores
            .ads
            .ad_daily_changed_since(t, after.as_ref(), 20_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(promptsales_shared::delta::Watermark {
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
    let mut after: Option<promptsales_shared::delta::Watermark> = None;
    let mut sales = Vec::new();
    let mut i = 0u64;
    loop {
        let page = stores
            .crm
            .sales_changed_since(t, after.as_ref(), 20_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(promptsales_shared::delta::Watermark {
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
