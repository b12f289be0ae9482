//! Words for a file whose content is no audio format we know: is it text, or unknown binary?

/// Why a file's content is not recognised as audio, for the user.
pub fn describe_unrecognised(head: &[u8]) -> String {
    if looks_like_text(head) {
        "it holds plain text, not audio (a document saved under an audio name?); \
         find the real recording"
            .into()
    } else {
        "its content matches no known audio format (WAV, MP3, FLAC, Ogg Vorbis/Opus, M4A AAC/ALAC, \
         WebM, CAF, AIFF): it is damaged or another kind of file; check it with `ffprobe`"
            .into()
    }
}

/// True when `head` is valid UTF-8 (allowing a cut last character) without control
/// characters other than tab, CR and LF.
pub fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(err) if err.error_len().is_none() => {
            // Only the last character is cut by the read limit.
            std::str::from_utf8(&head[..err.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_text() {
        assert!(looks_like_text(b"Meeting notes\r\n\tprice: 12 EUR\n"));
        assert!(looks_like_text("Grüße, café".as_bytes()));
    }

    #[test]
    fn a_cut_multibyte_character_is_still_text() {
        let bytes = "naïve".as_bytes();
        assert!(looks_like_text(&bytes[..3]));
    }

    #[test]
    fn binary_is_not_text() {
        assert!(!looks_like_text(b"RIFF\x24\x00\x00\x00WAVE"));
        assert!(!looks_like_text(&[0xff, 0xfb, 0x90, 0x00]));
        assert!(!looks_like_text(b""));
    }

    #[test]
    fn descriptions_differ_for_text_and_binary() {
        assert!(describe_unrecognised(b"hello\n").contains("plain text"));
        assert!(describe_unrecognised(&[0, 1, 2, 3]).contains("no known audio format"));
    }
}
