//! Background voices: other talkers heard in the pauses of a channel's main speaker.
//!
//! The detector ([`vad`](super::vad)) marks stretches of speech-like frames (sub-band energy well
//! above the noise reference) that last at least 100 ms, stay more than 9 dB below the main
//! speaker's typical peak level, and are not wedged between the main speaker's louder syllables on
//! both sides. Steady noise (fan, hum, white or pink noise) sits in the noise reference and makes
//! no speech frames; the main speaker's weak syllables sit inside words. Voices are reported when
//! such stretches are at least 4 and add up to at least 1 s; the level is the main speaker's
//! typical peak level minus the median peak level of the stretches. Voices entirely under the
//! main speaker are not separated: only their parts in its pauses count.

use crate::recording::BackgroundVoices;

use super::features::Frame;
use super::vad::{to_time_ranges, Activity};

/// Total background speech needed to report voices, frames (1 s).
const MIN_TOTAL: usize = 100;
/// Separate background stretches needed to report voices.
const MIN_STRETCHES: usize = 4;

/// Background voices of one channel.
pub fn assess(frames: &[Frame], activity: &Activity) -> BackgroundVoices {
    let stretches = &activity.background;
    let total: usize = stretches.iter().map(|&(a, b)| b - a).sum();
    let Some(foreground_db) = activity.foreground_level_db else {
        return BackgroundVoices::default();
    };
    if stretches.len() < MIN_STRETCHES || total < MIN_TOTAL {
        return BackgroundVoices::default();
    }
    let mut levels: Vec<f64> = stretches
        .iter()
        .map(|&s| activity.segment_level_db(frames, s))
        .collect();
    levels.sort_by(f64::total_cmp);
    BackgroundVoices {
        detected: true,
        level_db_below_foreground: Some(foreground_db - levels[levels.len() / 2]),
        time_ranges: to_time_ranges(stretches),
    }
}
