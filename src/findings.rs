//! Acoustic measurements -> findings: each figure that crosses a threshold, explained with its value.

use crate::config::Thresholds;
use crate::model::{Bleed, ChannelMeasures, Finding, FindingKind, Severity};

/// Findings for a recording's acoustic measurements.
pub fn assess(
    sample_rate_hz: u32,
    channels: &[ChannelMeasures],
    bleed: &[Bleed],
    limits: &Thresholds,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if sample_rate_hz < limits.low_sample_rate_hz {
        findings.push(Finding::new(
            FindingKind::RecordingQuality,
            "low_sample_rate",
            Severity::Low,
            format!("sample rate {sample_rate_hz} Hz: telephone quality at best"),
        ));
    }
    for channel in channels {
        findings.extend(assess_channel(channel, channels.len(), limits));
    }
    findings.extend(bleed.iter().filter_map(|b| assess_bleed(b, limits)));
    findings
}

/// A file whose header announces more audio than it holds: the call was cut short, and what is
/// missing was never heard (`missing_s`, `decoded_s`: seconds).
pub fn assess_truncation(missing_s: f64, decoded_s: f64) -> Finding {
    let mut finding = Finding::new(
        FindingKind::RecordingQuality,
        "truncated",
        Severity::Medium,
        format!(
            "the file is truncated: {missing_s:.1} s of the announced {:.1} s are missing; \
             only the first {decoded_s:.1} s were analysed",
            missing_s + decoded_s
        ),
    );
    finding
        .details
        .insert("missing_s".into(), serde_json::json!(missing_s));
    finding
}

fn channel_name(index: usize, count: usize) -> String {
    match (count, index) {
        (1, _) => "the recording".into(),
        (2, 0) => "left channel".into(),
        (2, 1) => "right channel".into(),
        _ => format!("channel {}", index + 1),
    }
}

fn assess_channel(ch: &ChannelMeasures, count: usize, limits: &Thresholds) -> Vec<Finding> {
    let name = channel_name(ch.index, count);
    let mut out = Vec::new();
    if ch.clipping_fraction > limits.clipping_fraction {
        let severity = if ch.clipping_fraction > 10.0 * limits.clipping_fraction {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(
            Finding::new(
                FindingKind::RecordingQuality,
                "clipping",
                severity,
                format!(
                    "{name}: {:.2}% of samples clipped: distorted speech",
                    ch.clipping_fraction * 100.0
                ),
            )
            .with_time_ranges(ch.clipped_runs.clone()),
        );
    }
    if let Some(bw) = ch.bandwidth_hz.filter(|bw| *bw < limits.narrowband_hz) {
        out.push(Finding::new(
            FindingKind::RecordingQuality,
            "narrowband",
            Severity::Low,
            format!(
                "{name}: effective bandwidth {bw:.0} Hz: telephone-band audio, speech less clear"
            ),
        ));
    }
    if let Some(lufs) = ch.loudness_lufs.filter(|l| *l < limits.quiet_lufs) {
        out.push(Finding::new(
            FindingKind::RecordingQuality,
            "too_quiet",
            Severity::Low,
            format!("{name}: loudness {lufs:.1} LUFS: hard to hear"),
        ));
    }
    if ch.dc_offset.abs() > limits.dc_offset {
        out.push(Finding::new(
            FindingKind::RecordingQuality,
            "dc_offset",
            Severity::Info,
            format!(
                "{name}: DC offset {:.3} of full scale: faulty recording chain",
                ch.dc_offset
            ),
        ));
    }
    if !ch.dropouts.is_empty() {
        out.push(
            Finding::new(
                FindingKind::RecordingQuality,
                "dropouts",
                Severity::Medium,
                format!(
                    "{name}: {} dropout(s) inside speech: audio cut out",
                    ch.dropouts.len()
                ),
            )
            .with_time_ranges(ch.dropouts.clone()),
        );
    }
    out.extend(assess_noise(ch, &name, limits));
    if ch.background_voices.detected {
        let level = ch
            .background_voices
            .level_db_below_foreground
            .map(|db| format!(", {db:.0} dB below the speaker"))
            .unwrap_or_default();
        out.push(
            Finding::new(
                FindingKind::Crosstalk,
                "background_voices",
                Severity::High,
                format!("{name}: other voices in the background{level}: other agents audible"),
            )
            .with_time_ranges(ch.background_voices.time_ranges.clone()),
        );
    }
    out
}

fn assess_noise(ch: &ChannelMeasures, name: &str, limits: &Thresholds) -> Option<Finding> {
    let floor = ch.noise_floor_dbfs?;
    let (severity, what) = match ch.snr_db {
        Some(snr) if snr < limits.snr_high_db => (Severity::High, "background noise dominates"),
        Some(snr) if snr < limits.snr_medium_db => {
            (Severity::Medium, "background noise clearly audible")
        }
        _ if floor > limits.noise_floor_dbfs => {
            (Severity::Low, "background noise audible in pauses")
        }
        _ => return None,
    };
    let snr = ch
        .snr_db
        .map(|s| format!(", SNR {s:.0} dB"))
        .unwrap_or_default();
    let label = match ch.noise_label.as_str() {
        "none" | "" => String::new(),
        label => format!(" ({label})"),
    };
    Some(Finding::new(
        FindingKind::Noise,
        "background_noise",
        severity,
        format!("{name}: noise floor {floor:.0} dBFS{snr}{label}: {what}"),
    ))
}

fn assess_bleed(bleed: &Bleed, limits: &Thresholds) -> Option<Finding> {
    let level = bleed.level_db.filter(|l| *l > limits.bleed_db)?;
    let severity = if level > limits.bleed_high_db {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(Finding::new(
        FindingKind::Crosstalk,
        "stereo_bleed",
        severity,
        format!(
            "channel {} leaks into channel {} at {level:.0} dB: both sides recorded in one room or a faulty line",
            bleed.from_channel + 1,
            bleed.to_channel + 1
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy_channel(snr_db: f64) -> ChannelMeasures {
        ChannelMeasures {
            noise_floor_dbfs: Some(-30.0 - snr_db),
            snr_db: Some(snr_db),
            noise_label: "broadband".into(),
            ..ChannelMeasures::default()
        }
    }

    #[test]
    fn low_snr_is_a_high_noise_finding_with_its_figures() {
        let findings = assess(16_000, &[noisy_channel(8.0)], &[], &Thresholds::default());
        let noise = findings
            .iter()
            .find(|f| f.kind == FindingKind::Noise)
            .unwrap();
        assert_eq!(noise.severity, Severity::High);
        assert!(noise.message.contains("SNR 8 dB"), "{}", noise.message);
    }

    #[test]
    fn clean_channel_has_no_findings() {
        let ch = ChannelMeasures {
            noise_floor_dbfs: Some(-80.0),
            snr_db: Some(50.0),
            bandwidth_hz: Some(7800.0),
            loudness_lufs: Some(-23.0),
            ..ChannelMeasures::default()
        };
        assert!(assess(16_000, &[ch], &[], &Thresholds::default()).is_empty());
    }

    #[test]
    fn bleed_above_threshold_is_crosstalk() {
        let bleed = Bleed {
            from_channel: 0,
            to_channel: 1,
            level_db: Some(-15.0),
        };
        let findings = assess(16_000, &[], &[bleed], &Thresholds::default());
        assert_eq!(findings[0].kind, FindingKind::Crosstalk);
        assert_eq!(findings[0].severity, Severity::High);
    }
}
