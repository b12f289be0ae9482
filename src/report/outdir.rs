//! Output folders callqa owns (`--out`, `--transcripts`): checked before any work, filled in a
//! staging folder next to them and swapped into place as a whole, so the files in such a folder
//! always come from one run and callqa never overwrites a file it did not write.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::ReportWriteError;

/// The list of files callqa wrote into a folder (one relative path a line), kept in that folder.
pub const MANIFEST: &str = ".callqa-files";

/// Why an output folder cannot be used, with what to do about it.
fn unusable(option: &str, dir: &Path, reason: String) -> ReportWriteError {
    ReportWriteError::Unusable {
        option: option.to_string(),
        dir: dir.to_path_buf(),
        reason,
    }
}

/// Checks an output folder before any work is done: creates it; refuses a file or a symbolic
/// link, a folder that holds one of `inputs`, a folder holding files callqa did not write (neither
/// in its manifest nor in `known`, the names callqa writes there), and a place where the staging
/// folder cannot be made (beside the folder, in its parent).
pub fn check_output_dir(
    dir: &Path,
    option: &str,
    inputs: &[PathBuf],
    known: &[&str],
) -> Result<(), ReportWriteError> {
    if let Ok(meta) = std::fs::symlink_metadata(dir) {
        if meta.file_type().is_symlink() {
            return Err(unusable(
                option,
                dir,
                "is a symbolic link; give the folder it points to".into(),
            ));
        }
        if !meta.is_dir() {
            return Err(unusable(
                option,
                dir,
                "is a file, not a folder; give a folder path".into(),
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        unusable(
            option,
            dir,
            format!("cannot create it ({e}); check the path and permissions"),
        )
    })?;
    let canonical = dir
        .canonicalize()
        .map_err(|e| unusable(option, dir, format!("cannot resolve it ({e})")))?;
    for input in inputs {
        if input
            .canonicalize()
            .is_ok_and(|i| i.starts_with(&canonical))
        {
            return Err(unusable(
                option,
                dir,
                format!(
                    "holds the input {}; choose a folder outside the recordings",
                    input.display()
                ),
            ));
        }
    }
    let foreign = foreign_entries(&canonical, known)
        .map_err(|e| unusable(option, dir, format!("cannot list it ({e})")))?;
    if !foreign.is_empty() {
        return Err(unusable(
            option,
            dir,
            format!(
                "holds files callqa did not write ({}); choose an empty or new folder, or move them",
                foreign.join(", ")
            ),
        ));
    }
    let probe = sibling(&canonical, "probe", std::process::id());
    std::fs::create_dir(&probe)
        .and_then(|()| std::fs::remove_dir(&probe))
        .map_err(|e| {
            unusable(
                option,
                dir,
                format!(
                    "cannot write beside it in {} ({e}); callqa builds the new files there and swaps them in",
                    probe.parent().unwrap_or(Path::new("/")).display()
                ),
            )
        })
}

/// The top-level entries of `dir` that neither its manifest nor `known` names (the first three,
/// then a count).
fn foreign_entries(dir: &Path, known: &[&str]) -> std::io::Result<Vec<String>> {
    let listed: BTreeSet<String> = std::fs::read_to_string(dir.join(MANIFEST))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split('/').next())
        .map(str::to_string)
        .collect();
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != MANIFEST && !listed.contains(&name) && !known.contains(&name.as_str()) {
            foreign.push(name);
        }
    }
    foreign.sort();
    if foreign.len() > 3 {
        let more = foreign.len() - 3;
        foreign.truncate(3);
        foreign.push(format!("{more} more"));
    }
    Ok(foreign)
}

/// `<parent>/.<name>.callqa-<what>-<pid>`: a folder beside `dir`.
fn sibling(dir: &Path, what: &str, pid: u32) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    dir.with_file_name(format!(".{name}.callqa-{what}-{pid}"))
}

/// A new set of files being written beside its folder; [`Staging::commit`] swaps it in, dropping
/// it uncommitted removes it.
pub struct Staging {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates the staging folder beside `target` (removing what crashed runs left there).
    pub fn begin(target: &Path) -> Result<Self, ReportWriteError> {
        let folder_error = |source| ReportWriteError::OutputFolder {
            dir: target.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(target).map_err(folder_error)?;
        let target = target.canonicalize().map_err(folder_error)?;
        remove_stale_siblings(&target);
        let temp = sibling(&target, "new", std::process::id());
        let _ = std::fs::remove_dir_all(&temp);
        std::fs::create_dir(&temp).map_err(folder_error)?;
        Ok(Self {
            target,
            temp,
            committed: false,
        })
    }

    /// The folder to write the new files into.
    pub fn dir(&self) -> &Path {
        &self.temp
    }

    /// Writes the manifest and swaps the new set in place of the old folder. With `carry_over`,
    /// files of the old folder that the new set does not replace stay (hard-linked or copied
    /// into the new set first), as `callqa report` keeps the report.json it re-renders.
    pub fn commit(mut self, carry_over: bool) -> Result<(), ReportWriteError> {
        let write_error = |file: &Path| {
            let file = file.to_path_buf();
            move |source| ReportWriteError::Write { file, source }
        };
        if carry_over {
            self.carry_over_old_files()
                .map_err(write_error(&self.target))?;
        }
        let manifest = self.temp.join(MANIFEST);
        let names = relative_files(&self.temp).map_err(write_error(&self.temp))?;
        super::write_file(&manifest, |out| {
            names.iter().try_for_each(|name| writeln!(out, "{name}"))
        })
        .map_err(write_error(&manifest))?;
        swap(&self.temp, &self.target).map_err(write_error(&self.target))?;
        self.committed = true;
        Ok(())
    }

    fn carry_over_old_files(&self) -> std::io::Result<()> {
        for entry in std::fs::read_dir(&self.target)? {
            let entry = entry?;
            let name = entry.file_name();
            let to = self.temp.join(&name);
            if name == MANIFEST || to.exists() || !entry.file_type()?.is_file() {
                continue;
            }
            if std::fs::hard_link(entry.path(), &to).is_err() {
                std::fs::copy(entry.path(), &to)?;
            }
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

/// Every file under `dir` as a `/`-separated relative path, sorted (the manifest's lines).
fn relative_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                names.push(parts.join("/"));
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Puts `new` in place of `target`: one atomic exchange where the system offers it, else two
/// renames (a crash between them leaves the old set in `.<name>.callqa-old-<pid>` beside it).
fn swap(new: &Path, target: &Path) -> std::io::Result<()> {
    if exchange(new, target).is_ok() {
        return std::fs::remove_dir_all(new);
    }
    let old = sibling(target, "old", std::process::id());
    let _ = std::fs::remove_dir_all(&old);
    std::fs::rename(target, &old)?;
    if let Err(err) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&old, target);
        return Err(err);
    }
    std::fs::remove_dir_all(&old)
}

/// Swaps two paths atomically (`renameat2(RENAME_EXCHANGE)`, Linux 3.15+).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let to_c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (to_c(a)?, to_c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

/// Removes staging folders beside `target` that a killed run left (their process is gone).
fn remove_stale_siblings(target: &Path) {
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let prefix = format!(".{}.callqa-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !process_alive(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a process of this id runs (Linux: `/proc/<pid>`; elsewhere assumed, so nothing of a
/// running callqa is ever removed).
fn process_alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    !proc_root.join("self").exists() || proc_root.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_committed_set_replaces_the_old_one_whole_and_leaves_nothing_beside_it() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.txt"), "old run").unwrap();
        let staging = Staging::begin(&out).unwrap();
        std::fs::write(staging.dir().join("report.json"), "{}").unwrap();
        staging.commit(false).unwrap();
        assert_eq!(names(&out), vec![MANIFEST, "report.json"]);
        assert_eq!(names(root.path()), vec!["out"]);
        assert_eq!(
            std::fs::read_to_string(out.join(MANIFEST)).unwrap(),
            "report.json\n"
        );
    }

    #[test]
    fn carry_over_keeps_files_the_new_set_does_not_replace() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("report.json"), "saved").unwrap();
        std::fs::write(out.join("report.html"), "old").unwrap();
        let staging = Staging::begin(&out).unwrap();
        std::fs::write(staging.dir().join("report.html"), "new").unwrap();
        staging.commit(true).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).unwrap(),
            "saved"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("report.html")).unwrap(),
            "new"
        );
    }

    #[test]
    fn an_uncommitted_set_is_removed_and_the_old_one_stays() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("report.json"), "old").unwrap();
        {
            let staging = Staging::begin(&out).unwrap();
            std::fs::write(staging.dir().join("report.json"), "half").unwrap();
        }
        assert_eq!(names(root.path()), vec!["out"]);
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).unwrap(),
            "old"
        );
    }

    #[test]
    fn stale_staging_of_a_dead_process_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let dead = root
            .path()
            .join(format!(".out.callqa-new-{}", u32::MAX - 1));
        std::fs::create_dir(&dead).unwrap();
        drop(Staging::begin(&out).unwrap());
        assert_eq!(names(root.path()), vec!["out"]);
    }

    #[test]
    fn output_folders_are_checked_before_any_work() {
        let root = tempfile::tempdir().unwrap();
        let inputs = root.path().join("calls");
        std::fs::create_dir(&inputs).unwrap();
        let call = inputs.join("call.wav");
        std::fs::write(&call, "RIFF").unwrap();
        let known = ["report.json"];
        let check =
            |dir: &Path| check_output_dir(dir, "--out", std::slice::from_ref(&call), &known);
        let message = |dir: &Path| check(dir).unwrap_err().to_string();
        assert!(message(&call).contains("is a file"));
        assert!(message(&inputs).contains("holds the input"));
        assert!(message(root.path()).contains("holds the input"));
        let mine = root.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("notes.txt"), "user's").unwrap();
        assert!(message(&mine).contains("did not write (notes.txt)"));
        std::fs::write(mine.join(MANIFEST), "notes.txt\n").unwrap();
        assert!(check(&mine).is_ok());
        let fresh = root.path().join("new/deeper");
        assert!(check(&fresh).is_ok() && fresh.is_dir());
        std::fs::write(fresh.join("report.json"), "{}").unwrap();
        assert!(check(&fresh).is_ok());
    }
}
