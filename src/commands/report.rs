//! `callqa report`: re-render the report set from a saved report.json.

use anyhow::{bail, Context};

use super::provenance;
use crate::config::{ReportConfig, VerdictRules};
use crate::exit_codes::ExitCode;
use crate::model::{Report, SCHEMA};
use crate::report::json::check_numbers;
use crate::report::outdir::check_output_dir;
use crate::report::{
    self,
    csv::{CsvExport, FindingsCsvExport},
    html::HtmlExport,
};
use crate::text::redact;
use crate::verdict;

/// A saved report.json's text read back for re-rendering: numbers checked, schema checked, verdicts
/// recomputed with `verdict_rules` (or the defaults when the saved report has none), personal data
/// masked unless `show_pii`. No I/O: this is what `report` runs and what the `report` fuzz target
/// drives.
pub fn prepare(
    text: &str,
    verdict_rules: Option<&VerdictRules>,
    show_pii: bool,
) -> anyhow::Result<Report> {
    let value: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
    check_numbers(&value).map_err(|msg| anyhow::anyhow!("{msg}"))?;
    let mut report: Report = serde_json::from_value(value).context("not a callqa report")?;
    if report.schema != SCHEMA {
        bail!("schema {:?}; this callqa reads {SCHEMA:?}", report.schema);
    }
    let missing_verdicts = report.recordings.iter().any(|r| r.verdict.is_none())
        || report.vendors.is_empty() && !report.recordings.is_empty();
    match verdict_rules {
        Some(rules) => verdict::apply(&mut report, None, rules),
        None if missing_verdicts => verdict::apply(&mut report, None, &VerdictRules::default()),
        None => {}
    }
    if !show_pii {
        redact::mask_report(&mut report);
    }
    Ok(report)
}

/// `callqa report`: re-renders report.html, summary.csv and findings.csv from a saved report.json; verdicts are
/// recomputed with `--config` rules, or when the saved report has none.
pub fn run(config: &ReportConfig) -> anyhow::Result<ExitCode> {
    let known = super::report_set::file_names();
    check_output_dir(&config.out_dir, "--out", &[], &known)?;
    let path = &config.report_json;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report = prepare(&text, config.verdict.as_ref(), config.show_pii)
        .with_context(|| format!("{} is not a usable callqa report.json", path.display()))?;
    let html = HtmlExport {
        options: provenance::html_options(&report, &config.out_dir, config.summary_only),
    };
    report::write_all(
        &report,
        &config.out_dir,
        &[&html, &CsvExport, &FindingsCsvExport],
        true,
    )?;
    Ok(ExitCode::of_report(&report, config.fail_on))
}
