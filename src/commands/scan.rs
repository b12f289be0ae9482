//! `callqa scan`: read transcripts from files or stdin, run the pure text analysis, print findings
//! (human or JSON) and pick the exit code.

use std::io::{Read, Write};

use serde::Serialize;

use super::files::{decode_text, load_facts, load_packs};
use super::output::{enum_name, ignore_broken_pipe, write_record, Paint};
use crate::config::{OutputFormat, ScanConfig, ScanInput, Terminal};
use crate::conversation;
use crate::escape;
use crate::exit_codes::ExitCode;
use crate::model::{Finding, InputError, SCHEMA};
use crate::text::facts::{self, Claim};
use crate::text::parse::{parse_input, InputFormat, ParseError, ParsedInput};
use crate::text::redact;
use crate::text::rules::RuleSet;
use crate::text::scan::{scan_with_claims, ScanOptions};

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

fn read_input(input: &ScanInput) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = match input {
        ScanInput::Stdin => std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ()),
        ScanInput::File(path) => std::fs::read(path).map(|b| bytes = b),
    };
    read.map_err(|e| format!("cannot read: {e}"))?;
    decode_text(bytes)
}

/// Moves findings from segment coordinates to input coordinates (input line, byte offsets in the input).
fn to_input_coordinates(findings: &mut [Finding], claims: &mut [Claim], parsed: &ParsedInput) {
    let source_of = |line: Option<usize>| line.and_then(|l| parsed.sources.get(l - 1));
    for f in findings.iter_mut() {
        if let Some(src) = source_of(f.line) {
            if let (Some(offset), Some([s, e])) = (src.offset, f.span) {
                f.span = Some([s + offset, e + offset]);
            }
            f.line = Some(src.line);
        }
    }
    for c in claims.iter_mut() {
        if let Some(src) = source_of(Some(c.line)) {
            c.line = src.line;
        }
    }
}

/// One transcript's text parsed in `format` and scanned: its findings (personal data masked unless
/// `options.show_pii`) and claims, in input coordinates (lines and byte offsets of `text`). No
/// I/O: this is what `scan` runs per input and what the `transcript` fuzz target drives.
pub fn scan_text(
    text: &str,
    format: InputFormat,
    rules: &RuleSet,
    options: &ScanOptions,
) -> Result<(Vec<Finding>, Vec<Claim>), ParseError> {
    let mut parsed = parse_input(text, format)?;
    let (mut findings, mut claims) = scan_with_claims(rules, &parsed.transcript, options);
    findings.push(conversation::analyze_text(&parsed.transcript));
    if !options.show_pii {
        redact::mask_transcript_findings(&mut parsed.transcript, &mut findings);
    }
    to_input_coordinates(&mut findings, &mut claims, &parsed);
    Ok((findings, claims))
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
        let scanned = read_input(input)
            .and_then(|text| scan_text(&text, format, &rules, &options).map_err(|e| e.to_string()));
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
