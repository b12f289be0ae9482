//! The one result type per recording that flows through the pipeline: each stage fills its fields, reports only read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConversationMetrics, Finding, TimeRange, Transcript, Verdict};

/// The version tag of the JSON contract written by every output.
pub const SCHEMA: &str = "callqa/1";

/// Other talkers heard under or between the main speaker of a channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackgroundVoices {
    pub detected: bool,
    /// Level of the background talkers relative to the foreground speech, in dB (positive = quieter).
    pub level_db_below_foreground: Option<f64>,
    pub time_ranges: Vec<TimeRange>,
}

/// The measurements of one audio channel at its native sample rate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelMeasures {
    pub index: usize,
    /// Highest absolute sample, dBFS (0 dBFS = full scale); null for digital silence.
    pub peak_dbfs: Option<f64>,
    /// Root mean square over the whole channel, dBFS (a full-scale sine reads -3 dBFS).
    pub rms_dbfs: Option<f64>,
    /// Mean sample value, as a fraction of full scale.
    pub dc_offset: f64,
    /// Fraction (0..1) of samples in clipped runs at or near full scale.
    pub clipping_fraction: f64,
    /// Runs of clipped samples, merged when close together.
    pub clipped_runs: Vec<TimeRange>,
    /// Integrated loudness, LUFS (EBU R128); null when the channel is too short or silent.
    pub loudness_lufs: Option<f64>,
    /// Highest frequency with meaningful energy, Hz (a telephone channel reads 3400-4000).
    pub bandwidth_hz: Option<f64>,
    /// Spectral flatness (0 = tonal, 1 = white noise) of the non-speech frames.
    pub spectral_flatness: Option<f64>,
    /// Fraction (0..1) of the channel's frames that carry speech.
    pub speech_fraction: f64,
    /// Mean power of the speech frames, dBFS.
    pub active_level_dbfs: Option<f64>,
    /// Mean power of the non-speech frames, dBFS.
    pub noise_floor_dbfs: Option<f64>,
    /// Active speech level minus noise floor, dB; null when there is no speech or no measurable noise.
    pub snr_db: Option<f64>,
    /// Mains hum fundamental, Hz: 50, 60 or null.
    pub hum_hz: Option<u32>,
    /// Hum level relative to the noise around it, dB.
    pub hum_level_db: Option<f64>,
    /// none, hum, hiss, broadband or babble.
    pub noise_label: String,
    /// Digital silence or sudden gaps inside speech.
    pub dropouts: Vec<TimeRange>,
    pub background_voices: BackgroundVoices,
    /// Speech regions found by the voice activity detector.
    pub speech_regions: Vec<TimeRange>,
    /// Whether Silero VAD decided the speech frames (not written: the recording's `vad` says it).
    #[serde(skip)]
    pub neural_vad: bool,
}

/// How much of one channel leaks into another while only the first one talks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bleed {
    pub from_channel: usize,
    pub to_channel: usize,
    /// Leak level relative to the source, dB (e.g. -25); -inf is written as null.
    pub level_db: Option<f64>,
}

/// A coarse magnitude spectrogram for the report's thumbnail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spectrogram {
    /// Seconds between columns.
    pub time_step_s: f64,
    /// Hz between rows, starting at 0 Hz.
    pub freq_step_hz: f64,
    /// Power in dBFS, one inner vector per time column (low to high frequency).
    pub columns_db: Vec<Vec<f32>>,
}

/// A point of the long-term noise spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpectrumPoint {
    pub hz: f64,
    /// Power spectral density, dBFS per Hz (white noise plots flat).
    pub dbfs: f64,
}

/// Data kept only to draw the report's plots (first channel, or the mix).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlotData {
    pub spectrogram: Option<Spectrogram>,
    pub noise_spectrum: Vec<SpectrumPoint>,
}

/// Everything callqa learned about one recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub path: String,
    #[serde(default)]
    pub vendor: Option<String>,
    pub duration_s: f64,
    pub sample_rate_hz: u32,
    pub codec: String,
    #[serde(default)]
    pub bits_per_sample: Option<u32>,
    pub channels: Vec<ChannelMeasures>,
    pub bleed: Vec<Bleed>,
    pub findings: Vec<Finding>,
    /// Seconds of audio the header announced but the file does not hold (a truncated file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_s: Option<f64>,
    /// Decoder complaints that did not stop the analysis (a corrupt packet skipped ...).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Which voice activity detector decided the speech frames: `silero` (Silero VAD on every
    /// channel) or `energy` (the sub-band energy detector: no Silero model, or it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vad: Option<String>,
    #[serde(default)]
    pub transcript: Option<Transcript>,
    /// Talk time, pace, silences, overlaps and response gaps (needs a timed transcript).
    #[serde(default)]
    pub conversation: Option<ConversationMetrics>,
    #[serde(default)]
    pub verdict: Option<Verdict>,
    #[serde(default)]
    pub plots: PlotData,
}

/// An input that could not be analysed, with a message a user understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// A file found under the inputs that is not audio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The whole `callqa/1` report of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub recordings: Vec<Recording>,
    pub errors: Vec<InputError>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    #[serde(default)]
    pub vendors: Vec<VendorSummary>,
    /// How this report was made (date, version, model, options); absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// How a report was made, so a reader can tell what produced each verdict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// When the analysis finished, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created_utc: String,
    pub callqa_version: String,
    /// The command line as given (`callqa analyze samples --out report`).
    pub command_line: Vec<String>,
    /// The folder the command ran in: recording paths that are relative are relative to it.
    pub working_dir: Option<String>,
    /// The Whisper model file; null when nothing was transcribed.
    pub model: Option<String>,
    /// The Silero VAD model file; absent when the energy VAD ran (each recording's `vad` says
    /// which detector decided its speech frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vad_model: Option<String>,
    /// `--lang`: a language code, or null for detection per recording.
    pub language: Option<String>,
    pub facts_file: Option<String>,
    pub rules_files: Vec<String>,
    /// `--config FILE`; null when the built-in thresholds and verdict rules were used.
    pub config_file: Option<String>,
    /// The thresholds in force (name -> value, units in the name: `_db`, `_dbfs`, `_hz` ...).
    pub thresholds: BTreeMap<String, serde_json::Value>,
    /// The verdict rules in force (`min_severity`, `yellow_flags` ...).
    pub verdict_rules: BTreeMap<String, serde_json::Value>,
}

/// One vendor's scorecard: its verdict over all its recordings and how often each flag came up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorSummary {
    pub name: String,
    pub verdict: Verdict,
    /// Number of recordings analysed for this vendor.
    pub recordings: usize,
    /// Total duration of those recordings, minutes.
    pub total_minutes: f64,
    /// Per flag, the number of this vendor's recordings that raised it.
    pub flag_counts: BTreeMap<String, usize>,
}
