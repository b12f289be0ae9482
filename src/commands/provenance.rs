//! The provenance written into a report: when, with which callqa, model, options, facts and
//! thresholds it was made, so a verdict can be traced back to what produced it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::config::{AnalyzeConfig, MergeConfig};
use crate::model::{Provenance, Report};
use crate::report::html::HtmlOptions;

/// Seconds in a day.
const DAY_S: u64 = 86_400;

/// The provenance of an `analyze` run that used the model at `model` (None: nothing transcribed).
pub(crate) fn of_run(config: &AnalyzeConfig, model: Option<&Path>) -> Provenance {
    let shown = |p: &Path| p.display().to_string();
    Provenance {
        created_utc: utc_timestamp(now_unix_s()),
        callqa_version: env!("CARGO_PKG_VERSION").into(),
        command_line: std::env::args().collect(),
        working_dir: std::env::current_dir().ok().map(|d| shown(&d)),
        model: model.map(shown),
        vad_model: crate::pipeline::silero().ok().map(|m| shown(m.path())),
        language: config.asr.language.clone(),
        facts_file: config.facts_file.as_deref().map(shown),
        rules_files: config.rules_files.iter().map(|p| shown(p)).collect(),
        config_file: config.config_file.as_deref().map(shown),
        thresholds: fields(&config.thresholds),
        verdict_rules: fields(&config.verdict),
    }
}

/// The provenance of a `merge` run: the parts carry the analysis options (and refuse to mix
/// different ones), so only the verdict rules are this run's own; the model, language, facts,
/// rules and thresholds are those of the `analyze --parts` runs and are not repeated here.
pub(crate) fn of_merge(config: &MergeConfig) -> Provenance {
    Provenance {
        created_utc: utc_timestamp(now_unix_s()),
        callqa_version: env!("CARGO_PKG_VERSION").into(),
        command_line: std::env::args().collect(),
        working_dir: std::env::current_dir()
            .ok()
            .map(|d| d.display().to_string()),
        model: None,
        vad_model: None,
        language: None,
        facts_file: None,
        rules_files: Vec::new(),
        config_file: config
            .config_file
            .as_deref()
            .map(|p| p.display().to_string()),
        thresholds: BTreeMap::new(),
        verdict_rules: fields(&config.verdict),
    }
}

/// How report.html in `out_dir` reaches the recordings: relative to that folder, from the folder
/// the analysis ran in (the provenance's, else the current one).
pub(crate) fn html_options(report: &Report, out_dir: &Path, summary_only: bool) -> HtmlOptions {
    let here = std::env::current_dir().ok();
    let analysed_in = report
        .provenance
        .as_ref()
        .and_then(|p| p.working_dir.as_ref())
        .map(Into::into);
    HtmlOptions {
        summary_only,
        report_dir: here.as_ref().map(|h| h.join(out_dir)),
        base_dir: analysed_in.or(here),
    }
}

/// A struct's fields as name -> JSON value.
fn fields(value: &impl Serialize) -> BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

fn now_unix_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since 1970-01-01 UTC as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian calendar).
fn utc_timestamp(unix_s: u64) -> String {
    let (days, rest) = (unix_s / DAY_S, unix_s % DAY_S);
    let (year, month, day) = civil_date(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Days since 1970-01-01 -> (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_796_614_245), "2026-12-07T03:30:45Z");
    }

    #[test]
    fn thresholds_are_listed_by_name() {
        let listed = fields(&crate::config::Thresholds::default());
        assert_eq!(listed["snr_medium_db"], serde_json::json!(20.0));
        assert_eq!(listed.len(), 10);
    }
}
