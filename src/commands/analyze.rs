//! `callqa analyze`: check every setting and output folder, find the audio, load the stages once,
//! run the pipeline, apply the verdicts, write the report set.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;

use super::files::{load_facts, load_packs};
use super::output::{
    ignore_broken_pipe, write_record, write_summary, AnalyzeRecord, FinalVerdict, LateFinding,
    Paint,
};
use super::provenance;
use super::redact_audio;
use super::report_set;
use super::stdin::{Spool, STDIN_NAME};
use super::watch::{watch, Watched};
use crate::asr::run::{check_language, prepare_engine};
use crate::config::{AnalyzeConfig, OutputFormat};
use crate::discover::{discover, Discovered};
use crate::escape::terminal;
use crate::exit_codes::ExitCode;
use crate::interrupt;
use crate::model::{Report, SCHEMA};
use crate::pipeline;
use crate::report::outdir::check_output_dir;
use crate::report::transcripts::write_transcripts;
use crate::report::{json::JsonExport, Export};
use crate::text::{redact, RuleSet};
use crate::verdict;

/// `callqa analyze`: runs the pipeline, writes the report, prints the summary. Everything that
/// can be checked without decoding (output folders, rules, facts, that there is audio at all) is
/// checked before the model is fetched or loaded.
pub fn run(config: &AnalyzeConfig) -> anyhow::Result<ExitCode> {
    interrupt::install();
    let spool = if config.inputs.iter().any(|p| p.as_os_str() == STDIN_NAME) {
        Some(Spool::from_stdin()?)
    } else {
        None
    };
    let mut config = config.clone();
    if let Some(spool) = &spool {
        for input in config
            .inputs
            .iter_mut()
            .filter(|p| p.as_os_str() == STDIN_NAME)
        {
            *input = spool.path().to_path_buf();
        }
    }
    let config = &config;
    let report_files = report_set::file_names();
    check_output_folders(config, &report_files)?;
    let rules = RuleSet::with_extra(load_packs(&config.rules_files)?)?;
    let facts = config.facts_file.as_deref().map(load_facts).transpose()?;
    let found = discover(&config.inputs, config.include_hidden);
    if found.audio.is_empty() {
        return Ok(no_audio(config, &found, spool.as_ref()));
    }
    let engine = match &config.asr {
        asr if asr.enabled => {
            if let Some(code) = &asr.language {
                check_language(code)?;
            }
            Some(prepare_engine(asr, &mut |line| {
                if !config.quiet {
                    eprintln!("callqa: {line}")
                }
            })?)
        }
        _ => None,
    };
    match pipeline::silero() {
        Err(why) if !config.quiet && why != pipeline::ENERGY_CHOSEN => eprintln!(
            "callqa: warning: {why}; the energy VAD decides speech and pauses (less reliable in noise)"
        ),
        _ => {}
    }
    let (mut report, watched) = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel();
        let watcher = scope.spawn(|| watch(receiver, config, spool.as_ref()));
        let stages = pipeline::Stages {
            asr: engine.as_ref(),
            rules: &rules,
            facts: facts.as_ref(),
            events: Some(&sender),
        };
        let report = pipeline::analyze_found(config, &stages, found);
        drop(sender);
        let watched = watcher.join().expect("the progress thread does not panic");
        watched.map(|w| (report, w))
    })?;
    if interrupt::requested() {
        return Ok(interrupted());
    }
    if let Some(spool) = &spool {
        spool.rename_in(&mut report);
    }
    verdict::apply(&mut report, config.vendor.as_deref(), &config.verdict);
    report.provenance = Some(provenance::of_run(
        config,
        engine.as_ref().map(|e| e.model_path()),
    ));
    // Planned on the unmasked transcripts, so it hides what the text mask hides.
    let redaction = config
        .redact_audio
        .as_ref()
        .map(|_| redact_audio::plan(&report, spool.as_ref().map(Spool::path)));
    if !config.show_pii {
        redact::mask_report(&mut report);
    }
    if let Some(dir) = &config.out_dir {
        report_set::write(&report, dir, config.summary_only)?;
    }
    if let Some(dir) = &config.asr.transcripts_dir {
        write_transcripts(&report, dir)?;
    }
    if let (Some(options), Some(jobs)) = (&config.redact_audio, &redaction) {
        redact_audio::write(jobs, &report, options, config.quiet)?;
    }
    if !watched.stdout_closed {
        ignore_broken_pipe(print_report(&report, config, &watched))?;
    }
    if config.quiet {
        for err in &report.errors {
            eprintln!("error: {}: {}", terminal(&err.path), terminal(&err.message));
        }
    } else if config.out_dir.is_none() && config.format == OutputFormat::Text {
        eprintln!("callqa: nothing was saved; add --out DIR to keep report.json, report.html and summary.csv");
    }
    Ok(ExitCode::of_report(&report, config.fail_on))
}

/// `--out`, `--transcripts` and `--redact-audio`: made, writable, holding no input and no one
/// else's files, and none inside another (each is replaced as a whole).
fn check_output_folders(config: &AnalyzeConfig, report_files: &[&str]) -> anyhow::Result<()> {
    let folders: Vec<(&str, &Path)> = [
        ("--out", config.out_dir.as_deref()),
        ("--transcripts", config.asr.transcripts_dir.as_deref()),
        (
            "--redact-audio",
            config.redact_audio.as_ref().map(|r| r.dir.as_path()),
        ),
    ]
    .into_iter()
    .filter_map(|(option, dir)| Some((option, dir?)))
    .collect();
    for (i, (option_a, a)) in folders.iter().enumerate() {
        for (option_b, b) in &folders[i + 1..] {
            if nested(a, b) || nested(b, a) {
                bail!(
                    "{option_a} {} and {option_b} {} must be separate folders (neither inside \
                     the other): callqa replaces each as a whole",
                    a.display(),
                    b.display()
                );
            }
        }
    }
    for (option, dir) in folders {
        let known = if option == "--out" { report_files } else { &[] };
        check_output_dir(dir, option, &config.inputs, known)?;
    }
    Ok(())
}

/// Whether `inner` is `outer` or lies inside it (each resolved through its longest existing
/// ancestor, so a folder not made yet compares right).
fn nested(outer: &Path, inner: &Path) -> bool {
    resolve(inner).starts_with(resolve(outer))
}

/// `path` absolute, with its longest existing ancestor's symbolic links resolved.
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut resolved) = existing.canonicalize() {
            resolved.extend(rest.iter().rev());
            return resolved;
        }
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            return absolute;
        };
        rest.push(name);
        existing = parent;
    }
}

/// No audio under the inputs: exit 2, listing what was looked at, before any model is fetched.
/// Standard input (`-`) is named `-`, not by its temporary copy.
fn no_audio(config: &AnalyzeConfig, found: &Discovered, spool: Option<&Spool>) -> ExitCode {
    let shown = |path: String| match spool {
        Some(spool) if spool.is(&path) => STDIN_NAME.to_string(),
        _ => terminal(&path).into_owned(),
    };
    let inputs: Vec<String> = config
        .inputs
        .iter()
        .map(|p| shown(p.display().to_string()))
        .collect();
    eprintln!(
        "error: no audio found in {} ({} non-audio file(s) skipped); give folders or files \
         with recordings (wav, mp3, flac, ogg, opus, m4a ...)",
        inputs.join(", "),
        found.skipped.len()
    );
    for err in &found.errors {
        eprintln!(
            "error: {}: {}",
            shown(err.path.clone()),
            terminal(&err.message)
        );
    }
    ExitCode::InputErrors
}

/// Ctrl-C or SIGTERM during the analysis: nothing is written, the old report stays.
fn interrupted() -> ExitCode {
    eprintln!("callqa: interrupted: no report written (the previous one, if any, is unchanged)");
    ExitCode::Interrupted
}

/// Standard output: the terminal summary, the JSON report, or the JSON Lines summary record.
fn print_report(report: &Report, config: &AnalyzeConfig, watched: &Watched) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match config.format {
        OutputFormat::Json => JsonExport.write(report, &mut out)?,
        OutputFormat::Jsonl => write_record(&mut out, &summary_record(report, watched))?,
        OutputFormat::Text if !config.quiet => {
            write_summary(report, Paint { on: config.color }, &mut out)?
        }
        OutputFormat::Text => {}
    }
    out.flush()
}

/// The last JSON Lines record: totals, vendors, errors, the cross-recording findings that came
/// after each recording's record, and every final verdict.
fn summary_record<'a>(report: &'a Report, watched: &Watched) -> AnalyzeRecord<'a> {
    let links = report
        .recordings
        .iter()
        .flat_map(|rec| {
            let streamed = watched
                .streamed_findings
                .get(&rec.path)
                .copied()
                .unwrap_or(rec.findings.len());
            rec.findings[streamed.min(rec.findings.len())..]
                .iter()
                .map(|finding| LateFinding {
                    path: &rec.path,
                    finding,
                })
        })
        .collect();
    let verdicts = report
        .recordings
        .iter()
        .filter_map(|rec| {
            Some(FinalVerdict {
                path: &rec.path,
                verdict: rec.verdict.as_ref()?,
            })
        })
        .collect();
    AnalyzeRecord::Summary {
        schema: SCHEMA,
        recordings: report.recordings.len(),
        errors: &report.errors,
        skipped: &report.skipped,
        vendors: &report.vendors,
        links,
        verdicts,
    }
}
