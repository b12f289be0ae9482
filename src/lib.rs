//! callqa: audits call-center vendors' demo recordings.
//!
//! Data flows one way: [`discover`] -> [`audio`] -> [`signal`] -> [`text`] ->
//! [`findings`] -> [`report`]. [`pipeline`] orchestrates; [`cli`] is only the front door.

pub(crate) mod asr;
pub mod audio;
pub mod cli;
pub mod commands;
pub mod config;
pub mod conversation;
pub(crate) mod discover;
pub(crate) mod dsp;
pub mod escape;
pub mod exit_codes;
pub(crate) mod findings;
pub mod interrupt;
pub(crate) mod lang;
pub mod model;
pub mod parts;
pub mod pipeline;
pub(crate) mod progress;
pub mod report;
pub mod shard;
pub mod signal;
pub mod text;
pub mod verdict;
