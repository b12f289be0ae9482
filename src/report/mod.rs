//! The only place that writes outputs: every export format behind one trait, one file each, written atomically.

pub mod csv;
pub mod figures;
pub mod html;
pub mod json;
pub mod plots;
pub mod transcripts;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::Report;

/// The snake_case name serde gives an enum value (`outdated_phrase`, `high`), as the JSON spells it.
pub(crate) fn enum_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// One output format of the report.
pub trait Export {
    /// The file name this format is written to inside `--out DIR`.
    fn file_name(&self) -> &'static str;
    /// Writes the whole report in this format.
    fn write(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()>;
}

/// Why the report or the transcripts could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportWriteError {
    #[error("cannot create the output folder {}", dir.display())]
    OutputFolder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the transcripts folder {}", dir.display())]
    TranscriptsFolder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", file.display())]
    Write {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes every format into `dir`, each through a temporary file renamed into place,
/// so an interrupted run never leaves a half-written report over a good one.
pub fn write_all(
    report: &Report,
    dir: &Path,
    exports: &[&dyn Export],
) -> Result<(), ReportWriteError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportWriteError::OutputFolder {
        dir: dir.to_path_buf(),
        source,
    })?;
    for export in exports {
        let target = dir.join(export.file_name());
        write_atomically(&target, |out| export.write(report, out)).map_err(|source| {
            ReportWriteError::Write {
                file: target,
                source,
            }
        })?;
    }
    Ok(())
}

/// Writes through `<target>.tmp-<pid>` and renames it over `target` once complete.
pub fn write_atomically(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = target.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    match result {
        Ok(()) => std::fs::rename(&temp, target),
        Err(err) => {
            let _ = std::fs::remove_file(&temp);
            Err(err)
        }
    }
}
