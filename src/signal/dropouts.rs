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
use super::vad::{runs, Activity};
use crate::dsp::db;

/// Shortest dropout, frames (50 ms).
const MIN_FRAMES: usize = 5;
/// How far below the noise reference a frame must fall to be dead, dB.
const BELOW_NOISE_DB: f64 = 12.0;
/// How close to the active level the frames around a cut must be, dB.
const CUT_EDGE_DB: f64 = 8.0;

/// A run of dead frames that may be a dropout, before the talk's bounds and the active level
/// (known only at the end of a long recording) decide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Frame range `[start, end)` in the whole recording.
    pub range: (usize, usize),
    /// Power of the frame before and of the frame after the run, linear (full scale = 1.0).
    pub edges: (f64, f64),
}

/// The runs of at least 50 ms of dead frames in one stretch of frames that has frames on both
/// sides inside the stretch; `noisy` says whether the channel's noise is measurable, `offset`
/// is the stretch's first frame in the whole recording.
pub fn candidates(
    frames: &[Frame],
    activity: &Activity,
    noisy: bool,
    offset: usize,
) -> Vec<Candidate> {
    let below = db::db_to_power(-BELOW_NOISE_DB);
    let dead: Vec<bool> = frames
        .iter()
        .enumerate()
        .map(|(t, f)| f.flat || (noisy && db_to_power(f.power_db()) < activity.full_ref[t] * below))
        .collect();
    let power = |t: usize| db_to_power(frames[t].power_db());
    runs(&dead)
        .into_iter()
        .filter(|&(a, b)| b - a >= MIN_FRAMES && a > 0 && b < frames.len())
        .map(|(a, b)| Candidate {
            range: (offset + a, offset + b),
            edges: (power(a - 1), power(b)),
        })
        .collect()
}

/// The candidates that are dropouts: inside the talk (`first` = start of the first foreground
/// segment, `last` = end of the last, frames) and cutting speech at `active_power` (linear) on
/// both sides; as frame ranges.
pub fn select(
    candidates: &[Candidate],
    first: usize,
    last: usize,
    active_power: Option<f64>,
) -> Vec<(usize, usize)> {
    let edge = active_power.map(|p| p * db::db_to_power(-CUT_EDGE_DB));
    let loud = |power: f64| edge.is_some_and(|e| power >= e);
    candidates
        .iter()
        .filter(|c| first <= c.range.0 && c.range.1 <= last)
        .filter(|c| loud(c.edges.0) && loud(c.edges.1))
        .map(|c| c.range)
        .collect()
}
