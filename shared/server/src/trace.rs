//! W3C trace context across MCP calls and the OTLP span exporter.
//!
//! A client puts `traceparent` (and `tracestate`) in each request's `_meta`
//! (SEP-414, <https://modelcontextprotocol.io/seps/414-request-meta>); the
//! server continues that trace in the span of the tool call. Each such span
//! records `trace_id` and `span_id` as fields, so every JSON log line
//! written inside it carries them (`span.trace_id`). Spans are exported over
//! OTLP/HTTP protobuf when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; without it the ids are
//! still generated and propagated, only nothing is sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SdkTracerProvider};
use rmcp::model::{MetaObject, RequestParamsMeta};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `_meta` keys SEP-414 reserves for W3C Trace Context.
const KEYS: [&str; 2] = ["traceparent", "tracestate"];

/// Whether the OTLP layer is installed (spans then get their ids from it).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// The environment variables that switch the exporter on (the standard
/// OTLP ones: <https://opentelemetry.io/docs/specs/otel/protocol/exporter/>).
pub fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()))
}

/// The tracer provider exporting over OTLP/HTTP protobuf, named after the
/// process (`service.name`). The batch processor runs on its own thread,
/// hence the blocking HTTP client.
pub fn otlp_provider(service: &'static str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service)
        .with_attribute(KeyValue::new("service.namespace", "promptsales"))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

pub(crate) fn set_exporting(on: bool) {
    EXPORTING.store(on, Ordering::Relaxed);
}

/// The remote parent a request's `_meta` names (an empty context when it
/// names none or a malformed one: the call then starts a trace).
pub fn extract(meta: Option<&MetaObject>) -> Context {
    let carrier: HashMap<String, String> = meta
        .map(|m| {
            KEYS.iter()
                .filter_map(|k| {
                    m.0.get(*k)
                        .and_then(|v| v.as_str())
                        .map(|v| ((*k).to_owned(), v.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    TraceContextPropagator::new().extract(&carrier)
}

/// Writes `ids` into a request's `_meta` as `traceparent`/`tracestate`.
pub fn inject<M: RequestParamsMeta>(request: &mut M, ids: &SpanContext) {
    let cx = Context::new().with_remote_span_context(ids.clone());
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    if let Some(v) = carrier.get(KEYS[0]) {
        request.set_traceparent(v);
    }
    if let Some(v) = carrier.get(KEYS[1]).filter(|v| !v.is_empty()) {
        request.set_tracestate(v);
    }
}

/// The trace the current span belongs to (exporting only; else empty).
pub fn current() -> Context {
    Span::current().context()
}

/// Continues `parent` (if it names a trace) in `span`, and records the
/// span's `trace_id` and `span_id` fields (the span must declare both,
/// empty). Returns the span's own ids, to propagate further.
pub fn adopt(span: &Span, parent: &Context) -> SpanContext {
    let remote = parent.span().span_context().clone();
    if remote.is_valid() {
        let _ = span.set_parent(parent.clone());
    }
    let own = span.context().span().span_context().clone();
    let ids =
        if EXPORTING.load(Ordering::Relaxed) && own.is_valid() && own.span_id() != remote.span_id()
        {
            own
        } else {
            // No exporter: the same ids a tracer would give, so logs and the
            // next hop still join the caller's trace.
            let generator = RandomIdGenerator::default();
            let trace_id = if remote.is_valid() {
                remote.trace_id()
            } else {
                generator.new_trace_id()
            };
            let flags = if remote.is_valid() {
                remote.trace_flags()
            } else {
                TraceFlags::SAMPLED
            };
            SpanContext::new(
                trace_id,
                generator.new_span_id(),
                flags,
                false,
                if remote.is_valid() {
                    remote.trace_state().clone()
                } else {
                    TraceState::default()
                },
            )
        };
    span.record("trace_id", tracing::field::display(ids.trace_id()));
    span.record("span_id", tracing::field::display(ids.span_id()));
    ids
}

#[cfg(test)]
mod tests {
    use rmcp::model::CallToolRequestParams;

    use super::*;

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_span_continues_the_trace_its_request_names() {
        let mut request = CallToolRequestParams::new("look");
        request.set_traceparent(PARENT);
        let parent = extract(request.meta.as_deref());
        let span = tracing::info_span!(
            "call",
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty
        );
        let ids = adopt(&span, &parent);
        assert_eq!(
            ids.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_ne!(ids.span_id().to_string(), "b7ad6b7169203331");
        let mut next = CallToolRequestParams::new("other");
        inject(&mut next, &ids);
        let tp = next
            .meta
            .as_ref()
            .and_then(|m| m.get_traceparent())
            .unwrap_or_default()
            .to_owned();
        assert!(
            tp.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
            "{tp}"
        );
        assert!(
            tp.ends_with("-01") && !tp.contains("b7ad6b7169203331"),
            "{tp}"
        );
    }

    #[test]
    fn no_or_malformed_traceparent_starts_a_trace() {
        let span = tracing::info_span!(
            "call",
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty
        );
        let mut meta = MetaObject::new();
        meta.set_traceparent("00-zz-yy-01");
        let a = adopt(&span, &extract(Some(&meta)));
        let b = adopt(&span, &extract(None));
        assert!(a.is_valid() && b.is_valid());
        assert_ne!(a.trace_id(), b.trace_id());
    }
}
