//! The analytics warehouse sync, asked of the analytics server over MCP (the agent links no analytics code): reaching that server alone, calling its `sync` tool, and the report it returns.

use std::time::Duration;

use anyhow::Context;
use promptsales_shared::config::CommonArgs;
use serde::Deserialize;
use serde_json::json;

use crate::client::config::forwarded_env;
use crate::client::{CallOpts, Hub, HubConfig, Tools};

/// A full sync of a large history takes minutes, far beyond the hub's
/// default bound for a tool call; it is bounded all the same.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(3600);

/// What one source table of a sync did (the fields the CLI prints of the
/// `sync` tool's structured result).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TableReport {
    pub table: String,
    pub rows_read: u64,
    pub rows_written: u64,
}

/// What a sync did, as the analytics server's `sync` tool reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SyncReport {
    pub tables: Vec<TableReport>,
    /// The warehouse's data version after the run.
    pub data_version: i64,
    /// Whether the run changed the warehouse.
    pub changed: bool,
    pub duration_ms: u64,
}

/// Where the analytics server is: `PROMPTSALES_ANALYTICS_URL` (with its
/// token) when set, else `mcp-analytics` spawned beside `promptsales` with
/// this command's configuration.
pub fn analytics_config(args: &CommonArgs) -> anyhow::Result<HubConfig> {
    let mut config = HubConfig::from_lookup(&|k| match k {
        "PROMPTSALES_SERVERS" => Some("analytics".to_owned()),
        _ => std::env::var(k).ok(),
    })?;
    let env = forwarded_env(args);
    for server in &mut config.servers {
        server.env = env.clone();
    }
    Ok(config)
}

/// Connects to the analytics server alone; an unreachable one is an error
/// naming why.
pub async fn connect(config: HubConfig) -> anyhow::Result<Hub> {
    let hub = Hub::connect(config).await;
    if let Some((server, why)) = hub.unavailable.first() {
        let e = anyhow::anyhow!("the {server} server is unavailable: {why}");
        hub.shutdown().await;
        return Err(e);
    }
    Ok(hub)
}

/// Runs the warehouse sync through the analytics server's `sync` tool.
pub async fn sync(tools: &dyn Tools) -> anyhow::Result<SyncReport> {
    let opts = CallOpts {
        timeout: Some(SYNC_TIMEOUT),
        ..CallOpts::default()
    };
    let v = tools.call("analytics.sync", json!({}), opts).await?;
    serde_json::from_value(v.clone())
        .with_context(|| format!("the analytics server's sync answered an unexpected result: {v}"))
}

/// Spawns (or reaches) the analytics server, syncs, and disconnects.
pub async fn sync_once(args: &CommonArgs) -> anyhow::Result<SyncReport> {
    let hub = connect(analytics_config(args)?).await?;
    let report = sync(&hub).await;
    hub.shutdown().await;
    report
}

/// The report as the CLI prints it.
pub fn lines(r: &SyncReport) -> Vec<String> {
    let mut v = vec![
        format!(
            "synced in {} ms: data version {}{}",
            r.duration_ms,
            r.data_version,
            if r.changed { "" } else { " (nothing changed)" }
        ),
        format!("  {:<10} {:>9} {:>9}", "table", "read", "written"),
    ];
    for t in &r.tables {
        v.push(format!(
            "  {:<10} {:>9} {:>9}",
            t.table, t.rows_read, t.rows_written
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use futures::future::BoxFuture;
    use serde_json::Value;

    use super::*;
    use crate::client::{CallError, ToolInfo};

    /// Answers `analytics.sync` as the server does (extra fields included).
    struct Analytics(Value);

    impl Tools for Analytics {
        fn tools(&self) -> Vec<ToolInfo> {
            Vec::new()
        }
        fn call<'a>(
            &'a self,
            q: &'a str,
            _args: Value,
            opts: CallOpts,
        ) -> BoxFuture<'a, Result<Value, CallError>> {
            Box::pin(async move {
                assert_eq!(q, "analytics.sync");
                assert_eq!(opts.timeout, Some(SYNC_TIMEOUT));
                Ok(self.0.clone())
            })
        }
    }

    #[tokio::test]
    async fn the_sync_tools_result_is_read_and_printed() {
        let tools = Analytics(json!({
            "tables": [{"table": "ad_daily", "rows_read": 10, "rows_written": 7,
                        "watermark_before": null, "watermark_after": "x|y"}],
            "data_version": 3, "changed": true, "duration_ms": 12
        }));
        let r = sync(&tools).await.unwrap();
        assert_eq!(r.data_version, 3);
        let printed = lines(&r);
        assert_eq!(printed[0], "synced in 12 ms: data version 3");
        assert!(printed[2].contains("ad_daily") && printed[2].ends_with('7'));
        let e = sync(&Analytics(json!({"answer": "?"})))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("unexpected result"), "{e}");
    }

    #[test]
    fn only_the_analytics_server_is_reached() {
        let c = analytics_config(&CommonArgs {
            tenant: Some("acme".into()),
            ..CommonArgs::default()
        })
        .unwrap();
        assert_eq!(c.servers.len(), 1);
        assert_eq!(c.servers[0].name, "analytics");
        assert!(
            c.servers[0]
                .env
                .contains(&("PROMPTSALES_TENANT".to_owned(), "acme".to_owned()))
        );
    }
}
