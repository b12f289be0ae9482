//! The integration tests, one binary (`cargo test --release --test integration`; one module:
//! `cargo test --release --test integration staged::`). Shared helpers live in `util`.

#[macro_use]
mod util;

// Audio in: every format decoded, bad input refused, transcription with the real model.
mod asr;
mod decode;
mod vad;

// Text: `callqa scan` and `callqa rules` on the labelled set, the staged-call score, and the
// fuzz targets' functions on their regression corpus and mutated inputs.
mod claims;
mod harnesses;
mod paraphrase;
mod pressure;
mod scan;
mod staged;

// Out: the command line, exit codes and the report files.
mod cli;
mod redact;
mod reports;
mod safety;

// Past one process: parts, resume, shards and merge.
mod shards;
mod terminal;

// Real speech (../shared/realdev, or $CALLQA_REALDEV): SKIPPED where it is absent.
mod realdev;
