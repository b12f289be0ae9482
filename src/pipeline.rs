//! Orchestration: discover -> decode -> measure -> findings for every input, in parallel,
//! with the per-file error policy (a bad file becomes an error record, never a crash).

use std::path::Path;

use crate::asr::run::transcribe_recording;
use crate::asr::transcribe::Engine;
use crate::audio::{AudioStream, DecodeError};
use crate::config::AnalyzeConfig;
use crate::discover::{discover, io_message, Input};
use crate::findings::assess;
use crate::progress::Progress;
use crate::recording::{InputError, Recording, Report, SCHEMA};
use crate::signal::crosstalk::BleedAnalyzer;
use crate::signal::ChannelAnalyzer;

/// Runs `analyze` over the configured inputs without speech recognition; never fails as a whole.
pub fn analyze(config: &AnalyzeConfig) -> Report {
    analyze_with(config, None)
}

/// Runs `analyze` over the configured inputs, transcribing with `asr` when given (the model is
/// loaded once by the caller and shared by every worker); never fails as a whole.
pub fn analyze_with(config: &AnalyzeConfig, asr: Option<&Engine>) -> Report {
    let found = discover(&config.inputs, config.include_hidden);
    let progress = Progress::new(found.audio.len() as u64, config.quiet);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs)
        .build()
        .expect("a thread pool with a positive thread count");
    let results: Vec<Result<Recording, InputError>> = pool.install(|| {
        use rayon::prelude::*;
        found
            .audio
            .par_iter()
            .map(|input| {
                let result = analyze_input(input, config, asr);
                progress.file_done(&input.path);
                result
            })
            .collect()
    });
    progress.finish();
    let mut report = Report {
        schema: SCHEMA.into(),
        recordings: Vec::new(),
        errors: found.errors,
        skipped: found.skipped,
        vendors: Vec::new(),
    };
    for result in results {
        match result {
            Ok(recording) => report.recordings.push(recording),
            Err(error) => report.errors.push(error),
        }
    }
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
}

fn analyze_input(
    input: &Input,
    config: &AnalyzeConfig,
    asr: Option<&Engine>,
) -> Result<Recording, InputError> {
    let mut recording = measure_file(&input.path).map_err(|err| InputError {
        path: input.path.display().to_string(),
        message: decode_message(&err),
    })?;
    recording.vendor = input.vendor.clone();
    recording.findings = assess(
        recording.sample_rate_hz,
        &recording.channels,
        &recording.bleed,
        &config.thresholds,
    );
    if let Some(engine) = asr {
        transcribe_into(&mut recording, &input.path, engine, config);
    }
    Ok(recording)
}

/// The transcription pass; a failure becomes a warning on the recording, the acoustic report stays.
fn transcribe_into(
    recording: &mut Recording,
    path: &Path,
    engine: &Engine,
    config: &AnalyzeConfig,
) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores / config.jobs.max(1)).max(1);
    match transcribe_recording(engine, path, recording, &config.asr, threads) {
        Ok(transcript) => recording.transcript = Some(transcript),
        Err(err) => recording
            .warnings
            .push(format!("transcription failed: {err:#}")),
    }
}

fn decode_message(err: &DecodeError) -> String {
    match err {
        DecodeError::Io(io) => io_message(io),
        other => other.to_string(),
    }
}

/// Decodes a file block by block and runs every acoustic measurement on it.
pub fn measure_file(path: &Path) -> Result<Recording, DecodeError> {
    let mut stream = AudioStream::open(path)?;
    let info = stream.info().clone();
    let mut analyzers: Vec<ChannelAnalyzer> = (0..info.channels)
        .map(|index| ChannelAnalyzer::new(index, info.sample_rate_hz))
        .collect();
    let mut bleed = BleedAnalyzer::new(info.sample_rate_hz, info.channels);
    let mut frames = 0usize;
    while let Some(block) = stream.next_block()? {
        for (analyzer, samples) in analyzers.iter_mut().zip(&block) {
            analyzer.push(samples);
        }
        bleed.push(&block);
        frames += block.first().map_or(0, Vec::len);
    }
    if frames == 0 {
        return Err(DecodeError::Corrupt(
            "the file holds no audio samples".into(),
        ));
    }
    let mut channels = Vec::with_capacity(analyzers.len());
    let mut plots = Vec::with_capacity(analyzers.len());
    for analyzer in analyzers {
        let (measures, plot) = analyzer.finish();
        channels.push(measures);
        plots.push(plot);
    }
    Ok(Recording {
        path: path.display().to_string(),
        duration_s: frames as f64 / f64::from(info.sample_rate_hz),
        sample_rate_hz: info.sample_rate_hz,
        codec: info.codec,
        bits_per_sample: info.bits_per_sample,
        channels,
        bleed: bleed.finish(),
        warnings: stream.warnings().to_vec(),
        plots: plots.into_iter().next().unwrap_or_default(),
        ..Recording::default()
    })
}
