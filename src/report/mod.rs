//! The only place that writes outputs: every export format behind one trait, one file each; the
//! set is written into a staging folder and swapped into place whole (see [`outdir`]).

pub mod csv;
pub mod figures;
pub mod html;
pub mod json;
pub mod outdir;
pub mod plots;
pub mod redact_audio;
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
    #[error("{option} {}: {reason}", dir.display())]
    Unusable {
        option: String,
        dir: PathBuf,
        reason: String,
    },
    #[error("cannot write {}", file.display())]
    Write {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes every format into a staging folder beside `dir` and swaps it in place of `dir` as a
/// whole, so the files in `dir` always belong to one run; an error or an interruption before the
/// swap leaves the old set untouched and no temporary files. With `carry_over`, files of `dir`
/// this set does not replace stay (`callqa report` keeps the report.json it re-renders).
pub fn write_all(
    report: &Report,
    dir: &Path,
    exports: &[&dyn Export],
    carry_over: bool,
) -> Result<(), ReportWriteError> {
    let staging = outdir::Staging::begin(dir)?;
    for export in exports {
        let file = staging.dir().join(export.file_name());
        write_file(&file, |out| export.write(report, out)).map_err(|source| {
            ReportWriteError::Write {
                file: dir.join(export.file_name()),
                source,
            }
        })?;
    }
    staging.commit(carry_over)
}

/// Creates `path` and writes it through a buffer, synced to disk (a full disk fails here).
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    write(&mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}
