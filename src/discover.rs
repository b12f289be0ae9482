//! Paths given by the user -> the audio files to analyse (sniffed by content), the files skipped, the walk errors.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::audio::{sniff, Sniff};
use crate::model::{InputError, Skipped};

/// What discovery found under the inputs, each list sorted by path.
#[derive(Debug, Default)]
pub struct Discovered {
    pub audio: Vec<Input>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<InputError>,
}

/// One audio file to analyse, with the vendor it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub path: PathBuf,
    /// The top-level folder under an input directory (the vendor), if any.
    pub vendor: Option<String>,
}

/// Walks the inputs: directories recursively (symlinks are not followed, so no loops),
/// files as given. Hidden files and folders are skipped unless `include_hidden`.
pub fn discover(inputs: &[PathBuf], include_hidden: bool) -> Discovered {
    let mut found = Discovered::default();
    for input in inputs {
        if input.is_dir() {
            walk_dir(input, include_hidden, &mut found);
        } else {
            classify(input, None, true, &mut found);
        }
    }
    found.audio.sort_by(|a, b| a.path.cmp(&b.path));
    found.audio.dedup_by(|a, b| a.path == b.path);
    found.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    found.errors.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn walk_dir(root: &Path, include_hidden: bool, found: &mut Discovered) {
    let walker = WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || include_hidden || !is_hidden(entry.path()));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let vendor = vendor_of(root, entry.path());
                classify(entry.path(), vendor, false, found);
            }
            Ok(_) => {}
            Err(err) => found.errors.push(InputError {
                path: err.path().unwrap_or(root).display().to_string(),
                message: walk_error_message(&err),
            }),
        }
    }
}

fn walk_error_message(err: &walkdir::Error) -> String {
    match err.io_error().map(|e| e.kind()) {
        Some(std::io::ErrorKind::PermissionDenied) => {
            "permission denied: cannot list this folder (check its permissions)".into()
        }
        _ => format!("cannot walk this folder: {err}"),
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// The first folder below `root` on the way to `path`: the vendor of a recording.
fn vendor_of(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let mut parts = relative.components();
    let first = parts.next()?;
    parts.next()?; // a file directly under root has no vendor folder
    Some(first.as_os_str().to_string_lossy().into_owned())
}

/// Sorts one file into audio, skipped or error. A file the user named explicitly is
/// never silently skipped: if it is not audio, that is an error.
fn classify(path: &Path, vendor: Option<String>, explicit: bool, found: &mut Discovered) {
    if let Err(message) = regular_file(path) {
        found.errors.push(InputError {
            path: path.display().to_string(),
            message,
        });
        return;
    }
    match sniff(path) {
        Ok(Sniff::Audio) => found.audio.push(Input {
            path: path.to_path_buf(),
            vendor,
        }),
        Ok(Sniff::NotAudio(reason)) if explicit => found.errors.push(InputError {
            path: path.display().to_string(),
            message: format!("not an audio file ({reason})"),
        }),
        Ok(Sniff::NotAudio(reason)) => found.skipped.push(Skipped {
            path: path.display().to_string(),
            reason,
        }),
        Err(err) => found.errors.push(InputError {
            path: path.display().to_string(),
            message: io_message(&err),
        }),
    }
}

/// Only regular files are read: opening a FIFO (named pipe) would wait for a writer forever, and
/// a device or socket is no recording.
fn regular_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| io_message(&e))?;
    if meta.is_file() {
        return Ok(());
    }
    Err(
        "not a regular file (a named pipe, socket or device); save the audio to a file first"
            .into(),
    )
}

/// A user-facing message for an I/O error on an input.
pub fn io_message(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => {
            "file not found (did it move or vanish during the run?)".into()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: cannot read this file (check its permissions)".into()
        }
        _ => format!("cannot read this file: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn walks_folders_sorted_with_vendors_skipping_hidden_and_non_audio() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("vendor-b/call.wav"), b"RIFF");
        touch(&root.join("vendor-a/sub/call.wav"), b"RIFF");
        touch(&root.join("top.wav"), b"RIFF");
        touch(&root.join("vendor-a/notes.txt"), b"hello");
        touch(&root.join(".hidden/call.wav"), b"RIFF");
        let found = discover(&[root.to_path_buf()], false);
        let names: Vec<_> = found
            .audio
            .iter()
            .map(|i| {
                (
                    i.path.strip_prefix(root).unwrap().to_path_buf(),
                    i.vendor.clone(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                (PathBuf::from("top.wav"), None),
                (
                    PathBuf::from("vendor-a/sub/call.wav"),
                    Some("vendor-a".into())
                ),
                (PathBuf::from("vendor-b/call.wav"), Some("vendor-b".into())),
            ]
        );
        assert_eq!(found.skipped.len(), 1);
        assert!(found.skipped[0].path.ends_with("notes.txt"));
        assert!(found.errors.is_empty());
    }

    #[test]
    fn hidden_files_are_found_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join(".hidden/call.wav"), b"RIFF");
        let found = discover(&[dir.path().to_path_buf()], true);
        assert_eq!(found.audio.len(), 1);
    }

    #[test]
    fn an_explicit_non_audio_file_is_an_error_not_a_skip() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes.txt");
        touch(&notes, b"hello");
        let found = discover(&[notes], false);
        assert!(found.skipped.is_empty());
        assert_eq!(found.errors.len(), 1);
        assert!(found.errors[0].message.contains("not an audio file"));
    }

    #[test]
    fn the_same_file_given_twice_is_analysed_once() {
        let dir = tempfile::tempdir().unwrap();
        let call = dir.path().join("call.wav");
        touch(&call, b"RIFF");
        let found = discover(&[call.clone(), dir.path().to_path_buf()], false);
        assert_eq!(found.audio.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_an_error_not_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("call.wav");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mkfifo is not available");
            return;
        }
        let found = discover(&[fifo, dir.path().join("missing.wav")], false);
        assert!(found.audio.is_empty());
        assert_eq!(found.errors.len(), 2);
        assert!(
            found.errors[0].message.contains("not a regular file"),
            "{:?}",
            found.errors
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_do_not_hang() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("a/call.wav"), b"RIFF");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
        let found = discover(&[dir.path().to_path_buf()], false);
        assert_eq!(found.audio.len(), 1);
    }
}
