//! What the integration tests share (ripgrep's `tests/util.rs` is the model): the real binary,
//! scratch folders to run it in, JSON from its output, paths into the repository, and the
//! model-present-or-SKIPPED check of the transcription tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Defines a `#[test]` that gets a fresh [`Scratch`] folder, ripgrep's `rgtest!` style:
/// `clitest!(name, |scratch| { ... });`.
macro_rules! clitest {
    ($name:ident, |$scratch:ident| $body:block) => {
        #[test]
        fn $name() {
            let $scratch = $crate::util::Scratch::new();
            $body
        }
    };
}

/// A path inside the repository (`samples`, `tests/text-set`, ...).
pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A file in `tests/fixtures` (made by `scripts/make-fixtures`).
pub fn fixture(name: &str) -> PathBuf {
    repo("tests/fixtures").join(name)
}

/// The release or debug `callqa` binary Cargo built for these tests.
pub fn callqa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
}

/// Runs the binary with `args` in the current folder.
pub fn run(args: &[&str]) -> Output {
    callqa()
        .args(args)
        .output()
        .expect("the callqa binary runs")
}

/// Runs the binary with `args`, `input` on stdin.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = callqa()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the callqa binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Stdout parsed as JSON (a panic showing stdout and stderr when it is not).
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A JSON file (a written `report.json`) parsed.
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The Whisper model (`$CALLQA_MODEL`, else the default build `models/ggml-base-q8_0.bin`, else
/// the f16 `models/ggml-base.bin`), or `None` with a SKIPPED line, so that the transcription
/// tests pass without it.
pub fn model() -> Option<PathBuf> {
    let candidates = match std::env::var_os("CALLQA_MODEL") {
        Some(path) => vec![PathBuf::from(path)],
        None => vec![
            repo("models/ggml-base-q8_0.bin"),
            repo("models/ggml-base.bin"),
        ],
    };
    let found = candidates.iter().find(|path| path.is_file()).cloned();
    if found.is_none() {
        eprintln!(
            "SKIPPED: no model at {}, run `callqa model fetch`",
            candidates[0].display()
        );
    }
    found
}

/// A scratch folder, removed on drop, and a way to run the real binary in it.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    /// A path inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file (creating its folders) and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs the binary with `args`, the folder as its working directory.
    pub fn callqa(&self, args: &[&str]) -> Output {
        callqa()
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("the callqa binary runs")
    }
}

/// ROC AUC: the probability that a random positive scores above a random negative (ties count half);
/// 0 when either side is empty.
pub fn roc_auc(positives: &[f64], negatives: &[f64]) -> f64 {
    let mut wins = 0.0;
    for p in positives {
        for n in negatives {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (positives.len() * negatives.len()).max(1) as f64
}

/// Deterministic xorshift generator for the mutation loop (no external crate needed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random damage: flipped bytes, a cut, inserted junk, a zeroed or repeated stretch.
pub fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let len = bytes.len();
    match rng.below(5) {
        0 => {
            for _ in 0..1 + rng.below(16) {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        1 => bytes.truncate(rng.below(len)),
        2 => {
            let at = rng.below(len);
            let junk: Vec<u8> = (0..1 + rng.below(64)).map(|_| rng.next() as u8).collect();
            bytes.splice(at..at, junk);
        }
        3 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(256)).min(len);
            bytes[at..end].fill(0);
        }
        _ => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(512)).min(len);
            let copy = bytes[at..end].to_vec();
            let to = rng.below(len);
            bytes.splice(to..to, copy);
        }
    }
}
