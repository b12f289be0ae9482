//! The human summary on the terminal: one line per recording, errors, then totals.

use std::io::Write;

use crate::escape::terminal;
use crate::model::{ChannelMeasures, Recording, Report, Severity, VendorSummary};
use crate::verdict::level_name;

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
        terminal(&rec.path),
        rec.duration_s,
        rec.channels.len(),
        rec.sample_rate_hz,
        figures.join(" | "),
        terminal(&flags)
    )
}

/// A vendor's verdict and the flags behind it.
fn vendor_line(vendor: &VendorSummary) -> String {
    let flags = if vendor.verdict.flags.is_empty() {
        "no flags".to_string()
    } else {
        vendor.verdict.flags.join(", ")
    };
    format!(
        "vendor {}: {} ({} recording(s), {:.1} min) [{}]",
        terminal(&vendor.name),
        level_name(vendor.verdict.level).to_uppercase(),
        vendor.recordings,
        vendor.total_minutes,
        flags
    )
}

/// Writes the terminal summary of a report.
pub fn write_summary(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for rec in &report.recordings {
        writeln!(out, "{}", recording_line(rec))?;
    }
    for vendor in &report.vendors {
        writeln!(out, "{}", vendor_line(vendor))?;
    }
    for err in &report.errors {
        writeln!(
            out,
            "error: {}: {}",
            terminal(&err.path),
            terminal(&err.message)
        )?;
    }
    writeln!(
        out,
        "{} recording(s) analysed, {} error(s), {} non-audio file(s) skipped",
        report.recordings.len(),
        report.errors.len(),
        report.skipped.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Level, Verdict, SCHEMA};

    #[test]
    fn summary_ends_with_each_vendor_verdict() {
        let vendor = VendorSummary {
            name: "acme".into(),
            verdict: Verdict {
                level: Level::Orange,
                flags: vec!["noise".into(), "bleed".into()],
                score: 2.0,
            },
            recordings: 2,
            total_minutes: 7.5,
            flag_counts: Default::default(),
        };
        let report = Report {
            schema: SCHEMA.into(),
            recordings: vec![],
            errors: vec![],
            skipped: vec![],
            vendors: vec![vendor],
            provenance: None,
        };
        let mut out = Vec::new();
        write_summary(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("vendor acme: ORANGE (2 recording(s), 7.5 min) [noise, bleed]"),
            "{text}"
        );
    }
}
