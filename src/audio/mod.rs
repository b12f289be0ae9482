//! The only place that knows the audio codecs (symphonia, libopus) and the resampler.

pub mod decode;
pub mod resample;

pub use decode::{sniff, AudioStream, DecodeError, Sniff, StreamInfo};
pub use resample::Resampler16k;
