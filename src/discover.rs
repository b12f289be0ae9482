//! Paths given by the user -> the audio files to analyse (sniffed by content), the files skipped, the walk errors.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::audio::{sniff, Sniff};
use crate::recording::{InputError, Skipped};

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
            classify(input, None, &mut found);
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
                classify(entry.path(), vendor, found);
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

fn classify(path: &Path, vendor: Option<String>, found: &mut Discovered) {
    match sniff(path) {
        Ok(Sniff::Audio) => found.audio.push(Input {
            path: path.to_path_buf(),
            vendor,
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
