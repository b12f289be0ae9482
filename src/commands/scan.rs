//! `callqa scan`: read transcripts from files or stdin, run the pure text analysis, print findings
//! (human or JSON) and pick the exit code.

use std::convert::Infallible;
use std::io::{BufRead, Read, Write};

use serde::ser::{Error as _, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::files::{load_facts, load_packs};
use super::output::{enum_name, ignore_broken_pipe, write_record, Paint};
use super::pieces::{Pieces, PIECE_BYTES};
use super::spill::{FindingSpill, KeptFindings, IN_MEMORY};
use crate::config::{OutputFormat, ScanConfig, ScanInput, Terminal};
use crate::conversation;
use crate::escape;
use crate::exit_codes::ExitCode;
use crate::model::{Finding, FindingKind, InputError, SCHEMA};
use crate::text::facts::{self, Claim};
use crate::text::json_input::{read_json, JsonError};
use crate::text::parse::{parse_input, parse_piece, InputFormat, ParseError, ParsedInput};
use crate::text::redact;
use crate::text::rules::RuleSet;
use crate::text::scan::ScanOptions;
use crate::text::stream::{PieceScan, ScanEnd};

/// One transcript's findings, kept until they are printed: those of the scan in reading order
/// (in the run's [`FindingSpill`]), the ones its end adds, and the inconsistencies with other
/// inputs found after all were scanned.
struct SourceFindings {
    source: String,
    kept: KeptFindings,
    /// The scan's end, its own findings and claims moved out.
    end: ScanEnd,
    linked: Vec<Finding>,
}

impl SourceFindings {
    fn len(&self) -> usize {
        self.kept.len() + self.end.count() + self.linked.len()
    }

    /// The findings in the order they are printed.
    fn findings<'a>(
        &'a self,
        spill: &'a FindingSpill,
    ) -> impl Iterator<Item = std::io::Result<Finding>> + 'a {
        let linked = self.linked.iter().cloned().map(Ok);
        self.end.in_order(spill.read(&self.kept)).chain(linked)
    }
}

/// A source as printed: its name and findings, read back as they are written.
struct SourceView<'a> {
    spill: &'a FindingSpill,
    source: &'a SourceFindings,
}

impl Serialize for SourceView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_struct("SourceFindings", 2)?;
        record.serialize_field("source", &self.source.source)?;
        record.serialize_field("findings", &FindingsView(self))?;
        record.end()
    }
}

struct FindingsView<'a>(&'a SourceView<'a>);

impl Serialize for FindingsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let SourceView { spill, source } = self.0;
        let mut seq = serializer.serialize_seq(Some(source.len()))?;
        for finding in source.findings(spill) {
            seq.serialize_element(&finding.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct ScanReport<'a> {
    schema: &'static str,
    sources: Vec<SourceView<'a>>,
    errors: &'a [InputError],
}

/// A finding that a check across the inputs added after its source's record was streamed.
#[derive(Debug, Serialize)]
struct LateFinding<'a> {
    source: &'a str,
    finding: &'a Finding,
}

/// One line of `scan --format jsonl`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ScanRecord<'a> {
    /// A transcript as soon as it is scanned.
    Source(SourceView<'a>),
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
    let mut taken = Vec::new();
    let mut feeder = Feeder::new(rules, options, |batch| {
        taken.extend(batch);
        Ok(())
    });
    let fed = feeder.feed(parsed).and_then(|()| feeder.finish());
    let end = fed.expect("one piece, kept in memory: no step can fail");
    Ok(in_memory(taken, end))
}

/// A transcript read and scanned in pieces of about `piece_bytes` (see [`pieces`](super::pieces)):
/// what [`scan_text`] gives for the whole text. Where the input is longer than a piece, the agent
/// and the language are judged on the first piece, and so is the staged-call finding (its details
/// say on how many segments).
pub fn scan_reader(
    reader: impl BufRead,
    format: InputFormat,
    rules: &RuleSet,
    options: &ScanOptions,
    piece_bytes: usize,
) -> Result<(Vec<Finding>, Vec<Claim>), String> {
    let mut taken = Vec::new();
    let pieces = Pieces::new(reader, format, piece_bytes);
    let end = scan_pieces(pieces, rules, options, |batch| {
        taken.extend(batch);
        Ok(())
    })?;
    Ok(in_memory(taken, end))
}

/// Every finding (`taken` during the scan, then the end's) and the claims, in memory.
fn in_memory(mut taken: Vec<Finding>, mut end: ScanEnd) -> (Vec<Finding>, Vec<Claim>) {
    taken.append(&mut end.findings);
    let in_order = end.in_order(taken.into_iter().map(Ok::<_, Infallible>));
    let Ok(findings) = in_order.collect::<Result<Vec<_>, _>>();
    (findings, end.claims)
}

/// Scans `pieces`, giving `take` the findings that no later piece changes as they are ready (in
/// reading order); memory holds a piece, not the findings. A JSON transcript goes on from its
/// first piece through its own reader, in batches of segments of about a piece.
fn scan_pieces(
    mut pieces: Pieces<impl BufRead>,
    rules: &RuleSet,
    options: &ScanOptions,
    take: impl FnMut(Vec<Finding>) -> Result<(), String>,
) -> Result<ScanEnd, String> {
    let mut feeder = Feeder::new(rules, options, take);
    while let Some(piece) = pieces.next_piece()? {
        if pieces.format() == InputFormat::Json {
            let batch_bytes = pieces.piece_bytes();
            let rest = std::io::Cursor::new(piece.text.into_bytes()).chain(pieces.into_rest());
            let json = serde_json::Deserializer::from_reader(rest);
            read_json(json, batch_bytes, &mut |batch| feeder.feed(batch)).map_err(|e| match e {
                JsonError::Document(e) => e.to_string(),
                JsonError::Feed(message) => message,
            })?;
            break;
        }
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
        feeder.feed(parsed)?;
    }
    feeder.finish()
}

/// The scan of one input as its pieces are parsed: the first piece starts it (agent, languages
/// and the staged-call judgement).
struct Feeder<'r, 'o, T> {
    rules: &'r RuleSet,
    options: &'o ScanOptions<'r>,
    scan: Option<PieceScan<'r>>,
    first_segments: usize,
    pieces: usize,
    take: T,
}

impl<'r, 'o, T: FnMut(Vec<Finding>) -> Result<(), String>> Feeder<'r, 'o, T> {
    /// A scan that gives `take` its findings as they are ready.
    fn new(rules: &'r RuleSet, options: &'o ScanOptions<'r>, take: T) -> Self {
        Self {
            rules,
            options,
            scan: None,
            first_segments: 0,
            pieces: 0,
            take,
        }
    }

    fn feed(&mut self, parsed: ParsedInput) -> Result<(), String> {
        self.pieces += 1;
        let whole_call = if self.scan.is_none() {
            self.first_segments = parsed.transcript.segments.len();
            self.scan = Some(PieceScan::new(self.rules, &parsed.transcript, self.options));
            vec![conversation::analyze_text(&parsed.transcript)]
        } else {
            Vec::new()
        };
        let scan = self.scan.as_mut().expect("made with the first piece");
        scan.feed(parsed, whole_call);
        (self.take)(scan.take_masked())
    }

    fn finish(self) -> Result<ScanEnd, String> {
        let Some(scan) = self.scan else {
            return Err("is empty: nothing to scan".into());
        };
        let mut end = scan.finish();
        if self.pieces > 1 {
            let mut whole_call = end.whole_call.iter_mut().rev();
            if let Some(f) = whole_call.find(|f| f.kind == FindingKind::StagedDialogue) {
                f.details.insert(
                    "judged_on_first_segments".into(),
                    self.first_segments.into(),
                );
            }
        }
        Ok(end)
    }
}

/// An input as a reader.
fn open_input(input: &ScanInput) -> Result<Box<dyn BufRead>, String> {
    Ok(match input {
        ScanInput::Stdin => Box::new(std::io::stdin().lock()),
        ScanInput::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
            Box::new(std::io::BufReader::new(file))
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
    let mut spill = FindingSpill::new(IN_MEMORY);
    let mut sources: Vec<SourceFindings> = Vec::new();
    let mut all_claims: Vec<(String, Vec<Claim>)> = Vec::new();
    let mut errors = Vec::new();
    let jsonl = config.output == OutputFormat::Jsonl;
    let stdout = std::io::stdout();
    for input in &config.inputs {
        let name = input.name();
        let format = config
            .format
            .unwrap_or_else(|| InputFormat::from_extension(&name));
        let mut kept = KeptFindings::default();
        let scanned = open_input(input).and_then(|reader| {
            let pieces = Pieces::new(reader, format, PIECE_BYTES);
            scan_pieces(pieces, &rules, &options, |batch| {
                spill
                    .keep(&mut kept, batch)
                    .map_err(|e| format!("cannot keep its findings in a temporary file: {e}"))
            })
        });
        match scanned {
            Ok(mut end) => {
                spill.keep(&mut kept, std::mem::take(&mut end.findings))?;
                let claims = std::mem::take(&mut end.claims);
                let source = SourceFindings {
                    source: name.clone(),
                    kept,
                    end,
                    linked: Vec::new(),
                };
                if jsonl {
                    let view = SourceView {
                        spill: &spill,
                        source: &source,
                    };
                    ignore_broken_pipe(write_record(
                        &mut stdout.lock(),
                        &ScanRecord::Source(view),
                    ))?;
                }
                sources.push(source);
                all_claims.push((name, claims));
            }
            Err(message) => {
                spill.discard(kept);
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
    for (source, mut finding) in facts::inconsistencies(&all_claims) {
        if !config.show_pii {
            redact::mask_finding_text(&mut finding);
        }
        if let Some(s) = sources.iter_mut().find(|s| s.source == source) {
            s.linked.push(finding);
        }
    }
    print_report(&spill, &sources, &errors, config.output, config.terminal)?;
    Ok(if errors.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::InputErrors
    })
}

/// The JSON Lines summary record: the findings added after each source was streamed.
fn summary_record<'a>(sources: &'a [SourceFindings], errors: &'a [InputError]) -> ScanRecord<'a> {
    let links = sources
        .iter()
        .flat_map(|source| {
            source.linked.iter().map(|finding| LateFinding {
                source: &source.source,
                finding,
            })
        })
        .collect();
    ScanRecord::Summary {
        schema: SCHEMA,
        sources: sources.len(),
        errors,
        links,
    }
}

fn print_report(
    spill: &FindingSpill,
    sources: &[SourceFindings],
    errors: &[InputError],
    output: OutputFormat,
    terminal: Terminal,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match output {
        OutputFormat::Json => {
            let report = ScanReport {
                schema: SCHEMA,
                sources: sources
                    .iter()
                    .map(|source| SourceView { spill, source })
                    .collect(),
                errors,
            };
            serde_json::to_writer_pretty(&mut out, &report)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        OutputFormat::Jsonl => write_record(&mut out, &summary_record(sources, errors)),
        OutputFormat::Text => write_human(spill, sources, errors, terminal, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()))?;
    for err in errors {
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
    spill: &FindingSpill,
    sources: &[SourceFindings],
    errors: &[InputError],
    terminal: Terminal,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let paint = Paint { on: terminal.color };
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for source in sources {
        if terminal.quiet && source.len() == 0 {
            continue;
        }
        writeln!(
            out,
            "{}: {} finding(s)",
            escape::terminal(&source.source),
            source.len()
        )?;
        for f in source.findings(spill) {
            let f = f?;
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
        sources.len(),
        errors.len(),
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

    /// The same lines as a callqa JSON transcript, one segment per line (its speaker split off).
    fn as_json(text: &str) -> String {
        let segments: Vec<serde_json::Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| match l.split_once(": ") {
                Some((speaker, said)) => serde_json::json!({"speaker": speaker, "text": said}),
                None => serde_json::json!({ "text": l }),
            })
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({ "segments": segments })).unwrap()
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
                    (as_json(&lines), InputFormat::Auto),
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
