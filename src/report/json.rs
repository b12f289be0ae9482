//! The `callqa/1` JSON report: the stable, machine-readable contract.

use std::io::Write;

use super::Export;
use crate::model::Report;

/// Pretty-printed `report.json`.
pub struct JsonExport;

impl Export for JsonExport {
    fn file_name(&self) -> &'static str {
        "report.json"
    }

    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
