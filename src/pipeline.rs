//! Orchestration: discover -> decode -> measure -> findings for every input, in parallel,
//! with the per-file error policy (a bad file becomes an error record, never a crash).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::asr::run::{transcribe_recording, ProgressFn};
use crate::asr::transcribe::Engine;
use crate::audio::{AudioStream, DecodeError, Resampler16k};
use crate::config::AnalyzeConfig;
use crate::conversation::{self, VoicePrint, VoicePrinter};
use crate::discover::{discover, io_message, Discovered, Input};
use crate::findings::{assess, assess_truncation};
use crate::interrupt;
use crate::model::{ChannelMeasures, InputError, Recording, Report, TimeRange, SCHEMA};
use crate::parts::{self, Analysed, Outcome};
use crate::shard;
use crate::signal::background;
use crate::signal::crosstalk::BleedAnalyzer;
use crate::signal::neural_vad::SileroModel;
use crate::signal::ChannelAnalyzer;
use crate::text::{self, Claim, FactSet, RuleSet, ScanOptions};
use crate::verdict;

/// What the stages after the acoustic measurements need, prepared once per run.
pub struct Stages<'a> {
    /// The loaded speech recogniser; `None` with `--no-transcribe`.
    pub asr: Option<&'a Engine>,
    /// Compiled phrase and personal-data rules.
    pub rules: &'a RuleSet,
    /// The vendor's facts that claims are checked against (`--facts`).
    pub facts: Option<&'a FactSet>,
    /// Where to tell what happens while the files are analysed (progress, streamed records).
    pub events: Option<&'a Sender<Event>>,
}

/// What the pipeline tells its caller while it runs, sent from the worker threads.
#[derive(Debug)]
pub enum Event {
    /// The inputs were searched: this many audio files will be analysed.
    Discovered { files: usize },
    /// A file was opened; `duration_s` is the length its header announces, if any.
    Started {
        path: PathBuf,
        duration_s: Option<f64>,
    },
    /// Seconds of `path`'s audio through `pass` so far.
    Advanced {
        path: PathBuf,
        pass: Pass,
        seconds: f64,
    },
    /// A file is done: its recording with its own findings (before the cross-recording checks
    /// and the verdicts), or why it failed.
    Finished {
        path: PathBuf,
        result: Box<Result<Recording, InputError>>,
    },
}

/// The passes over a file's audio that take time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Decoding and the acoustic measurements.
    Decode,
    /// Speech recognition.
    Transcribe,
}

/// Sends an event when someone listens; a listener that went away is not an error.
fn tell(events: Option<&Sender<Event>>, event: impl FnOnce() -> Event) {
    if let Some(sender) = events {
        let _ = sender.send(event());
    }
}

/// A counting semaphore: at most `free` (at the start) transcriptions run at once.
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

impl Slots {
    fn new(count: usize) -> Self {
        Self {
            free: Mutex::new(count),
            released: Condvar::new(),
        }
    }

    /// Runs `work` once a slot is free, holding it meanwhile.
    fn with<T>(&self, work: impl FnOnce() -> T) -> T {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .released
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        drop(free);
        let result = work();
        *self.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.released.notify_one();
        result
    }
}

/// What every worker of one `analyze` run shares.
struct Run<'a> {
    config: &'a AnalyzeConfig,
    stages: &'a Stages<'a>,
    /// The part options text (see [`options_text`]).
    options: String,
    /// Transcriptions allowed at once (`--max-memory`).
    slots: Slots,
    /// Whisper threads per transcription.
    threads: usize,
}

/// How many files may be transcribed at once: `--jobs`, fewer when `--max-memory` says so.
fn transcribers(config: &AnalyzeConfig, stages: &Stages) -> usize {
    let within = stages.asr.map_or(config.jobs, |engine| {
        engine.workers_within(config.max_memory_mb)
    });
    config.jobs.min(within).max(1)
}

/// How many files are analysed at once: `--jobs`, fewer when the transcriptions leave too little
/// of `--max-memory` for the others' decoding and measuring.
fn analysis_workers(config: &AnalyzeConfig, stages: &Stages) -> usize {
    let within = stages.asr.map_or(config.jobs, |engine| {
        engine.analysis_workers_within(config.max_memory_mb, transcribers(config, stages))
    });
    config.jobs.min(within).max(1)
}

/// The cores shared among the transcriptions that run at once.
fn whisper_threads(config: &AnalyzeConfig, stages: &Stages) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / transcribers(config, stages)).max(1)
}

/// Runs `analyze` over the configured inputs without speech recognition; never fails as a whole.
pub fn analyze(config: &AnalyzeConfig) -> Report {
    let rules = RuleSet::builtin();
    let stages = Stages {
        asr: None,
        rules: &rules,
        facts: None,
        events: None,
    };
    analyze_with(config, &stages)
}

/// Runs `analyze` over the configured inputs through every stage in `stages` (the model and the
/// rules are loaded once by the caller and shared by every worker); never fails as a whole.
/// With `--shard` only that share of the audio files is analysed; with `--parts` each input's
/// outcome is written to its part as soon as it is done, and a part made from the same content
/// with the same options is read instead of analysing the file again.
pub fn analyze_with(config: &AnalyzeConfig, stages: &Stages) -> Report {
    analyze_found(
        config,
        stages,
        discover(&config.inputs, config.include_hidden),
    )
}

/// Runs `analyze` over files already discovered (only the `--shard` share of them). After Ctrl-C
/// ([`interrupt::requested`]) no further file is started and the report lacks the files not
/// analysed: callers drop it.
pub(crate) fn analyze_found(
    config: &AnalyzeConfig,
    stages: &Stages,
    mut found: Discovered,
) -> Report {
    if let Some(share) = config.shard {
        found.audio.retain(|input| {
            shard::selects(share, &shard::relative_key(&config.inputs, &input.path))
        });
    }
    let run = Run {
        config,
        stages,
        options: options_text(config, stages),
        slots: Slots::new(transcribers(config, stages)),
        threads: whisper_threads(config, stages),
    };
    tell(stages.events, || Event::Discovered {
        files: found.audio.len(),
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(analysis_workers(config, stages))
        .build()
        .expect("a thread pool with a positive thread count");
    let analysed: Vec<Option<Outcome>> = pool.install(|| {
        use rayon::prelude::*;
        found
            .audio
            .par_iter()
            .map(|input| {
                if interrupt::requested() {
                    return None;
                }
                let outcome = analyze_or_reuse(input, &run);
                tell(stages.events, || Event::Finished {
                    path: input.path.clone(),
                    result: Box::new(match &outcome {
                        Outcome::Recording(one) => Ok(one.recording.clone()),
                        Outcome::Error(error) => Err(error.clone()),
                        Outcome::Skipped(skipped) => Err(InputError {
                            path: skipped.path.clone(),
                            message: skipped.reason.clone(),
                        }),
                    }),
                });
                Some(outcome)
            })
            .collect()
    });
    let mut outcomes: Vec<Outcome> = found.errors.into_iter().map(Outcome::Error).collect();
    outcomes.extend(found.skipped.into_iter().map(Outcome::Skipped));
    if let Some(dir) = &config.parts_dir {
        outcomes = outcomes
            .into_iter()
            .map(|o| stored(dir, None, &run, o))
            .collect();
    }
    outcomes.extend(analysed.into_iter().flatten());
    assemble(outcomes, config.vendor.as_deref())
}

/// The report of a run from its inputs' outcomes (in any order): recordings in path order, the
/// cross-recording checks, errors and skipped files sorted by path. `analyze` and `merge` both
/// end here, so a merged report equals the one run's. `vendor_override` is `--vendor`.
pub fn assemble(outcomes: Vec<Outcome>, vendor_override: Option<&str>) -> Report {
    let mut report = Report {
        schema: SCHEMA.into(),
        recordings: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
        vendors: Vec::new(),
        provenance: None,
    };
    let mut analysed = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Recording(one) => analysed.push(*one),
            Outcome::Error(error) => report.errors.push(error),
            Outcome::Skipped(skipped) => report.skipped.push(skipped),
        }
    }
    analysed.sort_by(|a, b| Path::new(&a.recording.path).cmp(Path::new(&b.recording.path)));
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    link_recordings(&mut analysed, vendor_override);
    report.recordings = analysed.into_iter().map(|a| a.recording).collect();
    report
}

/// Everything besides a file's content that shapes its outcome, as `key=value; ...`: a part is
/// reused only when this text is the same.
fn options_text(config: &AnalyzeConfig, stages: &Stages) -> String {
    let digest = |path: &Path| {
        parts::content_sha256(path).unwrap_or_else(|err| format!("unreadable ({err})"))
    };
    let files = |paths: &[&std::path::PathBuf]| {
        paths
            .iter()
            .map(|p| format!("{}:{}", p.display(), digest(p)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let asr = &config.asr;
    [
        format!("callqa={}", env!("CARGO_PKG_VERSION")),
        format!("thresholds={:?}", config.thresholds),
        format!("model={}", stages.asr.map_or("none", |e| e.model_id())),
        format!("lang={:?}", asr.language),
        format!("agent_channel={:?}", asr.agent_channel),
        format!("fast={}", asr.fast),
        format!("show_pii={}", config.show_pii),
        format!(
            "facts={}",
            files(&config.facts_file.iter().collect::<Vec<_>>())
        ),
        format!(
            "rules={}",
            files(&config.rules_files.iter().collect::<Vec<_>>())
        ),
    ]
    .join("; ")
}

/// One audio file: its part when it is reusable, else analysed (and its part written).
fn analyze_or_reuse(input: &Input, run: &Run) -> Outcome {
    let Some(dir) = &run.config.parts_dir else {
        return fresh(input, run);
    };
    let sha = parts::content_sha256(&input.path).ok();
    let path = input.path.display().to_string();
    if let Some(sha) = &sha {
        if let Some(analysed) = parts::reusable(dir, &path, sha, &run.options) {
            return Outcome::Recording(Box::new(analysed));
        }
    }
    let outcome = fresh(input, run);
    stored(dir, sha, run, outcome)
}

fn fresh(input: &Input, run: &Run) -> Outcome {
    match analyze_input(input, run) {
        Ok(analysed) => Outcome::Recording(Box::new(analysed)),
        Err(error) => Outcome::Error(error),
    }
}

/// Writes the outcome's part; when that fails the input becomes an error that says so (its
/// result would be missing from a later `merge`).
fn stored(dir: &Path, sha: Option<String>, run: &Run, outcome: Outcome) -> Outcome {
    let part = parts::Part {
        schema: parts::PART_SCHEMA.into(),
        content_sha256: sha,
        options: run.options.clone(),
        show_pii: run.config.show_pii,
        outcome,
    };
    match parts::write(dir, &part) {
        Ok(()) => part.outcome,
        Err(err) => Outcome::Error(InputError {
            path: part.outcome.path().to_string(),
            message: format!(
                "analysed, but its part could not be written into {}: {err} (free disk space or \
                 fix the folder's permissions, then run again: finished parts are reused)",
                dir.display()
            ),
        }),
    }
}

/// Checks across the recordings of a run: the same claim with different values within one vendor
/// (`inconsistency`), the same customer voice or wording in several calls (`same_voice`,
/// `repeated_wording`; counted within a vendor, information across vendors). `vendor_override` is
/// `--vendor`, which puts every recording under one vendor.
fn link_recordings(analysed: &mut [Analysed], vendor_override: Option<&str>) {
    let vendors: Vec<String> = analysed
        .iter()
        .map(|a| match vendor_override {
            Some(name) => name.to_string(),
            None => verdict::vendor_name(&a.recording),
        })
        .collect();
    let mut links = Vec::new();
    for vendor in vendors.iter().collect::<BTreeSet<_>>() {
        let claims: Vec<(String, Vec<Claim>)> = analysed
            .iter()
            .zip(&vendors)
            .filter(|(_, v)| *v == vendor)
            .map(|(a, _)| (a.recording.path.clone(), a.claims.clone()))
            .collect();
        links.extend(text::facts::inconsistencies(&claims));
    }
    let items: Vec<conversation::RunItem> = analysed
        .iter()
        .zip(&vendors)
        .filter_map(|(a, vendor)| {
            Some(conversation::RunItem {
                path: a.recording.path.as_str(),
                vendor,
                transcript: a.recording.transcript.as_ref()?,
                customer_voice: a.customer_voice.as_ref(),
            })
        })
        .collect();
    links.extend(conversation::cross_recording(&items));
    for (path, finding) in links {
        if let Some(one) = analysed.iter_mut().find(|a| a.recording.path == path) {
            one.recording.findings.push(finding);
        }
    }
}

fn analyze_input(input: &Input, run: &Run) -> Result<Analysed, InputError> {
    let (config, stages) = (run.config, run.stages);
    let mut on_decoded = |announced_s: Option<f64>, decoded_s: f64| {
        tell(stages.events, || {
            let path = input.path.clone();
            if decoded_s == 0.0 {
                Event::Started {
                    path,
                    duration_s: announced_s,
                }
            } else {
                Event::Advanced {
                    path,
                    pass: Pass::Decode,
                    seconds: decoded_s,
                }
            }
        })
    };
    let mut recording =
        measure_file_with(&input.path, &mut on_decoded).map_err(|err| InputError {
            path: input.path.display().to_string(),
            message: decode_message(&err),
        })?;
    recording.vendor = input.vendor.clone();
    if let Some(engine) = stages.asr {
        run.slots
            .with(|| transcribe_into(&mut recording, &input.path, engine, run));
        drop_transcribed_voices(&mut recording);
    }
    recording.findings = assess(
        recording.sample_rate_hz,
        &recording.channels,
        &recording.bleed,
        &config.thresholds,
    );
    if let Some(missing_s) = recording.truncated_s {
        let finding = assess_truncation(missing_s, recording.duration_s);
        recording.findings.push(finding);
    }
    let claims = scan_words(&mut recording, stages, config.show_pii);
    let customer_voice = analyze_conversation(&mut recording, &input.path);
    Ok(Analysed {
        recording,
        claims,
        customer_voice,
    })
}

/// The text rules on the recording's transcript: findings go on the recording, claims are returned
/// for the cross-recording consistency check.
fn scan_words(recording: &mut Recording, stages: &Stages, show_pii: bool) -> Vec<Claim> {
    let Some(transcript) = &recording.transcript else {
        return Vec::new();
    };
    let options = ScanOptions {
        languages: &[],
        show_pii,
        facts: stages.facts,
    };
    let (findings, claims) = text::scan_with_claims(stages.rules, transcript, &options);
    recording.findings.extend(findings);
    claims
}

/// Conversation metrics and the staged-call finding; returns the customer's voice print.
fn analyze_conversation(recording: &mut Recording, path: &Path) -> Option<VoicePrint> {
    let (channel, ranges) = judge_conversation(recording)?;
    match voice_print(path, channel, &ranges) {
        Ok(print) => print,
        Err(err) => {
            recording
                .warnings
                .push(format!("voice print not made: {err}"));
            None
        }
    }
}

/// Adds the conversation metrics and the staged-call finding to a transcribed recording (from its
/// transcript and channel measures alone, so a saved report can be judged again); returns the
/// customer's channel and talk, or None when there is no transcript or no customer.
pub fn judge_conversation(recording: &mut Recording) -> Option<(usize, Vec<TimeRange>)> {
    let transcript = recording.transcript.as_ref()?;
    let Some(customer) = conversation::customer_label(transcript) else {
        let (metrics, finding) =
            conversation::analyze_unsplit(transcript, &recording.channels, recording.duration_s);
        recording.conversation = Some(metrics);
        recording.findings.push(finding);
        return None;
    };
    let ranges = conversation::speaker_ranges(transcript, &customer);
    let channel = customer_channel(&recording.channels, &ranges);
    let ordered = agent_first(&recording.channels, channel);
    let (metrics, finding) =
        conversation::analyze_recording(transcript, &ordered, recording.duration_s);
    recording.conversation = Some(metrics);
    recording.findings.push(finding);
    Some((channel, ranges))
}

/// The channel that carries the customer: the one whose speech regions cover most of the
/// customer's talk (channel 0 for mono).
fn customer_channel(channels: &[ChannelMeasures], customer: &[TimeRange]) -> usize {
    let covered = |ch: &ChannelMeasures| -> f64 {
        customer
            .iter()
            .map(|c| {
                ch.speech_regions
                    .iter()
                    .map(|s| c.overlap_s(s))
                    .sum::<f64>()
            })
            .sum()
    };
    (0..channels.len())
        .max_by(|&a, &b| covered(&channels[a]).total_cmp(&covered(&channels[b])))
        .unwrap_or(0)
}

/// Channel measures with the agent's channel first and the customer's second (stereo calls).
fn agent_first(channels: &[ChannelMeasures], customer: usize) -> Vec<ChannelMeasures> {
    let mut ordered = channels.to_vec();
    if ordered.len() == 2 && customer == 0 {
        ordered.swap(0, 1);
    }
    ordered
}

/// A third, cheap decoding pass: the customer's voice print over their speech on their channel.
fn voice_print(
    path: &Path,
    channel: usize,
    ranges: &[TimeRange],
) -> Result<Option<VoicePrint>, DecodeError> {
    if ranges.is_empty() {
        return Ok(None);
    }
    let mut stream = AudioStream::open(path)?;
    let mut printer = VoicePrinter::new(stream.info().sample_rate_hz, ranges);
    while let Some(block) = stream.next_block()? {
        if let Some(samples) = block.get(channel) {
            printer.push(samples);
        }
    }
    Ok(printer.finish())
}

/// On a mono call, quieter speech that the transcript gives to one of the call's parties is that
/// party (the other side of a mono mix), not a voice in the background.
fn drop_transcribed_voices(recording: &mut Recording) {
    let (Some(transcript), [channel]) = (&recording.transcript, recording.channels.as_mut_slice())
    else {
        return;
    };
    let talk: Vec<TimeRange> = transcript
        .segments
        .iter()
        .filter_map(|s| Some(TimeRange::new(s.start_s?, s.end_s?)))
        .collect();
    channel.background_voices = background::without_talk(&channel.background_voices, &talk);
}

/// The transcription pass; a failure becomes a warning on the recording, the acoustic report stays.
fn transcribe_into(recording: &mut Recording, path: &Path, engine: &Engine, run: &Run) {
    let config = run.config;
    // whisper-rs never frees the progress closure it is given, so the closure reaches the event
    // channel through a slot that is emptied below: a sender kept alive by the leaked closure
    // would keep the progress thread waiting for the channel to close forever.
    let sender = Arc::new(Mutex::new(run.stages.events.cloned()));
    let slot = Arc::clone(&sender);
    let owned_path = path.to_path_buf();
    let progress: ProgressFn = Arc::new(move |seconds| {
        let sender = slot.lock().unwrap_or_else(PoisonError::into_inner);
        tell(sender.as_ref(), || Event::Advanced {
            path: owned_path.clone(),
            pass: Pass::Transcribe,
            seconds,
        })
    });
    let result = transcribe_recording(engine, path, recording, &config.asr, run.threads, progress);
    sender.lock().unwrap_or_else(PoisonError::into_inner).take();
    match result {
        Ok((transcript, cut)) => {
            if cut && !crate::interrupt::requested() {
                recording.warnings.push(format!(
                    "transcription cut after {:.0} s (--max-asr-factor {}, {:.1} s of audio): \
                     the transcript and the text findings cover only the part decoded by then",
                    config.asr.asr_budget_s(recording.duration_s),
                    config.asr.max_asr_factor,
                    recording.duration_s
                ));
            }
            recording.transcript = Some(transcript);
        }
        Err(err) => recording
            .warnings
            .push(format!("transcription failed: {}", error_chain(&err))),
    }
}

/// An error and its causes on one line, `outer: inner: innermost`.
fn error_chain(err: &dyn std::error::Error) -> String {
    std::iter::successors(Some(err), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn decode_message(err: &DecodeError) -> String {
    match err {
        DecodeError::Io(io) => io_message(io),
        other => other.to_string(),
    }
}

/// What [`silero`] says when `CALLQA_VAD=energy` chose the energy VAD (no warning then).
pub const ENERGY_CHOSEN: &str = "CALLQA_VAD=energy";

/// The Silero VAD model, loaded once per process and shared by every file and thread: from
/// `$CALLQA_VAD_MODEL`, else the pinned file ([`SILERO_VAD`](crate::asr::model::SILERO_VAD)) in
/// the models folder. `CALLQA_VAD=energy`
/// turns it off ([`ENERGY_CHOSEN`]). Why it is not there, when it is not.
pub fn silero() -> Result<SileroModel, String> {
    static MODEL: std::sync::OnceLock<Result<SileroModel, String>> = std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| {
            if std::env::var("CALLQA_VAD").is_ok_and(|v| v == "energy") {
                return Err(ENERGY_CHOSEN.into());
            }
            let path = std::env::var_os("CALLQA_VAD_MODEL")
                .filter(|v| !v.is_empty())
                .map_or_else(
                    || {
                        crate::asr::model::models_dir()
                            .join(crate::asr::model::SILERO_VAD.file_name)
                    },
                    PathBuf::from,
                );
            SileroModel::load(&path).map_err(|err| err.to_string())
        })
        .clone()
}

/// Decodes a file block by block and runs every acoustic measurement on it.
pub fn measure_file(path: &Path) -> Result<Recording, DecodeError> {
    measure_file_with(path, &mut |_, _| {})
}

/// [`measure_file`], telling `progress(announced_s, decoded_s)` once when the file is open
/// (`decoded_s` 0, `announced_s` the header's length in seconds, if any) and after every block.
pub fn measure_file_with(
    path: &Path,
    progress: &mut dyn FnMut(Option<f64>, f64),
) -> Result<Recording, DecodeError> {
    let mut stream = AudioStream::open(path)?;
    let info = stream.info().clone();
    progress(info.duration_s, 0.0);
    let vad = silero();
    let mut analyzers: Vec<ChannelAnalyzer> = (0..info.channels)
        .map(|index| match &vad {
            Ok(model) => ChannelAnalyzer::with_neural_vad(index, info.sample_rate_hz, model),
            Err(_) => ChannelAnalyzer::new(index, info.sample_rate_hz),
        })
        .collect();
    let mut resamplers: Vec<Resampler16k> = match &vad {
        Ok(_) => (0..info.channels)
            .map(|_| Resampler16k::new(info.sample_rate_hz))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut bleed = BleedAnalyzer::new(info.sample_rate_hz, info.channels);
    let mut frames = 0usize;
    while let Some(block) = stream.next_block()? {
        for (resampler, (analyzer, samples)) in
            resamplers.iter_mut().zip(analyzers.iter_mut().zip(&block))
        {
            analyzer.push_16k(&resampler.process(samples));
        }
        for (analyzer, samples) in analyzers.iter_mut().zip(&block) {
            analyzer.push(samples);
        }
        bleed.push(&block);
        frames += block.first().map_or(0, Vec::len);
        progress(
            info.duration_s,
            frames as f64 / f64::from(info.sample_rate_hz),
        );
    }
    if frames == 0 {
        return Err(DecodeError::Corrupt(
            "the file holds no audio samples".into(),
        ));
    }
    for (resampler, analyzer) in resamplers.iter_mut().zip(analyzers.iter_mut()) {
        analyzer.push_16k(&resampler.finish());
    }
    let mut channels = Vec::with_capacity(analyzers.len());
    let mut plots = Vec::with_capacity(analyzers.len());
    for analyzer in analyzers {
        let (measures, plot) = analyzer.finish();
        channels.push(measures);
        plots.push(plot);
    }
    let neural = channels.iter().all(|c| c.neural_vad);
    let mut warnings = stream.warnings().to_vec();
    match (&vad, neural) {
        (Err(why), _) if why == ENERGY_CHOSEN => {}
        (Err(why), _) => warnings.push(format!(
            "voice activity: {why}; the energy VAD decided speech and pauses, so background \
             voices, dropouts and pauses are less reliable (keyboard, street and other \
             non-speech noise can read as speech)"
        )),
        (Ok(_), false) => warnings.push(
            "voice activity: Silero VAD failed on this file; the energy VAD decided speech and pauses".into(),
        ),
        _ => {}
    }
    Ok(Recording {
        path: path.display().to_string(),
        vad: Some(if neural { "silero" } else { "energy" }.into()),
        duration_s: frames as f64 / f64::from(info.sample_rate_hz),
        sample_rate_hz: info.sample_rate_hz,
        codec: info.codec,
        bits_per_sample: info.bits_per_sample,
        channels,
        bleed: bleed.finish(),
        warnings,
        truncated_s: stream.missing_s(),
        plots: plots.into_iter().next().unwrap_or_default(),
        ..Recording::default()
    })
}
