//! Analysis windows (gain 0..1 per sample), so the STFT, the bleed estimator and the two MFCC
//! front ends build theirs from one definition.
//!
//! Two Hann variants exist because two callers computed it in different precisions and the
//! results differ in the last bit; both are kept so that no measurement moves.

use std::f64::consts::PI;

/// Periodic Hann window of `len` samples, `0.5 - 0.5·cos(2πn/len)`, computed in f64 and stored
/// as f32 (gain, unitless). Periodic: it sums to a constant at 50 % overlap (the STFT's choice).
pub fn periodic_hann(len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let phase = 2.0 * PI * n as f64 / len as f64;
            (0.5 - 0.5 * phase.cos()) as f32
        })
        .collect()
}

/// Periodic Hann window of `len` samples computed entirely in f32 (gain, unitless): the window
/// of the recogniser's speaker features, whose thresholds were tuned on these exact values.
pub fn periodic_hann_f32(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / len as f32).cos())
        .collect()
}

/// Symmetric Hamming window of `len` (≥ 2) samples, `0.54 - 0.46·cos(2πn/(len-1))`, computed in
/// f32 (gain, unitless): the classic MFCC window.
pub fn symmetric_hamming(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| 0.54 - 0.46 * (2.0 * std::f32::consts::PI * i as f32 / (len - 1) as f32).cos())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_is_periodic_and_overlap_adds_to_one() {
        let w = periodic_hann(64);
        assert_eq!(w[0], 0.0);
        assert_eq!(w[32], 1.0);
        assert!((w[1] - w[63]).abs() < 1e-7, "symmetric about len/2");
        for n in 0..32 {
            assert!((w[n] + w[n + 32] - 1.0).abs() < 1e-6);
        }
        let w32 = periodic_hann_f32(64);
        for (a, b) in w.iter().zip(&w32) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn hamming_matches_the_formula() {
        let w = symmetric_hamming(5);
        let want = [0.08, 0.54, 1.0, 0.54, 0.08];
        for (got, want) in w.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }
}
