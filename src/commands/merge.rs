//! `callqa merge`: the part folders of sharded or resumed `analyze --parts` runs -> the
//! cross-recording checks, the verdicts and the report set, as one `analyze` run would give them.

use std::io::Write;

use super::output::{write_summary, Paint};
use super::provenance;
use super::report_set;
use crate::config::{MergeConfig, OutputFormat};
use crate::escape::terminal;
use crate::exit_codes::ExitCode;
use crate::parts;
use crate::pipeline;
use crate::report::outdir::check_output_dir;
use crate::report::{json::JsonExport, Export};
use crate::text::redact;
use crate::verdict;

/// `callqa merge`: reads every part, assembles the report, writes and prints it like `analyze`.
pub fn run(config: &MergeConfig) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &config.out_dir {
        let report_files = report_set::file_names();
        check_output_dir(dir, "--out", &config.parts_dirs, &report_files)?;
    }
    let (outcomes, show_pii) = parts::read_dirs(&config.parts_dirs)?;
    let mut report = pipeline::assemble(outcomes, config.vendor.as_deref());
    verdict::apply(&mut report, config.vendor.as_deref(), &config.verdict);
    report.provenance = Some(provenance::of_merge(config));
    if !show_pii {
        redact::mask_report(&mut report);
    }
    if let Some(dir) = &config.out_dir {
        report_set::write(&report, dir, config.summary_only)?;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match config.format {
        OutputFormat::Json => JsonExport.write(&report, &mut out)?,
        OutputFormat::Text if !config.quiet => {
            write_summary(&report, Paint { on: config.color }, &mut out)?
        }
        OutputFormat::Text | OutputFormat::Jsonl => {}
    }
    out.flush()?;
    if config.quiet {
        for err in &report.errors {
            eprintln!("error: {}: {}", terminal(&err.path), terminal(&err.message));
        }
    }
    Ok(ExitCode::of_report(&report, config.fail_on))
}
