//! Order statistics (quantiles, medians) shared by the detectors and the conversation metrics.
//!
//! Three conventions are in use and give different answers on the same data, so each has its
//! own function: linear interpolation ([`interpolated`]), the lower order statistic at
//! `floor((len-1)·q)` ([`lower`]), and the element at `floor(len·num/den)` ([`at_fraction`]).

/// The q-quantile (q in 0..1, clamped) of unsorted `values` by linear interpolation between order
/// statistics (same unit as the values); null for no values.
pub fn interpolated(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// The lower order statistic at `floor((len-1)·q)` of an ascending, non-empty slice (q in 0..1;
/// same unit as the values). Panics on an empty slice.
pub fn lower<T: Copy>(sorted: &[T], q: f64) -> T {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

/// The element at index `floor(len·num/den)` of an ascending slice, in integer arithmetic
/// (`1/2`: the upper median; same unit as the values); null when that index is past the end.
pub fn at_fraction<T: Copy>(sorted: &[T], num: usize, den: usize) -> Option<T> {
    sorted.get(sorted.len() * num / den).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive reference: the interpolated quantile by the textbook definition.
    fn reference(values: &[f64], q: f64) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        let h = (s.len() - 1) as f64 * q;
        let below = h.floor();
        s[below as usize] + (h - below) * (s[h.ceil() as usize] - s[below as usize])
    }

    #[test]
    fn interpolated_matches_the_reference() {
        let v = [4.0, 1.0, 3.0, 2.0, 10.0, -5.0];
        for q in [0.0, 0.1, 0.25, 0.5, 0.9, 1.0] {
            assert!((interpolated(&v, q).unwrap() - reference(&v, q)).abs() < 1e-12);
        }
        assert_eq!(interpolated(&[4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        assert_eq!(interpolated(&[], 0.5), None);
        assert_eq!(interpolated(&[1.0, 2.0], 7.0), Some(2.0), "q is clamped");
    }

    #[test]
    fn rank_conventions() {
        let s = [1.0f32, 2.0, 3.0, 4.0];
        assert_eq!(lower(&s, 0.5), 2.0);
        assert_eq!(lower(&s, 1.0), 4.0);
        assert_eq!(at_fraction(&s, 1, 2), Some(3.0));
        assert_eq!(at_fraction(&s, 1, 10), Some(1.0));
        assert_eq!(at_fraction::<f32>(&[], 1, 10), None);
    }
}
