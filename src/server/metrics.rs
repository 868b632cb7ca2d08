//! Prometheus metrics and the `/metrics` HTTP endpoint.
//!
//! Names follow Prometheus conventions: `nutgraf_` prefix, `_total` for
//! counters, `_seconds` for durations, base units everywhere.

use crate::pipeline::{Analysis, ModelMeta};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::sync::Arc;
use std::time::Duration;

/// All metrics of the server.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    stage: HistogramVec,
    pub in_flight: IntGauge,
    pub streams_open: IntGauge,
    articles: IntCounterVec,
    article_bytes: IntCounterVec,
    summary_sentences: IntCounter,
    topics: IntCounterVec,
    rejected: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn must<T>(r: prometheus::Result<T>) -> T {
    // Metric definitions are static; a failure here is a programming error
    // caught by the unit test below, not something a request can trigger.
    match r {
        Ok(v) => v,
        Err(e) => panic!("metric definition: {e}"),
    }
}

impl Metrics {
    pub fn new(models: &[ModelMeta]) -> Self {
        let registry = Registry::new();
        let requests = must(IntCounterVec::new(
            Opts::new(
                "nutgraf_grpc_requests_total",
                "gRPC calls by method and final status code.",
            ),
            &["method", "code"],
        ));
        let latency = must(HistogramVec::new(
            HistogramOpts::new(
                "nutgraf_grpc_request_duration_seconds",
                "gRPC call latency (whole stream for streaming calls).",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                30.0,
            ]),
            &["method"],
        ));
        let stage = must(HistogramVec::new(
            HistogramOpts::new(
                "nutgraf_stage_duration_seconds",
                "CPU time per pipeline stage and queue wait.",
            )
            .buckets(vec![
                0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
            ]),
            &["stage"],
        ));
        let in_flight = must(IntGauge::new(
            "nutgraf_analyses_in_flight",
            "Analyses admitted and not finished (running or queued).",
        ));
        let streams_open = must(IntGauge::new(
            "nutgraf_streams_open",
            "Streaming calls currently open.",
        ));
        let articles = must(IntCounterVec::new(
            Opts::new("nutgraf_articles_total", "Articles analysed, by language."),
            &["language"],
        ));
        let article_bytes = must(IntCounterVec::new(
            Opts::new(
                "nutgraf_article_bytes_total",
                "Article bytes analysed, by language.",
            ),
            &["language"],
        ));
        let summary_sentences = must(IntCounter::new(
            "nutgraf_summary_sentences_total",
            "Summary sentences returned.",
        ));
        let topics = must(IntCounterVec::new(
            Opts::new("nutgraf_topics_total", "Topics returned, by label."),
            &["label"],
        ));
        let rejected = must(IntCounterVec::new(
            Opts::new(
                "nutgraf_rejected_total",
                "Calls or items refused before analysis, by reason.",
            ),
            &["reason"],
        ));
        let model_info = must(IntGaugeVec::new(
            Opts::new(
                "nutgraf_model_info",
                "Loaded models (value 1), with version and hash.",
            ),
            &["name", "version", "sha256"],
        ));
        let build_info = must(IntGaugeVec::new(
            Opts::new("nutgraf_build_info", "Service version (value 1)."),
            &["version"],
        ));
        for m in models {
            model_info
                .with_label_values(&[m.name, m.version.as_str(), m.sha256.as_str()])
                .set(1);
        }
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(stage.clone()),
            Box::new(in_flight.clone()),
            Box::new(streams_open.clone()),
            Box::new(articles.clone()),
            Box::new(article_bytes.clone()),
            Box::new(summary_sentences.clone()),
            Box::new(topics.clone()),
            Box::new(rejected.clone()),
            Box::new(model_info),
            Box::new(build_info),
        ] {
            must(registry.register(c));
        }
        #[cfg(target_os = "linux")]
        {
            let pc = prometheus::process_collector::ProcessCollector::for_self();
            // Process metrics are best effort (no /proc in some sandboxes).
            let _ = registry.register(Box::new(pc));
        }
        Metrics {
            registry,
            requests,
            latency,
            stage,
            in_flight,
            streams_open,
            articles,
            article_bytes,
            summary_sentences,
            topics,
            rejected,
        }
    }

    /// One finished call.
    pub fn call(&self, method: &str, code: tonic::Code, elapsed: Duration) {
        self.requests
            .with_label_values(&[method, code_name(code)])
            .inc();
        self.latency
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    /// One refused call or item.
    pub fn rejected(&self, reason: &str) {
        self.rejected.with_label_values(&[reason]).inc();
    }

    /// One finished analysis.
    pub fn analysis(&self, a: &Analysis) {
        self.articles.with_label_values(&[a.language]).inc();
        self.article_bytes
            .with_label_values(&[a.language])
            .inc_by(u64::from(a.stats.bytes));
        self.summary_sentences.inc_by(a.summary.len() as u64);
        for t in &a.topics {
            self.topics.with_label_values(&[t.label]).inc();
        }
        let s = &a.stats;
        for (stage, us) in [
            ("queue", s.queue_us),
            ("text", s.text_us),
            ("entities", s.entities_us),
            ("summary", s.summary_us),
            ("topics", s.topics_us),
            ("total", s.total_us),
        ] {
            self.stage
                .with_label_values(&[stage])
                .observe(us as f64 / 1e6);
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// The canonical upper-case name of a gRPC code.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Serve `/metrics` (and `/healthz` for plain HTTP checks) until `shutdown`.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper::{Response, StatusCode};
    loop {
        let conn = tokio::select! {
            _ = shutdown.cancelled() => return,
            c = listener.accept() => c,
        };
        let Ok((stream, _)) = conn else { continue };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let svc =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move {
                        let (status, ctype, body) = match req.uri().path() {
                            "/metrics" => (
                                StatusCode::OK,
                                "text/plain; version=0.0.4; charset=utf-8",
                                metrics.render(),
                            ),
                            "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_string()),
                            _ => (
                                StatusCode::NOT_FOUND,
                                "text/plain",
                                "not found: try /metrics\n".to_string(),
                            ),
                        };
                        let resp = Response::builder()
                            .status(status)
                            .header("content-type", ctype)
                            .body(Full::new(Bytes::from(body)));
                        resp.map_err(|e| e.to_string())
                    }
                });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, svc)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_register_and_render() {
        let m = Metrics::new(&[]);
        m.call("Analyze", tonic::Code::Ok, Duration::from_millis(3));
        m.rejected("overloaded");
        let text = m.render();
        assert!(text.contains("nutgraf_grpc_requests_total{code=\"OK\",method=\"Analyze\"} 1"));
        assert!(text.contains("nutgraf_rejected_total{reason=\"overloaded\"} 1"));
        assert!(text.contains("nutgraf_build_info"));
    }
}
