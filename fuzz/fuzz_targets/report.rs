//! Fuzz target: arbitrary text as a saved report.json given to `callqa report`: read back
//! (numbers, schema, verdicts, masking) and rendered to every export (HTML, summary.csv,
//! findings.csv) in memory. Any panic or endless loop is a bug; an error is the right answer.
#![no_main]

use callqa::commands::report::prepare;
use callqa::report::csv::{CsvExport, FindingsCsvExport};
use callqa::report::html::{HtmlExport, HtmlOptions};
use callqa::report::Export;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(report) = prepare(&text, None, false) else {
        return;
    };
    let html = HtmlExport {
        options: HtmlOptions::default(),
    };
    let exports: [&dyn Export; 3] = [&html, &CsvExport, &FindingsCsvExport];
    for export in exports {
        let mut out = Vec::new();
        let _ = export.write(&report, &mut out);
    }
});
