//! The plain data every stage reads and writes: recordings, findings, transcripts, conversation
//! figures, verdicts and speaker roles. It imports nothing of the crate; every stage depends on it
//! and never on another stage's types.

mod conversation;
mod finding;
mod recording;
mod role;
mod transcript;
mod verdict;

pub use conversation::{
    ConversationMetrics, Interruption, OverlapMetrics, SilenceMetrics, SpeakerMetrics,
};
pub use finding::{Finding, FindingKind, Severity, TimeRange, CROSS_VENDOR};
pub use recording::{
    BackgroundVoices, Bleed, ChannelMeasures, InputError, PlotData, Provenance, Recording, Report,
    Skipped, Spectrogram, SpectrumPoint, VendorSummary, SCHEMA,
};
pub use role::Role;
pub use transcript::{Segment, Transcript, Word, LOW_CONFIDENCE_P};
pub use verdict::{Level, Verdict};
