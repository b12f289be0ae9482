//! Conversation analysis over transcripts: call-analytics metrics, staged-call signals and voice prints.
//!
//! Pure functions over plain data (transcripts, channel measures, samples): no I/O.

pub mod lexicon;
pub mod metrics;
pub mod repeated;
pub mod room;
pub mod staged;
pub mod stats;
pub mod turns;
pub mod voice;

pub use metrics::metrics;
pub use turns::{customer_label, speaker_ranges};
pub use voice::{VoicePrint, VoicePrinter};

use repeated::Line;
use staged::Evidence;
use turns::{has_timing, turns, Turn};

use crate::model::{
    ChannelMeasures, ConversationMetrics, Finding, FindingKind, Role, Severity, Transcript,
    CROSS_VENDOR,
};

/// Metrics and the `staged_dialogue` finding of a transcribed recording lasting `duration_s` seconds,
/// with the measures of its channels (agent first, customer second for stereo calls; may be empty).
pub fn analyze_recording(
    transcript: &Transcript,
    channels: &[ChannelMeasures],
    duration_s: f64,
) -> (ConversationMetrics, Finding) {
    let turns = turns(transcript);
    let customer = customer_label(transcript);
    let evidence = Evidence {
        turns: &turns,
        customer: customer.as_deref(),
        channels,
        timed: has_timing(transcript),
    };
    (metrics(transcript, duration_s), staged::finding(&evidence))
}

/// Metrics and the `staged_dialogue` finding of a transcribed recording whose speakers were not
/// told apart (one label for everybody): judged without the customer's signals, and never above
/// low severity, so that a failed speaker split neither hides the call from the detector nor
/// counts against the vendor on half the evidence.
pub fn analyze_unsplit(
    transcript: &Transcript,
    channels: &[ChannelMeasures],
    duration_s: f64,
) -> (ConversationMetrics, Finding) {
    let (metrics, mut finding) = analyze_recording(transcript, channels, duration_s);
    let judged = finding.category != "not_enough_speech";
    if judged && !finding.details.contains_key("speakers_separated") {
        finding.severity = finding.severity.min(Severity::Low);
        finding.message.push_str(staged::ONE_VOICE_NOTE);
        finding
            .details
            .insert("speakers_separated".into(), false.into());
    }
    (metrics, finding)
}

/// The `staged_dialogue` finding of a pasted transcript: lexical signals only (its timing, if any,
/// is not trusted), and the finding says that timing was not available.
pub fn analyze_text(transcript: &Transcript) -> Finding {
    let turns = turns(transcript);
    let customer = customer_label(transcript);
    staged::finding(&Evidence {
        turns: &turns,
        customer: customer.as_deref(),
        channels: &[],
        timed: false,
    })
}

/// One recording of a run as the cross-recording checks see it.
pub struct RunItem<'a> {
    pub path: &'a str,
    /// The vendor the recording is scored under: links between vendors are shown, not counted.
    pub vendor: &'a str,
    pub transcript: &'a Transcript,
    /// The voice print of its customer; null when none could be made.
    pub customer_voice: Option<&'a VoicePrint>,
}

/// Findings that link recordings of one run: `same_voice` when two customers' voices match, and
/// `staged_dialogue` / `repeated_wording` when customer lines are nearly identical. Each link is
/// reported on both recordings, as (path, finding); links between two vendors are info only.
pub fn cross_recording(items: &[RunItem]) -> Vec<(String, Finding)> {
    let lines: Vec<Vec<Line>> = items.iter().map(|i| customer_lines(i.transcript)).collect();
    let mut out = Vec::new();
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            let (a, b) = (items[i].path, items[j].path);
            let mut pair = Vec::new();
            if let (Some(va), Some(vb)) = (items[i].customer_voice, items[j].customer_voice) {
                let similarity = va.similarity(vb);
                if similarity >= voice::SAME_VOICE_FROM {
                    pair.push((a.to_string(), same_voice(b, similarity)));
                    pair.push((b.to_string(), same_voice(a, similarity)));
                }
            }
            let found = repeated::matches(&lines[i], &lines[j]);
            if !found.is_empty() {
                let mirrored: Vec<repeated::Match> =
                    found.iter().map(repeated::Match::mirrored).collect();
                pair.push((a.to_string(), repeated_wording(b, &found)));
                pair.push((b.to_string(), repeated_wording(a, &mirrored)));
            }
            if items[i].vendor != items[j].vendor {
                pair.iter_mut().for_each(|(_, f)| mark_cross_vendor(f));
            }
            out.extend(pair);
        }
    }
    out
}

/// Turns a link into information: another vendor's recording says nothing about this vendor.
fn mark_cross_vendor(finding: &mut Finding) {
    finding.severity = Severity::Info;
    finding
        .message
        .push_str(" (another vendor's recording: shown for information, not counted)");
    finding.details.insert(CROSS_VENDOR.into(), true.into());
}

fn customer_lines(transcript: &Transcript) -> Vec<Line> {
    let Some(customer) = customer_label(transcript) else {
        return Vec::new();
    };
    turns(transcript)
        .iter()
        .filter(|t: &&Turn| t.speaker == customer)
        .filter_map(|t| Line::new(&t.text))
        .collect()
}

fn same_voice(other: &str, similarity: f64) -> Finding {
    let mut f = Finding::new(
        FindingKind::SameVoice,
        "same_voice",
        Severity::Medium,
        format!(
            "the customer's voice resembles the customer in {other} (similarity {similarity:.2}): \
             possibly the same person playing the customer; listen to both to confirm"
        ),
    );
    f.speaker = Some(Role::Customer.label().into());
    f.details.insert("other_recording".into(), other.into());
    f.details.insert(
        "similarity".into(),
        serde_json::json!((similarity * 1000.0).round() / 1000.0),
    );
    f
}

/// Digits masked, so that a repeated line never leaks a phone or card number.
fn mask_digits(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

fn repeated_wording(other: &str, found: &[repeated::Match]) -> Finding {
    let severity = match found.len() {
        1 => Severity::Info,
        2 | 3 => Severity::Low,
        _ => Severity::Medium,
    };
    let best = &found[0];
    let mut f = Finding::new(
        FindingKind::StagedDialogue,
        "repeated_wording",
        severity,
        format!(
            "{} customer line(s) nearly identical to the customer in {other} (best Jaccard {:.2}): \
             scripted customers repeat their lines",
            found.len(),
            best.similarity
        ),
    );
    f.speaker = Some(Role::Customer.label().into());
    f.excerpt = Some(mask_digits(&best.line));
    f.details.insert("other_recording".into(), other.into());
    let matches: Vec<serde_json::Value> = found
        .iter()
        .map(|m| {
            serde_json::json!({
                "line": mask_digits(&m.line),
                "other_line": mask_digits(&m.other_line),
                "jaccard": (m.similarity * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    f.details.insert("matches".into(), matches.into());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the signals listed in a staged-call finding's details.
    fn signal_names(finding: &Finding) -> Vec<&str> {
        finding.details["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect()
    }
    use crate::conversation::turns::tests::{seg, transcript};
    use crate::conversation::voice::tests::{print_of, synth_voice};

    /// A rigid read-aloud call: 0.8 s gaps, no overlaps, no fillers, full sentences, both channels alike.
    fn scripted(customer_line: &str) -> Transcript {
        let mut segments = Vec::new();
        let mut t = 0.5;
        for i in 0..12 {
            let (speaker, text) = if i % 2 == 0 {
                ("agent", "Good afternoon, thank you for calling, how can I help you today with your account.")
            } else {
                ("customer", customer_line)
            };
            segments.push(seg(speaker, t, t + 5.0, text));
            t += 5.8;
        }
        transcript(segments)
    }

    fn same_room() -> Vec<ChannelMeasures> {
        let channel = |index| ChannelMeasures {
            index,
            noise_floor_dbfs: Some(-62.0),
            bandwidth_hz: Some(7600.0),
            spectral_flatness: Some(0.4),
            ..Default::default()
        };
        vec![channel(0), channel(1)]
    }

    #[test]
    fn a_rigid_scripted_call_reads_likely_staged() {
        let line = "I saw your special offer with a discount and I would like the premium subscription please.";
        let (metrics, finding) = analyze_recording(&scripted(line), &same_room(), 71.0);
        assert_eq!(metrics.speakers.len(), 2);
        assert_eq!(metrics.overlaps.count, 0);
        assert!((metrics.median_response_gap_s.unwrap() - 0.8).abs() < 1e-9);
        assert_eq!(finding.kind, FindingKind::StagedDialogue);
        assert_eq!(finding.details["level"], "likely", "{}", finding.message);
        assert_eq!(finding.severity, Severity::Medium);
        let names = signal_names(&finding);
        for name in [
            "median_gap_s",
            "gap_iqr_s",
            "overlap_rate",
            "disfluency_per_100_words",
            "room_similarity",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }

    #[test]
    fn too_little_speech_is_not_judged() {
        let t = transcript(vec![
            seg("agent", 0.0, 1.0, "hello"),
            seg("customer", 1.2, 2.0, "hi there"),
        ]);
        let (_, finding) = analyze_recording(&t, &[], 3.0);
        assert_eq!(finding.category, "not_enough_speech");
        assert_eq!(finding.severity, Severity::Info);
        assert!(finding.message.contains("not enough speech"));
    }

    #[test]
    fn an_undiarized_transcript_says_speakers_were_not_separated() {
        let mut t = scripted("I would like to hear more about the offer for my account please.");
        for s in &mut t.segments {
            s.speaker = None;
        }
        let (_, finding) = analyze_recording(&t, &[], 71.0);
        assert_eq!(finding.category, "staged_dialogue");
        assert!(finding.severity <= Severity::Low, "{finding:?}");
        assert!(
            finding.message.contains("speakers were not told apart"),
            "{}",
            finding.message
        );
        assert_eq!(finding.details["speakers_separated"], false);
        let names = signal_names(&finding);
        assert!(names.contains(&"script_formulas_in_opening"), "{names:?}");
        assert!(!names.contains(&"median_gap_s"), "{names:?}");
    }

    #[test]
    fn pasted_text_uses_lexical_signals_only_and_says_so() {
        let mut t =
            scripted("Um, well, I I think, uh, my bill is, er, too high this month, you know.");
        for s in &mut t.segments {
            s.start_s = None;
            s.end_s = None;
            if s.speaker.as_deref() == Some("agent") {
                s.text = "Let me check the account details for this month.".into();
            }
        }
        let finding = analyze_text(&t);
        assert!(finding.message.contains("timing was not available"));
        assert_eq!(finding.details["timing_available"], false);
        let names = signal_names(&finding);
        assert!(names.contains(&"disfluency_per_100_words"));
        assert!(!names.contains(&"median_gap_s"));
        assert_eq!(finding.details["level"], "unlikely");
    }

    #[test]
    fn cross_recording_links_same_voices_and_repeated_lines() {
        let line = "Hello, I would like to know the price of the premium plan for my card 4111.";
        let a = scripted(line);
        let b = scripted(line);
        let c = scripted("My internet keeps dropping every evening since the storm last week.");
        let voice = print_of(&synth_voice(120.0, 1.0, 1, 0.002, 8.0));
        let same = print_of(&synth_voice(120.0, 1.0, 2, 0.004, 8.0));
        let other = print_of(&synth_voice(210.0, 1.17, 3, 0.002, 8.0));
        let item = |path, transcript, customer_voice| RunItem {
            path,
            vendor: "v",
            transcript,
            customer_voice,
        };
        let found = cross_recording(&[
            item("a.wav", &a, Some(&voice)),
            item("b.wav", &b, Some(&same)),
            item("c.wav", &c, Some(&other)),
        ]);
        let kinds: Vec<(&str, &str, String)> = found
            .iter()
            .map(|(p, f)| {
                (
                    p.as_str(),
                    f.category.as_str(),
                    f.details["other_recording"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(
            kinds.contains(&("a.wav", "same_voice", "b.wav".into())),
            "{kinds:?}"
        );
        assert!(kinds.contains(&("b.wav", "same_voice", "a.wav".into())));
        assert!(kinds.contains(&("a.wav", "repeated_wording", "b.wav".into())));
        assert!(
            !kinds.iter().any(|(p, _, o)| *p == "c.wav" || o == "c.wav"),
            "{kinds:?}"
        );
        let repeated = &found
            .iter()
            .find(|(_, f)| f.category == "repeated_wording")
            .unwrap()
            .1;
        assert!(
            repeated.excerpt.as_ref().unwrap().contains("####"),
            "digits masked"
        );
    }

    #[test]
    fn links_between_vendors_are_information_only() {
        let line = "Hello, I would like to know the price of the premium plan for my card.";
        let (a, b) = (scripted(line), scripted(line));
        let voice = print_of(&synth_voice(120.0, 1.0, 1, 0.002, 8.0));
        let same = print_of(&synth_voice(120.0, 1.0, 2, 0.004, 8.0));
        let found = cross_recording(&[
            RunItem {
                path: "x/a.wav",
                vendor: "x",
                transcript: &a,
                customer_voice: Some(&voice),
            },
            RunItem {
                path: "y/b.wav",
                vendor: "y",
                transcript: &b,
                customer_voice: Some(&same),
            },
        ]);
        assert!(!found.is_empty());
        for (_, f) in &found {
            assert_eq!(f.severity, Severity::Info, "{}", f.message);
            assert_eq!(f.details[CROSS_VENDOR], true);
        }
    }

    #[test]
    fn an_unsplit_call_is_judged_but_never_counted() {
        let line = "I saw your special offer with a discount and I would like the premium subscription please.";
        let mut one_voice = scripted(line);
        for segment in &mut one_voice.segments {
            segment.speaker = Some("agent".into());
        }
        let (metrics, finding) = analyze_unsplit(&one_voice, &same_room(), 71.0);
        assert_eq!(metrics.speakers.len(), 1);
        assert_eq!(finding.kind, FindingKind::StagedDialogue);
        assert!(finding.severity <= Severity::Low, "{}", finding.message);
        assert_eq!(finding.details["speakers_separated"], false);
    }
}
