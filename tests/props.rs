//! Property tests on the outputs of the full in-process Analyzer (shipped
//! models) and of the text pipeline, over texts assembled from hostile
//! fragments: Arabic with and without diacritics, French, English, CJK,
//! Cyrillic, emoji ZWJ sequences, combining marks, bidi and zero-width
//! controls, NUL and other controls, odd punctuation and line breaks.
//!
//! Invariants (the API contract):
//! - every offset is in bounds, start < end, and the code-point slice of
//!   the caller's text equals the returned text (sentences and mentions);
//! - summary sentences are in document order, within `max_sentences`;
//! - topics sorted by score, entities by salience, scores in [0, 1];
//! - the analysis is deterministic (same input, same output);
//! - text-pipeline spans: byte and code-point offsets agree, lie on char
//!   boundaries, sentences and tokens are ordered and do not overlap, and
//!   each sentence's token range lies inside it.

use nutgraf::pipeline::{Analysis, Analyzer, Limits, Parts, Request};
use nutgraf::summarize::Length;
use nutgraf::text::{self, Lang, Span, TextOptions};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        // `NUTGRAF_TEST_MODEL_DIR` points the suite at candidate models.
        let dir = std::env::var_os("NUTGRAF_TEST_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
        Analyzer::load(&dir, Limits::default()).expect("models load")
    })
}

const FRAGMENTS: &[&str] = &[
    "أعلن وزير الاقتصاد في الرباط عن خطة جديدة",
    "أَعْلَنَ وَزِيرُ الْاِقْتِصَادِ الْمَغْرِبِيُّ",
    "وقال محمد بن علي إن الحكومة ستخصص ملياري درهم",
    "وبالمغرب",
    "الأمم المتحدة",
    "Le président Emmanuel Macron a rencontré le roi Mohammed VI à Rabat",
    "l'Organisation mondiale de la santé",
    "The World Bank approved a loan to Morocco on Monday",
    "Prime Minister Aziz Akhannouch",
    "習近平",
    "北京",
    "Москва",
    "Владимир Путин",
    "👨\u{200d}👩\u{200d}👧\u{200d}👦",
    "🇲🇦",
    "👍🏽",
    "\u{301}",
    "\u{651}\u{64e}",
    "\u{200d}",
    "\u{200c}",
    "\u{200b}",
    "\u{202e}",
    "\u{202c}",
    "\u{2067}",
    "\u{feff}",
    "\u{0}",
    "\u{1b}[0m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{a0}",
    "\u{3000}",
    "ـــ",
    "٣٤٥",
    "1,234.56",
    "U.S.",
    "M. Dupont",
    "e.g.",
    "...",
    "؟",
    "!",
    "«",
    "»",
    "\"",
    "'",
    "-",
    "—",
    ".",
    "،",
    "؛",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "<p>",
    "{\"a\":1}",
    "https://example.com/a?b=c",
    "@user",
    "#tag",
];

/// A text of up to `n` fragments joined with random separators.
fn text_strategy(n: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(FRAGMENTS),
            prop::sample::select(&[" ", " ", ". ", ".\n", "\n", "", "، ", "? "][..]),
        ),
        1..n,
    )
    .prop_map(|parts| {
        let mut s = String::new();
        for (f, sep) in parts {
            s.push_str(f);
            s.push_str(sep);
        }
        s
    })
}

fn cp_slice(chars: &[char], s: u32, e: u32) -> Option<String> {
    (s < e && (e as usize) <= chars.len()).then(|| chars[s as usize..e as usize].iter().collect())
}

fn check_analysis(text: &str, max_sentences: Option<u32>, a: &Analysis) -> Result<(), String> {
    let chars: Vec<char> = text.chars().collect();
    if a.stats.chars as usize != chars.len() {
        return Err("stats.chars".into());
    }
    let mut last = None;
    for s in &a.summary {
        if cp_slice(&chars, s.start, s.end).as_deref() != Some(s.text.as_str()) {
            return Err(format!("sentence {}..{} text mismatch", s.start, s.end));
        }
        if last.is_some_and(|l| l >= s.index) {
            return Err("summary not in document order".into());
        }
        if s.index >= a.stats.sentences || !s.score.is_finite() {
            return Err(format!("sentence index {} / score {}", s.index, s.score));
        }
        for &e in &s.entity_indices {
            if e as usize >= a.entities.len() {
                return Err(format!("entity index {e} out of range"));
            }
        }
        last = Some(s.index);
    }
    if let Some(m) = max_sentences {
        if a.summary.len() > m as usize {
            return Err(format!("{} sentences > {m}", a.summary.len()));
        }
    }
    if let Some(t) = &a.title {
        if cp_slice(&chars, t.start, t.end).as_deref() != Some(t.text.as_str()) {
            return Err("title span mismatch".into());
        }
    }
    for e in &a.entities {
        if e.mentions.is_empty() || !(0.0..=1.0).contains(&e.salience) {
            return Err(format!("entity {:?}", e.text));
        }
        for m in &e.mentions {
            if cp_slice(&chars, m.start, m.end).as_deref() != Some(m.text.as_str()) {
                return Err(format!("mention {}..{} text mismatch", m.start, m.end));
            }
        }
    }
    if a.entities.windows(2).any(|w| w[0].salience < w[1].salience) {
        return Err("entities not sorted by salience".into());
    }
    if a.topics.windows(2).any(|w| w[0].score < w[1].score) {
        return Err("topics not sorted by score".into());
    }
    if a.topics.iter().any(|t| !(0.0..=1.0).contains(&t.score)) {
        return Err("topic score out of [0,1]".into());
    }
    Ok(())
}

/// A span agrees with the text: char boundaries, and code points counted.
fn check_span(text: &str, sp: &Span, what: &str) -> Result<(), String> {
    if sp.start > sp.end || sp.end > text.len() {
        return Err(format!(
            "{what} bytes {}..{} of {}",
            sp.start,
            sp.end,
            text.len()
        ));
    }
    if !text.is_char_boundary(sp.start) || !text.is_char_boundary(sp.end) {
        return Err(format!(
            "{what} {}..{} not on char boundaries",
            sp.start, sp.end
        ));
    }
    let cs = text[..sp.start].chars().count() as u32;
    let ce = cs + text[sp.start..sp.end].chars().count() as u32;
    if (cs, ce) != (sp.cstart, sp.cend) {
        return Err(format!(
            "{what} code points {}..{} but bytes {}..{} are {cs}..{ce}",
            sp.cstart, sp.cend, sp.start, sp.end
        ));
    }
    Ok(())
}

fn check_document(text: &str, hint: Option<Lang>) -> Result<(), String> {
    let doc = text::analyze(
        text,
        TextOptions {
            title: None,
            lang_hint: hint,
        },
    );
    if let Some(h) = hint {
        if doc.lang != h {
            return Err("hint ignored".into());
        }
    }
    let mut prev_end = 0;
    for (i, s) in doc.sentences.iter().enumerate() {
        check_span(text, &s.span, &format!("sentence {i}"))?;
        if s.span.start < prev_end {
            return Err(format!("sentence {i} overlaps the previous one"));
        }
        prev_end = s.span.end;
        if s.tokens.start > s.tokens.end || s.tokens.end > doc.tokens.len() {
            return Err(format!("sentence {i} token range {:?}", s.tokens));
        }
        for t in &doc.tokens[s.tokens.clone()] {
            if t.span.start < s.span.start || t.span.end > s.span.end {
                return Err(format!("token {:?} outside sentence {i}", t.span));
            }
        }
    }
    let mut prev = 0;
    for t in &doc.tokens {
        check_span(text, &t.span, "token")?;
        if t.span.start < prev || t.span.start == t.span.end {
            return Err(format!("token {:?} empty or out of order", t.span));
        }
        prev = t.span.end;
        // Normalised forms are valid ranges of the buffer (never panics).
        let _ = doc.norm(t);
        let _ = doc.stem(t);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn text_pipeline_spans(text in text_strategy(60), hint in prop::option::of(prop::sample::select(&Lang::SUPPORTED[..]))) {
        if let Err(e) = check_document(&text, hint) {
            prop_assert!(false, "{e}\ntext: {text:?}");
        }
    }

    #[test]
    fn text_pipeline_arbitrary_unicode(text in "\\PC{0,200}") {
        if let Err(e) = check_document(&text, None) {
            prop_assert!(false, "{e}\ntext: {text:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn analyzer_outputs_keep_the_contract(
        text in text_strategy(80),
        max_sentences in prop::option::of(0u32..5),
        hint in prop::sample::select(&["", "ar", "fr", "en"][..]),
        parts in 0u8..8,
    ) {
        let a = analyzer();
        let mut r = Request::new("p", &text);
        r.language = hint;
        r.length = Length { max_sentences, ..Length::default() };
        if parts != 0 {
            r.parts = Parts { summary: parts & 1 != 0, topics: parts & 2 != 0, entities: parts & 4 != 0 };
        }
        match a.analyze_all(&r) {
            Ok(out) => {
                if let Err(e) = check_analysis(&text, max_sentences.filter(|&m| m > 0), &out) {
                    prop_assert!(false, "{e}\ntext: {text:?}");
                }
                // Deterministic: a second run gives the same result.
                let again = a.analyze_all(&r).expect("second run");
                prop_assert_eq!(&out.summary, &again.summary);
                prop_assert_eq!(&out.entities, &again.entities);
                prop_assert_eq!(&out.topics, &again.topics);
                prop_assert_eq!(out.language, again.language);
            }
            // Only blank text may be refused (hints here are all valid).
            Err(e) => prop_assert!(nutgraf::pipeline::is_blank(&text), "{e} for {text:?}"),
        }
    }
}
