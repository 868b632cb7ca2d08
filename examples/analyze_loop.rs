//! A profiling driver: the whole in-process `Analyzer::analyze` on one
//! article, in a loop, on one thread — what `perf record` / callgrind look at
//! (criterion's own machinery would clutter the profile).
//!
//! ```text
//! cargo build --release --example analyze_loop
//! target/release/examples/analyze_loop ARTICLE [ITERATIONS=2000] [MODEL_DIR=models]
//! perf record -g target/release/examples/analyze_loop ../shared/examples/article-ar.txt 3000
//! valgrind --tool=callgrind target/release/examples/analyze_loop ../shared/examples/article-ar.txt 20
//! ```
//! Prints the mean time per article, articles/s and MB/s, plus the
//! pipeline's own per-stage timings of the last call. Also the mean *CPU*
//! time per article of this thread (Linux `/proc/thread-self/schedstat`):
//! on a machine shared with compilers, wall time includes time the thread
//! was not running, CPU time does not.
//!
//! `analyze_loop --dump FILE...` instead prints, for every file, the whole
//! text `Document` (every token's offsets, kind, norm, stem and proclitic
//! count; every sentence's span, role and paragraph) and the `Analysis` JSON
//! with its timings zeroed: a deterministic golden output to diff before and
//! after a performance change, which must not change any result.
use nutgraf::pipeline::{Analyzer, Limits, Request};
use nutgraf::text::{self, TextOptions};
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--dump") {
        return dump(args.get(2..).unwrap_or(&[]));
    }
    let path = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: analyze_loop ARTICLE [ITERATIONS] [MODEL_DIR]"))?;
    let iters: usize = args.get(2).map_or(Ok(2000), |s| s.parse())?.max(1);
    let dir = PathBuf::from(args.get(3).map_or("models", String::as_str));
    let text = std::fs::read_to_string(path)?;
    let t_load = Instant::now();
    let analyzer = Analyzer::load(&dir, Limits::default())?;
    eprintln!(
        "models loaded in {:.1} ms",
        t_load.elapsed().as_secs_f64() * 1e3
    );
    // The NER word tables (model data, built in the background after
    // loading) must be ready, so that every iteration measures the same
    // steady state.
    let t_words = Instant::now();
    nutgraf::ner::wait_for_word_tables();
    eprintln!(
        "word tables ready {:.1} ms later",
        t_words.elapsed().as_secs_f64() * 1e3
    );
    let req = Request::new("loop", &text);
    // One call outside the timing: first-touch page faults of the models.
    let mut last = analyzer.analyze_all(&req)?;
    let cpu0 = thread_cpu_ns();
    let t0 = Instant::now();
    for _ in 0..iters {
        last = analyzer.analyze_all(std::hint::black_box(&req))?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu_us = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => format!("{:.1}", (b - a) as f64 / 1e3 / iters as f64),
        _ => "n/a".to_string(),
    };
    let s = &last.stats;
    println!(
        "{iters} x {} bytes ({} chars, {} tokens, {} sentences, lang {}): {:.1} us/article wall ({cpu_us} us CPU), {:.0} articles/s, {:.2} MB/s; last call: text {} us, topics {} us, entities {} us, summary {} us, total {} us",
        text.len(),
        s.chars,
        s.tokens,
        s.sentences,
        last.language,
        secs / iters as f64 * 1e6,
        iters as f64 / secs,
        iters as f64 * text.len() as f64 / secs / 1e6,
        s.text_us,
        s.topics_us,
        s.entities_us,
        s.summary_us,
        s.total_us,
    );
    Ok(())
}

/// The golden dump of `--dump` (see the module doc), models from `models/`.
fn dump(files: &[String]) -> anyhow::Result<()> {
    let analyzer = Analyzer::load(&PathBuf::from("models"), Limits::default())?;
    // Dump with the word tables in use (the results are the same without).
    nutgraf::ner::wait_for_word_tables();
    let mut out = String::new();
    for path in files {
        let text = std::fs::read_to_string(path)?;
        let doc = text::analyze(&text, TextOptions::default());
        writeln!(
            out,
            "== {path}\nlang {:?} {:08x} hint={} tokens={} sentences={} norm_buf={}",
            doc.lang,
            doc.lang_confidence.to_bits(),
            doc.lang_from_hint,
            doc.tokens.len(),
            doc.sentences.len(),
            doc.norm_buf.len()
        )?;
        for t in &doc.tokens {
            writeln!(
                out,
                "t {} {} {} {} {:?} {:?} {:?} {}",
                t.span.start,
                t.span.end,
                t.span.cstart,
                t.span.cend,
                t.kind,
                doc.norm(t),
                doc.stem(t),
                t.proclitic_chars
            )?;
        }
        for s in &doc.sentences {
            writeln!(
                out,
                "s {} {} {} {} {:?} {:?} {}",
                s.span.start, s.span.end, s.span.cstart, s.span.cend, s.role, s.tokens, s.paragraph
            )?;
        }
        match analyzer.analyze_all(&Request::new("dump", &text)) {
            Ok(mut a) => {
                let st = &mut a.stats;
                (
                    st.text_us,
                    st.topics_us,
                    st.entities_us,
                    st.summary_us,
                    st.total_us,
                ) = (0, 0, 0, 0, 0);
                writeln!(out, "{}", serde_json::to_string(&a)?)?;
            }
            Err(e) => writeln!(out, "error: {e}")?,
        }
    }
    print!("{out}");
    Ok(())
}

/// CPU time this thread has run, in ns (first field of schedstat).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
