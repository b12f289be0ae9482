//! The only place that knows the audio codecs (symphonia, libopus) and the resampler.

mod codecs;
mod content;
pub mod decode;
pub mod harness;
pub mod resample;
pub mod sniff;

pub use codecs::{AUDIO_EXTENSIONS, UNSUPPORTED_FORMATS};
pub use decode::{AudioStream, DecodeError, StreamInfo};
pub use resample::Resampler16k;
pub use sniff::{sniff, sniff_content, Sniff};
