//! Same-room cue: do the two channels share one acoustic environment, or does one come through a phone network?

use crate::model::ChannelMeasures;

/// A channel this narrow (Hz) went through a telephone network (or was recorded at 8 kHz).
pub const NARROWBAND_HZ: f64 = 4200.0;
/// Noise floors this far apart (dB) count as fully different.
const FLOOR_SPAN_DB: f64 = 10.0;
/// Bandwidths this far apart (Hz) count as fully different.
const BANDWIDTH_SPAN_HZ: f64 = 3000.0;
/// Spectral flatness values this far apart count as fully different.
const FLATNESS_SPAN: f64 = 0.3;

/// How alike two channels' environments are (0 = unrelated, 1 = identical), with an explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomComparison {
    pub similarity: f64,
    pub note: String,
}

/// Compares the agent channel `a` with the customer channel `b`; null when neither noise floor nor
/// bandwidth was measured on both.
pub fn compare(a: &ChannelMeasures, b: &ChannelMeasures) -> Option<RoomComparison> {
    let floor = both(a.noise_floor_dbfs, b.noise_floor_dbfs);
    let bandwidth = both(a.bandwidth_hz, b.bandwidth_hz);
    let flatness = both(a.spectral_flatness, b.spectral_flatness);
    let parts: Vec<f64> = [
        floor.map(|(x, y)| closeness(x - y, FLOOR_SPAN_DB)),
        bandwidth.map(|(x, y)| closeness(x - y, BANDWIDTH_SPAN_HZ)),
        flatness.map(|(x, y)| closeness(x - y, FLATNESS_SPAN)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if floor.is_none() && bandwidth.is_none() {
        return None;
    }
    let similarity = parts.iter().sum::<f64>() / parts.len() as f64;
    Some(RoomComparison {
        similarity,
        note: describe(floor, bandwidth),
    })
}

fn both(x: Option<f64>, y: Option<f64>) -> Option<(f64, f64)> {
    Some((x?, y?))
}

/// 1 for equal values, falling linearly to 0 at `span` apart.
fn closeness(difference: f64, span: f64) -> f64 {
    (1.0 - difference.abs() / span).max(0.0)
}

fn describe(floor: Option<(f64, f64)>, bandwidth: Option<(f64, f64)>) -> String {
    let floors = floor.map_or(String::new(), |(x, y)| {
        format!("noise floors {x:.0} / {y:.0} dBFS")
    });
    let band = match bandwidth {
        Some((x, y)) if x < NARROWBAND_HZ && y < NARROWBAND_HZ => {
            format!("both narrowband ({x:.0} / {y:.0} Hz), bandwidth tells nothing")
        }
        Some((x, y)) if y < NARROWBAND_HZ => {
            format!("customer narrowband ({y:.0} Hz vs {x:.0} Hz): phone network")
        }
        Some((x, y)) if x >= NARROWBAND_HZ && y >= NARROWBAND_HZ => {
            format!("both wideband ({x:.0} / {y:.0} Hz)")
        }
        Some((x, y)) => format!("bandwidths {x:.0} / {y:.0} Hz"),
        None => String::new(),
    };
    [floors, band]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(floor: f64, bandwidth: f64, flatness: f64) -> ChannelMeasures {
        ChannelMeasures {
            noise_floor_dbfs: Some(floor),
            bandwidth_hz: Some(bandwidth),
            spectral_flatness: Some(flatness),
            ..Default::default()
        }
    }

    #[test]
    fn same_room_reads_near_one() {
        let c = compare(&channel(-62.0, 7800.0, 0.4), &channel(-61.0, 7600.0, 0.42)).unwrap();
        assert!(c.similarity > 0.9, "{c:?}");
        assert!(c.note.contains("both wideband"));
    }

    #[test]
    fn phone_customer_reads_low() {
        let c = compare(&channel(-62.0, 7800.0, 0.4), &channel(-48.0, 3400.0, 0.7)).unwrap();
        assert!(c.similarity < 0.1, "{c:?}");
        assert!(c.note.contains("phone network"));
    }

    #[test]
    fn nothing_measured_gives_no_comparison() {
        assert_eq!(
            compare(&ChannelMeasures::default(), &ChannelMeasures::default()),
            None
        );
    }
}
