//! Fuzz the full in-process analysis (`Analyzer::analyze` with the shipped
//! models): validation, text, NER, summary, topics, streaming events and
//! cancellation, on arbitrary input.
//!
//! Models are loaded once from `$NUTGRAF_MODEL_DIR` (default: the crate's
//! `models/`). Byte 0 picks the options (hint, parts, max_sentences, a
//! cancel point); the rest is the article. Checked: never panics, OK
//! results keep the contract (code-point offsets whose slices equal the
//! returned texts, document order, sorted topics/entities, bounds), and
//! only validation errors or `Cancelled` come back as errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutgraf::pipeline::{AnalyzeError, Analyzer, Event, Limits, Parts, Request};
use nutgraf::summarize::Length;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        let dir = std::env::var_os("NUTGRAF_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models")));
        Analyzer::load(&dir, Limits::default()).expect("models load (set NUTGRAF_MODEL_DIR)")
    })
}

fn slice(chars: &[char], s: u32, e: u32) -> Option<String> {
    (s < e && e as usize <= chars.len()).then(|| chars[s as usize..e as usize].iter().collect())
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let a = analyzer();
    let mut r = Request::new("fuzz", text);
    r.language = ["", "ar", "fr", "en"][usize::from(ctl & 3)];
    r.length = Length {
        max_sentences: match (ctl >> 2) & 3 {
            0 => None,
            1 => Some(1),
            2 => Some(3),
            _ => Some(u32::MAX),
        },
        ..Length::default()
    };
    let p = (ctl >> 4) & 7;
    if p != 0 {
        r.parts = Parts {
            summary: p & 1 != 0,
            topics: p & 2 != 0,
            entities: p & 4 != 0,
        };
    }
    // Top bit: cancel after the first few events, as a departing client would.
    let cancel_after = if ctl & 0x80 != 0 { Some(2usize) } else { None };
    let mut seen = 0usize;
    let mut order = Vec::new();
    let result = a.analyze(&r, &mut |ev| {
        let k = match ev {
            Event::Language(_) => 0,
            Event::Topic(_) => 1,
            Event::Sentence(_) => 2,
            Event::Entity(_) => 3,
            Event::Checkpoint => return ControlFlow::Continue(()),
        };
        order.push(k);
        seen += 1;
        match cancel_after {
            Some(n) if seen >= n => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    });
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "event order {order:?}"
    );
    let out = match result {
        Ok(out) => out,
        Err(AnalyzeError::Cancelled) => {
            assert!(cancel_after.is_some(), "cancelled without a Break");
            return;
        }
        Err(AnalyzeError::EmptyText) => {
            assert!(nutgraf::pipeline::is_blank(text));
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };
    let chars: Vec<char> = text.chars().collect();
    assert_eq!(out.stats.chars as usize, chars.len());
    let mut last = None;
    for s in &out.summary {
        assert_eq!(
            slice(&chars, s.start, s.end).as_deref(),
            Some(s.text.as_str()),
            "sentence span"
        );
        assert!(last.is_none_or(|l| l < s.index), "summary order");
        assert!(s.index < out.stats.sentences && s.score.is_finite());
        last = Some(s.index);
    }
    if let Some(m) = r.length.max_sentences {
        assert!(out.summary.len() <= m as usize);
    }
    for e in &out.entities {
        assert!(!e.mentions.is_empty() && (0.0..=1.0).contains(&e.salience));
        for m in &e.mentions {
            assert_eq!(
                slice(&chars, m.start, m.end).as_deref(),
                Some(m.text.as_str()),
                "mention span"
            );
        }
    }
    assert!(out
        .entities
        .windows(2)
        .all(|w| w[0].salience >= w[1].salience));
    assert!(out.topics.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(out.topics.iter().all(|t| (0.0..=1.0).contains(&t.score)));
});
