//! Per-recording results on disk (`analyze --parts DIR`): one JSON file per input, written
//! atomically as soon as the input is done, reused when the same content was analysed with the
//! same options (resume), and read back by `callqa merge` for the cross-recording checks.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::conversation::VoicePrint;
use crate::model::{InputError, Recording, Skipped};
use crate::text::Claim;

/// The `schema` of a part file.
pub const PART_SCHEMA: &str = "callqa-part/1";

/// Longest readable prefix of a part's file name, in bytes (the path hash follows it).
const NAME_PREFIX_BYTES: usize = 80;

/// One analysed recording plus what the cross-recording checks need from it (nothing masked:
/// the checks compare the words as said).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysed {
    pub recording: Recording,
    pub claims: Vec<Claim>,
    pub customer_voice: Option<VoicePrint>,
}

/// What became of one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Recording(Box<Analysed>),
    Error(InputError),
    Skipped(Skipped),
}

impl Outcome {
    /// The input's path as the report shows it.
    pub fn path(&self) -> &str {
        match self {
            Outcome::Recording(a) => &a.recording.path,
            Outcome::Error(e) => &e.path,
            Outcome::Skipped(s) => &s.path,
        }
    }
}

/// One part file: an input's outcome and what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub schema: String,
    /// SHA-256 of the input file's bytes (hex); `null` for skipped files and unreadable inputs.
    pub content_sha256: Option<String>,
    /// Everything besides the content that shaped the outcome (callqa version, thresholds,
    /// model, language, rules, facts ...): a part is reused only when this matches.
    pub options: String,
    /// Whether personal data may be shown unmasked in the reports made from this part.
    pub show_pii: bool,
    pub outcome: Outcome,
}

/// Problems reading a parts folder, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    #[error("cannot read the parts folder {dir}: {source} (check the path given to merge)")]
    Folder {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} is not a callqa part: {reason} (delete it and run `callqa analyze --parts` again for its recording)")]
    Invalid { file: PathBuf, reason: String },
    #[error("the parts folders hold no parts (run `callqa analyze PATHS --parts DIR` first)")]
    Empty,
    #[error("{first} and {second} were made with different options ({detail}): merge parts of one configuration (same callqa version, model, --lang, --config, --facts, --rules), or re-run analyze with the same options")]
    MixedOptions {
        first: PathBuf,
        second: PathBuf,
        detail: String,
    },
    #[error("{first} and {second} both hold {path} with different results: delete the stale one (or use one shared parts folder)")]
    Conflict {
        first: PathBuf,
        second: PathBuf,
        path: String,
    },
}

/// The part file of an input: a readable form of its path plus 16 hex digits of the path's
/// SHA-256, so every input has its own file.
pub fn part_file(dir: &Path, path: &str) -> PathBuf {
    let readable: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let start = readable.len().saturating_sub(NAME_PREFIX_BYTES);
    let digest = Sha256::digest(path.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!(
        "{}-{hash}.json",
        readable[start..].trim_start_matches('.')
    ))
}

/// Creates the parts folder and checks that a file can be written there.
pub fn prepare(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

/// SHA-256 of a file's bytes, hex.
pub fn content_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The recording stored for `path` in `dir`, if its part was made from the same content with the
/// same options; anything else (no part, another content, an error part, a damaged file) is
/// `None`, and the input is analysed again.
pub fn reusable(dir: &Path, path: &str, content_sha256: &str, options: &str) -> Option<Analysed> {
    let text = std::fs::read(part_file(dir, path)).ok()?;
    let part: Part = serde_json::from_slice(&text).ok()?;
    let fits = part.schema == PART_SCHEMA
        && part.content_sha256.as_deref() == Some(content_sha256)
        && part.options == options;
    match part.outcome {
        Outcome::Recording(analysed) if fits && analysed.recording.path == path => Some(*analysed),
        _ => None,
    }
}

/// Writes the part into `dir` atomically (a temporary file renamed over the part), readable by
/// its owner only on Unix: it holds the transcript unmasked.
pub fn write(dir: &Path, part: &Part) -> std::io::Result<()> {
    let target = part_file(dir, part.outcome.path());
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Pods of a Kubernetes Job can share a process id (often 1) and one parts folder: the clock
    // tells their temporary files apart.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let temp = dir.join(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = std::io::BufWriter::new(options.open(&temp)?);
        serde_json::to_writer(&mut out, part)?;
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    match result {
        Ok(()) => std::fs::rename(&temp, &target),
        Err(err) => {
            let _ = std::fs::remove_file(&temp);
            Err(err)
        }
    }
}

/// Reads every part (`*.json`, not hidden) in the folders. Parts of one input found twice are
/// kept once when equal and refused when they differ; parts made with different options are
/// refused. Returns the parts' outcomes and whether personal data may be shown.
pub fn read_dirs(dirs: &[PathBuf]) -> Result<(Vec<Outcome>, bool), PartsError> {
    let mut found: Vec<(PathBuf, Part)> = Vec::new();
    for dir in dirs {
        for file in part_files(dir)? {
            let part = read_part(&file)?;
            if let Some((first, other)) = found.first() {
                if other.options != part.options || other.show_pii != part.show_pii {
                    return Err(PartsError::MixedOptions {
                        first: first.clone(),
                        second: file,
                        detail: options_difference(other, &part),
                    });
                }
            }
            match found
                .iter()
                .find(|(_, p)| p.outcome.path() == part.outcome.path())
            {
                Some((_, same)) if same.outcome == part.outcome => {}
                Some((first, _)) => {
                    return Err(PartsError::Conflict {
                        first: first.clone(),
                        second: file,
                        path: part.outcome.path().to_string(),
                    })
                }
                None => found.push((file, part)),
            }
        }
    }
    let show_pii = found.first().ok_or(PartsError::Empty)?.1.show_pii;
    Ok((
        found.into_iter().map(|(_, p)| p.outcome).collect(),
        show_pii,
    ))
}

fn part_files(dir: &Path) -> Result<Vec<PathBuf>, PartsError> {
    let folder = |source| PartsError::Folder {
        dir: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(folder)? {
        let path = entry.map_err(folder)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json") && !name.starts_with('.') && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_part(file: &Path) -> Result<Part, PartsError> {
    let invalid = |reason: String| PartsError::Invalid {
        file: file.to_path_buf(),
        reason,
    };
    let text = std::fs::read(file).map_err(|e| invalid(e.to_string()))?;
    let part: Part = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
    if part.schema != PART_SCHEMA {
        return Err(invalid(format!(
            "schema {:?}, this callqa reads {PART_SCHEMA:?}",
            part.schema
        )));
    }
    Ok(part)
}

/// The first option that differs between two parts, for the error message.
fn options_difference(a: &Part, b: &Part) -> String {
    if a.show_pii != b.show_pii {
        return "one was made with --show-pii".into();
    }
    a.options
        .split("; ")
        .zip(b.options.split("; "))
        .find(|(x, y)| x != y)
        .map_or_else(
            || "option lists of different length".into(),
            |(x, y)| format!("{x} vs {y}"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording_part(path: &str, sha: &str, options: &str) -> Part {
        Part {
            schema: PART_SCHEMA.into(),
            content_sha256: Some(sha.into()),
            options: options.into(),
            show_pii: false,
            outcome: Outcome::Recording(Box::new(Analysed {
                recording: Recording {
                    path: path.into(),
                    duration_s: 1.0 / 3.0,
                    ..Recording::default()
                },
                claims: Vec::new(),
                customer_voice: Some(VoicePrint {
                    voiced_frames: 300,
                    mfcc_mean: vec![0.1 + 0.2, -2.5e-7, 1e-300],
                    mfcc_std: vec![std::f64::consts::PI; 3],
                    median_f0_hz: Some(121.3),
                }),
            })),
        }
    }

    #[test]
    fn a_part_is_reused_only_for_the_same_content_options_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let part = recording_part("calls/a b/x.wav", "abc", "v1; model base");
        write(dir.path(), &part).unwrap();
        let Outcome::Recording(stored) = &part.outcome else {
            unreachable!()
        };
        let again = reusable(dir.path(), "calls/a b/x.wav", "abc", "v1; model base");
        assert_eq!(
            again.as_ref(),
            Some(stored.as_ref()),
            "floats survive exactly"
        );
        assert!(reusable(dir.path(), "calls/a b/x.wav", "abd", "v1; model base").is_none());
        assert!(reusable(dir.path(), "calls/a b/x.wav", "abc", "v1; model tiny").is_none());
        assert!(reusable(dir.path(), "calls/a_b/x.wav", "abc", "v1; model base").is_none());
    }

    #[test]
    fn part_names_are_distinct_readable_and_not_hidden() {
        let dir = Path::new("/p");
        let a = part_file(dir, "calls/a b/x.wav");
        let b = part_file(dir, "calls/a_b/x.wav");
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("calls_a_b_x.wav-"), "{name}");
        let hidden = part_file(dir, ".x.wav");
        assert!(!hidden
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with('.'));
    }

    #[test]
    fn merging_folders_keeps_equal_duplicates_and_refuses_conflicts_and_mixed_options() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(one.path(), &recording_part("a.wav", "1", "o")).unwrap();
        write(two.path(), &recording_part("a.wav", "1", "o")).unwrap();
        write(two.path(), &recording_part("b.wav", "2", "o")).unwrap();
        let dirs = [one.path().to_path_buf(), two.path().to_path_buf()];
        let (outcomes, show_pii) = read_dirs(&dirs).unwrap();
        assert_eq!(outcomes.len(), 2);
        assert!(!show_pii);
        let mut changed = recording_part("a.wav", "1", "o");
        if let Outcome::Recording(a) = &mut changed.outcome {
            a.recording.duration_s = 2.0;
        }
        write(two.path(), &changed).unwrap();
        assert!(matches!(read_dirs(&dirs), Err(PartsError::Conflict { .. })));
        write(two.path(), &recording_part("a.wav", "1", "v2; base")).unwrap();
        let err = read_dirs(&dirs).unwrap_err();
        assert!(matches!(err, PartsError::MixedOptions { .. }), "{err}");
    }

    #[test]
    fn empty_folders_and_foreign_json_are_errors_that_name_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().to_path_buf()];
        assert!(matches!(read_dirs(&dirs), Err(PartsError::Empty)));
        std::fs::write(dir.path().join("report.json"), br#"{"schema":"callqa/1"}"#).unwrap();
        let err = read_dirs(&dirs).unwrap_err().to_string();
        assert!(
            err.contains("report.json") && err.contains("delete it"),
            "{err}"
        );
    }
}
