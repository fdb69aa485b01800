//! Prometheus metrics of a server process, served at `/metrics`: tool calls
//! by tool and outcome, their latency, requests in flight, cache hits and
//! misses, database pool usage and (mcp-analytics) the sync lag.
//!
//! Label values come from closed sets only (the server's name, the tools it
//! publishes, three outcomes, context names, cache backends): never a
//! tenant, a client, a subject or anything a caller typed, so the endpoint
//! can be scraped without a token and a client cannot grow its cardinality.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use promptsales_shared::cache::Cache;
use promptsales_shared::db::Db;

/// The content type of the OpenMetrics text exposition `prometheus-client` writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a tool call ended, as counted.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum CallOutcome {
    /// The tool answered.
    Ok,
    /// Bad arguments, a tool error, a protocol error or an unknown tool.
    Error,
    /// The caller lacked the scope the tool declares.
    Denied,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Denied => "denied",
        }
    }
}

impl EncodeLabelValue for CallOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    server: &'static str,
    tool: String,
    outcome: CallOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    server: &'static str,
    tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    server: &'static str,
}

/// An async refresh run before each scrape (a value that needs a query).
type Probe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A scrape never waits longer than this for its probes.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Tool name used for a call to a tool this server does not publish (the
/// name is the caller's text: it never becomes a label value).
pub const UNKNOWN_TOOL: &str = "unknown";

/// The process's metrics (one server per process).
pub struct Metrics {
    registry: Registry,
    server: Arc<OnceLock<&'static str>>,
    calls: Family<CallLabels, Counter>,
    durations: Family<ToolLabels, Histogram>,
    in_flight: Family<ServerLabels, Gauge>,
    sync_lag: Family<ServerLabels, Gauge<f64, AtomicU64>>,
    sources: Arc<Sources>,
    probes: Mutex<Vec<Probe>>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn global() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("promptsales");
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by tool and outcome (ok, error, denied)",
            calls.clone(),
        );
        // 5 ms … ~41 s: a cached read to a slow model or platform call.
        let durations = Family::<ToolLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        registry.register_with_unit(
            "tool_call_duration",
            "Duration of tool calls",
            prometheus_client::registry::Unit::Seconds,
            durations.clone(),
        );
        let in_flight = Family::<ServerLabels, Gauge>::default();
        registry.register(
            "http_requests_in_flight",
            "MCP HTTP requests being served",
            in_flight.clone(),
        );
        let sync_lag = Family::<ServerLabels, Gauge<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "sync_lag",
            "Time since the warehouse's last successful sync (absent before the first)",
            prometheus_client::registry::Unit::Seconds,
            sync_lag.clone(),
        );
        let server = Arc::new(OnceLock::new());
        let sources = Arc::new(Sources {
            server: server.clone(),
            dbs: Mutex::default(),
            cache: Mutex::default(),
        });
        registry.register_collector(Box::new(sources.clone()));
        Self {
            registry,
            server,
            calls,
            durations,
            in_flight,
            sync_lag,
            sources,
            probes: Mutex::new(Vec::new()),
        }
    }

    /// Names the server every metric is labelled with (first call wins).
    pub fn set_server(&self, server: &'static str) {
        let _ = self.server.set(server);
        // Present at 0 from the start, so an autoscaler's query has a series.
        drop(self.in_flight.get_or_create(&ServerLabels {
            server: self.server(),
        }));
    }

    fn server(&self) -> &'static str {
        self.server.get().copied().unwrap_or("unknown")
    }

    /// Counts one tool call and, unless refused before it ran, its duration.
    pub fn tool_call(&self, tool: &str, outcome: CallOutcome, elapsed: Option<Duration>) {
        let server = self.server();
        self.calls
            .get_or_create(&CallLabels {
                server,
                tool: tool.to_owned(),
                outcome,
            })
            .inc();
        if let Some(d) = elapsed {
            self.durations
                .get_or_create(&ToolLabels {
                    server,
                    tool: tool.to_owned(),
                })
                .observe(d.as_secs_f64());
        }
    }

    /// MCP requests of this server in flight now (what a draining server
    /// waits for before it cancels its sessions).
    pub fn requests_in_flight(&self) -> i64 {
        self.in_flight
            .get_or_create(&ServerLabels {
                server: self.server(),
            })
            .get()
    }

    /// One more MCP request in flight until the guard drops (also when the
    /// client goes away mid-request).
    pub fn request_started(&self) -> InFlight {
        let gauge = self
            .in_flight
            .get_or_create(&ServerLabels {
                server: self.server(),
            })
            .clone();
        gauge.inc();
        InFlight(gauge)
    }

    /// Seconds since the last successful sync; `None` before the first.
    pub fn set_sync_lag(&self, seconds: Option<f64>) {
        let labels = ServerLabels {
            server: self.server(),
        };
        match seconds {
            Some(s) => {
                self.sync_lag.get_or_create(&labels).set(s);
            }
            None => {
                self.sync_lag.remove(&labels);
            }
        }
    }

    /// Databases and cache whose usage each scrape reads.
    pub fn watch(&self, dbs: &[Db], cache: Option<&Cache>) {
        let mut d = self
            .sources
            .dbs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for db in dbs {
            if !d.iter().any(|x| x.context() == db.context()) {
                d.push(db.clone());
            }
        }
        if let Some(c) = cache {
            *self
                .sources
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
        }
    }

    /// Registers an async refresh run before each scrape.
    pub fn on_scrape<F, Fut>(&self, probe: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.probes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(move || Box::pin(probe())));
    }

    /// The OpenMetrics text of every metric, probes refreshed first.
    pub async fn render(&self) -> String {
        let probes: Vec<Probe> = self
            .probes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for p in probes {
            if tokio::time::timeout(PROBE_TIMEOUT, p()).await.is_err() {
                tracing::warn!("a metrics probe timed out; its value is the last one read");
            }
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics encoding failed");
            out.clear();
            let _ = writeln!(out, "# EOF");
        }
        out
    }
}

/// `GET /metrics`.
pub async fn serve() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
        global().render().await,
    )
}

/// axum middleware counting the MCP requests in flight.
pub async fn track_in_flight(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let _guard = global().request_started();
    next.run(request).await
}

/// Decrements the in-flight gauge when dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What a scrape reads on the spot: cache counters and pool usage.
struct Sources {
    server: Arc<OnceLock<&'static str>>,
    dbs: Mutex<Vec<Db>>,
    cache: Mutex<Option<Cache>>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources").finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    server: &'static str,
    backend: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    server: &'static str,
    context: &'static str,
}

impl Collector for Sources {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let server = self.server.get().copied().unwrap_or("unknown");
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(c) = cache {
            let stats = c.stats();
            let labels = CacheLabels {
                server,
                backend: c.backend_name(),
            };
            for (name, help, value) in [
                ("cache_hits", "Cache reads that found a value", stats.hits),
                (
                    "cache_misses",
                    "Cache reads that found nothing (or failed)",
                    stats.misses,
                ),
            ] {
                let counter = ConstCounter::new(value);
                let mut family =
                    encoder.encode_descriptor(name, help, None, counter.metric_type())?;
                counter.encode(family.encode_family(&labels)?)?;
            }
        }
        let dbs = self
            .dbs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if dbs.is_empty() {
            return Ok(());
        }
        for (name, help, idle) in [
            (
                "db_pool_connections",
                "Open connections of each context's pool",
                false,
            ),
            (
                "db_pool_idle_connections",
                "Idle connections of each context's pool",
                true,
            ),
        ] {
            let mut family = encoder.encode_descriptor(
                name,
                help,
                None,
                prometheus_client::metrics::MetricType::Gauge,
            )?;
            for db in &dbs {
                let pool = db.pool();
                let n = if idle {
                    pool.num_idle() as i64
                } else {
                    i64::from(pool.size())
                };
                ConstGauge::new(n).encode(family.encode_family(&PoolLabels {
                    server,
                    context: db.context(),
                })?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_by_tool_and_outcome_with_latency() {
        let m = Metrics::new();
        m.set_server("mcp-test");
        m.tool_call("look", CallOutcome::Ok, Some(Duration::from_millis(12)));
        m.tool_call("look", CallOutcome::Ok, Some(Duration::from_millis(30)));
        m.tool_call("look", CallOutcome::Denied, None);
        {
            let _a = m.request_started();
            let text = m.render().await;
            assert!(
                text.contains("promptsales_http_requests_in_flight{server=\"mcp-test\"} 1"),
                "{text}"
            );
        }
        m.set_sync_lag(Some(42.5));
        let text = m.render().await;
        assert!(
            text.contains(
                "promptsales_tool_calls_total{server=\"mcp-test\",tool=\"look\",outcome=\"ok\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("promptsales_tool_calls_total{server=\"mcp-test\",tool=\"look\",outcome=\"denied\"} 1"), "{text}");
        assert!(
            text.contains(
                "promptsales_tool_call_duration_seconds_count{server=\"mcp-test\",tool=\"look\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("promptsales_http_requests_in_flight{server=\"mcp-test\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("promptsales_sync_lag_seconds{server=\"mcp-test\"} 42.5"),
            "{text}"
        );
        m.set_sync_lag(None);
        assert!(!m.render().await.contains("promptsales_sync_lag_seconds{"));
    }

    #[tokio::test]
    async fn cache_and_pools_are_read_at_scrape_time() {
        let m = Metrics::new();
        m.set_server("mcp-test");
        let cache = Cache::in_memory("t", Duration::from_secs(60));
        let _: Option<String> = cache.get_json("absent").await;
        m.watch(&[], Some(&cache));
        let text = m.render().await;
        assert!(
            text.contains(
                "promptsales_cache_misses_total{server=\"mcp-test\",backend=\"memory\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("promptsales_cache_hits_total{server=\"mcp-test\",backend=\"memory\"} 0"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }
}
