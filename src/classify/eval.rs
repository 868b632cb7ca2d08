//! Evaluation of the topic model: accuracy, macro-F1, per-label P/R/F1 and a
//! confusion matrix per language, with full articles and short texts
//! (single sentences / social-media posts) reported separately because they
//! behave very differently.
//!
//! `nutgraf eval topics FILE.jsonl [--model models/topics.bin]`: rows are
//! `{"id", "lang", "text": "title\nbody", "label", "source_label"?}` (the
//! training-file format).

use super::{TopicLabel, TopicModel};
use crate::text::{Lang, TextOptions};
use anyhow::Context;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// JSONL file with id, lang, text ("title\nbody"), label [, source_label].
    pub file: PathBuf,
    /// Model file.
    #[arg(long, default_value = "models/topics.bin")]
    pub model: PathBuf,
    /// Also write every row's full prediction to this file, one line per
    /// row: id, then `label:bits` for each label with the probability's
    /// f32 bit pattern in hex. Why bits: a speed change of the scorer must
    /// leave every probability identical, and rounded figures would hide a
    /// changed summation order.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// Gold/predicted pairs and the figures derived from them.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub gold: Vec<TopicLabel>,
    /// `None` = the model returned no topic.
    pub pred: Vec<Option<TopicLabel>>,
}

/// Per-label precision, recall, F1, support.
#[derive(Debug, Clone, Copy)]
pub struct LabelScore {
    pub label: TopicLabel,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

impl Metrics {
    pub fn push(&mut self, gold: TopicLabel, pred: Option<TopicLabel>) {
        self.gold.push(gold);
        self.pred.push(pred);
    }
    pub fn len(&self) -> usize {
        self.gold.len()
    }
    pub fn is_empty(&self) -> bool {
        self.gold.is_empty()
    }
    pub fn accuracy(&self) -> f64 {
        if self.gold.is_empty() {
            return 0.0;
        }
        let ok = self
            .gold
            .iter()
            .zip(&self.pred)
            .filter(|(g, p)| Some(**g) == **p)
            .count();
        ok as f64 / self.gold.len() as f64
    }
    /// Per-label scores for every label present in gold or predictions.
    pub fn per_label(&self) -> Vec<LabelScore> {
        let mut labels: Vec<TopicLabel> = self
            .gold
            .iter()
            .copied()
            .chain(self.pred.iter().flatten().copied())
            .collect();
        labels.sort();
        labels.dedup();
        labels
            .into_iter()
            .map(|l| {
                let tp = self
                    .gold
                    .iter()
                    .zip(&self.pred)
                    .filter(|(g, p)| **g == l && **p == Some(l))
                    .count() as f64;
                let np = self.pred.iter().filter(|p| **p == Some(l)).count() as f64;
                let support = self.gold.iter().filter(|g| **g == l).count();
                let precision = if np > 0.0 { tp / np } else { 0.0 };
                let recall = if support > 0 {
                    tp / support as f64
                } else {
                    0.0
                };
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                LabelScore {
                    label: l,
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect()
    }
    /// Macro-F1 over the labels present in gold (as the shared baselines).
    pub fn macro_f1(&self) -> f64 {
        let s: Vec<f64> = self
            .per_label()
            .iter()
            .filter(|s| s.support > 0)
            .map(|s| s.f1)
            .collect();
        if s.is_empty() {
            0.0
        } else {
            s.iter().sum::<f64>() / s.len() as f64
        }
    }
    /// Per-label table and confusion matrix (rows gold, columns predicted;
    /// `-` = no topic returned).
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "n={} accuracy={:.3} macro-F1={:.3}",
            self.len(),
            self.accuracy(),
            self.macro_f1()
        );
        let _ = writeln!(o, "| label | P | R | F1 | support |\n|---|---|---|---|---|");
        let per = self.per_label();
        for s in &per {
            let _ = writeln!(
                o,
                "| {} | {:.3} | {:.3} | {:.3} | {} |",
                s.label.name(),
                s.precision,
                s.recall,
                s.f1,
                s.support
            );
        }
        let labels: Vec<TopicLabel> = per.iter().map(|s| s.label).collect();
        let short = |l: &TopicLabel| l.name().chars().take(6).collect::<String>();
        let _ = write!(o, "confusion (rows gold, cols predicted)\n{:>8}", "");
        for l in &labels {
            let _ = write!(o, "{:>7}", short(l));
        }
        let _ = writeln!(o, "{:>7}", "-");
        for g in &labels {
            let _ = write!(o, "{:>8}", short(g));
            for p in &labels {
                let n = self
                    .gold
                    .iter()
                    .zip(&self.pred)
                    .filter(|(a, b)| *a == g && **b == Some(*p))
                    .count();
                let _ = write!(o, "{n:>7}");
            }
            let n = self
                .gold
                .iter()
                .zip(&self.pred)
                .filter(|(a, b)| *a == g && b.is_none())
                .count();
            let _ = writeln!(o, "{n:>7}");
        }
        o
    }
}

/// One labelled row (training/eval file format).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Row {
    pub id: String,
    pub lang: String,
    pub text: String,
    pub label: String,
    #[serde(default)]
    pub source_label: String,
}

impl Row {
    /// Source name (first component of `source_label`, or of `id`).
    pub fn source(&self) -> &str {
        let s = if self.source_label.is_empty() {
            &self.id
        } else {
            &self.source_label
        };
        s.split(':').next().unwrap_or("")
    }
    /// "short" for single sentences (SIB-200) and social-media posts (ASND),
    /// "article" otherwise.
    pub fn kind(&self) -> &'static str {
        match self.source() {
            "sib200" | "asnd" => "short",
            _ => "article",
        }
    }
}

/// Read a JSONL file of rows (blank lines skipped; a bad line is an error
/// with its line number).
pub fn read_rows(path: &std::path::Path) -> anyhow::Result<Vec<Row>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: read error", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let r: Row = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: bad row", path.display(), i + 1))?;
        rows.push(r);
    }
    Ok(rows)
}

/// Metrics per language, per (language, kind) and per (language, source).
#[derive(Default)]
pub struct Report {
    pub by_lang: BTreeMap<String, Metrics>,
    pub by_kind: BTreeMap<(String, &'static str), Metrics>,
    pub by_source: BTreeMap<(String, String), Metrics>,
}

impl Report {
    pub fn push(&mut self, row: &Row, gold: TopicLabel, pred: Option<TopicLabel>) {
        self.by_lang
            .entry(row.lang.clone())
            .or_default()
            .push(gold, pred);
        self.by_kind
            .entry((row.lang.clone(), row.kind()))
            .or_default()
            .push(gold, pred);
        self.by_source
            .entry((row.lang.clone(), row.source().to_string()))
            .or_default()
            .push(gold, pred);
    }
    pub fn render(&self, detail: bool) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "| lang | n | accuracy | macro-F1 | articles acc/F1 (n) | short acc/F1 (n) |\n|---|---|---|---|---|---|");
        for (l, m) in &self.by_lang {
            let k = |kind: &'static str| {
                self.by_kind
                    .get(&(l.clone(), kind))
                    .map(|m| format!("{:.3}/{:.3} ({})", m.accuracy(), m.macro_f1(), m.len()))
                    .unwrap_or_else(|| "-".into())
            };
            let _ = writeln!(
                o,
                "| {l} | {} | {:.3} | {:.3} | {} | {} |",
                m.len(),
                m.accuracy(),
                m.macro_f1(),
                k("article"),
                k("short")
            );
        }
        let _ = writeln!(o, "\nper source (accuracy):");
        for ((l, s), m) in &self.by_source {
            let _ = writeln!(o, "  {l} {s}: {:.3} (n={})", m.accuracy(), m.len());
        }
        if detail {
            for (l, m) in &self.by_lang {
                let _ = writeln!(o, "\n## {l}\n{}", m.render());
            }
        }
        o
    }
}

/// `nutgraf eval topics`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    // The sha256 printed is that of the bytes read (as GetModelInfo
    // reports it), not of a re-serialisation: cheaper, and the file is what
    // a user compares with the model card.
    let bytes =
        std::fs::read(&args.model).with_context(|| format!("reading {}", args.model.display()))?;
    let file_sha = crate::model_file::sha256_hex(&bytes);
    let model = TopicModel::from_bytes(&bytes)
        .with_context(|| format!("loading {}", args.model.display()))?;
    drop(bytes);
    let rows = read_rows(&args.file)?;
    let mut rep = Report::default();
    let mut skipped = 0usize;
    let mut dump = String::new();
    for r in &rows {
        let Some(gold) = TopicLabel::from_name(&r.label) else {
            skipped += 1;
            continue;
        };
        let doc = crate::text::analyze(
            &r.text,
            TextOptions {
                title: None,
                lang_hint: Lang::from_hint(&r.lang),
            },
        );
        let probs = model.predict(&doc);
        if args.dump.is_some() {
            let _ = write!(dump, "{}", r.id);
            for (l, p) in &probs {
                let _ = write!(dump, " {}:{:08x}", l.name(), p.to_bits());
            }
            dump.push('\n');
        }
        let pred = probs.first().map(|p| p.0);
        rep.push(r, gold, pred);
    }
    println!(
        "model {} ({}), {} rows from {}",
        model.version(),
        file_sha,
        rows.len(),
        args.file.display()
    );
    if skipped > 0 {
        println!("skipped {skipped} rows with a label outside the API label set");
    }
    println!("{}", rep.render(true));
    if let Some(p) = &args.dump {
        std::fs::write(p, dump).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}
