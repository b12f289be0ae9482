//! Who said each word: stereo calls by channel, mono calls by clustering short windows of speech
//! on their spectral envelope (two speakers), and which speaker is the agent.
//!
//! Mono method: the kept speech is cut into 1 s windows; each window is described by the mean and
//! standard deviation of 12 MFCCs (c1..c12, 25 ms frames, 10 ms hop, 40 slaney mel bands; c0, the
//! level, is left out); features are z-scored and split by k-means (k = 2, deterministic
//! farthest-point start). When the split is weak (mean silhouette below 0.15, or a cluster under
//! 10 % of the windows) the call is treated as one speaker. Limits: turns shorter than a window,
//! overlapping speech, and two similar voices (same sex, same phone line) are not separated
//! reliably; labels are per window, so a word at a turn boundary can land on the wrong side.

use rustfft::{num_complex::Complex32, FftPlanner};

use super::convert::mel_filters;
use super::filter::{join_words, RawSegment};
use super::gate::CompactAudio;
use crate::dsp::{mel, window};
use crate::lang;
use crate::model::{Role, Segment, Word};

/// Window length for mono clustering, seconds.
pub const WINDOW_S: f64 = 1.0;
const RATE_HZ: usize = 16_000;
const FRAME: usize = 400;
const HOP: usize = 160;
const N_MELS: usize = 40;
const N_CEPS: usize = 12;
const MIN_SILHOUETTE: f64 = 0.15;
const MIN_CLUSTER_SHARE: f64 = 0.10;
/// Smallest distance between the two voices' mean features (unnormalised MFCC units, where one
/// stationary voice measures ~0.5 and two distinct synthetic voices ~135) to accept two speakers.
const MIN_CENTROID_DISTANCE: f64 = 15.0;

/// True when the text sounds like an agent introducing themselves or the company: it contains
/// one of the phrases an agent opens with (`speakers.introductions`, any language).
pub fn introduces_itself(text: &str) -> bool {
    let lower = text.to_lowercase();
    lang::words(|l| &l.speakers.introductions).any(|p| lower.contains(p))
}

/// The agent among `speakers`: the one whose first introduction comes first, else the first to
/// speak. Each speaker is given as its segments in time order.
pub fn pick_agent(speakers: &[Vec<&RawSegment>]) -> Option<usize> {
    let first = |pick: &dyn Fn(&RawSegment) -> bool| {
        speakers
            .iter()
            .enumerate()
            .filter_map(|(i, segs)| segs.iter().find(|s| pick(s)).map(|s| (i, s.start_s)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    };
    first(&|s| introduces_itself(&s.text)).or_else(|| first(&|_| true))
}

fn label(index: usize, agent: usize) -> String {
    if index == agent {
        Role::Agent
    } else {
        Role::Customer
    }
    .label()
    .to_string()
}

/// A word that another channel carries this much louder at its onset is that channel's speaker
/// leaking in (bleed, echo on the line), not this channel's speaker, dB.
pub const BLEED_MARGIN_DB: f64 = 10.0;
/// The same word on two channels with onsets this close is one utterance heard twice, seconds.
const SAME_WORD_WITHIN_S: f64 = 1.0;
/// ... and it belongs to the channel this much louder around both onsets, dB.
const SAME_WORD_MARGIN_DB: f64 = 3.0;
/// Levels are compared this long either side of a word's start: whisper's word starts are
/// roughly aligned (the last word of a turn can start late), its ends are not, seconds.
const ONSET_S: f64 = 0.25;

/// Stereo: drops the words each channel's recogniser heard from another channel's speaker, then
/// segments left without words. A word is bleed when another channel is [`BLEED_MARGIN_DB`]
/// louder around its start, or when another channel has the same word within [`SAME_WORD_WITHIN_S`]
/// and is [`SAME_WORD_MARGIN_DB`] louder from half a second before the first onset to just after
/// the second. Two people talking at once are both kept: their own channels are the louder ones.
pub fn drop_bleed(channels: &mut [Vec<RawSegment>], audio: &[CompactAudio]) -> std::io::Result<()> {
    let words: Vec<Vec<(String, f64)>> = channels
        .iter()
        .map(|segs| {
            segs.iter()
                .flat_map(|s| &s.words)
                .map(|w| (word_key(&w.text), w.start_s))
                .collect()
        })
        .collect();
    let louder = |other: usize, own: usize, from: f64, to: f64, margin: f64| {
        Ok::<_, std::io::Error>(
            match (
                audio[other].level_dbfs(from, to)?,
                audio[own].level_dbfs(from, to)?,
            ) {
                (Some(theirs), Some(ours)) => theirs - ours > margin,
                _ => false,
            },
        )
    };
    let is_bleed = |own: usize, word: &Word| -> std::io::Result<bool> {
        let onset = (word.start_s - ONSET_S, word.start_s + ONSET_S);
        let key = word_key(&word.text);
        for other in (0..audio.len()).filter(|&o| o != own) {
            if louder(other, own, onset.0, onset.1, BLEED_MARGIN_DB)? {
                return Ok(true);
            }
            let same_word = words[other].iter().filter(|(k, start)| {
                *k == key && (start - word.start_s).abs() <= SAME_WORD_WITHIN_S
            });
            for (_, start) in same_word {
                let from = start.min(word.start_s) - 0.5;
                let to = start.max(word.start_s) + ONSET_S;
                if louder(other, own, from, to, SAME_WORD_MARGIN_DB)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    };
    for (own, segments) in channels.iter_mut().enumerate() {
        for segment in segments.iter_mut() {
            let bleed = segment
                .words
                .iter()
                .map(|w| is_bleed(own, w))
                .collect::<std::io::Result<Vec<bool>>>()?;
            if bleed.contains(&true) {
                let mut flags = bleed.into_iter();
                segment.words.retain(|_| !flags.next().unwrap_or(false));
                rebuild_from_words(segment);
            }
        }
        segments.retain(|s| !s.words.is_empty() || !s.text.is_empty());
    }
    Ok(())
}

/// A word compared across channels: lower case, letters and digits only.
fn word_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Text and times of a segment from the words it kept.
fn rebuild_from_words(segment: &mut RawSegment) {
    segment.text = join_words(&segment.words);
    if let (Some(first), Some(last)) = (segment.words.first(), segment.words.last()) {
        segment.start_s = first.start_s;
        segment.end_s = last.end_s;
    }
}

/// Stereo: every channel is one speaker. `agent` forces the agent's channel; `None` picks it.
pub fn label_stereo(channels: Vec<Vec<RawSegment>>, agent: Option<usize>) -> Vec<Segment> {
    let refs: Vec<Vec<&RawSegment>> = channels.iter().map(|c| c.iter().collect()).collect();
    let agent = agent.or_else(|| pick_agent(&refs)).unwrap_or(0);
    let mut segments: Vec<Segment> = channels
        .into_iter()
        .enumerate()
        .flat_map(|(i, segs)| {
            segs.into_iter()
                .map(move |s| to_segment(s, Some(label(i, agent))))
        })
        .collect();
    segments.sort_by(|a, b| {
        a.start_s
            .unwrap_or(0.0)
            .total_cmp(&b.start_s.unwrap_or(0.0))
    });
    segments
}

fn to_segment(raw: RawSegment, speaker: Option<String>) -> Segment {
    Segment {
        speaker,
        start_s: Some(raw.start_s),
        end_s: Some(raw.end_s),
        text: raw.text,
        words: raw.words,
    }
}

/// Mono: clusters the speech into (at most) two voices and splits whisper's segments where the
/// voice changes. One voice -> every segment is the agent's... unless nobody introduces
/// themselves, in which case the speaker stays unknown (null).
pub fn label_mono(
    segments: Vec<RawSegment>,
    audio: &CompactAudio,
) -> std::io::Result<Vec<Segment>> {
    let windows = windows(audio);
    let features: Vec<Vec<f64>> = windows
        .iter()
        .map(|w| audio.samples.with(w.0..w.1, mfcc_stats))
        .collect::<std::io::Result<_>>()?;
    let clusters = two_clusters(&features);
    let window_starts: Vec<f64> = windows
        .iter()
        .map(|w| audio.to_original_s(w.0 as f64 / RATE_HZ as f64))
        .collect();
    let speaker_at = |t: f64| -> usize {
        let i = window_starts.partition_point(|&s| s <= t).saturating_sub(1);
        clusters.get(i).copied().unwrap_or(0)
    };
    let split: Vec<(usize, RawSegment)> = segments
        .into_iter()
        .flat_map(|s| split_by_speaker(s, &speaker_at))
        .collect();
    let n_speakers = clusters.iter().max().map_or(1, |m| m + 1);
    let per_speaker: Vec<Vec<&RawSegment>> = (0..n_speakers)
        .map(|k| {
            split
                .iter()
                .filter(|(c, _)| *c == k)
                .map(|(_, s)| s)
                .collect()
        })
        .collect();
    let agent = if n_speakers == 1 {
        per_speaker[0]
            .iter()
            .any(|s| introduces_itself(&s.text))
            .then_some(0)
    } else {
        pick_agent(&per_speaker)
    };
    Ok(split
        .into_iter()
        .map(|(c, s)| {
            let speaker = agent.map(|a| label(c, a));
            to_segment(s, speaker)
        })
        .collect())
}

/// Cuts a segment into runs of words by the same speaker (by each word's midpoint).
fn split_by_speaker(
    segment: RawSegment,
    speaker_at: &dyn Fn(f64) -> usize,
) -> Vec<(usize, RawSegment)> {
    if segment.words.is_empty() {
        let who = speaker_at((segment.start_s + segment.end_s) / 2.0);
        return vec![(who, segment)];
    }
    let mut runs: Vec<(usize, Vec<Word>)> = Vec::new();
    for word in segment.words {
        let who = speaker_at((word.start_s + word.end_s) / 2.0);
        match runs.last_mut() {
            Some((k, words)) if *k == who => words.push(word),
            _ => runs.push((who, vec![word])),
        }
    }
    runs.into_iter()
        .map(|(who, words)| {
            let mut run = RawSegment {
                start_s: segment.start_s,
                end_s: segment.end_s,
                text: String::new(),
                no_speech_p: segment.no_speech_p,
                words,
            };
            rebuild_from_words(&mut run);
            (who, run)
        })
        .collect()
}

/// 1 s windows inside each kept piece (a short tail joins the window before it), as sample ranges.
fn windows(audio: &CompactAudio) -> Vec<(usize, usize)> {
    let step = (WINDOW_S * RATE_HZ as f64) as usize;
    let mut out = Vec::new();
    for piece in &audio.pieces {
        let end = piece.compact_start + piece.len;
        let mut start = piece.compact_start;
        while start < end {
            let stop = if end - start < step + step / 3 {
                end
            } else {
                start + step
            };
            if stop - start >= FRAME {
                out.push((start, stop));
            }
            start = stop;
        }
    }
    out
}

/// Mean and standard deviation of MFCC c1..c12 over the voiced frames of `samples` (16 kHz).
pub fn mfcc_stats(samples: &[f32]) -> Vec<f64> {
    let filters = mel_filters(N_MELS);
    let bins = filters.len() / N_MELS;
    let fft = FftPlanner::<f32>::new().plan_fft_forward(FRAME);
    let hann = window::periodic_hann_f32(FRAME);
    let mut frames: Vec<(f64, Vec<f64>)> = Vec::new();
    let mut buffer = vec![Complex32::new(0.0, 0.0); FRAME];
    for start in (0..samples.len().saturating_sub(FRAME - 1)).step_by(HOP) {
        for (b, (s, w)) in buffer
            .iter_mut()
            .zip(samples[start..start + FRAME].iter().zip(&hann))
        {
            *b = Complex32::new(s * w, 0.0);
        }
        fft.process(&mut buffer);
        let power: Vec<f64> = buffer[..bins]
            .iter()
            .map(|c| f64::from(c.norm_sqr()))
            .collect();
        let log_mel: Vec<f64> = (0..N_MELS)
            .map(|m| {
                let e: f64 = filters[m * bins..(m + 1) * bins]
                    .iter()
                    .zip(&power)
                    .map(|(f, p)| f64::from(*f) * p)
                    .sum();
                (e + 1e-10).ln()
            })
            .collect();
        frames.push((power.iter().sum::<f64>(), mel::mfcc(&log_mel, N_CEPS)));
    }
    // only the voiced frames: within 30 dB of the window's loudest (pauses would dominate otherwise)
    let loudest = frames.iter().map(|f| f.0).fold(0.0, f64::max);
    let frames: Vec<Vec<f64>> = frames
        .into_iter()
        .filter(|f| f.0 >= loudest * 1e-3)
        .map(|f| f.1)
        .collect();
    let n = frames.len().max(1) as f64;
    let mean: Vec<f64> = (0..N_CEPS)
        .map(|c| frames.iter().map(|f| f[c]).sum::<f64>() / n)
        .collect();
    let std: Vec<f64> = (0..N_CEPS)
        .map(|c| (frames.iter().map(|f| (f[c] - mean[c]).powi(2)).sum::<f64>() / n).sqrt())
        .collect();
    mean.into_iter().chain(std).collect()
}

/// Cluster index (0 or 1) per feature vector; all 0 when two clusters do not fit the data.
pub fn two_clusters(features: &[Vec<f64>]) -> Vec<usize> {
    if features.len() < 4 {
        return vec![0; features.len()];
    }
    let z = zscore(features);
    let first = farthest(&z, &z[0]);
    let second = farthest(&z, &z[first]);
    let mut centres = [z[first].clone(), z[second].clone()];
    let mut assign = vec![0; z.len()];
    for _ in 0..30 {
        let next: Vec<usize> = z
            .iter()
            .map(|x| usize::from(dist(x, &centres[1]) < dist(x, &centres[0])))
            .collect();
        let stable = next == assign;
        assign = next;
        for (k, centre) in centres.iter_mut().enumerate() {
            let members: Vec<&Vec<f64>> = z
                .iter()
                .zip(&assign)
                .filter(|(_, a)| **a == k)
                .map(|(x, _)| x)
                .collect();
            if !members.is_empty() {
                *centre = (0..centre.len())
                    .map(|d| members.iter().map(|m| m[d]).sum::<f64>() / members.len() as f64)
                    .collect();
            }
        }
        if stable {
            break;
        }
    }
    let share = assign.iter().filter(|&&a| a == 1).count() as f64 / assign.len() as f64;
    if share.min(1.0 - share) < MIN_CLUSTER_SHARE
        || silhouette(&z, &assign) < MIN_SILHOUETTE
        || raw_centroid_distance(features, &assign) < MIN_CENTROID_DISTANCE
    {
        return vec![0; features.len()];
    }
    // cluster 0 is the one heard first
    if assign[0] == 1 {
        assign.iter_mut().for_each(|a| *a = 1 - *a);
    }
    assign
}

/// Distance between the two clusters' centres in unnormalised feature units.
fn raw_centroid_distance(features: &[Vec<f64>], assign: &[usize]) -> f64 {
    let centre = |k: usize| -> Vec<f64> {
        let members: Vec<&Vec<f64>> = features
            .iter()
            .zip(assign)
            .filter(|(_, a)| **a == k)
            .map(|(f, _)| f)
            .collect();
        (0..features[0].len())
            .map(|d| members.iter().map(|m| m[d]).sum::<f64>() / members.len().max(1) as f64)
            .collect()
    };
    dist(&centre(0), &centre(1))
}

fn zscore(features: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let dims = features[0].len();
    let n = features.len() as f64;
    let mean: Vec<f64> = (0..dims)
        .map(|d| features.iter().map(|f| f[d]).sum::<f64>() / n)
        .collect();
    let std: Vec<f64> = (0..dims)
        .map(|d| {
            (features
                .iter()
                .map(|f| (f[d] - mean[d]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
                .max(1e-9)
        })
        .collect();
    features
        .iter()
        .map(|f| (0..dims).map(|d| (f[d] - mean[d]) / std[d]).collect())
        .collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn farthest(points: &[Vec<f64>], from: &[f64]) -> usize {
    (0..points.len())
        .max_by(|&a, &b| dist(&points[a], from).total_cmp(&dist(&points[b], from)))
        .unwrap_or(0)
}

/// Mean silhouette of a two-cluster assignment (-1..1; higher = better separated).
fn silhouette(points: &[Vec<f64>], assign: &[usize]) -> f64 {
    let scores: Vec<f64> = (0..points.len())
        .map(|i| {
            let mut sums = [0.0; 2];
            let mut counts = [0usize; 2];
            for j in (0..points.len()).filter(|&j| j != i) {
                sums[assign[j]] += dist(&points[i], &points[j]);
                counts[assign[j]] += 1;
            }
            let own = assign[i];
            if counts[own] == 0 || counts[1 - own] == 0 {
                return 0.0;
            }
            let a = sums[own] / counts[own] as f64;
            let b = sums[1 - own] / counts[1 - own] as f64;
            (b - a) / a.max(b)
        })
        .collect();
    scores.iter().sum::<f64>() / scores.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::gate::SpeechGate;
    use crate::dsp::test_signals::Rng;
    use crate::model::TimeRange;

    fn raw(start_s: f64, text: &str) -> RawSegment {
        let words = text
            .split_whitespace()
            .enumerate()
            .map(|(i, t)| Word {
                text: t.into(),
                start_s: start_s + i as f64 * 0.3,
                end_s: start_s + i as f64 * 0.3 + 0.25,
                p: 0.9,
            })
            .collect::<Vec<_>>();
        let end_s = words.last().map_or(start_s, |w| w.end_s);
        RawSegment {
            start_s,
            end_s,
            text: text.into(),
            no_speech_p: 0.0,
            words,
        }
    }

    /// One channel kept whole from 0 s: `level` (linear) during each of the (start_s, end_s) spans.
    fn channel(seconds: usize, loud: &[(f64, f64, f32)]) -> CompactAudio {
        let mut samples = vec![0.0f32; seconds * RATE_HZ];
        for &(start, end, level) in loud {
            let range = (start * RATE_HZ as f64) as usize..(end * RATE_HZ as f64) as usize;
            samples[range].iter_mut().for_each(|x| *x = level);
        }
        let len = samples.len();
        CompactAudio::from_samples(
            samples,
            vec![crate::asr::gate::Piece {
                compact_start: 0,
                len,
                original_start_s: 0.0,
            }],
        )
    }

    #[test]
    fn words_leaking_from_the_louder_channel_are_dropped_and_overlaps_kept() {
        // agent talks 0-2 s (bleeds into the customer channel 20 dB down); both talk at 3-4 s
        let agent = channel(5, &[(0.0, 2.0, 0.3), (3.0, 4.0, 0.3)]);
        let customer = channel(5, &[(0.0, 2.0, 0.03), (3.0, 4.0, 0.2)]);
        let mut per_channel = vec![
            vec![raw(0.1, "hello there friend")],
            vec![raw(0.1, "hello there friend"), raw(3.1, "wait what")],
        ];
        drop_bleed(&mut per_channel, &[agent, customer]).unwrap();
        assert_eq!(per_channel[0].len(), 1, "the agent keeps its own words");
        assert_eq!(per_channel[1].len(), 1, "the leaked copy is gone");
        assert_eq!(per_channel[1][0].text, "wait what");
    }

    #[test]
    fn agent_is_who_introduces_first_else_who_speaks_first() {
        let left = [raw(0.5, "Hello?")];
        let right = [raw(1.5, "Good morning, my name is Anna from Acme.")];
        assert_eq!(
            pick_agent(&[left.iter().collect(), right.iter().collect()]),
            Some(1)
        );
        let ru = [raw(
            2.0,
            "Здравствуйте, меня зовут Ольга, компания Ромашка.",
        )];
        assert_eq!(
            pick_agent(&[left.iter().collect(), ru.iter().collect()]),
            Some(1)
        );
        let plain = [raw(3.0, "Yes, go on.")];
        assert_eq!(
            pick_agent(&[plain.iter().collect(), left.iter().collect()]),
            Some(1)
        );
        assert_eq!(pick_agent(&[vec![], vec![]]), None);
    }

    #[test]
    fn stereo_segments_are_labelled_by_channel_and_sorted() {
        let channels = vec![
            vec![raw(0.5, "Hello?"), raw(5.0, "How much?")],
            vec![raw(1.5, "Gracias por llamar a Acme.")],
        ];
        let auto = label_stereo(channels.clone(), None);
        let speakers: Vec<_> = auto.iter().map(|s| s.speaker.clone().unwrap()).collect();
        assert_eq!(speakers, ["customer", "agent", "customer"]);
        let forced = label_stereo(channels, Some(0));
        assert_eq!(forced[0].speaker.as_deref(), Some("agent"));
    }

    /// Two synthetic "voices": buzzy harmonic sources with different pitch and formant.
    fn voice(seconds: f64, f0: f32, formant: f32, seed: u32) -> Vec<f32> {
        let n = (seconds * RATE_HZ as f64) as usize;
        let mut rng = Rng::new(u64::from(seed));
        (0..n)
            .map(|i| {
                let t = i as f32 / RATE_HZ as f32;
                let mut v = 0.0;
                for h in 1..30 {
                    let f = f0 * h as f32;
                    let gain = 1.0 / (1.0 + ((f - formant) / 300.0).powi(2));
                    v += gain * (2.0 * std::f32::consts::PI * f * t).sin();
                }
                v * 0.05 + rng.unit() * 0.002
            })
            .collect()
    }

    #[test]
    fn two_voices_on_one_channel_are_told_apart() {
        let turns = [
            (0.0, 3.0, 0),
            (3.5, 6.5, 1),
            (7.0, 10.0, 0),
            (10.5, 13.5, 1),
        ];
        let mut audio = vec![0.0f32; 14 * RATE_HZ];
        for (s, e, who) in turns {
            let (f0, formant) = if who == 0 {
                (110.0, 700.0)
            } else {
                (220.0, 2200.0)
            };
            let v = voice(e - s, f0, formant, who as u32 + 7);
            let at = (s * RATE_HZ as f64) as usize;
            audio[at..at + v.len()].copy_from_slice(&v);
        }
        let regions: Vec<TimeRange> = turns
            .iter()
            .map(|(s, e, _)| TimeRange::new(*s + 0.3, *e - 0.3))
            .collect();
        let mut gate = SpeechGate::new(&regions, 14.0, -55.0);
        gate.push(&audio).unwrap();
        let compact = gate.finish().unwrap();
        let segments = vec![
            raw(0.5, "Thank you for calling Acme"),
            raw(4.0, "I want a refund"),
            raw(7.5, "Sure one moment"),
            raw(11.0, "Thanks"),
        ];
        let labelled = label_mono(segments, &compact).unwrap();
        let speakers: Vec<_> = labelled
            .iter()
            .map(|s| s.speaker.clone().unwrap_or_default())
            .collect();
        assert_eq!(speakers, ["agent", "customer", "agent", "customer"]);
    }

    #[test]
    fn one_voice_is_not_split() {
        let v = voice(8.0, 150.0, 1000.0, 3);
        let mut gate = SpeechGate::new(&[TimeRange::new(0.5, 7.5)], 8.0, -55.0);
        gate.push(&v).unwrap();
        let compact = gate.finish().unwrap();
        let labelled =
            label_mono(vec![raw(1.0, "just me talking here for a while")], &compact).unwrap();
        assert_eq!(labelled.len(), 1, "one voice split into {labelled:?}");
        assert_eq!(labelled[0].speaker, None, "nobody introduced themselves");
    }
}
