//! `analyze -`: the recording piped into standard input, spooled to a private temporary file so
//! that the decoder can seek (an MP4 keeps its index at the end) and re-read it for transcription.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::model::Report;

/// The name a recording read from standard input has in every output.
pub(crate) const STDIN_NAME: &str = "-";

/// The spooled standard input; the file is removed when this is dropped.
pub(crate) struct Spool {
    path: PathBuf,
}

impl Spool {
    /// Copies standard input into a new temporary file (readable by this user only).
    pub fn from_stdin() -> anyhow::Result<Spool> {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            bail!("`-` reads the recording from standard input, which is a terminal: pipe a file in (callqa analyze - < call.wav)");
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("callqa-stdin-{}-{nanos}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).with_context(|| {
            format!(
                "cannot create {} to hold standard input (set TMPDIR to a writable folder)",
                path.display()
            )
        })?;
        let spool = Spool { path };
        std::io::copy(&mut stdin.lock(), &mut file)
            .with_context(|| format!("cannot copy standard input to {}", spool.path.display()))?;
        Ok(spool)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `shown` (a path as the report spells it) is this spool.
    pub fn is(&self, shown: &str) -> bool {
        shown == self.path.display().to_string()
    }

    /// Gives the spooled recording its name `-` in the report.
    pub fn rename_in(&self, report: &mut Report) {
        for rec in report.recordings.iter_mut().filter(|r| self.is(&r.path)) {
            rec.path = STDIN_NAME.into();
        }
        for err in report.errors.iter_mut().filter(|e| self.is(&e.path)) {
            err.path = STDIN_NAME.into();
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
