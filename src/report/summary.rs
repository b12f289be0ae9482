//! The human summary on the terminal: one line per recording, errors, then totals.

use std::io::Write;

use crate::recording::{ChannelMeasures, Recording, Report, Severity};

fn opt(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.0}{unit}"))
}

fn channel_figures(ch: &ChannelMeasures) -> String {
    format!(
        "SNR {} noise {} bw {}",
        opt(ch.snr_db, " dB"),
        opt(ch.noise_floor_dbfs, " dBFS"),
        opt(ch.bandwidth_hz, " Hz")
    )
}

fn recording_line(rec: &Recording) -> String {
    let figures: Vec<String> = rec.channels.iter().map(channel_figures).collect();
    let flags: Vec<&str> = rec
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .map(|f| f.category.as_str())
        .collect();
    let flags = if flags.is_empty() {
        "no flags".to_string()
    } else {
        flags.join(", ")
    };
    format!(
        "{}  {:.1}s {}ch {} Hz  {}  [{}]",
        rec.path,
        rec.duration_s,
        rec.channels.len(),
        rec.sample_rate_hz,
        figures.join(" | "),
        flags
    )
}

/// Writes the terminal summary of a report.
pub fn write_summary(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for rec in &report.recordings {
        writeln!(out, "{}", recording_line(rec))?;
    }
    for err in &report.errors {
        writeln!(out, "error: {}: {}", err.path, err.message)?;
    }
    writeln!(
        out,
        "{} recording(s) analysed, {} error(s), {} non-audio file(s) skipped",
        report.recordings.len(),
        report.errors.len(),
        report.skipped.len()
    )
}
