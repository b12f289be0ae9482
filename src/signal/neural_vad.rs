//! Silero VAD, a small neural voice activity detector, run through `tract-onnx` (the only module
//! that knows tract): the model is loaded once per process ([`SileroModel`], shared between
//! threads) and each channel runs its own [`SileroStream`] over its 16 kHz samples.
//!
//! The model (`silero_vad_openvino_16k.onnx` from the `silero-vad` 6.2.3 wheel on PyPI; `callqa
//! model fetch silero`) takes 512 new samples at 16 kHz (32 ms) preceded by the last 64 samples
//! of the window before (its context) and a recurrent state of 2 x 1 x 128 floats, and returns the
//! probability that the window holds speech and the next state. The stream carries context and
//! state across the blocks it is fed, so any chunking gives the same probabilities as one pass.
//!
//! Kept per window: the probability (one byte) and the speech decision (one byte): speech starts
//! where the probability reaches 0.5 and lasts while it stays at 0.35 or more (Silero's own
//! defaults), about 0.6 bytes per 10 ms frame.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

/// Sample rate the model runs at, Hz.
pub const RATE_HZ: u32 = 16_000;
/// New samples per window (32 ms).
pub const WINDOW: usize = 512;
/// Samples of the previous window put in front of each window.
const CONTEXT: usize = 64;
/// Shape of the recurrent state.
const STATE_SHAPE: [usize; 3] = [2, 1, 128];
/// Probability from which a window starts speech.
pub const ONSET: f32 = 0.5;
/// Probability under which speech ends.
pub const OFFSET: f32 = 0.35;
/// Samples per 10 ms frame at 16 kHz.
const FRAME: usize = 160;

type Plan = TypedSimplePlan<TypedModel>;
type State = TypedSimpleState<TypedModel, Arc<Plan>>;

/// Why the model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum NeuralVadError {
    #[error("the Silero VAD model {path} is missing (run `callqa model fetch silero`)")]
    Missing { path: PathBuf },
    #[error("the Silero VAD model {path} could not be loaded: {message}")]
    Load { path: PathBuf, message: String },
    #[error("the Silero VAD model failed on a window: {0}")]
    Run(String),
}

/// The optimized model, loaded once and shared (cloning shares it).
#[derive(Clone)]
pub struct SileroModel {
    plan: Arc<Plan>,
    path: PathBuf,
}

impl std::fmt::Debug for SileroModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroModel")
            .field("path", &self.path)
            .finish()
    }
}

impl SileroModel {
    /// Loads and optimizes the ONNX file at `path` for one 576-sample window per run.
    pub fn load(path: &Path) -> Result<Self, NeuralVadError> {
        if !path.is_file() {
            return Err(NeuralVadError::Missing {
                path: path.to_path_buf(),
            });
        }
        let load = || -> TractResult<Plan> {
            tract_onnx::onnx()
                .model_for_path(path)?
                .with_input_fact(0, f32::fact([1, CONTEXT + WINDOW]).into())?
                .with_input_fact(1, f32::fact(STATE_SHAPE).into())?
                .into_optimized()?
                .into_runnable()
        };
        let plan = load().map_err(|err| NeuralVadError::Load {
            path: path.to_path_buf(),
            message: format!("{err:#}"),
        })?;
        Ok(Self {
            plan: Arc::new(plan),
            path: path.to_path_buf(),
        })
    }

    /// The file the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh stream (zero state and context) over one channel.
    pub fn stream(&self) -> Result<SileroStream, NeuralVadError> {
        let state = State::new(self.plan.clone()).map_err(run_error)?;
        Ok(SileroStream {
            state,
            rnn: Tensor::zero::<f32>(&STATE_SHAPE).map_err(run_error)?,
            buffer: vec![0.0; CONTEXT],
            probs: Vec::new(),
            speech: Vec::new(),
            speaking: false,
            samples: 0,
            failed: None,
        })
    }
}

fn run_error(err: impl std::fmt::Display) -> NeuralVadError {
    NeuralVadError::Run(err.to_string())
}

/// Silero over one channel's 16 kHz samples, fed block by block.
pub struct SileroStream {
    state: State,
    rnn: Tensor,
    /// The context (64 samples) followed by samples not yet run (fewer than a window).
    buffer: Vec<f32>,
    /// Per window: speech probability × 255.
    probs: Vec<u8>,
    /// Per window: inside speech (hysteresis between [`ONSET`] and [`OFFSET`]).
    speech: Vec<bool>,
    speaking: bool,
    /// Samples fed so far.
    samples: u64,
    failed: Option<String>,
}

impl SileroStream {
    /// Feeds 16 kHz samples (full scale = 1.0; non-finite samples count as zero).
    pub fn push(&mut self, samples: &[f32]) {
        self.samples += samples.len() as u64;
        if self.failed.is_some() {
            return;
        }
        self.buffer.extend(samples.iter().map(|&x| {
            if x.is_finite() {
                x.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        }));
        let mut start = 0;
        while self.buffer.len() - start >= CONTEXT + WINDOW {
            let window = &self.buffer[start..start + CONTEXT + WINDOW];
            match run_window(&mut self.state, &self.rnn, window) {
                Ok((p, rnn)) => {
                    self.rnn = rnn;
                    self.record(p);
                }
                Err(err) => {
                    self.failed = Some(err.to_string());
                    return;
                }
            }
            start += WINDOW;
        }
        self.buffer.drain(..start);
    }

    fn record(&mut self, p: f32) {
        self.speaking = p >= ONSET || (self.speaking && p >= OFFSET);
        self.probs.push((p.clamp(0.0, 1.0) * 255.0).round() as u8);
        self.speech.push(self.speaking);
    }

    /// 10 ms frames (at any source rate: frame t is 10 ms from t × 10 ms) whose window is done.
    pub fn frames_ready(&self) -> usize {
        self.speech.len() * WINDOW / FRAME
    }

    /// Runs the last partial window (zero-padded) and returns the per-frame decisions, or the
    /// error that stopped the model.
    pub fn finish(mut self) -> Result<SpeechProbs, NeuralVadError> {
        let pending = self.buffer.len() - CONTEXT;
        if pending > 0 && self.failed.is_none() {
            let fed = self.samples;
            self.push(&vec![0.0; WINDOW - pending]);
            self.samples = fed;
        }
        if let Some(message) = self.failed {
            return Err(NeuralVadError::Run(message));
        }
        Ok(SpeechProbs {
            probs: self.probs,
            speech: self.speech,
        })
    }

    /// The decisions so far (see [`SpeechProbs::frame_speech`]), for frames already covered.
    pub fn frame_speech(&self, t: usize) -> Option<bool> {
        window_of(t, self.speech.len()).map(|w| self.speech[w])
    }

    /// Whether the model failed on a window (the channel then falls back to the energy VAD).
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }
}

/// The window that holds the middle of 10 ms frame `t`, when one of `windows` does.
fn window_of(t: usize, windows: usize) -> Option<usize> {
    let w = (t * FRAME + FRAME / 2) / WINDOW;
    (w < windows).then_some(w)
}

/// One window through the model: (speech probability, next state).
fn run_window(state: &mut State, rnn: &Tensor, window: &[f32]) -> TractResult<(f32, Tensor)> {
    let input = Tensor::from_shape(&[1, CONTEXT + WINDOW], window)?;
    let outputs = state.run(tvec!(input.into(), rnn.clone().into()))?;
    let p = outputs[0]
        .as_slice::<f32>()?
        .first()
        .copied()
        .unwrap_or(0.0);
    Ok((p, outputs[1].clone().into_tensor()))
}

/// A whole channel's Silero output, per 32 ms window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpeechProbs {
    probs: Vec<u8>,
    speech: Vec<bool>,
}

impl SpeechProbs {
    /// Speech probability of window `w` (0..1).
    pub fn prob(&self, w: usize) -> f32 {
        f32::from(self.probs[w]) / 255.0
    }

    /// Number of windows.
    pub fn windows(&self) -> usize {
        self.probs.len()
    }

    /// Whether 10 ms frame `t` lies in speech (the window holding its middle; frames past the
    /// last window are not speech).
    pub fn frame_speech(&self, t: usize) -> bool {
        window_of(t, self.speech.len()).is_some_and(|w| self.speech[w])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dsp::test_signals as synth;

    /// The pinned model (`$CALLQA_VAD_MODEL`, else `models/` of the checkout), or `None` with a
    /// SKIPPED line (`callqa model fetch silero` installs it).
    pub(crate) fn model() -> Option<SileroModel> {
        let path = std::env::var_os("CALLQA_VAD_MODEL")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("models/silero_vad_openvino_16k.onnx")
            });
        if !path.is_file() {
            eprintln!("SKIPPED: no Silero VAD model at {}", path.display());
            return None;
        }
        Some(SileroModel::load(&path).expect("the pinned model loads"))
    }

    fn run(model: &SileroModel, x: &[f32], chunks: &[usize]) -> SpeechProbs {
        let mut stream = model.stream().unwrap();
        let mut at = 0;
        for &size in chunks.iter().cycle() {
            if at >= x.len() {
                break;
            }
            let end = (at + size).min(x.len());
            stream.push(&x[at..end]);
            at = end;
        }
        stream.finish().unwrap()
    }

    /// A talker in a 2 s pause between two others, over a quiet floor.
    fn signal() -> Vec<f32> {
        let talk = synth::talker(3, RATE_HZ, 2.0, 140.0).samples;
        let mut x = talk.clone();
        x.extend(vec![0.0; 2 * RATE_HZ as usize]);
        x.extend(talk);
        x.extend(vec![0.0; 333]);
        synth::mix(&x, &synth::white(9, x.len(), -60.0))
    }

    #[test]
    fn a_missing_model_is_an_error_that_says_how_to_fetch_it() {
        let err = SileroModel::load(Path::new("/nonexistent/silero.onnx")).unwrap_err();
        assert!(matches!(err, NeuralVadError::Missing { .. }));
        assert!(
            err.to_string().contains("callqa model fetch silero"),
            "{err}"
        );
    }

    #[test]
    fn chunked_feeding_gives_the_probabilities_of_one_pass() {
        let Some(model) = model() else { return };
        let x = signal();
        let whole = run(&model, &x, &[x.len()]);
        assert_eq!(whole.windows(), x.len().div_ceil(WINDOW));
        for chunks in [&[1usize, 37, 700][..], &[512], &[4097, 100, 3]] {
            let chunked = run(&model, &x, chunks);
            assert_eq!(chunked.windows(), whole.windows());
            for w in 0..whole.windows() {
                let d = (chunked.prob(w) - whole.prob(w)).abs();
                assert!(d <= 1.0 / 255.0, "window {w}: {d}");
            }
        }
    }

    #[test]
    fn silence_and_a_steady_floor_are_no_speech() {
        let Some(model) = model() else { return };
        let second = RATE_HZ as usize;
        for x in [
            vec![0.0; 3 * second],
            synth::white(1, 3 * second, -50.0),
            synth::hum(RATE_HZ, 3 * second, 50.0, -30.0),
        ] {
            let probs = run(&model, &x, &[1000]);
            let frames = 300;
            let speech = (0..frames).filter(|&t| probs.frame_speech(t)).count();
            assert_eq!(speech, 0, "{speech} speech frames");
        }
    }

    #[test]
    fn frames_map_to_the_window_holding_their_middle() {
        assert_eq!(window_of(0, 10), Some(0));
        assert_eq!(window_of(2, 10), Some(0)); // samples 320..480
        assert_eq!(window_of(3, 10), Some(1)); // middle 560
        assert_eq!(window_of(31, 10), Some(9));
        assert_eq!(window_of(32, 10), None);
    }
}
