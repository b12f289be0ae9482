//! The decode + measure path on bytes held in memory: what the cargo-fuzz target and the
//! no-panic test drive. Every input must give measures or a [`DecodeError`], never a panic.

use super::{AudioStream, DecodeError, Resampler16k};
use crate::model::ChannelMeasures;
use crate::signal::ChannelAnalyzer;

/// Decodes `bytes` (`extension` without dot is a hint only), runs every per-channel
/// measurement and the 16 kHz resampler over channel 0, and returns the measures.
pub fn decode_and_measure(
    bytes: Vec<u8>,
    extension: Option<&str>,
) -> Result<Vec<ChannelMeasures>, DecodeError> {
    let mut stream = AudioStream::from_bytes(bytes, extension)?;
    let info = stream.info().clone();
    let mut analyzers: Vec<ChannelAnalyzer> = (0..info.channels)
        .map(|index| ChannelAnalyzer::new(index, info.sample_rate_hz))
        .collect();
    let mut resampler = Resampler16k::new(info.sample_rate_hz);
    while let Some(block) = stream.next_block()? {
        for (analyzer, samples) in analyzers.iter_mut().zip(&block) {
            analyzer.push(samples);
        }
        resampler.process(&block[0]);
    }
    resampler.finish();
    Ok(analyzers
        .into_iter()
        .map(|analyzer| analyzer.finish().0)
        .collect())
}
