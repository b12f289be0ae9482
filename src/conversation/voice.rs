//! Voice prints: MFCC statistics of one speaker's voiced frames, to recognise the same voice in several calls.
//!
//! Choice: 12 mel-frequency cepstral coefficients (c1..c12, c0 dropped so loudness does not count) from
//! 26 mel bands between 100 and 3800 Hz (so a telephone channel and a wideband one are comparable),
//! 25 ms Hamming frames every 10 ms, pre-emphasis 0.97. The print is the mean and standard deviation of
//! each coefficient over the voiced frames inside the speaker's time ranges: frames within
//! [`VOICED_RANGE_DB`] of the speaker's loud frames (95th percentile of frame power) and above
//! [`SILENCE_DBFS`]. The accumulator keeps its sums per 1 dB power bin, so this relative threshold
//! is applied at the end without storing frames.
//! It captures the average vocal-tract shape and voice quality (a crude "i-vector" without training),
//! not a trained speaker embedding: see the README for what it cannot tell apart.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use serde::{Deserialize, Serialize};

use crate::dsp::mel::{self, MelNorm, MelScale};
use crate::dsp::{db, window};
use crate::model::TimeRange;

/// Frame length, seconds.
pub const FRAME_S: f64 = 0.025;
/// Frame step, seconds.
pub const HOP_S: f64 = 0.010;
/// Mel filter bank range, Hz.
pub const MEL_RANGE_HZ: (f64, f64) = (100.0, 3800.0);
pub const MEL_BANDS: usize = 26;
/// Cepstral coefficients kept (c1..=c12).
pub const COEFFICIENTS: usize = 12;
/// Frames quieter than this mean power (dBFS) are never voice.
pub const SILENCE_DBFS: f64 = -70.0;
/// Voiced frames lie at most this many dB below the speaker's loud frames (95th percentile).
pub const VOICED_RANGE_DB: f64 = 20.0;
/// Mel band energies are floored this many dB under the frame's strongest band, so that noise filling
/// the spectral valleys moves the coefficients less.
pub const BAND_FLOOR_DB: f64 = 25.0;
/// Frame power bins, 1 dB wide, from [`SILENCE_DBFS`] up to 0 dBFS.
const BINS: usize = (-SILENCE_DBFS) as usize + 1;
/// A print needs this many voiced frames (2 s of voice).
pub const MIN_VOICED_FRAMES: usize = 200;
/// Prints at least this similar are reported as the same voice (realdev speakers, same recording
/// conditions: 0.80 gave 0.1% false matches at 58% recall, 0.72 gave 0.9% at 80%; see
/// `scripts/eval-real`).
pub const SAME_VOICE_FROM: f64 = 0.76;

/// One speaker's voice summarised as MFCC statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoicePrint {
    pub voiced_frames: usize,
    pub mfcc_mean: Vec<f64>,
    pub mfcc_std: Vec<f64>,
    /// Median pitch of the periodic frames, Hz; null when too few frames were periodic.
    pub median_f0_hz: Option<f64>,
}

impl VoicePrint {
    /// Similarity 0..1 (1 = same statistics): exp(-d²), where d² is the mean squared difference of the
    /// coefficient means in units of their pooled within-speaker standard deviation.
    /// When both prints have a pitch, the difference of log pitch in units of [`PITCH_SPREAD`] counts as
    /// a 13th dimension.
    pub fn similarity(&self, other: &VoicePrint) -> f64 {
        let mut squares: Vec<f64> = (0..COEFFICIENTS)
            .map(|k| {
                let pooled = (self.mfcc_std[k].powi(2) + other.mfcc_std[k].powi(2)) / 2.0;
                (self.mfcc_mean[k] - other.mfcc_mean[k]).powi(2) / pooled.max(1e-9)
            })
            .collect();
        if let (Some(a), Some(b)) = (self.median_f0_hz, other.median_f0_hz) {
            squares.push(((a / b).ln() / PITCH_SPREAD).powi(2));
        }
        let d2 = squares.iter().sum::<f64>() / squares.len() as f64;
        (-d2 / SIMILARITY_SCALE).exp()
    }
}

/// Divides the standardized squared distance before the exponential.
const SIMILARITY_SCALE: f64 = 0.45;
/// Typical spread of one speaker's log pitch (natural log units, about 2.6 semitones).
pub const PITCH_SPREAD: f64 = 0.15;
/// Pitch search range, Hz.
pub const PITCH_RANGE_HZ: (f64, f64) = (60.0, 480.0);
/// A frame is periodic when its normalized autocorrelation peak reaches this.
const PERIODIC_FROM: f64 = 0.6;
/// Pitch histogram bins per octave (quarter semitones).
const PITCH_BINS_PER_OCTAVE: f64 = 48.0;
/// A print carries a pitch when this many frames were periodic.
const MIN_PITCHED_FRAMES: usize = 100;

/// Streaming accumulator of a [`VoicePrint`] over one channel's samples.
pub struct VoicePrinter {
    sample_rate_hz: u32,
    ranges: Vec<TimeRange>,
    frame_len: usize,
    hop: usize,
    fft: Arc<dyn Fft<f32>>,
    /// Plans of twice the frame length for the autocorrelation.
    acf_forward: Arc<dyn Fft<f32>>,
    acf_inverse: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    filters: Vec<Vec<(usize, f32)>>,
    pending: Vec<f32>,
    /// Sample index (from the start of the channel) of `pending[0]`.
    pending_start: u64,
    /// Coefficient sums of the frames in each 1 dB power bin.
    bins: Vec<Bin>,
    /// Counts of periodic frames per pitch bin (quarter semitones above the bottom of [`PITCH_RANGE_HZ`]).
    pitch_counts: Vec<usize>,
}

/// Sums of the frames whose power falls in one 1 dB bin.
#[derive(Clone, Copy)]
struct Bin {
    sum: [f64; COEFFICIENTS],
    sum_sq: [f64; COEFFICIENTS],
    frames: usize,
}

const EMPTY_BIN: Bin = Bin {
    sum: [0.0; COEFFICIENTS],
    sum_sq: [0.0; COEFFICIENTS],
    frames: 0,
};

impl VoicePrinter {
    /// An accumulator for samples at `sample_rate_hz` that keeps only frames inside `ranges` (seconds;
    /// sorted or not). An empty list keeps the whole signal (a channel that carries one speaker).
    pub fn new(sample_rate_hz: u32, ranges: &[TimeRange]) -> Self {
        let frame_len = (FRAME_S * sample_rate_hz as f64).round() as usize;
        let hop = (HOP_S * sample_rate_hz as f64).round() as usize;
        let fft_len = frame_len.next_power_of_two();
        let mut planner = FftPlanner::new();
        let mut sorted = ranges.to_vec();
        sorted.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        Self {
            sample_rate_hz,
            ranges: sorted,
            frame_len,
            hop,
            fft: planner.plan_fft_forward(fft_len),
            acf_forward: planner.plan_fft_forward(2 * fft_len),
            acf_inverse: planner.plan_fft_inverse(2 * fft_len),
            window: window::symmetric_hamming(frame_len),
            filters: mel_filters(sample_rate_hz as f64, fft_len),
            pending: Vec::new(),
            pending_start: 0,
            bins: vec![EMPTY_BIN; BINS],
            pitch_counts: vec![0; pitch_bin_count()],
        }
    }

    /// Feeds the next samples (full scale = 1.0).
    pub fn push(&mut self, samples: &[f32]) {
        self.pending.extend_from_slice(samples);
        let mut offset = 0;
        while offset + self.frame_len <= self.pending.len() {
            let start = self.pending_start + offset as u64;
            if self.in_ranges(start) {
                let frame = self.pending[offset..offset + self.frame_len].to_vec();
                self.accumulate(&frame);
            }
            offset += self.hop;
        }
        self.pending.drain(..offset);
        self.pending_start += offset as u64;
    }

    /// The print; null with fewer than [`MIN_VOICED_FRAMES`] voiced frames.
    pub fn finish(self) -> Option<VoicePrint> {
        let floor = self.loud_bin()?.saturating_sub(VOICED_RANGE_DB as usize);
        let mut total = EMPTY_BIN;
        for bin in &self.bins[floor..] {
            total.frames += bin.frames;
            for k in 0..COEFFICIENTS {
                total.sum[k] += bin.sum[k];
                total.sum_sq[k] += bin.sum_sq[k];
            }
        }
        if total.frames < MIN_VOICED_FRAMES {
            return None;
        }
        let n = total.frames as f64;
        let mfcc_mean: Vec<f64> = total.sum.iter().map(|s| s / n).collect();
        let mfcc_std = total
            .sum_sq
            .iter()
            .zip(&mfcc_mean)
            .map(|(sq, m)| (sq / n - m * m).max(0.0).sqrt())
            .collect();
        Some(VoicePrint {
            voiced_frames: total.frames,
            mfcc_mean,
            mfcc_std,
            median_f0_hz: self.median_f0_hz(),
        })
    }

    fn median_f0_hz(&self) -> Option<f64> {
        let frames: usize = self.pitch_counts.iter().sum();
        if frames < MIN_PITCHED_FRAMES {
            return None;
        }
        let mut below = 0;
        let bin = self.pitch_counts.iter().position(|c| {
            below += c;
            below * 2 >= frames
        })?;
        Some(PITCH_RANGE_HZ.0 * 2f64.powf((bin as f64 + 0.5) / PITCH_BINS_PER_OCTAVE))
    }

    /// The bin of the 95th percentile of frame power; null without frames.
    fn loud_bin(&self) -> Option<usize> {
        let frames: usize = self.bins.iter().map(|b| b.frames).sum();
        let mut above = 0;
        for (i, bin) in self.bins.iter().enumerate().rev() {
            above += bin.frames;
            if above * 20 >= frames && frames > 0 {
                return Some(i);
            }
        }
        None
    }

    fn in_ranges(&self, frame_start: u64) -> bool {
        let centre_s =
            (frame_start as f64 + self.frame_len as f64 / 2.0) / self.sample_rate_hz as f64;
        self.ranges.is_empty()
            || self
                .ranges
                .iter()
                .any(|r| (r.start_s..r.end_s).contains(&centre_s))
    }

    fn accumulate(&mut self, frame: &[f32]) {
        let power = frame.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / frame.len() as f64;
        let dbfs = db::power_db_floored(power, 1e-20);
        if dbfs < SILENCE_DBFS {
            return;
        }
        let r = autocorrelation(frame, self.acf_forward.as_ref(), self.acf_inverse.as_ref());
        if let Some(f0) = pitch_hz(&r, self.sample_rate_hz as f64) {
            let bin = (PITCH_BINS_PER_OCTAVE * (f0 / PITCH_RANGE_HZ.0).log2()) as usize;
            let last = self.pitch_counts.len() - 1;
            self.pitch_counts[bin.min(last)] += 1;
        }
        let coefficients = self.mfcc(frame);
        let bin = &mut self.bins[((dbfs - SILENCE_DBFS) as usize).min(BINS - 1)];
        for (k, c) in coefficients.iter().enumerate() {
            bin.sum[k] += c;
            bin.sum_sq[k] += c * c;
        }
        bin.frames += 1;
    }

    fn mfcc(&self, frame: &[f32]) -> [f64; COEFFICIENTS] {
        let mut buffer = vec![Complex::new(0.0f32, 0.0); self.fft.len()];
        let mean = frame.iter().sum::<f32>() / frame.len() as f32;
        let mut previous = 0.0;
        for (i, x) in frame.iter().enumerate() {
            let centred = x - mean;
            buffer[i].re = (centred - 0.97 * previous) * self.window[i];
            previous = centred;
        }
        self.fft.process(&mut buffer);
        let energies: Vec<f64> = self
            .filters
            .iter()
            .map(|f| {
                f.iter()
                    .map(|(bin, w)| (*w * buffer[*bin].norm_sqr()) as f64)
                    .sum()
            })
            .collect();
        let floor =
            energies.iter().fold(1e-10f64, |m, e| m.max(*e)) * db::db_to_power(-BAND_FLOOR_DB);
        let log_energies: Vec<f64> = energies.iter().map(|e| e.max(floor).ln()).collect();
        dct(&log_energies)
    }
}

fn pitch_bin_count() -> usize {
    (PITCH_BINS_PER_OCTAVE * (PITCH_RANGE_HZ.1 / PITCH_RANGE_HZ.0).log2()).ceil() as usize
}

/// Autocorrelation of a frame through the FFT (zero-padded, so not circular), normalized by lag 0 and
/// corrected for the shrinking overlap: r(lag) = acf(lag) / acf(0) * n / (n - lag).
fn autocorrelation(frame: &[f32], forward: &dyn Fft<f32>, inverse: &dyn Fft<f32>) -> Vec<f64> {
    let mean = frame.iter().sum::<f32>() / frame.len() as f32;
    let mut buffer = vec![Complex::new(0.0f32, 0.0); forward.len()];
    for (b, x) in buffer.iter_mut().zip(frame) {
        b.re = x - mean;
    }
    forward.process(&mut buffer);
    for b in buffer.iter_mut() {
        *b = Complex::new(b.norm_sqr(), 0.0);
    }
    inverse.process(&mut buffer);
    let zero = buffer[0].re as f64;
    let n = frame.len() as f64;
    (0..frame.len())
        .map(|lag| {
            if zero > 0.0 {
                buffer[lag].re as f64 / zero * n / (n - lag as f64)
            } else {
                0.0
            }
        })
        .collect()
}

/// Pitch of a frame from its normalized autocorrelation `r`, Hz: the shortest lag whose correlation
/// comes within 10% of the best one (avoids octave errors); null for an aperiodic frame.
fn pitch_hz(r: &[f64], sample_rate_hz: f64) -> Option<f64> {
    let min_lag = (sample_rate_hz / PITCH_RANGE_HZ.1).floor() as usize;
    let max_lag = ((sample_rate_hz / PITCH_RANGE_HZ.0).ceil() as usize).min(r.len() * 2 / 3);
    if min_lag == 0 || min_lag >= max_lag {
        return None;
    }
    let correlations: Vec<(usize, f64)> = (min_lag..=max_lag).map(|lag| (lag, r[lag])).collect();
    let best = correlations
        .iter()
        .map(|(_, r)| *r)
        .fold(f64::MIN, f64::max);
    if best < PERIODIC_FROM {
        return None;
    }
    let lag = correlations
        .iter()
        .find(|(_, r)| *r >= 0.9 * best)
        .map(|(lag, _)| *lag)?;
    Some(sample_rate_hz / lag as f64)
}

/// Triangular mel filters as (FFT bin, weight) lists, zero weights left out.
fn mel_filters(sample_rate_hz: f64, fft_len: usize) -> Vec<Vec<(usize, f32)>> {
    let high = MEL_RANGE_HZ.1.min(sample_rate_hz / 2.0);
    // fft_len is a power of two, so bin k's frequency k·rate/fft_len is exact in f64 and equals
    // the k·(rate/fft_len) these prints were first computed with.
    mel::filterbank(
        MelScale::Htk,
        MelNorm::Peak,
        (MEL_RANGE_HZ.0, high),
        MEL_BANDS,
        sample_rate_hz,
        fft_len,
    )
    .into_iter()
    .map(|row| {
        row.into_iter()
            .enumerate()
            .filter(|(_, w)| *w > 0.0)
            .map(|(bin, w)| (bin, w as f32))
            .collect()
    })
    .collect()
}

/// Orthonormal DCT-II coefficients 1..=COEFFICIENTS of the log mel energies.
fn dct(log_energies: &[f64]) -> [f64; COEFFICIENTS] {
    let scale = (2.0 / log_energies.len() as f64).sqrt();
    let mut out = [0.0; COEFFICIENTS];
    for (c, raw) in out.iter_mut().zip(mel::mfcc(log_energies, COEFFICIENTS)) {
        *c = raw * scale;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dsp::test_signals::Rng;

    /// Vowel formants (F1, F2, F3) in Hz of an adult male voice.
    const VOWELS: [(f64, f64, f64); 5] = [
        (730.0, 1090.0, 2440.0),
        (270.0, 2290.0, 3010.0),
        (300.0, 870.0, 2240.0),
        (530.0, 1840.0, 2480.0),
        (570.0, 840.0, 2410.0),
    ];

    /// A synthetic talker: glottal pulses at `f0_hz` through three formant resonators scaled by
    /// `tract_scale` (shorter vocal tract = higher formants), saying a random vowel string (`text_seed`)
    /// over white noise of amplitude `noise`.
    pub fn synth_voice(
        f0_hz: f64,
        tract_scale: f64,
        text_seed: u64,
        noise: f64,
        seconds: f64,
    ) -> Vec<f32> {
        let fs = 16_000.0;
        let mut rng = Rng::new(text_seed);
        let mut out = Vec::new();
        while (out.len() as f64) < seconds * fs {
            let (f1, f2, f3) =
                VOWELS[(rng.unit_f64() * VOWELS.len() as f64) as usize % VOWELS.len()];
            let len = ((0.08 + 0.12 * rng.unit_f64()) * fs) as usize;
            let pitch = f0_hz * (0.9 + 0.2 * rng.unit_f64());
            let mut syllable = pulses(pitch, len, fs);
            for (f, bw) in [(f1, 80.0), (f2, 100.0), (f3, 120.0)] {
                resonate(&mut syllable, f * tract_scale, bw, fs);
            }
            let peak = syllable.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            out.extend(syllable.iter().map(|x| 0.3 * x / peak));
            out.extend(std::iter::repeat_n(0.0, (0.04 * fs) as usize));
        }
        out.iter()
            .map(|x| (x + noise * rng.bipolar()) as f32)
            .collect()
    }

    fn pulses(f0_hz: f64, len: usize, fs: f64) -> Vec<f64> {
        let period = fs / f0_hz;
        (0..len)
            .map(|i| if (i as f64 % period) < 1.0 { 1.0 } else { 0.0 })
            .collect()
    }

    fn resonate(x: &mut [f64], freq_hz: f64, bandwidth_hz: f64, fs: f64) {
        let r = (-std::f64::consts::PI * bandwidth_hz / fs).exp();
        let a1 = 2.0 * r * (2.0 * std::f64::consts::PI * freq_hz / fs).cos();
        let a2 = -r * r;
        let (mut y1, mut y2) = (0.0, 0.0);
        for v in x.iter_mut() {
            let y = *v + a1 * y1 + a2 * y2;
            y2 = y1;
            y1 = y;
            *v = y;
        }
    }

    pub fn print_of(samples: &[f32]) -> VoicePrint {
        let mut printer = VoicePrinter::new(16_000, &[]);
        printer.push(samples);
        printer.finish().expect("enough voice")
    }

    #[test]
    fn chunked_equals_whole() {
        let voice = synth_voice(120.0, 1.0, 1, 0.001, 4.0);
        let whole = print_of(&voice);
        let mut printer = VoicePrinter::new(16_000, &[]);
        for chunk in voice.chunks(777) {
            printer.push(chunk);
        }
        assert_eq!(printer.finish().unwrap(), whole);
    }

    #[test]
    fn ranges_select_frames() {
        let voice = synth_voice(120.0, 1.0, 1, 0.001, 6.0);
        let mut printer = VoicePrinter::new(16_000, &[TimeRange::new(0.0, 3.0)]);
        printer.push(&voice);
        let half = printer.finish().unwrap();
        assert!(half.voiced_frames < print_of(&voice).voiced_frames * 6 / 10);
        assert!(half.voiced_frames >= MIN_VOICED_FRAMES);
    }

    #[test]
    fn silence_gives_no_print() {
        let mut printer = VoicePrinter::new(16_000, &[]);
        printer.push(&vec![0.0; 16_000 * 5]);
        assert_eq!(printer.finish(), None);
    }

    #[test]
    fn same_talker_matches_and_other_talkers_do_not() {
        let talker = |f0, scale, text, noise| print_of(&synth_voice(f0, scale, text, noise, 12.0));
        let a1 = talker(120.0, 1.0, 11, 0.002);
        let a2 = talker(120.0, 1.0, 22, 0.01);
        let b = talker(210.0, 1.17, 33, 0.002);
        let c = talker(160.0, 1.1, 44, 0.002);
        let same = a1.similarity(&a2);
        eprintln!(
            "same talker {same:.3}, others {:.3} {:.3} {:.3}",
            a1.similarity(&b),
            a1.similarity(&c),
            b.similarity(&c)
        );
        assert!(same >= SAME_VOICE_FROM, "same talker {same}");
        for (name, other) in [("b", &b), ("c", &c)] {
            let s = a1.similarity(other);
            assert!(s < SAME_VOICE_FROM, "talker {name} {s}");
        }
        assert!(b.similarity(&c) < SAME_VOICE_FROM);
    }
}
