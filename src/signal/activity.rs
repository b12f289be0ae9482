//! One channel's voice activity and what it makes measurable: speech level, noise floor, SNR, noise
//! label, dropouts and background voices. Runs the detector ([`vad`](super::vad)) and hands its
//! outcome to the measurements that read it, so that none of them calls back into the detector.

use crate::dsp::db;
use crate::model::{BackgroundVoices, TimeRange};

use super::background;
use super::dropouts;
use super::features::FrameExtractor;
use super::noise;
use super::vad::{detect, to_time_ranges};

/// What the voice activity analysis of one channel found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityStats {
    /// Fraction (0..1) of frames inside speech regions.
    pub speech_fraction: f64,
    /// Speech regions of the channel's own speaker, seconds, with hangover.
    pub speech_regions: Vec<TimeRange>,
    /// Active speech level (speech frames, noise removed), dBFS.
    pub active_level_dbfs: Option<f64>,
    /// Mean noise power outside speech, dBFS.
    pub noise_floor_dbfs: Option<f64>,
    /// Active level minus noise floor, dB.
    pub snr_db: Option<f64>,
    /// Spectral flatness (0..1) of the non-speech frames.
    pub noise_flatness: Option<f64>,
    /// none, hum, hiss, broadband or babble.
    pub noise_label: String,
    /// Digital silence or sudden gaps inside speech, seconds.
    pub dropouts: Vec<TimeRange>,
    pub background_voices: BackgroundVoices,
}

/// Streaming voice activity analyser: keeps 16 bytes per 10 ms frame, decides at the end.
pub struct ActivityAnalyzer {
    extractor: FrameExtractor,
}

impl ActivityAnalyzer {
    pub fn new(sample_rate_hz: u32) -> Self {
        Self {
            extractor: FrameExtractor::new(sample_rate_hz),
        }
    }

    /// Feeds the next block of samples (full scale = 1.0).
    pub fn push(&mut self, samples: &[f32]) {
        self.extractor.push(samples);
    }

    /// `hum_detected` comes from the spectral analysis and decides the `hum` noise label.
    pub fn finish(self, hum_detected: bool) -> ActivityStats {
        let frames = self.extractor.finish();
        let activity = detect(&frames);
        let levels = noise::measure(&frames, &activity);
        let label = noise::label(&levels, hum_detected);
        let speech_frames: usize = activity.regions.iter().map(|&(a, b)| b - a).sum();
        ActivityStats {
            speech_fraction: speech_frames as f64 / frames.len().max(1) as f64,
            speech_regions: to_time_ranges(&activity.regions),
            active_level_dbfs: levels.active_power.map(db::power_db),
            noise_floor_dbfs: levels.noise_power.map(db::power_db),
            snr_db: levels.snr_db(),
            noise_flatness: levels.flatness,
            noise_label: label.into(),
            dropouts: to_time_ranges(&dropouts::find(&frames, &activity, &levels)),
            background_voices: background::assess(&frames, &activity),
        }
    }
}

#[cfg(test)]
mod tests;
