//! Logs and (optionally) OpenTelemetry trace export.
//!
//! Logs go to stderr as text or JSON. When an OTLP endpoint is configured,
//! every `rpc` span is also exported over OTLP/gRPC, as a child of the
//! caller's trace when the request carries W3C `traceparent` metadata.
//! Must be initialised inside the tokio runtime (the exporter's batch
//! processor keeps a handle to it).

use crate::config::LogFormat;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the exporter alive; call [`Telemetry::shutdown`] to flush.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flush and stop the exporter (spans of the last calls included).
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            if let Err(e) = p.shutdown() {
                eprintln!("nutgraf: OTLP exporter shutdown: {e}");
            }
        }
    }
}

/// Install the global subscriber. `otlp_endpoint`: e.g. "http://otel-collector:4317".
pub fn init(
    format: LogFormat,
    filter: &str,
    otlp_endpoint: Option<&str>,
) -> anyhow::Result<Telemetry> {
    let env_filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid --log-level {filter:?}: {e}"))?;
    // Colour codes only for a terminal: log collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Json => fmt.json().flatten_event(true).boxed(),
        LogFormat::Text => fmt.boxed(),
    };
    let (otel, provider) = match otlp_endpoint {
        Some(ep) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(ep)
                .build()
                .map_err(|e| anyhow::anyhow!("cannot set up OTLP export to {ep}: {e}"))?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name("nutgraf")
                        .build(),
                )
                .build();
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("nutgraf"))
                // Only our RPC spans are worth exporting.
                .with_filter(tracing_subscriber::filter::filter_fn(|m| m.name() == "rpc"));
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(env_filter)
        .with(fmt)
        .with(otel)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))?;
    Ok(Telemetry { provider })
}

/// Make `span` a child of the trace in the request's `traceparent`
/// metadata, if any (no-op when export is off).
pub fn link_parent(span: &tracing::Span, md: &tonic::metadata::MetadataMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    struct Extract<'a>(&'a tonic::metadata::MetadataMap);
    impl opentelemetry::propagation::Extractor for Extract<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            Vec::new()
        }
    }
    if md.get("traceparent").is_none() {
        return;
    }
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Extract(md)));
    let _ = span.set_parent(cx);
}
