//! The spreadsheet files, RFC 4180 via the `csv` crate (CRLF rows, a field quoted only when it holds
//! a comma, a quote or a line break, quotes doubled inside): `summary.csv` with one row per
//! recording and `findings.csv` with one row per finding. Every row goes through [`write_row`].

use std::io::Write;

use super::figures::CallFigures;
use super::Export;
use crate::escape::csv_cell;
use crate::model::{Finding, Recording, Report, TimeRange};
use crate::verdict::{level_name, Flag};

/// The spreadsheet summary; multi-channel figures are the worst channel's (lowest SNR, highest floor).
pub struct CsvExport;

/// One row per finding of every recording.
pub struct FindingsCsvExport;

/// The conversation columns of `summary.csv`, after the flag columns.
const CONVERSATION_COLUMNS: [&str; 5] = [
    "agent_talk_ratio",
    "words_per_minute",
    "silence_percent",
    "interruptions",
    "longest_monologue_s",
];

impl Export for CsvExport {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        let mut csv = writer(out);
        write_row(&mut csv, summary_header())?;
        for recording in &report.recordings {
            write_row(&mut csv, summary_row(recording))?;
        }
        csv.flush()
    }
}

impl Export for FindingsCsvExport {
    fn file_name(&self) -> &'static str {
        "findings.csv"
    }

    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        let mut csv = writer(out);
        let header = [
            "vendor", "path", "kind", "category", "severity", "start_s", "end_s", "message",
            "excerpt",
        ];
        write_row(&mut csv, header.iter().map(|s| s.to_string()).collect())?;
        for recording in &report.recordings {
            for finding in &recording.findings {
                write_row(&mut csv, finding_row(recording, finding))?;
            }
        }
        csv.flush()
    }
}

/// Writes one row; the one place every cell of every CSV file passes through.
fn write_row<W: Write>(csv: &mut csv::Writer<W>, cells: Vec<String>) -> std::io::Result<()> {
    csv.write_record(&cells).map_err(std::io::Error::other)
}

fn summary_header() -> Vec<String> {
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
        .copied()
        .chain(Flag::ALL.iter().map(|f| f.as_str()))
        .chain(CONVERSATION_COLUMNS)
        .map(str::to_string)
        .collect()
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v:.decimals$}"))
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

/// The vendor as the JSON has it: empty where `vendor` is null.
fn vendor_cell(recording: &Recording) -> String {
    recording.vendor.clone().unwrap_or_default()
}

fn summary_row(recording: &Recording) -> Vec<String> {
    let verdict = recording.verdict.as_ref();
    let level = verdict.map_or("", |v| level_name(v.level)).to_string();
    let language = recording
        .transcript
        .as_ref()
        .and_then(|t| t.language.clone())
        .unwrap_or_default();
    let mut cells = vec![
        csv_cell(&vendor_cell(recording)).into_owned(),
        csv_cell(&recording.path).into_owned(),
        format!("{:.1}", recording.duration_s),
        csv_cell(&language).into_owned(),
        level,
        verdict.map_or_else(String::new, |v| format!("{}", v.score)),
        number(worst_snr_db(recording), 1),
        number(worst_noise_floor_dbfs(recording), 1),
    ];
    cells.extend(Flag::ALL.iter().map(|flag| {
        let raised = verdict.is_some_and(|v| v.flags.iter().any(|f| f == flag.as_str()));
        u8::from(raised).to_string()
    }));
    cells.extend(conversation_cells(CallFigures::of_recording(recording)));
    cells
}

/// The conversation columns; all empty without conversation metrics.
fn conversation_cells(figures: Option<CallFigures>) -> Vec<String> {
    let Some(f) = figures else {
        return vec![String::new(); CONVERSATION_COLUMNS.len()];
    };
    vec![
        number(f.agent_talk_ratio, 2),
        number(f.words_per_minute, 0),
        number(Some(f.silence_percent), 1),
        f.interruptions.to_string(),
        number(Some(f.longest_monologue_s), 1),
    ]
}

/// When a finding happened: the span of its time ranges, else its transcript segment's times.
fn finding_time(recording: &Recording, finding: &Finding) -> Option<TimeRange> {
    let start = finding
        .time_ranges
        .iter()
        .map(|r| r.start_s)
        .reduce(f64::min);
    let end = finding.time_ranges.iter().map(|r| r.end_s).reduce(f64::max);
    if let (Some(start_s), Some(end_s)) = (start, end) {
        return Some(TimeRange::new(start_s, end_s));
    }
    let segments = &recording.transcript.as_ref()?.segments;
    let segment = segments.get(finding.line?.checked_sub(1)?)?;
    Some(TimeRange::new(segment.start_s?, segment.end_s?))
}

fn finding_row(recording: &Recording, finding: &Finding) -> Vec<String> {
    let time = finding_time(recording, finding);
    vec![
        csv_cell(&vendor_cell(recording)).into_owned(),
        csv_cell(&recording.path).into_owned(),
        super::enum_name(&finding.kind),
        csv_cell(&finding.category).into_owned(),
        super::enum_name(&finding.severity),
        number(time.map(|t| t.start_s), 2),
        number(time.map(|t| t.end_s), 2),
        csv_cell(&finding.message).into_owned(),
        csv_cell(finding.excerpt.as_deref().unwrap_or_default()).into_owned(),
    ]
}

/// A CSV writer with the reports' dialect: CRLF rows, fields quoted only when needed.
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
    use crate::model::{FindingKind, Segment, Severity, Transcript};

    fn line(cells: &[&str]) -> String {
        let mut csv = writer(Vec::new());
        write_row(&mut csv, cells.iter().map(|c| c.to_string()).collect()).unwrap();
        String::from_utf8(csv.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn text_cells_cannot_start_a_formula_and_numbers_stay_numbers() {
        let recording = Recording {
            path: "=HYPERLINK(\"http://x\")/-call.wav".into(),
            vendor: Some("@vendor".into()),
            duration_s: 12.0,
            channels: vec![crate::model::ChannelMeasures {
                snr_db: Some(-3.0),
                ..Default::default()
            }],
            ..Default::default()
        };
        let cells = summary_row(&recording);
        assert_eq!(cells[0], "'@vendor");
        assert_eq!(cells[1], "'=HYPERLINK(\"http://x\")/-call.wav");
        assert_eq!(cells[6], "-3.0");
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(line(&["plain", ""]), "plain,\r\n");
        assert_eq!(line(&["a,b", "x"]), "\"a,b\",x\r\n");
        assert_eq!(line(&["say \"hi\"", "x"]), "\"say \"\"hi\"\"\",x\r\n");
        assert_eq!(line(&["two\nlines", "cr\r"]), "\"two\nlines\",\"cr\r\"\r\n");
        assert_eq!(line(&[" lead", "#hash"]), " lead,#hash\r\n");
    }

    #[test]
    fn summary_columns_match_the_header() {
        let recording = Recording::default();
        assert_eq!(summary_row(&recording).len(), summary_header().len());
        assert_eq!(vendor_cell(&recording), "", "vendor null stays empty");
    }

    #[test]
    fn a_text_finding_is_timed_by_its_segment() {
        let mut finding = Finding::new(FindingKind::Pii, "phone", Severity::High, "phone number");
        finding.line = Some(2);
        let segment = |start_s: f64| Segment {
            speaker: None,
            start_s: Some(start_s),
            end_s: Some(start_s + 1.5),
            text: String::new(),
            words: vec![],
        };
        let recording = Recording {
            transcript: Some(Transcript {
                segments: vec![segment(1.0), segment(4.0)],
                ..Transcript::default()
            }),
            ..Recording::default()
        };
        let time = finding_time(&recording, &finding).unwrap();
        assert_eq!((time.start_s, time.end_s), (4.0, 5.5));
        let acoustic = Finding::new(FindingKind::Noise, "hum", Severity::Low, "hum")
            .with_time_ranges(vec![TimeRange::new(9.0, 10.0), TimeRange::new(2.0, 3.0)]);
        let time = finding_time(&recording, &acoustic).unwrap();
        assert_eq!((time.start_s, time.end_s), (2.0, 10.0));
    }
}
