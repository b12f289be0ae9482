//! Transcript segments -> speaker turns in time order: the unit every conversation measure counts.

use std::borrow::Cow;

use crate::model::{Role, TimeRange, Transcript, Word};

/// The label given to segments whose speaker is unknown.
pub const UNKNOWN_SPEAKER: &str = "unknown";

/// A longer pause splits one speaker's speech into two turns, seconds.
pub const MAX_TURN_PAUSE_S: f64 = 2.0;

/// Consecutive speech by one speaker, possibly several transcript segments long; a one-segment
/// turn borrows the segment's text and words.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn<'a> {
    pub speaker: &'a str,
    /// Start and end in seconds; null when the transcript has no timing.
    pub span: Option<TimeRange>,
    /// The raw text of the merged segments, separated by spaces.
    pub text: Cow<'a, str>,
    /// Timed words (empty when the transcript has none).
    pub words: Cow<'a, [Word]>,
}

/// A segment's speaker label, or [`UNKNOWN_SPEAKER`].
pub fn speaker_of(speaker: &Option<String>) -> &str {
    speaker.as_deref().unwrap_or(UNKNOWN_SPEAKER)
}

/// Whether every segment of the transcript carries start and end times (and there is at least one).
pub fn has_timing(transcript: &Transcript) -> bool {
    !transcript.segments.is_empty()
        && transcript
            .segments
            .iter()
            .all(|s| segment_span(s.start_s, s.end_s, &s.words).is_some())
}

fn segment_span(start_s: Option<f64>, end_s: Option<f64>, words: &[Word]) -> Option<TimeRange> {
    match (start_s, end_s) {
        (Some(start), Some(end)) if end >= start => Some(TimeRange::new(start, end)),
        _ => {
            let first = words.first()?;
            let last = words.last()?;
            Some(TimeRange::new(first.start_s, last.end_s))
        }
    }
}

/// The transcript as turns: segments sorted by start time (when timed) and merged while the speaker stays the same
/// and pauses stay under [`MAX_TURN_PAUSE_S`].
pub fn turns(transcript: &Transcript) -> Vec<Turn<'_>> {
    let mut pieces: Vec<Turn> = transcript
        .segments
        .iter()
        .filter(|s| !s.text.trim().is_empty() || !s.words.is_empty())
        .map(|s| Turn {
            speaker: speaker_of(&s.speaker),
            span: segment_span(s.start_s, s.end_s, &s.words),
            text: Cow::Borrowed(s.text.trim()),
            words: Cow::Borrowed(&s.words),
        })
        .collect();
    if pieces.iter().all(|p| p.span.is_some()) {
        pieces.sort_by(|a, b| start_of(a).total_cmp(&start_of(b)));
    }
    merge_same_speaker(pieces)
}

fn start_of(turn: &Turn) -> f64 {
    turn.span.map_or(0.0, |s| s.start_s)
}

/// Whether `piece` continues `last`'s turn: untimed, or starting at most [`MAX_TURN_PAUSE_S`] after it.
fn continues(last: &Turn, piece: &Turn) -> bool {
    match (last.span, piece.span) {
        (Some(a), Some(b)) => b.start_s - a.end_s <= MAX_TURN_PAUSE_S,
        _ => true,
    }
}

/// Merges each piece into the turn before it when the speaker stays and the pause is short, in
/// place (the transcript's own size is the largest thing a long text scan holds).
fn merge_same_speaker(mut pieces: Vec<Turn<'_>>) -> Vec<Turn<'_>> {
    pieces.dedup_by(|piece, last| {
        if last.speaker != piece.speaker || !continues(last, piece) {
            return false;
        }
        last.span = match (last.span, piece.span) {
            (Some(a), Some(b)) => Some(TimeRange::new(a.start_s, a.end_s.max(b.end_s))),
            _ => None,
        };
        let text = last.text.to_mut();
        text.push(' ');
        text.push_str(&piece.text);
        last.words.to_mut().extend_from_slice(&piece.words);
        true
    });
    pieces
}

/// The label of the customer: "customer" when present, else the first speaker other than "agent",
/// else the second distinct speaker (the agent usually opens a call); null for a one-speaker transcript.
pub fn customer_label(transcript: &Transcript) -> Option<String> {
    let mut labels: Vec<&str> = Vec::new();
    for segment in &transcript.segments {
        let label = speaker_of(&segment.speaker);
        if Role::Customer.is(label) {
            return Some(label.to_string());
        }
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    let customer = if labels.iter().any(|l| Role::Agent.is(l)) {
        labels.iter().find(|l| !Role::Agent.is(l))
    } else {
        labels.get(1)
    };
    customer.map(|l| l.to_string())
}

/// The time ranges (seconds) in which `speaker` talks, from the transcript's timed segments.
pub fn speaker_ranges(transcript: &Transcript, speaker: &str) -> Vec<TimeRange> {
    transcript
        .segments
        .iter()
        .filter(|s| speaker_of(&s.speaker) == speaker)
        .filter_map(|s| segment_span(s.start_s, s.end_s, &s.words))
        .collect()
}

/// A gap between the end of the floor holder's speech and the start of a new speaker's turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// Seconds from the previous speech end to this turn's start; negative = overlap.
    pub gap_s: f64,
    /// Index in the turn list of the turn that starts.
    pub turn: usize,
}

/// Speaker changes with their gaps, measured against the latest end of all earlier turns
/// (a short backchannel inside a long turn does not reset the floor).
pub fn transitions(turns: &[Turn]) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut floor: Option<(f64, &str)> = None;
    for (i, turn) in turns.iter().enumerate() {
        let Some(span) = turn.span else { continue };
        if let Some((end_s, holder)) = floor {
            if holder != turn.speaker {
                out.push(Transition {
                    gap_s: span.start_s - end_s,
                    turn: i,
                });
            }
        }
        floor = match floor {
            Some((end_s, holder)) if end_s >= span.end_s => Some((end_s, holder)),
            _ => Some((span.end_s, turn.speaker)),
        };
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Segment;

    /// A timed segment without words.
    pub fn seg(speaker: &str, start_s: f64, end_s: f64, text: &str) -> Segment {
        Segment {
            speaker: Some(speaker.to_string()),
            start_s: Some(start_s),
            end_s: Some(end_s),
            text: text.to_string(),
            words: Vec::new(),
        }
    }

    pub fn transcript(segments: Vec<Segment>) -> Transcript {
        Transcript {
            language: Some("en".into()),
            segments,
            ..Transcript::default()
        }
    }

    #[test]
    fn merges_consecutive_segments_of_one_speaker_after_sorting() {
        let t = transcript(vec![
            seg("customer", 3.0, 4.0, "hi"),
            seg("agent", 0.0, 1.0, "hello"),
            seg("agent", 1.2, 2.5, "how can I help"),
        ]);
        let turns = turns(&t);
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].text, "hello how can I help");
        assert_eq!(turns[0].span, Some(TimeRange::new(0.0, 2.5)));
        assert_eq!(turns[1].speaker, "customer");
    }

    #[test]
    fn backchannel_does_not_take_the_floor() {
        let t = transcript(vec![
            seg("agent", 0.0, 10.0, "long explanation"),
            seg("customer", 5.0, 5.5, "yeah"),
            seg("agent", 10.5, 12.0, "so"),
            seg("customer", 12.3, 14.0, "ok"),
        ]);
        let gaps: Vec<f64> = transitions(&turns(&t)).iter().map(|t| t.gap_s).collect();
        assert_eq!(gaps.len(), 2);
        assert!((gaps[0] + 5.0).abs() < 1e-9);
        assert!((gaps[1] - 0.3).abs() < 1e-9);
    }

    #[test]
    fn customer_is_the_labelled_one_or_the_non_agent() {
        let labelled = transcript(vec![
            seg("agent", 0.0, 1.0, "a"),
            seg("customer", 1.0, 2.0, "b"),
        ]);
        assert_eq!(customer_label(&labelled).as_deref(), Some("customer"));
        let named = transcript(vec![
            seg("Anna", 0.0, 1.0, "a"),
            seg("Boris", 1.0, 2.0, "b"),
        ]);
        assert_eq!(customer_label(&named).as_deref(), Some("Boris"));
        let agent_second = transcript(vec![
            seg("Boris", 0.0, 1.0, "a"),
            seg("agent", 1.0, 2.0, "b"),
        ]);
        assert_eq!(customer_label(&agent_second).as_deref(), Some("Boris"));
        let alone = transcript(vec![seg("agent", 0.0, 1.0, "a")]);
        assert_eq!(customer_label(&alone), None);
    }
}
