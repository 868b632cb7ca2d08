//! TLS and mutual TLS through the real server and the tonic client, with
//! certificates generated at test time (rcgen): nothing secret is checked
//! in, and every run uses fresh keys.
//!
//! Covered: TLS with a trusted CA works (Analyze + health); an untrusted
//! CA, a wrong server name, an expired server certificate and a plaintext
//! client all fail; with a client CA configured (mTLS) a client signed by
//! it works, while no client certificate, one signed by another CA, or a
//! server certificate used as a client one are refused; bearer auth still
//! applies on top of TLS; unreadable or invalid PEM files fail at start-up
//! with a message naming the flag; the plaintext health-only port
//! (--health-addr, for kubelet probes under mTLS) answers health and
//! nothing else. The grpcurl check of the same setup is
//! scripts/tls-grpcurl.sh.

mod common;

use common::*;
use nutgraf::proto::v1 as pb;
use nutgraf::server::{self, Running};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// A PEM certificate and its key.
struct Pem {
    cert: String,
    key: String,
}

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn leaf(&self, cn: &str, sans: &[&str], server: bool, expired: bool) -> Pem {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        if expired {
            p.not_before = rcgen::date_time_ymd(2000, 1, 1);
            p.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// Everything one test needs, written to a private temp folder.
struct Pki {
    dir: PathBuf,
    server_ca: Ca,
    client_ca: Ca,
    rogue_ca: Ca,
    server: Pem,
    client: Pem,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("nutgraf-tls-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let server_ca = Ca::new("nutgraf test server CA");
        let client_ca = Ca::new("nutgraf test client CA");
        let rogue_ca = Ca::new("rogue CA");
        let server = server_ca.leaf("localhost", &["localhost", "127.0.0.1"], true, false);
        let client = client_ca.leaf("pipeline-client", &[], false, false);
        let pki = Pki {
            dir,
            server_ca,
            client_ca,
            rogue_ca,
            server,
            client,
        };
        pki.write("server.crt", &pki.server.cert);
        pki.write("server.key", &pki.server.key);
        pki.write("client-ca.crt", &pki.client_ca.pem());
        pki
    }

    fn write(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn flags(&self, mtls: bool) -> Vec<String> {
        let mut f = vec![
            format!("--tls-cert={}", self.path("server.crt")),
            format!("--tls-key={}", self.path("server.key")),
        ];
        if mtls {
            f.push(format!("--tls-client-ca={}", self.path("client-ca.crt")));
        }
        f
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The shared test config, with the model folder overridable by
/// `NUTGRAF_TEST_MODEL_DIR` (to run this suite against candidate models).
fn test_config(extra: &[&str]) -> nutgraf::config::ServeConfig {
    let mut cfg = config(extra);
    if let Some(d) = std::env::var_os("NUTGRAF_TEST_MODEL_DIR") {
        cfg.model_dir = d.into();
    }
    cfg
}

async fn start_tls(flags: &[String]) -> Running {
    let f: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
    let cfg = test_config(&f);
    server::start(&cfg, analyzer(&cfg))
        .await
        .expect("TLS server starts")
}

/// Connect with TLS and make one Analyze call; any failure (handshake,
/// connect, or the call) is returned as a string. Bounded in time so a
/// hung handshake fails the test instead of stalling it.
async fn call(
    running: &Running,
    domain: &str,
    ca: Option<&str>,
    identity: Option<&Pem>,
    token: Option<&str>,
) -> Result<pb::AnalyzeResponse, String> {
    let mut tls = ClientTlsConfig::new().domain_name(domain);
    if let Some(ca) = ca {
        tls = tls.ca_certificate(Certificate::from_pem(ca));
    }
    if let Some(id) = identity {
        tls = tls.identity(Identity::from_pem(&id.cert, &id.key));
    }
    let fut = async {
        let ch = Channel::from_shared(format!("https://{}", running.grpc_addr))
            .map_err(|e| e.to_string())?
            .tls_config(tls)
            .map_err(|e| format!("tls config: {e}"))?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .map_err(|e| format!("connect: {e:?}"))?;
        let mut c = pb::article_service_client::ArticleServiceClient::new(ch);
        let mut r = tonic::Request::new(req("tls", EN));
        if let Some(t) = token {
            r.metadata_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        c.analyze(r)
            .await
            .map(|r| r.into_inner())
            .map_err(|s| format!("call: {:?} {}", s.code(), s.message()))
    };
    tokio::time::timeout(Duration::from_secs(15), fut)
        .await
        .map_err(|_| "timed out".to_string())?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_server_auth() {
    let pki = Pki::new("tls");
    let srv = start_tls(&pki.flags(false)).await;
    let ca = pki.server_ca.pem();

    let ok = call(&srv, "localhost", Some(&ca), None, None)
        .await
        .expect("TLS with the right CA works");
    assert_eq!(ok.language, "en");
    // Health over TLS.
    {
        let tls = ClientTlsConfig::new()
            .domain_name("localhost")
            .ca_certificate(Certificate::from_pem(&ca));
        let ch = Channel::from_shared(format!("https://{}", srv.grpc_addr))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut h = tonic_health::pb::health_client::HealthClient::new(ch);
        h.check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health over TLS");
    }

    // A client that trusts nothing (no roots configured) refuses the server.
    let e = call(&srv, "localhost", None, None, None).await.unwrap_err();
    println!("no trusted CA: {e}");
    // A client that trusts another CA.
    let e = call(&srv, "localhost", Some(&pki.rogue_ca.pem()), None, None)
        .await
        .unwrap_err();
    println!("rogue CA: {e}");
    // Wrong server name.
    let e = call(&srv, "evil.example", Some(&ca), None, None)
        .await
        .unwrap_err();
    println!("wrong name: {e}");

    // Plaintext HTTP/2 against the TLS port fails quickly instead of hanging.
    let plain = tokio::time::timeout(Duration::from_secs(10), async {
        let ch = Channel::from_shared(format!("http://{}", srv.grpc_addr))
            .unwrap()
            .connect()
            .await
            .map_err(|e| format!("{e:?}"))?;
        pb::article_service_client::ArticleServiceClient::new(ch)
            .analyze(req("p", EN))
            .await
            .map_err(|s| format!("{:?}", s.code()))
    })
    .await
    .expect("plaintext attempt ends in bounded time");
    assert!(plain.is_err(), "plaintext call on a TLS port must fail");
    println!("plaintext: {}", plain.unwrap_err());

    // The server survives all of that.
    call(&srv, "localhost", Some(&ca), None, None)
        .await
        .expect("still serving TLS");
    srv.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_server_certificate_is_refused() {
    let pki = Pki::new("exp");
    let old = pki
        .server_ca
        .leaf("localhost", &["localhost", "127.0.0.1"], true, true);
    pki.write("server.crt", &old.cert);
    pki.write("server.key", &old.key);
    let srv = start_tls(&pki.flags(false)).await;
    let e = call(&srv, "localhost", Some(&pki.server_ca.pem()), None, None)
        .await
        .unwrap_err();
    println!("expired server cert: {e}");
    srv.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls() {
    let pki = Pki::new("mtls");
    let srv = start_tls(&pki.flags(true)).await;
    let ca = pki.server_ca.pem();

    let ok = call(&srv, "localhost", Some(&ca), Some(&pki.client), None)
        .await
        .expect("mTLS with a client cert signed by the client CA works");
    assert_eq!(ok.language, "en");

    let e = call(&srv, "localhost", Some(&ca), None, None)
        .await
        .unwrap_err();
    println!("no client cert: {e}");

    let rogue = pki.rogue_ca.leaf("intruder", &[], false, false);
    let e = call(&srv, "localhost", Some(&ca), Some(&rogue), None)
        .await
        .unwrap_err();
    println!("client cert from another CA: {e}");

    // The server's own certificate is signed by the *server* CA, which is
    // not the client CA: refused too.
    let e = call(&srv, "localhost", Some(&ca), Some(&pki.server), None)
        .await
        .unwrap_err();
    println!("server cert as client cert: {e}");

    let expired = pki.client_ca.leaf("old-client", &[], false, true);
    let e = call(&srv, "localhost", Some(&ca), Some(&expired), None)
        .await
        .unwrap_err();
    println!("expired client cert: {e}");

    call(&srv, "localhost", Some(&ca), Some(&pki.client), None)
        .await
        .expect("still serving mTLS");
    srv.shutdown();
}

/// With mTLS and bearer auth on, kubelet's gRPC probe (plaintext, no client
/// certificate, no token) can only reach the health-only listener: there it
/// gets SERVING for the server and the article service, and every other
/// service is UNIMPLEMENTED, so the port leaks no access. The main port
/// still refuses plaintext. On shutdown it reports NOT_SERVING.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_health_port_under_mtls() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let pki = Pki::new("health");
    let tokens = pki.write("tokens", "probe-test-token-0123456789\n");
    let mut flags = pki.flags(true);
    flags.push("--health-addr=127.0.0.1:0".into());
    flags.push(format!("--auth-tokens-file={}", tokens.display()));
    let srv = start_tls(&flags).await;
    let haddr = srv.health_addr.expect("health listener bound");
    assert_ne!(haddr, srv.grpc_addr);

    let ch = Channel::from_shared(format!("http://{haddr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("plaintext connect to the health port");
    let mut h = HealthClient::new(ch.clone());
    for svc in ["", "nutgraf.v1.ArticleService"] {
        let r = h
            .check(HealthCheckRequest {
                service: svc.into(),
            })
            .await
            .expect("health answers in plaintext without cert or token")
            .into_inner();
        assert_eq!(r.status, ServingStatus::Serving as i32, "health {svc:?}");
    }
    // Nothing but health on this port.
    let mut a = pb::article_service_client::ArticleServiceClient::new(ch.clone());
    let e = a.analyze(req("probe", EN)).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unimplemented, "{e:?}");
    let mut g = tonic::client::Grpc::new(ch.clone());
    g.ready().await.unwrap();
    let refl = g
        .unary(
            tonic::Request::new(HealthCheckRequest::default()),
            http::uri::PathAndQuery::from_static(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            ),
            tonic_prost::ProstCodec::<HealthCheckRequest, tonic_health::pb::HealthCheckResponse>::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(refl.code(), tonic::Code::Unimplemented, "{refl:?}");

    // The main port stays TLS-only.
    let plain = Channel::from_shared(format!("http://{}", srv.grpc_addr))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await;
    if let Ok(plain) = plain {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            HealthClient::new(plain).check(HealthCheckRequest::default()),
        )
        .await;
        assert!(
            !matches!(r, Ok(Ok(_))),
            "plaintext health on the TLS port must fail"
        );
    }

    // Draining shows on the probe port.
    srv.shutdown();
    let t = std::time::Instant::now();
    loop {
        match h.check(HealthCheckRequest::default()).await {
            Ok(r) if r.get_ref().status == ServingStatus::NotServing as i32 => break,
            Err(_) => break, // already stopped: the probe fails, as it should
            _ if t.elapsed() > Duration::from_secs(10) => panic!("still SERVING after shutdown"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    srv.wait().await.expect("clean stop");
}

/// Certificate hot reload: the server's certificate (and client CA) files
/// are replaced while a client holds an open connection. New connections
/// get the new certificate (a client trusting only the new CA connects, one
/// trusting only the old CA fails, a client cert from the new client CA is
/// accepted); the open connection keeps working. A broken file set is
/// ignored (the previous certificate stays) until it is fixed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_reload_without_dropping_connections() {
    let pki = Pki::new("reload");
    let mut flags = pki.flags(true);
    flags.push("--tls-reload-interval=100ms".into());
    let srv = start_tls(&flags).await;
    let old_ca = pki.server_ca.pem();

    // An open connection from before the rotation.
    let tls = ClientTlsConfig::new()
        .domain_name("localhost")
        .ca_certificate(Certificate::from_pem(&old_ca))
        .identity(Identity::from_pem(&pki.client.cert, &pki.client.key));
    let ch = Channel::from_shared(format!("https://{}", srv.grpc_addr))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("connect before rotation");
    let mut held = pb::article_service_client::ArticleServiceClient::new(ch);
    held.analyze(req("before", EN)).await.expect("call before");

    // Rotate: new server CA and certificate, new client CA.
    let new_ca = Ca::new("rotated server CA");
    let new_server = new_ca.leaf("localhost", &["localhost", "127.0.0.1"], true, false);
    let new_client_ca = Ca::new("rotated client CA");
    let new_client = new_client_ca.leaf("rotated-client", &[], false, false);
    // A half-written rotation first (garbage key): must be ignored.
    pki.write(
        "server.key",
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    call(&srv, "localhost", Some(&old_ca), Some(&pki.client), None)
        .await
        .expect("a broken key file leaves the old certificate in use");
    pki.write("server.crt", &new_server.cert);
    pki.write("server.key", &new_server.key);
    pki.write("client-ca.crt", &new_client_ca.pem());

    let t = std::time::Instant::now();
    loop {
        match call(
            &srv,
            "localhost",
            Some(&new_ca.pem()),
            Some(&new_client),
            None,
        )
        .await
        {
            Ok(_) => break,
            Err(e) if t.elapsed() > Duration::from_secs(10) => {
                panic!("new certificate not served after 10 s: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    println!("rotation picked up after {:?}", t.elapsed());
    let e = call(&srv, "localhost", Some(&old_ca), Some(&pki.client), None)
        .await
        .unwrap_err();
    println!("new connection trusting only the old CA: {e}");
    let e = call(
        &srv,
        "localhost",
        Some(&new_ca.pem()),
        Some(&pki.client),
        None,
    )
    .await
    .unwrap_err();
    println!("client cert from the old client CA: {e}");

    // The connection opened before the rotation is still up.
    held.analyze(req("after", EN))
        .await
        .expect("the open connection survives the rotation");
    srv.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_auth_over_mtls() {
    let pki = Pki::new("auth");
    let tokens = pki.write("tokens", "tls-test-token-0123456789\n");
    let mut flags = pki.flags(true);
    flags.push(format!("--auth-tokens-file={}", tokens.display()));
    let srv = start_tls(&flags).await;
    let ca = pki.server_ca.pem();
    let e = call(&srv, "localhost", Some(&ca), Some(&pki.client), None)
        .await
        .unwrap_err();
    assert!(e.contains("Unauthenticated"), "{e}");
    assert!(!e.contains("tls-test-token"), "no token leak: {e}");
    call(
        &srv,
        "localhost",
        Some(&ca),
        Some(&pki.client),
        Some("tls-test-token-0123456789"),
    )
    .await
    .expect("cert + token accepted");
    srv.shutdown();
}

/// Bad TLS files are a start-up error naming the flag, never a server that
/// starts and then fails every handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_files_fail_at_start_up() {
    let pki = Pki::new("bad");
    let garbage = pki.write(
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n",
    );
    let empty = pki.write("empty.pem", "");
    let missing = pki.dir.join("missing.pem");
    let cert = pki.path("server.crt");
    let key = pki.path("server.key");
    let p = |p: &Path| p.display().to_string();
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "missing cert",
            vec![
                format!("--tls-cert={}", p(&missing)),
                format!("--tls-key={key}"),
            ],
            "--tls-cert",
        ),
        (
            "missing key",
            vec![
                format!("--tls-cert={cert}"),
                format!("--tls-key={}", p(&missing)),
            ],
            "--tls-key",
        ),
        (
            "missing client CA",
            vec![
                format!("--tls-cert={cert}"),
                format!("--tls-key={key}"),
                format!("--tls-client-ca={}", p(&missing)),
            ],
            "--tls-client-ca",
        ),
        (
            "garbage cert",
            vec![
                format!("--tls-cert={}", p(&garbage)),
                format!("--tls-key={key}"),
            ],
            "TLS",
        ),
        (
            "empty key",
            vec![
                format!("--tls-cert={cert}"),
                format!("--tls-key={}", p(&empty)),
            ],
            "TLS",
        ),
        (
            "key of another certificate",
            {
                let other = pki.server_ca.leaf("localhost", &["localhost"], true, false);
                let k = pki.write("other.key", &other.key);
                vec![format!("--tls-cert={cert}"), format!("--tls-key={}", p(&k))]
            },
            "TLS",
        ),
        (
            "garbage client CA",
            vec![
                format!("--tls-cert={cert}"),
                format!("--tls-key={key}"),
                format!("--tls-client-ca={}", p(&garbage)),
            ],
            "TLS",
        ),
    ];
    let mut report = Vec::new();
    for (name, flags, must_mention) in cases {
        let f: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
        let cfg = test_config(&f);
        match server::start(&cfg, analyzer(&cfg)).await {
            Ok(srv) => {
                srv.shutdown();
                report.push(format!("{name}: server STARTED with a bad TLS file"));
            }
            Err(e) => {
                let msg = format!("{e:#}");
                println!("{name}: {msg}");
                if !msg.contains(must_mention) {
                    report.push(format!(
                        "{name}: error does not mention {must_mention}: {msg}"
                    ));
                }
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
