//! `callqa analyze`: load the stages once, run the pipeline, apply the verdicts, write the report set.

use std::io::Write;

use super::files::{load_facts, load_packs};
use super::output::{
    ignore_broken_pipe, write_record, write_summary, AnalyzeRecord, FinalVerdict, LateFinding,
    Paint,
};
use super::provenance;
use super::stdin::{Spool, STDIN_NAME};
use super::watch::{watch, Watched};
use crate::asr::run::{check_language, prepare_engine};
use crate::config::{AnalyzeConfig, OutputFormat};
use crate::exit_codes::ExitCode;
use crate::model::{Report, SCHEMA};
use crate::pipeline;
use crate::report::transcripts::write_transcripts;
use crate::report::{
    self,
    csv::{CsvExport, FindingsCsvExport},
    html::HtmlExport,
    json::JsonExport,
    Export,
};
use crate::text::{redact, RuleSet};
use crate::verdict;

/// `callqa analyze`: runs the pipeline, writes the report, prints the summary.
pub fn run(config: &AnalyzeConfig) -> anyhow::Result<ExitCode> {
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
    let rules = RuleSet::with_extra(load_packs(&config.rules_files)?)?;
    let facts = config.facts_file.as_deref().map(load_facts).transpose()?;
    let (mut report, watched) = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel();
        let watcher = scope.spawn(|| watch(receiver, config, spool.as_ref()));
        let stages = pipeline::Stages {
            asr: engine.as_ref(),
            rules: &rules,
            facts: facts.as_ref(),
            events: Some(&sender),
        };
        let report = pipeline::analyze_with(config, &stages);
        drop(sender);
        let watched = watcher.join().expect("the progress thread does not panic");
        watched.map(|w| (report, w))
    })?;
    if let Some(spool) = &spool {
        spool.rename_in(&mut report);
    }
    verdict::apply(&mut report, config.vendor.as_deref(), &config.verdict);
    report.provenance = Some(provenance::of_run(
        config,
        engine.as_ref().map(|e| e.model_path()),
    ));
    if !config.show_pii {
        redact::mask_report(&mut report);
    }
    if let Some(dir) = &config.out_dir {
        let html = HtmlExport {
            options: provenance::html_options(&report, dir, config.summary_only),
        };
        let exports: [&dyn Export; 4] = [&JsonExport, &html, &CsvExport, &FindingsCsvExport];
        report::write_all(&report, dir, &exports)?;
    }
    if let Some(dir) = &config.asr.transcripts_dir {
        write_transcripts(&report, dir)?;
    }
    if !watched.stdout_closed {
        ignore_broken_pipe(print_report(&report, config, &watched))?;
    }
    if config.quiet {
        for err in &report.errors {
            eprintln!("error: {}: {}", err.path, err.message);
        }
    } else if config.out_dir.is_none() && config.format == OutputFormat::Text {
        eprintln!("callqa: nothing was saved; add --out DIR to keep report.json, report.html and summary.csv");
    }
    Ok(ExitCode::of_report(&report, config.fail_on))
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
