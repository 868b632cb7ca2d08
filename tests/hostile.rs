//! Hostile input through the real gRPC server (issue 8).
//!
//! Every case must end with OK or one precise status within a bounded time,
//! outputs of OK cases must keep the contract's invariants (code-point
//! offsets into the caller's text, document order, sorted topics/entities),
//! and the server must still be SERVING after the whole matrix. Run with
//! `cargo test --test hostile -- --nocapture` to see the table of
//! case / status / ms.
//!
//! Also here: bytes no honest client sends (invalid UTF-8, garbage
//! protobuf, oversized and gzip-bomb messages, hand-made HTTP/2), clients
//! that open hundreds of streams and never read, and a connection that
//! dies mid-batch — checked with the pool's in-flight counter and the
//! metrics gauges so leaked work would show.
//!
//! Worst-case cost per KB is measured on the release server by
//! scripts/cost.sh (a measurement, not a test).

mod common;

use bytes::{Buf, BufMut, Bytes};
use common::*;
use nutgraf::proto::v1 as pb;
use nutgraf::server::Running;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};

/// Longest any single matrix case may take in the (unoptimised) test
/// profile. Release is ~10x faster; see the report for release figures.
const CASE_BUDGET: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Output invariants (the contract, checked on every OK answer).

fn cp_len(s: &str) -> u32 {
    s.chars().count() as u32
}

/// Check the invariants of an `AnalyzeResponse` for the request `text`;
/// returns a description of the first violation.
fn invariants(
    text: &str,
    max_sentences: Option<u32>,
    r: &pb::AnalyzeResponse,
) -> Result<(), String> {
    let n = cp_len(text);
    let chars: Vec<char> = text.chars().collect();
    let slice = |s: u32, e: u32| -> Option<String> {
        (s <= e && e <= n).then(|| chars[s as usize..e as usize].iter().collect())
    };
    let stats = r.stats.as_ref().ok_or("no stats")?;
    if stats.chars != n {
        return Err(format!("stats.chars {} != {n}", stats.chars));
    }
    if let Some(sum) = &r.summary {
        if let Some(m) = max_sentences {
            if sum.sentences.len() as u64 > u64::from(m) {
                return Err(format!("{} sentences > max {m}", sum.sentences.len()));
            }
        }
        let mut last: Option<u32> = None;
        for s in &sum.sentences {
            if s.start >= s.end || s.end > n {
                return Err(format!("sentence span {}..{} of {n}", s.start, s.end));
            }
            if slice(s.start, s.end).as_deref() != Some(s.text.as_str()) {
                return Err(format!(
                    "sentence text != code-point slice {}..{}",
                    s.start, s.end
                ));
            }
            if s.index >= stats.sentences {
                return Err(format!("sentence index {} >= {}", s.index, stats.sentences));
            }
            if last.is_some_and(|l| l >= s.index) {
                return Err("summary not in document order".into());
            }
            last = Some(s.index);
            if !s.score.is_finite() {
                return Err("non-finite sentence score".into());
            }
        }
    }
    for e in &r.entities {
        if e.mentions.is_empty() {
            return Err(format!("entity {:?} without mentions", e.text));
        }
        if !(0.0..=1.0).contains(&e.salience) {
            return Err(format!("salience {}", e.salience));
        }
        for m in &e.mentions {
            if m.start >= m.end || m.end > n {
                return Err(format!("mention span {}..{} of {n}", m.start, m.end));
            }
            if slice(m.start, m.end).as_deref() != Some(m.text.as_str()) {
                return Err(format!(
                    "mention text != code-point slice {}..{}",
                    m.start, m.end
                ));
            }
        }
    }
    if r.entities.windows(2).any(|w| w[0].salience < w[1].salience) {
        return Err("entities not sorted by salience".into());
    }
    if r.topics.windows(2).any(|w| w[0].score < w[1].score) {
        return Err("topics not sorted by score".into());
    }
    for t in &r.topics {
        if !(0.0..=1.0).contains(&t.score) || !t.iptc_code.starts_with("medtop:") {
            return Err(format!("bad topic {t:?}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Wire-level clients: a raw-bytes codec for the tonic client, and a bare
// HTTP/2 client for frames tonic would never produce (precompressed bombs).

/// Sends and receives raw protobuf bytes, so a test can put invalid UTF-8
/// into a `string` field the way a buggy or hostile client would.
#[derive(Clone, Copy, Default)]
struct RawCodec;
struct RawEncoder;
struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut v = vec![0; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

const ANALYZE: &str = "/nutgraf.v1.ArticleService/Analyze";

/// Unary call with raw message bytes through a real tonic client.
async fn raw_unary(running: &Running, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    let mut g = tonic::client::Grpc::new(channel(running).await);
    g.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    g.unary(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(ANALYZE),
        RawCodec,
    )
    .await
    .map(|r| r.into_inner())
}

/// Protobuf length-delimited field.
fn pb_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    let mut key = u64::from(field << 3 | 2);
    let mut len = bytes.len() as u64;
    for v in [&mut key, &mut len] {
        loop {
            let b = (*v & 0x7f) as u8;
            *v >>= 7;
            if *v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }
    out.extend_from_slice(bytes);
}

/// What a bare HTTP/2 call ended with.
#[derive(Debug)]
struct WireOutcome {
    http_status: u16,
    grpc_status: Option<i32>,
    grpc_message: String,
}

/// One gRPC call over a hand-driven HTTP/2 connection: `frame` is the whole
/// request body (5-byte gRPC prefix included).
async fn raw_h2(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    frame: Bytes,
) -> Result<WireOutcome, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let (client, conn) = h2::client::handshake(tcp)
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let mut client = client.ready().await.map_err(|e| e.to_string())?;
    let mut b = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let (resp, mut send) = client
        .send_request(b.body(()).map_err(|e| e.to_string())?, false)
        .map_err(|e| e.to_string())?;
    send.send_data(frame, true).map_err(|e| e.to_string())?;
    let resp = resp.await.map_err(|e| format!("response: {e}"))?;
    let (parts, mut body) = resp.into_parts();
    let header = |h: &http::HeaderMap, k: &str| {
        h.get(k)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.to_string())
    };
    let mut grpc_status = header(&parts.headers, "grpc-status").and_then(|s| s.parse().ok());
    let mut grpc_message = header(&parts.headers, "grpc-message").unwrap_or_default();
    if grpc_status.is_none() {
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| format!("body: {e}"))?;
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        let trailers = body
            .trailers()
            .await
            .map_err(|e| format!("trailers: {e}"))?
            .unwrap_or_default();
        grpc_status = header(&trailers, "grpc-status").and_then(|s| s.parse().ok());
        grpc_message = header(&trailers, "grpc-message").unwrap_or_default();
    }
    conn.abort();
    Ok(WireOutcome {
        http_status: parts.status.as_u16(),
        grpc_status,
        grpc_message,
    })
}

/// gRPC length-prefixed message.
fn grpc_frame(compressed: bool, msg: &[u8]) -> Bytes {
    let mut b = Vec::with_capacity(msg.len() + 5);
    b.push(u8::from(compressed));
    b.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    b.extend_from_slice(msg);
    Bytes::from(b)
}

/// A gzip "bomb": a valid `AnalyzeRequest` whose `text` is `inflated`
/// bytes of one letter, compressed (~1000:1).
fn gzip_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut head = Vec::new();
    pb_field(&mut head, 1, b"bomb");
    // Field 2 header for a string of `inflated` bytes.
    let mut hdr = vec![0x12];
    let mut len = inflated as u64;
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            hdr.push(b);
            break;
        }
        hdr.push(b | 0x80);
    }
    head.extend_from_slice(&hdr);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&head).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

// ---------------------------------------------------------------------------
// Process and server state.

/// The shared test config, with the model folder overridable by
/// `NUTGRAF_TEST_MODEL_DIR` (to run this suite against candidate models).
fn test_config(extra: &[&str]) -> nutgraf::config::ServeConfig {
    let mut cfg = config(extra);
    if let Some(d) = std::env::var_os("NUTGRAF_TEST_MODEL_DIR") {
        cfg.model_dir = d.into();
    }
    cfg
}

async fn start_srv(
    extra: &[&str],
) -> (
    Running,
    pb::article_service_client::ArticleServiceClient<tonic::transport::Channel>,
) {
    let cfg = test_config(extra);
    let running = nutgraf::server::start(&cfg, analyzer(&cfg))
        .await
        .expect("server starts");
    let c = client(&running).await;
    (running, c)
}

async fn assert_serving(running: &Running) {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let mut h = HealthClient::new(channel(running).await);
    for svc in ["", "nutgraf.v1.ArticleService"] {
        let r = h
            .check(HealthCheckRequest {
                service: svc.into(),
            })
            .await
            .expect("health answers")
            .into_inner();
        assert_eq!(r.status, ServingStatus::Serving as i32, "health {svc:?}");
    }
}

/// Wait until no analysis is queued or running and no stream is open.
async fn wait_idle(running: &Running, within: Duration) -> Result<Duration, String> {
    let t = Instant::now();
    loop {
        let (inf, open) = (running.pool.in_flight(), running.metrics.streams_open.get());
        if inf == 0 && open == 0 {
            return Ok(t.elapsed());
        }
        if t.elapsed() > within {
            return Err(format!(
                "still busy after {within:?}: {inf} analyses in flight, {open} streams open"
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------
// Inputs.

/// Text of exactly `bytes` UTF-8 bytes: Arabic sentences (2-byte letters),
/// padded with ASCII so any length is reachable.
fn exact_bytes(bytes: usize) -> String {
    let unit = "أعلن وزير الاقتصاد في الرباط عن خطة جديدة للاستثمار. ";
    let mut s = String::with_capacity(bytes);
    while s.len() + unit.len() <= bytes {
        s.push_str(unit);
    }
    while s.len() < bytes {
        s.push('x');
    }
    s
}

fn no_punctuation(bytes: usize) -> String {
    let words = [
        "the",
        "minister",
        "met",
        "officials",
        "in",
        "Rabat",
        "about",
        "budget",
        "and",
        "trade",
        "with",
        "Morocco",
        "bank",
        "plan",
    ];
    let mut s = String::with_capacity(bytes + 16);
    let mut i = 0usize;
    while s.len() < bytes {
        s.push_str(words[i % words.len()]);
        s.push(' ');
        i = i.wrapping_mul(31).wrapping_add(7) % 1009;
    }
    s.truncate(bytes);
    s
}

fn one_word_sentences(n: usize) -> String {
    let words = ["No.", "Ok.", "Si.", "لا."];
    let mut s = String::with_capacity(n * 5);
    for i in 0..n {
        s.push_str(words[i % words.len()]);
        s.push(if i % 50 == 49 { '\n' } else { ' ' });
    }
    s
}

const DIACRITIZED_AR: &str = "أَعْلَنَ وَزِيرُ الْاِقْتِصَادِ الْمَغْرِبِيُّ فِي الرِّبَاطِ، يَوْمَ الْاِثْنَيْنِ، عَنْ خُطَّةٍ جَدِيدَةٍ لِدَعْمِ الْاِسْتِثْمَارِ فِي الْمُدُنِ الصَّغِيرَةِ. وَقَالَ مُحَمَّدُ بْنُ عَلِيٍّ إِنَّ الْحُكُومَةَ سَتُخَصِّصُ مِلْيَارَيْ دِرْهَمٍ لِهٰذَا الْبَرْنَامَجِ. وَرَحَّبَتْ غُرْفَةُ التِّجَارَةِ فِي الدَّارِ الْبَيْضَاءِ بِالْقَرَارِ.";

const MIXED_SCRIPTS: &str = "Le président Макрон a rencontré 習近平 à Pékin (北京) puis le roi محمد السادس à Rabat. \
Москва заявила, что переговоры продолжатся. 会议在东京举行。 The World Bank (البنك الدولي) approved a loan of $2bn. \
وقال المتحدث باسم Kremlin إن الاجتماع كان مثمرا.";

const HTML_JSON_CODE: &str = r#"<html><head><title>Breaking: minister resigns</title><script>var x = "</script>";</script></head>
<body><div class="article"><p>The <b>minister</b> of finance resigned on Monday in <a href="/rabat">Rabat</a>.</p>
<!-- comment --><p>Officials said the &amp; budget &lt;would&gt; be delayed.</p></div></body></html>
{"id": 12, "text": "Le ministre a démissionné.", "tags": ["politique", null, true], "nested": {"a": [1,2,{"b": "\u0000"}]}}
fn main() { let v: Vec<u8> = vec![0; 10]; println!("{:?}", v.iter().map(|x| x + 1).collect::<Vec<_>>()); }
SELECT * FROM articles WHERE body LIKE '%وزير%'; -- DROP TABLE users;"#;

fn boilerplate_only() -> String {
    let lines = [
        "Leave a comment",
        "Share on Facebook",
        "Share on Twitter",
        "اترك تعليقاً",
        "لن يتم نشر عنوان بريدك الإلكتروني.",
        "Abonnez-vous à notre newsletter",
        "Read more",
        "Cookies help us deliver our services.",
    ];
    let mut s = String::new();
    for i in 0..400 {
        s.push_str(lines[i % lines.len()]);
        s.push('\n');
    }
    s
}

fn controls() -> String {
    let mut s = String::from("Le ministre\u{0} a parlé\u{1}\u{2}\u{3} à Rabat.\u{7}\u{8}\u{b}\u{c} The minister \u{1b}[31mspoke\u{1b}[0m in Rabat.\r\n");
    for c in (0u32..0x20).chain(0x7f..0xa0) {
        s.push(char::from_u32(c).unwrap_or(' '));
        s.push_str("word ");
    }
    s.push_str("\u{2028}line\u{2029}para\u{85}next\u{feff}bom\u{fffe}\u{ffff}\u{e000}\u{10ffff}. وقال الوزير\u{0} إن الخطة جاهزة.");
    s
}

fn lone_combining() -> String {
    // Marks with no base, at the start, after spaces and punctuation, and a
    // "zalgo" pile on one letter.
    let mut s = String::from("\u{301}\u{308}\u{651}\u{64e} \u{301}. \u{670}\u{654}");
    s.push('a');
    for _ in 0..2000 {
        s.push('\u{336}');
    }
    s.push_str(" Le ministre\u{301}\u{301} a parlé. \u{64b}\u{64c}\u{64d} الوزير\u{651}\u{651}\u{651} قال.");
    s
}

fn zwj_bidi_emoji() -> String {
    let mut s = String::new();
    s.push_str("The min\u{200d}ister met the ki\u{200c}ng in Ra\u{200b}bat. ");
    s.push_str("\u{202e}tabaR ni tem retsinim ehT\u{202c}. \u{2067}وزير\u{2069} \u{202d}LRO\u{202a}LRE\u{202b}RLE\u{200f}\u{200e}. ");
    s.push_str("Family 👨\u{200d}👩\u{200d}👧\u{200d}👦 and 🏳\u{fe0f}\u{200d}🌈 flags 🇲🇦🇫🇷 and 👍🏽 skin tones. ");
    for _ in 0..500 {
        s.push('\u{200d}');
    }
    s.push_str(" وقال\u{200d} الوزير\u{200c} إن 🇲🇦 بخير.");
    s
}

fn numbers_only() -> String {
    let mut s = String::new();
    for i in 0..2000u32 {
        let _ = write!(s, "{} ", i.wrapping_mul(2654435761));
        if i % 10 == 9 {
            s.push_str("٣٤٥٦ ۱۲۳ 1,234.56 -7e10 ");
            s.push('\n');
        }
    }
    s
}

// ---------------------------------------------------------------------------
// The matrix.

struct Row {
    case: String,
    status: String,
    ms: u128,
    note: String,
}

fn code_str(c: Code) -> String {
    format!("{c:?}")
}

fn print_table(rows: &[Row]) {
    println!("\n{:<44} | {:<22} | {:>8} | note", "case", "status", "ms");
    println!("{}", "-".repeat(100));
    for r in rows {
        println!(
            "{:<44} | {:<22} | {:>8} | {}",
            r.case, r.status, r.ms, r.note
        );
    }
}

/// What a case may end with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    Code(Code),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_matrix() {
    let (srv, c) = start_srv(&["--request-timeout=60s"]).await;
    let limit = nutgraf::config::ServeConfig::default_max_text();
    let mut rows: Vec<Row> = Vec::new();
    let mut failures: Vec<String> = Vec::new();

    // (case, request, expectation)
    let mut cases: Vec<(String, pb::AnalyzeRequest, Expect)> = Vec::new();
    let mut add = |name: &str, r: pb::AnalyzeRequest, e: Expect| cases.push((name.into(), r, e));
    add(
        "empty text",
        req("e", ""),
        Expect::Code(Code::InvalidArgument),
    );
    add(
        "whitespace/zero-width/bidi only",
        req(
            "w",
            " \t\n\r\u{3000}\u{a0}\u{200b}\u{200f}\u{202e}\u{2066}\u{feff}\u{2028}",
        ),
        Expect::Code(Code::InvalidArgument),
    );
    add(
        "text exactly at the limit (1 MiB)",
        req("at", &exact_bytes(limit)),
        Expect::Ok,
    );
    add(
        "text one byte over the limit",
        req("over", &exact_bytes(limit + 1)),
        Expect::Code(Code::InvalidArgument),
    );
    add(
        "1 MB, no punctuation, no newline",
        req("np", &no_punctuation(1_000_000)),
        Expect::Ok,
    );
    add(
        "200,000 one-word sentences",
        req("ows", &one_word_sentences(200_000)),
        Expect::Ok,
    );
    add(
        "single 100,000-char word (latin)",
        req("w1", &"a".repeat(100_000)),
        Expect::Ok,
    );
    add(
        "single 100,000-char word (arabic)",
        req("w2", &"ب".repeat(100_000)),
        Expect::Ok,
    );
    add(
        "NUL and control characters",
        req("ctl", &controls()),
        Expect::Ok,
    );
    add(
        "lone combining marks, zalgo",
        req("cm", &lone_combining()),
        Expect::Ok,
    );
    add(
        "ZWJ/ZWNJ, bidi overrides, emoji ZWJ",
        req("zwj", &zwj_bidi_emoji()),
        Expect::Ok,
    );
    add(
        "mixed Arabic/Latin/CJK/Cyrillic",
        req("mix", MIXED_SCRIPTS),
        Expect::Ok,
    );
    add(
        "Arabic with full diacritics",
        req("tash", DIACRITIZED_AR),
        Expect::Ok,
    );
    add("numbers only", req("num", &numbers_only()), Expect::Ok);
    add(
        "HTML/JSON/code pasted as text",
        req("html", HTML_JSON_CODE),
        Expect::Ok,
    );
    add(
        "repeated boilerplate only",
        req("bp", &boilerplate_only()),
        Expect::Ok,
    );
    for (name, n) in [
        ("max_sentences 0 (default)", 0u32),
        ("max_sentences 1", 1),
        ("max_sentences 2^32-1", u32::MAX),
    ] {
        let mut r = req("ms", AR);
        r.summary = Some(pb::SummaryOptions {
            max_sentences: n,
            ..Default::default()
        });
        add(name, r, Expect::Ok);
    }
    for (name, hint) in [
        ("unknown language hint \"xx\"", "xx"),
        ("language hint \"de-DE\"", "de-DE"),
        ("language hint with NUL \"ar\\0\"", "ar\u{0}"),
        ("language hint of 10 KB", &*"a".repeat(10_000)),
        // Echoed into grpc-message, a huge hint would make a response
        // header larger than clients accept (16 KiB by default in hyper).
        ("language hint of 1 MB", &*"a".repeat(1_000_000)),
    ] {
        let mut r = req("lh", EN);
        r.language = hint.to_string();
        add(name, r, Expect::Code(Code::InvalidArgument));
    }
    add(
        "id of 10 KB",
        req(&"i".repeat(10 * 1024), EN),
        Expect::Code(Code::InvalidArgument),
    );
    let mut r = req("t", EN);
    r.title = Some("T".repeat(100_000));
    add("title of 100 KB", r, Expect::Code(Code::InvalidArgument));
    let mut r = req("nan", EN);
    r.summary = Some(pb::SummaryOptions {
        ratio: f32::NAN,
        ..Default::default()
    });
    add("summary.ratio NaN", r, Expect::Code(Code::InvalidArgument));
    let mut r = req("ms", EN);
    r.topics = Some(pb::TopicOptions {
        top_k: u32::MAX,
        min_score: f32::MIN_POSITIVE,
    });
    add("topics.top_k 2^32-1", r, Expect::Ok);
    let mut r = req("ms", EN);
    r.parts = vec![i32::MAX, -1];
    add(
        "unknown parts values",
        r,
        Expect::Code(Code::InvalidArgument),
    );
    add(
        "message over the gRPC size limit (5 MB)",
        req("big", &"a ".repeat(5 << 19)),
        // tonic's own OUT_OF_RANGE is rewritten to the gRPC spec's code
        // (src/server/oversize.rs).
        Expect::Code(Code::ResourceExhausted),
    );

    for (name, r, expect) in cases {
        let text = r.text.clone();
        let max_sentences = r
            .summary
            .as_ref()
            .map(|s| s.max_sentences)
            .filter(|&m| m > 0);
        let mut c = c.clone();
        let t = Instant::now();
        let res = c.analyze(r).await;
        let ms = t.elapsed().as_millis();
        let (status, mut note) = match &res {
            Ok(resp) => {
                let resp = resp.get_ref();
                let note = format!(
                    "lang={} sum={} ent={} top={}",
                    resp.language,
                    resp.summary.as_ref().map_or(0, |s| s.sentences.len()),
                    resp.entities.len(),
                    resp.topics.len()
                );
                if let Err(e) = invariants(&text, max_sentences, resp) {
                    failures.push(format!("{name}: invariant broken: {e}"));
                }
                ("OK".to_string(), note)
            }
            Err(s) => (code_str(s.code()), truncate(s.message(), 60)),
        };
        let ok = match (expect, &res) {
            (Expect::Ok, Ok(_)) => true,
            (Expect::Code(c), Err(s)) => s.code() == c,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name}: expected {expect:?}, got {status} ({note})"
            ));
        }
        if t.elapsed() > CASE_BUDGET {
            failures.push(format!("{name}: took {ms} ms"));
        }
        if name.contains("over the gRPC size limit") {
            // Actionable: names the flag and the limit (4 MiB default).
            if let Err(s) = &res {
                if !s.message().contains("--max-message-bytes") || !s.message().contains("4194304")
                {
                    failures.push(format!("{name}: message not actionable: {}", s.message()));
                }
            }
        }
        if name.contains("over the limit") {
            if let Err(s) = &res {
                if !s.message().contains(&limit.to_string()) {
                    failures.push(format!("{name}: message does not name the limit"));
                }
            }
        }
        note.truncate(70);
        rows.push(Row {
            case: name,
            status,
            ms,
            note,
        });
    }

    // Wire-level cases.
    {
        // Invalid UTF-8 in `text` (field 2) through a real tonic client.
        let mut msg = Vec::new();
        pb_field(&mut msg, 1, b"bad-utf8");
        pb_field(
            &mut msg,
            2,
            b"Le ministre \xff\xfe a parl\xe9 \xc3\x28 \xed\xa0\x80.",
        );
        let t = Instant::now();
        let r = raw_unary(&srv, msg).await;
        wire_row(
            &mut rows,
            &mut failures,
            "invalid UTF-8 in text (tonic, raw codec)",
            t,
            r.map(|_| ()),
            &[Code::InvalidArgument, Code::Internal],
        );

        // Invalid UTF-8 in the id only.
        let mut msg = Vec::new();
        pb_field(&mut msg, 1, b"\xc0\xaf");
        pb_field(&mut msg, 2, EN.as_bytes());
        let t = Instant::now();
        let r = raw_unary(&srv, msg).await;
        wire_row(
            &mut rows,
            &mut failures,
            "invalid UTF-8 in id (overlong '/')",
            t,
            r.map(|_| ()),
            &[Code::InvalidArgument, Code::Internal],
        );

        // Garbage and truncated protobuf.
        for (name, msg) in [
            ("garbage protobuf bytes", vec![0xff; 64]),
            (
                "truncated length-delimited field",
                vec![0x12, 0xff, 0xff, 0x03, b'a'],
            ),
            (
                "varint of 11 bytes",
                vec![
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
            ),
        ] {
            let t = Instant::now();
            let r = raw_unary(&srv, msg).await;
            wire_row(
                &mut rows,
                &mut failures,
                name,
                t,
                r.map(|_| ()),
                &[Code::Internal, Code::InvalidArgument],
            );
        }

        // gRPC length prefix larger than the body (client lies about size).
        let t = Instant::now();
        let mut frame = vec![0u8];
        frame.extend_from_slice(&1000u32.to_be_bytes());
        frame.extend_from_slice(b"short");
        let r = raw_h2(srv.grpc_addr, ANALYZE, &[], Bytes::from(frame)).await;
        h2_row(
            &mut rows,
            &mut failures,
            "length prefix > body (raw h2)",
            t,
            r,
            &[
                Code::Internal,
                Code::InvalidArgument,
                Code::Cancelled,
                Code::Unknown,
            ],
        );

        // Compressed flag without grpc-encoding.
        let t = Instant::now();
        let r = raw_h2(srv.grpc_addr, ANALYZE, &[], grpc_frame(true, b"\x0a\x01x")).await;
        h2_row(
            &mut rows,
            &mut failures,
            "compressed flag, no grpc-encoding",
            t,
            r,
            &[Code::Internal, Code::Unimplemented],
        );

        // Unknown grpc-encoding.
        let t = Instant::now();
        let r = raw_h2(
            srv.grpc_addr,
            ANALYZE,
            &[("grpc-encoding", "br")],
            grpc_frame(true, b"\x0a\x01x"),
        )
        .await;
        h2_row(
            &mut rows,
            &mut failures,
            "grpc-encoding br (unsupported)",
            t,
            r,
            &[Code::Unimplemented, Code::Internal],
        );

        // Corrupt gzip.
        let t = Instant::now();
        let r = raw_h2(
            srv.grpc_addr,
            ANALYZE,
            &[("grpc-encoding", "gzip")],
            grpc_frame(true, b"\x1f\x8b\x08\x00garbage-not-deflate"),
        )
        .await;
        h2_row(
            &mut rows,
            &mut failures,
            "corrupt gzip body",
            t,
            r,
            &[Code::Internal],
        );

        // The gzip bomb: 256 KiB that inflates to 256 MiB (64x the limit).
        let bomb = gzip_bomb(256 << 20);
        let rss0 = rss_kib();
        let t = Instant::now();
        let r = raw_h2(
            srv.grpc_addr,
            ANALYZE,
            &[("grpc-encoding", "gzip")],
            grpc_frame(true, &bomb),
        )
        .await;
        let grown = rss_kib().saturating_sub(rss0) / 1024;
        let name = format!("gzip bomb {} KiB -> 256 MiB", bomb.len() / 1024);
        h2_row(
            &mut rows,
            &mut failures,
            &name,
            t,
            r,
            &[Code::ResourceExhausted],
        );
        if let Some(row) = rows.last_mut() {
            row.note = format!("{} | RSS +{grown} MiB", row.note);
        }
        if grown > 64 {
            failures.push(format!("gzip bomb grew RSS by {grown} MiB"));
        }
    }

    // After all that: still serving, nothing in flight, real work still OK.
    assert_serving(&srv).await;
    if let Err(e) = wait_idle(&srv, Duration::from_secs(10)).await {
        failures.push(e);
    }
    let mut c2 = client(&srv).await;
    let resp = c2.analyze(req("after", AR)).await.expect("still analysing");
    invariants(AR, None, resp.get_ref()).expect("invariants after the matrix");

    print_table(&rows);
    srv.shutdown();
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn wire_row(
    rows: &mut Vec<Row>,
    failures: &mut Vec<String>,
    name: &str,
    t: Instant,
    r: Result<(), Status>,
    allowed: &[Code],
) {
    let ms = t.elapsed().as_millis();
    let (status, note) = match &r {
        Ok(()) => ("OK".to_string(), String::new()),
        Err(s) => (code_str(s.code()), truncate(s.message(), 60)),
    };
    match &r {
        Err(s) if allowed.contains(&s.code()) => {}
        _ => failures.push(format!(
            "{name}: expected one of {allowed:?}, got {status} {note}"
        )),
    }
    rows.push(Row {
        case: name.into(),
        status,
        ms,
        note,
    });
}

fn h2_row(
    rows: &mut Vec<Row>,
    failures: &mut Vec<String>,
    name: &str,
    t: Instant,
    r: Result<WireOutcome, String>,
    allowed: &[Code],
) {
    let ms = t.elapsed().as_millis();
    let (status, note) = match &r {
        Ok(w) => match w.grpc_status {
            Some(s) => (
                code_str(Code::from_i32(s)),
                format!("http {} {}", w.http_status, truncate(&w.grpc_message, 50)),
            ),
            None => ("no grpc-status".into(), format!("http {}", w.http_status)),
        },
        Err(e) => ("transport error".into(), truncate(e, 60)),
    };
    let ok =
        matches!(&r, Ok(w) if w.grpc_status.is_some_and(|s| allowed.contains(&Code::from_i32(s))));
    if !ok {
        failures.push(format!(
            "{name}: expected one of {allowed:?}, got {status} {note}"
        ));
    }
    rows.push(Row {
        case: name.into(),
        status,
        ms,
        note,
    });
}

// ---------------------------------------------------------------------------
// Slow, stuck and vanishing clients.

/// Hundreds of AnalyzeStream calls that are never read: the server finishes
/// or parks them without unbounded memory, keeps answering others, and
/// releases everything when the connections go.
///
/// (This test used to hang: each client thread's `opened_tx` lived until
/// the thread was told to stop, so summing `opened_rx.iter()` waited for
/// senders that were waiting for it. The tonic client itself was fine.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_unread_streams_then_disconnect() {
    // Spread the streams over several tonic connections, each under the
    // server's per-connection stream limit (200 by default).
    const CONNS: usize = 6;
    const PER_CONN: usize = 90;
    let (srv, _c) = start_srv(&["--max-concurrent-analyses=16"]).await;
    let rss0 = rss_kib();
    // Each client lives on its own runtime thread so that dropping the
    // runtime kills its connection abruptly, as a crashed client would.
    let (opened_tx, opened_rx) = std::sync::mpsc::channel::<usize>();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut threads = Vec::new();
    let addr = srv.grpc_addr;
    for k in 0..CONNS {
        let opened_tx = opened_tx.clone();
        let mut stop_rx = stop_rx.clone();
        threads.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let ch = tonic::transport::Channel::from_shared(format!("http://{addr}"))
                    .unwrap()
                    .connect()
                    .await
                    .unwrap();
                let c = pb::article_service_client::ArticleServiceClient::new(ch);
                let mut held = Vec::new();
                let mut opened = 0;
                for i in 0..PER_CONN {
                    let mut c = c.clone();
                    // Open, then hold the response stream without reading it.
                    match c.analyze_stream(req(&format!("{k}-{i}"), AR)).await {
                        Ok(s) => {
                            held.push(s.into_inner());
                            opened += 1;
                        }
                        Err(e) => panic!("stream {k}-{i}: {e:?}"),
                    }
                }
                opened_tx.send(opened).unwrap();
                let _ = stop_rx.wait_for(|s| *s).await;
                drop(held);
            });
            // Runtime dropped here: the connection dies with it.
        }));
    }
    drop(opened_tx);
    let opened: usize = tokio::task::spawn_blocking(move || opened_rx.iter().take(CONNS).sum())
        .await
        .unwrap();
    assert_eq!(opened, CONNS * PER_CONN);

    // All analyses either ran (events parked, bounded by article size) or
    // wait for a slot; the admission limit is never exceeded.
    let t = Instant::now();
    let mut max_in_flight = 0;
    while t.elapsed() < Duration::from_secs(60) {
        let inf = srv.pool.in_flight();
        max_in_flight = max_in_flight.max(inf);
        if inf == 0 && srv.metrics.streams_open.get() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        max_in_flight <= 16,
        "admission limit exceeded: {max_in_flight}"
    );
    let rss_during = rss_kib();
    // Others are still served while the unread streams sit there.
    assert_serving(&srv).await;
    let mut c = client(&srv).await;
    c.analyze(req("other", EN))
        .await
        .expect("a normal call still works");

    let _ = stop_tx.send(true);
    for th in threads {
        th.join().unwrap();
    }
    let idle = wait_idle(&srv, Duration::from_secs(10)).await;
    let rss_after = rss_kib();
    println!(
        "{} unread streams: in-flight max {max_in_flight}, RSS {} -> {} -> {} MiB",
        CONNS * PER_CONN,
        rss0 / 1024,
        rss_during / 1024,
        rss_after / 1024
    );
    idle.expect("nothing left in flight after the clients vanished");
    let grown = rss_during.saturating_sub(rss0) / 1024;
    assert!(
        grown < 400,
        "{} unread streams grew RSS by {grown} MiB",
        CONNS * PER_CONN
    );
    srv.shutdown();
}

/// Streams that queue behind the admission limit with large articles, then
/// the client vanishes: queued work is dropped without running, and the
/// pool is free again long before the queued work could have finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_stream_client_cancels_queued_work() {
    let (srv, _c) = start_srv(&["--worker-threads=1", "--max-concurrent-analyses=2"]).await;
    let addr = srv.grpc_addr;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let th = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let ch = tonic::transport::Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let c = pb::article_service_client::ArticleServiceClient::new(ch)
                .max_encoding_message_size(8 << 20);
            let big = long_text(600_000);
            let mut held = Vec::new();
            for i in 0..40 {
                let mut c = c.clone();
                held.push(c.analyze_stream(req(&i.to_string(), &big)).await.unwrap());
            }
            ready_tx.send(()).unwrap();
            // Keep them open briefly, then die without a goodbye.
            tokio::time::sleep(Duration::from_millis(300)).await;
            std::mem::forget(held);
        });
    });
    tokio::task::spawn_blocking(move || ready_rx.recv().unwrap())
        .await
        .unwrap();
    assert!(srv.metrics.streams_open.get() > 0);
    th.join().unwrap();
    let t = Instant::now();
    let took = wait_idle(&srv, Duration::from_secs(30)).await;
    println!(
        "40 queued 600 KB streams, client gone: idle after {:?}",
        t.elapsed()
    );
    took.expect("queued stream work is cancelled when the client vanishes");
    let m = http_get(srv.metrics_addr, "/metrics").await;
    assert!(
        m.contains("nutgraf_grpc_requests_total{code=\"CANCELLED\",method=\"AnalyzeStream\"}"),
        "cancelled streams are counted"
    );
    srv.shutdown();
}

/// A connection that dies in the middle of a batch: the window's work is
/// cancelled and the stream is accounted as CANCELLED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_batch() {
    let (srv, _c) = start_srv(&["--worker-threads=1", "--batch-window=8"]).await;
    let addr = srv.grpc_addr;
    let (read_tx, read_rx) = std::sync::mpsc::channel::<()>();
    let (die_tx, die_rx) = tokio::sync::oneshot::channel::<()>();
    let th = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let ch = tonic::transport::Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut c = pb::article_service_client::ArticleServiceClient::new(ch);
            let body = long_text(400_000);
            let input = futures::stream::iter(0..1000).map(move |i| req(&i.to_string(), &body));
            use futures::StreamExt;
            let mut out = c.analyze_batch(input).await.unwrap().into_inner();
            let first = out.next().await.unwrap().unwrap();
            assert_eq!(first.id, "0");
            read_tx.send(()).unwrap();
            let _ = die_rx.await;
            // Return with the stream and connection open: the runtime is
            // dropped and the socket with it.
        });
    });
    tokio::task::spawn_blocking(move || read_rx.recv().unwrap())
        .await
        .unwrap();
    // Make sure the window holds running work when the connection dies.
    let t = Instant::now();
    while srv.pool.in_flight() == 0 && t.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let busy = srv.pool.in_flight();
    assert!(busy > 0, "no batch work in flight to cancel");
    let _ = die_tx.send(());
    th.join().unwrap();
    let t = Instant::now();
    let took = wait_idle(&srv, Duration::from_secs(30)).await;
    println!(
        "batch connection dropped with {busy} analyses in flight: idle after {:?}",
        t.elapsed()
    );
    took.expect("batch work is cancelled when the connection dies");
    let m = http_get(srv.metrics_addr, "/metrics").await;
    assert!(
        m.contains("nutgraf_grpc_requests_total{code=\"CANCELLED\",method=\"AnalyzeBatch\"} 1"),
        "dropped batch accounted as CANCELLED"
    );
    assert_serving(&srv).await;
    srv.shutdown();
}

/// One hand-driven HTTP/2 connection asks for 1,000 AnalyzeStream calls
/// (64 KB articles each) and never reads a byte of the answers, then
/// vanishes. The server advertises its per-connection stream limit (200 by
/// default), so the client can only have that many open: the parked
/// requests, and the memory they hold, are bounded by it, and everything is
/// released (nothing in flight, no stream open) once the connection is
/// gone. (Before the limit, all 1,000 were accepted: RSS +98 MiB.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_1000_unread_streams() {
    const STREAMS: usize = 1000;
    const LIMIT: usize = 200;
    let (srv, _c) = start_srv(&["--worker-threads=1", "--max-concurrent-analyses=4"]).await;
    let text = long_text(64 << 10);
    let mut msg = Vec::new();
    pb_field(&mut msg, 1, b"s");
    pb_field(&mut msg, 2, text.as_bytes());
    let frame = grpc_frame(false, &msg);
    let rss0 = rss_kib();

    let tcp = tokio::net::TcpStream::connect(srv.grpc_addr).await.unwrap();
    let (client, mut conn) = h2::client::Builder::new()
        .initial_max_send_streams(STREAMS * 2)
        .handshake::<_, Bytes>(tcp)
        .await
        .unwrap();
    // One PING round trip: the server's SETTINGS precede its PING ACK, so
    // the client knows the limit before it starts.
    let mut ping = conn.ping_pong().expect("ping handle");
    let conn = tokio::spawn(conn);
    ping.ping(h2::Ping::opaque()).await.expect("pong");
    let mut client = Some(client);
    let mut pending = Vec::with_capacity(STREAMS);
    let mut advertised = 0;
    for i in 0..STREAMS {
        // A conforming client stops at the advertised limit: `ready` waits
        // for a stream to close, which never happens here (nobody reads).
        let Some(c) = client.take() else { break };
        let Ok(Ok(mut c)) = tokio::time::timeout(Duration::from_secs(3), c.ready()).await else {
            break;
        };
        advertised = c.current_max_send_streams();
        let r = http::Request::builder()
            .method("POST")
            .uri(format!(
                "http://{}/nutgraf.v1.ArticleService/AnalyzeStream",
                srv.grpc_addr
            ))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        let (resp, mut send) = c.send_request(r, false).unwrap();
        send.send_data(frame.clone(), true).unwrap();
        pending.push((i, resp, send));
        client = Some(c);
    }
    let sent = pending.len();
    assert_eq!(advertised, LIMIT, "SETTINGS_MAX_CONCURRENT_STREAMS");
    // Response headers of every stream the server took (it answers them at
    // once and parks the work). Streams past the limit sit in the client's
    // own queue and never resolve: once the limit is reached, stop waiting
    // after a quiet second.
    let mut accepted = 0;
    let mut held = Vec::new();
    let mut waiting: futures::stream::FuturesUnordered<_> = pending
        .into_iter()
        .map(|(_, resp, send)| async move { (resp.await, send) })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let wait = if accepted >= LIMIT {
            Duration::from_secs(1)
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        match tokio::time::timeout(wait, futures::StreamExt::next(&mut waiting)).await {
            Ok(Some((Ok(r), send))) => {
                if r.status() == 200 {
                    accepted += 1;
                }
                held.push((r, send));
            }
            Ok(Some((Err(_), _))) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let open = srv.metrics.streams_open.get();
    let inflight = srv.pool.in_flight();
    let rss_peak = rss_kib();
    let grown = rss_peak.saturating_sub(rss0) / 1024;
    println!(
        "one connection: {sent} sent (of {STREAMS} wanted), {accepted} accepted (limit {advertised}), {open} open, {inflight} analyses in flight (limit 4), RSS +{grown} MiB",
    );
    assert!(inflight <= 4, "admission limit exceeded: {inflight}");
    assert!(
        accepted <= LIMIT,
        "{accepted} streams accepted on one connection"
    );
    assert!(
        accepted >= LIMIT / 2,
        "only {accepted} streams accepted: the test does not reach the limit"
    );
    assert!(
        grown < 200,
        "{accepted} parked streams grew RSS by {grown} MiB"
    );
    // The client vanishes without reading anything.
    conn.abort();
    drop(held);
    drop(waiting);
    drop(client);
    let t = Instant::now();
    let idle = wait_idle(&srv, Duration::from_secs(30)).await;
    println!(
        "connection gone: idle after {:?}, RSS now +{} MiB",
        t.elapsed(),
        rss_kib().saturating_sub(rss0) / 1024
    );
    idle.expect("all parked stream work released when the connection dies");
    assert_serving(&srv).await;
    srv.shutdown();
}

// ---------------------------------------------------------------------------
// A client that ignores SETTINGS_MAX_CONCURRENT_STREAMS. h2's client always
// obeys the limit, so these frames are written by hand (RFC 9113 framing,
// HPACK literals without Huffman coding).

fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(9 + payload.len());
    f.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    f.push(kind);
    f.push(flags);
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// HPACK block of an AnalyzeStream request (no body yet).
fn hpack_request(authority: &str) -> Vec<u8> {
    fn lit(out: &mut Vec<u8>, s: &str) {
        assert!(s.len() < 127);
        out.push(s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }
    let mut b = vec![0x83, 0x86]; // :method POST, :scheme http (static table)
    b.push(0x04); // :path, literal value without indexing
    lit(&mut b, "/nutgraf.v1.ArticleService/AnalyzeStream");
    b.push(0x01); // :authority
    lit(&mut b, authority);
    b.extend_from_slice(&[0x0f, 0x10]); // content-type (static index 31)
    lit(&mut b, "application/grpc");
    b.push(0x00); // te: new name
    lit(&mut b, "te");
    lit(&mut b, "trailers");
    b
}

async fn read_frame(
    r: &mut (impl tokio::io::AsyncRead + Unpin),
) -> std::io::Result<(u8, u8, u32, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let mut h = [0u8; 9];
    r.read_exact(&mut h).await?;
    let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
    let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
    let mut p = vec![0; len];
    r.read_exact(&mut p).await?;
    Ok((h[3], h[4], stream, p))
}

/// The server advertises `--max-concurrent-streams` in its SETTINGS and
/// refuses each stream past it with RST_STREAM(REFUSED_STREAM) — a code
/// clients may retry — instead of taking it on; once streams close, new
/// ones are accepted again on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_past_the_limit_are_refused() {
    use tokio::io::AsyncWriteExt;
    const LIMIT: u32 = 8;
    const EXTRA: u32 = 5;
    let (srv, _c) = start_srv(&[&format!("--max-concurrent-streams={LIMIT}")]).await;
    let tcp = tokio::net::TcpStream::connect(srv.grpc_addr).await.unwrap();
    let (mut rd, mut wr) = tcp.into_split();
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(h2_frame(4, 0, 0, &[])); // our SETTINGS: defaults
    wr.write_all(&out).await.unwrap();

    // The server's SETTINGS come first; acknowledge them so they apply.
    let mut advertised = None;
    let t = Instant::now();
    while advertised.is_none() && t.elapsed() < Duration::from_secs(10) {
        let (kind, flags, _, p) = read_frame(&mut rd).await.unwrap();
        if kind == 4 && flags & 1 == 0 {
            for kv in p.chunks_exact(6) {
                if u16::from_be_bytes([kv[0], kv[1]]) == 3 {
                    advertised = Some(u32::from_be_bytes([kv[2], kv[3], kv[4], kv[5]]));
                }
            }
            wr.write_all(&h2_frame(4, 1, 0, &[])).await.unwrap();
            break;
        }
    }
    assert_eq!(advertised, Some(LIMIT), "SETTINGS_MAX_CONCURRENT_STREAMS");
    // Give the server the ACK before the flood (it applies the limit then).
    tokio::time::sleep(Duration::from_millis(100)).await;

    // LIMIT + EXTRA request headers, no body: each stream stays open on
    // the server, waiting for its message.
    let block = hpack_request(&srv.grpc_addr.to_string());
    let ids: Vec<u32> = (0..LIMIT + EXTRA).map(|k| 1 + 2 * k).collect();
    let mut burst = Vec::new();
    for &id in &ids {
        burst.extend(h2_frame(1, 0x4, id, &block)); // HEADERS, END_HEADERS
    }
    wr.write_all(&burst).await.unwrap();

    // Collect RST_STREAMs for a while (PINGs and WINDOW_UPDATEs ignored).
    let mut refused = Vec::new();
    let mut other_resets = Vec::new();
    let collect = async {
        loop {
            let Ok((kind, _, stream, p)) = read_frame(&mut rd).await else {
                break;
            };
            if kind == 3 && p.len() == 4 {
                let code = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                if code == 7 {
                    refused.push(stream);
                } else {
                    other_resets.push((stream, code));
                }
            }
            if kind == 7 {
                panic!("GOAWAY: the server dropped the whole connection");
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), collect).await;
    refused.sort_unstable();
    println!(
        "{} streams opened with limit {LIMIT}: refused {refused:?}, other resets {other_resets:?}",
        ids.len()
    );
    assert_eq!(
        refused,
        ids[LIMIT as usize..].to_vec(),
        "exactly the streams past the limit are refused"
    );
    assert!(other_resets.is_empty());
    assert!(srv.metrics.streams_open.get() <= i64::from(LIMIT));

    // Cancel the open ones (RST_STREAM CANCEL); new streams fit again.
    let mut cancel = Vec::new();
    for &id in &ids[..LIMIT as usize] {
        cancel.extend(h2_frame(3, 0, id, &8u32.to_be_bytes()));
    }
    wr.write_all(&cancel).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next: Vec<u32> = (0..LIMIT).map(|k| ids[ids.len() - 1] + 2 + 2 * k).collect();
    let mut burst = Vec::new();
    for &id in &next {
        burst.extend(h2_frame(1, 0x4, id, &block));
    }
    wr.write_all(&burst).await.unwrap();
    let mut refused_again = Vec::new();
    let collect = async {
        while let Ok((kind, _, stream, p)) = read_frame(&mut rd).await {
            if kind == 3 && p == 7u32.to_be_bytes() {
                refused_again.push(stream);
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), collect).await;
    assert!(
        refused_again.is_empty(),
        "streams refused after the earlier ones closed: {refused_again:?}"
    );
    drop(wr);
    drop(rd);
    assert_serving(&srv).await;
    srv.shutdown();
}

/// An AnalyzeBatch message that cannot be decoded (invalid UTF-8 in a
/// string field) is reported as one item error and ends the batch: the
/// server does not go on parsing the bytes after it (tonic's stream would
/// yield an error per byte, then "Unexpected EOF" forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_with_undecodable_message_ends() {
    use futures::StreamExt;
    use prost::Message as _;
    let (srv, _c) = start_srv(&[]).await;
    let good = req("good", EN).encode_to_vec();
    let mut bad = Vec::new();
    pb_field(&mut bad, 1, b"bad");
    pb_field(&mut bad, 2, b"caf\xc3 \xff\xfe");
    let mut g = tonic::client::Grpc::new(channel(&srv).await);
    g.ready().await.unwrap();
    let input = futures::stream::iter(vec![good.clone(), bad, good]);
    let mut out = g
        .streaming(
            tonic::Request::new(input),
            http::uri::PathAndQuery::from_static("/nutgraf.v1.ArticleService/AnalyzeBatch"),
            RawCodec,
        )
        .await
        .expect("batch starts")
        .into_inner();
    let mut items = Vec::new();
    let t = Instant::now();
    while let Ok(Some(Ok(b))) = tokio::time::timeout(Duration::from_secs(30), out.next()).await {
        items.push(pb::AnalyzeResponse::decode(b.as_slice()).expect("a response"));
        if items.len() > 10 {
            break;
        }
    }
    println!(
        "batch with an undecodable message: {} items in {:?}: {:?}",
        items.len(),
        t.elapsed(),
        items
            .iter()
            .map(|r| r.error.as_ref().map(|e| e.status.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(items.len(), 2, "the good item, the error, then the end");
    assert!(items[0].error.is_none() && items[0].id == "good");
    let e = items[1].error.as_ref().expect("item error");
    assert_eq!(e.status, "INTERNAL", "{e:?}");
    assert_serving(&srv).await;
    srv.shutdown();
}

/// A message over `--max-message-bytes` gets RESOURCE_EXHAUSTED (the gRPC
/// spec's code; tonic's own would be OUT_OF_RANGE) with a message that
/// names the size, the limit and the flag, on every method: unary, server
/// stream, and as an item error of AnalyzeBatch. The connection survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_message_is_resource_exhausted() {
    use futures::StreamExt;
    let (srv, c) = start_srv(&["--max-message-bytes=100000"]).await;
    let big = "a ".repeat(60_000); // 120 KB of text
    let actionable = |m: &str| m.contains("100000") && m.contains("--max-message-bytes");

    let e = c.clone().analyze(req("big", &big)).await.unwrap_err();
    println!("Analyze: {:?} {}", e.code(), e.message());
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(actionable(e.message()), "{}", e.message());

    let e = c
        .clone()
        .analyze_stream(req("big", &big))
        .await
        .unwrap_err();
    println!("AnalyzeStream: {:?} {}", e.code(), e.message());
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(actionable(e.message()), "{}", e.message());

    let input = futures::stream::iter(vec![req("small", EN), req("big", &big)]);
    let mut out = c.clone().analyze_batch(input).await.unwrap().into_inner();
    // Bounded read: before the fix the server answered an undecodable
    // batch message with error items forever.
    let mut items = Vec::new();
    while let Some(Ok(r)) = out.next().await {
        items.push(r);
        if items.len() > 10 {
            break;
        }
    }
    assert_eq!(items.len(), 2, "one answer per message, then the end");
    assert_eq!(items.first().map(|r| r.id.as_str()), Some("small"));
    assert!(items[0].error.is_none());
    let err = items
        .iter()
        .find_map(|r| r.error.as_ref())
        .expect("an item error for the over-size message");
    println!("AnalyzeBatch item: {} {}", err.status, err.message);
    assert_eq!(err.status, "RESOURCE_EXHAUSTED");
    assert_eq!(err.code, Code::ResourceExhausted as i32);
    assert!(actionable(&err.message), "{}", err.message);

    // Same connection, normal call.
    c.clone()
        .analyze(req("ok", EN))
        .await
        .expect("the connection still serves");
    srv.shutdown();
}

/// Streams wait for a slot only up to the server-wide `--max-waiting-analyses`:
/// past it a stream gets RESOURCE_EXHAUSTED at once (naming both limits),
/// however many connections the callers spread their streams over, and a
/// waiter that is served frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_streams_are_capped_server_wide() {
    let (srv, c) = start_srv(&[
        "--worker-threads=1",
        "--max-concurrent-analyses=1",
        "--max-waiting-analyses=2",
    ])
    .await;
    let big = long_text(900_000);
    // Poll a pool gauge until it reaches `want`.
    async fn until(what: &str, want: i64, read: impl Fn() -> i64) {
        let t = Instant::now();
        while read() < want {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{what} never reached {want}"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let c = c.max_encoding_message_size(8 << 20);
    // One stream holds the only slot; two more wait, each on its own connection.
    let mut c0 = c.clone();
    let mut running = c0
        .analyze_stream(req("running", &big))
        .await
        .unwrap()
        .into_inner();
    until("in flight", 1, || srv.pool.in_flight()).await;
    let mut waiting = Vec::new();
    for i in 0..2 {
        let mut ci = client(&srv).await.max_encoding_message_size(8 << 20);
        waiting.push(
            ci.analyze_stream(req(&format!("wait-{i}"), &big))
                .await
                .unwrap()
                .into_inner(),
        );
        until("waiting", i + 1, || srv.pool.waiting() as i64).await;
    }
    // The next one, on yet another connection, is refused at once.
    let mut cx = client(&srv).await;
    let t = Instant::now();
    let mut refused = cx
        .analyze_stream(req("refused", EN))
        .await
        .unwrap()
        .into_inner();
    let err = loop {
        match refused.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a stream past the waiting limit was served"),
            Err(s) => break s,
        }
    };
    let took = t.elapsed();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert!(
        err.message().contains("1 concurrent analyses") && err.message().contains("2 waiting"),
        "the message names both limits: {}",
        err.message()
    );
    println!("stream past the waiting limit: RESOURCE_EXHAUSTED after {took:?}");
    // Everyone admitted is served in the end, and the queue empties.
    for s in std::iter::once(&mut running).chain(waiting.iter_mut()) {
        let mut done = false;
        while let Some(ev) = s.message().await.expect("admitted streams succeed") {
            done |= matches!(ev.event, Some(pb::analyze_event::Event::Done(_)));
        }
        assert!(done, "every admitted stream ends with its result");
    }
    assert_eq!(srv.pool.waiting(), 0);
    assert!(wait_idle(&srv, Duration::from_secs(30)).await.is_ok());
    let m = http_get(srv.metrics_addr, "/metrics").await;
    assert!(
        m.contains("reason=\"queue_full\""),
        "refusals are counted by reason"
    );
    assert_serving(&srv).await;
    srv.shutdown();
}
