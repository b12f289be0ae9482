//! What a finding is: the unit of evidence every stage produces and every report lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A span of time inside a recording, in seconds from its start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start_s: f64,
    pub end_s: f64,
}

impl TimeRange {
    pub fn new(start_s: f64, end_s: f64) -> Self {
        Self { start_s, end_s }
    }

    pub fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    /// Seconds this range shares with `other` (0 when they do not meet).
    pub fn overlap_s(&self, other: &TimeRange) -> f64 {
        (self.end_s.min(other.end_s) - self.start_s.max(other.start_s)).max(0.0)
    }
}

/// How much a finding should worry the buyer, from a remark to a red flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

/// What a finding is about; `category` narrows it down (e.g. `pii` / `card_number`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    RecordingQuality,
    Noise,
    Crosstalk,
    Pii,
    OutdatedPhrase,
    Manipulation,
    ServiceError,
    MissingRequiredPhrase,
    Misinformation,
    Inconsistency,
    Confidential,
    StagedDialogue,
    SameVoice,
}

/// `details` key set (to `true`) on a link to another vendor's recording (`same_voice`,
/// `repeated_wording`): shown for information, never counted in a verdict, so that a vendor's
/// verdict does not depend on other vendors' files.
pub const CROSS_VENDOR: &str = "cross_vendor";

/// One thing worth the buyer's attention, with the evidence that backs it.
///
/// Acoustic findings fill `time_ranges`; text findings also fill `rule`, `excerpt`
/// (personal data masked), `span` (byte offsets in the scanned text), `line` and `speaker`.
/// Stage-specific figures (a staged-call score, stated vs expected values ...) go in `details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub category: String,
    pub severity: Severity,
    #[serde(default)]
    pub rule: Option<String>,
    pub message: String,
    #[serde(default)]
    pub excerpt: Option<String>,
    #[serde(default)]
    pub span: Option<[usize; 2]>,
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub time_ranges: Vec<TimeRange>,
    #[serde(flatten)]
    pub details: BTreeMap<String, serde_json::Value>,
}

impl Finding {
    /// A finding with only the fields every finding has; the optional ones start empty.
    pub fn new(
        kind: FindingKind,
        category: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            category: category.into(),
            severity,
            rule: None,
            message: message.into(),
            excerpt: None,
            span: None,
            line: None,
            speaker: None,
            time_ranges: Vec::new(),
            details: BTreeMap::new(),
        }
    }

    pub fn with_time_ranges(mut self, time_ranges: Vec<TimeRange>) -> Self {
        self.time_ranges = time_ranges;
        self
    }
}
