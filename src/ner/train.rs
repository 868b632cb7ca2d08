//! `nutgraf train ner`: trains one averaged-perceptron tagger per language,
//! early-stopped on its dev set, and writes them to one model file.
//!
//! Deterministic: sentence order is shuffled with a seeded xorshift, feature
//! rows are numbered in order of first appearance in the (ordered) data, and
//! every map that is iterated for output is sorted first.

use super::clusters::Clusters;
use super::conll::{self, CSent};
use super::eval::{print_scores, score_spans, Scores};
use super::features::{match_key, sentence_features, FeatBuf};
use super::gazetteer::{gaz_class, trig_class, Gazetteer, Triggers, U64Map, GAZ_CLASSES};
use super::hash::{hash_str, mix, XorShift};
use super::model::{allowed, viterbi, LangTagger, Scratch, NTAGS, START};
use crate::text::Lang;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `nutgraf train ner`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainArgs {
    /// Directory holding the CoNLL files (see its SOURCES.md).
    #[arg(long, default_value = "../shared/data/ner")]
    pub data: PathBuf,
    /// Where to write the model.
    #[arg(long, default_value = "models/ner.bin")]
    pub out: PathBuf,
    /// Seed of the training-order shuffle.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Languages to train (comma separated).
    #[arg(long, default_value = "ar,en,fr")]
    pub langs: String,
    /// Maximum number of passes over the training data.
    #[arg(long, default_value_t = 20)]
    pub max_epochs: usize,
    /// Stop after this many epochs without a dev F1 gain.
    #[arg(long, default_value_t = 3)]
    pub patience: usize,
    /// Drop features seen fewer times than this in the training data.
    #[arg(long, default_value_t = 1)]
    pub min_count: u32,
    /// Drop (averaged) weights smaller than this in absolute value.
    #[arg(long, default_value_t = 0.0)]
    pub prune: f32,
    /// Folds for the jackknifed training-data gazetteer (0 = none).
    #[arg(long, default_value_t = 3)]
    pub folds: usize,
    /// Where to write the entity lists extracted from the training files
    /// (empty = do not write).
    #[arg(long, default_value = "data/gazetteers/train")]
    pub gazetteer_dir: PathBuf,
    /// Also train/score an Arabic model on a contiguous 90/10 split of the
    /// file (other articles in dev): a realistic figure, not shipped.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub ar_block_check: bool,
    /// Word clusters learnt from unlabelled text (fine clusters; 0 = none).
    #[arg(long, default_value_t = 256)]
    pub clusters: usize,
    /// Coarse clusters (groups of fine clusters).
    #[arg(long, default_value_t = 32)]
    pub clusters_coarse: usize,
    /// Directory with the unlabelled text for the clusters:
    /// `train.{ar,en,fr}.jsonl` (its `text` field) of the topic corpus.
    #[arg(long, default_value = "../shared/data/topic_classification")]
    pub unlabelled: PathBuf,
    /// Also learn the French/English clusters from the tokens of the NER
    /// training file (never Arabic: its dev sentences are in that file).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub cluster_ner_train: bool,
    /// French: also train on a copy of every sentence with its elisions
    /// split the way the text pipeline splits them at inference
    /// (WikiANN `l'Isère` → `l'` `Isère`), so the tagger knows both forms.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub fr_split_elisions: bool,
    /// Train this many perceptrons (different shuffles, each early-stopped)
    /// and average their weights: a cheap variance reduction.
    #[arg(long, default_value_t = 4)]
    pub bag: usize,
    /// Word dropout: during training, each token of an entity loses its
    /// word-form features (raw, norm, stem, clitic-free, word bigrams) with
    /// this probability, drawn again every epoch, so that the tagger also
    /// learns to recognise names it has not seen (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub word_dropout: f32,
}

impl Default for TrainArgs {
    fn default() -> Self {
        TrainArgs {
            data: PathBuf::from("../shared/data/ner"),
            out: PathBuf::from("models/ner.bin"),
            seed: 2026,
            langs: "ar,en,fr".into(),
            max_epochs: 20,
            patience: 3,
            min_count: 1,
            prune: 0.0,
            folds: 3,
            gazetteer_dir: PathBuf::from("data/gazetteers/train"),
            ar_block_check: true,
            clusters: 256,
            clusters_coarse: 32,
            unlabelled: PathBuf::from("../shared/data/topic_classification"),
            cluster_ner_train: true,
            fr_split_elisions: true,
            bag: 4,
            word_dropout: 0.0,
        }
    }
}

/// Hand-written lists, compiled in so training does not depend on the cwd.
const HAND_AR: &str = include_str!("../../data/gazetteers/hand/ar.tsv");
const HAND_EN: &str = include_str!("../../data/gazetteers/hand/en.tsv");
const HAND_FR: &str = include_str!("../../data/gazetteers/hand/fr.tsv");
const HAND_LATIN: &str = include_str!("../../data/gazetteers/hand/latin.tsv");
const TRIG_AR: &str = include_str!("../../data/gazetteers/hand/triggers_ar.tsv");
const TRIG_EN: &str = include_str!("../../data/gazetteers/hand/triggers_en.tsv");
const TRIG_FR: &str = include_str!("../../data/gazetteers/hand/triggers_fr.tsv");

fn hand_lists(lang: Lang) -> Vec<&'static str> {
    match lang {
        Lang::Ar => vec![HAND_AR],
        Lang::En => vec![HAND_EN, HAND_LATIN],
        _ => vec![HAND_FR, HAND_LATIN],
    }
}

fn trigger_list(lang: Lang) -> &'static str {
    match lang {
        Lang::Ar => TRIG_AR,
        Lang::En => TRIG_EN,
        _ => TRIG_FR,
    }
}

/// Matching-key hashes of a gazetteer entry written as text.
///
/// The entry is split by the text pipeline's tokenizer, so that it matches
/// the tokens of running text ("Côte d'Ivoire" -> Côte / d' / Ivoire).
pub fn entry_hashes(lang: Lang, entry: &str) -> Vec<u64> {
    let (toks, buf) = crate::text::tokens::tokenize_with(entry, lang);
    toks.iter()
        .map(|t| {
            let norm = buf
                .get(t.norm.start as usize..t.norm.end as usize)
                .unwrap_or("");
            hash_str(match_key(lang, norm))
        })
        .collect()
}

/// `CLASS<TAB>entry` lines (comments `#`, blanks ignored).
fn parse_list(text: &str) -> Vec<(u32, &str)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (c, e) = l.split_once('\t')?;
            Some((c.trim(), e.trim()))
        })
        .filter_map(|(c, e)| Some((gaz_class(c).or_else(|| trig_class(c))?, e)))
        .collect()
}

/// The experiment list of `NUTGRAF_EXTRA_GAZ_<LANG>` (e.g. `_AR`), empty
/// when the variable is unset. Why an environment switch and not a flag:
/// it is an experiment aid (session 4: a hand-written Arabic name list was
/// measured and rejected, see models/NER.md), not a shipped option. It
/// changes the gazetteer written into the model, so it is loud: a set but
/// unreadable path is an error (rather than silently training without
/// it), and a set path is reported on stderr with its line count.
fn extra_gazetteer(lang: Lang) -> anyhow::Result<String> {
    let var = format!("NUTGRAF_EXTRA_GAZ_{}", lang.code().to_uppercase());
    let Some(path) = std::env::var_os(&var) else {
        return Ok(String::new());
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!("{var}={shown}: cannot read ({e}); unset it to train the shipped model")
    })?;
    eprintln!(
        "{var}={shown}: {} extra gazetteer lines (experiment; changes the model)",
        text.lines().count()
    );
    Ok(text)
}

/// The gazetteer of the hand-written lists shipped in the repo.
pub fn hand_gazetteer(lang: Lang) -> Gazetteer {
    gazetteer_of(lang, &hand_lists(lang))
}

fn gazetteer_of(lang: Lang, lists: &[&str]) -> Gazetteer {
    let mut g = Gazetteer::default();
    for list in lists {
        for (c, e) in parse_list(list) {
            let h = entry_hashes(lang, e);
            g.insert(&h, c);
            if h.len() == 1 {
                let (norm, _) = conll::token_forms(lang, e.trim());
                g.insert_exact(hash_str(&norm));
            }
        }
    }
    g
}

pub fn triggers(lang: Lang) -> Triggers {
    let mut t = Triggers::default();
    for line in trigger_list(lang).lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((c, w)) = line.split_once('\t') else {
            continue;
        };
        let Some(c) = trig_class(c.trim()) else {
            continue;
        };
        for tok in w.split_whitespace() {
            let (norm, _) = conll::token_forms(lang, tok);
            t.insert(hash_str(match_key(lang, &norm)), c);
        }
    }
    t
}

/// A training-data entity as a gazetteer entry.
struct TrainEntry {
    hashes: Vec<u64>,
    /// Full-norm hash when the entry is one token.
    exact: Option<u64>,
    class: u32,
    text: String,
    /// Occurrences per fold.
    per_fold: Vec<u32>,
}

fn training_entries(lang: Lang, sents: &[CSent], fold: &[usize], folds: usize) -> Vec<TrainEntry> {
    let nf = folds.max(1);
    let mut idx: BTreeMap<(u32, Vec<u64>), usize> = BTreeMap::new();
    let mut out: Vec<TrainEntry> = Vec::new();
    for (si, s) in sents.iter().enumerate() {
        for (a, b, ty) in conll::spans(&s.tags) {
            let class = u32::from(ty) - 1;
            let toks = &s.toks[a..b];
            if toks.len() > super::gazetteer::MAX_ENTRY_TOKENS {
                continue;
            }
            let hashes: Vec<u64> = toks
                .iter()
                .map(|t| hash_str(match_key(lang, &t.norm)))
                .collect();
            let i = *idx.entry((class, hashes.clone())).or_insert_with(|| {
                out.push(TrainEntry {
                    exact: (toks.len() == 1).then(|| hash_str(&toks[0].norm)),
                    hashes,
                    class,
                    text: toks
                        .iter()
                        .map(|t| t.raw.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                    per_fold: vec![0; nf],
                });
                out.len() - 1
            });
            out[i].per_fold[fold.get(si).copied().unwrap_or(si) % nf] += 1;
        }
    }
    out
}

/// A copy of a CoNLL sentence with every token that the text pipeline
/// would split at an elision (`l'Isère`) split into its two pieces; the
/// second piece continues the first one's entity (B-X → I-X). None when
/// nothing is split.
fn split_elisions(lang: Lang, s: &CSent) -> Option<CSent> {
    let mut out = CSent {
        toks: Vec::with_capacity(s.toks.len() + 2),
        tags: Vec::with_capacity(s.toks.len() + 2),
    };
    let mut any = false;
    for (t, &tag) in s.toks.iter().zip(&s.tags) {
        let (pieces, _) = crate::text::tokens::tokenize_with(&t.raw, lang);
        let split = match pieces.as_slice() {
            [a, b]
                if a.span.start == 0 && b.span.end == t.raw.len() && a.span.end == b.span.start =>
            {
                let first = t.raw.get(..a.span.end).unwrap_or("");
                first.ends_with(['\'', '\u{2019}']).then_some(a.span.end)
            }
            _ => None,
        };
        match split.and_then(|m| Some((t.raw.get(..m)?, t.raw.get(m..)?))) {
            Some((a, b)) => {
                any = true;
                for (k, piece) in [a, b].into_iter().enumerate() {
                    let (norm, stem) = conll::token_forms(lang, piece);
                    out.toks.push(conll::CTok {
                        raw: piece.to_string(),
                        norm,
                        stem,
                    });
                    // B-X (odd) → I-X for the second piece.
                    out.tags
                        .push(if k == 1 && tag % 2 == 1 { tag + 1 } else { tag });
                }
            }
            None => {
                out.toks.push(t.clone());
                out.tags.push(tag);
            }
        }
    }
    any.then_some(out)
}

/// Weights during training: dense rows plus the running sums for averaging
/// (`avg = w - u / c`, Daumé's trick, so no per-weight timestamps).
struct Perceptron {
    w: Vec<f32>,
    u: Vec<f64>,
    tw: [[f32; NTAGS]; NTAGS + 1],
    tu: [[f64; NTAGS]; NTAGS + 1],
    c: f64,
}

impl Perceptron {
    fn new(rows: usize) -> Self {
        Perceptron {
            w: vec![0.0; rows * NTAGS],
            u: vec![0.0; rows * NTAGS],
            tw: [[0.0; NTAGS]; NTAGS + 1],
            tu: [[0.0; NTAGS]; NTAGS + 1],
            c: 1.0,
        }
    }

    fn upd(&mut self, r: usize, t: usize, d: f32) {
        let i = r * NTAGS + t;
        self.w[i] += d;
        self.u[i] += self.c * f64::from(d);
    }

    fn tupd(&mut self, p: usize, t: usize, d: f32) {
        self.tw[p][t] += d;
        self.tu[p][t] += self.c * f64::from(d);
    }

    fn averaged(&self, keys: &[u32]) -> (Vec<(u32, [f32; NTAGS])>, Trans) {
        let mut rows = Vec::with_capacity(keys.len());
        for (r, k) in keys.iter().enumerate() {
            let mut a = [0f32; NTAGS];
            for (t, x) in a.iter_mut().enumerate() {
                let i = r * NTAGS + t;
                *x = (f64::from(self.w[i]) - self.u[i] / self.c) as f32;
            }
            rows.push((*k, a));
        }
        let mut tr = [[0f32; NTAGS]; NTAGS + 1];
        for (p, row) in tr.iter_mut().enumerate() {
            for (t, x) in row.iter_mut().enumerate() {
                *x = (f64::from(self.tw[p][t]) - self.tu[p][t] / self.c) as f32;
            }
        }
        (rows, tr)
    }
}

/// Transition weights, last row = sentence start.
type Trans = [[f32; NTAGS]; NTAGS + 1];

/// Training sentence as feature rows.
struct Inst {
    rows: Vec<u32>,
    /// Per entry of `rows`: a word-form feature (see `word_dropout`).
    lex: Vec<bool>,
    offs: Vec<u32>,
    gold: Vec<u8>,
}

/// What one language's training produced.
pub struct LangResult {
    pub tagger: LangTagger,
    pub dev: Scores,
    pub epoch: usize,
    pub seconds: f64,
    pub n_train: usize,
    pub n_dev: usize,
}

fn files(lang: Lang) -> (&'static str, Option<&'static str>) {
    match lang {
        Lang::Ar => ("ar_anercorp.train.conll", None),
        Lang::En => ("en_conll2003.train.conll", Some("en_conll2003.dev.conll")),
        _ => ("fr_wikiann.train.conll", Some("fr_wikiann.dev.conll")),
    }
}

/// Arabic dev part: sentences whose index hash falls in 1/10.
fn is_ar_dev(i: usize) -> bool {
    mix(i as u64 ^ 0xA4A4) % 10 == 0
}

/// Load train/dev sentences of a language (Arabic dev split off train).
pub fn load_lang(data: &Path, lang: Lang) -> anyhow::Result<(Vec<CSent>, Vec<CSent>)> {
    let (tr, dv) = files(lang);
    let train = conll::read(&data.join(tr), lang)?;
    match dv {
        Some(d) => Ok((train, conll::read(&data.join(d), lang)?)),
        None => {
            let mut t = Vec::new();
            let mut d = Vec::new();
            for (i, s) in train.into_iter().enumerate() {
                if is_ar_dev(i) {
                    d.push(s);
                } else {
                    t.push(s);
                }
            }
            Ok((t, d))
        }
    }
}

/// Tag sentences with a tagger and score them against their gold tags.
pub fn evaluate(tagger: &LangTagger, sents: &[CSent]) -> Scores {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut sc = Scores::default();
    for s in sents {
        tagger.tag(&s.views(), &mut scratch, &mut out);
        score_spans(&mut sc, &conll::spans(&s.tags), &conll::spans(&out));
    }
    sc
}

pub fn train_lang(args: &TrainArgs, lang: Lang, cl: &Clusters) -> anyhow::Result<LangResult> {
    let (train, dev) = load_lang(&args.data, lang)?;
    train_on(args, lang, &train, &dev, true, cl)
}

/// Word clusters of a language from the unlabelled text (empty when
/// `--clusters 0`).
pub fn learn_clusters(args: &TrainArgs, lang: Lang) -> anyhow::Result<Clusters> {
    if args.clusters == 0 {
        return Ok(Clusters::default());
    }
    let t0 = Instant::now();
    let mut texts = super::clusters::jsonl_texts(
        &args.unlabelled.join(format!("train.{}.jsonl", lang.code())),
    )?;
    let n_articles = texts.len();
    if args.cluster_ner_train && lang != Lang::Ar {
        let (tr, _) = files(lang);
        for s in conll::read(&args.data.join(tr), lang)? {
            let t: Vec<&str> = s.toks.iter().map(|t| t.raw.as_str()).collect();
            texts.push(t.join(" "));
        }
    }
    let p = super::clusters::Params {
        k: args.clusters,
        k_coarse: args.clusters_coarse,
        ..Default::default()
    };
    let c = super::clusters::learn(lang, texts.iter().map(String::as_str), &p);
    eprintln!(
        "[{}] clusters: {} words in {} clusters from {} articles + {} sentences, {:.1}s",
        lang.code(),
        c.len(),
        args.clusters,
        n_articles,
        texts.len() - n_articles,
        t0.elapsed().as_secs_f64()
    );
    Ok(c)
}

/// The model's frequent-word list (format 6, `fast::frequent_words`)
/// from the same unlabelled text as the clusters; none without that file.
/// It only speeds up tagging (same tags), so it is not part of training.
fn frequent_words(args: &TrainArgs, lang: Lang) -> anyhow::Result<Vec<super::fast::Word>> {
    let path = args.unlabelled.join(format!("train.{}.jsonl", lang.code()));
    if !path.exists() {
        eprintln!(
            "[{}] no {}: no frequent-word list",
            lang.code(),
            path.display()
        );
        return Ok(Vec::new());
    }
    let t0 = Instant::now();
    let texts = super::clusters::jsonl_texts(&path)?;
    let n = super::fast::word_table_size(lang);
    let words = super::fast::frequent_words(lang, texts.iter().map(String::as_str), n);
    eprintln!(
        "[{}] frequent-word list: {} words from {} texts, {:.1}s",
        lang.code(),
        words.len(),
        texts.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(words)
}

/// Arabic only: a harder, more realistic check than the hash split (whose
/// dev sentences share articles, hence names, with training sentences):
/// train on the first 90% of the file, score the last 10% (other articles).
pub fn ar_block_check(args: &TrainArgs, cl: &Clusters) -> anyhow::Result<LangResult> {
    let (tr, _) = files(Lang::Ar);
    let mut all = conll::read(&args.data.join(tr), Lang::Ar)?;
    let cut = all.len() * 9 / 10;
    let dev = all.split_off(cut);
    train_on(args, Lang::Ar, &all, &dev, false, cl)
}

/// The block check without choosing the epoch on the reported block:
/// train on the first 80 %, choose the epoch on 80–90 %, report 90–100 %
/// (the same articles as [`ar_block_check`] reports, 10 % less training
/// data). Returns the result with `dev` = scores on the last block.
pub fn ar_block_check_honest(args: &TrainArgs, cl: &Clusters) -> anyhow::Result<LangResult> {
    let (tr, _) = files(Lang::Ar);
    let mut all = conll::read(&args.data.join(tr), Lang::Ar)?;
    let n = all.len();
    // Experiments: NUTGRAF_BLOCK=k reports tenth k (epochs on tenth k-1,
    // cyclic) and trains on the other eight; default 9 = the check above.
    let k: usize = std::env::var("NUTGRAF_BLOCK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9)
        % 10;
    let ks = (k + 9) % 10;
    let tenth = |i: usize| (0..10).rev().find(|t| i >= n * t / 10).unwrap_or(0);
    let mut report = Vec::new();
    let mut select = Vec::new();
    let mut rest = Vec::new();
    for (i, s) in all.drain(..).enumerate() {
        match tenth(i) {
            t if t == k => report.push(s),
            t if t == ks => select.push(s),
            _ => rest.push(s),
        }
    }
    let all = rest;
    let mut r = train_on(args, Lang::Ar, &all, &select, false, cl)?;
    r.dev = evaluate(&r.tagger, &report);
    if let Ok(path) = std::env::var("NUTGRAF_BLOCK_DUMP") {
        dump_tags(&r.tagger, &report, Path::new(&path))?;
    }
    r.n_dev = report.len();
    Ok(r)
}

/// Experiments: write `token<TAB>gold<TAB>predicted` lines of a tagged set.
fn dump_tags(tagger: &LangTagger, sents: &[CSent], path: &Path) -> anyhow::Result<()> {
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut s = String::new();
    for c in sents {
        tagger.tag(&c.views(), &mut scratch, &mut out);
        for ((t, g), p) in c.toks.iter().zip(&c.tags).zip(&out) {
            let _ = writeln!(
                s,
                "{}\t{}\t{}",
                t.raw,
                super::model::TAG_NAMES
                    .get(*g as usize)
                    .copied()
                    .unwrap_or("?"),
                super::model::TAG_NAMES
                    .get(*p as usize)
                    .copied()
                    .unwrap_or("?")
            );
        }
        s.push('\n');
    }
    std::fs::write(path, s)?;
    Ok(())
}

fn train_on(
    args: &TrainArgs,
    lang: Lang,
    train: &[CSent],
    dev: &[CSent],
    write_lists: bool,
    cl: &Clusters,
) -> anyhow::Result<LangResult> {
    let t0 = Instant::now();
    eprintln!(
        "[{}] {} train / {} dev sentences",
        lang.code(),
        train.len(),
        dev.len()
    );
    let extra = extra_gazetteer(lang)?;
    let mut lists: Vec<&str> = hand_lists(lang);
    lists.push(&extra);
    let hand = gazetteer_of(lang, &lists);
    let mut trig = triggers(lang);
    trig.clusters = cl.clone();
    // Fold of each training sentence; an elision-split copy (French) is
    // in its original's fold, so it never sees its own entities in the
    // jackknifed gazetteer through the original.
    let nf = args.folds.max(1);
    let mut fold: Vec<usize> = (0..train.len()).map(|i| i % nf).collect();
    let mut aug: Vec<CSent> = Vec::new();
    if lang == Lang::Fr && args.fr_split_elisions {
        for (i, s) in train.iter().enumerate() {
            if let Some(c) = split_elisions(lang, s) {
                aug.push(c);
                fold.push(i % nf);
            }
        }
        eprintln!(
            "[{}] {} elision-split copies of training sentences",
            lang.code(),
            aug.len()
        );
    }
    let all: Vec<&CSent> = train.iter().chain(aug.iter()).collect();
    let entries = training_entries(lang, train, &fold, args.folds);
    if write_lists && !args.gazetteer_dir.as_os_str().is_empty() {
        write_entry_list(&args.gazetteer_dir, lang, &entries)?;
    }
    // Full gazetteer (shipped) and, for training features, one per fold
    // without that fold's own entities: otherwise every training entity is
    // in the gazetteer and the model learns to trust it blindly.
    let mut full = hand.clone();
    for e in &entries {
        full.insert(&e.hashes, e.class);
        if let Some(x) = e.exact {
            full.insert_exact(x);
        }
    }
    let fold_gaz: Vec<Gazetteer> = (0..nf)
        .map(|f| {
            let mut g = hand.clone();
            if args.folds > 0 {
                for e in &entries {
                    let total: u32 = e.per_fold.iter().sum();
                    if total > e.per_fold[f] {
                        g.insert(&e.hashes, e.class);
                    }
                }
            }
            g
        })
        .collect();
    eprintln!(
        "[{}] gazetteer: {} hand + {} training entries ({} total), {} triggers",
        lang.code(),
        hand.len(),
        entries.len(),
        full.len(),
        trig.len()
    );

    // Features of every training sentence, then pruning by count.
    let mut fb = FeatBuf::default();
    let mut raw_keys: Vec<(Vec<u32>, Vec<u32>, Vec<bool>)> = Vec::with_capacity(all.len());
    let mut counts: U64Map<u32> = U64Map::default();
    for (i, s) in all.iter().enumerate() {
        sentence_features(lang, &s.views(), &fold_gaz[fold[i]], &trig, &mut fb);
        let ks: Vec<u32> = fb.keys.iter().map(|k| *k as u32).collect();
        for k in &ks {
            *counts.entry(u64::from(*k)).or_insert(0) += 1;
        }
        let mut lex = vec![false; ks.len()];
        for (j, w) in fb.offsets.windows(2).enumerate() {
            let lk = super::features::lexical_keys(&fb.info, j);
            let (a, b) = (w[0] as usize, w[1] as usize);
            for (l, k) in lex[a..b].iter_mut().zip(&fb.keys[a..b]) {
                *l = lk.contains(k);
            }
        }
        raw_keys.push((ks, fb.offsets.clone(), lex));
    }
    let mut row_of: U64Map<u32> = U64Map::default();
    let mut keys: Vec<u32> = Vec::new();
    let mut insts = Vec::with_capacity(all.len());
    for ((ks, offs, klex), s) in raw_keys.into_iter().zip(all.iter()) {
        let mut rows = Vec::with_capacity(ks.len());
        let mut lex = Vec::with_capacity(ks.len());
        let mut noffs = Vec::with_capacity(offs.len());
        noffs.push(0u32);
        for w in offs.windows(2) {
            for (k, l) in ks[w[0] as usize..w[1] as usize]
                .iter()
                .zip(&klex[w[0] as usize..w[1] as usize])
            {
                if counts.get(&u64::from(*k)).copied().unwrap_or(0) >= args.min_count {
                    lex.push(*l);
                    let r = *row_of.entry(u64::from(*k)).or_insert_with(|| {
                        keys.push(*k);
                        (keys.len() - 1) as u32
                    });
                    rows.push(r);
                }
            }
            noffs.push(rows.len() as u32);
        }
        insts.push(Inst {
            rows,
            lex,
            offs: noffs,
            gold: s.tags.clone(),
        });
    }
    drop(counts);
    eprintln!(
        "[{}] {} features kept (min count {}), {:.1}s",
        lang.code(),
        keys.len(),
        args.min_count,
        t0.elapsed().as_secs_f64()
    );

    let mut emis: Vec<[f32; NTAGS]> = Vec::new();
    let mut back = Vec::new();
    let mut pred = Vec::new();
    type Rows = Vec<(u32, [f32; NTAGS])>;
    let mut bags: Vec<(f64, usize, LangTagger, Scores, Rows, Trans)> = Vec::new();
    for bag in 0..args.bag.max(1) {
        let mut p = Perceptron::new(keys.len());
        let mut rng = XorShift::new(
            args.seed
                ^ u64::from(super::model::lang_to_u8(lang))
                ^ (bag as u64).wrapping_mul(0x9E37_79B9),
        );
        let mut drng = XorShift::new(args.seed ^ 0xD809_0A7E ^ (bag as u64));
        let mut dropped: Vec<bool> = Vec::new();
        let mut order: Vec<usize> = (0..insts.len()).collect();
        let mut best: Option<(f64, usize, LangTagger, Scores, Rows, Trans)> = None;
        let mut since_best = 0;
        for epoch in 1..=args.max_epochs.max(1) {
            rng.shuffle(&mut order);
            let mut errors = 0usize;
            for &i in &order {
                let inst = &insts[i];
                // Word dropout: which tokens lose their word-form rows
                // this time (entity tokens only).
                dropped.clear();
                for &g in &inst.gold {
                    dropped.push(
                        args.word_dropout > 0.0
                            && g != 0
                            && ((drng.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
                                < args.word_dropout,
                    );
                }
                let keep = |j: usize, p: usize| !(dropped[j] && inst.lex[p]);
                emis.clear();
                for (j, w) in inst.offs.windows(2).enumerate() {
                    let mut e = [0f32; NTAGS];
                    for q in w[0] as usize..w[1] as usize {
                        if !keep(j, q) {
                            continue;
                        }
                        let r = &inst.rows[q];
                        let base = *r as usize * NTAGS;
                        for (t, x) in e.iter_mut().enumerate() {
                            *x += p.w[base + t];
                        }
                    }
                    emis.push(e);
                }
                viterbi(&emis, &p.tw, &mut back, &mut pred);
                if pred != inst.gold {
                    errors += 1;
                    for (j, w) in inst.offs.windows(2).enumerate() {
                        let g = inst.gold[j] as usize;
                        let y = pred[j] as usize;
                        if g != y {
                            for q in w[0] as usize..w[1] as usize {
                                if !keep(j, q) {
                                    continue;
                                }
                                let r = inst.rows[q];
                                p.upd(r as usize, g, 1.0);
                                p.upd(r as usize, y, -1.0);
                            }
                        }
                        let pg = if j == 0 {
                            START
                        } else {
                            inst.gold[j - 1] as usize
                        };
                        let py = if j == 0 { START } else { pred[j - 1] as usize };
                        if (pg, g) != (py, y) && allowed(pg, g) {
                            p.tupd(pg, g, 1.0);
                            p.tupd(py, y, -1.0);
                        }
                    }
                }
                p.c += 1.0;
            }
            let (rows, tr) = p.averaged(&keys);
            let kept = (args.bag > 1).then(|| rows.clone());
            let tagger =
                LangTagger::from_float(lang, rows, tr, args.prune, full.clone(), trig.clone());
            let sc = evaluate(&tagger, dev);
            let f1 = sc.overall().f1();
            eprintln!(
                "[{}] epoch {epoch}: {errors} sentences wrong, dev F1 {:.2}, {} features, {:.1}s",
                lang.code(),
                100.0 * f1,
                tagger.n_features(),
                t0.elapsed().as_secs_f64()
            );
            if best.as_ref().is_none_or(|b| f1 > b.0) {
                best = Some((f1, epoch, tagger, sc, kept.unwrap_or_default(), tr));
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= args.patience {
                    break;
                }
            }
        }
        let Some(b) = best else {
            anyhow::bail!("no epoch trained");
        };
        bags.push(b);
    }
    let (tagger, dev_scores, epoch) = if bags.len() == 1 {
        let Some((_, epoch, tagger, sc, _, _)) = bags.pop() else {
            anyhow::bail!("no epoch trained");
        };
        (tagger, sc, epoch)
    } else {
        // Mean of the bags' early-stopped averaged weights (same rows).
        let nb = bags.len() as f32;
        let mut rows = std::mem::take(&mut bags[0].4);
        let mut tr = bags[0].5;
        for b in &bags[1..] {
            for (r, o) in rows.iter_mut().zip(&b.4) {
                for (x, y) in r.1.iter_mut().zip(&o.1) {
                    *x += y;
                }
            }
            for (tr_row, o) in tr.iter_mut().zip(&b.5) {
                for (x, y) in tr_row.iter_mut().zip(o) {
                    *x += y;
                }
            }
        }
        for r in rows.iter_mut() {
            for x in r.1.iter_mut() {
                *x /= nb;
            }
        }
        for row in tr.iter_mut() {
            for x in row.iter_mut() {
                *x /= nb;
            }
        }
        let epochs: Vec<String> = bags.iter().map(|b| b.1.to_string()).collect();
        let tagger = LangTagger::from_float(lang, rows, tr, args.prune, full.clone(), trig.clone());
        let sc = evaluate(&tagger, dev);
        eprintln!(
            "[{}] {} bags (best epochs {}): dev F1 {:.2}",
            lang.code(),
            bags.len(),
            epochs.join(","),
            100.0 * sc.overall().f1()
        );
        (tagger, sc, bags[0].1)
    };
    Ok(LangResult {
        tagger,
        dev: dev_scores,
        epoch,
        seconds: t0.elapsed().as_secs_f64(),
        n_train: train.len(),
        n_dev: dev.len(),
    })
}

fn write_entry_list(dir: &Path, lang: Lang, entries: &[TrainEntry]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut lines: Vec<(String, &str, u32)> = entries
        .iter()
        .map(|e| {
            (
                e.text.clone(),
                GAZ_CLASSES[e.class as usize],
                e.per_fold.iter().sum(),
            )
        })
        .collect();
    lines.sort();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Entities extracted from the {} NER training file by `nutgraf train ner` (see README.md).",
        lang.code()
    );
    let _ = writeln!(s, "# CLASS\tcount\tentry");
    for (t, c, n) in lines {
        let _ = writeln!(s, "{c}\t{n}\t{t}");
    }
    std::fs::write(dir.join(format!("{}.tsv", lang.code())), s)?;
    Ok(())
}

fn parse_langs(s: &str) -> anyhow::Result<Vec<Lang>> {
    s.split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| Lang::from_hint(x).ok_or_else(|| anyhow::anyhow!("unknown language {x:?}")))
        .collect()
}

/// Train every language and write the model file.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let langs = parse_langs(&args.langs)?;
    // NUTGRAF_HONEST_ONLY (experiment aid) runs only the honest Arabic
    // block check and skips Arabic training, so the file it would write
    // has no Arabic tagger: never write it (it would replace the shipped
    // model at the default --out).
    let honest_only = std::env::var_os("NUTGRAF_HONEST_ONLY").is_some();
    let mut results = Vec::new();
    for lang in langs {
        let cl = learn_clusters(args, lang)?;
        if lang == Lang::Ar && honest_only {
            let h = ar_block_check_honest(args, &cl)?;
            println!(
                "\n== ar block check, epoch chosen on another block: first 80% -> epoch on 80-90% (best {}) -> last 10% ({} sentences; not shipped) ==",
                h.epoch, h.n_dev
            );
            print_scores(&h.dev);
            continue;
        }
        let mut r = train_lang(args, lang, &cl)?;
        r.tagger.set_frequent_words(frequent_words(args, lang)?);
        println!(
            "\n== {} dev ({} sentences; best epoch {}; {} features; {:.0}s) ==",
            lang.code(),
            r.n_dev,
            r.epoch,
            r.tagger.n_features(),
            r.seconds
        );
        print_scores(&r.dev);
        if lang == Lang::Ar && args.ar_block_check {
            if !honest_only {
                let b = ar_block_check(args, &cl)?;
                println!(
                "\n== ar block check: first 90% of the file -> last 10% ({} sentences; best epoch {}; not shipped) ==",
                b.n_dev, b.epoch
            );
                print_scores(&b.dev);
            }
            let h = ar_block_check_honest(args, &cl)?;
            println!(
                "\n== ar block check, epoch chosen on another block: first 80% -> epoch on 80-90% (best {}) -> last 10% ({} sentences; not shipped) ==",
                h.epoch, h.n_dev
            );
            print_scores(&h.dev);
        }
        results.push(r);
    }
    if honest_only {
        println!("\nNUTGRAF_HONEST_ONLY is set: no model written");
        return Ok(());
    }
    let taggers: Vec<LangTagger> = results.into_iter().map(|r| r.tagger).collect();
    let bytes = super::NerModel::encode(&taggers, &format!("ner-seed{}", args.seed));
    if let Some(dir) = args.out.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    std::fs::write(&args.out, &bytes)?;
    println!(
        "\nwrote {} ({} bytes, sha256 {})",
        args.out.display(),
        bytes.len(),
        crate::model_file::sha256_hex(&bytes)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(toks: &[(&str, &str)]) -> CSent {
        let text: String = toks.iter().map(|(w, t)| format!("{w}\t{t}\n")).collect();
        conll::parse(&text, Lang::Fr).unwrap().pop().unwrap()
    }

    #[test]
    fn elisions_are_split_like_the_text_pipeline() {
        let s = sent(&[
            ("Il", "O"),
            ("vit", "O"),
            ("dans", "O"),
            ("l'Isère", "B-LOC"),
            ("près", "O"),
            ("d'Orléans", "B-LOC"),
            ("aujourd'hui", "O"),
        ]);
        let c = split_elisions(Lang::Fr, &s).expect("split");
        let raws: Vec<&str> = c.toks.iter().map(|t| t.raw.as_str()).collect();
        assert_eq!(
            raws,
            [
                "Il",
                "vit",
                "dans",
                "l'",
                "Isère",
                "près",
                "d'",
                "Orléans",
                "aujourd'hui"
            ]
        );
        let b_loc = super::super::model::tag_from_str("B-LOC").unwrap();
        let i_loc = super::super::model::tag_from_str("I-LOC").unwrap();
        assert_eq!(c.tags[3..5], [b_loc, i_loc]);
        assert_eq!(c.tags[6..8], [b_loc, i_loc]);
        assert_eq!(c.toks[4].norm, "isère");
        // An I- token stays I- on both pieces; nothing to split → None.
        let s2 = sent(&[("championnat", "B-ORG"), ("d'Uruguay", "I-ORG")]);
        let c2 = split_elisions(Lang::Fr, &s2).expect("split");
        assert_eq!(c2.tags[1..], [c2.tags[1], c2.tags[1]]);
        assert!(split_elisions(Lang::Fr, &sent(&[("Paris", "B-LOC")])).is_none());
    }
}
