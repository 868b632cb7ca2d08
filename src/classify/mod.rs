//! Topic classifier: IPTC Media Topics over hashed features with a linear
//! model and temperature calibration.
//!
//! INTERFACE (used by `pipeline`, `server`): keep these names.

use crate::model_file::ModelError;
use crate::text::{Document, Lang};
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

/// The trained topic model.
#[derive(Debug)]
pub struct TopicModel {
    sha256: String,
}

impl TopicModel {
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = crate::model_file::read_file(path)?;
        Self::from_bytes(&bytes)
    }
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let _ = crate::model_file::decode(bytes, b"TOP1", 1)?;
        Ok(TopicModel {
            sha256: crate::model_file::sha256_hex(bytes),
        })
    }
    pub fn version(&self) -> &str {
        "stub"
    }
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    /// Labels the model was trained to predict for a language (empty for `Und`).
    pub fn labels_for(&self, _lang: Lang) -> Vec<TopicLabel> {
        Vec::new()
    }
    /// Calibrated probabilities over the labels supported for `doc.lang`,
    /// sorted by score descending. Empty when there is no usable text.
    pub fn predict(&self, _doc: &Document<'_>) -> Vec<(TopicLabel, f32)> {
        Vec::new()
    }
}
