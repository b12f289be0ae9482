//! Which codecs and containers callqa can open (symphonia's plus libopus) and their short names.

use std::sync::LazyLock;

use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::AudioCodecId;
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::formats::probe::{Hint, Probe};
use symphonia_adapter_libopus::OpusDecoder;

/// File extensions treated as audio even when their content does not probe, so that the decoder
/// gets to explain what is wrong with them.
pub const AUDIO_EXTENSIONS: [&str; 16] = [
    "wav", "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "webm", "mka", "aif", "aiff",
    "caf", "m4b", "3gp",
];

/// Audio formats call recorders use that callqa cannot read, by extension, with their names.
/// Files with these extensions are audio for discovery and get an "unsupported" error.
pub const UNSUPPORTED_FORMATS: [(&str, &str); 13] = [
    ("wma", "Windows Media Audio"),
    ("asf", "Windows Media (ASF)"),
    ("amr", "AMR narrowband"),
    ("awb", "AMR wideband"),
    ("au", "Sun/NeXT AU"),
    ("snd", "Sun/NeXT AU"),
    ("gsm", "raw GSM 6.10"),
    ("vox", "Dialogic VOX ADPCM"),
    ("spx", "Speex"),
    ("ra", "RealAudio"),
    ("ape", "Monkey's Audio"),
    ("wv", "WavPack"),
    ("ac3", "AC-3"),
];

/// True for extensions (lower case) that mark a file as audio whatever its content.
pub fn is_audio_extension(ext: &str) -> bool {
    AUDIO_EXTENSIONS.contains(&ext) || unsupported_format_name(ext).is_some()
}

/// The name of an audio format callqa cannot read, from its extension (lower case).
pub fn unsupported_format_name(ext: &str) -> Option<&'static str> {
    UNSUPPORTED_FORMATS
        .iter()
        .find(|(known, _)| *known == ext)
        .map(|(_, name)| *name)
}

static CODECS: LazyLock<CodecRegistry> = LazyLock::new(|| {
    let mut registry = CodecRegistry::new();
    symphonia::default::register_enabled_codecs(&mut registry);
    registry.register_audio_decoder::<OpusDecoder>();
    registry
});

/// Every audio decoder callqa has: symphonia's (PCM, µ-law, A-law, ADPCM, MP3, FLAC, Vorbis,
/// AAC-LC, ALAC) and libopus.
pub fn codec_registry() -> &'static CodecRegistry {
    &CODECS
}

/// Every container symphonia reads (WAV, AIFF, CAF, MP3/MPEG audio, ADTS AAC, FLAC, Ogg, MP4/M4A,
/// MKV/WebM).
pub fn format_probe() -> &'static Probe {
    symphonia::default::get_probe()
}

/// The lower-case extension of a file name, if any.
pub fn extension_of(path: &std::path::Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// A probe hint from an optional extension.
pub fn hint_for(extension: Option<&str>) -> Hint {
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    hint
}

/// Short, ffmpeg-style codec name: pcm_s16le, pcm_mulaw, pcm_alaw, mp3, flac, vorbis, opus, aac ...
pub fn codec_short_name(id: AudioCodecId) -> String {
    if let Some(name) = well_known_name(id) {
        return name.to_string();
    }
    fourcc_name(id).unwrap_or_else(|| format!("unknown codec {id}"))
}

fn well_known_name(id: AudioCodecId) -> Option<&'static str> {
    const NAMES: [(AudioCodecId, &str); 51] = [
        (CODEC_ID_PCM_S32LE, "pcm_s32le"),
        (CODEC_ID_PCM_S32LE_PLANAR, "pcm_s32le"),
        (CODEC_ID_PCM_S32BE, "pcm_s32be"),
        (CODEC_ID_PCM_S32BE_PLANAR, "pcm_s32be"),
        (CODEC_ID_PCM_S24LE, "pcm_s24le"),
        (CODEC_ID_PCM_S24LE_PLANAR, "pcm_s24le"),
        (CODEC_ID_PCM_S24BE, "pcm_s24be"),
        (CODEC_ID_PCM_S24BE_PLANAR, "pcm_s24be"),
        (CODEC_ID_PCM_S16LE, "pcm_s16le"),
        (CODEC_ID_PCM_S16LE_PLANAR, "pcm_s16le"),
        (CODEC_ID_PCM_S16BE, "pcm_s16be"),
        (CODEC_ID_PCM_S16BE_PLANAR, "pcm_s16be"),
        (CODEC_ID_PCM_S8, "pcm_s8"),
        (CODEC_ID_PCM_S8_PLANAR, "pcm_s8"),
        (CODEC_ID_PCM_U32LE, "pcm_u32le"),
        (CODEC_ID_PCM_U32BE, "pcm_u32be"),
        (CODEC_ID_PCM_U24LE, "pcm_u24le"),
        (CODEC_ID_PCM_U24BE, "pcm_u24be"),
        (CODEC_ID_PCM_U16LE, "pcm_u16le"),
        (CODEC_ID_PCM_U16BE, "pcm_u16be"),
        (CODEC_ID_PCM_U8, "pcm_u8"),
        (CODEC_ID_PCM_U8_PLANAR, "pcm_u8"),
        (CODEC_ID_PCM_F32LE, "pcm_f32le"),
        (CODEC_ID_PCM_F32LE_PLANAR, "pcm_f32le"),
        (CODEC_ID_PCM_F32BE, "pcm_f32be"),
        (CODEC_ID_PCM_F32BE_PLANAR, "pcm_f32be"),
        (CODEC_ID_PCM_F64LE, "pcm_f64le"),
        (CODEC_ID_PCM_F64LE_PLANAR, "pcm_f64le"),
        (CODEC_ID_PCM_F64BE, "pcm_f64be"),
        (CODEC_ID_PCM_F64BE_PLANAR, "pcm_f64be"),
        (CODEC_ID_PCM_ALAW, "pcm_alaw"),
        (CODEC_ID_PCM_MULAW, "pcm_mulaw"),
        (CODEC_ID_ADPCM_G722, "adpcm_g722"),
        (CODEC_ID_ADPCM_G726, "adpcm_g726"),
        (CODEC_ID_ADPCM_G726LE, "adpcm_g726le"),
        (CODEC_ID_ADPCM_MS, "adpcm_ms"),
        (CODEC_ID_ADPCM_IMA_WAV, "adpcm_ima_wav"),
        (CODEC_ID_ADPCM_IMA_QT, "adpcm_ima_qt"),
        (CODEC_ID_VORBIS, "vorbis"),
        (CODEC_ID_OPUS, "opus"),
        (CODEC_ID_SPEEX, "speex"),
        (CODEC_ID_MP1, "mp1"),
        (CODEC_ID_MP2, "mp2"),
        (CODEC_ID_MP3, "mp3"),
        (CODEC_ID_AAC, "aac"),
        (CODEC_ID_AC3, "ac3"),
        (CODEC_ID_EAC3, "eac3"),
        (CODEC_ID_WMA, "wma"),
        (CODEC_ID_FLAC, "flac"),
        (CODEC_ID_WAVPACK, "wavpack"),
        (CODEC_ID_ALAC, "alac"),
    ];
    NAMES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| *name)
}

/// Codecs without a well-known id carry their container's four-character code.
fn fourcc_name(id: AudioCodecId) -> Option<String> {
    let text = id.to_string();
    let raw = u32::from_str_radix(text.trim_start_matches("0x"), 16).ok()?;
    if raw & 0x8000_0000 == 0 {
        return None;
    }
    let bytes = (raw & 0x7fff_ffff).to_be_bytes();
    let code: String = bytes
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .trim()
        .to_string();
    code.chars()
        .all(|c| c.is_ascii_graphic())
        .then(|| format!("fourcc {code}"))
}

/// A human name for a WAVE format tag symphonia does not decode (telephone codecs mostly).
pub fn wave_format_name(tag: u16) -> String {
    let name = match tag {
        0x0031 => "GSM 6.10",
        0x0032 => "MSN Audio (GSM 6.10)",
        0x0022 => "DSP Group TrueSpeech",
        0x0040 => "G.721 ADPCM",
        0x0042 => "G.723.1",
        0x0045 => "G.726 ADPCM",
        0x0050 => "MPEG audio in WAV",
        0x0055 => "MP3 in WAV",
        0x0064 => "G.726 ADPCM",
        0x0065 => "G.722 ADPCM",
        0x0083 => "G.729",
        0x0161..=0x0163 => "Windows Media Audio",
        _ => "an unknown codec",
    };
    format!("{name} (WAVE format tag 0x{tag:04x})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telephone_codecs_have_ffmpeg_names() {
        assert_eq!(codec_short_name(CODEC_ID_PCM_MULAW), "pcm_mulaw");
        assert_eq!(codec_short_name(CODEC_ID_PCM_ALAW), "pcm_alaw");
        assert_eq!(codec_short_name(CODEC_ID_OPUS), "opus");
    }

    #[test]
    fn fourcc_codecs_show_their_code() {
        let id = AudioCodecId::new(symphonia::core::common::FourCc::new(*b"samr"));
        assert_eq!(codec_short_name(id), "fourcc samr");
    }

    #[test]
    fn opus_is_registered_next_to_symphonia_codecs() {
        assert!(codec_registry().get_audio_decoder(CODEC_ID_OPUS).is_some());
        assert!(codec_registry()
            .get_audio_decoder(CODEC_ID_PCM_MULAW)
            .is_some());
    }

    #[test]
    fn unreadable_recorder_formats_count_as_audio() {
        assert!(is_audio_extension("amr"));
        assert!(is_audio_extension("wav"));
        assert!(!is_audio_extension("txt"));
        assert_eq!(unsupported_format_name("wma"), Some("Windows Media Audio"));
    }

    #[test]
    fn gsm_wave_tag_is_named() {
        assert!(wave_format_name(0x31).starts_with("GSM 6.10"));
    }
}
