//! One channel's voice activity and what it makes measurable: speech level, noise floor, SNR, noise
//! label, dropouts and background voices. Runs the detector ([`vad`](super::vad)) and hands its
//! outcome to the measurements that read it, so that none of them calls back into the detector.

use crate::dsp::db;
use crate::model::{BackgroundVoices, TimeRange};

use super::background;
use super::dropouts;
use super::features::{db_to_power, Frame, FrameExtractor};
use super::neural_vad::{SileroModel, SileroStream, SpeechProbs};
use super::noise;
use super::vad::{self, detect, to_time_ranges, REF_STEP};

/// What the voice activity analysis of one channel found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityStats {
    /// Fraction (0..1) of frames inside speech regions.
    pub speech_fraction: f64,
    /// Speech regions of the channel's own speaker, seconds, with hangover.
    pub speech_regions: Vec<TimeRange>,
    /// Active speech level (speech frames, noise removed), dBFS.
    pub active_level_dbfs: Option<f64>,
    /// Mean noise power outside speech, dBFS.
    pub noise_floor_dbfs: Option<f64>,
    /// Active level minus noise floor, dB.
    pub snr_db: Option<f64>,
    /// Spectral flatness (0..1) of the non-speech frames.
    pub noise_flatness: Option<f64>,
    /// none, hum, hiss, broadband or babble.
    pub noise_label: String,
    /// Digital silence or sudden gaps inside speech, seconds.
    pub dropouts: Vec<TimeRange>,
    pub background_voices: BackgroundVoices,
    /// Every stretch's speech frames came from Silero (false: the energy detector decided).
    pub neural: bool,
}

/// Frames analysed together (20 minutes): the detector's offline pass runs over one such
/// stretch at a time, so its memory (about 100 bytes a frame while it runs) stays bounded.
const STRETCH_FRAMES: usize = 120_000;

/// Frames searched for a quiet place to end a stretch: at most its last 10 s.
const CUT_SEARCH_FRAMES: usize = 1000;
/// A stretch ends where the 300 ms around the cut (the speech-region merge gap) are quietest:
/// in a pause as a rule, so that the boundary rarely splits a segment or a speech region.
const CUT_WINDOW_FRAMES: usize = 30;

/// Streaming voice activity analyser: keeps 16 bytes per 10 ms frame of the current stretch
/// (at most [`STRETCH_FRAMES`]) and, across stretches, only sums and per-segment results.
///
/// A recording up to one stretch long is analysed in one offline pass. A longer one is analysed
/// stretch by stretch, each ending in the quietest whole second of its last 10 s (see
/// `quiet_cut`): each stretch's foreground/background split uses the foreground level of every
/// segment seen so far (the whole recording's at the last stretch), noise and speech levels are
/// summed over the stretches, the noise reference near a boundary sees one side only, a segment
/// crossing a boundary is seen as two, a dropout crossing one is missed, and speech regions on
/// both sides of a boundary merge across it as they would inside a stretch.
pub struct ActivityAnalyzer {
    extractor: FrameExtractor,
    stretch_frames: usize,
    /// Frames analysed in the stretches so far.
    done: usize,
    /// (peak level dB, length in frames) of every speech segment so far.
    segments: Vec<(f64, usize)>,
    /// Speech regions, frame ranges in the whole recording.
    regions: Vec<(usize, usize)>,
    /// First frame of the first foreground segment and end of the last.
    talk: Option<(usize, usize)>,
    noise: noise::NoiseSums,
    dropouts: Vec<dropouts::Candidate>,
    background: Vec<((usize, usize), f64)>,
    /// Silero over the channel's 16 kHz samples ([`push_16k`](Self::push_16k)), when its model is loaded.
    neural: Option<SileroStream>,
    /// A stretch was decided by the energy detector (no model, or the model failed).
    energy_used: bool,
}

impl ActivityAnalyzer {
    pub fn new(sample_rate_hz: u32) -> Self {
        Self::with_stretch(sample_rate_hz, STRETCH_FRAMES)
    }

    /// An analyser whose offline pass runs over `stretch_frames` 10 ms frames at a time.
    fn with_stretch(sample_rate_hz: u32, stretch_frames: usize) -> Self {
        Self {
            extractor: FrameExtractor::new(sample_rate_hz),
            stretch_frames,
            done: 0,
            segments: Vec::new(),
            regions: Vec::new(),
            talk: None,
            noise: noise::NoiseSums::default(),
            dropouts: Vec::new(),
            background: Vec::new(),
            neural: None,
            energy_used: false,
        }
    }

    /// An analyser whose speech frames are Silero's (see [`vad`](super::vad)): feed the same
    /// samples at 16 kHz with [`push_16k`](Self::push_16k). Falls back to the energy detector
    /// when the model fails to start.
    pub fn with_neural(sample_rate_hz: u32, model: &SileroModel) -> Self {
        let mut analyzer = Self::new(sample_rate_hz);
        analyzer.neural = model.stream().ok();
        analyzer.energy_used = analyzer.neural.is_none();
        analyzer
    }

    /// Feeds the next block of the channel resampled to 16 kHz (only with [`with_neural`](Self::with_neural)).
    pub fn push_16k(&mut self, samples: &[f32]) {
        if let Some(stream) = self.neural.as_mut() {
            stream.push(samples);
        }
    }

    /// Feeds the next block of samples (full scale = 1.0).
    pub fn push(&mut self, samples: &[f32]) {
        self.extractor.push(samples);
        // Keep one frame beyond the stretch, so that the last stretch is never empty.
        while self.extractor.ready().len() > self.stretch_frames {
            let cut = quiet_cut(&self.extractor.ready()[..self.stretch_frames]);
            let neural = match self.neural.as_ref().filter(|s| !s.failed()) {
                // Wait for the 16 kHz side to cover the stretch.
                Some(stream) if stream.frames_ready() < self.done + cut => break,
                Some(stream) => Some(
                    (self.done..self.done + cut)
                        .map(|t| stream.frame_speech(t).unwrap_or(false))
                        .collect::<Vec<bool>>(),
                ),
                None => None,
            };
            let frames = self.extractor.take(cut);
            self.analyze_stretch(&frames, neural.as_deref());
        }
    }

    /// Runs the detector over one stretch (with Silero's per-frame decisions, when there are)
    /// and keeps what the whole recording's figures need.
    fn analyze_stretch(&mut self, frames: &[Frame], neural: Option<&[bool]>) {
        let offset = self.done;
        self.energy_used |= neural.is_none();
        let segments = &mut self.segments;
        let activity = detect(frames, neural, |pairs| {
            segments.extend_from_slice(pairs);
            vad::weighted_median(segments)
        });
        self.noise.add(frames, &activity);
        let noisy = self.noise.measurable();
        self.dropouts
            .extend(dropouts::candidates(frames, &activity, noisy, offset));
        self.background
            .extend(background::stretches(frames, &activity, offset));
        if let (Some(&(a, _)), Some(&(_, b))) =
            (activity.foreground.first(), activity.foreground.last())
        {
            let first = self.talk.map_or(offset + a, |(first, _)| first);
            self.talk = Some((first, offset + b));
        }
        for &(a, b) in &activity.regions {
            vad::append_region(&mut self.regions, (offset + a, offset + b));
        }
        self.done += frames.len();
    }

    /// `hum_detected` comes from the spectral analysis and decides the `hum` noise label.
    pub fn finish(mut self, hum_detected: bool) -> ActivityStats {
        let probs: Option<SpeechProbs> = self.neural.take().and_then(|s| s.finish().ok());
        let frames = self.extractor.take(usize::MAX);
        if !frames.is_empty() {
            let neural: Option<Vec<bool>> = probs.as_ref().map(|p| {
                (self.done..self.done + frames.len())
                    .map(|t| p.frame_speech(t))
                    .collect()
            });
            self.analyze_stretch(&frames, neural.as_deref());
        }
        let levels = self.noise.levels();
        let label = noise::label(&levels, hum_detected);
        let speech_frames: usize = self.regions.iter().map(|&(a, b)| b - a).sum();
        let dropouts = match self.talk {
            Some((first, last)) => {
                dropouts::select(&self.dropouts, first, last, levels.active_power)
            }
            None => Vec::new(),
        };
        ActivityStats {
            speech_fraction: speech_frames as f64 / self.done.max(1) as f64,
            speech_regions: to_time_ranges(&self.regions),
            active_level_dbfs: levels.active_power.map(db::power_db),
            noise_floor_dbfs: levels.noise_power.map(db::power_db),
            snr_db: levels.snr_db(),
            noise_flatness: levels.flatness,
            noise_label: label.into(),
            dropouts: to_time_ranges(&dropouts),
            background_voices: background::judge(
                &self.background,
                vad::weighted_median(&self.segments),
            ),
            neural: !self.energy_used,
        }
    }
}

/// Where to end a stretch of `frames` (a frame count): the whole second (a multiple of the
/// detector's noise-reference step, so that its grid runs on across stretches as in one pass)
/// within the last [`CUT_SEARCH_FRAMES`] (at most the last half) whose surrounding 300 ms hold
/// the least power; the earliest such second on a tie.
fn quiet_cut(frames: &[Frame]) -> usize {
    let n = frames.len();
    let half = CUT_WINDOW_FRAMES / 2;
    let lowest = (n - CUT_SEARCH_FRAMES.min(n / 2)).max(half);
    let power = |f: &Frame| {
        if f.flat {
            0.0
        } else {
            db_to_power(f.power_db())
        }
    };
    let around = |cut: usize| {
        frames[cut - half..cut + half]
            .iter()
            .map(power)
            .sum::<f64>()
    };
    (lowest.div_ceil(REF_STEP) * REF_STEP..=n.saturating_sub(half))
        .step_by(REF_STEP)
        .map(|cut| (cut, around(cut)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(n, |(cut, _)| cut)
}

#[cfg(test)]
mod tests;
