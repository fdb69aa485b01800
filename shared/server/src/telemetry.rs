//! `tracing` to stderr — stdout belongs to the stdio transport — as text or
//! JSON lines, plus the OTLP span exporter when one is configured
//! (`trace`).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use promptsales_shared::config::LogFormat;

/// Installs the global subscriber once; later calls are no-ops (tests).
/// `service` names the process in exported spans.
pub fn init(format: LogFormat, filter: &str, service: &'static str) {
    // sqlx warns about slow statements with the whole statement text: for a
    // bulk upsert that is megabytes of placeholders. Keep them unless asked.
    let mut filter = filter.to_owned();
    if !filter.contains("sqlx") {
        filter.push_str(",sqlx::query=error");
    }
    // async-openai logs a failed response body word for word, which can
    // quote an endpoint's address or key back.
    if !filter.contains("async_openai") {
        filter.push_str(",async_openai=error");
    }
    // rmcp's debug lines echo whole requests, tool arguments (and so any
    // credential given to `set_connection`) included; its info lines are
    // one per session or request.
    if !filter.contains("rmcp") {
        filter.push_str(",rmcp=warn");
    }
    // The exporter's own HTTP client must not trace its exports.
    for quiet in ["opentelemetry", "reqwest", "hyper_util"] {
        if !filter.contains(quiet) {
            filter.push_str(&format!(",{quiet}=warn"));
        }
    }
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(true);
    let fmt = match format {
        LogFormat::Json => fmt.json().boxed(),
        LogFormat::Text => fmt.with_ansi(false).boxed(),
    };
    let mut otel_error = None;
    let otel = if crate::trace::otlp_configured() {
        match crate::trace::otlp_provider(service) {
            Ok(provider) => {
                use opentelemetry::trace::TracerProvider as _;
                let tracer = provider.tracer(service);
                // Kept for the flush at exit (`shutdown`).
                let _ = PROVIDER.set(provider);
                Some(tracing_opentelemetry::layer().with_tracer(tracer))
            }
            Err(e) => {
                otel_error = Some(e);
                None
            }
        }
    } else {
        None
    };
    let exporting = otel.is_some();
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init()
        .is_ok();
    if installed {
        crate::trace::set_exporting(exporting);
        if let Some(e) = otel_error {
            tracing::warn!(error = %e, "traces are not exported");
        }
    }
}

static PROVIDER: std::sync::OnceLock<opentelemetry_sdk::trace::SdkTracerProvider> =
    std::sync::OnceLock::new();

/// Exports the spans still buffered (at exit). Blocking: the batch
/// processor runs on its own thread.
pub fn shutdown() {
    if let Some(p) = PROVIDER.get()
        && let Err(e) = p.shutdown()
    {
        tracing::debug!(error = %e, "span exporter shutdown");
    }
}
