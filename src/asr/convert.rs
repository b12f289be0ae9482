//! CTranslate2 Whisper -> ggml (the file whisper.cpp loads): tensor renaming and splitting, the mel
//! filterbank, the byte-level vocabulary and the header, written deterministically with its SHA-256.
//!
//! Layout follows whisper.cpp's `whisper_model_load`: magic, 11 i32 hyper-parameters, the mel
//! filterbank (n_mel, n_fft, f32 data), the vocabulary (count, then length + bytes per token), then
//! tensors (n_dims, name length, type, dims innermost first, name, data).

use std::io::Write;
use std::ops::Range;

use sha2::{Digest, Sha256};

use super::ct2::{f32_to_f16, Ct2Error, Ct2Model, Ct2Var};
use crate::dsp::mel::{self, MelNorm, MelScale};

/// "ggml" as whisper.cpp reads it (little-endian u32).
pub const GGML_MAGIC: u32 = 0x6767_6d6c;
/// FFT bins of whisper's 400-sample STFT at 16 kHz.
pub const N_FFT_BINS: usize = 201;
const SAMPLE_RATE_HZ: f64 = 16_000.0;
const N_FFT: usize = 400;

/// Storage type of a ggml tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32 = 0,
    F16 = 1,
}

/// Whisper's hyper-parameters, in the order of the ggml header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HParams {
    pub n_vocab: usize,
    pub n_audio_ctx: usize,
    pub n_audio_state: usize,
    pub n_audio_head: usize,
    pub n_audio_layer: usize,
    pub n_text_ctx: usize,
    pub n_text_state: usize,
    pub n_text_head: usize,
    pub n_text_layer: usize,
    pub n_mels: usize,
}

impl HParams {
    /// Reads the hyper-parameters off the shapes and config scalars of a CTranslate2 model.
    pub fn from_ct2(model: &Ct2Model) -> Result<Self, Ct2Error> {
        let heads = |name: &str| -> Result<usize, Ct2Error> {
            model
                .var(name)?
                .scalar_int()
                .map(|v| v as usize)
                .ok_or_else(|| Ct2Error::NotWhisper(format!("{name} is not an integer scalar")))
        };
        let shape2 = |name: &str| -> Result<(usize, usize), Ct2Error> {
            match model.var(name)?.shape.as_slice() {
                [a, b] => Ok((*a, *b)),
                other => Err(Ct2Error::NotWhisper(format!("{name} has shape {other:?}"))),
            }
        };
        let (n_audio_ctx, n_audio_state) = shape2("encoder/position_encodings/encodings")?;
        let (n_text_ctx, n_text_state) = shape2("decoder/position_encodings/encodings")?;
        let (n_vocab, _) = shape2("decoder/embeddings/weight")?;
        let n_mels = match model.var("encoder/conv1/weight")?.shape.as_slice() {
            [_, mels, 3] => *mels,
            other => return Err(Ct2Error::NotWhisper(format!("conv1 has shape {other:?}"))),
        };
        Ok(Self {
            n_vocab,
            n_audio_ctx,
            n_audio_state,
            n_audio_head: heads("encoder/num_heads")?,
            n_audio_layer: model.layer_count("encoder"),
            n_text_ctx,
            n_text_state,
            n_text_head: heads("decoder/num_heads")?,
            n_text_layer: model.layer_count("decoder"),
            n_mels,
        })
    }

    /// Number of tensors whisper.cpp expects for these layer counts.
    pub fn tensor_count(&self) -> usize {
        7 + 15 * self.n_audio_layer + 4 + 24 * self.n_text_layer
    }
}

/// One ggml tensor to write: its whisper.cpp name, PyTorch-order shape, and where its data comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorPlan {
    pub name: String,
    /// Outermost dimension first (PyTorch order); written reversed.
    pub shape: Vec<usize>,
    pub source: String,
    /// Rows of the source taken (for split fused projections); all rows when `None`.
    pub rows: Option<Range<usize>>,
    pub ty: GgmlType,
}

/// Every tensor of the ggml file, in write order, mapped from CTranslate2 names.
pub fn tensor_plan(hp: &HParams, model: &Ct2Model) -> Result<Vec<TensorPlan>, Ct2Error> {
    let mut plan = Vec::with_capacity(hp.tensor_count());
    let mut add = |name: String,
                   source: String,
                   rows: Option<Range<usize>>,
                   reshape: Option<Vec<usize>>|
     -> Result<(), Ct2Error> {
        let var = model.var(&source)?;
        let shape = match (&reshape, &rows) {
            (Some(s), _) => s.clone(),
            (None, Some(r)) => {
                let mut s = var.shape.clone();
                s[0] = r.len();
                s
            }
            (None, None) => var.shape.clone(),
        };
        let keep_f32 =
            shape.len() < 2 || name.ends_with("positional_embedding") || name.ends_with(".bias");
        let ty = if keep_f32 {
            GgmlType::F32
        } else {
            GgmlType::F16
        };
        plan.push(TensorPlan {
            name,
            shape,
            source,
            rows,
            ty,
        });
        Ok(())
    };
    let d = hp.n_audio_state;
    add(
        "encoder.positional_embedding".into(),
        "encoder/position_encodings/encodings".into(),
        None,
        None,
    )?;
    for conv in ["conv1", "conv2"] {
        add(
            format!("encoder.{conv}.weight"),
            format!("encoder/{conv}/weight"),
            None,
            None,
        )?;
        add(
            format!("encoder.{conv}.bias"),
            format!("encoder/{conv}/bias"),
            None,
            Some(vec![d, 1]),
        )?;
    }
    for i in 0..hp.n_audio_layer {
        let (to, from) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
        self_attention(&mut add, &to, &from, d)?;
        ffn(&mut add, &to, &from)?;
    }
    layer_norm(&mut add, "encoder.ln_post", "encoder/layer_norm")?;
    let d = hp.n_text_state;
    add(
        "decoder.positional_embedding".into(),
        "decoder/position_encodings/encodings".into(),
        None,
        None,
    )?;
    add(
        "decoder.token_embedding.weight".into(),
        "decoder/embeddings/weight".into(),
        None,
        None,
    )?;
    for i in 0..hp.n_text_layer {
        let (to, from) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
        self_attention(&mut add, &to, &from, d)?;
        cross_attention(&mut add, &to, &from, d)?;
        ffn(&mut add, &to, &from)?;
    }
    layer_norm(&mut add, "decoder.ln", "decoder/layer_norm")?;
    Ok(plan)
}

type AddFn<'a> = dyn FnMut(String, String, Option<Range<usize>>, Option<Vec<usize>>) -> Result<(), Ct2Error>
    + 'a;

fn layer_norm(add: &mut AddFn, to: &str, from: &str) -> Result<(), Ct2Error> {
    add(format!("{to}.weight"), format!("{from}/gamma"), None, None)?;
    add(format!("{to}.bias"), format!("{from}/beta"), None, None)
}

fn linear(
    add: &mut AddFn,
    to: &str,
    from: &str,
    rows: Option<Range<usize>>,
    bias: bool,
) -> Result<(), Ct2Error> {
    add(
        format!("{to}.weight"),
        format!("{from}/weight"),
        rows.clone(),
        None,
    )?;
    if bias {
        add(format!("{to}.bias"), format!("{from}/bias"), rows, None)?;
    }
    Ok(())
}

/// Fused QKV -> query, key (no bias: a key bias shifts every score of a query equally, so softmax
/// ignores it), value; then the output projection.
fn self_attention(add: &mut AddFn, to: &str, from: &str, d: usize) -> Result<(), Ct2Error> {
    layer_norm(
        add,
        &format!("{to}.attn_ln"),
        &format!("{from}/self_attention/layer_norm"),
    )?;
    let qkv = format!("{from}/self_attention/linear_0");
    linear(add, &format!("{to}.attn.query"), &qkv, Some(0..d), true)?;
    linear(add, &format!("{to}.attn.key"), &qkv, Some(d..2 * d), false)?;
    linear(
        add,
        &format!("{to}.attn.value"),
        &qkv,
        Some(2 * d..3 * d),
        true,
    )?;
    linear(
        add,
        &format!("{to}.attn.out"),
        &format!("{from}/self_attention/linear_1"),
        None,
        true,
    )
}

/// Query, fused KV -> key (bias dropped) and value, output projection.
fn cross_attention(add: &mut AddFn, to: &str, from: &str, d: usize) -> Result<(), Ct2Error> {
    layer_norm(
        add,
        &format!("{to}.cross_attn_ln"),
        &format!("{from}/attention/layer_norm"),
    )?;
    linear(
        add,
        &format!("{to}.cross_attn.query"),
        &format!("{from}/attention/linear_0"),
        None,
        true,
    )?;
    let kv = format!("{from}/attention/linear_1");
    linear(add, &format!("{to}.cross_attn.key"), &kv, Some(0..d), false)?;
    linear(
        add,
        &format!("{to}.cross_attn.value"),
        &kv,
        Some(d..2 * d),
        true,
    )?;
    linear(
        add,
        &format!("{to}.cross_attn.out"),
        &format!("{from}/attention/linear_2"),
        None,
        true,
    )
}

fn ffn(add: &mut AddFn, to: &str, from: &str) -> Result<(), Ct2Error> {
    layer_norm(
        add,
        &format!("{to}.mlp_ln"),
        &format!("{from}/ffn/layer_norm"),
    )?;
    linear(
        add,
        &format!("{to}.mlp.0"),
        &format!("{from}/ffn/linear_0"),
        None,
        true,
    )?;
    linear(
        add,
        &format!("{to}.mlp.2"),
        &format!("{from}/ffn/linear_1"),
        None,
        true,
    )
}

/// Slaney-style mel filterbank, `n_mels` x 201, identical in formula to
/// `librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels)` (norm="slaney", htk=False).
pub fn mel_filters(n_mels: usize) -> Vec<f32> {
    mel::filterbank(
        MelScale::Slaney,
        MelNorm::Slaney,
        (0.0, SAMPLE_RATE_HZ / 2.0),
        n_mels,
        SAMPLE_RATE_HZ,
        N_FFT,
    )
    .into_iter()
    .flatten()
    .map(|w| w as f32)
    .collect()
}

/// GPT-2's byte <-> printable-character table: the character that stands for each byte.
fn byte_to_char_table() -> [char; 256] {
    let printable = |b: u32| {
        (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b)
    };
    let mut table = ['\0'; 256];
    let mut extra = 0;
    for b in 0..256u32 {
        let code = if printable(b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        table[b as usize] = char::from_u32(code).expect("a valid code point below 0x200");
    }
    table
}

/// The regular tokens of `vocabulary.txt` (one per line, GPT-2 byte-level form) as raw bytes, up to
/// but excluding `<|endoftext|>` — whisper.cpp adds the special tokens itself.
pub fn decode_vocabulary(text: &str) -> Result<Vec<Vec<u8>>, Ct2Error> {
    let table = byte_to_char_table();
    let mut char_to_byte = std::collections::HashMap::with_capacity(256);
    for (byte, ch) in table.iter().enumerate() {
        char_to_byte.insert(*ch, byte as u8);
    }
    let mut tokens = Vec::new();
    for line in text.split('\n') {
        if line == "<|endoftext|>" {
            return Ok(tokens);
        }
        let bytes = line
            .chars()
            .map(|c| char_to_byte.get(&c).copied())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| {
                Ct2Error::NotWhisper(format!("vocabulary token {line:?} is not byte-level BPE"))
            })?;
        tokens.push(bytes);
    }
    Err(Ct2Error::NotWhisper(
        "vocabulary.txt has no <|endoftext|> token".into(),
    ))
}

/// A writer that hashes everything passing through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// The inner writer, the SHA-256 (lowercase hex) and the byte count of what was written.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hasher.finalize()), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Model(#[from] Ct2Error),
    #[error("cannot write the ggml file: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes the complete ggml model for `model` + `vocabulary` to `out`.
pub fn write_ggml(
    model: &Ct2Model,
    vocabulary: &[Vec<u8>],
    out: &mut impl Write,
) -> Result<HParams, ConvertError> {
    let hp = HParams::from_ct2(model)?;
    let plan = tensor_plan(&hp, model)?;
    let i32s = |out: &mut dyn Write, values: &[usize]| -> std::io::Result<()> {
        values
            .iter()
            .try_for_each(|v| out.write_all(&(*v as i32).to_le_bytes()))
    };
    out.write_all(&GGML_MAGIC.to_le_bytes())?;
    i32s(
        out,
        &[
            hp.n_vocab,
            hp.n_audio_ctx,
            hp.n_audio_state,
            hp.n_audio_head,
            hp.n_audio_layer,
        ],
    )?;
    i32s(
        out,
        &[
            hp.n_text_ctx,
            hp.n_text_state,
            hp.n_text_head,
            hp.n_text_layer,
            hp.n_mels,
        ],
    )?;
    i32s(out, &[GgmlType::F16 as usize, hp.n_mels, N_FFT_BINS])?;
    for w in mel_filters(hp.n_mels) {
        out.write_all(&w.to_le_bytes())?;
    }
    i32s(out, &[vocabulary.len()])?;
    for token in vocabulary {
        out.write_all(&(token.len() as u32).to_le_bytes())?;
        out.write_all(token)?;
    }
    for tensor in &plan {
        write_tensor(tensor, model.var(&tensor.source)?, out)?;
    }
    Ok(hp)
}

fn write_tensor(plan: &TensorPlan, var: &Ct2Var, out: &mut impl Write) -> Result<(), ConvertError> {
    let expected: usize = plan.shape.iter().product();
    let row_len = var.len() / var.shape.first().copied().unwrap_or(1).max(1);
    let rows = plan
        .rows
        .clone()
        .unwrap_or(0..var.shape.first().copied().unwrap_or(1));
    if rows.len() * row_len != expected || rows.end * row_len > var.len() {
        return Err(Ct2Error::NotWhisper(format!(
            "{} does not fit {}'s shape {:?}",
            plan.name, plan.source, var.shape
        ))
        .into());
    }
    out.write_all(&(plan.shape.len() as i32).to_le_bytes())?;
    out.write_all(&(plan.name.len() as i32).to_le_bytes())?;
    out.write_all(&(plan.ty as i32).to_le_bytes())?;
    for dim in plan.shape.iter().rev() {
        out.write_all(&(*dim as i32).to_le_bytes())?;
    }
    out.write_all(plan.name.as_bytes())?;
    let size = var.dtype.size();
    let bytes = &var.data[rows.start * row_len * size..rows.end * row_len * size];
    let slice = Ct2Var {
        shape: vec![expected],
        dtype: var.dtype,
        data: bytes.to_vec(),
    };
    match (plan.ty, var.dtype) {
        (GgmlType::F16, super::ct2::Ct2Dtype::F16) => out.write_all(bytes)?,
        (GgmlType::F16, _) => {
            let data: Vec<u8> = slice
                .to_f32()?
                .into_iter()
                .flat_map(|v| f32_to_f16(v).to_le_bytes())
                .collect();
            out.write_all(&data)?;
        }
        (GgmlType::F32, _) => {
            let data: Vec<u8> = slice
                .to_f32()?
                .into_iter()
                .flat_map(f32::to_le_bytes)
                .collect();
            out.write_all(&data)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)` (librosa 0.11, float32),
    /// as (mel row, fft bin, value), computed independently with librosa.
    const LIBROSA_MEL: &[(usize, usize, f64)] = &[
        (0, 1, 0.02486259490251541),
        (1, 1, 0.001990821911022067),
        (1, 2, 0.022871771827340126),
        (3, 3, 0.0059724655002355576),
        (3, 4, 0.018890129402279854),
        (9, 9, 0.017917396500706673),
        (9, 10, 0.006945197004824877),
        (15, 14, 0.0010180906392633915),
        (15, 15, 0.023844502866268158),
        (22, 21, 0.01495384331792593),
        (22, 22, 0.009908749721944332),
        (33, 32, 0.005490840878337622),
        (33, 33, 0.018177473917603493),
        (33, 34, 0.0028155462350696325),
        (47, 55, 0.004385921638458967),
        (47, 56, 0.009832492098212242),
        (47, 57, 0.007973956875503063),
        (58, 83, 0.0007392280967906117),
        (58, 84, 0.0030791081953793764),
        (58, 85, 0.005418988410383463),
        (66, 113, 0.0007317548734135926),
        (66, 114, 0.0019974694587290287),
        (66, 115, 0.003263183869421482),
        (78, 179, 0.0003849811910185963),
        (78, 180, 0.0008885387214832008),
        (78, 181, 0.001392096164636314),
        (79, 186, 0.000366741674952209),
        (79, 187, 0.0008330700220540166),
        (79, 188, 0.0012993983691558242),
        (40, 0, 0.0),
        (79, 200, 0.0),
    ];
    /// Sum of all 80x201 librosa weights (float64 accumulation).
    const LIBROSA_MEL_SUM: f64 = 1.999024092387117;

    #[test]
    fn mel_filterbank_matches_librosa() {
        let filters = mel_filters(80);
        assert_eq!(filters.len(), 80 * N_FFT_BINS);
        assert!(!LIBROSA_MEL.is_empty());
        for &(m, k, want) in LIBROSA_MEL {
            let got = f64::from(filters[m * N_FFT_BINS + k]);
            assert!(
                (got - want).abs() <= 1e-9 + 1e-6 * want.abs(),
                "mel[{m}][{k}] = {got}, librosa {want}"
            );
        }
        let sum: f64 = filters.iter().map(|&w| f64::from(w)).sum();
        assert!((sum - LIBROSA_MEL_SUM).abs() < 1e-6, "sum {sum}");
    }

    #[test]
    fn vocabulary_decodes_byte_level_tokens_and_stops_at_endoftext() {
        let text = "!\nĠthe\nĊ\n\nÐ¿\n<|endoftext|>\n<|startoftranscript|>\n";
        let tokens = decode_vocabulary(text).unwrap();
        assert_eq!(
            tokens,
            vec![
                b"!".to_vec(),
                b" the".to_vec(),
                b"\n".to_vec(),
                vec![],
                "п".as_bytes().to_vec()
            ]
        );
        assert!(decode_vocabulary("a\nb\n").is_err());
        assert!(decode_vocabulary("日本\n<|endoftext|>").is_err());
    }

    #[test]
    fn byte_table_is_a_bijection_on_256_characters() {
        let table = byte_to_char_table();
        let unique: std::collections::HashSet<char> = table.iter().copied().collect();
        assert_eq!(unique.len(), 256);
        assert_eq!(table[b' ' as usize], 'Ġ');
        assert_eq!(table[b'\n' as usize], 'Ċ');
        assert_eq!(table[b'A' as usize], 'A');
    }
}
