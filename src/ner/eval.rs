//! Entity-level evaluation (CoNLL convention: an entity counts only when its
//! span and type are both exact) and `nutgraf eval ner`.

use super::conll;
use super::model::Scratch;
use super::NerModel;
use crate::text::Lang;
use std::path::PathBuf;

/// Arguments of `nutgraf eval ner`.
#[derive(clap::Args, Debug, Clone)]
pub struct EvalArgs {
    /// CoNLL file (`token<TAB>tag`, blank line between sentences).
    pub file: PathBuf,
    /// Model file.
    #[arg(long, default_value = "models/ner.bin")]
    pub model: PathBuf,
    /// Language of the file (ar, en, fr); guessed from the file name or its
    /// script when absent.
    #[arg(long)]
    pub lang: Option<String>,
    /// Also write `token<TAB>gold<TAB>predicted` lines here (error analysis).
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// True/false positives and false negatives.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Counts per type (index 0..4 = PER, LOC, ORG, MISC).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scores {
    pub per_type: [Counts; 4],
}

pub const TYPE_NAMES: [&str; 4] = ["PER", "LOC", "ORG", "MISC"];

impl Scores {
    pub fn overall(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.per_type {
            c.tp += t.tp;
            c.fp += t.fp;
            c.fn_ += t.fn_;
        }
        c
    }
}

/// Add one sentence's gold and predicted spans `(start, end, type 1..=4)`.
pub fn score_spans(sc: &mut Scores, gold: &[(usize, usize, u8)], pred: &[(usize, usize, u8)]) {
    let idx = |t: u8| (t.clamp(1, 4) - 1) as usize;
    for p in pred {
        if gold.contains(p) {
            sc.per_type[idx(p.2)].tp += 1;
        } else {
            sc.per_type[idx(p.2)].fp += 1;
        }
    }
    for g in gold {
        if !pred.contains(g) {
            sc.per_type[idx(g.2)].fn_ += 1;
        }
    }
}

/// Render the P/R/F1 table (percentages).
pub fn format_scores(sc: &Scores) -> String {
    let mut s = String::from("type      P      R      F1    gold\n");
    let row = |name: &str, c: &Counts| {
        format!(
            "{name:<6} {:>6.2} {:>6.2} {:>6.2} {:>7}\n",
            100.0 * c.precision(),
            100.0 * c.recall(),
            100.0 * c.f1(),
            c.tp + c.fn_
        )
    };
    for (n, c) in TYPE_NAMES.iter().zip(sc.per_type.iter()) {
        if c.tp + c.fp + c.fn_ > 0 {
            s.push_str(&row(n, c));
        }
    }
    s.push_str(&row("ALL", &sc.overall()));
    s
}

pub fn print_scores(sc: &Scores) {
    print!("{}", format_scores(sc));
}

/// Language from the flag, else from the file name (`ar_...`, `...fr...`),
/// else from the script of its first tokens.
fn guess_lang(args: &EvalArgs, text: &str) -> anyhow::Result<Lang> {
    if let Some(l) = &args.lang {
        return Lang::from_hint(l).ok_or_else(|| anyhow::anyhow!("unknown language {l:?}"));
    }
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    for (p, l) in [("ar", Lang::Ar), ("fr", Lang::Fr), ("en", Lang::En)] {
        if name.starts_with(&format!("{p}_")) || name.starts_with(&format!("{p}.")) {
            return Ok(l);
        }
    }
    let sample: String = text.chars().take(20_000).collect();
    let arabic = sample
        .chars()
        .filter(|c| ('\u{0600}'..='\u{06FF}').contains(c))
        .count();
    let latin = sample.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if arabic > latin {
        return Ok(Lang::Ar);
    }
    // French vs English: a few frequent function words.
    let words: Vec<String> = sample
        .split_whitespace()
        .map(|w| w.to_lowercase())
        .collect();
    let fr = words
        .iter()
        .filter(|w| {
            matches!(
                w.as_str(),
                "le" | "la" | "les" | "de" | "des" | "du" | "et" | "est"
            )
        })
        .count();
    let en = words
        .iter()
        .filter(|w| {
            matches!(
                w.as_str(),
                "the" | "of" | "and" | "to" | "in" | "is" | "was"
            )
        })
        .count();
    Ok(if fr > en { Lang::Fr } else { Lang::En })
}

/// `nutgraf eval ner FILE.conll`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let model = NerModel::load(&args.model)?;
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let lang = guess_lang(args, &text)?;
    let sents =
        conll::parse(&text, lang).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let tagger = model
        .tagger(lang)
        .ok_or_else(|| anyhow::anyhow!("model has no tagger for {}", lang.code()))?;
    let t0 = std::time::Instant::now();
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut sc = Scores::default();
    let mut ntok = 0usize;
    let mut dump = String::new();
    for s in &sents {
        tagger.tag(&s.views(), &mut scratch, &mut out);
        ntok += s.toks.len();
        if args.dump.is_some() {
            for ((t, g), p) in s.toks.iter().zip(&s.tags).zip(&out) {
                let name = |x: u8| {
                    super::model::TAG_NAMES
                        .get(x as usize)
                        .copied()
                        .unwrap_or("O")
                };
                dump.push_str(&format!("{}\t{}\t{}\n", t.raw, name(*g), name(*p)));
            }
            dump.push('\n');
        }
        score_spans(&mut sc, &conll::spans(&s.tags), &conll::spans(&out));
    }
    let secs = t0.elapsed().as_secs_f64();
    if let Some(p) = &args.dump {
        std::fs::write(p, dump)?;
    }
    println!(
        "{} ({}; {} sentences, {} tokens; model {})",
        args.file.display(),
        lang.code(),
        sents.len(),
        ntok,
        model.version()
    );
    print_scores(&sc);
    println!(
        "tagging: {:.0} tokens/s (features + Viterbi, one thread)",
        ntok as f64 / secs.max(1e-9)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_span_and_type() {
        let mut sc = Scores::default();
        score_spans(
            &mut sc,
            &[(0, 2, 1), (3, 4, 2)],
            &[(0, 2, 1), (3, 5, 2), (6, 7, 3)],
        );
        let o = sc.overall();
        assert_eq!((o.tp, o.fp, o.fn_), (1, 2, 1));
        assert!((o.precision() - 1.0 / 3.0).abs() < 1e-9);
        assert!((o.recall() - 0.5).abs() < 1e-9);
    }
}
