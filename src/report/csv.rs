//! `summary.csv`: one row per recording for spreadsheets (RFC 4180 via the `csv` crate: CRLF rows,
//! a field quoted only when it holds a comma, a quote or a line break, quotes doubled inside).

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
        let mut csv = writer(out);
        csv.write_record(header())?;
        for recording in &report.recordings {
            csv.write_record(row(recording))?;
        }
        csv.flush()
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

/// A CSV writer with the summary's dialect: CRLF rows, fields quoted only when needed.
fn writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .double_quote(true)
        .from_writer(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[&str]) -> String {
        let mut csv = writer(Vec::new());
        csv.write_record(cells).unwrap();
        String::from_utf8(csv.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(line(&["plain", ""]), "plain,\r\n");
        assert_eq!(line(&["a,b", "x"]), "\"a,b\",x\r\n");
        assert_eq!(line(&["say \"hi\"", "x"]), "\"say \"\"hi\"\"\",x\r\n");
        assert_eq!(line(&["two\nlines", "cr\r"]), "\"two\nlines\",\"cr\r\"\r\n");
        assert_eq!(line(&[" lead", "#hash"]), " lead,#hash\r\n");
    }
}
