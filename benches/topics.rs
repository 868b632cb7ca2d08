//! Topic classification throughput on a ~1,000-word article.
//!
//! `topics/predict_*` measures classification of an already analysed
//! `Document` (features + scoring + calibration; tokenisation EXCLUDED: in
//! the service the text pipeline runs once and its Document is shared by
//! NER, summary and topics). `topics/analyze+predict_*` includes
//! `text::analyze` for reference. The article text is written for this bench
//! (no corpus text).
mod common;
use common::cpu_ticks;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nutgraf::classify::TopicModel;
use nutgraf::text::{analyze, Lang, TextOptions};
use std::hint::black_box;
use std::path::Path;

const EN: &[&str] = &[
    "The central bank raised its main interest rate by half a point on Thursday, citing stubborn inflation in services and a tight labour market.",
    "Markets had expected the move, and shares in lenders rose while the currency gained against the dollar in early trading.",
    "The governor told reporters that the committee would watch wage growth closely before deciding whether further increases were needed.",
    "Several exporters warned that a stronger currency could hurt orders from abroad, especially for manufacturers of machinery and textiles.",
    "Economists at three large banks said they now expect growth of about one percent this year, down from an earlier forecast.",
    "The finance ministry said the budget deficit narrowed in the first quarter thanks to higher tax receipts from companies.",
    "Consumer spending slowed in the spring as households faced higher mortgage payments and rising food prices.",
    "Small firms said access to credit had become harder, and several business groups asked the government for targeted support.",
    "Analysts noted that the housing market had cooled, with prices falling for the fourth month in a row in the capital.",
    "The opposition criticised the government's economic plan, arguing that public investment in infrastructure should not be cut.",
];

const AR: &[&str] = &[
    "رفع البنك المركزي سعر الفائدة الرئيسي بنصف نقطة يوم الخميس، مشيرا إلى استمرار التضخم في قطاع الخدمات.",
    "وكانت الأسواق تتوقع هذه الخطوة، فارتفعت أسهم البنوك وتحسن سعر صرف العملة أمام الدولار في بداية التداول.",
    "وقال محافظ البنك للصحفيين إن اللجنة ستراقب نمو الأجور عن كثب قبل أن تقرر زيادات أخرى.",
    "وحذر عدد من المصدرين من أن قوة العملة قد تضر بالطلبيات القادمة من الخارج، خاصة في قطاع النسيج.",
    "وتوقع خبراء اقتصاديون في ثلاثة بنوك كبرى أن يبلغ النمو نحو واحد في المائة هذا العام.",
    "وأعلنت وزارة المالية أن عجز الميزانية تراجع خلال الربع الأول بفضل ارتفاع مداخيل الضرائب على الشركات.",
    "وتباطأ الاستهلاك الأسري في فصل الربيع مع ارتفاع أقساط القروض العقارية وأسعار المواد الغذائية.",
    "وقالت المقاولات الصغيرة إن الحصول على التمويل أصبح أصعب، وطالبت الحكومة بدعم موجه.",
];

fn article(title: &str, sents: &[&str], words: usize) -> String {
    let mut s = String::from(title);
    s.push('\n');
    let mut n = 0;
    let mut i = 0;
    while n < words {
        let x = sents[i % sents.len()];
        s.push_str(x);
        n += x.split_whitespace().count();
        s.push(if i % 4 == 3 { '\n' } else { ' ' });
        i += 1;
    }
    s
}

/// On-CPU time of this thread in nanoseconds (`/proc/thread-self/schedstat`,
/// first field; Linux only). Why not clock ticks: one model load is tens
/// of milliseconds, below the 10 ms tick's resolution.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Load the model `n` times and print the median and minimum wall and CPU
/// time of one load (file read, checksums, tables). The model load goal
/// (< 200 ms) is a wall figure, but on the shared VM wall time includes
/// time the thread waited for a core, so CPU time is printed next to it.
fn time_loads(path: &Path, n: usize) {
    let mut wall = Vec::with_capacity(n);
    let mut cpu = Vec::with_capacity(n);
    for _ in 0..n {
        let c0 = thread_cpu_ns();
        let t = std::time::Instant::now();
        let m = TopicModel::load(path).expect("model loads");
        wall.push(t.elapsed().as_secs_f64() * 1e3);
        if let (Some(c0), Some(c1)) = (c0, thread_cpu_ns()) {
            cpu.push((c1 - c0) as f64 / 1e6);
        }
        drop(black_box(m));
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN),
            v.first().copied().unwrap_or(f64::NAN),
        )
    };
    let (wm, w0) = med(&mut wall);
    let (cm, c0) = med(&mut cpu);
    eprintln!(
        "model load ({n}x {}): wall median {wm:.1} ms (min {w0:.1}), CPU median {cm:.1} ms (min {c0:.1})",
        path.display()
    );
}

fn bench(c: &mut Criterion) {
    // NUTGRAF_TOPICS_MODEL: another model file (A/B runs without replacing
    // models/topics.bin, which other processes read); NUTGRAF_TOPICS_LOADS=n:
    // time n loads and exit before the predict benches.
    let path = std::env::var_os("NUTGRAF_TOPICS_MODEL").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("models/topics.bin"),
        std::path::PathBuf::from,
    );
    if let Some(n) = std::env::var("NUTGRAF_TOPICS_LOADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        time_loads(&path, n.max(1));
        return;
    }
    let t = std::time::Instant::now();
    let model = TopicModel::load(&path).expect("models/topics.bin (run `nutgraf train topics`)");
    eprintln!(
        "model load: {:.1} ms ({})",
        t.elapsed().as_secs_f64() * 1e3,
        path.display()
    );
    let en = article(
        "Central bank raises rates again as inflation lingers",
        EN,
        1000,
    );
    let ar = article("البنك المركزي يرفع سعر الفائدة مجددا", AR, 1000);
    let mut g = c.benchmark_group("topics");
    g.throughput(Throughput::Elements(1));
    for (name, text, lang) in [("en_1000w", &en, Lang::En), ("ar_1000w", &ar, Lang::Ar)] {
        let doc = analyze(
            text,
            TextOptions {
                title: None,
                lang_hint: Some(lang),
            },
        );
        // Every probability with its f32 bits: a speed change of the scorer
        // must print the same line.
        let probs: Vec<String> = model
            .predict(&doc)
            .iter()
            .map(|(l, p)| format!("{}:{p}:{:08x}", l.name(), p.to_bits()))
            .collect();
        eprintln!(
            "{name}: {} tokens, predict = {}",
            doc.tokens.len(),
            probs.join(" ")
        );
        // CPU time (not wall time) per article: on the shared, oversubscribed
        // VM criterion's wall-clock figures overstate the per-core cost.
        // NUTGRAF_TOPICS_CPU_N: calls of this loop (default 20,000; fewer
        // for a callgrind run).
        let n = std::env::var("NUTGRAF_TOPICS_CPU_N")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(20_000)
            .max(1);
        if let Some(t0) = cpu_ticks() {
            for _ in 0..n {
                black_box(model.predict(black_box(&doc)));
            }
            if let Some(t1) = cpu_ticks() {
                // Linux clock ticks are 10 ms (USER_HZ = 100).
                let us = (t1 - t0) as f64 * 10_000.0 / f64::from(n);
                eprintln!(
                    "{name}: predict CPU time {us:.1} µs/article = {:.0} articles/s per core (tokenisation excluded)",
                    1e6 / us.max(1e-9)
                );
            }
        }
        g.bench_function(format!("predict_{name}"), |b| {
            b.iter(|| black_box(model.predict(black_box(&doc))))
        });
        g.bench_function(format!("analyze+predict_{name}"), |b| {
            b.iter(|| {
                let d = analyze(
                    black_box(text),
                    TextOptions {
                        title: None,
                        lang_hint: Some(lang),
                    },
                );
                black_box(model.predict(&d))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
