//! TLS for the gRPC listener with certificate hot reload.
//!
//! tonic's built-in `ServerTlsConfig` fixes the certificate at start-up, so a
//! renewed certificate (cert-manager rotates them every few weeks; a Secret
//! volume swaps the files in place) needed a restart. Here the TLS handshake
//! is ours: each new connection is accepted with the *current*
//! `rustls::ServerConfig`, and a poller rebuilds that config when the
//! certificate, key or client-CA file changes (size or mtime; Kubernetes
//! swaps a Secret volume's symlink, which changes both as seen through it).
//! Open connections keep the config they were accepted with, so nothing is
//! dropped. A broken new file set (e.g. the key written before the
//! certificate) is logged and the previous config stays in use; the next
//! change is tried again.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// The files TLS is built from.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    fn paths(&self) -> impl Iterator<Item = &Path> {
        [Some(self.cert.as_path()), Some(self.key.as_path())]
            .into_iter()
            .chain(std::iter::once(self.client_ca.as_deref()))
            .flatten()
    }

    /// (size, mtime) of each file: what the poller compares.
    fn stamp(&self) -> Vec<Option<(u64, SystemTime)>> {
        self.paths()
            .map(|p| {
                std::fs::metadata(p)
                    .ok()
                    .and_then(|m| Some((m.len(), m.modified().ok()?)))
            })
            .collect()
    }
}

fn read(path: &Path, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {flag} {}", path.display()))
}

/// Build the rustls config (ring provider, ALPN h2) from the files.
pub fn server_config(files: &TlsFiles) -> anyhow::Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert_pem = read(&files.cert, "--tls-cert")?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--tls-cert {}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "--tls-cert {}: no PEM certificate in it",
            files.cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key, "--tls-key")?)
        .map_err(|e| anyhow::anyhow!("--tls-key {}: {e}", files.key.display()))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let ca_pem = read(ca, "--tls-client-ca")?;
            let mut roots = RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(&ca_pem) {
                let c = c.map_err(|e| anyhow::anyhow!("--tls-client-ca {}: {e}", ca.display()))?;
                roots
                    .add(c)
                    .map_err(|e| anyhow::anyhow!("--tls-client-ca {}: {e}", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| anyhow::anyhow!("--tls-client-ca {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder.with_single_cert(certs, key).map_err(|e| {
        anyhow::anyhow!(
            "--tls-cert {} / --tls-key {}: {e}",
            files.cert.display(),
            files.key.display()
        )
    })?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(cfg)
}

/// The current config, swapped by the poller.
#[derive(Clone)]
pub struct Reloading {
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl Reloading {
    /// Load the files now (a start-up error if they are bad).
    pub fn load(files: &TlsFiles) -> anyhow::Result<Self> {
        Ok(Reloading {
            current: Arc::new(RwLock::new(Arc::new(server_config(files)?))),
        })
    }

    fn acceptor(&self) -> TlsAcceptor {
        let cfg = match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        TlsAcceptor::from(cfg)
    }

    fn set(&self, cfg: ServerConfig) {
        match self.current.write() {
            Ok(mut g) => *g = Arc::new(cfg),
            Err(p) => *p.into_inner() = Arc::new(cfg),
        }
    }

    /// Poll the files every `every` until `stop`; rebuild on change.
    pub fn spawn_poller(&self, files: TlsFiles, every: Duration, stop: CancellationToken) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut seen = files.stamp();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let now = files.stamp();
                if now == seen {
                    continue;
                }
                let f = files.clone();
                match tokio::task::spawn_blocking(move || server_config(&f)).await {
                    Ok(Ok(cfg)) => {
                        this.set(cfg);
                        seen = now;
                        tracing::info!(
                            "TLS certificate files changed: reloaded for new connections"
                        );
                    }
                    Ok(Err(e)) => {
                        // Keep the old config; retry when the files change again.
                        seen = now;
                        tracing::warn!(error = %format!("{e:#}"), "TLS files changed but cannot be loaded; keeping the previous certificate");
                    }
                    Err(e) => tracing::warn!(error = %e, "TLS reload task failed"),
                }
            }
        });
    }

    /// Accept TCP connections and hand out TLS ones; handshakes run in
    /// their own tasks (bounded by `handshake_timeout`) so a slow or silent
    /// client cannot hold up the accept loop. Ends when the receiver (the
    /// server) is dropped.
    pub fn incoming(
        &self,
        listener: TcpListener,
        handshake_timeout: Duration,
    ) -> tokio_stream::wrappers::ReceiverStream<std::io::Result<TlsStream<TcpStream>>> {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = tx.closed() => return,
                    a = listener.accept() => a,
                };
                let tcp = match accepted {
                    Ok((tcp, _)) => tcp,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = this.acceptor();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send(Ok(tls)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(rx)
    }
}
