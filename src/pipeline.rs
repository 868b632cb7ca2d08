//! The analysis pipeline: owns the loaded models and turns one validated
//! request into an [`Analysis`], emitting [`Event`]s as each part is ready.
//!
//! Transport-free: the gRPC server, the CLI and the benches all call
//! [`Analyzer::analyze`]. Streaming and cancellation are expressed through
//! the `sink` callback: it receives each event as soon as it exists, and
//! returning `ControlFlow::Break` stops the work at the next checkpoint
//! (client gone, deadline passed).

use crate::classify::{TopicLabel, TopicModel};
use crate::model_file::ModelError;
use crate::ner::{self, EntityType, NerModel};
use crate::summarize::{self, Length, SummaryConfig};
use crate::text::{self, Lang, Role, TextOptions};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// File names of the shipped models inside the model directory.
pub const NER_MODEL_FILE: &str = "ner.bin";
pub const TOPICS_MODEL_FILE: &str = "topics.bin";

/// Request-size limits enforced before any work is done.
#[derive(Clone, Debug, Serialize)]
pub struct Limits {
    /// Largest accepted `text`, UTF-8 bytes.
    pub max_text_bytes: usize,
    /// Largest accepted `title`, UTF-8 bytes.
    pub max_title_bytes: usize,
    /// Largest accepted `id`, bytes.
    pub max_id_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: 1 << 20,
            max_title_bytes: 4 << 10,
            max_id_bytes: 256,
        }
    }
}

/// Which parts of the analysis to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    pub summary: bool,
    pub topics: bool,
    pub entities: bool,
}

impl Parts {
    pub const ALL: Parts = Parts {
        summary: true,
        topics: true,
        entities: true,
    };
}

/// Topic output options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopicOptions {
    pub top_k: usize,
    pub min_score: f32,
}

impl Default for TopicOptions {
    fn default() -> Self {
        TopicOptions {
            top_k: 3,
            min_score: 0.1,
        }
    }
}

/// One article to analyse, as the caller sent it (borrowed).
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub title: Option<&'a str>,
    /// Caller's hint; empty = detect.
    pub language: &'a str,
    pub length: Length,
    pub parts: Parts,
    pub topics: TopicOptions,
}

impl<'a> Request<'a> {
    /// A request with every default, for tests and the CLI.
    pub fn new(id: &'a str, text: &'a str) -> Self {
        Request {
            id,
            text,
            title: None,
            language: "",
            length: Length::default(),
            parts: Parts::ALL,
            topics: TopicOptions::default(),
        }
    }
}

/// Why a request cannot be analysed. Each message says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyzeError {
    #[error("text is empty or blank (only whitespace, zero-width or bidi control characters): send the article text in `text`")]
    EmptyText,
    #[error("text is {size} bytes, over the limit of {limit} bytes: split the article or send less text")]
    TextTooLarge { size: usize, limit: usize },
    #[error("title is {size} bytes, over the limit of {limit} bytes")]
    TitleTooLarge { size: usize, limit: usize },
    #[error("id is {size} bytes, over the limit of {limit} bytes: use a shorter id")]
    IdTooLong { size: usize, limit: usize },
    #[error("unsupported language hint {0:?}: use \"ar\", \"fr\" or \"en\", or leave it empty to detect")]
    UnknownLanguage(String),
    #[error("summary.ratio must be in (0, 1], got {0}")]
    InvalidRatio(f32),
    #[error("topics.min_score must be in [0, 1), got {0}")]
    InvalidMinScore(f32),
    #[error("analysis was cancelled")]
    Cancelled,
}

/// Why the models could not be loaded at start-up.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // The source is part of the message (not a `#[source]`), so error
    // chains print it once.
    #[error("model {path}: {error}")]
    Model { path: String, error: ModelError },
}

/// A summary sentence in the output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentenceOut {
    pub text: String,
    pub index: u32,
    pub score: f32,
    pub start: u32,
    pub end: u32,
    /// Indices into [`Analysis::entities`] (empty when entities were not asked for).
    pub entity_indices: Vec<u32>,
    pub entity_texts: Vec<String>,
}

/// A topic in the output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicOut {
    pub label: &'static str,
    pub score: f32,
    pub iptc_code: &'static str,
    pub iptc_name: &'static str,
}

/// A mention in the output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MentionOut {
    pub start: u32,
    pub end: u32,
    pub text: String,
}

/// An entity in the output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntityOut {
    pub text: String,
    #[serde(rename = "type")]
    pub etype: EntityKind,
    pub salience: f32,
    pub mentions: Vec<MentionOut>,
}

/// Entity type as the API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EntityKind {
    #[serde(rename = "ENTITY_TYPE_PERSON")]
    Person,
    #[serde(rename = "ENTITY_TYPE_LOCATION")]
    Location,
    #[serde(rename = "ENTITY_TYPE_ORGANIZATION")]
    Organization,
    #[serde(rename = "ENTITY_TYPE_MISC")]
    Misc,
}

impl From<EntityType> for EntityKind {
    fn from(t: EntityType) -> Self {
        match t {
            EntityType::Person => EntityKind::Person,
            EntityType::Location => EntityKind::Location,
            EntityType::Organization => EntityKind::Organization,
            EntityType::Misc => EntityKind::Misc,
        }
    }
}

/// Sizes and timings of one analysis.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub chars: u32,
    pub bytes: u32,
    pub tokens: u32,
    pub sentences: u32,
    pub body_sentences: u32,
    pub language_confidence: f32,
    pub language_from_hint: bool,
    pub text_us: u64,
    pub entities_us: u64,
    pub summary_us: u64,
    pub topics_us: u64,
    pub total_us: u64,
    /// Filled by the server (time waiting for a CPU worker).
    pub queue_us: u64,
}

/// The whole result for one article.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    pub id: String,
    pub language: &'static str,
    pub title: Option<SentenceOut>,
    /// Document order.
    pub summary: Vec<SentenceOut>,
    /// Score descending.
    pub topics: Vec<TopicOut>,
    /// Salience descending.
    pub entities: Vec<EntityOut>,
    pub stats: Stats,
}

/// What [`Analyzer::analyze`] emits as it goes, in this order: language,
/// topics, summary sentences (selection order), entities.
#[derive(Debug)]
pub enum Event<'e> {
    Language(&'static str),
    Topic(&'e TopicOut),
    Sentence(&'e SentenceOut),
    Entity(&'e EntityOut),
    /// Nothing to send: a chance to say `Break` between expensive stages.
    Checkpoint,
}

/// Information about a loaded model, for GetModelInfo and metrics.
#[derive(Clone, Debug, Serialize)]
pub struct ModelMeta {
    pub name: &'static str,
    pub version: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub path: String,
}

/// The loaded models and configuration; shared read-only by every worker.
#[derive(Debug)]
pub struct Analyzer {
    ner: NerModel,
    topics: TopicModel,
    summary: SummaryConfig,
    limits: Limits,
    models: Vec<ModelMeta>,
}

fn load_model<T>(
    dir: &Path,
    file: &str,
    name: &'static str,
    parse: impl Fn(&[u8]) -> Result<T, ModelError>,
    meta: impl Fn(&T) -> String,
) -> Result<(T, ModelMeta), LoadError> {
    let path: PathBuf = dir.join(file);
    let err = |error| LoadError::Model {
        path: path.display().to_string(),
        error,
    };
    let bytes = crate::model_file::read_file(&path).map_err(err)?;
    let model = parse(&bytes).map_err(err)?;
    let info = ModelMeta {
        name,
        version: meta(&model),
        sha256: crate::model_file::sha256_hex(&bytes),
        size_bytes: bytes.len() as u64,
        path: path.display().to_string(),
    };
    Ok((model, info))
}

impl Analyzer {
    /// Load `ner.bin` and `topics.bin` from `model_dir`.
    pub fn load(model_dir: &Path, limits: Limits) -> Result<Self, LoadError> {
        let (ner, ner_meta) = load_model(
            model_dir,
            NER_MODEL_FILE,
            "ner",
            NerModel::from_bytes,
            |m: &NerModel| m.version().to_string(),
        )?;
        let (topics, topics_meta) = load_model(
            model_dir,
            TOPICS_MODEL_FILE,
            "topics",
            TopicModel::from_bytes,
            |m: &TopicModel| m.version().to_string(),
        )?;
        Ok(Analyzer {
            ner,
            topics,
            summary: SummaryConfig::default(),
            limits,
            models: vec![ner_meta, topics_meta],
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn models(&self) -> &[ModelMeta] {
        &self.models
    }

    /// Labels the topic model can return for a language.
    pub fn topic_labels_for(&self, lang: Lang) -> Vec<TopicLabel> {
        self.topics.labels_for(lang)
    }

    /// Check a request without doing any analysis. Cheap: the server calls
    /// it on the async side before queueing work.
    pub fn validate(&self, req: &Request<'_>) -> Result<Option<Lang>, AnalyzeError> {
        let l = &self.limits;
        if req.id.len() > l.max_id_bytes {
            return Err(AnalyzeError::IdTooLong {
                size: req.id.len(),
                limit: l.max_id_bytes,
            });
        }
        if req.text.len() > l.max_text_bytes {
            return Err(AnalyzeError::TextTooLarge {
                size: req.text.len(),
                limit: l.max_text_bytes,
            });
        }
        if let Some(t) = req.title {
            if t.len() > l.max_title_bytes {
                return Err(AnalyzeError::TitleTooLarge {
                    size: t.len(),
                    limit: l.max_title_bytes,
                });
            }
        }
        if is_blank(req.text) {
            return Err(AnalyzeError::EmptyText);
        }
        if let Some(r) = req.length.ratio {
            if !(r > 0.0 && r <= 1.0) {
                return Err(AnalyzeError::InvalidRatio(r));
            }
        }
        let ms = req.topics.min_score;
        if !(0.0..1.0).contains(&ms) {
            return Err(AnalyzeError::InvalidMinScore(ms));
        }
        let hint = req.language.trim();
        if hint.is_empty() {
            Ok(None)
        } else {
            // Echo at most 32 characters of the hint: the message travels in
            // the grpc-message header, and a huge hint (up to the 4 MB message
            // limit) made that header too large for clients, who then saw an
            // HTTP/2 protocol error instead of INVALID_ARGUMENT (issue 8,
            // tests/hostile.rs "language hint of 1 MB").
            Lang::from_hint(hint).map(Some).ok_or_else(|| {
                let mut shown: String = req.language.chars().take(32).collect();
                if shown.len() < req.language.len() {
                    shown.push('…');
                }
                AnalyzeError::UnknownLanguage(shown)
            })
        }
    }

    /// Analyse one article. `sink` sees every event as it is produced;
    /// `Break` from it cancels the work (returns `Cancelled`).
    pub fn analyze(
        &self,
        req: &Request<'_>,
        sink: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
    ) -> Result<Analysis, AnalyzeError> {
        let hint = self.validate(req)?;
        let t0 = Instant::now();
        let doc = text::analyze(
            req.text,
            TextOptions {
                title: req.title,
                lang_hint: hint,
            },
        );
        let t_text = t0.elapsed();
        stop(sink(Event::Checkpoint))?;
        let language = doc.lang.code();
        stop(sink(Event::Language(language)))?;

        // Topics first: cheap, and routers often need only them.
        let t1 = Instant::now();
        let mut topics = Vec::new();
        if req.parts.topics {
            for (label, score) in self.topics.predict(&doc) {
                if topics.len() >= req.topics.top_k.max(1) {
                    break;
                }
                // The best topic is always kept; the rest must clear the bar.
                if !topics.is_empty() && score < req.topics.min_score {
                    break;
                }
                topics.push(TopicOut {
                    label: label.name(),
                    score,
                    iptc_code: label.iptc_code(),
                    iptc_name: label.iptc_name(),
                });
            }
            for t in &topics {
                stop(sink(Event::Topic(t)))?;
            }
        }
        let t_topics = t1.elapsed();

        // Entities are needed by the summary even when not returned.
        let t2 = Instant::now();
        let ents = if req.parts.summary || req.parts.entities {
            ner::extract(&doc, &self.ner)
        } else {
            ner::Entities::default()
        };
        let t_entities = t2.elapsed();
        stop(sink(Event::Checkpoint))?;

        let t3 = Instant::now();
        let mut summary = Vec::new();
        if req.parts.summary {
            let mut cancelled = false;
            let mut emitted = Vec::new();
            let mut emit = |c: &summarize::Chosen| {
                let out = sentence_out(&doc, &ents, c, req.parts.entities);
                let flow = sink(Event::Sentence(&out));
                if flow.is_break() {
                    cancelled = true;
                }
                emitted.push(out);
                flow
            };
            let chosen = summarize::summarize(&doc, &ents, &self.summary, &req.length, &mut emit);
            if cancelled {
                return Err(AnalyzeError::Cancelled);
            }
            // `chosen` is the emitted sentences in document order (the
            // selection returns each one as it emitted it, then sorts by
            // sentence), so the outputs built for the stream are reused,
            // sorted the same way, instead of being built a second time
            // (a String and two Vecs per sentence); rebuilt if that ever
            // stops holding.
            emitted.sort_by_key(|o: &SentenceOut| o.index);
            let same = emitted.len() == chosen.len()
                && emitted
                    .iter()
                    .zip(&chosen)
                    .all(|(o, c)| o.index as usize == c.sentence && o.score == c.score);
            summary = if same {
                emitted
            } else {
                chosen
                    .iter()
                    .map(|c| sentence_out(&doc, &ents, c, req.parts.entities))
                    .collect()
            };
        }
        let t_summary = t3.elapsed();

        let mut entities = Vec::new();
        if req.parts.entities {
            entities = ents
                .entities
                .iter()
                .map(|e| EntityOut {
                    text: e.text.clone(),
                    etype: e.etype.into(),
                    salience: e.salience,
                    mentions: e
                        .mentions
                        .iter()
                        .filter_map(|&m| ents.mentions.get(m))
                        .map(|m| MentionOut {
                            start: m.span.cstart,
                            end: m.span.cend,
                            text: m.span.slice(req.text).to_string(),
                        })
                        .collect(),
                })
                .collect();
            for e in &entities {
                stop(sink(Event::Entity(e)))?;
            }
        }

        let title = doc
            .sentences
            .iter()
            .enumerate()
            .find(|(_, s)| s.role == Role::Title)
            .map(|(i, s)| SentenceOut {
                text: doc.sentence_text(s).to_string(),
                index: i as u32,
                score: 0.0,
                start: s.span.cstart,
                end: s.span.cend,
                entity_indices: Vec::new(),
                entity_texts: Vec::new(),
            });

        let stats = Stats {
            chars: req.text.chars().count() as u32,
            bytes: req.text.len() as u32,
            tokens: doc.tokens.len() as u32,
            sentences: doc.sentences.len() as u32,
            body_sentences: doc
                .sentences
                .iter()
                .filter(|s| s.role == Role::Body)
                .count() as u32,
            language_confidence: doc.lang_confidence,
            language_from_hint: doc.lang_from_hint,
            text_us: t_text.as_micros() as u64,
            entities_us: t_entities.as_micros() as u64,
            summary_us: t_summary.as_micros() as u64,
            topics_us: t_topics.as_micros() as u64,
            total_us: t0.elapsed().as_micros() as u64,
            queue_us: 0,
        };
        // The next analysis on this worker reuses the document's buffers.
        doc.recycle();
        Ok(Analysis {
            id: req.id.to_string(),
            language,
            title,
            summary,
            topics,
            entities,
            stats,
        })
    }

    /// Analyse without streaming or cancellation.
    pub fn analyze_all(&self, req: &Request<'_>) -> Result<Analysis, AnalyzeError> {
        self.analyze(req, &mut |_| ControlFlow::Continue(()))
    }
}

/// Turn a sink's answer into the pipeline's early exit.
fn stop(flow: ControlFlow<()>) -> Result<(), AnalyzeError> {
    match flow {
        ControlFlow::Break(()) => Err(AnalyzeError::Cancelled),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn sentence_out(
    doc: &text::Document<'_>,
    ents: &ner::Entities,
    c: &summarize::Chosen,
    with_indices: bool,
) -> SentenceOut {
    let s = doc.sentences.get(c.sentence);
    let (text, start, end) = match s {
        Some(s) => (doc.sentence_text(s).to_string(), s.span.cstart, s.span.cend),
        None => (String::new(), 0, 0),
    };
    SentenceOut {
        text,
        index: c.sentence as u32,
        score: c.score,
        start,
        end,
        entity_indices: if with_indices {
            c.entities.iter().map(|&e| e as u32).collect()
        } else {
            Vec::new()
        },
        entity_texts: c
            .entities
            .iter()
            .filter_map(|&e| ents.entities.get(e))
            .map(|e| e.text.clone())
            .collect(),
    }
}

/// True when `text` holds nothing but whitespace, zero-width characters and
/// bidi controls (the API treats those as blank).
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary of the result is the streamed sentences in document
    /// order (the pipeline reuses the streamed outputs), with and without
    /// entity indices.
    #[test]
    fn summary_is_the_streamed_sentences_in_document_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let an = Analyzer::load(&dir, Limits::default()).expect("models load");
        let mut text = String::from("الحكومة تعلن خطة جديدة للتعليم\n");
        for i in 0..12 {
            text.push_str(&format!(
                "قال وزير التعليم محمد العلمي في الرباط إن الخطة رقم {i} تشمل المدارس في فاس وطنجة. "
            ));
            text.push_str("وأضاف أن البرلمان سيناقشها الأسبوع المقبل مع النقابات.\n");
        }
        for entities in [true, false] {
            let mut req = Request::new("t", &text);
            req.parts.entities = entities;
            let mut streamed = Vec::new();
            let a = an
                .analyze(&req, &mut |e| {
                    if let Event::Sentence(s) = e {
                        streamed.push(s.clone());
                    }
                    ControlFlow::Continue(())
                })
                .expect("analysis");
            assert!(a.summary.len() >= 2, "{:?}", a.summary);
            assert!(a.summary.windows(2).all(|w| w[0].index < w[1].index));
            streamed.sort_by_key(|s| s.index);
            assert_eq!(a.summary, streamed);
            assert_eq!(
                a.summary.iter().any(|s| !s.entity_indices.is_empty()),
                entities
            );
        }
    }

    #[test]
    fn blank_detection() {
        assert!(is_blank(""));
        assert!(is_blank(" \n\t\u{200B}\u{202E}\u{2067}\u{FEFF}\u{3000}"));
        assert!(!is_blank(" a "));
        assert!(!is_blank("\u{200B}م"));
    }
}
