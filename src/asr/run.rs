//! The transcription pass of one recording: reopen the file, resample each channel to 16 kHz, keep
//! only the VAD's speech regions, recognise, attribute speakers. Also prepares the engine for a run
//! (finds the model, fetching the default one on first use).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fetch::install;
use super::gate::{safety_threshold_dbfs, CompactAudio, SpeechGate};
use super::model::{locate, models_dir, ModelSource, Weights};
use super::speakers::{drop_bleed, label_mono, label_stereo};
use super::transcribe::{DecodeOptions, Engine};
use super::AsrError;
use crate::audio::{AudioStream, Resampler16k};
use crate::config::{AgentChannel, AsrConfig};
use crate::model::{Recording, Transcript};

/// Two channels whose difference carries less than this share of their energy are one signal
/// copied twice (dual mono) and are transcribed once.
const DUAL_MONO_RATIO: f64 = 1e-4;

/// Most kept speech (separators included) whisper gets in one call, seconds: 2 minutes. Its input,
/// the padded copy it makes and the mel spectrogram take about 10 MB per minute, so this bounds
/// what a long call adds to the peak (about 20 MB; 5 minutes took a complete run of a long file to
/// 523 MB, over the 500 MB budget) while calls with less speech per channel stay one call, as
/// before (README "Memory of long recordings").
pub const MAX_STRETCH_S: f64 = 120.0;

/// Finds the model (`--model`, `$CALLQA_MODEL`, models folder), fetches the default one when
/// nothing is installed (telling `log` what happens), checks and loads it.
pub fn prepare_engine(config: &AsrConfig, log: &mut dyn FnMut(&str)) -> Result<Engine, AsrError> {
    let env_model = std::env::var_os("CALLQA_MODEL").map(Into::into);
    let dir = models_dir();
    let path = match locate(config.model.as_deref(), env_model, &dir)? {
        ModelSource::File(path) => path,
        ModelSource::NeedsFetch(model) => {
            log(&format!(
                "no speech model installed: fetching `{}` into {} (one time, ~140 MB download, 82 MB kept; use --no-transcribe to skip)",
                model.name,
                dir.display()
            ));
            install(model, Weights::Default, &dir, log)
                .map_err(|e| AsrError::Install(Box::new(e)))?
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
    transcribe_in_stretches(
        engine,
        path,
        recording,
        config,
        threads,
        progress,
        MAX_STRETCH_S,
    )
}

/// [`transcribe_recording`] with whisper given at most `max_stretch_s` seconds of kept speech at a
/// time (tests use short stretches on short files).
fn transcribe_in_stretches(
    engine: &Engine,
    path: &Path,
    recording: &Recording,
    config: &AsrConfig,
    threads: usize,
    progress: ProgressFn,
    max_stretch_s: f64,
) -> Result<(Transcript, bool), AsrError> {
    let max_stretch = (max_stretch_s * 16_000.0) as usize;
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
    let with_speech: Vec<&CompactAudio> = channels.iter().filter(|c| !c.is_empty()).collect();
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
        let on_share = move |share: f64| progress(share_s * (index as f64 + share));
        per_channel.push(engine.transcribe(
            &mut state,
            audio,
            max_stretch,
            &language.code,
            &options,
            on_share,
        )?);
    }
    let cut = options.must_stop();
    progress(recording.duration_s);
    let segments = if channels.len() == 1 {
        label_mono(per_channel.remove(0), &channels[0]).map_err(AsrError::Scratch)?
    } else {
        drop_bleed(&mut per_channel, &channels).map_err(AsrError::Scratch)?;
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
            gate.push(&resampler.process(samples))
                .map_err(AsrError::Scratch)?;
        }
    }
    for (resampler, gate) in resamplers.iter_mut().zip(&mut gates) {
        gate.push(&resampler.finish()).map_err(AsrError::Scratch)?;
    }
    let dual_mono = info.channels == 2 && difference <= DUAL_MONO_RATIO * energy;
    let channels = gates
        .into_iter()
        .map(SpeechGate::finish)
        .collect::<Result<_, _>>()
        .map_err(AsrError::Scratch)?;
    Ok((channels, dual_mono))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    use super::*;

    const RATE: usize = 16_000;

    /// The model the tests use (`$CALLQA_MODEL`, else the one `analyze` takes from the checkout's
    /// `models/`), or `None` with a SKIPPED line.
    fn model() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
        let env = std::env::var_os("CALLQA_MODEL").map(PathBuf::from);
        match crate::asr::model::locate(None, env, &dir) {
            Ok(crate::asr::model::ModelSource::File(path)) => Some(path),
            _ => {
                eprintln!("SKIPPED: no model in {}", dir.display());
                None
            }
        }
    }

    /// `text` spoken by espeak-ng as 16 kHz mono samples, or `None` (SKIPPED) without it and sox.
    fn speak(text: &str, dir: &Path) -> Option<Vec<f32>> {
        let (raw, wav) = (dir.join("raw.wav"), dir.join("speech.wav"));
        let ok = Command::new("espeak-ng")
            .args(["-v", "en-us", "-w"])
            .arg(&raw)
            .arg(text)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new("sox")
                .arg(&raw)
                .args(["-r", "16000", "-c", "1", "-b", "16"])
                .arg(&wav)
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED: espeak-ng and sox are needed to make test speech");
            return None;
        }
        let bytes = std::fs::read(wav).ok()?;
        Some(
            bytes[44..]
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
                .collect(),
        )
    }

    /// A 16-bit mono WAV of `seconds` of faint noise with each `(at_s, speech)` placed in it.
    fn write_call(path: &Path, seconds: f64, parts: &[(f64, &[f32])]) {
        let mut state = 12345u32;
        let mut samples: Vec<f32> = (0..(seconds * RATE as f64) as usize)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.0005
            })
            .collect();
        for (at_s, speech) in parts {
            let at = (at_s * RATE as f64) as usize;
            for (o, s) in samples[at..].iter_mut().zip(speech.iter()) {
                *o += s * 0.5;
            }
        }
        let data_len = (samples.len() * 2) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        for v in [
            16u32,
            1 | (1 << 16),
            RATE as u32,
            RATE as u32 * 2,
            2 | (16 << 16),
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for x in samples {
            out.extend_from_slice(&((x.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
        }
        std::fs::write(path, out).unwrap();
    }

    /// Every sample recording's channels are one stretch each, the whole kept audio: whisper gets
    /// exactly the samples it got before stretches existed, so their transcripts are unchanged.
    #[test]
    fn every_sample_recording_is_one_stretch_per_channel() {
        let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut files: Vec<PathBuf> = walk(&samples);
        files.retain(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            ["wav", "mp3", "flac", "ogg", "m4a"].contains(&ext)
        });
        assert!(files.len() >= 15, "{files:?}");
        let max_stretch = (MAX_STRETCH_S * 16_000.0) as usize;
        for path in files {
            let recording = crate::pipeline::measure_file(&path).unwrap();
            let (channels, _) = gated_channels(&path, &recording).unwrap();
            for audio in channels.iter().filter(|c| !c.is_empty()) {
                assert_eq!(
                    audio.stretches(max_stretch).unwrap(),
                    vec![0..audio.len()],
                    "{}",
                    path.display()
                );
            }
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    /// Two utterances 40 s apart, transcribed with stretches shorter than the two together: the
    /// second utterance's words come from the second whisper call, and must carry times of the
    /// second utterance in the recording (not times counted from the second stretch's start).
    #[test]
    fn words_of_a_later_stretch_carry_their_times_in_the_recording() {
        let Some(model) = model() else { return };
        let dir = tempfile::tempdir().unwrap();
        let Some(first) = speak(
            "Good morning, my name is Anna. How can I help you?",
            dir.path(),
        ) else {
            return;
        };
        let Some(second) = speak(
            "Thank you for waiting. The weather today is sunny and warm.",
            dir.path(),
        ) else {
            return;
        };
        let (first_s, second_s) = (
            first.len() as f64 / RATE as f64,
            second.len() as f64 / RATE as f64,
        );
        let path = dir.path().join("call.wav");
        write_call(&path, 50.0, &[(1.0, &first), (40.0, &second)]);
        let recording = crate::pipeline::measure_file(&path).unwrap();
        let stretch_s = first_s.max(second_s) + 1.5;
        let (channels, _) = gated_channels(&path, &recording).unwrap();
        let stretches = channels[0]
            .stretches((stretch_s * RATE as f64) as usize)
            .unwrap();
        assert!(stretches.len() >= 2, "one stretch only: {stretches:?}");
        let engine = Engine::load(&model).unwrap();
        let config = AsrConfig {
            language: Some("en".into()),
            fast: true,
            ..AsrConfig::default()
        };
        let progress: ProgressFn = Arc::new(|_| {});
        let (transcript, cut) =
            transcribe_in_stretches(&engine, &path, &recording, &config, 2, progress, stretch_s)
                .unwrap();
        assert!(!cut);
        let words: Vec<(String, f64, f64)> = transcript
            .segments
            .iter()
            .flat_map(|s| &s.words)
            .map(|w| {
                let text: String = w.text.chars().filter(|c| c.is_alphanumeric()).collect();
                (text.to_lowercase(), w.start_s, w.end_s)
            })
            .collect();
        let within = |(_, start, end): &(String, f64, f64), from: f64, len: f64| {
            *start >= from - 0.5 && *end <= from + len + 0.5
        };
        for word in &words {
            assert!(
                within(word, 1.0, first_s) || within(word, 40.0, second_s),
                "{word:?} lies in neither utterance: {words:?}"
            );
        }
        let heard = |key: &str, from: f64, len: f64| {
            words.iter().any(|w| (w.0 == key) && within(w, from, len))
        };
        assert!(heard("morning", 1.0, first_s), "{words:?}");
        assert!(
            heard("weather", 40.0, second_s) || heard("sunny", 40.0, second_s),
            "{words:?}"
        );
    }
}
