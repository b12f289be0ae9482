//! Background voices: other talkers heard in the pauses of a channel's main speaker.
//!
//! The detector ([`vad`](super::vad)) splits speech-like segments (sub-band energy well above the
//! noise reference, lasting 50 ms or more) into the foreground talker and quieter ones: a segment
//! more than 9 dB below the foreground's median segment level is another voice. Steady noise (fan,
//! hum, white or pink noise) sits in the noise reference and makes no segments. Voices are
//! reported when such segments add up to at least 0.3 s in at least two separate segments; the
//! level is the power-mean of their speech-band excess over the noise, relative to the foreground.
//! Voices fully under the foreground speech are not separated: only their parts in its pauses count.

use crate::recording::BackgroundVoices;

use super::features::Frame;
use super::vad::{to_time_ranges, Activity};

/// Shortest background segment counted, frames (100 ms).
const MIN_SEGMENT: usize = 10;
/// Total background speech needed to report voices, frames (0.3 s).
const MIN_TOTAL: usize = 30;
/// Separate background segments needed to report voices.
const MIN_SEGMENTS: usize = 2;

/// Background voices of one channel.
pub fn assess(frames: &[Frame], activity: &Activity) -> BackgroundVoices {
    let segments: Vec<(usize, usize)> = activity
        .background
        .iter()
        .copied()
        .filter(|&(a, b)| b - a >= MIN_SEGMENT)
        .collect();
    let total: usize = segments.iter().map(|&(a, b)| b - a).sum();
    let Some(foreground_db) = activity.foreground_level_db else {
        return BackgroundVoices::default();
    };
    if segments.len() < MIN_SEGMENTS || total < MIN_TOTAL {
        return BackgroundVoices::default();
    }
    let weighted: f64 = segments
        .iter()
        .map(|&s| 10f64.powf(activity.segment_level_db(frames, s) / 10.0) * (s.1 - s.0) as f64)
        .sum();
    let level_db = 10.0 * (weighted / total as f64).log10();
    BackgroundVoices {
        detected: true,
        level_db_below_foreground: Some(foreground_db - level_db),
        time_ranges: to_time_ranges(&segments),
    }
}
