//! Quantized whisper models (q8_0, q5_0): rewrites a ggml file the way whisper.cpp's
//! `examples/quantize` does, one tensor at a time, through ggml's own `ggml_quantize_chunk`.
//!
//! What changes: the header's `ftype` becomes `GGML_QNT_VERSION * 1000 + ftype` (whisper.cpp splits
//! it back), and every 2-D tensor except the conv biases and positional embeddings is converted to
//! f32 (from f16 when it is stored so) and quantized in 32-value blocks. Everything else (mel
//! filters, vocabulary, 1-D and 3-D tensors) is copied byte for byte. Blocks never cross a row, so
//! quantizing a few rows at a time gives the same bytes as the whole tensor at once: the file is
//! streamed (at most [`CHUNK_VALUES`] values in memory), and the output is deterministic (ggml's
//! reference quantizers, no threads).

use std::io::{Read, Write};

use whisper_rs::whisper_rs_sys as sys;

use super::convert::GGML_MAGIC;
use super::ct2::f16_to_f32;

/// Values per quantization block of q8_0 and q5_0 (`QK8_0`, `QK5_0`).
pub const BLOCK_VALUES: usize = 32;
/// Most values converted and quantized at once (whole rows; a row longer than this goes alone).
const CHUNK_VALUES: usize = 1 << 16;
/// ggml tensor types (`enum ggml_type`) of the stored tensors.
pub const TYPE_F32: u32 = sys::ggml_type_GGML_TYPE_F32;
pub const TYPE_F16: u32 = sys::ggml_type_GGML_TYPE_F16;
/// 2-D tensors whisper.cpp's quantizer leaves as they are (whisper.cpp creates them as f32).
const NOT_QUANTIZED: [&str; 4] = [
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
];

/// A ggml block quantization callqa can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantization {
    /// 8-bit values with one f16 scale per 32 (34 bytes per block, 8.5 bits per weight).
    Q8_0,
    /// 5-bit values with one f16 scale per 32 (22 bytes per block, 5.5 bits per weight).
    Q5_0,
}

impl Quantization {
    /// Every quantization, in the order the command line lists them.
    pub const ALL: [Self; 2] = [Self::Q8_0, Self::Q5_0];

    /// The name on the command line and in file names: `q8_0`, `q5_0`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Q8_0 => "q8_0",
            Self::Q5_0 => "q5_0",
        }
    }

    /// The quantization called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.name() == name)
    }

    /// Its `enum ggml_type` value, as stored in a tensor header.
    pub fn ggml_type(self) -> u32 {
        match self {
            Self::Q8_0 => sys::ggml_type_GGML_TYPE_Q8_0,
            Self::Q5_0 => sys::ggml_type_GGML_TYPE_Q5_0,
        }
    }

    /// Its `enum ggml_ftype` value (`GGML_FTYPE_MOSTLY_*`), before the version factor.
    fn ftype(self) -> i32 {
        match self {
            Self::Q8_0 => 7,
            Self::Q5_0 => 8,
        }
    }

    /// The header's `ftype` field for this quantization, as whisper.cpp's quantizer writes it.
    pub fn header_ftype(self) -> i32 {
        (sys::GGML_QNT_VERSION * sys::GGML_QNT_VERSION_FACTOR) as i32 + self.ftype()
    }

    /// Bytes of one block of [`BLOCK_VALUES`] values.
    pub fn block_bytes(self) -> usize {
        match self {
            Self::Q8_0 => 2 + BLOCK_VALUES,
            Self::Q5_0 => 2 + 4 + BLOCK_VALUES / 2,
        }
    }

    /// The quantized file's name next to an f16 one: `ggml-base.bin` -> `ggml-base-q8_0.bin`.
    pub fn file_name(self, f16_name: &str) -> String {
        let stem = f16_name.strip_suffix(".bin").unwrap_or(f16_name);
        format!("{stem}-{}.bin", self.name())
    }

    /// The quantization of a header `ftype` field, `None` for f32 / f16 (or an unknown value).
    pub fn of_header_ftype(ftype: i32) -> Option<Self> {
        let plain = ftype % sys::GGML_QNT_VERSION_FACTOR as i32;
        Self::ALL.into_iter().find(|q| q.ftype() == plain)
    }
}

/// Bytes of a tensor of `elements` values stored as ggml type `ty`; `None` for a type callqa does
/// not write or a count that does not fill whole blocks.
pub fn tensor_bytes(ty: u32, elements: usize) -> Option<usize> {
    if ty == TYPE_F32 {
        return Some(elements * 4);
    }
    if ty == TYPE_F16 {
        return Some(elements * 2);
    }
    let q = Quantization::ALL
        .into_iter()
        .find(|q| q.ggml_type() == ty)?;
    elements
        .is_multiple_of(BLOCK_VALUES)
        .then(|| elements / BLOCK_VALUES * q.block_bytes())
}

/// Why a file could not be quantized.
#[derive(Debug, thiserror::Error)]
pub enum QuantizeError {
    #[error("cannot read or write the model: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a whisper ggml model (bad magic {0:#010x})")]
    BadMagic(u32),
    #[error("the model is already quantized (ftype {0}); quantize the f16 model instead")]
    AlreadyQuantized(i32),
    #[error("the model ends inside {0}")]
    Truncated(String),
    #[error("tensor {name}: {detail}")]
    Tensor { name: String, detail: String },
}

/// What [`quantize_ggml`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantizeCounts {
    /// Tensors copied or quantized.
    pub tensors: usize,
    /// Tensors quantized.
    pub quantized: usize,
}

/// Reads a whisper ggml model (f32 or f16 weights) from `input` and writes it quantized to `out`.
pub fn quantize_ggml(
    input: &mut impl Read,
    out: &mut impl Write,
    q: Quantization,
) -> Result<QuantizeCounts, QuantizeError> {
    let magic = read_u32(input, "the header")?;
    if magic != GGML_MAGIC {
        return Err(QuantizeError::BadMagic(magic));
    }
    out.write_all(&magic.to_le_bytes())?;
    let mut hparams = [0i32; 11];
    for value in hparams.iter_mut() {
        *value = read_u32(input, "the header")? as i32;
    }
    let ftype = hparams[10];
    if ftype % sys::GGML_QNT_VERSION_FACTOR as i32 > 1 {
        return Err(QuantizeError::AlreadyQuantized(ftype));
    }
    hparams[10] = q.header_ftype();
    for value in hparams {
        out.write_all(&value.to_le_bytes())?;
    }
    let n_mel = copy_u32(input, out, "the mel filters")?;
    let n_fft = copy_u32(input, out, "the mel filters")?;
    copy_bytes(
        input,
        out,
        u64::from(n_mel) * u64::from(n_fft) * 4,
        "the mel filters",
    )?;
    let n_vocab = copy_u32(input, out, "the vocabulary")?;
    for _ in 0..n_vocab {
        let len = copy_u32(input, out, "the vocabulary")?;
        copy_bytes(input, out, u64::from(len), "the vocabulary")?;
    }
    let mut counts = QuantizeCounts {
        tensors: 0,
        quantized: 0,
    };
    while let Some(n_dims) = read_u32_or_end(input)? {
        let quantized = quantize_tensor(n_dims, input, out, q)?;
        counts.tensors += 1;
        counts.quantized += usize::from(quantized);
    }
    Ok(counts)
}

/// Copies or quantizes one tensor whose `n_dims` was just read; true when it was quantized.
fn quantize_tensor(
    n_dims: u32,
    input: &mut impl Read,
    out: &mut impl Write,
    q: Quantization,
) -> Result<bool, QuantizeError> {
    let what = "a tensor header";
    if !(1..=4).contains(&n_dims) {
        return Err(QuantizeError::Truncated(format!(
            "a tensor header (rank {n_dims})"
        )));
    }
    let name_len = read_u32(input, what)?;
    let ty = read_u32(input, what)?;
    let dims = (0..n_dims)
        .map(|_| read_u32(input, what).map(|d| d as usize))
        .collect::<Result<Vec<usize>, _>>()?;
    if name_len > 256 {
        return Err(QuantizeError::Truncated(format!(
            "a tensor header (name of {name_len} bytes)"
        )));
    }
    let mut name = vec![0u8; name_len as usize];
    read_exact(input, &mut name, what)?;
    let name_text = String::from_utf8_lossy(&name).into_owned();
    let fail = |detail: String| QuantizeError::Tensor {
        name: name_text.clone(),
        detail,
    };
    let elements: usize = dims.iter().product();
    let quantize = n_dims == 2 && !NOT_QUANTIZED.contains(&name_text.as_str());
    if quantize && ty != TYPE_F32 && ty != TYPE_F16 {
        return Err(fail(format!("type {ty} cannot be quantized (f32 or f16)")));
    }
    let row = dims[0];
    if quantize && (row == 0 || row % BLOCK_VALUES != 0) {
        return Err(fail(format!(
            "rows of {row} values are not whole {BLOCK_VALUES}-value blocks"
        )));
    }
    let stored = tensor_bytes(ty, elements)
        .ok_or_else(|| fail(format!("type {ty} is neither f32 nor f16")))?;
    out.write_all(&n_dims.to_le_bytes())?;
    out.write_all(&name_len.to_le_bytes())?;
    out.write_all(&(if quantize { q.ggml_type() } else { ty }).to_le_bytes())?;
    for dim in &dims {
        out.write_all(&(*dim as u32).to_le_bytes())?;
    }
    out.write_all(&name)?;
    if !quantize {
        copy_bytes(input, out, stored as u64, "a tensor's data")?;
        return Ok(false);
    }
    let rows = elements / row;
    let rows_per_chunk = (CHUNK_VALUES / row).max(1);
    let value_bytes = if ty == TYPE_F16 { 2 } else { 4 };
    let row_bytes = row / BLOCK_VALUES * q.block_bytes();
    let mut raw = Vec::new();
    let mut values = Vec::new();
    let mut packed = Vec::new();
    let mut done = 0;
    while done < rows {
        let n = rows_per_chunk.min(rows - done);
        raw.resize(n * row * value_bytes, 0);
        read_exact(input, &mut raw, "a tensor's data")?;
        values.clear();
        if ty == TYPE_F16 {
            values.extend(
                raw.chunks_exact(2)
                    .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]]))),
            );
        } else {
            values.extend(
                raw.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        packed.resize(n * row_bytes, 0);
        // SAFETY: `values` holds n rows of `row` f32 values and `packed` n rows of `row_bytes`,
        // which is what ggml writes for n rows of this type (checked below); `row` is a whole
        // number of blocks, `start` is 0 and q8_0 / q5_0 need no importance matrix.
        let written = unsafe {
            sys::ggml_quantize_chunk(
                q.ggml_type(),
                values.as_ptr(),
                packed.as_mut_ptr().cast(),
                0,
                n as i64,
                row as i64,
                std::ptr::null(),
            )
        };
        if written != packed.len() {
            return Err(fail(format!(
                "ggml wrote {written} bytes for {n} rows, expected {}",
                packed.len()
            )));
        }
        out.write_all(&packed)?;
        done += n;
    }
    Ok(true)
}

fn read_exact(input: &mut impl Read, buf: &mut [u8], what: &str) -> Result<(), QuantizeError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => QuantizeError::Truncated(what.to_string()),
        _ => QuantizeError::Io(e),
    })
}

fn read_u32(input: &mut impl Read, what: &str) -> Result<u32, QuantizeError> {
    let mut b = [0u8; 4];
    read_exact(input, &mut b, what)?;
    Ok(u32::from_le_bytes(b))
}

/// The next u32, or `None` at a clean end of the input (no byte of it there).
fn read_u32_or_end(input: &mut impl Read) -> Result<Option<u32>, QuantizeError> {
    let mut b = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match input.read(&mut b[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(QuantizeError::Truncated("a tensor header".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Some(u32::from_le_bytes(b)))
}

fn copy_u32(input: &mut impl Read, out: &mut impl Write, what: &str) -> Result<u32, QuantizeError> {
    let v = read_u32(input, what)?;
    out.write_all(&v.to_le_bytes())?;
    Ok(v)
}

fn copy_bytes(
    input: &mut impl Read,
    out: &mut impl Write,
    n: u64,
    what: &str,
) -> Result<(), QuantizeError> {
    let copied = std::io::copy(&mut input.take(n), out)?;
    if copied != n {
        return Err(QuantizeError::Truncated(what.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::ct2::f32_to_f16;

    /// (name, dims innermost first, type, values)
    type Tensor = (&'static str, Vec<usize>, u32, Vec<f32>);

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 + seed * 11) % 101) as f32 / 50.0 - 1.0)
            .collect()
    }

    /// A small ggml whisper file: header (ftype f16), 2 x 3 mel filters, 2 tokens, `tensors`.
    fn ggml_file(tensors: &[Tensor]) -> Vec<u8> {
        let mut out = Vec::new();
        let i32s = |out: &mut Vec<u8>, v: &[i32]| {
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
        };
        out.extend_from_slice(&GGML_MAGIC.to_le_bytes());
        i32s(&mut out, &[3, 6, 64, 2, 1, 5, 64, 2, 1, 2, 1]);
        i32s(&mut out, &[2, 3]);
        (0..6).for_each(|i| out.extend_from_slice(&(i as f32 / 10.0).to_le_bytes()));
        i32s(&mut out, &[2, 1]);
        out.push(b'a');
        i32s(&mut out, &[2]);
        out.extend_from_slice(b" b");
        for (name, dims, ty, data) in tensors {
            i32s(
                &mut out,
                &[dims.len() as i32, name.len() as i32, *ty as i32],
            );
            i32s(
                &mut out,
                &dims.iter().map(|&d| d as i32).collect::<Vec<_>>(),
            );
            out.extend_from_slice(name.as_bytes());
            for v in data {
                if *ty == TYPE_F16 {
                    out.extend_from_slice(&f32_to_f16(*v).to_le_bytes());
                } else {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        out
    }

    fn tensors() -> Vec<Tensor> {
        vec![
            (
                "encoder.positional_embedding",
                vec![64, 6],
                TYPE_F32,
                values(384, 1),
            ),
            (
                "encoder.conv1.weight",
                vec![3, 2, 64],
                TYPE_F16,
                values(384, 2),
            ),
            ("encoder.conv1.bias", vec![1, 64], TYPE_F32, values(64, 3)),
            (
                "encoder.blocks.0.attn.query.weight",
                vec![64, 64],
                TYPE_F16,
                values(4096, 4),
            ),
            (
                "encoder.blocks.0.attn.query.bias",
                vec![64],
                TYPE_F32,
                values(64, 5),
            ),
            // more than one chunk of rows, f32 input
            (
                "decoder.token_embedding.weight",
                vec![64, 1500],
                TYPE_F32,
                values(96_000, 6),
            ),
        ]
    }

    /// One stored tensor: name, dims, ggml type, data bytes.
    type StoredTensor = (String, Vec<usize>, u32, Vec<u8>);

    /// Walks a ggml file: its 11 hyper-parameters and its tensors.
    fn read_tensors(bytes: &[u8]) -> (Vec<i32>, Vec<StoredTensor>) {
        let i32_at = |at: usize| i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let header: Vec<i32> = (0..11).map(|i| i32_at(4 + 4 * i)).collect();
        let mut at = 48 + 8 + 6 * 4;
        let n_vocab = i32_at(at);
        at += 4;
        for _ in 0..n_vocab {
            at += 4 + i32_at(at) as usize;
        }
        let mut tensors = Vec::new();
        while at < bytes.len() {
            let (n_dims, name_len, ty) = (i32_at(at), i32_at(at + 4), i32_at(at + 8) as u32);
            at += 12;
            let dims: Vec<usize> = (0..n_dims as usize)
                .map(|i| i32_at(at + 4 * i) as usize)
                .collect();
            at += 4 * n_dims as usize;
            let name = String::from_utf8(bytes[at..at + name_len as usize].to_vec()).unwrap();
            at += name_len as usize;
            let size = tensor_bytes(ty, dims.iter().product()).unwrap();
            tensors.push((name, dims, ty, bytes[at..at + size].to_vec()));
            at += size;
        }
        assert_eq!(at, bytes.len());
        (header, tensors)
    }

    #[test]
    fn quantizes_2d_weights_keeps_the_rest_and_sets_ftype() {
        let input = ggml_file(&tensors());
        for q in Quantization::ALL {
            let mut out = Vec::new();
            let counts = quantize_ggml(&mut input.as_slice(), &mut out, q).unwrap();
            assert_eq!(
                counts,
                QuantizeCounts {
                    tensors: 6,
                    quantized: 2
                }
            );
            let (header, got) = read_tensors(&out);
            let (in_header, want) = read_tensors(&input);
            assert_eq!(header[..10], in_header[..10]);
            assert_eq!(
                header[10],
                2000 + q.ftype(),
                "GGML_QNT_VERSION 2 x 1000 + ftype"
            );
            assert_eq!(Quantization::of_header_ftype(header[10]), Some(q));
            // everything before the first tensor (mel filters, vocabulary) is unchanged
            let prefix = 48 + 8 + 24 + 4 + 5 + 6;
            assert_eq!(out[48..prefix], input[48..prefix]);
            for ((name, dims, ty, data), (in_name, in_dims, in_ty, in_data)) in
                got.iter().zip(&want)
            {
                assert_eq!((name, dims), (in_name, in_dims));
                let quantized =
                    name.ends_with("query.weight") || name == "decoder.token_embedding.weight";
                if quantized {
                    assert_eq!(*ty, q.ggml_type(), "{name}");
                    let blocks = dims.iter().product::<usize>() / 32;
                    assert_eq!(data.len(), blocks * q.block_bytes(), "{name}");
                } else {
                    assert_eq!((ty, data), (in_ty, in_data), "{name} copied as it was");
                }
            }
        }
        let sizes: Vec<usize> = [Quantization::Q8_0, Quantization::Q5_0]
            .iter()
            .map(|q| q.block_bytes())
            .collect();
        assert_eq!(sizes, [34, 22], "ggml's block_q8_0 and block_q5_0");
    }

    #[test]
    fn q8_0_blocks_hold_the_values_to_half_a_step() {
        let input = ggml_file(&tensors());
        let mut out = Vec::new();
        quantize_ggml(&mut input.as_slice(), &mut out, Quantization::Q8_0).unwrap();
        let (_, got) = read_tensors(&out);
        let (_, embedding) = got
            .iter()
            .find(|(n, ..)| n == "decoder.token_embedding.weight")
            .map(|(n, _, _, d)| (n, d))
            .unwrap();
        let original = values(96_000, 6);
        for (block, want) in embedding.chunks_exact(34).zip(original.chunks_exact(32)) {
            let scale = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
            for (q, w) in block[2..].iter().zip(want) {
                let back = f32::from(*q as i8) * scale;
                assert!((back - w).abs() <= scale * 0.5 + 1e-6, "{back} vs {w}");
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_chunking_does_not_change_it() {
        let input = ggml_file(&tensors());
        let run = || {
            let mut out = Vec::new();
            quantize_ggml(&mut input.as_slice(), &mut out, Quantization::Q5_0).unwrap();
            out
        };
        assert_eq!(run(), run());
        // the 1500-row embedding goes through in several chunks; quantizing it as one tensor of a
        // single chunk (rows of 64 values each, quantized row by row by ggml) gives the same bytes
        let whole: Vec<f32> = values(96_000, 6);
        let mut packed = vec![0u8; 96_000 / 32 * 22];
        // SAFETY: 1500 rows of 64 values in, 1500 rows of 2 q5_0 blocks out.
        let written = unsafe {
            sys::ggml_quantize_chunk(
                Quantization::Q5_0.ggml_type(),
                whole.as_ptr(),
                packed.as_mut_ptr().cast(),
                0,
                1500,
                64,
                std::ptr::null(),
            )
        };
        assert_eq!(written, packed.len());
        let (_, got) = read_tensors(&run());
        assert_eq!(got[5].3, packed);
    }

    #[test]
    fn refuses_quantized_input_odd_rows_and_truncation() {
        let input = ggml_file(&tensors());
        let mut once = Vec::new();
        quantize_ggml(&mut input.as_slice(), &mut once, Quantization::Q8_0).unwrap();
        let err = quantize_ggml(&mut once.as_slice(), &mut Vec::new(), Quantization::Q5_0);
        assert!(
            matches!(err, Err(QuantizeError::AlreadyQuantized(2007))),
            "{err:?}"
        );
        let odd = ggml_file(&[(
            "encoder.blocks.0.mlp.0.weight",
            vec![4, 4],
            TYPE_F16,
            values(16, 0),
        )]);
        let err = quantize_ggml(&mut odd.as_slice(), &mut Vec::new(), Quantization::Q8_0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not whole 32-value blocks"), "{err}");
        for len in [2, 30, input.len() - 1] {
            let err = quantize_ggml(&mut &input[..len], &mut Vec::new(), Quantization::Q8_0);
            assert!(
                matches!(err, Err(QuantizeError::Truncated(_))),
                "len {len}: {err:?}"
            );
        }
        assert_eq!(
            Quantization::Q8_0.file_name("ggml-base.bin"),
            "ggml-base-q8_0.bin"
        );
    }
}
