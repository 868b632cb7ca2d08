//! `nutgraf train topics`: deterministic training of the topic model.
//!
//! 1. Read `train.{ar,en,fr}.jsonl` and `labels.json`; carve a dev split
//!    per language from the *clean* rows ([`is_dev`]: hash of the id, SIB-200
//!    translations of one sentence kept together so a joint model cannot see
//!    the English twin of a French dev sentence).
//! 2. Run `text::analyze` on each row with its language as hint and build
//!    the same units/hashed features as inference (`features.rs`).
//! 3. Multinomial logistic regression by SGD (seeded shuffle per epoch,
//!    linearly decaying step, exact L2 via a global scale, class weights
//!    `(n_max/n_label)^p` against the 50:1 imbalance of the rare Arabic
//!    labels), softmax restricted to the labels each language has data for.
//! 4. Quantise (i8 rows + per-row scale), pre-sum word rows, then score the
//!    dev split through the *shipped* inference path, fit one temperature per
//!    language on it and report ECE before/after (2-fold cross-fitted).
//!
//! Determinism: no HashMap iteration reaches the output (vocabulary is a
//! BTreeMap, rows keep file order, rayon collects in order, the RNG is a
//! seeded SplitMix64).

use super::calibration::{self, Scored};
use super::eval::{read_rows, Report, Row};
use super::features::{self, FeatureConfig, NgramScratch, UnitKind};
use super::model::{Head, QuantModel, Table, MAX_COLS};
use super::{TopicLabel, TopicModel};
use crate::text::{Lang, TextOptions};
use anyhow::{bail, Context};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// Directory with train.{ar,en,fr}.jsonl and labels.json.
    #[arg(long, default_value = "../shared/data/topic_classification")]
    pub data: PathBuf,
    /// Where to write the model.
    #[arg(long, default_value = "models/topics.bin")]
    pub out: PathBuf,
    /// Seed of the SGD shuffle.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// `joint` (one table for ar+en+fr) or `per-lang` (one table each).
    /// Default `per-lang` since session 5: with hinge tables and per-
    /// language idf it scored French +40 of 1,492 rows on 8-fold CV (ar +3,
    /// en ±0) against the joint hinge/softmax pair (models/TOPICS.md).
    #[arg(long, default_value = "per-lang")]
    pub mode: String,
    /// log2 of the hash buckets.
    #[arg(long, default_value_t = 18)]
    pub bucket_bits: u32,
    #[arg(long, default_value_t = 12)]
    pub epochs: u32,
    /// Initial SGD step (decays linearly to 0).
    #[arg(long, default_value_t = 0.4)]
    pub lr: f32,
    /// L2 penalty per step.
    #[arg(long, default_value_t = 1e-6)]
    pub l2: f32,
    /// Class-weight exponent p in (n_max / n_label)^p (0 = unweighted).
    #[arg(long, default_value_t = 0.75)]
    pub class_weight_power: f32,
    #[arg(long, default_value_t = 3.0)]
    pub title_weight: f32,
    #[arg(long, default_value_t = 1.0)]
    pub char_weight: f32,
    #[arg(long, default_value_t = 1.0)]
    pub stem_weight: f32,
    #[arg(long, default_value_t = 1.0)]
    pub bigram_weight: f32,
    #[arg(long, default_value_t = 1.0)]
    pub len_smoothing: f32,
    /// Shortest / longest character n-gram of a word (inside its `<` `>`
    /// markers); stored in the model's feature config.
    #[arg(long, default_value_t = 3)]
    pub char_min: u8,
    #[arg(long, default_value_t = 5)]
    pub char_max: u8,
    /// Loss weight of section-derived (noisy) rows: they teach "world
    /// news = politics", which over-predicts politics on clean text.
    #[arg(long, default_value_t = 0.15)]
    pub noisy_weight: f32,
    /// Language weight exponent q in (n_largest_lang / n_lang)^q: French
    /// has 1.3k rows against 14k Arabic ones and would otherwise be a
    /// rounding error in the joint model's loss.
    #[arg(long, default_value_t = 0.0)]
    pub lang_weight_power: f32,
    /// Count idf within each language (see `build_idf`). Default true
    /// since session 5: with the corpus-wide idf every French word looks
    /// rare among 25k mostly Arabic/English documents; a French-only hinge
    /// table lost 36 of 41 CV rows of its gain to it.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub idf_per_lang: bool,
    /// log2 of the hashed idf table (0 = no idf).
    #[arg(long, default_value_t = 20)]
    pub idf_bits: u32,
    /// Words seen fewer times in training are not pre-summed (they still
    /// score through their n-grams).
    #[arg(long, default_value_t = 2)]
    pub min_count: u32,
    /// Which deterministic dev fold to carve (0 = the shipped split; any
    /// other value salts the split hash, giving a second, independent
    /// estimate for choosing settings; `scripts/topic_baselines.py
    /// --dev-salt` carves the same rows).
    #[arg(long, default_value_t = 0)]
    pub dev_salt: u64,
    /// k-fold cross-validation: dev = the clean rows whose unsalted split
    /// hash falls in the k-th eighth (`% 1000` in `[125k, 125k + 125)`),
    /// 0..=7; fold 0 is the shipped split. -1 = use `--dev-salt`.
    /// `scripts/topic_baselines.py --cv-fold k` carves the same rows: eight
    /// runs score every clean row once, ~1,500 French rows instead of ~190.
    #[arg(long, default_value_t = -1, allow_hyphen_values = true)]
    pub cv_fold: i32,
    /// Share of a one-vs-rest squared-hinge model (the loss LinearSVC
    /// optimises) in the shipped table: 0 = softmax regression only, 1 =
    /// hinge only, in between = both trained on the same features and their
    /// temperature-scaled scores averaged. Averaged log-probabilities of two
    /// linear models over the same features are one linear model (the
    /// per-document normaliser does not change the softmax), so the mix
    /// costs nothing at predict time.
    ///
    /// Default 1: on 8-fold cross-validation the joint hinge table beat
    /// the softmax one for Arabic and English on 7 and 8 of 8 folds
    /// (session 4); per language with per-language idf (the session-5
    /// defaults) the French hinge table is also better (+40 of 1,492 rows).
    #[arg(long, default_value_t = 1.0)]
    pub hinge_mix: f32,
    /// L2 per step of the hinge model (LinearSVC's C=0.5 on ~25k rows is
    /// λ = 1/(C·n) ≈ 8e-5).
    #[arg(long, default_value_t = 1e-4)]
    pub hinge_l2: f32,
    /// Initial SGD step of the hinge model (joint and fine-tuning epochs;
    /// 0.3 diverges: the squared hinge's gradient grows with the margin).
    #[arg(long, default_value_t = 0.1)]
    pub hinge_lr: f32,
    /// Initial SGD step of the hinge table of a French-only group (per-lang
    /// mode); 0 = `--hinge-lr`. French has 1.3k training rows against 9.7k
    /// English and 14k Arabic ones: at the shared step its table overfits
    /// the rows (a smaller step ends nearer the start, a stronger implicit
    /// regularisation). A separate flag so that the Arabic and English
    /// tables stay exactly what they were.
    ///
    /// Default 0.04 since session 6: on French-only 8-fold CV the steps
    /// 0.03, 0.04 and 0.05 tied on the selection folds 0–3 (602 of 750
    /// rows, 0.1: 597); in the full model 0.04 is 1,223 of 1,492 CV rows
    /// against 1,216 at 0.1 (models/TOPICS.md).
    #[arg(long, default_value_t = 0.04)]
    pub hinge_lr_fr: f32,
    /// Languages whose head reads the hinge (or mixed) table, comma
    /// separated; empty = all. With a subset, the others keep the softmax
    /// table: two tables in the file (one per prediction, so predict cost
    /// is unchanged; the file and load time grow).
    #[arg(long, default_value = "ar,en,fr")]
    pub hinge_langs: String,
    /// Learn a second bias vector per language for short documents (fewer
    /// than `SHORT_WORDS` distinct words): sentences and articles come from
    /// different sources with different label sets (model format 3).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    pub short_bias: bool,
    /// Average the weights of the end of each epoch from this epoch on
    /// (1-based; 0 = no averaging). Averaged SGD is less sensitive to the
    /// last few, noisy updates, which matters for the small French set.
    #[arg(long, default_value_t = 0)]
    pub average_from: u32,
    /// After the joint epochs, continue SGD on this language's rows only
    /// (e.g. `fr`): a per-language adaptation of the shared table.
    /// Default `fr`: French is 5% of the joint loss; 10 French-only epochs
    /// at step 0.4 gained +4 dev rows (fold 0) without moving ar/en much
    /// (see models/TOPICS.md). `--finetune-lang none` turns it off.
    #[arg(long, default_value = "fr")]
    pub finetune_lang: String,
    #[arg(long, default_value_t = 10)]
    pub finetune_epochs: u32,
    /// Initial step of the fine-tuning epochs (decays linearly to 0).
    #[arg(long, default_value_t = 0.4)]
    pub finetune_lr: f32,
    /// Experiments only (needs `--no-write`): read only these languages'
    /// rows (comma separated; empty = all), so a French-only table (its own
    /// idf, no other language in the loss) trains in seconds and can be
    /// cross-validated against the French-only SVC.
    #[arg(long, default_value = "")]
    pub only_langs: String,
    /// Train and report only; do not write the model.
    #[arg(long)]
    pub no_write: bool,
}

impl Default for TrainArgs {
    fn default() -> Self {
        TrainArgs {
            data: PathBuf::from("../shared/data/topic_classification"),
            out: PathBuf::from("models/topics.bin"),
            seed: 1,
            mode: "per-lang".into(),
            bucket_bits: 18,
            epochs: 12,
            lr: 0.4,
            l2: 1e-6,
            class_weight_power: 0.75,
            title_weight: 3.0,
            char_weight: 1.0,
            stem_weight: 1.0,
            bigram_weight: 1.0,
            len_smoothing: 1.0,
            char_min: 3,
            char_max: 5,
            noisy_weight: 0.15,
            lang_weight_power: 0.0,
            idf_per_lang: true,
            idf_bits: 20,
            min_count: 2,
            dev_salt: 0,
            cv_fold: -1,
            hinge_mix: 1.0,
            hinge_l2: 1e-4,
            hinge_lr: 0.1,
            hinge_lr_fr: 0.04,
            hinge_langs: "ar,en,fr".into(),
            short_bias: false,
            average_from: 0,
            finetune_lang: "fr".into(),
            finetune_epochs: 10,
            finetune_lr: 0.4,
            only_langs: String::new(),
            no_write: false,
        }
    }
}

/// Languages trained, in this order.
pub const LANGS: [Lang; 3] = [Lang::Ar, Lang::En, Lang::Fr];

/// Section-derived / mixed rows: used for training, never for evaluation.
pub const NOISY_SUFFIXES: [&str; 4] = [
    ":internationalNews",
    ":middleEast",
    "ag_news:World",
    ":crime-war-conflict",
];

pub fn is_noisy(source_label: &str) -> bool {
    NOISY_SUFFIXES.iter().any(|s| source_label.ends_with(s))
}

/// FNV-1a 64 (the split hash; trivial to reproduce in the Python baselines).
pub fn fnv1a64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Split key: SIB-200 rows are grouped by sentence index across language
/// varieties (`sib200:arb_Arab:12` and `sib200:fra_Latn:12` are translations).
pub fn group_key(id: &str) -> String {
    if let Some(rest) = id.strip_prefix("sib200:") {
        let idx = rest.rsplit(':').next().unwrap_or(rest);
        return format!("sib200:{idx}");
    }
    id.to_string()
}

/// Per mille of clean rows that go to dev.
pub const DEV_PER_MILLE: u64 = 125;

/// Is this row in the dev split? Clean rows only, ~12.5%.
pub fn is_dev(id: &str, source_label: &str) -> bool {
    is_dev_salted(id, source_label, 0)
}

/// Split hash of a row: salt 0 is the shipped split; another salt hashes
/// `"<salt>|<group key>"`, an independent fold of the same size.
pub fn split_hash(id: &str, salt: u64) -> u64 {
    if salt == 0 {
        fnv1a64(&group_key(id))
    } else {
        fnv1a64(&format!("{salt}|{}", group_key(id)))
    }
}

/// [`is_dev`] for the fold `salt`.
pub fn is_dev_salted(id: &str, source_label: &str, salt: u64) -> bool {
    !is_noisy(source_label) && split_hash(id, salt) % 1000 < DEV_PER_MILLE
}

/// Is the row in fold `k` (0..=7) of the 8-fold cross-validation? Fold 0
/// is exactly [`is_dev`].
pub fn is_dev_fold(id: &str, source_label: &str, k: u64) -> bool {
    !is_noisy(source_label) && (split_hash(id, 0) % 1000) / DEV_PER_MILLE == k
}

/// Which half of dev (for cross-fitted calibration figures).
fn dev_half(id: &str, salt: u64) -> usize {
    ((split_hash(id, salt) >> 32) & 1) as usize
}

struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        features::mix64(self.0)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// One training example.
struct Example {
    /// Loss weight of the row (noisy rows count less).
    weight: f32,
    lang: usize,
    /// Fewer than [`SHORT_WORDS`] distinct words (gets the per-kind bias).
    short: bool,
    label: TopicLabel,
    feats: Vec<(u32, f32)>,
}

/// Index of an example's bias vector: one per language and document kind
/// (the short-text one only trained with `--short-bias`).
fn bias_index(lang: usize, short: bool, args: &TrainArgs) -> usize {
    lang * 2 + usize::from(short && args.short_bias)
}

/// One trained table before quantisation: float weights, biases per
/// (language, kind) ([`bias_index`]), the languages whose heads read it.
type Variant = (Vec<f32>, Vec<Vec<f32>>, Vec<usize>);

/// Rows of one side of the split.
type RowRefs<'a> = Vec<&'a (Lang, Row)>;

type Vocab = BTreeMap<u64, (String, u64, u64, u32)>;

fn lang_index(l: Lang) -> usize {
    LANGS.iter().position(|&x| x == l).unwrap_or(0)
}

fn read_label_sets(data: &Path) -> anyhow::Result<Vec<Vec<TopicLabel>>> {
    let p = data.join("labels.json");
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?,
    )?;
    let mut out = Vec::new();
    for l in LANGS {
        let arr = v["with_training_data_by_lang"][l.code()]
            .as_array()
            .with_context(|| format!("labels.json: no label list for {}", l.code()))?;
        let mut labs: Vec<TopicLabel> = arr
            .iter()
            .filter_map(|x| x.as_str())
            .filter_map(TopicLabel::from_name)
            .collect();
        labs.sort();
        out.push(labs);
    }
    Ok(out)
}

/// A document's merged unit, owned (so idf can be counted over the corpus
/// before the vectors are built).
struct OwnedUnit {
    key: u64,
    count: f32,
    /// 0 word, 1 bigram, 2 number.
    kind: u8,
    norm: String,
    h_norm: u64,
    h_stem: u64,
}

impl OwnedUnit {
    fn as_unit(&self) -> features::Unit<'_> {
        let kind = match self.kind {
            0 => UnitKind::Word {
                norm: &self.norm,
                stem: "",
                h_norm: self.h_norm,
                h_stem: self.h_stem,
            },
            1 => UnitKind::Bigram,
            _ => UnitKind::Number,
        };
        features::Unit {
            key: self.key,
            count: self.count,
            kind,
        }
    }
}

/// Merged units of one row (same code path as inference up to the merge).
fn row_units(row: &Row, lang: Lang, cfg: &FeatureConfig) -> Vec<OwnedUnit> {
    let doc = crate::text::analyze(
        &row.text,
        TextOptions {
            title: None,
            lang_hint: Some(lang),
        },
    );
    let mut units = Vec::new();
    features::push_occurrences(&doc, cfg, false, &mut units);
    features::merge_sorted(&mut units);
    units
        .iter()
        .map(|u| match u.kind {
            UnitKind::Word {
                norm,
                h_norm,
                h_stem,
                ..
            } => OwnedUnit {
                key: u.key,
                count: u.count,
                kind: 0,
                norm: norm.to_string(),
                h_norm,
                h_stem,
            },
            UnitKind::Bigram => OwnedUnit {
                key: u.key,
                count: u.count,
                kind: 1,
                norm: String::new(),
                h_norm: 0,
                h_stem: 0,
            },
            UnitKind::Number => OwnedUnit {
                key: u.key,
                count: u.count,
                kind: 2,
                norm: String::new(),
                h_norm: 0,
                h_stem: 0,
            },
        })
        .collect()
}

/// Hashed idf table from per-document unit keys (df summed per bucket).
///
/// With `per_lang`, df and N are counted within each language and a bucket
/// keeps the smallest idf over the languages that use it: one table, but a
/// French stop word is weighed against French documents (1.3k), not against
/// the whole 25k-document corpus where every French word looks rare.
fn build_idf(docs: &[Vec<OwnedUnit>], langs: &[usize], bits: u32, per_lang: bool) -> Vec<u8> {
    if bits == 0 {
        return Vec::new();
    }
    let len = 1usize << bits;
    let nl = if per_lang { LANGS.len() } else { 1 };
    let mut df = vec![vec![0u32; len]; nl];
    let mut n = vec![0f32; nl];
    for (d, &l) in docs.iter().zip(langs) {
        let li = if per_lang { l } else { 0 };
        n[li] += 1.0;
        for u in d {
            if let Some(x) = df[li].get_mut(features::idf_index(u.key, len)) {
                *x += 1;
            }
        }
    }
    let n_all: f32 = n.iter().sum();
    (0..len)
        .map(|i| {
            let v = (0..nl)
                .filter(|&l| df[l][i] > 0)
                .map(|l| ((n[l] + 1.0) / (df[l][i] as f32 + 1.0)).ln() + 1.0)
                .fold(f32::INFINITY, f32::min);
            let v = if v.is_finite() {
                v
            } else {
                (n_all + 1.0).ln() + 1.0
            };
            (v * features::IDF_STEPS).round().clamp(1.0, 255.0) as u8
        })
        .collect()
}

/// SGD for one table. Returns (weights nb×ncols, bias per language).
///
/// `hinge`: one-vs-rest squared hinge (LinearSVC's loss, with its own step
/// and L2: `--hinge-lr`, `--hinge-l2`) instead of softmax cross-entropy.
/// `with_finetune`: run the `--finetune-lang` epochs (off for a table that
/// does not serve that language).
///
/// Rows are stored 16 wide during training (fixed-size arrays: the per-
/// feature loops vectorise), then cut to `ncols`.
#[allow(clippy::too_many_arguments)]
fn sgd(
    exs: &[&Example],
    cols: &[TopicLabel],
    allowed: &[Vec<bool>],
    nb: usize,
    args: &TrainArgs,
    class_w: &BTreeMap<(usize, TopicLabel), f32>,
    hinge: bool,
    with_finetune: bool,
) -> (Vec<f32>, Vec<Vec<f32>>) {
    let fr_only = !exs.is_empty()
        && exs
            .iter()
            .all(|e| LANGS.get(e.lang).is_some_and(|l| *l == Lang::Fr));
    let hinge_lr = if fr_only && args.hinge_lr_fr > 0.0 {
        args.hinge_lr_fr
    } else {
        args.hinge_lr
    };
    let (lr0, ft_lr0, l2) = if hinge {
        (hinge_lr, hinge_lr, args.hinge_l2)
    } else {
        (args.lr, args.finetune_lr, args.l2)
    };
    const S: usize = MAX_COLS;
    let nc = cols.len().min(S);
    let mut w = vec![[0.0f32; S]; nb];
    let mut bias = vec![[0.0f32; S]; 2 * LANGS.len()];
    let mut scale = 1.0f32;
    let mut order: Vec<usize> = (0..exs.len()).collect();
    let mut rng = SplitMix(args.seed ^ 0x0707_01c5);
    let total = (exs.len() as u64 * args.epochs as u64).max(1) as f32;
    let mut step = 0u64;
    let masks: Vec<[bool; S]> = allowed
        .iter()
        .map(|a| {
            let mut m = [false; S];
            for (d, s) in m.iter_mut().zip(a) {
                *d = *s;
            }
            m
        })
        .collect();
    let mut gold = [[0.0f32; S]; MAX_COLS];
    for (c, g) in gold.iter_mut().enumerate().take(nc) {
        g[c] = 1.0;
    }
    // Per-language fine-tuning epochs (after the joint ones) see only the
    // rows of `finetune_lang`.
    let ft_lang = LANGS.iter().position(|l| l.code() == args.finetune_lang);
    let ft_order: Vec<usize> = match ft_lang {
        Some(li) => (0..exs.len())
            .filter(|&i| exs.get(i).is_some_and(|e| e.lang == li))
            .collect(),
        None => Vec::new(),
    };
    let ft_epochs = if ft_order.is_empty() || !with_finetune {
        0
    } else {
        args.finetune_epochs
    };
    let ft_total = (ft_order.len() as u64 * ft_epochs as u64).max(1) as f32;
    let mut avg_w: Vec<[f32; S]> = Vec::new();
    let mut avg_b = vec![[0.0f32; S]; 2 * LANGS.len()];
    let mut n_avg = 0u32;
    for epoch in 0..args.epochs + ft_epochs {
        let finetune = epoch >= args.epochs;
        if finetune && epoch == args.epochs {
            order = ft_order.clone();
            step = 0;
        }
        rng.shuffle(&mut order);
        for &i in &order {
            let Some(ex) = exs.get(i) else { continue };
            let lr = if finetune {
                ft_lr0 * (1.0 - step as f32 / ft_total).max(0.0)
            } else {
                lr0 * (1.0 - step as f32 / total).max(0.0)
            };
            step += 1;
            let al = &masks[ex.lang];
            let b = &mut bias[bias_index(ex.lang, ex.short, args)];
            let mut logits = [0.0f32; S];
            for &(f, x) in &ex.feats {
                let row = &w[f as usize];
                for c in 0..S {
                    logits[c] += x * row[c];
                }
            }
            let cw = ex.weight * class_w.get(&(ex.lang, ex.label)).copied().unwrap_or(1.0);
            let y = cols
                .iter()
                .position(|&c| c == ex.label)
                .map(|c| gold[c])
                .unwrap_or([0.0; S]);
            let mut g = [0.0f32; S];
            if hinge {
                // One-vs-rest squared hinge: class c wants margin
                // ±(w_c·x + b_c) ≥ 1; loss (1 − margin)² below it.
                for c in 0..S {
                    if al[c] {
                        let s = logits[c] * scale + b[c];
                        let yc = 2.0 * y[c] - 1.0;
                        let m = yc * s;
                        if m < 1.0 {
                            g[c] = -2.0 * cw * yc * (1.0 - m);
                        }
                    }
                }
            } else {
                softmax_grad(&mut logits, al, scale, b, cw, &y, &mut g);
            }
            for c in 0..S {
                b[c] -= lr * g[c];
            }
            let k = lr / scale;
            for &(f, x) in &ex.feats {
                let row = &mut w[f as usize];
                let kx = k * x;
                for c in 0..S {
                    row[c] -= kx * g[c];
                }
            }
            scale *= 1.0 - lr * l2;
            if scale < 1e-3 {
                w.iter_mut().flatten().for_each(|v| *v *= scale);
                scale = 1.0;
            }
        }
        // Averaging over the joint epochs only (fine-tuning then starts
        // from the average).
        if !finetune && args.average_from > 0 && epoch + 1 >= args.average_from {
            if avg_w.is_empty() {
                avg_w = vec![[0.0f32; S]; nb];
            }
            for (a, r) in avg_w.iter_mut().zip(&w) {
                for c in 0..S {
                    a[c] += r[c] * scale;
                }
            }
            for (a, b) in avg_b.iter_mut().zip(&bias) {
                for c in 0..S {
                    a[c] += b[c];
                }
            }
            n_avg += 1;
            if epoch + 1 == args.epochs {
                let k = 1.0 / n_avg as f32;
                for (r, a) in w.iter_mut().zip(&avg_w) {
                    for c in 0..S {
                        r[c] = a[c] * k;
                    }
                }
                for (b, a) in bias.iter_mut().zip(&avg_b) {
                    for c in 0..S {
                        b[c] = a[c] * k;
                    }
                }
                scale = 1.0;
            }
        }
    }
    let flat: Vec<f32> = w
        .iter()
        .flat_map(|r| r.iter().take(nc).map(|v| v * scale))
        .collect();
    let bias = bias.iter().map(|b| b[..nc].to_vec()).collect();
    (flat, bias)
}

/// Softmax cross-entropy gradient over the allowed labels (`logits` are
/// the raw row sums, turned into probabilities in place).
#[allow(clippy::too_many_arguments)]
fn softmax_grad(
    logits: &mut [f32; MAX_COLS],
    al: &[bool; MAX_COLS],
    scale: f32,
    b: &[f32; MAX_COLS],
    cw: f32,
    y: &[f32; MAX_COLS],
    g: &mut [f32; MAX_COLS],
) {
    let mut mx = f32::NEG_INFINITY;
    for c in 0..MAX_COLS {
        logits[c] = if al[c] {
            logits[c] * scale + b[c]
        } else {
            f32::NEG_INFINITY
        };
        mx = mx.max(logits[c]);
    }
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = if *l == f32::NEG_INFINITY {
            0.0
        } else {
            (*l - mx).exp()
        };
        sum += *l;
    }
    for c in 0..MAX_COLS {
        g[c] = if al[c] {
            cw * (logits[c] / sum - y[c])
        } else {
            0.0
        };
    }
}

/// NLL-fitted temperature of a float model on its clean training rows
/// (the scale that puts its scores on the log-probability scale).
fn train_temperature(
    exs: &[&Example],
    w: &[f32],
    bias: &[Vec<f32>],
    cols: &[TopicLabel],
    allowed: &[Vec<bool>],
    args: &TrainArgs,
) -> f32 {
    let nc = cols.len().min(MAX_COLS);
    let data: Vec<Scored> = exs
        .par_iter()
        .filter(|e| e.weight >= 1.0)
        .filter_map(|e| {
            let mut s = [0.0f32; MAX_COLS];
            for &(f, x) in &e.feats {
                let row = w.get(f as usize * nc..(f as usize + 1) * nc)?;
                for (a, v) in s.iter_mut().zip(row) {
                    *a += x * v;
                }
            }
            let al = allowed.get(e.lang)?;
            let b = bias.get(bias_index(e.lang, e.short, args))?;
            let mut logits = Vec::new();
            let mut gold = usize::MAX;
            for (c, &lab) in cols.iter().enumerate().take(nc) {
                if al.get(c).copied().unwrap_or(false) {
                    if lab == e.label {
                        gold = logits.len();
                    }
                    logits.push(s[c] + b.get(c).copied().unwrap_or(0.0));
                }
            }
            (gold != usize::MAX).then_some(Scored { logits, gold })
        })
        .collect();
    calibration::fit_temperature(&data)
}

/// A language with fewer dev rows than this gets the temperature fitted on
/// the pooled dev rows of all languages: on ~190 French rows a fitted
/// temperature (and a 15-bin ECE) is mostly noise.
pub const MIN_CALIB_ROWS: usize = 500;

/// Calibration figures of one language (ECE = 15-bin expected calibration
/// error of the top-1 probability; "own"/"pooled" = cross-fitted with the
/// language's own temperature or the pooled one).
#[derive(Clone)]
pub struct Calib {
    pub lang: Lang,
    /// The shipped temperature.
    pub t: f32,
    /// Whether it is the pooled one.
    pub pooled: bool,
    pub n: usize,
    pub ece_before: f64,
    pub ece_own: f64,
    pub ece_pooled: f64,
    pub nll_before: f64,
    pub nll_own: f64,
    pub nll_pooled: f64,
}

/// Dev figures of the shipped model.
pub struct DevResult {
    pub report: Report,
    pub calib: Vec<Calib>,
    pub kind_calib: Vec<KindCalib>,
}

/// A dev row scored through the shipped path: head, logits over the head's
/// allowed labels, index of the gold label among them, short document?
type DevScore = (usize, Vec<f32>, usize, bool);

/// Score dev rows through the shipped path; fit temperatures into `q`.
fn dev_eval(
    q: &mut QuantModel,
    dev: &[(Lang, &Row)],
    labels: &[Vec<TopicLabel>],
    salt: u64,
) -> DevResult {
    // Logits through the exact inference code (quantised tables).
    let scored: Vec<Option<DevScore>> = dev
        .par_iter()
        .map(|(lang, row)| {
            let doc = crate::text::analyze(
                &row.text,
                TextOptions {
                    title: None,
                    lang_hint: Some(*lang),
                },
            );
            let mut scratch = super::model::Scratch::default();
            let (hi, logits, raw) = q.logits(&doc, None, &mut scratch)?;
            let head = q.heads.get(hi)?;
            let table = q.tables.get(head.table)?;
            let gold = TopicLabel::from_name(&row.label)?;
            let mut ls = Vec::new();
            let mut gi = usize::MAX;
            for (j, &lab) in table.cols.iter().enumerate() {
                if head.allowed.get(j).copied().unwrap_or(false) {
                    if lab == gold {
                        gi = ls.len();
                    }
                    ls.push(logits[j]);
                }
            }
            Some((hi, ls, gi, raw.words < SHORT_WORDS))
        })
        .collect();
    // Dev rows per head and half (for cross-fitted figures).
    let nheads = q.heads.len();
    let mut halves: Vec<[Vec<Scored>; 2]> = (0..nheads).map(|_| [Vec::new(), Vec::new()]).collect();
    for ((_, row), s) in dev.iter().zip(&scored) {
        if let Some((h, ls, gi, _)) = s {
            if let Some(hv) = halves.get_mut(*h) {
                if *gi != usize::MAX {
                    hv[dev_half(&row.id, salt)].push(Scored {
                        logits: ls.clone(),
                        gold: *gi,
                    });
                }
            }
        }
    }
    // Pooled over the languages: one temperature from all dev rows, for
    // languages whose own dev split is too small to fit one.
    let pooled: [Vec<Scored>; 2] =
        [0, 1].map(|k| halves.iter().flat_map(|h| h[k].iter().cloned()).collect());
    let tp = [
        calibration::fit_temperature(&pooled[0]),
        calibration::fit_temperature(&pooled[1]),
    ];
    let pooled_all: Vec<Scored> = pooled.iter().flatten().cloned().collect();
    let t_pooled = calibration::fit_temperature(&pooled_all);
    let mut calib = Vec::new();
    for (hi, hv) in halves.iter().enumerate() {
        let Some(lang) = q.heads.get(hi).map(|h| h.lang) else {
            continue;
        };
        let all: Vec<Scored> = hv.iter().flatten().cloned().collect();
        let n = all.len();
        // Cross-fitted: T fitted on one half, scored on the other.
        let cross = |t: [f32; 2], f: &dyn Fn(&[Scored], f32) -> f64| {
            (f(&hv[1], t[0]) * hv[1].len() as f64 + f(&hv[0], t[1]) * hv[0].len() as f64)
                / n.max(1) as f64
        };
        let ece = |d: &[Scored], t: f32| calibration::ece(d, t, 15);
        let nll = |d: &[Scored], t: f32| calibration::nll(d, t);
        let own = [
            calibration::fit_temperature(&hv[0]),
            calibration::fit_temperature(&hv[1]),
        ];
        let use_pooled = n < MIN_CALIB_ROWS;
        let t = if use_pooled {
            t_pooled
        } else {
            calibration::fit_temperature(&all)
        };
        if let Some(h) = q.heads.get_mut(hi) {
            h.temperature = t;
        }
        calib.push(Calib {
            lang,
            t,
            pooled: use_pooled,
            n,
            ece_before: calibration::ece(&all, 1.0, 15),
            ece_own: cross(own, &ece),
            ece_pooled: cross(tp, &ece),
            nll_before: calibration::nll(&all, 1.0),
            nll_own: cross(own, &nll),
            nll_pooled: cross(tp, &nll),
        });
    }
    let _ = labels;
    let kind_calib = kind_calibration(q, dev, &scored, salt);
    let mut report = Report::default();
    for ((_, row), s) in dev.iter().zip(&scored) {
        let Some(gold) = TopicLabel::from_name(&row.label) else {
            continue;
        };
        let pred = s.as_ref().and_then(|(hi, ls, _, _)| {
            let head = q.heads.get(*hi)?;
            let table = q.tables.get(head.table)?;
            let allowed: Vec<TopicLabel> = table
                .cols
                .iter()
                .zip(&head.allowed)
                .filter(|(_, &a)| a)
                .map(|(&l, _)| l)
                .collect();
            let best = ls
                .iter()
                .enumerate()
                .fold((0usize, f32::NEG_INFINITY), |a, (i, &v)| {
                    if v > a.1 {
                        (i, v)
                    } else {
                        a
                    }
                });
            allowed.get(best.0).copied()
        });
        report.push(row, gold, pred);
    }
    DevResult {
        report,
        calib,
        kind_calib,
    }
}

/// Documents with fewer distinct words than this count as "short" (single
/// sentences, social-media posts) for the per-kind calibration analysis.
pub const SHORT_WORDS: usize = super::model::SHORT_WORDS;

/// Per language and kind (article / short): n, accuracy, ECE before, ECE
/// cross-fitted with the shipped scheme (own or pooled T), ECE cross-fitted
/// with one T per kind pooled over the languages.
pub type KindCalib = (Lang, bool, usize, f64, f64, f64, f64);

/// Would one temperature per document kind (articles are under-confident,
/// single sentences over-confident) calibrate better than one per language?
/// Measured only (cross-fitted on the two dev halves); not shipped.
fn kind_calibration(
    q: &QuantModel,
    dev: &[(Lang, &Row)],
    scored: &[Option<DevScore>],
    salt: u64,
) -> Vec<KindCalib> {
    let nheads = q.heads.len();
    // [head][short][half]
    let mut d: Vec<[[Vec<Scored>; 2]; 2]> = (0..nheads).map(|_| Default::default()).collect();
    for ((_, row), s) in dev.iter().zip(scored) {
        if let Some((h, ls, gi, short)) = s {
            if *gi != usize::MAX {
                if let Some(x) = d.get_mut(*h) {
                    x[usize::from(*short)][dev_half(&row.id, salt)].push(Scored {
                        logits: ls.clone(),
                        gold: *gi,
                    });
                }
            }
        }
    }
    let fit = |v: Vec<Scored>| calibration::fit_temperature(&v);
    // Shipped scheme per head and half: own T (pooled if the head is small).
    let pooled_half: [f32; 2] = [0, 1].map(|k| {
        fit(d
            .iter()
            .flat_map(|x| x.iter().flat_map(|y| y[k].iter().cloned()))
            .collect())
    });
    let kind_half: [[f32; 2]; 2] = [0, 1].map(|kind| {
        [0, 1].map(|k| fit(d.iter().flat_map(|x| x[kind][k].iter().cloned()).collect()))
    });
    let mut out = Vec::new();
    for (hi, x) in d.iter().enumerate() {
        let Some(lang) = q.heads.get(hi).map(|h| h.lang) else {
            continue;
        };
        let n_lang: usize = x.iter().flatten().map(Vec::len).sum();
        let own_half: [f32; 2] = [0, 1].map(|k| {
            if n_lang < MIN_CALIB_ROWS {
                pooled_half[k]
            } else {
                fit(x.iter().flat_map(|y| y[k].iter().cloned()).collect())
            }
        });
        for kind in [false, true] {
            let v = &x[usize::from(kind)];
            let n = v[0].len() + v[1].len();
            if n == 0 {
                continue;
            }
            let all: Vec<Scored> = v.iter().flatten().cloned().collect();
            let acc =
                all.iter()
                    .filter(|s| {
                        let best = s.logits.iter().enumerate().fold(
                            (0, f32::NEG_INFINITY),
                            |a, (i, &l)| if l > a.1 { (i, l) } else { a },
                        );
                        best.0 == s.gold
                    })
                    .count() as f64
                    / n as f64;
            let cross = |t: [f32; 2]| {
                (calibration::ece(&v[1], t[0], 15) * v[1].len() as f64
                    + calibration::ece(&v[0], t[1], 15) * v[0].len() as f64)
                    / n as f64
            };
            out.push((
                lang,
                kind,
                n,
                acc,
                calibration::ece(&all, 1.0, 15),
                cross(own_half),
                cross(kind_half[usize::from(kind)]),
            ));
        }
    }
    out
}

/// Flag checks, before any data is read, so a typo fails at once with a
/// message naming the flag instead of after minutes of training.
fn check_args(args: &TrainArgs) -> anyhow::Result<()> {
    if !(1..=8).contains(&args.char_min) || !(args.char_min..=8).contains(&args.char_max) {
        bail!("--char-min/--char-max must satisfy 1 <= min <= max <= 8");
    }
    if !(-1..=7).contains(&args.cv_fold) || (args.cv_fold >= 0 && args.dev_salt != 0) {
        bail!("--cv-fold must be 0..=7 (or -1) and needs --dev-salt 0");
    }
    if !(0.0..=1.0).contains(&args.hinge_mix) {
        bail!("--hinge-mix must be in [0, 1]");
    }
    if !(0.0..=1.0).contains(&args.hinge_lr_fr) {
        bail!("--hinge-lr-fr must be in [0, 1] (0 = --hinge-lr)");
    }
    // A typo (`ar,eng`) would otherwise silently train softmax for that
    // language and write an extra table nobody reads.
    if let Some(bad) = args
        .hinge_langs
        .split(',')
        .map(str::trim)
        .find(|c| !c.is_empty() && !LANGS.iter().any(|l| l.code() == *c))
    {
        bail!("--hinge-langs: unknown language {bad:?} (expected codes among ar,en,fr)");
    }
    if !(10..=24).contains(&args.bucket_bits) {
        bail!("--bucket-bits must be in 10..=24");
    }
    if !args.only_langs.is_empty() {
        if !args.no_write {
            bail!(
                "--only-langs is for experiments: it needs --no-write (the model would lack heads)"
            );
        }
        if let Some(bad) = args
            .only_langs
            .split(',')
            .map(str::trim)
            .find(|c| !LANGS.iter().any(|l| l.code() == *c))
        {
            bail!("--only-langs: unknown language {bad:?} (expected codes among ar,en,fr)");
        }
    }
    Ok(())
}

/// `nutgraf train topics`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let t_start = Instant::now();
    check_args(args)?;
    let labels = read_label_sets(&args.data)?;
    let cfg = FeatureConfig {
        bucket_bits: args.bucket_bits,
        title_weight: args.title_weight,
        char_weight: args.char_weight,
        stem_weight: args.stem_weight,
        bigram_weight: args.bigram_weight,
        len_smoothing: args.len_smoothing,
        char_min: args.char_min,
        char_max: args.char_max,
    };
    let joint = match args.mode.as_str() {
        "joint" => true,
        "per-lang" => false,
        m => bail!("--mode must be joint or per-lang, not {m}"),
    };
    let mut rows: Vec<(Lang, Row)> = Vec::new();
    for l in LANGS {
        if !args.only_langs.is_empty() && !args.only_langs.split(',').any(|c| c.trim() == l.code())
        {
            continue;
        }
        let p = args.data.join(format!("train.{}.jsonl", l.code()));
        for r in read_rows(&p)? {
            rows.push((l, r));
        }
    }
    let (dev_rows, train_rows): (RowRefs, RowRefs) = rows.iter().partition(|(_, r)| {
        if args.cv_fold >= 0 {
            is_dev_fold(&r.id, &r.source_label, args.cv_fold as u64)
        } else {
            is_dev_salted(&r.id, &r.source_label, args.dev_salt)
        }
    });
    eprintln!(
        "topics: {} rows ({} train, {} dev) read in {:.1}s",
        rows.len(),
        train_rows.len(),
        dev_rows.len(),
        t_start.elapsed().as_secs_f32()
    );

    // Units, idf, vectors, vocabulary (training rows only: dev words stay unseen).
    let t = Instant::now();
    let units: Vec<Vec<OwnedUnit>> = train_rows
        .par_iter()
        .map(|(l, r)| row_units(r, *l, &cfg))
        .collect();
    let row_langs: Vec<usize> = train_rows.iter().map(|(l, _)| lang_index(*l)).collect();
    let idf = build_idf(&units, &row_langs, args.idf_bits, args.idf_per_lang);
    let mut vocab: Vec<Vocab> = vec![Vocab::new(); LANGS.len()];
    for ((l, _), us) in train_rows.iter().zip(&units) {
        let li = lang_index(*l);
        for u in us.iter().filter(|u| u.kind == 0) {
            vocab[li]
                .entry(u.key)
                .or_insert_with(|| (u.norm.clone(), u.h_norm, u.h_stem, 0))
                .3 += 1;
        }
    }
    let feats: Vec<Vec<(u32, f32)>> = units
        .par_iter()
        .map(|us| {
            let v: Vec<features::Unit<'_>> = us.iter().map(OwnedUnit::as_unit).collect();
            let mut scratch = NgramScratch::default();
            let mut f = Vec::new();
            features::doc_vector(&v, &cfg, &idf, &mut scratch, &mut f);
            f
        })
        .collect();
    // Same count as inference's `RawScores::words` (distinct words).
    let shorts: Vec<bool> = units
        .iter()
        .map(|us| us.iter().filter(|u| u.kind == 0).count() < SHORT_WORDS)
        .collect();
    drop(units);
    let mut examples = Vec::with_capacity(train_rows.len());
    for (((l, r), f), short) in train_rows.iter().zip(feats).zip(shorts) {
        let li = lang_index(*l);
        let Some(label) = TopicLabel::from_name(&r.label) else {
            continue;
        };
        if !labels[li].contains(&label) {
            continue;
        }
        let weight = if is_noisy(&r.source_label) {
            args.noisy_weight
        } else {
            1.0
        };
        examples.push(Example {
            weight,
            lang: li,
            short,
            label,
            feats: f,
        });
    }
    let nnz: usize = examples.iter().map(|e| e.feats.len()).sum();
    eprintln!(
        "topics: features for {} examples ({:.1} M nonzeros) in {:.1}s",
        examples.len(),
        nnz as f64 / 1e6,
        t.elapsed().as_secs_f32()
    );

    // Class weights per language.
    let mut counts: BTreeMap<(usize, TopicLabel), usize> = BTreeMap::new();
    for e in &examples {
        *counts.entry((e.lang, e.label)).or_default() += 1;
    }
    let mut class_w = BTreeMap::new();
    let per_lang: Vec<usize> = (0..LANGS.len())
        .map(|li| examples.iter().filter(|e| e.lang == li).count())
        .collect();
    let n_big = per_lang.iter().copied().max().unwrap_or(1) as f32;
    for (li, &nl) in per_lang.iter().enumerate() {
        let lw = (n_big / nl.max(1) as f32).powf(args.lang_weight_power);
        let mx = counts
            .iter()
            .filter(|((l, _), _)| *l == li)
            .map(|(_, &n)| n)
            .max()
            .unwrap_or(1) as f32;
        for (&(l, lab), &n) in counts.iter().filter(|((l, _), _)| *l == li) {
            class_w.insert(
                (l, lab),
                lw * (mx / n.max(1) as f32)
                    .powf(args.class_weight_power)
                    .min(10.0),
            );
        }
    }

    // Tables.
    let groups: Vec<Vec<usize>> = if joint {
        vec![vec![0, 1, 2]]
    } else {
        vec![vec![0], vec![1], vec![2]]
    };
    let nb = 1usize << args.bucket_bits;
    let mut tables = Vec::new();
    let mut heads = Vec::new();
    let mut soft_calib: Option<(Table, Vec<Head>, Vec<usize>)> = None;
    for g in &groups {
        let t = Instant::now();
        let mut cols: Vec<TopicLabel> = g
            .iter()
            .flat_map(|&li| labels[li].iter().copied())
            .collect();
        cols.sort();
        cols.dedup();
        let allowed: Vec<Vec<bool>> = (0..LANGS.len())
            .map(|li| {
                cols.iter()
                    .map(|c| g.contains(&li) && labels[li].contains(c))
                    .collect()
            })
            .collect();
        let exs: Vec<&Example> = examples.iter().filter(|e| g.contains(&e.lang)).collect();
        let hinge_langs: Vec<usize> = if args.hinge_langs.is_empty() {
            g.clone()
        } else {
            g.iter()
                .copied()
                .filter(|&li| args.hinge_langs.split(',').any(|c| c == LANGS[li].code()))
                .collect()
        };
        // A group none of whose languages asked for the hinge loss (e.g. the
        // French group of a per-language model with `--hinge-langs ar,en`)
        // trains plain softmax, as without --hinge-mix: no unread table.
        let group_mix = if hinge_langs.is_empty() {
            0.0
        } else {
            args.hinge_mix
        };
        let split = group_mix > 0.0 && hinge_langs.len() < g.len();
        let ft_in = |ls: &[usize]| ls.iter().any(|&li| LANGS[li].code() == args.finetune_lang);
        // (weights, biases, languages served)
        let mut variants: Vec<Variant> = Vec::new();
        if group_mix <= 0.0 {
            let (w, b) = sgd(&exs, &cols, &allowed, nb, args, &class_w, false, true);
            variants.push((w, b, g.clone()));
        } else {
            let hinge_ft = !split || ft_in(&hinge_langs);
            let (wh, bh) = sgd(&exs, &cols, &allowed, nb, args, &class_w, true, hinge_ft);
            let soft = (group_mix < 1.0 || split)
                .then(|| sgd(&exs, &cols, &allowed, nb, args, &class_w, false, true));
            let mixed = match &soft {
                Some((wl, bl)) if group_mix < 1.0 => {
                    // Put both on the log-probability scale before
                    // averaging: each model's temperature is fitted on its
                    // own (clean) training rows, so dev rows choose nothing.
                    let tl = train_temperature(&exs, wl, bl, &cols, &allowed, args);
                    let th = train_temperature(&exs, &wh, &bh, &cols, &allowed, args);
                    let (a, c) = ((1.0 - group_mix) / tl, group_mix / th);
                    eprintln!(
                        "topics: hinge mix {group_mix}: training T softmax {tl:.3}, hinge {th:.3}"
                    );
                    let w = wl.iter().zip(&wh).map(|(x, y)| a * x + c * y).collect();
                    let b = bl
                        .iter()
                        .zip(&bh)
                        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| a * p + c * q).collect())
                        .collect();
                    (w, b)
                }
                _ => (wh, bh),
            };
            if split {
                if let Some((wl, bl)) = soft {
                    let rest: Vec<usize> = g
                        .iter()
                        .copied()
                        .filter(|li| !hinge_langs.contains(li))
                        .collect();
                    variants.push((wl, bl, rest));
                }
            }
            variants.push((mixed.0, mixed.1, hinge_langs.clone()));
        }
        // Pre-summed word rows only for the words of the languages a table
        // serves: the word table is a speed cache (an unlisted word is
        // expanded over the bucket rows, the same function up to
        // quantisation), and a split model's French table does not need
        // 90k Arabic and English entries (file size, load time).
        let vocab_of = |langs: &[usize]| -> Vec<(u64, String, u64, u64)> {
            let mut merged: BTreeMap<u64, (String, u64, u64, u32)> = BTreeMap::new();
            for &li in langs {
                for (k, v) in &vocab[li] {
                    merged
                        .entry(*k)
                        .or_insert_with(|| (v.0.clone(), v.1, v.2, 0))
                        .3 += v.3;
                }
            }
            merged
                .into_iter()
                .filter(|(_, v)| v.3 >= args.min_count)
                .map(|(k, v)| (k, v.0, v.1, v.2))
                .collect()
        };
        for (vi, (w, bias, served)) in variants.into_iter().enumerate() {
            let ti = tables.len();
            let mut langs = served.clone();
            langs.sort_unstable();
            let vlist = vocab_of(&langs);
            let table = Table::from_float(cols.clone(), args.bucket_bits, &w, &vlist, &cfg, &idf);
            if split && vi == 0 {
                // The softmax table with a head for every language: only to
                // fit the pooled temperature of a small language it serves
                // (pooling hinge-scaled and softmax-scaled logits would not
                // be one temperature).
                let hs = g
                    .iter()
                    .map(|&li| Head {
                        lang: LANGS[li],
                        table: 0,
                        allowed: allowed[li].clone(),
                        bias: bias.get(li * 2).cloned().unwrap_or_default(),
                        temperature: 1.0,
                        short_bias: Vec::new(),
                    })
                    .collect();
                soft_calib = Some((table.clone(), hs, served.clone()));
            }
            eprintln!(
                "topics: table {ti} ({} cols, {} examples, {} words) trained in {:.1}s, {:.1} MB",
                cols.len(),
                exs.len(),
                vlist.len(),
                t.elapsed().as_secs_f32(),
                table.file_size() as f64 / 1e6
            );
            for &li in &served {
                let base = bias.get(li * 2).cloned().unwrap_or_default();
                let short_bias = match bias.get(li * 2 + 1) {
                    Some(sb) if args.short_bias => {
                        sb.iter().zip(&base).map(|(s, b)| s - b).collect()
                    }
                    _ => Vec::new(),
                };
                heads.push(Head {
                    lang: LANGS[li],
                    table: ti,
                    allowed: allowed[li].clone(),
                    bias: base,
                    temperature: 1.0,
                    short_bias,
                });
            }
            tables.push(table);
        }
    }
    // Heads in language order whatever table serves them.
    heads.sort_by_key(|h| lang_index(h.lang));
    let mut q = QuantModel {
        version: format!(
            "topics-{}-b{}-i{}-s{}{}",
            args.mode,
            args.bucket_bits,
            args.idf_bits,
            args.seed,
            if args.hinge_mix > 0.0 {
                format!(
                    "-hinge{}-{}{}",
                    args.hinge_mix,
                    args.hinge_langs.replace(',', "-"),
                    if args.hinge_lr_fr > 0.0 {
                        format!("-frlr{}", args.hinge_lr_fr)
                    } else {
                        String::new()
                    }
                )
            } else {
                String::new()
            }
        ),
        cfg,
        tables,
        heads,
        idf,
        info: String::new(),
    };

    let dev: Vec<(Lang, &Row)> = dev_rows.iter().map(|(l, r)| (*l, r)).collect();
    let mut res = dev_eval(&mut q, &dev, &labels, args.dev_salt);
    if let Some((table, hs, served)) = soft_calib {
        // Languages on the softmax table (French): temperature and
        // calibration figures from the softmax table with all languages'
        // heads, i.e. pooled as in a single-table model.
        let mut qs = QuantModel {
            version: String::new(),
            cfg: q.cfg,
            tables: vec![table],
            heads: hs,
            idf: q.idf.clone(),
            info: String::new(),
        };
        let rs = dev_eval(&mut qs, &dev, &labels, args.dev_salt);
        for &li in &served {
            let lang = LANGS[li];
            let t = qs
                .heads
                .iter()
                .find(|h| h.lang == lang)
                .map(|h| h.temperature);
            if let (Some(t), Some(h)) = (t, q.heads.iter_mut().find(|h| h.lang == lang)) {
                h.temperature = t;
            }
            for (c, cs) in res.calib.iter_mut().zip(&rs.calib) {
                if c.lang == lang && cs.lang == lang {
                    *c = cs.clone();
                }
            }
            res.kind_calib.retain(|k| k.0 != lang);
            res.kind_calib
                .extend(rs.kind_calib.iter().filter(|k| k.0 == lang).cloned());
        }
    }
    let mut info_dev = serde_json::Map::new();
    for (l, m) in &res.report.by_lang {
        info_dev.insert(
            l.clone(),
            serde_json::json!({"n": m.len(), "accuracy": m.accuracy(), "macro_f1": m.macro_f1()}),
        );
    }
    let calib: Vec<_> = res
        .calib
        .iter()
        .map(|c| serde_json::json!({"lang": c.lang.code(), "temperature": c.t, "pooled_temperature": c.pooled, "ece_before": c.ece_before,
            "ece_after_crossfit": if c.pooled { c.ece_pooled } else { c.ece_own }, "n": c.n}))
        .collect();
    q.info = serde_json::json!({
        "data": "shared/data/topic_classification train.{ar,en,fr}.jsonl minus the dev split",
        "seed": args.seed, "mode": args.mode, "bucket_bits": args.bucket_bits, "epochs": args.epochs,
        "lr": args.lr, "idf_bits": args.idf_bits, "noisy_weight": args.noisy_weight, "idf_per_lang": args.idf_per_lang, "lang_weight_power": args.lang_weight_power, "title_weight": args.title_weight, "char_ngrams": [args.char_min, args.char_max], "bigram_weight": args.bigram_weight, "char_weight": args.char_weight, "l2": args.l2, "class_weight_power": args.class_weight_power,
        "dev_salt": args.dev_salt, "average_from": args.average_from,
        "finetune_lang": args.finetune_lang, "finetune_epochs": args.finetune_epochs, "finetune_lr": args.finetune_lr,
        "dev": info_dev, "calibration": calib,
        "labels_by_lang": LANGS.iter().zip(&labels).map(|(l, ls)| (l.code().to_string(), ls.iter().map(|x| x.name()).collect::<Vec<_>>())).collect::<BTreeMap<_, _>>(),
    })
    .to_string();
    if args.hinge_mix > 0.0 || args.cv_fold >= 0 || args.short_bias {
        // Only when used, so that the default command still writes the
        // byte-identical file of the shipped model.
        if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str(&q.info) {
            m.insert("cv_fold".into(), args.cv_fold.into());
            m.insert("hinge_mix".into(), args.hinge_mix.into());
            m.insert("hinge_l2".into(), args.hinge_l2.into());
            m.insert("hinge_lr".into(), args.hinge_lr.into());
            if args.hinge_lr_fr > 0.0 {
                // Only when set, so that the session-5 command still writes
                // the session-5 file byte for byte.
                m.insert("hinge_lr_fr".into(), args.hinge_lr_fr.into());
            }
            m.insert("hinge_langs".into(), args.hinge_langs.clone().into());
            m.insert("short_bias".into(), args.short_bias.into());
            q.info = serde_json::Value::Object(m).to_string();
        }
    }
    println!(
        "dev split (clean rows, shipped quantised model):\n{}",
        res.report
            .render(std::env::var_os("NUTGRAF_TOPICS_DETAIL").is_some())
    );
    println!("| lang | shipped T | ECE before | ECE cross-fit, own T | ECE cross-fit, pooled T | NLL before | NLL own T | NLL pooled T | n |\n|---|---|---|---|---|---|---|---|---|");
    for c in &res.calib {
        println!(
            "| {} | {:.3}{} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
            c.lang.code(),
            c.t,
            if c.pooled { " (pooled)" } else { "" },
            c.ece_before,
            c.ece_own,
            c.ece_pooled,
            c.nll_before,
            c.nll_own,
            c.nll_pooled,
            c.n
        );
    }
    println!("\nper document kind (short = < {SHORT_WORDS} distinct words; ECE cross-fitted):\n| lang | kind | n | acc | ECE before | ECE shipped scheme | ECE per-kind pooled T |\n|---|---|---|---|---|---|---|");
    for (lang, short, n, acc, e0, e1, e2) in &res.kind_calib {
        println!(
            "| {} | {} | {n} | {acc:.3} | {e0:.4} | {e1:.4} | {e2:.4} |",
            lang.code(),
            if *short { "short" } else { "article" }
        );
    }
    let bytes = q.to_bytes();
    println!(
        "model {}: {:.2} MB, trained in {:.1}s",
        q.version,
        bytes.len() as f64 / 1e6,
        t_start.elapsed().as_secs_f32()
    );
    if !args.no_write {
        if let Some(dir) = args.out.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
        }
        std::fs::write(&args.out, &bytes)
            .with_context(|| format!("writing {}", args.out.display()))?;
        let m = TopicModel::load(&args.out)?;
        println!("wrote {} sha256 {}", args.out.display(), m.sha256());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_folds_partition_the_clean_rows_and_fold_0_is_the_shipped_split() {
        let clean = "masakhanews:business";
        let mut sizes = [0usize; 8];
        for i in 0..16_000 {
            let id = format!("src:{i}");
            let hits: Vec<u64> = (0..8).filter(|&k| is_dev_fold(&id, clean, k)).collect();
            // Every clean row is dev in exactly one of the eight folds.
            assert_eq!(hits.len(), 1, "{id}");
            sizes[hits[0] as usize] += 1;
            assert_eq!(is_dev_fold(&id, clean, 0), is_dev(&id, clean));
            // Noisy rows are dev in none.
            assert!((0..8).all(|k| !is_dev_fold(&id, "ag_news:World", k)));
        }
        for n in sizes {
            assert!((1_700..2_300).contains(&n), "{sizes:?}");
        }
        // SIB-200 translations stay on one side in every fold.
        for i in 0..300 {
            for k in 0..8 {
                let a = is_dev_fold(&format!("sib200:arb_Arab:{i}"), "sib200:sports", k);
                let b = is_dev_fold(&format!("sib200:fra_Latn:{i}"), "sib200:sports", k);
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn salted_folds_are_independent_and_keep_translations_together() {
        let ids: Vec<String> = (0..20_000).map(|i| format!("src:{i}")).collect();
        let clean = "masakhanews:business";
        let n0 = ids.iter().filter(|i| is_dev_salted(i, clean, 0)).count();
        let n7 = ids.iter().filter(|i| is_dev_salted(i, clean, 7)).count();
        let both = ids
            .iter()
            .filter(|i| is_dev_salted(i, clean, 0) && is_dev_salted(i, clean, 7))
            .count();
        // Salt 0 is the shipped split.
        assert!(ids
            .iter()
            .all(|i| is_dev(i, clean) == is_dev_salted(i, clean, 0)));
        // Both folds hold ~12.5% of the rows, and overlap like independent
        // draws (~1.6%), not like the same split.
        for n in [n0, n7] {
            assert!((2_200..2_800).contains(&n), "{n}");
        }
        assert!(both < 600, "{both}");
        // Noisy rows are never dev, in any fold.
        assert!(!ids.iter().any(|i| is_dev_salted(i, "ag_news:World", 7)));
        // The translations of one SIB-200 sentence fall on the same side.
        for k in 0..500 {
            let a = is_dev_salted(&format!("sib200:arb_Arab:{k}"), "sib200:sports", 7);
            let b = is_dev_salted(&format!("sib200:fra_Latn:{k}"), "sib200:sports", 7);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn bad_flags_fail_before_reading_data() {
        let ok = TrainArgs::default();
        assert!(check_args(&ok).is_ok());
        // No data and a throwaway output: if a check regressed, `run`
        // fails on the missing data (a message not naming a flag), never
        // trains or touches models/.
        let base = || TrainArgs {
            data: "/nonexistent/nutgraf-test-data".into(),
            out: std::env::temp_dir().join("nutgraf-test-never-written.bin"),
            ..TrainArgs::default()
        };
        let bad = [
            TrainArgs {
                hinge_langs: "ar,eng".into(),
                ..base()
            },
            TrainArgs {
                cv_fold: -3,
                ..base()
            },
            TrainArgs {
                cv_fold: 8,
                ..base()
            },
            TrainArgs {
                hinge_mix: 1.5,
                ..base()
            },
            TrainArgs {
                hinge_lr_fr: -0.1,
                ..base()
            },
            TrainArgs {
                hinge_lr_fr: f32::NAN,
                ..base()
            },
            // An experiment filter must not write a model without heads.
            TrainArgs {
                only_langs: "fr".into(),
                ..base()
            },
            TrainArgs {
                only_langs: "fr,xx".into(),
                no_write: true,
                ..base()
            },
        ];
        for a in &bad {
            let e = run(a).expect_err("a bad flag must be refused");
            let msg = e.to_string();
            assert!(msg.starts_with("--"), "names the flag: {msg}");
        }
        let e = run(&bad[0]).expect_err("unknown code");
        assert!(e.to_string().contains("\"eng\""), "{e}");
    }
}
