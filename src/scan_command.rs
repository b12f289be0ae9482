//! `callqa scan` and `callqa rules`: read transcripts and packs from files or stdin, run the pure
//! text analysis, print findings (human or JSON) and pick the exit code.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;

use crate::conversation;
use crate::model::{Finding, InputError, SCHEMA};
use crate::text::facts::{self, Claim, FactSet};
use crate::text::parse::{parse_input, InputFormat, ParsedInput};
use crate::text::rules::{builtin_rules, parse_pack, Rule, RuleSet};
use crate::text::scan::{scan_with_claims, ScanOptions};

/// Every input was scanned.
pub const EXIT_OK: i32 = 0;
/// A usage or configuration error (also: a rule pack whose examples fail).
pub const EXIT_CONFIG: i32 = 1;
/// Some inputs could not be read; the others were scanned.
pub const EXIT_INPUT_ERRORS: i32 = 2;

/// Bytes looked at to tell binary files from text.
const BINARY_SNIFF_BYTES: usize = 8192;

/// Where a transcript comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanInput {
    Stdin,
    File(PathBuf),
}

impl ScanInput {
    fn name(&self) -> String {
        match self {
            ScanInput::Stdin => "<stdin>".into(),
            ScanInput::File(p) => p.display().to_string(),
        }
    }
}

/// The validated `scan` configuration.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub inputs: Vec<ScanInput>,
    pub json: bool,
    pub facts_file: Option<PathBuf>,
    pub rules_files: Vec<PathBuf>,
    /// Empty: guessed per input.
    pub languages: Vec<String>,
    pub show_pii: bool,
    /// `None`: from the extension, else the content.
    pub format: Option<InputFormat>,
}

/// The validated `rules` configuration.
#[derive(Debug, Clone)]
pub enum RulesConfig {
    List {
        rules_files: Vec<PathBuf>,
        languages: Vec<String>,
    },
    Test {
        files: Vec<PathBuf>,
    },
}

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

fn read_config_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {what} file {}", path.display()))?;
    decode_text(bytes).map_err(|msg| anyhow::anyhow!("{what} file {}: {msg}", path.display()))
}

/// UTF-8 text from bytes, or why not: empty, binary, or not UTF-8 (with the line of the bad byte).
pub fn decode_text(bytes: Vec<u8>) -> Result<String, String> {
    if bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
        return Err("looks like a binary file, not text".into());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("line {line}: not UTF-8 text (invalid byte at offset {at}); convert it to UTF-8")
    })?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err("is empty: nothing to scan".into());
    }
    Ok(text)
}

/// Reads extra rule packs (`--rules FILE`), each error naming its file and line.
pub fn load_packs(files: &[PathBuf]) -> anyhow::Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for path in files {
        let text = read_config_text(path, "rules")?;
        rules.extend(parse_pack(&path.display().to_string(), &text)?);
    }
    Ok(rules)
}

/// Reads a `--facts` file, errors naming the file and line.
pub fn load_facts(path: &Path) -> anyhow::Result<FactSet> {
    let text = read_config_text(path, "facts")?;
    Ok(FactSet::parse(&path.display().to_string(), &text)?)
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

/// `callqa scan`: scans every input, prints the findings, returns the exit code.
pub fn scan(config: &ScanConfig) -> anyhow::Result<i32> {
    let rules = RuleSet::with_extra(load_packs(&config.rules_files)?)?;
    for lang in &config.languages {
        if !rules.languages().contains(lang) {
            bail!(
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
    for input in &config.inputs {
        let name = input.name();
        let format = config
            .format
            .unwrap_or_else(|| InputFormat::from_extension(&name));
        let parsed = read_input(input)
            .and_then(|text| parse_input(&text, format).map_err(|e| e.to_string()));
        match parsed {
            Ok(parsed) => {
                let (mut findings, mut claims) =
                    scan_with_claims(&rules, &parsed.transcript, &options);
                to_input_coordinates(&mut findings, &mut claims, &parsed);
                findings.push(conversation::analyze_text(&parsed.transcript));
                sources.push(SourceFindings {
                    source: name.clone(),
                    findings,
                });
                all_claims.push((name, claims));
            }
            Err(message) => errors.push(InputError {
                path: name,
                message,
            }),
        }
    }
    for (source, finding) in facts::inconsistencies(&all_claims) {
        if let Some(s) = sources.iter_mut().find(|s| s.source == source) {
            s.findings.push(finding);
        }
    }
    let report = ScanReport {
        schema: SCHEMA,
        sources,
        errors,
    };
    print_report(&report, config.json)?;
    Ok(if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT_ERRORS
    })
}

fn print_report(report: &ScanReport, json: bool) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_human(report, &mut out)
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()))?;
    for err in &report.errors {
        eprintln!("error: {}: {}", err.path, err.message);
    }
    Ok(())
}

/// The snake_case name serde gives an enum value (`outdated_phrase`, `high`).
fn enum_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn write_human(report: &ScanReport, out: &mut impl Write) -> std::io::Result<()> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for source in &report.sources {
        writeln!(
            out,
            "{}: {} finding(s)",
            source.source,
            source.findings.len()
        )?;
        for f in &source.findings {
            let kind = enum_name(&f.kind);
            *counts.entry(kind.clone()).or_default() += 1;
            let line = f.line.map_or("-".into(), |l| l.to_string());
            let speaker = f.speaker.as_deref().unwrap_or("-");
            let severity = enum_name(&f.severity);
            writeln!(
                out,
                "  line {line:<5} {speaker:<10} {kind}/{} ({severity})",
                f.category
            )?;
            if let Some(excerpt) = &f.excerpt {
                writeln!(out, "      \"{excerpt}\"")?;
            }
            let rule = f
                .rule
                .as_deref()
                .map(|r| format!("  [{r}]"))
                .unwrap_or_default();
            writeln!(out, "      {}{rule}", f.message)?;
        }
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

/// A closed pipe (`callqa rules list | head`) is the reader's choice, not an error.
fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `callqa rules list|test`.
pub fn rules(config: &RulesConfig) -> anyhow::Result<i32> {
    match config {
        RulesConfig::List {
            rules_files,
            languages,
        } => list_rules(rules_files, languages),
        RulesConfig::Test { files } => test_rules(files),
    }
}

fn list_rules(files: &[PathBuf], languages: &[String]) -> anyhow::Result<i32> {
    let set = RuleSet::with_extra(load_packs(files)?)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    ignore_broken_pipe(write_rule_list(&set, languages, &mut out).and_then(|()| out.flush()))?;
    Ok(EXIT_OK)
}

fn write_rule_list(
    set: &RuleSet,
    languages: &[String],
    out: &mut impl Write,
) -> std::io::Result<()> {
    for rule in set.rules() {
        if !languages.is_empty() && !rule.languages.iter().any(|l| languages.contains(l)) {
            continue;
        }
        let (kind, severity) = (enum_name(&rule.kind), enum_name(&rule.severity));
        writeln!(
            out,
            "{}\t{kind}/{}\t{}\t{severity}",
            rule.id,
            rule.category,
            rule.languages.join(",")
        )?;
        writeln!(out, "    {}", rule.rationale)?;
    }
    Ok(())
}

fn test_rules(files: &[PathBuf]) -> anyhow::Result<i32> {
    let rules = if files.is_empty() {
        builtin_rules()?
    } else {
        load_packs(files)?
    };
    RuleSet::from_rules(rules.clone())?;
    let failures: Vec<_> = rules.iter().flat_map(Rule::self_test).collect();
    let examples: usize = rules
        .iter()
        .map(|r| r.examples.len() + r.counter_examples.len())
        .sum();
    for failure in &failures {
        println!("FAIL {failure}");
    }
    println!(
        "{} rule(s), {examples} example(s) checked, {} failure(s)",
        rules.len(),
        failures.len()
    );
    Ok(if failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_CONFIG
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_binary_empty_and_bad_utf8() {
        assert!(decode_text(b"\x00\x01\x02".to_vec())
            .unwrap_err()
            .contains("binary"));
        assert!(decode_text(b"  \n ".to_vec())
            .unwrap_err()
            .contains("empty"));
        let err = decode_text(b"ok\nline two \xff\xfe".to_vec()).unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert_eq!(decode_text("привет".as_bytes().to_vec()).unwrap(), "привет");
    }
}
