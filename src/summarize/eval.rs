//! `nutgraf eval summarize FILE.jsonl...`: ROUGE of the summariser and of
//! two baselines on reference summaries, and (`--grid`) the coordinate
//! search that tuned [`SummaryConfig::default`].
//!
//! Input lines: `{"id", "lang", "text", "summaries": [..], "title"?}` (the
//! format of `../shared/data/summarisation/`). For each article the systems
//! are asked for k sentences, k = the reference length in sentences (counted
//! with our own sentence splitter; with several references, the rounded mean
//! of their lengths, as in the SOURCES.md baseline table). Scores are
//! ROUGE-1/2/L/Lsum F1 ([`super::rouge`]) averaged over the references, then
//! over articles. For Lsum the candidate's sentences are the chosen sentences
//! and a reference's sentences are those our splitter finds in it.
//!
//! Systems, side by side:
//! - `ours`: [`super::summarize`] with the config under test and the NER
//!   model's entities;
//! - `ours-no-ner`: the same without entities (what position, title and
//!   centrality alone give; also the no-entity fallback);
//! - `lead-k`: the first k body sentences;
//! - `entity-count`: the k body sentences with the most entity mentions
//!   (ties to the earlier one) — the ablation of everything but entities;
//! - `--external NAME=FILE`: any other system's summaries (lines
//!   `{"id", "sentences": [text, ...]}`), scored by the same code. `--dump
//!   FILE` writes our segmentation and tokens (body sentences with their
//!   norm/stem word forms, k, title) so `scripts/summary_baselines.py` can run
//!   sumy's LexRank/TextRank on exactly our sentence units and tokens.

use super::rouge::{rouge_all, rouge_lsum, Vocab};
use super::score::Scratch;
use super::{summarize_with, Length, PerLang, SummaryConfig};
use crate::ner::{self, Entities, NerModel};
use crate::text::{self, Document, Lang, Role, TextOptions, TokenKind};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::BufRead;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;

/// Arguments of `nutgraf eval summarize`.
#[derive(clap::Args, Debug, Clone)]
pub struct EvalArgs {
    /// jsonl file(s) of articles with reference summaries.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// NER model giving the entities the summariser scores.
    #[arg(long, default_value = "models/ner.bin")]
    pub ner_model: PathBuf,
    /// Evaluate only the first N articles of each file.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Tune: coordinate search of the config on the given files (objective:
    /// mean of R1, R2, RL of `ours` averaged over the files), starting from
    /// the default (+ `--set` overrides, which stay fixed); prints the best
    /// config found and evaluates with it.
    #[arg(long)]
    pub grid: bool,
    /// Evaluate without a NER model (no entities at all).
    #[arg(long)]
    pub no_ner: bool,
    /// Ignore the per-language table (`SummaryConfig::per_lang`): the
    /// shared weights for every language (the config before session 5).
    /// `--set ar.NAME=V` still sets entries afterwards.
    #[arg(long)]
    pub no_per_lang: bool,
    /// Override a config field before evaluating / as the search start,
    /// e.g. `--set w_entity=0.5` (names as in the `--grid` output; repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub overrides: Vec<String>,
    /// Print `ours` per file for each grid value of one config field (the
    /// others as configured), e.g. `--sweep w_entity`.
    #[arg(long, value_name = "NAME")]
    pub sweep: Option<String>,
    /// Write our segmentation/tokens of every article (body sentences,
    /// norm/stem word forms, k, title) as jsonl, for external baselines.
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,
    /// Score another system's summaries too: `NAME=FILE`, FILE with lines
    /// `{"id", "sentences": [text, ...]}` (repeatable; articles missing from
    /// FILE score 0).
    #[arg(long = "external", value_name = "NAME=FILE")]
    pub external: Vec<String>,
}

/// Apply `NAME=VALUE` overrides to a config.
fn apply_overrides(cfg: &mut SummaryConfig, overrides: &[String]) -> anyhow::Result<()> {
    for o in overrides {
        let (name, value) = o
            .split_once('=')
            .with_context(|| format!("--set {o}: expected NAME=VALUE"))?;
        let v: f32 = value
            .trim()
            .parse()
            .with_context(|| format!("--set {o}: {value:?} is not a number"))?;
        let Some((_, _, set)) = PARAMS.iter().find(|p| p.0 == name.trim()) else {
            let names: Vec<&str> = PARAMS.iter().map(|p| p.0).collect();
            anyhow::bail!("--set {o}: unknown field; known: {}", names.join(", "));
        };
        set(cfg, v);
    }
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    #[serde(default)]
    id: String,
    #[serde(default)]
    lang: String,
    text: String,
    summaries: Vec<String>,
    #[serde(default)]
    title: Option<String>,
}

/// One article, analysed once and reused by every system and config.
struct Prepared<'a> {
    id: &'a str,
    lang: &'a str,
    title: Option<&'a str>,
    doc: Document<'a>,
    ents: Entities,
    /// Normalised token ids of every sentence of `doc` (all roles).
    sent_ids: Vec<Vec<u32>>,
    /// Token ids of each reference.
    refs: Vec<Vec<u32>>,
    /// Token ids of each reference's sentences (for ROUGE-Lsum).
    ref_sents: Vec<Vec<Vec<u32>>>,
    /// Sentences to ask for.
    k: usize,
}

/// Token ids of the sentences of a reference summary, split with our
/// splitter (lines are sentences too; a piece without any word or number is
/// not a sentence). Their count is the reference's length in sentences.
fn reference_sentences(text: &str, lang: Option<Lang>, vocab: &mut Vocab) -> Vec<Vec<u32>> {
    let d = text::analyze(
        text,
        TextOptions {
            title: None,
            lang_hint: lang,
        },
    );
    d.sentences
        .iter()
        .filter(|s| {
            d.sentence_tokens(s)
                .iter()
                .any(|t| matches!(t.kind, TokenKind::Word | TokenKind::Number))
        })
        .map(|s| vocab.ids(d.sentence_text(s)))
        .collect()
}

fn read_rows(path: &PathBuf, limit: Option<usize>) -> anyhow::Result<Vec<Row>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        if limit.is_some_and(|l| rows.len() >= l) {
            break;
        }
        let line = line.with_context(|| format!("{}: read error", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not an article record", path.display(), i + 1))?;
        rows.push(row);
    }
    Ok(rows)
}

fn prepare<'a>(rows: &'a [Row], model: Option<&NerModel>, vocab: &mut Vocab) -> Vec<Prepared<'a>> {
    rows.iter()
        .map(|r| {
            let lang = Lang::from_hint(&r.lang);
            let doc = text::analyze(
                &r.text,
                TextOptions {
                    title: r.title.as_deref(),
                    lang_hint: lang,
                },
            );
            let ents = model.map(|m| ner::extract(&doc, m)).unwrap_or_default();
            let sent_ids = doc
                .sentences
                .iter()
                .map(|s| vocab.ids(doc.sentence_text(s)))
                .collect();
            let refs: Vec<Vec<u32>> = r.summaries.iter().map(|s| vocab.ids(s)).collect();
            let ref_sents: Vec<Vec<Vec<u32>>> = r
                .summaries
                .iter()
                .map(|s| reference_sentences(s, lang, vocab))
                .collect();
            let ks: Vec<usize> = ref_sents.iter().map(Vec::len).collect();
            let k = if ks.is_empty() {
                1
            } else {
                ((ks.iter().sum::<usize>() as f64 / ks.len() as f64).round() as usize).max(1)
            };
            Prepared {
                id: &r.id,
                lang: &r.lang,
                title: r.title.as_deref(),
                doc,
                ents,
                sent_ids,
                refs,
                ref_sents,
                k,
            }
        })
        .collect()
}

/// Mean R1/R2/RL/Lsum (×100) of one system over articles.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scores {
    pub r: [f64; 4],
    /// Mean output length in word tokens (ROUGE F1 moves with it).
    pub words: f64,
}

impl Scores {
    /// Mean of R1, R2, RL: the tuning objective.
    pub fn mean(&self) -> f64 {
        (self.r[0] + self.r[1] + self.r[2]) / 3.0
    }
}

/// Score one selection (document sentence indices, any order) of an article.
fn score_selection(p: &Prepared<'_>, sel: &mut [usize], cand: &mut Vec<u32>) -> [f64; 4] {
    sel.sort_unstable();
    let sents: Vec<Vec<u32>> = sel
        .iter()
        .filter_map(|&i| p.sent_ids.get(i).cloned())
        .collect();
    score_sentences(p, &sents, cand)
}

/// R1/R2/RL/Lsum of candidate sentences (token ids, in output order) against
/// the article's references, averaged over the references.
fn score_sentences(p: &Prepared<'_>, sents: &[Vec<u32>], cand: &mut Vec<u32>) -> [f64; 4] {
    cand.clear();
    for ids in sents {
        cand.extend_from_slice(ids);
    }
    let mut acc = [0.0f64; 4];
    for (r, rs) in p.refs.iter().zip(&p.ref_sents) {
        let [a, b, c] = rouge_all(cand, r);
        let d = rouge_lsum(sents, rs).f;
        for (acc, v) in acc.iter_mut().zip([a, b, c, d]) {
            *acc += v;
        }
    }
    let n = p.refs.len().max(1) as f64;
    acc.map(|a| a / n)
}

/// Which system to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum System {
    Ours,
    OursNoNer,
    Lead,
    /// Lead-k counting units glued by a stop without a space as one
    /// sentence (the segmentation of a stop + whitespace splitter).
    LeadJoined,
    EntityCount,
}

fn run_system(
    sys: System,
    prepared: &[Prepared<'_>],
    cfg: &SummaryConfig,
    scratch: &mut Scratch,
) -> Scores {
    let empty = Entities::default();
    let mut total = [0.0f64; 4];
    let mut sel: Vec<usize> = Vec::new();
    let mut cand: Vec<u32> = Vec::new();
    let mut counts: Vec<(usize, usize)> = Vec::new();
    let mut words = 0usize;
    for p in prepared {
        sel.clear();
        match sys {
            System::Ours | System::OursNoNer => {
                let ents = if sys == System::Ours { &p.ents } else { &empty };
                let len = Length {
                    max_sentences: Some(p.k as u32),
                    ..Length::default()
                };
                let chosen = summarize_with(scratch, &p.doc, ents, cfg, &len, &mut |_| {
                    ControlFlow::Continue(())
                });
                sel.extend(chosen.iter().map(|c| c.sentence));
            }
            System::Lead => sel.extend(
                p.doc
                    .sentences
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.role == Role::Body)
                    .map(|(i, _)| i)
                    .take(p.k),
            ),
            System::LeadJoined => {
                let mut groups = 0usize;
                let mut prev: Option<(usize, &text::Sentence)> = None;
                for (i, s) in p.doc.sentences.iter().enumerate() {
                    if s.role != Role::Body {
                        prev = None;
                        continue;
                    }
                    let joined = prev.is_some_and(|(pi, ps)| {
                        pi + 1 == i && super::score::glued(p.doc.text, ps, s)
                    });
                    if !joined {
                        if groups == p.k {
                            break;
                        }
                        groups += 1;
                    }
                    sel.push(i);
                    prev = Some((i, s));
                }
            }
            System::EntityCount => {
                counts.clear();
                counts.extend(
                    p.doc
                        .sentences
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.role == Role::Body)
                        .map(|(i, _)| (i, 0usize)),
                );
                for m in &p.ents.mentions {
                    if let Ok(j) = counts.binary_search_by_key(&m.sentence, |c| c.0) {
                        if let Some(c) = counts.get_mut(j) {
                            c.1 += 1;
                        }
                    }
                }
                counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                sel.extend(counts.iter().take(p.k).map(|c| c.0));
            }
        }
        let s = score_selection(p, &mut sel, &mut cand);
        words += cand.len();
        for (t, v) in total.iter_mut().zip(s) {
            *t += v;
        }
    }
    let n = prepared.len().max(1) as f64;
    Scores {
        r: total.map(|t| 100.0 * t / n),
        words: words as f64 / n,
    }
}

/// Entry point of `nutgraf eval summarize`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let model = if args.no_ner {
        None
    } else {
        Some(NerModel::load(&args.ner_model).with_context(|| {
            format!(
                "cannot load the NER model {} (train it with `nutgraf train ner`, or pass --no-ner)",
                args.ner_model.display()
            )
        })?)
    };
    let mut all_rows = Vec::new();
    for f in &args.files {
        all_rows.push(read_rows(f, args.limit)?);
    }
    let mut vocab = Vocab::default();
    let sets: Vec<Vec<Prepared<'_>>> = all_rows
        .iter()
        .map(|rows| prepare(rows, model.as_ref(), &mut vocab))
        .collect();
    if let Some(path) = &args.dump {
        dump(path, &sets)?;
    }
    let mut externals: Vec<(String, External)> = Vec::new();
    for e in &args.external {
        let (name, file) = e
            .split_once('=')
            .with_context(|| format!("--external {e}: expected NAME=FILE"))?;
        externals.push((name.to_string(), read_external(file, &mut vocab)?));
    }
    let mut cfg = SummaryConfig::default();
    if args.no_per_lang {
        cfg.per_lang = PerLang::NONE;
    }
    apply_overrides(&mut cfg, &args.overrides)?;
    if args.grid {
        let fixed: Vec<&str> = args
            .overrides
            .iter()
            .filter_map(|o| o.split_once('=').map(|(n, _)| n.trim()))
            .collect();
        cfg = grid(&sets, cfg, &fixed);
        println!("best config: {cfg:#?}");
    }
    let mut scratch = Scratch::default();
    if let Some(name) = &args.sweep {
        let Some((_, values, set)) = PARAMS.iter().find(|p| p.0 == name.as_str()) else {
            anyhow::bail!("--sweep {name}: unknown field");
        };
        for &v in *values {
            let mut c = cfg.clone();
            set(&mut c, v);
            let mut line = format!("{name} = {v:<6}");
            for set in &sets {
                let s = run_system(System::Ours, set, &c, &mut scratch);
                line.push_str(&format!(
                    "  | {:5.2} {:5.2} {:5.2} {:5.2} {:4.0}w",
                    s.r[0], s.r[1], s.r[2], s.r[3], s.words
                ));
            }
            println!("{line}  | obj {:.3}", objective(&sets, &c, &mut scratch));
        }
    }
    for (f, set) in args.files.iter().zip(&sets) {
        let n = set.len();
        let mean_k = set.iter().map(|p| p.k as f64).sum::<f64>() / n.max(1) as f64;
        let refs = set.iter().map(|p| p.refs.len() as f64).sum::<f64>() / n.max(1) as f64;
        let body = set
            .iter()
            .map(|p| {
                p.doc
                    .sentences
                    .iter()
                    .filter(|s| s.role == Role::Body)
                    .count() as f64
            })
            .sum::<f64>()
            / n.max(1) as f64;
        let ents = set
            .iter()
            .map(|p| p.ents.entities.len() as f64)
            .sum::<f64>()
            / n.max(1) as f64;
        println!(
            "\n{}  (n={n}, mean k={mean_k:.2}, refs/article={refs:.1}, body sentences/article={body:.1}, entities/article={ents:.1})",
            f.display()
        );
        println!(
            "{:<14} {:>6} {:>6} {:>6} {:>6} {:>7}",
            "system", "R1", "R2", "RL", "RLsum", "words"
        );
        for (name, sys) in [
            ("ours", System::Ours),
            ("ours-no-ner", System::OursNoNer),
            ("lead-k", System::Lead),
            ("entity-count", System::EntityCount),
            ("lead-k-joined", System::LeadJoined),
        ] {
            let s = run_system(sys, set, &cfg, &mut scratch);
            print_row(name, &s);
        }
        // Ours with glued units joined (compare with lead-k-joined and the
        // published stop + whitespace segmentation), unless already on.
        if !cfg.join_glued {
            let mut cj = cfg.clone();
            cj.join_glued = true;
            let s = run_system(System::Ours, set, &cj, &mut scratch);
            print_row("ours-joined", &s);
        }
        for (name, ext) in &externals {
            let mut total = [0.0f64; 4];
            let mut cand = Vec::new();
            let mut found = 0usize;
            let mut words = 0usize;
            for p in set {
                let Some(sents) = ext.get(p.id) else { continue };
                found += 1;
                let s = score_sentences(p, sents, &mut cand);
                words += cand.len();
                for (t, v) in total.iter_mut().zip(s) {
                    *t += v;
                }
            }
            if found == 0 {
                continue;
            }
            let s = Scores {
                r: total.map(|t| 100.0 * t / n.max(1) as f64),
                words: words as f64 / n.max(1) as f64,
            };
            print_row(name, &s);
            if found < n {
                println!("  ({name}: only {found} of {n} articles found, the rest score 0)");
            }
        }
    }
    Ok(())
}

fn print_row(name: &str, s: &Scores) {
    println!(
        "{:<14} {:>6.2} {:>6.2} {:>6.2} {:>6.2} {:>7.1}",
        name, s.r[0], s.r[1], s.r[2], s.r[3], s.words
    );
}

#[derive(Serialize)]
struct DumpSentence<'a> {
    /// Index into the document's sentences.
    i: usize,
    text: &'a str,
    /// (norm, stem) of every word token.
    words: Vec<(&'a str, &'a str)>,
}

#[derive(Serialize)]
struct DumpArticle<'a> {
    id: &'a str,
    lang: &'a str,
    k: usize,
    title: Option<&'a str>,
    /// Body sentences only (the candidates every system chooses from).
    sentences: Vec<DumpSentence<'a>>,
}

/// Write our segmentation and tokens (see `--dump`).
fn dump(path: &PathBuf, sets: &[Vec<Prepared<'_>>]) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    for p in sets.iter().flatten() {
        let d = &p.doc;
        let sentences = d
            .sentences
            .iter()
            .enumerate()
            .filter(|(_, s)| s.role == Role::Body)
            .map(|(i, s)| DumpSentence {
                i,
                text: d.sentence_text(s),
                words: d
                    .sentence_tokens(s)
                    .iter()
                    .filter(|t| t.kind == TokenKind::Word)
                    .map(|t| (d.norm(t), d.stem(t)))
                    .collect(),
            })
            .collect();
        let a = DumpArticle {
            id: p.id,
            lang: p.lang,
            k: p.k,
            title: p.title,
            sentences,
        };
        serde_json::to_writer(&mut w, &a)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

#[derive(Deserialize)]
struct ExternalRow {
    id: String,
    sentences: Vec<String>,
}

/// An external system's summaries: article id → token ids of each sentence.
type External = HashMap<String, Vec<Vec<u32>>>;

/// Read an external system's summaries (see `--external`).
fn read_external(file: &str, vocab: &mut Vocab) -> anyhow::Result<External> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: ExternalRow = serde_json::from_str(line)
            .with_context(|| format!("{file} line {}: expected {{id, sentences}}", i + 1))?;
        let ids = row.sentences.iter().map(|s| vocab.ids(s)).collect();
        out.insert(row.id, ids);
    }
    Ok(out)
}

/// Objective of the search: mean over the sets of mean(R1, R2, RL) of `ours`.
fn objective(sets: &[Vec<Prepared<'_>>], cfg: &SummaryConfig, scratch: &mut Scratch) -> f64 {
    let mut t = 0.0;
    for set in sets {
        t += run_system(System::Ours, set, cfg, scratch).mean();
    }
    t / sets.len().max(1) as f64
}

/// A tunable parameter: name, values to try, setter.
type Param = (&'static str, &'static [f32], fn(&mut SummaryConfig, f32));

const PARAMS: &[Param] = &[
    ("w_entity", &[0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0], |c, v| {
        c.w_entity = v
    }),
    ("entity_base", &[0.0, 0.25, 0.5, 1.0, 2.0], |c, v| {
        c.entity_base = v
    }),
    ("entity_salience", &[0.0, 0.5, 1.0, 2.0, 4.0], |c, v| {
        c.entity_salience = v
    }),
    ("salience_power", &[0.5, 1.0, 2.0, 4.0], |c, v| {
        c.salience_power = v
    }),
    ("type_person", &[0.5, 1.0, 1.5], |c, v| {
        c.type_weights[0] = v
    }),
    ("type_location", &[0.5, 1.0, 1.5], |c, v| {
        c.type_weights[1] = v
    }),
    ("type_organization", &[0.5, 1.0, 1.5], |c, v| {
        c.type_weights[2] = v
    }),
    ("type_misc", &[0.25, 0.5, 1.0, 1.5], |c, v| {
        c.type_weights[3] = v
    }),
    ("entity_min_mentions", &[1.0, 2.0, 3.0], |c, v| {
        c.entity_min_mentions = v as u32
    }),
    ("repeat_weight", &[0.0, 0.25, 0.5, 1.0], |c, v| {
        c.repeat_weight = v
    }),
    (
        "length_exponent",
        &[0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0],
        |c, v| c.length_exponent = v,
    ),
    (
        "length_floor",
        &[1.0, 5.0, 8.0, 12.0, 16.0, 24.0],
        |c, v| c.length_floor = v,
    ),
    (
        "w_position",
        &[0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0],
        |c, v| c.w_position = v,
    ),
    (
        "position_decay",
        &[0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 15.0],
        |c, v| c.position_decay = v,
    ),
    (
        "position_power",
        &[0.5, 0.75, 1.0, 1.5, 2.0, 3.0],
        |c, v| c.position_power = v,
    ),
    ("w_paragraph_start", &[0.0, 0.05, 0.1, 0.2, 0.4], |c, v| {
        c.w_paragraph_start = v
    }),
    ("w_title", &[0.0, 0.25, 0.5, 1.0, 1.5], |c, v| c.w_title = v),
    ("w_centrality", &[0.0, 0.25, 0.5, 1.0, 1.5, 2.0], |c, v| {
        c.w_centrality = v
    }),
    ("centrality_shape", &[0.0, 0.25, 0.5, 0.75, 1.0], |c, v| {
        c.centrality_shape = v
    }),
    ("min_words", &[0.0, 3.0, 5.0, 8.0, 12.0], |c, v| {
        c.min_words = v as u32
    }),
    (
        "redundancy",
        &[0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2],
        |c, v| c.redundancy = v,
    ),
    (
        "redundancy_entity_share",
        &[0.0, 0.25, 0.5, 0.75, 1.0],
        |c, v| c.redundancy_entity_share = v,
    ),
    ("duplicate_jaccard", &[0.5, 0.6, 0.7, 0.8, 1.01], |c, v| {
        c.duplicate_jaccard = v
    }),
    ("w_adjacent", &[0.0, 0.05, 0.1, 0.2, 0.3, 0.5], |c, v| {
        c.w_adjacent = v
    }),
    (
        "w_glued_adjacent",
        &[0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0],
        |c, v| c.w_glued_adjacent = v,
    ),
    ("join_glued", &[0.0, 1.0], |c, v| c.join_glued = v >= 0.5),
    // Per-language entries (`SummaryConfig::per_lang`): each dev set is one
    // language, so `--sweep en.position_power` moves only BBC.
    ("ar.w_entity", W_ENTITY_LANG, |c, v| {
        c.per_lang.ar.w_entity = Some(v)
    }),
    ("fr.w_entity", W_ENTITY_LANG, |c, v| {
        c.per_lang.fr.w_entity = Some(v)
    }),
    ("en.w_entity", W_ENTITY_LANG, |c, v| {
        c.per_lang.en.w_entity = Some(v)
    }),
    ("ar.salience_power", SALIENCE_POWER_LANG, |c, v| {
        c.per_lang.ar.salience_power = Some(v)
    }),
    ("fr.salience_power", SALIENCE_POWER_LANG, |c, v| {
        c.per_lang.fr.salience_power = Some(v)
    }),
    ("en.salience_power", SALIENCE_POWER_LANG, |c, v| {
        c.per_lang.en.salience_power = Some(v)
    }),
    ("ar.w_position", W_POSITION_LANG, |c, v| {
        c.per_lang.ar.w_position = Some(v)
    }),
    ("fr.w_position", W_POSITION_LANG, |c, v| {
        c.per_lang.fr.w_position = Some(v)
    }),
    ("en.w_position", W_POSITION_LANG, |c, v| {
        c.per_lang.en.w_position = Some(v)
    }),
    ("ar.position_power", POSITION_POWER_LANG, |c, v| {
        c.per_lang.ar.position_power = Some(v)
    }),
    ("fr.position_power", POSITION_POWER_LANG, |c, v| {
        c.per_lang.fr.position_power = Some(v)
    }),
    ("en.position_power", POSITION_POWER_LANG, |c, v| {
        c.per_lang.en.position_power = Some(v)
    }),
];

const W_ENTITY_LANG: &[f32] = &[0.0, 0.25, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5];
const SALIENCE_POWER_LANG: &[f32] = &[1.0, 2.0, 3.0, 4.0, 6.0];
const W_POSITION_LANG: &[f32] = &[0.0, 0.5, 1.0, 1.25, 1.5, 2.0];
const POSITION_POWER_LANG: &[f32] = &[1.0, 2.0, 3.0, 4.0, 5.0];

/// Coordinate search: for each parameter in turn try its values with the
/// others fixed, keep the best (a change must gain > 0.02 points, so noise
/// does not move the config); repeat until a pass changes nothing (at most
/// three passes). Deterministic: fixed order, strict improvement.
fn grid(sets: &[Vec<Prepared<'_>>], start: SummaryConfig, fixed: &[&str]) -> SummaryConfig {
    let mut scratch = Scratch::default();
    let mut best = start;
    let mut best_v = objective(sets, &best, &mut scratch);
    println!("start objective {best_v:.3}");
    for pass in 0..3 {
        let mut changed = false;
        for (name, values, set) in PARAMS {
            if fixed.contains(name) {
                continue;
            }
            for &v in *values {
                let mut c = best.clone();
                set(&mut c, v);
                if c == best {
                    continue;
                }
                let o = objective(sets, &c, &mut scratch);
                if o > best_v + 0.02 {
                    println!("pass {pass}: {name} = {v} → {o:.3}");
                    best_v = o;
                    best = c;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for set in sets {
        let s = run_system(System::Ours, set, &best, &mut scratch);
        println!(
            "  set: {:.1} / {:.1} / {:.1} / {:.1}",
            s.r[0], s.r[1], s.r[2], s.r[3]
        );
    }
    best
}
