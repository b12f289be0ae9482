//! The validated configuration of every subcommand (`*Config`), and the thresholds with documented
//! defaults that a TOML file overrides. No clap here: the CLI layer builds these.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Level, Severity};
use crate::text::parse::InputFormat;

/// Where a measurement turns into a finding. Every field can be set in the `--config` TOML file
/// under `[thresholds]`; missing fields keep these defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// SNR below this is a `noise` finding of medium severity, dB.
    pub snr_medium_db: f64,
    /// SNR below this is a `noise` finding of high severity, dB.
    pub snr_high_db: f64,
    /// Noise floor above this is reported even when SNR is fine, dBFS.
    pub noise_floor_dbfs: f64,
    /// Clipped fraction of samples above this is a `recording_quality` finding (0..1).
    pub clipping_fraction: f64,
    /// Effective bandwidth below this reads as narrowband telephone audio, Hz.
    pub narrowband_hz: f64,
    /// Integrated loudness below this is "too quiet", LUFS.
    pub quiet_lufs: f64,
    /// |DC offset| above this is reported, fraction of full scale.
    pub dc_offset: f64,
    /// Sample rate below this is reported as low quality, Hz.
    pub low_sample_rate_hz: u32,
    /// Bleed louder than this is a `crosstalk` finding, dB relative to the source.
    pub bleed_db: f64,
    /// Bleed louder than this is of high severity, dB relative to the source.
    pub bleed_high_db: f64,
}

/// Largest settings file read (`--config`, `--facts`, `--rules`), bytes: real ones are a few KB.
pub const MAX_SETTINGS_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Thresholds {
    /// Each key with the range of values that make sense for it (inclusive).
    fn ranges(&self) -> [(&'static str, f64, f64, f64); 10] {
        [
            ("snr_medium_db", self.snr_medium_db, -100.0, 200.0),
            ("snr_high_db", self.snr_high_db, -100.0, 200.0),
            ("noise_floor_dbfs", self.noise_floor_dbfs, -200.0, 0.0),
            ("clipping_fraction", self.clipping_fraction, 0.0, 1.0),
            ("narrowband_hz", self.narrowband_hz, 0.0, 400_000.0),
            ("quiet_lufs", self.quiet_lufs, -200.0, 0.0),
            ("dc_offset", self.dc_offset, 0.0, 1.0),
            (
                "low_sample_rate_hz",
                f64::from(self.low_sample_rate_hz),
                0.0,
                400_000.0,
            ),
            ("bleed_db", self.bleed_db, -200.0, 0.0),
            ("bleed_high_db", self.bleed_high_db, -200.0, 0.0),
        ]
    }

    /// Refuses NaN, infinite and absurd values (a NaN threshold compares false with every
    /// measurement and would silently turn a finding off), naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value, min, max) in self.ranges() {
            if !(min..=max).contains(&value) {
                return Err(ConfigError::OutOfRange {
                    key,
                    value,
                    min,
                    max,
                });
            }
        }
        Ok(())
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            snr_medium_db: 20.0,
            snr_high_db: 10.0,
            noise_floor_dbfs: -50.0,
            clipping_fraction: 0.001,
            narrowband_hz: 5000.0,
            quiet_lufs: -35.0,
            dc_offset: 0.01,
            low_sample_rate_hz: 16_000,
            bleed_db: -40.0,
            bleed_high_db: -20.0,
        }
    }
}

/// The contents of a `--config` file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    pub thresholds: Thresholds,
    pub verdict: VerdictRules,
}

/// How findings add up to a verdict (the buyer's rule: one doubt is a question, two an orange zone,
/// three or more a red one). Set in the `--config` file under `[verdict]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerdictRules {
    /// Findings below this severity do not count as flags.
    pub min_severity: Severity,
    /// Distinct flags from which the verdict is yellow.
    pub yellow_flags: usize,
    /// Distinct flags from which the verdict is orange.
    pub orange_flags: usize,
    /// Distinct flags from which the verdict is red.
    pub red_flags: usize,
}

impl Default for VerdictRules {
    fn default() -> Self {
        Self {
            min_severity: Severity::Medium,
            yellow_flags: 1,
            orange_flags: 2,
            red_flags: 3,
        }
    }
}

impl VerdictRules {
    /// Checks that the levels start at one flag and climb strictly: yellow < orange < red.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.yellow_flags == 0
            || self.yellow_flags >= self.orange_flags
            || self.orange_flags >= self.red_flags
        {
            return Err(ConfigError::VerdictOrder {
                yellow: self.yellow_flags,
                orange: self.orange_flags,
                red: self.red_flags,
            });
        }
        Ok(())
    }
}

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {} is not valid (see README, section Configuration)", path.display())]
    Syntax {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("config file {} is not valid", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: Box<ConfigError>,
    },
    #[error("[thresholds] {key} = {value} is not a finite number between {min} and {max}")]
    OutOfRange {
        key: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("is {bytes} bytes, more than a settings file needs ({MAX_SETTINGS_FILE_BYTES} at most); is it the right file?")]
    TooLarge { bytes: u64 },
    #[error(
        "is not a regular file (a folder, named pipe or device); give the path of a TOML file"
    )]
    NotAFile,
    #[error("[verdict] needs 1 <= yellow_flags < orange_flags < red_flags (got {yellow}, {orange}, {red})")]
    VerdictOrder {
        yellow: usize,
        orange: usize,
        red: usize,
    },
}

impl ConfigFile {
    /// Reads a TOML config file; the error names the file and what is wrong in it.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let invalid = |source| ConfigError::Invalid {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() {
            return Err(invalid(ConfigError::NotAFile));
        }
        if meta.len() > MAX_SETTINGS_FILE_BYTES {
            return Err(invalid(ConfigError::TooLarge { bytes: meta.len() }));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// A config file's text parsed and validated; `path` only names it in errors. No I/O: the
    /// `settings` fuzz target drives this.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let invalid = |source| ConfigError::Invalid {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        let file: Self = toml::from_str(text).map_err(|source| ConfigError::Syntax {
            path: path.to_path_buf(),
            source,
        })?;
        file.thresholds.validate().map_err(invalid)?;
        file.verdict.validate().map_err(invalid)?;
        Ok(file)
    }
}

/// How the standard output of `analyze` and `scan` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One human line per recording (or finding), then a summary.
    Text,
    /// The whole `callqa/1` report as one pretty JSON document at the end.
    Json,
    /// JSON Lines: one record per recording (or transcript) as it finishes, a summary record last.
    Jsonl,
}

/// `--color`: when the terminal output gets ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Only when standard output is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour: `always`/`never` as said; `auto` colours a terminal unless `NO_COLOR`
    /// (see no-color.org) holds a non-empty value.
    pub fn enabled(self, stdout_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// Options every subcommand shares: how chatty and how colourful its terminal output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terminal {
    /// `-q`: no progress, notes, hints or summary lines; what was asked for and errors still print.
    pub quiet: bool,
    /// ANSI colours on standard output (already resolved from `--color` and `NO_COLOR`).
    pub color: bool,
}

/// Everything `analyze` needs, checked once before any file is touched.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    pub inputs: Vec<PathBuf>,
    pub out_dir: Option<PathBuf>,
    pub format: OutputFormat,
    pub jobs: usize,
    pub quiet: bool,
    /// ANSI colours in the text output.
    pub color: bool,
    pub include_hidden: bool,
    pub thresholds: Thresholds,
    /// Transcription settings.
    pub asr: AsrConfig,
    pub verdict: VerdictRules,
    /// Vendor name for every recording of this run (overrides the folder names).
    pub vendor: Option<String>,
    /// Exit with code 1 when any vendor's verdict reaches this level.
    pub fail_on: Option<Level>,
    /// Leave personal data unmasked in every output.
    pub show_pii: bool,
    /// `--facts FILE`: the vendor's facts that claims are checked against.
    pub facts_file: Option<PathBuf>,
    /// `--rules FILE`: extra phrase packs on top of the built-in ones.
    pub rules_files: Vec<PathBuf>,
    /// `--config FILE`, named in the report's provenance; None: built-in defaults.
    pub config_file: Option<PathBuf>,
    /// `--summary-only`: report.html holds the vendor pages and the index, no per-recording pages.
    pub summary_only: bool,
    /// `--parts DIR`: one part file per input, reused when nothing changed (see `parts`).
    pub parts_dir: Option<PathBuf>,
    /// `--shard K/N`: analyse only this share of the inputs.
    pub shard: Option<Shard>,
    /// `--max-memory`: peak RSS budget, MB, that limits how many files are transcribed at once.
    pub max_memory_mb: u64,
    /// `--redact-audio DIR`: a WAV copy of every recording with its personal data replaced.
    pub redact_audio: Option<RedactAudio>,
}

/// `--redact-audio DIR` and `--redact-with`.
#[derive(Debug, Clone, PartialEq)]
pub struct RedactAudio {
    pub dir: PathBuf,
    pub with: RedactWith,
}

/// What replaces personal data in the redacted audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactWith {
    /// A 1 kHz tone.
    Tone,
    Silence,
}

/// One share of the inputs: `index` of `count`, 1-based (`--shard 2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// Everything `merge` needs to turn part folders into the report set.
#[derive(Debug, Clone)]
pub struct MergeConfig {
    pub parts_dirs: Vec<PathBuf>,
    /// `--config FILE`, named in the report's provenance; None: built-in verdict rules.
    pub config_file: Option<PathBuf>,
    /// `--summary-only`: report.html holds the vendor pages and the index only.
    pub summary_only: bool,
    pub out_dir: Option<PathBuf>,
    pub format: OutputFormat,
    pub quiet: bool,
    /// ANSI colours in the text output.
    pub color: bool,
    pub verdict: VerdictRules,
    /// Vendor name for every recording (as `analyze --vendor`).
    pub vendor: Option<String>,
    pub fail_on: Option<Level>,
}

/// Everything `report` needs to re-render a saved `report.json`.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub report_json: PathBuf,
    pub out_dir: PathBuf,
    /// Recompute the verdicts with these rules (from `--config`) instead of keeping the saved ones.
    pub verdict: Option<VerdictRules>,
    pub fail_on: Option<Level>,
    pub show_pii: bool,
    /// `--summary-only`: report.html holds the vendor pages and the index, no per-recording pages.
    pub summary_only: bool,
}

/// Which stereo channel carries the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentChannel {
    Left,
    Right,
    /// The side that greets or introduces itself first, else the side that speaks first.
    Auto,
}

/// How `analyze` transcribes (issue 3).
#[derive(Debug, Clone, PartialEq)]
pub struct AsrConfig {
    /// False with `--no-transcribe`: acoustic report only.
    pub enabled: bool,
    /// `--model FILE`; otherwise `$CALLQA_MODEL`, then the models folder.
    pub model: Option<PathBuf>,
    /// ISO 639-1 code; `None` detects it per recording.
    pub language: Option<String>,
    pub agent_channel: AgentChannel,
    /// Greedy decoding instead of beam search.
    pub fast: bool,
    /// `--transcripts DIR`: .txt/.srt/.vtt per recording.
    pub transcripts_dir: Option<PathBuf>,
    /// `--max-asr-factor`: transcription of a recording is cut after this many times its
    /// duration (wall-clock seconds per second of audio).
    pub max_asr_factor: f64,
    /// The watchdog never cuts before this many seconds: [`DEFAULT_MIN_ASR_BUDGET_S`] with the
    /// default factor (a short clip on a busy machine is not stuck), 0 when the user set a factor.
    pub min_asr_budget_s: f64,
}

impl AsrConfig {
    /// Wall-clock seconds the transcription of a recording of `duration_s` seconds may take.
    pub fn asr_budget_s(&self, duration_s: f64) -> f64 {
        (self.max_asr_factor * duration_s).max(self.min_asr_budget_s)
    }
}

/// Default `--max-asr-factor`: generous. Whisper `base` alone runs at 0.3-2x real time on 2
/// busy cores, but several runs sharing them went past 10x; whisper stuck in its 8 temperature
/// fallbacks does about 8 times the work.
pub const DEFAULT_MAX_ASR_FACTOR: f64 = 30.0;

/// Shortest transcription budget with the default factor, seconds: a 4 s clip got 120 s, which
/// five whisper runs sharing two cores overran without being stuck.
pub const DEFAULT_MIN_ASR_BUDGET_S: f64 = 600.0;

impl Default for AsrConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            model: None,
            language: None,
            agent_channel: AgentChannel::Auto,
            fast: false,
            transcripts_dir: None,
            max_asr_factor: DEFAULT_MAX_ASR_FACTOR,
            min_asr_budget_s: DEFAULT_MIN_ASR_BUDGET_S,
        }
    }
}

/// Where a transcript comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanInput {
    Stdin,
    File(PathBuf),
}

impl ScanInput {
    /// The name findings and errors are reported under (`<stdin>` or the path).
    pub fn name(&self) -> String {
        match self {
            ScanInput::Stdin => "<stdin>".into(),
            ScanInput::File(p) => p.display().to_string(),
        }
    }
}

/// The validated `scan` configuration.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub inputs: Vec<ScanInput>,
    /// What standard output gets: the human listing, one JSON document, or JSON Lines.
    pub output: OutputFormat,
    pub terminal: Terminal,
    pub facts_file: Option<PathBuf>,
    pub rules_files: Vec<PathBuf>,
    /// Empty: guessed per input.
    pub languages: Vec<String>,
    pub show_pii: bool,
    /// `None`: from the extension, else the content.
    pub format: Option<InputFormat>,
}

/// The validated `rules` configuration.
#[derive(Debug, Clone)]
pub enum RulesConfig {
    List {
        rules_files: Vec<PathBuf>,
        languages: Vec<String>,
    },
    Test {
        files: Vec<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ConfigFile, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("thresholds.toml");
        std::fs::write(&path, text).unwrap();
        ConfigFile::load(&path).map_err(|e| {
            std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ")
        })
    }

    #[test]
    fn nan_infinite_and_absurd_thresholds_are_refused_naming_key_and_file() {
        for (text, key) in [
            ("[thresholds]\nsnr_medium_db = nan", "snr_medium_db"),
            ("[thresholds]\nnoise_floor_dbfs = -inf", "noise_floor_dbfs"),
            (
                "[thresholds]\nclipping_fraction = 1e308",
                "clipping_fraction",
            ),
            ("[thresholds]\nbleed_db = +inf", "bleed_db"),
        ] {
            let err = load(text).unwrap_err();
            assert!(
                err.contains("thresholds.toml") && err.contains(key),
                "{err}"
            );
        }
        assert_eq!(
            load("[thresholds]\nsnr_medium_db = 25.0")
                .unwrap()
                .thresholds
                .snr_medium_db,
            25.0
        );
    }

    #[test]
    fn oversized_and_non_regular_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = ConfigFile::load(dir.path()).unwrap_err();
        assert!(
            std::error::Error::source(&err)
                .unwrap()
                .to_string()
                .contains("not a regular file"),
            "{err}"
        );
        let big = dir.path().join("big.toml");
        let comment = format!("# {}\n", "x".repeat(MAX_SETTINGS_FILE_BYTES as usize));
        std::fs::write(&big, comment).unwrap();
        let err = ConfigFile::load(&big).unwrap_err();
        assert!(
            std::error::Error::source(&err)
                .unwrap()
                .to_string()
                .contains("bytes"),
            "{err}"
        );
    }
}
