//! Topic classifier: IPTC Media Topics over hashed features with a linear
//! model and temperature calibration.
//!
//! INTERFACE (used by `pipeline`, `server`): keep these names.

pub mod calibration;
pub mod eval;
pub mod features;
pub mod model;
pub mod train;

use crate::model_file::ModelError;
use crate::text::{Document, Lang, TextOptions};
use std::cell::RefCell;
use std::path::Path;

/// The fixed label set of the API, with IPTC Media Topic codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TopicLabel {
    Politics,
    Economy,
    Sport,
    Culture,
    ScienceTechnology,
    Health,
    Religion,
    Society,
    LifestyleLeisure,
    CrimeLaw,
    ConflictWarPeace,
    DisasterAccident,
    Environment,
    Education,
    Labour,
    HumanInterest,
    Weather,
}

impl TopicLabel {
    pub const ALL: [TopicLabel; 17] = [
        TopicLabel::Politics,
        TopicLabel::Economy,
        TopicLabel::Sport,
        TopicLabel::Culture,
        TopicLabel::ScienceTechnology,
        TopicLabel::Health,
        TopicLabel::Religion,
        TopicLabel::Society,
        TopicLabel::LifestyleLeisure,
        TopicLabel::CrimeLaw,
        TopicLabel::ConflictWarPeace,
        TopicLabel::DisasterAccident,
        TopicLabel::Environment,
        TopicLabel::Education,
        TopicLabel::Labour,
        TopicLabel::HumanInterest,
        TopicLabel::Weather,
    ];

    /// API label.
    pub fn name(self) -> &'static str {
        match self {
            TopicLabel::Politics => "politics",
            TopicLabel::Economy => "economy",
            TopicLabel::Sport => "sport",
            TopicLabel::Culture => "culture",
            TopicLabel::ScienceTechnology => "science_technology",
            TopicLabel::Health => "health",
            TopicLabel::Religion => "religion",
            TopicLabel::Society => "society",
            TopicLabel::LifestyleLeisure => "lifestyle_leisure",
            TopicLabel::CrimeLaw => "crime_law",
            TopicLabel::ConflictWarPeace => "conflict_war_peace",
            TopicLabel::DisasterAccident => "disaster_accident",
            TopicLabel::Environment => "environment",
            TopicLabel::Education => "education",
            TopicLabel::Labour => "labour",
            TopicLabel::HumanInterest => "human_interest",
            TopicLabel::Weather => "weather",
        }
    }

    pub fn from_name(s: &str) -> Option<TopicLabel> {
        TopicLabel::ALL.iter().copied().find(|l| l.name() == s)
    }

    /// IPTC Media Topic code.
    pub fn iptc_code(self) -> &'static str {
        match self {
            TopicLabel::Politics => "medtop:11000000",
            TopicLabel::Economy => "medtop:04000000",
            TopicLabel::Sport => "medtop:15000000",
            TopicLabel::Culture => "medtop:01000000",
            TopicLabel::ScienceTechnology => "medtop:13000000",
            TopicLabel::Health => "medtop:07000000",
            TopicLabel::Religion => "medtop:12000000",
            TopicLabel::Society => "medtop:14000000",
            TopicLabel::LifestyleLeisure => "medtop:10000000",
            TopicLabel::CrimeLaw => "medtop:02000000",
            TopicLabel::ConflictWarPeace => "medtop:16000000",
            TopicLabel::DisasterAccident => "medtop:03000000",
            TopicLabel::Environment => "medtop:06000000",
            TopicLabel::Education => "medtop:05000000",
            TopicLabel::Labour => "medtop:09000000",
            TopicLabel::HumanInterest => "medtop:08000000",
            TopicLabel::Weather => "medtop:17000000",
        }
    }

    /// IPTC Media Topic preferred name (English).
    pub fn iptc_name(self) -> &'static str {
        match self {
            TopicLabel::Politics => "politics",
            TopicLabel::Economy => "economy, business and finance",
            TopicLabel::Sport => "sport",
            TopicLabel::Culture => "arts, culture, entertainment and media",
            TopicLabel::ScienceTechnology => "science and technology",
            TopicLabel::Health => "health",
            TopicLabel::Religion => "religion",
            TopicLabel::Society => "society",
            TopicLabel::LifestyleLeisure => "lifestyle and leisure",
            TopicLabel::CrimeLaw => "crime, law and justice",
            TopicLabel::ConflictWarPeace => "conflict, war and peace",
            TopicLabel::DisasterAccident => "disaster, accident and emergency incident",
            TopicLabel::Environment => "environment",
            TopicLabel::Education => "education",
            TopicLabel::Labour => "labour",
            TopicLabel::HumanInterest => "human interest",
            TopicLabel::Weather => "weather",
        }
    }
}

/// Default threshold of [`TopicModel::predict_topics`]: a second topic is
/// returned when its calibrated probability reaches it. The training data is
/// single-label, so this is a heuristic: 0.25 keeps a runner-up that the model
/// considers at least a quarter likely (e.g. an economy article about a sports
/// club's finances) without returning noise on clear-cut articles.
pub const DEFAULT_THRESHOLD: f32 = 0.25;

/// The trained topic model.
#[derive(Debug)]
pub struct TopicModel {
    q: model::QuantModel,
    /// SHA-256 of the model's serialisation, computed on first use. Why
    /// lazily: hashing a 15 MB file is ~20% of a load and nothing on the
    /// serving path reads it (the pipeline hashes the file bytes it read for
    /// GetModelInfo itself). `to_bytes` reproduces a loaded file byte for
    /// byte (tests `model_round_trip`, `sha256_is_the_file_sha256`), so this
    /// is the file's sha256.
    sha256: std::sync::OnceLock<String>,
}

impl TopicModel {
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = crate::model_file::read_file(path)?;
        Self::from_bytes(&bytes)
    }
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let q = model::QuantModel::from_bytes(bytes)?;
        Ok(TopicModel {
            q,
            sha256: std::sync::OnceLock::new(),
        })
    }
    /// Wrap an in-memory model (training writes, then re-reads it).
    pub fn from_quant(q: model::QuantModel) -> Self {
        let bytes = q.to_bytes();
        TopicModel {
            sha256: crate::model_file::sha256_hex(&bytes).into(),
            q,
        }
    }
    pub fn version(&self) -> &str {
        &self.q.version
    }
    pub fn sha256(&self) -> &str {
        self.sha256
            .get_or_init(|| crate::model_file::sha256_hex(&self.q.to_bytes()))
    }
    /// Training metadata (JSON: data, seed, dev figures) for GetModelInfo.
    pub fn info(&self) -> &str {
        &self.q.info
    }
    /// The stored model (tables, heads), for tools and benches.
    pub fn quant(&self) -> &model::QuantModel {
        &self.q
    }
    /// Labels the model was trained to predict for a language (empty for `Und`).
    pub fn labels_for(&self, lang: Lang) -> Vec<TopicLabel> {
        let Some(h) = self.q.head(lang) else {
            return Vec::new();
        };
        let Some(t) = self.q.tables.get(h.table) else {
            return Vec::new();
        };
        t.cols
            .iter()
            .zip(&h.allowed)
            .filter(|(_, &a)| a)
            .map(|(&l, _)| l)
            .collect()
    }
    /// Calibrated probabilities over the labels supported for `doc.lang`,
    /// sorted by score descending. Empty when there is no usable text (no
    /// word outside boilerplate, or not a single word the model saw in
    /// training) or the language has no model: no topic beats a confident
    /// guess on nothing.
    pub fn predict(&self, doc: &Document<'_>) -> Vec<(TopicLabel, f32)> {
        let title_doc = doc.extra_title.filter(|t| !t.trim().is_empty()).map(|t| {
            crate::text::analyze(
                t,
                TextOptions {
                    title: None,
                    lang_hint: Some(doc.lang),
                },
            )
        });
        // One scratch per thread, reused by every call: no allocation on
        // the request path once it has grown to the largest document seen.
        thread_local! {
            static SCRATCH: RefCell<model::Scratch> = RefCell::new(model::Scratch::default());
        }
        let scored = SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut s) => self.q.logits(doc, title_doc.as_ref(), &mut s),
            // Re-entrant call (cannot happen today): use a fresh scratch.
            Err(_) => self
                .q
                .logits(doc, title_doc.as_ref(), &mut model::Scratch::default()),
        });
        let Some((hi, logits, raw)) = scored else {
            return Vec::new();
        };
        if raw.known_words == 0 {
            return Vec::new();
        }
        match self.q.heads.get(hi) {
            Some(h) => self.q.probs(h, &logits, h.temperature),
            None => Vec::new(),
        }
    }
    /// The top topic plus every other topic whose calibrated probability is
    /// at least `threshold` (multi-topic articles), sorted by score.
    pub fn predict_topics(&self, doc: &Document<'_>, threshold: f32) -> Vec<(TopicLabel, f32)> {
        let mut p = self.predict(doc);
        let keep = p
            .iter()
            .enumerate()
            .take_while(|(i, s)| *i == 0 || s.1 >= threshold)
            .count();
        p.truncate(keep);
        p
    }
    /// Convenience: analyse `text` (first line = title) and predict.
    pub fn predict_text(&self, text: &str, lang_hint: Option<Lang>) -> Vec<(TopicLabel, f32)> {
        let doc = crate::text::analyze(
            text,
            TextOptions {
                title: None,
                lang_hint,
            },
        );
        self.predict(&doc)
    }
}

#[cfg(test)]
mod tests {
    //! Fixtures are written for these tests (no corpus text).
    use super::*;
    use crate::text::{analyze, TextOptions};

    fn shipped() -> TopicModel {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/topics.bin");
        TopicModel::load(&p).expect("models/topics.bin must ship with the crate")
    }

    #[test]
    fn shipped_large_tables_are_in_huge_page_memory() {
        // crate::huge: tables of 2 MiB or more live in a mapping advised
        // for huge pages; the shipped model has such tables.
        let m = shipped();
        let mut large = 0;
        for t in &m.quant().tables {
            let bytes = std::mem::size_of_val(t.rows.as_slice());
            assert_eq!(t.rows.is_mapped(), bytes >= 2 << 20, "{bytes} B of rows");
            large += usize::from(bytes >= 2 << 20);
        }
        assert!(large > 0);
    }

    fn top(m: &TopicModel, text: &str, lang: Lang) -> Option<TopicLabel> {
        let doc = analyze(
            text,
            TextOptions {
                title: None,
                lang_hint: Some(lang),
            },
        );
        m.predict(&doc).first().map(|p| p.0)
    }

    #[test]
    fn obvious_articles_get_the_obvious_label() {
        let m = shipped();
        let cases: &[(&str, Lang, TopicLabel)] = &[
            (
                "الوداد يفوز على الرجاء في ديربي الدار البيضاء\nفاز فريق الوداد الرياضي على غريمه الرجاء بهدفين مقابل هدف واحد في المباراة التي جمعتهما مساء الأحد بملعب محمد الخامس، برسم الجولة العاشرة من البطولة الوطنية لكرة القدم. وسجل المهاجم هدف الفوز في الدقيقة الأخيرة من المباراة، ليرتقي الفريق إلى صدارة الترتيب.",
                Lang::Ar,
                TopicLabel::Sport,
            ),
            (
                "ارتفاع أسعار النفط وتراجع البورصة\nارتفعت أسعار النفط في الأسواق العالمية بنسبة ثلاثة في المائة، بينما تراجع مؤشر البورصة المحلية بعد إعلان البنك المركزي رفع سعر الفائدة. وقال خبراء اقتصاديون إن التضخم وارتفاع تكاليف الاستثمار يضغطان على الشركات والمستثمرين.",
                Lang::Ar,
                TopicLabel::Economy,
            ),
            (
                "Le PSG s'impose face à Marseille au Parc des Princes\nLe Paris Saint-Germain a battu l'Olympique de Marseille trois buts à un dimanche soir en championnat. L'attaquant a marqué un doublé en seconde période et l'entraîneur a salué la performance de ses joueurs avant le match de Ligue des champions.",
                Lang::Fr,
                TopicLabel::Sport,
            ),
            (
                "Le gouvernement présente son projet de loi au Parlement\nLe Premier ministre a défendu mardi devant l'Assemblée nationale le projet de loi du gouvernement. Les députés de l'opposition ont annoncé qu'ils voteraient contre le texte, et le président a appelé les partis au dialogue avant les élections.",
                Lang::Fr,
                TopicLabel::Politics,
            ),
            (
                "United beat Chelsea in late thriller\nManchester United scored twice in the final ten minutes to beat Chelsea 3-2 at Old Trafford on Sunday. The striker headed the winner from a corner, and the manager praised his players after the match lifted the club to fourth in the Premier League table.",
                Lang::En,
                TopicLabel::Sport,
            ),
            (
                "Shares fall as company profits slump\nShares in the carmaker fell eight percent after it reported a sharp fall in quarterly profits and cut its sales forecast. Investors worry that higher interest rates and weak consumer demand will hurt earnings across the industry, analysts said.",
                Lang::En,
                TopicLabel::Economy,
            ),
            (
                "New smartphone chip promises longer battery life\nThe company unveiled a new processor for smartphones that uses artificial intelligence to save power. Engineers said the chip, built with a new manufacturing technology, will let users run apps and software updates for two days without charging.",
                Lang::En,
                TopicLabel::ScienceTechnology,
            ),
        ];
        for (text, lang, want) in cases {
            assert_eq!(top(&m, text, *lang), Some(*want), "{text}");
        }
    }

    #[test]
    fn no_usable_text_gives_no_topics() {
        let m = shipped();
        for text in [
            "",
            "   \n\n  ",
            "!!! ... ??? — «»",
            "12 345 6789",
            "؟؟؟ ،،، ...",
        ] {
            for lang in [Lang::Ar, Lang::Fr, Lang::En] {
                assert!(
                    m.predict_text(text, Some(lang)).is_empty(),
                    "{text:?} {lang:?}"
                );
            }
        }
        // Letters the model never saw anywhere: no confident guess.
        assert!(m.predict_text("qzxv jjkw", Some(Lang::En)).is_empty());
    }

    #[test]
    fn a_lone_sentence_taken_for_furniture_still_gets_a_topic() {
        // One-line texts the structure pass files as byline/boilerplate
        // ("… adopté par les deux chambres" reads like "Par <author>"):
        // their words are used rather than returning nothing.
        let m = shipped();
        for text in [
            "Le budget de la santé a été adopté par les deux chambres en 2020.",
            "Can 2022 : calendrier des matchs\n.",
        ] {
            let doc = analyze(
                text,
                TextOptions {
                    title: None,
                    lang_hint: Some(Lang::Fr),
                },
            );
            assert!(!m.predict(&doc).is_empty(), "{text}");
        }
    }

    #[test]
    fn only_trained_labels_per_language() {
        let m = shipped();
        let en = m.labels_for(Lang::En);
        let ar = m.labels_for(Lang::Ar);
        assert!(m.labels_for(Lang::Und).is_empty());
        assert!(
            en.contains(&TopicLabel::Sport)
                && !en.contains(&TopicLabel::CrimeLaw)
                && !en.contains(&TopicLabel::Religion)
        );
        assert!(ar.contains(&TopicLabel::CrimeLaw) && ar.contains(&TopicLabel::Society));
        for l in [
            TopicLabel::DisasterAccident,
            TopicLabel::Labour,
            TopicLabel::HumanInterest,
            TopicLabel::Weather,
        ] {
            assert!(!ar.contains(&l) && !en.contains(&l));
        }
        // A crime story in English can only get English labels.
        let p = m.predict_text(
            "Police arrest suspect after robbery\nPolice arrested a man on Friday after a robbery at a jewellery shop; he will appear in court next week charged with theft.",
            Some(Lang::En),
        );
        assert!(!p.is_empty());
        assert!(p.iter().all(|(l, _)| en.contains(l)));
        let s: f32 = p.iter().map(|x| x.1).sum();
        assert!((s - 1.0).abs() < 1e-3);
        assert!(p.windows(2).all(|w| w[0].1 >= w[1].1));
        // Multi-topic helper: top label always, others only above threshold.
        let t = m.predict_topics(
            &analyze(
                "Police arrest suspect after robbery\nPolice arrested a man.",
                TextOptions {
                    title: None,
                    lang_hint: Some(Lang::En),
                },
            ),
            0.99,
        );
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn model_round_trip() {
        let m = shipped();
        let bytes = m.quant().to_bytes();
        let m2 = TopicModel::from_bytes(&bytes).expect("round trip");
        assert_eq!(m2.quant().to_bytes(), bytes);
        assert_eq!(m2.version(), m.version());
        let text = "Election results announced\nThe ruling party won the parliamentary election, the electoral commission said.";
        assert_eq!(
            m.predict_text(text, Some(Lang::En)),
            m2.predict_text(text, Some(Lang::En))
        );
    }

    #[test]
    fn sha256_is_the_file_sha256() {
        // The lazily computed sha256 (re-serialisation) must be the file's,
        // for the shipped file and for a format-3 file.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/topics.bin");
        let bytes = std::fs::read(&path).expect("models/topics.bin");
        let m = TopicModel::from_bytes(&bytes).expect("loads");
        assert_eq!(m.sha256(), crate::model_file::sha256_hex(&bytes));
        let mut q = m.quant().clone();
        for h in q.heads.iter_mut() {
            h.short_bias = vec![0.5; q.tables[h.table].cols.len()];
        }
        let b3 = q.to_bytes();
        let m3 = TopicModel::from_bytes(&b3).expect("format 3 loads");
        assert_eq!(m3.sha256(), crate::model_file::sha256_hex(&b3));
        assert_ne!(m3.sha256(), m.sha256());
    }

    #[test]
    fn short_bias_moves_only_short_documents_and_round_trips() {
        let m = shipped();
        let mut q = m.quant().clone();
        // A huge short-text bias towards `sport` on every head.
        for h in q.heads.iter_mut() {
            let table = &q.tables[h.table];
            h.short_bias = table
                .cols
                .iter()
                .map(|&c| if c == TopicLabel::Sport { 50.0 } else { 0.0 })
                .collect();
        }
        let bytes = q.to_bytes();
        let m2 = TopicModel::from_bytes(&bytes).expect("format 3 loads");
        assert_eq!(m2.quant().to_bytes(), bytes);
        // Without per-kind biases a model is written as format 2, and loads.
        let mut q0 = q.clone();
        q0.heads.iter_mut().for_each(|h| h.short_bias.clear());
        let b0 = q0.to_bytes();
        assert!(TopicModel::from_bytes(&b0).is_ok());
        assert_ne!(b0, bytes);
        let short = "The parliament passed the budget law after a long debate.";
        assert_eq!(top(&m2, short, Lang::En), Some(TopicLabel::Sport));
        assert_eq!(top(&m, short, Lang::En), Some(TopicLabel::Politics));
        // An article (>= SHORT_WORDS distinct words) is not moved.
        let long = "Election results announced\nThe ruling party won the parliamentary election on Sunday, \
            the electoral commission said, after a campaign dominated by taxes, pensions and the cost of \
            housing. Opposition leaders conceded defeat and promised to hold the new government to account \
            in parliament. Turnout rose to sixty percent, the highest in two decades, as voters queued \
            outside polling stations in the capital and in rural districts. The prime minister will form a \
            cabinet next week and present a legislative programme to the assembly.";
        let doc = analyze(
            long,
            TextOptions {
                title: None,
                lang_hint: Some(Lang::En),
            },
        );
        assert_eq!(m.predict(&doc), m2.predict(&doc));
        assert_eq!(top(&m, long, Lang::En), Some(TopicLabel::Politics));
    }

    /// The reference scores of the training-side code path: occurrences
    /// as `Unit`s, merged by sorting, scored by `score_units`.
    fn reference_scores(
        m: &TopicModel,
        doc: &Document<'_>,
        title: Option<&Document<'_>>,
    ) -> model::RawScores {
        let q = m.quant();
        let head = q.head(doc.lang).expect("head");
        let table = &q.tables[head.table];
        let mut units = Vec::new();
        features::push_occurrences(doc, &q.cfg, false, &mut units);
        if let Some(t) = title {
            features::push_occurrences(t, &q.cfg, true, &mut units);
        }
        features::merge_sorted(&mut units);
        q.score_units(
            table,
            &units,
            &mut features::NgramScratch::default(),
            &mut Vec::new(),
        )
    }

    #[test]
    fn fast_path_matches_the_training_side_reference() {
        let m = shipped();
        let mut scratch = model::Scratch::default();
        // Mixed cases: repeated words (tf > 1), a separate title (counts
        // 3x), numbers, unknown words (n-gram fallback), bigrams, and a
        // sentence with punctuation breaking bigrams.
        let cases: &[(&str, Option<&str>, Lang)] = &[
            ("Le gouvernement a présenté le budget. Le budget prévoit 12 milliards, et 2024 sera difficile; zorglubix frobnique.", Some("Budget : le gouvernement tranche"), Lang::Fr),
            ("The striker scored twice. The striker, again! Scored 3-2 in 2023 against xqzvbl united.", None, Lang::En),
            ("قال وزير الاقتصاد إن الاقتصاد الوطني سجل نموا بنسبة 3 في المائة. وأضاف الوزير أن النمو سيستمر رغم طقطزنبوخ.", Some("الاقتصاد ينمو"), Lang::Ar),
            // Repeated bigrams (bigram tf > 1, also shared with the title),
            // numbers of many digit counts including > 8 (capped) in mixed
            // order, a bigram broken by a number.
            ("The interest rate rose. The interest rate fell 1234567890123 times, 7 times, 42 times and 123456789 times; interest rate 7 rate interest xqzvbl.", Some("Interest rate news"), Lang::En),
        ];
        for &(text, title, lang) in cases {
            let doc = analyze(
                text,
                TextOptions {
                    title,
                    lang_hint: Some(lang),
                },
            );
            let tdoc = doc.extra_title.map(|t| {
                analyze(
                    t,
                    TextOptions {
                        title: None,
                        lang_hint: Some(lang),
                    },
                )
            });
            let want = reference_scores(&m, &doc, tdoc.as_ref());
            // Twice with the same scratch: reuse must not leak state.
            for _ in 0..2 {
                let (_, _, got) = m
                    .quant()
                    .logits(&doc, tdoc.as_ref(), &mut scratch)
                    .expect("scores");
                assert_eq!(got.words, want.words, "{text}");
                assert_eq!(got.known_words, want.known_words, "{text}");
                assert!(
                    got.known_words < got.words,
                    "the case must exercise the n-gram fallback"
                );
                for (a, b) in got.acc.iter().zip(&want.acc) {
                    assert!(
                        (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                        "{text}: {a} vs {b}"
                    );
                }
            }
        }
    }

    /// The straightforward version of the fast path's merge: every unit
    /// occurrence from `features::for_each_occurrence` (the training-side
    /// enumeration), merged by a linear search in first-occurrence order —
    /// words (of the text, then of the title), then bigrams, then numbers,
    /// the order in which the fast path sums them — and scored by
    /// `score_units`.
    fn straightforward_scores(
        m: &TopicModel,
        doc: &Document<'_>,
        title: Option<&Document<'_>>,
    ) -> model::RawScores {
        let q = m.quant();
        let head = q.head(doc.lang).expect("head");
        let table = &q.tables[head.table];
        let mut occ = Vec::new();
        features::for_each_occurrence(doc, &q.cfg, false, |u| occ.push(u));
        if let Some(t) = title {
            features::for_each_occurrence(t, &q.cfg, true, |u| occ.push(u));
        }
        let mut merged: [Vec<features::Unit<'_>>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for u in occ {
            let (class, id) = match u.kind {
                features::UnitKind::Word { h_norm, .. } => (0, h_norm),
                features::UnitKind::Bigram => (1, u.key),
                features::UnitKind::Number => (2, u.key),
            };
            let id_of = |x: &features::Unit<'_>| match x.kind {
                features::UnitKind::Word { h_norm, .. } => h_norm,
                _ => x.key,
            };
            let list = &mut merged[class];
            match list.iter_mut().find(|x| id_of(x) == id) {
                Some(x) => x.count += u.count,
                None => list.push(u),
            }
        }
        let units: Vec<features::Unit<'_>> = merged.concat();
        q.score_units(
            table,
            &units,
            &mut features::NgramScratch::default(),
            &mut Vec::new(),
        )
    }

    #[test]
    fn fast_path_is_bit_identical_to_the_straightforward_merge() {
        // The fast path (raw-hash word slots, pair slots, 8-column rows for
        // tables of at most 8 labels, vectorised row sums) must give the
        // same f32 bits as the plain enumeration merged in order, for ar
        // (13 columns) and en/fr (7): a repeated-word article, a title,
        // numbers, unknown words, punctuation breaking bigrams.
        let m = shipped();
        let mut scratch = model::Scratch::default();
        let mut long_en = String::new();
        let mut long_ar = String::new();
        for i in 0..40 {
            long_en.push_str(&format!(
                "The council voted on the new budget for {} schools, and the mayor said the vote was close. Unions warned of strikes{} ",
                i * 7,
                if i % 3 == 0 { "!" } else { "." }
            ));
            long_ar.push_str(&format!(
                "صوت المجلس على الميزانية الجديدة لعدد {} من المدارس، وقال العمدة إن التصويت كان متقاربا. ",
                i * 13
            ));
        }
        let cases: Vec<(String, Option<&str>, Lang)> = vec![
            (long_en, Some("Council budget vote"), Lang::En),
            (long_ar, Some("المجلس يصوت على الميزانية"), Lang::Ar),
            ("Le Premier ministre a présenté le budget 2025 : 12 milliards d'économies, 3 réformes. Le budget sera voté en décembre; zorglubix.".to_string(), None, Lang::Fr),
            ("Le club a gagné 3-1. Le club, encore! Le club a gagné le championnat.".to_string(), Some("Le club gagne"), Lang::Fr),
        ];
        for (text, title, lang) in &cases {
            let doc = analyze(
                text,
                TextOptions {
                    title: *title,
                    lang_hint: Some(*lang),
                },
            );
            let tdoc = doc.extra_title.map(|t| {
                analyze(
                    t,
                    TextOptions {
                        title: None,
                        lang_hint: Some(*lang),
                    },
                )
            });
            let want = straightforward_scores(&m, &doc, tdoc.as_ref());
            let ncols = m.quant().tables[m.quant().head(*lang).expect("head").table]
                .cols
                .len();
            for _ in 0..2 {
                let (_, _, got) = m
                    .quant()
                    .logits(&doc, tdoc.as_ref(), &mut scratch)
                    .expect("scores");
                assert_eq!(got.words, want.words, "{text}");
                assert_eq!(got.known_words, want.known_words, "{text}");
                for j in 0..ncols {
                    assert_eq!(
                        got.acc[j].to_bits(),
                        want.acc[j].to_bits(),
                        "{lang:?} column {j}: {} vs {}",
                        got.acc[j],
                        want.acc[j]
                    );
                }
            }
        }
    }

    #[test]
    fn scratch_grows_and_stays_consistent() {
        let m = shipped();
        let small = analyze(
            "Shares fell as the bank raised interest rates.",
            TextOptions {
                title: None,
                lang_hint: Some(Lang::En),
            },
        );
        let fresh = m
            .quant()
            .logits(&small, None, &mut model::Scratch::default())
            .expect("scores");
        // A document with thousands of distinct units forces the merge
        // table to grow several times.
        let mut big = String::new();
        for i in 0..3000u32 {
            // Distinct letter-only pseudo-words (digits would split tokens).
            let w: String = [i % 26, (i / 26) % 26, (i / 676) % 26]
                .iter()
                .map(|&d| char::from(b'a' + d as u8))
                .collect();
            // Short sentences: one 6,000-word "sentence" is not prose.
            big.push_str(&format!("the mar{w}ket {w} rose. "));
        }
        let big = analyze(
            &big,
            TextOptions {
                title: None,
                lang_hint: Some(Lang::En),
            },
        );
        let mut scratch = model::Scratch::default();
        let (_, _, rb) = m.quant().logits(&big, None, &mut scratch).expect("scores");
        let rr = reference_scores(&m, &big, None);
        assert_eq!(rb.words, rr.words);
        for (a, b) in rb.acc.iter().zip(&rr.acc) {
            assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
        }
        let again = m
            .quant()
            .logits(&small, None, &mut scratch)
            .expect("scores");
        assert_eq!(again.1, fresh.1);
        assert_eq!(again.2.words, fresh.2.words);
    }

    #[test]
    fn corrupt_model_is_a_clear_error() {
        let bytes = shipped().quant().to_bytes();
        let mut bad = bytes.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x40;
        assert!(matches!(
            TopicModel::from_bytes(&bad),
            Err(ModelError::Checksum)
        ));
        assert!(matches!(
            TopicModel::from_bytes(&bytes[..bytes.len() / 3]),
            Err(ModelError::Truncated(_))
        ));
        assert!(matches!(
            TopicModel::from_bytes(b"not a model"),
            Err(ModelError::BadMagic)
        ));
        let ner_kind = crate::model_file::encode(b"NER1", 1, b"x");
        assert!(matches!(
            TopicModel::from_bytes(&ner_kind),
            Err(ModelError::WrongKind { .. })
        ));
        // A well-formed container with a garbage payload.
        let garbage = crate::model_file::encode(model::KIND, model::FORMAT_VERSION, &[7u8; 64]);
        let e = TopicModel::from_bytes(&garbage).unwrap_err();
        assert!(
            matches!(e, ModelError::Truncated(_) | ModelError::Malformed(_)),
            "{e}"
        );
        let missing = TopicModel::load(Path::new("/nonexistent/topics.bin")).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/topics.bin"));
    }
}
