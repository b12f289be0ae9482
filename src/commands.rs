//! What each subcommand does with its validated config, and the exit code it ends with.

use std::io::Write;

use crate::config::{AnalyzeConfig, OutputFormat};
use crate::pipeline;
use crate::report::{self, json::JsonExport, summary::write_summary, Export};

/// Every input analysed.
pub const EXIT_OK: i32 = 0;
/// Some inputs could not be analysed; the report covers the rest.
pub const EXIT_INPUT_ERRORS: i32 = 2;

/// `callqa analyze`: runs the pipeline, writes the report, prints the summary.
pub fn analyze(config: &AnalyzeConfig) -> anyhow::Result<i32> {
    let report = pipeline::analyze(config);
    if let Some(dir) = &config.out_dir {
        report::write_all(&report, dir, &[&JsonExport])?;
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
    Ok(if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT_ERRORS
    })
}
