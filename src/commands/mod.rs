//! What each subcommand does with its validated config, and the exit code it ends with. The only
//! layer above the library stages besides `main.rs` and the CLI; errors here are `anyhow`.

pub mod analyze;
mod files;
pub mod merge;
pub mod model;
mod output;
mod pieces;
mod provenance;
mod redact_audio;
pub mod report;
mod report_set;
pub mod rules;
pub mod scan;
mod spill;
mod stdin;
mod watch;
