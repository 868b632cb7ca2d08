//! Named entities: a trained averaged-perceptron BIO tagger and the merging
//! of mentions into document-level entities with a salience.
//!
//! INTERFACE (used by `pipeline`, `summarize`, `server`): keep these names.

use crate::model_file::ModelError;
use crate::text::{Document, Span};
use std::ops::Range;
use std::path::Path;

/// Entity types of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Person,
    Location,
    Organization,
    Misc,
}

/// One occurrence of an entity in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    /// Span in the original text (proclitics like و/ب/ل excluded).
    pub span: Span,
    /// Index into `Document::sentences`.
    pub sentence: usize,
    /// Index range into `Document::tokens`.
    pub tokens: Range<usize>,
    pub etype: EntityType,
    /// Index into [`Entities::entities`].
    pub entity: usize,
}

/// A document-level entity: merged mentions.
#[derive(Clone, Debug, PartialEq)]
pub struct DocEntity {
    /// Canonical surface form (the longest / most complete mention).
    pub text: String,
    pub etype: EntityType,
    /// Salience in [0,1].
    pub salience: f32,
    /// Indices into [`Entities::mentions`], in document order.
    pub mentions: Vec<usize>,
}

/// All entities of a document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entities {
    /// Every mention, in document order.
    pub mentions: Vec<Mention>,
    /// Entities sorted by salience, descending.
    pub entities: Vec<DocEntity>,
}

/// The trained tagger.
#[derive(Debug)]
pub struct NerModel {
    sha256: String,
}

impl NerModel {
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = crate::model_file::read_file(path)?;
        Self::from_bytes(&bytes)
    }
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let _ = crate::model_file::decode(bytes, b"NER1", 1)?;
        Ok(NerModel {
            sha256: crate::model_file::sha256_hex(bytes),
        })
    }
    /// Model version string for GetModelInfo.
    pub fn version(&self) -> &str {
        "stub"
    }
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// Tag every non-boilerplate sentence and merge mentions into entities.
pub fn extract(_doc: &Document<'_>, _model: &NerModel) -> Entities {
    Entities::default()
}
