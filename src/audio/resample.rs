//! Streaming conversion of one channel to 16 kHz, the rate of the speech recogniser.
//!
//! Uses rubato's synchronous FFT resampler (band-limited: the anti-aliasing low-pass sits just
//! under the lower of the two Nyquist frequencies). Output is aligned with the input (the
//! resampler's delay is dropped) and, after `finish`, holds `round(input_len * 16000 / rate)`
//! samples. 16 kHz input passes through unchanged.

use rubato::{FftFixedInOut, Resampler};

/// The analysis and ASR sample rate, Hz.
pub const TARGET_RATE_HZ: u32 = 16_000;

/// Input frames per FFT chunk asked of rubato (it rounds up to a multiple of the rate ratio).
const CHUNK_FRAMES: usize = 1024;

/// Largest magnitude a sample may have, full scale = 1.0 (+30 dB over full scale). Float audio
/// may exceed 1.0; beyond this it is damaged data, and it would overflow the FFTs.
pub const MAX_SAMPLE_MAGNITUDE: f32 = 32.0;

/// A usable sample: NaN and infinities become 0, absurd magnitudes are clamped.
pub fn sanitize_sample(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-MAX_SAMPLE_MAGNITUDE, MAX_SAMPLE_MAGNITUDE)
    } else {
        0.0
    }
}

/// Resamples one channel to 16 kHz chunk by chunk.
pub struct Resampler16k {
    source_rate_hz: u32,
    /// `None` when the source is already at 16 kHz.
    inner: Option<FftFixedInOut<f32>>,
    /// Input not yet processed (less than one chunk after each `process`).
    pending: Vec<f32>,
    output: Vec<Vec<f32>>,
    /// Leading output samples still to drop (the resampler's delay).
    delay_left: usize,
    samples_in: u64,
    samples_out: u64,
}

impl Resampler16k {
    /// A resampler from `source_rate_hz` (Hz) to 16 kHz.
    ///
    /// # Panics
    /// If `source_rate_hz` is 0 (decoded streams always have a positive rate).
    pub fn new(source_rate_hz: u32) -> Self {
        assert!(source_rate_hz > 0, "a sample rate must be positive");
        let inner = (source_rate_hz != TARGET_RATE_HZ).then(|| {
            FftFixedInOut::new(
                source_rate_hz as usize,
                TARGET_RATE_HZ as usize,
                CHUNK_FRAMES,
                1,
            )
            .expect("positive sample rates are valid for rubato")
        });
        let delay_left = inner.as_ref().map_or(0, |r| r.output_delay());
        let output = inner
            .as_ref()
            .map_or_else(Vec::new, |r| r.output_buffer_allocate(true));
        Self {
            source_rate_hz,
            inner,
            pending: Vec::new(),
            output,
            delay_left,
            samples_in: 0,
            samples_out: 0,
        }
    }

    /// Feeds samples at the source rate, returns what is ready at 16 kHz. Non-finite or
    /// absurd samples are sanitized first (see [`sanitize_sample`]).
    pub fn process(&mut self, samples: &[f32]) -> Vec<f32> {
        self.samples_in += samples.len() as u64;
        let Some(inner) = self.inner.as_mut() else {
            self.samples_out += samples.len() as u64;
            return samples.iter().copied().map(sanitize_sample).collect();
        };
        self.pending
            .extend(samples.iter().copied().map(sanitize_sample));
        let chunk = inner.input_frames_next();
        let mut ready = Vec::with_capacity(self.pending.len() * 16 / 10 + 16);
        let mut consumed = 0;
        while self.pending.len() - consumed >= chunk {
            let input = [&self.pending[consumed..consumed + chunk]];
            let (_, produced) = inner
                .process_into_buffer(&input, &mut self.output, None)
                .expect("buffers sized by the resampler itself");
            consumed += chunk;
            ready.extend_from_slice(&self.output[0][..produced]);
        }
        self.pending.drain(..consumed);
        self.emit(ready)
    }

    /// Returns the samples still held back at the end of the stream.
    pub fn finish(&mut self) -> Vec<f32> {
        let expected = self.expected_output();
        let Some(inner) = self.inner.as_mut() else {
            return Vec::new();
        };
        let mut ready = Vec::new();
        let mut input = std::mem::take(&mut self.pending);
        // Zero-padded chunks flush the tail; the delay is finite, so a few rounds suffice.
        while self.samples_out + (ready.len() as u64).saturating_sub(self.delay_left as u64)
            < expected
        {
            let chunk = [input.as_slice()];
            let given = (!input.is_empty()).then_some(&chunk[..]);
            let (_, produced) = inner
                .process_partial_into_buffer(given, &mut self.output, None)
                .expect("buffers sized by the resampler itself");
            ready.extend_from_slice(&self.output[0][..produced]);
            input.clear();
        }
        let mut tail = self.emit(ready);
        let surplus = (self.samples_out - expected) as usize;
        tail.truncate(tail.len() - surplus);
        self.samples_out = expected;
        tail
    }

    /// Drops what is left of the leading delay and counts the rest as output.
    fn emit(&mut self, mut ready: Vec<f32>) -> Vec<f32> {
        let drop = self.delay_left.min(ready.len());
        ready.drain(..drop);
        self.delay_left -= drop;
        self.samples_out += ready.len() as u64;
        ready
    }

    /// Output length for all the input so far: `round(samples_in * 16000 / source rate)`.
    fn expected_output(&self) -> u64 {
        let rate = u64::from(self.source_rate_hz);
        (self.samples_in * u64::from(TARGET_RATE_HZ) + rate / 2) / rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals::sine;

    fn rms_db(samples: &[f32]) -> f64 {
        let power =
            samples.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / samples.len() as f64;
        crate::dsp::db::power_db(power)
    }

    /// Frequency from interpolated upward zero crossings (reference estimator).
    fn zero_crossing_frequency(samples: &[f32], rate_hz: u32) -> f64 {
        let crossings: Vec<f64> = samples
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
            .map(|(i, w)| i as f64 + f64::from(w[0] / (w[0] - w[1])))
            .collect();
        let span = crossings.last().unwrap() - crossings.first().unwrap();
        (crossings.len() - 1) as f64 * f64::from(rate_hz) / span
    }

    fn resample_whole(rate_hz: u32, input: &[f32]) -> Vec<f32> {
        let mut resampler = Resampler16k::new(rate_hz);
        let mut out = resampler.process(input);
        out.extend(resampler.finish());
        out
    }

    /// The steady middle of a signal (edges carry the filter's start-up and tail).
    fn middle(samples: &[f32]) -> &[f32] {
        &samples[samples.len() / 5..samples.len() * 4 / 5]
    }

    #[test]
    fn a_1khz_tone_keeps_frequency_and_level() {
        for rate in [8_000, 11_025, 22_050, 44_100, 48_000] {
            let input = sine(rate, 1000.0, 0.5, 1.0);
            let out = resample_whole(rate, &input);
            let freq = zero_crossing_frequency(middle(&out), TARGET_RATE_HZ);
            assert!((freq - 1000.0).abs() < 1.0, "{rate} Hz: {freq} Hz");
            let level_change = rms_db(middle(&out)) - rms_db(middle(&input));
            assert!(level_change.abs() < 0.5, "{rate} Hz: {level_change} dB");
        }
    }

    #[test]
    fn output_length_follows_the_rate_ratio() {
        for (rate, n) in [
            (44_100, 44_100),
            (48_000, 12_345),
            (8_000, 7),
            (22_050, 100_003),
        ] {
            let out = resample_whole(rate, &vec![0.1; n]);
            let expected = (n as f64 * 16_000.0 / f64::from(rate)).round() as usize;
            assert_eq!(out.len(), expected, "{rate} Hz, {n} samples");
        }
    }

    #[test]
    fn output_is_aligned_with_input() {
        // A click at 0.5 s must come out at 0.5 s (the resampler's delay is removed).
        let mut input = vec![0.0f32; 44_100];
        input[22_050] = 1.0;
        let out = resample_whole(44_100, &input);
        let peak = (0..out.len())
            .max_by(|&a, &b| out[a].abs().total_cmp(&out[b].abs()))
            .unwrap();
        assert!((peak as i64 - 8_000).abs() <= 1, "click at sample {peak}");
    }

    #[test]
    fn chunked_equals_whole() {
        let input = sine(44_100, 440.0, 0.3, 0.7);
        let whole = resample_whole(44_100, &input);
        let mut resampler = Resampler16k::new(44_100);
        let mut chunked = Vec::new();
        for piece in input.chunks(777) {
            chunked.extend(resampler.process(piece));
        }
        chunked.extend(resampler.finish());
        assert_eq!(whole.len(), chunked.len());
        let worst = whole
            .iter()
            .zip(&chunked)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "largest difference {worst}");
    }

    #[test]
    fn damaged_samples_do_not_break_the_resampler() {
        let mut input = sine(48_000, 1000.0, 0.5, 0.2);
        input[100] = f32::NAN;
        input[200] = f32::INFINITY;
        input[300] = 1e38;
        let out = resample_whole(48_000, &input);
        assert!(out.iter().all(|x| x.is_finite() && x.abs() < 40.0));
        assert_eq!(sanitize_sample(f32::NEG_INFINITY), 0.0);
        assert_eq!(sanitize_sample(-1e9), -MAX_SAMPLE_MAGNITUDE);
        assert_eq!(sanitize_sample(1.5), 1.5);
    }

    #[test]
    fn sixteen_khz_passes_through() {
        let input = sine(16_000, 1000.0, 0.5, 0.1);
        assert_eq!(resample_whole(16_000, &input), input);
    }

    #[test]
    fn content_above_8khz_is_removed() {
        // A 10 kHz tone at 44.1 kHz cannot exist at 16 kHz: it must not alias down to 6 kHz.
        let out = resample_whole(44_100, &sine(44_100, 10_000.0, 0.5, 0.5));
        assert!(
            rms_db(middle(&out)) < -40.0,
            "{} dB left",
            rms_db(middle(&out))
        );
    }
}
