//! `summary.csv`: one row per recording for spreadsheets (RFC 4180: CRLF rows, quoted when needed).

use std::io::Write;

use super::Export;
use crate::model::{Recording, Report};
use crate::verdict::{level_name, vendor_name, Flag};

/// The spreadsheet summary; multi-channel figures are the worst channel's (lowest SNR, highest floor).
pub struct CsvExport;

impl Export for CsvExport {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        write_row(out, &header())?;
        for recording in &report.recordings {
            write_row(out, &row(recording))?;
        }
        Ok(())
    }
}

fn header() -> Vec<String> {
    let fixed = [
        "vendor",
        "path",
        "duration_s",
        "language",
        "verdict",
        "score",
        "snr_db",
        "noise_floor_dbfs",
    ];
    fixed
        .iter()
        .map(|s| s.to_string())
        .chain(Flag::ALL.iter().map(|f| f.as_str().to_string()))
        .collect()
}

fn number(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v:.1}"))
}

/// The lowest SNR over the channels, dB.
pub fn worst_snr_db(recording: &Recording) -> Option<f64> {
    recording
        .channels
        .iter()
        .filter_map(|c| c.snr_db)
        .reduce(f64::min)
}

/// The highest noise floor over the channels, dBFS.
pub fn worst_noise_floor_dbfs(recording: &Recording) -> Option<f64> {
    recording
        .channels
        .iter()
        .filter_map(|c| c.noise_floor_dbfs)
        .reduce(f64::max)
}

fn row(recording: &Recording) -> Vec<String> {
    let verdict = recording.verdict.as_ref();
    let level = verdict.map_or("", |v| level_name(v.level)).to_string();
    let language = recording
        .transcript
        .as_ref()
        .and_then(|t| t.language.clone())
        .unwrap_or_default();
    let mut cells = vec![
        vendor_name(recording),
        recording.path.clone(),
        format!("{:.1}", recording.duration_s),
        language,
        level,
        verdict.map_or_else(String::new, |v| format!("{}", v.score)),
        number(worst_snr_db(recording)),
        number(worst_noise_floor_dbfs(recording)),
    ];
    cells.extend(Flag::ALL.iter().map(|flag| {
        let raised = verdict.is_some_and(|v| v.flags.iter().any(|f| f == flag.as_str()));
        u8::from(raised).to_string()
    }));
    cells
}

/// A field quoted when it holds a comma, a quote or a line break; quotes doubled inside.
pub fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn write_row(out: &mut dyn Write, cells: &[String]) -> std::io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| quoted(c)).collect();
    write!(out, "{}\r\n", line.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(quoted("plain"), "plain");
        assert_eq!(quoted("a,b"), "\"a,b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("two\nlines"), "\"two\nlines\"");
    }
}
