//! Text pipeline throughput (`text::analyze`: normalisation, tokenisation,
//! language id, article structure, sentence segmentation) in MB/s on
//! articles written for this bench: ~13 KB Arabic, ~5 KB English, ~1.5 KB
//! French (benches/data/, no corpus text). Run with
//! `cargo bench --bench text`. Each article's CPU time per `analyze` (3,000
//! calls) is printed to stderr before the criterion cases.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nutgraf::text::{analyze, lang, normalize, Lang, TextOptions};
use std::hint::black_box;

mod common;
use common::cpu_ticks;

const AR: &str = include_str!("data/article-ar.txt");
const EN: &str = include_str!("data/article-en.txt");
const FR: &str = include_str!("data/article-fr.txt");

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("text");
    for (name, text, hint) in [
        ("ar_13k", AR, Lang::Ar),
        ("en_5k", EN, Lang::En),
        ("fr_1k5", FR, Lang::Fr),
    ] {
        // CPU time (not wall time) per article first: on the shared VM
        // criterion's wall-clock figures swing by tens of percent with the
        // other tenants' load; CPU time is what a core costs.
        if let Some(t0) = cpu_ticks() {
            let n = 3_000u32;
            for _ in 0..n {
                black_box(analyze(black_box(text), TextOptions::default()));
            }
            if let Some(t1) = cpu_ticks() {
                // Linux clock ticks are 10 ms (USER_HZ = 100).
                let us = (t1 - t0) as f64 * 10_000.0 / f64::from(n);
                eprintln!(
                    "{name}: analyze CPU time {us:.1} µs/article = {:.1} MB/s per core",
                    text.len() as f64 / us.max(1e-9)
                );
            }
        }
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("analyze/{name}"), |b| {
            b.iter(|| analyze(black_box(text), TextOptions::default()))
        });
        g.bench_function(format!("analyze_hint/{name}"), |b| {
            let opts = TextOptions {
                title: None,
                lang_hint: Some(hint),
            };
            b.iter(|| analyze(black_box(text), opts))
        });
        g.bench_function(format!("lang_detect/{name}"), |b| {
            b.iter(|| lang::detect(black_box(text)))
        });
        g.bench_function(format!("normalize/{name}"), |b| {
            let mut out = String::with_capacity(text.len());
            b.iter(|| {
                out.clear();
                normalize::normalize_into(black_box(text), &mut out);
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
