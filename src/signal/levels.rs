//! Peak, RMS, DC offset, clipping and EBU R128 loudness of one channel, streamed.
//!
//! Clipping rule: a clipped run is at least [`MIN_RUN_SAMPLES`] consecutive samples of one sign that
//! sit flat (each within [`FLAT_RELATIVE`] of the run's first sample) at the channel's ceiling: within
//! [`CEILING_TOLERANCE`] of the largest magnitude that polarity reaches in the whole file. The levels
//! of such runs are the clip levels; the clipping fraction is the share of all samples that sit at a
//! clip level (within [`CLIP_LEVEL_WINDOW`]), counting also the one- and two-sample touches.
//! Judging by flatness at the file's own ceiling, not by a fixed 0 dBFS threshold, catches audio
//! that was hard-clipped and then attenuated, while a clean sine that merely peaks at full scale
//! never sits flat for three samples (so clean audio reads exactly 0). Limits: clipping whose flat
//! tops were later smoothed (lossy coding, resampling) is not recognised, nor is a channel whose
//! every clip lasts under three samples; with coarse quantisation (8-bit µ-law/A-law, ~3% steps near
//! full scale) samples just under the clip level share its code and are counted too.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::TimeRange;

use crate::dsp::db;

/// Fewest consecutive flat samples that make a clipped run.
pub const MIN_RUN_SAMPLES: u32 = 3;
/// Samples of a run may differ from its first sample by this fraction of its magnitude.
pub const FLAT_RELATIVE: f32 = 1e-5;
/// Once a channel has clip levels, samples within this fraction of one count as clipped too
/// (about 3 LSB of 16-bit at full scale: dither after clipping moves them by a step or two).
pub const CLIP_LEVEL_WINDOW: f32 = 1e-4;
/// A run counts when its level is within this fraction of the polarity's ceiling (0.5%, -0.04 dB).
pub const CEILING_TOLERANCE: f32 = 0.005;
/// Below this ceiling (-60 dBFS) nothing is called clipped.
pub const MIN_CEILING: f32 = 1e-3;
/// Clipped runs closer than this merge into one reported time range, seconds.
pub const MERGE_GAP_S: f64 = 0.05;
/// At most this many clipped time ranges are kept; beyond it the merge gap doubles.
pub const MAX_CLIPPED_RANGES: usize = 256;
/// Resolution of the run-level bookkeeping, fraction of full scale.
const LEVEL_STEP: f32 = 1e-5;

/// The level figures of one channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelStats {
    /// Largest sample magnitude, dBFS; `None` for digital silence.
    pub peak_dbfs: Option<f64>,
    /// Root mean square, dBFS (a full-scale sine reads -3.01); `None` for digital silence.
    pub rms_dbfs: Option<f64>,
    /// Mean sample value, fraction of full scale.
    pub dc_offset: f64,
    /// Share of samples inside clipped runs (0..1), see the module docs for the rule.
    pub clipping_fraction: f64,
    /// Where clipping happens, seconds (runs closer than [`MERGE_GAP_S`] merged).
    pub clipped_runs: Vec<TimeRange>,
    /// EBU R128 integrated loudness, LUFS; `None` when too short (< 0.4 s) or silent.
    pub loudness_lufs: Option<f64>,
}

/// Streaming level meter.
pub struct LevelMeter {
    samples: u64,
    sum: f64,
    sum_squares: f64,
    peak: f32,
    clipping: ClipDetector,
    loudness: Option<ebur128::EbuR128>,
}

impl LevelMeter {
    /// A meter for a channel sampled at `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32) -> Self {
        Self {
            samples: 0,
            sum: 0.0,
            sum_squares: 0.0,
            peak: 0.0,
            clipping: ClipDetector::new(sample_rate_hz),
            // The histogram mode keeps the gating blocks in fixed memory however long the file.
            loudness: ebur128::EbuR128::new(
                1,
                sample_rate_hz,
                ebur128::Mode::I | ebur128::Mode::HISTOGRAM,
            )
            .ok(),
        }
    }

    /// Feeds the next samples (full scale = 1.0).
    pub fn push(&mut self, samples: &[f32]) {
        for block in samples.chunks(SUM_BLOCK) {
            let sums = BlockSums::of(block);
            self.sum += sums.sum;
            self.sum_squares += sums.sum_squares;
            self.peak = self.peak.max(sums.peak);
        }
        self.samples += samples.len() as u64;
        self.clipping.push(samples);
        if let Some(meter) = &mut self.loudness {
            if meter.add_frames_f32(samples).is_err() {
                self.loudness = None;
            }
        }
    }

    /// The channel's level figures.
    pub fn finish(self) -> LevelStats {
        let count = self.samples.max(1) as f64;
        let mean_square = self.sum_squares / count;
        let (clipping_fraction, clipped_runs) = self.clipping.finish();
        LevelStats {
            peak_dbfs: (self.peak > 0.0).then(|| db::amplitude_db(f64::from(self.peak))),
            rms_dbfs: (mean_square > 0.0)
                .then(|| db::power_db_floored(mean_square, db::FLOOR_POWER)),
            dc_offset: self.sum / count,
            clipping_fraction,
            clipped_runs,
            loudness_lufs: self.loudness.as_ref().and_then(integrated_loudness),
        }
    }
}

/// Samples summed in `f32` lanes before the totals move to `f64` (keeps rounding below 1e-6).
const SUM_BLOCK: usize = 256;
/// Parallel accumulators, so that the compiler can vectorise the sums.
const LANES: usize = 8;

/// Sum, sum of squares and peak magnitude of a short block.
struct BlockSums {
    sum: f64,
    sum_squares: f64,
    peak: f32,
}

impl BlockSums {
    fn of(block: &[f32]) -> Self {
        let (mut sum, mut squares, mut peak) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        let lanes = block.chunks_exact(LANES);
        let rest = lanes.remainder();
        for lane in lanes {
            for k in 0..LANES {
                sum[k] += lane[k];
                squares[k] += lane[k] * lane[k];
                peak[k] = peak[k].max(lane[k].abs());
            }
        }
        for (k, x) in rest.iter().enumerate() {
            sum[k] += x;
            squares[k] += x * x;
            peak[k] = peak[k].max(x.abs());
        }
        Self {
            sum: sum.iter().map(|v| f64::from(*v)).sum(),
            sum_squares: squares.iter().map(|v| f64::from(*v)).sum(),
            peak: peak.iter().fold(0.0, |m, v| m.max(*v)),
        }
    }
}

fn integrated_loudness(meter: &ebur128::EbuR128) -> Option<f64> {
    meter.loudness_global().ok().filter(|lufs| lufs.is_finite())
}

/// The flat run being followed sample by sample.
#[derive(Debug, Clone, Copy)]
struct FlatRun {
    start: u64,
    length: u32,
    first: f32,
}

/// Finds flat runs and keeps those at the running ceiling of each polarity.
struct ClipDetector {
    sample_rate_hz: u32,
    position: u64,
    run: Option<FlatRun>,
    positive: CeilingRuns,
    negative: CeilingRuns,
}

impl ClipDetector {
    fn new(sample_rate_hz: u32) -> Self {
        let gap = (MERGE_GAP_S * f64::from(sample_rate_hz)).round() as u64;
        Self {
            sample_rate_hz,
            position: 0,
            run: None,
            positive: CeilingRuns::new(gap),
            negative: CeilingRuns::new(gap),
        }
    }

    /// Only samples near a ceiling need bookkeeping: a run that starts below it can never count,
    /// since ceilings only rise. Everything else takes the one comparison of the fast path.
    fn push(&mut self, samples: &[f32]) {
        let mut near = self.positive.near.min(self.negative.near);
        for (offset, &x) in samples.iter().enumerate() {
            if x.abs() >= near {
                self.near_ceiling(self.position + offset as u64, x);
                near = self.positive.near.min(self.negative.near);
            } else if self.run.is_some() {
                self.close_run();
            }
        }
        self.position += samples.len() as u64;
    }

    fn near_ceiling(&mut self, position: u64, x: f32) {
        if x >= 0.0 {
            self.positive.observe(x);
        } else {
            self.negative.observe(-x);
        }
        match &mut self.run {
            Some(run) if continues_flat(run.first, x) => run.length += 1,
            _ => {
                self.close_run();
                self.run = Some(FlatRun {
                    start: position,
                    length: 1,
                    first: x,
                });
            }
        }
    }

    fn close_run(&mut self) {
        let Some(run) = self.run.take() else { return };
        if run.length < MIN_RUN_SAMPLES || run.first == 0.0 {
            return;
        }
        let side = if run.first > 0.0 {
            &mut self.positive
        } else {
            &mut self.negative
        };
        side.record(run.start, run.length, run.first.abs());
    }

    /// The clipped fraction (0..1) and the clipped time ranges, seconds.
    fn finish(mut self) -> (f64, Vec<TimeRange>) {
        self.close_run();
        let clipped = self.positive.clipped_samples() + self.negative.clipped_samples();
        let fraction = clipped as f64 / self.position.max(1) as f64;
        let gap = self.positive.ranges.gap.max(self.negative.ranges.gap);
        let mut spans: Vec<Span> = self.positive.ranges.spans;
        spans.extend(self.negative.ranges.spans);
        spans.sort_by_key(|s| s.start);
        let rate = f64::from(self.sample_rate_hz);
        let ranges = merge_spans(spans, gap)
            .iter()
            .map(|s| TimeRange::new(s.start as f64 / rate, s.end as f64 / rate))
            .collect();
        (fraction, ranges)
    }
}

fn continues_flat(first: f32, x: f32) -> bool {
    (first > 0.0) == (x > 0.0) && (x - first).abs() <= FLAT_RELATIVE * first.abs()
}

/// Samples and flat runs of one polarity near its (running) ceiling.
struct CeilingRuns {
    ceiling: f32,
    /// Lowest magnitude still near the ceiling.
    near: f32,
    /// Samples near the ceiling per level (in units of [`LEVEL_STEP`]).
    samples_by_level: BTreeMap<u32, u64>,
    /// Levels at which flat runs of [`MIN_RUN_SAMPLES`] or more sat near the ceiling.
    run_levels: BTreeSet<u32>,
    ranges: SpanList,
}

impl CeilingRuns {
    fn new(merge_gap: u64) -> Self {
        Self {
            ceiling: 0.0,
            near: MIN_CEILING,
            samples_by_level: BTreeMap::new(),
            run_levels: BTreeSet::new(),
            ranges: SpanList::new(merge_gap),
        }
    }

    /// Takes note of a sample's magnitude.
    fn observe(&mut self, magnitude: f32) {
        if magnitude > self.ceiling {
            self.raise_ceiling(magnitude);
        }
        if magnitude >= self.near {
            *self
                .samples_by_level
                .entry(level_key(magnitude))
                .or_default() += 1;
        }
    }

    fn raise_ceiling(&mut self, magnitude: f32) {
        self.ceiling = magnitude;
        self.near = (magnitude * (1.0 - CEILING_TOLERANCE)).max(MIN_CEILING);
        let lowest_key = level_key(self.near);
        if self
            .samples_by_level
            .first_key_value()
            .is_some_and(|(key, _)| *key < lowest_key)
        {
            self.samples_by_level = self.samples_by_level.split_off(&lowest_key);
            self.run_levels = self.run_levels.split_off(&lowest_key);
        }
    }

    fn record(&mut self, start: u64, length: u32, level: f32) {
        if level < self.near {
            return;
        }
        self.run_levels.insert(level_key(level));
        let span = Span {
            start,
            end: start + u64::from(length),
            level,
        };
        self.ranges.add(span, self.near);
    }

    /// Samples at a clip level (within [`CLIP_LEVEL_WINDOW`] of a run level).
    fn clipped_samples(&mut self) -> u64 {
        self.ranges.forget_below(self.near);
        let window = level_key(self.ceiling * CLIP_LEVEL_WINDOW).saturating_add(1);
        let at_clip_level = |key: u32| {
            let nearby = key.saturating_sub(window)..=key.saturating_add(window);
            self.run_levels.range(nearby).next().is_some()
        };
        self.samples_by_level
            .iter()
            .filter(|(key, _)| at_clip_level(**key))
            .map(|(_, n)| n)
            .sum()
    }
}

fn level_key(level: f32) -> u32 {
    (level / LEVEL_STEP).floor() as u32
}

/// A clipped stretch in samples, with the highest run level inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    start: u64,
    end: u64,
    level: f32,
}

/// Clipped spans merged across gaps of `gap` samples, at most [`MAX_CLIPPED_RANGES`] of them.
struct SpanList {
    gap: u64,
    spans: Vec<Span>,
}

impl SpanList {
    fn new(gap: u64) -> Self {
        Self {
            gap,
            spans: Vec::new(),
        }
    }

    fn add(&mut self, span: Span, lowest_level: f32) {
        match self.spans.last_mut() {
            Some(last) if span.start <= last.end + self.gap => {
                last.end = last.end.max(span.end);
                last.level = last.level.max(span.level);
            }
            _ => self.spans.push(span),
        }
        if self.spans.len() > MAX_CLIPPED_RANGES {
            self.forget_below(lowest_level);
        }
        while self.spans.len() > MAX_CLIPPED_RANGES {
            self.gap *= 2;
            self.spans = merge_spans(std::mem::take(&mut self.spans), self.gap);
        }
    }

    fn forget_below(&mut self, lowest_level: f32) {
        self.spans.retain(|s| s.level >= lowest_level);
    }
}

/// Merges time-sorted spans whose gap is at most `gap` samples.
fn merge_spans(spans: Vec<Span>, gap: u64) -> Vec<Span> {
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end + gap => {
                last.end = last.end.max(span.end);
                last.level = last.level.max(span.level);
            }
            _ => merged.push(span),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::test_signals::sine;

    fn measure(samples: &[f32], rate: u32) -> LevelStats {
        let mut meter = LevelMeter::new(rate);
        meter.push(samples);
        meter.finish()
    }

    /// Rounds to symmetric 16-bit PCM (full scale = 32767) like a WAV writer would.
    fn to_pcm16(samples: &[f32]) -> Vec<f32> {
        samples
            .iter()
            .map(|x| (x * 32767.0).round() / 32767.0)
            .collect()
    }

    #[test]
    fn full_scale_sine_levels() {
        let stats = measure(&sine(48_000, 1000.0, 1.0, 1.0), 48_000);
        assert!(stats.peak_dbfs.unwrap().abs() < 0.01);
        assert!((stats.rms_dbfs.unwrap() + 3.01).abs() < 0.01);
        assert!(stats.dc_offset.abs() < 1e-6);
        assert_eq!(stats.clipping_fraction, 0.0);
        assert!(stats.clipped_runs.is_empty());
    }

    #[test]
    fn dc_offset_and_rms_of_an_offset_sine() {
        let samples: Vec<f32> = sine(16_000, 440.0, 0.5, 1.0)
            .iter()
            .map(|x| x + 0.1)
            .collect();
        let stats = measure(&samples, 16_000);
        assert!((stats.dc_offset - 0.1).abs() < 1e-4);
        let want_rms_db = 10.0 * (0.125f64 + 0.01).log10();
        assert!((stats.rms_dbfs.unwrap() - want_rms_db).abs() < 0.01);
        assert!((stats.peak_dbfs.unwrap() - 20.0 * 0.6f64.log10()).abs() < 0.01);
    }

    #[test]
    fn silence_has_no_levels() {
        let stats = measure(&vec![0.0; 16_000], 16_000);
        assert_eq!(stats.peak_dbfs, None);
        assert_eq!(stats.rms_dbfs, None);
        assert_eq!(stats.loudness_lufs, None);
        assert_eq!(stats.clipping_fraction, 0.0);
    }

    #[test]
    fn clean_full_scale_sines_are_not_clipped() {
        for (rate, hz) in [
            (8_000, 300.0),
            (16_000, 100.0),
            (44_100, 1000.0),
            (48_000, 60.0),
        ] {
            for samples in [
                sine(rate, hz, 1.0, 2.0),
                to_pcm16(&sine(rate, hz, 1.0, 2.0)),
            ] {
                let stats = measure(&samples, rate);
                assert_eq!(stats.clipping_fraction, 0.0, "{hz} Hz at {rate} Hz");
            }
        }
    }

    /// A sine of `amplitude` hard-clipped at `limit` then scaled by `gain`, and its true clipped share.
    fn clipped_sine(rate: u32, hz: f64, amplitude: f64, limit: f64, gain: f64) -> (Vec<f32>, f64) {
        let clean = sine(rate, hz, amplitude, 3.0);
        let at_limit = clean.iter().filter(|x| f64::from(x.abs()) >= limit).count();
        let clipped = clean
            .iter()
            .map(|x| (f64::from(*x).clamp(-limit, limit) * gain) as f32)
            .collect();
        (clipped, at_limit as f64 / clean.len() as f64)
    }

    #[test]
    fn clipped_sine_fraction_within_ten_percent() {
        for (amplitude, gain) in [(1.05, 1.0), (1.5, 1.0), (1.2, 0.5), (1.01, 1.0)] {
            let (samples, truth) = clipped_sine(16_000, 200.0, amplitude, 1.0, gain);
            let got = measure(&to_pcm16(&samples), 16_000).clipping_fraction;
            assert!(
                (got / truth - 1.0).abs() < 0.1,
                "amplitude {amplitude} gain {gain}: {got} vs {truth}"
            );
        }
    }

    /// Uniform noise in [-amplitude, amplitude), deterministic.
    fn noise(n: usize, amplitude: f64, seed: u64) -> Vec<f32> {
        crate::dsp::test_signals::uniform(seed, n, amplitude)
    }

    #[test]
    fn clipped_noise_counts_every_sample_at_the_clip_level() {
        let clean = noise(48_000, 1.2, 3);
        let truth = clean.iter().filter(|x| x.abs() >= 1.0).count() as f64 / clean.len() as f64;
        let clipped: Vec<f32> = clean.iter().map(|x| x.clamp(-1.0, 1.0) * 0.8).collect();
        let got = measure(&to_pcm16(&clipped), 48_000).clipping_fraction;
        assert!((got / truth - 1.0).abs() < 0.1, "{got} vs {truth}");
    }

    #[test]
    fn clip_level_nudged_by_dither_still_counts() {
        let (samples, truth) = clipped_sine(16_000, 200.0, 1.3, 1.0, 1.0);
        let jitter = noise(samples.len(), 1.0, 9);
        let dithered: Vec<f32> = to_pcm16(&samples)
            .iter()
            .zip(&jitter)
            .map(|(x, j)| {
                if *j > 0.6 {
                    x - x.signum() / 32767.0
                } else {
                    *x
                }
            })
            .collect();
        let got = measure(&dithered, 16_000).clipping_fraction;
        assert!((got / truth - 1.0).abs() < 0.1, "{got} vs {truth}");
    }

    #[test]
    fn clean_noise_peaking_at_full_scale_is_not_clipped() {
        let mut samples = noise(48_000, 1.0, 5);
        let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        samples.iter_mut().for_each(|x| *x /= peak);
        assert_eq!(measure(&to_pcm16(&samples), 48_000).clipping_fraction, 0.0);
    }

    #[test]
    fn clipped_bursts_become_time_ranges() {
        let rate = 16_000;
        let (burst, _) = clipped_sine(rate, 200.0, 1.5, 0.8, 1.0);
        let quiet = sine(rate, 200.0, 0.3, 1.0);
        let mut samples = quiet.clone();
        samples.extend_from_slice(&burst[..rate as usize / 2]);
        samples.extend_from_slice(&quiet);
        samples.extend_from_slice(&burst[..rate as usize / 4]);
        let stats = measure(&samples, rate);
        assert_eq!(stats.clipped_runs.len(), 2, "{:?}", stats.clipped_runs);
        let first = stats.clipped_runs[0];
        assert!((first.start_s - 1.0).abs() < 0.01 && (first.end_s - 1.5).abs() < 0.01);
        let second = stats.clipped_runs[1];
        assert!((second.start_s - 2.5).abs() < 0.01 && (second.end_s - 2.75).abs() < 0.01);
    }

    #[test]
    fn clipped_ranges_stay_bounded() {
        let rate = 8_000;
        let (burst, _) = clipped_sine(rate, 200.0, 1.5, 1.0, 1.0);
        let mut meter = LevelMeter::new(rate);
        for _ in 0..2_000 {
            meter.push(&burst[..80]);
            meter.push(&vec![0.0; 800]);
        }
        let stats = meter.finish();
        assert!(!stats.clipped_runs.is_empty());
        assert!(stats.clipped_runs.len() <= MAX_CLIPPED_RANGES);
        assert!((stats.clipped_runs[0].start_s).abs() < 0.01);
        assert!(stats.clipped_runs.last().unwrap().end_s > 210.0);
    }

    #[test]
    fn a_louder_peak_later_voids_earlier_flat_runs() {
        let rate = 16_000;
        let (mut samples, _) = clipped_sine(rate, 200.0, 1.5, 0.5, 1.0);
        samples.extend(sine(rate, 200.0, 0.9, 1.0));
        let stats = measure(&samples, rate);
        assert_eq!(stats.clipping_fraction, 0.0);
        assert!(stats.clipped_runs.is_empty());
    }

    #[test]
    fn loudness_of_a_sine_follows_bs1770() {
        // One channel, 997 Hz: LUFS = dB(mean square) + K-weighting (+0.69 dB) - 0.691 = RMS dBFS.
        let peak_minus_20 = measure(&sine(48_000, 997.0, 0.1, 5.0), 48_000);
        assert!((peak_minus_20.loudness_lufs.unwrap() + 23.01).abs() < 0.1);
        let rms_minus_20 = measure(&sine(44_100, 997.0, 0.1 * 2f64.sqrt(), 5.0), 44_100);
        assert!((rms_minus_20.loudness_lufs.unwrap() + 20.0).abs() < 0.1);
        let too_short = measure(&sine(16_000, 997.0, 0.5, 0.2), 16_000);
        assert_eq!(too_short.loudness_lufs, None);
    }

    #[test]
    fn non_finite_samples_do_not_panic() {
        let mut samples = sine(16_000, 440.0, 0.5, 1.0);
        samples[100] = f32::NAN;
        samples[200..210].fill(f32::INFINITY);
        samples[300] = f32::NEG_INFINITY;
        let stats = measure(&samples, 16_000);
        assert!(stats.clipping_fraction <= 1.0);
    }

    #[test]
    fn chunked_equals_whole() {
        let rate = 16_000;
        let (mut samples, _) = clipped_sine(rate, 200.0, 1.3, 0.9, 0.7);
        samples.extend(sine(rate, 333.0, 0.2, 1.0));
        let whole = measure(&samples, rate);
        let mut meter = LevelMeter::new(rate);
        for chunk in samples.chunks(101) {
            meter.push(chunk);
        }
        let chunked = meter.finish();
        assert_eq!(whole.peak_dbfs, chunked.peak_dbfs);
        assert_eq!(whole.clipping_fraction, chunked.clipping_fraction);
        assert_eq!(whole.clipped_runs, chunked.clipped_runs);
        assert_eq!(whole.loudness_lufs, chunked.loudness_lufs);
        // Sums run in f32 blocks that start wherever a push starts: equal to rounding only.
        assert!((whole.rms_dbfs.unwrap() - chunked.rms_dbfs.unwrap()).abs() < 1e-5);
        assert!((whole.dc_offset - chunked.dc_offset).abs() < 1e-7);
        assert!(whole.clipping_fraction > 0.1);
    }
}
