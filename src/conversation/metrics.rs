//! Call-analytics figures for every timed call: talk time, pace, monologues, silences, overlaps, response gaps.

use super::lexicon::word_count;
use super::stats::median;
use super::turns::{transitions, turns, Turn};
use crate::model::{
    ConversationMetrics, Interruption, OverlapMetrics, SilenceMetrics, SpeakerMetrics, TimeRange,
    Transcript,
};

/// A pause with nobody talking that counts as a silence, seconds.
pub const MIN_SILENCE_S: f64 = 2.0;
/// Shorter simultaneous speech is ignored as timestamp jitter, seconds.
pub const MIN_OVERLAP_S: f64 = 0.05;

/// The conversation figures of a timed transcript of a call lasting `duration_s` seconds.
/// Segments without timing count for words only.
pub fn metrics(transcript: &Transcript, duration_s: f64) -> ConversationMetrics {
    let turns = turns(transcript);
    let gaps: Vec<f64> = transitions(&turns).iter().map(|t| t.gap_s).collect();
    ConversationMetrics {
        duration_s,
        speakers: speaker_metrics(&turns),
        silence: silence_metrics(&turns, duration_s),
        overlaps: overlap_metrics(&turns),
        interruptions: interruptions(&turns),
        median_response_gap_s: median(&gaps),
        speaker_changes: gaps.len(),
    }
}

/// Sorted, merged union of time ranges.
pub fn union(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let mut out: Vec<TimeRange> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start_s <= last.end_s => last.end_s = last.end_s.max(r.end_s),
            _ => out.push(r),
        }
    }
    out
}

fn speaker_labels<'a>(turns: &[Turn<'a>]) -> Vec<&'a str> {
    let mut labels: Vec<&str> = Vec::new();
    for t in turns {
        if !labels.contains(&t.speaker) {
            labels.push(t.speaker);
        }
    }
    labels
}

fn speaker_metrics(turns: &[Turn]) -> Vec<SpeakerMetrics> {
    let labels = speaker_labels(turns);
    let mut out: Vec<SpeakerMetrics> = labels.iter().map(|l| one_speaker(turns, l)).collect();
    let total: f64 = out.iter().map(|s| s.talk_time_s).sum();
    for s in &mut out {
        s.talk_ratio = if total > 0.0 {
            s.talk_time_s / total
        } else {
            0.0
        };
    }
    out
}

fn one_speaker(turns: &[Turn], speaker: &str) -> SpeakerMetrics {
    let own: Vec<&Turn> = turns.iter().filter(|t| t.speaker == speaker).collect();
    let talk_time_s: f64 = union(own.iter().filter_map(|t| t.span).collect())
        .iter()
        .map(TimeRange::duration_s)
        .sum();
    let words: usize = own.iter().map(|t| word_count(&t.text)).sum();
    SpeakerMetrics {
        speaker: speaker.to_string(),
        talk_time_s,
        talk_ratio: 0.0,
        words,
        words_per_minute: (talk_time_s > 0.0).then(|| words as f64 * 60.0 / talk_time_s),
        longest_monologue_s: own
            .iter()
            .filter_map(|t| t.span)
            .map(|s| s.duration_s())
            .fold(0.0, f64::max),
    }
}

fn silence_metrics(turns: &[Turn], duration_s: f64) -> SilenceMetrics {
    let speech = union(turns.iter().filter_map(|t| t.span).collect());
    let mut cursor = 0.0;
    let mut silences = Vec::new();
    for r in speech
        .iter()
        .chain(std::iter::once(&TimeRange::new(duration_s, duration_s)))
    {
        if r.start_s - cursor >= MIN_SILENCE_S {
            silences.push(r.start_s - cursor);
        }
        cursor = f64::max(cursor, r.end_s);
    }
    let total_s: f64 = silences.iter().sum();
    SilenceMetrics {
        count: silences.len(),
        longest_s: silences.iter().copied().fold(0.0, f64::max),
        total_s,
        percent_of_call: if duration_s > 0.0 {
            100.0 * total_s / duration_s
        } else {
            0.0
        },
    }
}

/// Pairs (earlier turn, later turn) of different speakers whose spans overlap, with the overlap in seconds.
fn overlapping_pairs<'t, 'a>(turns: &'t [Turn<'a>]) -> Vec<(&'t Turn<'a>, &'t Turn<'a>, f64)> {
    let mut out = Vec::new();
    for (i, later) in turns.iter().enumerate() {
        let Some(b) = later.span else { continue };
        for earlier in &turns[..i] {
            let Some(a) = earlier.span else { continue };
            let overlap = a.end_s.min(b.end_s) - b.start_s.max(a.start_s);
            if earlier.speaker != later.speaker && overlap >= MIN_OVERLAP_S {
                out.push((earlier, later, overlap));
            }
        }
    }
    out
}

fn overlap_metrics(turns: &[Turn]) -> OverlapMetrics {
    let pairs = overlapping_pairs(turns);
    OverlapMetrics {
        count: pairs.len(),
        total_s: pairs.iter().map(|(_, _, s)| s).sum(),
    }
}

fn interruptions(turns: &[Turn]) -> Vec<Interruption> {
    let mut out: Vec<Interruption> = Vec::new();
    for (earlier, later, _) in overlapping_pairs(turns) {
        let (Some(a), Some(b)) = (earlier.span, later.span) else {
            continue;
        };
        if b.end_s <= a.end_s {
            continue;
        }
        match out
            .iter_mut()
            .find(|x| x.by == later.speaker && x.of == earlier.speaker)
        {
            Some(x) => x.count += 1,
            None => out.push(Interruption {
                by: later.speaker.to_string(),
                of: earlier.speaker.to_string(),
                count: 1,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::turns::tests::{seg, transcript};

    fn call() -> Transcript {
        transcript(vec![
            seg("agent", 1.0, 5.0, "hello this is the bank how can I help"),
            seg("customer", 5.2, 7.0, "I want to close my card"),
            seg(
                "agent",
                6.5,
                12.0,
                "sure let me check your account first please",
            ),
            seg("customer", 9.0, 9.4, "ok"),
            seg("customer", 15.0, 16.0, "thank you"),
        ])
    }

    #[test]
    fn talk_time_ratio_and_pace() {
        let m = metrics(&call(), 20.0);
        let agent = &m.speakers[0];
        assert_eq!(agent.speaker, "agent");
        assert!((agent.talk_time_s - 9.5).abs() < 1e-9);
        assert_eq!(agent.words, 17);
        assert!((agent.words_per_minute.unwrap() - 17.0 * 60.0 / 9.5).abs() < 1e-9);
        assert!((agent.longest_monologue_s - 5.5).abs() < 1e-9);
        let customer = &m.speakers[1];
        assert!((customer.talk_time_s - 3.2).abs() < 1e-9);
        assert!((agent.talk_ratio + customer.talk_ratio - 1.0).abs() < 1e-12);
    }

    #[test]
    fn silences_include_leading_and_trailing_gaps_over_threshold() {
        let m = metrics(&call(), 20.0);
        // 12.0 -> 15.0 and 16.0 -> 20.0; the 1 s lead-in is too short.
        assert_eq!(m.silence.count, 2);
        assert!((m.silence.longest_s - 4.0).abs() < 1e-9);
        assert!((m.silence.percent_of_call - 35.0).abs() < 1e-9);
    }

    #[test]
    fn overlaps_and_who_interrupted_whom() {
        let m = metrics(&call(), 20.0);
        // agent starts at 6.5 while the customer talks until 7.0 (interruption);
        // the customer's "ok" lies inside the agent's turn (overlap, not an interruption).
        assert_eq!(m.overlaps.count, 2);
        assert!((m.overlaps.total_s - 0.9).abs() < 1e-9);
        assert_eq!(
            m.interruptions,
            vec![Interruption {
                by: "agent".into(),
                of: "customer".into(),
                count: 1
            }]
        );
    }

    #[test]
    fn median_response_gap_over_speaker_changes() {
        let m = metrics(&call(), 20.0);
        // gaps: 0.2 (agent->customer), -0.5 (customer->agent), -3.0 (customer "ok" inside agent's turn), 3.0.
        assert_eq!(m.speaker_changes, 4);
        assert!((m.median_response_gap_s.unwrap() + 0.15).abs() < 1e-9);
    }
}
