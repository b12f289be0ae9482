//! What was said in a recording or a pasted text: produced by transcription or parsing, read by the text rules and reports.

use serde::{Deserialize, Serialize};

/// A word with its timing, as whisper reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub start_s: f64,
    pub end_s: f64,
    /// Model confidence, 0..1.
    pub p: f32,
}

/// One stretch of speech by one speaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// "agent", "customer", or a name from a pasted transcript; null when unknown.
    #[serde(default)]
    pub speaker: Option<String>,
    /// Start in seconds from the start of the recording; null for pasted text without timing.
    #[serde(default)]
    pub start_s: Option<f64>,
    #[serde(default)]
    pub end_s: Option<f64>,
    pub text: String,
    #[serde(default)]
    pub words: Vec<Word>,
}

/// What was said in a recording or a pasted text, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// ISO 639-1 code (en, ru, es ...), when known.
    #[serde(default)]
    pub language: Option<String>,
    /// Probability of the detected language, 0..1.
    #[serde(default)]
    pub language_probability: Option<f32>,
    pub segments: Vec<Segment>,
}
