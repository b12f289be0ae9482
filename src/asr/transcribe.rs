//! Runs whisper (through whisper-rs) on the kept speech of each channel: one model per run, one
//! state per file being transcribed, language detection over several windows, word timings mapped
//! back to the original timeline, hallucinations dropped.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use whisper_rs::{
    DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters, WhisperState,
};

use super::filter::{clean_segment, split_at_turns, RawSegment};
use super::gate::CompactAudio;
use super::model::{check_ggml, GgmlInfo};
use super::AsrError;
use crate::interrupt;
use crate::model::Word;

/// Length of whisper's input window, seconds.
const WINDOW_S: f64 = 30.0;
/// Most windows used to detect the language.
const LANGUAGE_WINDOWS: usize = 4;
/// Windows with less speech than this are not used to detect the language, seconds.
const MIN_LANGUAGE_WINDOW_S: f64 = 2.0;
/// A further language window of a channel must start this much later than the ones already taken,
/// seconds: a window that mostly repeats another costs a full encoder pass and adds no evidence.
const MIN_NEW_SPEECH_S: f64 = 10.0;
/// Language probability (0..1) of the first window at which detection stops there, skipping the
/// other windows (an encoder pass each). When one window is not enough whisper spreads its
/// probability over related languages (Russian / Czech ...), so a wrong single-window answer comes
/// with a split probability; 0.8 leaves the extra windows to those unclear cases (README "Limits",
/// language detection: what the first windows of the real-speech clips scored).
const EARLY_STOP_PROBABILITY: f32 = 0.8;
const RATE_HZ: usize = 16_000;

/// How the recogniser decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// ISO 639-1 code, or `None` to detect it per recording.
    pub language: Option<String>,
    /// Greedy decoding instead of beam search (5 beams).
    pub fast: bool,
    /// CPU threads whisper uses for one file.
    pub threads: usize,
    /// When decoding is cut (the `--max-asr-factor` watchdog); the segments decoded by then stay.
    pub deadline: Option<Instant>,
}

impl DecodeOptions {
    /// Whether decoding must stop now: past the deadline, or Ctrl-C.
    pub fn must_stop(&self) -> bool {
        interrupt::requested() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// The loaded model, shared by every worker.
pub struct Engine {
    context: WhisperContext,
    multilingual: bool,
    path: PathBuf,
    /// The model file's name and size in bytes: what `--parts` records as the model used.
    model_id: String,
    /// The model file's size, bytes.
    model_bytes: u64,
}

/// Peak RSS of a run with one transcribing worker, besides the model file's size, MB: complete
/// default (beam search) runs of 10 and 42 minutes of speech peaked at 395 MB besides the model
/// (476.9 and 477.2 MB with the 82 MB q8_0 file, 541.7 MB with the 148 MB f16 one; README
/// "Memory of long recordings"); the 19 short samples reached 326 MB.
const ONE_WORKER_BESIDES_MODEL_MB: u64 = 400;
/// What each further transcribing worker (its own whisper state and buffers) added, MB: the
/// samples peaked at 474 MB with one worker and 705 MB with 2.
const EXTRA_WORKER_MB: u64 = 231;
/// What each further file analysed beside the transcriptions (decoding, measuring, the voice
/// activity detector) added, MB: the 10-minute default run beside short calls peaked at 476.9 MB
/// alone, 498.2 MB with one more worker, 508.4 MB with three more.
const ANALYSIS_WORKER_MB: u64 = 20;

/// See [`Engine::workers_within`]; `model_bytes` is the model file's size.
fn workers_within(model_bytes: u64, max_memory_mb: u64) -> usize {
    let extra = max_memory_mb.saturating_sub(transcribers_mb(model_bytes, 1)) / EXTRA_WORKER_MB;
    1 + extra as usize
}

/// The peak RSS that `transcribers` transcribing workers take, MB.
fn transcribers_mb(model_bytes: u64, transcribers: usize) -> u64 {
    let further = transcribers.saturating_sub(1) as u64;
    model_bytes / 1_000_000 + ONE_WORKER_BESIDES_MODEL_MB + further * EXTRA_WORKER_MB
}

/// See [`Engine::analysis_workers_within`].
fn analysis_workers_within(model_bytes: u64, max_memory_mb: u64, transcribers: usize) -> usize {
    let left = max_memory_mb.saturating_sub(transcribers_mb(model_bytes, transcribers));
    transcribers + (left / ANALYSIS_WORKER_MB) as usize
}

/// Language detected for a recording: ISO code and probability (0..1).
#[derive(Debug, Clone, PartialEq)]
pub struct Language {
    pub code: String,
    pub probability: Option<f32>,
}

impl Engine {
    /// Checks the file's structure, then loads it (once per run).
    pub fn load(path: &Path) -> Result<Self, AsrError> {
        let info = check_ggml(path)?;
        pin_malloc_mmap_threshold();
        whisper_rs::install_logging_hooks();
        let mut params = WhisperContextParameters::default();
        if let Some(model_preset) = dtw_preset(&info) {
            params.dtw_parameters(DtwParameters {
                mode: DtwMode::ModelPreset { model_preset },
                ..DtwParameters::default()
            });
        }
        let context = WhisperContext::new_with_params(path, params).map_err(|error| {
            AsrError::WhisperLoad {
                path: path.to_path_buf(),
                error,
            }
        })?;
        let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        Ok(Self {
            context,
            multilingual: info.multilingual,
            path: path.to_path_buf(),
            model_id: format!("{name} ({bytes} bytes)"),
            model_bytes: bytes,
        })
    }

    /// How many recordings may be transcribed at once within `max_memory_mb` of peak RSS (at
    /// least one): the loaded model is shared, each worker adds its own decoding state.
    pub fn workers_within(&self, max_memory_mb: u64) -> usize {
        workers_within(self.model_bytes, max_memory_mb)
    }

    /// How many files may be analysed at once within `max_memory_mb` of peak RSS while
    /// `transcribers` of them are transcribed: those, plus one per 20 MB the transcriptions
    /// leave (each file's decoding and measuring beside whisper).
    pub fn analysis_workers_within(&self, max_memory_mb: u64, transcribers: usize) -> usize {
        analysis_workers_within(self.model_bytes, max_memory_mb, transcribers)
    }

    /// The loaded model's file name and size, e.g. `ggml-base.bin (147951465 bytes)`.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The model file this engine was loaded from (named in the report's provenance).
    pub fn model_path(&self) -> &Path {
        &self.path
    }

    /// A fresh decoding state (one per file being transcribed, so one per busy worker).
    pub fn state(&self) -> Result<WhisperState, AsrError> {
        self.context.create_state().map_err(AsrError::WhisperState)
    }

    /// The language to decode with: forced, English for English-only models, else detected.
    /// Detection runs on a state of its own: whisper reads the first window's no-speech
    /// probability from the state's last decoder output, and detection's output there (0.9 on the
    /// Russian sample) made it drop that window of speech.
    pub fn language(
        &self,
        channels: &[&CompactAudio],
        options: &DecodeOptions,
    ) -> Result<Language, AsrError> {
        if let Some(code) = &options.language {
            return Ok(Language {
                code: code.clone(),
                probability: None,
            });
        }
        if !self.multilingual {
            return Ok(Language {
                code: "en".into(),
                probability: None,
            });
        }
        detect_language(&mut self.state()?, channels, options.threads)
    }

    /// Transcribes one channel's kept speech, one stretch of at most `max_stretch` samples at a
    /// time (see [`CompactAudio::stretches`]: the memory whisper needs for its input, a padded
    /// copy and the mel spectrogram, stays that of one stretch), on the same `state`; times are in
    /// the original recording. `progress` hears the share of this channel done (0..1).
    pub fn transcribe<P: Fn(f64) + Clone + 'static>(
        &self,
        state: &mut WhisperState,
        audio: &CompactAudio,
        max_stretch: usize,
        language: &str,
        options: &DecodeOptions,
        progress: P,
    ) -> Result<Vec<RawSegment>, AsrError> {
        if audio.len() < RATE_HZ / 4 {
            return Ok(Vec::new());
        }
        let stretches = audio.stretches(max_stretch).map_err(AsrError::Scratch)?;
        let total = stretches
            .iter()
            .map(ExactSizeIterator::len)
            .sum::<usize>()
            .max(1) as f64;
        let mut done = 0usize;
        let mut segments = Vec::new();
        for range in stretches {
            if options.must_stop() {
                break;
            }
            let progress = progress.clone();
            let (before, len) = (done as f64, range.len() as f64);
            let on_percent = move |percent: i32| {
                progress((before + len * f64::from(percent.clamp(0, 100)) / 100.0) / total);
            };
            let params = self.params(language, options, on_percent);
            let result = audio
                .samples
                .with(range.clone(), |samples| state.full(params, samples))
                .map_err(AsrError::Scratch)?;
            if let Err(err) = result {
                if !options.must_stop() {
                    return Err(AsrError::Transcribe(err));
                }
            }
            let stretch = Stretch {
                audio,
                start_s: range.start as f64 / RATE_HZ as f64,
                len_s: range.len() as f64 / RATE_HZ as f64,
            };
            let eot = self.context.token_eot();
            for segment in state.as_iter() {
                let words = segment_words(&segment, eot, &stretch);
                let (start_s, end_s) = segment_span_s(&segment, &words, &stretch);
                let raw = RawSegment {
                    start_s,
                    end_s,
                    text: segment
                        .to_str_lossy()
                        .map(|t| t.trim().to_string())
                        .unwrap_or_default(),
                    no_speech_p: segment.no_speech_probability(),
                    words,
                };
                if let Some(clean) = clean_segment(raw) {
                    segments.extend(split_at_turns(clean));
                }
            }
            done += range.len();
        }
        Ok(segments)
    }

    /// whisper's settings for one stretch.
    fn params<'a, P: FnMut(i32) + 'static>(
        &self,
        language: &'a str,
        options: &DecodeOptions,
        progress: P,
    ) -> FullParams<'a, 'a> {
        let strategy = if options.fast {
            SamplingStrategy::Greedy { best_of: 1 }
        } else {
            SamplingStrategy::BeamSearch {
                beam_size: 5,
                patience: -1.0,
            }
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(options.threads.max(1) as i32);
        params.set_language(Some(language));
        params.set_translate(false);
        params.set_no_context(true);
        params.set_token_timestamps(true);
        params.set_suppress_blank(true);
        // Non-speech tokens include the dash whisper writes at a change of speaker ("- Ну ... -
        // Доставка"): forbidding them pushed it into garbled text and temperature fallbacks
        // (ru_call WER 67% -> 50%, twice as fast; stereo_bleed 86% -> 14%).
        params.set_suppress_nst(false);
        params.set_print_progress(false);
        params.set_progress_callback_safe::<Option<P>, P>(Some(progress));
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        // whisper-rs 0.16's `set_abort_callback_safe` hands its trampoline a boxed trait object
        // but reads it as the closure type (garbage: it aborted ordinary runs), so the plain C
        // callback is used, its data being `options`, which outlives `full`.
        // SAFETY: `abort_if_stopped` only reads the `DecodeOptions` behind the pointer, which
        // lives until `transcribe` returns, after `full` is done with it.
        unsafe {
            params.set_abort_callback(Some(abort_if_stopped));
            params.set_abort_callback_user_data(
                std::ptr::from_ref(options)
                    .cast_mut()
                    .cast::<std::ffi::c_void>(),
            );
        }
        params
    }
}

/// The stretch of a channel's kept speech that whisper was given: maps its times (seconds from
/// the stretch's start) back to the original recording.
struct Stretch<'a> {
    audio: &'a CompactAudio,
    /// Where the stretch starts in the compact buffer, seconds.
    start_s: f64,
    /// Its length, seconds: later times (whisper's padding) are read as its end.
    len_s: f64,
}

impl Stretch<'_> {
    fn compact_s(&self, stretch_s: f64) -> f64 {
        self.start_s + stretch_s.min(self.len_s)
    }

    fn to_original_s(&self, stretch_s: f64) -> f64 {
        self.audio.to_original_s(self.compact_s(stretch_s))
    }

    fn span_to_original_s(&self, start_s: f64, end_s: f64) -> (f64, f64) {
        self.audio
            .span_to_original_s(self.compact_s(start_s), self.compact_s(end_s))
    }
}

/// whisper's abort callback: `data` is the `DecodeOptions` of the running `full` call.
unsafe extern "C" fn abort_if_stopped(data: *mut std::ffi::c_void) -> bool {
    // SAFETY: `transcribe` passes a pointer to its `DecodeOptions`, alive while whisper runs.
    let options = unsafe { &*data.cast::<DecodeOptions>() };
    options.must_stop()
}

/// Original start and end of a segment, seconds: from its first and last words when it has words
/// (whisper's segment times snap to the removed pauses), else its own times.
fn segment_span_s(
    segment: &whisper_rs::WhisperSegment<'_>,
    words: &[Word],
    audio: &Stretch<'_>,
) -> (f64, f64) {
    match (words.first(), words.last()) {
        (Some(first), Some(_)) => (
            first.start_s,
            words.iter().map(|w| w.end_s).fold(first.end_s, f64::max),
        ),
        _ => (
            audio.to_original_s(segment.start_timestamp() as f64 / 100.0),
            audio.to_original_s(segment.end_timestamp() as f64 / 100.0),
        ),
    }
}

/// Keeps glibc's mmap threshold where it starts (128 KiB). glibc raises it each time a large
/// mmapped block is freed (up to 32 MB), so once one recording's whisper state is gone, the next
/// state's buffers of a few MB come from the heap, among the holes the last one left: 32 MB more
/// peak RSS over three calls (515 vs 483 MB), 8 MB on a single call. A fixed threshold stops the
/// raising; allocations of 128 KiB and more then always go back to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn pin_malloc_mmap_threshold() {
    const GLIBC_DEFAULT_MMAP_THRESHOLD_BYTES: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only tunes the allocator, takes the allocator's own lock, and is given a
    // valid option and value.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, GLIBC_DEFAULT_MMAP_THRESHOLD_BYTES);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn pin_malloc_mmap_threshold() {}

/// The alignment-head preset of a standard Whisper size, for DTW word timing (whisper's own token
/// timestamps drift by up to a second, enough to put a word in the other speaker's turn).
fn dtw_preset(info: &GgmlInfo) -> Option<DtwModelPreset> {
    Some(match (info.hparams.n_audio_layer, info.multilingual) {
        (4, false) => DtwModelPreset::TinyEn,
        (4, true) => DtwModelPreset::Tiny,
        (6, false) => DtwModelPreset::BaseEn,
        (6, true) => DtwModelPreset::Base,
        (12, false) => DtwModelPreset::SmallEn,
        (12, true) => DtwModelPreset::Small,
        (24, false) => DtwModelPreset::MediumEn,
        (24, true) => DtwModelPreset::Medium,
        _ => return None,
    })
}

/// Start of a token, centiseconds: the DTW alignment when whisper computed one, else its own
/// timestamp.
fn token_start(data: &whisper_rs::WhisperTokenData) -> i64 {
    if data.t_dtw >= 0 {
        data.t_dtw
    } else {
        data.t0
    }
}

/// End of a token, centiseconds: its start plus whisper's own duration for it (at most 0.5 s).
fn token_end(data: &whisper_rs::WhisperTokenData) -> i64 {
    token_start(data) + (data.t1 - data.t0).clamp(0, 50)
}

/// Joins sub-word tokens into words (a token starting with a space starts a word); bytes are
/// joined before UTF-8 decoding because BPE splits Cyrillic letters across tokens. A word's `p`
/// is the mean probability of its tokens.
fn segment_words(
    segment: &whisper_rs::WhisperSegment<'_>,
    eot: i32,
    audio: &Stretch<'_>,
) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<(Vec<u8>, i64, i64, Vec<f32>)> = None;
    let flush = |words: &mut Vec<Word>, current: Option<(Vec<u8>, i64, i64, Vec<f32>)>| {
        if let Some((bytes, t0, t1, ps)) = current {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            if !text.is_empty() {
                let (start_s, end_s) =
                    audio.span_to_original_s(t0 as f64 / 100.0, t1 as f64 / 100.0);
                words.push(Word {
                    text,
                    start_s,
                    end_s,
                    p: ps.iter().sum::<f32>() / ps.len() as f32,
                });
            }
        }
    };
    for i in 0..segment.n_tokens() {
        let Some(token) = segment.get_token(i) else {
            continue;
        };
        if token.token_id() >= eot {
            continue;
        }
        let Ok(bytes) = token.to_bytes() else {
            continue;
        };
        let data = token.token_data();
        let starts_word = bytes.first() == Some(&b' ');
        match current.as_mut() {
            Some((text, _, t1, ps)) if !starts_word => {
                text.extend_from_slice(bytes);
                *t1 = (*t1).max(token_end(&data));
                ps.push(data.p);
            }
            _ => {
                flush(&mut words, current.take());
                current = Some((
                    bytes.to_vec(),
                    token_start(&data),
                    token_end(&data),
                    vec![data.p],
                ));
            }
        }
    }
    flush(&mut words, current);
    words
}

/// Sums whisper's language probabilities over up to four 30 s windows of speech taken across the
/// recording (start, middle, end, from every channel) and picks the most probable language; one
/// window alone mistakes Russian for Czech here. Stops after the first window when that one is
/// clear (see [`language_settled`]).
fn detect_language(
    state: &mut WhisperState,
    channels: &[&CompactAudio],
    threads: usize,
) -> Result<Language, AsrError> {
    let windows = language_windows(channels);
    if windows.is_empty() {
        return Err(AsrError::TooLittleSpeech);
    }
    let mut summed: Vec<f32> = Vec::new();
    let mut used = 0;
    for (channel, window) in windows {
        if language_settled(&summed, used) {
            break;
        }
        used += 1;
        channels[channel]
            .samples
            .with(window, |samples| state.pcm_to_mel(samples, threads.max(1)))
            .map_err(AsrError::Scratch)?
            .map_err(AsrError::Mel)?;
        let (_, probs) = state
            .lang_detect(0, threads.max(1))
            .map_err(AsrError::LanguageDetection)?;
        summed.resize(probs.len().max(summed.len()), 0.0);
        for (s, p) in summed.iter_mut().zip(&probs) {
            *s += p;
        }
    }
    let (best, total) = summed
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .ok_or(AsrError::NoLanguageProbabilities)?;
    let code = whisper_rs::get_lang_str(best as i32).ok_or(AsrError::UnknownLanguageId)?;
    Ok(Language {
        code: code.to_string(),
        probability: Some(total / used as f32),
    })
}

/// Whether the language probabilities summed over the `windows` seen so far settle the language:
/// after the first window only, when its most probable language has [`EARLY_STOP_PROBABILITY`] or
/// more. Later windows always all run (their sum weighs every part of the call).
fn language_settled(summed: &[f32], windows: usize) -> bool {
    windows == 1 && summed.iter().any(|&p| p >= EARLY_STOP_PROBABILITY)
}

/// Up to [`LANGUAGE_WINDOWS`] 30 s windows spread over the channels' kept speech (start, middle,
/// end of each channel, each at least [`MIN_NEW_SPEECH_S`] after the previous one), as the
/// channel's index and the window's samples in its compact buffer.
pub fn language_windows(channels: &[&CompactAudio]) -> Vec<(usize, Range<usize>)> {
    let window = (WINDOW_S * RATE_HZ as f64) as usize;
    let min = (MIN_LANGUAGE_WINDOW_S * RATE_HZ as f64) as usize;
    let mut candidates: Vec<(usize, Range<usize>)> = Vec::new();
    for (index, audio) in channels.iter().enumerate() {
        let n = audio.len();
        let starts = [0, n.saturating_sub(window) / 2, n.saturating_sub(window)];
        let new_speech = (MIN_NEW_SPEECH_S * RATE_HZ as f64) as usize;
        let mut last: Option<usize> = None;
        for start in starts {
            let adds_speech = last.is_none_or(|last| start >= last + new_speech);
            if adds_speech && n - start >= min {
                last = Some(start);
                candidates.push((index, start..(start + window).min(n)));
            }
        }
    }
    candidates.sort_by_key(|(_, w)| std::cmp::Reverse(w.len()));
    candidates.truncate(LANGUAGE_WINDOWS);
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_budget_allows_one_base_worker_and_more_memory_allows_more() {
        let base = 147_951_465;
        assert_eq!(workers_within(base, 500), 1);
        assert_eq!(workers_within(base, 100), 1, "never fewer than one");
        assert_eq!(workers_within(base, 779), 2);
        assert_eq!(workers_within(base, 2000), 7);
        assert_eq!(
            workers_within(3 * base, 779),
            1,
            "a bigger model leaves room for fewer"
        );
    }

    #[test]
    fn files_analysed_beside_a_transcription_fit_what_the_budget_leaves() {
        let q8_0 = 81_768_585;
        assert_eq!(
            analysis_workers_within(q8_0, 500, 1),
            1,
            "482 MB for the transcription leaves no 20 MB for a second file"
        );
        assert_eq!(analysis_workers_within(q8_0, 502, 1), 2);
        assert_eq!(analysis_workers_within(q8_0, 1000, 1), 1 + 25);
        let f16 = 147_951_465;
        assert_eq!(
            analysis_workers_within(f16, 500, 1),
            1,
            "never fewer than the transcribers"
        );
        assert_eq!(
            analysis_workers_within(f16, 1000, workers_within(f16, 1000)),
            2 + (1000 - 548 - 231) / 20
        );
    }

    #[test]
    fn language_detection_stops_after_a_clear_first_window_only() {
        assert!(!language_settled(&[], 0), "nothing seen yet");
        assert!(language_settled(&[0.02, 0.93, 0.05], 1));
        assert!(
            language_settled(&[0.2, 0.8], 1),
            "the threshold itself is clear"
        );
        assert!(
            !language_settled(&[0.45, 0.40, 0.15], 1),
            "an unclear window asks for more"
        );
        assert!(
            !language_settled(&[0.5, 1.9], 2),
            "once more windows ran, all of them run"
        );
    }

    fn audio(seconds: usize) -> CompactAudio {
        CompactAudio::from_samples(vec![0.1; seconds * RATE_HZ], Vec::new())
    }

    #[test]
    fn language_windows_spread_over_long_speech_and_skip_short_bits() {
        let long = audio(200);
        let short = audio(1);
        let windows = language_windows(&[&long, &short]);
        assert_eq!(windows.len(), 3);
        assert!(windows
            .iter()
            .all(|(c, w)| *c == 0 && w.len() == 30 * RATE_HZ));
        let medium = audio(40);
        assert_eq!(language_windows(&[&medium, &long]).len(), LANGUAGE_WINDOWS);
        assert!(language_windows(&[&short]).is_empty());
        // 33 s: the middle and end windows would repeat 90 % of the first one
        assert_eq!(language_windows(&[&audio(33)]).len(), 1);
        assert_eq!(language_windows(&[&audio(45)]).len(), 2);
    }
}
