//! The signal-processing arithmetic that signal, asr and conversation share, in one place.
//!
//! Pure functions over numbers and slices, no state and nothing else of the crate: dB conversions
//! ([`db`]), analysis windows ([`window`]), mel filter banks, the DCT and cepstra ([`mel`]) and
//! order statistics ([`quantile`]). Each one keeps the exact arithmetic (types, constants, order of
//! operations) of the code it replaced, so the reports do not move by a bit; where two callers
//! computed the same thing differently, the difference is a parameter or a second function, named
//! after what differs.

pub mod db;
pub mod mel;
pub mod quantile;
pub mod window;

#[cfg(test)]
pub(crate) mod test_signals;
