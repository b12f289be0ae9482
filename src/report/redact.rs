//! The one personal-data mask every output goes through: PII findings' spans blank out the transcript
//! text they point at (segment text, its words, and any excerpt or message quoting the raw value).

use std::collections::BTreeMap;
use std::ops::Range;

use crate::model::{Finding, FindingKind, Recording, Report, Segment};

/// The character that replaces every byte of masked text, so byte spans of other findings stay valid.
pub const MASK: char = '*';

/// Values shorter than this (bytes) are not searched for in excerpts and messages: too likely to hit words.
const MIN_QUOTED_SECRET_BYTES: usize = 4;

/// Masks personal data in every recording of the report.
pub fn mask_report(report: &mut Report) {
    for recording in &mut report.recordings {
        mask_recording(recording);
    }
}

/// Masks the transcript text at the recording's PII findings, then any quote of those values.
pub fn mask_recording(recording: &mut Recording) {
    let spans_by_segment = pii_spans_by_segment(&recording.findings);
    let Some(transcript) = recording.transcript.as_mut() else {
        return;
    };
    let mut secrets = Vec::new();
    for (index, spans) in spans_by_segment {
        if let Some(segment) = transcript.segments.get_mut(index) {
            secrets.extend(mask_segment(segment, &spans));
        }
    }
    secrets.retain(|s| s.trim().len() >= MIN_QUOTED_SECRET_BYTES);
    for finding in &mut recording.findings {
        for secret in &secrets {
            mask_quotes(&mut finding.message, secret);
            if let Some(excerpt) = finding.excerpt.as_mut() {
                mask_quotes(excerpt, secret);
            }
            for value in finding.details.values_mut() {
                mask_quotes_in_value(value, secret);
            }
        }
    }
}

/// PII spans (byte offsets) per segment index (`line` is segment index + 1).
fn pii_spans_by_segment(findings: &[Finding]) -> BTreeMap<usize, Vec<Range<usize>>> {
    let mut spans: BTreeMap<usize, Vec<Range<usize>>> = BTreeMap::new();
    for finding in findings {
        if let (FindingKind::Pii, Some([start, end]), Some(line)) =
            (finding.kind, finding.span, finding.line)
        {
            if line >= 1 && start < end {
                spans.entry(line - 1).or_default().push(start..end);
            }
        }
    }
    spans
}

/// Widens a byte range to whole characters of `text`, clamped to its length.
fn char_aligned(text: &str, range: &Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    let mut end = range.end.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Same byte length, every byte replaced by [`MASK`].
fn masked(len: usize) -> String {
    std::iter::repeat_n(MASK, len).collect()
}

/// Masks the spans in the segment text and the words that fall in them; returns the raw values masked.
fn mask_segment(segment: &mut Segment, spans: &[Range<usize>]) -> Vec<String> {
    let original = segment.text.clone();
    let spans: Vec<Range<usize>> = spans.iter().map(|s| char_aligned(&original, s)).collect();
    let mut secrets = Vec::new();
    for span in &spans {
        secrets.push(original[span.clone()].to_string());
        segment
            .text
            .replace_range(span.clone(), &masked(span.end - span.start));
    }
    mask_words(segment, &original, &spans);
    secrets
}

/// Finds each word in order in the original text; a word inside a span, or one that cannot be
/// placed, is masked (a segment with personal data errs on the side of hiding).
fn mask_words(segment: &mut Segment, original: &str, spans: &[Range<usize>]) {
    let mut cursor = 0;
    for word in &mut segment.words {
        let needle = word.text.trim();
        let found = (!needle.is_empty())
            .then(|| original[cursor..].find(needle))
            .flatten()
            .map(|at| cursor + at..cursor + at + needle.len());
        let hide = match &found {
            Some(range) => spans
                .iter()
                .any(|s| s.start < range.end && range.start < s.end),
            None => !needle.is_empty(),
        };
        if let Some(range) = found {
            cursor = range.end;
        }
        if hide {
            word.text = masked(word.text.len());
        }
    }
}

/// Masks quotes in every string inside a JSON value (a finding's stage-specific details).
fn mask_quotes_in_value(value: &mut serde_json::Value, secret: &str) {
    match value {
        serde_json::Value::String(text) => mask_quotes(text, secret),
        serde_json::Value::Array(items) => items
            .iter_mut()
            .for_each(|item| mask_quotes_in_value(item, secret)),
        serde_json::Value::Object(map) => map
            .values_mut()
            .for_each(|item| mask_quotes_in_value(item, secret)),
        _ => {}
    }
}

fn mask_quotes(text: &mut String, secret: &str) {
    if text.contains(secret) {
        *text = text.replace(secret, &masked(secret.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use crate::model::{Transcript, Word};

    fn word(text: &str) -> Word {
        Word {
            text: text.into(),
            start_s: 0.0,
            end_s: 0.0,
            p: 1.0,
        }
    }

    fn pii(line: usize, span: [usize; 2], excerpt: &str) -> Finding {
        let mut f = Finding::new(FindingKind::Pii, "card_number", Severity::High, "card");
        f.line = Some(line);
        f.span = Some(span);
        f.excerpt = Some(excerpt.into());
        f
    }

    fn recording_with(text: &str, words: &[&str], findings: Vec<Finding>) -> Recording {
        Recording {
            transcript: Some(Transcript {
                segments: vec![
                    Segment {
                        speaker: Some("agent".into()),
                        start_s: Some(0.0),
                        end_s: Some(2.0),
                        text: "Hello there.".into(),
                        words: vec![],
                    },
                    Segment {
                        speaker: Some("customer".into()),
                        start_s: Some(2.0),
                        end_s: Some(6.0),
                        text: text.into(),
                        words: words.iter().map(|w| word(w)).collect(),
                    },
                ],
                ..Transcript::default()
            }),
            findings,
            ..Recording::default()
        }
    }

    #[test]
    fn span_is_masked_in_text_words_and_quotes_keeping_byte_offsets() {
        let text = "my card is 4111 1111 1111 1111 ok";
        let start = text.find("4111").unwrap();
        let end = start + "4111 1111 1111 1111".len();
        let mut quoting = Finding::new(
            FindingKind::Manipulation,
            "x",
            Severity::Medium,
            "said 4111 1111 1111 1111",
        );
        quoting.excerpt = Some("card is 4111 1111 1111 1111".into());
        quoting.details.insert(
            "said".into(),
            serde_json::json!({"values": ["4111 1111 1111 1111"]}),
        );
        let mut rec = recording_with(
            text,
            &[
                " my", " card", " is", " 4111", " 1111", " 1111", " 1111", " ok",
            ],
            vec![pii(2, [start, end], "card is **** **** **** 1111"), quoting],
        );
        mask_recording(&mut rec);
        let segment = &rec.transcript.as_ref().unwrap().segments[1];
        assert_eq!(segment.text.len(), text.len());
        assert_eq!(segment.text, "my card is ******************* ok");
        let words: Vec<&str> = segment.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words[..3], [" my", " card", " is"]);
        assert!(words[3..7].iter().all(|w| !w.contains("1111")), "{words:?}");
        assert_eq!(words[7], " ok");
        assert!(!rec.findings[1].message.contains("1111 1111"));
        assert!(!rec.findings[1]
            .excerpt
            .as_ref()
            .unwrap()
            .contains("1111 1111"));
        assert_eq!(
            rec.transcript.as_ref().unwrap().segments[0].text,
            "Hello there."
        );
    }

    #[test]
    fn span_inside_a_multibyte_character_is_widened_not_panicking() {
        let text = "correo: josé@ejemplo.es";
        let start = text.find('é').unwrap() + 1;
        let mut rec = recording_with(text, &[], vec![pii(2, [start, text.len() + 5], "x")]);
        mask_recording(&mut rec);
        let masked_text = &rec.transcript.as_ref().unwrap().segments[1].text;
        assert!(masked_text.starts_with("correo: jos*"), "{masked_text}");
        assert!(!masked_text.contains("ejemplo"));
    }

    #[test]
    fn masking_twice_changes_nothing_more() {
        let text = "mail me at ann@example.com";
        let start = text.find("ann").unwrap();
        let mut rec = recording_with(text, &[], vec![pii(2, [start, text.len()], "x")]);
        mask_recording(&mut rec);
        let once = rec.clone();
        mask_recording(&mut rec);
        assert_eq!(rec, once);
    }
}
