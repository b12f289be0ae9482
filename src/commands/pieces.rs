//! Reads a transcript for `scan` in pieces of whole lines, so that a long input never sits in
//! memory whole: each piece ends where a segment ends (after a blank line in SRT and WebVTT, after
//! a line that does not end in a number in line formats), is checked as UTF-8 text, and carries
//! where it starts. A callqa JSON transcript is one document: its first piece decides the format,
//! and the reader goes on from there to a JSON reader that hands out its segments in batches.

use std::io::BufRead;

use super::files::{looks_binary, utf8_text};
use crate::text::normalize::Normalized;
use crate::text::parse::{detect_format, InputFormat, PieceStart};
use crate::text::pii::number_at_edge;

/// Bytes a piece reaches before it is cut at the next segment end. A real call's transcript is
/// far shorter: it is one piece, scanned exactly as a whole.
pub const PIECE_BYTES: usize = 4 << 20;

/// A line-format piece is cut at this many times [`PIECE_BYTES`] even where a number runs on.
const HARD_CUT_FACTOR: usize = 4;

/// The pieces of one input.
pub struct Pieces<R> {
    reader: R,
    requested: InputFormat,
    format: Option<InputFormat>,
    piece_bytes: usize,
    next_start: PieceStart,
    seen_text: bool,
    done: bool,
}

/// One piece: its text (a UTF-8 byte-order mark at the input's start removed) and where it starts.
pub struct Piece {
    pub text: String,
    pub start: PieceStart,
}

impl<R: BufRead> Pieces<R> {
    /// Pieces of about `piece_bytes` of an input in `format` (`Auto`: decided on the first piece).
    pub fn new(reader: R, format: InputFormat, piece_bytes: usize) -> Self {
        Self {
            reader,
            requested: format,
            format: None,
            piece_bytes: piece_bytes.max(1),
            next_start: PieceStart::default(),
            seen_text: false,
            done: false,
        }
    }

    /// Bytes a piece reaches before it is cut.
    pub fn piece_bytes(&self) -> usize {
        self.piece_bytes
    }

    /// The input after the pieces read so far (a JSON document's rest, for its own reader).
    pub fn into_rest(self) -> R {
        self.reader
    }

    /// The input's layout, known once the first piece has been read.
    pub fn format(&self) -> InputFormat {
        self.format.unwrap_or(self.requested)
    }

    /// The next piece, `None` after the last; an error when the input cannot be read, is binary,
    /// is not UTF-8 (naming the line) or holds no text at all.
    pub fn next_piece(&mut self) -> Result<Option<Piece>, String> {
        if self.done {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        loop {
            let line_start = bytes.len();
            let read = self
                .reader
                .read_until(b'\n', &mut bytes)
                .map_err(|e| format!("cannot read: {e}"))?;
            if read == 0 {
                self.done = true;
                break;
            }
            if bytes.len() >= self.piece_bytes && self.cut_after(&bytes, line_start)? {
                break;
            }
        }
        self.finish_piece(bytes)
    }

    /// Whether the piece may end after its last line (from `line_start`); decides the format on
    /// the first piece.
    fn cut_after(&mut self, bytes: &[u8], line_start: usize) -> Result<bool, String> {
        // Undecided only within the first piece (the first piece's end decides it otherwise).
        let format = match self.format {
            Some(f) => f,
            None => {
                let text = utf8_text(bytes.to_vec(), 0, 0)?;
                *self.format.insert(detect_format(
                    text.trim_start_matches('\u{feff}'),
                    self.requested,
                ))
            }
        };
        let line = String::from_utf8_lossy(&bytes[line_start..]);
        Ok(match format {
            InputFormat::Json => true,
            InputFormat::Srt | InputFormat::Vtt => line.trim().is_empty(),
            _ => {
                bytes.len() >= self.piece_bytes * HARD_CUT_FACTOR
                    || !number_at_edge(&Normalized::new(&line), true)
            }
        })
    }

    fn finish_piece(&mut self, bytes: Vec<u8>) -> Result<Option<Piece>, String> {
        let first = self.next_start.line == 0 && self.next_start.offset == 0;
        if first && looks_binary(&bytes) {
            return Err("looks like a binary file, not text".into());
        }
        let start = self.next_start.clone();
        let mut text = utf8_text(bytes, start.line, start.offset)?;
        let lines = text.bytes().filter(|b| *b == b'\n').count();
        self.next_start.line += lines;
        self.next_start.offset += text.len();
        let mut start = start;
        if first {
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                start.offset = text.len() - rest.len();
                text = rest.to_string();
            }
            self.format
                .get_or_insert(detect_format(&text, self.requested));
        }
        self.seen_text |= !text.trim().is_empty();
        if self.done && !self.seen_text {
            return Err("is empty: nothing to scan".into());
        }
        if text.is_empty() {
            return Ok(None);
        }
        Ok(Some(Piece { text, start }))
    }

    /// Records the speaker of the last segment of a piece: a next piece's lines without a
    /// "Speaker:" prefix continue it.
    pub fn continue_speaker(&mut self, speaker: Option<String>) {
        if speaker.is_some() {
            self.next_start.speaker = speaker;
        }
    }
}
