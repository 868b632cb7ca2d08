//! Tagging speed of the shipped NER model (goal: ≥ 500,000 tokens/s per
//! core) and model load time (goal: < 200 ms).
//!
//! `cargo bench --bench ner`. Texts are the project's own short articles,
//! repeated to about 2,000 tokens; the text pipeline runs outside the timed
//! loop.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nutgraf::ner::features::TokView;
use nutgraf::ner::model::Scratch;
use nutgraf::ner::{extract, NerModel};
use nutgraf::text::{analyze, Lang, Role, TextOptions};
use std::hint::black_box;
use std::path::PathBuf;

const AR: &str = "استقبل المدير العام للأمن الوطني عبد اللطيف حموشي، يوم الاثنين بالرباط، وفدا رفيعا من منظمة الأنتربول برئاسة أحمد ناصر الريسي. وأكد حموشي خلال هذا اللقاء أن التعاون الأمني بين المغرب وفرنسا وإسبانيا يعرف تطورا كبيرا. وقال السيد أحمد ناصر الريسي إن المملكة المغربية شريك أساسي في مكافحة الإرهاب والجريمة المنظمة العابرة للحدود.\n";
const FR: &str = "Le président français Emmanuel Macron est arrivé lundi à Rabat pour une visite d'État de trois jours au Maroc. Macron a rencontré le chef du gouvernement Aziz Akhannouch et plusieurs dirigeants de l'Office chérifien des phosphates. Selon l'Agence France-Presse, les deux pays ont signé des accords avec la Banque mondiale.\n";
const EN: &str = "Moroccan Foreign Minister Nasser Bourita met his Spanish counterpart Jose Manuel Albares in Madrid on Tuesday. Bourita said the agreement with the European Union would help farmers in Morocco. The World Bank welcomed the deal, a spokesman told Reuters.\n";

fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner.bin")
}

fn bench(c: &mut Criterion) {
    let model = NerModel::load(&model_path()).expect("models/ner.bin");
    c.bench_function("ner/load_model", |b| {
        b.iter(|| NerModel::load(black_box(&model_path())).expect("load"))
    });
    for (name, lang, para) in [
        ("ar", Lang::Ar, AR),
        ("fr", Lang::Fr, FR),
        ("en", Lang::En, EN),
    ] {
        let text = para.repeat(40);
        let doc = analyze(
            &text,
            TextOptions {
                title: None,
                lang_hint: Some(lang),
            },
        );
        let ntok = doc.tokens.len() as u64;
        let tagger = model.tagger(lang).expect("tagger");
        let mut g = c.benchmark_group(format!("ner/{name}"));
        g.throughput(Throughput::Elements(ntok));
        // Tagger only: features + emission scores + Viterbi.
        g.bench_function("tag", |b| {
            let mut scratch = Scratch::default();
            let mut out = Vec::new();
            let mut views = Vec::new();
            b.iter(|| {
                let mut n = 0usize;
                for s in doc.sentences.iter().filter(|s| s.role != Role::Boilerplate) {
                    views.clear();
                    views.extend(doc.sentence_tokens(s).iter().map(|t| TokView {
                        raw: doc.token_text(t),
                        norm: doc.norm(t),
                        stem: doc.stem(t),
                    }));
                    tagger.tag(&views, &mut scratch, &mut out);
                    n += out.len();
                }
                black_box(n)
            })
        });
        // The whole stage: tagging + mentions + merging + salience.
        g.bench_function("extract", |b| {
            b.iter(|| black_box(extract(black_box(&doc), &model)))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
