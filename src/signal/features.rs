//! Compact per-frame summaries (one every 10 ms) that the voice activity analysis keeps for its
//! offline pass over each stretch (at most 20 minutes) of a recording.
//!
//! Each frame stores, as centi-dB in `i16` (16 bytes a frame, about 1.9 MB for a 20-minute stretch):
//! the full-band power of its 10 ms hop, the power of four speech sub-bands (200-500, 500-1000,
//! 1000-2000, 2000-4000 Hz, cut at 0.95 × Nyquist) from the shared 20 ms Hann [`Stft`] frame that
//! ends with the hop, the spectral
//! flatness over 200 Hz-8 kHz (sixteen linear bands, geometric over arithmetic mean) and the
//! share of that range above 2 kHz; plus a flag for a flat line (all samples equal: digital silence).
//! Samples pass a 10 Hz DC blocker first, so a DC offset is not counted as noise.

use std::collections::VecDeque;

use super::stft::Stft;
use crate::dsp::db;

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
    db::db_to_power(f64::from(db))
}

/// dB from linear power, floored at [`FLOOR_DB`].
pub fn power_to_db(power: f64) -> f32 {
    if power > db::FLOOR_POWER {
        db::power_db(power) as f32
    } else {
        FLOOR_DB
    }
}

/// Which bins feed which figure of a frame.
struct BinLayout {
    bands: [(usize, usize); BANDS],
    flatness: Vec<(usize, usize)>,
    high_from: usize,
}

impl BinLayout {
    fn new(stft: &Stft) -> Self {
        let top_hz = 0.95 * f64::from(stft.sample_rate_hz()) / 2.0;
        let bin_of = |hz: f64| stft.hz_to_bin(hz.min(top_hz)).max(1);
        let bands = std::array::from_fn(|b| {
            let lo = bin_of(BAND_EDGES_HZ[b]);
            (lo, bin_of(BAND_EDGES_HZ[b + 1]).max(lo + 1))
        });
        let (lo, hi) = (bin_of(200.0), bin_of(8000.0));
        let flatness = (0..FLATNESS_BANDS)
            .map(|k| {
                let a = lo + (hi - lo) * k / FLATNESS_BANDS;
                (a, (lo + (hi - lo) * (k + 1) / FLATNESS_BANDS).max(a + 1))
            })
            .collect();
        Self {
            bands,
            flatness,
            high_from: bin_of(2000.0),
        }
    }

    /// Sub-band powers (dBFS), flatness (dB) and high-frequency share (dB) of one power spectrum.
    fn features(&self, power: &[f32]) -> [f32; 6] {
        let sum = |(lo, hi): (usize, usize)| -> f64 {
            power[lo.min(power.len())..hi.min(power.len())]
                .iter()
                .map(|&p| f64::from(p))
                .sum()
        };
        let mut out = [0.0f32; 6];
        for (b, &range) in self.bands.iter().enumerate() {
            out[b] = power_to_db(sum(range));
        }
        let band_means: Vec<f64> = self
            .flatness
            .iter()
            .map(|&(lo, hi)| sum((lo, hi)) / (hi - lo) as f64)
            .collect();
        out[4] = flatness_db(&band_means);
        let end = self.flatness[FLATNESS_BANDS - 1].1;
        let total = sum((self.flatness[0].0, end));
        out[5] = if total > 1e-20 {
            power_to_db(sum((self.high_from, end)) / total)
        } else {
            FLOOR_DB
        };
        out
    }
}

/// Splits a stream into 10 ms frames and summarises each (spectra from the shared [`Stft`]).
pub struct FrameExtractor {
    hop: usize,
    stft: Stft,
    layout: BinLayout,
    blocked: Vec<f32>,
    hops: VecDeque<(f32, bool)>,
    hop_power: f64,
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
        let mut stft = Stft::with_lengths(sample_rate_hz.max(1000), 2 * hop, hop);
        // One hop of silence first, so that the window of frame t ends with hop t.
        stft.push(&vec![0.0; hop], |_| {});
        Self {
            hop,
            layout: BinLayout::new(&stft),
            stft,
            blocked: Vec::new(),
            hops: VecDeque::new(),
            hop_power: 0.0,
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
        self.blocked.clear();
        for &raw in samples {
            let x = if raw.is_finite() { raw } else { 0.0 };
            self.hop_raw_min = self.hop_raw_min.min(x);
            self.hop_raw_max = self.hop_raw_max.max(x);
            let y = x - self.dc_x1 + self.dc_pole * self.dc_y1;
            self.dc_x1 = x;
            self.dc_y1 = y;
            self.blocked.push(y);
            self.hop_power += f64::from(y * y);
            self.filled += 1;
            if self.filled == self.hop {
                let power = power_to_db(self.hop_power / self.hop as f64);
                self.hops
                    .push_back((power, self.hop_raw_min == self.hop_raw_max));
                self.hop_power = 0.0;
                self.filled = 0;
                self.hop_raw_min = f32::INFINITY;
                self.hop_raw_max = f32::NEG_INFINITY;
            }
        }
        let Self {
            stft,
            layout,
            blocked,
            hops,
            frames,
            ..
        } = self;
        stft.push(blocked, |frame| {
            let (power_db, flat) = hops.pop_front().expect("a frame ends where a hop ends");
            let f = layout.features(frame.power);
            frames.push(Frame::pack(
                [power_db, f[0], f[1], f[2], f[3], f[4], f[5]],
                flat,
            ));
        });
    }

    /// Frames summarised and not yet taken.
    pub fn ready(&self) -> &[Frame] {
        &self.frames
    }

    /// Takes the first `count` frames not yet taken (all of them when fewer are ready; a trailing
    /// partial hop is never ready).
    pub fn take(&mut self, count: usize) -> Vec<Frame> {
        let count = count.min(self.frames.len());
        self.frames.drain(..count).collect()
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
    db::power_db(log_mean.exp() / mean) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals as synth;

    fn frames(x: &[f32], rate: u32) -> Vec<Frame> {
        let mut extractor = FrameExtractor::new(rate);
        extractor.push(x);
        extractor.take(usize::MAX)
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
