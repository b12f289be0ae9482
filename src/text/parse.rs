//! Turns pasted or saved transcripts into a [`Transcript`]: plain text, "Speaker: text" lines,
//! SRT, WebVTT and callqa JSON, remembering where each segment came from in the input.

use std::sync::OnceLock;

use regex::Regex;

use super::json_input::{read_json, JsonError};
use crate::model::{Segment, Transcript};

/// How an input is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Decide from the content.
    Auto,
    /// One segment per non-empty line, no speakers.
    Text,
    /// "Speaker: text" lines (lines without a prefix continue the previous speaker).
    SpeakerLines,
    Srt,
    Vtt,
    /// A callqa transcript (`{"segments": [...]}`) or anything with a `transcript` field.
    Json,
}

impl InputFormat {
    /// Every layout, `Auto` first (the fuzz target and the mutation tests pick from these).
    pub const ALL: [InputFormat; 6] = [
        InputFormat::Auto,
        InputFormat::Text,
        InputFormat::SpeakerLines,
        InputFormat::Srt,
        InputFormat::Vtt,
        InputFormat::Json,
    ];

    /// The format a file name suggests (`.srt`, `.vtt`, `.json`), else `Auto`.
    pub fn from_extension(name: &str) -> Self {
        let lower = name.to_lowercase();
        if lower.ends_with(".srt") {
            Self::Srt
        } else if lower.ends_with(".vtt") {
            Self::Vtt
        } else if lower.ends_with(".json") {
            Self::Json
        } else {
            Self::Auto
        }
    }
}

/// Where a segment came from in the input text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSource {
    /// 1-based line of the segment's first text line.
    pub line: usize,
    /// Byte offset of the segment text in the input, when the text is a verbatim slice of it.
    pub offset: Option<usize>,
}

/// A parsed input: the transcript and, per segment, where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedInput {
    pub transcript: Transcript,
    pub sources: Vec<SegmentSource>,
}

/// A malformed input, with the 1-based line where parsing failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Lines with their 1-based number and byte offset, line endings removed.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        let start = offset;
        offset += raw.len();
        (i + 1, start, raw.trim_end_matches(['\n', '\r']))
    })
}

/// Parses `text` in `format` (detected from the content when `Auto`).
pub fn parse_input(text: &str, format: InputFormat) -> Result<ParsedInput, ParseError> {
    let stripped = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = PieceStart {
        offset: text.len() - stripped.len(),
        ..PieceStart::default()
    };
    parse_piece(stripped, detect_format(stripped, format), &start)
}

/// Where a piece of a long input starts: the lines and bytes before it, and the speaker of the
/// last segment before it (a line without a "Speaker:" prefix continues that speaker).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PieceStart {
    /// Lines before the piece (0 for the first).
    pub line: usize,
    /// Bytes before the piece.
    pub offset: usize,
    pub speaker: Option<String>,
}

/// Parses one piece of an input in an already decided `format` (see [`detect_format`]): the
/// whole input, or a run of whole lines cut where a segment ends (after a blank line for SRT and
/// WebVTT). Lines and offsets count from the start of the input.
pub fn parse_piece(
    text: &str,
    format: InputFormat,
    start: &PieceStart,
) -> Result<ParsedInput, ParseError> {
    let first = start.line == 0;
    let mut parsed = match format {
        InputFormat::Json => parse_json(text),
        InputFormat::Srt => parse_cues(text, false, false),
        InputFormat::Vtt => parse_cues(text, true, first),
        InputFormat::SpeakerLines => Ok(parse_lines(text, Some(start.speaker.clone()))),
        InputFormat::Text | InputFormat::Auto => Ok(parse_lines(text, None)),
    }
    .map_err(|e| ParseError {
        line: e.line + start.line,
        ..e
    })?;
    for source in &mut parsed.sources {
        source.line += start.line;
        source.offset = source.offset.map(|o| o + start.offset);
    }
    Ok(parsed)
}

/// Longest speaker name, in characters, a "Name: text" prefix may have.
const MAX_SPEAKER_CHARS: usize = 31;

fn is_name_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | ' ' | '.' | '_' | '-' => true,
        'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => true,
        _ => !c.is_ascii() && c.is_alphanumeric(),
    }
}

/// A "Speaker: " prefix (optionally `[Speaker]:`): the trimmed name and the byte offset where
/// the text after it starts. The name starts with a letter and has at most
/// [`MAX_SPEAKER_CHARS`] letters, digits, spaces, `.`, `_` or `-`; the colon (`:` or `：`) must
/// be followed by whitespace. Hand-written because it runs on every line of a pasted transcript.
fn speaker_prefix(line: &str) -> Option<(&str, usize)> {
    let after_space = line.trim_start();
    let open = usize::from(after_space.starts_with('['));
    let name_start = line.len() - after_space.len() + open;
    let rest = &line[name_start..];
    if !rest.chars().next()?.is_alphabetic() {
        return None;
    }
    let name_len: usize = rest
        .chars()
        .take(MAX_SPEAKER_CHARS)
        .take_while(|c| is_name_char(*c))
        .map(char::len_utf8)
        .sum();
    let tail = &rest[name_len..];
    let tail = tail.strip_prefix(']').unwrap_or(tail).trim_start();
    let after_colon = tail.strip_prefix([':', '：'])?;
    let text = after_colon.trim_start();
    if text.len() == after_colon.len() {
        return None;
    }
    let name = rest[..name_len].trim();
    Some((name, line.len() - text.len()))
}

/// The layout of an input (`format`, or the one its start shows when `Auto`), judged on its
/// first lines: a leading `{`, `WEBVTT`, an SRT cue, or "Speaker:" prefixes on most of the
/// first 50 lines.
pub fn detect_format(text: &str, format: InputFormat) -> InputFormat {
    if format != InputFormat::Auto {
        return format;
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return InputFormat::Json;
    }
    if trimmed.starts_with("WEBVTT") {
        return InputFormat::Vtt;
    }
    let mut first_lines = trimmed.lines().filter(|l| !l.trim().is_empty());
    if let (Some(a), Some(b)) = (first_lines.next(), first_lines.next()) {
        if a.trim().chars().all(|c| c.is_ascii_digit()) && b.contains("-->") {
            return InputFormat::Srt;
        }
    }
    let sample: Vec<&str> = trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    let prefixed = sample
        .iter()
        .filter(|l| speaker_prefix(l).is_some())
        .count();
    if !sample.is_empty() && prefixed * 2 >= sample.len() {
        InputFormat::SpeakerLines
    } else {
        InputFormat::Text
    }
}

/// One segment per non-empty line; with `speakers` (the speaker before the text, if any),
/// "Speaker:" prefixes are read and a line without one continues the previous speaker.
fn parse_lines(text: &str, speakers: Option<Option<String>>) -> ParsedInput {
    // One segment per non-empty line: sized once, not regrown (a long text's segments are the
    // largest thing a scan holds).
    let lines = text.bytes().filter(|b| *b == b'\n').count() + 1;
    let mut transcript = Transcript {
        segments: Vec::with_capacity(lines),
        ..Transcript::default()
    };
    let mut sources = Vec::with_capacity(lines);
    let with_speakers = speakers.is_some();
    let mut speaker: Option<String> = speakers.flatten();
    for (line, offset, content) in lines_with_offsets(text) {
        if content.trim().is_empty() {
            continue;
        }
        let mut body_start = 0;
        if with_speakers {
            if let Some((name, end)) = speaker_prefix(content) {
                if speaker.as_deref() != Some(name) {
                    speaker = Some(name.to_string());
                }
                body_start = end;
            }
        }
        let body = &content[body_start..];
        let lead = body.len() - body.trim_start().len();
        transcript.segments.push(Segment {
            speaker: speaker.clone(),
            start_s: None,
            end_s: None,
            text: body.trim().to_string(),
            words: Vec::new(),
        });
        sources.push(SegmentSource {
            line,
            offset: Some(offset + body_start + lead),
        });
    }
    ParsedInput {
        transcript,
        sources,
    }
}

/// Parses an SRT or VTT timestamp (`00:01:02,500`, `01:02.500`) into seconds.
fn parse_timestamp(s: &str) -> Option<f64> {
    let s = s.trim().replace(',', ".");
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m, sec] => (
            h.parse::<f64>().ok()?,
            m.parse::<f64>().ok()?,
            sec.parse::<f64>().ok()?,
        ),
        [m, sec] => (0.0, m.parse::<f64>().ok()?, sec.parse::<f64>().ok()?),
        _ => return None,
    };
    let seconds = h * 3600.0 + m * 60.0 + sec;
    (m < 60.0 && sec < 60.0 && h >= 0.0 && sane_time(seconds)).then_some(seconds)
}

/// Longest time a transcript may carry, seconds (a week: no call is longer).
const MAX_TIME_S: f64 = 7.0 * 24.0 * 3600.0;

/// A time that can be in a call: finite, 0 to [`MAX_TIME_S`] seconds.
fn sane_time(seconds: f64) -> bool {
    (0.0..=MAX_TIME_S).contains(&seconds)
}

/// Refuses segment and word times that are negative, infinite or absurd (±1e308), naming the
/// segment (1-based).
/// Checks every time of `transcript`'s segments, numbered after `before` segments: an error names
/// the first segment with a time out of range.
pub(super) fn check_times(transcript: &Transcript, before: usize) -> Result<(), ParseError> {
    for (i, segment) in transcript.segments.iter().enumerate() {
        let words = segment
            .words
            .iter()
            .flat_map(|w| [Some(w.start_s), Some(w.end_s)]);
        let bad = [segment.start_s, segment.end_s]
            .into_iter()
            .chain(words)
            .flatten()
            .find(|t| !sane_time(*t));
        if let Some(time) = bad {
            let number = before + i + 1;
            return Err(ParseError {
                line: number,
                message: format!(
                    "segment {number}: time {time} s is not between 0 and {MAX_TIME_S} s; fix the transcript's times"
                ),
            });
        }
    }
    Ok(())
}

fn parse_timing(line: &str) -> Option<(f64, f64)> {
    let (a, rest) = line.split_once("-->")?;
    let b = rest.split_whitespace().next()?;
    let (start, end) = (parse_timestamp(a)?, parse_timestamp(b)?);
    (end >= start).then_some((start, end))
}

fn voice_tag() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^<v(?:\.[^ >]*)?\s+([^>]+)>").expect("voice tag pattern compiles")
    })
}

fn strip_tags(s: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"</?[a-zA-Z][^>]*>").expect("tag pattern compiles"))
        .replace_all(s, "")
        .into_owned()
}

/// SRT (index, timing, text) or WebVTT (header, optional id, timing, text) cues.
/// SRT (`vtt` false) or WebVTT cues; `header`: the text starts the file, so a WebVTT one must
/// open with `WEBVTT`.
fn parse_cues(text: &str, vtt: bool, header: bool) -> Result<ParsedInput, ParseError> {
    let lines: Vec<(usize, usize, &str)> = lines_with_offsets(text).collect();
    let mut transcript = Transcript::default();
    let mut sources = Vec::new();
    let mut i = 0;
    if header {
        match lines.first() {
            Some((_, _, l)) if l.trim_start_matches('\u{feff}').starts_with("WEBVTT") => i = 1,
            _ => {
                return Err(ParseError {
                    line: 1,
                    message: "a WebVTT file must start with WEBVTT".into(),
                })
            }
        }
    }
    while i < lines.len() {
        let (line_no, _, line) = lines[i];
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        if vtt
            && (line.starts_with("NOTE") || line.starts_with("STYLE") || line.starts_with("REGION"))
        {
            while i < lines.len() && !lines[i].2.trim().is_empty() {
                i += 1;
            }
            continue;
        }
        let timing_at = if line.contains("-->") { i } else { i + 1 };
        if !vtt && timing_at == i + 1 && !line.trim().chars().all(|c| c.is_ascii_digit()) {
            return Err(ParseError {
                line: line_no,
                message: format!("expected an SRT cue number, found {:?}", truncate(line)),
            });
        }
        let Some(&(timing_line, _, timing)) = lines.get(timing_at) else {
            return Err(ParseError {
                line: line_no,
                message: "cue without a timing line".into(),
            });
        };
        let (start, end) = parse_timing(timing).ok_or_else(|| ParseError {
            line: timing_line,
            message: format!(
                "malformed cue timing {:?} (expected 00:00:01,000 --> 00:00:02,000)",
                truncate(timing)
            ),
        })?;
        i = timing_at + 1;
        let first_text = i;
        let mut body: Vec<&str> = Vec::new();
        while i < lines.len() && !lines[i].2.trim().is_empty() {
            body.push(lines[i].2);
            i += 1;
        }
        if body.is_empty() {
            continue;
        }
        push_cue(
            &mut transcript,
            &mut sources,
            &body,
            lines[first_text],
            (start, end),
        );
    }
    Ok(ParsedInput {
        transcript,
        sources,
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn push_cue(
    transcript: &mut Transcript,
    sources: &mut Vec<SegmentSource>,
    body: &[&str],
    (line, offset, _): (usize, usize, &str),
    (start, end): (f64, f64),
) {
    let joined = body.join(" ");
    let (speaker, rest) = match voice_tag().captures(&joined) {
        Some(caps) => (
            Some(caps[1].trim().to_string()),
            joined[caps.get(0).map_or(0, |m| m.end())..].to_string(),
        ),
        None => match speaker_prefix(&joined) {
            Some((name, end)) => (Some(name.to_string()), joined[end..].to_string()),
            None => (None, joined.clone()),
        },
    };
    let text = strip_tags(&rest).trim().to_string();
    let verbatim = body.len() == 1 && speaker.is_none() && text == body[0];
    transcript.segments.push(Segment {
        speaker,
        start_s: Some(start),
        end_s: Some(end),
        text,
        words: Vec::new(),
    });
    sources.push(SegmentSource {
        line,
        offset: verbatim.then_some(offset),
    });
}

/// A whole JSON transcript as one parsed input (see [`read_json`]).
fn parse_json(text: &str) -> Result<ParsedInput, ParseError> {
    let mut whole = None;
    let read = read_json(
        serde_json::Deserializer::from_str(text),
        usize::MAX,
        &mut |parsed| {
            whole = Some(parsed);
            Ok(())
        },
    );
    match read {
        Ok(()) => Ok(whole.expect("a document read without error gives its one batch")),
        Err(JsonError::Document(e)) => Err(e),
        Err(JsonError::Feed(message)) => {
            unreachable!("keeping the one batch cannot fail: {message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_lines_keep_offsets_and_lines() {
        let text = "Agent: Hello there\n\nClient: My card is 4111\ncontinued line\n";
        let p = parse_input(text, InputFormat::Auto).unwrap();
        assert_eq!(p.transcript.segments.len(), 3);
        assert_eq!(p.transcript.segments[1].speaker.as_deref(), Some("Client"));
        assert_eq!(p.transcript.segments[2].speaker.as_deref(), Some("Client"));
        assert_eq!(p.sources[1].line, 3);
        let off = p.sources[1].offset.unwrap();
        assert_eq!(&text[off..off + 10], "My card is");
    }

    #[test]
    fn speaker_prefix_agrees_with_its_regex_reference() {
        let reference =
            Regex::new(r"^\s*\[?([\p{L}][\p{L}\p{N} ._-]{0,30}?)\]?\s*[:：]\s+").unwrap();
        for line in [
            "Agent: hello",
            "  [Agent]: hello",
            "[Agent] :  hello",
            "Agent ]: hello",
            "Оператор Мария: добрый день",
            "Cliente 2 ： sí",
            "Agent:hello",
            "Agent:",
            ": hello",
            "1st: hello",
            "Speaker with a very long name indeed: hi",
            "A name of exactly thirty-one ch: hi",
            "A name of exactly thirty-two cha: hi",
            "Dr. J_Smith-Jones:\tok",
            "12:30 we meet",
            "Note: the price is 10: ok",
            "",
            "Agent",
        ] {
            let expected = reference.captures(line).map(|c| {
                (
                    c.get(1).unwrap().as_str().trim().to_string(),
                    c.get(0).unwrap().end(),
                )
            });
            let got = speaker_prefix(line).map(|(name, end)| (name.to_string(), end));
            assert_eq!(got, expected, "{line:?}");
        }
    }

    #[test]
    fn plain_text_has_no_speakers() {
        let p = parse_input("Just some words.\nMore words.", InputFormat::Auto).unwrap();
        assert_eq!(p.transcript.segments.len(), 2);
        assert!(p.transcript.segments[0].speaker.is_none());
    }

    #[test]
    fn srt_and_vtt_cues() {
        let srt = "1\n00:00:01,000 --> 00:00:02,500\nAgent: Hello\n\n2\n00:00:03,000 --> 00:00:04,000\nHi there\nsecond line\n";
        let p = parse_input(srt, InputFormat::Auto).unwrap();
        assert_eq!(p.transcript.segments.len(), 2);
        assert_eq!(p.transcript.segments[0].speaker.as_deref(), Some("Agent"));
        assert_eq!(p.transcript.segments[1].text, "Hi there second line");
        assert_eq!(p.transcript.segments[1].start_s, Some(3.0));
        let vtt =
            "WEBVTT\n\nNOTE hi\n\n00:01.000 --> 00:02.000 align:start\n<v Operator>Hola</v>\n";
        let p = parse_input(vtt, InputFormat::Auto).unwrap();
        assert_eq!(
            p.transcript.segments[0].speaker.as_deref(),
            Some("Operator")
        );
        assert_eq!(p.transcript.segments[0].text, "Hola");
    }

    #[test]
    fn malformed_srt_names_the_line() {
        let srt = "1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:xx --> 00:00:04\nHi\n";
        let err = parse_input(srt, InputFormat::Srt).unwrap_err();
        assert_eq!(err.line, 6);
    }

    #[test]
    fn absurd_times_are_refused() {
        let srt = "1\n1e308:00:00,000 --> 1e308:00:01,000\nhello\n";
        assert!(parse_input(srt, InputFormat::Srt).is_err());
        for time in ["1e308", "-1e308", "-1"] {
            let json =
                format!(r#"{{"segments": [{{"text": "hi", "start_s": {time}, "end_s": 2.0}}]}}"#);
            let err = parse_input(&json, InputFormat::Json).unwrap_err();
            assert!(err.message.contains("segment 1"), "{time}: {}", err.message);
            let json = format!(
                r#"{{"segments": [{{"text": "hi", "words": [{{"text": "hi", "start_s": 0, "end_s": {time}, "p": 1}}]}}]}}"#
            );
            assert!(parse_input(&json, InputFormat::Json).is_err(), "{time}");
        }
        let ok = r#"{"segments": [{"text": "hi", "start_s": 1.0, "end_s": 2.0}]}"#;
        assert!(parse_input(ok, InputFormat::Json).is_ok());
    }

    #[test]
    fn json_transcript_and_bad_json() {
        let p = parse_input(
            r#"{"language":"en","segments":[{"speaker":"agent","text":"Hi"}]}"#,
            InputFormat::Auto,
        )
        .unwrap();
        assert_eq!(p.transcript.language.as_deref(), Some("en"));
        let err = parse_input("{\n\"segments\": [\n}", InputFormat::Auto).unwrap_err();
        assert_eq!(err.line, 3);
    }
}
