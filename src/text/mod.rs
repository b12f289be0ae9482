//! Pure text analysis over transcripts: phrase packs, personal data, facts and consistency.
//!
//! Entry points: [`RuleSet::builtin`] (compiled once), [`scan_transcript`] per transcript,
//! [`claims`] + [`facts::inconsistencies`] across recordings or files, [`parse::parse_input`]
//! for pasted text. Nothing here reads files: callers pass text in.

pub mod cues;
pub mod facts;
pub mod json_input;
pub mod normalize;
pub mod numbers;
pub mod parse;
pub mod pii;
pub mod quantity;
pub mod redact;
pub mod rules;
pub mod scan;
pub mod stream;

pub use facts::{Claim, FactSet};
pub use rules::{RuleSet, TextError};
pub use scan::{claims, scan_transcript, scan_with_claims, ScanOptions};
