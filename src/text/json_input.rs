//! A callqa JSON transcript (`{"segments": [...]}`, or a record holding one under `"transcript"`)
//! read segment by segment, so that a long one is scanned in batches instead of sitting in memory
//! whole: the same segments, times checked the same way, as parsing the whole document.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::parse::{check_times, ParseError, ParsedInput, SegmentSource};
use crate::model::{Segment, Transcript};

/// Reads a JSON transcript from `de` and hands its segments to `feed` in batches of about
/// `batch_bytes` of segment text; the last batch (the only one for a document shorter than that)
/// is given when the document has ended, so it carries the transcript's language even where that
/// follows the segments. A segment's line is its 1-based number; an error from `feed` stops the
/// reading.
pub fn read_json<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    batch_bytes: usize,
    feed: &mut dyn FnMut(ParsedInput) -> Result<(), String>,
) -> Result<(), JsonError> {
    let mut reader = Batches {
        feed,
        batch_bytes,
        head: Transcript::default(),
        batch: Vec::new(),
        batch_text: 0,
        fed: 0,
        given: 0,
        seen_segments: false,
        failed: None,
    };
    let read = TopLevel(&mut reader)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(failed) = reader.failed.take() {
        return Err(failed);
    }
    read.map_err(|e| JsonError::Document(json_error(e)))?;
    if !reader.seen_segments {
        let missing = de::Error::missing_field("segments");
        return Err(JsonError::Document(json_error(missing)));
    }
    if !reader.batch.is_empty() || reader.given == 0 {
        reader.give()?;
    }
    Ok(())
}

/// Why a JSON transcript was not read to its end.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonError {
    /// The document is not a transcript, or not JSON: where and why.
    Document(ParseError),
    /// The consumer refused a batch, with its own message.
    Feed(String),
}

/// Where a JSON document failed: a document that is not a transcript reads as such on line 1, a
/// syntax error on its own line.
fn json_error(e: serde_json::Error) -> ParseError {
    match e.classify() {
        serde_json::error::Category::Data => ParseError {
            line: 1,
            message: format!(
                "not a callqa transcript (expected {{\"segments\": [{{\"text\": ...}}]}}): {e}"
            ),
        },
        _ => ParseError {
            line: e.line().max(1),
            message: format!("invalid JSON: {e}"),
        },
    }
}

/// The reading state: the transcript's fields besides the segments, and the batch being filled.
struct Batches<'f> {
    feed: &'f mut dyn FnMut(ParsedInput) -> Result<(), String>,
    batch_bytes: usize,
    head: Transcript,
    batch: Vec<Segment>,
    /// Bytes of text in the batch.
    batch_text: usize,
    /// Segments read before the batch.
    fed: usize,
    /// Batches given to `feed`.
    given: usize,
    seen_segments: bool,
    failed: Option<JsonError>,
}

impl Batches<'_> {
    fn push(&mut self, segment: Segment) -> Result<(), JsonError> {
        self.batch_text += segment.text.len() + 16 * segment.words.len();
        self.batch.push(segment);
        if self.batch_text >= self.batch_bytes {
            self.give()?;
        }
        Ok(())
    }

    /// Checks the batch's times and gives it to `feed`.
    fn give(&mut self) -> Result<(), JsonError> {
        let transcript = Transcript {
            segments: std::mem::take(&mut self.batch),
            ..self.head.clone()
        };
        check_times(&transcript, self.fed).map_err(JsonError::Document)?;
        let sources = (self.fed..self.fed + transcript.segments.len())
            .map(|i| SegmentSource {
                line: i + 1,
                offset: None,
            })
            .collect();
        self.fed += transcript.segments.len();
        self.batch_text = 0;
        self.given += 1;
        (self.feed)(ParsedInput {
            transcript,
            sources,
        })
        .map_err(JsonError::Feed)
    }

    /// Keeps `e` to be returned as it is, and stops the JSON reader.
    fn stop<E: de::Error>(&mut self, e: JsonError) -> E {
        self.failed = Some(e);
        E::custom("stopped")
    }
}

/// The document: a transcript's fields, or a record with the transcript under `"transcript"`.
struct TopLevel<'a, 'f>(&'a mut Batches<'f>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(TranscriptFields {
            batches: self.0,
            top_level: true,
        })
    }
}

/// A transcript's fields; at the top level also a `"transcript"` holding them.
struct TranscriptFields<'a, 'f> {
    batches: &'a mut Batches<'f>,
    top_level: bool,
}

impl<'de> DeserializeSeed<'de> for TranscriptFields<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TranscriptFields<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a callqa transcript")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let batches = self.batches;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "segments" => {
                    if batches.seen_segments {
                        return Err(de::Error::duplicate_field("segments"));
                    }
                    batches.seen_segments = true;
                    map.next_value_seed(SegmentList(batches))?;
                }
                "language" => batches.head.language = map.next_value()?,
                "language_probability" => batches.head.language_probability = map.next_value()?,
                "low_confidence_share" => batches.head.low_confidence_share = map.next_value()?,
                "transcript" if self.top_level => map.next_value_seed(TranscriptFields {
                    batches: &mut *batches,
                    top_level: false,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `"segments"` array, read one segment at a time.
struct SegmentList<'a, 'f>(&'a mut Batches<'f>);

impl<'de> DeserializeSeed<'de> for SegmentList<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SegmentList<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of segments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(segment) = seq.next_element::<Segment>()? {
            if let Err(e) = self.0.push(segment) {
                return Err(self.0.stop(e));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, batch_bytes: usize) -> Result<Vec<ParsedInput>, ParseError> {
        let mut batches = Vec::new();
        let read = read_json(
            serde_json::Deserializer::from_str(text),
            batch_bytes,
            &mut |b| {
                batches.push(b);
                Ok(())
            },
        );
        match read {
            Ok(()) => Ok(batches),
            Err(JsonError::Document(e)) => Err(e),
            Err(JsonError::Feed(m)) => panic!("the test's consumer does not fail: {m}"),
        }
    }

    fn document(segments: usize) -> String {
        let segments: Vec<String> = (0..segments)
            .map(|i| format!(r#"{{"speaker": "agent", "start_s": {i}, "text": "line {i}"}}"#))
            .collect();
        format!(
            "{{\"segments\": [\n{}\n], \"language\": \"es\"}}",
            segments.join(",\n")
        )
    }

    #[test]
    fn batches_hold_every_segment_once_with_its_number() {
        let whole = read(&document(50), usize::MAX).unwrap();
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].transcript.segments.len(), 50);
        assert_eq!(whole[0].transcript.language.as_deref(), Some("es"));
        let batches = read(&document(50), 40).unwrap();
        assert!(batches.len() > 5, "{}", batches.len());
        let segments: Vec<&Segment> = batches
            .iter()
            .flat_map(|b| &b.transcript.segments)
            .collect();
        assert_eq!(
            segments,
            whole[0].transcript.segments.iter().collect::<Vec<_>>()
        );
        let lines: Vec<usize> = batches
            .iter()
            .flat_map(|b| b.sources.iter().map(|s| s.line))
            .collect();
        assert_eq!(lines, (1..=50).collect::<Vec<_>>());
    }

    #[test]
    fn a_record_holding_a_transcript_reads_as_the_transcript() {
        let record = format!(
            r#"{{"path": "a.wav", "transcript": {}, "x": [1]}}"#,
            document(3)
        );
        let batches = read(&record, usize::MAX).unwrap();
        assert_eq!(batches[0].transcript.segments.len(), 3);
        assert_eq!(batches[0].transcript.language.as_deref(), Some("es"));
    }

    #[test]
    fn errors_name_the_segment_or_the_line() {
        let late_time = document(30).replace(r#""start_s": 25,"#, r#""start_s": 1e308,"#);
        let err = read(&late_time, 40).unwrap_err();
        assert_eq!(err.line, 26, "{err}");
        assert!(err.message.starts_with("segment 26: time"), "{err}");
        let err = read(r#"{"language": "en"}"#, 40).unwrap_err();
        assert!(err.message.contains("missing field `segments`"), "{err}");
        let err = read("{\"segments\": [\n{\"text\": \"a\"},\n{\"text\": }]}", 40).unwrap_err();
        assert_eq!(
            (err.line, err.message.starts_with("invalid JSON")),
            (3, true)
        );
        let err = read(r#"{"segments": [], "segments": []}"#, 40).unwrap_err();
        assert!(err.message.contains("duplicate field"), "{err}");
        let err = read(r#"{"segments": [{"txt": "a"}]}"#, 40).unwrap_err();
        assert!(err.message.starts_with("not a callqa transcript"), "{err}");
    }

    #[test]
    fn an_error_from_the_consumer_stops_the_reading() {
        let mut calls = 0;
        let err = read_json(
            serde_json::Deserializer::from_str(&document(50)),
            40,
            &mut |_| {
                calls += 1;
                Err("disk full".into())
            },
        )
        .unwrap_err();
        assert_eq!((calls, err), (1, JsonError::Feed("disk full".into())));
    }

    #[test]
    fn an_empty_list_is_one_empty_batch() {
        let batches = read(r#"{"segments": []}"#, 40).unwrap();
        assert_eq!(batches.len(), 1);
        assert!(batches[0].transcript.segments.is_empty());
    }
}
