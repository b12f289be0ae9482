//! Stereo bleed: how much each channel leaks into the others while only it talks.
//!
//! # Method
//! Every channel is cut into non-overlapping Hann-windowed frames of about 64 ms (a power of two
//! of samples). For each ordered pair (A, B), a frame is a single-talker frame of A when A is at
//! least 6 dB louder than B and above -70 dBFS: A talks and B is otherwise quiet. Over those frames
//! the auto- and cross-spectra S_AA, S_BB, S_AB are summed per FFT bin. The part of B that is a
//! linear (delayed, filtered, scaled) copy of A has power |S_AB|² / S_AA per bin (magnitude-squared
//! coherence × S_BB); its chance value S_BB / K over K independent frames is subtracted. The leak
//! level is that coherent power summed over bins, over A's power, in dB. A leak delayed by d
//! samples only partly falls into the same frame; the delay is read off the peak of the cross-
//! correlation (inverse FFT of S_AB, within ±20 ms) and the window-overlap loss is compensated.
//! Too few single-talker frames (under 10) or no coherent power left: null.
//! Memory is O(frame length × channel pairs), whatever the recording length.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::dsp::{db, window};
use crate::model::Bleed;

/// Frame length target, seconds (rounded up to a power of two of samples).
const FRAME_S: f64 = 0.064;
/// How much louder A must be than B for a frame to count as A talking alone, dB.
const DOMINANCE_DB: f64 = 6.0;
/// A must be above this power to count as talking (-70 dBFS).
const MIN_SOURCE_POWER: f64 = 1e-7;
/// Fewest single-talker frames for an estimate.
const MIN_FRAMES: usize = 10;
/// Largest leak delay looked for, seconds.
const MAX_DELAY_S: f64 = 0.02;

/// Spectral sums over the single-talker frames of one ordered pair.
struct PairSums {
    from: usize,
    to: usize,
    /// A dominated in the frame before the previous one, and in the previous one.
    dominated: [bool; 2],
    frames: usize,
    auto_from: Vec<f64>,
    auto_to: Vec<f64>,
    cross: Vec<Complex<f64>>,
}

/// Streaming bleed estimator over all channels of a recording.
pub struct BleedAnalyzer {
    frame_len: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    pending: Vec<Vec<f32>>,
    scratch_in: Vec<f32>,
    scratch: Vec<Complex<f32>>,
    spectra: Vec<Vec<Complex<f32>>>,
    previous: Vec<Vec<Complex<f32>>>,
    pairs: Vec<PairSums>,
    sample_rate_hz: u32,
}

impl BleedAnalyzer {
    /// `sample_rate_hz` of the recording, `channels` its channel count.
    pub fn new(sample_rate_hz: u32, channels: usize) -> Self {
        let frame_len =
            ((f64::from(sample_rate_hz.max(1000)) * FRAME_S) as usize).next_power_of_two();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(frame_len);
        let bins = frame_len / 2 + 1;
        let window = window::periodic_hann(frame_len);
        let pairs = if channels < 2 {
            Vec::new()
        } else {
            (0..channels)
                .flat_map(|from| {
                    (0..channels)
                        .filter(move |&to| to != from)
                        .map(move |to| (from, to))
                })
                .map(|(from, to)| PairSums {
                    from,
                    to,
                    dominated: [false; 2],
                    frames: 0,
                    auto_from: vec![0.0; bins],
                    auto_to: vec![0.0; bins],
                    cross: vec![Complex::new(0.0, 0.0); bins],
                })
                .collect()
        };
        Self {
            frame_len,
            window,
            scratch_in: fft.make_input_vec(),
            scratch: fft.make_scratch_vec(),
            spectra: vec![fft.make_output_vec(); if pairs.is_empty() { 0 } else { channels }],
            previous: vec![fft.make_output_vec(); if pairs.is_empty() { 0 } else { channels }],
            pending: vec![
                Vec::with_capacity(frame_len);
                if pairs.is_empty() { 0 } else { channels }
            ],
            fft,
            pairs,
            sample_rate_hz,
        }
    }

    /// Feeds one block, one slice per channel, all of the same length.
    pub fn push(&mut self, block: &[Vec<f32>]) {
        if self.pairs.is_empty() || block.len() < self.pending.len() {
            return;
        }
        let len = block.iter().map(Vec::len).min().unwrap_or(0);
        let mut at = 0;
        while at < len {
            let take = (self.frame_len - self.pending[0].len()).min(len - at);
            for (buffer, samples) in self.pending.iter_mut().zip(block) {
                buffer.extend(samples[at..at + take].iter().map(|&x| {
                    if x.is_finite() {
                        x
                    } else {
                        0.0
                    }
                }));
            }
            at += take;
            if self.pending[0].len() == self.frame_len {
                self.process_frame();
                self.pending.iter_mut().for_each(Vec::clear);
            }
        }
    }

    /// Transforms the pending frame of every channel; adds the previous frame to the pairs it qualifies for.
    fn process_frame(&mut self) {
        std::mem::swap(&mut self.spectra, &mut self.previous);
        let mut powers = Vec::with_capacity(self.pending.len());
        for (samples, spectrum) in self.pending.iter().zip(self.spectra.iter_mut()) {
            powers.push(
                samples.iter().map(|&x| f64::from(x * x)).sum::<f64>() / samples.len() as f64,
            );
            for ((dst, &x), &w) in self.scratch_in.iter_mut().zip(samples).zip(&self.window) {
                *dst = x * w;
            }
            self.fft
                .process_with_scratch(&mut self.scratch_in, spectrum, &mut self.scratch)
                .expect("buffers made by the plan itself");
        }
        let dominance = db::db_to_power(DOMINANCE_DB);
        for pair in &mut self.pairs {
            let (from, to) = (powers[pair.from], powers[pair.to]);
            let dominates = from >= MIN_SOURCE_POWER && from >= to * dominance;
            let single_talker = pair.dominated == [true, true] && dominates;
            pair.dominated = [pair.dominated[1], dominates];
            if !single_talker {
                continue;
            }
            pair.frames += 1;
            let (a, b) = (&self.previous[pair.from], &self.previous[pair.to]);
            for k in 0..a.len() {
                let (x, y) = (a[k].to_f64(), b[k].to_f64());
                pair.auto_from[k] += x.norm_sqr();
                pair.auto_to[k] += y.norm_sqr();
                pair.cross[k] += y * x.conj();
            }
        }
    }

    /// One entry per ordered pair of channels; empty for mono.
    pub fn finish(self) -> Vec<Bleed> {
        let max_lag = (f64::from(self.sample_rate_hz) * MAX_DELAY_S) as usize;
        self.pairs
            .iter()
            .map(|pair| Bleed {
                from_channel: pair.from,
                to_channel: pair.to,
                level_db: leak_db(pair, &self.window, max_lag),
            })
            .collect()
    }
}

trait ToF64 {
    fn to_f64(self) -> Complex<f64>;
}

impl ToF64 for Complex<f32> {
    fn to_f64(self) -> Complex<f64> {
        Complex::new(f64::from(self.re), f64::from(self.im))
    }
}

/// The leak of `pair.from` into `pair.to` relative to the source, dB; None when not measurable.
fn leak_db(pair: &PairSums, window: &[f32], max_lag: usize) -> Option<f64> {
    if pair.frames < MIN_FRAMES {
        return None;
    }
    let k = pair.frames as f64;
    let mut coherent = 0.0;
    let mut source = 0.0;
    for ((&a, &b), c) in pair
        .auto_from
        .iter()
        .zip(&pair.auto_to)
        .zip(&pair.cross)
        .skip(1)
    {
        if a > 0.0 {
            coherent += (c.norm_sqr() - a * b / k) / a / (1.0 - 1.0 / k);
        }
        source += a;
    }
    if !(coherent > 0.0 && source > 0.0) {
        return None;
    }
    let lag = peak_lag(&pair.cross, max_lag);
    let loss = overlap_loss(window, lag);
    Some(db::power_db(coherent / loss / source))
}

/// The lag (samples, absolute) of the cross-correlation peak within ±`max_lag`.
fn peak_lag(cross: &[Complex<f64>], max_lag: usize) -> usize {
    let n = 2 * (cross.len() - 1);
    let mut spectrum: Vec<Complex<f64>> = cross.to_vec();
    spectrum[0].im = 0.0;
    if let Some(last) = spectrum.last_mut() {
        last.im = 0.0;
    }
    let inverse = RealFftPlanner::<f64>::new().plan_fft_inverse(n);
    let mut correlation = inverse.make_output_vec();
    if inverse.process(&mut spectrum, &mut correlation).is_err() {
        return 0;
    }
    let max_lag = max_lag.min(n / 2 - 1);
    (0..=max_lag)
        .flat_map(|lag| [(lag, correlation[lag]), (lag, correlation[(n - lag) % n])])
        .max_by(|x, y| x.1.abs().total_cmp(&y.1.abs()))
        .map_or(0, |(lag, _)| lag)
}

/// The share of a delayed copy's coherent power that stays in the same windowed frame (0..1].
fn overlap_loss(window: &[f32], lag: usize) -> f64 {
    let energy: f64 = window.iter().map(|&w| f64::from(w * w)).sum();
    let overlap: f64 = window
        .iter()
        .zip(&window[lag.min(window.len())..])
        .map(|(&w0, &w1)| f64::from(w0 * w1))
        .sum();
    (overlap / energy).powi(2).max(1e-6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals as synth;

    const RATE: u32 = 16000;

    /// One talker who speaks only in the given turns of `turn_s` seconds (even or odd turns).
    fn turns(seed: u64, seconds: f32, turn_s: f32, odd: bool) -> Vec<f32> {
        let mut x = synth::talker(seed, RATE, seconds, 110.0 + seed as f32 * 15.0).samples;
        let turn = (turn_s * RATE as f32) as usize;
        for (i, v) in x.iter_mut().enumerate() {
            if ((i / turn) % 2 == 1) != odd {
                *v = 0.0;
            }
        }
        x
    }

    /// `x` delayed by `delay` samples and scaled by `gain_db`.
    fn leak(x: &[f32], delay: usize, gain_db: f64) -> Vec<f32> {
        let g = db::db_to_amplitude(gain_db) as f32;
        (0..x.len())
            .map(|i| if i >= delay { x[i - delay] * g } else { 0.0 })
            .collect()
    }

    fn stereo_call(
        leak_01_db: Option<f64>,
        leak_10_db: Option<f64>,
        delay: usize,
        seed: u64,
    ) -> Vec<Vec<f32>> {
        let a = turns(seed, 20.0, 2.5, false);
        let b = turns(seed + 1, 20.0, 2.5, true);
        let mut left = synth::mix(&a, &synth::white(seed + 2, a.len(), -65.0));
        let mut right = synth::mix(&b, &synth::pink(seed + 3, RATE, b.len(), -65.0));
        if let Some(db) = leak_01_db {
            right = synth::mix(&right, &leak(&a, delay, db));
        }
        if let Some(db) = leak_10_db {
            left = synth::mix(&left, &leak(&b, delay / 2, db));
        }
        vec![left, right]
    }

    fn analyze(channels: &[Vec<f32>], chunk: usize) -> Vec<Bleed> {
        let mut analyzer = BleedAnalyzer::new(RATE, channels.len());
        let len = channels[0].len();
        for start in (0..len).step_by(chunk) {
            let end = (start + chunk).min(len);
            let block: Vec<Vec<f32>> = channels.iter().map(|c| c[start..end].to_vec()).collect();
            analyzer.push(&block);
        }
        analyzer.finish()
    }

    #[test]
    fn leak_levels_are_measured_within_3_db() {
        let cases = [
            (-10.0, 0),
            (-20.0, 40),
            (-30.0, 80),
            (-40.0, 0),
            (-40.0, 80),
        ];
        for (i, (truth, delay)) in cases.into_iter().enumerate() {
            let call = stereo_call(Some(truth), None, delay, 10 + i as u64);
            let bleed = analyze(&call, 4096);
            let measured = bleed[0].level_db.expect("a leak is there");
            let reverse = bleed[1].level_db;
            eprintln!("leak {truth} dB, delay {delay} samples: measured {measured:.2} dB, reverse {reverse:?}");
            assert!(
                (measured - truth).abs() <= 3.0,
                "{truth} dB at {delay}: {measured:.2}"
            );
            assert!(
                reverse.is_none_or(|db| db < -50.0),
                "{truth} {delay} {reverse:?}"
            );
        }
    }

    #[test]
    fn both_directions_are_told_apart() {
        let bleed = analyze(&stereo_call(Some(-15.0), Some(-32.0), 32, 20), 1000);
        assert_eq!((bleed[0].from_channel, bleed[0].to_channel), (0, 1));
        assert!(
            (bleed[0].level_db.unwrap() + 15.0).abs() <= 3.0,
            "{bleed:?}"
        );
        assert!(
            (bleed[1].level_db.unwrap() + 32.0).abs() <= 3.0,
            "{bleed:?}"
        );
    }

    #[test]
    fn chunked_input_gives_the_same_result_as_whole() {
        let call = stereo_call(Some(-25.0), None, 16, 30);
        assert_eq!(analyze(&call, 333), analyze(&call, call[0].len()));
    }

    #[test]
    fn mono_and_degenerate_inputs_give_no_figures() {
        assert!(analyze(&[synth::white(1, 16000, -20.0)], 1000).is_empty());
        for channels in [
            vec![vec![0.0; 16000], vec![0.0; 16000]],
            vec![vec![0.5; 16000], vec![0.5; 16000]],
            vec![vec![1.0; 160], vec![-1.0; 160]],
            vec![vec![f32::NAN; 16000], vec![0.0; 16000]],
        ] {
            let bleed = analyze(&channels, 1000);
            assert_eq!(bleed.len(), 2);
            assert!(
                bleed.iter().all(|b| b.level_db.is_none_or(f64::is_finite)),
                "{bleed:?}"
            );
        }
    }

    /// Throughput at 48 kHz stereo; run in an optimised build:
    /// `CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo test --lib bleed_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, meaningful only in an optimised build"]
    fn bleed_throughput() {
        let rate = 48000;
        let a = synth::talker(1, rate, 60.0, 120.0).samples;
        let b = synth::mix(&synth::white(2, a.len(), -60.0), &leak(&a, 100, -20.0));
        let started = std::time::Instant::now();
        let mut analyzer = BleedAnalyzer::new(rate, 2);
        for start in (0..a.len()).step_by(4096) {
            let end = (start + 4096).min(a.len());
            analyzer.push(&[a[start..end].to_vec(), b[start..end].to_vec()]);
        }
        let bleed = analyzer.finish();
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "bleed: 60 s stereo at 48 kHz in {seconds:.3} s = {:.0}x real time ({bleed:?})",
            60.0 / seconds
        );
        assert!(bleed[0].level_db.is_some());
    }
}
