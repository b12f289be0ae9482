//! Decibels: the one conversion between linear power or amplitude and dB, so every level in the
//! report is computed the same way.
//!
//! Power is a mean square with full scale = 1.0 (a full-scale sine has power 0.5 and reads
//! -3.01 dBFS); amplitude is a sample magnitude with full scale = 1.0.

/// The power floor (linear, -200 dB) under which frame levels count as digital silence.
pub const FLOOR_POWER: f64 = 1e-20;

/// Power (linear, full scale = 1.0) in dB: `10·log10(power)`. No floor: 0 gives -inf, a negative
/// or NaN power gives NaN; use [`power_db_floored`] where silence must stay finite.
pub fn power_db(power: f64) -> f64 {
    10.0 * power.log10()
}

/// Power (linear) in dB with `floor` (linear power) as the smallest power counted:
/// `10·log10(max(power, floor))`. Callers floor differently (1e-20 = -200 dB for frame levels,
/// 1e-12 = -120 dB for the recogniser's gate, 1e-30 for plotted spectra), so the floor is theirs.
pub fn power_db_floored(power: f64, floor: f64) -> f64 {
    10.0 * power.max(floor).log10()
}

/// Amplitude (linear, full scale = 1.0) in dB: `20·log10(amplitude)`; 0 gives -inf.
pub fn amplitude_db(amplitude: f64) -> f64 {
    20.0 * amplitude.log10()
}

/// dB to linear power: `10^(db/10)`.
pub fn db_to_power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

/// dB to linear amplitude: `10^(db/20)` (only the test signals need it).
#[cfg(test)]
pub fn db_to_amplitude(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_levels() {
        assert!((power_db(0.5) + 3.010_299_956_639_812).abs() < 1e-12);
        assert_eq!(power_db(1.0), 0.0);
        assert_eq!(power_db(0.01), -20.0);
        assert_eq!(power_db(0.0), f64::NEG_INFINITY);
        assert_eq!(amplitude_db(0.1), -20.0);
        assert!((amplitude_db(0.5) + 6.020_599_913_279_624).abs() < 1e-12);
        assert_eq!(db_to_power(-30.0), 1e-3);
        assert!((db_to_amplitude(-6.0) - 0.501_187_233_627_272_2).abs() < 1e-15);
    }

    #[test]
    fn floor_is_the_callers() {
        assert_eq!(power_db_floored(0.0, 1e-20), -200.0);
        assert_eq!(power_db_floored(0.0, 1e-12), -120.0);
        assert_eq!(power_db_floored(-1.0, 1e-12), -120.0);
        assert_eq!(power_db_floored(0.25, 1e-20), power_db(0.25));
    }

    #[test]
    fn round_trips() {
        for db in [-120.0, -60.5, -3.0, 0.0, 6.0] {
            assert!((power_db(db_to_power(db)) - db).abs() < 1e-12, "{db}");
            assert!(
                (amplitude_db(db_to_amplitude(db)) - db).abs() < 1e-12,
                "{db}"
            );
        }
    }
}
