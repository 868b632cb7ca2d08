//! nutgraf: entity-dense extractive summaries, IPTC topics and named
//! entities for Arabic, French and English news, served over gRPC.
//!
//! Layering (one direction only):
//! `server → pipeline → {summarize, classify} → ner → text`.
//! Everything below `server` is plain synchronous Rust without tokio/tonic.
#![forbid(unsafe_code)]

pub mod classify;
pub mod config;
pub mod model_file;
pub mod ner;
pub mod pipeline;
pub mod proto;
pub mod server;
pub mod summarize;
pub mod telemetry;
pub mod text;
