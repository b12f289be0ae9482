//! The one personal-data mask every output goes through (report JSON, HTML, CSV, transcripts,
//! terminal, `scan`): PII findings' spans blank out the transcript text they point at (segment
//! text, its words, and any excerpt, message or detail quoting the raw value); and, whatever the
//! detectors found, any run of 6 or more digits (written, spoken in en/ru/es, or mixed, across
//! punctuation and across a segment split) is blanked too unless it reads as a price, date, time
//! or quantity.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use super::normalize::Normalized;
use super::numbers::numbers;
use super::rules::dfa_builder;
use crate::lang;
use crate::model::{Finding, FindingKind, Recording, Report, Segment, Transcript};

/// The character that replaces every byte of masked text, so byte spans of other findings stay valid.
pub const MASK: char = '*';

/// Values shorter than this (bytes) are not searched for in excerpts and messages: too likely to hit words.
const MIN_QUOTED_SECRET_BYTES: usize = 4;

/// Fewest digits of a number run that is masked whatever the detectors said.
pub const LONG_NUMBER_DIGITS: usize = 6;

/// Masks personal data in every recording of the report.
pub fn mask_report(report: &mut Report) {
    for recording in &mut report.recordings {
        mask_recording(recording);
    }
}

/// Masks the transcript text at the recording's PII findings and long numbers, then any quote of
/// those values.
pub fn mask_recording(recording: &mut Recording) {
    match recording.transcript.as_mut() {
        Some(transcript) => mask_transcript_findings(transcript, &mut recording.findings),
        None => recording.findings.iter_mut().for_each(mask_finding_text),
    }
}

/// Masks a transcript and the findings about it (`line` = segment index + 1, `span` in the
/// segment text): PII spans and long numbers in the text and words, and every quote of them in
/// the findings' messages, excerpts and details; then long numbers left in those strings.
pub fn mask_transcript_findings(transcript: &mut Transcript, findings: &mut [Finding]) {
    let spans_by_segment = masked_spans_by_segment(transcript, findings);
    let mut secrets: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (index, spans) in spans_by_segment {
        if let Some(segment) = transcript.segments.get_mut(index) {
            let mut values = mask_segment(segment, &spans);
            values.retain(|s| s.trim().len() >= MIN_QUOTED_SECRET_BYTES);
            values.sort_by_key(|s| std::cmp::Reverse(s.len()));
            secrets.insert(index, values);
        }
    }
    for finding in findings.iter_mut() {
        // A finding about a line quotes that line (or a value said across it and a neighbour);
        // one about the whole call may quote any.
        let quoted: Vec<&String> = match finding.line {
            Some(line) => secrets
                .range(line.saturating_sub(2)..=line)
                .flat_map(|(_, v)| v)
                .collect(),
            None => secrets.values().flatten().collect(),
        };
        for secret in quoted {
            mask_quotes(&mut finding.message, secret);
            if let Some(excerpt) = finding.excerpt.as_mut() {
                mask_quotes(excerpt, secret);
            }
            for value in finding.details.values_mut() {
                mask_quotes_in_value(value, secret);
            }
        }
        mask_finding_text(finding);
    }
}

/// The byte spans the mask blanks in each segment's text (by segment index): the PII findings'
/// spans (`line` = segment index + 1) and the long numbers, widened to whole characters. The text
/// mask and `--redact-audio` both start from this, so they hide the same things.
pub fn masked_spans_by_segment(
    transcript: &Transcript,
    findings: &[Finding],
) -> BTreeMap<usize, Vec<Range<usize>>> {
    let mut spans_by_segment = pii_spans_by_segment(findings);
    let runs = segment_number_runs(&transcript.segments);
    for (index, spans) in long_number_spans_by_segment(&runs) {
        spans_by_segment.entry(index).or_default().extend(spans);
    }
    extend_over_number_tails(&transcript.segments, &runs, &mut spans_by_segment);
    spans_by_segment.retain(|index, spans| match transcript.segments.get(*index) {
        Some(segment) => {
            for span in spans.iter_mut() {
                *span = char_aligned(&segment.text, span);
            }
            true
        }
        None => false,
    });
    spans_by_segment
}

/// The times (start, end seconds) of the personal data the mask blanks: each masked word's
/// timing (a word that cannot be placed in the text counts as masked, as in the text mask), or
/// the whole segment when it has no word timing. Computed on the unmasked transcript.
pub fn masked_times(transcript: &Transcript, findings: &[Finding]) -> Vec<(f64, f64)> {
    let mut times = Vec::new();
    for (index, spans) in masked_spans_by_segment(transcript, findings) {
        let segment = &transcript.segments[index];
        if spans.is_empty() {
            continue;
        }
        if segment.words.is_empty() {
            if let (Some(start), Some(end)) = (segment.start_s, segment.end_s) {
                times.push((start, end));
            }
            continue;
        }
        let hidden = hidden_words(segment, &segment.text, &spans);
        for (word, hide) in segment.words.iter().zip(hidden) {
            if hide {
                times.push((word.start_s, word.end_s));
            }
        }
    }
    times
}

/// End times (seconds) of the words that complete a personal-data cue of any language (the
/// `[pii.cues]` lists: "tarjeta", "phone", "date of birth", ...), matched as word starts on the
/// folded words; a segment without word timing counts at its end.
pub fn cue_times(transcript: &Transcript) -> Vec<f64> {
    let mut tokens: Vec<(String, f64)> = Vec::new();
    for segment in &transcript.segments {
        for (text, _, end) in timed_pieces(segment) {
            for token in Normalized::fold(text, false).split_whitespace() {
                tokens.push((token.to_string(), end));
            }
        }
    }
    let cues = cue_phrases();
    let mut times = Vec::new();
    for at in 0..tokens.len() {
        for cue in cues {
            let fits = at + cue.len() <= tokens.len()
                && cue
                    .iter()
                    .zip(&tokens[at..])
                    .all(|(c, (t, _))| t.starts_with(c.as_str()));
            if fits {
                times.push(tokens[at + cue.len() - 1].1);
            }
        }
    }
    times.dedup();
    times
}

/// A segment's words with their times (text, start, end seconds), or the whole segment as one
/// piece when whisper gave no word timing (nothing when it has no times at all).
pub fn timed_pieces(segment: &Segment) -> Vec<(&str, f64, f64)> {
    if segment.words.is_empty() {
        segment
            .start_s
            .zip(segment.end_s)
            .map(|(start, end)| (segment.text.as_str(), start, end))
            .into_iter()
            .collect()
    } else {
        segment
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.start_s, w.end_s))
            .collect()
    }
}

/// Every language's personal-data cues, folded, split into words.
fn cue_phrases() -> &'static [Vec<String>] {
    static CUES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    CUES.get_or_init(|| {
        let mut cues: Vec<Vec<String>> = lang::all()
            .iter()
            .flat_map(|l| l.pii.cues.every_list())
            .flatten()
            .map(|cue| {
                Normalized::fold(cue, false)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<String>>()
            })
            .filter(|words| !words.is_empty())
            .collect();
        cues.sort();
        cues.dedup();
        cues
    })
}

/// Masks long numbers in a finding's message, excerpt and details (for findings with no
/// transcript behind them, and as the last pass over every finding).
pub fn mask_finding_text(finding: &mut Finding) {
    mask_long_numbers(&mut finding.message);
    if let Some(excerpt) = finding.excerpt.as_mut() {
        mask_long_numbers(excerpt);
    }
    for value in finding.details.values_mut() {
        visit_strings(value, &mut mask_long_numbers);
    }
}

/// Blanks every long number of `text` (see [`long_number_spans`]) with [`MASK`], byte for byte.
pub fn mask_long_numbers(text: &mut String) {
    for span in long_number_spans(text) {
        text.replace_range(span.clone(), &masked(span.end - span.start));
    }
}

/// Numbers said one after another: written or spoken, joined across punctuation and dropped
/// filler words (not across other words or a [`MASK`]).
#[derive(Debug, Clone, PartialEq)]
struct NumberRun {
    /// Byte range in the text.
    span: Range<usize>,
    digits: usize,
    /// Read as a price, date, time or quantity.
    safe: bool,
    /// Only spaces and punctuation before it / after it in the text.
    at_start: bool,
    at_end: bool,
}

fn number_runs(text: &str) -> Vec<NumberRun> {
    let norm = Normalized::new(text);
    let folded = norm.text();
    let mut runs: Vec<(Range<usize>, Range<usize>, usize)> = Vec::new();
    let mut last_folded_end = usize::MAX;
    for number in numbers(&norm) {
        let (start, end) = norm.original_span(number.start, number.end, text);
        let joined = last_folded_end != usize::MAX
            && folded[last_folded_end..number.start].trim().is_empty()
            && runs
                .last()
                .is_some_and(|(span, _, _)| !text[span.end.min(start)..start].contains(MASK));
        match runs.last_mut() {
            Some((span, folded_span, digits)) if joined => {
                span.end = end;
                folded_span.end = number.end;
                *digits += number.digits.len();
            }
            _ => runs.push((start..end, number.start..number.end, number.digits.len())),
        }
        last_folded_end = number.end;
    }
    let edge = |s: &str| s.chars().all(|c| !c.is_alphanumeric() && c != MASK);
    runs.into_iter()
        .map(|(span, folded_span, digits)| NumberRun {
            safe: is_quantity(text, &span, folded, &folded_span),
            at_start: edge(&text[..span.start]),
            at_end: edge(&text[span.end..]),
            span,
            digits,
        })
        .collect()
}

/// Byte ranges of `text` holding [`LONG_NUMBER_DIGITS`] or more digits in a row (written, spoken,
/// mixed; across punctuation) that do not read as a price, date, time or quantity.
pub fn long_number_spans(text: &str) -> Vec<Range<usize>> {
    if !might_hold_a_number(text) {
        return Vec::new();
    }
    number_runs(text)
        .into_iter()
        .filter(|r| r.digits >= LONG_NUMBER_DIGITS && !r.safe)
        .map(|r| r.span)
        .collect()
}

/// Cheap pre-check before folding: a digit, or a number word of some language (as written, or
/// capitalised, or without accents) standing as a word.
fn might_hold_a_number(text: &str) -> bool {
    if text.bytes().any(|b| b.is_ascii_digit()) {
        return true;
    }
    let words = number_word_finder();
    let is_letter = |c: Option<char>| c.is_some_and(char::is_alphabetic);
    words.find_iter(text).any(|m| {
        !is_letter(text[..m.start()].chars().next_back())
            && !is_letter(text[m.end()..].chars().next())
    })
}

/// Every language's number words (`[numbers]`), lower-case, capitalised, upper-case and without
/// accents, in one automaton.
fn number_word_finder() -> &'static aho_corasick::AhoCorasick {
    static FINDER: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    FINDER.get_or_init(|| {
        let mut forms = Vec::new();
        for l in lang::all() {
            let n = &l.numbers;
            let words = [&n.units, &n.teens, &n.tens, &n.compound_tens, &n.hundreds]
                .into_iter()
                .flatten()
                .flatten()
                .chain(
                    n.hundred
                        .iter()
                        .chain(&n.thousand)
                        .chain(&n.double)
                        .chain(&n.triple),
                );
            for w in words {
                let plain: String = w.chars().map(strip_accent).collect();
                for form in [w.clone(), plain] {
                    let mut chars = form.chars();
                    let capital: String = chars
                        .next()
                        .map(|c| c.to_uppercase().chain(chars).collect())
                        .unwrap_or_default();
                    forms.push(form.to_uppercase());
                    forms.push(capital);
                    forms.push(form);
                }
            }
        }
        forms.sort();
        forms.dedup();
        dfa_builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&forms)
            .expect("number words build an automaton")
    })
}

fn strip_accent(c: char) -> char {
    match c {
        'á' => 'a',
        'é' => 'e',
        'í' => 'i',
        'ó' => 'o',
        'ú' => 'u',
        'ё' => 'е',
        _ => c,
    }
}

/// The number runs of each segment (read once: the long-number spans and the number tails both
/// start from them).
fn segment_number_runs(segments: &[Segment]) -> Vec<Vec<NumberRun>> {
    segments
        .iter()
        .map(|s| {
            if might_hold_a_number(&s.text) {
                number_runs(&s.text)
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// Long-number spans per segment index (`runs`: each segment's number runs), including a number
/// split between two consecutive segments (each side too short alone, together 6+ digits).
fn long_number_spans_by_segment(runs: &[Vec<NumberRun>]) -> BTreeMap<usize, Vec<Range<usize>>> {
    let mut spans: BTreeMap<usize, Vec<Range<usize>>> = BTreeMap::new();
    let mut previous: Option<&NumberRun> = None;
    for (index, runs) in runs.iter().enumerate() {
        for run in runs
            .iter()
            .filter(|r| r.digits >= LONG_NUMBER_DIGITS && !r.safe)
        {
            spans.entry(index).or_default().push(run.span.clone());
        }
        if let (Some(before), Some(first)) = (&previous, runs.first()) {
            if first.at_start
                && !before.safe
                && !first.safe
                && before.digits + first.digits >= LONG_NUMBER_DIGITS
            {
                spans
                    .entry(index - 1)
                    .or_default()
                    .push(before.span.clone());
                spans.entry(index).or_default().push(first.span.clone());
            }
        }
        previous = runs.last().filter(|r| r.at_end);
    }
    spans
}

/// Most words between a masked span and a number after it that still make the number its tail.
const TAIL_GAP_WORDS: usize = 2;

/// Longest word (characters) that may stand between a masked span and its tail: whisper garbles
/// spoken digits into short words ("dos dos" heard as "nos nos").
const TAIL_GAP_WORD_CHARS: usize = 4;

/// Extends every masked span over the number that follows it (any length, not a price, date or
/// quantity) when at most [`TAIL_GAP_WORDS`] short words stand between them, in the same segment
/// or across into the next one, and again from there: the rest of a card number read out after
/// a misheard digit or a pause is part of it. `runs` holds each segment's number runs.
fn extend_over_number_tails(
    segments: &[Segment],
    runs: &[Vec<NumberRun>],
    spans: &mut BTreeMap<usize, Vec<Range<usize>>>,
) {
    let mut ends: Vec<(usize, usize)> = spans
        .iter()
        .flat_map(|(index, list)| list.iter().map(move |span| (*index, span.end)))
        .collect();
    while let Some((index, end)) = ends.pop() {
        let Some(segment) = segments.get(index) else {
            continue;
        };
        let text = &segment.text;
        let end = end.min(text.len());
        let next_here = runs[index].iter().find(|r| r.span.start >= end);
        if let Some(run) = next_here {
            if !run.safe && gap_words(&text[end..run.span.start]) <= TAIL_GAP_WORDS {
                spans.entry(index).or_default().push(end..run.span.end);
                ends.push((index, run.span.end));
            }
            continue;
        }
        let words_left = gap_words(&text[end..]);
        let Some((next_text, run)) = segments
            .get(index + 1)
            .zip(runs.get(index + 1).and_then(|r| r.first()))
            .map(|(s, r)| (&s.text, r))
        else {
            continue;
        };
        if !run.safe && words_left + gap_words(&next_text[..run.span.start]) <= TAIL_GAP_WORDS {
            if end < text.len() {
                spans.entry(index).or_default().push(end..text.len());
            }
            spans.entry(index + 1).or_default().push(0..run.span.end);
            ends.push((index + 1, run.span.end));
        }
    }
}

/// How many words a gap between a masked span and a number holds; one longer than
/// [`TAIL_GAP_WORD_CHARS`] counts as too many.
fn gap_words(gap: &str) -> usize {
    let words = gap
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    let mut count = 0;
    for word in words {
        if word.chars().count() > TAIL_GAP_WORD_CHARS {
            return usize::MAX / 2;
        }
        count += 1;
    }
    count
}

/// Whether a number run reads as a price, date, time or quantity: a unit or currency word right
/// after it or a currency right before it (the `[facts]` unit lists of the language files, the
/// words the facts engine reads claims by), or the shape of a date or a clock time.
fn is_quantity(text: &str, span: &Range<usize>, folded: &str, folded_span: &Range<usize>) -> bool {
    static DATE_OR_TIME: OnceLock<regex::Regex> = OnceLock::new();
    let shape = DATE_OR_TIME.get_or_init(|| {
        regex::Regex::new(r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?)$")
            .expect("built-in date pattern compiles")
    });
    if shape.is_match(&text[span.clone()]) {
        return true;
    }
    let next = folded[folded_span.end..].split_ascii_whitespace().next();
    let before = folded[..folded_span.start]
        .split_ascii_whitespace()
        .next_back();
    let units = unit_words();
    next.is_some_and(|w| units.iter().any(|u| w.starts_with(u.as_str())))
        || before.is_some_and(|w| CURRENCY_CODES.contains(&w))
}

/// Currency words the fold writes for `$`, `€`, `₽`, and ISO codes said as words.
const CURRENCY_CODES: [&str; 3] = ["usd", "eur", "rub"];

/// Word starts of every language's units of time, money and percent (`[facts]`), folded, plus the
/// currency codes and the fold's word for `%`.
fn unit_words() -> &'static [String] {
    static UNITS: OnceLock<Vec<String>> = OnceLock::new();
    UNITS.get_or_init(|| {
        let lists: [fn(&lang::Facts) -> &[String]; 9] = [
            |f| &f.hour,
            |f| &f.day,
            |f| &f.week,
            |f| &f.month,
            |f| &f.year,
            |f| &f.percent,
            |f| &f.rub,
            |f| &f.usd,
            |f| &f.eur,
        ];
        let mut words: Vec<String> = lists
            .iter()
            .flat_map(|list| lang::all().iter().flat_map(|l| list(&l.facts)))
            .map(|w| Normalized::fold(w, false))
            .collect();
        words.extend(CURRENCY_CODES.iter().map(|c| c.to_string()));
        words.push("percent".into());
        words.sort();
        words.dedup();
        words
    })
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
    let hidden = hidden_words(segment, original, spans);
    for (word, hide) in segment.words.iter_mut().zip(hidden) {
        if hide {
            word.text = masked(word.text.len());
        }
    }
}

/// Which of the segment's words the mask hides: each word is found in order in the original
/// text; one inside a span, or one that cannot be placed, is hidden.
fn hidden_words(segment: &Segment, original: &str, spans: &[Range<usize>]) -> Vec<bool> {
    let mut cursor = 0;
    let mut hidden = Vec::with_capacity(segment.words.len());
    for word in &segment.words {
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
        hidden.push(hide);
    }
    hidden
}

/// Masks quotes in every string inside a JSON value (a finding's stage-specific details).
fn mask_quotes_in_value(value: &mut serde_json::Value, secret: &str) {
    visit_strings(value, &mut |text| mask_quotes(text, secret));
}

/// Calls `f` on every string inside a JSON value.
fn visit_strings(value: &mut serde_json::Value, f: &mut impl FnMut(&mut String)) {
    match value {
        serde_json::Value::String(text) => f(text),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| visit_strings(item, f)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|item| visit_strings(item, f)),
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

    fn blanked(text: &str) -> String {
        let mut t = text.to_string();
        mask_long_numbers(&mut t);
        t
    }

    #[test]
    fn long_numbers_are_masked_in_digits_words_and_mixed_across_punctuation() {
        assert_eq!(blanked("ref 123456 ok"), "ref ****** ok");
        assert_eq!(
            blanked("it's 4,111,111,111,111,111."),
            "it's *********************."
        );
        assert_eq!(blanked("5.4.69, 0.4.001 thanks"), "*************** thanks");
        assert_eq!(blanked("ref 12345 ok"), "ref 12345 ok");
        for spoken in [
            "number four one one one two two please",
            "номер восемь девятьсот шестнадцать сто двадцать три пожалуйста",
            "número cinco cuatro seis nueve cero uno por favor",
            "code 41 one one two two",
            "Número Cinco cuatro seis nueve cero uno",
        ] {
            let masked = blanked(spoken);
            assert_eq!(masked.len(), spoken.len());
            let words_left = masked.split(' ').filter(|w| !w.contains(MASK)).count();
            assert!(masked.contains("******"), "{spoken} -> {masked}");
            assert!(words_left <= 3, "{spoken} -> {masked}");
        }
    }

    #[test]
    fn prices_dates_times_and_quantities_stay() {
        for safe in [
            "the price is 1,500,000 rubles",
            "it costs $1,250,000 in total",
            "delivery on 15.03.2025 at 10:30:15",
            "стоимость 1 500 000 рублей",
            "garantía de 120000 horas",
            "we have a meeting on 2025-03-15",
        ] {
            assert_eq!(blanked(safe), safe);
        }
    }

    #[test]
    fn a_number_split_between_two_segments_is_masked_on_both_sides() {
        let mut rec = recording_with("123 45", &[" 123", " 45"], vec![]);
        let transcript = rec.transcript.as_mut().unwrap();
        transcript.segments[0].text = "my number is 4 22".into();
        transcript.segments[1].text = "123 45, ok".into();
        mask_recording(&mut rec);
        let segments = &rec.transcript.as_ref().unwrap().segments;
        assert_eq!(segments[0].text, "my number is ****");
        assert_eq!(segments[1].text, "******, ok");
        assert!(segments[1].words.iter().all(|w| w.text.contains(MASK)));
    }

    #[test]
    fn the_tail_of_a_masked_number_is_masked_across_garbled_words_and_a_segment_split() {
        let mut rec = recording_with("Vale, mi tarjeta es 5.4.69.04.001.1.0.", &[], vec![]);
        let transcript = rec.transcript.as_mut().unwrap();
        let mut tail = transcript.segments[1].clone();
        tail.text = "Nos nos, tres, tres, cuatro, tres.".into();
        let mut after = transcript.segments[1].clone();
        after.text = "Gracias, son 19 euros y llega en dos días.".into();
        transcript.segments.push(tail);
        transcript.segments.push(after);
        mask_recording(&mut rec);
        let segments = &rec.transcript.as_ref().unwrap().segments;
        assert_eq!(segments[1].text, "Vale, mi tarjeta es ******************");
        assert_eq!(segments[2].text, format!("{}.", masked(33)));
        assert_eq!(
            segments[3].text,
            "Gracias, son 19 euros y llega en dos días."
        );
    }

    #[test]
    fn cue_times_are_the_ends_of_personal_data_cue_words_in_every_language() {
        let timed = |text: &str, start: f64| Word {
            text: text.into(),
            start_s: start,
            end_s: start + 0.5,
            p: 1.0,
        };
        let segment = |words: &[&str], from: f64| Segment {
            speaker: None,
            start_s: Some(from),
            end_s: Some(from + words.len() as f64),
            text: words.join(" "),
            words: words
                .iter()
                .enumerate()
                .map(|(i, w)| timed(w, from + i as f64))
                .collect(),
        };
        let transcript = Transcript {
            segments: vec![
                segment(&["Gracias,", "Teléfono", "y", "correo."], 0.0),
                segment(&["my", "date", "of", "birth", "is"], 10.0),
                segment(&["ваш", "номер", "телефона"], 20.0),
                segment(&["nice", "weather", "today"], 30.0),
            ],
            ..Transcript::default()
        };
        assert_eq!(cue_times(&transcript), vec![1.5, 3.5, 13.5, 21.5, 22.5]);
    }

    #[test]
    fn a_number_after_a_long_word_or_three_words_is_not_a_tail() {
        for text in [
            "ref 123456 gracias tres",
            "ref 123456 y son las dos",
            "ref 123456, y cuesta 20 euros",
        ] {
            let mut rec = recording_with(text, &[], vec![]);
            mask_recording(&mut rec);
            let masked = &rec.transcript.as_ref().unwrap().segments[1].text;
            assert_eq!(masked, &text.replace("123456", "******"), "{text}");
        }
    }

    #[test]
    fn excerpts_and_messages_lose_long_numbers_left_by_the_detectors() {
        let mut quoting = Finding::new(
            FindingKind::Manipulation,
            "x",
            Severity::Medium,
            "the agent read out 9876543210",
        );
        quoting.excerpt = Some("call 9876 5432 10 now".into());
        let mut rec = recording_with("nothing here", &[], vec![quoting]);
        mask_recording(&mut rec);
        assert!(!rec.findings[0].message.contains("9876"));
        assert_eq!(
            rec.findings[0].excerpt.as_deref(),
            Some("call ************ now")
        );
    }

    #[test]
    fn masked_times_are_the_times_of_the_words_the_text_mask_hides() {
        let timed = |text: &str, start: f64| Word {
            text: text.into(),
            start_s: start,
            end_s: start + 0.4,
            p: 1.0,
        };
        let mut transcript = Transcript {
            segments: vec![
                Segment {
                    speaker: None,
                    start_s: Some(0.0),
                    end_s: Some(3.0),
                    text: "Call me at 555 123 456 please".into(),
                    words: ["Call", "me", "at", "555", "123", "456", "please"]
                        .iter()
                        .enumerate()
                        .map(|(i, w)| timed(w, i as f64 * 0.5))
                        .collect(),
                },
                Segment {
                    speaker: None,
                    start_s: Some(4.0),
                    end_s: Some(6.0),
                    text: "My name is Ann Lee".into(),
                    words: vec![],
                },
            ],
            ..Transcript::default()
        };
        let findings = vec![pii(2, [11, 18], "Ann Lee")];
        let spans = masked_spans_by_segment(&transcript, &findings);
        assert_eq!(spans[&0], vec![11..22]);
        assert_eq!(spans[&1], vec![11..18]);
        let times = masked_times(&transcript, &findings);
        assert_eq!(times, vec![(1.5, 1.9), (2.0, 2.4), (2.5, 2.9), (4.0, 6.0)]);
        // The text mask hides exactly those words.
        let mut findings = findings;
        mask_transcript_findings(&mut transcript, &mut findings);
        let hidden: Vec<bool> = transcript.segments[0]
            .words
            .iter()
            .map(|w| w.text.starts_with(MASK))
            .collect();
        assert_eq!(hidden, [false, false, false, true, true, true, false]);
    }
}
