//! The one place where proto types and pipeline types meet, and where
//! pipeline errors become gRPC statuses.

use super::metrics::code_name;
use crate::pipeline::{
    Analysis, AnalyzeError, EntityKind, EntityOut, Parts, Request, SentenceOut, TopicOptions,
    TopicOut,
};
use crate::proto::v1 as pb;
use crate::summarize::Length;
use tonic::{Code, Status};

/// Build a pipeline request borrowing from the proto request.
/// Unknown `parts` values are rejected so a typo is not silently "all".
pub fn request(req: &pb::AnalyzeRequest) -> Result<Request<'_>, AnalyzeErrorOrStatus> {
    let opts = req.summary.unwrap_or_default();
    let parts = if req.parts.is_empty() {
        Parts::ALL
    } else {
        let mut p = Parts {
            summary: false,
            topics: false,
            entities: false,
        };
        for &v in &req.parts {
            match pb::Part::try_from(v) {
                Ok(pb::Part::Summary) => p.summary = true,
                Ok(pb::Part::Topics) => p.topics = true,
                Ok(pb::Part::Entities) => p.entities = true,
                _ => {
                    return Err(AnalyzeErrorOrStatus::Status(Status::invalid_argument(format!(
                        "parts: unknown value {v}; use PART_SUMMARY, PART_TOPICS or PART_ENTITIES (or none for all)"
                    ))))
                }
            }
        }
        p
    };
    let topic_opts = req.topics.unwrap_or_default();
    let defaults = TopicOptions::default();
    Ok(Request {
        id: &req.id,
        text: &req.text,
        title: req.title.as_deref(),
        language: &req.language,
        length: Length {
            max_sentences: (opts.max_sentences > 0).then_some(opts.max_sentences),
            max_words: (opts.max_words > 0).then_some(opts.max_words),
            ratio: (opts.ratio != 0.0).then_some(opts.ratio),
        },
        parts,
        topics: TopicOptions {
            top_k: if topic_opts.top_k == 0 {
                defaults.top_k
            } else {
                topic_opts.top_k as usize
            },
            min_score: if topic_opts.min_score == 0.0 {
                defaults.min_score
            } else {
                topic_opts.min_score
            },
        },
    })
}

/// A request problem found either by the proto layer or by the pipeline.
#[derive(Debug)]
pub enum AnalyzeErrorOrStatus {
    Analyze(AnalyzeError),
    Status(Status),
}

impl From<AnalyzeError> for AnalyzeErrorOrStatus {
    fn from(e: AnalyzeError) -> Self {
        AnalyzeErrorOrStatus::Analyze(e)
    }
}

impl From<AnalyzeErrorOrStatus> for Status {
    fn from(e: AnalyzeErrorOrStatus) -> Self {
        match e {
            AnalyzeErrorOrStatus::Analyze(e) => status(&e),
            AnalyzeErrorOrStatus::Status(s) => s,
        }
    }
}

/// Map a pipeline error to its gRPC status.
pub fn status(e: &AnalyzeError) -> Status {
    let code = match e {
        AnalyzeError::EmptyText
        | AnalyzeError::UnknownLanguage(_)
        | AnalyzeError::InvalidRatio(_)
        | AnalyzeError::InvalidMinScore(_)
        | AnalyzeError::IdTooLong { .. }
        | AnalyzeError::TitleTooLarge { .. } => Code::InvalidArgument,
        AnalyzeError::TextTooLarge { .. } => Code::InvalidArgument,
        AnalyzeError::Cancelled => Code::Cancelled,
    };
    Status::new(code, e.to_string())
}

/// A per-item error for batch responses.
pub fn item_error(id: &str, s: &Status) -> pb::AnalyzeResponse {
    pb::AnalyzeResponse {
        id: id.to_string(),
        error: Some(pb::Error {
            code: s.code() as i32,
            status: code_name(s.code()).to_string(),
            message: s.message().to_string(),
        }),
        ..Default::default()
    }
}

pub fn sentence(s: &SentenceOut) -> pb::Sentence {
    pb::Sentence {
        text: s.text.clone(),
        index: s.index,
        score: s.score,
        start: s.start,
        end: s.end,
        entity_indices: s.entity_indices.clone(),
        entity_texts: s.entity_texts.clone(),
    }
}

pub fn topic(t: &TopicOut) -> pb::Topic {
    pb::Topic {
        label: t.label.to_string(),
        score: t.score,
        iptc_code: t.iptc_code.to_string(),
        iptc_name: t.iptc_name.to_string(),
    }
}

pub fn entity(e: &EntityOut) -> pb::Entity {
    pb::Entity {
        text: e.text.clone(),
        r#type: match e.etype {
            EntityKind::Person => pb::EntityType::Person,
            EntityKind::Location => pb::EntityType::Location,
            EntityKind::Organization => pb::EntityType::Organization,
            EntityKind::Misc => pb::EntityType::Misc,
        } as i32,
        salience: e.salience,
        mentions: e
            .mentions
            .iter()
            .map(|m| pb::Mention {
                start: m.start,
                end: m.end,
                text: m.text.clone(),
            })
            .collect(),
    }
}

pub fn response(a: &Analysis) -> pb::AnalyzeResponse {
    let s = &a.stats;
    pb::AnalyzeResponse {
        id: a.id.clone(),
        language: a.language.to_string(),
        summary: Some(pb::Summary {
            sentences: a.summary.iter().map(sentence).collect(),
        }),
        topics: a.topics.iter().map(topic).collect(),
        entities: a.entities.iter().map(entity).collect(),
        error: None,
        stats: Some(pb::Stats {
            chars: s.chars,
            bytes: s.bytes,
            tokens: s.tokens,
            sentences: s.sentences,
            body_sentences: s.body_sentences,
            language_confidence: s.language_confidence,
            language_from_hint: s.language_from_hint,
            text_us: s.text_us,
            entities_us: s.entities_us,
            summary_us: s.summary_us,
            topics_us: s.topics_us,
            total_us: s.total_us,
            queue_us: s.queue_us,
        }),
        title: a.title.as_ref().map(sentence),
    }
}
