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

/// Largest magnitude of any number in a report callqa reads back: seconds, Hz, dB, counts and
/// byte offsets of real reports are far below it; 1e308 in a spectrogram step would make the
/// plots loop over an endless axis.
pub const MAX_REPORT_NUMBER: f64 = 1e9;

/// Refuses a saved report holding a number beyond ±[`MAX_REPORT_NUMBER`], naming where it is
/// (`recordings[0].plots.spectrogram.time_step_s`).
pub fn check_numbers(value: &serde_json::Value) -> Result<(), String> {
    let mut pending = vec![(String::new(), value)];
    while let Some((path, value)) = pending.pop() {
        match value {
            serde_json::Value::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::INFINITY);
                if !(x.is_finite() && x.abs() <= MAX_REPORT_NUMBER) {
                    return Err(format!(
                        "{path} = {n} is beyond ±{MAX_REPORT_NUMBER:e}; this is not a report callqa wrote (or it was edited)"
                    ));
                }
            }
            serde_json::Value::Array(items) => pending.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{path}[{i}]"), v)),
            ),
            serde_json::Value::Object(fields) => pending.extend(
                fields
                    .iter()
                    .map(|(k, v)| (format!("{path}.{k}").trim_start_matches('.').to_string(), v)),
            ),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_numbers_are_refused_with_their_place() {
        let bad: serde_json::Value = serde_json::from_str(
            r#"{"recordings": [{"plots": {"spectrogram": {"time_step_s": 1e308}}}]}"#,
        )
        .unwrap();
        let err = check_numbers(&bad).unwrap_err();
        assert!(
            err.starts_with("recordings[0].plots.spectrogram.time_step_s = "),
            "{err}"
        );
        let big: serde_json::Value =
            serde_json::from_str(r#"{"n": 18446744073709551615}"#).unwrap();
        assert!(check_numbers(&big).is_err());
        let good: serde_json::Value =
            serde_json::from_str(r#"{"a": [-120.5, 0, 48000, {"b": 3600.0}], "s": "x"}"#).unwrap();
        assert!(check_numbers(&good).is_ok());
    }
}
