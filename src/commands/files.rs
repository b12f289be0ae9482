//! Reading the user's text files (rule packs, facts, transcripts): UTF-8 checks with messages that
//! say how to fix the file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::config::MAX_SETTINGS_FILE_BYTES;
use crate::text::facts::FactSet;
use crate::text::rules::{parse_pack, Rule};

/// Bytes looked at to tell binary files from text.
const BINARY_SNIFF_BYTES: usize = 8192;

/// Reads a settings file (`--rules`, `--facts`): a regular file of at most
/// [`MAX_SETTINGS_FILE_BYTES`], UTF-8 text.
fn read_config_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read {what} file {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{what} file {} is not a regular file (a folder, named pipe or device); give the path of a TOML file",
            path.display()
        );
    }
    if meta.len() > MAX_SETTINGS_FILE_BYTES {
        bail!(
            "{what} file {} is {} bytes, more than a settings file needs ({MAX_SETTINGS_FILE_BYTES} at most); is it the right file?",
            path.display(),
            meta.len()
        );
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {what} file {}", path.display()))?;
    decode_text(bytes).map_err(|msg| anyhow::anyhow!("{what} file {}: {msg}", path.display()))
}

/// UTF-8 text from bytes, or why not: empty, binary, or not UTF-8 (with the line of the bad byte).
pub(crate) fn decode_text(bytes: Vec<u8>) -> Result<String, String> {
    if looks_binary(&bytes) {
        return Err("looks like a binary file, not text".into());
    }
    let text = utf8_text(bytes, 0, 0)?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err("is empty: nothing to scan".into());
    }
    Ok(text)
}

/// Whether the start of a file holds a NUL byte: binary, not text.
pub(crate) fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

/// UTF-8 text from bytes that follow `lines_before` lines and `offset_before` bytes of a file,
/// or a message naming the line and offset of the first bad byte.
pub(crate) fn utf8_text(
    bytes: Vec<u8>,
    lines_before: usize,
    offset_before: usize,
) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = lines_before + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let at = offset_before + at;
        format!("line {line}: not UTF-8 text (invalid byte at offset {at}); convert it to UTF-8")
    })
}

/// Reads extra rule packs (`--rules FILE`), each error naming its file and line.
pub(crate) fn load_packs(files: &[PathBuf]) -> anyhow::Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for path in files {
        let text = read_config_text(path, "rules")?;
        rules.extend(parse_pack(&path.display().to_string(), &text)?);
    }
    Ok(rules)
}

/// Reads a `--facts` file, errors naming the file and line.
pub(crate) fn load_facts(path: &Path) -> anyhow::Result<FactSet> {
    let text = read_config_text(path, "facts")?;
    Ok(FactSet::parse(&path.display().to_string(), &text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_binary_empty_and_bad_utf8() {
        assert!(decode_text(b"\x00\x01\x02".to_vec())
            .unwrap_err()
            .contains("binary"));
        assert!(decode_text(b"  \n ".to_vec())
            .unwrap_err()
            .contains("empty"));
        let err = decode_text(b"ok\nline two \xff\xfe".to_vec()).unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert_eq!(decode_text("привет".as_bytes().to_vec()).unwrap(), "привет");
    }
}
