//! The conversation figures the HTML and the CSV share: one summary per call (agent talk share,
//! pace, silence, interruptions, longest monologue) and their averages over a vendor's calls.

use crate::model::{ConversationMetrics, Recording, Role};

/// The conversation of one call in a few numbers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CallFigures {
    /// The agent's share (0..1) of all talk time; None when no speaker is labelled agent.
    pub agent_talk_ratio: Option<f64>,
    /// Words per minute of talk time, all speakers together; None without talk time.
    pub words_per_minute: Option<f64>,
    /// Silence (nobody talking for 2 s or more) as a percentage (0..100) of the call.
    pub silence_percent: f64,
    /// Times a speaker took the floor from another, all speakers together.
    pub interruptions: usize,
    /// The longest uninterrupted turn of any speaker, seconds.
    pub longest_monologue_s: f64,
}

impl CallFigures {
    /// The figures of a call's conversation metrics.
    pub fn of(metrics: &ConversationMetrics) -> CallFigures {
        let talk_s: f64 = metrics.speakers.iter().map(|s| s.talk_time_s).sum();
        let words: usize = metrics.speakers.iter().map(|s| s.words).sum();
        CallFigures {
            agent_talk_ratio: metrics
                .speakers
                .iter()
                .find(|s| Role::Agent.is(&s.speaker))
                .map(|s| s.talk_ratio),
            words_per_minute: (talk_s > 0.0).then(|| words as f64 / (talk_s / 60.0)),
            silence_percent: metrics.silence.percent_of_call,
            interruptions: metrics.interruptions.iter().map(|i| i.count).sum(),
            longest_monologue_s: metrics
                .speakers
                .iter()
                .map(|s| s.longest_monologue_s)
                .fold(0.0, f64::max),
        }
    }

    /// The figures of a recording, if it has conversation metrics (a timed transcript).
    pub fn of_recording(recording: &Recording) -> Option<CallFigures> {
        recording.conversation.as_ref().map(CallFigures::of)
    }
}

/// Averages of [`CallFigures`] over the calls that have them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AverageFigures {
    /// Calls averaged (those with conversation metrics).
    pub calls: usize,
    pub agent_talk_ratio: Option<f64>,
    pub words_per_minute: Option<f64>,
    pub silence_percent: Option<f64>,
    /// Interruptions per call.
    pub interruptions: Option<f64>,
    /// Mean of each call's longest monologue, seconds.
    pub longest_monologue_s: Option<f64>,
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(sum, n), v| (sum + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The averages over `recordings`; each field over the calls where it is known.
pub fn average<'a>(recordings: impl IntoIterator<Item = &'a Recording>) -> AverageFigures {
    let calls: Vec<CallFigures> = recordings
        .into_iter()
        .filter_map(CallFigures::of_recording)
        .collect();
    AverageFigures {
        calls: calls.len(),
        agent_talk_ratio: mean(calls.iter().filter_map(|c| c.agent_talk_ratio)),
        words_per_minute: mean(calls.iter().filter_map(|c| c.words_per_minute)),
        silence_percent: mean(calls.iter().map(|c| c.silence_percent)),
        interruptions: mean(calls.iter().map(|c| c.interruptions as f64)),
        longest_monologue_s: mean(calls.iter().map(|c| c.longest_monologue_s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Interruption, SilenceMetrics, SpeakerMetrics};

    fn speaker(name: &str, talk_time_s: f64, words: usize, monologue_s: f64) -> SpeakerMetrics {
        SpeakerMetrics {
            speaker: name.into(),
            talk_time_s,
            talk_ratio: 0.0,
            words,
            words_per_minute: None,
            longest_monologue_s: monologue_s,
        }
    }

    fn call(agent_ratio: f64, silence_percent: f64, interruptions: usize) -> Recording {
        let mut agent = speaker("agent", 60.0, 150, 20.0);
        agent.talk_ratio = agent_ratio;
        Recording {
            conversation: Some(ConversationMetrics {
                speakers: vec![agent, speaker("customer", 30.0, 60, 8.0)],
                silence: SilenceMetrics {
                    percent_of_call: silence_percent,
                    ..SilenceMetrics::default()
                },
                interruptions: vec![Interruption {
                    by: "customer".into(),
                    of: "agent".into(),
                    count: interruptions,
                }],
                ..ConversationMetrics::default()
            }),
            ..Recording::default()
        }
    }

    #[test]
    fn one_call_sums_speakers_and_takes_the_agents_share() {
        let figures = CallFigures::of_recording(&call(0.66, 12.0, 3)).unwrap();
        assert_eq!(figures.agent_talk_ratio, Some(0.66));
        assert_eq!(
            figures.words_per_minute,
            Some(140.0),
            "210 words in 1.5 min"
        );
        assert_eq!(figures.interruptions, 3);
        assert_eq!(figures.longest_monologue_s, 20.0);
        assert_eq!(CallFigures::of_recording(&Recording::default()), None);
    }

    #[test]
    fn averages_skip_calls_without_metrics() {
        let calls = [call(0.6, 10.0, 1), Recording::default(), call(0.8, 20.0, 4)];
        let mean = average(&calls);
        assert_eq!(mean.calls, 2);
        assert!((mean.agent_talk_ratio.unwrap() - 0.7).abs() < 1e-9);
        assert_eq!(mean.silence_percent, Some(15.0));
        assert_eq!(mean.interruptions, Some(2.5));
        assert_eq!(average(&[]).words_per_minute, None);
    }
}
