//! Background voices: other talkers heard in the pauses of a channel's main speaker.
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
use crate::model::BackgroundVoices;

use super::features::Frame;
use super::vad::{to_time_ranges, Activity};

/// Total background speech needed to report voices, frames (0.5 s).
const MIN_TOTAL: usize = 50;
/// Separate background stretches needed to report voices.
const MIN_STRETCHES: usize = 3;
/// Voices whose median stretch lies further below the main speaker are not reported, dB: that
/// faint a talker is the other party's bleed in a stereo channel (e.g. -25 dB), not a voice a
/// listener hears over the call.
const MAX_DEPTH_DB: f64 = 25.0;

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
    let median = quantile::at_fraction(&levels, 1, 2).expect("MIN_STRETCHES > 0");
    let depth_db = foreground_db - median;
    if depth_db > MAX_DEPTH_DB {
        return BackgroundVoices::default();
    }
    BackgroundVoices {
        detected: true,
        level_db_below_foreground: Some(depth_db),
        time_ranges: to_time_ranges(stretches),
    }
}
