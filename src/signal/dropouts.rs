//! Dropouts: stretches where the signal vanishes (digital silence, or far below the noise floor) where it should not.
//!
//! A frame is dead when its samples are all equal (exact zeros or a stuck value) or, in a channel
//! with measurable noise, when its power falls 12 dB below the noise reference. A run of dead frames
//! of at least 50 ms is a dropout only when it cuts speech abruptly: the frames on both sides are
//! within 8 dB of the active speech level. A pause that fades out first is a pause however deep it
//! goes: real recordings are routinely gated, denoised or silence-suppressed (VoIP DTX) in their
//! pauses (on realdev, 146 of 154 dropouts the older rule reported were such pauses). It must also
//! lie inside the main speaker's talk, between the start of the first speech segment and the end
//! of the last: a quiet lead-in or tail (encoder padding, a line not yet connected) is no dropout.

use super::features::{db_to_power, Frame};
use super::noise::NoiseLevels;
use super::vad::{runs, Activity};
use crate::dsp::db;

/// Shortest dropout, frames (50 ms).
const MIN_FRAMES: usize = 5;
/// How far below the noise reference a frame must fall to be dead, dB.
const BELOW_NOISE_DB: f64 = 12.0;
/// How close to the active level the frames around a cut must be, dB.
const CUT_EDGE_DB: f64 = 8.0;

/// Dropouts as frame ranges `[start, end)`.
pub fn find(frames: &[Frame], activity: &Activity, levels: &NoiseLevels) -> Vec<(usize, usize)> {
    let noisy = levels.noise_power.is_some();
    let below = db::db_to_power(-BELOW_NOISE_DB);
    let dead: Vec<bool> = frames
        .iter()
        .enumerate()
        .map(|(t, f)| f.flat || (noisy && db_to_power(f.power_db()) < activity.full_ref[t] * below))
        .collect();
    let edge = levels
        .active_power
        .map(|p| p * db::db_to_power(-CUT_EDGE_DB));
    let loud = |t: usize| edge.is_some_and(|e| db_to_power(frames[t].power_db()) >= e);
    let (Some(&(first, _)), Some(&(_, last))) =
        (activity.foreground.first(), activity.foreground.last())
    else {
        return Vec::new();
    };
    runs(&dead)
        .into_iter()
        .filter(|&(a, b)| b - a >= MIN_FRAMES && first <= a && b <= last)
        .filter(|&(a, b)| a > 0 && b < frames.len() && loud(a - 1) && loud(b))
        .collect()
}
