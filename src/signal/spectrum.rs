//! Spectral figures of one channel: effective bandwidth, mains hum, long-term noise spectrum, spectrogram.

use crate::recording::{Spectrogram, SpectrumPoint};

/// The spectral figures of one channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpectrumStats {
    pub bandwidth_hz: Option<f64>,
    pub hum_hz: Option<u32>,
    pub hum_level_db: Option<f64>,
    pub noise_spectrum: Vec<SpectrumPoint>,
    pub spectrogram: Option<Spectrogram>,
}

/// Streaming spectral analyser.
pub struct SpectrumAnalyzer {
    sample_rate_hz: u32,
}

impl SpectrumAnalyzer {
    pub fn new(sample_rate_hz: u32) -> Self {
        Self { sample_rate_hz }
    }

    pub fn push(&mut self, samples: &[f32]) {
        let _ = (samples, self.sample_rate_hz);
    }

    pub fn finish(self) -> SpectrumStats {
        SpectrumStats::default()
    }
}
