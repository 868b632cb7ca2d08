//! The gRPC server: wiring of the article service, health, reflection,
//! auth, TLS, metrics, limits and graceful shutdown. Handlers live in
//! [`service`]; everything CPU-heavy runs in [`pool`].

pub mod auth;
pub mod convert;
pub mod deadline;
pub mod metrics;
pub mod oversize;
pub mod pool;
pub mod service;
pub mod stream;
pub mod tls;

use crate::config::ServeConfig;
use crate::pipeline::{Analyzer, Limits};
use crate::proto::{self, v1::article_service_server::ArticleServiceServer};
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// The limits the pipeline enforces, from the config.
pub fn limits(cfg: &ServeConfig) -> Limits {
    Limits {
        max_text_bytes: cfg.max_text_bytes,
        ..Limits::default()
    }
}

/// Load the models named by the config (blocking; call before serving).
pub fn load_analyzer(cfg: &ServeConfig) -> anyhow::Result<Analyzer> {
    Analyzer::load(&cfg.model_dir, limits(cfg)).with_context(|| {
        format!(
            "cannot load the models from {} (set --model-dir / NUTGRAF_MODEL_DIR to the folder holding ner.bin and topics.bin)",
            cfg.model_dir.display()
        )
    })
}

/// How long a client may take to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A running server.
pub struct Running {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    /// The plaintext health-only listener, if `--health-addr` is set.
    pub health_addr: Option<SocketAddr>,
    pub metrics: Arc<metrics::Metrics>,
    pub pool: Arc<pool::CpuPool>,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Begin a graceful shutdown: health NOT_SERVING, refuse new calls, let
    /// in-flight ones finish within the grace period.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// A token that triggers shutdown when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Wait until the server has stopped.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task failed")?
    }
}

/// Bind the listeners and start serving. Returns once the ports are bound,
/// so callers (tests) can connect right away.
pub async fn start(cfg: &ServeConfig, analyzer: Arc<Analyzer>) -> anyhow::Result<Running> {
    let grpc_listener = tokio::net::TcpListener::bind(cfg.grpc_addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on --grpc-addr {} (port in use?)",
                cfg.grpc_addr
            )
        })?;
    let grpc_addr = grpc_listener.local_addr()?;
    let metrics_listener = tokio::net::TcpListener::bind(cfg.metrics_addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on --metrics-addr {} (port in use?)",
                cfg.metrics_addr
            )
        })?;
    let metrics_addr = metrics_listener.local_addr()?;
    let health_listener = match cfg.health_addr {
        Some(a) => Some(
            tokio::net::TcpListener::bind(a)
                .await
                .with_context(|| format!("cannot listen on --health-addr {a} (port in use?)"))?,
        ),
        None => None,
    };
    let health_addr = match &health_listener {
        Some(l) => Some(l.local_addr()?),
        None => None,
    };

    let tokens = match &cfg.auth_tokens_file {
        Some(p) => {
            let s = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read --auth-tokens-file {}", p.display()))?;
            Some(auth::Tokens::parse(&s).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let tls_files = match (&cfg.tls_cert, &cfg.tls_key) {
        (Some(cert), Some(key)) => Some(tls::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: cfg.tls_client_ca.clone(),
        }),
        _ => None,
    };
    // Loaded now, so bad files are a start-up error naming the flag.
    let tls = match &tls_files {
        Some(f) => Some(tls::Reloading::load(f).context("invalid TLS configuration")?),
        None => None,
    };

    let metrics = Arc::new(metrics::Metrics::new(analyzer.models()));
    let pool = Arc::new(pool::CpuPool::new(
        cfg.workers(),
        cfg.max_concurrent_analyses,
        cfg.max_waiting_analyses,
    )?);
    let draining = Arc::new(AtomicBool::new(false));
    let settings = service::ServiceSettings {
        request_timeout: cfg.request_timeout,
        batch_window: cfg.batch_window.max(1),
        max_message_bytes: cfg.max_message_bytes,
        log_text: cfg.log_text,
    };
    let svc = service::ArticleSvc::new(
        analyzer,
        pool.clone(),
        metrics.clone(),
        settings,
        draining.clone(),
    );
    let article = ArticleServiceServer::new(svc)
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .send_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(cfg.max_message_bytes)
        .max_encoding_message_size(cfg.max_message_bytes.max(16 << 20));

    let (health, health_svc) = tonic_health::server::health_reporter();
    health
        .set_service_status(proto::SERVICE_NAME, ServingStatus::Serving)
        .await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let router = Server::builder()
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(cfg.keepalive_interval))
        .http2_keepalive_timeout(Some(cfg.keepalive_timeout))
        .max_connection_age(cfg.max_connection_age)
        .max_connection_age_grace(cfg.max_connection_age_grace)
        // tonic advertises no limit by default: one connection could park
        // thousands of decoded requests (issue 8).
        .max_concurrent_streams(Some(cfg.max_concurrent_streams))
        .layer(oversize::OversizeLayer)
        .layer(auth::AuthLayer::new(tokens, cfg.auth_exempt_reflection))
        .add_service(health_svc.clone())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(article);

    let shutdown = CancellationToken::new();
    let grace = cfg.shutdown_grace;
    let metrics_shutdown = CancellationToken::new();
    tokio::spawn(metrics::serve_metrics(
        metrics_listener,
        metrics.clone(),
        metrics_shutdown.clone(),
    ));
    {
        // Keep the in-flight gauge fresh without touching the hot path.
        let (m, p, stop) = (metrics.clone(), pool.clone(), metrics_shutdown.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => m.in_flight.set(p.in_flight()),
                }
            }
        });
    }

    if let Some(listener) = health_listener {
        // Plaintext, health only: what kubelet's gRPC probes can reach when
        // the main port needs TLS/mTLS. It shares the reporter, so it says
        // NOT_SERVING during the drain, and stops with the main server.
        let stop = metrics_shutdown.clone();
        let health_only = Server::builder()
            .tcp_nodelay(true)
            .max_concurrent_streams(Some(16))
            .add_service(health_svc);
        tokio::spawn(async move {
            let incoming =
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
            if let Err(e) = health_only
                .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
                .await
            {
                tracing::error!(error = %e, "health-only listener failed");
            }
        });
    }

    if let (Some(tls), Some(files)) = (&tls, tls_files) {
        if !cfg.tls_reload_interval.is_zero() {
            tls.spawn_poller(files, cfg.tls_reload_interval, metrics_shutdown.clone());
        }
    }

    let token = shutdown.clone();
    let task = tokio::spawn(async move {
        let drain_signal = {
            let token = token.clone();
            let health = health.clone();
            let draining = draining.clone();
            async move {
                token.cancelled().await;
                tracing::info!("shutting down: health NOT_SERVING, draining in-flight calls");
                draining.store(true, Ordering::Relaxed);
                health
                    .set_service_status(proto::SERVICE_NAME, ServingStatus::NotServing)
                    .await;
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
            }
        };
        type Serving = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), tonic::transport::Error>> + Send>,
        >;
        let mut serve: Serving = match tls {
            Some(tls) => Box::pin(router.serve_with_incoming_shutdown(
                tls.incoming(grpc_listener, TLS_HANDSHAKE_TIMEOUT),
                drain_signal,
            )),
            None => {
                let incoming = tonic::transport::server::TcpIncoming::from(grpc_listener)
                    .with_nodelay(Some(true));
                Box::pin(router.serve_with_incoming_shutdown(incoming, drain_signal))
            }
        };
        let grace_timer = async {
            token.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        let result = tokio::select! {
            r = &mut serve => r.context("gRPC server failed"),
            _ = grace_timer => {
                tracing::warn!(grace = ?grace, "grace period over with calls still in flight; exiting");
                Ok(())
            }
        };
        metrics_shutdown.cancel();
        result
    });

    Ok(Running {
        grpc_addr,
        metrics_addr,
        health_addr,
        metrics,
        pool,
        shutdown,
        task,
    })
}

/// Resolve on SIGTERM or SIGINT.
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Run one tiny analysis per language before reporting SERVING, so lazily
/// built tables and first-touch page faults are not paid by the first
/// caller (measured: ~1 ms on the first call otherwise).
pub fn warm_up(a: &Analyzer) {
    for (lang, text) in [
        ("ar", "زار وزير الخارجية المغربي باريس يوم الاثنين."),
        ("fr", "Le ministre a visité Paris lundi."),
        ("en", "The minister visited Paris on Monday."),
    ] {
        let mut req = crate::pipeline::Request::new("warm-up", text);
        req.language = lang;
        let _ = a.analyze_all(&req);
    }
}

/// `nutgraf serve`: load models, serve until SIGTERM/SIGINT, drain, exit.
pub async fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let c = cfg.clone();
    let analyzer = tokio::task::spawn_blocking(move || {
        let a = load_analyzer(&c)?;
        warm_up(&a);
        Ok::<_, anyhow::Error>(a)
    })
    .await??;
    let running = start(&cfg, Arc::new(analyzer)).await?;
    tracing::info!(
        grpc = %running.grpc_addr,
        metrics = %running.metrics_addr,
        health = ?running.health_addr,
        workers = running.pool.threads(),
        startup_ms = started.elapsed().as_millis() as u64,
        "nutgraf serving"
    );
    let token = running.shutdown_token();
    tokio::spawn(async move {
        termination_signal().await;
        token.cancel();
    });
    running.wait().await?;
    tracing::info!("stopped");
    Ok(())
}
