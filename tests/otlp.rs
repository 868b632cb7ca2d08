//! OTLP trace export: the real binary, with `--otlp-endpoint` pointing at a
//! fake collector, exports one `rpc` span per call, parented to the trace of
//! the caller's `traceparent` metadata.

mod common;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn rpc_spans_are_exported_with_the_callers_trace() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp_addr = listener.local_addr().unwrap();
    let c2 = collector.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(c2))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
    });

    let port = free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nutgraf"))
        .args([
            "serve",
            &format!("--grpc-addr=127.0.0.1:{port}"),
            "--metrics-addr=127.0.0.1:0",
            &format!("--model-dir={}", model_dir().display()),
            &format!("--otlp-endpoint=http://{otlp_addr}"),
            "--shutdown-grace=5s",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("binary starts");

    let url = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    let mut client = loop {
        match nutgraf::proto::v1::article_service_client::ArticleServiceClient::connect(url.clone())
            .await
        {
            Ok(c) => break c,
            Err(_) if t.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("server did not come up: {e}"),
        }
    };
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut r = tonic::Request::new(req("traced", EN));
    r.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    client.analyze(r).await.expect("analyze OK");

    // SIGTERM: the server drains and flushes the exporter before exiting.
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status:?}");

    let got = collector.0.lock().unwrap().clone();
    let spans: Vec<_> = got
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .collect();
    let rpc = spans
        .iter()
        .find(|s| s.name == "rpc")
        .unwrap_or_else(|| panic!("no rpc span exported: {spans:?}"));
    let hex: String = rpc.trace_id.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, trace_id, "span joined the caller's trace");
    let attr = |k: &str| {
        rpc.attributes
            .iter()
            .find(|a| a.key == k)
            .and_then(|a| a.value.as_ref())
            .map(|v| format!("{:?}", v.value))
    };
    assert!(attr("method").unwrap_or_default().contains("Analyze"));
    assert!(attr("id").unwrap_or_default().contains("traced"));
}
