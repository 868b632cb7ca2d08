//! Streaming load on `AnalyzeBatch` with the generated tonic client: opens
//! `STREAMS` concurrent batch streams, each sending `COUNT / STREAMS` copies
//! of one article (distinct ids) as fast as the server's in-flight window
//! and flow control let it, and reads every response.
//!
//! Reports articles/s, MB/s of article text, per-item errors (the batch
//! carries per-item statuses in `AnalyzeResponse.error`, so a wrong status
//! cannot hide behind a successful stream), and p50/p99/max of the item
//! latency (time from the client handing the request to tonic to reading its
//! response; it includes the queueing behind the stream's window, which is
//! the point of a batch).
//!
//! ```text
//! cargo run --release --example batch_load -- ADDR ARTICLE [COUNT] [STREAMS]
//! cargo run --release --example batch_load -- http://127.0.0.1:50051 ../shared/examples/article-ar.txt 4000 2
//! ```
use futures::StreamExt;
use nutgraf::proto::v1::article_service_client::ArticleServiceClient;
use nutgraf::proto::v1::AnalyzeRequest;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Per-stream outcome: item latencies, error count, response count.
struct StreamResult {
    latencies: Vec<Duration>,
    errors: usize,
    responses: usize,
}

async fn one_stream(
    addr: String,
    text: Arc<String>,
    stream_no: usize,
    count: usize,
) -> anyhow::Result<StreamResult> {
    let mut client = ArticleServiceClient::connect(addr).await?;
    // Send time of each item, recorded when tonic pulls it from the stream.
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; count]));
    let sent_w = sent.clone();
    let reqs = futures::stream::iter(0..count).map(move |i| {
        if let Ok(mut s) = sent_w.lock() {
            if let Some(slot) = s.get_mut(i) {
                *slot = Some(Instant::now());
            }
        }
        AnalyzeRequest {
            id: format!("{stream_no}-{i}"),
            text: text.as_str().to_owned(),
            ..Default::default()
        }
    });
    let mut responses = client.analyze_batch(reqs).await?.into_inner();
    let mut out = StreamResult {
        latencies: Vec::with_capacity(count),
        errors: 0,
        responses: 0,
    };
    while let Some(r) = responses.next().await {
        let r = r?;
        let now = Instant::now();
        out.responses += 1;
        if let Some(e) = &r.error {
            out.errors += 1;
            if out.errors <= 3 {
                eprintln!("item {} error: {} {}", r.id, e.status, e.message);
            }
        }
        let idx =
            r.id.rsplit('-')
                .next()
                .and_then(|s| s.parse::<usize>().ok());
        let t = idx.and_then(|i| sent.lock().ok().and_then(|s| s.get(i).copied().flatten()));
        if let Some(t) = t {
            out.latencies.push(now - t);
        }
    }
    Ok(out)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p / 100.0).round() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: batch_load ADDR ARTICLE [COUNT=2000] [STREAMS=2]";
    let addr = args.get(1).ok_or_else(|| anyhow::anyhow!(usage))?.clone();
    let path = args.get(2).ok_or_else(|| anyhow::anyhow!(usage))?;
    let count: usize = args.get(3).map_or(Ok(2000), |s| s.parse())?;
    let streams: usize = args.get(4).map_or(Ok(2), |s| s.parse())?.max(1);
    let text = Arc::new(std::fs::read_to_string(path)?);
    let per = count / streams;

    let t0 = Instant::now();
    let tasks: Vec<_> = (0..streams)
        .map(|s| tokio::spawn(one_stream(addr.clone(), text.clone(), s, per)))
        .collect();
    let mut lat = Vec::new();
    let (mut errors, mut n) = (0, 0);
    for t in tasks {
        let r = t.await??;
        lat.extend(r.latencies);
        errors += r.errors;
        n += r.responses;
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    println!(
        "AnalyzeBatch: {streams} streams x {per} articles ({} bytes each): {n} responses, {errors} item errors in {secs:.2} s = {:.0} articles/s, {:.1} MB/s; item latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        text.len(),
        n as f64 / secs,
        n as f64 * text.len() as f64 / secs / 1e6,
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        pct(&lat, 100.0),
    );
    if n != per * streams || errors > 0 {
        anyhow::bail!("expected {} OK responses", per * streams);
    }
    Ok(())
}
