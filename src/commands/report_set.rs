//! The report set `analyze`, `merge` and `report` write into `--out`: its file names (checked before
//! a run starts) and writing it as a whole.

use std::path::Path;

use super::provenance;
use crate::model::Report;
use crate::report::{
    self,
    csv::{CsvExport, FindingsCsvExport},
    html::HtmlExport,
    json::JsonExport,
    Export, ReportWriteError,
};

/// The files of a report set, as `--out` holds them.
pub(crate) fn file_names() -> [&'static str; 4] {
    [
        JsonExport.file_name(),
        HtmlExport::default().file_name(),
        CsvExport.file_name(),
        FindingsCsvExport.file_name(),
    ]
}

/// Writes report.json, report.html, summary.csv and findings.csv into `dir`, replacing its set.
pub(crate) fn write(
    report: &Report,
    dir: &Path,
    summary_only: bool,
) -> Result<(), ReportWriteError> {
    let html = HtmlExport {
        options: provenance::html_options(report, dir, summary_only),
    };
    let exports: [&dyn Export; 4] = [&JsonExport, &html, &CsvExport, &FindingsCsvExport];
    report::write_all(report, dir, &exports, false)
}
