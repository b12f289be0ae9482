//! Call-analytics figures of one recording (talk time, pace, silences, overlaps, interruptions) as plain data.

use serde::{Deserialize, Serialize};

/// What one speaker contributed to the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerMetrics {
    pub speaker: String,
    /// Time this speaker talks (union of their segments), seconds.
    pub talk_time_s: f64,
    /// Share (0..1) of all speakers' talk time.
    pub talk_ratio: f64,
    pub words: usize,
    /// Words per minute of own talk time; null when the talk time is zero.
    pub words_per_minute: Option<f64>,
    /// Longest uninterrupted turn, seconds.
    pub longest_monologue_s: f64,
}

/// Stretches in which nobody talks for at least the conversation stage's minimum silence (2 s).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SilenceMetrics {
    pub count: usize,
    pub longest_s: f64,
    pub total_s: f64,
    /// Total silence as a percentage (0..100) of the call duration.
    pub percent_of_call: f64,
}

/// Simultaneous speech of two speakers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OverlapMetrics {
    pub count: usize,
    pub total_s: f64,
}

/// A speaker starting while another talks and keeping the floor after the other stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    /// Who started talking.
    pub by: String,
    /// Who was talking.
    pub of: String,
    pub count: usize,
}

/// The conversation figures of one recording (`report.json` → `conversation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationMetrics {
    pub duration_s: f64,
    pub speakers: Vec<SpeakerMetrics>,
    pub silence: SilenceMetrics,
    pub overlaps: OverlapMetrics,
    pub interruptions: Vec<Interruption>,
    /// Median gap from one speaker's end to the next speaker's start, seconds (negative = overlap);
    /// null with fewer than one speaker change.
    pub median_response_gap_s: Option<f64>,
    pub speaker_changes: usize,
}
