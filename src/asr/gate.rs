//! VAD gating for the recogniser: keeps only the speech regions (plus padding) of a 16 kHz channel
//! while it streams past, and maps times in the kept audio back to the original timeline.
//!
//! Safety net: 10 ms frames clearly above the channel's noise floor are kept too (with the same
//! padding), so a word the VAD missed still reaches the recogniser; silence is still dropped.

use std::io;
use std::ops::Range;

use super::store::SampleStore;
use crate::dsp::db;
use crate::model::TimeRange;

/// Audio around each speech region that is kept too, seconds (word onsets and tails).
pub const PADDING_S: f64 = 0.3;
/// Regions closer than this (after padding) are merged into one piece, seconds.
pub const MERGE_GAP_S: f64 = 0.5;
/// Silence inserted between kept pieces so whisper sees a pause, seconds.
pub const SEPARATOR_S: f64 = 0.3;
const RATE_HZ: f64 = 16_000.0;
/// Energy frame of the safety net, samples (10 ms).
const FRAME: usize = 160;
/// A frame this far above the noise floor is kept even outside the VAD's regions, dB.
pub const ENERGY_MARGIN_DB: f64 = 12.0;
/// ... or this far below the active speech level, whichever is lower, dB.
pub const ACTIVE_MARGIN_DB: f64 = 20.0;
/// Threshold when neither level is known, and the lowest one used, dBFS.
pub const FALLBACK_THRESHOLD_DBFS: f64 = -55.0;
/// A kept piece longer than a whole stretch (see [`CompactAudio::stretches`]) is cut at its
/// quietest [`CUT_WINDOW_S`] within this much before the stretch's end, seconds.
const CUT_SEARCH_S: f64 = 30.0;
/// Length of the quiet stretch such a cut goes through the middle of, seconds.
const CUT_WINDOW_S: f64 = 0.2;

/// Level (dBFS) above which a 10 ms frame is kept outside the VAD's regions: the lower of
/// floor + 12 dB and active level - 20 dB (a second voice the VAD took for noise still passes),
/// never below -55 dBFS (quiet room tone and digital silence are always dropped).
pub fn safety_threshold_dbfs(noise_floor_dbfs: Option<f64>, active_level_dbfs: Option<f64>) -> f64 {
    let candidates = [
        noise_floor_dbfs.map(|f| f + ENERGY_MARGIN_DB),
        active_level_dbfs.map(|a| a - ACTIVE_MARGIN_DB),
    ];
    candidates
        .into_iter()
        .flatten()
        .fold(None, |low: Option<f64>, t| {
            Some(low.map_or(t, |l| l.min(t)))
        })
        .map_or(FALLBACK_THRESHOLD_DBFS, |t| t.max(FALLBACK_THRESHOLD_DBFS))
}

/// One kept stretch: where it sits in the compact buffer and in the original recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// First sample in the compact buffer.
    pub compact_start: usize,
    /// Samples in the piece.
    pub len: usize,
    /// Start in the original recording, seconds.
    pub original_start_s: f64,
}

/// The speech of one channel at 16 kHz, pauses removed, with its map back to the original time.
/// The samples live in a [`SampleStore`]: in memory while they are short, in a temporary file
/// beyond that.
#[derive(Debug, Default)]
pub struct CompactAudio {
    pub samples: SampleStore,
    pub pieces: Vec<Piece>,
}

impl CompactAudio {
    /// Kept audio held in memory (tests, short buffers).
    pub fn from_samples(samples: Vec<f32>, pieces: Vec<Piece>) -> Self {
        Self {
            samples: SampleStore::from_vec(samples),
            pieces,
        }
    }

    /// Samples of kept audio (separators included).
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The stretches of the compact buffer the recogniser gets one at a time, as sample ranges:
    /// whole kept pieces with the separators between them, each at most `max_len` samples long,
    /// so the memory one recognition needs does not grow with the amount of speech. They are cut
    /// only between pieces (pauses between speech regions), except a piece longer than `max_len`
    /// itself, which is cut through its quietest [`CUT_WINDOW_S`] in the last [`CUT_SEARCH_S`]
    /// before the limit. Speech shorter than `max_len` is one stretch: the whole buffer.
    pub fn stretches(&self, max_len: usize) -> io::Result<Vec<Range<usize>>> {
        let max_len = max_len.max(1);
        let mut out = Vec::new();
        let mut current: Option<Range<usize>> = None;
        for p in &self.pieces {
            let (start, end) = (p.compact_start, p.compact_start + p.len);
            if let Some(range) = current.as_mut() {
                if end - range.start <= max_len {
                    range.end = end;
                    continue;
                }
                out.push(range.clone());
            }
            let mut from = start;
            while end - from > max_len {
                let cut = self.quiet_cut(from, from + max_len)?;
                out.push(from..cut);
                from = cut;
            }
            current = Some(from..end);
        }
        out.extend(current);
        Ok(out)
    }

    /// Where to cut a piece that runs past `limit` (a stretch starting at `from`): the middle of
    /// its quietest [`CUT_WINDOW_S`] in the last [`CUT_SEARCH_S`] (at most the second half of the
    /// stretch) before `limit`.
    fn quiet_cut(&self, from: usize, limit: usize) -> io::Result<usize> {
        let search = ((CUT_SEARCH_S * RATE_HZ) as usize).min((limit - from) / 2);
        let start = limit - search;
        let window = (CUT_WINDOW_S * RATE_HZ) as usize / FRAME;
        let energies: Vec<f64> = self.samples.with(start..limit, |samples| {
            samples
                .chunks_exact(FRAME)
                .map(|f| f.iter().map(|&x| f64::from(x) * f64::from(x)).sum())
                .collect()
        })?;
        if energies.len() < window.max(1) {
            return Ok(limit);
        }
        let mut sum: f64 = energies[..window].iter().sum();
        let (mut best, mut best_sum) = (0, sum);
        for i in window..energies.len() {
            sum += energies[i] - energies[i - window];
            if sum < best_sum {
                (best, best_sum) = (i + 1 - window, sum);
            }
        }
        Ok(start + (best * FRAME + window * FRAME / 2).min(search))
    }

    /// Original time (seconds) of a time in the compact buffer; separator times snap to the end of
    /// the piece before them.
    pub fn to_original_s(&self, compact_s: f64) -> f64 {
        let at = (compact_s.max(0.0) * RATE_HZ).round() as usize;
        let index = self
            .pieces
            .partition_point(|p| p.compact_start <= at)
            .saturating_sub(1);
        match self.pieces.get(index) {
            Some(p) => {
                p.original_start_s
                    + (at.saturating_sub(p.compact_start)).min(p.len) as f64 / RATE_HZ
            }
            None => compact_s,
        }
    }

    /// Original start and end (seconds) of a stretch of the compact buffer that should not cross
    /// a removed pause (a word): it stays in the kept piece its start is in (the next piece when it
    /// starts in a separator) and its end is clipped to that piece. Whisper's word starts are
    /// aligned, its ends are not: a word at a piece's end stretched over the separator would
    /// otherwise span the other speaker's turn.
    pub fn span_to_original_s(&self, compact_start_s: f64, compact_end_s: f64) -> (f64, f64) {
        let at = |s: f64| (s.max(0.0) * RATE_HZ).round() as usize;
        let (c0, c1) = (at(compact_start_s), at(compact_end_s.max(compact_start_s)));
        let piece = self
            .pieces
            .iter()
            .find(|p| p.compact_start + p.len > c0)
            .or(self.pieces.last());
        match piece {
            Some(p) => {
                let inside =
                    |c: usize| c.saturating_sub(p.compact_start).min(p.len) as f64 / RATE_HZ;
                (
                    p.original_start_s + inside(c0),
                    p.original_start_s + inside(c1),
                )
            }
            None => (compact_start_s, compact_end_s),
        }
    }

    /// Level (dBFS, RMS) of the kept audio between two original times; `None` when nothing
    /// between them was kept (the channel was silent there).
    pub fn level_dbfs(&self, start_s: f64, end_s: f64) -> io::Result<Option<f64>> {
        let (mut energy, mut count) = (0.0f64, 0usize);
        let end_of = |p: &Piece| p.original_start_s + p.len as f64 / RATE_HZ;
        let first_piece = self.pieces.partition_point(|p| end_of(p) <= start_s);
        for p in &self.pieces[first_piece..] {
            if p.original_start_s >= end_s {
                break;
            }
            let (from, to) = (start_s.max(p.original_start_s), end_s.min(end_of(p)));
            if to <= from {
                continue;
            }
            let offset = |t: f64| ((t - p.original_start_s) * RATE_HZ).round() as usize;
            let first = p.compact_start + offset(from).min(p.len);
            let last = p.compact_start + offset(to).min(p.len);
            self.samples.with(first..last, |samples| {
                for x in samples {
                    energy += f64::from(*x) * f64::from(*x);
                }
            })?;
            count += last - first;
        }
        Ok((count > 0).then(|| db::power_db_floored(energy / count as f64, 1e-12)))
    }

    /// Duration of the kept audio, seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / RATE_HZ
    }
}

/// Pads, clips to `[0, duration_s]`, sorts and merges regions into the windows to keep, as sample ranges.
pub fn keep_windows(regions: &[TimeRange], duration_s: f64) -> Vec<(usize, usize)> {
    let mut padded: Vec<(f64, f64)> = regions
        .iter()
        .map(|r| {
            (
                (r.start_s - PADDING_S).max(0.0),
                (r.end_s + PADDING_S).min(duration_s),
            )
        })
        .filter(|(s, e)| e > s)
        .collect();
    padded.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (s, e) in padded {
        match merged.last_mut() {
            Some(last) if s - last.1 < MERGE_GAP_S => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .into_iter()
        .map(|(s, e)| {
            (
                (s * RATE_HZ).round() as usize,
                (e * RATE_HZ).round() as usize,
            )
        })
        .collect()
}

/// Streaming gate: `push` 16 kHz blocks in order, `finish` returns the kept audio.
pub struct SpeechGate {
    windows: Vec<(usize, usize)>,
    next_window: usize,
    /// Mean-square power a frame needs to be kept outside the windows (full scale = 1).
    energy_threshold: f64,
    /// Samples of the original timeline not yet decided (less than a frame).
    pending: Vec<f32>,
    /// First original sample of `pending`.
    position: usize,
    /// Last original sample (exclusive) an energetic frame asked to keep, with padding.
    keep_until: usize,
    /// The last `PADDING_S` of dropped audio, kept to pad an energetic onset.
    lookback: std::collections::VecDeque<f32>,
    out: CompactAudio,
}

impl SpeechGate {
    /// `regions`: speech regions in seconds of the original recording; `duration_s` its length;
    /// `threshold_dbfs`: frames louder than this are kept outside the regions too (see
    /// [`safety_threshold_dbfs`]).
    pub fn new(regions: &[TimeRange], duration_s: f64, threshold_dbfs: f64) -> Self {
        Self {
            windows: keep_windows(regions, duration_s),
            next_window: 0,
            energy_threshold: db::db_to_power(threshold_dbfs),
            pending: Vec::with_capacity(FRAME),
            position: 0,
            keep_until: 0,
            lookback: std::collections::VecDeque::new(),
            out: CompactAudio::default(),
        }
    }

    /// Keeps the samples in a store that spills at `spill_at` samples instead of the default
    /// (tests).
    #[cfg(test)]
    fn spilling_at(mut self, spill_at: usize) -> Self {
        self.out.samples = SampleStore::spilling_at(spill_at);
        self
    }

    /// Feeds the next block of 16 kHz samples; fails only when the store's temporary file does.
    pub fn push(&mut self, samples: &[f32]) -> io::Result<()> {
        for &sample in samples {
            self.pending.push(sample);
            if self.pending.len() == FRAME {
                self.decide_frame()?;
            }
        }
        Ok(())
    }

    fn decide_frame(&mut self) -> io::Result<()> {
        let frame = std::mem::take(&mut self.pending);
        let start = self.position;
        let end = start + frame.len();
        let power = frame
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            / frame.len().max(1) as f64;
        let pad = (PADDING_S * RATE_HZ) as usize;
        if power > self.energy_threshold {
            self.keep_until = end + pad;
            let back: Vec<f32> = self.lookback.drain(..).collect();
            if !back.is_empty() {
                self.append(start - back.len(), &back)?;
            }
        }
        while self
            .windows
            .get(self.next_window)
            .is_some_and(|w| w.1 <= start)
        {
            self.next_window += 1;
        }
        let in_window = self
            .windows
            .get(self.next_window)
            .is_some_and(|w| w.0 < end);
        if in_window || start < self.keep_until {
            self.lookback.clear();
            self.append(start, &frame)?;
        } else {
            self.lookback.extend(&frame);
            while self.lookback.len() > pad {
                self.lookback.pop_front();
            }
        }
        self.position = end;
        self.pending = frame;
        self.pending.clear();
        Ok(())
    }

    fn append(&mut self, original_sample: usize, samples: &[f32]) -> io::Result<()> {
        let continues = self.out.pieces.last().is_some_and(|p| {
            (p.original_start_s * RATE_HZ).round() as usize + p.len == original_sample
        });
        if continues {
            if let Some(p) = self.out.pieces.last_mut() {
                p.len += samples.len();
            }
        } else {
            if !self.out.pieces.is_empty() {
                let gap = (SEPARATOR_S * RATE_HZ) as usize;
                self.out.samples.extend(&vec![0.0; gap])?;
            }
            self.out.pieces.push(Piece {
                compact_start: self.out.samples.len(),
                len: samples.len(),
                original_start_s: original_sample as f64 / RATE_HZ,
            });
        }
        self.out.samples.extend(samples)
    }

    pub fn finish(mut self) -> io::Result<CompactAudio> {
        if !self.pending.is_empty() {
            self.decide_frame()?;
        }
        self.out.samples.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A noise floor so high that no frame passes the energy safety net.
    const NO_SAFETY_NET: f64 = 400.0;

    fn ramp(n: usize) -> Vec<f32> {
        (0..n).map(|i| i as f32).collect()
    }

    fn regions() -> Vec<TimeRange> {
        vec![
            TimeRange::new(1.0, 2.0),
            TimeRange::new(2.4, 3.0),
            TimeRange::new(6.0, 7.5),
        ]
    }

    #[test]
    fn windows_are_padded_merged_and_clipped() {
        let w = keep_windows(
            &[
                TimeRange::new(0.1, 0.5),
                TimeRange::new(9.0, 9.9),
                TimeRange::new(0.9, 1.2),
            ],
            10.0,
        );
        assert_eq!(w, vec![(0, 24_000), (139_200, 160_000)]);
    }

    #[test]
    fn chunked_equals_whole_and_keeps_the_right_samples() {
        let audio = ramp(160_000);
        let mut whole = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET);
        whole.push(&audio).unwrap();
        let whole = whole.finish().unwrap();
        let mut chunked = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET);
        for block in audio.chunks(1234) {
            chunked.push(block).unwrap();
        }
        let chunked = chunked.finish().unwrap();
        assert_eq!(chunked.pieces, whole.pieces);
        assert_eq!(
            chunked.samples.to_vec().unwrap(),
            whole.samples.to_vec().unwrap()
        );
        assert_eq!(whole.pieces.len(), 2);
        assert_eq!(
            whole.pieces[0].len,
            (3.3 * RATE_HZ - 0.7 * RATE_HZ) as usize
        );
        let samples = whole.samples.to_vec().unwrap();
        assert_eq!(samples[0], 0.7 * 16_000.0);
        let second = whole.pieces[1];
        assert_eq!(samples[second.compact_start], 5.7 * 16_000.0);
        assert_eq!(
            second.compact_start,
            whole.pieces[0].len + (SEPARATOR_S * RATE_HZ) as usize
        );
    }

    #[test]
    fn compact_times_map_back_to_the_original_timeline() {
        let mut gate = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET);
        gate.push(&ramp(160_000)).unwrap();
        let c = gate.finish().unwrap();
        assert!((c.to_original_s(0.0) - 0.7).abs() < 1e-9);
        assert!((c.to_original_s(1.0) - 1.7).abs() < 1e-9);
        let second_start = c.pieces[1].compact_start as f64 / RATE_HZ;
        assert!((c.to_original_s(second_start + 0.5) - 6.2).abs() < 1e-9);
        // inside the separator: the end of the first piece
        assert!((c.to_original_s(second_start - 0.1) - 3.3).abs() < 1e-9);
    }

    #[test]
    fn a_word_stays_inside_the_piece_it_starts_in() {
        let mut gate = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET);
        gate.push(&ramp(160_000)).unwrap();
        let c = gate.finish().unwrap();
        let first_end = c.pieces[0].len as f64 / RATE_HZ;
        let second_start = c.pieces[1].compact_start as f64 / RATE_HZ;
        let close = |(start, end): (f64, f64), expected: (f64, f64)| {
            assert!(
                (start - expected.0).abs() < 1e-9 && (end - expected.1).abs() < 1e-9,
                "{start} {end} vs {expected:?}"
            );
        };
        // the last word of the first piece, stretched over the separator into the second piece
        close(
            c.span_to_original_s(first_end - 0.1, second_start + 0.4),
            (3.2, 3.3),
        );
        // a word starting in the separator belongs to the next piece
        close(
            c.span_to_original_s(second_start - 0.1, second_start + 0.4),
            (5.7, 6.1),
        );
        close(
            c.span_to_original_s(second_start - 0.1, second_start - 0.1),
            (5.7, 5.7),
        );
        // inside one piece it agrees with the point mapping
        close(
            c.span_to_original_s(0.5, 1.0),
            (c.to_original_s(0.5), c.to_original_s(1.0)),
        );
    }

    #[test]
    fn level_is_measured_on_the_original_timeline() {
        let mut gate = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET);
        let mut audio = vec![0.0f32; 160_000];
        // 1.0-2.0 s at 0.5 (about -6 dBFS), 6.0-7.0 s at 0.05 (-26 dBFS)
        audio[16_000..32_000].iter_mut().for_each(|x| *x = 0.5);
        audio[96_000..112_000].iter_mut().for_each(|x| *x = 0.05);
        gate.push(&audio).unwrap();
        let c = gate.finish().unwrap();
        let loud = c.level_dbfs(1.2, 1.8).unwrap().unwrap();
        let quiet = c.level_dbfs(6.2, 6.8).unwrap().unwrap();
        assert!((loud - 20.0 * 0.5f64.log10()).abs() < 0.01, "{loud}");
        assert!((quiet - 20.0 * 0.05f64.log10()).abs() < 0.01, "{quiet}");
        assert_eq!(
            c.level_dbfs(4.0, 5.0).unwrap(),
            None,
            "between the kept pieces"
        );
    }

    #[test]
    fn loud_frames_the_vad_missed_are_kept_with_padding() {
        let mut audio = vec![0.0001f32; 160_000];
        audio[80_000..96_000].iter_mut().for_each(|x| *x = 0.3);
        let mut gate = SpeechGate::new(&[TimeRange::new(1.0, 2.0)], 10.0, -50.0);
        for block in audio.chunks(777) {
            gate.push(block).unwrap();
        }
        let c = gate.finish().unwrap();
        assert_eq!(c.pieces.len(), 2);
        let burst = c.pieces[1];
        assert!((burst.original_start_s - 4.7).abs() < 1e-9, "{burst:?}");
        assert_eq!(burst.len, (1.6 * RATE_HZ) as usize);
        let mut quiet = SpeechGate::new(&[], 10.0, -50.0);
        quiet.push(&vec![0.0001f32; 160_000]).unwrap();
        assert!(
            quiet.finish().unwrap().samples.is_empty(),
            "a steady floor is not kept"
        );
    }

    #[test]
    fn safety_threshold_takes_the_lower_level_but_never_drops_below_the_fallback() {
        assert_eq!(safety_threshold_dbfs(Some(-60.0), Some(-20.0)), -48.0);
        assert_eq!(safety_threshold_dbfs(Some(-30.0), Some(-22.0)), -42.0);
        assert_eq!(
            safety_threshold_dbfs(Some(-90.0), None),
            FALLBACK_THRESHOLD_DBFS
        );
        assert_eq!(safety_threshold_dbfs(None, None), FALLBACK_THRESHOLD_DBFS);
    }

    #[test]
    fn no_regions_keep_nothing() {
        let mut gate = SpeechGate::new(&[], 10.0, NO_SAFETY_NET);
        gate.push(&ramp(1000)).unwrap();
        assert!(gate.finish().unwrap().samples.is_empty());
    }

    #[test]
    fn a_gate_that_spills_to_a_file_keeps_the_same_audio() {
        let mut audio = ramp(160_000);
        audio[96_000..112_000].iter_mut().for_each(|x| *x = 0.05);
        let mut memory = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET);
        let mut file = SpeechGate::new(&regions(), 10.0, NO_SAFETY_NET).spilling_at(5_000);
        for block in audio.chunks(999) {
            memory.push(block).unwrap();
            file.push(block).unwrap();
        }
        let (memory, file) = (memory.finish().unwrap(), file.finish().unwrap());
        assert!(file.samples.spilled() && !memory.samples.spilled());
        assert_eq!(file.pieces, memory.pieces);
        assert_eq!(
            file.samples.to_vec().unwrap(),
            memory.samples.to_vec().unwrap()
        );
        assert_eq!(
            file.level_dbfs(6.2, 6.8).unwrap(),
            memory.level_dbfs(6.2, 6.8).unwrap()
        );
    }

    /// Kept audio of pieces `(original start, length)` in seconds, separators between them, every
    /// sample 0.1 except `quiet` (seconds of the compact buffer) at 0.
    fn compact(pieces: &[(f64, f64)], quiet: Option<(f64, f64)>) -> CompactAudio {
        let (mut samples, mut out) = (Vec::new(), Vec::new());
        for &(start_s, len_s) in pieces {
            if !out.is_empty() {
                samples.extend(vec![0.0; (SEPARATOR_S * RATE_HZ) as usize]);
            }
            let len = (len_s * RATE_HZ) as usize;
            out.push(Piece {
                compact_start: samples.len(),
                len,
                original_start_s: start_s,
            });
            samples.extend(vec![0.1f32; len]);
        }
        if let Some((from, to)) = quiet {
            let at = |s: f64| (s * RATE_HZ) as usize;
            samples[at(from)..at(to)].iter_mut().for_each(|x| *x = 0.0);
        }
        CompactAudio::from_samples(samples, out)
    }

    #[test]
    fn stretches_hold_whole_pieces_up_to_the_limit() {
        let s = |x: f64| (x * RATE_HZ) as usize;
        let c = compact(&[(1.0, 3.0), (10.0, 4.0), (20.0, 2.0)], None);
        assert_eq!(
            c.stretches(s(100.0)).unwrap(),
            vec![0..c.len()],
            "short: one stretch"
        );
        let second = c.pieces[1];
        let third = c.pieces[2];
        assert_eq!(
            c.stretches(s(8.0)).unwrap(),
            vec![
                0..second.compact_start + second.len,
                third.compact_start..c.len()
            ]
        );
        assert_eq!(
            c.stretches(s(4.0)).unwrap(),
            vec![
                0..s(3.0),
                second.compact_start..second.compact_start + second.len,
                third.compact_start..c.len()
            ]
        );
    }

    #[test]
    fn a_piece_longer_than_a_stretch_is_cut_where_it_is_quietest() {
        let s = |x: f64| (x * RATE_HZ) as usize;
        let c = compact(&[(0.0, 25.0)], Some((17.0, 17.3)));
        let stretches = c.stretches(s(20.0)).unwrap();
        assert_eq!(stretches.len(), 2, "{stretches:?}");
        let cut = stretches[0].end;
        assert!((s(17.05)..=s(17.25)).contains(&cut), "{cut}");
        assert_eq!(stretches, vec![0..cut, cut..s(25.0)]);
        // the second stretch maps back to the original time after the cut
        assert!(
            (c.to_original_s(cut as f64 / RATE_HZ + 1.0) - (cut as f64 / RATE_HZ + 1.0)).abs()
                < 1e-9
        );
        let long = compact(&[(0.0, 65.0)], None);
        let parts = long.stretches(s(20.0)).unwrap();
        assert!(parts.iter().all(|r| r.len() <= s(20.0)), "{parts:?}");
        assert_eq!(parts.first().unwrap().start, 0);
        assert_eq!(parts.last().unwrap().end, s(65.0));
        assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
    }
}
