//! `callqa scan`: read transcripts from files or stdin, run the pure text analysis, print findings
//! (human or JSON) and pick the exit code.

use std::io::{BufRead, Write};

use serde::Serialize;

use super::files::{load_facts, load_packs};
use super::output::{enum_name, ignore_broken_pipe, write_record, Paint};
use super::pieces::{Pieces, PIECE_BYTES};
use crate::config::{OutputFormat, ScanConfig, ScanInput, Terminal};
use crate::conversation;
use crate::escape;
use crate::exit_codes::ExitCode;
use crate::model::{Finding, FindingKind, InputError, SCHEMA};
use crate::text::facts::{self, Claim};
use crate::text::parse::{parse_input, parse_piece, InputFormat, ParseError};
use crate::text::redact;
use crate::text::rules::RuleSet;
use crate::text::scan::ScanOptions;
use crate::text::stream::PieceScan;

#[derive(Debug, Serialize)]
struct SourceFindings {
    source: String,
    findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
struct ScanReport {
    schema: &'static str,
    sources: Vec<SourceFindings>,
    errors: Vec<InputError>,
}

/// A finding that a check across the inputs added after its source's record was streamed.
#[derive(Debug, Serialize)]
struct LateFinding<'a> {
    source: &'a str,
    finding: &'a Finding,
}

/// One line of `scan --format jsonl`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ScanRecord<'a> {
    /// A transcript as soon as it is scanned.
    Source(&'a SourceFindings),
    /// An input that could not be read.
    Error { error: &'a InputError },
    /// Last: totals, every error, and the inconsistencies found across the inputs.
    Summary {
        schema: &'static str,
        sources: usize,
        errors: &'a [InputError],
        links: Vec<LateFinding<'a>>,
    },
}

/// One transcript's text parsed in `format` and scanned: its findings (personal data masked unless
/// `options.show_pii`) and claims, in input coordinates (lines and byte offsets of `text`). No
/// I/O: this is what the `transcript` fuzz target drives; `scan` reads its inputs with
/// [`scan_reader`], which gives the same for any text shorter than a piece.
pub fn scan_text(
    text: &str,
    format: InputFormat,
    rules: &RuleSet,
    options: &ScanOptions,
) -> Result<(Vec<Finding>, Vec<Claim>), ParseError> {
    let parsed = parse_input(text, format)?;
    let mut scan = PieceScan::new(rules, &parsed.transcript, options);
    let staged = conversation::analyze_text(&parsed.transcript);
    scan.feed(parsed, vec![staged]);
    Ok(scan.finish())
}

/// A transcript read and scanned in pieces of about `piece_bytes` (see [`pieces`](super::pieces)):
/// what [`scan_text`] gives for the whole text, with memory bounded by a piece and the findings.
/// Where the input is longer than a piece, the agent and the language are judged on the first
/// piece, and so is the staged-call finding (its details say on how many segments).
pub fn scan_reader(
    reader: impl BufRead,
    format: InputFormat,
    rules: &RuleSet,
    options: &ScanOptions,
    piece_bytes: usize,
) -> Result<(Vec<Finding>, Vec<Claim>), String> {
    scan_pieces(Pieces::new(reader, format, piece_bytes), rules, options)
}

fn scan_pieces(
    mut pieces: Pieces<impl BufRead>,
    rules: &RuleSet,
    options: &ScanOptions,
) -> Result<(Vec<Finding>, Vec<Claim>), String> {
    let mut scan: Option<PieceScan> = None;
    let (mut first_segments, mut count) = (0, 0);
    while let Some(piece) = pieces.next_piece()? {
        let parsed =
            parse_piece(&piece.text, pieces.format(), &piece.start).map_err(|e| e.to_string())?;
        drop(piece);
        pieces.continue_speaker(
            parsed
                .transcript
                .segments
                .last()
                .and_then(|s| s.speaker.clone()),
        );
        count += 1;
        match scan.as_mut() {
            Some(scan) => scan.feed(parsed, Vec::new()),
            None => {
                first_segments = parsed.transcript.segments.len();
                let staged = conversation::analyze_text(&parsed.transcript);
                let mut first = PieceScan::new(rules, &parsed.transcript, options);
                first.feed(parsed, vec![staged]);
                scan = Some(first);
            }
        }
    }
    let Some(scan) = scan else {
        return Err("is empty: nothing to scan".into());
    };
    let (mut findings, claims) = scan.finish();
    if count > 1 {
        let staged = findings.iter_mut().rev();
        if let Some(f) = staged
            .into_iter()
            .find(|f| f.kind == FindingKind::StagedDialogue)
        {
            f.details
                .insert("judged_on_first_segments".into(), first_segments.into());
        }
    }
    Ok((findings, claims))
}

/// An input as a reader, with its size when it is a file.
fn open_input(input: &ScanInput) -> Result<(Box<dyn BufRead>, Option<u64>), String> {
    Ok(match input {
        ScanInput::Stdin => (Box::new(std::io::stdin().lock()), None),
        ScanInput::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(std::io::BufReader::new(file)), size)
        }
    })
}

/// `callqa scan`: scans every input, prints the findings, returns the exit code.
pub fn run(config: &ScanConfig) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::with_extra(load_packs(&config.rules_files)?)?;
    for lang in &config.languages {
        if !rules.languages().contains(lang) {
            anyhow::bail!(
                "no phrase rules for language {lang:?} (available: {})",
                rules.languages().join(", ")
            );
        }
    }
    let facts = config.facts_file.as_deref().map(load_facts).transpose()?;
    let options = ScanOptions {
        languages: &config.languages,
        show_pii: config.show_pii,
        facts: facts.as_ref(),
    };
    let mut sources = Vec::new();
    let mut all_claims: Vec<(String, Vec<Claim>)> = Vec::new();
    let mut errors = Vec::new();
    let jsonl = config.output == OutputFormat::Jsonl;
    let stdout = std::io::stdout();
    for input in &config.inputs {
        let name = input.name();
        let format = config
            .format
            .unwrap_or_else(|| InputFormat::from_extension(&name));
        let scanned = open_input(input).and_then(|(reader, size)| {
            let pieces = Pieces::new(reader, format, PIECE_BYTES).with_size_hint(size);
            scan_pieces(pieces, &rules, &options)
        });
        match scanned {
            Ok((findings, claims)) => {
                let source = SourceFindings {
                    source: name.clone(),
                    findings,
                };
                if jsonl {
                    ignore_broken_pipe(write_record(
                        &mut stdout.lock(),
                        &ScanRecord::Source(&source),
                    ))?;
                }
                sources.push(source);
                all_claims.push((name, claims));
            }
            Err(message) => {
                let error = InputError {
                    path: name,
                    message,
                };
                if jsonl {
                    ignore_broken_pipe(write_record(
                        &mut stdout.lock(),
                        &ScanRecord::Error { error: &error },
                    ))?;
                }
                errors.push(error);
            }
        }
    }
    let streamed: Vec<usize> = sources.iter().map(|s| s.findings.len()).collect();
    for (source, mut finding) in facts::inconsistencies(&all_claims) {
        if !config.show_pii {
            redact::mask_finding_text(&mut finding);
        }
        if let Some(s) = sources.iter_mut().find(|s| s.source == source) {
            s.findings.push(finding);
        }
    }
    let report = ScanReport {
        schema: SCHEMA,
        sources,
        errors,
    };
    print_report(&report, config.output, config.terminal, &streamed)?;
    Ok(if report.errors.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::InputErrors
    })
}

/// The JSON Lines summary record: the findings added after each source was streamed.
fn summary_record<'a>(report: &'a ScanReport, streamed: &[usize]) -> ScanRecord<'a> {
    let links = report
        .sources
        .iter()
        .zip(streamed)
        .flat_map(|(source, &n)| {
            source.findings[n..].iter().map(|finding| LateFinding {
                source: &source.source,
                finding,
            })
        })
        .collect();
    ScanRecord::Summary {
        schema: SCHEMA,
        sources: report.sources.len(),
        errors: &report.errors,
        links,
    }
}

fn print_report(
    report: &ScanReport,
    output: OutputFormat,
    terminal: Terminal,
    streamed: &[usize],
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match output {
        OutputFormat::Json => serde_json::to_writer_pretty(&mut out, report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        OutputFormat::Jsonl => write_record(&mut out, &summary_record(report, streamed)),
        OutputFormat::Text => write_human(report, terminal, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()))?;
    for err in &report.errors {
        eprintln!(
            "error: {}: {}",
            escape::terminal(&err.path),
            escape::terminal(&err.message)
        );
    }
    Ok(())
}

/// The human listing: per source its findings (severity coloured); `quiet` leaves out sources
/// without findings and the summary line.
fn write_human(
    report: &ScanReport,
    terminal: Terminal,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let paint = Paint { on: terminal.color };
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for source in &report.sources {
        if terminal.quiet && source.findings.is_empty() {
            continue;
        }
        writeln!(
            out,
            "{}: {} finding(s)",
            escape::terminal(&source.source),
            source.findings.len()
        )?;
        for f in &source.findings {
            let kind = enum_name(&f.kind);
            *counts.entry(kind.clone()).or_default() += 1;
            let line = f.line.map_or("-".into(), |l| l.to_string());
            let speaker = escape::terminal(f.speaker.as_deref().unwrap_or("-"));
            let severity = paint.severity(f.severity, &enum_name(&f.severity));
            writeln!(
                out,
                "  line {line:<5} {speaker:<10} {kind}/{} ({severity})",
                escape::terminal(&f.category)
            )?;
            if let Some(excerpt) = &f.excerpt {
                writeln!(out, "      \"{}\"", escape::terminal(excerpt))?;
            }
            let rule = f
                .rule
                .as_deref()
                .map(|r| format!("  [{}]", escape::terminal(r)))
                .unwrap_or_default();
            writeln!(out, "      {}{rule}", escape::terminal(&f.message))?;
        }
    }
    if terminal.quiet {
        return Ok(());
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    writeln!(
        out,
        "summary: {} source(s), {} unreadable; {}",
        report.sources.len(),
        report.errors.len(),
        if summary.is_empty() {
            "no findings".to_string()
        } else {
            summary.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::facts::FactSet;

    /// Every labelled transcript of a folder of tests/text-set, one after another, after an
    /// agent's first line (a piece judges the agent on the first piece, the whole on every line).
    fn joined(folder: &str) -> String {
        let mut files: Vec<_> = std::fs::read_dir(format!("tests/text-set/{folder}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let calls = files.iter().map(|p| std::fs::read_to_string(p).unwrap());
        std::iter::once("Agent: Good morning.\n".to_string())
            .chain(calls)
            .collect()
    }

    /// The same lines as SRT cues, two seconds each.
    fn as_srt(text: &str) -> String {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                let (a, b) = (2 * i, 2 * i + 2);
                format!(
                    "{}\n00:{:02}:{:02},000 --> 00:{:02}:{:02},000\n{l}\n\n",
                    i + 1,
                    a / 60 % 60,
                    a % 60,
                    b / 60 % 60,
                    b % 60
                )
            })
            .collect()
    }

    fn without_staged(findings: Vec<Finding>) -> Vec<String> {
        findings
            .into_iter()
            .filter(|f| f.kind != FindingKind::StagedDialogue)
            .map(|f| serde_json::to_string(&f).unwrap())
            .collect()
    }

    #[test]
    fn pieces_give_the_findings_and_claims_of_the_whole() {
        let rules = RuleSet::builtin();
        let facts = FactSet::parse(
            "facts",
            &std::fs::read_to_string("samples/facts.toml").unwrap(),
        )
        .unwrap();
        let languages = ["en", "ru", "es"].map(String::from);
        for show_pii in [false, true] {
            let options = ScanOptions {
                languages: &languages,
                show_pii,
                facts: Some(&facts),
            };
            for folder in ["en", "es", "ru", "pii"] {
                let lines = joined(folder);
                for (text, format) in [
                    (as_srt(&lines), InputFormat::Srt),
                    (lines, InputFormat::Auto),
                ] {
                    let (whole, whole_claims) = scan_text(&text, format, &rules, &options).unwrap();
                    assert!(whole.len() > 10, "{folder}: too few findings to compare");
                    for piece_bytes in [150, 1000, 4000] {
                        let (pieces, claims) =
                            scan_reader(text.as_bytes(), format, &rules, &options, piece_bytes)
                                .unwrap();
                        let staged = pieces
                            .iter()
                            .filter(|f| f.kind == FindingKind::StagedDialogue);
                        assert_eq!(staged.count(), 1);
                        assert_eq!(
                            without_staged(pieces),
                            without_staged(whole.clone()),
                            "{folder} {format:?} in pieces of {piece_bytes} bytes, show_pii {show_pii}"
                        );
                        let json = |c: &[Claim]| serde_json::to_string(c).unwrap();
                        assert_eq!(json(&claims), json(&whole_claims));
                    }
                }
            }
        }
    }

    #[test]
    fn a_card_said_across_a_piece_boundary_is_found_and_masked() {
        let rules = RuleSet::builtin();
        let options = ScanOptions::default();
        let filler = "Agent: Thank you for waiting, let me check that for you.\n".repeat(20);
        let text =
            format!("{filler}Client: my card is 4111 1111\nClient: 1111 1111 thanks\n{filler}");
        for piece_bytes in [1, filler.len(), filler.len() + 30] {
            let (findings, _) = scan_reader(
                text.as_bytes(),
                InputFormat::Auto,
                &rules,
                &options,
                piece_bytes,
            )
            .unwrap();
            let cards: Vec<_> = findings
                .iter()
                .filter(|f| f.category == "card_number")
                .collect();
            assert_eq!(cards.len(), 2, "pieces of {piece_bytes}: {findings:#?}");
            let shown = serde_json::to_string(&findings).unwrap();
            assert!(
                !shown.contains("4111 1111") && !shown.contains("1111 1111"),
                "{shown}"
            );
        }
    }

    #[test]
    fn a_reader_reports_empty_binary_and_bad_utf8_input_with_its_line() {
        let rules = RuleSet::builtin();
        let options = ScanOptions::default();
        let scan = |bytes: &[u8], piece| {
            scan_reader(bytes, InputFormat::Auto, &rules, &options, piece).unwrap_err()
        };
        assert!(scan(b" \n\n \n", 1).contains("empty"));
        assert!(scan(b"abc\0def\n", 1).contains("binary"));
        let bad = scan(b"Agent: hello\nClient: fine\nAgent: caf\xe9\n", 1);
        assert!(bad.starts_with("line 3: not UTF-8"), "{bad}");
    }
}
