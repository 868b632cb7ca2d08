//! Shared helpers for the server integration tests: start the real server
//! in-process on ephemeral ports and connect the generated tonic client.
#![allow(dead_code)]

use clap::Parser;
use nutgraf::config::ServeConfig;
use nutgraf::pipeline::Analyzer;
use nutgraf::proto::v1 as pb;
use nutgraf::server::{self, Running};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tonic::transport::Channel;

pub const AR: &str = include_str!("../fixtures/article-ar.txt");
pub const FR: &str = include_str!("../fixtures/article-fr.txt");
pub const EN: &str = include_str!("../fixtures/article-en.txt");

#[derive(Parser)]
struct Wrap {
    #[command(flatten)]
    cfg: ServeConfig,
}

pub fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A config with ephemeral ports and the shipped models; `extra` are flags.
pub fn config(extra: &[&str]) -> ServeConfig {
    let dir = model_dir();
    let mut args = vec![
        "test".to_string(),
        "--grpc-addr=127.0.0.1:0".into(),
        "--metrics-addr=127.0.0.1:0".into(),
        format!("--model-dir={}", dir.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Wrap::parse_from(args).cfg
}

/// Models are loaded once per test binary.
pub fn analyzer(cfg: &ServeConfig) -> Arc<Analyzer> {
    static A: OnceLock<Arc<Analyzer>> = OnceLock::new();
    if cfg.max_text_bytes != ServeConfig::default_max_text() {
        return Arc::new(server::load_analyzer(cfg).expect("models load"));
    }
    A.get_or_init(|| Arc::new(server::load_analyzer(cfg).expect("models load")))
        .clone()
}

pub async fn start(
    extra: &[&str],
) -> (
    Running,
    pb::article_service_client::ArticleServiceClient<Channel>,
) {
    let cfg = config(extra);
    let running = server::start(&cfg, analyzer(&cfg))
        .await
        .expect("server starts");
    let client = client(&running).await;
    (running, client)
}

pub async fn channel(running: &Running) -> Channel {
    Channel::from_shared(format!("http://{}", running.grpc_addr))
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

pub async fn client(
    running: &Running,
) -> pb::article_service_client::ArticleServiceClient<Channel> {
    pb::article_service_client::ArticleServiceClient::new(channel(running).await)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20)
}

pub fn req(id: &str, text: &str) -> pb::AnalyzeRequest {
    pb::AnalyzeRequest {
        id: id.into(),
        text: text.into(),
        ..Default::default()
    }
}

/// Code-point slice of `text`.
pub fn cp_slice(text: &str, start: u32, end: u32) -> String {
    text.chars()
        .skip(start as usize)
        .take((end - start) as usize)
        .collect()
}

/// A long article made of varied sentences (for slow/large-work tests).
pub fn long_text(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 200);
    let mut i = 0u32;
    while s.len() < bytes {
        s.push_str(&format!(
            "The minister of finance met officials from the World Bank in Rabat on day {i} to discuss the budget of Morocco. "
        ));
        if i % 7 == 6 {
            s.push('\n');
        }
        i += 1;
    }
    s
}

/// Plain HTTP/1.1 GET on the metrics port.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// Wait until the server's CPU pool has no analysis in flight, up to
/// `limit` after `since`; true when it got idle.
pub async fn wait_idle(
    running: &Running,
    since: std::time::Instant,
    limit: std::time::Duration,
) -> bool {
    while since.elapsed() < limit {
        if running.pool.in_flight() == 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    running.pool.in_flight() == 0
}

/// Resident memory of this test process, KiB (0 where /proc is missing).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
