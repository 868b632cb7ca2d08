//! nutgraf: entity-dense extractive summaries, IPTC topics and named
//! entities for Arabic, French and English news, served over gRPC.
//!
//! Layering (one direction only):
//! `server → pipeline → {summarize, classify} → ner → text`.
//! Everything below `server` is plain synchronous Rust without tokio/tonic.
//! The transport modules (`config`, `proto`, `server`, `telemetry`) sit
//! behind the default `server` feature, so the core builds without them
//! (the fuzz crate does: a much smaller instrumented build).
#![forbid(unsafe_code)]

pub mod classify;
#[cfg(feature = "server")]
pub mod config;
pub mod hash;
pub mod huge;
pub mod model_file;
pub mod ner;
pub mod pipeline;
#[cfg(feature = "server")]
pub mod proto;
#[cfg(feature = "server")]
pub mod server;
pub mod summarize;
#[cfg(feature = "server")]
pub mod telemetry;
pub mod text;
