//! Speech recognition: the only place that knows whisper-rs. Model files (fetch, import, checks),
//! transcription of speech regions with word timings, and who said what.

pub mod convert;
pub mod ct2;
pub mod fetch;
pub mod filter;
pub mod gate;
pub mod model;
pub mod run;
pub mod speakers;
pub mod transcribe;
