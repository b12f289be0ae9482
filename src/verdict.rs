//! Findings -> verdicts by the buyer's rule of thumb: count the distinct red flags of a recording (or of all
//! of a vendor's recordings) at or above a severity; 0 green, 1 yellow, 2 orange, 3+ red. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::config::VerdictRules;
use crate::model::{
    Finding, FindingKind, Level, Recording, Report, Severity, VendorSummary, Verdict, CROSS_VENDOR,
};

/// Vendor name of recordings that have neither a vendor folder nor a parent folder.
pub const NO_VENDOR: &str = "(no vendor)";

/// One kind of doubt on the buyer's checklist; a recording raises each flag at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    Noise,
    BackgroundVoices,
    Bleed,
    PoorRecordingQuality,
    StagedCall,
    Misinformation,
    Inconsistency,
    OutdatedTechnique,
    Manipulation,
    ServiceErrors,
    MissingRequiredPhrases,
    PersonalData,
    Confidential,
}

impl Flag {
    /// Every flag, in the order reports list them.
    pub const ALL: [Flag; 13] = [
        Flag::Noise,
        Flag::BackgroundVoices,
        Flag::Bleed,
        Flag::PoorRecordingQuality,
        Flag::StagedCall,
        Flag::Misinformation,
        Flag::Inconsistency,
        Flag::OutdatedTechnique,
        Flag::Manipulation,
        Flag::ServiceErrors,
        Flag::MissingRequiredPhrases,
        Flag::PersonalData,
        Flag::Confidential,
    ];

    /// The flag's name in JSON and CSV (snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Noise => "noise",
            Flag::BackgroundVoices => "background_voices",
            Flag::Bleed => "bleed",
            Flag::PoorRecordingQuality => "poor_recording_quality",
            Flag::StagedCall => "staged_call",
            Flag::Misinformation => "misinformation",
            Flag::Inconsistency => "inconsistency",
            Flag::OutdatedTechnique => "outdated_technique",
            Flag::Manipulation => "manipulation",
            Flag::ServiceErrors => "service_errors",
            Flag::MissingRequiredPhrases => "missing_required_phrases",
            Flag::PersonalData => "personal_data",
            Flag::Confidential => "confidential",
        }
    }

    /// The flag's name for people (HTML headings).
    pub fn label(self) -> &'static str {
        match self {
            Flag::Noise => "Noise",
            Flag::BackgroundVoices => "Background voices",
            Flag::Bleed => "Bleed",
            Flag::PoorRecordingQuality => "Poor quality",
            Flag::StagedCall => "Staged call",
            Flag::Misinformation => "Misinformation",
            Flag::Inconsistency => "Inconsistency",
            Flag::OutdatedTechnique => "Outdated technique",
            Flag::Manipulation => "Manipulation",
            Flag::ServiceErrors => "Service errors",
            Flag::MissingRequiredPhrases => "Missing phrases",
            Flag::PersonalData => "Personal data",
            Flag::Confidential => "Confidential",
        }
    }

    /// The flag a finding raises, by its kind (and, for crosstalk, its category).
    pub fn of(finding: &Finding) -> Flag {
        match finding.kind {
            FindingKind::Noise => Flag::Noise,
            FindingKind::Crosstalk if finding.category == "background_voices" => {
                Flag::BackgroundVoices
            }
            FindingKind::Crosstalk => Flag::Bleed,
            FindingKind::RecordingQuality => Flag::PoorRecordingQuality,
            FindingKind::StagedDialogue | FindingKind::SameVoice => Flag::StagedCall,
            FindingKind::Misinformation => Flag::Misinformation,
            FindingKind::Inconsistency => Flag::Inconsistency,
            FindingKind::OutdatedPhrase => Flag::OutdatedTechnique,
            FindingKind::Manipulation => Flag::Manipulation,
            FindingKind::ServiceError => Flag::ServiceErrors,
            FindingKind::MissingRequiredPhrase => Flag::MissingRequiredPhrases,
            FindingKind::Pii => Flag::PersonalData,
            FindingKind::Confidential => Flag::Confidential,
        }
    }
}

/// Weight a counted flag adds to the score, by the worst severity it was seen at.
fn severity_weight(severity: Severity) -> f64 {
    match severity {
        Severity::Info => 0.25,
        Severity::Low => 0.5,
        Severity::Medium => 1.0,
        Severity::High => 1.5,
    }
}

/// The distinct flags raised by `findings` at or above the rules' severity, with the worst severity of each.
fn counted_flags<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    rules: &VerdictRules,
) -> BTreeMap<Flag, Severity> {
    let mut flags = BTreeMap::new();
    for finding in findings.into_iter().filter(|f| !is_cross_vendor(f)) {
        if finding.severity >= rules.min_severity {
            let worst = flags.entry(Flag::of(finding)).or_insert(finding.severity);
            *worst = (*worst).max(finding.severity);
        }
    }
    flags
}

/// A link to another vendor's recording: shown, never counted ([`CROSS_VENDOR`]).
fn is_cross_vendor(finding: &Finding) -> bool {
    finding.details.get(CROSS_VENDOR) == Some(&serde_json::Value::Bool(true))
}

/// The level a number of distinct flags reaches under the rules.
pub fn level_for(flag_count: usize, rules: &VerdictRules) -> Level {
    if flag_count >= rules.red_flags {
        Level::Red
    } else if flag_count >= rules.orange_flags {
        Level::Orange
    } else if flag_count >= rules.yellow_flags {
        Level::Yellow
    } else {
        Level::Green
    }
}

/// The level's name as JSON writes it: green, yellow, orange, red.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Green => "green",
        Level::Yellow => "yellow",
        Level::Orange => "orange",
        Level::Red => "red",
    }
}

/// The verdict of a set of findings. `score` ranks verdicts inside a level: each distinct flag adds
/// 1 at medium severity, 1.5 at high (0.5 low, 0.25 info when the rules count those).
pub fn verdict_of<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    rules: &VerdictRules,
) -> Verdict {
    let flags = counted_flags(findings, rules);
    Verdict {
        level: level_for(flags.len(), rules),
        flags: flags.keys().map(|f| f.as_str().to_string()).collect(),
        // fold from +0.0: an empty f64 sum is -0.0, which prints as "-0"
        score: flags
            .values()
            .fold(0.0, |score, s| score + severity_weight(*s)),
    }
}

/// The vendor a recording is scored under: its vendor (the top-level folder, or `--vendor`), else the
/// name of the folder holding the file, else [`NO_VENDOR`].
pub fn vendor_name(recording: &Recording) -> String {
    if let Some(vendor) = &recording.vendor {
        return vendor.clone();
    }
    Path::new(&recording.path)
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| NO_VENDOR.to_string())
}

/// One scorecard per vendor, sorted by name; the vendor verdict counts distinct flags across its recordings.
pub fn vendor_summaries(recordings: &[Recording], rules: &VerdictRules) -> Vec<VendorSummary> {
    let mut by_vendor: BTreeMap<String, Vec<&Recording>> = BTreeMap::new();
    for recording in recordings {
        by_vendor
            .entry(vendor_name(recording))
            .or_default()
            .push(recording);
    }
    by_vendor
        .into_iter()
        .map(|(name, recs)| vendor_summary(name, &recs, rules))
        .collect()
}

fn vendor_summary(name: String, recordings: &[&Recording], rules: &VerdictRules) -> VendorSummary {
    let mut flag_counts = BTreeMap::new();
    for recording in recordings {
        let flags: BTreeSet<Flag> = counted_flags(&recording.findings, rules)
            .into_keys()
            .collect();
        for flag in flags {
            *flag_counts.entry(flag.as_str().to_string()).or_insert(0) += 1;
        }
    }
    VendorSummary {
        name,
        verdict: verdict_of(recordings.iter().flat_map(|r| &r.findings), rules),
        recordings: recordings.len(),
        total_minutes: recordings.iter().map(|r| r.duration_s).sum::<f64>() / 60.0,
        flag_counts,
    }
}

/// Fills `verdict` on every recording and `vendors` on the report; `vendor` (from `--vendor`) first
/// assigns every recording to that vendor.
pub fn apply(report: &mut Report, vendor: Option<&str>, rules: &VerdictRules) {
    for recording in &mut report.recordings {
        if let Some(name) = vendor {
            recording.vendor = Some(name.to_string());
        }
        recording.verdict = Some(verdict_of(&recording.findings, rules));
    }
    report.vendors = vendor_summaries(&report.recordings, rules);
}

/// The worst vendor verdict of a report (what `--fail-on` compares against); None without vendors.
pub fn worst_vendor_level(report: &Report) -> Option<Level> {
    report.vendors.iter().map(|v| v.verdict.level).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: FindingKind, category: &str, severity: Severity) -> Finding {
        Finding::new(kind, category, severity, "test finding")
    }

    fn recording(path: &str, vendor: Option<&str>, findings: Vec<Finding>) -> Recording {
        Recording {
            path: path.into(),
            vendor: vendor.map(str::to_string),
            duration_s: 90.0,
            findings,
            ..Recording::default()
        }
    }

    fn level_of(findings: &[Finding]) -> Level {
        verdict_of(findings, &VerdictRules::default()).level
    }

    #[test]
    fn zero_one_two_three_distinct_flags_give_green_yellow_orange_red() {
        let noise = finding(FindingKind::Noise, "background_noise", Severity::Medium);
        let voices = finding(FindingKind::Crosstalk, "background_voices", Severity::High);
        let bleed = finding(FindingKind::Crosstalk, "stereo_bleed", Severity::Medium);
        let pii = finding(FindingKind::Pii, "card_number", Severity::High);
        assert_eq!(level_of(&[]), Level::Green);
        let green = verdict_of(&[], &VerdictRules::default());
        assert_eq!(format!("{}", green.score), "0");
        assert_eq!(level_of(std::slice::from_ref(&noise)), Level::Yellow);
        assert_eq!(level_of(&[noise.clone(), voices.clone()]), Level::Orange);
        assert_eq!(
            level_of(&[noise.clone(), voices.clone(), bleed.clone()]),
            Level::Red
        );
        assert_eq!(level_of(&[noise, voices, bleed, pii]), Level::Red);
    }

    #[test]
    fn repeated_flag_counts_once_and_low_severity_not_at_all() {
        let findings = [
            finding(FindingKind::Manipulation, "pressure", Severity::Medium),
            finding(FindingKind::Manipulation, "false_urgency", Severity::High),
            finding(FindingKind::RecordingQuality, "narrowband", Severity::Low),
            finding(FindingKind::RecordingQuality, "dc_offset", Severity::Info),
        ];
        let verdict = verdict_of(&findings, &VerdictRules::default());
        assert_eq!(verdict.level, Level::Yellow);
        assert_eq!(verdict.flags, vec!["manipulation".to_string()]);
        assert_eq!(verdict.score, 1.5, "worst severity of the flag counts");
    }

    #[test]
    fn rules_from_config_move_the_levels() {
        let rules = VerdictRules {
            min_severity: Severity::Low,
            yellow_flags: 1,
            orange_flags: 3,
            red_flags: 5,
        };
        let findings = [
            finding(FindingKind::RecordingQuality, "narrowband", Severity::Low),
            finding(FindingKind::Noise, "background_noise", Severity::Low),
        ];
        assert_eq!(verdict_of(&findings, &rules).level, Level::Yellow);
        assert_eq!(level_of(&findings), Level::Green);
        assert!(rules.validate().is_ok());
        let unordered = VerdictRules {
            orange_flags: 1,
            ..VerdictRules::default()
        };
        assert!(unordered.validate().is_err());
    }

    #[test]
    fn vendor_verdict_counts_distinct_flags_across_its_recordings() {
        let noise = finding(FindingKind::Noise, "background_noise", Severity::Medium);
        let lie = finding(FindingKind::Misinformation, "price", Severity::High);
        let staged = finding(FindingKind::StagedDialogue, "scripted", Severity::Medium);
        let recordings = vec![
            recording("in/acme/a.wav", Some("acme"), vec![noise.clone()]),
            recording("in/acme/b.wav", Some("acme"), vec![noise.clone(), lie]),
            recording("in/acme/c.wav", Some("acme"), vec![staged]),
            recording("in/beta/a.wav", Some("beta"), vec![noise]),
            recording("in/gamma/a.wav", Some("gamma"), vec![]),
        ];
        let vendors = vendor_summaries(&recordings, &VerdictRules::default());
        let names: Vec<&str> = vendors.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["acme", "beta", "gamma"]);
        let acme = &vendors[0];
        assert_eq!(acme.verdict.level, Level::Red);
        assert_eq!(acme.recordings, 3);
        assert!((acme.total_minutes - 4.5).abs() < 1e-9);
        assert_eq!(acme.flag_counts["noise"], 2);
        assert_eq!(acme.flag_counts["misinformation"], 1);
        assert_eq!(vendors[1].verdict.level, Level::Yellow);
        assert_eq!(vendors[2].verdict.level, Level::Green);
        assert!(vendors[2].flag_counts.is_empty());
    }

    #[test]
    fn recordings_without_vendor_use_their_folder_or_no_vendor() {
        assert_eq!(
            vendor_name(&recording("calls/x.wav", None, vec![])),
            "calls"
        );
        assert_eq!(vendor_name(&recording("x.wav", None, vec![])), NO_VENDOR);
        assert_eq!(
            vendor_name(&recording("calls/x.wav", Some("acme"), vec![])),
            "acme"
        );
    }

    #[test]
    fn apply_fills_verdicts_vendor_override_and_worst_level() {
        let noise = finding(FindingKind::Noise, "background_noise", Severity::High);
        let mut report = Report {
            schema: crate::model::SCHEMA.into(),
            recordings: vec![
                recording("a/x.wav", Some("a"), vec![noise]),
                recording("b/y.wav", None, vec![]),
            ],
            errors: vec![],
            skipped: vec![],
            vendors: vec![],
            provenance: None,
        };
        apply(&mut report, Some("solo"), &VerdictRules::default());
        assert_eq!(report.vendors.len(), 1);
        assert_eq!(report.vendors[0].name, "solo");
        assert_eq!(report.vendors[0].recordings, 2);
        assert_eq!(
            report.recordings[1].verdict.as_ref().unwrap().level,
            Level::Green
        );
        assert_eq!(worst_vendor_level(&report), Some(Level::Yellow));
    }

    #[test]
    fn links_to_other_vendors_never_count() {
        let mut link = finding(FindingKind::SameVoice, "same_voice", Severity::High);
        link.details.insert(CROSS_VENDOR.into(), true.into());
        let rules = VerdictRules {
            min_severity: Severity::Info,
            ..VerdictRules::default()
        };
        assert_eq!(verdict_of(&[link.clone()], &rules).level, Level::Green);
        link.details.remove(CROSS_VENDOR);
        assert_eq!(verdict_of(&[link], &rules).level, Level::Yellow);
    }
}
