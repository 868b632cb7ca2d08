//! A long AnalyzeBatch with a stalled reader: the server must not read
//! ahead of its window (backpressure), and memory must stay flat. In its own
//! test binary so that the RSS reading is not disturbed by other tests.

mod common;

use common::*;
use futures::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn batch_of_10000_with_slow_reader_is_bounded() {
    let (srv, mut c) = start(&["--batch-window=8"]).await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let p = pulled.clone();
    // Articles are produced lazily: the client only builds what the
    // transport asks for, so `pulled` measures how far ahead the server read.
    let body = long_text(2000);
    let input = futures::stream::iter(0..10_000).map(move |i| {
        p.fetch_add(1, Ordering::Relaxed);
        req(&format!("{i}"), &body)
    });
    let rss0 = rss_kib();
    let mut out = c.analyze_batch(input).await.unwrap().into_inner();
    let first = out.next().await.unwrap().unwrap();
    assert_eq!(first.id, "0");
    // Slow reader: stop reading for a while.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ahead = pulled.load(Ordering::Relaxed);
    assert!(
        ahead < 2_500,
        "server read {ahead} of 10000 articles ahead of a stalled reader: no backpressure"
    );
    let mut n = 1;
    while let Some(r) = out.next().await {
        let r = r.unwrap();
        assert_eq!(r.id, n.to_string());
        assert!(r.error.is_none(), "{:?}", r.error);
        n += 1;
    }
    assert_eq!(n, 10_000);
    let grown_mib = rss_kib().saturating_sub(rss0) / 1024;
    assert!(
        grown_mib < 200,
        "memory grew by {grown_mib} MiB over a 20 MB batch"
    );
    srv.shutdown();
}
