//! Path -> stream of planar f32 blocks per channel, plus the format facts a buyer wants to see.

use std::path::Path;

/// Format facts of an opened audio stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    pub sample_rate_hz: u32,
    pub channels: usize,
    /// Short codec name: pcm_s16le, pcm_mulaw, pcm_alaw, mp3, flac, vorbis, opus, aac, alac ...
    pub codec: String,
    pub bits_per_sample: Option<u32>,
    /// Duration announced by the container, seconds (the measured one comes from the samples).
    pub duration_s: Option<f64>,
}

/// Why a file could not be decoded, in words a user understands.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a recognised audio file: {0}")]
    NotAudio(String),
    #[error("unsupported codec: {0}")]
    Unsupported(String),
    #[error("the audio data is damaged: {0}")]
    Corrupt(String),
}

/// What content sniffing says about a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Sniff {
    Audio,
    NotAudio(String),
}

/// Decides from the file's content (not only its name) whether it is audio.
pub fn sniff(path: &Path) -> std::io::Result<Sniff> {
    let known = [
        "wav", "mp3", "flac", "ogg", "opus", "m4a", "mp4", "aac", "oga", "webm",
    ];
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    Ok(if known.contains(&ext.as_str()) {
        Sniff::Audio
    } else {
        Sniff::NotAudio("not an audio extension".into())
    })
}

/// An open audio file, decoded packet by packet.
pub struct AudioStream {
    info: StreamInfo,
    warnings: Vec<String>,
}

impl AudioStream {
    pub fn open(path: &Path) -> Result<Self, DecodeError> {
        Err(DecodeError::Unsupported(format!(
            "decoding not implemented yet: {}",
            path.display()
        )))
    }

    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// The next block of samples, one vector per channel (all the same length), full scale = 1.0.
    /// `Ok(None)` at the end of the stream. A damaged packet is skipped and noted in `warnings`.
    pub fn next_block(&mut self) -> Result<Option<Vec<Vec<f32>>>, DecodeError> {
        Ok(None)
    }

    /// Problems met so far that did not stop decoding.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}
