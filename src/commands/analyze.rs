//! `callqa analyze`: load the stages once, run the pipeline, apply the verdicts, write the report set.

use std::io::Write;

use super::files::{load_facts, load_packs};
use super::provenance;
use crate::asr::run::{check_language, prepare_engine};
use crate::config::{AnalyzeConfig, OutputFormat};
use crate::exit_codes::ExitCode;
use crate::pipeline;
use crate::report::transcripts::write_transcripts;
use crate::report::{
    self,
    csv::{CsvExport, FindingsCsvExport},
    html::HtmlExport,
    json::JsonExport,
    summary::write_summary,
    Export,
};
use crate::text::{redact, RuleSet};
use crate::verdict;

/// `callqa analyze`: runs the pipeline, writes the report, prints the summary.
pub fn run(config: &AnalyzeConfig) -> anyhow::Result<ExitCode> {
    let engine = match &config.asr {
        asr if asr.enabled => {
            if let Some(code) = &asr.language {
                check_language(code)?;
            }
            Some(prepare_engine(asr, &mut |line| {
                eprintln!("callqa: {line}")
            })?)
        }
        _ => None,
    };
    let rules = RuleSet::with_extra(load_packs(&config.rules_files)?)?;
    let facts = config.facts_file.as_deref().map(load_facts).transpose()?;
    let stages = pipeline::Stages {
        asr: engine.as_ref(),
        rules: &rules,
        facts: facts.as_ref(),
    };
    let mut report = pipeline::analyze_with(config, &stages);
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match config.format {
        OutputFormat::Json => JsonExport.write(&report, &mut out)?,
        OutputFormat::Text if !config.quiet => write_summary(&report, &mut out)?,
        OutputFormat::Text => {}
    }
    out.flush()?;
    if config.quiet {
        for err in &report.errors {
            eprintln!("error: {}: {}", err.path, err.message);
        }
    }
    Ok(ExitCode::of_report(&report, config.fail_on))
}
