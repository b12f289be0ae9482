//! Small descriptive statistics (median, quantiles, coefficient of variation) over f64 samples.

use crate::dsp::quantile::interpolated as quantile;

pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// Interquartile range (same unit as the samples).
pub fn iqr(values: &[f64]) -> Option<f64> {
    Some(quantile(values, 0.75)? - quantile(values, 0.25)?)
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Standard deviation divided by the mean (unitless); null for fewer than two samples or a zero mean.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    (m.abs() > f64::EPSILON).then(|| var.sqrt() / m.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(median(&v), Some(2.5));
        assert_eq!(iqr(&v), Some(1.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn cv_of_constant_is_zero() {
        assert_eq!(coefficient_of_variation(&[2.0, 2.0, 2.0]), Some(0.0));
        let cv = coefficient_of_variation(&[1.0, 3.0]).unwrap();
        assert!((cv - 2f64.sqrt() / 2.0).abs() < 1e-12);
    }
}
