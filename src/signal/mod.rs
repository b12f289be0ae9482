//! Pure DSP over `&[f32]` plus a sample rate: streaming accumulators, no I/O.
//!
//! Feed a channel block by block with [`ChannelAnalyzer::push`], then read everything with
//! [`ChannelAnalyzer::finish`]; a two-hour file never has to sit in memory.

pub mod activity;
pub mod background;
pub mod crosstalk;
pub mod dropouts;
pub mod features;
pub mod levels;
pub mod neural_vad;
pub mod noise;
pub mod spectrum;
pub mod stft;
pub mod vad;

use crate::model::{ChannelMeasures, PlotData};

/// Every measurement of one channel, fed in blocks at the channel's native rate.
pub struct ChannelAnalyzer {
    index: usize,
    levels: levels::LevelMeter,
    spectrum: spectrum::SpectrumAnalyzer,
    activity: activity::ActivityAnalyzer,
}

impl ChannelAnalyzer {
    /// `index` is the channel number (0-based); `sample_rate_hz` its native rate.
    pub fn new(index: usize, sample_rate_hz: u32) -> Self {
        Self {
            index,
            levels: levels::LevelMeter::new(sample_rate_hz),
            spectrum: spectrum::SpectrumAnalyzer::new(sample_rate_hz),
            activity: activity::ActivityAnalyzer::new(sample_rate_hz),
        }
    }

    /// A channel whose speech frames come from Silero VAD (`model`): feed the channel at 16 kHz
    /// too, with [`push_16k`](Self::push_16k).
    pub fn with_neural_vad(
        index: usize,
        sample_rate_hz: u32,
        model: &neural_vad::SileroModel,
    ) -> Self {
        Self {
            activity: activity::ActivityAnalyzer::with_neural(sample_rate_hz, model),
            ..Self::new(index, sample_rate_hz)
        }
    }

    /// Feeds the next block resampled to 16 kHz (the neural VAD's input; ignored without it).
    pub fn push_16k(&mut self, samples: &[f32]) {
        self.activity.push_16k(samples);
    }

    /// Feeds the next block of samples (full scale = 1.0).
    pub fn push(&mut self, samples: &[f32]) {
        self.levels.push(samples);
        self.spectrum.push(samples);
        self.activity.push(samples);
    }

    /// The channel's measurements and the data for its plots.
    pub fn finish(self) -> (ChannelMeasures, PlotData) {
        let levels = self.levels.finish();
        let spectrum = self.spectrum.finish();
        let activity = self.activity.finish(spectrum.hum_hz.is_some());
        let measures = ChannelMeasures {
            index: self.index,
            peak_dbfs: levels.peak_dbfs,
            rms_dbfs: levels.rms_dbfs,
            dc_offset: levels.dc_offset,
            clipping_fraction: levels.clipping_fraction,
            clipped_runs: levels.clipped_runs,
            loudness_lufs: levels.loudness_lufs,
            bandwidth_hz: spectrum.bandwidth_hz,
            spectral_flatness: activity.noise_flatness,
            speech_fraction: activity.speech_fraction,
            active_level_dbfs: activity.active_level_dbfs,
            noise_floor_dbfs: activity.noise_floor_dbfs,
            snr_db: activity.snr_db,
            hum_hz: spectrum.hum_hz,
            hum_level_db: spectrum.hum_level_db,
            noise_label: activity.noise_label,
            dropouts: activity.dropouts,
            background_voices: activity.background_voices,
            speech_regions: activity.speech_regions,
            neural_vad: activity.neural,
        };
        let plots = PlotData {
            spectrogram: spectrum.spectrogram,
            noise_spectrum: spectrum.noise_spectrum,
        };
        (measures, plots)
    }
}
