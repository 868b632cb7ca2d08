//! Whole in-process pipeline speed: `Analyzer::analyze` (validation, text
//! normalisation/segmentation, language id, topics, entity tagging and
//! document entities, summary, output assembly) with the shipped models, on
//! articles written for this bench (benches/data/analyze/, no corpus text):
//! ~300 and ~1,000 words in Arabic, French and English, and a ~5,000-word
//! article per language built by concatenating the 1,000- and 300-word
//! articles' paragraphs (rotated each round, so the paragraph sequence
//! differs; the sentences themselves repeat — see BENCHMARKS.md).
//! Since session 3 the entity tagger caches per-document work per distinct
//! word string, so in these 5,000-word cases most words after the first
//! ~1,300 hit that cache: they show the scaling of the rest of the
//! pipeline, not the cost of 5,000 words of new text. Quote the 300- and
//! 1,000-word cases and `extra` for throughput.
//!
//! Criterion reports time per article and MB/s (`Throughput::Bytes`);
//! articles/s is 1 / time. Per core: the bench is single-threaded.
//!
//! Run: `cargo bench --bench analyze` (models from `models/`, or
//! `NUTGRAF_MODEL_DIR`). `NUTGRAF_BENCH_ARTICLE=/path/article.txt` adds one
//! more case (`extra`) read at run time, e.g. the ~1,100-word Arabic example
//! used by the load test — it is never copied into the repo.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nutgraf::pipeline::{Analyzer, Limits, Request};
use std::hint::black_box;
use std::path::PathBuf;

const ARTICLES: &[(&str, &str, &str)] = &[
    (
        "ar",
        include_str!("data/analyze/ar-300.txt"),
        include_str!("data/analyze/ar-1000.txt"),
    ),
    (
        "fr",
        include_str!("data/analyze/fr-300.txt"),
        include_str!("data/analyze/fr-1000.txt"),
    ),
    (
        "en",
        include_str!("data/analyze/en-300.txt"),
        include_str!("data/analyze/en-1000.txt"),
    ),
];

/// Body paragraphs of an article: blank-line separated blocks after the
/// first three (title, byline and, for the long ones, date) short lines.
fn paragraphs(article: &str) -> Vec<&str> {
    article
        .split("\n\n")
        .map(str::trim)
        .filter(|p| p.split_whitespace().count() > 25)
        .collect()
}

/// A ~5,000-word article: the 1,000-word one in full, then body paragraphs
/// of both articles, rotated by one more place every round, until the
/// article holds at least `words` words.
fn long_article(short: &str, long: &str, words: usize) -> String {
    let mut out = long.trim_end().to_string();
    let mut pool = paragraphs(long);
    pool.extend(paragraphs(short));
    let mut round = 1;
    while out.split_whitespace().count() < words {
        for i in 0..pool.len() {
            let p = pool[(i + round * 3) % pool.len()];
            out.push_str("\n\n");
            out.push_str(p);
        }
        round += 1;
    }
    out.push('\n');
    out
}

fn model_dir() -> PathBuf {
    std::env::var_os("NUTGRAF_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"))
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::load(&model_dir(), Limits::default())
        .unwrap_or_else(|e| panic!("bench needs the shipped models: {e}"));
    // Steady state of a loaded model: the NER word tables (model data built
    // in the background after loading) are ready before anything is timed.
    nutgraf::ner::wait_for_word_tables();
    let mut cases: Vec<(String, String)> = Vec::new();
    for &(lang, short, long) in ARTICLES {
        cases.push((format!("{lang}_300w"), short.to_string()));
        cases.push((format!("{lang}_1000w"), long.to_string()));
        cases.push((format!("{lang}_5000w"), long_article(short, long, 5000)));
    }
    if let Some(p) = std::env::var_os("NUTGRAF_BENCH_ARTICLE") {
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("NUTGRAF_BENCH_ARTICLE {}: {e}", p.to_string_lossy()));
        cases.push(("extra".to_string(), text));
    }

    let mut g = c.benchmark_group("analyze");
    for (name, text) in &cases {
        // Sanity: the article must analyse, so the bench never times an error path.
        let a = analyzer
            .analyze_all(&Request::new("bench", text))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} words, {} bytes, lang {}, {} sentences, {} entities, {} summary sentences",
            text.split_whitespace().count(),
            text.len(),
            a.language,
            a.stats.sentences,
            a.entities.len(),
            a.summary.len()
        );
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| analyzer.analyze_all(black_box(&Request::new("bench", text))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
