//! Pure text analysis over transcripts: phrase packs, personal data, facts and consistency.

pub mod transcript;
