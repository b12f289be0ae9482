//! Mel filter banks, the DCT-II and mel cepstra: one implementation for the recogniser's
//! model conversion (whisper's Slaney bank), its speaker clustering and the voice prints.
//!
//! Frequencies are Hz, mels are the unit of the chosen [`MelScale`]; filter weights are unitless
//! gains per FFT bin. The bank is built in f64 and returned in f64 so each caller keeps its own
//! rounding to f32.

use std::f64::consts::PI;

/// Which mel formula maps Hz to mels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MelScale {
    /// HTK / O'Shaughnessy: `2595·log10(1 + hz/700)`.
    Htk,
    /// Slaney (librosa's default, whisper's): linear (200/3 Hz per mel) below 1 kHz,
    /// logarithmic above.
    Slaney,
}

const SLANEY_F_SP: f64 = 200.0 / 3.0;
const SLANEY_MIN_LOG_HZ: f64 = 1000.0;
const SLANEY_MIN_LOG_MEL: f64 = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;

fn slaney_logstep() -> f64 {
    6.4f64.ln() / 27.0
}

impl MelScale {
    /// Frequency (Hz) to mels.
    pub fn hz_to_mel(self, hz: f64) -> f64 {
        match self {
            MelScale::Htk => 2595.0 * (1.0 + hz / 700.0).log10(),
            MelScale::Slaney if hz >= SLANEY_MIN_LOG_HZ => {
                SLANEY_MIN_LOG_MEL + (hz / SLANEY_MIN_LOG_HZ).ln() / slaney_logstep()
            }
            MelScale::Slaney => hz / SLANEY_F_SP,
        }
    }

    /// Mels to frequency (Hz).
    pub fn mel_to_hz(self, mel: f64) -> f64 {
        match self {
            MelScale::Htk => 700.0 * (10f64.powf(mel / 2595.0) - 1.0),
            MelScale::Slaney if mel >= SLANEY_MIN_LOG_MEL => {
                SLANEY_MIN_LOG_HZ * (slaney_logstep() * (mel - SLANEY_MIN_LOG_MEL)).exp()
            }
            MelScale::Slaney => mel * SLANEY_F_SP,
        }
    }
}

/// How the triangles of a bank are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MelNorm {
    /// Each triangle peaks at 1.
    Peak,
    /// Slaney area normalisation: each triangle is scaled by `2 / (right - left)` (1/Hz), so
    /// wide bands do not collect more energy (librosa `norm="slaney"`).
    Slaney,
}

/// Triangular mel filters: `bands` triangles whose edges are equally spaced in mels between
/// `range_hz.0` and `range_hz.1` (Hz), over the `fft_len / 2 + 1` bins of an FFT of `fft_len`
/// samples at `sample_rate_hz` (bin k sits at `k·sample_rate_hz/fft_len` Hz). Returns one row of
/// weights (unitless, ≥ 0; 1/Hz with [`MelNorm::Slaney`]) per band.
pub fn filterbank(
    scale: MelScale,
    norm: MelNorm,
    range_hz: (f64, f64),
    bands: usize,
    sample_rate_hz: f64,
    fft_len: usize,
) -> Vec<Vec<f64>> {
    let bin_hz: Vec<f64> = (0..=fft_len / 2)
        .map(|k| k as f64 * sample_rate_hz / fft_len as f64)
        .collect();
    let (lo, hi) = (scale.hz_to_mel(range_hz.0), scale.hz_to_mel(range_hz.1));
    let edges: Vec<f64> = (0..bands + 2)
        .map(|i| scale.mel_to_hz(lo + (hi - lo) * i as f64 / (bands + 1) as f64))
        .collect();
    (0..bands)
        .map(|m| {
            let (left, centre, right) = (edges[m], edges[m + 1], edges[m + 2]);
            let gain = match norm {
                MelNorm::Peak => 1.0,
                MelNorm::Slaney => 2.0 / (right - left),
            };
            bin_hz
                .iter()
                .map(|&f| {
                    let rising = (f - left) / (centre - left);
                    let falling = (right - f) / (right - centre);
                    rising.min(falling).max(0.0) * gain
                })
                .collect()
        })
        .collect()
}

/// Coefficient `k` of the unnormalised DCT-II of `x`: `Σ_i x[i]·cos(π·k·(i + ½)/n)` (same unit as
/// `x`), summed in index order.
pub fn dct_ii(x: &[f64], k: usize) -> f64 {
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, v)| v * (PI * k as f64 * (i as f64 + 0.5) / n).cos())
        .sum()
}

/// Mel-frequency cepstral coefficients c1..=c`count` of one frame's log mel energies (natural
/// log of band energy): the unnormalised DCT-II ([`dct_ii`]); c0, the level, is left out so that
/// loudness does not count. Multiply by `sqrt(2/bands)` for the orthonormal scaling.
pub fn mfcc(log_mel: &[f64], count: usize) -> Vec<f64> {
    (1..=count).map(|k| dct_ii(log_mel, k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_at_known_points() {
        // HTK: 1000 Hz is ~1000 mel by construction (value from Python math.log10); Slaney: 1000 Hz
        // is 15 mel, 0..1 kHz is linear.
        assert!((MelScale::Htk.hz_to_mel(1000.0) - 999.985_537_139_624_4).abs() < 1e-9);
        assert!((MelScale::Slaney.hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((MelScale::Slaney.hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((MelScale::Slaney.hz_to_mel(6400.0) - 42.0).abs() < 1e-12);
        for scale in [MelScale::Htk, MelScale::Slaney] {
            for hz in [0.0, 100.0, 999.0, 1000.0, 3800.0, 8000.0] {
                let back = scale.mel_to_hz(scale.hz_to_mel(hz));
                assert!((back - hz).abs() < 1e-9, "{scale:?} {hz} -> {back}");
            }
        }
    }

    /// Naive reference: each triangle evaluated by its definition (rise to 1 at the centre, fall to 0).
    #[test]
    fn peak_bank_matches_the_definition() {
        let (rate, fft_len, bands) = (16_000.0, 512, 26);
        let bank = filterbank(
            MelScale::Htk,
            MelNorm::Peak,
            (100.0, 3800.0),
            bands,
            rate,
            fft_len,
        );
        assert_eq!(bank.len(), bands);
        let mel = |hz: f64| 2595.0 * (1.0 + hz / 700.0).log10();
        let hz = |m: f64| 700.0 * (10f64.powf(m / 2595.0) - 1.0);
        let step = (mel(3800.0) - mel(100.0)) / (bands + 1) as f64;
        for (m, row) in bank.iter().enumerate() {
            assert_eq!(row.len(), fft_len / 2 + 1);
            let (l, c, r) = (
                hz(mel(100.0) + step * m as f64),
                hz(mel(100.0) + step * (m + 1) as f64),
                hz(mel(100.0) + step * (m + 2) as f64),
            );
            for (k, w) in row.iter().enumerate() {
                let f = k as f64 * rate / fft_len as f64;
                let want = if f <= l || f >= r {
                    0.0
                } else if f <= c {
                    (f - l) / (c - l)
                } else {
                    (r - f) / (r - c)
                };
                assert!((w - want).abs() < 1e-9, "band {m} bin {k}: {w} vs {want}");
            }
        }
    }

    #[test]
    fn slaney_bank_has_unit_area_per_hz() {
        // librosa's norm="slaney": every triangle integrates to 1 over Hz (checked on a fine grid).
        let rate = 16_000.0;
        let fine = 1 << 16;
        let bank = filterbank(
            MelScale::Slaney,
            MelNorm::Slaney,
            (0.0, 8000.0),
            40,
            rate,
            fine,
        );
        let bin_hz = rate / fine as f64;
        for row in &bank {
            let area: f64 = row.iter().sum::<f64>() * bin_hz;
            assert!((area - 1.0).abs() < 1e-3, "{area}");
        }
    }

    #[test]
    fn dct_matches_the_naive_formula() {
        let x: Vec<f64> = (0..26)
            .map(|i| ((i * 7 % 11) as f64).ln_1p() - 1.3)
            .collect();
        for k in 0..26 {
            let mut naive = 0.0;
            for (i, v) in x.iter().enumerate() {
                naive += v * (PI * k as f64 * (2 * i + 1) as f64 / (2 * x.len()) as f64).cos();
            }
            assert!((dct_ii(&x, k) - naive).abs() < 1e-12, "k {k}");
        }
        // A constant has only c0; a cosine of order 3 lands on c3.
        let flat = vec![2.0; 16];
        assert!((dct_ii(&flat, 0) - 32.0).abs() < 1e-12);
        assert!(mfcc(&flat, 12).iter().all(|c| c.abs() < 1e-12));
        let cosine: Vec<f64> = (0..16)
            .map(|i| (PI * 3.0 * (i as f64 + 0.5) / 16.0).cos())
            .collect();
        let c = mfcc(&cosine, 12);
        assert!((c[2] - 8.0).abs() < 1e-12);
        assert!(c.iter().enumerate().all(|(k, v)| k == 2 || v.abs() < 1e-12));
    }
}
