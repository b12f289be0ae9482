//! Voice activity: which 10 ms frames are the channel's own speech, which are a quieter talker, and the noise reference.
//! What it makes measurable (levels, dropouts, background voices) is read off in [`activity`](super::activity).
//!
//! # The detector
//! A sub-band energy detector in the spirit of WebRTC's VAD, run offline over compact 10 ms frame
//! summaries ([`features`](super::features)) so that it can look both ways:
//! 1. **Noise reference** per speech sub-band (200-500, 500-1000, 1000-2000, 2000-4000 Hz): the
//!    10th percentile of the frame powers over a sliding 10 s window (minimum-statistics style, so
//!    it follows slowly changing noise and still works when pauses are rare). Digital silence
//!    counts as the floor (-120 dBFS), so a gated channel's reference is that floor.
//! 2. **Frame decision**: a frame is speech when its 30 ms-smoothed sub-band powers rise above the
//!    reference by more than 9 dB in some band or by more than 5 dB averaged over the bands; both
//!    margins grow with the swing of the quiet frames (3 × the 30th-minus-10th percentile distance,
//!    at most 15 dB), so that babble, which swings, needs more to count as speech than a steady fan.
//!    With Silero VAD ([`neural_vad`](super::neural_vad), when its model is installed) a frame is
//!    speech only when Silero also hears speech in its 32 ms window (probability over 0.5, held
//!    down to 0.35): keyboard, street, kitchen and non-speech human sounds pass the energy test
//!    but not Silero. Silero alone (its speech frames replacing the energy test) was measured too
//!    and is not used: it hears a quieter talker all through the main speaker's pause, so the
//!    pause and the talk around it join into one foreground segment and the background-voice
//!    search finds nothing there (realdev: 3 of 24 second talkers, against 13 of 24 this way, both
//!    measured before long pauses were judged by how much speech fills them).
//!    The energy test's own speech stays out of the noise floor (see [`noise`](super::noise)).
//! 3. **Segments**: speech frames closer than 100 ms are joined; segments under 50 ms are dropped.
//! 4. **Foreground**: each segment's peak level (loudest 50 ms of speech-band power above the noise
//!    reference) is compared with the duration-weighted median segment level; segments reaching
//!    within 9 dB of it are the channel's own speaker. Runs of ≥ 200 ms of speech frames that stay
//!    more than 9 dB below it, are not wedged between louder speech on both sides, do not merely
//!    fade out of (or into) louder speech on one side (they must climb again by 6 dB), and are voiced
//!    (most of their 200-4000 Hz power below 1 kHz, unlike fricatives), are another, quieter
//!    talker ([`background`](super::background)). Each foreground segment's loud core (its first
//!    to its last speech frame within 9 dB of the foreground level) tells where the main speaker
//!    itself talks when a quieter talker's speech is joined to its words.
//! 5. **Speech regions** (the reported `speech_regions`, with hangover): foreground segments padded
//!    by 100 ms each side and merged across gaps shorter than 300 ms.
//!
//! # Levels (see [`noise`](super::noise))
//! - noise floor = mean full-band power of the frames at least 100 ms away from the main speaker's
//!   segments and other speech-like blips (digital-silence frames excluded); when fewer than 0.5 s of such frames exist, the full-band 10th-percentile
//!   reference (+1.5 dB, the mean-over-percentile offset of steady noise) stands in for it;
//! - active level = mean full-band power of the foreground speech segments minus the noise floor
//!   (the speech alone, as if the noise were not there);
//! - SNR = active level − noise floor in dB; null without speech or with no measurable noise
//!   (below -100 dBFS: digital silence in the pauses).

use crate::dsp::quantile;
use crate::model::TimeRange;

use super::features::{db_to_power, power_to_db, Frame, BANDS, FLOOR_DB, HOP_S};

/// The frame-level outcome of the detector, in frame indices (10 ms each).
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Per frame: the frame itself passed the speech test.
    pub raw: Vec<bool>,
    /// Per frame: speech-band noise reference, linear power.
    pub speech_ref: Vec<f64>,
    /// Per frame: full-band noise reference (10th percentile), linear power.
    pub full_ref: Vec<f64>,
    /// Joined speech segments `[start, end)` of the channel's own speaker.
    pub foreground: Vec<(usize, usize)>,
    /// Stretches of quieter talkers (see [`quiet_islands`]).
    pub background: Vec<(usize, usize)>,
    /// Other speech-like stretches: blips too short to be a segment, quiet segments.
    pub other: Vec<(usize, usize)>,
    /// Speech-band level of the foreground above the noise, dB (duration-weighted median).
    pub foreground_level_db: Option<f64>,
    /// Foreground segments with hangover, merged.
    pub regions: Vec<(usize, usize)>,
    /// Per foreground segment, its loud core: from its first to its last speech frame within
    /// 9 dB of the foreground level (the main speaker's own voice; quieter speech joined to it
    /// at either end lies outside).
    pub cores: Vec<(usize, usize)>,
    /// With Silero deciding the speech frames: what the energy test took for speech (segments
    /// and blips), kept out of the noise floor as before, so that speech Silero leaves out (soft
    /// tails, breaths) does not raise it; empty otherwise.
    pub energy_speech: Vec<(usize, usize)>,
}

impl Activity {
    /// Per frame: inside a speech region.
    pub fn in_regions(&self) -> Vec<bool> {
        let mut mask = vec![false; self.raw.len()];
        for &(a, b) in &self.regions {
            mask[a..b].fill(true);
        }
        mask
    }

    /// Per frame: within the hangover (100 ms) of a speech-like segment that is not a quieter
    /// talker (whose voice, like babble, is part of the background noise).
    pub fn near_speech(&self) -> Vec<bool> {
        let n = self.raw.len();
        let mut mask = vec![false; n];
        for &(a, b) in self
            .foreground
            .iter()
            .chain(&self.other)
            .chain(&self.energy_speech)
        {
            mask[a.saturating_sub(PAD)..(b + PAD).min(n)].fill(true);
        }
        mask
    }

    /// Peak level of a segment: the loudest 50 ms of its speech-band power above the noise reference, dB.
    /// (Peaks vary less from word to word than mean levels: each word has a stressed syllable.)
    pub fn segment_level_db(&self, frames: &[Frame], (a, b): (usize, usize)) -> f64 {
        let excess: Vec<f64> = (a..b)
            .map(|t| (frames[t].speech_power() - self.speech_ref[t]).max(0.0))
            .collect();
        let peak = excess
            .windows(PEAK_FRAMES.min(excess.len()).max(1))
            .map(|w| w.iter().sum::<f64>() / w.len() as f64)
            .fold(0.0, f64::max);
        f64::from(power_to_db(peak))
    }
}

/// Frames over which the noise reference percentile is taken (10 s).
const REF_WINDOW: usize = 1000;
/// Frames between recomputations of the noise reference (1 s).
pub const REF_STEP: usize = 100;
/// Percentile of the frame powers taken as the noise reference.
const REF_QUANTILE: f64 = 0.10;
/// Upper percentile of the quiet frames, whose distance to the reference measures how much the noise swings.
const SPREAD_QUANTILE: f64 = 0.30;
/// The speech thresholds grow to this many times the noise swing (babble swings, fans do not).
const SPREAD_FACTOR: f32 = 3.0;
/// The swing-grown thresholds stop growing here, dB (another talker in the pauses is no babble).
const MAX_SWING_DB: f32 = 15.0;
/// Frames over which a segment's peak level is taken (50 ms).
const PEAK_FRAMES: usize = 5;
/// Shortest stretch of a quieter talker, frames (200 ms: a word of its own; the weak syllables and
/// fading word ends of the call's parties, which espeak-ng and telephone band-limiting make up to
/// 13 dB quieter than their stressed ones, last 100-190 ms).
const ISLAND_FRAMES: usize = 20;
/// Rise after a dip that makes a stretch touching louder speech a word of its own, dB.
const REBOUND_DB: f64 = 6.0;
/// Share of the speech-band power below 1 kHz from which a stretch counts as voiced.
const VOICED_LOW_SHARE: f64 = 0.5;
/// Lowest noise reference per band, dBFS (keeps numerical residue out of the speech).
const REF_FLOOR_DB: f32 = -120.0;
/// A frame is speech when one band exceeds its reference by this much, dB ...
const PEAK_BAND_DB: f32 = 9.0;
/// ... or the bands exceed theirs by this much on average, dB.
const MEAN_BAND_DB: f32 = 5.0;
/// Speech frames closer than this are one segment.
const JOIN_GAP: usize = 10;
/// Segments with fewer speech frames are dropped.
const MIN_SEGMENT: usize = 5;
/// Segments this far below the foreground level belong to another talker, dB.
pub const BACKGROUND_GATE_DB: f64 = 9.0;
/// Hangover added on each side of a foreground segment.
const PAD: usize = 10;
/// Speech regions closer than this are merged.
const MERGE_GAP: usize = 30;

/// Runs the detector over the frame summaries, with the foreground level (dB above the noise)
/// chosen by `foreground_level` from the segments' (peak level dB, length in frames) pairs: the
/// [`weighted_median`] of the stretch's own, or of every stretch of a long recording so far.
pub fn detect(
    frames: &[Frame],
    neural: Option<&[bool]>,
    foreground_level: impl FnOnce(&[(f64, usize)]) -> Option<f64>,
) -> Activity {
    let n = frames.len();
    let flat: Vec<bool> = frames.iter().map(|f| f.flat).collect();
    let (band_refs, band_spreads): (Vec<Vec<f32>>, Vec<Vec<f32>>) = (0..BANDS)
        .map(|b| {
            let db: Vec<f32> = frames.iter().map(|f| f.band_db(b)).collect();
            noise_reference(&db, &flat)
        })
        .unzip();
    let full_db: Vec<f32> = frames.iter().map(Frame::power_db).collect();
    let (full_ref, _) = noise_reference(&full_db, &flat);
    let energy: Vec<bool> = (0..n)
        .map(|t| !flat[t] && frame_is_speech(frames, &band_refs, &band_spreads, t))
        .collect();
    // Silero vetoes: a frame is speech when the energy test passes and Silero hears speech.
    let raw: Vec<bool> = match neural {
        Some(speech) => energy.iter().zip(speech).map(|(&e, &s)| e && s).collect(),
        None => energy.clone(),
    };
    let speech_ref: Vec<f64> = (0..n)
        .map(|t| (0..BANDS).map(|b| db_to_power(band_refs[b][t])).sum())
        .collect();
    let mut activity = Activity {
        raw,
        speech_ref,
        full_ref: full_ref.iter().map(|&d| db_to_power(d)).collect(),
        ..Activity::default()
    };
    if neural.is_some() {
        let (long, short) = join_segments(&energy);
        activity.energy_speech = long.into_iter().chain(short).collect();
    }
    let (segments, short) = join_segments(&activity.raw);
    activity.other = short;
    let levels: Vec<f64> = segments
        .iter()
        .map(|&s| activity.segment_level_db(frames, s))
        .collect();
    let pairs: Vec<(f64, usize)> = levels
        .iter()
        .zip(&segments)
        .map(|(&l, &(a, b))| (l, b - a))
        .collect();
    activity.foreground_level_db = foreground_level(&pairs);
    if let Some(level) = activity.foreground_level_db {
        let gate = level - BACKGROUND_GATE_DB;
        for (&segment, &l) in segments.iter().zip(&levels) {
            if l >= gate {
                activity.foreground.push(segment);
            } else {
                activity.other.push(segment);
            }
        }
        let level_db = frame_levels(frames, &activity);
        activity.background = quiet_islands(frames, &activity, &level_db, gate);
        activity.cores = loud_cores(&activity, &level_db, gate);
    }
    activity.regions = pad_and_merge(&activity.foreground, n);
    activity
}

/// Stretches of another, quieter talker: runs of at least 100 ms of speech frames whose 50 ms
/// level stays below `gate_db` (dB above the noise), not wedged between louder speech on both
/// sides (a weak syllable inside a word is; a word in the main speaker's pause is not).
fn quiet_islands(frames: &[Frame], activity: &Activity, level_db: &[f64], gate_db: f64) -> Ranges {
    let n = frames.len();
    let quiet: Vec<bool> = (0..n)
        .map(|t| activity.raw[t] && level_db[t] < gate_db)
        .collect();
    let loud = |t: usize| activity.raw[t] && !quiet[t];
    runs(&quiet)
        .into_iter()
        .filter(|&(a, b)| b - a >= ISLAND_FRAMES)
        .filter(|&(a, b)| {
            let levels = &level_db[a..b];
            match (a == 0 || !loud(a - 1), b == n || !loud(b)) {
                (true, true) => true,
                (false, true) => rises_again(levels.iter()),
                (true, false) => rises_again(levels.iter().rev()),
                (false, false) => false,
            }
        })
        .filter(|&range| voiced(frames, range))
        .collect()
}

/// The loud core of each foreground segment: first to last speech frame whose 50 ms level
/// (`level_db`, dB above the noise) reaches `gate_db`.
fn loud_cores(activity: &Activity, level_db: &[f64], gate_db: f64) -> Ranges {
    let loud = |t: &usize| activity.raw[*t] && level_db[*t] >= gate_db;
    activity
        .foreground
        .iter()
        .filter_map(|&(a, b)| {
            let first = (a..b).find(loud)?;
            let last = (a..b).rev().find(loud)?;
            Some((first, last + 1))
        })
        .collect()
}

/// Per frame: the 50 ms speech-band level above the noise reference, dB.
fn frame_levels(frames: &[Frame], activity: &Activity) -> Vec<f64> {
    let n = frames.len();
    let excess: Vec<f64> = (0..n)
        .map(|t| (frames[t].speech_power() - activity.speech_ref[t]).max(0.0))
        .collect();
    (0..n)
        .map(|t| {
            let (lo, hi) = (
                t.saturating_sub(PEAK_FRAMES / 2),
                (t + PEAK_FRAMES / 2 + 1).min(n),
            );
            f64::from(power_to_db(
                excess[lo..hi].iter().sum::<f64>() / (hi - lo) as f64,
            ))
        })
        .collect()
}

/// Whether a level trajectory, read away from the louder speech it touches, climbs again by
/// [`REBOUND_DB`] after falling: a word of its own, not the fading tail of the louder one.
fn rises_again<'a>(levels: impl Iterator<Item = &'a f64>) -> bool {
    let mut lowest = f64::INFINITY;
    levels.into_iter().any(|&level| {
        lowest = lowest.min(level);
        level - lowest >= REBOUND_DB
    })
}

/// Whether a stretch carries most of its speech-band power below 1 kHz, as vowels do (voiced
/// speech has its harmonics and first formant there; fricatives and hiss lie above).
fn voiced(frames: &[Frame], (a, b): (usize, usize)) -> bool {
    let (low, all) = frames[a..b].iter().fold((0.0, 0.0), |(low, all), f| {
        let low_bands = db_to_power(f.band_db(0)) + db_to_power(f.band_db(1));
        (low + low_bands, all + f.speech_power())
    });
    low >= VOICED_LOW_SHARE * all
}

/// Maximal runs of `true`, as `[start, end)`.
pub fn runs(mask: &[bool]) -> Ranges {
    let mut out = Vec::new();
    let mut start = None;
    for (t, &on) in mask.iter().chain(std::iter::once(&false)).enumerate() {
        match (on, start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                out.push((s, t));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The sliding low-percentile reference of a dB series (digital silence counting as the floor),
/// floored, and the spread of the quiet frames (30th minus 10th percentile, dB; 0 at the floor).
fn noise_reference(values_db: &[f32], flat: &[bool]) -> (Vec<f32>, Vec<f32>) {
    let n = values_db.len();
    let mut out = vec![REF_FLOOR_DB; n];
    let mut spread = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let end = (start + REF_STEP).min(n);
        let hi = ((start + end) / 2 + REF_WINDOW / 2).min(n);
        let lo = hi.saturating_sub(REF_WINDOW);
        let hi = (lo + REF_WINDOW).min(n);
        let mut window: Vec<f32> = (lo..hi)
            .map(|t| if flat[t] { FLOOR_DB } else { values_db[t] })
            .collect();
        window.sort_unstable_by(f32::total_cmp);
        let at = |q: f64| quantile::lower(&window, q);
        let reference = at(REF_QUANTILE).max(REF_FLOOR_DB);
        out[start..end].fill(reference);
        if reference > REF_FLOOR_DB {
            spread[start..end].fill(at(SPREAD_QUANTILE) - at(REF_QUANTILE));
        }
        start = end;
    }
    (out, spread)
}

/// The sub-band test of one frame, on powers smoothed over the frame and its two neighbours.
fn frame_is_speech(
    frames: &[Frame],
    band_refs: &[Vec<f32>],
    spreads: &[Vec<f32>],
    t: usize,
) -> bool {
    let lo = t.saturating_sub(1);
    let hi = (t + 2).min(frames.len());
    let mut peak = f32::NEG_INFINITY;
    let mut mean = 0.0;
    let mut swing = 0.0f32;
    for (b, refs) in band_refs.iter().enumerate() {
        let smoothed = (lo..hi)
            .map(|i| db_to_power(frames[i].band_db(b)))
            .sum::<f64>()
            / (hi - lo) as f64;
        let excess = power_to_db(smoothed) - refs[t];
        peak = peak.max(excess);
        mean += excess.max(0.0) / BANDS as f32;
        swing = swing.max(spreads[b][t] * SPREAD_FACTOR).min(MAX_SWING_DB);
    }
    let steady = swing <= PEAK_BAND_DB;
    (steady && peak > PEAK_BAND_DB) || mean > MEAN_BAND_DB.max(swing * MEAN_BAND_DB / PEAK_BAND_DB)
}

/// Frame ranges `[start, end)`.
pub type Ranges = Vec<(usize, usize)>;

/// Runs of speech frames joined across short gaps: (segments, too-short blips).
fn join_segments(raw: &[bool]) -> (Ranges, Ranges) {
    let mut segments: Vec<(usize, usize, usize)> = Vec::new();
    for (t, _) in raw.iter().enumerate().filter(|(_, &s)| s) {
        match segments.last_mut() {
            Some(last) if t - last.1 <= JOIN_GAP => {
                last.1 = t + 1;
                last.2 += 1;
            }
            _ => segments.push((t, t + 1, 1)),
        }
    }
    let (long, short): (Vec<_>, Vec<_>) = segments.into_iter().partition(|s| s.2 >= MIN_SEGMENT);
    let bounds = |v: Vec<(usize, usize, usize)>| v.into_iter().map(|s| (s.0, s.1)).collect();
    (bounds(long), bounds(short))
}

/// The duration-weighted median of segment levels, dB, from (level dB, length in frames) pairs.
pub fn weighted_median(segments: &[(f64, usize)]) -> Option<f64> {
    let mut pairs: Vec<(f64, usize)> = segments
        .iter()
        .copied()
        .filter(|(l, _)| l.is_finite() && *l > f64::from(FLOOR_DB))
        .collect();
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
    let total: usize = pairs.iter().map(|p| p.1).sum();
    let mut seen = 0;
    pairs.into_iter().find_map(|(l, len)| {
        seen += len;
        (2 * seen >= total).then_some(l)
    })
}

/// Segments padded by the hangover on both sides and merged across short gaps.
pub fn pad_and_merge(segments: &[(usize, usize)], n: usize) -> Vec<(usize, usize)> {
    let mut regions: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in segments {
        append_region(&mut regions, (a.saturating_sub(PAD), (b + PAD).min(n)));
    }
    regions
}

/// Appends a speech region (frames, starting at or after the last one's start) to time-ordered
/// `regions`, merging it into the last one when the gap between them is under 300 ms.
pub fn append_region(regions: &mut Vec<(usize, usize)>, (a, b): (usize, usize)) {
    match regions.last_mut() {
        Some(last) if a <= last.1 + MERGE_GAP => last.1 = last.1.max(b),
        _ => regions.push((a, b)),
    }
}

/// Frame ranges as time ranges in seconds.
pub fn to_time_ranges(ranges: &[(usize, usize)]) -> Vec<TimeRange> {
    ranges
        .iter()
        .map(|&(a, b)| TimeRange::new(a as f64 * HOP_S, b as f64 * HOP_S))
        .collect()
}
