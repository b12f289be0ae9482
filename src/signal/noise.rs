//! Noise floor, active speech level, SNR and the noise label of one channel, from the detector's frame split.
//!
//! Definitions (all powers are mean squares, full scale = 1.0, reported in dBFS):
//! - **noise floor**: mean full-band power of the frames at least 100 ms away from the main
//!   speaker's segments and other speech-like blips (quieter talkers count as noise), digital
//!   silence excluded; with under 0.5 s of such frames (pauses too rare or too short), the
//!   10th-percentile reference + 1.5 dB (minimum statistics; exact for steady noise).
//! - **active level**: mean full-band power of the foreground speech segments (widened by 50 ms each side) minus the noise floor,
//!   i.e. the speech alone (at least 1% of the mixture's power, so it never goes negative).
//! - **SNR** = active level − noise floor, dB; null without speech or when the noise is below
//!   -100 dBFS (digital silence has no measurable noise).
//! - **label**: `none` when the floor is below -60 dBFS or the SNR above 35 dB; else `hum` when the
//!   spectral analysis found mains hum; `babble` when the noise level swings at syllabic rates
//!   (more than 1.5 dB standard deviation of 50 ms levels around their 0.5 s mean, over the
//!   stretches of at least 0.5 s outside the speech regions and away from
//!   quieter voices; over all of the pauses where such voices leave no stretch that long); `hiss` when
//!   flat (flatness ≥ 0.3) and high-frequency weighted (≥ 50% of 0.2-8 kHz power above 2 kHz);
//!   `broadband` otherwise.

use super::features::{db_to_power, Frame};
use super::vad::Activity;
use crate::dsp::db;

/// Noise measured below this power is digital silence, not noise (-100 dBFS).
const MEASURABLE_NOISE: f64 = 1e-10;
/// Non-speech frames needed to average the noise directly (0.5 s).
const MIN_NOISE_FRAMES: usize = 50;
/// Mean-over-10th-percentile offset of steady noise frame powers, dB.
const PERCENTILE_OFFSET_DB: f64 = 1.5;
/// Frames added on each side of a foreground segment for the active level (50 ms): they hold
/// the weak onsets and endings that the detector misses in strong noise.
const LEVEL_PAD: usize = 5;
/// Floors quieter than this are no noise worth naming, dBFS.
const QUIET_FLOOR_DBFS: f64 = -60.0;
/// SNRs above this make the noise negligible, dB.
const NEGLIGIBLE_SNR_DB: f64 = 35.0;
/// Level swing of 50 ms noise levels that marks babble, dB (standard deviation).
const BABBLE_SWING_DB: f64 = 1.5;
/// Flatness (0..1) from which a noise counts as flat.
const HISS_FLATNESS: f64 = 0.3;
/// Share of the 0.2-8 kHz noise power above 2 kHz from which it counts as high-frequency weighted
/// (white noise: 77% at 16 kHz, 53% at 8 kHz; telephone line noise of 0.3-3.4 kHz: 45%).
const HISS_HIGH_SHARE: f64 = 0.5;

/// The levels and character of a channel's noise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoiseLevels {
    /// Noise floor, linear power; None when unmeasurable.
    pub noise_power: Option<f64>,
    /// Active speech level, linear power; None without speech.
    pub active_power: Option<f64>,
    /// Spectral flatness (0..1) of the noise frames.
    pub flatness: Option<f64>,
    /// Share (0..1) of the noise's 0.2-8 kHz power above 2 kHz.
    pub high_share: Option<f64>,
    /// Standard deviation of 50 ms noise levels around their 0.5 s mean, dB.
    pub swing_db: Option<f64>,
}

impl NoiseLevels {
    /// Active level over noise floor, dB.
    pub fn snr_db(&self) -> Option<f64> {
        match (self.active_power, self.noise_power) {
            (Some(a), Some(n)) => Some(db::power_db(a / n)),
            _ => None,
        }
    }
}

/// The sums behind [`NoiseLevels`], added up stretch by stretch of a long recording (each
/// stretch with its own detector outcome), so that no per-frame data outlives its stretch.
/// Powers are linear (full scale = 1.0), dB figures summed as dB, counts in frames.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoiseSums {
    /// Frames away from speech-like segments and not digital silence: count, summed power,
    /// summed flatness dB, summed high-frequency share dB.
    noise_frames: usize,
    noise_power: f64,
    noise_flatness_db: f64,
    noise_high_share_db: f64,
    /// Frames that are not digital silence, and their summed full-band noise reference (power).
    live_frames: usize,
    live_reference: f64,
    /// Frames of the (widened) foreground segments, and their summed power.
    speech_frames: usize,
    speech_power: f64,
    /// Squared deviations (dB²) of the 50 ms noise levels and their count: away from any
    /// speech-like segment, and (the fallback) outside the speech regions only.
    swing_away: (f64, usize),
    swing_outside: (f64, usize),
}

impl NoiseSums {
    /// Adds one stretch of frames with the detector's outcome over it.
    pub fn add(&mut self, frames: &[Frame], activity: &Activity) {
        let in_speech = activity.near_speech();
        for (t, frame) in frames.iter().enumerate() {
            if frame.flat {
                continue;
            }
            self.live_frames += 1;
            self.live_reference += activity.full_ref[t];
            if !in_speech[t] {
                self.noise_frames += 1;
                self.noise_power += db_to_power(frame.power_db());
                self.noise_flatness_db += f64::from(frame.flatness_db());
                self.noise_high_share_db += f64::from(frame.high_share_db());
            }
        }
        let mut widened = vec![false; frames.len()];
        for &(a, b) in &activity.foreground {
            widened[a.saturating_sub(LEVEL_PAD)..(b + LEVEL_PAD).min(frames.len())].fill(true);
        }
        for (frame, _) in frames.iter().zip(&widened).filter(|(_, &w)| w) {
            self.speech_frames += 1;
            self.speech_power += db_to_power(frame.power_db());
        }
        add_swing(&mut self.swing_away, frames, &speech_or_voices(activity));
        add_swing(&mut self.swing_outside, frames, &activity.in_regions());
    }

    /// Whether the noise floor is measurable from what was added so far.
    pub fn measurable(&self) -> bool {
        self.noise_power().is_some()
    }

    /// Mean power of the non-speech frames, or the percentile reference when they are too few;
    /// None when unmeasurable.
    fn noise_power(&self) -> Option<f64> {
        let floor = if self.noise_frames >= MIN_NOISE_FRAMES {
            Some(self.noise_power / self.noise_frames as f64)
        } else {
            (self.live_frames > 0).then(|| {
                self.live_reference / self.live_frames as f64
                    * db::db_to_power(PERCENTILE_OFFSET_DB)
            })
        };
        floor.filter(|&p| p > MEASURABLE_NOISE)
    }

    /// The levels from everything added.
    pub fn levels(&self) -> NoiseLevels {
        let noise_power = self.noise_power();
        let active_power = (self.speech_frames > 0).then(|| {
            let mean = self.speech_power / self.speech_frames as f64;
            (mean - noise_power.unwrap_or(0.0)).max(0.01 * mean)
        });
        let mean_of = |sum: f64| {
            (self.noise_frames > 0 && noise_power.is_some())
                .then(|| db::db_to_power(sum / self.noise_frames as f64))
        };
        let swing = |(sum, count): (f64, usize)| (count > 0).then(|| (sum / count as f64).sqrt());
        NoiseLevels {
            noise_power,
            active_power,
            flatness: mean_of(self.noise_flatness_db),
            high_share: mean_of(self.noise_high_share_db),
            swing_db: noise_power
                .and_then(|_| swing(self.swing_away).or_else(|| swing(self.swing_outside))),
        }
    }
}

/// Per frame: inside a speech region or near any speech-like segment (a quieter talker, the other
/// party's bleed): the level swing of the noise is measured without them, so that one voice in the
/// pauses is not taken for babble. Babble itself makes speech-like blips all over the pauses and
/// leaves no stretch long enough: its swing is then measured over all of the pauses.
fn speech_or_voices(activity: &Activity) -> Vec<bool> {
    let near = activity.near_speech();
    let mut mask = activity.in_regions();
    for (m, n) in mask.iter_mut().zip(near) {
        *m |= n;
    }
    mask
}

/// Adds the squared deviations (dB²) of 50 ms speech-band levels around their 0.5 s running mean
/// over the noise stretches (at least 0.5 s outside `in_speech`, no digital silence) to `sums`
/// (sum, count); their root mean is the swing.
fn add_swing(sums: &mut (f64, usize), frames: &[Frame], in_speech: &[bool]) {
    const SHORT: usize = 5;
    const LONG: usize = 50;
    let mut t = 0;
    while t < frames.len() {
        let start = t;
        while t < frames.len() && !in_speech[t] && !frames[t].flat {
            t += 1;
        }
        if t - start >= LONG {
            let short: Vec<f64> = frames[start..t]
                .chunks_exact(SHORT)
                .map(|c| {
                    db::power_db_floored(
                        c.iter().map(Frame::speech_power).sum::<f64>() / SHORT as f64,
                        db::FLOOR_POWER,
                    )
                })
                .collect();
            let per_long = LONG / SHORT;
            for block in short.chunks_exact(per_long) {
                let mean = block.iter().sum::<f64>() / per_long as f64;
                for v in block {
                    sums.0 += (v - mean).powi(2);
                    sums.1 += 1;
                }
            }
        }
        t += 1;
    }
}

/// The noise label: none, hum, babble, hiss or broadband.
pub fn label(levels: &NoiseLevels, hum_detected: bool) -> &'static str {
    let Some(noise) = levels.noise_power else {
        return "none";
    };
    let quiet = db::power_db(noise) < QUIET_FLOOR_DBFS;
    if quiet || levels.snr_db().is_some_and(|snr| snr > NEGLIGIBLE_SNR_DB) {
        return "none";
    }
    if hum_detected {
        return "hum";
    }
    if levels.swing_db.is_some_and(|s| s > BABBLE_SWING_DB) {
        return "babble";
    }
    let flat = levels.flatness.is_some_and(|f| f >= HISS_FLATNESS);
    let high = levels.high_share.is_some_and(|h| h >= HISS_HIGH_SHARE);
    if flat && high {
        "hiss"
    } else {
        "broadband"
    }
}
