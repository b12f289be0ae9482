//! What the subcommands print on standard output: the human summary of `analyze` (a line per
//! recording with its verdict and flag counts, a line per vendor), ANSI colours for severities and
//! verdicts, JSON Lines records, enum names as the JSON spells them, and a closed pipe that is not
//! an error.

use std::io::Write;

use serde::Serialize;

use crate::escape::terminal;
use crate::model::{
    ChannelMeasures, Finding, InputError, Level, Recording, Report, Severity, VendorSummary,
    Verdict,
};
use crate::verdict::level_name;

/// The snake_case name serde gives an enum value (`outdated_phrase`, `high`).
pub(crate) fn enum_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A closed pipe (`callqa rules list | head`) is the reader's choice, not an error.
pub(crate) fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// ANSI colours, or none: `Paint { on: false }` returns the text unchanged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(self, sgr: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// High bold red, medium yellow, low cyan, info dim.
    pub fn severity(self, severity: Severity, text: &str) -> String {
        let sgr = match severity {
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(sgr, text)
    }

    /// Green, yellow, orange (256-colour 208), bold red.
    pub fn level(self, level: Level, text: &str) -> String {
        let sgr = match level {
            Level::Green => "32",
            Level::Yellow => "33",
            Level::Orange => "38;5;208",
            Level::Red => "1;31",
        };
        self.wrap(sgr, text)
    }

    /// Error labels: red.
    pub fn error(self, text: &str) -> String {
        self.wrap("31", text)
    }
}

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

/// The categories of the findings at medium severity or above, each once with its count and its
/// worst severity, in the order they first appear.
pub(crate) fn flag_counts(findings: &[Finding]) -> Vec<(&str, usize, Severity)> {
    let mut counts: Vec<(&str, usize, Severity)> = Vec::new();
    for f in findings.iter().filter(|f| f.severity >= Severity::Medium) {
        match counts.iter_mut().find(|(c, _, _)| *c == f.category) {
            Some((_, n, worst)) => {
                *n += 1;
                *worst = (*worst).max(f.severity);
            }
            None => counts.push((&f.category, 1, f.severity)),
        }
    }
    counts
}

fn flags_text(findings: &[Finding], paint: Paint) -> String {
    let counts = flag_counts(findings);
    if counts.is_empty() {
        return "no flags".into();
    }
    counts
        .iter()
        .map(|&(category, n, worst)| {
            let text = if n > 1 {
                format!("{} x{n}", terminal(category))
            } else {
                terminal(category).into_owned()
            };
            paint.severity(worst, &text)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GREEN`, `ORANGE` ... padded to one width (before colouring, so columns line up).
fn verdict_label(verdict: Option<&Verdict>, paint: Paint) -> String {
    match verdict {
        Some(v) => paint.level(
            v.level,
            &format!("{:<6}", level_name(v.level).to_uppercase()),
        ),
        None => format!("{:<6}", "-"),
    }
}

fn recording_line(rec: &Recording, paint: Paint) -> String {
    let figures: Vec<String> = rec.channels.iter().map(channel_figures).collect();
    format!(
        "{}  {}  {:.1}s {}ch {} Hz  {}  [{}]",
        verdict_label(rec.verdict.as_ref(), paint),
        terminal(&rec.path),
        rec.duration_s,
        rec.channels.len(),
        rec.sample_rate_hz,
        figures.join(" | "),
        flags_text(&rec.findings, paint)
    )
}

/// A vendor's verdict and the flags behind it.
fn vendor_line(vendor: &VendorSummary, paint: Paint) -> String {
    let flags = if vendor.verdict.flags.is_empty() {
        "no flags".to_string()
    } else {
        vendor.verdict.flags.join(", ")
    };
    let level = level_name(vendor.verdict.level).to_uppercase();
    format!(
        "vendor {}: {} ({} recording(s), {:.1} min) [{}]",
        terminal(&vendor.name),
        paint.level(vendor.verdict.level, &level),
        vendor.recordings,
        vendor.total_minutes,
        flags
    )
}

/// Writes the terminal summary of a report: a line per recording, per vendor, per error, totals.
pub(crate) fn write_summary(
    report: &Report,
    paint: Paint,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for rec in &report.recordings {
        writeln!(out, "{}", recording_line(rec, paint))?;
    }
    for vendor in &report.vendors {
        writeln!(out, "{}", vendor_line(vendor, paint))?;
    }
    for err in &report.errors {
        writeln!(
            out,
            "{} {}: {}",
            paint.error("error:"),
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

/// A finding that arrived after its recording's record was streamed (a cross-recording check).
#[derive(Debug, Serialize)]
pub(crate) struct LateFinding<'a> {
    pub path: &'a str,
    pub finding: &'a Finding,
}

/// A recording's final verdict, after the cross-recording checks.
#[derive(Debug, Serialize)]
pub(crate) struct FinalVerdict<'a> {
    pub path: &'a str,
    pub verdict: &'a Verdict,
}

/// One line of `analyze --format jsonl`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum AnalyzeRecord<'a> {
    /// A recording as it finished: its own findings and the verdict they give.
    Recording { recording: &'a Recording },
    /// A file that could not be analysed, as it failed.
    Error { error: &'a InputError },
    /// Last: the run's totals, vendors, every error and skipped file, the findings the
    /// cross-recording checks added and every recording's final verdict.
    Summary {
        schema: &'a str,
        recordings: usize,
        errors: &'a [InputError],
        skipped: &'a [crate::model::Skipped],
        vendors: &'a [VendorSummary],
        links: Vec<LateFinding<'a>>,
        verdicts: Vec<FinalVerdict<'a>>,
    },
}

/// Writes one JSON Lines record and flushes it, so that a reader sees it at once.
pub(crate) fn write_record(out: &mut dyn Write, record: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    writeln!(out)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FindingKind, SCHEMA};

    fn vendor() -> VendorSummary {
        VendorSummary {
            name: "acme".into(),
            verdict: Verdict {
                level: Level::Orange,
                flags: vec!["noise".into(), "bleed".into()],
                score: 2.0,
            },
            recordings: 2,
            total_minutes: 7.5,
            flag_counts: Default::default(),
        }
    }

    fn report() -> Report {
        let finding = |category: &str, severity| {
            Finding::new(FindingKind::Crosstalk, category, severity, "test finding")
        };
        let recording = Recording {
            path: "acme/call.wav".into(),
            duration_s: 12.0,
            findings: vec![
                finding("stereo_bleed", Severity::Medium),
                finding("stereo_bleed", Severity::High),
                finding("background_noise", Severity::Medium),
                finding("too_quiet", Severity::Low),
            ],
            verdict: Some(Verdict {
                level: Level::Yellow,
                flags: vec!["bleed".into()],
                score: 1.5,
            }),
            ..Recording::default()
        };
        Report {
            schema: SCHEMA.into(),
            recordings: vec![recording],
            errors: vec![],
            skipped: vec![],
            vendors: vec![vendor()],
            provenance: None,
        }
    }

    fn summary(paint: Paint) -> String {
        let mut out = Vec::new();
        write_summary(&report(), paint, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn recording_line_has_its_verdict_and_each_category_once_with_a_count() {
        let text = summary(Paint { on: false });
        assert!(text.starts_with("YELLOW  acme/call.wav  12.0s"), "{text}");
        assert!(
            text.contains("[stereo_bleed x2, background_noise]"),
            "{text}"
        );
        assert!(
            text.contains("vendor acme: ORANGE (2 recording(s), 7.5 min) [noise, bleed]"),
            "{text}"
        );
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn colours_follow_the_worst_severity_and_the_verdict() {
        let text = summary(Paint { on: true });
        assert!(text.contains("\x1b[1;31mstereo_bleed x2\x1b[0m"), "{text}");
        assert!(text.contains("\x1b[33mbackground_noise\x1b[0m"), "{text}");
        assert!(text.contains("\x1b[33mYELLOW\x1b[0m"), "{text}");
        assert!(text.contains("\x1b[38;5;208mORANGE\x1b[0m"), "{text}");
    }
}
