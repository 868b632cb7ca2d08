//! Server configuration: one struct built by clap, every flag also an
//! environment variable `NUTGRAF_*` (what Kubernetes ConfigMaps set).

use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use e.g. \"30s\", \"500ms\", \"5m\")"))
}

/// `nutgraf serve` flags.
#[derive(Clone, Debug, Args)]
pub struct ServeConfig {
    /// gRPC listen address.
    #[arg(long, env = "NUTGRAF_GRPC_ADDR", default_value = "0.0.0.0:50051")]
    pub grpc_addr: SocketAddr,
    /// Prometheus metrics listen address (`/metrics`); "off" is not accepted,
    /// bind it to 127.0.0.1 to keep it private.
    #[arg(long, env = "NUTGRAF_METRICS_ADDR", default_value = "0.0.0.0:9090")]
    pub metrics_addr: SocketAddr,
    /// Optional plaintext listener that serves grpc.health.v1 only (no
    /// article service, no reflection, no auth, no TLS): for kubelet gRPC
    /// probes, which cannot present a client certificate or trust a private
    /// CA, when --tls-cert is on. Unset = no such listener.
    #[arg(long, env = "NUTGRAF_HEALTH_ADDR")]
    pub health_addr: Option<SocketAddr>,
    /// Directory holding ner.bin and topics.bin.
    #[arg(long, env = "NUTGRAF_MODEL_DIR", default_value = "models")]
    pub model_dir: PathBuf,
    /// Largest gRPC message accepted, decoded bytes (also after decompression).
    #[arg(long, env = "NUTGRAF_MAX_MESSAGE_BYTES", default_value_t = 4 << 20)]
    pub max_message_bytes: usize,
    /// Largest article `text`, UTF-8 bytes.
    #[arg(long, env = "NUTGRAF_MAX_TEXT_BYTES", default_value_t = 1 << 20)]
    pub max_text_bytes: usize,
    /// Analyses running or queued at once, server-wide. Unary calls over it
    /// get RESOURCE_EXHAUSTED at once; streams wait for a slot.
    #[arg(long, env = "NUTGRAF_MAX_CONCURRENT_ANALYSES", default_value_t = 64)]
    pub max_concurrent_analyses: usize,
    /// Streamed articles (AnalyzeStream calls, AnalyzeBatch items) allowed to
    /// wait for a slot at once, server-wide; past it they get
    /// RESOURCE_EXHAUSTED at once. Each waiter holds its decoded article, so
    /// this bounds what all connections together can park in memory.
    #[arg(long, env = "NUTGRAF_MAX_WAITING_ANALYSES", default_value_t = 256)]
    pub max_waiting_analyses: usize,
    /// CPU worker threads for analyses (0 = one per core).
    #[arg(long, env = "NUTGRAF_WORKER_THREADS", default_value_t = 0)]
    pub worker_threads: usize,
    /// Concurrent HTTP/2 streams (calls) per client connection, advertised
    /// in SETTINGS_MAX_CONCURRENT_STREAMS; streams past it are refused
    /// (REFUSED_STREAM, which clients retry). Each open stream can hold one
    /// decoded request (up to --max-message-bytes), so this bounds what one
    /// connection can park in memory; tonic's default is unlimited.
    #[arg(long, env = "NUTGRAF_MAX_CONCURRENT_STREAMS", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_streams: u32,
    /// Articles in flight per AnalyzeBatch stream.
    #[arg(long, env = "NUTGRAF_BATCH_WINDOW", default_value_t = 8)]
    pub batch_window: usize,
    /// Server-side deadline of one call (a shorter client grpc-timeout wins).
    #[arg(long, env = "NUTGRAF_REQUEST_TIMEOUT", default_value = "30s", value_parser = duration)]
    pub request_timeout: Duration,
    /// After SIGTERM/SIGINT, how long in-flight calls may take before exit.
    #[arg(long, env = "NUTGRAF_SHUTDOWN_GRACE", default_value = "20s", value_parser = duration)]
    pub shutdown_grace: Duration,
    /// HTTP/2 keepalive ping interval.
    #[arg(long, env = "NUTGRAF_KEEPALIVE_INTERVAL", default_value = "30s", value_parser = duration)]
    pub keepalive_interval: Duration,
    /// HTTP/2 keepalive ping timeout.
    #[arg(long, env = "NUTGRAF_KEEPALIVE_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub keepalive_timeout: Duration,
    /// Close connections after this age so clients re-resolve and spread over
    /// new pods (gRPC load balancing on Kubernetes).
    #[arg(long, env = "NUTGRAF_MAX_CONNECTION_AGE", default_value = "300s", value_parser = duration)]
    pub max_connection_age: Duration,
    /// Time given to calls on a connection closed for age.
    #[arg(long, env = "NUTGRAF_MAX_CONNECTION_AGE_GRACE", default_value = "30s", value_parser = duration)]
    pub max_connection_age_grace: Duration,
    /// Log format.
    #[arg(long, env = "NUTGRAF_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax, e.g. "info" or "nutgraf=debug").
    #[arg(long, env = "NUTGRAF_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Log article text at debug level (off: articles may be confidential).
    #[arg(long, env = "NUTGRAF_LOG_TEXT", default_value_t = false)]
    pub log_text: bool,
    /// PEM certificate chain: enables TLS.
    #[arg(long, env = "NUTGRAF_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "NUTGRAF_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: require client certificates signed by it (mTLS).
    #[arg(long, env = "NUTGRAF_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// How often the TLS files are checked for changes (size/mtime); a
    /// changed certificate, key or client CA is loaded for new connections
    /// without dropping open ones. "0s" = never reload.
    #[arg(long, env = "NUTGRAF_TLS_RELOAD_INTERVAL", default_value = "10s", value_parser = duration)]
    pub tls_reload_interval: Duration,
    /// File with one accepted bearer token per line: enables auth.
    #[arg(long, env = "NUTGRAF_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,
    /// OTLP/gRPC endpoint for trace export of RPC spans (e.g.
    /// http://otel-collector:4317). Unset = no export.
    #[arg(long, env = "NUTGRAF_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Let reflection through without a token when auth is on.
    #[arg(long, env = "NUTGRAF_AUTH_EXEMPT_REFLECTION", default_value_t = false)]
    pub auth_exempt_reflection: bool,
}

impl ServeConfig {
    /// Default of `--max-text-bytes` (1 MiB).
    pub const fn default_max_text() -> usize {
        1 << 20
    }

    /// Worker threads actually used.
    pub fn workers(&self) -> usize {
        if self.worker_threads > 0 {
            self.worker_threads
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }
    }
}
