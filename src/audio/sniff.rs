//! Cheap content sniffing for discovery: is this file audio? Reads only the first 64 KiB.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::LazyLock;

use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::{Probe, ProbeOptions};
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::codecs::{extension_of, hint_for, is_audio_extension};
use super::content::looks_like_text;

/// Bytes read from the start of a file to sniff it.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// How far into the file (after any leading tags) a container marker may start. Kept small so
/// that a stray MPEG sync pattern deep inside a binary file does not pass for audio.
const MARKER_SEARCH_BYTES: u32 = 4096;

/// What content sniffing says about a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Sniff {
    Audio,
    /// Not audio, with the reason shown in the report's skipped list.
    NotAudio(String),
}

static SNIFF_PROBE: LazyLock<Probe> = LazyLock::new(|| {
    let mut probe = Probe::new_with_options(&ProbeOptions {
        max_probe_depth: MARKER_SEARCH_BYTES,
        ..ProbeOptions::default()
    });
    symphonia::default::register_enabled_formats(&mut probe);
    probe
});

/// Decides whether a file is audio: by extension (wav mp3 flac ogg oga opus m4a mp4 aac webm
/// and the others of [`super::AUDIO_EXTENSIONS`] and [`super::UNSUPPORTED_FORMATS`]: always
/// audio, so a broken or unreadable one gets a precise decode error) or else by its content.
pub fn sniff(path: &Path) -> io::Result<Sniff> {
    let ext = extension_of(path);
    if ext.as_deref().is_some_and(is_audio_extension) {
        return Ok(Sniff::Audio);
    }
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    File::open(path)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(sniff_content(head, ext.as_deref()))
}

/// Decides from the first bytes of a file (up to [`SNIFF_BYTES`]) whether it holds audio.
pub fn sniff_content(head: Vec<u8>, extension: Option<&str>) -> Sniff {
    if head.is_empty() {
        return Sniff::NotAudio("empty file".into());
    }
    if looks_like_text(&head) {
        return Sniff::NotAudio("text file".into());
    }
    let mss = MediaSourceStream::new(Box::new(Cursor::new(head)), Default::default());
    let probed = SNIFF_PROBE.probe(
        &hint_for(extension),
        mss,
        FormatOptions::default(),
        MetadataOptions::default(),
    );
    match probed {
        Ok(format) if format.first_track(TrackType::Audio).is_some() => Sniff::Audio,
        Ok(_) => Sniff::NotAudio("media file without an audio track".into()),
        // A known container header that runs past the sniffed bytes: audio, let the decoder judge.
        Err(SymphoniaError::IoError(_)) => Sniff::Audio,
        Err(SymphoniaError::Unsupported(msg)) if msg.contains("no suitable format reader") => {
            Sniff::NotAudio("no audio format recognised in its content".into())
        }
        Err(err) => Sniff::NotAudio(format!("unreadable media header ({err})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_extensions_are_audio_without_reading() {
        let missing = Path::new("/nonexistent/folder/call.WAV");
        assert_eq!(sniff(missing).unwrap(), Sniff::Audio);
    }

    #[test]
    fn text_is_not_audio() {
        assert_eq!(
            sniff_content(b"price list\n".to_vec(), Some("txt")),
            Sniff::NotAudio("text file".into())
        );
    }

    #[test]
    fn binary_junk_is_not_audio() {
        let junk: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert!(matches!(
            sniff_content(junk, Some("bin")),
            Sniff::NotAudio(_)
        ));
    }

    #[test]
    fn wav_content_is_audio_whatever_its_name() {
        let mut wav = b"RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00".to_vec();
        wav.extend_from_slice(&[1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]);
        wav.extend_from_slice(b"data\x08\x00\x00\x00");
        wav.extend_from_slice(&[0; 8]);
        assert_eq!(sniff_content(wav, Some("dat")), Sniff::Audio);
    }
}
