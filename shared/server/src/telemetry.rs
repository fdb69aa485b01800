//! `tracing` to stderr — stdout belongs to the stdio transport — as text or
//! JSON lines.

use tracing_subscriber::EnvFilter;

use promptsales_shared::config::LogFormat;

/// Installs the global subscriber once; later calls are no-ops (tests).
pub fn init(format: LogFormat, filter: &str) {
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
    // credential given to `set_connection`) included.
    if !filter.contains("rmcp") {
        filter.push_str(",rmcp=info");
    }
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
}
