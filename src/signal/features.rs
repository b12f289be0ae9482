//! Compact per-frame summaries (one every 10 ms) that the voice activity analysis keeps for its offline pass.
//!
//! Each frame stores, as centi-dB in `i16` (16 bytes a frame, about 11 MB for two hours):
//! the full-band power of its 10 ms hop, the power of four speech sub-bands (200-500, 500-1000,
//! 1000-2000, 2000-4000 Hz, cut at 0.95 × Nyquist) from a 20 ms Hann-windowed FFT, the spectral
//! flatness over 200 Hz-8 kHz (sixteen linear bands, geometric over arithmetic mean) and the
//! share of that range above 2 kHz; plus a flag for a flat line (all samples equal: digital silence).
//! Samples pass a 10 Hz DC blocker first, so a DC offset is not counted as noise.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// Seconds between frames.
pub const HOP_S: f64 = 0.01;
/// Edges of the speech sub-bands used by the voice activity detector, Hz.
const BAND_EDGES_HZ: [f64; 5] = [200.0, 500.0, 1000.0, 2000.0, 4000.0];
/// Number of speech sub-bands.
pub const BANDS: usize = 4;
/// Linear bands over which spectral flatness is measured.
const FLATNESS_BANDS: usize = 16;
/// dB written for zero power.
pub const FLOOR_DB: f32 = -200.0;

/// One 10 ms frame, stored compactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    centi_db: [i16; 7],
    /// All samples of the hop were identical (exact zeros or a stuck value).
    pub flat: bool,
}

impl Frame {
    fn pack(values_db: [f32; 7], flat: bool) -> Self {
        let centi_db = values_db.map(|v| (v.max(FLOOR_DB) * 100.0).round() as i16);
        Self { centi_db, flat }
    }

    fn db(&self, i: usize) -> f32 {
        f32::from(self.centi_db[i]) / 100.0
    }

    /// Full-band power of the hop, dBFS.
    pub fn power_db(&self) -> f32 {
        self.db(0)
    }

    /// Power of speech sub-band `b` (0..BANDS), dBFS.
    pub fn band_db(&self, b: usize) -> f32 {
        self.db(1 + b)
    }

    /// Power of the whole speech band (sum of the sub-bands), linear.
    pub fn speech_power(&self) -> f64 {
        (0..BANDS).map(|b| db_to_power(self.band_db(b))).sum()
    }

    /// Spectral flatness, dB (0 = white, very negative = tonal).
    pub fn flatness_db(&self) -> f32 {
        self.db(5)
    }

    /// Share of the 200 Hz-8 kHz power above 2 kHz, dB.
    pub fn high_share_db(&self) -> f32 {
        self.db(6)
    }
}

/// Linear power from dB.
pub fn db_to_power(db: f32) -> f64 {
    10f64.powf(f64::from(db) / 10.0)
}

/// dB from linear power, floored at [`FLOOR_DB`].
pub fn power_to_db(power: f64) -> f32 {
    if power > 1e-20 {
        (10.0 * power.log10()) as f32
    } else {
        FLOOR_DB
    }
}

/// Splits a stream into 10 ms frames and summarises each.
pub struct FrameExtractor {
    hop: usize,
    window: Vec<f32>,
    window_energy: f64,
    fft: Arc<dyn RealToComplex<f32>>,
    fft_in: Vec<f32>,
    fft_out: Vec<realfft::num_complex::Complex<f32>>,
    scratch: Vec<realfft::num_complex::Complex<f32>>,
    band_bins: [(usize, usize); BANDS],
    flatness_bins: Vec<(usize, usize)>,
    high_from_bin: usize,
    history: Vec<f32>,
    hop_raw_min: f32,
    hop_raw_max: f32,
    filled: usize,
    dc_x1: f32,
    dc_y1: f32,
    dc_pole: f32,
    frames: Vec<Frame>,
}

impl FrameExtractor {
    pub fn new(sample_rate_hz: u32) -> Self {
        let rate = f64::from(sample_rate_hz.max(1000));
        let hop = (rate * HOP_S).round() as usize;
        let win = 2 * hop;
        let n = win.next_power_of_two();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window: Vec<f32> = (0..win)
            .map(|i| {
                (0.5 - 0.5 * (2.0 * std::f64::consts::PI * (i as f64 + 0.5) / win as f64).cos())
                    as f32
            })
            .collect();
        let window_energy = window.iter().map(|&w| f64::from(w * w)).sum();
        let bin_of = |hz: f64| ((hz * n as f64 / rate).round() as usize).clamp(1, n / 2);
        let top_hz = 0.95 * rate / 2.0;
        let band_bins = std::array::from_fn(|b| {
            let lo = bin_of(BAND_EDGES_HZ[b].min(top_hz));
            (lo, bin_of(BAND_EDGES_HZ[b + 1].min(top_hz)).max(lo + 1))
        });
        let flat_lo = bin_of(200.0);
        let flat_hi = bin_of(top_hz.min(8000.0));
        let flatness_bins = (0..FLATNESS_BANDS)
            .map(|k| {
                let lo = flat_lo + (flat_hi - flat_lo) * k / FLATNESS_BANDS;
                let hi = flat_lo + (flat_hi - flat_lo) * (k + 1) / FLATNESS_BANDS;
                (lo, hi.max(lo + 1))
            })
            .collect();
        Self {
            hop,
            window,
            window_energy,
            fft_in: fft.make_input_vec(),
            fft_out: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            band_bins,
            flatness_bins,
            high_from_bin: bin_of(2000.0_f64.min(top_hz)),
            history: vec![0.0; win],
            hop_raw_min: f32::INFINITY,
            hop_raw_max: f32::NEG_INFINITY,
            filled: 0,
            dc_x1: 0.0,
            dc_y1: 0.0,
            dc_pole: (1.0 - 2.0 * std::f64::consts::PI * 10.0 / rate) as f32,
            frames: Vec::new(),
        }
    }

    /// Feeds samples (full scale = 1.0); non-finite samples count as zero.
    pub fn push(&mut self, samples: &[f32]) {
        let win = self.history.len();
        for &raw in samples {
            let x = if raw.is_finite() { raw } else { 0.0 };
            self.hop_raw_min = self.hop_raw_min.min(x);
            self.hop_raw_max = self.hop_raw_max.max(x);
            let y = x - self.dc_x1 + self.dc_pole * self.dc_y1;
            self.dc_x1 = x;
            self.dc_y1 = y;
            self.history[win - self.hop + self.filled] = y;
            self.filled += 1;
            if self.filled == self.hop {
                self.finish_hop();
            }
        }
    }

    fn finish_hop(&mut self) {
        let win = self.history.len();
        let hop_samples = &self.history[win - self.hop..];
        let power = hop_samples.iter().map(|&v| f64::from(v * v)).sum::<f64>() / self.hop as f64;
        let flat = self.hop_raw_min == self.hop_raw_max;
        let spectrum = self.spectrum_features();
        let frame = Frame::pack(
            [
                power_to_db(power),
                spectrum[0],
                spectrum[1],
                spectrum[2],
                spectrum[3],
                spectrum[4],
                spectrum[5],
            ],
            flat,
        );
        self.frames.push(frame);
        self.history.copy_within(self.hop.., 0);
        self.filled = 0;
        self.hop_raw_min = f32::INFINITY;
        self.hop_raw_max = f32::NEG_INFINITY;
    }

    /// Sub-band powers (dBFS), flatness (dB) and high-frequency share (dB) of the current window.
    fn spectrum_features(&mut self) -> [f32; 6] {
        self.fft_in.fill(0.0);
        for ((dst, &x), &w) in self.fft_in.iter_mut().zip(&self.history).zip(&self.window) {
            *dst = x * w;
        }
        self.fft
            .process_with_scratch(&mut self.fft_in, &mut self.fft_out, &mut self.scratch)
            .expect("buffers made by the plan itself");
        let scale = 2.0 / (self.fft_in.len() as f64 * self.window_energy);
        let bins = &self.fft_out;
        let sum = |(lo, hi): (usize, usize)| -> f64 {
            bins[lo..hi.min(bins.len())]
                .iter()
                .map(|c| f64::from(c.norm_sqr()))
                .sum::<f64>()
                * scale
        };
        let mut out = [0.0f32; 6];
        for (b, &range) in self.band_bins.iter().enumerate() {
            out[b] = power_to_db(sum(range));
        }
        let band_means: Vec<f64> = self
            .flatness_bins
            .iter()
            .map(|&(lo, hi)| sum((lo, hi)) / (hi - lo) as f64)
            .collect();
        out[4] = flatness_db(&band_means);
        let total = sum((
            self.flatness_bins[0].0,
            self.flatness_bins[FLATNESS_BANDS - 1].1,
        ));
        let high = sum((self.high_from_bin, self.flatness_bins[FLATNESS_BANDS - 1].1));
        out[5] = if total > 1e-20 {
            power_to_db(high / total)
        } else {
            FLOOR_DB
        };
        out
    }

    /// The frames summarised so far (a trailing partial hop is dropped).
    pub fn finish(self) -> Vec<Frame> {
        self.frames
    }
}

/// Geometric over arithmetic mean of band powers, dB; 0 dB for silence.
fn flatness_db(powers: &[f64]) -> f32 {
    let mean = powers.iter().sum::<f64>() / powers.len() as f64;
    if mean <= 1e-20 {
        return 0.0;
    }
    let log_mean = powers
        .iter()
        .map(|&p| (p.max(mean * 1e-12)).ln())
        .sum::<f64>()
        / powers.len() as f64;
    (10.0 * (log_mean.exp() / mean).log10()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::synth;

    fn frames(x: &[f32], rate: u32) -> Vec<Frame> {
        let mut extractor = FrameExtractor::new(rate);
        extractor.push(x);
        extractor.finish()
    }

    #[test]
    fn frame_power_matches_the_mean_square() {
        let x = synth::white(1, 16000, -30.0);
        let f = frames(&x, 16000);
        assert_eq!(f.len(), 100);
        let mean_db = power_to_db(
            f[5..]
                .iter()
                .map(|fr| db_to_power(fr.power_db()))
                .sum::<f64>()
                / 95.0,
        );
        assert!((mean_db + 30.0).abs() < 0.3, "{mean_db}");
    }

    #[test]
    fn band_powers_split_white_noise_by_bandwidth() {
        let x = synth::white(2, 16000 * 2, -20.0);
        let f = frames(&x, 16000);
        let band = |b: usize| {
            power_to_db(
                f[5..]
                    .iter()
                    .map(|fr| db_to_power(fr.band_db(b)))
                    .sum::<f64>()
                    / (f.len() - 5) as f64,
            )
        };
        // White noise over 0-8 kHz: 1000-2000 Hz holds 1/8 of the power (-9 dB).
        assert!((band(2) - (-20.0 - 9.03)).abs() < 0.7, "{}", band(2));
        let flat = f[5..].iter().map(|fr| fr.flatness_db()).sum::<f32>() / (f.len() - 5) as f32;
        assert!(flat > -1.5, "white noise is flat: {flat} dB");
        let tone = synth::hum(16000, 16000, 440.0, -20.0);
        let t = frames(&tone, 16000);
        assert!(t[50].flatness_db() < -10.0, "{}", t[50].flatness_db());
    }

    #[test]
    fn silence_is_flat_and_floored() {
        let f = frames(&[0.0; 1600], 8000);
        assert!(f.iter().all(|fr| fr.flat && fr.power_db() == FLOOR_DB));
        let dc = frames(&[0.5; 1600], 8000);
        assert!(dc.iter().all(|fr| fr.flat));
        assert!(dc.last().unwrap().power_db() < -60.0, "DC is blocked");
    }
}
