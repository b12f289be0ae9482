//! Background voices: other talkers heard in the pauses of a channel's main speaker.
//!
//! Only stretches in the main speaker's pauses count, outside its speech regions (its segments
//! with 100 ms of hangover, merged across gaps under 300 ms): inside them, quieter runs are the
//! speaker's own soft words, trailing-off phrase ends and asides, which real talkers make 10-20 dB
//! below their stressed syllables (on realdev, 93% of what the older rule reported lay there, and
//! it fired on 36% of clean single-speaker clips).
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
use super::vad::{to_time_ranges, Activity};

/// Shortest part of a stretch left outside the speech regions that still counts, frames (200 ms).
const MIN_PART: usize = 20;
/// Hangover around the main speaker's segments inside which quieter speech is its own, frames.
const PAD: usize = 10;
/// Total background speech needed to report voices, frames (0.5 s).
const MIN_TOTAL: usize = 50;
/// Separate background stretches needed to report voices.
const MIN_STRETCHES: usize = 3;
/// Voices whose median stretch lies further below the main speaker are not reported, dB: that
/// faint a talker is the other party's bleed in a stereo channel (e.g. -25 dB), not a voice a
/// listener hears over the call.
const MAX_DEPTH_DB: f64 = 25.0;

/// The parts of `stretches` outside `regions` (both sorted frame ranges) that are still long
/// enough to be a word of their own.
fn outside(stretches: &[(usize, usize)], regions: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    for &(a, b) in stretches {
        let mut start = a;
        for &(ra, rb) in regions.iter().filter(|&&(ra, rb)| ra < b && rb > a) {
            if ra > start {
                parts.push((start, ra));
            }
            start = start.max(rb);
        }
        if start < b {
            parts.push((start, b));
        }
    }
    parts.retain(|&(a, b)| b - a >= MIN_PART);
    parts
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
    outside(&activity.background, &padded)
        .into_iter()
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
