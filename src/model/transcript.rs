//! What was said in a recording or a pasted text: produced by transcription or parsing, read by the text rules and reports.

use serde::{Deserialize, Serialize};

/// Word probability (whisper's `p`) below which a word counts as low-confidence: text findings
/// resting on such words say "may be misheard" and count for less.
pub const LOW_CONFIDENCE_P: f32 = 0.5;

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
    /// Share (0..1) of the recognised words below [`LOW_CONFIDENCE_P`]; null without word timing
    /// (pasted transcripts) or without words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_confidence_share: Option<f64>,
}

impl Transcript {
    /// Share (0..1) of the words below [`LOW_CONFIDENCE_P`]; `None` when there are no timed words.
    pub fn measure_low_confidence_share(&self) -> Option<f64> {
        let words = self.segments.iter().flat_map(|s| &s.words);
        let (low, all) = words.fold((0usize, 0usize), |(low, all), w| {
            (low + usize::from(w.p < LOW_CONFIDENCE_P), all + 1)
        });
        (all > 0).then(|| low as f64 / all as f64)
    }
}
