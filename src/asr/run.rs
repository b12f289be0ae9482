//! The transcription pass of one recording: reopen the file, resample each channel to 16 kHz, keep
//! only the VAD's speech regions, recognise, attribute speakers. Also prepares the engine for a run
//! (finds the model, fetching the default one on first use).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fetch::fetch;
use super::gate::{safety_threshold_dbfs, CompactAudio, SpeechGate};
use super::model::{locate, models_dir, ModelSource};
use super::speakers::{drop_bleed, label_mono, label_stereo};
use super::transcribe::{DecodeOptions, Engine};
use super::AsrError;
use crate::audio::{AudioStream, Resampler16k};
use crate::config::{AgentChannel, AsrConfig};
use crate::model::{Recording, Transcript};

/// Two channels whose difference carries less than this share of their energy are one signal
/// copied twice (dual mono) and are transcribed once.
const DUAL_MONO_RATIO: f64 = 1e-4;

/// Finds the model (`--model`, `$CALLQA_MODEL`, models folder), fetches the default one when
/// nothing is installed (telling `log` what happens), checks and loads it.
pub fn prepare_engine(config: &AsrConfig, log: &mut dyn FnMut(&str)) -> Result<Engine, AsrError> {
    let env_model = std::env::var_os("CALLQA_MODEL").map(Into::into);
    let dir = models_dir();
    let path = match locate(config.model.as_deref(), env_model, &dir)? {
        ModelSource::File(path) => path,
        ModelSource::NeedsFetch(model) => {
            log(&format!(
                "no speech model installed: fetching `{}` into {} (one time, ~140 MB; use --no-transcribe to skip)",
                model.name,
                dir.display()
            ));
            fetch(model, &dir, log).map_err(|e| AsrError::Install(Box::new(e)))?
        }
    };
    Engine::load(&path)
}

/// Checks a `--lang` code against whisper's language list.
pub fn check_language(code: &str) -> Result<(), AsrError> {
    whisper_rs::install_logging_hooks();
    if whisper_rs::get_lang_id(code).is_none() {
        return Err(AsrError::UnknownLanguage {
            code: code.to_string(),
        });
    }
    Ok(())
}

/// Told how many seconds of a recording's audio are transcribed so far (from whisper's thread).
pub type ProgressFn = Arc<dyn Fn(f64) + Send + Sync>;

/// Transcribes `recording` (already measured: its channels carry the VAD's speech regions),
/// telling `progress` the seconds of the recording done so far (channels one after the other).
/// Decoding stops once it has run `config.asr_budget_s` seconds (`--max-asr-factor` times the
/// recording's duration, at least the floor) or on Ctrl-C; the second value says whether it was
/// cut so, the transcript then holding what was decoded by then.
pub fn transcribe_recording(
    engine: &Engine,
    path: &Path,
    recording: &Recording,
    config: &AsrConfig,
    threads: usize,
    progress: ProgressFn,
) -> Result<(Transcript, bool), AsrError> {
    let budget = Duration::from_secs_f64(config.asr_budget_s(recording.duration_s));
    let deadline = Instant::now().checked_add(budget);
    let (channels, dual_mono) = gated_channels(path, recording)?;
    let channels: Vec<CompactAudio> = if dual_mono {
        channels.into_iter().take(1).collect()
    } else {
        channels
    };
    let options = DecodeOptions {
        language: config.language.clone(),
        fast: config.fast,
        threads,
        deadline,
    };
    let with_speech: Vec<&CompactAudio> =
        channels.iter().filter(|c| !c.samples.is_empty()).collect();
    if with_speech.is_empty() {
        return Ok((
            Transcript {
                language: config.language.clone(),
                ..Transcript::default()
            },
            false,
        ));
    }
    let language = engine.language(&with_speech, &options)?;
    let mut state = engine.state()?;
    let mut per_channel = Vec::with_capacity(channels.len());
    let share_s = recording.duration_s / channels.len() as f64;
    for (index, audio) in channels.iter().enumerate() {
        if options.must_stop() {
            per_channel.push(Vec::new());
            continue;
        }
        let progress = Arc::clone(&progress);
        let on_percent = move |percent: i32| {
            progress(share_s * (index as f64 + f64::from(percent.clamp(0, 100)) / 100.0));
        };
        per_channel.push(engine.transcribe(
            &mut state,
            audio,
            &language.code,
            &options,
            on_percent,
        )?);
    }
    let cut = options.must_stop();
    progress(recording.duration_s);
    let segments = if channels.len() == 1 {
        label_mono(per_channel.remove(0), &channels[0])
    } else {
        drop_bleed(&mut per_channel, &channels);
        let agent = match config.agent_channel {
            AgentChannel::Left => Some(0),
            AgentChannel::Right => Some(1),
            AgentChannel::Auto => None,
        };
        label_stereo(per_channel, agent)
    };
    let mut transcript = Transcript {
        language: Some(language.code),
        language_probability: language.probability,
        segments,
        low_confidence_share: None,
    };
    transcript.low_confidence_share = transcript.measure_low_confidence_share();
    Ok((transcript, cut))
}

/// Second decoding pass: every channel resampled to 16 kHz and gated to its speech regions; also
/// says whether the channels are copies of each other.
fn gated_channels(
    path: &Path,
    recording: &Recording,
) -> Result<(Vec<CompactAudio>, bool), AsrError> {
    let mut stream = AudioStream::open(path).map_err(|source| AsrError::Reopen {
        path: path.to_path_buf(),
        source,
    })?;
    let info = stream.info().clone();
    let mut resamplers: Vec<Resampler16k> = (0..info.channels)
        .map(|_| Resampler16k::new(info.sample_rate_hz))
        .collect();
    let mut gates: Vec<SpeechGate> = (0..info.channels)
        .map(|i| {
            let measures = recording.channels.get(i);
            let regions = measures
                .map(|c| c.speech_regions.as_slice())
                .unwrap_or_default();
            let threshold = safety_threshold_dbfs(
                measures.and_then(|c| c.noise_floor_dbfs),
                measures.and_then(|c| c.active_level_dbfs),
            );
            SpeechGate::new(regions, recording.duration_s, threshold)
        })
        .collect();
    let (mut energy, mut difference) = (0.0f64, 0.0f64);
    while let Some(block) = stream.next_block()? {
        if let [left, right] = block.as_slice() {
            for (l, r) in left.iter().zip(right) {
                energy += f64::from(l * l + r * r);
                difference += f64::from((l - r) * (l - r));
            }
        }
        for ((samples, resampler), gate) in block.iter().zip(&mut resamplers).zip(&mut gates) {
            gate.push(&resampler.process(samples));
        }
    }
    for (resampler, gate) in resamplers.iter_mut().zip(&mut gates) {
        gate.push(&resampler.finish());
    }
    let dual_mono = info.channels == 2 && difference <= DUAL_MONO_RATIO * energy;
    Ok((
        gates.into_iter().map(SpeechGate::finish).collect(),
        dual_mono,
    ))
}
