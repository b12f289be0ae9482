//! Background voices: other talkers heard in the pauses of a channel's main speaker.
//!
//! Only stretches in the main speaker's pauses count, outside its speech regions (its segments
//! with 100 ms of hangover, merged across gaps under 300 ms): inside them, quieter runs are the
//! speaker's own soft words, trailing-off phrase ends and asides, which real talkers make 10-20 dB
//! below their stressed syllables (on realdev, 93% of what the older rule reported lay there, and
//! it fired on 36% of clean single-speaker clips).
//!
//! Long pauses (2 s or more between the loud cores of the main speaker's segments, the stretches
//! from its first to its last syllable within 9 dB of its typical level) are judged by how much
//! speech fills them. A colleague in the room talks independently of the main speaker: it is often
//! still talking when the main speaker stops, so the segment detector joins the start of its talk
//! to the main speaker's last word (and its end to the next word), the speech region swallows it,
//! and it goes on through the pause. In a long pause that speech frames fill for at least 40%,
//! quieter speech counts up to the main speaker's loud cores. In a long pause filled less, quieter
//! speech does not count: a voice in the room keeps talking, while a call party's soft last word
//! before the other party's turn (a long silence in its own channel) is a lone word. On realdev
//! (`scripts/eval-real`, 2026-12-07, Silero VAD) this took real second talkers 10-20 dB under
//! from 13 to 16 of 24 in 2.5 s pauses and from 8 to 14 of 24 in 1.5 s pauses (15 of 24 in 4 s
//! pauses before and after), and the two-party calls that fire from 2 of 13 to 1 (a stereo caller
//! channel's soft last words); clean clips that fire went from 0 to 1 of 77 (a reader's soft
//! passage). With the energy VAD alone, the other party's turns heard in a stereo channel fill
//! that channel's pauses too (one SpokenWOZ call now fires; Silero hears no speech there).
//!
//! The detector ([`vad`](super::vad)) marks stretches of speech frames (sub-band energy well above
//! the noise reference) that last at least 200 ms, stay more than 9 dB below the main speaker's
//! typical peak level, are voiced (most of their 200-4000 Hz power below 1 kHz), and are words of
//! their own: not wedged between the main speaker's louder syllables, and, where they touch them
//! on one side, climbing again by 6 dB instead of just fading out. Steady noise (fan, hum, white or
//! pink noise) sits in the noise reference and makes no speech frames. Voices are reported when
//! there are at least 3 such stretches adding up to at least 0.5 s; the level is the main
//! speaker's typical peak level minus the median peak level of the stretches, and voices more than
//! 25 dB under the main speaker (bleed of the other party in a stereo channel) are not reported.
//!
//! Limits: a voice entirely under the main speaker is not separated (only its parts in the pauses
//! count), and a talker who leaves few pauses hides quieter voices (espeak-ng test speech: a
//! second voice 10 dB under was found, 15 and 20 dB under were not).

use crate::dsp::quantile;
use crate::model::{BackgroundVoices, TimeRange};

use super::features::{Frame, HOP_S};
use super::vad::{pad_and_merge, to_time_ranges, Activity, Ranges};

/// Shortest part of a stretch left outside the speech regions that still counts, frames (200 ms).
const MIN_PART: usize = 20;
/// Hangover around the main speaker's segments inside which quieter speech is its own, frames.
const PAD: usize = 10;
/// Total background speech needed to report voices, frames (0.5 s).
const MIN_TOTAL: usize = 50;
/// Separate background stretches needed to report voices.
const MIN_STRETCHES: usize = 3;
/// Shortest pause of the main speaker (between the loud cores of its segments, padded and merged
/// like its speech regions) that is judged by how much speech fills it, frames (2 s). With
/// [`FILLED_SHARE`], picked from 1-2.5 s × 30-60% on realdev (second talkers in 1.5, 2.5 and 4 s
/// pauses, clean clips, calls): shorter pauses let readers' soft passages fire on clean clips,
/// and the hits change by at most 2 of 24 over 30-50%.
const LONG_PAUSE: usize = 200;
/// Share of a long pause that speech frames must fill for quieter speech in it to count.
const FILLED_SHARE: f64 = 0.4;
/// Voices whose median stretch lies further below the main speaker are not reported, dB: that
/// faint a talker is the other party's bleed in a stereo channel (e.g. -25 dB), not a voice a
/// listener hears over the call.
const MAX_DEPTH_DB: f64 = 25.0;

/// The parts of `stretches` outside `regions` (both sorted frame ranges) that are still long
/// enough to be a word of their own.
fn outside(stretches: &[(usize, usize)], regions: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut parts = without(stretches, regions);
    parts.retain(|&(a, b)| b - a >= MIN_PART);
    parts
}

/// The main speaker's long pauses, frame ranges: the gaps of at least [`LONG_PAUSE`] around its
/// loud cores (padded and merged like its speech regions), as (filled, empty): filled when speech
/// frames make up at least [`FILLED_SHARE`] of the gap.
fn long_pauses(activity: &Activity) -> (Ranges, Ranges) {
    let n = activity.raw.len();
    let cores = pad_and_merge(&activity.cores, n);
    let gaps = without(&[(0, n)], &cores);
    gaps.into_iter()
        .filter(|&(a, b)| b - a >= LONG_PAUSE)
        .partition(|&(a, b)| {
            let speech = activity.raw[a..b].iter().filter(|&&s| s).count();
            speech as f64 >= FILLED_SHARE * (b - a) as f64
        })
}

/// `ranges` (sorted frame ranges) with the frames of `holes` (sorted) taken out.
fn without(ranges: &[(usize, usize)], holes: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut left = Vec::new();
    for &(a, b) in ranges {
        let mut start = a;
        for &(ha, hb) in holes.iter().filter(|&&(ha, hb)| ha < b && hb > a) {
            if ha > start {
                left.push((start, ha));
            }
            start = start.max(hb);
        }
        if start < b {
            left.push((start, b));
        }
    }
    left
}

/// `voices` without the stretches that lie mostly (over half) inside `talk` (time ranges of the
/// call's transcribed parties, seconds); no voices when too few stretches are left.
pub fn without_talk(voices: &BackgroundVoices, talk: &[TimeRange]) -> BackgroundVoices {
    if !voices.detected {
        return voices.clone();
    }
    let overlap = |r: &TimeRange| -> f64 { talk.iter().map(|t| r.overlap_s(t)).sum() };
    let left: Vec<TimeRange> = voices
        .time_ranges
        .iter()
        .filter(|r| overlap(r) <= 0.5 * r.duration_s())
        .copied()
        .collect();
    let total_s: f64 = left.iter().map(TimeRange::duration_s).sum();
    if left.len() < MIN_STRETCHES || total_s < MIN_TOTAL as f64 * HOP_S {
        return BackgroundVoices::default();
    }
    BackgroundVoices {
        time_ranges: left,
        ..voices.clone()
    }
}

/// One stretch of frames' candidate background stretches: frame ranges in the whole recording
/// (`offset` is the stretch's first frame) and their peak levels, dB above the noise.
pub fn stretches(
    frames: &[Frame],
    activity: &Activity,
    offset: usize,
) -> Vec<((usize, usize), f64)> {
    let padded: Vec<(usize, usize)> = activity
        .foreground
        .iter()
        .map(|&(a, b)| (a.saturating_sub(PAD), b + PAD))
        .collect();
    let (filled, empty) = long_pauses(activity);
    outside(&activity.background, &without(&padded, &filled))
        .into_iter()
        .filter(|&(a, b)| !empty.iter().any(|&(pa, pb)| pa <= a && b <= pb))
        .map(|(a, b)| {
            let level = activity.segment_level_db(frames, (a, b));
            ((offset + a, offset + b), level)
        })
        .collect()
}

/// Background voices from the candidate stretches of a whole recording and the main speaker's
/// typical peak level (dB above the noise; None without a main speaker).
pub fn judge(stretches: &[((usize, usize), f64)], foreground_db: Option<f64>) -> BackgroundVoices {
    let total: usize = stretches.iter().map(|&((a, b), _)| b - a).sum();
    let Some(foreground_db) = foreground_db else {
        return BackgroundVoices::default();
    };
    if stretches.len() < MIN_STRETCHES || total < MIN_TOTAL {
        return BackgroundVoices::default();
    }
    let mut levels: Vec<f64> = stretches.iter().map(|&(_, level)| level).collect();
    levels.sort_by(f64::total_cmp);
    let median = quantile::at_fraction(&levels, 1, 2).expect("MIN_STRETCHES > 0");
    let depth_db = foreground_db - median;
    if depth_db > MAX_DEPTH_DB {
        return BackgroundVoices::default();
    }
    let ranges: Vec<(usize, usize)> = stretches.iter().map(|&(range, _)| range).collect();
    BackgroundVoices {
        detected: true,
        level_db_below_foreground: Some(depth_db),
        time_ranges: to_time_ranges(&ranges),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_parts_in_the_pauses_count() {
        let regions = [(100, 200), (300, 400)];
        let stretches = [(120, 180), (190, 260), (250, 350), (500, 540), (210, 215)];
        assert_eq!(
            outside(&stretches, &regions),
            [(200, 260), (250, 300), (500, 540)]
        );
    }

    #[test]
    fn transcribed_talk_is_no_background_voice() {
        let voices = BackgroundVoices {
            detected: true,
            level_db_below_foreground: Some(12.0),
            time_ranges: vec![
                TimeRange::new(1.0, 1.4),
                TimeRange::new(3.0, 3.4),
                TimeRange::new(5.0, 5.4),
                TimeRange::new(7.0, 7.4),
            ],
        };
        let kept = without_talk(&voices, &[TimeRange::new(6.5, 8.0)]);
        assert_eq!(kept.time_ranges.len(), 3);
        assert!(kept.detected);
        let gone = without_talk(&voices, &[TimeRange::new(0.0, 4.0)]);
        assert_eq!(gone, BackgroundVoices::default());
    }
}
